"""Turn a :class:`~toeplitz_conv.geometry.Geometry` and a weight into a `TiedMatrix`.

With zero padding (the common case) the taps are written straight into
canonical CSR order.  Rows split into *full* rows, whose taps all read the
input, and *edge* rows that lose taps to the padding.  The full rows form
one box of the output grid; the edge rows form, per axis, two slabs.  Each
region is a single pattern of entries (for one output channel, at its first
leading index) repeated at constant position and column steps, so it is
written with one broadcast per array; the full box is cut into cache-sized
chunks of rows so that the repeated pattern stays in cache and numpy's inner
loops run over thousands of entries.  The Python work is a few calls per
region (at most ``2 * ndim + 2`` regions), never per row or entry; small
matrices are written from one index table instead.

Other boundaries (circular, reflect, ...) can map several taps of a row to
the same input, so their taps go through :meth:`TiedMatrix.from_taps`,
which sorts and sums them.

Every builder goes through here and describes its matrix with a small plan
of frozen objects next to the geometry:

* :class:`Channels` -- what the channel axes do (input channels, groups); no
  channels means the weight is just the kernel;
* :class:`Ties` -- how each stored entry is tied to a weight: a convolution
  ties each entry to its kernel weight (optionally conjugated); tiled and
  locally connected layers add a *tile* per output position (which copy of
  the kernel the output uses); pooling ties all taps of a window to one
  weight (``per_window``) and max pooling keeps one tap per window
  (``select``); the data (im2col) matrix ties each entry to the input sample
  it reads (``data_of``);
* :class:`Offset` -- the weight-independent part of an affine map (a fill
  value read outside the input, a constant per output).

:func:`_path` alone decides, from the geometry and the plan, how the matrix
is written.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .geometry import ArrayLayout, AxisGeometry, Geometry, axes_first_map, channel_map
from .tied import IndexDtype, TiedMatrix, _index_dtype

__all__ = ["Channels", "Offset", "Ties", "WritePath", "assemble", "channels_last",
           "forced_write_path", "relayout", "write_path_thresholds"]

#: How zero-padded matrices are written (tests force each; users never need to):
#: ``"table"`` one index table for all rows, ``"lines"`` region by region with a
#: whole output line per pattern, ``"chunks"`` region by region with tiny chunks
#: of full rows (so that chunk tails occur).
WritePath = Literal["table", "lines", "chunks"]

# Entries per chunk of full rows written as one pattern: small enough that
# the pattern stays in cache while it is copied along a line, long enough
# that numpy's inner loops are long.
_CHUNK_ENTRIES = 8192
# Trailing axes whose complete (hyper-)lines hold at most this many entries
# per output channel are written as one pattern per line.
_LINE_ENTRIES = 4 * _CHUNK_ENTRIES
# Up to this many entries (all channels) the whole index table is built at
# once instead of region by region: fewer numpy calls, but every entry's
# weight is gathered one by one.
_SMALL_ENTRIES = 2**12
# At most 1 / _CHUNK_SPLIT of a line per chunk (see _write_regions).
_CHUNK_SPLIT = 8
_DEFAULT_LIMITS = (_SMALL_ENTRIES, _LINE_ENTRIES, _CHUNK_ENTRIES)
# (small, line, chunk) entry thresholds of each forced write path.
_FORCED = {"table": (2**62, _LINE_ENTRIES, _CHUNK_ENTRIES),
           "lines": (0, _LINE_ENTRIES, _CHUNK_ENTRIES),
           "chunks": (0, 0, 5)}
# The forced write path, if any (see forced_write_path).  A context variable,
# not a global, so that a proof forcing each path in one thread never changes
# how another thread's builds are written.
_WRITE_PATH: ContextVar[WritePath | None] = ContextVar("toeplitz_conv_write_path",
                                                       default=None)


def write_path_thresholds() -> dict[str, int]:
    """The entry counts at which a zero-padded matrix changes how it is written.

    For the proofs, which must sample both sides of each: a matrix with at
    most ``small_entries`` entries (all channels) is written from one index
    table; otherwise trailing axes whose whole lines hold at most
    ``line_entries`` entries (one output channel) are written line by line,
    and the last axis's full rows in chunks of
    ``min(chunk_entries // row_len, ceil(full_rows / 8))`` rows (``row_len``
    the taps of a full row, ``C_in // groups`` times the kernel's), so the
    chunk size is at its cap from ``full_rows >= 8 * (chunk_entries // row_len) - 7``.

    >>> write_path_thresholds()
    {'small_entries': 4096, 'line_entries': 32768, 'chunk_entries': 8192, 'chunk_split': 8}
    """
    return {"small_entries": _SMALL_ENTRIES, "line_entries": _LINE_ENTRIES,
            "chunk_entries": _CHUNK_ENTRIES, "chunk_split": _CHUNK_SPLIT}


@contextmanager
def forced_write_path(path: WritePath | None) -> Iterator[None]:
    """Write every zero-padded matrix built inside the block along ``path``.

    For tests and the proofs, which compare the paths; ``None`` restores the
    size-based choice.  Users never need it: every path gives the same matrix.

    >>> from toeplitz_conv import conv_matrix
    >>> with forced_write_path("chunks"):
    ...     A = conv_matrix([5, 6, 7], 4)
    >>> (A @ [1, 2, 3, 4]).tolist()
    [5, 16, 34, 52, 45, 28]
    """
    if path is not None and path not in _FORCED:
        raise ValueError(f"path must be one of {sorted(_FORCED)} or None, got {path!r}")
    token = _WRITE_PATH.set(path)
    try:
        yield
    finally:
        _WRITE_PATH.reset(token)


def _count(value: Any, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r}")


def _int_vector(value: Any, name: str) -> None:
    if value is not None and not (isinstance(value, np.ndarray) and value.ndim == 1
                                  and value.dtype.kind in "iu"):
        raise TypeError(f"{name} must be a 1-D integer ndarray or None, got "
                        f"{getattr(value, 'dtype', type(value).__name__)} of shape "
                        f"{getattr(value, 'shape', '?')}")


@dataclass(frozen=True)
class Channels:
    """What the channel axes do: the weight is ``(C_out, C_in // groups, *kernel)``.

    Output channel ``o`` reads the ``C_in // groups`` input channels of its
    group (:func:`~toeplitz_conv.geometry.channel_map`).  Without a
    ``Channels`` plan the weight is the kernel alone (one channel in, one out).

    Parameters
    ----------
    c_in : int
        Input channels (``weight.shape[-1 - ndim] * groups``).
    groups : int
        Channel groups.
    out_channels : int, optional
        With no input channels: the output channel count of the (tap-free)
        matrix, when the convention's differs from ``weight.shape[0]``
        (PyTorch gives 0).

    >>> Channels(3, groups=0)
    Traceback (most recent call last):
    ...
    TypeError: groups must be an int >= 1, got 0
    """

    c_in: int
    groups: int = 1
    out_channels: int | None = None

    def __post_init__(self) -> None:
        _count(self.c_in, "c_in", 0)
        _count(self.groups, "groups", 1)
        if self.out_channels is not None:
            _count(self.out_channels, "out_channels", 0)


@dataclass(frozen=True, eq=False)
class Ties:
    """How each stored entry is tied to a weight (default: its kernel weight).

    Parameters
    ----------
    conjugate : bool
        Store ``conj(weight)`` values (scipy's complex correlation).
    tile : 1-D int ndarray, optional
        Per flat output, which block of the weight it uses: the entry of
        kernel index ``i`` is tied to ``tile[o] * block + i`` with ``block``
        one convolution weight's size (tiled and locally connected layers).
    weight_map : 1-D int ndarray, optional
        With ``tile``: the flat index into the weight (as the user passed it)
        of each index of the tile-major layout the tying computes, when the
        user's tile axes are not the leading ones.
    per_window : bool
        With ``tile``: tie every tap of output ``o``'s window to the single
        weight ``tile[o]`` (pooling's per-window factor).
    select : 1-D int ndarray, optional
        With ``per_window``: per flat output, the one flat tap kept (max
        pooling's selection).
    data_of : ndarray, optional
        The im2col strategy: build the *data* matrix ``X(x)`` of this input
        (``y = X(x) @ weight.ravel()``) -- the roles of columns and weight
        index swapped, each entry tied to the input sample it reads.

    >>> Ties(select=np.zeros(3, dtype=int))
    Traceback (most recent call last):
    ...
    ValueError: Ties: select needs per_window (one tap kept per window)
    """

    conjugate: bool = False
    tile: np.ndarray | None = None
    weight_map: np.ndarray | None = None
    per_window: bool = False
    select: np.ndarray | None = None
    data_of: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("conjugate", "per_window"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"Ties: {name} must be a bool, got {getattr(self, name)!r}")
        for name in ("tile", "weight_map", "select"):
            _int_vector(getattr(self, name), f"Ties: {name}")
        if self.data_of is not None and not isinstance(self.data_of, np.ndarray):
            raise TypeError(f"Ties: data_of must be an ndarray, got {type(self.data_of).__name__}")
        if self.tile is None and (self.weight_map is not None or self.per_window):
            raise ValueError("Ties: weight_map and per_window need a tile per output")
        if self.per_window and self.weight_map is not None:
            raise ValueError("Ties: per_window ties each window to one weight; it takes no "
                             "weight_map")
        if self.select is not None and not self.per_window:
            raise ValueError("Ties: select needs per_window (one tap kept per window)")
        if self.data_of is not None and (self.tile is not None or self.conjugate):
            raise ValueError("Ties: data_of ties entries to input samples; it takes no tile "
                             "and no conjugate")

    @property
    def plain(self) -> bool:
        """Each entry tied to its kernel weight, at its kernel index (a convolution)."""
        return self.tile is None and self.data_of is None


@dataclass(frozen=True, eq=False)
class Offset:
    """The weight-independent part of an affine map, see :attr:`TiedMatrix.offset`.

    Parameters
    ----------
    fill_value : number
        What zero-padded positions read instead of zero (one channel only).
    constant : 1-D float ndarray, optional
        An offset per flat output that no weight enters (max pooling's
        ``-inf`` for windows that read only padding).

    >>> Offset(fill_value=float("nan"))
    Traceback (most recent call last):
    ...
    TypeError: Offset: fill_value must be a finite number, got nan
    """

    fill_value: complex = 0
    constant: np.ndarray | None = None

    def __post_init__(self) -> None:
        v = self.fill_value
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Number) \
                or not np.isfinite(v):
            raise TypeError(f"Offset: fill_value must be a finite number, got {v!r}")
        c = self.constant
        if c is not None and not (isinstance(c, np.ndarray) and c.ndim == 1
                                  and c.dtype.kind == "f"):
            raise TypeError("Offset: constant must be a 1-D float ndarray or None")


_KERNEL = Ties()
Path = Literal["empty", "taps", "regions"]


def assemble(geom: Geometry, weight: np.ndarray, *, flip: bool = False,
             channels: Channels | None = None, ties: Ties = _KERNEL,
             offset: Offset | None = None, info: dict[str, Any] | None = None,
             order: Literal["C", "F"] = "C") -> TiedMatrix:
    """Build the matrix of a grouped, multi-channel cross-correlation.

    Parameters
    ----------
    geom : Geometry
        Spatial geometry (in correlation form).
    weight : ndarray
        ``(C_out, C_in // groups, *kernel)`` with ``channels``, else just the
        kernel (one channel in, one out); with a ``ties.tile``, a stack of
        such weights (tile-major, or any layout with ``ties.weight_map``).
    flip : bool
        Reverse the spatial taps (true convolution).  Tap weight indices still
        refer to ``weight`` as given.  Orthogonal to every tying strategy.
    channels : Channels, optional
        The channel axes; ``None``: one channel in and out.
    ties : Ties
        How entries are tied to weights (default: each to its kernel weight).
    offset : Offset, optional
        The affine offset (a fill value, a constant per output).
    info : dict, optional
        The builder's arguments, kept as :attr:`TiedMatrix.info`.
    order : {'C', 'F'}
        How the input and the output are flattened: C order, or Fortran
        (column-major, MATLAB's) order; one channel and the plain kernel
        tying only with ``'F'``.
    """
    if order == "F":
        return _fortran(geom, weight, flip=flip, channels=channels, ties=ties, offset=offset,
                        info=info)
    if order != "C":
        raise ValueError(f"order must be 'C' or 'F', got {order!r}")
    n_out = math.prod(geom.out_shape)
    c_out, c_ig = _check_plan(geom, weight, channels, ties, offset, n_out)
    c_in, groups = (channels.c_in, channels.groups) if channels is not None else (1, 1)
    n_k = math.prod(geom.kernel_shape)
    n_in = math.prod(geom.in_shape)
    geom.check_build(c_out, c_ig)
    m, n = c_out * n_out, c_in * n_in
    itype = _index_dtype(n, m, weight.size, c_out * n_out * c_ig * n_k)
    lead_in, lead_out = ((c_in,), (c_out,)) if channels is not None else ((), ())
    meta: dict[str, Any] = {"in_shape": lead_in + geom.in_shape,
                            "out_shape": lead_out + geom.out_shape,
                            "conjugate": ties.conjugate, "info": info}
    if offset is not None and offset.fill_value != 0:
        meta["fill"] = _fill_taps(geom, offset.fill_value, flip)
    if offset is not None and offset.constant is not None:
        meta["constant"] = offset.constant
    path = _path(geom, ties, c_out, c_ig)
    if path == "empty":
        # Empty channel axes: no taps, possibly no rows or columns.
        if channels is not None and channels.out_channels is not None:
            c_out = channels.out_channels
            meta["out_shape"] = (c_out,) + geom.out_shape
        m = c_out * n_out
        return TiedMatrix._trusted((m, n), np.zeros(m + 1, dtype=itype), np.zeros(0, dtype=itype),
                          np.zeros(0, dtype=itype), weight, **meta)

    co = np.arange(c_out, dtype=itype)
    cil = np.arange(c_ig, dtype=itype)
    tap_k = np.arange(n_k, dtype=itype)[::-1] if flip else np.arange(n_k, dtype=itype)
    row_len = c_ig * n_k
    # One row's entries are ordered (input channel, tap); these index one
    # output channel's slice of the weight.
    w_pattern = ((cil * n_k)[:, None] + tap_k[None, :]).ravel()
    chan_col = (cil * n_in).astype(itype)                  # column offset of each input channel
    group_col = (channel_map(c_out, c_ig * groups, groups)[:, 0] * n_in).astype(itype)
    co_w = (co * row_len).astype(itype)

    if path == "taps":
        return _from_table(geom, weight, (m, n), group_col, chan_col, co_w, w_pattern, itype,
                           ties, meta)
    return _from_regions(geom, weight, (m, n), group_col, chan_col, co_w, w_pattern, itype,
                         ties, meta)


def _fortran(geom: Geometry, weight: np.ndarray, *, flip: bool, channels: Channels | None,
             ties: Ties, offset: Offset | None, info: dict[str, Any] | None) -> TiedMatrix:
    """The matrix with input and output flattened in Fortran order.

    An array's Fortran-order flattening is the C-order flattening of its
    axes reversed, and a correlation commutes with reversing the axes of
    the input, the kernel and the geometry together.  So the C-order matrix
    of the reversed problem is the Fortran-order one; only its taps are
    re-indexed, to the kernel as passed.
    """
    if channels is not None or not ties.plain:
        raise ValueError("order='F' takes one channel and the plain kernel tying")
    nd = weight.ndim
    rev = tuple(range(nd))[::-1]
    inner = assemble(Geometry(geom.axes[::-1]), np.ascontiguousarray(weight.transpose(rev)),
                     flip=flip, ties=ties, offset=offset, info=info)
    # Index i of the reversed kernel is element wmap[i] of the kernel as passed.
    wmap = axes_first_map(weight.shape, rev).astype(inner._tap_weight.dtype)
    fill = inner._fill
    if fill is not None:
        fill = (fill[0], fill[1], wmap[fill[2]])
    return TiedMatrix._trusted(inner.shape, inner._indptr, inner._indices, wmap[inner._tap_weight],
                      weight, tap_entry=inner._tap_entry, in_shape=geom.in_shape,
                      out_shape=geom.out_shape, conjugate=inner._conjugate, info=inner.info,
                      data=inner._data, fill=fill, constant=inner._constant, order="F")


def relayout(matrix: TiedMatrix, weight: np.ndarray, *,
             rows: tuple[ArrayLayout, tuple[int, ...]],
             cols: tuple[ArrayLayout, tuple[int, ...]],
             weights: tuple[ArrayLayout, tuple[int, ...]] | None = None, copies: int = 1,
             copy_cols: bool = True, copy_weight: bool = False) -> TiedMatrix:
    """A matrix built in the canonical (PyTorch) layout, in the user's layouts.

    ``rows`` and ``cols`` are the user's layout of the output and the input
    with their canonical shapes (a batch axis ``N`` first, ``copies`` long:
    the matrix is stacked that many times, block-diagonally with
    ``copy_cols``); ``weights`` the user's layout of ``weight`` (the array
    the taps index, as the user passed it) and its canonical shape, with
    ``copy_weight`` when each copy reads its own part of it (the data
    matrix of a batch).  The permutations come from the geometry core
    (:meth:`~toeplitz_conv.geometry.ArrayLayout.flat_map`); the entries are
    moved by :meth:`TiedMatrix._relabelled`.
    """
    (r_lay, r_shape), (c_lay, c_shape) = rows, cols
    r_map = None if r_lay.identity else r_lay.flat_map(r_shape)
    c_map = None if c_lay.identity else c_lay.flat_map(c_shape)
    w_map = None
    if weights is not None and not weights[0].identity:
        w_map = weights[0].user_index(weights[1])
    return matrix._relabelled(r_map, c_map, w_map, weight, copies=copies, copy_cols=copy_cols,
                              copy_weight=copy_weight, in_shape=c_lay.user_shape(c_shape),
                              out_shape=r_lay.user_shape(r_shape))


def channels_last(geom: Geometry, weight: np.ndarray, *, data: ArrayLayout,
                  weights: tuple[ArrayLayout, np.ndarray], batch: int | None,
                  info: dict[str, Any] | None = None) -> TiedMatrix:
    """A dense-channel layer's matrix for data whose channel axis is last (NHWC, NWC, NDHWC).

    ``weight`` is canonical ``(C_out, C_in, *kernel)`` (one group), ``geom``
    the spatial geometry, ``weights`` the user's weight layout and array.
    Flattened channels last, an input is a grid with one more axis, the
    channels, which every window spans whole: a correlation over
    ``(*spatial, C_in)`` with kernel ``(*kernel, C_in)``.  Assembled that
    way, its columns are already the user's and sorted in every row, so
    only the rows move (to ``(*out, C_out)`` order, per sample) -- no
    per-row sort of the columns, which took most of :func:`relayout`.
    """
    c_out, c_in = weight.shape[:2]
    nd = weight.ndim - 2
    first = (0, *range(2, nd + 2))                   # (C_out, *kernel), then C_in
    kernel = np.ascontiguousarray(weight.transpose(*first, 1))[:, None]
    wide = Geometry((*geom.axes, AxisGeometry(c_in, c_in)))
    inner = assemble(wide, kernel, channels=Channels(1, 1), info=info)
    # Tap weight i indexes the channels-last kernel: canonical element of_canon[i],
    # which the user's weight holds at its user_index.
    of_canon = axes_first_map(weight.shape, first)
    w_lay, w_user = weights
    if not w_lay.identity:
        of_canon = w_lay.user_index(weight.shape)[of_canon]
    lead = () if batch is None else (batch,)
    out_canon = (*lead, c_out, *geom.out_shape)
    r_map = None if data.identity else data.flat_map(out_canon)
    return inner._relabelled(r_map, None, of_canon, w_user, copies=batch or 1,
                             in_shape=data.user_shape((*lead, c_in, *geom.in_shape)),
                             out_shape=data.user_shape(out_canon))


def _check_plan(geom: Geometry, weight: np.ndarray, channels: Channels | None, ties: Ties,
                offset: Offset | None, n_out: int) -> tuple[int, int]:
    """Check the plan against ``geom`` and ``weight``; return ``(C_out, C_in // groups)``.

    Every build passes here, so the common plan (no tile, no offset) costs a
    few type checks only.
    """
    if not (isinstance(ties, Ties) and isinstance(channels, (Channels, type(None)))
            and isinstance(offset, (Offset, type(None)))):
        for value, cls, name in ((channels, Channels, "channels"), (ties, Ties, "ties"),
                                 (offset, Offset, "offset")):
            if not isinstance(value, cls) and (value is not None or cls is Ties):
                raise TypeError(f"{name} must be {cls.__name__}(...)"
                                f"{'' if cls is Ties else ' or None'}, got "
                                f"{type(value).__name__}")
    if channels is None:
        c_out, c_ig = 1, 1
    else:
        nd = len(geom.axes)
        if weight.ndim < nd + 2:
            raise ValueError(f"with channels the weight needs (C_out, C_in // groups) before "
                             f"its {nd} kernel axes, got shape {weight.shape}")
        c_out, c_ig = weight.shape[-2 - nd], weight.shape[-1 - nd]
        if c_ig * channels.groups != channels.c_in:
            raise ValueError(f"channels: c_in = {channels.c_in} must be the weight's "
                             f"{c_ig} input channels per group times groups = "
                             f"{channels.groups}")
    if ties.tile is not None:
        for arr, name in ((ties.tile, "tile"), (ties.select, "select")):
            if arr is not None and len(arr) != n_out:
                raise ValueError(f"ties.{name} needs one entry per flat output ({n_out}), "
                                 f"got {len(arr)}")
    if offset is not None:
        if offset.fill_value != 0 and channels is not None:
            raise ValueError("offset.fill_value applies to one channel only")
        if offset.constant is not None and len(offset.constant) != c_out * n_out:
            raise ValueError(f"offset.constant needs one value per flat output "
                             f"({c_out * n_out}), got {len(offset.constant)}")
        if ties.data_of is not None:
            raise ValueError("the data matrix (ties.data_of) has no offset")
    return c_out, c_ig


def _path(geom: Geometry, ties: Ties, c_out: int, c_ig: int) -> Path:
    """How the matrix is written: the one place that decides it from the plan.

    ``"empty"`` for empty channel axes (no taps); ``"taps"`` through
    :meth:`TiedMatrix.from_taps` for boundaries that can read one input twice
    in a row (the sum is then one entry) and for the tying strategies other
    than the plain kernel; else ``"regions"``, written straight into CSR
    order (:func:`_write_regions` then picks table, lines or chunks by size).
    """
    if c_ig == 0 or c_out == 0:
        return "empty"
    if not geom.monotone or not ties.plain:
        return "taps"
    return "regions"


def _from_regions(geom: Geometry, weight: np.ndarray, shape: tuple[int, int],
                  group_col: np.ndarray, chan_col: np.ndarray, co_w: np.ndarray,
                  w_pattern: np.ndarray, itype: IndexDtype, ties: Ties,
                  meta: dict[str, Any]) -> TiedMatrix:
    """Every entry written straight into canonical CSR order (zero padding, plain kernel)."""
    c_out, row_len = len(co_w), len(w_pattern)
    n_out = math.prod(geom.out_shape)
    values = weight.reshape(c_out, row_len)
    if ties.conjugate:
        values = values.conj()
    # Row pointers of output channel 0 first; every channel has the same
    # pattern, so the others are shifted copies.
    indptr = np.empty(shape[0] + 1, dtype=itype)
    indptr[0] = 0
    pos = indptr[:n_out + 1]
    np.cumsum(geom.row_counts(itype), out=pos[1:])
    if len(chan_col) > 1:
        pos[1:] *= len(chan_col)
    per_channel = int(pos[-1])
    if c_out > 1:
        np.add(pos[1:], (np.arange(1, c_out, dtype=itype) * per_channel)[:, None],
               out=indptr[n_out + 1:].reshape(c_out - 1, n_out))

    indices = np.empty((c_out, per_channel), dtype=itype)
    tap_weight = np.empty((c_out, per_channel), dtype=itype)
    data = np.empty((c_out, per_channel), dtype=values.dtype)
    if per_channel:
        blocks = _Blocks(indices, tap_weight, data, values, group_col, co_w)
        forced = _WRITE_PATH.get()
        limits = _FORCED[forced] if forced is not None else _DEFAULT_LIMITS
        _write_regions(blocks, geom, pos, chan_col, w_pattern, itype, limits)
    return TiedMatrix._trusted(shape, indptr, indices.ravel(), tap_weight.ravel(), weight,
                      data=data.ravel(), **meta)


def _fill_taps(geom: Geometry, value: complex,
               flip: bool) -> tuple[complex, np.ndarray, np.ndarray]:
    """The (row, weight index) of every tap that reads zero padding, for a fill value."""
    rows, taps = np.nonzero(geom.table < 0)
    n_k = math.prod(geom.kernel_shape)
    return value, rows, (n_k - 1 - taps) if flip else taps


def _from_table(geom: Geometry, weight: np.ndarray, shape: tuple[int, int],
                group_col: np.ndarray, chan_col: np.ndarray, co_w: np.ndarray,
                w_pattern: np.ndarray, itype: IndexDtype, ties: Ties,
                meta: dict[str, Any]) -> TiedMatrix:
    """Every tap from one index table, through :meth:`TiedMatrix.from_taps`.

    For boundaries that can read one input twice in a row (the sum is then
    one entry) and for the tying strategies other than the plain kernel.
    """
    c_out, c_ig = len(co_w), len(chan_col)
    table = geom.table_outer(None, itype)                         # (n_out, n_k)
    n_out = table.shape[0]
    w_row = w_pattern.reshape(1, c_ig, -1)                        # (1, c_ig, n_k)
    if ties.select is not None:
        # One tap per window: the chosen column of the table and its weight.
        sel = np.asarray(ties.select, dtype=np.intp)
        table = np.take_along_axis(table, sel[:, None], axis=1)
        w_row = w_row[0][:, sel].T[:, :, None]                    # (n_out, c_ig, 1)
    widx = co_w[:, None, None, None] + w_row[None]                # (c_out, n_out|1, c_ig, k)
    if ties.tile is not None:
        t = np.asarray(ties.tile, dtype=itype).reshape(1, n_out, 1, 1)
        widx = t if ties.per_window else t * (c_out * w_pattern.size) + widx
    shape4 = (c_out, n_out, c_ig, table.shape[1])
    cols = (group_col[:, None, None, None] + chan_col[None, None, :, None]
            + table[None, :, None, :])
    keep = np.broadcast_to((table >= 0)[None, :, None, :], shape4)
    rows = np.arange(shape[0], dtype=np.int64).reshape(c_out, n_out, 1, 1)
    if ties.data_of is not None:
        # im2col: column = weight entry, tied value = the input sample the tap reads.
        return TiedMatrix.from_taps(
            (shape[0], weight.size), np.broadcast_to(rows, shape4)[keep],
            np.broadcast_to(widx, shape4)[keep], np.broadcast_to(cols, shape4)[keep],
            ties.data_of.ravel(), in_shape=weight.shape, out_shape=meta["out_shape"],
            info=meta["info"])
    kept = np.broadcast_to(widx, shape4)[keep]
    if ties.weight_map is not None:
        kept = ties.weight_map[kept]
    return TiedMatrix.from_taps(
        shape, np.broadcast_to(rows, shape4)[keep], np.broadcast_to(cols, shape4)[keep],
        kept, weight, **meta)


def _write_regions(blocks: _Blocks, geom: Geometry, pos: np.ndarray, chan_col: np.ndarray,
                   w_pattern: np.ndarray, itype: IndexDtype, limits: tuple[int, int, int]) -> None:
    """Write every row, region by region, one output-channel pattern per region.

    The output grid splits into the box of full rows (every axis inside its
    interior) and, for each axis ``d``, the slabs before and after its
    interior whose leading axes ``< d`` are interior and whose trailing axes
    are complete.  For a fixed leading index a slab is one contiguous run of
    rows, and moving the leading index only shifts its entries' positions
    and input columns by constants.  So a slab is one pattern (from the
    index table at the first leading index) written at every leading index.
    Trailing axes whose complete lines are short are not split at all: the
    interior of the leading axes, with whole lines, is one such slab.
    """
    axes = geom.axes
    nd = len(axes)
    out_st, in_st = geom.out_strides, geom.in_strides
    box = [ax.interior() for ax in axes]
    row_len = len(w_pattern)
    small_entries, line_entries, chunk_entries = limits
    if blocks.size <= small_entries or all(hi <= lo for lo, hi in box):
        # Small (or all-edge) matrices: one table for all rows is cheaper
        # than the per-region numpy calls.
        cols, widx = _pattern_from_table(geom.table_outer(None, itype), chan_col, w_pattern)
        blocks.write(0, (), (), (), cols, widx)
        return

    def lead(d: int) -> tuple[int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """First flat row, extents, entry steps and input steps of the interior of axes < d."""
        f = sum(lo * st for (lo, _), st in zip(box[:d], out_st))
        extents = tuple(hi - lo for lo, hi in box[:d])
        pos_steps = tuple(int(pos[f + st] - pos[f]) if e > 1 else 0
                          for e, st in zip(extents, out_st))
        in_steps = tuple(ax.stride * st for ax, st in zip(axes[:d], in_st))
        return f, extents, pos_steps, in_steps

    # Axes after ``split`` are short enough to be folded into the pattern:
    # a whole (hyper-)line is then one pattern, edge rows included, so the
    # writes run along complete lines.
    split = nd - 1
    while split > 0 and math.prod(geom.out_shape[split:]) * row_len <= line_entries:
        split -= 1
    if all(hi > lo for lo, hi in box[:split + 1]):
        # The interior first: it covers most of the matrix, so the arrays'
        # fresh pages are first touched in address order.
        if split < nd - 1:
            f, extents, pos_steps, in_steps = lead(split + 1)
            outs = (tuple(np.array([lo]) for lo, _ in box[:split + 1])
                    + tuple(np.arange(ax.out_size) for ax in axes[split + 1:]))
            cols, widx = _pattern_from_table(geom.table_outer(outs, itype), chan_col, w_pattern)
            blocks.write(int(pos[f]), extents, pos_steps, in_steps, cols, widx)
        else:
            # Along the last axis a full row reads ``stride`` inputs further
            # than the previous one, so a chunk of rows small enough to stay
            # in cache is written once and then copied, shifted, along every
            # line.
            f, extents, pos_steps, in_steps = lead(nd - 1)
            lo, hi = box[-1]
            f += lo
            step = axes[-1].stride
            # At most an eighth of a line per chunk, so that the pattern's
            # temporaries stay a small fraction of the matrix.
            rows = max(1, min(chunk_entries // row_len, -(-(hi - lo) // _CHUNK_SPLIT)))
            n_chunks, tail = divmod(hi - lo, rows)
            offsets = (chan_col[:, None]
                       + geom.full_row_offsets().astype(itype)[None, :]).ravel()
            cols = ((int(geom.row_base([f])[0]) + step * np.arange(rows, dtype=itype))[:, None]
                    + offsets).ravel()
            widx = np.tile(w_pattern, rows)
            start = int(pos[f])
            blocks.write(start, extents + (n_chunks,), pos_steps + (rows * row_len,),
                         in_steps + (rows * step,), cols, widx)
            if tail:
                cut = tail * row_len
                blocks.write(start + n_chunks * rows * row_len, extents, pos_steps, in_steps,
                             cols[:cut] + n_chunks * rows * step, widx[:cut])

    for d in range(split + 1):
        if any(hi <= lo for lo, hi in box[:d]):
            return                       # no interior rows lead to the slabs of axis d
        lo, hi = box[d]
        size = axes[d].out_size
        if lo == 0 and hi == size:
            continue
        f, extents, pos_steps, in_steps = lead(d)
        # Both slabs of axis d from one table, split where the second starts.
        sides = np.concatenate((np.arange(lo), np.arange(hi, size)))
        outs = (tuple(np.array([lo_e]) for lo_e, _ in box[:d]) + (sides,)
                + tuple(np.arange(ax.out_size) for ax in axes[d + 1:]))
        cols, widx = _pattern_from_table(geom.table_outer(outs, itype), chan_col, w_pattern)
        first, second = f, f + hi * out_st[d]
        cut = int(pos[f + lo * out_st[d]] - pos[first])
        blocks.write(int(pos[first]), extents, pos_steps, in_steps, cols[:cut], widx[:cut])
        blocks.write(int(pos[second]), extents, pos_steps, in_steps, cols[cut:], widx[cut:])


def _pattern_from_table(table: np.ndarray, chan_col: np.ndarray,
                        w_pattern: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and weight indices of the entries of ``table``'s rows (output channel 0).

    A row's entries are ordered (input channel, tap), taps reading zero
    padding (``-1``) dropped.
    """
    c_ig = len(chan_col)
    keep3 = (table >= 0)[:, None, :].repeat(c_ig, axis=1)
    cols = (chan_col[None, :, None] + table[:, None, :])[keep3]
    widx = np.broadcast_to(w_pattern.reshape(c_ig, -1), keep3.shape)[keep3]
    return cols, widx


class _Blocks:
    """The three entry arrays of a matrix being built, written block by block."""

    def __init__(self, indices: np.ndarray, tap_weight: np.ndarray, data: np.ndarray,
                 values: np.ndarray, group_col: np.ndarray, co_w: np.ndarray) -> None:
        self.arrays = (indices, tap_weight, data)
        self.size = indices.size
        self.values = values
        self.group_col = group_col
        self.co_w = co_w

    def write(self, start: int, extents: tuple[int, ...], pos_steps: tuple[int, ...],
              in_steps: tuple[int, ...], cols: np.ndarray, widx: np.ndarray) -> None:
        """Write the block ``(cols, widx)`` of output channel 0 at every leading index.

        Copy ``i`` (a multi-index over ``extents``) starts ``i . pos_steps``
        entries after ``start`` and reads columns ``i . in_steps`` further on;
        every output channel gets its own weights and group's columns.
        """
        size = len(cols)
        if size == 0 or 0 in extents:
            return
        indices, tap_weight, data = self.arrays
        c_out, per_channel = indices.shape
        lead = (c_out,) + (1,) * len(extents) + (1,)
        shift = self.group_col.reshape(lead)
        for e, (n, st) in enumerate(zip(extents, in_steps)):
            if n > 1 and st:
                axis_shape = [1] * (len(extents) + 2)
                axis_shape[e + 1] = n
                shift = shift + (np.arange(n, dtype=shift.dtype) * st).reshape(axis_shape)
        shape = (c_out,) + extents + (size,)
        steps = (per_channel,) + pos_steps + (1,)

        def view(arr: np.ndarray) -> np.ndarray:
            isz = arr.itemsize
            return np.ndarray(shape, arr.dtype, arr, start * isz, tuple(p * isz for p in steps))

        # Broadcasting along the long last axis keeps numpy's inner loops long.
        np.add(cols, shift, out=view(indices))
        np.add(widx, self.co_w.reshape(lead), out=view(tap_weight))
        # take (unlike values[:, widx]) returns C order: the copy reads contiguously.
        np.copyto(view(data), np.take(self.values, widx, axis=1).reshape(lead[:-1] + (size,)))

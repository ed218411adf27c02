"""The checker's reference operator: the explicit matrix, or matrix-free from the same geometry.

A large layer's matrix has ``C_out * positions * C_in/groups * taps`` stored
taps (115 million for a 64 -> 64 channel, 56 x 56, 3 x 3 layer): far more
than the check needs.  :class:`ImColReference` computes the same three
quantities, ``A @ x``, ``A.T @ g`` and the weight gradient, from
:attr:`Geometry.table <toeplitz_conv.geometry.Geometry.table>` (which input
each output reads with each tap, boundary modes included): an im2col gather
of whole rows of channels followed by one matrix product per channel group,
and for ``A.T @ g`` the same gather through the inverted table (which output
reads each input with each tap), or a scatter of the taps when a stride
leaves most of that table empty.
:func:`reference` picks the explicit :class:`~toeplitz_conv.TiedMatrix`
for small layers and the matrix-free path for large ones.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import numpy as np

from .._limits import check_build, check_dense
from .._validation import as_groups, choose
from ..geometry import Geometry, layer_geometry
from ..layers import _channels, layer_matrix
from ..tied import TiedMatrix
from ._scratch import scratch

__all__ = [
    "EXPLICIT_MAX_TAPS",
    "ImColReference",
    "padded_table",
    "products_in",
    "reference",
    "single_threaded_blas",
]

#: Up to this many stored taps the checker builds the explicit matrix.
EXPLICIT_MAX_TAPS = 2_000_000

_SPARSE_MAX = 8      # inputs with this few non-zeros (one-hots) skip the im2col product

_GEOM_KEYS = ("stride", "padding", "dilation", "padding_mode")


# OpenBLAS's thread-count controls, under the names its builds export
# (numpy's and scipy's wheels prefix and suffix them).
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")


_CONTROLS: list[list[tuple[Any, Any]]] = []


def _openblas_controls() -> list[tuple[Any, Any]]:
    """``(get, set)`` of every OpenBLAS this process has loaded (Linux; else none).

    Found once: numpy's own OpenBLAS, the one its products use, is loaded
    with numpy.
    """
    if not _CONTROLS:
        _CONTROLS.append(_find_openblas())
    return _CONTROLS[0]


def _find_openblas() -> list[tuple[Any, Any]]:
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()
                     and ".so" in line}
    except OSError:
        return []
    out = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)           # already loaded: the same handle, no new copy
        except OSError:
            continue
        get = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        put = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        if get is not None and put is not None:
            get.restype, put.restype, put.argtypes = ctypes.c_int, None, [ctypes.c_int]
            out.append((get, put))
    return out


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """OpenBLAS on one thread inside the block, its own count restored after.

    Checking a torch layer alternates torch's calls with the reference's
    matrix products.  After each product OpenBLAS's worker threads keep
    spinning for a while, and torch's threads, which wait for each other
    by spinning too, then share the cores with them: on two cores a torch
    forward and backward was measured 10 to 20 times slower right after a
    product than alone.  On one thread OpenBLAS has no workers to spin.
    Where its controls cannot be found (another BLAS, another platform)
    nothing changes.

    >>> with single_threaded_blas():
    ...     pass
    """
    controls = _openblas_controls()
    before = [get() for get, _ in controls]
    for _, put in controls:
        put(1)
    # The reference's large products then run as two halves in two threads
    # (which wait by blocking, not spinning): see _product.
    token = _TWO_WAY.set(bool(controls) and min(before, default=1) >= 2
                         and (os.cpu_count() or 1) >= 2)
    try:
        yield
    finally:
        _TWO_WAY.reset(token)
        for (_, put), n in zip(controls, before):
            put(max(int(n), 1))


_TWO_WAY: ContextVar[bool] = ContextVar("toeplitz_conv_check_two_way", default=False)
_SPLIT_MIN = 2**24       # multiply-adds below which one thread does the whole product


def _in_two(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """``(first(), second())``, the second in another thread (numpy releases the GIL)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = second()
        except BaseException as exc:     # re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=run, name="toeplitz_conv reference product", daemon=True)
    t.start()
    try:
        part = first()
    finally:
        t.join()
    if "error" in box:
        raise box["error"]
    return part, box["value"]


def _product(a: np.ndarray, b: np.ndarray, *, inner: bool = False) -> np.ndarray:
    """``a @ b`` (2-D), in two halves on two threads inside :func:`single_threaded_blas`.

    The halves split the rows of ``a`` (each writes its rows of the result),
    or with ``inner`` the summed axis (the two partial products are added).
    """
    if not _TWO_WAY.get() or a.shape[0] * a.shape[1] * b.shape[1] < _SPLIT_MIN:
        return a @ b
    if inner:
        h = a.shape[1] // 2
        part, rest = _in_two(lambda: a[:, :h] @ b[:h], lambda: a[:, h:] @ b[h:])
        part += rest
        return part
    h = a.shape[0] // 2
    return np.concatenate(_in_two(lambda: a[:h] @ b, lambda: a[h:] @ b))


# The dtype of the matrix-free reference's products (results are float64 always).
_PRODUCTS: ContextVar[Any] = ContextVar("toeplitz_conv_check_products", default=np.float64)


@contextmanager
def products_in(dtype: Any) -> Iterator[None]:
    """Compute :class:`ImColReference` products in ``dtype`` inside the block.

    The checker asks for float32 only where a check's tolerance is at least
    the one a float32 result gets (:func:`~toeplitz_conv.check._context.dtype_tolerance`):
    the products' own rounding, about ``sqrt(fan_in) * eps`` of the largest
    value, is then an eighth of it or less, and every result is float64.

    >>> import numpy as np
    >>> with products_in(np.float32):
    ...     _PRODUCTS.get().__name__
    'float32'
    """
    token = _PRODUCTS.set(dtype)
    try:
        yield
    finally:
        _PRODUCTS.reset(token)


# The index tables depend on the geometry alone: a few are kept, so that
# checking the same layer again (a sweep, a benchmark) does not rebuild them.
@functools.lru_cache(maxsize=8)
def padded_table(geometry: Geometry) -> np.ndarray:
    """:attr:`Geometry.table` (read-only) with each read of padding (-1) pointing at ``n_in``.

    One past the inputs: the matrix-free products put a zero row there, max
    pooling a ``-inf``.
    """
    t = geometry.table
    out = np.where(t < 0, math.prod(geometry.in_shape), t)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=8)
def _inverse_of(geometry: Geometry) -> list[np.ndarray]:
    """For each input and tap, the output that reads it (``n_out``: none), in layers.

    One layer when no tap reads an input from two positions; reflect
    padding can, and each further reading goes into another layer, so that
    ``A.T @ g`` is a sum of gathers.
    """
    table = padded_table(geometry)
    n_in, n_out = math.prod(geometry.in_shape), math.prod(geometry.out_shape)
    n_k = math.prod(geometry.kernel_shape)
    p, t = np.nonzero(table != n_in)
    key = table[p, t] * n_k + t
    if np.bincount(key, minlength=1).max(initial=0) <= 1:      # one reading each
        inv = np.full((n_in, n_k), n_out, dtype=np.intp)
        inv[key // n_k, t] = p
        layers = [inv]
    else:
        order = np.argsort(key, kind="stable")
        key, p, t = key[order], p[order], t[order]
        rank = np.arange(len(key)) - np.searchsorted(key, key)
        layers = []
        for r in range(int(rank.max(initial=-1)) + 1):
            inv = np.full((n_in, n_k), n_out, dtype=np.intp)
            sel = rank == r
            inv[key[sel] // n_k, t[sel]] = p[sel]
            layers.append(inv)
    for inv in layers:
        inv.flags.writeable = False
    return layers


class _Transposed:
    def __init__(self, parent: ImColReference) -> None:
        self._p = parent
        self.in_shape, self.out_shape = parent.out_shape, parent.in_shape

    def apply(self, g: Any) -> np.ndarray:
        return self._p.rmatvec(g)


class ImColReference:
    """``A @ x``, ``A.T @ g`` and ``A.weight_grad(x, g)`` without building ``A``.

    Parameters
    ----------
    weight : ndarray
        ``(C_out, C_in // groups, *kernel)``.
    geometry : Geometry
        The spatial geometry (:func:`~toeplitz_conv.layers.layer_geometry`).
    c_in, groups : int

    Examples
    --------
    >>> from toeplitz_conv import layer_matrix
    >>> from toeplitz_conv.layers import layer_geometry
    >>> rng = np.random.default_rng(0)
    >>> w, x = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal((2, 6, 5))
    >>> ref = ImColReference(w, layer_geometry((3, 3), (6, 5), stride=2, padding=1), 2)
    >>> bool(np.allclose(ref.apply(x), layer_matrix(w, (2, 6, 5), stride=2, padding=1).apply(x)))
    True
    """

    def __init__(self, weight: np.ndarray, geometry: Geometry, c_in: int, groups: int = 1,
                 _table: np.ndarray | None = None,
                 _inverse: list[list[np.ndarray]] | None = None) -> None:
        self.weight = np.asarray(weight, dtype=np.float64)
        self.geometry = geometry
        self.groups = groups
        self.c_in = c_in
        self.in_shape = (c_in, *geometry.in_shape)
        self.out_shape = (self.weight.shape[0], *geometry.out_shape)
        self.n_in = math.prod(geometry.in_shape)
        self.n_out = math.prod(geometry.out_shape)
        self.n_k = math.prod(geometry.kernel_shape)
        self._table = padded_table(geometry) if _table is None else _table
        # Shared with the copies of with_weight: [] until computed, then [layers].
        self._inverse = [] if _inverse is None else _inverse
        self._cache: list[tuple[np.ndarray, np.ndarray]] = []
        self._rcache: tuple[Any, Any, np.ndarray] | None = None
        self._nz: list[tuple[np.ndarray, list[tuple[int, int, int, float]] | None]] = []

    @property
    def T(self) -> _Transposed:
        # Made on demand: a child holding its parent would be a cycle, and
        # the parent (with its scratch buffers) would then live until the
        # garbage collector's next pass.
        return _Transposed(self)

    def _w(self) -> np.ndarray:
        """The weight in the products' dtype (float64 unless :func:`products_in` says)."""
        return self.weight.astype(_PRODUCTS.get(), copy=False)

    def with_weight(self, weight: np.ndarray) -> ImColReference:
        return ImColReference(weight, self.geometry, self.c_in, self.groups, self._table,
                              self._inverse)

    # ------------------------------------------------------------ layouts
    def _batch(self, v: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, bool]:
        v = np.asarray(v, dtype=np.float64)
        if v.shape == shape:
            return v[None], False
        if v.shape[1:] == shape:
            return v, True
        raise ValueError(f"expected shape {shape} or a batch of them, got {v.shape}")

    def _split(self) -> tuple[int, int]:
        return self.weight.shape[0] // self.groups, self.weight.shape[1]

    def _rows(self, v: np.ndarray, size: int) -> np.ndarray:
        """``(N, C, *spatial)`` as ``(groups, N, size + 1, C // groups)``: channels last.

        Row ``size`` is zero: the table's padded reads (and the inverse
        table's empty slots) point there, so every gather is a plain take of
        whole rows of channels, the fastest gather numpy has.
        """
        n, c = len(v), v.shape[1]
        out = scratch((self.groups, n, size + 1, c // self.groups), _PRODUCTS.get())
        out[:, :, :size] = v.reshape(n, self.groups, c // self.groups, size).transpose(
            1, 0, 3, 2)
        out[:, :, size] = 0.0
        return out

    def _gather(self, rows: np.ndarray, table: np.ndarray) -> np.ndarray:
        """``rows[:, :, table]`` into a scratch buffer (every index is in range)."""
        out = scratch((*rows.shape[:2], *table.shape, rows.shape[3]), rows.dtype)
        return np.take(rows, table, axis=2, out=out, mode="clip")

    def _lanes(self, v: np.ndarray) -> np.ndarray:
        """``(N, C_out, *out)`` as ``(groups, C_out // groups, N * positions)``."""
        n, (cog, _) = len(v), self._split()
        return v.reshape(n, self.groups, cog, self.n_out).transpose(1, 2, 0, 3).reshape(
            self.groups, cog, n * self.n_out)

    def _cols(self, x: np.ndarray) -> np.ndarray:
        """im2col: ``(groups, N * positions, taps * C_in // groups)``; padded reads are zeros.

        The columns of the last two inputs are kept: a check computes the
        forward and the weight gradient of the same inputs.
        """
        dtype = _PRODUCTS.get()
        for held, cols in self._cache:
            if held is x and cols.dtype == dtype:
                return cols
        xb, _ = self._batch(x, self.in_shape)
        n, (_, cig) = len(xb), self._split()
        check_build(n * self.c_in * self.n_out * self.n_k // 4, "im2col buffer")
        cols = self._gather(self._rows(xb, self.n_in), self._table)  # (G, N, pos, taps, C/G)
        cols = cols.reshape(self.groups, n * self.n_out, self.n_k * cig)
        self._cache = [*self._cache[-1:], (x, cols)]
        return cols

    # ------------------------------------------------------------ one-hot inputs
    def _nonzeros(self, xb: np.ndarray) -> list[tuple[int, int, int, float]] | None:
        """``(image, channel, input index, value)`` of a sparse input (a one-hot), else None."""
        for held, found in self._nz:
            if held is xb:
                return found            # the forward and the weight gradient of one input
        flat = xb.reshape(len(xb), self.c_in, self.n_in)
        # A dense input shows it in its first values (the whole count costs
        # more than a product's gather).
        found = None
        if (np.count_nonzero(flat.reshape(-1)[:8 * _SPARSE_MAX]) <= _SPARSE_MAX
                and np.count_nonzero(flat) <= _SPARSE_MAX):
            found = [(int(m), int(c), int(j), float(flat[m, c, j]))
                     for m, c, j in zip(*np.nonzero(flat))]
        self._nz = [*self._nz[-1:], (xb, found)]
        return found

    def _sparse_apply(self, nz: list[tuple[int, int, int, float]], n: int) -> np.ndarray:
        # A one-hot input reads one column of A: the taps that read its index.
        cog, cig = self._split()
        w = self.weight.reshape(self.weight.shape[0], cig, self.n_k)
        y = np.zeros((n, self.weight.shape[0], self.n_out))
        for m, c, j, v in nz:
            gi, cl = divmod(c, cig)
            o, t = np.nonzero(self._table == j)
            cs = slice(gi * cog, (gi + 1) * cog)
            np.add.at(y[m, cs].T, o, v * w[cs, cl][:, t].T)
        return y

    def _sparse_weight_grad(self, nz: list[tuple[int, int, int, float]],
                            gb: np.ndarray) -> np.ndarray:
        cog, cig = self._split()
        out = np.zeros((self.weight.shape[0], cig, self.n_k))
        gf = gb.reshape(len(gb), self.weight.shape[0], self.n_out)
        for m, c, j, v in nz:
            gi, cl = divmod(c, cig)
            o, t = np.nonzero(self._table == j)
            cs = slice(gi * cog, (gi + 1) * cog)
            np.add.at(out[cs, cl].T, t, v * gf[m, cs][:, o].T)
        return out.reshape(self.weight.shape)

    # ------------------------------------------------------------ the three products
    def apply(self, x: Any) -> np.ndarray:
        """``A @ x`` for ``x`` of ``in_shape`` or ``(N, *in_shape)``."""
        xb, batched = self._batch(x, self.in_shape)
        n = len(xb)
        nz = self._nonzeros(xb)
        if nz is not None:
            ys = self._sparse_apply(nz, n).reshape((n, *self.out_shape))
            return ys if batched else ys[0]
        cols = self._cols(x if isinstance(x, np.ndarray) else xb)
        cog, cig = self._split()
        # (G, C_out/G, taps * C/G) with column (tap, channel): the columns' order.
        wm = self._w().reshape(self.groups, cog, cig, self.n_k).transpose(0, 1, 3, 2).reshape(
            self.groups, cog, self.n_k * cig)
        y = np.stack([_product(cols[k], wm[k].T) for k in range(self.groups)])
        y = y.reshape(self.groups, n, self.n_out, cog).transpose(1, 0, 3, 2)
        y = np.ascontiguousarray(y, dtype=np.float64).reshape((n, *self.out_shape))
        return y if batched else y[0]

    def _inverse_layers(self) -> list[np.ndarray]:
        """For each input and tap, the output that reads it (``n_out``: none), in layers."""
        if not self._inverse:
            self._inverse.append(_inverse_of(self.geometry))
        return self._inverse[0]

    @property
    def _tap_count(self) -> int:
        """Stored taps per channel pair: the table's reads that are not padding."""
        return int(np.count_nonzero(self._table != self.n_in))

    def rmatvec(self, g: Any) -> np.ndarray:
        """``A.T @ g``: for each input, the taps that read it, gathered (or scattered)."""
        dtype = _PRODUCTS.get()
        if self._rcache is not None and self._rcache[0] is g and self._rcache[1] == dtype:
            return self._rcache[2]             # the gradient trials reuse one grad_out
        gb, batched = self._batch(g, self.out_shape)
        n = len(gb)
        check_build(n * self.n_in * self.n_k * self.weight.shape[0] // 4, "col2im buffer")
        layers = self._inverse_layers()
        # Gathering reads every (input, tap) slot, empty ones too: a stride
        # leaves most of them empty, and then scattering the taps is cheaper.
        if self._tap_count * 2 >= self.n_in * self.n_k * len(layers):
            dx = self._gathered_rmatvec(gb, layers)
        else:
            dx = self._scattered_rmatvec(gb)
        dx = np.ascontiguousarray(dx, dtype=np.float64).reshape((n, *self.in_shape))
        out = dx if batched else dx[0]
        # Kept, and handed out again, read-only: no caller can change the cached copy.
        out.flags.writeable = False
        self._rcache = (g, dtype, out)
        return out

    def _gathered_rmatvec(self, gb: np.ndarray, layers: list[np.ndarray]) -> np.ndarray:
        n, (cog, cig) = len(gb), self._split()
        rows = self._rows(gb, self.n_out)
        gcols = self._gather(rows, layers[0])         # (G, N, inputs, taps, C_out/G)
        for inv in layers[1:]:
            gcols += rows[:, :, inv]
        gcols = gcols.reshape(self.groups, n * self.n_in, self.n_k * cog)
        # (G, C_in/G, taps * C_out/G) with column (tap, out channel): the gather's order.
        wt = self._w().reshape(self.groups, cog, cig, self.n_k).transpose(0, 2, 3, 1).reshape(
            self.groups, cig, self.n_k * cog)
        dx = np.stack([_product(gcols[k], wt[k].T) for k in range(self.groups)])
        return dx.reshape(self.groups, n, self.n_in, cig).transpose(1, 0, 3, 2).reshape(
            n, self.c_in, self.n_in)

    def _scattered_rmatvec(self, gb: np.ndarray) -> np.ndarray:
        n, (cog, cig) = len(gb), self._split()
        wm = self._w().reshape(self.groups, cog, cig, self.n_k).transpose(0, 1, 3, 2)
        dcols = np.matmul(self._lanes(gb).astype(wm.dtype).transpose(0, 2, 1),
                          wm.reshape(self.groups, cog, self.n_k * cig))
        dcols = dcols.reshape(self.groups, n, self.n_out * self.n_k * cig)
        # dcols[g, m, (p, t, c)] goes to input table[p, t], channel c of group g.
        idx = (self._table[:, :, None] * cig + np.arange(cig)).ravel()
        size = (self.n_in + 1) * cig
        dx = np.stack([np.stack([np.bincount(idx, dcols[k, m], minlength=size)
                                 for k in range(self.groups)]) for m in range(n)])
        dx = dx.reshape(n, self.groups, self.n_in + 1, cig)[:, :, :self.n_in]
        return dx.transpose(0, 1, 3, 2).reshape(n, self.c_in, self.n_in)

    def weight_grad(self, x: Any, g: Any) -> np.ndarray:
        """The weight gradient, summed over positions and over a leading batch axis."""
        xb, _ = self._batch(x, self.in_shape)
        gb, _ = self._batch(g, self.out_shape)
        nz = self._nonzeros(xb)
        if nz is not None:
            return self._sparse_weight_grad(nz, gb)
        cols = self._cols(x if isinstance(x, np.ndarray) else xb)
        cog, cig = self._split()
        lanes = self._lanes(gb).astype(cols.dtype, copy=False)
        out = np.stack([_product(lanes[k], cols[k], inner=True) for k in range(self.groups)])
        out = out.reshape(self.groups, cog, self.n_k, cig).transpose(0, 1, 3, 2)
        return np.ascontiguousarray(out, dtype=np.float64).reshape(self.weight.shape)


Reference = TiedMatrix | ImColReference


def reference(weight: np.ndarray, input_shape: tuple[int, ...], *,
              method: Literal["auto", "matrix", "matrix-free"] = "auto",
              **layer_kwargs: Any) -> Reference:
    """The layer's reference: the explicit matrix when small, else matrix-free.

    ``method="matrix"`` or ``"matrix-free"`` forces one of them.

    >>> w = np.ones((64, 64, 3, 3))
    >>> type(reference(w, (64, 56, 56), padding=1)).__name__
    'ImColReference'
    >>> type(reference(w[:2, :2], (2, 8, 8), padding=1)).__name__
    'TiedMatrix'
    """
    choose(method, "reference", ("auto", "matrix", "matrix-free"))
    if method == "matrix":
        return layer_matrix(weight, input_shape, **layer_kwargs)
    shape, groups = _channels(weight, input_shape, layer_kwargs.get("groups", 1))
    c_out, c_ig = weight.shape[:2]
    as_groups(groups, [(c_out, "the output channels (weight.shape[0])")])
    if c_ig * groups != shape[0]:
        raise ValueError(f"weight.shape[1] * groups must equal the input channels: "
                         f"{c_ig} * {groups} != input_shape[0] = {shape[0]}")
    geom = layer_geometry(weight.shape[2:], shape[1:],
                          **{k: v for k, v in layer_kwargs.items() if k in _GEOM_KEYS})
    taps = c_out * math.prod(geom.out_shape) * c_ig * math.prod(geom.kernel_shape)
    if method == "auto" and taps <= EXPLICIT_MAX_TAPS:
        return layer_matrix(weight, input_shape, **layer_kwargs)
    # Before anything is built: the index table (one entry per output
    # position and kernel tap) and the trial outputs must fit the limits.
    n_out = c_out * math.prod(geom.out_shape)
    check_build(math.prod(geom.out_shape) * math.prod(geom.kernel_shape),
                "matrix-free reference", n_rows=n_out)
    check_dense((n_out,), 8)
    return ImColReference(weight, geom, shape[0], groups)

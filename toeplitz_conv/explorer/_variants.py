"""The data of the explorer's variants: taps, windows and where each cell sits.

A *family* (the signal convention of :func:`~toeplitz_conv.conv_matrix`, the
layer convention of :func:`~toeplitz_conv.layer_matrix`) lists the switches
the page offers and builds the JSON-ready data of one combination of them.
The matrix always comes from the family's builder and every index from the
geometry core (:class:`~toeplitz_conv.geometry.Geometry`), so the page shows
exactly what the library computes.  Positions here are in grid cells; the
page (:mod:`._page`) turns them into pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .._validation import as_int_tuple, choose
from ..geometry import (
    Geometry,
    channel_map,
    full_padding,
    layer_geometry,
    resolve_padding,
    signal_geometry,
)
from ..layers import layer_matrix
from ..palette import text_color, weight_colors
from ..signal import SIGNAL_MODES, conv_matrix, validate_signal_args
from ..tied import TiedMatrix
from ._numbers import fmt_number, gradient, numbers, random_grad_out

__all__ = ["Family", "TooLarge", "fmt_number", "layer_family", "numbers", "signal_family",
           "suggest", "weight_data", "window_products", "window_weights"]

#: A selection: switch name -> the key of the chosen value.
Selection = dict[str, str]
#: ``(selection, input shape) -> (rows, columns)`` of the matrix, without building it.
Sizes = Callable[[Selection, tuple[int, ...]], tuple[int, int]]

#: The padding switch's value meaning "full": ``dilation * (k - 1)``, known
#: only once the dilation switch is read.
_FULL = "full"


class ZeroInserted(NamedTuple):
    """A transposed layer's input drawn zero-inserted (see :mod:`._transposed`)."""

    #: The input's spatial shape.
    in_shape: tuple[int, ...]
    #: For each cell of the zero-inserted grid (flat, C order), the flat input it holds, or -1.
    z_input: np.ndarray

    def read(self, table: np.ndarray) -> np.ndarray:
        """A table over the zero-inserted grid as the inputs it reads (``-1``: a zero)."""
        return np.where(table >= 0, self.z_input[np.maximum(table, 0)], -1)


class TooLarge(ValueError):
    """A variant's matrix has more rows or columns than the page draws legibly."""


class Family(NamedTuple):
    """What :func:`explore` needs of a convention."""

    #: The switches, JSON-ready: ``[{"name", "label", "values": [{"value", "label"}]}]``.
    axes: list[dict[str, Any]]
    #: The selection asked for.
    initial: Selection
    #: The data of one variant (raises :class:`TooLarge`, ``ValueError``, ``TypeError``).
    build: Callable[[Selection], dict[str, Any]]
    #: The matrix size of a selection on another input shape (for suggestions).
    sizes: Sizes


@dataclass(frozen=True)
class _Switch:
    """One row of buttons: ``(key, label, value)`` choices, the first of equal keys kept."""

    name: str
    label: str
    choices: Sequence[tuple[str, str, Any]]

    def json(self) -> dict[str, Any]:
        seen: dict[str, str] = {}
        for key, label, _ in self.choices:
            seen.setdefault(key, label)
        return {"name": self.name, "label": self.label,
                "values": [{"value": k, "label": lab} for k, lab in seen.items()]}

    def value(self, key: str) -> Any:
        return next(v for k, _, v in self.choices if k == key)


def _compact(t: tuple[int, ...]) -> str:
    """A button key: ``(2, 2)`` -> ``"2"``, ``(2, 1)`` -> ``"2,1"``."""
    return str(t[0]) if len(set(t)) == 1 else ",".join(str(x) for x in t)


def _int_choices(nd: int, given: tuple[int, ...]) -> list[tuple[str, str, Any]]:
    """Buttons 1, 2 and the value asked for (one int per axis)."""
    return [(_compact(t), _compact(t), t) for t in ((1,) * nd, (2,) * nd, given)]


def _pairs_label(pairs: Sequence[Sequence[int]]) -> str:
    """``((0, 1), (2, 0))`` -> ``"(0,1),(2,0)"``."""
    return ",".join(f"({b},{a})" for b, a in pairs)


def _padding_text(padding: Any) -> str:
    """A padding as the page writes it: ``'same'``, ``2``, ``1,2`` or ``(0,1),(2,0)``."""
    if isinstance(padding, str):
        return repr(padding)
    if padding and isinstance(padding[0], (tuple, list)):
        return _pairs_label(padding)
    return _compact(tuple(padding))


def _check_side(m: int, n: int, max_side: int) -> None:
    if max(m, n) > max_side:
        raise TooLarge(f"the matrix would be {m} x {n}, more than the explorer draws "
                       f"legibly (max_side={max_side} rows or columns)")


#: ``rows -> dL/dy`` of a variant with that many rows (None: the page draws a random one).
GradFor = Callable[[int], np.ndarray | None]


def signal_family(k: np.ndarray, shape: tuple[int, ...], mode: str, correlate: bool,
                  boundary: str, stride: Any, max_side: int,
                  x: np.ndarray | None = None, grad_for: GradFor | None = None) -> Family:
    """Variants of :func:`~toeplitz_conv.conv_matrix` with ``stride``.

    Switches: mode, convolution/cross-correlation, stride (1, 2, asked) and
    boundary (fill, asked).
    """
    nd = k.ndim
    s0 = as_int_tuple(stride, nd, "stride", minimum=1)
    switches = [
        _Switch("mode", "mode", [(m, m, m) for m in SIGNAL_MODES]),
        _Switch("op", "operation", [("conv", "convolution", False),
                                    ("corr", "cross-correlation", True)]),
        _Switch("stride", "stride", _int_choices(nd, s0)),
        _Switch("boundary", "boundary", [("fill", "fill (zeros)", "fill"),
                                         (boundary, boundary, boundary)]),
    ]
    initial = {"mode": mode, "op": "corr" if correlate else "conv", "stride": _compact(s0),
               "boundary": boundary}

    def args(sel: Selection) -> dict[str, Any]:
        values = {s.name: s.value(sel[s.name]) for s in switches}
        return {"mode": values["mode"], "correlate": values["op"],
                "boundary": values["boundary"], "stride": values["stride"]}

    def geometry(sel: Selection, in_shape: tuple[int, ...]) -> Geometry:
        a = args(sel)
        kk, sh = validate_signal_args(k, in_shape, a["mode"], a["correlate"], a["boundary"])
        return signal_geometry(kk.shape, sh, a["mode"], a["boundary"], a["stride"],
                               correlate=a["correlate"])

    def sizes(sel: Selection, in_shape: tuple[int, ...]) -> tuple[int, int]:
        g = geometry(sel, in_shape)
        return int(np.prod(g.out_shape)), int(np.prod(g.in_shape))

    def build(sel: Selection) -> dict[str, Any]:
        a = args(sel)
        geom = geometry(sel, shape)
        # Refuse before building: the builder would happily make a huge matrix.
        _check_side(*sizes(sel, shape), max_side)
        mat = conv_matrix(k, shape, a["mode"], correlate=a["correlate"],
                          boundary=a["boundary"], stride=a["stride"])
        what = "cross-correlation" if a["correlate"] else "convolution"
        title = (f"{what}, mode='{a['mode']}', boundary='{a['boundary']}', "
                 f"stride {sel['stride']}")
        params = {"mode": a["mode"], "correlate": a["correlate"], "boundary": a["boundary"],
                  "stride": list(a["stride"])}

        def probe(chans: np.ndarray) -> np.ndarray:
            return window_weights(conv_matrix(k, shape, "full", correlate=a["correlate"]),
                                  signal_geometry(k.shape, shape, "full").table,
                                  int(np.prod(shape)), chans)
        m = mat.shape[0]
        return variant_data(mat, geom, flip=not a["correlate"], c_out=1, c_in=1, groups=1,
                            title=title, params=params, x=x,
                            grad_out=None if grad_for is None else grad_for(m), probe=probe)

    return Family([s.json() for s in switches], initial, build, sizes)


def layer_family(w: np.ndarray, shape: tuple[int, ...], mode: str, stride: Any,
                 dilation: Any, padding: Any, padding_mode: str, groups: int,
                 max_side: int, x: np.ndarray | None = None,
                 grad_for: GradFor | None = None) -> Family:
    """Variants of :func:`~toeplitz_conv.layer_matrix`.

    Switches: padding (valid, same, full, asked — per-side pairs included),
    stride (1, 2, asked), dilation (1, 2, asked) and padding_mode (zeros,
    asked).  Without ``padding``, ``mode`` names it.
    """
    nd = w.ndim - 2
    kernel = w.shape[2:]
    s0 = as_int_tuple(stride, nd, "stride", minimum=1)
    d0 = as_int_tuple(1 if dilation is None else dilation, nd, "dilation", minimum=1)
    asked: tuple[str, str, Any]
    if padding is None:
        asked = (mode, mode, _FULL if mode == "full" else mode)
    elif isinstance(padding, str):
        choose(padding, "padding", ("valid", "same"))
        asked = (padding, padding, padding)
    else:
        pairs = resolve_padding(padding, kernel, allow_strings=False)
        if all(b == a for b, a in pairs):
            sym = tuple(b for b, _ in pairs)
            asked = (_compact(sym), _compact(sym), sym)
        else:
            asked = (_pairs_label(pairs), _pairs_label(pairs), pairs)
    switches = [
        _Switch("padding", "padding", [("valid", "valid (0)", "valid"), ("same", "same", "same"),
                                       ("full", "full (k-1)", _FULL), asked]),
        _Switch("stride", "stride", _int_choices(nd, s0)),
        _Switch("dilation", "dilation", _int_choices(nd, d0)),
        _Switch("padding_mode", "padding_mode", [("zeros", "zeros", "zeros"),
                                                 (padding_mode, padding_mode, padding_mode)]),
    ]
    initial = {"padding": asked[0], "stride": _compact(s0), "dilation": _compact(d0),
               "padding_mode": padding_mode}

    def kwargs(sel: Selection) -> dict[str, Any]:
        values = {s.name: s.value(sel[s.name]) for s in switches}
        pad = values["padding"]
        if pad == _FULL:
            pad = tuple(full_padding(kk, d) for kk, d in zip(kernel, values["dilation"]))
        return {"stride": values["stride"], "dilation": values["dilation"], "padding": pad,
                "padding_mode": values["padding_mode"]}

    def sizes(sel: Selection, in_shape: tuple[int, ...]) -> tuple[int, int]:
        g = layer_geometry(kernel, in_shape[1:], **kwargs(sel))
        return (w.shape[0] * int(np.prod(g.out_shape)),
                in_shape[0] * int(np.prod(g.in_shape)))

    def build(sel: Selection) -> dict[str, Any]:
        kw = kwargs(sel)
        geom = layer_geometry(kernel, shape[1:], **kw)
        _check_side(*sizes(sel, shape), max_side)
        mat = layer_matrix(w, shape, groups=groups, **kw)
        title = (f"layer (cross-correlation), padding={_padding_text(kw['padding'])}, "
                 f"padding_mode='{kw['padding_mode']}', stride {sel['stride']}, "
                 f"dilation {sel['dilation']}")
        pad = kw["padding"]
        params = {"stride": list(kw["stride"]), "dilation": list(kw["dilation"]),
                  "padding": pad if isinstance(pad, str)
                  else [list(p) if isinstance(p, tuple) else p for p in pad],
                  "padding_mode": kw["padding_mode"], "groups": groups}

        def probe(chans: np.ndarray) -> np.ndarray:
            full = tuple(full_padding(kk, d) for kk, d in zip(kernel, kw["dilation"]))
            pa = layer_matrix(w, shape, groups=groups, dilation=kw["dilation"], padding=full)
            pg = layer_geometry(kernel, shape[1:], dilation=kw["dilation"], padding=full)
            return window_weights(pa, pg.table, int(np.prod(shape[1:])), chans)
        m = mat.shape[0]
        return variant_data(mat, geom, flip=False, c_out=w.shape[0], c_in=shape[0],
                            groups=groups, title=title, params=params, x=x,
                            grad_out=None if grad_for is None else grad_for(m), probe=probe)

    return Family([s.json() for s in switches], initial, build, sizes)


def _index_label(prefix: str, idx: Sequence[int]) -> str:
    return f"{prefix}[{','.join(str(int(i)) for i in idx)}]"


def _short(prefix: str, idx: Sequence[Any]) -> str:
    """A cell label: ``x3``, ``x1,2``."""
    return prefix + ",".join(str(i) for i in idx)


def window_weights(a: TiedMatrix, table: np.ndarray, n_in: int, chans: np.ndarray) -> np.ndarray:
    """The weight index of every (output channel, input channel of its group, kernel tap).

    Read from the matrix's own taps: where a row reads an input column
    through exactly one tap, that tap's weight is the one its window position
    multiplies.  ``-1`` where no row of this matrix tells (a tap that only
    ever meets the padding, or always reads an input a second time through
    the padding).

    Parameters
    ----------
    a : TiedMatrix
    table : ndarray
        ``(outputs, taps)``: the flat input (of one channel, ``n_in`` samples)
        each window position reads, ``-1`` for a zero; a geometry's
        :attr:`~toeplitz_conv.geometry.Geometry.table`.
    n_in : int
    chans : ndarray
        ``channel_map(c_out, c_in, groups)``: the input channel of each
        (output channel, group member).

    >>> from toeplitz_conv import conv_matrix
    >>> from toeplitz_conv.geometry import signal_geometry
    >>> g = signal_geometry((3,), (4,), "full", "fill", (1,))
    >>> window_weights(conv_matrix([5, 6, 7], 4), g.table, 4, np.zeros((1, 1), int)).tolist()
    [[[2, 1, 0]]]
    """
    rows, cols, widx = a.taps
    n = a.shape[1]
    c_out, c_ig = chans.shape
    n_out, n_k = table.shape
    keys = rows * n + cols
    uk, first, counts = np.unique(keys, return_index=True, return_counts=True)
    row = np.arange(c_out * n_out).reshape(c_out, n_out)[:, :, None, None]
    key = row * n + chans[:, None, :, None] * n_in + table[None, :, None, :]
    at = np.minimum(np.searchsorted(uk, key), max(len(uk) - 1, 0))
    found = (table[None, :, None, :] >= 0) & (uk[at] == key) & (counts[at] == 1) \
        if len(uk) else np.zeros(key.shape, bool)
    o, _, j, t = np.nonzero(found)
    vals = widx[first[at[found]]]
    wmap = np.full((c_out, c_ig, n_k), -1, dtype=np.int64)
    wmap[o, j, t] = vals
    if np.any(wmap[o, j, t] != vals):
        raise RuntimeError("the matrix ties one window position to two weights")
    return wmap


def _check_windows(win: np.ndarray, rows: np.ndarray, cols: np.ndarray, widx: np.ndarray,
                   nd: int) -> None:
    """The windows' reads, with their weights, must be exactly the matrix's taps."""
    m = win.shape[0]
    r = np.broadcast_to(np.arange(m)[:, None], win.shape[:2])
    src, w = win[..., 1 + nd], win[..., 2 + nd]
    keep = src >= 0
    got = np.stack([r[keep], src[keep], w[keep]])
    ref = np.stack([rows, cols, widx])
    same = got.shape == ref.shape and np.array_equal(
        got[:, np.lexsort(got[::-1])], ref[:, np.lexsort(ref[::-1])])
    if not same:
        raise RuntimeError("the explorer's windows disagree with the matrix's taps")


def window_products(a: TiedMatrix, x: np.ndarray, win: np.ndarray, nd: int) -> list[list[str]]:
    """Each window position's product ``weight · input`` (``0`` on a zero), as the page prints it.

    The products of a row's window sum to its output: they are the terms of
    ``A @ x`` for that row, one per tap (plus the zeros of the padding).
    """
    src, w = win[..., 1 + nd], win[..., 2 + nd]
    wv = np.asarray(a.weight, float).ravel()
    prod = np.where(src >= 0, wv[np.maximum(w, 0)] * x[np.maximum(src, 0)], 0.0)
    return [[fmt_number(v) for v in row] for row in prod.tolist()]


def variant_data(a: TiedMatrix, geom: Geometry, *, flip: bool, c_out: int, c_in: int,
                 groups: int, title: str, params: dict[str, Any],
                 x: np.ndarray | None = None, grad_out: np.ndarray | None = None,
                 probe: Callable[[np.ndarray], np.ndarray] | None = None,
                 view: ZeroInserted | None = None) -> dict[str, Any]:
    """The JSON-ready data of one variant: taps, windows, labels and cell-grid places.

    Parameters
    ----------
    a : TiedMatrix
        The builder's matrix; its taps are embedded as they are.
    geom : Geometry
        Its geometry (spatial axes), the source of every window and padded cell.
    flip : bool
        True for a convolution (the page also draws the flipped kernel).
    c_out, c_in, groups : int
        Channels (1, 1, 1 in the signal convention).
    title : str
    params : dict
        The builder's arguments, for the tests and the page's tooltips.
    x : ndarray or None
        Input values (flat, C order): ``numbers`` then holds them, ``y = A x``
        computed by the matrix, and each output's sum written out.
    grad_out : ndarray or None
        ``dL/dy`` (flat) for the gradient view; random small integers if None.
    probe : callable, optional
        ``chans -> window weights`` of the zero-padded 'full' matrix of the
        same kernel (see :func:`window_weights`), asked only for window
        positions this matrix does not tie to a weight unambiguously.
    view : ZeroInserted, optional
        A transposed layer: ``geom`` is then the stride-1 correlation over the
        zero-inserted input, and ``view`` says which of its cells are inputs.

    Returns
    -------
    dict
        ``taps``, ``win`` (per row: ``[in channel, *position, input read, weight]``),
        ``grid`` (per padded-input cell: ``[channel, *position, input read,
        inside, label]``), labels, channel ``blocks`` of the matrix, and
        ``place``: the natural panel's positions in grid cells.
    """
    nd = len(geom.axes)
    n_out, n_k = int(np.prod(geom.out_shape)), int(np.prod(geom.kernel_shape))
    in_shape = geom.in_shape if view is None else view.in_shape
    n_in = int(np.prod(in_shape))
    m, n = a.shape
    rows, cols, widx = a.taps

    # Windows: for every row (out channel, output), every (in channel, tap);
    # the weight each tap multiplies is read from the matrix's own taps.
    pos = geom.window_positions()                             # (n_out, n_k, nd)
    table = geom.table if view is None else view.read(geom.table)   # (n_out, n_k)
    chans = channel_map(c_out, c_in, groups)                  # (c_out, c_ig)
    c_ig = chans.shape[1]
    wmap = window_weights(a, table, n_in, chans)
    if np.any(wmap < 0) and probe is not None:
        # taps this variant never reads unambiguously: the zero-padded 'full'
        # matrix of the same kernel reads every tap once
        wmap = np.where(wmap < 0, probe(chans), wmap)
    ci = chans[:, None, :, None]                              # (c_out, 1, c_ig, 1)
    t_read = table[None, :, None, :]
    src = np.where(t_read >= 0, ci * n_in + t_read, -1)
    full = (c_out, n_out, c_ig, n_k)
    win = np.concatenate([
        np.broadcast_to(ci, full)[..., None],
        np.broadcast_to(pos[None, :, None, :, :], full + (nd,)),
        np.broadcast_to(src, full)[..., None],
        np.broadcast_to(wmap[:, None], full)[..., None]], axis=-1).reshape(m, c_ig * n_k, nd + 3)
    _check_windows(win, rows, cols, widx, nd)

    # The drawn input: every channel over its padded extent.
    pm = geom.padded_map()
    flat_of, mapped_of, inside_of = pm.flat, pm.mapped, pm.inside
    if view is not None:
        # the zero-inserted grid: a cell is an input sample or an inserted/padding zero
        flat_of = view.z_input[pm.flat]
        inside_of = flat_of >= 0
        mapped_of = np.stack(np.unravel_index(np.maximum(flat_of, 0), in_shape), axis=-1)
    before = np.array([ax.pad_before for ax in geom.axes])
    ext = [ax.padded_size for ax in geom.axes]
    grid, grid_at = [], []
    for ch in range(c_in):
        for p, mp, f, ins in zip(pm.coords.tolist(), mapped_of.tolist(), flat_of.tolist(),
                                 inside_of.tolist()):
            col = ch * n_in + f if f >= 0 else -1
            cell = [p[d] + before[d] for d in range(nd)]
            # 1-D: one row per channel; 2-D: the channels' grids side by side.
            grid_at.append([cell[0], ch] if nd == 1 else
                           [ch * (ext[1] + 1) + cell[1], cell[0]])
            # the channel is in the caption of each channel's grid
            label = _short("x", p if view is None else mp) if ins else (
                "0" if col < 0 else _short("x", mp))
            grid.append([ch, *p, col, int(ins), label])

    # Each row's window outline on the grid: per input channel it reads, the
    # box [x0, y0, x1, y1] (grid cells) around its (dilated) positions.
    lo, hi = pos.min(axis=1) + before, pos.max(axis=1) + before + 1     # (n_out, nd)
    o_ch, o_flat = np.unravel_index(np.arange(m), (c_out, n_out))
    chs = chans[o_ch]                                                   # (m, c_ig)
    lo_r, hi_r = lo[o_flat][:, None, :], hi[o_flat][:, None, :]         # (m, 1, nd)
    if nd == 1:
        box = [lo_r[..., 0] + 0 * chs, chs, hi_r[..., 0] + 0 * chs, chs + 1]
    else:
        # the channels' grids stand side by side, ext[1] + 1 cells apart
        off = chs * (ext[1] + 1)
        box = [off + lo_r[..., 1], lo_r[..., 0] + 0 * chs, off + hi_r[..., 1],
               hi_r[..., 0] + 0 * chs]
    frames = np.stack(box, axis=-1).tolist()                            # (m, c_ig, 4)

    # Outputs, placed under (1-D) or beside (2-D) the input.
    outs_at = []
    out_idx = np.unravel_index(np.arange(m), (c_out, *geom.out_shape))
    for r in range(m):
        o = [int(v[r]) for v in out_idx[1:]]
        ch = int(out_idx[0][r])
        if nd == 1:
            # centred under the window it reads
            o_pos = pos[o[0], :, 0]
            outs_at.append([(o_pos[0] + o_pos[-1]) / 2 + before[0], c_in + 0.75 + ch])
        else:
            outs_at.append([c_in * (ext[1] + 1) + 1 + ch * (geom.out_shape[1] + 1) + o[1],
                            o[0] + (ext[0] - geom.out_shape[0]) / 2])
    chan_in = c_in > 1
    chan_out = c_out > 1
    row_labels = [_index_label("y", (tuple(int(v[r]) for v in out_idx) if chan_out
                                     else tuple(int(v[r]) for v in out_idx[1:])))
                  for r in range(m)]
    in_idx = np.unravel_index(np.arange(n), (c_in, *in_shape))
    col_labels = [_index_label("x", (tuple(int(v[c]) for v in in_idx) if chan_in
                                     else tuple(int(v[c]) for v in in_idx[1:])))
                  for c in range(n)]
    captions: list[list[Any]] = []
    for ch in range(c_in):
        name = f"x[{ch}]" if chan_in else "x"
        captions.append([-0.25, ch + 0.5, name, "end"] if nd == 1
                        else [ch * (ext[1] + 1), -0.45, name, "start"])
    for ch in range(c_out):
        name = f"y[{ch}]" if chan_out else "y"
        captions.append([-0.25, c_in + 1.25 + ch, name, "end"] if nd == 1 else
                        [c_in * (ext[1] + 1) + 1 + ch * (geom.out_shape[1] + 1),
                         (ext[0] - geom.out_shape[0]) / 2 - 0.45, name, "start"])
    col_short = [_short("x", lab[2:-1].split(",")) for lab in col_labels]
    blocks = []
    if chan_in or chan_out:
        blocks = [[o * n_out, i * n_in, n_out, n_in]
                  for o in range(c_out) for i in range(c_in)]
    # A 2-D matrix is doubly block: one block per (output row, input row) pair.
    sub: list[list[int]] = []
    if nd == 2:
        ro, ri = geom.out_shape[1], in_shape[1]
        sub = [[r0, c0, ro, ri] for r0 in range(0, m, ro) for c0 in range(0, n, ri)]
    return {
        "title": f"{title}: A is {m} x {n}",
        "params": params,
        "m": m, "n": n, "nd": nd,
        "taps": np.stack([rows, cols, widx], axis=1).tolist(),
        "win": win.tolist(),
        "grid": grid,
        "row_labels": row_labels,
        "col_labels": col_labels,
        "row_short": [_short("y", lab[2:-1].split(",")) for lab in row_labels],
        "col_short": col_short,
        "out_short": [_short("y", [int(v[r]) for v in out_idx[1:]]) for r in range(m)],
        "blocks": blocks,
        "block_labels": [f"({o},{i})" for o in range(c_out) for i in range(c_in)]
        if blocks else [],
        "sub": sub,
        "flip": bool(flip),
        "numbers": None if x is None else dict(numbers(a, x, rows, cols, widx),
                                               prods=window_products(a, x, win, nd)),
        "grad": gradient(a, x, random_grad_out(m) if grad_out is None else grad_out,
                         rows, cols, widx, col_short, grad_out is None),
        "nav": {"in_row": int(in_shape[-1]) if nd == 2 else 0,
                "out_row": int(geom.out_shape[-1]) if nd == 2 else 0},
        "boundary": geom.axes[0].boundary,
        "transposed": view is not None,
        "place": {
            "grid": [[float(x) for x in at] for at in grid_at],
            "outs": [[float(x) for x in at] for at in outs_at],
            "frames": frames,
            "captions": captions,
            "w": float(ext[0] if nd == 1 else
                       c_in * (ext[1] + 1) + 1 + c_out * (geom.out_shape[1] + 1)),
            "h": float(c_in + 0.75 + c_out if nd == 1 else max(ext[0], geom.out_shape[0])),
        },
        # a narrow window: 2-D output grids under the input grids, not beside them
        "place_narrow": None if nd == 1 else _stacked(grid_at, outs_at, frames, captions, c_in,
                                                      ext, geom.out_shape),
    }


def _stacked(grid_at: list[list[float]], outs_at: list[list[float]], frames: list[Any],
             captions: list[list[Any]], c_in: int, ext: list[int],
             out_shape: tuple[int, ...]) -> dict[str, Any]:
    """The 2-D natural panel's places with the output grids one row under the input grids.

    The beside-layout puts the outputs ``c_in * (ext[1] + 1) + 1`` cells to the
    right, centred on the input's height; here they start at the left edge,
    one cell (the caption's room) below the tallest input grid.
    """
    shift = c_in * (ext[1] + 1) + 1
    centre = (ext[0] - out_shape[0]) / 2
    down = ext[0] + 1

    def move(x: float, y: float) -> list[float]:
        return [x - shift, y - centre + down]

    c_out = len(captions) - c_in
    return {
        "grid": grid_at,
        "frames": frames,
        "outs": [move(x, y) for x, y in outs_at],
        "captions": captions[:c_in] + [[*move(x, y), text, anchor]
                                       for x, y, text, anchor in captions[c_in:]],
        "w": float(max(c_in * (ext[1] + 1), c_out * (out_shape[1] + 1)) - 1),
        "h": float(down + out_shape[0]),
    }


def suggest(sizes: Sizes, sel: Selection, shape: tuple[int, ...], spatial_from: int,
            max_side: int) -> str:
    """The largest input shape (shrinking every spatial size alike) that fits."""
    # The matrix has a column per input element, so no spatial size above
    # max_side fits: start there, not at a (possibly astronomical) input size.
    for t in range(min(max(shape[spatial_from:]) - 1, max_side), 0, -1):
        cand = shape[:spatial_from] + tuple(min(s, t) for s in shape[spatial_from:])
        try:
            if max(sizes(sel, cand)) <= max_side:
                return f"input_shape={cand if len(cand) > 1 else cand[0]}"
        except ValueError:
            continue
    return "a smaller input_shape (and kernel)"


def weight_data(w: np.ndarray, layer: bool) -> dict[str, Any]:
    """Names, values, colours and grid places of the kernel's weights (flat C order)."""
    values = w.ravel()
    if layer:
        c_out, c_ig, *kernel = w.shape
    else:
        c_out, c_ig, kernel = 1, 1, list(w.shape)
    kh, kw = (1, kernel[0]) if len(kernel) == 1 else kernel
    # Above 12 weights: one hue family per (output, input) channel pair (a
    # Toeplitz block of the matrix), or per kernel row of a 2-D kernel; the
    # cells carry the weight names, which tell close colours apart.
    block = kh * kw if layer else (kw if len(kernel) == 2 else None)
    colors = weight_colors(values.size, block=block)
    idx = np.unravel_index(np.arange(values.size), (c_out, c_ig, kh, kw))
    names, place = [], []
    for i in range(values.size):
        o, c, y, x = (int(v[i]) for v in idx)
        # weight channels side by side, output channels stacked, half a cell apart
        place.append([c * (kw + 0.5) + x, o * (kh + 0.5) + y])
        names.append(f"w{i}")
    full_idx = np.unravel_index(np.arange(values.size), w.shape)
    return {
        "names": names,
        "values": [fmt_number(v) for v in values.tolist()],
        "index": [_index_label("w", tuple(int(v[i]) for v in full_idx))
                  for i in range(values.size)],
        "colors": colors,
        "text": [text_color(c) for c in colors],
        "place": {"cells": place, "w": c_ig * (kw + 0.5) - 0.5, "h": c_out * (kh + 0.5) - 0.5,
                  "cols": kw},
    }

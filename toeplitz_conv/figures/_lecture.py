"""The remaining lecture illustrations (Goodfellow et al. chapter 9 and the lecture's slides).

Dense against convolutional weights, tiled and locally connected layers,
channels, pooling with a stride and its invariance, depth under 'valid' and
'same', and the slides' two sliding-window illustrations.  As everywhere in
this package, which weight sits where is read from the builders' taps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._typing import IntOrTuple
from .._validation import as_positive_int, as_shape, to_numpy
from ..layers import layer_matrix
from ..local import locally_connected_matrix, tiled_conv_matrix
from ..palette import ZERO_COLOR, pool_colors, weight_colors, weight_fills
from ..signal import conv_matrix
from ..tied import TiedMatrix
from ._canvas import _FONT, _TITLE, Slide, _Canvas, _columns, _grid_extent, _styled, _text_scale
from ._data import (
    _check_cells,
    _check_input_size,
    _check_layer,
    _check_signal,
    _fmt,
    _kernel,
    _plain_label,
    _symbol_names,
    row_expression,
    tie_grid,
    weight_labels,
)
from ._network import _full_taps_matrix, _network
from ._notes import diagonal_note

__all__ = ["channels", "fully_connected_vs_conv", "kernel_feature_map",
           "locally_connected_vs_tiled", "pooling_invariance", "pooling_stride",
           "sliding_window_frames", "valid_vs_same_depth"]

_HIGHLIGHT = "#D00000"
# Kernels are named by Greek letters: Latin ones would read as the inputs a, b, c, ...
_KERNEL_LETTERS = (r"\alpha", r"\beta", r"\gamma", r"\delta", r"\epsilon", r"\zeta",
                   r"\eta", r"\theta", r"\kappa", r"\lambda", r"\mu", r"\nu", r"\xi",
                   r"\pi", r"\rho", r"\sigma", r"\tau", r"\phi", r"\chi", r"\psi",
                   r"\omega")


def _kernel_name(kernel: int, tap: int) -> str:
    """``α_0``, ``β_1``, ...: kernel ``kernel``'s tap ``tap``; past ω, ``w^(21)_0``."""
    if kernel < len(_KERNEL_LETTERS):
        return f"${_KERNEL_LETTERS[kernel]}_{{{tap}}}$"
    return f"$w^{{({kernel})}}_{{{tap}}}$"


def _kernel_names(kernels: int, size: int) -> list[str]:
    """Names of ``kernels`` kernels' taps: ``α_0, α_1, ..., β_0, ...`` (:func:`_kernel_name`)."""
    return [_kernel_name(j // size, j % size) for j in range(kernels * size)]


def _row_terms(A: TiedMatrix, row: int, names: Sequence[str], inputs: Sequence[str]
               ) -> tuple[str, str]:
    """(terms, what is drawn) of one output, in input order (:func:`._data.row_expression`).

    The drawn text ends in ``= value`` when every factor is a number, the
    value being the matrix's.
    """
    terms, value = row_expression(A, row, names, inputs)
    terms = _plain_label(terms)
    return terms, terms if value is None else f"{terms} = {_fmt(value)}"


@_styled
def fully_connected_vs_conv(kernel: ArrayLike = (1, 2, 3), input_shape: int = 5, *,
                            labels: str | Sequence[str] = "symbols",
                            slide: Slide | None = None, title: bool = True) -> Figure:
    """A dense ``W`` (every entry its own parameter) beside the banded convolution matrix.

    Both map the same ``n`` inputs to the same ``m`` outputs ('valid'
    correlation, as a CNN layer computes): the slide's "h = σ(Wᵀx + b) for a
    specific kind of W".

    Examples
    --------
    >>> d = fully_connected_vs_conv()._toeplitz_data
    >>> d["W"]["tie"].shape, d["parameters"]
    ((3, 5), {'dense': 15, 'conv': 3})
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, "valid", correlate=True)
    A = conv_matrix(k, input_shape, "valid", correlate=True)
    m, n = A.shape
    W = _full_taps_matrix(m, n)
    # every entry its own weight, labelled "row,col"; above 12 weights one
    # hue family per row (the weights of one output)
    tw, lw = tie_grid(W, [f"{r},{c}" for r in range(m) for c in range(n)])
    names = weight_labels(k, labels)
    ta, la = tie_grid(A, names)
    top = 3.0
    width = 2 * n + 4
    cv = _Canvas(width, top + m + 2.8, slide=slide, title=title)
    cv.title(width / 2, 0.7, "Fully connected vs convolution")
    cv.subtitle(width / 2, top + m + 1.8, diagonal_note(A, names))
    cv.subtitle(width / 2, 1.55, "h = σ(Wᵀx + b) for a specific kind of W")
    data = cv.data
    data["W"] = cv.matrix(1, top, tw, lw, m * n, block=n)
    data["W"]["matrix"] = W
    data["A"] = cv.matrix(n + 3, top, ta, la, k.size)
    data["A"]["matrix"] = A
    cv.text(1 + n / 2, top - 0.5, "dense W", size=_TITLE)
    cv.text(n + 3 + n / 2, top - 0.5, "convolution", size=_TITLE)
    cv.text(1 + n / 2, top + m + 0.7, f"{m * n} parameters", size=_FONT)
    cv.text(n + 3 + n / 2, top + m + 0.7, f"{k.size} parameters", size=_FONT)
    data["parameters"] = {"dense": m * n, "conv": int(k.size)}
    return cv.fig


@_styled
def locally_connected_vs_tiled(kernel_size: int = 3, input_shape: int = 5, *,
                               tiles: int = 2,
                               slide: Slide | None = None, title: bool = True) -> Figure:
    """Convolution, tiled convolution (``tiles`` kernels) and a locally connected layer.

    The three matrices have the same sparsity; they differ in the tying
    (Goodfellow et al. fig. 9.16): one kernel shared everywhere, ``tiles``
    kernels taking turns, a kernel of its own for every output.

    Examples
    --------
    >>> d = locally_connected_vs_tiled()._toeplitz_data
    >>> [d[k]["tie"][2].tolist() for k in ("convolution", "tiled", "locally connected")]
    [[-1, -1, 0, 1, 2], [-1, -1, 0, 1, 2], [-1, -1, 6, 7, 8]]
    """
    k = as_positive_int(kernel_size, "kernel_size")
    n = as_positive_int(input_shape, "input_shape")
    t = as_positive_int(tiles, "tiles")
    if k > n:
        raise ValueError(f"kernel_size must be at most input_shape ({n}), got {k}")
    out = _check_layer((k,), (n,))
    m = out[0]
    if t > m:
        raise ValueError(f"tiles must be at most the {m} outputs (a kernel for each), got {t}")
    mats = {
        "convolution": (layer_matrix(np.ones((1, 1, k)), (1, n)), 1),
        "tiled": (tiled_conv_matrix(np.ones((t, 1, 1, k)), (1, n)), t),
        "locally connected": (locally_connected_matrix(np.ones((m, 1, 1, k)), (1, n)), m),
    }
    top = 3.0
    panel = n + 1.5
    step = m + 2.6          # one row of panels, titles and counts included
    ncols = _columns(3, panel, step, slide, 3, extra_w=0.5, extra_h=top - 1.0)
    nrows = -(-3 // ncols)
    width = ncols * panel + 0.5
    cv = _Canvas(width, top + nrows * step - 1.0, font_scale=1.1, slide=slide, title=title)
    cv.title(width / 2, 0.7, "Sharing: convolution, tiled, locally connected")
    cv.subtitle(width / 2, 1.55, f"same connections, different tying (t = {t})")
    data = cv.data
    for i, (what, (A, kernels)) in enumerate(mats.items()):
        # One Greek letter per kernel, subscript = tap: α_0 α_1 α_2, β_0 ...
        names = _kernel_names(kernels, k)
        tie, labels = tie_grid(A, names)
        row, col = divmod(i, ncols)
        x0, y0 = 1 + col * panel, top + row * step
        cv.text(x0 + n / 2, y0 - 0.55, what, size=_FONT + 1)
        # above 12 weights, one hue family per kernel
        data[what] = cv.matrix(x0, y0, tie, labels, kernels * k, block=k)
        data[what]["matrix"] = A
        cv.text(x0 + n / 2, y0 + m + 0.7, f"{kernels * k} weights", size=_FONT)
    return cv.fig


@_styled
def channels(kernel_size: int = 2, input_shape: IntOrTuple = (2, 3), *,
             out_channels: int = 2,
             slide: Slide | None = None, title: bool = True) -> Figure:
    """A multi-channel layer as its C_out × C_in grid of Toeplitz blocks, and depthwise.

    Left: ``layer_matrix`` with weight ``(C_out, C_in, k)``; every block is the
    Toeplitz matrix of one (output, input) channel pair.  Right: the depthwise
    layer (``groups = C_in``), block diagonal.  Weight ``w[o, i, j]`` is drawn
    as Greek letter ``o * C_in + i`` (α, β, ...: not the inputs' a, b, ...)
    with subscript ``j``.

    Examples
    --------
    >>> d = channels()._toeplitz_data
    >>> d["standard"]["tie"].shape, d["depthwise"]["tie"].shape, d["blocks"]
    ((4, 6), (4, 6), (2, 3))
    """
    k = as_positive_int(kernel_size, "kernel_size")
    shape = as_shape(input_shape, "input_shape")
    if len(shape) != 2:
        raise ValueError(f"input_shape must be (C_in, n) for this figure, got {shape}")
    c_in, n = shape
    c_out = as_positive_int(out_channels, "out_channels")
    # The standard layer's matrix is C_out x C_in blocks of out_n x n cells.
    _check_cells((c_out, _check_layer((k,), (n,))[0]), (c_in, n))
    std = layer_matrix(np.ones((c_out, c_in, k)), (c_in, n))
    dw = layer_matrix(np.ones((c_in, 1, k)), (c_in, n), groups=c_in)
    out_n = std.out_shape[1]
    # On a narrow (4:3) slide the panels sit closer and a heading takes two lines.
    narrow = slide == "4:3"
    top = 3.6 if narrow else 3.0
    panel = c_in * n + (1.6 if narrow else 2.5)
    step = max(std.shape[0], dw.shape[0]) + 2.2     # one row of panels
    ncols = _columns(2, panel, step, slide, 2, extra_w=0.5, extra_h=top - 0.6)
    width = ncols * panel + 0.5
    height = top + max(std.shape[0], dw.shape[0]) + 1.6 + (2 // ncols - 1) * step
    cv = _Canvas(width, height, slide=slide, title=title)
    cv.title(width / 2, 0.7, "Channels: a grid of Toeplitz blocks")
    cv.subtitle(width / 2, 1.55, f"C_out × C_in = {c_out} × {c_in} blocks, "
                                 f"each {out_n} × {n}")
    data = cv.data
    for i, (what, A) in enumerate((("standard", std), ("depthwise", dw))):
        n_w = A.weight.size
        names = _kernel_names(n_w // k, k)
        tie, labels = tie_grid(A, names)
        row, col = divmod(i, ncols)
        x0, y0 = 1.5 + col * panel, top + row * step
        heading = ("conv" if what == "standard" else
                   f"depthwise{chr(10) if narrow else ' '}(groups = {c_in})")
        cv.text(x0 + A.shape[1] / 2, y0 - (0.85 if narrow else 0.55), heading,
                size=_FONT + 1)
        # above 12 weights, one hue family per (output, input) channel pair
        data[what] = cv.matrix(x0, y0, tie, labels, n_w, blocks=(out_n, n), block=k)
        data[what]["matrix"] = A
        for o in range(A.shape[0] // out_n):
            cv.text(x0 - 0.5, y0 + o * out_n + out_n / 2, str(o), size=_FONT,
                    color="#444444")
    for row in range(2 // ncols):
        cv.text(1.0, top + row * step - 0.55, "o", size=_FONT, color="#444444")
    data["blocks"] = (out_n, n)
    return cv.fig


def _pool_values(x: np.ndarray, A: TiedMatrix) -> list[str]:
    return [_fmt(v) for v in A @ x.astype(float)]


@_styled
def pooling_stride(kernel_size: int = 3, x: ArrayLike = (3, 9, 0, 6, 3, 1, 2), *,
                   stride: int = 2,
                   slide: Slide | None = None, title: bool = True) -> Figure:
    """Average pooling (window 3, stride 2) as a matrix of "1/3", and max pooling's selection.

    Examples
    --------
    >>> d = pooling_stride()._toeplitz_data
    >>> d["average"]["labels"][1].tolist(), d["s_average"], d["s_max"]
    (['', '', '1/3', '1/3', '1/3', '', ''], ['4', '3', '2'], ['9', '6', '3'])
    """
    from ..pooling import avg_pool_matrix, max_pool_matrix

    k = as_positive_int(kernel_size, "kernel_size")
    s = as_positive_int(stride, "stride")
    xv = np.asarray(to_numpy(x))
    if xv.ndim != 1 or not np.issubdtype(xv.dtype, np.number):
        raise TypeError("x must be a 1-D sequence of numbers")
    _check_input_size(xv.shape, "x")
    n = xv.size
    avg = avg_pool_matrix(k, (1, n), stride=s)
    mx = max_pool_matrix(xv.reshape(1, n), k, stride=s)
    m = avg.shape[0]
    # On a narrow (4:3) slide the two matrices are stacked under one row of x,
    # each named at its right: side by side their "1/k" cells would be too small.
    stacked = slide == "4:3"
    top = 2.4 if stacked else 3.3
    panel = n + 3.2
    step = m + (0.7 if stacked else 2.6)    # one row of panels, their titles included
    ncols = 1 if stacked else _columns(2, panel, step, slide, 2, extra_w=0.5,
                                       extra_h=top - 2.0)
    width = ncols * panel + 0.5 + (3.4 if stacked else 0.0)
    cv = _Canvas(width, top + m + 0.6 + (2 // ncols - 1) * step, font_scale=1.1, slide=slide,
                 title=title)
    cv.title(width / 2, 0.7, f"Pooling: window {k}, stride {s}")
    data = cv.data
    frac = f"1/{k}"
    for i, (what, A) in enumerate((("average", avg), ("max", mx))):
        names = [frac] * A.weight.size if what == "average" else ["1"] * A.weight.size
        tie, labels = tie_grid(A, names)
        row, col = divmod(i, ncols)
        x0, y0 = 1 + col * panel, top + row * step
        if stacked:
            cv.text(x0 + n + 1.8, y0 + m / 2, what if what == "average" else "max\n(at x)",
                    size=_FONT + 1, ha="left")
        else:
            cv.text(x0 + n / 2, y0 - 1.65,
                    what if what == "average" else "max (selection at x)", size=_FONT + 1)
        for c in range(n if row == 0 else 0):
            cv.text(x0 + c + 0.5, y0 - 0.45, _fmt(xv[c]), size=_FONT, color="#444444")
        data[what] = cv.matrix(x0, y0, tie, labels, A.weight.size,
                               palette=pool_colors(A.weight.size))
        data[what]["matrix"] = A
        out = _pool_values(xv, A)
        if row == 0:
            cv.text(x0 + n + 1.1, y0 - 0.45, "s", size=_FONT, color="#444444")
        cv.vector(x0 + n + 0.6, y0, out)
        data[f"s_{what}"] = out
    data["x"] = xv
    return cv.fig


@_styled
def pooling_invariance(kernel_size: int = 3, x: ArrayLike = (0, 9, 1, 2, 8, 3, 0, 7), *,
                       fill: float = 0,
                       slide: Slide | None = None, title: bool = True) -> Figure:
    """Max pooling (stride 1) barely changes when the input shifts right by one.

    Every input value moves; the outputs that stay the same are framed
    (Goodfellow et al. fig. 9.8, "pooling induces invariance").  The cells
    each output selects are read from :func:`~toeplitz_conv.pooling.max_pool_matrix`.

    Examples
    --------
    >>> d = pooling_invariance()._toeplitz_data
    >>> d["s"], d["s_shifted"]
    (['9', '9', '8', '8', '8', '7'], ['9', '9', '9', '8', '8', '8'])
    >>> d["unchanged"].tolist()
    [True, True, False, True, True, False]
    """
    from ..pooling import max_pool_matrix

    k = as_positive_int(kernel_size, "kernel_size")
    xv = np.asarray(to_numpy(x))
    if xv.ndim != 1 or not np.issubdtype(xv.dtype, np.number):
        raise TypeError("x must be a 1-D sequence of numbers")
    _check_input_size(xv.shape, "x")
    n = xv.size
    xs = np.concatenate([[fill], xv[:-1]]).astype(xv.dtype)
    top = 2.4
    width = n + 2
    cv = _Canvas(width, top + 2 * 3.6 + 0.2, slide=slide, title=title)
    cv.title(width / 2, 0.7, "Max pooling: invariance to a small shift")
    cv.subtitle(width / 2, 1.5, f"window {k}, stride 1; input shifted right by 1")
    data = cv.data
    outs = []
    for i, v in enumerate((xv, xs)):
        S = max_pool_matrix(v.reshape(1, n), k, stride=1)
        _, cols, _ = S.taps
        chosen = set(cols.tolist())
        y0 = top + i * 3.6
        faces = ["#F4A582" if c in chosen else ZERO_COLOR for c in range(n)]
        cv.text(0.7, y0 + 0.5, "x" if i == 0 else "x'", size=_FONT + 1, ha="right")
        cv.grid(1, y0, (n,), [_fmt(a) for a in v], faces)
        out = _pool_values(v, S)
        off = 1 + (n - len(out)) / 2
        cv.text(0.7, y0 + 2.0, "s" if i == 0 else "s'", size=_FONT + 1, ha="right")
        cv.grid(off, y0 + 1.5, (len(out),), out)
        data["S" if i == 0 else "S_shifted"] = S
        outs.append(out)
    unchanged = np.array([a == b for a, b in zip(*outs)])
    for j in np.flatnonzero(unchanged):
        off = 1 + (n - len(outs[0])) / 2
        for i in range(2):
            cv.frame(off + j + 0.06, top + i * 3.6 + 1.56, 0.88, 0.88, color="#009E73", lw=3)
    data.update({"x": xv, "x_shifted": xs, "s": outs[0], "s_shifted": outs[1],
                 "unchanged": unchanged})
    return cv.fig


@_styled
def valid_vs_same_depth(kernel: ArrayLike = (1, 1, 1), input_shape: int = 9, *,
                        layers: int = 3,
                        slide: Slide | None = None, title: bool = True) -> Figure:
    """Layer widths over several layers: shrinking under 'valid', kept under 'same'.

    Goodfellow et al. fig. 9.13; every layer is the same convolution, its
    edges the taps of its matrix.

    Examples
    --------
    >>> valid_vs_same_depth()._toeplitz_data["widths"]
    {'valid': [9, 7, 5, 3], 'same': [9, 9, 9, 9]}
    """
    k = _kernel(kernel)
    n_layers = as_positive_int(layers, "layers")
    if n_layers > 8:
        raise ValueError(f"layers must be at most 8 for a readable figure, got {n_layers}")
    stacks: dict[str, list[TiedMatrix]] = {}
    for mode in ("valid", "same"):
        mats = []
        shape: int | tuple[int, ...] = input_shape
        for _ in range(n_layers):
            _check_signal(k, shape, mode)
            L = conv_matrix(k, shape, mode)
            mats.append(L)
            shape = L.out_shape
        stacks[mode] = mats
    # On a narrow (4:3) slide the units sit closer: the width sets the scale there.
    narrow = slide == "4:3"
    span = max(stacks["same"][0].shape) * (0.6 if narrow else 0.85) + 0.5
    gap = 1.9
    height = 3.0 + gap * n_layers + 0.8
    inner = 2.1 if narrow else 2.5
    width = 2 * span + inner + 1.0
    cv = _Canvas(width, height, slide=slide, title=title)
    cv.title(width / 2, 0.7, "Depth: 'valid' shrinks, 'same' keeps the width")
    colors = weight_colors(k.size)
    data = cv.data
    widths = {}
    for i, (mode, mats) in enumerate(stacks.items()):
        x0 = 0.5 + i * (span + inner)
        ys = [height - 0.8 - gap * j for j in range(n_layers + 1)]
        _network(cv, x0, span, ys, mats, edge_color=lambda li, r, c, w: colors[w],
                 edge_width=lambda *a: 2.0, node_face=lambda level, j: "#FFFFFF")
        cv.text(x0 + span / 2, 1.7, f"'{mode}'", size=_FONT + 1, fontweight="bold")
        widths[mode] = [mats[0].shape[1]] + [L.shape[0] for L in mats]
        for j, y in enumerate(ys):
            cv.text(x0 + span + 0.15, y, str(widths[mode][j]), size=_FONT, ha="left",
                    color="#444444")
        data[mode] = mats
    data["widths"] = widths
    return cv.fig


@_styled
def sliding_window_frames(kernel: ArrayLike = (1, 2, 3), input_shape: int = 6, *,
                          labels: str | Sequence[str] = ("z", "y", "x"),
                          rows: Sequence[int] = (2, 3, 4, 5),
                          slide: Slide | None = None, title: bool = True) -> Figure:
    """The slides' Illustration 1: the window at several outputs, next to the 'same' matrix.

    With ``w = [z, y, x]`` and input ``a .. f`` the frames are the 'same'
    outputs ``s_2 = xb + yc + zd``, ``s_3 = xc + yd + ze``, ``s_4 = xd + ye +
    zf`` and the boundary case ``s_5 = xe + yf``; the matrix's first row is
    ``y z``.  The kernel is drawn flipped, as convolution uses it.

    Examples
    --------
    >>> d = sliding_window_frames()._toeplitz_data
    >>> [e for _, e in d["frames"]]
    ['xb + yc + zd', 'xc + yd + ze', 'xd + ye + zf', 'xe + yf']
    >>> d["A"]["labels"][0].tolist()
    ['y', 'z', '', '', '', '']
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, "same")
    A = conv_matrix(k, input_shape, "same")
    m, n = A.shape
    if len(A.in_shape) != 1:
        raise ValueError("sliding_window_frames draws 1-D convolutions; use sliding_window")
    frames = [int(r) for r in rows]
    for r in frames:
        if not 0 <= r < m:
            raise ValueError(f"rows must be outputs in 0..{m - 1}, got {r}")
    names = weight_labels(k, labels)
    inputs = _symbol_names(None, n, "letters")
    tie, cell_labels = tie_grid(A, names)
    colors = weight_fills(k.size)
    taps_r, taps_c, taps_w = A.taps
    top = 2.9
    # On a narrow (4:3) slide the windows are the matrix's framed rows, each
    # output's expression beside its row; elsewhere the windows are drawn
    # under the input, the matrix beside them.
    compact = slide == "4:3"
    # The expressions need more room where text is larger (on a slide).
    left_w = 1.0 if compact else n + 6.2 * _text_scale(slide)
    width = left_w + n + (6.2 * _text_scale(slide) if compact else 1.2)
    height = top + (m if compact else max(1.4 + 1.2 * len(frames), m + 0.2)) + 0.3
    cv = _Canvas(width, height, slide=slide, title=title)
    cv.title(width / 2, 0.65, "Sliding window = rows of the 'same' matrix")
    cv.subtitle(width / 2, 1.45, f"w = [{', '.join(_plain_label(s) for s in names)}], "
                                 "flipped;  s = u ∗ w")
    if compact:
        cv.text(left_w - 0.3, top - 0.45, "u", size=_FONT + 1, ha="right")
    else:
        cv.grid(1, top, (n,), inputs)
        cv.text(0.6, top + 0.5, "u", size=_FONT + 1, ha="right")
    data = cv.data
    out = []
    for i, r in enumerate(frames):
        expr, drawn = _row_terms(A, r, names, inputs)
        out.append((r, expr))
        if compact:
            cv.text(left_w + n + 0.35, top + r + 0.5, f"$s_{{{r}}}$ = {drawn}", size=_FONT,
                    ha="left")
            continue
        y0 = top + 1.4 + 1.2 * i
        sel = taps_r == r
        for c, w in zip(taps_c[sel].tolist(), taps_w[sel].tolist()):
            cv.cell(1 + c, y0, colors[w], names[w])
        cv.text(n + 1.3, y0 + 0.5, f"$s_{{{r}}}$ = {drawn}", size=_FONT, ha="left")
    x0 = left_w
    for c in range(n):
        cv.text(x0 + c + 0.5, top - 0.45, inputs[c], size=_FONT, color="#444444")
    data["A"] = cv.matrix(x0, top, tie, cell_labels, k.size,
                          dim_rows=[r for r in range(m) if r not in frames])
    data["A"]["matrix"] = A
    for r in frames:
        cv.frame(x0 - 0.06, top + r - 0.06, n + 0.12, 1.12, color=_HIGHLIGHT, lw=2.5)
    data["frames"] = out
    return cv.fig


@_styled
def kernel_feature_map(kernel: ArrayLike = ((1, 2), (3, 4)), input_shape: IntOrTuple = (3, 4),
                       *, labels: str | Sequence[str] = ("w", "x", "y", "z"),
                       output: tuple[int, int] = (0, 0),
                       slide: Slide | None = None, title: bool = True) -> Figure:
    """The slides' Illustration 2: kernel, input and feature map, one output highlighted.

    'valid' cross-correlation (as a CNN layer computes) of the input ``a .. l``
    with ``[[w, x], [y, z]]``: the first output is ``wa + xb + ye + zf``.

    Examples
    --------
    >>> d = kernel_feature_map()._toeplitz_data
    >>> d["expression"], d["feature_map_shape"]
    ('wa + xb + ye + zf', (2, 3))
    """
    k = _kernel(kernel)
    if k.ndim != 2:
        raise ValueError(f"kernel must be 2-D for this figure, got {k.ndim}-D")
    _check_signal(k, input_shape, "valid", correlate=True)
    A = conv_matrix(k, input_shape, "valid", correlate=True)
    out_shape = A.out_shape
    i, j = (int(v) for v in output)
    if not (0 <= i < out_shape[0] and 0 <= j < out_shape[1]):
        raise ValueError(f"output must be an index (i, j) into the {out_shape} feature map, "
                         f"got {output!r}")
    row = i * out_shape[1] + j
    names = weight_labels(k, labels)
    n = A.shape[1]
    # Past z the samples are x_26, ... (a bare number would read as the sample's value).
    inputs = _symbol_names(None, n, "letters")
    colors = weight_fills(k.size)
    rows, cols, widx = A.taps
    sel = rows == row
    faces = [ZERO_COLOR] * n
    for c, w in zip(cols[sel].tolist(), widx[sel].tolist()):
        faces[c] = colors[w]
    kw, kh = _grid_extent(k.shape)
    iw, ih = _grid_extent(A.in_shape)
    ow, oh = _grid_extent(out_shape)
    top = 2.6
    width = iw + kw + ow + 5
    height = top + max(ih, kh, oh) + 2.0
    cv = _Canvas(width, height, slide=slide, title=title)
    cv.title(width / 2, 0.7, "Kernel, input and feature map")
    xk = 1
    xi = xk + kw + 1.5
    xo = xi + iw + 1.5
    cv.text(xk + kw / 2, top - 0.5, "kernel", size=_FONT + 1)
    cv.grid(xk, top, k.shape, names, colors)
    cv.text(xi + iw / 2, top - 0.5, "input", size=_FONT + 1)
    cv.grid(xi, top, A.in_shape, inputs, faces)
    cv.text(xo + ow / 2, top - 0.5, "feature map", size=_FONT + 1)
    out_faces = ["#F4A582" if r == row else ZERO_COLOR for r in range(A.shape[0])]
    cv.grid(xo, top, out_shape, [""] * A.shape[0], out_faces)
    cv.text(xo + j + 0.5, top + i + 0.5, f"$s_{{{i},{j}}}$", size=_FONT)
    expr, drawn = _row_terms(A, row, names, inputs)
    cv.text(width / 2, top + max(ih, kh, oh) + 1.0, f"$s_{{{i},{j}}}$ = {drawn}", size=_TITLE)
    cv.data.update({"matrix": A, "row": row, "expression": expr, "window_cols": cols[sel],
                    "window_weights": widx[sel], "feature_map_shape": out_shape})
    return cv.fig

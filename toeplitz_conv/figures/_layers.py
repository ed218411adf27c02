"""Figures of PyTorch-style layers: stride, transposed convolution, padding modes.

Layer convention (:func:`~toeplitz_conv.layer_matrix`, one channel): what a
stride keeps of the stride-1 matrix, the transposed layer as ``Aᵀ``, and what
each padding mode adds to the zero-padded matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._typing import IntOrTuple, PaddingMode
from .._validation import as_shape
from ..geometry import transposed_output_padding
from ..layers import layer_geometry, layer_matrix, transposed_layer_matrix
from ..palette import PAD_COLOR, weight_fills
from ._canvas import _FONT, _TITLE, Slide, _Canvas, _columns, _grid_extent, _styled
from ._data import (
    _blocks,
    _check_layer,
    _kernel,
    _matching_rows,
    _symbol_names,
    tie_grid,
    tie_parts,
    weight_labels,
)
from ._notes import operation_note

__all__ = ["padding_modes", "stride_subsampling", "transposed"]


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _layer_weight(kernel: np.ndarray) -> np.ndarray:
    return kernel.reshape((1, 1) + kernel.shape)


@_styled
def stride_subsampling(kernel: ArrayLike = (1, 1, 1),
                       input_shape: IntOrTuple = 7, *, stride: int = 2,
                       padding: int = 1, labels: str | Sequence[str] = "symbols",
                       slide: Slide | None = None, title: bool = True) -> Figure:
    """A strided convolution keeps every ``stride``-th row of the stride-1 matrix.

    Uses the layer convention (:func:`~toeplitz_conv.layer_matrix`, one channel).

    Examples
    --------
    >>> fig = stride_subsampling()
    >>> fig._toeplitz_data["kept_rows"]
    array([0, 2, 4, 6])
    """
    k = _kernel(kernel)
    spatial = as_shape(input_shape)
    _check_layer(k.shape, spatial, padding=padding)
    w = _layer_weight(k)
    A1 = layer_matrix(w, (1, *spatial), stride=1, padding=padding)
    As = layer_matrix(w, (1, *spatial), stride=stride, padding=padding)
    names = weight_labels(k, labels)
    t1, l1 = tie_grid(A1, names)
    ts, ls = tie_grid(As, names)
    kept = _matching_rows(t1, ts)
    m1, n = A1.shape
    ms = As.shape[0]
    top = 2.6
    left2 = n + 4
    width = left2 + n + 1
    # The operation note costs a slide its 11 pt cells: only a free-size figure has it.
    note = slide is None
    cv = _Canvas(width, top + max(m1, ms) + (1.9 if note else 1), slide=slide, title=title)
    if note:
        cv.subtitle(width / 2, top + max(m1, ms) + 1.0, operation_note(As, names))
    cv.title(width / 2, 0.9,
             f"Stride {stride} keeps every {_ordinal(stride)} row of the stride-1 matrix")
    cv.text(1 + n / 2, top - 0.6, f"stride 1 ({m1} × {n})", size=_TITLE)
    data = cv.data
    dropped = [r for r in range(m1) if r not in set(kept.tolist())]
    data["A1"] = cv.matrix(1, top, t1, l1, k.size, dim_rows=dropped, blocks=_blocks(A1))
    for r in kept:
        cv.frame(1 - 0.06, top + r - 0.06, n + 0.12, 1.12, color="#D00000", lw=2.5)
    cv.text(left2 + n / 2, top - 0.6, f"stride {stride} ({ms} × {n})", size=_TITLE)
    data["As"] = cv.matrix(left2, top, ts, ls, k.size, blocks=_blocks(As))
    for i, r in enumerate(kept):
        cv.ax.annotate("", xy=(left2 - 0.1, top + i + 0.5), xytext=(n + 1.1, top + r + 0.5),
                       arrowprops={"arrowstyle": "->", "color": "#D00000",
                                   "lw": 1.8 * cv.scale})
    data["kept_rows"] = kept
    data["A1"]["matrix"], data["As"]["matrix"] = A1, As
    return cv.fig


@_styled
def transposed(kernel: ArrayLike = (1, 1, 1), input_shape: IntOrTuple = 7, *,
               stride: int = 2, padding: int = 0,
               labels: str | Sequence[str] = "symbols",
               slide: Slide | None = None, title: bool = True) -> Figure:
    """A strided convolution ``A`` and the transposed convolution, which is ``Aᵀ``.

    The right panel is built by :func:`~toeplitz_conv.transposed_layer_matrix`
    (PyTorch's ``conv_transpose``), not by transposing the left one.

    Examples
    --------
    >>> fig = transposed()
    >>> d = fig._toeplitz_data
    >>> (d["T"]["tie"] == d["A"]["tie"].T).all()
    np.True_
    """
    k = _kernel(kernel)
    spatial = as_shape(input_shape)
    _check_layer(k.shape, spatial, stride=stride, padding=padding)
    w = _layer_weight(k)
    A = layer_matrix(w, (1, *spatial), stride=stride, padding=padding)
    # Several input sizes give A's output size; output_padding picks A's own,
    # so that the transposed layer's matrix has A's shape transposed.
    op = tuple(transposed_output_padding(ax.size, ax.out_size, ax.kernel, stride=ax.stride,
                                         padding=(ax.pad_before, ax.pad_after),
                                         dilation=ax.dilation)
               for ax in layer_geometry(k.shape, spatial, stride=stride, padding=padding).axes)
    T = transposed_layer_matrix(w, (1, *A.out_shape[1:]), stride=stride, padding=padding,
                                output_padding=op)
    names = weight_labels(k, labels)
    ta, la = tie_grid(A, names)
    tt, lt = tie_grid(T, names)
    m, n = A.shape
    top = 3.4
    left2 = n + 4
    width = left2 + m + 1
    # As in stride_subsampling, the note is left out on a slide (it would shrink the cells).
    note = slide is None
    cv = _Canvas(width, top + max(m, n) + (1.9 if note else 1), slide=slide, title=title)
    cv.title(width / 2, 0.9, f"Transposed convolution = Aᵀ  (stride {stride})")
    if note:
        cv.subtitle(width / 2, top + max(m, n) + 1.0, "A: " + operation_note(A, names))
    cv.text(1 + n / 2, top - 0.9, f"A = conv\n({m} × {n})", size=_TITLE)
    data = cv.data
    data["A"] = cv.matrix(1, top, ta, la, k.size, blocks=_blocks(A))
    cv.text(left2 + m / 2, top - 0.9, f"conv_transpose = Aᵀ\n({n} × {m})", size=_TITLE)
    data["T"] = cv.matrix(left2, top, tt, lt, k.size)
    data["A"]["matrix"], data["T"]["matrix"] = A, T
    return cv.fig


@_styled
def padding_modes(kernel: ArrayLike = (1, 1, 1), input_shape: IntOrTuple = 5, *,
                  padding: int = 1,
                  modes: Sequence[PaddingMode] = ("zeros", "circular", "reflect", "replicate"),
                  labels: str | Sequence[str] = "symbols",
                  slide: Slide | None = None, title: bool = True) -> Figure:
    """The matrix for each padding mode, two per row; taps that read padding hatched.

    Above each 1-D matrix, the padded input shows which sample each padded
    position reads (from the geometry core's boundary map).  A cell holding
    a sum of weights is split into their colours (the kernel is drawn below
    as the key).

    Examples
    --------
    >>> fig = padding_modes()
    >>> fig._toeplitz_data["circular"]["labels"][0].tolist()
    ['$w_{1}$', '$w_{2}$', '', '', '$w_{0}$']
    >>> fig._toeplitz_data["replicate"]["split_colors"][0, 0] == weight_fills(3)[:2]
    True
    """
    k = _kernel(kernel)
    spatial = as_shape(input_shape)
    modes = list(modes)
    if not modes:
        raise ValueError("modes must name at least one padding mode")
    _check_layer(k.shape, spatial, padding=padding)
    w = _layer_weight(k)
    names = weight_labels(k, labels)
    base = layer_matrix(w, (1, *spatial), padding=padding)
    base_taps = set(zip(*(t.tolist() for t in base.taps)))
    mats = {mode: layer_matrix(w, (1, *spatial), padding=padding, padding_mode=mode)
            for mode in modes}
    m, n = base.shape
    one_d = len(spatial) == 1
    # A 1-D panel is wide enough for the padded input strip drawn above it.
    strip = layer_geometry(k.shape, spatial, padding=padding).axes[-1].padded_size
    gap = 1.2 if slide is None else 0.8         # on a slide every cell counts
    panel_w = (max(n, strip) if one_d else n) + gap
    panel_h = 0.9 + (1.3 if one_d else 0.0) + m + 0.45
    top = 1.4
    kw, kh = _grid_extent(k.shape)
    ncols = _columns(len(modes), panel_w, panel_h, slide, min(2, len(modes)),
                     extra_w=0.6, extra_h=top + kh + 0.9)
    nrows = -(-len(modes) // ncols)
    width = 0.6 + ncols * panel_w
    height = top + nrows * panel_h + kh + 0.9
    # Four panels on one slide: text larger relative to the cells.
    cv = _Canvas(width, height, font_scale=1.35, slide=slide, title=title)
    cv.title(width / 2, 0.65, f"Padding modes (padding {padding})")
    data = cv.data
    inputs = _symbol_names(None, n, "letters")
    for i, mode in enumerate(modes):
        A = mats[mode]
        tie, cell_labels = tie_grid(A, names)
        extra = np.zeros(A.shape, dtype=bool)
        for r, c, wi in zip(*(t.tolist() for t in A.taps)):
            if (r, c, wi) not in base_taps:
                extra[r, c] = True
        row, col = divmod(i, ncols)
        px, py = 0.6 + col * panel_w, top + row * panel_h
        x0 = px + (panel_w - gap - n) / 2
        cv.text(x0 + n / 2, py + 0.4, mode, size=_TITLE, fontweight="bold")
        y_matrix = py + 0.9
        if one_d:
            cells = layer_geometry(k.shape, spatial, padding=padding,
                                   padding_mode=mode).padded_map()
            shown = [inputs[s] if s >= 0 else "0" for s in cells.flat.tolist()]
            faces = ["#FFFFFF" if inside else PAD_COLOR for inside in cells.inside.tolist()]
            cv.grid(x0 + n / 2 - len(shown) / 2, y_matrix, (len(shown),), shown, faces)
            data.setdefault("padded_input", {})[mode] = shown
            y_matrix += 1.3
        data[mode] = cv.matrix(x0, y_matrix, tie, cell_labels, k.size, mark=extra,
                               blocks=_blocks(A), parts=tie_parts(A))
        data[mode]["extra"] = extra
        data[mode]["matrix"] = A
    yk = top + nrows * panel_h + 0.25
    cv.grid(0.6, yk, k.shape, names, weight_fills(k.size))
    cv.text(0.6 + kw + 0.4, yk + kh / 2 - 0.05, "kernel; hatched: reads padding;\n"
            "split cell: sum of its colours", size=_FONT, ha="left", color="#444444")
    return cv.fig

"""Figures of units and edges: sparse interaction, receptive fields, parameter sharing.

A layer is drawn as a bipartite graph whose edges are exactly the taps of its
matrix, coloured by the weight each carries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from numpy.typing import ArrayLike

from .._typing import IntOrTuple, Mode
from .._validation import as_positive_int
from ..layers import layer_matrix
from ..palette import weight_colors
from ..signal import conv_matrix
from ..tied import TiedMatrix
from ._canvas import _FONT, Slide, _Canvas, _grid_extent, _styled
from ._data import (
    _blocks,
    _check_signal,
    _kernel,
    figure_data,
    tie_grid,
    weight_labels,
)
from ._notes import operation_note

__all__ = ["MAX_LAYERS", "connectivity", "parameter_sharing", "receptive_field"]

#: Most stacked layers :func:`receptive_field` draws.
MAX_LAYERS = 32


def _node_positions(count: int, width: float) -> np.ndarray:
    return (np.arange(count) + 0.5) * (width / count)


def _network(cv: _Canvas, x0: float, width: float, ys: Sequence[float],
             layers: Sequence[TiedMatrix], *, edge_color: Callable[[int, int, int, int], str],
             edge_width: Callable[[int, int, int, int], float],
             node_face: Callable[[int, int], str]) -> list[np.ndarray]:
    """Draw units (bottom = input) and the edges of each layer's taps.

    ``layers[i]`` maps the units at height ``ys[i]`` to those at ``ys[i + 1]``.
    Returns the x positions of each level.
    """
    sizes = [layers[0].shape[1]] + [L.shape[0] for L in layers]
    xs = [x0 + _node_positions(s, width) for s in sizes]
    radius = min(0.32, 0.42 * width / max(sizes))
    for li, L in enumerate(layers):
        rows, cols, widx = L.taps
        order = np.argsort([edge_width(li, int(r), int(c), int(w))
                            for r, c, w in zip(rows, cols, widx)], kind="stable")
        for t in order:
            r, c, w = int(rows[t]), int(cols[t]), int(widx[t])
            cv.ax.plot([xs[li][c], xs[li + 1][r]], [ys[li], ys[li + 1]],
                       color=edge_color(li, r, c, w),
                       linewidth=edge_width(li, r, c, w) * cv.scale, solid_capstyle="round",
                       zorder=1)
    for level, (xl, y) in enumerate(zip(xs, ys)):
        for i, xx in enumerate(xl):
            cv.ax.add_patch(Circle((xx, y), radius, facecolor=node_face(level, i),
                                   edgecolor="black", linewidth=1.8 * cv.scale, zorder=3))
    return xs


def _full_taps_matrix(m: int, n: int) -> TiedMatrix:
    """A dense layer as a TiedMatrix: every (output, input) pair its own weight.

    Built by the builder, as a 1 x 1 convolution from ``n`` input channels to
    ``m`` output channels on one sample: weight ``(o, i)`` is entry ``(o, i)``.
    """
    return layer_matrix(np.ones((m, n, 1)), (n, 1))


@_styled
def connectivity(kernel: ArrayLike = (1, 1, 1), input_shape: IntOrTuple = 6,
                 mode: Mode = "same", *, correlate: bool = False,
                 slide: Slide | None = None, title: bool = True) -> Figure:
    """Sparse interaction: a dense layer's m x n edges against the conv layer's taps.

    Units are drawn in C order along a line (a 2-D input is flattened); conv
    edges are coloured by the weight they carry.

    Examples
    --------
    >>> fig = connectivity()
    >>> d = fig._toeplitz_data
    >>> d["dense_edges"], d["conv_edges"], d["m_times_k"]
    (36, 16, 18)
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, mode, correlate=correlate)
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    m, n = A.shape
    dense = _full_taps_matrix(m, n)
    colors = weight_colors(k.size)
    span = max(m, n) * 0.9 + 1
    width = 2 * span + 3
    cv = _Canvas(width, 10.5, cell_in=0.6, slide=slide, title=title)
    cv.title(width / 2, 0.8, "Sparse interaction")
    y_in, y_out = 7.2, 2.6
    _network(cv, 1, span, [y_in, y_out], [dense],
             edge_color=lambda li, r, c, w: "#555555", edge_width=lambda *a: 1.2,
             node_face=lambda level, i: "#FFFFFF")
    _network(cv, span + 2, span, [y_in, y_out], [A],
             edge_color=lambda li, r, c, w: colors[w], edge_width=lambda *a: 3.0,
             node_face=lambda level, i: "#FFFFFF")
    rows, cols, widx = A.taps
    k_size = int(k.size)
    cv.text(1 + span / 2, 9.3, f"fully connected\nm × n = {m * n} edges", size=_FONT + 1)
    cv.text(span + 2 + span / 2, 9.3,
            f"convolution\n{len(rows)} edges ≤ m × k = {m * k_size}", size=_FONT + 1)
    for xc in (1 + span / 2, span + 2 + span / 2):
        cv.text(xc, y_in + 0.85, f"input (n = {n})", size=_FONT, color="#444444")
        cv.text(xc, y_out - 0.85, f"output (m = {m})", size=_FONT, color="#444444")
    data = cv.data
    data.update({"dense_edges": m * n, "conv_edges": len(rows), "m_times_k": m * k_size,
                 "edges": (rows, cols, widx), "edge_colors": [colors[w] for w in widx],
                 "matrix": A})
    return cv.fig


@_styled
def receptive_field(kernel: ArrayLike = (1, 1, 1), input_shape: IntOrTuple = 9,
                    mode: Mode = "same", *, layers: int = 3, unit: int | None = None,
                    correlate: bool = False,
                    slide: Slide | None = None, title: bool = True) -> Figure:
    """Receptive-field growth: the inputs one top unit sees through stacked layers.

    Each layer is the same convolution applied to the previous output; the
    field of the top unit (default: the centre one, as a flat C-order index)
    is found by following the taps downwards.  1-D layers are drawn as units
    and edges, 2-D layers as grids with the field shaded.

    Examples
    --------
    >>> fig = receptive_field()
    >>> [len(f) for f in fig._toeplitz_data["fields"]]
    [7, 5, 3, 1]
    """
    k = _kernel(kernel)
    layers = as_positive_int(layers, "layers")
    if layers > MAX_LAYERS:
        raise ValueError(f"layers must be at most {MAX_LAYERS} for a drawable figure, "
                         f"got {layers}")
    mats = []
    shape: Any = input_shape
    for _ in range(layers):
        _check_signal(k, shape, mode, correlate=correlate)
        L = conv_matrix(k, shape, mode, correlate=correlate)
        mats.append(L)
        shape = L.out_shape
    top_units = mats[-1].shape[0]
    if unit is None:        # the centre unit of the top layer
        unit = int(np.ravel_multi_index(tuple(s // 2 for s in mats[-1].out_shape),
                                        mats[-1].out_shape))
    if not 0 <= unit < top_units:
        raise ValueError(f"unit must be in 0..{top_units - 1}, got {unit}")
    fields: list[set[int]] = [set() for _ in range(layers + 1)]
    fields[layers] = {unit}
    for li in range(layers - 1, -1, -1):
        rows, cols, _ = mats[li].taps
        fields[li] = set(cols[np.isin(rows, list(fields[li + 1]))].tolist())
    field_lists = [sorted(f) for f in fields]
    if len(mats[0].in_shape) == 2:
        fig = _receptive_field_grids(mats, fields, layers, slide, title)
        figure_data(fig).update({"fields": field_lists, "matrices": mats, "unit": unit})
        return fig
    colors = weight_colors(k.size)
    span = max(L.shape[1] for L in mats) * 0.9 + 1
    # On a slide the layers sit closer: a frame is wider than it is tall.
    gap = 2.6 if slide is None else 2.1
    height = 3 + gap * layers + 1.2
    cv = _Canvas(span + 6, height, cell_in=0.6, slide=slide, title=title)
    cv.title((span + 6) / 2, 0.8, f"Receptive field over {layers} stacked layers")
    ys = [height - 1.2 - gap * i for i in range(layers + 1)]

    def in_field(li: int, r: int, c: int) -> bool:
        return r in fields[li + 1] and c in fields[li]

    _network(cv, 1, span, ys, mats,
             edge_color=lambda li, r, c, w: colors[w] if in_field(li, r, c) else "#D5D5D5",
             edge_width=lambda li, r, c, w: 3.0 if in_field(li, r, c) else 1.0,
             node_face=lambda level, i: "#F4A582" if i in fields[level] else "#FFFFFF")
    for level, y in enumerate(ys):
        name = "input" if level == 0 else f"layer {level}"
        cv.text(span + 1.3, y, f"{name}: {len(fields[level])}", size=_FONT, ha="left")
    cv.data.update({"fields": field_lists, "matrices": mats, "unit": unit})
    return cv.fig


def _receptive_field_grids(mats: Sequence[TiedMatrix], fields: Sequence[set[int]],
                           layers: int, slide: Slide | None, title: bool) -> Figure:
    """2-D receptive field: each level drawn as a grid, the field shaded."""
    shapes = [mats[0].in_shape] + [L.out_shape for L in mats]
    widths = [_grid_extent(sh)[0] for sh in shapes]
    height = max(_grid_extent(sh)[1] for sh in shapes)
    top = 2.8
    width = sum(widths) + 2 * len(shapes) + 1
    cv = _Canvas(width, top + height + 1, slide=slide, title=title)
    cv.title(width / 2, 0.8, f"Receptive field over {layers} stacked layers")
    x0 = 1.0
    for level, sh in enumerate(shapes):
        n = int(np.prod(sh))
        faces = ["#F4A582" if i in fields[level] else "#FFFFFF" for i in range(n)]
        name = "input" if level == 0 else f"layer {level}"
        cv.text(x0 + widths[level] / 2, top - 0.6, f"{name}: {len(fields[level])}",
                size=_FONT + 1)
        cv.grid(x0, top, sh, [""] * n, faces)
        if level < len(shapes) - 1:
            cv.ax.annotate("", xy=(x0 + widths[level] + 1.8, top + height / 2),
                           xytext=(x0 + widths[level] + 0.2, top + height / 2),
                           arrowprops={"arrowstyle": "->", "color": "#444444",
                                       "lw": 2.0 * cv.scale})
        x0 += widths[level] + 2
    return cv.fig


@_styled
def parameter_sharing(kernel: ArrayLike = (1, 1, 1), input_shape: IntOrTuple = 6,
                      mode: Mode = "same", *, weight: int = 1, correlate: bool = False,
                      labels: str | Sequence[str] = "symbols",
                      slide: Slide | None = None, title: bool = True) -> Figure:
    """One weight highlighted at every position where it appears (edges and cells).

    Examples
    --------
    >>> fig = parameter_sharing()
    >>> int(fig._toeplitz_data["A"]["highlighted"].sum())
    6
    """
    k = _kernel(kernel)
    if not 0 <= weight < k.size:
        raise ValueError(f"weight must be a weight index in 0..{k.size - 1}, got {weight}")
    _check_signal(k, input_shape, mode, correlate=correlate)
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    m, n = A.shape
    colors = weight_colors(k.size)
    span = max(m, n) * 0.9 + 1
    left = span + 3
    # On a narrow (4:3) slide the title and the note take two lines each (one
    # would be wider than the drawing and set its scale).
    lines = 2 if slide == "4:3" else 1
    top = 2.4 + (1.0 if lines == 2 and title is not False else 0.0)
    width = left + n + 1
    height = max(top + m + 1.5, 10) + 1.0 + 0.8 * (lines - 1)
    cv = _Canvas(width, height, slide=slide, title=title)
    cv.subtitle(width / 2, height - 0.5 - 0.4 * (lines - 1),
                operation_note(A, names, sep="; " if lines == 1 else "\n"))
    cv.title(width / 2, 0.9 + 0.5 * (lines - 1),
             f"Parameter sharing:{' ' if lines == 1 else chr(10)}{names[weight]} is one "
             f"parameter, used {int((tie == weight).sum())} times")
    y_in = height - 2.5 - 0.8 * (lines - 1)
    _network(cv, 1, span, [y_in, top + 1], [A],
             edge_color=lambda li, r, c, w: colors[w] if w == weight else "#D0D0D0",
             edge_width=lambda li, r, c, w: 4.0 if w == weight else 1.2,
             node_face=lambda level, i: "#FFFFFF")
    cv.text(1 + span / 2, y_in + 0.9, "input", size=_FONT, color="#444444")
    cv.text(1 + span / 2, top, "output", size=_FONT, color="#444444")
    data = cv.data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, only_weight=weight,
                          blocks=_blocks(A))
    data["A"]["highlighted"] = tie == weight
    data["A"]["matrix"] = A
    data["weight"] = weight
    return cv.fig

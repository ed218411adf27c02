"""The spatial view of a layer (conv_arithmetic style): the padded input, the window, the output.

One frame per output: the input grid with its padding (and, for a transposed
convolution, the zeros inserted between its samples), the kernel's (dilated)
window over it, and the output grid filling up to the current output.

Nothing here is index arithmetic.  The grid and what each of its cells holds
come from the geometry core (:meth:`~toeplitz_conv.geometry.Geometry.padded_map`);
the window of an output is a row of the matrix of the same kernel over the
padded grid (:func:`~toeplitz_conv.layer_matrix` with weight *indices* as
its values, so each tap names its weight); a transposed layer's grid is the
output of a 1-tap :func:`~toeplitz_conv.transposed_layer_matrix` (that is
what inserting zeros is).  The numbers drawn are the layer's own matrix
times ``x``, and the figure refuses to draw when the window's taps are not
exactly that matrix's row.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._typing import IntOrTuple
from .._validation import as_bool, as_int, as_int_tuple, as_shape
from ..geometry import full_padding
from ..layers import layer_geometry, layer_matrix, transposed_layer_matrix
from ..palette import PAD_COLOR, weight_colors
from ..tied import TiedMatrix
from ._canvas import _styled
from ._data import _check_input_size, _check_mathtext, _fmt
from ._points import (
    BODY_PT,
    FREE_CELL_PT,
    MIN_PT,
    TITLE_PT,
    PtCanvas,
    Slide,
    fit_lines,
    slide_area,
    text_width,
    tint,
)

__all__ = ["spatial", "spatial_layout"]

#: Fill of an output already computed, and the frame of the current one.
DONE_COLOR = "#D6EAF8"
CURRENT_COLOR = "#C0392B"
#: Fill of a zero inserted between the inputs of a transposed convolution.
INSERTED_COLOR = "#FFFFFF"
_MIN_CELL = 18.0          # pt: a cell that still holds an 11 pt label


def _layout_matrices(kshape: tuple[int, ...], spatial: tuple[int, ...], padding: Any,
                     stride: Any, dilation: Any, transposed: bool
                     ) -> tuple[tuple[int, ...], list[str], np.ndarray, TiedMatrix]:
    """The padded grid: its shape, each cell's kind and source, and the window matrix.

    Returns ``(grid_shape, kinds, sources, C)``: ``kinds[i]`` is ``"input"``,
    ``"pad"`` or ``"zero"`` (inserted) for grid cell ``i`` (C order),
    ``sources[i]`` the input index it holds (``-1`` for none), and ``C`` the
    matrix over the grid whose weight values are the original weight indices.
    """
    nd = len(kshape)
    index_weight = np.arange(math.prod(kshape), dtype=float).reshape((1, 1) + kshape)
    if not transposed:
        geo = layer_geometry(kshape, spatial, stride=stride, padding=padding, dilation=dilation)
        pm = geo.padded_map()
        grid = tuple(ax.padded_size for ax in geo.axes)
        kinds = ["input" if inside else "pad" for inside in pm.inside.tolist()]
        window = layer_matrix(index_weight, (1, *grid), stride=stride, dilation=dilation)
        return grid, kinds, pm.flat.copy(), window
    stride_t = as_int_tuple(stride, nd, "stride", minimum=1)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    pad_t = as_int_tuple(padding, nd, "padding", minimum=0)
    # Zero insertion is the transposed layer of a one-tap kernel: input c lands
    # on the row of the grid that its tap names.
    insert = transposed_layer_matrix(np.ones((1, 1) + (1,) * nd), (1, *spatial),
                                     stride=stride_t)
    rows, cols, _ = insert.taps
    holder = np.full(insert.shape[0], -1, dtype=np.int64)
    holder[rows] = cols
    # The direct convolution equal to the transposed one pads the inserted
    # grid by the full padding less the layer's own.
    pads = []
    for k, d, p in zip(kshape, dil_t, pad_t):
        if p > full_padding(k, d):
            raise ValueError(f"padding must be at most dilation * (kernel_size - 1) = "
                             f"{full_padding(k, d)} to draw a transposed convolution as a "
                             f"padded convolution, got {p}")
        pads.append(full_padding(k, d) - p)
    zshape = tuple(insert.out_shape[1:])
    geo = layer_geometry(kshape, zshape, padding=tuple(pads), dilation=dil_t)
    pm = geo.padded_map()
    grid = tuple(ax.padded_size for ax in geo.axes)
    sources = np.where(pm.flat >= 0, holder[np.maximum(pm.flat, 0)], -1)
    kinds = ["pad" if f < 0 else ("input" if s >= 0 else "zero")
             for f, s in zip(pm.flat.tolist(), sources.tolist())]
    # The transposed layer correlates with the kernel flipped on every axis.
    flipped = np.flip(index_weight, axis=tuple(range(2, 2 + nd)))
    window = layer_matrix(flipped, (1, *grid), dilation=dil_t)
    return grid, kinds, sources, window


def spatial_layout(kernel_size: IntOrTuple = 3, input_shape: IntOrTuple = (5, 5), *,
                   padding: IntOrTuple = 1, stride: IntOrTuple = 1, dilation: IntOrTuple = 1,
                   transposed: bool = False, kernel: ArrayLike | None = None
                   ) -> dict[str, Any]:
    """What :func:`spatial` draws, without drawing: grid, windows and the layer's matrix.

    Returns a dict with ``"grid_shape"``, ``"kinds"`` and ``"sources"`` (one
    per grid cell, C order), ``"windows"`` (for each output, the list of
    ``(grid cell, weight index)`` its taps cover), ``"matrix"`` (the layer:
    :func:`~toeplitz_conv.layer_matrix` or
    :func:`~toeplitz_conv.transposed_layer_matrix`), ``"kernel"`` and
    ``"out_shape"``.

    Examples
    --------
    >>> lay = spatial_layout(3, 4, padding=1)
    >>> lay["kinds"]
    ['pad', 'input', 'input', 'input', 'input', 'pad']
    >>> lay["windows"][0]
    [(0, 0), (1, 1), (2, 2)]
    >>> t = spatial_layout(3, 2, padding=0, stride=2, transposed=True)
    >>> t["kinds"], t["out_shape"]
    (['pad', 'pad', 'input', 'zero', 'input', 'pad', 'pad'], (5,))
    """
    transposed = as_bool(transposed, "transposed")
    spatial = as_shape(input_shape, "input_shape")
    if len(spatial) not in (1, 2):
        raise ValueError(f"input_shape must have 1 or 2 spatial sizes for a drawable "
                         f"figure, got {spatial}")
    _check_input_size(spatial)
    kshape = as_int_tuple(kernel_size, len(spatial), "kernel_size", minimum=1)
    if kernel is None:
        # Small distinct numbers, so that products can be read off.
        w = (np.arange(math.prod(kshape)) % 3 + 1).reshape(kshape)
    else:
        w = np.asarray(kernel)
        if w.shape != kshape:
            raise ValueError(f"kernel must have the shape kernel_size = {kshape}, "
                             f"got {w.shape}")
    if not np.issubdtype(w.dtype, np.number):
        raise TypeError("kernel must be numbers")
    grid, kinds, sources, window = _layout_matrices(kshape, spatial, padding, stride,
                                                    dilation, transposed)
    weight = w.reshape((1, 1) + kshape)
    if transposed:
        M = transposed_layer_matrix(weight, (1, *spatial), stride=stride, padding=padding,
                                    dilation=dilation)
    else:
        M = layer_matrix(weight, (1, *spatial), stride=stride, padding=padding,
                         dilation=dilation)
    if window.out_shape[1:] != M.out_shape[1:]:
        raise RuntimeError("the window matrix and the layer disagree on the output shape")
    w_rows, w_cols, w_idx = window.taps
    of_weight = window.weight.ravel()
    windows: list[list[tuple[int, int]]] = [[] for _ in range(window.shape[0])]
    for r, c, t in zip(w_rows.tolist(), w_cols.tolist(), w_idx.tolist()):
        windows[r].append((c, int(of_weight[t])))
    _check_windows(windows, sources, M)
    return {"grid_shape": grid, "kinds": kinds, "sources": sources, "windows": windows,
            "matrix": M, "kernel": w, "out_shape": tuple(M.out_shape[1:]),
            "in_shape": spatial, "transposed": transposed}


def _check_windows(windows: list[list[tuple[int, int]]], sources: np.ndarray,
                   M: TiedMatrix) -> None:
    """The picture must be the layer: each window's input cells are its row's taps in ``M``.

    >>> A = layer_matrix(np.ones((1, 1, 2)), (1, 2))
    >>> _check_windows([[(0, 0), (1, 1)]], np.array([0, 1]), A)
    >>> _check_windows([[(0, 1), (1, 0)]], np.array([0, 1]), A)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: output 0: the window covers [(0, 1), (1, 0)], the matrix row holds ...
    """
    m_rows, m_cols, m_idx = M.taps
    for r in range(M.shape[0]):
        drawn = sorted((int(sources[c]), wi) for c, wi in windows[r] if sources[c] >= 0)
        sel = m_rows == r
        real = sorted(zip(m_cols[sel].tolist(), m_idx[sel].tolist()))
        if drawn != real:
            raise RuntimeError(f"output {r}: the window covers {drawn}, the matrix row "
                               f"holds {real}")


def _names(labels: str | Sequence[str], w: np.ndarray) -> list[str]:
    if isinstance(labels, str):
        if labels == "values":
            return [_fmt(v) for v in w.ravel()]
        if labels == "symbols":
            return [f"$w_{{{i}}}$" for i in range(w.size)]
        raise ValueError(f"labels must be 'values', 'symbols' or names, got {labels!r}")
    if not isinstance(labels, Sequence):
        raise TypeError(f"labels must be 'values', 'symbols' or a sequence of names, "
                        f"got {type(labels).__name__}")
    names = [str(s) for s in labels]
    if len(names) != w.size:
        raise ValueError(f"labels must name all {w.size} weights, got {len(names)} names")
    for s in names:
        _check_mathtext(s, "labels")
    return names


def _input_names(input_names: Sequence[str] | None, n: int, x: np.ndarray,
                 symbolic: bool) -> list[str]:
    if input_names is not None:
        names = [str(s) for s in input_names]
        if len(names) != n:
            raise ValueError(f"input_names must name all {n} inputs, got {len(names)}")
        for s in names:
            _check_mathtext(s, "input_names")
        return names
    if symbolic:
        return list(string.ascii_lowercase[:n]) if n <= 26 else [f"$x_{{{i}}}$"
                                                                  for i in range(n)]
    return [_fmt(v) for v in x]


def _product(a: str, b: str) -> str:
    """``xb`` for two letters (the lecture's notation), else ``a·b`` (numbers stay numbers)."""
    plain = a.isalpha() and b.isalpha() and len(a) == 1 and len(b) == 1
    return f"{a}{b}" if plain else f"{a}·{b}"


def _out_name(row: int, out_shape: tuple[int, ...]) -> str:
    if len(out_shape) == 1:
        return f"$s_{{{row}}}$"
    i, j = (int(v) for v in np.unravel_index(row, out_shape))
    return f"$s_{{{i},{j}}}$"


def _title(lay: dict[str, Any], padding: Any, stride: Any, dilation: Any,
           transposed: bool) -> str:
    """``convolution: kernel 3×3, padding 1, stride 2`` (the settings that are not the default)."""
    parts = [f"kernel {'×'.join(map(str, lay['kernel'].shape))}"]
    for word, v, default in (("padding", padding, 0), ("stride", stride, 1),
                             ("dilation", dilation, 1)):
        values = (v,) if isinstance(v, int) else tuple(v)
        if any(u != default for u in values):
            parts.append(f"{word} {'×'.join(map(str, values))}")
    what = "transposed convolution" if transposed else "convolution"
    return f"{what}: " + ", ".join(parts)


def _title_lines(title: str | None, width: float) -> list[str]:
    """The title on one line, or split after its colon when it is wider than the figure."""
    if not title:
        return []
    if text_width(title, TITLE_PT, bold=True) <= width - 8:
        return [title]
    return [part.strip() for part in title.split(":", 1)]


@_styled
def spatial(kernel_size: IntOrTuple = 3, input_shape: IntOrTuple = (5, 5), *,
            padding: IntOrTuple = 1, stride: IntOrTuple = 1, dilation: IntOrTuple = 1,
            transposed: bool = False, row: int = 0, kernel: ArrayLike | None = None,
            x: ArrayLike | None = None, labels: str | Sequence[str] = "values",
            input_names: Sequence[str] | None = None, slide: Slide | None = None,
            title: bool = True) -> Figure:
    """A layer in space: the padded input, the window of output ``row``, the output filling.

    The view of Dumoulin & Visin's *convolution arithmetic*: padding cells
    (grey), the kernel's window (its cells tinted by weight, dilated when
    ``dilation > 1``, stepping by ``stride``), and the output grid with the
    outputs before ``row`` filled in.  ``transposed=True`` draws PyTorch's
    ``conv_transpose`` as the direct convolution it equals: ``stride - 1``
    zeros inserted between the inputs (white, dotted), padded by
    ``dilation * (kernel_size - 1) - padding``, the kernel flipped.  The
    output values are the layer's matrix times ``x`` (default small
    integers); the window is that matrix's row (see :func:`spatial_layout`).

    Parameters
    ----------
    kernel_size, input_shape, padding, stride, dilation : int or tuple of int
        As in PyTorch (one channel; 1-D or 2-D).
    transposed : bool
        Draw the transposed convolution.
    row : int
        The current output (flat, C order); ``animate("spatial", ...)`` steps it.
    kernel, x : array_like, optional
        The weights (shape ``kernel_size``) and the input.
    labels : {'values', 'symbols'} or sequence of str
        The weights' names; with names or ``'symbols'`` the inputs are letters
        (or ``input_names``) and the expression is symbolic.
    slide : {'4:3', '16:9'}, optional
        Size the figure to that Beamer text area (text stays >= 11 pt); a grid
        that cannot fit is refused with a suggestion.
    title : bool
        Draw the figure's title (a slide's frame title may replace it).

    Examples
    --------
    >>> d = spatial(3, 6, padding=1, row=5, labels=("x", "y", "z"))._toeplitz_data
    >>> d["expression"]
    'xe + yf'
    >>> d = spatial(3, 4, padding=2, kernel=[7, 6, 5], x=[1, 2, 3, 4], row=3)._toeplitz_data
    >>> d["expression"], d["value"]
    ('7·2 + 6·3 + 5·4', '52')
    """
    lay = spatial_layout(kernel_size, input_shape, padding=padding, stride=stride,
                         dilation=dilation, transposed=transposed, kernel=kernel)
    M: TiedMatrix = lay["matrix"]
    m, n = M.shape
    row = as_int(row, "row")
    if not 0 <= row < m:
        raise ValueError(f"row must be an output in 0..{m - 1}, got {row}")
    title = as_bool(title, "title")
    xv = (np.arange(n) * 5 + 2) % 7 + 1 if x is None else np.asarray(x).ravel()
    if xv.size != n or not np.issubdtype(xv.dtype, np.number):
        raise ValueError(f"x must be {n} numbers (the input size), got {xv.size}")
    if not np.all(np.isfinite(xv)):
        raise ValueError("x must be finite numbers; it contains NaN or inf")
    w = lay["kernel"]
    symbolic = not (isinstance(labels, str) and labels == "values")
    wnames = _names(labels, w)
    xnames = _input_names(input_names, n, xv, symbolic)
    y = M @ xv.astype(float)
    shown_y = [_fmt(v) for v in y]
    fig = _draw(lay, row, wnames, xnames, shown_y, symbolic, slide_area(slide),
                _title(lay, padding, stride, dilation, bool(transposed)) if title else None)
    terms = [_product(wnames[wi], xnames[c]) for c, wi in
             sorted((int(lay["sources"][c]), wi) for c, wi in lay["windows"][row]
                    if lay["sources"][c] >= 0)]
    data = fig._toeplitz_data  # type: ignore[attr-defined]
    data.update({"matrix": M, "row": row, "y": y, "x": xv, "layout": lay,
                 "window": lay["windows"][row], "filled": list(range(row + 1)),
                 "expression": " + ".join(terms).replace("$", "") if terms else "0",
                 "value": shown_y[row]})
    return fig


def _expression(lay: dict[str, Any], row: int, wnames: list[str], xnames: list[str],
                value: str, symbolic: bool, width: float) -> list[str]:
    """The current output's expression (from its window), on one or two lines."""
    srcs = lay["sources"]
    terms = [_product(wnames[wi], xnames[s]) for s, wi in
             sorted((int(srcs[g]), wi) for g, wi in lay["windows"][row] if srcs[g] >= 0)]
    head = f"{_out_name(row, lay['out_shape'])} = "
    tail = "" if symbolic else f" = {value}"
    lines = fit_lines(head, terms or ["0"], tail, width, BODY_PT)
    if not lines:       # too many products to write out: say how many
        lines = [f"{head}the sum of the {len(terms)} products in the window"
                 + ("" if symbolic else f" = {value}")]
    return lines


def _cell_size(area: tuple[float, float] | None, options: list[tuple[float, float, float,
                                                                         float]]
               ) -> tuple[float, int]:
    """The largest cell (pt) among layouts ``(cols, fixed_w, rows, fixed_h)``, and its index."""
    if area is None:
        return FREE_CELL_PT, 0
    fits = [min(FREE_CELL_PT, (area[0] - fw) / cols, (area[1] - fh) / rows)
            for cols, fw, rows, fh in options]
    best = int(np.argmax(fits))
    return fits[best], best


def _draw_grid(cv: PtCanvas, lay: dict[str, Any], window: dict[int, int],
               xnames: list[str], colors: list[str], x0: float, y0: float, cell: float,
               gw: int, size: float) -> None:
    """The padded grid: input cells, padding zeros (grey), inserted zeros (white, dotted)."""
    for i, kind in enumerate(lay["kinds"]):
        r, c = divmod(i, gw)
        src = int(lay["sources"][i])
        face = {"input": "#FFFFFF", "pad": PAD_COLOR, "zero": INSERTED_COLOR}[kind]
        if i in window:
            face = tint(colors[window[i]], 0.5)
        cv.cell(x0 + c * cell, y0 + r * cell, cell, cell, face,
                xnames[src] if kind == "input" else "0", size=size,
                linestyle=":" if kind == "zero" else "-",
                color="#555555" if kind != "input" else None)
    for i in window:
        r, c = divmod(i, gw)
        cv.frame(x0 + c * cell, y0 + r * cell, cell, cell, color="#333333", lw=2.0)


def _draw_output(cv: PtCanvas, out_shape: tuple[int, ...], row: int, shown_y: list[str],
                 symbolic: bool, x0: float, y0: float, cell: float, size: float) -> None:
    """The output grid: outputs up to ``row`` filled in, ``row`` framed."""
    one_d = len(out_shape) == 1
    ow = out_shape[-1]
    for i in range(len(shown_y)):
        r, c = divmod(i, ow)
        done = i <= row
        shown = (_out_name(i, out_shape) if one_d else "") if symbolic else shown_y[i]
        cv.cell(x0 + c * cell, y0 + r * cell, cell, cell, DONE_COLOR if done else "#FFFFFF",
                shown if done else "", size=size)
    r, c = divmod(row, ow)
    cv.frame(x0 + c * cell, y0 + r * cell, cell, cell, color=CURRENT_COLOR, lw=2.6)


def _legend_items(lay: dict[str, Any], window_color: str, kernel_drawn: bool,
                  width: float) -> list[tuple[str, str]]:
    """The legend's swatches, keeping to ``width``: words that do not fit are left out."""
    items = [(PAD_COLOR, "pad 0")] if "pad" in lay["kinds"] else []
    if "zero" in lay["kinds"]:
        items.append((INSERTED_COLOR, "inserted 0"))
    items += [(DONE_COLOR, "computed")]
    if lay["transposed"]:
        items.append((tint(window_color, 0.5), "window: kernel flipped"))
    elif not kernel_drawn:
        items.append((tint(window_color, 0.5), "window"))
    while items and sum(23 + text_width(w, MIN_PT) for _, w in items) > width - 12:
        items.pop(-2 if len(items) > 1 else -1)
    return items


def _draw(lay: dict[str, Any], row: int, wnames: list[str], xnames: list[str],
          shown_y: list[str], symbolic: bool, area: tuple[float, float] | None,
          title: str | None) -> Figure:
    grid, out_shape = lay["grid_shape"], lay["out_shape"]
    one_d = len(grid) == 1
    gh, gw = (1, grid[0]) if one_d else grid
    oh, ow = (1, out_shape[0]) if one_d else out_shape
    kshape = lay["kernel"].shape
    kh, kw = (1, kshape[0]) if one_d else kshape
    heads = _title_lines(title, area[0] if area else 10 ** 4)
    head = (0.6 + 1.4 * len(heads)) * TITLE_PT if heads else 0.0
    cap = 1.4 * BODY_PT                       # a caption line above a grid
    left = 1.6 * BODY_PT if one_d else 0.0    # row names "x", "w", "s" in 1-D
    lines = _expression(lay, row, wnames, xnames, shown_y[row], symbolic,
                        (area[0] if area else 10 ** 4) - 8)
    foot = (len(lines) + 1) * 1.35 * BODY_PT  # the expression, and the legend
    if one_d:
        options = [(max(gw, ow), left + 4, 3.0, head + 3 * cap + foot)]
    else:   # kernel below the output, beside it, or left out (its values are in the sums)
        options = [(gw + max(ow, kw) + 1.0, 4, max(gh, oh + kh + 1.5), head + cap + foot),
                   (gw + ow + kw + 2.0, 4, max(gh, oh, kh), head + cap + foot),
                   (gw + ow + 1.0, 4, max(gh, oh), head + cap + foot)]
    cell, choice = _cell_size(area, options)
    if cell < _MIN_CELL:
        wider = "" if area is None or area[0] > 350 else " (or slide='16:9')"
        raise ValueError(f"a {gh}×{gw} grid with a {oh}×{ow} output does not fit a slide "
                         f"with 11 pt text; use a smaller input_shape or kernel_size{wider}")
    cols, fixed_w, rows_cells, fixed_h = options[choice]
    width = area[0] if area else fixed_w + cols * cell + 4
    if area is None and lines:
        width = max(width, max(text_width(t, BODY_PT) for t in lines + heads) + 12)
    height = area[1] if area else fixed_h + rows_cells * cell
    cv = PtCanvas(width, height)
    size = BODY_PT if cell >= 24 else MIN_PT
    colors = weight_colors(len(wnames))
    for i, line in enumerate(heads):
        cv.text(width / 2, (1 + 1.4 * i) * TITLE_PT, line, size=TITLE_PT, fontweight="bold")
    window = dict(lay["windows"][row])
    caption = "input, padded" if "pad" in lay["kinds"] else "input"
    y_in = head + cap
    x0 = (left + (width - left - gw * cell) / 2) if one_d else (width - cols * cell) / 2
    cv.text(x0 + gw * cell / 2, y_in - cap / 2, caption, size=size, color="#444444")
    _draw_grid(cv, lay, window, xnames, colors, x0, y_in, cell, gw, size)
    kernel_drawn = True
    if one_d:       # the kernel under its window (the lecture's picture), the output below
        cv.text(left / 2 + 2, y_in + cell / 2, "x", size=size + 1)
        y_k = y_in + cell + cap
        cv.text(left / 2 + 2, y_k + cell / 2, "w", size=size + 1)
        for i, wi in sorted(window.items()):
            cv.cell(x0 + i * cell, y_k, cell, cell, tint(colors[wi], 0.5), wnames[wi],
                    size=size)
        xo = left + (width - left - ow * cell) / 2
        y_out = y_k + cell + cap
        cv.text(left / 2 + 2, y_out + cell / 2, "s", size=size + 1)
    else:
        xo, y_out = x0 + (gw + 1.0) * cell, y_in
        if choice == 0:
            xk, y_k = xo, y_out + (oh + 1.5) * cell
        else:
            xk, y_k = xo + (ow + 1.0) * cell, y_in
        kernel_drawn = choice < 2
        if kernel_drawn:
            cv.text(xk + kw * cell / 2, y_k - cap / 2, "kernel", size=size, color="#444444")
            for i, name in enumerate(wnames):
                r, c = divmod(i, kw)
                cv.cell(xk + c * cell, y_k + r * cell, cell, cell, tint(colors[i], 0.5), name,
                        size=size)
    cv.text(xo + ow * cell / 2, y_out - cap / 2, "output", size=size, color="#444444")
    _draw_output(cv, out_shape, row, shown_y, symbolic, xo, y_out, cell, size)
    y_line = height - foot + 0.7 * BODY_PT
    for t in lines:
        cv.text(width / 2, y_line, t, size=BODY_PT)
        y_line += 1.35 * BODY_PT
    cv.legend(6, height - 0.75 * BODY_PT, _legend_items(lay, colors[0], kernel_drawn, width),
              size=MIN_PT)
    cv.data.update({"expression_lines": lines, "kernel_drawn": kernel_drawn, "cell_pt": cell})
    return cv.fig

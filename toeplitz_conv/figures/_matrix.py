"""Figures of one convolution matrix: y = A x, its rows, its blocks, its modes.

Signal convention (:func:`~toeplitz_conv.conv_matrix`, scipy's modes): the
matrix equation, the sliding window as one row, the doubly block Toeplitz
structure, convolution against correlation, the output modes as row ranges
and shift equivariance of the circulant matrix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._typing import IntOrTuple, Mode, SignalBoundary
from .._validation import as_int, to_numpy
from ..palette import INK, PAD_COLOR, ZERO_COLOR, weight_colors, weight_fills
from ..signal import conv_matrix, signal_geometry
from ..tied import TiedMatrix
from ._canvas import _CELL_IN, _FONT, _TITLE, Slide, _Canvas, _grid_extent, _styled, _text_scale
from ._data import (
    _blocks,
    _check_signal,
    _fmt,
    _kernel,
    _matching_rows,
    _number,
    _symbol_names,
    row_expression,
    tie_grid,
    tie_parts,
    weight_labels,
)
from ._notes import diagonal_note
from ._points import text_width

__all__ = ["conv_vs_corr", "doubly_block", "equivariance", "matrix_equation", "output_modes",
           "sliding_window"]


def _plain(label: str) -> str:
    """A label without mathtext markup: ``$w_{0}$`` -> ``w_0``."""
    return re.sub(r"[${}]", "", label)


def _output_name(index: int, out_shape: tuple[int, ...]) -> str:
    """The slides' name of one output: ``s_3`` in 1-D, ``s_(i, j)`` by index in 2-D."""
    if len(out_shape) == 1:
        return f"$s_{{{index}}}$"
    ij = ", ".join(str(int(v)) for v in np.unravel_index(index, out_shape))
    return f"$s_{{{ij}}}$"


def _mode_text(mode: str, correlate: bool) -> str:
    return f"{'cross-correlation' if correlate else 'convolution'}, mode '{mode}'"


@_styled
def matrix_equation(kernel: ArrayLike = (5, 6, 7), input_shape: IntOrTuple = 4,
                    mode: Mode = "full", *, correlate: bool = False,
                    boundary: SignalBoundary = "fill",
                    x: ArrayLike | None = None,
                    labels: str | Sequence[str] = "values",
                    slide: Slide | None = None, title: bool = True) -> Figure:
    """The matrix with its kernel numbers (or symbols) in the cells, as ``y = A x``.

    With numbers, ``x`` defaults to ``1, 2, ..., n`` (the worked example's ``[1, 2, 3, 4]``)
    and ``y`` is ``A @ x``; with symbols both are ``x_i`` / ``y_i``.  A 2-D
    matrix has its blocks outlined.

    Examples
    --------
    >>> fig = matrix_equation([5, 6, 7], 4, "full")
    >>> fig._toeplitz_data["A"]["labels"][2].tolist()
    ['7', '6', '5', '']
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, mode, correlate=correlate, boundary=boundary)
    A = conv_matrix(k, input_shape, mode, correlate=correlate, boundary=boundary)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    m, n = A.shape
    if labels == "values":
        xv = np.arange(1, n + 1) if x is None else np.asarray(to_numpy(x)).ravel()
        if xv.size != n:
            raise ValueError(f"x must have {n} entries (the input size), got {xv.size}")
        x_labels = [_fmt(v) for v in xv]
        y_labels = [_fmt(v) for v in A @ xv]
    else:
        x_labels = [f"$x_{{{i}}}$" for i in range(n)]
        y_labels = [f"$y_{{{i}}}$" for i in range(m)]
    top = 2.2
    width = 1 + 1.5 + 1 + 1.5 + n + 1 + 1 + 1
    # The note goes under the matrix, in the room the taller x leaves if it does.
    room = n >= m + 1.5
    cv = _Canvas(width, top + max(m, n) + (1 if room else 1.9), slide=slide, title=title)
    cv.title(width / 2, 0.9, f"y = A x   ({_mode_text(mode, correlate)})")
    cv.subtitle(width / 2, top + (m + 0.8 if room else max(m, n) + 1.0),
                diagonal_note(A, names))
    cv.text(1.5, top - 0.5, "y", size=_TITLE)
    data = cv.data
    data["y"] = cv.vector(1, top, y_labels)
    cv.text(3.25, top + m / 2, "=", size=28)
    ax0 = 4.5
    cv.text(ax0 + n / 2, top - 0.5, f"A  ({m} × {n})", size=_TITLE)
    data["A"] = cv.matrix(ax0, top, tie, cell_labels, k.size, blocks=_blocks(A))
    data["A"]["matrix"] = A
    cv.text(ax0 + n + 1.5, top - 0.5, "x", size=_TITLE)
    data["x"] = cv.vector(ax0 + n + 1, top, x_labels)
    return cv.fig


#: Fill of an output already computed (as in :func:`~._spatial.spatial`), and the
#: colour of the current output's frame and of its matrix row.
DONE_COLOR = "#D6EAF8"
CURRENT_COLOR = "#D00000"
#: Colour of the label of a padding cell (it is no input sample).
PAD_TEXT = "#555555"


def _padded_view(k: np.ndarray, A: TiedMatrix, mode: str, correlate: bool, boundary: str
                 ) -> dict[str, Any]:
    """The padded input of ``A`` and the window of every output over it.

    The cells and what each reads come from the geometry core
    (:meth:`~toeplitz_conv.geometry.Geometry.padded_map`); the windows are the
    rows of the ``'valid'`` matrix of the same kernel over the padded grid
    (its taps name their weights).  Refuses to draw when a window is not
    exactly its row of ``A``.

    >>> A = conv_matrix([5, 6, 7], 4, "full")
    >>> v = _padded_view(np.array([5, 6, 7]), A, "full", False, "fill")
    >>> v["grid_shape"], v["sources"].tolist()
    ((8,), [-1, -1, 0, 1, 2, 3, -1, -1])
    >>> v["windows"][0]
    [(0, 2), (1, 1), (2, 0)]
    """
    geo = signal_geometry(k.shape, A.in_shape, mode, boundary, correlate=correlate)
    pm = geo.padded_map()
    grid = tuple(int(ax.padded_size) for ax in geo.axes)
    W = conv_matrix(k, grid, "valid", correlate=correlate)
    if tuple(W.out_shape) != tuple(A.out_shape):
        raise RuntimeError("the window matrix and the figure's matrix disagree on the "
                           "output shape")
    w_rows, w_cols, w_idx = W.taps
    windows: list[list[tuple[int, int]]] = [[] for _ in range(W.shape[0])]
    for r, c, t in zip(w_rows.tolist(), w_cols.tolist(), w_idx.tolist()):
        windows[r].append((c, t))
    rows, cols, widx = A.taps
    for r, win in enumerate(windows):
        drawn = sorted((int(pm.flat[c]), t) for c, t in win if pm.flat[c] >= 0)
        sel = rows == r
        real = sorted(zip(cols[sel].tolist(), widx[sel].tolist()))
        if drawn != real:
            raise RuntimeError(f"output {r}: the window covers {drawn}, the matrix row "
                               f"holds {real}")
    return {"grid_shape": grid, "sources": pm.flat.copy(), "inside": pm.inside.copy(),
            "windows": windows}


def _numbers(inputs: list[str]) -> np.ndarray | None:
    """The input names as numbers when every one is a number, else None."""
    values = [_number(s) for s in inputs]
    return None if any(v is None for v in values) else np.array(values, dtype=float)


def _input_values(x: ArrayLike | None, n: int) -> np.ndarray | None:
    """``x`` checked: ``n`` finite numbers (None stays None)."""
    if x is None:
        return None
    xv = np.asarray(to_numpy(x)).ravel()
    if xv.size != n or not np.issubdtype(xv.dtype, np.number):
        raise ValueError(f"x must be {n} numbers (the input size), got {xv.size} "
                         f"{'numbers' if np.issubdtype(xv.dtype, np.number) else 'values'}")
    if not np.all(np.isfinite(xv)):
        raise ValueError("x must be finite numbers; it contains NaN or inf")
    return xv


def _pad_caption(view: dict[str, Any], boundary: str) -> str:
    if view["inside"].all():
        return "input"
    return {"fill": "input, zero-padded", "wrap": "input, wrapped",
            "symm": "input, mirrored"}[boundary]


@_styled
def sliding_window(kernel: ArrayLike = (1, 2, 3), input_shape: IntOrTuple = 6,
                   mode: Mode = "valid", *, row: int = 1, correlate: bool = False,
                   boundary: SignalBoundary = "fill", x: ArrayLike | None = None,
                   labels: str | Sequence[str] = "symbols",
                   input_names: Sequence[str] | None = None,
                   slide: Slide | None = None, title: bool = True) -> Figure:
    """The kernel over the padded input at one output, that row of the matrix, the output so far.

    The slides' illustration: ``u = [a, b, c, d, e, f]``, ``w = [z, y, x]``,
    output 1 of the valid convolution is ``xb + yc + zd``.  The input is
    drawn padded as the mode pads it (grey cells: zeros, or with
    ``boundary='wrap'`` / ``'symm'`` the samples they repeat), the kernel's
    window framed over it (in 1-D the kernel drawn under its window), and
    the output filled up to ``row``: with numbers (``x``, or numeric
    ``input_names`` and ``labels='values'``) each output is ``(A @ x)[i]``,
    else its name.  ``animate("sliding_window")`` steps ``row``.

    Examples
    --------
    >>> fig = sliding_window([1, 2, 3], 6, "valid", row=1, labels=["z", "y", "x"])
    >>> fig._toeplitz_data["expression"]
    'xb + yc + zd'
    >>> sliding_window([1, 2, 3], 6, row=1)._toeplitz_data["expression"]
    'w_2·b + w_1·c + w_0·d'

    Numbers are multiplied with "·" and summed as the matrix sums them:

    >>> d = sliding_window([5, 6, 7], 4, "full", row=3, labels="values",
    ...                    input_names=["1", "2", "3", "4"])._toeplitz_data
    >>> d["expression"], d["value"]
    ('7·2 + 6·3 + 5·4', 52.0)
    >>> d["output"]["labels"][:4], d["padded"]["pad_cells"]
    (['5', '16', '34', '52'], 4)
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, mode, correlate=correlate, boundary=boundary)
    A = conv_matrix(k, input_shape, mode, correlate=correlate, boundary=boundary)
    m, n = A.shape
    row = as_int(row, "row")
    if not 0 <= row < m:
        raise ValueError(f"row must be in 0..{m - 1} (the outputs), got {row}")
    names = weight_labels(k, labels)
    xv = _input_values(x, n)
    if xv is not None and input_names is None:
        input_names = [_fmt(v) for v in xv]
    inputs = _symbol_names(input_names, n, "letters")
    if xv is None:
        xv = _numbers(inputs)
    numeric = xv is not None and all(_number(s) is not None for s in names)
    y = A @ xv if numeric and xv is not None else None
    # Symbolic 2-D outputs are left unnamed: s_{i,j} does not fit a cell at 11 pt
    # (the expression names the current one), as in spatial().
    one_d = len(A.in_shape) == 1
    outputs = ([_fmt(v) for v in y] if y is not None
               else [_output_name(i, A.out_shape) if one_d else "" for i in range(m)])
    view = _padded_view(k, A, mode, correlate, boundary)
    shown, value = row_expression(A, row, names, inputs)
    expression = _plain(shown)
    if value is not None:       # numbers throughout: the sum, as A @ x gives it
        shown += f" = {_fmt(value)}"
    fig, data = _draw_sliding(A, k, view, row, names, inputs, outputs, shown,
                              _window_note(mode, correlate, boundary, names), slide, title,
                              _pad_caption(view, boundary))
    data["A"]["matrix"] = A
    rows, cols, widx = A.taps
    sel = rows == row
    colors = weight_colors(k.size)
    faces = [ZERO_COLOR] * n
    window = [""] * n
    for c, w in zip(cols[sel].tolist(), widx[sel].tolist()):
        faces[c] = colors[w]
        window[c] = names[w]
    data["window"] = {"cols": cols[sel], "weight_index": widx[sel], "labels": window,
                      "colors": faces, "grid_cells": [c for c, _ in view["windows"][row]]}
    data["expression"] = expression
    data["value"] = value
    data["y"] = y
    data["x"] = xv
    return fig


def _window_note(mode: str, correlate: bool, boundary: str, names: list[str]) -> str:
    note = _mode_text(mode, correlate)
    if boundary != "fill":
        note += f", boundary '{boundary}'"
    if not correlate:       # the window shows the kernel reversed
        note += f";  w = [{', '.join(_plain(s) for s in names)}], flipped"
    return note


def _draw_padded(cv: _Canvas, view: dict[str, Any], window: dict[int, int], inputs: list[str],
                 colors: list[str], x0: float, y0: float) -> dict[str, Any]:
    """The padded input: samples (white, or tinted by the weight over them), padding grey."""
    gw, gh = _grid_extent(view["grid_shape"])
    labels, kinds = [], []
    for i, (src, inside) in enumerate(zip(view["sources"].tolist(), view["inside"].tolist())):
        r, c = divmod(i, gw)
        label = inputs[src] if src >= 0 else "0"
        labels.append(label)
        kinds.append("input" if inside else "pad")
        if inside:
            face = colors[window[i]] if i in window else "#FFFFFF"
            cv.cell(x0 + c, y0 + r, face, label, edge="#444444", lw=1.0)
        else:
            cv.cell(x0 + c, y0 + r, PAD_COLOR, label, edge="#888888", lw=1.0, text=PAD_TEXT)
    cv.frame(x0, y0, gw, gh, lw=2.4)
    for i in window:
        r, c = divmod(i, gw)
        cv.frame(x0 + c, y0 + r, 1, 1, color="#333333", lw=2.6)
    return {"labels": labels, "kinds": kinds, "pad_cells": kinds.count("pad"),
            "shape": view["grid_shape"]}


def _draw_outputs(cv: _Canvas, out_shape: tuple[int, ...], row: int, outputs: list[str],
                  x0: float, y0: float) -> dict[str, Any]:
    """The output so far: outputs up to ``row`` filled in, the others empty, ``row`` framed."""
    ow, _ = _grid_extent(out_shape)
    cells = []
    for i, label in enumerate(outputs):
        r, c = divmod(i, ow)
        done = i <= row
        cv.cell(x0 + c, y0 + r, DONE_COLOR if done else "#FFFFFF", label if done else "",
                edge="#444444", lw=1.0)
        cells.append((x0 + c, y0 + r, 1.0, 1.0))
    r, c = divmod(row, ow)
    cv.frame(x0 + c, y0 + r, 1, 1, color=CURRENT_COLOR, lw=3.0)
    return {"labels": list(outputs), "filled": list(range(row + 1)), "cells": cells}


def _draw_sliding(A: TiedMatrix, k: np.ndarray, view: dict[str, Any], row: int,
                  names: list[str], inputs: list[str], outputs: list[str], shown: str,
                  note: str, slide: Slide | None, title: bool, caption: str
                  ) -> tuple[Figure, dict[str, Any]]:
    m, n = A.shape
    one_d = len(A.in_shape) == 1
    gw, gh = _grid_extent(view["grid_shape"])
    ow, oh = _grid_extent(A.out_shape)
    kw, kh = _grid_extent(k.shape)
    window = dict(view["windows"][row])
    colors = weight_fills(k.size)
    out = _output_name(row, A.out_shape)
    top = 2.75
    x0 = 1.7 if one_d else 1.0            # room for the row names x, w, s in 1-D
    gap = 1.3                             # a caption between two rows of cells
    if one_d:
        block_w, block_h = float(gw), 3 + 2 * gap
    else:   # the kernel and the output side by side under the input
        block_w, block_h = max(gw, kw + 0.8 + ow), gh + gap + max(kh, oh)
    # A caption wider than its row of cells widens the column (in cells, as drawn).
    widest = f"window of {_output_name(m - 1, A.out_shape)}" if one_d else "kernel"
    words = max(text_width(t, _TITLE * _text_scale(slide)) for t in (caption, widest))
    block_w = max(block_w, words / (72 * _CELL_IN) + 0.3)
    left = x0 + block_w + 0.8
    width = left + n + 1
    # The expression goes under everything, centred: under a narrow matrix it
    # would stick out past the figure's right edge.
    bottom = top + max(block_h, m)
    height = bottom + 1.8
    cv = _Canvas(width, height, slide=slide, title=title)
    cv.title(width / 2, 0.65, "One output = kernel · window = one row of A")
    cv.subtitle(width / 2, 1.45, note)
    gx = x0 + (block_w - gw) / 2
    cv.text(gx + gw / 2, top - 0.45, caption, size=_TITLE)
    data = cv.data
    data["padded"] = _draw_padded(cv, view, window, inputs, colors, gx, top)
    data["padded"]["origin"] = (gx, top)
    y2 = top + gh + gap
    if one_d:
        y3 = y2 + 1 + gap
        for name, yy in (("x", top), ("w", y2), ("s", y3)):
            cv.text(x0 - 0.5, yy + 0.5, name, size=_TITLE)
        cv.text(gx + gw / 2, y2 - 0.45, f"window of {out}", size=_TITLE)
        for i, w in sorted(window.items()):
            cv.cell(gx + i, y2, colors[w], names[w], edge="#444444", lw=1.0)
        cv.text(gx + gw / 2, y3 - 0.45, "output", size=_TITLE)
        data["output"] = _draw_outputs(cv, A.out_shape, row, outputs, gx + (gw - ow) / 2, y3)
    else:
        kx = x0 + (block_w - (kw + 0.8 + ow)) / 2
        cv.text(kx + kw / 2, y2 - 0.45, "kernel", size=_TITLE)
        cv.grid(kx, y2, k.shape, names, faces=colors)
        ox = kx + kw + 0.8
        cv.text(ox + ow / 2, y2 - 0.45, "output", size=_TITLE)
        data["output"] = _draw_outputs(cv, A.out_shape, row, outputs, ox, y2)
    cv.text(width / 2, bottom + 1.0, f"{out} = {shown}", size=_TITLE)
    for c in range(n):
        cv.text(left + c + 0.5, top - 0.45, inputs[c], size=_FONT, color="#444444")
    tie, cell_labels = tie_grid(A, names)
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size,
                          dim_rows=[r for r in range(m) if r != row], blocks=_blocks(A))
    cv.frame(left - 0.08, top + row - 0.08, n + 0.16, 1.16, color=CURRENT_COLOR, lw=3.5)
    return cv.fig, data


@_styled
def doubly_block(kernel: ArrayLike = ((1, 2), (3, 4)),
                 input_shape: IntOrTuple = (3, 4), mode: Mode = "valid", *,
                 correlate: bool = True, labels: str | Sequence[str] = "symbols",
                 input_names: Sequence[str] | None = None,
                 slide: Slide | None = None, title: bool = True) -> Figure:
    """Kernel, input, and the (doubly) block Toeplitz matrix with its blocks outlined.

    The slides' 2-D illustration is a 3 x 4 input ``a .. l`` and the kernel
    ``[[w, x], [y, z]]`` (``labels=("w", "x", "y", "z")``): first output ``wa + xb + ye + zf``.

    Examples
    --------
    >>> fig = doubly_block()
    >>> fig._toeplitz_data["A"]["tie"].shape, fig._toeplitz_data["blocks"]
    ((6, 12), (3, 4))
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, mode, correlate=correlate)
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    m, n = A.shape
    inputs = _symbol_names(input_names, n, "letters")
    kw, kh = _grid_extent(k.shape)
    iw, ih = _grid_extent(A.in_shape)
    left = max(kw, iw) + 2.5
    top = 2.4
    width = left + n + 1
    height = max(top + m + 1, top + kh + ih + 4)
    cv = _Canvas(width, height, slide=slide, title=title)
    what = "doubly block Toeplitz" if len(k.shape) == 2 else "Toeplitz"
    cv.title(width / 2, 0.9, f"{what} matrix of a {k.ndim}-D {_mode_text(mode, correlate)}")
    cv.text(1 + kw / 2, top - 0.5, "kernel", size=_TITLE)
    cv.grid(1, top, k.shape, names, weight_fills(k.size))
    y1 = top + kh + 1.8
    cv.text(1 + iw / 2, y1 - 0.5, "input", size=_TITLE)
    cv.grid(1, y1, A.in_shape, inputs)
    for c in range(n):
        cv.text(left + c + 0.5, top - 0.45, inputs[c], size=_FONT, color="#444444")
    blocks = _blocks(A)
    data = cv.data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, blocks=blocks)
    data["A"]["matrix"] = A
    data["blocks"] = blocks
    return cv.fig


@_styled
def conv_vs_corr(kernel: ArrayLike = (1, 2, 3), input_shape: IntOrTuple = 6,
                 mode: Mode = "valid", *, labels: str | Sequence[str] = "symbols",
                 slide: Slide | None = None, title: bool = True) -> Figure:
    """Convolution against cross-correlation: the same matrix with the kernel flipped.

    Examples
    --------
    >>> fig = conv_vs_corr()
    >>> fig._toeplitz_data["convolution"]["tie"][0].tolist()
    [2, 1, 0, -1, -1, -1]
    >>> fig._toeplitz_data["cross-correlation"]["tie"][0].tolist()
    [0, 1, 2, -1, -1, -1]
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, mode)
    names = weight_labels(k, labels)
    mats = {"convolution": conv_matrix(k, input_shape, mode),
            "cross-correlation": conv_matrix(k, input_shape, mode, correlate=True)}
    m, n = mats["convolution"].shape
    top = 2.6
    width = 2 * (n + 2) + 1
    cv = _Canvas(width, top + m + (2.2 if slide else 1.6), slide=slide, title=title)
    cv.title(width / 2, 0.9, f"Convolution flips the kernel (mode '{mode}')")
    data = cv.data
    for i, (what, A) in enumerate(mats.items()):
        tie, cell_labels = tie_grid(A, names)
        x0 = 1 + i * (n + 2)
        cv.text(x0 + n / 2, top - 0.6, what, size=_TITLE)
        data[what] = cv.matrix(x0, top, tie, cell_labels, k.size, blocks=_blocks(A))
        data[what]["matrix"] = A
    # On a slide the note takes two lines: it is wider than the two matrices.
    cv.text(width / 2, top + m + (1.2 if slide else 0.8),
            "scipy.signal.convolve  vs  scipy.signal.correlate"
            + ("\n" if slide else " ") + "(what CNN layers compute)", size=_FONT,
            color="#444444")
    return cv.fig


@_styled
def output_modes(kernel: ArrayLike = (1, 2, 3), input_shape: IntOrTuple = 6, *,
                 correlate: bool = False, labels: str | Sequence[str] = "symbols",
                 slide: Slide | None = None, title: bool = True) -> Figure:
    """'full', 'same' and 'valid' as row ranges of one (full) matrix.

    The rows of each mode are found by matching its matrix against the full
    one, so the brackets show what the builders produce.

    Examples
    --------
    >>> fig = output_modes()
    >>> d = fig._toeplitz_data
    >>> d["rows"]["valid"].tolist(), d["rows"]["same"].tolist()
    ([2, 3, 4, 5], [1, 2, 3, 4, 5, 6])
    """
    k = _kernel(kernel)
    _check_signal(k, input_shape, "full", correlate=correlate)
    names = weight_labels(k, labels)
    full = conv_matrix(k, input_shape, "full", correlate=correlate)
    tie, cell_labels = tie_grid(full, names)
    rows = {"full": np.arange(full.shape[0])}
    for mode in ("same", "valid"):
        try:
            A = conv_matrix(k, input_shape, mode, correlate=correlate)
        except ValueError:      # 'valid' with a kernel larger than the input
            continue
        rows[mode] = _matching_rows(tie, tie_grid(A, names)[0])
    m, n = full.shape
    top = 2.4
    left = 1
    width = left + n + 3 * 2.2 + 1
    cv = _Canvas(width, top + m + 1.9, slide=slide, title=title)
    cv.title(width / 2, 0.9, f"full / same / valid = rows of one matrix "
                             f"({'correlation' if correlate else 'convolution'})")
    cv.subtitle(width / 2, top + m + 1.0, diagonal_note(full, names))
    data = cv.data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, blocks=_blocks(full))
    data["A"]["matrix"] = full
    bracket_colors = {"full": INK, "same": "#0072B2", "valid": "#D55E00"}
    for j, (mode, r) in enumerate(rows.items()):
        xb = left + n + 0.6 + 2.2 * j
        # Non-contiguous selections (2-D) get one bracket per run of rows.
        runs = np.split(r, np.flatnonzero(np.diff(r) != 1) + 1)
        for run in runs:
            y0, y1 = top + run[0] + 0.1, top + run[-1] + 0.9
            cv.ax.plot([xb, xb + 0.3, xb + 0.3, xb], [y0, y0, y1, y1],
                       color=bracket_colors[mode], linewidth=3 * cv.scale)
        cv.text(xb + 0.45, top + (r[0] + r[-1] + 1) / 2, f"{mode}\n{len(r)}",
                size=_FONT, ha="left", color=bracket_colors[mode], fontweight="bold")
    data["rows"] = rows
    return cv.fig


@_styled
def equivariance(kernel: ArrayLike = (1, 2, 3), input_shape: IntOrTuple = 8, *,
                 shift: int = 2, x: ArrayLike | None = None,
                 labels: str | Sequence[str] = "symbols",
                 slide: Slide | None = None, title: bool = True) -> Figure:
    """Shift equivariance: conv(shift(x)) = shift(conv(x)), with the circulant matrix.

    Uses circular boundaries (``boundary="wrap"``, mode ``"same"``), where the
    identity holds exactly; the matrix is circulant, every row the previous
    one shifted.  ``x`` defaults to a fixed pattern; ``shift`` rolls every axis.

    Examples
    --------
    >>> d = equivariance()._toeplitz_data
    >>> bool((d["A x_shifted"] == d["shifted A x"]).all())
    True
    """
    k = _kernel(kernel)
    shift = as_int(shift, "shift")
    _check_signal(k, input_shape, "same", boundary="wrap")
    A = conv_matrix(k, input_shape, "same", boundary="wrap")
    shape = A.in_shape
    n = A.shape[1]
    xv = np.asarray(to_numpy(x) if x is not None else (np.arange(n) * 5 + 1) % 7).reshape(shape)
    if xv.size != n:
        raise ValueError(f"x must have {n} entries (the input size), got {xv.size}")
    roll = (shift,) * len(shape)
    axes = tuple(range(len(shape)))
    y = (A @ xv.ravel()).reshape(A.out_shape)
    xs = np.roll(xv, roll, axis=axes)
    ys = (A @ xs.ravel()).reshape(A.out_shape)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    gw, gh = _grid_extent(shape)
    kw, kh = _grid_extent(k.shape)
    top = 2.5
    step = gh + 1.25
    left = 1 + gw + 1.6
    m = A.shape[0]
    width = left + n + 1
    height = max(top + 4 * step - 0.5, top + kh + 1.3 + m + 0.5)
    cv = _Canvas(width, height, slide=slide, title=title)
    cv.title(width / 2, 0.65, "Equivariance: conv(shift x) = shift(conv x)")
    cv.subtitle(width / 2, 1.45, f"circular convolution, shift by {shift}")

    def strip(y0: float, values: np.ndarray, title: str) -> None:
        cv.text(1, y0 - 0.45, title, size=_FONT + 1, ha="left")
        cv.grid(1, y0, shape, [_fmt(v) for v in values.ravel()])

    # Stacked top to bottom: x, A x, then the shifted input and its output.
    strip(top, xv, "x")
    strip(top + step, y, "A x")
    strip(top + 2 * step, xs, f"shift(x) by {shift}")
    strip(top + 3 * step, ys, "A shift(x) = shift(A x)")
    cv.grid(left, top, k.shape, names, weight_fills(k.size))
    # The kernel's values: the matrix names its weights, the numbers are these.
    values = np.array2string(k, separator=", ") if k.ndim > 1 else (
        "[" + ", ".join(_fmt(v) for v in k) + "]")
    # On a slide the values go on a second line: one long line would shrink every cell.
    sep = "\n" if slide is not None else " "
    cv.text(left + kw + 0.3, top + kh / 2, f"kernel w ={sep}{' '.join(values.split())}",
            size=_FONT + 1, ha="left")
    what = "circulant" if len(shape) == 1 else "doubly block circulant"
    ya = top + kh + 1.3
    cv.text(left + n / 2, ya - 0.45, f"A ({what})", size=_FONT + 1)
    data = cv.data
    data["A"] = cv.matrix(left, ya, tie, cell_labels, k.size, blocks=_blocks(A),
                          parts=tie_parts(A))
    data["A"]["matrix"] = A
    data.update({"x": xv, "A x": y, "x_shifted": xs, "A x_shifted": ys,
                 "shifted A x": np.roll(y, roll, axis=axes)})
    return cv.fig

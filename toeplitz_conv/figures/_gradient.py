"""The gradient of a tied weight: the sum over every position where it sits in the matrix.

The Q&A's central point: "the weights which were tied across multiple outputs
will receive gradient from all of those outputs (which gradients are summed
together)".  With ``y = A(w) x`` and ``dL/dy = g``, the entry at ``(r, c)``
contributes ``g[r] * x[c]`` to the weight it holds, so ``dL/dw[j]`` is the
sum of those products over the cells of weight ``j``.  The figure draws each
product in its cell and each weight's sum; the sums shown are
:meth:`TiedMatrix.weight_grad`, and the figure refuses to draw when the
products drawn do not add up to them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._typing import IntOrTuple, Mode
from .._validation import as_bool
from ..palette import weight_fills
from ..signal import conv_matrix
from ..tied import TiedMatrix
from ._canvas import _styled
from ._data import _check_input_size, _check_size, _fmt, _kernel
from ._points import (
    BODY_PT,
    MIN_PT,
    TITLE_PT,
    PtCanvas,
    Slide,
    fit_lines,
    slide_area,
    text_width,
)

__all__ = ["weight_gradient"]

_MIN_CELL = 18.0


def _check_sums(sums: list[tuple[int, list[str], float]], grad: np.ndarray,
                products: dict[int, list[float]]) -> None:
    """Each weight's drawn products must add up to its gradient.

    >>> _check_sums([(0, ["2·3"], 6.0)], np.array([6.0]), {0: [6.0]})
    >>> _check_sums([(0, ["2·3"], 6.0)], np.array([7.0]), {0: [6.0]})
    Traceback (most recent call last):
    ...
    RuntimeError: weight 0: the products drawn add up to 6, weight_grad gives 7
    """
    for j, _, _ in sums:
        total = float(np.sum(products.get(j, [])))
        if not np.isclose(total, grad.ravel()[j]):
            raise RuntimeError(f"weight {j}: the products drawn add up to {_fmt(total)}, "
                               f"weight_grad gives {_fmt(grad.ravel()[j])}")


def _factor(v: object) -> str:
    """A number as a factor: ``(−2)`` in parentheses when negative, so ``1·(−2)`` reads."""
    s = _fmt(v)
    return f"(−{s[1:]})" if s.startswith("-") else s


@_styled
def weight_gradient(kernel: ArrayLike = (5, 6, 7), input_shape: IntOrTuple = 4,
                    mode: Mode = "full", *, x: ArrayLike | None = None,
                    grad_out: ArrayLike | None = None, correlate: bool = False,
                    slide: Slide | None = None, title: bool = True) -> Figure:
    """Each weight's gradient as the sum of ``grad_out[r] · x[c]`` over its tied cells.

    Parameters
    ----------
    kernel, input_shape, mode, correlate
        As :func:`~toeplitz_conv.conv_matrix` (1-D); default the worked example.
    x : array_like, optional
        The input (default ``1, 2, ..., n``: the worked example's ``[1, 2, 3, 4]``).
    grad_out : array_like, optional
        ``dL/dy``, one number per output (default a fixed small pattern).
    slide : {'4:3', '16:9'}, optional
        Size the figure to that Beamer text area, with text >= 11 pt.
    title : bool
        Draw the figure's title.

    Examples
    --------
    >>> d = weight_gradient()._toeplitz_data
    >>> d["grad"].tolist()
    [-5.0, 0.0, -5.0]
    >>> d["sums"][0][1]
    ['(−1)·1', '2·2', '0·3', '(−2)·4']
    """
    k = _kernel(kernel)
    if k.ndim != 1:
        raise ValueError(f"kernel must be 1-D for this figure, got {k.ndim}-D")
    _check_input_size(input_shape)
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    _check_size(A.shape)
    if len(A.in_shape) != 1:
        raise ValueError("weight_gradient draws 1-D convolutions; input_shape must be one size")
    m, n = A.shape
    title = as_bool(title, "title")
    xv = np.arange(1, n + 1) if x is None else np.asarray(x).ravel()
    gv = (np.arange(m) * 3 + 1) % 5 - 2 if grad_out is None else np.asarray(grad_out).ravel()
    for name, v, size in (("x", xv, n), ("grad_out", gv, m)):
        if v.size != size or not np.issubdtype(v.dtype, np.number):
            raise ValueError(f"{name} must be {size} numbers, got {v.size}")
    for name, v in (("x", xv), ("grad_out", gv)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} must be finite numbers; it contains NaN or inf")
    with np.errstate(over="ignore", invalid="ignore"):
        grad = A.weight_grad(xv.astype(float), gv.astype(float))
        prods = gv[:, None].astype(float) * xv[None, :].astype(float)
    if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(prods))):
        raise ValueError("x and grad_out are too large: their products overflow float64")
    rows, cols, widx = A.taps
    products: dict[int, list[float]] = {}
    sums: list[tuple[int, list[str], float]] = []
    for j in range(k.size):
        sel = widx == j
        cells = sorted(zip(rows[sel].tolist(), cols[sel].tolist()))
        products[j] = [float(gv[r] * xv[c]) for r, c in cells]
        sums.append((j, [f"{_factor(gv[r])}·{_factor(xv[c])}" for r, c in cells],
                     float(grad.ravel()[j])))
    _check_sums(sums, grad, products)
    fig = _draw(A, k, xv, gv, sums, slide_area(slide),
                "Tied weight: its gradient sums over its positions" if title else None)
    fig._toeplitz_data.update({  # type: ignore[attr-defined]
        "matrix": A, "x": xv, "grad_out": gv, "grad": grad, "sums": sums})
    return fig


def _sum_lines(sums: list[tuple[int, list[str], float]], width: float
               ) -> list[tuple[int, str]]:
    """``∂L/∂w_j = products = value`` per weight, each on one or two lines of ``width``.

    Where that takes more lines, the sums start ``w_j:`` instead.
    """
    long, short = _sum_lines_as(sums, width, False), _sum_lines_as(sums, width, True)
    if long and (not short or len(long) <= len(short)):
        return long
    return short


def _sum_lines_as(sums: list[tuple[int, list[str], float]], width: float, short: bool
                  ) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for j, terms, v in sums:
        head = f"$w_{{{j}}}$:  " if short else f"$\\partial L/\\partial w_{{{j}}}$ = "
        lines = fit_lines(head, terms or ["0"],
                          f" = {_fmt(v)}".replace("-", "−"), width, BODY_PT)
        if not lines:
            return []
        out += [(j, t) for t in lines]
    return out


def _fit(area: tuple[float, float], n: int, rows_h: float, head: float, label_w: float,
         sums: list[tuple[int, list[str], float]]) -> tuple[float, bool, list[tuple[int, str]]]:
    """The cell size, whether the sums go beside the matrix, and their lines."""
    best: tuple[float, bool, list[tuple[int, str]]] = (0.0, True, [])
    cell = min(28.0, (area[1] - head - 1.2 * BODY_PT) / rows_h)
    beside = _sum_lines(sums, area[0] - label_w - (n + 1.3) * cell - 40)
    if beside and len(beside) * max(cell, 1.5 * BODY_PT) <= (rows_h - 1.4) * cell + 2 * cell:
        best = (cell, True, beside)
    under = _sum_lines(sums, area[0] - 36)
    if under:
        c2 = min(28.0, (area[0] - label_w - 8) / (n + 1.3),
                 (area[1] - head - (len(under) + 0.8) * 1.3 * BODY_PT) / rows_h)
        if c2 > best[0]:
            best = (c2, False, under)
    if best[0] < _MIN_CELL:
        wider = "" if area[0] > 350 else " (or slide='16:9')"
        raise ValueError(f"a matrix of {n} columns and its sums do not fit a slide with 11 pt "
                         f"text; use a smaller input_shape or kernel{wider}")
    return best


def _draw(A: TiedMatrix, k: np.ndarray, xv: np.ndarray, gv: np.ndarray,
          sums: list[tuple[int, list[str], float]], area: tuple[float, float] | None,
          title: str | None) -> Figure:
    m, n = A.shape
    colors = weight_fills(k.size)
    # The title on one line, or after its colon on a second when the slide is narrower.
    heads = [] if not title else (
        [title] if area is None or text_width(title, TITLE_PT, bold=True) <= area[0] - 8
        else [part.strip() for part in title.split(":", 1)])
    head = (0.5 + 1.4 * len(heads)) * TITLE_PT if heads else 0.0
    label_w = 1.2 * BODY_PT                   # the "g" column's name
    rows_h = m + 1.4                          # matrix rows and the x row above them
    if area is None:
        cell, beside = 26.0, True
        lines = _sum_lines(sums, 10 ** 4)
    else:
        cell, beside, lines = _fit(area, n, rows_h, head, label_w, sums)
    line_w = max(text_width(t, BODY_PT) for _, t in lines) + 16
    grid_w = label_w + (n + 1.3) * cell
    width = area[0] if area else grid_w + line_w + 16
    height = area[1] if area else head + rows_h * cell + 1.6 * BODY_PT
    cv = PtCanvas(width, height)
    size = BODY_PT if cell >= 24 else MIN_PT
    for i, line in enumerate(heads):
        cv.text(width / 2, (1 + 1.4 * i) * TITLE_PT, line, size=TITLE_PT, fontweight="bold")
    # Sums under the matrix: the matrix and the sums, one block, centred.
    block = max(line_w, grid_w)
    off = 0.0 if beside else max(0.0, (width - 8 - block) / 2)
    shift = off + (0.0 if beside else (block - grid_w) / 2)
    x0 = 4 + shift + label_w + 1.3 * cell
    y0 = head + 1.4 * cell
    cv.text(x0 - 1.3 * cell + cell / 2, y0 - 0.7 * cell, "g", size=size + 1)
    cv.text(x0 + n * cell + 4, y0 - 0.7 * cell, "x", size=size + 1, ha="left")
    for c in range(n):
        cv.cell(x0 + c * cell, y0 - 1.2 * cell, cell, cell, "#FFFFFF",
                _fmt(xv[c]).replace("-", "−"), size=size)
    for r in range(m):
        cv.cell(x0 - 1.3 * cell, y0 + r * cell, cell, cell, "#FFFFFF",
                _fmt(gv[r]).replace("-", "−"), size=size)
    rows, cols, widx = A.taps
    for r in range(m):
        for c in range(n):
            cv.cell(x0 + c * cell, y0 + r * cell, cell, cell, "#FFFFFF", edge="#BBBBBB", lw=0.5)
    for r, c, j in zip(rows.tolist(), cols.tolist(), widx.tolist()):
        cv.cell(x0 + c * cell, y0 + r * cell, cell, cell, colors[j],
                _fmt(gv[r] * xv[c]).replace("-", "−"), size=size)
    cv.frame(x0, y0, n * cell, m * cell, color="#333333", lw=1.6)
    if beside:
        lx, ly, step = x0 + n * cell + 14, y0 + 0.5 * cell, max(cell, 1.5 * BODY_PT)
    else:
        lx, ly, step = 8 + off + (block - line_w) / 2, y0 + m * cell + 0.9 * BODY_PT, 1.3 * BODY_PT
    for i, (j, text) in enumerate(lines):
        yy = ly + i * step
        if i == 0 or lines[i - 1][0] != j:      # one swatch per weight, on its first line
            cv.cell(lx, yy - 6, 12, 12, colors[j])
        cv.text(lx + 16, yy, text, size=BODY_PT, ha="left")
    note = "g = ∂L/∂y; each coloured cell adds g_r·x_c to its weight's gradient"
    y_note = y0 + m * cell + 0.9 * BODY_PT
    if beside and y_note + 0.6 * MIN_PT <= height and text_width(note, MIN_PT) <= width - 8:
        cv.text(4, y_note, note, size=MIN_PT, ha="left", color="#444444")
    return cv.fig

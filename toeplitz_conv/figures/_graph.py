"""Goodfellow et al.'s network pictures (figs. 9.2, 9.3, 9.13): labelled units, one unit's reach.

A convolution drawn as units and edges above the fully connected layer with
the same units.  One input is highlighted with every output it reaches
("sparse connectivity, viewed from below"), or one output with its receptive
field ("viewed from above").  Units sit on one fixed grid: input ``x_i`` at
column ``i``, the padding zeros of 'same' and 'full' beyond the ends, each
output above the middle of the positions it reads.

The edges are the taps of the matrices the builders make
(:func:`~toeplitz_conv.conv_matrix` for the convolution, a 1 x 1
:func:`~toeplitz_conv.layer_matrix` from ``n`` channels to ``m`` for the
dense layer); where each unit sits, and which padding zeros a window reads,
come from the geometry core (:func:`~toeplitz_conv.geometry.signal_axis`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from numpy.typing import ArrayLike

from .._typing import Mode
from .._validation import as_bool, as_int, choose
from ..geometry import signal_axis
from ..palette import PAD_COLOR, fill_color, weight_colors
from ..signal import conv_matrix
from ..tied import TiedMatrix
from ._canvas import _styled
from ._data import _check_input_size, _kernel
from ._network import _full_taps_matrix
from ._points import BODY_PT, MIN_PT, TITLE_PT, PtCanvas, Slide, slide_area, text_width

__all__ = ["network"]

#: Fill of the highlighted unit and of the units it reaches (or that reach it).
REACH_COLOR = "#F6C7A8"
UNIT_EDGE = "#444444"
_FAINT = "#D3D3D3"


def _unit_label(prefix: str, i: int) -> str:
    return f"${prefix}_{{{i + 1}}}$"       # Goodfellow numbers units from 1


def _reach(A: TiedMatrix, highlight: str, unit: int) -> tuple[set[int], set[int], set[int]]:
    """(inputs, outputs, taps) lit: the unit's edges in ``A`` and the units at their ends."""
    rows, cols, _ = A.taps
    sel = cols == unit if highlight == "input" else rows == unit
    taps = set(np.flatnonzero(sel).tolist())
    return set(cols[sel].tolist()), set(rows[sel].tolist()), taps


@_styled
def network(kernel: ArrayLike = (1, 1, 1), input_shape: int = 5, mode: Mode = "same", *,
            highlight: Literal["input", "output"] = "input", unit: int | None = None,
            dense: bool = True, slide: Slide | None = None, title: bool = True) -> Figure:
    """A 1-D convolution as a network over the fully connected layer, one unit highlighted.

    Parameters
    ----------
    kernel, input_shape, mode
        As :func:`~toeplitz_conv.conv_matrix` (1-D convolution).
    highlight : {'input', 'output'}
        Light one input and every output it reaches, or one output and its
        receptive field.
    unit : int, optional
        The highlighted unit (0-based; default the middle one).  Labels
        number units from 1, as Goodfellow et al. do.
    dense : bool
        Draw the fully connected layer under the convolution, for contrast.
    slide : {'4:3', '16:9'}, optional
        Size the figure to that Beamer text area, with text >= 11 pt.
    title : bool
        Draw the figure's title.

    Examples
    --------
    >>> d = network()._toeplitz_data
    >>> sorted(d["lit"]["conv"]["outputs"]), sorted(d["lit"]["dense"]["outputs"])
    ([1, 2, 3], [0, 1, 2, 3, 4])
    >>> d["padding_positions"]
    [-1, 5]
    """
    k = _kernel(kernel)
    if k.ndim != 1:
        raise ValueError(f"kernel must be 1-D for a network figure, got {k.ndim}-D")
    n = as_int(input_shape, "input_shape", minimum=1)
    if n > 16:
        raise ValueError(f"input_shape must be at most 16 units for a readable network, got {n}")
    _check_input_size(n)
    highlight = choose(highlight, "highlight", ("input", "output"))  # type: ignore[assignment]
    dense = as_bool(dense, "dense")
    title = as_bool(title, "title")
    A = conv_matrix(k, n, mode)
    m = A.shape[0]
    count = n if highlight == "input" else m
    unit = count // 2 if unit is None else as_int(unit, "unit")
    if not 0 <= unit < count:
        raise ValueError(f"unit must be an {highlight} in 0..{count - 1}, got {unit}")
    axis = signal_axis(n, k.size, mode)
    positions = axis.positions()                 # (outputs, taps): what each window reads
    pads = [int(p) for p in axis.padded_positions() if not 0 <= p < n]
    centres = positions.mean(axis=1)
    W = _full_taps_matrix(m, n)
    panels = [("conv", A)] + ([("dense", W)] if dense else [])
    lit = {}
    for name, M in panels:
        ins, outs, taps = _reach(M, highlight, unit)
        lit[name] = {"inputs": ins, "outputs": outs, "taps": taps}
    fig = _draw(k, n, m, mode, panels, lit, highlight, unit, pads, centres, positions,
                slide_area(slide), title)
    fig._toeplitz_data.update({  # type: ignore[attr-defined]
        "matrix": A, "dense": W, "lit": lit, "padding_positions": pads,
        "output_positions": centres, "highlight": highlight, "unit": unit})
    return fig


def _caption(name: str, highlight: str, unit: int, lit: dict[str, set[int]], k: int,
             mode: str, n: int, m: int, edges: int, width: float) -> str:
    """The panel's caption, the longest of its wordings that fits ``width``."""
    who = _unit_label("x" if highlight == "input" else "s", unit)
    if highlight == "input":
        what = f"{who} reaches {len(lit['outputs'])} of {m} outputs"
    else:
        what = f"{who} sees {len(lit['inputs'])} of {n} inputs"
    if name == "conv":
        options = [f"convolution, kernel {k}, '{mode}': {what}; {edges} edges",
                   f"convolution, k = {k}, '{mode}': {what}",
                   f"convolution: {what}"]
    else:
        options = [f"fully connected: {what}; {edges} edges", f"fully connected: {what}"]
    return next((o for o in options if text_width(o, MIN_PT) <= width), options[-1])


def _draw(k: np.ndarray, n: int, m: int, mode: str, panels: Sequence[tuple[str, TiedMatrix]],
          lit: dict[str, dict[str, set[int]]], highlight: str, unit: int, pads: list[int],
          centres: np.ndarray, positions: np.ndarray, area: tuple[float, float] | None,
          title: bool) -> Figure:
    lo = min([0, *pads])
    hi = max([n - 1, *pads])
    slots = hi - lo + 1
    head = 1.9 * TITLE_PT if title else 0.0
    legend_h = 1.6 * BODY_PT
    cap = 1.5 * BODY_PT
    if area is None:
        step, width = 44.0, (slots + 0.6) * 44.0
        panel_h = cap + 3.2 * step * 0.62
        height = head + len(panels) * panel_h + legend_h
    else:
        width, height = area
        step = min(44.0, (width - 8) / (slots + 0.6))
        panel_h = (height - head - legend_h) / len(panels)
    radius = min(0.36 * step, 12.5)
    if radius < 9.0 or panel_h - cap < 4 * radius + 14:
        raise ValueError(f"{slots} units per row do not fit a slide with 11 pt labels; use a "
                         f"smaller input_shape or dense=False")
    cv = PtCanvas(width, height)
    if title:
        cv.text(width / 2, TITLE_PT, "Sparse interaction: one unit's reach", size=TITLE_PT,
                fontweight="bold")
    x_of = lambda p: 4 + (p - lo + 0.8) * step           # noqa: E731 (the one grid)
    colors = weight_colors(k.size)
    for i, (name, M) in enumerate(panels):
        top = head + i * panel_h
        y_out, y_in = top + cap + radius + 2, top + panel_h - radius - 6
        rows, cols, widx = M.taps
        light = lit[name]
        cv.text(6, top + cap / 2, _caption(name, highlight, unit, light, k.size, mode, n, m,
                                          len(rows), width - 10), size=MIN_PT, ha="left")
        out_x = [x_of(c) for c in centres] if name == "conv" else [
            x_of(c) for c in np.linspace(0, n - 1, m)]
        # Reads of padding: no matrix entry, drawn dashed from the zero unit.
        if name == "conv":
            for r in range(m):
                for p in positions[r].tolist():
                    if not 0 <= p < n:
                        cv.ax.plot([x_of(p), out_x[r]], [y_in, y_out], color=_FAINT, lw=1.0,
                                   linestyle="--", zorder=1)
        order = sorted(range(len(rows)), key=lambda t: t in light["taps"])
        for t in order:
            on = t in light["taps"]
            color = (colors[int(widx[t])] if name == "conv" else "#555555") if on else _FAINT
            cv.ax.plot([x_of(int(cols[t])), out_x[int(rows[t])]], [y_in, y_out], color=color,
                       lw=3.0 if on else 1.0, zorder=2 if on else 1, solid_capstyle="round")
        for p in range(lo, hi + 1):
            if 0 <= p < n:
                face = REACH_COLOR if p in light["inputs"] else "#FFFFFF"
                _unit(cv, x_of(p), y_in, radius, face, _unit_label("x", p),
                      bold=highlight == "input" and p == unit)
            elif name == "conv" and p in pads:
                _unit(cv, x_of(p), y_in, radius, PAD_COLOR, "0", dashed=True)
        for r in range(m):
            face = REACH_COLOR if r in light["outputs"] else "#FFFFFF"
            _unit(cv, out_x[r], y_out, radius, face, _unit_label("s", r),
                  bold=highlight == "output" and r == unit)
    _legend(cv, height, colors, highlight, unit, bool(pads))
    return cv.fig


def _legend(cv: PtCanvas, height: float, colors: list[str], highlight: str, unit: int,
            pads: bool) -> None:
    items = [(fill_color(c), f"$w_{{{j}}}$") for j, c in enumerate(colors)]
    items.append((REACH_COLOR, "reach of " + _unit_label("x", unit) if highlight == "input"
                  else "receptive field of " + _unit_label("s", unit)))
    if pads:
        items.append((PAD_COLOR, "padding 0"))
    before = len(cv.ax.patches)
    cv.legend(6, height - 0.8 * BODY_PT, items, size=MIN_PT, gap=8)
    # A weight's swatch: its edge colour as a thick border round the weight's light fill.
    for patch, c in zip(cv.ax.patches[before:], colors):
        patch.set_edgecolor(c)
        patch.set_linewidth(2.4)


def _unit(cv: PtCanvas, x: float, y: float, r: float, face: str, label: str, *,
          dashed: bool = False, bold: bool = False) -> None:
    cv.ax.add_patch(Circle((x, y), r, facecolor=face, edgecolor=UNIT_EDGE,
                           linewidth=2.4 if bold else 1.2, linestyle="--" if dashed else "-",
                           zorder=3))
    cv.text(x, y, label, size=MIN_PT, zorder=4)

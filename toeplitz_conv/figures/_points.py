"""A canvas measured in points, for the figures drawn at a slide's size from the start.

The cell canvas of :mod:`._canvas` draws in cells and scales the finished
drawing to a slide's text area (``slide=``).  :func:`~._spatial.spatial`,
:func:`~._graph.network` and :func:`~._gradient.weight_gradient` instead lay
out their text first, so their unit is the typographic point at natural
size: a figure for ``slide="4:3"`` is exactly the Beamer text area below a
frame title (:data:`SLIDE_AREAS`, the same areas as :data:`._canvas.SLIDES`),
and every font size given is the size projected, so "no text below
:data:`MIN_PT`" is a property of the Figure itself (checked by
:func:`text_sizes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.text import Text

from ..palette import text_color
from ._canvas import MIN_SLIDE_PT, SLIDES, LectureFigure, Slide
from ._data import _new_record

__all__ = ["MIN_PT", "SLIDE_AREAS", "Slide", "slide_area", "text_sizes", "tint"]

#: Width and height (pt) of the Beamer text area under a frame title, by aspect:
#: the slide presets of every figure (:data:`._canvas.SLIDES`).
SLIDE_AREAS: dict[str, tuple[float, float]] = SLIDES
#: Smallest text (pt at natural size) a slide figure draws: Beamer's body text.
MIN_PT = MIN_SLIDE_PT
#: The size of cell labels and captions on a slide figure.
BODY_PT = 12.0
#: The size of a figure's own title.
TITLE_PT = 13.0
#: A figure that is not for a slide is drawn with cells of this size (pt).
FREE_CELL_PT = 30.0


def slide_area(slide: str | None) -> tuple[float, float] | None:
    """The text area of ``slide`` (``None``: not for a slide), refusing other names.

    >>> slide_area("4:3")
    (307.0, 223.0)
    """
    if slide is None:
        return None
    if slide not in SLIDE_AREAS:
        raise ValueError(f"slide must be '4:3', '16:9' or None, got {slide!r}")
    return SLIDE_AREAS[slide]


def tint(color: str, amount: float = 0.55) -> str:
    """``color`` mixed ``amount`` of the way to white: a fill that black text reads on.

    >>> tint("#000000", 0.5)
    '#808080'
    """
    r, g, b = (c + (1 - c) * amount for c in mpl.colors.to_rgb(color))
    return mpl.colors.to_hex((r, g, b)).upper()


class PtCanvas:
    """One figure-filling axes in points, y down; every text size is in points."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = float(width), float(height)
        self.fig: Figure = LectureFigure(figsize=(width / 72.0, height / 72.0))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()
        self.data = _new_record(self.fig)

    def text(self, x: float, y: float, s: str, size: float = BODY_PT, **kw: Any) -> Text:
        kw.setdefault("ha", "center")
        kw.setdefault("va", "center")
        return self.ax.text(x, y, s, fontsize=size, **kw)

    def cell(self, x: float, y: float, w: float, h: float, face: str = "#FFFFFF",
             label: str = "", *, edge: str = "#777777", lw: float = 0.8,
             linestyle: str = "-", size: float = BODY_PT, color: str | None = None,
             zorder: float = 1) -> None:
        self.ax.add_patch(Rectangle((x, y), w, h, facecolor=face, edgecolor=edge,
                                    linewidth=lw, linestyle=linestyle, zorder=zorder))
        if label:
            self.text(x + w / 2, y + h / 2, label, size=size,
                      color=color or text_color(mpl.colors.to_hex(face).upper()),
                      zorder=zorder + 0.5)

    def frame(self, x: float, y: float, w: float, h: float, color: str = "#333333",
              lw: float = 2.0, zorder: float = 3, **kw: Any) -> None:
        self.ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=color, linewidth=lw,
                                    zorder=zorder, **kw))

    def arrow(self, x0: float, y0: float, x1: float, y1: float, color: str = "#555555",
              lw: float = 1.5) -> None:
        self.ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>",
                                          mutation_scale=10, color=color, linewidth=lw))

    def legend(self, x: float, y: float, items: Sequence[tuple[str, str]], *,
               size: float = BODY_PT, box: float = 11.0, gap: float = 10.0,
               edge: str = "#777777") -> float:
        """Swatches and their words on one line from ``(x, y)``; returns the x reached."""
        renderer = None
        for face, word in items:
            self.ax.add_patch(Rectangle((x, y - box / 2), box, box, facecolor=face,
                                        edgecolor=edge, linewidth=0.8))
            t = self.text(x + box + 4, y, word, size=size, ha="left")
            if renderer is None:
                from matplotlib.backends.backend_agg import FigureCanvasAgg

                renderer = FigureCanvasAgg(self.fig).get_renderer()
            x += box + 4 + t.get_window_extent(renderer).width * 72 / self.fig.dpi + gap
        return x


def text_sizes(fig: Figure) -> list[tuple[str, float]]:
    """``(text, size in pt)`` of every visible non-empty text of ``fig`` at natural size.

    >>> c = PtCanvas(100, 50)
    >>> _ = c.text(50, 25, "x", size=12)
    >>> text_sizes(c.fig)
    [('x', 12.0)]
    """
    return [(t.get_text(), float(t.get_fontsize())) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip()]


def text_width(s: str, size: float, *, bold: bool = False) -> float:
    """Width in pt of ``s`` set at ``size`` pt in the figure font (mathtext as rendered).

    >>> text_width("ab", 12) < text_width("abab", 12)
    True
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    from ._canvas import figure_style

    with figure_style():
        w, _, _ = TextToPath().get_text_width_height_descent(s, FontProperties(size=size,
                                                                            weight="bold" if bold
                                                                            else "normal"),
                                                             "$" in s)
    return float(w)


def fit_lines(head: str, terms: Sequence[str], tail: str, width: float,
              size: float) -> list[str]:
    """``head + terms joined by ' + ' + tail`` on as few lines as fit ``width``, at most two.

    Returns ``[]`` when two lines are not enough.

    >>> fit_lines("s = ", ["a", "b"], " = 3", 200, 12)
    ['s = a + b = 3']
    """
    one = head + " + ".join(terms) + tail
    if text_width(one, size) <= width:
        return [one]
    for cut in range(len(terms) - 1, 0, -1):
        a = head + " + ".join(terms[:cut]) + " +"
        b = "   " + " + ".join(terms[cut:]) + tail
        if text_width(a, size) <= width and text_width(b, size) <= width:
            return [a, b]
    return []

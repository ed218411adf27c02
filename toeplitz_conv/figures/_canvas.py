"""The drawing canvas: fixed style, cells, frames, grids and tie-grid matrices.

Everything is drawn on one figure-filling axes whose data unit is one matrix
cell, so figure code places things in cells and never in inches.  What the
cells show (tie index, colour, label) comes from :mod:`._data`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.spines import Spine
from matplotlib.text import Text
from matplotlib.textpath import TextToPath
from matplotlib.transforms import Bbox
from matplotlib.typing import RcKeyType

from .._validation import as_bool
from ..palette import INK, text_color
from ._data import _new_record, matrix_record

__all__ = ["MIN_SLIDE_PT", "SLIDES", "STYLE", "Slide", "figure_style"]

#: A Beamer slide: ``"4:3"`` (the default ``beamer`` class) or ``"16:9"`` (``aspectratio=169``).
Slide = Literal["4:3", "16:9"]
#: Width and height in points of the text area of a Beamer frame with a frame title,
#: which a figure drawn with ``slide=`` fills.  The numbers are TeX points and the
#: figure's are matplotlib's (1/72 in, not 1/72.27): ``\includegraphics[width=\linewidth]``
#: scales by exactly the ratio, so the width and every text size come out as stated.
SLIDES: dict[str, tuple[float, float]] = {"4:3": (307.0, 223.0), "16:9": (398.0, 209.0)}
#: Smallest text of a slide figure, in points: Beamer's body text (11 pt) is read
#: from the back of a lecture room.
MIN_SLIDE_PT = 11.0
_SLIDE_MARGIN_PT = 3.0   # white border kept around the content on a slide
# On a slide text is larger relative to the cells than in a free-size figure:
# the layouts leave room for 1.25 times their text, and a cell's label (sized
# to fit its cell) may take 1.6 times its usual share of the cell.
_SLIDE_BOOST = 1.25
_SLIDE_CELL_BOOST = 1.6


def _text_scale(slide: str | None) -> float:
    """How much larger text is drawn, relative to the cells, for ``slide`` (layouts use it)."""
    return _SLIDE_BOOST if slide is not None else 1.0

_CELL_IN = 0.5          # inches per matrix cell
_FONT = 16              # points, for a one- or two-character cell label
_TITLE = 18
_FIT = 0.86             # share of a cell's width (and height) a label may fill

#: rcParams that make output reproducible and projector-readable.
STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "toeplitz_conv",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": _FONT,
    # Near-black text (pure black glares on a projector), as on every cell.
    "text.color": INK,
    "axes.unicode_minus": False,
    "path.simplify": False,
    "savefig.dpi": 100,
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
}


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Context with the fixed fonts and SVG hash salt used for every figure.

    >>> import matplotlib as mpl
    >>> with figure_style():
    ...     mpl.rcParams["svg.hashsalt"]
    'toeplitz_conv'
    """
    with mpl.rc_context(STYLE):
        yield


def _styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw ``func``'s figure in the fixed style; a ``slide=`` figure is then fitted to it."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with figure_style():
            fig = func(*args, **kwargs)
            slide = getattr(fig, _SLIDE_ATTR, None)
            if slide is not None:
                _fit_slide(fig, slide, func.__name__)
        return fig
    return wrapper


_SLIDE_ATTR = "_toeplitz_slide"
_TITLES_ATTR = "_toeplitz_titles"       # the figure's own title (left out with title=False)


def _slide_arg(slide: Any) -> str | None:
    if slide is None:
        return None
    if not isinstance(slide, str) or slide not in SLIDES:
        raise ValueError(f"slide must be one of {', '.join(map(repr, SLIDES))} or None, "
                         f"got {slide!r}")
    return slide


def slide_of(fig: Figure) -> str | None:
    """The slide a figure was drawn for (``"4:3"``, ``"16:9"``), None for a free-size one."""
    return getattr(fig, _SLIDE_ATTR, None)


def _content_scale(width_pt: float, height_pt: float, slide: str) -> float:
    """The factor that fits content of this natural size into the slide's text area."""
    w, h = SLIDES[slide]
    room = 2 * _SLIDE_MARGIN_PT
    return min((w - room) / width_pt, (h - room) / height_pt)


def _columns(count: int, panel_w: float, panel_h: float, slide: str | None, default: int, *,
             extra_w: float = 0.0, extra_h: float = 0.0) -> int:
    """How many panels per row: ``default`` off a slide, else what makes the cells largest.

    ``count`` panels of ``panel_w`` x ``panel_h`` cells, plus ``extra_w`` /
    ``extra_h`` cells around them, wrap to the slide's text area.
    """
    if slide is None:
        return default
    w, h = SLIDES[slide]

    def cell_pt(cols: int) -> float:
        rows = -(-count // cols)
        return min(w / (cols * panel_w + extra_w), h / (rows * panel_h + extra_h))

    return max(range(1, count + 1), key=lambda cols: (cell_pt(cols), -cols))


def _content_bbox(fig: Figure, exclude: Sequence[Any] = ()) -> Bbox:
    """The box (inches) around everything drawn: a figure's tight box is its whole axes."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    boxes = [a.get_tightbbox(renderer) for a in ax.get_children()
             if a.get_visible() and a is not ax.patch and not isinstance(a, (Axis, Spine))
             and not (isinstance(a, Text) and not a.get_text().strip())
             and not any(a is b for b in exclude)]
    box = Bbox.union([b for b in boxes if b is not None and b.width > 0 < b.height])
    return box.transformed(fig.dpi_scale_trans.inverted())


def _fit_slide(fig: Figure, slide: str, name: str) -> None:
    """Scale the whole drawing to fill ``slide``'s text area, or refuse if text gets too small.

    Everything is scaled by one factor (text, line widths, and the cells
    through the axes limits), so the layout stays exactly as drawn; the
    figure's size becomes the content's plus a small margin, at most the
    text area.  Text does not scale exactly linearly (hinting), so the
    content is measured again after each step until it fits.
    """
    w, h = SLIDES[slide]
    room = 2 * _SLIDE_MARGIN_PT
    box = _content_bbox(fig)
    # Each measurement lays out all text again (slow for mathtext), so aim a
    # little low once; a second step is rarely needed.
    safety = 0.985
    for _ in range(3):
        _scale(fig, _slide_factor(fig, box, slide, name, safety))
        box = _content_bbox(fig)
        if box.width * 72 <= w - room and box.height * 72 <= h - room:
            break
    _frame(fig, box, slide)


def _slide_factor(fig: Figure, box: Bbox, slide: str, name: str, safety: float = 1.0
                  ) -> float:
    """The scale that fits content ``box`` (inches) into ``slide``, checked for text size.

    Reduced by up to ``safety`` where the smallest text stays readable.
    """
    w_pt, h_pt = box.width * 72, box.height * 72
    factor = _content_scale(w_pt, h_pt, slide)
    sizes = [_size(t) for t in _texts(fig)]
    smallest = min(sizes, default=MIN_SLIDE_PT / factor) * factor
    if smallest >= MIN_SLIDE_PT:
        # (a hair above the minimum, so that rounding never leaves a text below it)
        return factor * max(safety, min(1.0, (MIN_SLIDE_PT + 1e-6) / smallest))
    hint = ""
    if slide == "4:3":
        wider = min(sizes) * _content_scale(w_pt, h_pt, "16:9")
        if wider >= MIN_SLIDE_PT:
            hint = f", or use slide='16:9' (its smallest text would be {wider:.1f} pt)"
    titles = getattr(fig, _TITLES_ATTR, [])
    if titles:
        rest = _content_bbox(fig, titles)
        untitled = min(_size(t) for t in _texts(fig) if not any(t is u for u in titles))
        untitled *= _content_scale(rest.width * 72, rest.height * 72, slide)
        if untitled >= MIN_SLIDE_PT:
            hint += f", or title=False (the frame's title; its text would be {untitled:.1f} pt)"
    raise ValueError(
        f"{name} does not fit a {slide} slide ({SLIDES[slide][0]:g} x {SLIDES[slide][1]:g} "
        f"pt): its smallest text would be {int(smallest * 10) / 10:.1f} pt, below the "
        f"{MIN_SLIDE_PT:g} pt "
        f"readable from the back of a room; draw a smaller example (a smaller input_shape "
        f"or kernel, fewer layers){hint}")


def _texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _size(t: Text) -> float:
    return float(t.get_fontsize())


def _scale(fig: Figure, factor: float) -> None:
    """Scale everything drawn by ``factor``: cells (axes limits), text and line widths."""
    ax = fig.axes[0]
    (x0, x1), (y1, y0) = ax.get_xlim(), ax.get_ylim()      # y runs downwards
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / factor / 2, (y1 - y0) / factor / 2
    ax.set_xlim(cx - hx, cx + hx)
    ax.set_ylim(cy + hy, cy - hy)
    for t in _texts(fig):
        t.set_fontsize(_size(t) * factor)
    for artist in fig.findobj(lambda a: isinstance(a, (Line2D, Patch))):
        if artist is not fig.patch and artist is not ax.patch:
            assert isinstance(artist, (Line2D, Patch))
            artist.set_linewidth(float(artist.get_linewidth()) * factor)


def _frame(fig: Figure, box: Bbox, slide: str | None = None) -> None:
    """Resize ``fig`` to content ``box`` (inches) plus the margin, at the same scale."""
    fig_w, fig_h = fig.get_size_inches()
    ax = fig.axes[0]
    (x0, x1), (y1, y0) = ax.get_xlim(), ax.get_ylim()
    per_x, per_y = (x1 - x0) / fig_w, (y1 - y0) / fig_h          # cells per inch
    cx = x0 + (box.x0 + box.width / 2) * per_x
    cy = y1 - (box.y0 + box.height / 2) * per_y
    new_w = box.width + 2 * _SLIDE_MARGIN_PT / 72
    new_h = box.height + 2 * _SLIDE_MARGIN_PT / 72
    if slide is not None:       # never past the text area
        new_w, new_h = min(new_w, SLIDES[slide][0] / 72), min(new_h, SLIDES[slide][1] / 72)
    fig.set_size_inches(new_w, new_h)
    ax.set_xlim(cx - new_w * per_x / 2, cx + new_w * per_x / 2)
    ax.set_ylim(cy + new_h * per_y / 2, cy - new_h * per_y / 2)


def _text_color(face: str) -> str:
    """Dark grey (INK) or white: whichever reads at >= 4.5:1 on ``face`` (:func:`text_color`)."""
    return text_color(mpl.colors.to_hex(face))


def _fontsize(label: str, width: float = 1.0, base: float = _FONT) -> float:
    """Largest size up to ``base`` at which ``label`` fits a cell ``width`` cells wide.

    Measured with the figure font (mathtext as rendered), line by line.
    """
    lines = label.split("\n")
    with figure_style():
        measure = TextToPath()
        prop = FontProperties(size=base)
        widest = max(measure.get_text_width_height_descent(line, prop, "$" in line)[0]
                     for line in lines)
    cell_pt = _CELL_IN * 72
    size = min(base, base * _FIT * width * cell_pt / max(widest, 1e-9))
    return float(min(size, _FIT * cell_pt / (1.2 * len(lines))))


def _cell_text(label: str) -> str:
    """Display form of a cell label: a sum of weights goes on two lines."""
    terms = label.split("+")
    if len(terms) < 2:
        return label
    half = (len(terms) + 1) // 2
    return "+".join(terms[:half]) + "+\n" + "+".join(terms[half:])


class LectureFigure(Figure):
    """A :class:`~matplotlib.figure.Figure` that Jupyter shows as an image by itself.

    Returned as a cell's last expression it displays as a PNG even in a fresh
    kernel without ``%matplotlib`` (IPython finds :meth:`_repr_png_`); it is
    drawn as :func:`save_figure` draws it, fixed style and tight box.
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        box = ({"bbox_inches": None} if slide_of(self) is not None
               else {"bbox_inches": "tight", "pad_inches": 0.15})
        with figure_style():
            self.savefig(buf, format="png", **box)
        return buf.getvalue()


class _Canvas:
    """One figure-filling axes whose data unit is one matrix cell, y down."""

    def __init__(self, width: float, height: float, cell_in: float = _CELL_IN, *,
                 font_scale: float = 1.0, slide: Slide | None = None,
                 title: bool = True) -> None:
        self.slide = _slide_arg(slide)
        self.show_title = as_bool(title, "title")
        self.fig: Figure = LectureFigure(figsize=(width * cell_in, height * cell_in))
        # Fitted to the slide by _styled once everything is drawn.
        setattr(self.fig, _SLIDE_ATTR, self.slide)
        setattr(self.fig, _TITLES_ATTR, [])
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()
        self.scale = cell_in / _CELL_IN
        # Dense figures (many panels) get larger text relative to their cells,
        # so that they stay readable when scaled down to fit a slide; on a slide
        # every figure does (a cell's label then fills more of its cell).
        self.font_scale = font_scale * _text_scale(self.slide)
        self.cell_boost = _SLIDE_CELL_BOOST / _SLIDE_BOOST if self.slide is not None else 1.0
        self.data = _new_record(self.fig)

    def text(self, x: float, y: float, s: str, size: float = _FONT, **kw: Any) -> Text:
        kw.setdefault("ha", "center")
        kw.setdefault("va", "center")
        return self.ax.text(x, y, s, fontsize=size * self.scale * self.font_scale, **kw)

    def title(self, x: float, y: float, s: str, **kw: Any) -> None:
        """The figure's bold title, left out with ``title=False`` (a slide has its own)."""
        if self.show_title:
            t = self.text(x, y, s, size=_TITLE, fontweight="bold", **kw)
            getattr(self.fig, _TITLES_ATTR).append(t)

    def subtitle(self, x: float, y: float, s: str, **kw: Any) -> None:
        self.text(x, y, s, size=_FONT, color="#444444", **kw)

    def cell(self, x: float, y: float, face: str, label: str = "", *, edge: str = "#BBBBBB",
             lw: float = 0.8, w: float = 1.0, h: float = 1.0, hatch: str | None = None,
             split: Sequence[str] = (), text: str | None = None) -> Text | None:
        """One cell; ``split`` colours (a sum of weights) fill it in diagonal slices.

        ``text`` is the label's colour (default: dark grey or white, whichever
        reads on ``face``).  Returns the label's text artist (None without a label).
        """
        self.ax.add_patch(Rectangle((x, y), w, h, facecolor=face, edgecolor=edge,
                                    linewidth=lw * self.scale, hatch=hatch))
        if split:
            # A sum of weights: one vertical band per weight, in its colour.
            bw = w / len(split)
            for i, color in enumerate(split):
                self.ax.add_patch(Rectangle((x + i * bw, y), bw, h, facecolor=color,
                                            edgecolor="none", hatch=hatch))
            self.ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=edge,
                                        linewidth=lw * self.scale))
            face = "#FFFFFF"        # the label, if any, sits on a white box
        if label:
            label = _cell_text(label)
            # A cell's label is sized to fit its cell, so on a slide it may take more of it.
            boost = self.cell_boost
            size = _fontsize(label, w, _FONT * self.font_scale * boost) / self.font_scale
            if split and size < 0.8 * _FONT:
                return None     # too long to read in a cell: the split colours say it
            box = {"bbox": {"boxstyle": "round,pad=0.1", "facecolor": "white",
                            "edgecolor": "none"}} if split else {}
            return self.text(x + w / 2, y + h / 2, label, size=size,
                             color=text or _text_color(face), **box)
        return None

    def frame(self, x: float, y: float, w: float, h: float, color: str = INK,
              lw: float = 2.0, **kw: Any) -> None:
        self.ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=color,
                                    linewidth=lw * self.scale, **kw))

    def matrix(self, x0: float, y0: float, tie: np.ndarray, labels: np.ndarray,
               n_weights: int, *, dim_rows: Sequence[int] = (), only_weight: int | None = None,
               mark: np.ndarray | None = None, blocks: tuple[int, int] | None = None,
               show_labels: bool = True, parts: dict[tuple[int, int], list[int]] | None = None,
               block: int | None = None, palette: Sequence[str] | None = None
               ) -> dict[str, Any]:
        """Draw a tie grid; return its record (see :func:`._data.matrix_record`).

        ``parts`` (from :func:`._data.tie_parts`) lists the weights summed in
        each :data:`MIXED` cell, which is then drawn split into their colours.
        ``block`` is the channel block of :func:`~toeplitz_conv.palette.weight_colors`.
        """
        rec = matrix_record(tie, labels, n_weights, dim_rows=dim_rows, only_weight=only_weight,
                            parts=parts, block=block, palette=palette)
        m, n = tie.shape
        drawn = rec["drawn_colors"]
        split = rec["split_colors"]
        texts: dict[tuple[int, int], Text] = {}
        for r in range(m):
            for c in range(n):
                t = self.cell(x0 + c, y0 + r, drawn[r, c], labels[r, c] if show_labels else "",
                              hatch="///" if mark is not None and mark[r, c] else None,
                              split=split.get((r, c), ()))
                if t is not None:
                    texts[r, c] = t
        # Which text is which cell's label (the TikZ export names its nodes so).
        rec["cell_texts"] = texts
        if blocks is not None:
            bh, bw = blocks
            for i in range(0, m, bh):
                for j in range(0, n, bw):
                    self.frame(x0 + j, y0 + i, bw, bh, color="#333333", lw=1.6)
        self.frame(x0, y0, n, m, lw=2.4)
        return rec

    def vector(self, x0: float, y0: float, labels: Sequence[str], *,
               face: str = "#FFFFFF", vertical: bool = True) -> dict[str, Any]:
        for i, s in enumerate(labels):
            x, y = (x0, y0 + i) if vertical else (x0 + i, y0)
            self.cell(x, y, face, s, edge="#444444", lw=1.0)
        w, h = (1, len(labels)) if vertical else (len(labels), 1)
        self.frame(x0, y0, w, h, lw=2.4)
        return {"labels": np.array(list(labels), dtype=object)}

    def grid(self, x0: float, y0: float, shape: tuple[int, ...], labels: Sequence[str],
             faces: Sequence[str] | None = None) -> None:
        """Draw a 1-D or 2-D array of labelled cells (C order)."""
        h, w = (1, shape[0]) if len(shape) == 1 else shape
        for i in range(h * w):
            r, c = divmod(i, w)
            f = faces[i] if faces is not None else "#FFFFFF"
            self.cell(x0 + c, y0 + r, f, labels[i], edge="#444444", lw=1.0)
        self.frame(x0, y0, w, h, lw=2.4)


def _grid_extent(shape: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) in cells of a 1-D or 2-D array drawn by :meth:`_Canvas.grid`."""
    return (shape[0], 1) if len(shape) == 1 else (shape[1], shape[0])

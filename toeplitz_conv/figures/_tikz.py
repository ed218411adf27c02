"""TikZ output of the figures, for LaTeX and Beamer slides: the drawing, element by element.

The picture is translated from the figure's own artists — every cell, frame,
hatch, unit, edge, arrow and text that the PNG shows, in the same place,
size and colour — so the TikZ cannot drop what the drawing has.  Text stays
text, typeset by LaTeX at the figure's point sizes (``$...$`` labels as math);
matrix cells are named nodes, ``(KEY-ROW-COL)`` with ``KEY`` the matrix's
name in :func:`~._data.figure_data` (``A``, ``As``, ``circular``, ...).

A figure drawn with ``slide="4:3"`` or ``"16:9"`` is written at its natural
size, the text area of a Beamer frame: ``\\input`` it into a frame as it is,
no ``\\resizebox``; its text is then at least 11 pt.  A free-size figure is
scaled so that a matrix cell is ``cell_cm`` wide (its text scaled with it).

The file compiles on its own (``pdflatex f.tex``, class ``standalone``) and
can also be ``\\input`` into a document that loads TikZ, e.g. a Beamer frame:
it looks whether ``\\begin{document}`` has already run (LaTeX then disables
``\\documentclass``) and only then skips its own preamble.  For the exact
font sizes (Computer Modern comes in a few sizes only) load
``\\usepackage{anyfontsize}``, as the standalone file does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Rectangle
from matplotlib.text import Annotation, Text

from .._validation import as_bool, as_finite_real
from ._canvas import Slide, figure_style, slide_of
from ._data import figure_data
from ._registry import FIGURE_FUNCTIONS, FIGURES

__all__ = ["TIKZ_FIGURES", "to_tikz"]

#: The registered figures that :func:`to_tikz` writes: all of them (every
#: figure is translated from its drawing).
TIKZ_FIGURES = tuple(FIGURES)

_UNICODE = {"×": r"$\times$", "·": r"$\cdot$", "−": "-", "…": r"\dots{}", "∗": r"$\ast$",
            "σ": r"$\sigma$", "ᵀ": r"$^{\mathsf{T}}$", "≤": r"$\leq$", "—": "---"}
_SPECIAL = re.compile(r"([#%&_^~{}\\])")
_HATCH_PT = 8.0         # spacing of the lines of "///" at natural size, as matplotlib draws it
_ANCHOR_X = {"left": "west", "center": "", "right": "east"}
_ANCHOR_Y = {"top": "north", "center": "", "bottom": "south", "baseline": "base",
             "center_baseline": ""}


def _escape(text: str) -> str:
    """LaTeX for a figure label: ``$...$`` spans are mathtext, kept as math."""
    parts = str(text).split("$")
    out = []
    for i, part in enumerate(parts):
        if i % 2:                       # math: mathtext is (a subset of) TeX math
            out.append(f"${part}$")
            continue
        part = _SPECIAL.sub(lambda m: {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}",
                                       "^": r"\textasciicircum{}"}.get(m[1], "\\" + m[1]),
                            part)
        out.append("".join(_UNICODE.get(ch, ch) for ch in part))
    return "".join(out)


def _tex_lines(text: str) -> str:
    # A line starting with [ or * after \\ would be read as \\'s optional argument.
    lines = [_escape(line) for line in text.split("\n")]
    return r"\\".join("{}" + t if i and t[:1] in ("[", "*") else t for i, t in enumerate(lines))


class _Colors:
    """``\\definecolor`` names for the hex colours used."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, color: Any) -> str:
        hexa = mpl.colors.to_hex(color).upper().lstrip("#")
        return self.names.setdefault(hexa, f"tc{len(self.names)}")

    def definitions(self) -> list[str]:
        return [f"\\definecolor{{{name}}}{{HTML}}{{{hexa}}}" for hexa, name in self.names.items()]


def _visible_alpha(color: Any) -> bool:
    return mpl.colors.to_rgba(color)[3] > 0


def _g(v: float) -> str:
    """A coordinate in points, short and reproducible."""
    return f"{round(float(v), 2):g}"


class _Writer:
    """Translates one figure's axes into TikZ lines, in points (origin bottom left)."""

    def __init__(self, fig: Figure, scale: float) -> None:
        self.fig = fig
        self.ax = fig.axes[0]
        self.k = 72.0 / fig.dpi * scale          # display pixels -> TikZ points
        self.scale = scale
        self.colors = _Colors()
        self.names = _cell_names(fig)
        self.lines: list[str] = []

    def pt(self, x: float, y: float) -> str:
        px, py = self.ax.transData.transform((x, y))
        return f"({_g(px * self.k)},{_g(py * self.k)})"

    def lw(self, artist: Patch | Line2D) -> float:
        return float(artist.get_linewidth()) * self.scale

    def artist(self, a: Artist) -> None:
        if isinstance(a, Annotation):
            self.arrow(a)
        elif isinstance(a, Text):
            self.text(a)
        elif isinstance(a, Rectangle) and a is not self.ax.patch:
            self.rectangle(a)
        elif isinstance(a, Circle):
            self.circle(a)
        elif isinstance(a, Line2D):
            self.polyline(a)

    def _paint(self, p: Patch) -> str:
        opts = []
        if p.get_fill() and _visible_alpha(p.get_facecolor()):
            opts.append(f"fill={self.colors(p.get_facecolor())}")
        if self.lw(p) > 0 and _visible_alpha(p.get_edgecolor()):
            opts.append(f"draw={self.colors(p.get_edgecolor())}, line width={_g(self.lw(p))}pt")
        return ", ".join(opts)

    def rectangle(self, r: Rectangle) -> None:
        x, y = r.get_xy()
        a, b = self.pt(x, y), self.pt(x + r.get_width(), y + r.get_height())
        paint = self._paint(r)
        if paint:
            self.lines.append(f"\\path[{paint}] {a} rectangle {b};")
        if r.get_hatch():
            self.hatch(r)

    def hatch(self, r: Rectangle) -> None:
        """matplotlib's ``/`` hatch: parallel diagonals, clipped to the cell."""
        x, y = r.get_xy()
        (x0, y0), (x1, y1) = (self.ax.transData.transform(p) * self.k
                              for p in ((x, y), (x + r.get_width(), y + r.get_height())))
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        h = y1 - y0
        step = _HATCH_PT * 3 / max(r.get_hatch().count("/"), 1) * self.scale
        color = r.get_hatchcolor() if hasattr(r, "get_hatchcolor") else r.get_edgecolor()
        width = float(mpl.rcParams["hatch.linewidth"]) * self.scale
        self.lines.append(f"\\begin{{scope}}\\clip ({_g(x0)},{_g(y0)}) rectangle "
                          f"({_g(x1)},{_g(y1)});")
        for sx in np.arange(x0 - h, x1, step):
            self.lines.append(f"\\draw[{self.colors(color)}, line width={_g(width)}pt] "
                              f"({_g(sx)},{_g(y0)}) -- ++({_g(h)},{_g(h)});")
        self.lines.append("\\end{scope}")

    def circle(self, c: Circle) -> None:
        cx, cy = c.center
        px0 = self.ax.transData.transform((cx, cy))[0]
        radius = (self.ax.transData.transform((cx + c.radius, cy))[0] - px0) * self.k
        paint = self._paint(c)
        if paint:
            self.lines.append(f"\\path[{paint}] {self.pt(cx, cy)} circle ({_g(radius)}pt);")

    def polyline(self, line: Line2D) -> None:
        xy = np.asarray(line.get_xydata())
        if len(xy) < 2 or self.lw(line) <= 0:
            return
        path = " -- ".join(self.pt(x, y) for x, y in xy)
        cap = "round" if line.get_solid_capstyle() == "round" else "butt"
        self.lines.append(f"\\draw[{self.colors(line.get_color())}, "
                          f"line width={_g(self.lw(line))}pt, line cap={cap}, "
                          f"line join=round] {path};")

    def arrow(self, a: Annotation) -> None:
        patch = a.arrow_patch
        if patch is not None:
            start, end = a.xyann, a.xy
            shorten = 2.0 * self.scale           # matplotlib's shrinkA / shrinkB
            self.lines.append(f"\\draw[->, {self.colors(patch.get_edgecolor())}, line width="
                              f"{_g(float(patch.get_linewidth()) * self.scale)}pt, "
                              f"shorten <={_g(shorten)}pt, shorten >={_g(shorten)}pt] "
                              f"{self.pt(*start)} -- {self.pt(*end)};")
        if a.get_text().strip():
            self.text(a)

    def text(self, t: Text) -> None:
        s = t.get_text()
        if not s.strip() or not t.get_visible():
            return
        size = float(t.get_fontsize()) * self.scale
        ax_, ay_ = _ANCHOR_X[t.get_horizontalalignment()], _ANCHOR_Y[t.get_verticalalignment()]
        anchor = " ".join(p for p in (ay_, ax_) if p) or "center"
        bold = r"\bfseries" if t.get_fontweight() in ("bold", "heavy", "black", 700, 800,
                                                        900) else ""
        opts = [f"anchor={anchor}", "inner sep=0pt",
                f"font=\\fontsize{{{_g(size)}}}{{{_g(1.2 * size)}}}\\selectfont{bold}",
                f"text={self.colors(t.get_color())}"]
        if "\n" in s:
            opts.append("align=" + {"west": "left", "east": "right"}.get(ax_, "center"))
        # One line height for every label, as matplotlib lays out text: "a" and
        # "b" centred in their cells sit on the same baseline.
        opts += ["text height=0.75em", "text depth=0.22em"]
        box = t.get_bbox_patch()
        if box is not None and _visible_alpha(box.get_facecolor()):
            opts += [f"fill={self.colors(box.get_facecolor())}", "rounded corners=1pt",
                     f"inner sep={_g(0.1 * size)}pt"]
            opts.remove("inner sep=0pt")
        name = self.names.get(id(t))
        node = f" ({name})" if name else ""
        x, y = t.get_position()
        self.lines.append(f"\\node[{', '.join(opts)}]{node} at {self.pt(x, y)} "
                          f"{{{_tex_lines(s)}}};")


def _cell_names(fig: Figure) -> dict[int, str]:
    """id(text artist) -> ``KEY-ROW-COL`` for every labelled cell of every drawn matrix."""
    out: dict[int, str] = {}
    for key, rec in figure_data(fig).items():
        if isinstance(rec, dict) and isinstance(rec.get("cell_texts"), dict):
            name = re.sub(r"[^A-Za-z0-9]", "", str(key)) or "M"
            for (r, c), t in rec["cell_texts"].items():
                out[id(t)] = f"{name}-{r}-{c}"
    return out


def _drawn(ax: Any) -> Iterator[Artist]:
    """The axes' artists in matplotlib's drawing order (by zorder, then as added)."""
    children = [a for a in ax.get_children() if a.get_visible()]
    yield from sorted(children, key=lambda a: a.get_zorder())


def _picture(fig: Figure, scale: float, title: str | None) -> str:
    FigureCanvasAgg(fig)
    writer = _Writer(fig, scale)
    with figure_style():
        for a in _drawn(writer.ax):
            writer.artist(a)
    w_pt, h_pt = fig.bbox.width * writer.k, fig.bbox.height * writer.k
    lines = [
        "\\begin{tikzpicture}[x=1pt, y=1pt]",
        *writer.colors.definitions(),
        # An explicit bounding box: the picture is exactly the figure's canvas
        # (a slide figure: at most the frame's text area).
        f"\\useasboundingbox (0,0) rectangle ({_g(w_pt)},{_g(h_pt)});",
    ]
    if title:
        lines.append(f"\\node[anchor=south, font=\\large\\bfseries] at ({_g(w_pt / 2)},"
                     f"{_g(h_pt + 2)}) {{{_escape(title)}}};")
    lines += writer.lines
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines) + "\n"


_WRAPPER_HEAD = r"""% Written by toeplitz_conv.figures.to_tikz.
% Compile on its own:   pdflatex FILE.tex
% Or in a document (e.g. a Beamer frame) that loads TikZ:   \input{FILE.tex}
% (a figure drawn with slide="4:3" or "16:9" fits that frame as it is; for exact
% font sizes load \usepackage{anyfontsize}).
\makeatletter
\ifx\documentclass\@notprerr
  % \begin{document} has run (it disables \documentclass): we are \input.
  \let\tcBegin\relax
  \let\tcEnd\relax
\else
  \def\tcBegin{\documentclass[border=0pt]{standalone}\usepackage{tikz}%
    \usepackage{anyfontsize}\renewcommand{\familydefault}{\sfdefault}\begin{document}}
  \def\tcEnd{\end{document}}
\fi
\makeatother
\tcBegin
"""


def _resolve(fig_or_name: Figure | str, slide: Slide | None) -> Figure:
    if isinstance(fig_or_name, Figure):
        if slide is not None and slide_of(fig_or_name) != slide:
            raise ValueError(f"slide={slide!r} applies to a figure drawn by name; this figure "
                             f"was drawn for {slide_of(fig_or_name)!r} (draw it with "
                             f"slide={slide!r})")
        return fig_or_name
    if isinstance(fig_or_name, str):
        funcs = {f.__name__: f for f in FIGURE_FUNCTIONS}
        # Every figure takes slide= and title= (FIGURES is typed as taking nothing).
        draw: Callable[..., Figure] | None = FIGURES.get(fig_or_name) or funcs.get(fig_or_name)
        if draw is None:
            raise ValueError(f"unknown figure {fig_or_name!r}; choose from "
                             f"{', '.join(list(FIGURES) + sorted(set(funcs) - set(FIGURES)))}")
        # On a slide the frame has the title.
        return draw() if slide is None else draw(slide=slide, title=False)
    raise TypeError(f"fig_or_name must be a Figure or a figure name, "
                    f"got {type(fig_or_name).__name__}")


def _cell_pt(fig: Figure) -> float:
    """Points per matrix cell (the canvas's data unit) of a drawn figure."""
    ax = fig.axes[0]
    (x0, _), (x1, _) = ax.transData.transform([(0, 0), (1, 0)])
    return float(abs(x1 - x0)) * 72.0 / fig.dpi


def to_tikz(fig_or_name: Figure | str, path: str | Path | None = None, *,
            cell_cm: float | None = None, title: str | None = None, standalone: bool = True,
            slide: Slide | None = None) -> str:
    """A figure as a TikZ picture (LaTeX source): everything it draws, as it draws it.

    Every cell (with its colour, label and hatching), frame, unit, edge,
    arrow, legend and text of the figure is written in the same place, in
    the same colour and at the same size; labelled matrix cells are named
    nodes ``(KEY-ROW-COL)``.

    Parameters
    ----------
    fig_or_name : Figure or str
        A figure drawn by this package, or a name of :data:`FIGURES` (or of a
        figure function, drawn with its defaults).
    path : str or Path, optional
        Also write the source there (conventionally ``.tex``).
    cell_cm : float, optional
        Side of one matrix cell in centimetres; everything scales with it.
        Default: a slide figure keeps its size (the frame's text area), a
        free-size one gets 0.6 cm cells.
    title : str, optional
        A bold title above the picture.
    standalone : bool
        True (default): a file that compiles on its own with pdflatex and can
        also be ``\\input`` into a document loading TikZ (a Beamer frame).
        False: only the ``tikzpicture`` environment.
    slide : {"4:3", "16:9"}, optional
        With a figure name: draw it for that Beamer frame (without its own
        title), so that it is ``\\input`` at natural size, text 11 pt or more.

    Returns
    -------
    str
        The LaTeX source.

    Examples
    --------
    >>> tex = to_tikz("matrix_1d")
    >>> "\\\\begin{tikzpicture}" in tex, "(A-0-0) at" in tex, "{52}" in tex
    (True, True, True)
    >>> "\\\\useasboundingbox (0,0) rectangle (307" in to_tikz("matrix_1d", slide="4:3")
    False
    """
    fig = _resolve(fig_or_name, slide)
    standalone = as_bool(standalone, "standalone")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    if cell_cm is None:
        scale = 1.0 if slide_of(fig) is not None else 0.6 / 2.54 * 72 / _cell_pt(fig)
    else:
        cell_cm = as_finite_real(cell_cm, "cell_cm", positive=True)
        scale = cell_cm / 2.54 * 72 / _cell_pt(fig)
    picture = _picture(fig, scale, title)
    tex = _WRAPPER_HEAD + picture + "\\tcEnd\n" if standalone else picture
    if path is not None:
        Path(path).write_text(tex, encoding="utf-8")
    return tex

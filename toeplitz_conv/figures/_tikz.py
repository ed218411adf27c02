"""TikZ output of the matrix figures, for LaTeX and Beamer slides.

The picture is written from the figure's record (:func:`~._data.figure_data`:
tie index, colour and label of every cell), never from matplotlib's artists:
each matrix of the figure becomes a grid of filled cells with the same
colours and labels, in the same places, as the drawn figure.  Text stays text,
typeset by LaTeX in the document's font.

The file compiles on its own (``pdflatex f.tex``, class ``standalone``) and
can also be ``\\input`` into a document that loads TikZ, e.g. a Beamer frame:
it looks whether ``\\begin{document}`` has already run (LaTeX then disables
``\\documentclass``) and only then skips its own preamble.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .._validation import as_bool, as_finite_real
from ._canvas import _text_color
from ._data import _blocks, figure_data

__all__ = ["TIKZ_FIGURES", "to_tikz"]

#: The registered figures whose matrices the TikZ output shows (any figure whose
#: record holds a matrix works; these are the ones the slides use).
TIKZ_FIGURES = ("matrix_1d", "matrix_1d_symbols", "matrix_2d", "sliding_window",
                "sliding_window_2d", "doubly_block_2d", "channels")

_GAP = 1.5              # cells between panels
_TITLE_H = 1.2          # cells above a grid for its title
_MAX_ROW = 26.0         # cells: a wider row of panels wraps
_HIGHLIGHT = "D00000"
_UNICODE = {"×": r"$\times$", "·": r"$\cdot$", "−": "-", "…": r"\dots{}", "∗": r"$\ast$"}
_SPECIAL = re.compile(r"([#%&_^~{}\\])")


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


def _visible(label: str) -> int:
    return len(re.sub(r"[${}_\\]", "", label))


def _cell_tex(label: str) -> tuple[str, str]:
    """(font, text) of a cell: a sum of weights goes on two lines, like the drawing."""
    terms = label.split("+")
    if len(terms) > 1:
        half = (len(terms) + 1) // 2
        text = _escape("+".join(terms[:half]) + "+") + r"\\" + _escape("+".join(terms[half:]))
        return r"\scriptsize", text
    size = _visible(label)
    font = r"\small" if size <= 2 else r"\footnotesize" if size <= 4 else r"\scriptsize"
    return font, _escape(label)


class _Colors:
    """``\\definecolor`` names for the hex colours used."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, color: str) -> str:
        import matplotlib as mpl

        hexa = mpl.colors.to_hex(color).upper().lstrip("#")
        return self.names.setdefault(hexa, f"tc{len(self.names)}")

    def definitions(self) -> list[str]:
        return [f"\\definecolor{{{name}}}{{HTML}}{{{hexa}}}" for hexa, name in self.names.items()]


@dataclass
class _Panel:
    """A titled block of the picture, ``width`` x ``height`` cells (title included)."""

    width: float
    height: float
    draw: Callable[[float, float, list[str]], None]
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _node_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", key) or "M"


def _matrix_lines(key: str, rec: dict[str, Any], x0: float, y0: float, colors: _Colors,
                  blocks: tuple[int, int] | None, out: list[str]) -> None:
    tie = np.asarray(rec["tie"])
    labels = np.asarray(rec["labels"], dtype=object)
    faces = np.asarray(rec.get("drawn_colors", rec.get("colors")), dtype=object)
    m, n = tie.shape
    name = _node_name(key)
    for r in range(m):
        for c in range(n):
            face = str(faces[r, c])
            out.append(f"\\fill[{colors(face)}] ({x0 + c:g},{y0 + r:g}) rectangle ++(1,1);")
            label = str(labels[r, c])
            if label:
                font, text = _cell_tex(label)
                ink = colors(_text_color(face))
                out.append(f"\\node[cell,font={font},text={ink}] ({name}-{r}-{c}) at "
                           f"({x0 + c + 0.5:g},{y0 + r + 0.5:g}) {{{text}}};")
    grid = colors("#BBBBBB")
    out.append(f"\\draw[{grid},line width=0.4pt] ({x0:g},{y0:g}) grid ({x0 + n:g},{y0 + m:g});")
    if blocks is not None:
        bh, bw = blocks
        edge = colors("#333333")
        for i in range(0, m, bh):
            for j in range(0, n, bw):
                out.append(f"\\draw[{edge},line width=0.9pt] ({x0 + j:g},{y0 + i:g}) "
                           f"rectangle ++({bw},{bh});")
    out.append(f"\\draw[line width=1.2pt] ({x0:g},{y0:g}) rectangle ({x0 + n:g},{y0 + m:g});")
    # Rows drawn faded all the way across leave the others highlighted (the
    # sliding window's row): frame those, as the drawing does.
    dimmed = np.asarray(rec.get("dimmed", np.zeros(tie.shape, bool)), dtype=bool)
    faded, clear = dimmed.all(axis=1), ~dimmed.any(axis=1)
    if faded.any() and clear.any() and (faded | clear).all():
        red = colors("#" + _HIGHLIGHT)
        for r in np.flatnonzero(clear).tolist():
            out.append(f"\\draw[{red},line width=1.8pt] ({x0 - 0.06:g},{y0 + r - 0.06:g}) "
                       f"rectangle ++({n + 0.12:g},1.12);")


def _vector_lines(labels: Any, x0: float, y0: float, colors: _Colors, name: str,
                  out: list[str]) -> None:
    labels = [str(s) for s in labels]
    edge = colors("#444444")
    for i, s in enumerate(labels):
        out.append(f"\\draw[{edge},line width=0.5pt] ({x0:g},{y0 + i:g}) rectangle ++(1,1);")
        if s:
            font, text = _cell_tex(s)
            out.append(f"\\node[cell,font={font}] ({name}-{i}) at "
                       f"({x0 + 0.5:g},{y0 + i + 0.5:g}) {{{text}}};")
    out.append(f"\\draw[line width=1.2pt] ({x0:g},{y0:g}) rectangle ++(1,{len(labels)});")


def _title_line(x: float, y: float, text: str, out: list[str]) -> None:
    out.append(f"\\node[font=\\normalsize] at ({x:g},{y:g}) {{{text}}};")


def _is_matrix(v: Any) -> bool:
    return (isinstance(v, dict) and "tie" in v and "labels" in v
            and np.ndim(v["tie"]) == 2)


def _panels(data: dict[str, Any], colors: _Colors) -> list[_Panel]:
    mats = {k: v for k, v in data.items() if _is_matrix(v)}
    if not mats:
        raise ValueError("this figure has no matrix to draw in TikZ; figures with matrices: "
                         + ", ".join(TIKZ_FIGURES))
    vec = {k: v for k, v in data.items() if isinstance(v, dict) and set(v) == {"labels"}}
    panels: list[_Panel] = []

    def blocks_of(key: str, rec: dict[str, Any]) -> tuple[int, int] | None:
        if key == "A" and isinstance(data.get("blocks"), tuple):
            bh, bw = data["blocks"]
            return int(bh), int(bw)
        A = rec.get("matrix")
        return _blocks(A) if A is not None and hasattr(A, "in_shape") else None

    if {"y", "A", "x"} <= set(vec) | set(mats) and "A" in mats and {"y", "x"} <= set(vec):
        # y = A x, as the matrix equation figure lays it out.
        A = mats.pop("A")
        m, n = np.shape(A["tie"])
        h = max(m, n)

        def equation(x0: float, y0: float, out: list[str]) -> None:
            _title_line(x0 + 0.5, y0 + 0.5, "$y$", out)
            _vector_lines(vec["y"]["labels"], x0, y0 + _TITLE_H, colors, "y", out)
            out.append(f"\\node[font=\\Large] at ({x0 + 2:g},{y0 + _TITLE_H + m / 2:g}) {{$=$}};")
            ax = x0 + 3
            _title_line(ax + n / 2, y0 + 0.5, f"$A$ ({m} $\\times$ {n})", out)
            _matrix_lines("A", A, ax, y0 + _TITLE_H, colors, blocks_of("A", A), out)
            _title_line(ax + n + 1, y0 + 0.5, "$x$", out)
            _vector_lines(vec["x"]["labels"], ax + n + 0.5, y0 + _TITLE_H, colors, "x", out)

        panels.append(_Panel(n + 4.5, h + _TITLE_H, equation))
    for key, rec in mats.items():
        m, n = np.shape(rec["tie"])
        window = data.get("window") if key == "A" else None
        top = _TITLE_H + (2.4 if window is not None else 0.0)

        def draw(x0: float, y0: float, out: list[str], key: str = key,
                 rec: dict[str, Any] = rec, window: Any = window, top: float = top) -> None:
            m, n = np.shape(rec["tie"])
            if window is not None:
                # The kernel over its window, aligned with the columns it multiplies.
                rows = np.flatnonzero(~np.asarray(rec["dimmed"]).all(axis=1))
                at = f" {int(rows[0])}" if rows.size == 1 else ""
                _title_line(x0 + n / 2, y0 + 0.5, f"kernel at output{at}", out)
                edge = colors("#444444")
                for c, (s, face) in enumerate(zip(window["labels"], window["colors"])):
                    out.append(f"\\fill[{colors(face)}] ({x0 + c:g},{y0 + 1.1:g}) "
                               "rectangle ++(1,1);")
                    out.append(f"\\draw[{edge},line width=0.5pt] ({x0 + c:g},{y0 + 1.1:g}) "
                               "rectangle ++(1,1);")
                    if s:
                        font, text = _cell_tex(str(s))
                        out.append(f"\\node[cell,font={font},text={colors(_text_color(face))}]"
                                   f" (window-{c}) at ({x0 + c + 0.5:g},{y0 + 1.6:g}) {{{text}}};")
            title = f"${key}$" if len(key) <= 2 else _escape(key)
            _title_line(x0 + n / 2, y0 + top - 0.6, f"{title} ({m} $\\times$ {n})", out)
            _matrix_lines(key, rec, x0, y0 + top, colors, blocks_of(key, rec), out)

        height = top + m
        if window is not None and isinstance(data.get("expression"), str):
            height += 1.3
        panel = _Panel(float(n), height, draw, extra={"key": key})
        if window is not None and isinstance(data.get("expression"), str):
            expr = data["expression"]
            inner = panel.draw

            def with_expression(x0: float, y0: float, out: list[str], inner: Any = inner,
                                m: int = m, n: int = n, top: float = top,
                                expr: str = expr) -> None:
                inner(x0, y0, out)
                _title_line(x0 + n / 2, y0 + top + m + 0.7, f"output $= {expr}$", out)

            panel.draw = with_expression
        panels.append(panel)
    return panels


def _picture(data: dict[str, Any], cell_cm: float, title: str | None) -> str:
    colors = _Colors()
    panels = _panels(data, colors)
    body: list[str] = []
    # Panels left to right, wrapping into rows no wider than _MAX_ROW cells.
    y = 0.3
    if title:
        y += 1.2
    rows: list[list[_Panel]] = [[]]
    width = 0.0
    for p in panels:
        if rows[-1] and width + _GAP + p.width > _MAX_ROW:
            rows.append([])
            width = 0.0
        width += (_GAP if rows[-1] else 0.0) + p.width
        rows[-1].append(p)
    total_w = max(sum(p.width for p in r) + _GAP * (len(r) - 1) for r in rows) + 0.6
    for row in rows:
        x = 0.3
        for p in row:
            p.draw(x, y, body)
            x += p.width + _GAP
        y += max(p.height for p in row) + 0.8
    total_h = y - 0.5
    lines = [
        f"\\begin{{tikzpicture}}[x={cell_cm:g}cm, y=-{cell_cm:g}cm,",
        "  cell/.style={inner sep=0pt, align=center, anchor=center}]",
        *colors.definitions(),
        # An explicit bounding box: the page of the standalone PDF is exactly
        # the picture, so a cell's place on the page follows from its coordinates.
        f"\\useasboundingbox (0,0) rectangle ({total_w:g},{total_h:g});",
    ]
    if title:
        lines.append(f"\\node[font=\\large\\bfseries] at ({total_w / 2:g},0.8) "
                     f"{{{_escape(title)}}};")
    lines += body
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines) + "\n"


_WRAPPER_HEAD = r"""% Written by toeplitz_conv.figures.to_tikz.
% Compile on its own:   pdflatex FILE.tex
% Or in a document (e.g. a Beamer frame) that loads TikZ:   \input{FILE.tex}
% (optionally inside \resizebox{\linewidth}{!}{...}).
\makeatletter
\ifx\documentclass\@notprerr
  % \begin{document} has run (it disables \documentclass): we are \input.
  \let\tcBegin\relax
  \let\tcEnd\relax
\else
  \def\tcBegin{\documentclass[border=0pt]{standalone}\usepackage{tikz}\begin{document}}
  \def\tcEnd{\end{document}}
\fi
\makeatother
\tcBegin
"""


def _resolve(fig_or_name: Figure | str) -> tuple[Figure, str | None]:
    if isinstance(fig_or_name, Figure):
        return fig_or_name, None
    if isinstance(fig_or_name, str):
        from ._registry import FIGURE_FUNCTIONS, FIGURES

        if fig_or_name in FIGURES:
            return FIGURES[fig_or_name](), fig_or_name
        funcs = {f.__name__: f for f in FIGURE_FUNCTIONS}
        if fig_or_name in funcs:
            return funcs[fig_or_name](), fig_or_name
        raise ValueError(f"unknown figure {fig_or_name!r}; choose from "
                         f"{', '.join(list(FIGURES) + sorted(set(funcs) - set(FIGURES)))}")
    raise TypeError(f"fig_or_name must be a Figure or a figure name, "
                    f"got {type(fig_or_name).__name__}")


def to_tikz(fig_or_name: Figure | str, path: str | Path | None = None, *,
            cell_cm: float = 0.6, title: str | None = None, standalone: bool = True) -> str:
    """The matrices of a figure as a TikZ picture (LaTeX source).

    Every cell of every matrix the figure draws is written with its weight's
    colour and label, from :func:`figure_data`; blocks of a 2-D matrix are
    outlined, the sliding window's row is framed and its kernel placed over
    the columns it multiplies.

    Parameters
    ----------
    fig_or_name : Figure or str
        A figure drawn by this package, or a name of :data:`FIGURES` (or of a
        figure function, drawn with its defaults).
    path : str or Path, optional
        Also write the source there (conventionally ``.tex``).
    cell_cm : float
        Side of one matrix cell in centimetres (0.6 cm fits a 4:3 Beamer
        frame for matrices up to about 16 columns).
    title : str, optional
        A bold title above the picture.
    standalone : bool
        True (default): a file that compiles on its own with pdflatex and can
        also be ``\\input`` into a document loading TikZ (a Beamer frame).
        False: only the ``tikzpicture`` environment.

    Returns
    -------
    str
        The LaTeX source.

    Examples
    --------
    >>> tex = to_tikz("matrix_1d")
    >>> "\\\\begin{tikzpicture}" in tex, "(A-0-0) at (3.8,2) {5}" in tex
    (True, True)
    """
    fig, _ = _resolve(fig_or_name)
    cell_cm = as_finite_real(cell_cm, "cell_cm", positive=True)
    standalone = as_bool(standalone, "standalone")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    picture = _picture(figure_data(fig), cell_cm, title)
    tex = _WRAPPER_HEAD + picture + "\\tcEnd\n" if standalone else picture
    if path is not None:
        Path(path).write_text(tex, encoding="utf-8")
    return tex

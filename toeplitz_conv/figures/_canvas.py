"""The drawing canvas: fixed style, cells, frames, grids and tie-grid matrices.

Everything is drawn on one figure-filling axes whose data unit is one matrix
cell, so figure code places things in cells and never in inches.  What the
cells show (tie index, colour, label) comes from :mod:`._data`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath
from matplotlib.typing import RcKeyType

from ..palette import text_color
from ._data import _new_record, matrix_record

__all__ = ["STYLE", "figure_style"]

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
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with figure_style():
            return func(*args, **kwargs)
    return wrapper


def _text_color(face: str) -> str:
    """Black or white, whichever reads at >= 4.5:1 on ``face`` (see :func:`text_color`)."""
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
        with figure_style():
            self.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.15)
        return buf.getvalue()


class _Canvas:
    """One figure-filling axes whose data unit is one matrix cell, y down."""

    def __init__(self, width: float, height: float, cell_in: float = _CELL_IN, *,
                 font_scale: float = 1.0) -> None:
        self.fig: Figure = LectureFigure(figsize=(width * cell_in, height * cell_in))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()
        self.scale = cell_in / _CELL_IN
        # Dense figures (many panels) get larger text relative to their cells,
        # so that they stay readable when scaled down to fit a slide.
        self.font_scale = font_scale
        self.data = _new_record(self.fig)

    def text(self, x: float, y: float, s: str, size: float = _FONT, **kw: Any) -> None:
        kw.setdefault("ha", "center")
        kw.setdefault("va", "center")
        self.ax.text(x, y, s, fontsize=size * self.scale * self.font_scale, **kw)

    def title(self, x: float, y: float, s: str, **kw: Any) -> None:
        self.text(x, y, s, size=_TITLE, fontweight="bold", **kw)

    def subtitle(self, x: float, y: float, s: str, **kw: Any) -> None:
        self.text(x, y, s, size=_FONT, color="#444444", **kw)

    def cell(self, x: float, y: float, face: str, label: str = "", *, edge: str = "#BBBBBB",
             lw: float = 0.8, w: float = 1.0, h: float = 1.0, hatch: str | None = None,
             split: Sequence[str] = ()) -> None:
        """One cell; ``split`` colours (a sum of weights) fill it in diagonal slices."""
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
            size = _fontsize(label, w, _FONT * self.font_scale) / self.font_scale
            if split and size < 0.8 * _FONT:
                return      # too long to read in a cell: the split colours say it
            box = {"bbox": {"boxstyle": "round,pad=0.1", "facecolor": "white",
                            "edgecolor": "none"}} if split else {}
            self.text(x + w / 2, y + h / 2, label, size=size, color=_text_color(face), **box)

    def frame(self, x: float, y: float, w: float, h: float, color: str = "black",
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
        for r in range(m):
            for c in range(n):
                self.cell(x0 + c, y0 + r, drawn[r, c], labels[r, c] if show_labels else "",
                          hatch="///" if mark is not None and mark[r, c] else None,
                          split=split.get((r, c), ()))
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

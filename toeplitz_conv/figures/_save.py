"""Writing figures to SVG, PDF or PNG, byte-for-byte reproducibly.

PNG is written at :data:`PNG_DPI` (sharp on a 1080p projector) unless
``dpi=`` says otherwise; SVG keeps its text as paths (the same bytes on every
machine) unless ``svg_text=True`` asks for editable ``<text>`` elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from .._validation import as_bool, as_finite_real
from ._canvas import figure_style, slide_of
from ._registry import FIGURES

__all__ = ["FORMATS", "PNG_DPI", "save_figure", "write_all"]

#: Output formats chosen by file extension.
FORMATS = ("svg", "pdf", "png")
#: Default resolution of PNG output: a 0.5 in cell is 100 px, sharp when projected.
PNG_DPI = 200


def _format_of(path: str | Path) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"output file must end in one of {', '.join('.' + f for f in FORMATS)}"
                         f", got {str(path)!r}")
    return ext


def save_figure(fig: Figure, path: str | Path, *, dpi: float = PNG_DPI,
                svg_text: bool = False) -> Path:
    """Write ``fig`` to ``path`` (SVG, PDF or PNG by extension), reproducibly.

    Dates and version stamps are left out and the SVG hash salt is fixed, so
    the same figure always gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure of this package (or any figure).
    path : str or Path
        Ends in ``.svg``, ``.pdf`` or ``.png``.
    dpi : float
        Resolution of a PNG, dots per inch (default :data:`PNG_DPI`); vector
        formats ignore it.
    svg_text : bool
        SVG only: keep text as ``<text>`` elements, editable in Inkscape or
        Illustrator (it then depends on the viewer's fonts).  The default draws
        glyphs as paths, byte-for-byte reproducible.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from toeplitz_conv.figures import FIGURES
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> a = save_figure(FIGURES["matrix_1d"](), d / "a.svg").read_bytes()
    >>> a == save_figure(FIGURES["matrix_1d"](), d / "b.svg").read_bytes()
    True
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure (e.g. from toeplitz_conv.figures), "
                        f"got {type(fig).__name__}")
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or a pathlib.Path, got {type(path).__name__}")
    fmt = _format_of(path)
    path = Path(path)
    try:
        dpi = as_finite_real(dpi, "dpi")
    except OverflowError:       # an int too large for a float (2**1024)
        raise ValueError(f"dpi must be between 10 and 2400, got an integer of "
                         f"{int(dpi).bit_length()} bits") from None
    if not 10 <= dpi <= 2400:
        raise ValueError(f"dpi must be between 10 and 2400, got {dpi:g}")
    svg_text = as_bool(svg_text, "svg_text")
    metadata: dict[str, Any] = {
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
        "png": {"Software": None},
    }[fmt]
    # Only PNG gets the dpi: SVG and PDF bytes stay those of the committed figures.
    extra: dict[str, Any] = {"dpi": dpi} if fmt == "png" else {}
    with figure_style(), mpl.rc_context({"svg.fonttype": "none" if svg_text else "path"}):
        fig.savefig(path, format=fmt, metadata=metadata, **_box(fig), **extra)
    return path


def _box(fig: Figure) -> dict[str, Any]:
    """A slide figure is written at its own size (the text area); others trimmed and padded."""
    if slide_of(fig) is not None:
        return {"bbox_inches": None}
    return {"bbox_inches": "tight", "pad_inches": 0.15}


def write_all(directory: str | Path, fmt: str = "svg",
              names: Sequence[str] | None = None) -> list[Path]:
    """Draw every figure in :data:`FIGURES` (or ``names``) into ``directory``.

    Returns the written paths, ``directory/NAME.fmt``.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_all(tempfile.mkdtemp(), "png", ["matrix_1d"])]
    ['matrix_1d.png']
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    names = list(FIGURES) if names is None else list(names)
    for name in names:
        if name not in FIGURES:
            raise ValueError(f"unknown figure {name!r}; choose from {', '.join(FIGURES)}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [save_figure(FIGURES[name](), directory / f"{name}.{fmt}") for name in names]

"""Writing figures to SVG, PDF or PNG, byte-for-byte reproducibly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ._canvas import figure_style
from ._registry import FIGURES

__all__ = ["FORMATS", "save_figure", "write_all"]

#: Output formats chosen by file extension.
FORMATS = ("svg", "pdf", "png")


def _format_of(path: str | Path) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"output file must end in one of {', '.join('.' + f for f in FORMATS)}"
                         f", got {str(path)!r}")
    return ext


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (SVG, PDF or PNG by extension), reproducibly.

    Dates and version stamps are left out and the SVG hash salt is fixed, so
    the same figure always gives the same bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from toeplitz_conv.figures import FIGURES
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> a = save_figure(FIGURES["matrix_1d"](), d / "a.svg").read_bytes()
    >>> a == save_figure(FIGURES["matrix_1d"](), d / "b.svg").read_bytes()
    True
    """
    fmt = _format_of(path)
    path = Path(path)
    metadata: dict[str, Any] = {
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
        "png": {"Software": None},
    }[fmt]
    with figure_style():
        fig.savefig(path, format=fmt, metadata=metadata, bbox_inches="tight",
                    pad_inches=0.15)
    return path


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

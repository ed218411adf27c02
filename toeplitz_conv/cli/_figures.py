"""``toeplitz-conv figure NAME --out FILE`` and ``toeplitz-conv figures --out DIR``.

Registering these must not import matplotlib for every command, so
:mod:`toeplitz_conv.figures` is imported only when they run, and only after
the cheap checks of the output path.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ._errors import CLIError

__all__ = ["HELP_FIGURE", "HELP_FIGURES", "cmd_figure", "cmd_figures", "setup_figure",
           "setup_figures"]

HELP_FIGURE = "draw one lecture figure: figure NAME --out FILE.svg|pdf|png|tex"
HELP_FIGURES = "draw every lecture figure into a directory: figures --out DIR"

_EXTS = ("svg", "pdf", "png")
#: What ``figure --out`` writes besides the image formats: TikZ source.
_FIGURE_EXTS = (*_EXTS, "tex")


def setup_figure(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``figure``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("name", help="figure name; 'list' prints the names")
    p.add_argument("--out", help="output file; the format follows the extension "
                                 "(.svg, .pdf, .png, or .tex for a TikZ picture)")
    p.add_argument("--dpi", help="resolution of a .png (default 200)")
    p.add_argument("--svg-text", action="store_true",
                   help="keep the text of an .svg editable (<text> elements) instead of "
                        "paths; the default is byte-for-byte reproducible")


def setup_figures(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``figures``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--format", default="svg", help="svg | pdf | png (default svg)")


def _check_ext(path: Path, allowed: tuple[str, ...] = _EXTS) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in allowed:
        listed = ", ".join("." + e for e in allowed[:-1]) + " or ." + allowed[-1]
        raise CLIError(f"--out must end in {listed}, got {str(path)!r}")
    return ext


def _parse_dpi(text: str | None) -> float:
    if text is None:
        return 200.0
    try:
        dpi = float(text)
    except ValueError:
        dpi = float("nan")
    if not 10 <= dpi <= 2400:
        raise CLIError(f"--dpi must be a number between 10 and 2400, got {text!r}")
    return dpi


def _check_dir(directory: Path, create: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise CLIError(f"--out: {str(directory)!r} exists and is not a directory")
    if not directory.exists():
        if not create:
            raise CLIError(f"--out: directory {str(directory)!r} does not exist")
        try:
            directory.mkdir(parents=True)
        except OSError as exc:
            raise CLIError(f"--out: cannot create directory {str(directory)!r}: "
                           f"{exc.strerror}") from None
    if not os.access(directory, os.W_OK):
        raise CLIError(f"--out: directory {str(directory)!r} is not writable")


def cmd_figure(args: argparse.Namespace) -> int:
    """Draw one figure into ``--out`` (or list the names); print the path written.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_figure`.

    Returns
    -------
    int
        0.
    """
    # Cheap checks first: importing matplotlib takes a while.
    out: Path | None = None
    if args.name != "list":
        if not args.out:
            raise CLIError("--out FILE is required (e.g. --out matrix_1d.svg)")
        out = Path(args.out)
        ext = _check_ext(out, _FIGURE_EXTS)
        _check_dir(out.parent, create=False)
        dpi = _parse_dpi(args.dpi)
    from ..figures import FIGURES, save_figure, to_tikz

    if out is None:
        print("\n".join(FIGURES))
        return 0
    if args.name not in FIGURES:
        raise CLIError(f"unknown figure {args.name!r}; choose from {', '.join(FIGURES)}")
    fig = FIGURES[args.name]()
    if ext == "tex":
        to_tikz(fig, out)
    else:
        save_figure(fig, out, dpi=dpi, svg_text=args.svg_text)
    print(out)
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    """Draw every figure into the directory ``--out`` in ``--format``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_figures`.

    Returns
    -------
    int
        0.
    """
    fmt = str(args.format).lower().lstrip(".")
    if fmt not in _EXTS:
        raise CLIError(f"--format must be one of svg, pdf, png, got {args.format!r}")
    directory = Path(args.out)
    _check_dir(directory, create=True)
    from ..figures import FIGURES, save_figure

    for name, draw in FIGURES.items():
        save_figure(draw(), directory / f"{name}.{fmt}")
    print(f"wrote {len(FIGURES)} figures to {directory}")
    return 0

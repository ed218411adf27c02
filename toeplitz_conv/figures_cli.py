"""The ``figure`` and ``figures`` subcommands of ``toeplitz-conv``.

Kept apart from :mod:`toeplitz_conv.figures` so that registering them in
:data:`toeplitz_conv.cli.COMMANDS` does not import matplotlib for every
command.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["cmd_figure", "cmd_figures", "setup_figure", "setup_figures"]

_EXTS = ("svg", "pdf", "png")


class FigureCLIError(ValueError):
    """A user error of the figure commands (one line on stderr, exit 2)."""


def setup_figure(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="figure name; 'list' prints the names")
    p.add_argument("--out", help="output file; the format follows the extension "
                                 "(.svg, .pdf, .png)")


def setup_figures(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--format", default="svg", help="svg | pdf | png (default svg)")


def _check_ext(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in _EXTS:
        raise FigureCLIError(f"--out must end in .svg, .pdf or .png, got {str(path)!r}")
    return ext


def _check_dir(directory: Path, create: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise FigureCLIError(f"{str(directory)!r} exists and is not a directory")
    if not directory.exists():
        if not create:
            raise FigureCLIError(f"directory {str(directory)!r} does not exist")
        try:
            directory.mkdir(parents=True)
        except OSError as exc:
            raise FigureCLIError(f"cannot create directory {str(directory)!r}: "
                                 f"{exc.strerror}") from None
    if not os.access(directory, os.W_OK):
        raise FigureCLIError(f"directory {str(directory)!r} is not writable")


def cmd_figure(args: argparse.Namespace) -> int:
    # Cheap checks first: importing matplotlib takes a while.
    if args.name != "list":
        if not args.out:
            raise FigureCLIError("--out FILE is required (e.g. --out matrix_1d.svg)")
        out = Path(args.out)
        _check_ext(out)
        _check_dir(out.parent, create=False)
    from .figures import FIGURES, save_figure

    if args.name == "list":
        print("\n".join(FIGURES))
        return 0
    if args.name not in FIGURES:
        raise FigureCLIError(f"unknown figure {args.name!r}; choose from "
                             f"{', '.join(FIGURES)}")
    save_figure(FIGURES[args.name](), out)
    print(out)
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    fmt = str(args.format).lower().lstrip(".")
    if fmt not in _EXTS:
        raise FigureCLIError(f"--format must be one of svg, pdf, png, got {args.format!r}")
    directory = Path(args.out)
    _check_dir(directory, create=True)
    from .figures import FIGURES, save_figure

    for name, draw in FIGURES.items():
        save_figure(draw(), directory / f"{name}.{fmt}")
    print(f"wrote {len(FIGURES)} figures to {directory}")
    return 0

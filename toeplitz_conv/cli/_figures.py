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

__all__ = ["FIGURE_NAMES", "HELP_FIGURE", "HELP_FIGURES", "cmd_figure", "cmd_figures",
           "setup_figure", "setup_figures"]

HELP_FIGURE = "draw one lecture figure: figure NAME --out FILE.svg|pdf|png"
HELP_FIGURES = "draw every lecture figure into a directory: figures --out DIR"

_EXTS = ("svg", "pdf", "png")

#: The names of ``toeplitz_conv.figures.FIGURES``, in its order, written out
#: here so that ``figure list`` and a misspelt name answer without importing
#: matplotlib (a second or more); tests/test_cli.py keeps the two equal.
FIGURE_NAMES = ("matrix_1d", "matrix_1d_symbols", "matrix_2d", "sliding_window",
                "sliding_window_2d", "doubly_block_2d", "connectivity", "receptive_field",
                "parameter_sharing", "stride", "transposed", "padding_modes", "conv_vs_corr",
                "output_modes", "equivariance", "pooling")


def setup_figure(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``figure``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("name", help="figure name; 'list' prints the names")
    p.add_argument("--out", help="output file; the format follows the extension "
                                 "(.svg, .pdf, .png)")


def setup_figures(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``figures``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--format", default="svg", help="svg | pdf | png")


def _check_ext(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in _EXTS:
        raise CLIError(f"--out must end in .svg, .pdf or .png, got {str(path)!r}")
    return ext


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
    # Everything that can be answered without matplotlib is, first: importing
    # it takes a second or more.
    if args.name == "list":
        print("\n".join(FIGURE_NAMES))
        return 0
    if args.name not in FIGURE_NAMES:
        raise CLIError(f"unknown figure {args.name!r}; choose from {', '.join(FIGURE_NAMES)}")
    if not args.out:
        raise CLIError("--out FILE is required (e.g. --out matrix_1d.svg)")
    out = Path(args.out)
    _check_ext(out)
    _check_dir(out.parent, create=False)
    from ..figures import FIGURES, save_figure

    save_figure(FIGURES[args.name](), out)
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

"""``toeplitz-conv lecture --out DIR``: the lecture as a Beamer deck, in one command.

matplotlib is imported only when the command runs, after the cheap checks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._errors import CLIError
from ._figures import _check_dir
from ._parse import parse_int, parse_numbers

__all__ = ["HELP", "cmd_lecture", "setup_lecture"]

HELP = ("write the lecture as a Beamer deck (.tex and figures, compiled to PDF where "
        "pdflatex exists): lecture --out DIR [--aspect 4:3|16:9]")
_ASPECTS = ("4:3", "16:9")
_FORMATS = ("pdf", "png")


def setup_lecture(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``lecture``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--aspect", default="4:3", help="Beamer aspect ratio: 4:3 | 16:9")
    p.add_argument("--kernel", default="5,6,7",
                   help="the running example's kernel, 1 to 3 numbers (default the worked "
                        "example's 5,6,7)")
    # The shared parser makes this --input-shape/--n, as in every command.
    p.add_argument("--n", default="4", help="the running example's input size: x = 1..n "
                                            "(at most 5 with a 3-tap kernel: its figures "
                                            "must fit a frame at 11 pt)")
    p.add_argument("--format", default="pdf", help="figure format: pdf | png")
    p.add_argument("--no-compile", action="store_true",
                   help="write the .tex and figures only, without running pdflatex")
    p.add_argument("--force", action="store_true",
                   help="overwrite a deck already in --out (its lecture.tex and figures)")


def cmd_lecture(args: argparse.Namespace) -> int:
    """Write the deck into ``--out``; print the files written, one a line.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_lecture`.

    Returns
    -------
    int
        0.
    """
    if args.aspect not in _ASPECTS:
        raise CLIError(f"--aspect must be 4:3 or 16:9, got {args.aspect!r}")
    fmt = str(args.format).lower().lstrip(".")
    if fmt not in _FORMATS:
        raise CLIError(f"--format must be pdf or png, got {args.format!r}")
    kernel = parse_numbers(args.kernel, "--kernel")
    if kernel.ndim != 1:
        raise CLIError(f"--kernel must be one row of numbers (the lecture is 1-D), "
                       f"got {args.kernel!r}")
    n = parse_int(args.input_shape, "--input-shape/--n", minimum=1)
    if not args.out:
        raise CLIError("--out needs a directory name, got ''")
    directory = Path(args.out)
    _check_dir(directory, create=True)
    deck = directory / "lecture.tex"
    if (deck.exists() or deck.is_symlink()) and not args.force:
        raise CLIError(f"--out: {str(directory)!r} already holds a deck (lecture.tex); "
                       f"pass --force to overwrite it")
    if deck.is_symlink():     # replaced, never written through
        deck.unlink()
    from ..figures import lecture_deck

    try:
        paths = lecture_deck(directory, aspect=args.aspect, kernel=kernel, n=n, fmt=fmt,
                             compile=not args.no_compile)
    except ValueError as exc:       # the running example's limits: name the flags
        raise CLIError(str(exc).replace("kernel must", "--kernel must")
                       .replace("n must", "--input-shape/--n must")
                       .replace("aspect='16:9'", "--aspect 16:9")) from None
    except RuntimeError as exc:     # pdflatex failed or timed out: its first error, one line
        raise CLIError(str(exc)) from None
    for p in paths:
        print(p)
    return 0

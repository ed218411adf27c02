"""The ``toeplitz-conv`` command.

Each subcommand is a pair ``setup_NAME(parser)`` / ``cmd_NAME(args) -> int``
listed in :data:`COMMANDS`; errors from bad arguments become one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import numpy as np

from ._prove_cli import cmd_prove, setup_prove
from .figures_cli import cmd_figure, cmd_figures, setup_figure, setup_figures

__all__ = ["build_parser", "format_matrix", "main", "parse_numbers"]



class CLIError(Exception):
    """A user error reported as one line on stderr."""


def parse_numbers(text: str, name: str = "--kernel") -> np.ndarray:
    """Parse ``"5,6,7"`` (1-D) or ``"1,2;3,4"`` (rows separated by ``;``).

    >>> parse_numbers("5,6,7")
    array([5, 6, 7])
    >>> parse_numbers("1,2;3,4").shape
    (2, 2)
    """
    try:
        rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
    except ValueError:
        raise CLIError(f"{name} must be numbers separated by ',' (rows by ';'), "
                       f"got {text!r}") from None
    if len({len(r) for r in rows}) != 1:
        raise CLIError(f"{name} rows must all have the same length, got {text!r}")
    arr = np.array(rows if len(rows) > 1 else rows[0])
    if np.all(arr == np.round(arr)) and np.all(np.abs(arr) < 2**53):
        arr = arr.astype(np.int64)
    return arr


def parse_shape(text: str, name: str = "--n") -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise CLIError(f"{name} must be an int or ints separated by ',', got {text!r}") from None


def format_matrix(a: np.ndarray, zero: str = "0") -> str:
    """Right-aligned text rendering of a 2-D array; zeros drawn as ``zero``.

    >>> print(format_matrix(np.array([[5, 0], [6, 5]]), zero="."))
    5 .
    6 5
    """
    def fmt(v: object) -> str:
        if v == 0:
            return zero
        return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)
    cells = [[fmt(v) for v in row] for row in a.tolist()]
    width = max((len(c) for row in cells for c in row), default=1)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)


def add_signal_args(p: argparse.ArgumentParser) -> None:
    """The arguments of :func:`~toeplitz_conv.conv_matrix`, shared by subcommands."""
    p.add_argument("--kernel", required=True, help="e.g. 5,6,7 or 1,2;3,4 for 2-D")
    p.add_argument("--n", required=True, help="input shape, e.g. 4 or 3,3")
    p.add_argument("--mode", default="full", help="full | valid | same")
    p.add_argument("--correlate", action="store_true", help="cross-correlation")
    p.add_argument("--boundary", default="fill", help="fill | wrap | symm")


def setup_show(p: argparse.ArgumentParser) -> None:
    add_signal_args(p)
    p.add_argument("--x", help="an input to multiply, e.g. 1,2,3,4")
    p.add_argument("--zero", default="0", help="how to draw zero entries (default 0)")


def cmd_show(args: argparse.Namespace) -> int:
    from .signal import conv_matrix

    kernel = parse_numbers(args.kernel)
    shape = parse_shape(args.n)
    a = conv_matrix(kernel, shape if len(shape) > 1 else shape[0], args.mode,
                    correlate=args.correlate, boundary=args.boundary)
    what = "cross-correlation" if args.correlate else "convolution"
    print(f"{what}, mode={args.mode}, boundary={args.boundary}: A is {a.shape[0]} x "
          f"{a.shape[1]}, {a.nnz} stored entries, {kernel.size} distinct weights")
    print(format_matrix(a.toarray(), args.zero))
    if args.x is not None:
        x = parse_numbers(args.x, "--x").ravel()
        if x.size != a.shape[1]:
            raise CLIError(f"--x must have {a.shape[1]} numbers, got {x.size}")
        print("y = A @ x =", format_matrix((a @ x)[None, :]))
    return 0


def setup_explore(p: argparse.ArgumentParser) -> None:
    from .explorer import setup_explore as setup

    setup(p)


def cmd_explore(args: argparse.Namespace) -> int:
    from .explorer import cmd_explore as run

    return run(args)


def setup_check(p: argparse.ArgumentParser) -> None:
    from .check._cli import setup_check as setup

    setup(p)


def cmd_check(args: argparse.Namespace) -> int:
    from .check._cli import cmd_check as run

    return run(args)


Setup = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

#: name -> (one-line help, setup, run)
COMMANDS: dict[str, tuple[str, Setup, Run]] = {
    "show": ("print the matrix of a convolution (and y = A x with --x)", setup_show, cmd_show),
    "figure": ("draw one lecture figure: figure NAME --out FILE.svg|pdf|png",
               setup_figure, cmd_figure),
    "figures": ("draw every lecture figure into a directory: figures --out DIR",
                setup_figures, cmd_figures),
    "explore": ("write the interactive explorer page (one self-contained HTML file)",
                setup_explore, cmd_explore),
    "check": ("check a conv layer in PATH.py:FUNCTION against its exact matrix",
              setup_check, cmd_check),
    "prove": ("machine-check a symbolic proof (sympy): equivalence, general, gradient, ...",
              setup_prove, cmd_prove),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toeplitz-conv",
        description="A convolution is a matrix multiplication with a sparse, "
                    "weight-tied (Toeplitz) matrix.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, setup, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        setup(p)
        p.set_defaults(_run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``toeplitz-conv`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except (CLIError, ValueError, TypeError, MemoryError, OSError) as exc:
        print(f"toeplitz-conv {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    # Run the imported module's main, not this __main__ copy, so that CLIError
    # raised by subcommand modules is the class main() catches.
    from toeplitz_conv.cli import main as _main

    sys.exit(_main())

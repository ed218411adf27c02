"""``toeplitz-conv show``: print the matrix of a convolution (and ``y = A @ x``)."""

from __future__ import annotations

import argparse

import numpy as np

from .. import conv_matrix
from ._errors import CLIError
from ._parse import add_signal_args, parse_numbers, parse_shape

__all__ = ["HELP", "cmd_show", "format_matrix", "setup_show"]

HELP = "print the matrix of a convolution (and y = A x with --x)"


def format_matrix(a: np.ndarray, zero: str = "0") -> str:
    """Right-aligned text rendering of a 2-D array; zeros drawn as ``zero``.

    Parameters
    ----------
    a : numpy.ndarray
        A 2-D array.
    zero : str
        How to draw a zero entry (``"."`` makes the band stand out).

    Returns
    -------
    str
        One line per row, every cell padded to the widest cell.

    Examples
    --------
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


def setup_show(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``show``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    add_signal_args(p)
    p.add_argument("--x", help="an input to multiply, e.g. 1,2,3,4")
    p.add_argument("--zero", default="0", help="how to draw zero entries (default 0)")


def cmd_show(args: argparse.Namespace) -> int:
    """Print a one-line summary and the matrix; with ``--x`` also ``y = A @ x``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_show`.

    Returns
    -------
    int
        0.
    """
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

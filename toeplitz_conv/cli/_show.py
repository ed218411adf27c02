"""``toeplitz-conv show``: print the matrix of a convolution (and ``y = A @ x``)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .. import conv_matrix
from ._errors import CLIError
from ._parse import add_signal_args, parse_numbers, parse_shape
from ._show_torch import add_torch_args, cmd_show_torch

__all__ = ["EDGEITEMS", "HELP", "THRESHOLD", "cmd_show", "format_matrix", "setup_show"]

HELP = ("print the matrix of a convolution (and y = A x with --x), or the layer table of a "
        "torch model (--torch)")

#: numpy's print options: beyond THRESHOLD entries a matrix is summarised by
#: its first and last EDGEITEMS rows and columns (``--full`` prints it all).
THRESHOLD = int(np.get_printoptions()["threshold"])
EDGEITEMS = int(np.get_printoptions()["edgeitems"])


def _keep(n: int, edge: int) -> tuple[np.ndarray, bool]:
    # Indices shown along one axis, and whether a "..." goes after the first edge.
    if n <= 2 * edge:
        return np.arange(n), False
    return np.concatenate([np.arange(edge), np.arange(n - edge, n)]), True


def format_matrix(a: Any, zero: str = "0", *, full: bool = True, threshold: int = THRESHOLD,
                  edgeitems: int = EDGEITEMS) -> str:
    """Right-aligned text rendering of a 2-D array; zeros drawn as ``zero``.

    Parameters
    ----------
    a : numpy.ndarray or scipy.sparse array
        A 2-D array. A sparse one is densified only where it is shown.
    zero : str
        How to draw a zero entry (``"."`` makes the band stand out).
    full : bool
        Print every entry. If False, an array of more than ``threshold``
        entries is summarised as numpy summarises it: the first and last
        ``edgeitems`` rows and columns, with ``...`` between.
    threshold, edgeitems : int
        numpy's print options of the same names.

    Returns
    -------
    str
        One line per row, every cell padded to the widest cell.

    Examples
    --------
    >>> print(format_matrix(np.array([[5, 0], [6, 5]]), zero="."))
    5 .
    6 5
    >>> print(format_matrix(np.eye(5, dtype=int), full=False, threshold=10, edgeitems=1))
      1 ...   0
    ...
      0 ...   1
    """
    rows, cols = a.shape
    if full or rows * cols <= threshold:
        dense = a.toarray() if hasattr(a, "toarray") else np.asarray(a)
        row_gap = col_gap = False
        row_idx, col_idx = np.arange(rows), np.arange(cols)
    else:
        row_idx, row_gap = _keep(rows, edgeitems)
        col_idx, col_gap = _keep(cols, edgeitems)
        part = a[row_idx][:, col_idx]
        dense = part.toarray() if hasattr(part, "toarray") else np.asarray(part)

    def fmt(v: object) -> str:
        if v == 0:
            return zero
        return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)

    def cells_of(values: list[Any]) -> list[str]:
        cells = [fmt(v) for v in values]
        if col_gap:
            cells.insert(edgeitems, "...")
        return cells

    table = [cells_of(row) for row in dense.tolist()]
    if row_gap:
        table.insert(edgeitems, ["..."])
    width = max((len(c) for row in table for c in row), default=1)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in table)


def setup_show(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``show``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    add_signal_args(p)
    p.add_argument("--x", help="an input to multiply, e.g. 1,2,3,4")
    p.add_argument("--zero", default="0", help="how to draw zero entries")
    p.add_argument("--full", action="store_true",
                   help=f"print every entry; otherwise a matrix of more than {THRESHOLD} "
                        f"entries shows its first and last {EDGEITEMS} rows and columns, "
                        f"as numpy does")
    add_torch_args(p)


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
    if args.torch is not None:
        return cmd_show_torch(args)
    if args.kernel is None:
        raise CLIError("--kernel is required (or --torch FILE.py:FUNCTION for a torch model)")
    kernel = parse_numbers(args.kernel)
    shape = parse_shape(args.input_shape)
    # Any: argparse values; conv_matrix validates them (and the error names the flag).
    mode: Any = args.mode or "full"
    boundary: Any = args.boundary or "fill"
    a = conv_matrix(kernel, shape if len(shape) > 1 else shape[0], mode,
                    correlate=args.correlate, boundary=boundary)
    what = "cross-correlation" if args.correlate else "convolution"
    print(f"{what}, mode={mode}, boundary={boundary}: A is {a.shape[0]} x "
          f"{a.shape[1]}, {a.nnz} stored entries, {kernel.size} distinct weights")
    # The sparse matrix goes in, so a summarised print never builds the dense one.
    print(format_matrix(a.sparse, args.zero, full=args.full))
    if args.x is not None:
        x = parse_numbers(args.x, "--x").ravel()
        if x.size != a.shape[1]:
            raise CLIError(f"--x must have {a.shape[1]} numbers, got {x.size}")
        print("y = A @ x =", format_matrix((a @ x)[None, :], full=args.full))
    return 0

"""``toeplitz-conv show``: print the matrix of a convolution (and ``y = A @ x``)."""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from .. import TiedMatrix, conv_matrix, layer_matrix
from ._errors import CLIError
from ._parse import (
    add_signal_args,
    parse_float,
    parse_int,
    parse_ints,
    parse_numbers,
    parse_padding,
    parse_shape,
)
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
    """Add the arguments of ``show``: the options of ``conv_matrix`` and of ``layer_matrix``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    add_signal_args(p)
    p.add_argument("--stride", help="keep every stride-th output, e.g. 2 or 2,1 (default: 1)")
    p.add_argument("--fillvalue", help="signal convention: the value outside the input for "
                                       "--boundary fill (default: 0)")
    p.add_argument("--origin", help="signal convention: shift of 'same''s window, e.g. -1 or "
                                    "0,1 (default: 0)")
    p.add_argument("--axes", help="signal convention: the axes convolved, e.g. 1 (default: all)")
    p.add_argument("--convention", help="signal convention: scipy | numpy | matlab | convolve2d "
                                        "(whose 'same' and 'valid' the builder follows; "
                                        "default: scipy)")
    p.add_argument("--order", help="signal convention: C | F, how the input and output are "
                                   "flattened (F: MATLAB's convmtx2; default: C)")
    # Any of these switches to the layer convention (torch.nn.functional.convNd:
    # cross-correlation with torch's padding); the signal convention's flags are
    # then refused, as in `explore`.
    p.add_argument("--padding", help="layer convention: int(s), 'same', 'valid', 'SAME' or "
                                     "'VALID'")
    p.add_argument("--dilation", help="layer convention: e.g. 2 or 2,1")
    p.add_argument("--groups", help="layer convention: channel groups")
    p.add_argument("--padding-mode", help="layer convention: zeros | reflect | replicate | "
                                          "circular")
    p.add_argument("--weight-shape", help="layer convention: C_out,C_in/groups,k... to reshape "
                                          "--kernel's numbers (default: one channel in and out)")
    p.add_argument("--x", help="an input to multiply, e.g. 1,2,3,4")
    p.add_argument("--zero", default="0", help="how to draw zero entries")
    p.add_argument("--full", action="store_true",
                   help=f"print every entry; otherwise a matrix of more than {THRESHOLD} "
                        f"entries shows its first and last {EDGEITEMS} rows and columns, "
                        f"as numpy does")
    add_torch_args(p)


_SIGNAL_FLAGS = (("--mode", "mode"), ("--boundary", "boundary"), ("--correlate", "correlate"),
                 ("--fillvalue", "fillvalue"), ("--origin", "origin"), ("--axes", "axes"),
                 ("--convention", "convention"), ("--order", "order"))
_LAYER_FLAGS = (("--padding", "padding"), ("--dilation", "dilation"), ("--groups", "groups"),
                ("--padding-mode", "padding_mode"), ("--weight-shape", "weight_shape"))


def _given(args: argparse.Namespace, flags: tuple[tuple[str, str], ...]) -> list[str]:
    return [flag for flag, dest in flags if getattr(args, dest) not in (None, False)]


def _signal_matrix(args: argparse.Namespace, kernel: np.ndarray,
                   shape: tuple[int, ...]) -> tuple[TiedMatrix, str]:
    # Any: argparse values; conv_matrix validates them (and the error names the flag).
    mode: Any = args.mode or "full"
    boundary: Any = args.boundary or "fill"
    convention: Any = args.convention or "scipy"
    order: Any = args.order or "C"
    a = conv_matrix(
        kernel, shape if len(shape) > 1 else shape[0], mode, correlate=args.correlate,
        boundary=boundary,
        stride=1 if args.stride is None else parse_ints(args.stride, "--stride"),
        fillvalue=0 if args.fillvalue is None else parse_float(args.fillvalue, "--fillvalue"),
        origin=0 if args.origin is None else parse_ints(args.origin, "--origin", minimum=None),
        axes=None if args.axes is None else parse_ints(args.axes, "--axes", minimum=None),
        convention=convention, order=order)
    what = "cross-correlation" if args.correlate else "convolution"
    extra = "".join(f", {dest}={getattr(args, dest)}" for dest in ("stride", "fillvalue",
                                                                   "origin", "axes",
                                                                   "convention", "order")
                    if getattr(args, dest) is not None)
    return a, f"{what}, mode={mode}, boundary={boundary}{extra}"


def _layer_matrix(args: argparse.Namespace, kernel: np.ndarray,
                  shape: tuple[int, ...]) -> tuple[TiedMatrix, str]:
    groups = 1 if args.groups is None else parse_int(args.groups, "--groups", minimum=1)
    if args.weight_shape is not None:
        wshape = parse_shape(args.weight_shape, "--weight-shape")
        if math.prod(wshape) != kernel.size:
            raise CLIError(f"--weight-shape {args.weight_shape} holds {math.prod(wshape)} "
                           f"numbers, --kernel gives {kernel.size}")
        weight = kernel.reshape(wshape)
    else:
        weight = kernel.reshape((1, 1, *kernel.shape))
    # The spatial size alone gets the weight's input channels in front.
    wshape_: tuple[int, ...] = weight.shape
    if len(shape) == len(wshape_) - 2 and len(wshape_) >= 3:
        shape = (wshape_[1] * groups, *shape)
    padding: Any = 0 if args.padding is None else parse_padding(args.padding)
    padding_mode: Any = args.padding_mode or "zeros"
    a = layer_matrix(
        weight, shape, stride=1 if args.stride is None else parse_ints(args.stride, "--stride"),
        padding=padding,
        dilation=1 if args.dilation is None else parse_ints(args.dilation, "--dilation"),
        groups=groups, padding_mode=padding_mode)
    given = ", ".join(f"{dest}={getattr(args, dest)}" for dest in
                      ("stride", "padding", "dilation", "groups", "padding_mode")
                      if getattr(args, dest) is not None)
    return a, "layer (cross-correlation" + (f", {given})" if given else ")")


def _refuse_builder_flags(args: argparse.Namespace) -> None:
    # The model's own layers give every weight and option: a builder flag next
    # to --torch would be silently ignored, so it is refused instead.
    given = _given(args, (("--kernel", "kernel"), ("--stride", "stride"), ("--x", "x"),
                          *_SIGNAL_FLAGS, *_LAYER_FLAGS))
    if given:
        raise CLIError(f"{given[0]} does not apply with --torch (the model's layers give the "
                       f"weights and options); its flags: --torch, --input-shape, --at")


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
        _refuse_builder_flags(args)
        return cmd_show_torch(args)
    if args.at is not None:
        raise CLIError(f"--at applies only with --torch FILE.py:FUNCTION (a model to "
                       f"linearise), got --at {args.at} without it")
    if args.kernel is None:
        raise CLIError("--kernel is required (or --torch FILE.py:FUNCTION for a torch model)")
    signal, layer = _given(args, _SIGNAL_FLAGS), _given(args, _LAYER_FLAGS)
    if signal and layer:
        raise CLIError(f"{' and '.join(signal)} (signal convention) cannot be combined with "
                       f"{' and '.join(layer)} (layer convention: cross-correlation with "
                       f"torch's padding); give one convention's flags")
    kernel = parse_numbers(args.kernel)
    shape = parse_shape(args.input_shape)
    # Every flag is read before anything is printed: a wrong --x must not
    # come after a screenful of matrix.
    x = None if args.x is None else parse_numbers(args.x, "--x").ravel()
    build = _layer_matrix if layer else _signal_matrix
    a, what = build(args, kernel, shape)
    if x is not None and x.size != a.shape[1]:
        raise CLIError(f"--x must have {a.shape[1]} numbers, got {x.size}")
    print(f"{what}: A is {a.shape[0]} x "
          f"{a.shape[1]}, {a.nnz} stored entries, {kernel.size} distinct weights")
    # The sparse matrix goes in, so a summarised print never builds the dense one.
    print(format_matrix(a.sparse, args.zero, full=args.full))
    off = a.offset
    if off is not None:
        # --fillvalue makes the map affine: y = A @ x + offset, as scipy computes it.
        print("offset =", format_matrix(off[None, :], full=args.full))
    if x is not None:
        y = a @ x if off is None else a @ x + off
        label = "y = A @ x =" if off is None else "y = A @ x + offset ="
        print(label, format_matrix(y[None, :], full=args.full))
    return 0

"""``toeplitz-conv explore``: write the interactive explorer page."""

from __future__ import annotations

import argparse
import math
from typing import Any

from .. import explore
from ._errors import CLIError
from ._parse import (
    add_signal_args,
    output_path,
    parse_ints,
    parse_numbers,
    parse_padding,
    parse_shape,
)

__all__ = ["HELP", "cmd_explore", "setup_explore"]

HELP = "write the interactive explorer page (one self-contained HTML file)"


def setup_explore(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``explore``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    add_signal_args(p)
    p.add_argument("--stride", default="1", help="e.g. 2 or 2,1")
    # --dilation, --padding and --padding-mode switch to the layer convention
    # (cross-correlation, torch's padding), so --mode/--boundary/--correlate
    # cannot be given with them: cmd_explore refuses the mix.
    p.add_argument("--dilation", help="layer convention: e.g. 2")
    p.add_argument("--padding", help="layer convention: int(s), valid or same")
    p.add_argument("--padding-mode", help="layer convention: zeros | reflect | replicate | "
                                          "circular")
    p.add_argument("--transposed", action="store_true",
                   help="a transposed layer (PyTorch's conv_transpose, --padding crops its "
                        "output): the input drawn zero-inserted under a stride-1 window")
    p.add_argument("--output-padding", default="0", help="with --transposed: e.g. 1")
    p.add_argument("--x", help="input values, e.g. 1,2,3,4 (rows by ';' in 2-D, or flat in C "
                               "order): the page then shows y = A x and each output's sum")
    p.add_argument("--grad-out", help="dL/dy for the gradient view, one value per output (e.g. "
                                      "1,0,-1,2,0,1; flat in C order): the page opens in the "
                                      "gradient view, dL/dw as sums over the tied positions")
    p.add_argument("--play", action="store_true",
                   help="the page starts playing: the window walks over the outputs")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.add_argument("--force", action="store_true",
                   help="overwrite --out if it exists (a symbolic link is replaced, not followed)")


def cmd_explore(args: argparse.Namespace) -> int:
    """Write the page to ``--out`` and print where, with the number of variants.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_explore`.

    Returns
    -------
    int
        0.
    """
    layer = [f for f, v in (("--dilation", args.dilation), ("--padding", args.padding),
                            ("--padding-mode", args.padding_mode)) if v is not None]
    signal = [f for f, v in (("--mode", args.mode), ("--boundary", args.boundary),
                             ("--correlate", args.correlate or None)) if v is not None]
    if layer and signal:
        raise CLIError(f"{' and '.join(signal)} (signal convention) cannot be combined with "
                       f"{' and '.join(layer)} (layer convention: cross-correlation with "
                       f"torch's padding); give one convention's flags")
    kernel = parse_numbers(args.kernel)
    shape = parse_shape(args.input_shape)
    x = None
    if getattr(args, "x", None) is not None:
        # flat or in rows: only the count must match the input (C order)
        x = parse_numbers(args.x, "--x").ravel()
        if x.size != math.prod(shape):
            raise CLIError(f"--x must give one value per input element ({math.prod(shape)} "
                           f"for --input-shape {args.input_shape}), got {x.size}")
    grad_out = None
    if getattr(args, "grad_out", None) is not None:
        grad_out = parse_numbers(args.grad_out, "--grad-out").ravel()
    out = output_path(args.out, force=args.force, suffixes=(".html", ".htm"))
    try:
        page = _explore(args, kernel, shape, x, grad_out)
    except ValueError as exc:
        if grad_out is not None and "grad_out" in str(exc):
            raise CLIError(str(exc).replace("grad_out", "--grad-out")) from None
        raise
    path = page.save(out)
    print(f"wrote {path} ({len(page.variants)} variants)")
    return 0


def _explore(args: argparse.Namespace, kernel: Any, shape: tuple[int, ...], x: Any,
             grad_out: Any) -> Any:
    return explore(kernel, shape if len(shape) > 1 else shape[0],
                   args.mode or "full", correlate=args.correlate,
                   boundary=args.boundary or "fill",
                   stride=parse_ints(args.stride, "--stride"),
                   dilation=None if args.dilation is None
                   else parse_ints(args.dilation, "--dilation"),
                   padding=None if args.padding is None else parse_padding(args.padding),
                   padding_mode=args.padding_mode, x=x, grad_out=grad_out,
                   play=bool(getattr(args, "play", False)), gradient=grad_out is not None,
                   transposed=bool(getattr(args, "transposed", False)),
                   output_padding=parse_ints(getattr(args, "output_padding", "0"),
                                             "--output-padding", minimum=0))

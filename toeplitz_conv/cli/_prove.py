"""``toeplitz-conv prove KIND``: run a symbolic proof and print it.

Building the parser must not import sympy (every subcommand's parser is
built on each call), so :func:`cmd_prove` imports :mod:`toeplitz_conv.symbolic`
only when it runs.
"""

from __future__ import annotations

import argparse
from typing import Any, cast

from .._typing import Mode
from ._parse import add_input_shape, int64, parse_int, parse_ints, parse_numbers, parse_padding

__all__ = ["HELP", "KINDS", "cmd_prove", "setup_prove"]

HELP = "machine-check a symbolic proof (sympy): equivalence, general, gradient, ..."

KINDS = ("equivalence", "general", "gradient", "input-gradient", "shift", "theorem",
         "associativity", "commutativity", "layer", "layer-general", "layer-gradient", "adjoint")


def setup_prove(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``prove``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("kind", choices=KINDS, help="which statement to prove")
    p.add_argument("--kernel-size", default="3",
                   help="kernel size, e.g. 3, or 2,2 for a 2-D kernel of symbols")
    p.add_argument("--kernel", help="numbers instead of symbols, e.g. 5,6,7")
    add_input_shape(p, required=False, default=None,
                    what="input size, e.g. 4 or 3,3; layer kinds: C_in,spatial or just the "
                         "spatial size; 'general': the name of the size symbol, n if not "
                         "given (default: 4)")
    p.add_argument("--mode", default="full", help="full | valid | same")
    p.add_argument("--correlate", action="store_true", help="cross-correlation")
    p.add_argument("--boundary", default=None,
                   help="fill | wrap | symm (default: fill; 'general': symm in 1-D; "
                        "for 'shift' wrap | fill, default wrap)")
    p.add_argument("--stride", default="1", help="keep every stride-th output")
    p.add_argument("--shift", type=int64, default=1, help="shift for 'shift'")
    p.add_argument("--symbolic-kernel", action="store_true",
                   help="'general': a symbolic kernel length k as well (1-D, stride 1)")
    p.add_argument("--weight-shape", default="1,1,3",
                   help="layer kinds: C_out,C_in/groups,kernel... (default 1,1,3)")
    p.add_argument("--padding", default="0", help="'layer': an int, ints, 'same' or 'valid'")
    p.add_argument("--dilation", default="1", help="'layer': dilation")
    p.add_argument("--groups", type=int64, default=1, help="'layer': channel groups")
    p.add_argument("--padding-mode", default="zeros",
                   help="'layer', 'layer-general': zeros | reflect | replicate | circular "
                        "('layer-general': reflect and replicate with one spatial dim)")
    p.add_argument("--claim", default=None,
                   help="pose a named (wrong) claim instead, to see a proof fail")
    p.add_argument("--latex", action="store_true", help="print the proof as LaTeX")


def cmd_prove(args: argparse.Namespace) -> int:
    """Run the proof named by ``args.kind`` and print it (text, or LaTeX with ``--latex``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_prove`.

    Returns
    -------
    int
        0 if the proof holds, 1 if it does not (e.g. a wrong ``--claim``).
    """
    kernel: Any
    if args.kernel is not None:
        kernel = parse_numbers(args.kernel).tolist()
    else:
        kernel = parse_ints(args.kernel_size, "--kernel-size")
    if args.kind == "general":
        if args.input_shape is not None and not args.input_shape.isidentifier():
            raise ValueError(f"--input-shape/--n: 'general' proves the statement for every "
                             f"size; give the size symbol's name (e.g. --n n) or leave it out, "
                             f"got {args.input_shape!r}")
    proof = _prove(args.kind, _Inputs(args, kernel))
    print(proof.to_latex() if args.latex else proof.text())
    return 0 if proof.holds else 1


class _Inputs:
    """The parsed options of ``prove``, each read as the kind being proved needs it."""

    def __init__(self, args: argparse.Namespace, kernel: Any) -> None:
        self.args = args
        self.kernel = kernel
        self.n_text = "4" if args.input_shape is None else args.input_shape
        # Only the equivalence, gradient and layer statements take a shape and a
        # per-axis stride; the others are stated for one length n.
        self.stride = parse_ints(args.stride, "--stride")
        self.extra = {} if args.claim is None else {"claim": args.claim}

    def shape(self) -> Any:
        return parse_ints(self.n_text, "--input-shape/--n")

    def n(self) -> int:
        return parse_int(self.n_text, "--input-shape/--n", minimum=1)

    def layer_args(self) -> dict[str, Any]:
        return {"stride": self.stride, "padding": parse_padding(self.args.padding),
                "dilation": parse_ints(self.args.dilation, "--dilation"),
                "groups": self.args.groups}

    def wshape(self) -> tuple[int, ...]:
        ws = parse_ints(self.args.weight_shape, "--weight-shape")
        return ws if isinstance(ws, tuple) else (ws,)

    def layer_input(self) -> tuple[int, ...]:
        # --input-shape is C_in,spatial; a spatial size alone (the default 4) gets the
        # weight's input channels in front, so `prove layer` works as it is.
        ws = self.wshape()
        sh = parse_ints(self.n_text, "--input-shape/--n")
        sh = sh if isinstance(sh, tuple) else (sh,)
        if len(sh) == len(ws) - 2 and len(ws) >= 3:
            sh = (ws[1] * self.args.groups, *sh)
        return sh


def _prove(kind: str, p: _Inputs) -> Any:
    """The proof of ``kind`` (one of :data:`KINDS`) with the options ``p``."""
    import sympy

    from ..symbolic import (
        prove_associativity,
        prove_commutativity,
        prove_convolution_theorem,
        prove_equivalence,
        prove_equivalence_general,
        prove_input_gradient,
        prove_layer_equivalence,
        prove_layer_equivalence_general,
        prove_layer_weight_gradient,
        prove_shift_equivariance,
        prove_transposed_adjoint,
        prove_weight_gradient,
    )

    args, extra = p.args, p.extra

    def signal(fn: Any) -> Any:
        return lambda: fn(p.kernel, p.shape(), args.mode, correlate=args.correlate,
                          boundary=args.boundary or "fill", stride=p.stride, **extra)

    def general() -> Any:
        kernel = p.kernel
        if args.symbolic_kernel:
            kernel = sympy.Symbol("k", integer=True, positive=True)
        return prove_equivalence_general(kernel, args.mode, correlate=args.correlate,
                                         stride=p.stride, boundary=args.boundary or "fill",
                                         n=args.input_shape, **extra)

    def shift() -> Any:
        mode = cast(Mode, args.mode if args.boundary == "fill" else "same")
        return prove_shift_equivariance(p.kernel, p.n(), args.shift,
                                        boundary=args.boundary or "wrap", mode=mode,
                                        correlate=args.correlate, **extra)

    def layer(fn: Any) -> Any:
        return lambda: fn(p.wshape(), p.layer_input(), **p.layer_args(),
                          padding_mode=args.padding_mode, **extra)

    runs = {
        "equivalence": signal(prove_equivalence),
        "gradient": signal(prove_weight_gradient),
        "input-gradient": signal(prove_input_gradient),
        "general": general,
        "shift": shift,
        "theorem": lambda: prove_convolution_theorem(p.kernel, p.n(), **extra),
        "layer": layer(prove_layer_equivalence),
        "layer-gradient": layer(prove_layer_weight_gradient),
        "layer-general": lambda: prove_layer_equivalence_general(
            p.wshape(), **p.layer_args(), padding_mode=args.padding_mode, **extra),
        "adjoint": lambda: prove_transposed_adjoint(p.wshape(), p.layer_input(),
                                                    **p.layer_args(), **extra),
        "associativity": lambda: prove_associativity(p.kernel, 2, p.n(), **extra),
        "commutativity": lambda: prove_commutativity(p.kernel, p.n(), **extra),
    }
    return runs[kind]()

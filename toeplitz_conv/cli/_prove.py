"""``toeplitz-conv prove KIND``: run a symbolic proof and print it.

Building the parser must not import sympy (every subcommand's parser is
built on each call), so :func:`cmd_prove` imports :mod:`toeplitz_conv.symbolic`
only when it runs.
"""

from __future__ import annotations

import argparse
from typing import Any, cast

from .._typing import Mode
from ._errors import CLIError
from ._parse import add_input_shape, parse_int, parse_ints, parse_numbers, parse_padding

__all__ = ["HELP", "KINDS", "cmd_prove", "setup_prove"]

HELP = "machine-check a symbolic proof (sympy): equivalence, general, gradient, ..."

KINDS = ("equivalence", "general", "gradient", "input-gradient", "shift", "theorem",
         "associativity", "commutativity", "layer", "layer-general", "layer-gradient", "adjoint")


#: The flags each kind reads; any other flag given is refused rather than ignored.
_COMMON = ("--claim", "--latex")
_SIGNAL = ("--kernel-size", "--kernel", "--input-shape", "--mode", "--correlate", "--boundary",
           "--stride")
_LAYER = ("--weight-shape", "--input-shape", "--stride", "--padding", "--dilation", "--groups",
          "--padding-mode")
APPLIES: dict[str, tuple[str, ...]] = {
    "equivalence": _SIGNAL, "gradient": _SIGNAL, "input-gradient": _SIGNAL,
    "general": (*_SIGNAL, "--symbolic-kernel"),
    "shift": ("--kernel-size", "--kernel", "--input-shape", "--mode", "--correlate",
              "--boundary", "--shift"),
    "theorem": ("--kernel-size", "--kernel", "--input-shape"),
    "associativity": ("--kernel-size", "--kernel", "--input-shape"),
    "commutativity": ("--kernel-size", "--kernel", "--input-shape"),
    "layer": _LAYER, "layer-gradient": _LAYER,
    "layer-general": tuple(f for f in _LAYER if f != "--input-shape"),
    "adjoint": tuple(f for f in _LAYER if f != "--padding-mode"),
}
#: Defaults of the flags (None: the kind's own); set after the check above, so
#: that "given" and "left at its default" stay apart.
DEFAULTS: dict[str, Any] = {
    "kernel_size": "3", "mode": "full", "stride": "1", "shift": "1", "weight_shape": "1,1,3",
    "padding": "0", "dilation": "1", "groups": "1", "padding_mode": "zeros",
}


def _dest(flag: str) -> str:
    return "input_shape" if flag == "--input-shape" else flag[2:].replace("-", "_")


def setup_prove(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``prove``.

    Every option defaults to None here (the defaults shown are filled in by
    :func:`cmd_prove`), so that a flag the kind does not read can be refused.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("kind", choices=KINDS, help="which statement to prove")
    p.add_argument("--kernel-size",
                   help="kernel size, e.g. 3, or 2,2 for a 2-D kernel of symbols (default: 3)")
    p.add_argument("--kernel", help="numbers instead of symbols, e.g. 5,6,7")
    add_input_shape(p, required=False, default=None,
                    what="input size, e.g. 4 or 3,3; layer kinds: C_in,spatial or just the "
                         "spatial size; 'general': the name of the size symbol, n if not "
                         "given (default: 4)")
    p.add_argument("--mode", help="full | valid | same (default: full)")
    p.add_argument("--correlate", action="store_true", help="cross-correlation")
    p.add_argument("--boundary",
                   help="fill | wrap | symm (default: fill; 'general': symm in 1-D; "
                        "for 'shift' wrap | fill, default wrap)")
    p.add_argument("--stride", help="keep every stride-th output (default: 1)")
    p.add_argument("--shift", help="shift for 'shift' (default: 1)")
    p.add_argument("--symbolic-kernel", action="store_true",
                   help="'general': a symbolic kernel length k as well (1-D, stride 1)")
    p.add_argument("--weight-shape",
                   help="layer kinds: C_out,C_in/groups,kernel... (default: 1,1,3)")
    p.add_argument("--padding", help="layer kinds: an int, ints, 'same' or 'valid' (default: 0)")
    p.add_argument("--dilation", help="layer kinds: dilation (default: 1)")
    p.add_argument("--groups", help="layer kinds: channel groups (default: 1)")
    p.add_argument("--padding-mode",
                   help="'layer', 'layer-gradient', 'layer-general': zeros | reflect | "
                        "replicate | circular ('layer-general': reflect and replicate with one "
                        "spatial dim) (default: zeros)")
    p.add_argument("--claim", default=None,
                   help="pose a named (wrong) claim instead, to see a proof fail")
    p.add_argument("--latex", action="store_true", help="print the proof as LaTeX")


def _refuse_other_flags(args: argparse.Namespace) -> None:
    applies = (*APPLIES[args.kind], *_COMMON)
    every = sorted({f for flags in APPLIES.values() for f in flags}, key=str)
    given = [f for f in every if f not in applies and getattr(args, _dest(f)) not in (None, False)]
    if given:
        raise CLIError(f"{given[0]} does not apply to 'prove {args.kind}'; its flags: "
                       f"{', '.join(applies)}")
    for dest, value in DEFAULTS.items():
        if getattr(args, dest) is None:
            setattr(args, dest, value)


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

    _refuse_other_flags(args)
    shift = parse_int(args.shift, "--shift")
    groups = parse_int(args.groups, "--groups", minimum=1)
    kernel: Any
    if args.kernel is not None:
        kernel = parse_numbers(args.kernel).tolist()
    else:
        kernel = parse_ints(args.kernel_size, "--kernel-size")
    kind = args.kind
    if kind == "general":
        if args.input_shape is not None and not args.input_shape.isidentifier():
            raise ValueError(f"--input-shape/--n: 'general' proves the statement for every "
                             f"size; give the size symbol's name (e.g. --n n) or leave it out, "
                             f"got {args.input_shape!r}")
    n_text = "4" if args.input_shape is None else args.input_shape
    # Only the equivalence, gradient and layer statements take a shape and a
    # per-axis stride; the others are stated for one length n.
    stride = parse_ints(args.stride, "--stride")

    def shape() -> Any:
        return parse_ints(n_text, "--input-shape/--n")

    def n() -> int:
        return parse_int(n_text, "--input-shape/--n", minimum=1)

    def layer_args() -> dict[str, Any]:
        return {"stride": stride, "padding": parse_padding(args.padding),
                "dilation": parse_ints(args.dilation, "--dilation"), "groups": groups}

    def wshape() -> tuple[int, ...]:
        ws = parse_ints(args.weight_shape, "--weight-shape")
        return ws if isinstance(ws, tuple) else (ws,)

    def layer_input() -> tuple[int, ...]:
        # --input-shape is C_in,spatial; a spatial size alone (the default 4) gets the
        # weight's input channels in front, so `prove layer` works as it is.
        ws = wshape()
        sh = parse_ints(n_text, "--input-shape/--n")
        sh = sh if isinstance(sh, tuple) else (sh,)
        if len(sh) == len(ws) - 2 and len(ws) >= 3:
            sh = (ws[1] * groups, *sh)
        return sh

    extra = {} if args.claim is None else {"claim": args.claim}
    if kind in ("equivalence", "gradient", "input-gradient"):
        fn = {"equivalence": prove_equivalence, "gradient": prove_weight_gradient,
              "input-gradient": prove_input_gradient}[kind]
        proof = fn(kernel, shape(), args.mode, correlate=args.correlate,
                   boundary=args.boundary or "fill", stride=stride, **extra)
    elif kind == "general":
        if args.symbolic_kernel:
            kernel = sympy.Symbol("k", integer=True, positive=True)
        proof = prove_equivalence_general(kernel, args.mode, correlate=args.correlate,
                                          stride=stride, boundary=args.boundary or "fill",
                                          n=args.input_shape, **extra)
    elif kind == "shift":
        mode = cast(Mode, args.mode if args.boundary == "fill" else "same")
        proof = prove_shift_equivariance(kernel, n(), shift, boundary=args.boundary or "wrap",
                                         mode=mode, correlate=args.correlate, **extra)
    elif kind == "theorem":
        proof = prove_convolution_theorem(kernel, n(), **extra)
    elif kind == "layer":
        proof = prove_layer_equivalence(wshape(), layer_input(), **layer_args(),
                                        padding_mode=args.padding_mode, **extra)
    elif kind == "layer-gradient":
        proof = prove_layer_weight_gradient(wshape(), layer_input(), **layer_args(),
                                            padding_mode=args.padding_mode, **extra)
    elif kind == "layer-general":
        proof = prove_layer_equivalence_general(wshape(), **layer_args(),
                                                padding_mode=args.padding_mode, **extra)
    elif kind == "adjoint":
        proof = prove_transposed_adjoint(wshape(), layer_input(), **layer_args(), **extra)
    elif kind == "associativity":
        proof = prove_associativity(kernel, 2, n(), **extra)
    else:
        proof = prove_commutativity(kernel, n(), **extra)
    print(proof.to_latex() if args.latex else proof.text())
    return 0 if proof.holds else 1

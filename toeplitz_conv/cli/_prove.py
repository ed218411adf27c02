"""``toeplitz-conv prove KIND``: run a symbolic proof and print it.

Building the parser must not import sympy (every subcommand's parser is
built on each call), so :func:`cmd_prove` imports :mod:`toeplitz_conv.symbolic`
only when it runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, cast

from .._typing import Mode
from ._errors import CLIError
from ._parse import add_input_shape, parse_int, parse_ints, parse_numbers, parse_padding

__all__ = ["HELP", "KINDS", "cmd_prove", "setup_prove"]

HELP = "machine-check a symbolic proof (sympy): equivalence, general, gradient, ..."

KINDS = ("equivalence", "general", "gradient", "input-gradient", "shift", "theorem",
         "associativity", "commutativity", "layer", "layer-general", "layer-gradient", "adjoint",
         "transposed-general", "data-general")


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
    "transposed-general": ("--weight-shape", "--stride", "--padding", "--output-padding",
                           "--dilation", "--groups"),
    "data-general": tuple(f for f in _LAYER if f != "--input-shape"),
}
#: Defaults of the flags (None: the kind's own); set after the check above, so
#: that "given" and "left at its default" stay apart.
DEFAULTS: dict[str, Any] = {
    "kernel_size": "3", "mode": "full", "stride": "1", "shift": "1", "weight_shape": "1,1,3",
    "padding": "0", "dilation": "1", "groups": "1", "padding_mode": "zeros",
    "output_padding": "0",
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
                   help="fill | wrap | symm (default: fill; for 'shift' wrap | fill, "
                        "default wrap)")
    p.add_argument("--stride", help="keep every stride-th output (default: 1)")
    p.add_argument("--shift", help="shift for 'shift' (default: 1)")
    p.add_argument("--symbolic-kernel", action="store_true",
                   help="'general': a symbolic kernel length k as well (1-D, stride 1)")
    p.add_argument("--weight-shape",
                   help="layer kinds: C_out,C_in/groups,kernel...; 'transposed-general': "
                        "C_in,C_out/groups,kernel... (default: 1,1,3)")
    p.add_argument("--padding", help="layer kinds: an int, ints, 'same' or 'valid' (default: 0)")
    p.add_argument("--dilation", help="layer kinds: dilation (default: 1)")
    p.add_argument("--output-padding",
                   help="'transposed-general': outputs added at the end, below the stride "
                        "or the dilation (default: 0)")
    p.add_argument("--groups", help="layer kinds: channel groups (default: 1)")
    p.add_argument("--padding-mode",
                   help="'layer', 'layer-gradient', 'layer-general', 'data-general': zeros | "
                        "reflect | replicate | circular (default: zeros)")
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


def _read_flags(args: argparse.Namespace) -> tuple[Any, int, Any, str]:
    """Refuse the flags the kind does not read; parse the others (kernel, shift, stride, n)."""
    _refuse_other_flags(args)
    shift = parse_int(args.shift, "--shift")
    args.groups = parse_int(args.groups, "--groups", minimum=1)
    kernel: Any = (parse_numbers(args.kernel).tolist() if args.kernel is not None
                   else parse_ints(args.kernel_size, "--kernel-size"))
    if args.kind == "general" and args.input_shape is not None \
            and not args.input_shape.isidentifier():
        raise CLIError(f"--input-shape/--n: 'general' proves the statement for every "
                       f"size; give the size symbol's name (e.g. --n n) or leave it out, "
                       f"got {args.input_shape!r}")
    n_text = "4" if args.input_shape is None else args.input_shape
    # Only the equivalence, gradient and layer statements take a shape and a
    # per-axis stride; the others are stated for one length n.
    return kernel, shift, parse_ints(args.stride, "--stride"), n_text


def _weight_shape(args: argparse.Namespace) -> tuple[int, ...]:
    ws = parse_ints(args.weight_shape, "--weight-shape")
    return ws if isinstance(ws, tuple) else (ws,)


def _layer_input(args: argparse.Namespace, n_text: str) -> tuple[int, ...]:
    # --input-shape is C_in,spatial; a spatial size alone (the default 4) gets the
    # weight's input channels in front, so `prove layer` works as it is.
    ws = _weight_shape(args)
    sh = parse_ints(n_text, "--input-shape/--n")
    sh = sh if isinstance(sh, tuple) else (sh,)
    if len(sh) == len(ws) - 2 and len(ws) >= 3:
        sh = (ws[1] * args.groups, *sh)
    return sh


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
        prove_data_matrix_general,
        prove_equivalence,
        prove_equivalence_general,
        prove_input_gradient,
        prove_layer_equivalence,
        prove_layer_equivalence_general,
        prove_layer_weight_gradient,
        prove_shift_equivariance,
        prove_transposed_adjoint,
        prove_transposed_layer_general,
        prove_weight_gradient,
    )

    kernel, shift, stride, n_text = _read_flags(args)

    def shape() -> Any:
        return parse_ints(n_text, "--input-shape/--n")

    def n() -> int:
        return parse_int(n_text, "--input-shape/--n", minimum=1)

    def layer_args() -> dict[str, Any]:
        return {"stride": stride, "padding": parse_padding(args.padding),
                "dilation": parse_ints(args.dilation, "--dilation"), "groups": args.groups}

    def wshape() -> tuple[int, ...]:
        return _weight_shape(args)

    def layer_input() -> tuple[int, ...]:
        return _layer_input(args, n_text)

    kind = args.kind
    extra = {} if args.claim is None else {"claim": args.claim}
    signal = {"correlate": args.correlate, "boundary": args.boundary or "fill",
              "stride": stride, **extra}
    if kind == "general" and args.symbolic_kernel:
        kernel = sympy.Symbol("k", integer=True, positive=True)
    # 'shift' with zero padding keeps the given mode; circularly it is stated for 'same'.
    shift_mode = cast(Mode, args.mode if args.boundary == "fill" else "same")
    runs: dict[str, Callable[[], Any]] = {
        "equivalence": lambda: prove_equivalence(kernel, shape(), args.mode, **signal),
        "gradient": lambda: prove_weight_gradient(kernel, shape(), args.mode, **signal),
        "input-gradient": lambda: prove_input_gradient(kernel, shape(), args.mode, **signal),
        "general": lambda: prove_equivalence_general(kernel, args.mode, n=args.input_shape,
                                                     **signal),
        "shift": lambda: prove_shift_equivariance(
            kernel, n(), shift, boundary=args.boundary or "wrap", mode=shift_mode,
            correlate=args.correlate, **extra),
        "theorem": lambda: prove_convolution_theorem(kernel, n(), **extra),
        "layer": lambda: prove_layer_equivalence(wshape(), layer_input(), **layer_args(),
                                                 padding_mode=args.padding_mode, **extra),
        "layer-gradient": lambda: prove_layer_weight_gradient(
            wshape(), layer_input(), **layer_args(), padding_mode=args.padding_mode, **extra),
        "layer-general": lambda: prove_layer_equivalence_general(
            wshape(), **layer_args(), padding_mode=args.padding_mode, **extra),
        "adjoint": lambda: prove_transposed_adjoint(wshape(), layer_input(), **layer_args(),
                                                    **extra),
        "transposed-general": lambda: prove_transposed_layer_general(
            wshape(), **layer_args(),
            output_padding=parse_ints(args.output_padding, "--output-padding", minimum=0),
            **extra),
        "data-general": lambda: prove_data_matrix_general(
            wshape(), **layer_args(), padding_mode=args.padding_mode, **extra),
        "associativity": lambda: prove_associativity(kernel, 2, n(), **extra),
        "commutativity": lambda: prove_commutativity(kernel, n(), **extra),
    }
    proof = runs[kind]()
    print(proof.to_latex() if args.latex else proof.text())
    return 0 if proof.holds else 1

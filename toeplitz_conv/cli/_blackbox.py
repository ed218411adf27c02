"""``toeplitz-conv sweep`` and ``toeplitz-conv identify``: a layer factory over a grid of
configurations, and the name of a black box's convention.

``sweep PATH.py:FACTORY`` builds the layer for every configuration of
:func:`~toeplitz_conv.check.default_grid` (for ``--kind``) and checks each;
``identify PATH.py:FUNCTION`` extracts the function's matrix and names the
convolution, transposed convolution or pooling it is.  The file is imported
with :mod:`importlib` (never ``eval``'d) after every flag is read.  Both run
the user's code in a child process by default (``--isolation process``), each
call limited to ``--timeout`` seconds.  Exit status: 0 when every
configuration passes (sweep) or a convention fits (identify), 1 otherwise, 2
on a usage error; for identify also 2, with one line saying what happened,
when the black box fails (raises, hangs, exits, crashes).
"""

from __future__ import annotations

import argparse
from typing import Any

from ._check import (
    WEIGHTLESS,
    _attr,
    _load,
    add_quiet,
    kinds,
    run_captured,
    split_target,
)
from ._errors import CLIError
from ._parse import add_input_shape, parse_float, parse_int, parse_shape

__all__ = ["HELP_IDENTIFY", "HELP_SWEEP", "cmd_identify", "cmd_sweep", "setup_identify",
           "setup_sweep"]

HELP_SWEEP = "check a layer factory in PATH.py:FACTORY over a grid of configurations"
HELP_IDENTIFY = "name the convolution or pooling a black box in PATH.py:FUNCTION computes"

CONVENTIONS = ("signal", "layer", "transposed", "avg_pool", "max_pool")


def setup_sweep(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``sweep``."""
    p.add_argument("target", help="PATH.py:FACTORY, factory(weight, bias=None, stride=..., "
                                  "...) -> forward or (forward, backward)")
    p.add_argument("--kind", default="conv",
                   help="conv | transposed | local | tiled | signal | avg_pool | max_pool "
                        "| ...: any kind check_layer accepts")
    p.add_argument("--weight-shape", help="C_out,C_in,k...: the channels and base kernel of "
                                          "the grid (C_in,C_out,k... for transposed, the "
                                          "kernel for signal; not for pooling; for local and "
                                          "tiled one position's kernel: each configuration "
                                          "adds its output positions or tiles, and tiled "
                                          "ones vary the tiles)")
    add_input_shape(p, required=False, what="pooling: C,H,W... (the channels and number of "
                                            "spatial axes; the grid picks the sizes)")
    p.add_argument("--bias", action="store_true", help="give each configuration a random bias")
    p.add_argument("--norm-type", help="lp_pool: the power p of the norm (every configuration)")
    p.add_argument("--batch", help="batch sizes, e.g. 1,2 (default: no batch axis)")
    p.add_argument("--rtol", help="relative tolerance (default: from the dtype)")
    p.add_argument("--atol", help="absolute tolerance (default: from the dtype)")
    p.add_argument("--seed", default="0", help="seed of the random weights: an int >= 0")
    p.add_argument("--data-format", help="the layer's input layout, e.g. NHWC")
    p.add_argument("--weight-format", help="the weight's layout, e.g. HWIO")
    p.add_argument("--timeout", default="60", help="seconds allowed per call of the layer")
    p.add_argument("--isolation", choices=("process", "none"), default="process",
                   help="run the layer in a child process (default) or in this one (none)")
    add_quiet(p)


def setup_identify(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``identify``."""
    p.add_argument("target", help="PATH.py:FUNCTION, the black box forward(x) -> y")
    add_input_shape(p, what="the input's shape: n / h,w for a signal, C,n... for a layer")
    p.add_argument("--convention", help="signal | layer | transposed | avg_pool | max_pool "
                                        "(default: all that apply)")
    p.add_argument("--kernel-shape", help="the kernel (or weight) shape you expect, e.g. 3 or "
                                          "2,1,3")
    p.add_argument("--max-kernel", default="7", help="largest kernel tried per axis")
    p.add_argument("--max-stride", default="3", help="largest stride tried per axis")
    p.add_argument("--max-dilation", default="3", help="largest dilation tried per axis")
    p.add_argument("--max-calls", help="budget of calls of the black box")
    p.add_argument("--rtol", help="relative tolerance (default: from the dtype)")
    p.add_argument("--atol", help="absolute tolerance (default: from the dtype)")
    p.add_argument("--seed", default="0", help="seed of the random verification inputs")
    p.add_argument("--timeout", default="60",
                   help="seconds allowed per call of the black box (default 60)")
    p.add_argument("--isolation", choices=("process", "none"), default="process",
                   help="run the black box in a child process (default: an exit, crash or "
                        "hang of it is a one-line error) or in this one (none)")
    add_quiet(p)


def _tolerances(args: argparse.Namespace) -> tuple[float | None, float | None]:
    return (None if args.rtol is None else parse_float(args.rtol, "--rtol", minimum=0),
            None if args.atol is None else parse_float(args.atol, "--atol", minimum=0))


def _layouts(args: argparse.Namespace) -> None:
    for flag, value in (("--data-format", args.data_format),
                        ("--weight-format", args.weight_format)):
        if value is not None and not (value.isalpha() and value.isupper()):
            raise CLIError(f"{flag} must be a layout of capital letters such as "
                           f"{'NHWC' if flag == '--data-format' else 'HWIO'}, got {value!r}")


def _function(module: Any, name: str, path: str) -> Any:
    fn = _attr(module, name, path, "function")
    if not callable(fn):
        raise CLIError(f"{name} in {path} is not callable")
    return fn


def cmd_sweep(args: argparse.Namespace) -> int:
    """Import the factory, sweep it and print the table; 0 when every configuration passes."""
    path, name = split_target(args.target)
    known = kinds()
    if known and args.kind not in known:
        raise CLIError(f"--kind must be one of {', '.join(known)}, got {args.kind!r}")
    weight_shape = None if args.weight_shape is None else parse_shape(args.weight_shape,
                                                                      "--weight-shape")
    input_shape = None if args.input_shape is None else parse_shape(args.input_shape)
    if args.kind in WEIGHTLESS and input_shape is None:
        raise CLIError(f"--kind {args.kind} needs --input-shape C,H,W... (it has no weight "
                       f"to take the channels from)")
    if args.kind not in WEIGHTLESS and weight_shape is None:
        raise CLIError(f"--kind {args.kind} needs --weight-shape")
    batch = None if args.batch is None else parse_shape(args.batch, "--batch")
    options = None if args.norm_type is None else {
        "norm_type": parse_float(args.norm_type, "--norm-type", positive=True)}
    rtol, atol = _tolerances(args)
    seed = parse_int(args.seed, "--seed", minimum=0)
    timeout = parse_float(args.timeout, "--timeout", positive=True)
    _layouts(args)

    def run() -> Any:
        from ..check import sweep_layer

        factory = _function(_load(path), name, path)
        return sweep_layer(factory, weight_shape=weight_shape, input_shape=input_shape,
                           kind=args.kind, bias=args.bias, batch=batch, seed=seed,
                           options=options,
                           rtol=rtol, atol=atol, data_format=args.data_format,
                           weight_format=args.weight_format, timeout=timeout,
                           isolation=args.isolation)
    report = run_captured(args, path, run)
    print(report)
    return 0 if report.ok else 1


def cmd_identify(args: argparse.Namespace) -> int:
    """Import the black box, identify it and print what fits; 0 when a convention fits."""
    path, name = split_target(args.target)
    shape = parse_shape(args.input_shape, "--input-shape/--n")
    if args.convention is not None and args.convention not in CONVENTIONS:
        raise CLIError(f"--convention must be one of {', '.join(CONVENTIONS)}, got "
                       f"{args.convention!r}")
    kernel = None if args.kernel_shape is None else parse_shape(args.kernel_shape,
                                                                "--kernel-shape")
    limits = {flag[2:].replace("-", "_"): parse_int(getattr(args, flag[2:].replace("-", "_")),
                                                    flag, minimum=1)
              for flag in ("--max-kernel", "--max-stride", "--max-dilation")}
    max_calls = None if args.max_calls is None else parse_int(args.max_calls, "--max-calls",
                                                              minimum=1)
    rtol, atol = _tolerances(args)
    seed = parse_int(args.seed, "--seed", minimum=0)
    timeout = parse_float(args.timeout, "--timeout", positive=True)

    def run() -> Any:
        from ..check import NotLinearError, identify

        forward = _function(_load(path), name, path)
        try:
            return identify(forward, shape, kernel=kernel, convention=args.convention,
                            seed=seed, rtol=rtol, atol=atol, max_calls=max_calls,
                            max_kernel=limits["max_kernel"], max_stride=limits["max_stride"],
                            max_dilation=limits["max_dilation"], timeout=timeout,
                            isolation=args.isolation)
        except NotLinearError as exc:
            return exc
    found = run_captured(args, path, run)
    if isinstance(found, Exception):   # not linear and no max pooling: a result, not misuse
        print(f"not identified: {found}")
        return 1
    print(found)
    return 0 if found.fits else 1

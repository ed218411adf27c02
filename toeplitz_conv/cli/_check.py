"""``toeplitz-conv check PATH.py:FUNCTION``: check a layer written in a Python file.

The file is imported with :mod:`importlib` (never ``eval``'d); ``FUNCTION``
is its ``forward(x) -> y``.  The weight comes from ``--weight NAME`` (a
module-level array, or a callable returning one), else a module-level
``WEIGHT``, else a random weight of ``--weight-shape``.  Exit status: 0 when
every check passes, 1 when one fails, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import sys
from types import ModuleType
from typing import Any

import numpy as np

from ._errors import CLIError
from ._parse import (
    add_input_shape,
    parse_float,
    parse_int,
    parse_ints,
    parse_padding,
    parse_shape,
)

__all__ = ["HELP", "cmd_check", "setup_check"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

HELP = "check a layer (conv, or any --kind) in PATH.py:FUNCTION against its exact matrix"


def setup_check(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``check``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("target", help="PATH.py:FUNCTION, the layer's forward(x) -> y")
    add_input_shape(p, what="(C_in, *spatial), e.g. 3,32,32")
    p.add_argument("--weight", help="name of a module-level weight array (or a callable "
                                    "returning it); default: WEIGHT if defined")
    p.add_argument("--weight-shape", help="random weight of this shape, e.g. 8,3,3,3, when "
                                          "the file defines no weight; else it must match")
    p.add_argument("--bias", help="name of a module-level bias array; default: BIAS if defined")
    p.add_argument("--backward", help="name of backward(x, grad_out) -> (grad_x, grad_w[, "
                                      "grad_b]) in the same file (pooling: grad_x)")
    p.add_argument("--kind", default="conv",
                   help="conv | transposed | signal | avg_pool | max_pool | ...: any kind "
                        "check_layer accepts (pooling takes no weight)")
    add_kind_flags(p)
    p.add_argument("--rtol", default=None,
                   help="relative tolerance (default: from the dtype of the layer's outputs)")
    p.add_argument("--atol", default=None,
                   help="absolute tolerance (default: from the dtype and the fan-in)")
    p.add_argument("--seed", default="0", help="seed of the random trial inputs (and of a "
                                               "random weight): an int >= 0")
    p.add_argument("--api", default="auto",
                   help="auto | cache: 'cache' for forward(x, w, b, conv_param) -> (out, cache) "
                        "and backward(dout, cache) -> (dx, dw, db) (batched)")
    p.add_argument("--batch", help="images per call: forward and backward take (N, C, ...) "
                                   "(default: no batch axis; 2 with --api cache)")
    p.add_argument("--reduction", default="sum",
                   help="sum | mean: how the layer's weight gradient combines the batch")
    p.add_argument("--data-format", help="the layer's input layout, e.g. NCHW, NHWC (NCW, NWC, "
                                         "...; without N when there is no batch axis)")
    p.add_argument("--weight-format", help="the weight's layout, e.g. OIHW (default), HWIO, "
                                           "OHWI, IOHW")
    p.add_argument("--timeout", default="60",
                   help="seconds allowed per call of the layer (default 60)")
    p.add_argument("--isolation", choices=("process", "none"), default="process",
                   help="run the layer in a child process (default: a crash, exit or hang "
                        "of the layer is a failed check) or in this one (none)")
    p.add_argument("--inputs", help="max_pool/avg_pool: name of a module-level list of your own "
                                    "trial inputs (ties in a max-pool window are reported)")
    add_quiet(p)


def add_quiet(p: argparse.ArgumentParser) -> None:
    """Add ``--quiet-user-output`` (check, sweep and identify share it)."""
    p.add_argument("--quiet-user-output", action="store_true",
                   help="do not show what the user's file printed")


def add_kind_flags(p: argparse.ArgumentParser) -> None:
    """The layer options of every kind; each is passed only when given (see :data:`KIND_FLAGS`)."""
    p.add_argument("--stride", help="int or ints, e.g. 2 or 2,1 (default 1; pooling: the "
                                    "kernel size)")
    p.add_argument("--padding", help="int, ints, 'same' or 'valid' (default 0)")
    p.add_argument("--dilation", help="int or ints (default 1)")
    p.add_argument("--groups", help="channel groups (default 1)")
    p.add_argument("--padding-mode", help="zeros | reflect | replicate | circular (default "
                                          "zeros)")
    p.add_argument("--output-padding", help="transposed: int or ints added to one side of "
                                            "the output (default 0)")
    p.add_argument("--kernel-size", help="pooling: the window, int or ints")
    p.add_argument("--ceil-mode", action="store_true", help="pooling: round the number of "
                                                            "windows up")
    p.add_argument("--count-include-pad", help="avg_pool: true | false, whether the padding "
                                               "counts in the average (default true)")
    p.add_argument("--norm-type", help="lp_pool: the power p of the norm, a number > 0")
    p.add_argument("--mode", help="signal: full | valid | same (default full)")
    p.add_argument("--correlate", action="store_true", help="signal: cross-correlation")
    p.add_argument("--boundary", help="signal: fill | wrap (default fill)")


#: The kinds this command knows, and the flags (as check_layer keywords) each
#: takes; a kind check_layer accepts and this table does not know gets every
#: flag that is given.
KIND_FLAGS: dict[str, tuple[str, ...]] = {
    "conv": ("stride", "padding", "dilation", "groups", "padding_mode"),
    "transposed": ("stride", "padding", "output_padding", "dilation", "groups"),
    "signal": ("mode", "correlate", "boundary"),
    "avg_pool": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "max_pool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "lp_pool": ("norm_type", "kernel_size", "stride", "ceil_mode"),
    "data_matrix": ("kernel_size", "stride", "padding", "dilation", "padding_mode"),
}

#: Kinds without a weight or a bias.
WEIGHTLESS = ("avg_pool", "max_pool", "lp_pool", "data_matrix")


def kinds() -> tuple[str, ...]:
    """The kinds :func:`~toeplitz_conv.check.check_layer` accepts (read from its signature;
    empty when it is no ``Literal``, and check_layer refuses an unknown kind itself)."""
    import typing

    from ..check import check_layer

    hint = typing.get_type_hints(check_layer).get("kind")
    return tuple(a for a in typing.get_args(hint) if isinstance(a, str))


def parse_kind(args: argparse.Namespace) -> dict[str, Any]:
    """Validate ``--kind`` and its flags; the layer options given, as check_layer keywords."""
    known = kinds()
    if known and args.kind not in known:
        raise CLIError(f"--kind must be one of {', '.join(known)}, got {args.kind!r}")
    parsers: dict[str, Any] = {
        "stride": lambda t: parse_ints(t, "--stride"),
        "padding": parse_padding,
        "dilation": lambda t: parse_ints(t, "--dilation"),
        "groups": lambda t: parse_int(t, "--groups", minimum=1),
        "padding_mode": lambda t: _word(t, "--padding-mode", PADDING_MODES),
        "output_padding": lambda t: parse_ints(t, "--output-padding", minimum=0),
        "kernel_size": lambda t: parse_ints(t, "--kernel-size"),
        "count_include_pad": lambda t: _word(t, "--count-include-pad", ("true", "false"))
        == "true",
        "norm_type": lambda t: parse_float(t, "--norm-type", positive=True),
        "mode": lambda t: _word(t, "--mode", ("full", "valid", "same")),
        "boundary": lambda t: _word(t, "--boundary", ("fill", "wrap")),
    }
    given: dict[str, Any] = {}
    for name, parse in parsers.items():
        value = getattr(args, name)
        if value is not None:
            given[name] = parse(value)
    for name in ("ceil_mode", "correlate"):
        if getattr(args, name):
            given[name] = True
    allowed = KIND_FLAGS.get(args.kind)
    if allowed is not None:
        wrong = [n for n in given if n not in allowed]
        if wrong:
            raise CLIError(f"{_flag(wrong[0])} does not apply to --kind {args.kind} (its "
                           f"flags: {', '.join(_flag(n) for n in allowed)})")
    return given


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _word(text: str, flag: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise CLIError(f"{flag} must be one of {', '.join(allowed)}, got {text!r}")
    return text


def _load(path: str) -> ModuleType:
    if not path.endswith(".py"):
        raise CLIError(f"target must be PATH.py:FUNCTION, got a path without .py: {path!r}")
    if not os.path.isfile(path):
        raise CLIError(f"no such file: {path}")
    name = "_toeplitz_conv_user_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CLIError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    # The user's file may import its neighbours, as it would when run as a script.
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise CLIError(f"importing {path} failed: {type(exc).__name__}: {exc}") from None
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    return module


def _attr(module: ModuleType, name: str, path: str, what: str, flag: str = "") -> Any:
    if not hasattr(module, name):
        raise CLIError(f"{flag + ': ' if flag else ''}{path} has no {what} named {name!r}")
    return getattr(module, name)


def _array(module: ModuleType, name: str, path: str, what: str,
           flag: str = "") -> np.ndarray:
    value = _attr(module, name, path, what, flag)
    if callable(value):
        try:
            value = value()
        except Exception as exc:
            raise CLIError(f"{name}() in {path} raised {type(exc).__name__}: {exc}") from None
    # A torch tensor (possibly requiring grad, possibly on a device) becomes numpy.
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def cmd_check(args: argparse.Namespace) -> int:
    """Import the target file, check its layer and print the report.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_check`.

    Returns
    -------
    int
        0 when every check passes, 1 when one fails.
    """
    path, func = split_target(args.target)
    # Every flag is read before the user's file is imported (and runs).
    args.seed = parse_int(args.seed, "--seed", minimum=0)
    args.timeout = parse_float(args.timeout, "--timeout", positive=True)
    args.rtol = None if args.rtol is None else parse_float(args.rtol, "--rtol", minimum=0)
    args.atol = None if args.atol is None else parse_float(args.atol, "--atol", minimum=0)
    args.input_shape = parse_shape(args.input_shape, "--input-shape/--n")
    args.layer_options = parse_kind(args)
    for flag, value, allowed in (("--api", args.api, ("auto", "cache")),
                                 ("--reduction", args.reduction, ("sum", "mean"))):
        if value not in allowed:
            raise CLIError(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")
    args.batch = None if args.batch is None else parse_int(args.batch, "--batch", minimum=1)
    for flag, value in (("--data-format", args.data_format),
                        ("--weight-format", args.weight_format)):
        if value is not None and not (value.isalpha() and value.isupper()):
            raise CLIError(f"{flag} must be a layout of capital letters such as "
                           f"{'NHWC' if flag == '--data-format' else 'HWIO'}, got {value!r}")
    if args.kind in WEIGHTLESS:
        for flag, value in (("--weight", args.weight), ("--weight-shape", args.weight_shape),
                            ("--bias", args.bias)):
            if value is not None:
                raise CLIError(f"{flag} does not apply to --kind {args.kind} (it has no "
                               f"weight)")
    elif args.inputs is not None:
        raise CLIError(f"--inputs applies to --kind avg_pool and max_pool, not {args.kind}")
    if args.weight_shape is not None:
        args.weight_shape = ",".join(map(str, parse_shape(args.weight_shape, "--weight-shape")))
    report = run_captured(args, path, lambda: _run_check(args, path, func))
    print(report)
    return 0 if report.ok else 1


def run_captured(args: argparse.Namespace, path: str, run: Any) -> Any:
    """``run()``, with what the user's code prints shown apart from the result, before it."""
    # What the user's code prints (on import, in forward, ...) is collected
    # and shown apart from the report, so the two cannot interleave.
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            return run()
    finally:
        if printed.getvalue() and not args.quiet_user_output:
            print(f"--- printed by {path} ---")
            print(printed.getvalue().rstrip("\n"))
            print("--- end of output; report: ---")


def split_target(target: str) -> tuple[str, str]:
    """``PATH.py:NAME`` -> ``(PATH.py, NAME)``."""
    path, sep, func = target.rpartition(":")
    if not sep or not path or not func:
        raise CLIError(f"target must be PATH.py:FUNCTION, got {target!r}")
    return path, func


def _run_check(args: argparse.Namespace, path: str, func: str) -> Any:
    from ..check import check_layer

    module = _load(path)
    forward = _attr(module, func, path, "function")
    if not callable(forward):
        raise CLIError(f"{func} in {path} is not callable")
    backward = None
    if args.backward:
        backward = _attr(module, args.backward, path, "function", "--backward")
        if not callable(backward):
            raise CLIError(f"{args.backward} in {path} is not callable")
    weight, bias = (None, None) if args.kind in WEIGHTLESS else _weight_and_bias(args, module,
                                                                                 path)
    extra = dict(args.layer_options)
    if args.inputs:
        value = _attr(module, args.inputs, path, "inputs", "--inputs")
        extra["inputs"] = value() if callable(value) else value
    return check_layer(
        forward, weight, args.input_shape, backward=backward,
        bias=bias, rtol=args.rtol, atol=args.atol, seed=args.seed, api=args.api,
        batch=args.batch, reduction=args.reduction, data_format=args.data_format,
        weight_format=args.weight_format, timeout=args.timeout, isolation=args.isolation,
        kind=args.kind, **extra)


def _weight_and_bias(args: argparse.Namespace, module: ModuleType,
                     path: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    weight: np.ndarray | None = None
    if args.weight:
        weight = _array(module, args.weight, path, "weight", "--weight")
    elif hasattr(module, "WEIGHT"):
        weight = _array(module, "WEIGHT", path, "weight")
    # A kind this command does not know may have no weight: check_layer decides.
    if weight is None and (args.weight_shape or args.kind in KIND_FLAGS):
        if not args.weight_shape:
            what = "k..." if args.kind == "signal" else (
                "C_in,C_out,k..." if args.kind == "transposed" else "C_out,C_in,k...")
            raise CLIError(f"no weight: {path} defines no WEIGHT; pass --weight NAME or "
                           f"--weight-shape {what}")
        shape = parse_shape(args.weight_shape, "--weight-shape")
        weight = np.random.default_rng(args.seed).standard_normal(shape)
    elif weight is not None and args.weight_shape:
        # The file's weight is used; a different shape means the user expects
        # another layer than the file holds, so say so instead of ignoring it.
        wanted = parse_shape(args.weight_shape, "--weight-shape")
        if wanted != weight.shape:
            source = args.weight or "WEIGHT"
            raise CLIError(f"--weight-shape {','.join(map(str, wanted))} conflicts with "
                           f"{source} in {path}, of shape {','.join(map(str, weight.shape))}; "
                           f"drop --weight-shape or fix the file")
    bias = None
    if args.bias:
        bias = _array(module, args.bias, path, "bias", "--bias")
    elif hasattr(module, "BIAS"):
        bias = _array(module, "BIAS", path, "bias")
    return weight, bias

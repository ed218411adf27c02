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

HELP = "check a conv layer in PATH.py:FUNCTION against its exact matrix"


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
                                      "grad_b]) in the same file")
    p.add_argument("--stride", default="1", help="int or ints, e.g. 2 or 2,1")
    p.add_argument("--padding", default="0", help="int, ints, 'same' or 'valid'")
    p.add_argument("--dilation", default="1", help="int or ints")
    p.add_argument("--groups", default="1", help="channel groups")
    p.add_argument("--padding-mode", default="zeros",
                   help="zeros | reflect | replicate | circular")
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
    p.add_argument("--quiet-user-output", action="store_true",
                   help="do not show what the user's file printed")


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
    path, sep, func = args.target.rpartition(":")
    if not sep or not path or not func:
        raise CLIError(f"target must be PATH.py:FUNCTION, got {args.target!r}")
    # Every flag is read before the user's file is imported (and runs).
    args.seed = parse_int(args.seed, "--seed", minimum=0)
    args.timeout = parse_float(args.timeout, "--timeout", positive=True)
    args.groups = parse_int(args.groups, "--groups", minimum=1)
    args.rtol = None if args.rtol is None else parse_float(args.rtol, "--rtol", minimum=0)
    args.atol = None if args.atol is None else parse_float(args.atol, "--atol", minimum=0)
    args.input_shape = parse_shape(args.input_shape, "--input-shape/--n")
    args.stride = parse_ints(args.stride, "--stride")
    args.padding = parse_padding(args.padding)
    args.dilation = parse_ints(args.dilation, "--dilation")
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
    if args.padding_mode not in PADDING_MODES:
        raise CLIError(f"--padding-mode must be one of {', '.join(PADDING_MODES)}, "
                       f"got {args.padding_mode!r}")
    if args.weight_shape is not None:
        args.weight_shape = ",".join(map(str, parse_shape(args.weight_shape, "--weight-shape")))
    # What the user's code prints (on import, in forward, ...) is collected
    # and shown apart from the report, so the two cannot interleave.
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            report = _run_check(args, path, func)
    finally:
        if printed.getvalue() and not args.quiet_user_output:
            print(f"--- printed by {path} ---")
            print(printed.getvalue().rstrip("\n"))
            print("--- end of output; report: ---")
    print(report)
    return 0 if report.ok else 1


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
    weight: np.ndarray | None = None
    if args.weight:
        weight = _array(module, args.weight, path, "weight", "--weight")
    elif hasattr(module, "WEIGHT"):
        weight = _array(module, "WEIGHT", path, "weight")
    if weight is None:
        if not args.weight_shape:
            raise CLIError(f"no weight: {path} defines no WEIGHT; pass --weight NAME or "
                           f"--weight-shape C_out,C_in,k...")
        shape = parse_shape(args.weight_shape, "--weight-shape")
        weight = np.random.default_rng(args.seed).standard_normal(shape)
    elif args.weight_shape:
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
    return check_layer(
        forward, weight, args.input_shape, backward=backward,
        bias=bias, rtol=args.rtol, atol=args.atol, seed=args.seed, api=args.api,
        batch=args.batch, reduction=args.reduction, data_format=args.data_format,
        weight_format=args.weight_format,
        stride=args.stride, padding=args.padding, dilation=args.dilation, groups=args.groups,
        padding_mode=args.padding_mode, timeout=args.timeout, isolation=args.isolation)

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
from ._parse import add_input_shape, int64, parse_ints, parse_padding, parse_shape

__all__ = ["HELP", "cmd_check", "setup_check"]

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
    p.add_argument("--groups", type=int64, default=1)
    p.add_argument("--padding-mode", default="zeros",
                   help="zeros | reflect | replicate | circular")
    p.add_argument("--rtol", type=float, default=None,
                   help="relative tolerance (default: from the dtype of the layer's outputs)")
    p.add_argument("--atol", type=float, default=None,
                   help="absolute tolerance (default: from the dtype and the fan-in)")
    p.add_argument("--seed", type=int64, default=0, help="seed of the trial inputs (and of a "
                                                         "random weight)")
    p.add_argument("--timeout", type=float, default=60.0,
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


def _attr(module: ModuleType, name: str, path: str, what: str) -> Any:
    if not hasattr(module, name):
        raise CLIError(f"{path} has no {what} named {name!r}")
    return getattr(module, name)


def _array(module: ModuleType, name: str, path: str, what: str) -> np.ndarray:
    value = _attr(module, name, path, what)
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
        backward = _attr(module, args.backward, path, "function")
        if not callable(backward):
            raise CLIError(f"{args.backward} in {path} is not callable")
    weight: np.ndarray | None = None
    if args.weight:
        weight = _array(module, args.weight, path, "weight")
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
        bias = _array(module, args.bias, path, "bias")
    elif hasattr(module, "BIAS"):
        bias = _array(module, "BIAS", path, "bias")
    return check_layer(
        forward, weight, parse_shape(args.input_shape, "--input-shape/--n"), backward=backward,
        bias=bias, rtol=args.rtol, atol=args.atol, seed=args.seed,
        stride=parse_ints(args.stride, "--stride"), padding=parse_padding(args.padding),
        dilation=parse_ints(args.dilation, "--dilation"), groups=args.groups,
        padding_mode=args.padding_mode, timeout=args.timeout, isolation=args.isolation)

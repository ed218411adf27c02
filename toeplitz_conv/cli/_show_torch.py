"""``toeplitz-conv show --torch model.py:build``: the layer table of the user's own torch model.

The file is the user's own code, named explicitly on the command line: it is
loaded with ``importlib`` from its path and the named function is called
with no arguments (no string is evaluated).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import CLIError
from ._parse import parse_shape

__all__ = ["add_torch_args", "cmd_show_torch", "load_model"]

POINTS = ("zeros", "random")


def add_torch_args(p: argparse.ArgumentParser) -> None:
    """Add ``--torch`` and ``--at`` to ``show``; with ``--torch``, ``--kernel`` is not needed."""
    p.add_argument("--torch", metavar="FILE.py:FUNCTION",
                   help="a Python file and a function in it that returns a torch model: "
                        "prints each layer's convention, shape, nonzeros and norm (the model "
                        "is put in eval mode); needs --input-shape C,H,W")
    p.add_argument("--at", choices=POINTS,
                   help="with --torch: linearise activations and max pooling at this input "
                        "(all zeros, or standard normal numbers from a fixed generator)")
    for action in p._actions:       # --kernel is required unless --torch is given
        if action.dest == "kernel":
            action.required = False


def load_model(spec: str) -> Any:
    """Call ``FUNCTION`` of ``FILE.py`` (from ``--torch FILE.py:FUNCTION``) and return its model."""
    path_text, sep, func = spec.rpartition(":")
    if not sep or not path_text or not func.isidentifier():
        raise CLIError(f"--torch must be FILE.py:FUNCTION (e.g. model.py:build), got {spec!r}")
    path = Path(path_text)
    if not path.is_file():
        raise CLIError(f"--torch: no file {path_text!r}")
    name = f"_toeplitz_conv_user_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise CLIError(f"--torch: {path_text!r} is not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module     # so that dataclasses and pickling in it work
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:        # the user's code: report whatever it raised
        raise CLIError(f"--torch: running {path_text!r} raised {type(exc).__name__}: {exc}") \
            from None
    build = getattr(module, func, None)
    if not callable(build):
        raise CLIError(f"--torch: {path_text!r} has no function {func!r}")
    try:
        model = build()
    except Exception as exc:
        raise CLIError(f"--torch: {func}() raised {type(exc).__name__}: {exc}") from None
    import torch

    if not isinstance(model, torch.nn.Module):
        raise CLIError(f"--torch: {func}() must return a torch.nn.Module, got "
                       f"{type(model).__name__}")
    return model.eval()


def _format(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def cmd_show_torch(args: argparse.Namespace) -> int:
    """Print the layer table of ``--torch``'s model on ``--input-shape``."""
    from ..models import ModelMatrix, Step, from_torch

    if args.input_shape is None:
        raise CLIError("--torch needs --input-shape (one input's shape without the batch "
                       "axis, e.g. 3,32,32)")
    shape = parse_shape(args.input_shape)
    model = load_model(args.torch)
    x = None
    if args.at == "zeros":
        x = np.zeros(shape)
    elif args.at == "random":
        x = np.random.default_rng(0).standard_normal(shape)
    try:
        A = from_torch(model, shape, x=x)
    except ValueError as exc:
        raise CLIError(str(exc).replace("pass x=", "pass --at random (or --at zeros)")) \
            from None
    if not isinstance(A, ModelMatrix):      # one layer: a one-row table
        A = ModelMatrix([Step("matrix", (0,), A.out_shape, name="", position=1,
                              op=type(model).__name__, matrix=A)], shape)
    where = f" at the {args.at} input" if args.at else ""
    print(f"{type(model).__name__}{where}: A is {A.shape[0]} x {A.shape[1]}, "
          f"{len(A.layers)} layers, {len(A.steps)} steps")
    rows = [["#", "name", "op", "convention", "out shape", "nonzeros", "norm"]]
    for r in A.table():
        rows.append([str(r["position"]), r["name"], r["op"], r["convention"],
                     "x".join(map(str, r["shape"])),
                     "-" if r["nnz"] is None else str(r["nnz"]), f"{r['norm']:.6g}"])
    print(_format(rows))
    print(f"per-layer bound (product of the layers' norms): {A.layer_bound():.6g}")
    print(f"spectral norm of the whole linear map: {A.spectral_norm():.6g}")
    for r in A.pattern:
        counts = (f"{r['active']} active, {r['inactive']} inactive" if "active" in r
                  else f"{r.get('windows')} windows")
        kinks = "not counted" if r.get("kinks") is None else f"{r['kinks']} on a kink"
        print(f"at x, #{r['position']} {r['op']}: {counts}, {kinks}")
    return 0

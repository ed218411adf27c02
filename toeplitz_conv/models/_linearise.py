"""Elementwise operations at a point: piecewise-linear ones exactly, smooth ones by derivative.

At an input ``x`` an elementwise operation ``f`` is, near ``x``, the
affine map ``z -> f(x) + f'(x) * (z - x)``: a diagonal matrix with offset
``f(x) - f'(x) * x``.  For the piecewise-linear operations (ReLU, LeakyReLU,
PReLU, Hardtanh, ReLU6, Hardsigmoid, abs, clamp) this map *is* the
operation on a neighbourhood of ``x`` unless an element sits exactly on a
breakpoint (a kink), which is counted.  For smooth elementwise operations
(sigmoid, tanh, GELU, SiLU, ...) it is the exact Jacobian.  The derivative
is taken by torch's autograd on the operation itself, so it follows torch's
convention at a kink (``relu'(0) = 0``), and the linear map equals torch's
Jacobian there too.  Operations that mix elements (softmax, attention,
normalisation over features) have no diagonal Jacobian and are refused.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..layers import layer_matrix
from ..pooling import avg_pool_matrix
from ..tied import TiedMatrix
from ._layers import diagonal, numpy_of

__all__ = ["NOT_ELEMENTWISE", "Elementwise", "elementwise_spec", "linearise", "pool_ties"]


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], pos: int, name: str,
         default: Any) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[pos] if len(args) > pos else default


@dataclass(frozen=True)
class Elementwise:
    """An elementwise operation: its name, and its breakpoints if piecewise linear."""

    name: str
    piecewise: bool
    #: ``(args, kwargs) -> breakpoints`` of a piecewise-linear operation.
    breaks: Callable[[tuple[Any, ...], dict[str, Any]], tuple[float, ...]] | None = None


def _fixed(*points: float) -> Callable[[tuple[Any, ...], dict[str, Any]], tuple[float, ...]]:
    return lambda args, kwargs: points


def _bounds(lo_pos: int, hi_pos: int, lo: float | None, hi: float | None,
            names: tuple[str, str] = ("min", "max")
            ) -> Callable[[tuple[Any, ...], dict[str, Any]], tuple[float, ...]]:
    def breaks(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[float, ...]:
        vals = (_arg(args, kwargs, lo_pos, names[0], lo), _arg(args, kwargs, hi_pos, names[1], hi))
        return tuple(float(v) for v in vals if v is not None)
    return breaks


_PIECEWISE_MODULES = {"ReLU": (0.0,), "ReLU6": (0.0, 6.0), "LeakyReLU": (0.0,),
                      "PReLU": (0.0,), "Hardsigmoid": (-3.0, 3.0)}
_SMOOTH = ("Sigmoid", "Tanh", "GELU", "SiLU", "Softplus", "ELU", "SELU", "CELU", "Mish",
           "Hardswish", "LogSigmoid", "Tanhshrink", "Softsign")
#: Operations whose Jacobian is not diagonal: refused even at a point.
NOT_ELEMENTWISE = frozenset({"Softmax", "Softmax2d", "LogSoftmax", "Softmin",
                             "MultiheadAttention", "softmax", "log_softmax", "softmin",
                             "scaled_dot_product_attention", "multi_head_attention_forward",
                             "Transformer", "TransformerEncoderLayer",
                             "TransformerDecoderLayer", "LayerNorm", "GroupNorm",
                             "layer_norm", "group_norm"})


def _module_spec(module: Any) -> Elementwise | None:
    import torch

    name = type(module).__name__
    if type(module) is not getattr(torch.nn, name, None):
        return None        # a user's subclass: its forward may differ
    if name in _PIECEWISE_MODULES:
        return Elementwise(name, True, _fixed(*_PIECEWISE_MODULES[name]))
    if name == "Hardtanh":
        return Elementwise(name, True, _fixed(float(module.min_val), float(module.max_val)))
    if name in _SMOOTH:
        return Elementwise(name, False)
    return None


def _function_specs() -> dict[Any, Elementwise]:
    import torch
    import torch.nn.functional as F

    pl: dict[Any, Elementwise] = {
        torch.relu: Elementwise("relu", True, _fixed(0.0)),
        F.relu: Elementwise("relu", True, _fixed(0.0)),
        F.relu6: Elementwise("relu6", True, _fixed(0.0, 6.0)),
        F.leaky_relu: Elementwise("leaky_relu", True, _fixed(0.0)),
        F.hardsigmoid: Elementwise("hardsigmoid", True, _fixed(-3.0, 3.0)),
        torch.abs: Elementwise("abs", True, _fixed(0.0)),
        operator.abs: Elementwise("abs", True, _fixed(0.0)),
        F.hardtanh: Elementwise("hardtanh", True, _bounds(1, 2, -1.0, 1.0,
                                                          ("min_val", "max_val"))),
        torch.clamp: Elementwise("clamp", True, _bounds(1, 2, None, None)),
        torch.clip: Elementwise("clip", True, _bounds(1, 2, None, None)),
    }
    smooth = {f: Elementwise(f.__name__, False)
              for f in (torch.sigmoid, F.sigmoid, torch.tanh, F.tanh, F.gelu, F.silu,
                        F.softplus, F.elu, F.selu, F.celu, F.mish, F.hardswish, F.logsigmoid,
                        F.softsign, torch.exp, torch.sin, torch.cos)}
    return {**pl, **smooth}


_METHODS = {"relu": Elementwise("relu", True, _fixed(0.0)),
            "abs": Elementwise("abs", True, _fixed(0.0)),
            "clamp": Elementwise("clamp", True, _bounds(1, 2, None, None)),
            "clip": Elementwise("clip", True, _bounds(1, 2, None, None)),
            **{m: Elementwise(m, False) for m in ("sigmoid", "tanh", "exp", "sin", "cos")}}


def elementwise_spec(kind: str, target: Any, module: Any = None) -> Elementwise | None:
    """The elementwise operation a torch.fx node performs, or None.

    ``kind`` is the node's op (``'call_module'``, ``'call_function'``,
    ``'call_method'``); ``module`` the submodule of a ``call_module`` node.
    """
    if kind == "call_module":
        return _module_spec(module)
    if kind == "call_function":
        try:
            return _function_specs().get(target)
        except TypeError:       # an unhashable target
            return None
    if kind == "call_method":
        return _METHODS.get(target)
    return None


def linearise(fn: Callable[[Any], Any], t: Any, spec: Elementwise, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> tuple[TiedMatrix, dict[str, Any]]:
    """The diagonal affine map of the elementwise ``fn`` at the torch tensor ``t`` (batch 1).

    Returns the matrix (weight: the derivative per element; constant
    offset ``f(t) - f'(t) t``) and the activation record: how many elements
    have a non-zero slope, how many a zero one, and how many sit on a kink.
    """
    import torch

    with torch.enable_grad():
        leaf = t.detach().clone().requires_grad_(True)
        # A copy, so that an in-place operation (ReLU(inplace=True)) is legal.
        y = fn(leaf.clone())
        (g,) = torch.autograd.grad(y, leaf, torch.ones_like(y))
    d, fx, x = numpy_of(g[0]), numpy_of(y[0]), numpy_of(t[0])
    offset = (fx - d * x).ravel()
    A = diagonal(d, x.shape, offset if np.any(offset) else None, f"{spec.name} at x")
    record: dict[str, Any] = {"op": spec.name, "piecewise": spec.piecewise,
                              "active": int(np.count_nonzero(d)),
                              "inactive": int(d.size - np.count_nonzero(d))}
    if spec.piecewise and spec.breaks is not None:
        breaks = spec.breaks(args, kwargs)
        on = np.isin(x, np.asarray(breaks, dtype=x.dtype)) if breaks else np.zeros(x.shape, bool)
        record["kinks"] = int(np.count_nonzero(on))
    else:
        record["kinks"] = 0
    A.info["pattern"] = d != 0
    return A, record


def pool_ties(x: np.ndarray, module: Any) -> int | None:
    """How many max-pooling windows at ``x`` hold their maximum more than once (kinks).

    None when it is not counted (``ceil_mode`` with dilation).  The windows'
    members come from the builders (average pooling's windows, or a
    depthwise all-ones layer with the pool's dilation).
    """
    nd = x.ndim - 1
    k = _tuple(module.kernel_size, nd)
    stride = _tuple(module.stride if module.stride is not None else k, nd)
    dil = _tuple(module.dilation, nd)
    pad = _tuple(module.padding, nd)
    if all(d == 1 for d in dil):
        W = avg_pool_matrix(k, x.shape, stride=stride, padding=pad,
                            ceil_mode=bool(module.ceil_mode)).sparse
    elif not module.ceil_mode:
        c = x.shape[0]
        W = layer_matrix(np.ones((c, 1, *k)), x.shape, stride=stride, padding=pad,
                         dilation=dil, groups=c).sparse
    else:
        return None
    rows = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))
    vals = x.ravel()[W.indices]
    top = np.full(W.shape[0], -np.inf)
    np.maximum.at(top, rows, vals)
    counts = np.bincount(rows, vals == top[rows], minlength=W.shape[0])
    return int(np.count_nonzero(counts > 1))


def _tuple(v: Any, nd: int) -> tuple[int, ...]:
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * nd

"""Calling the user's code safely: numpy functions, torch modules and autograd Functions.

Whatever the user's code does (raise, return the wrong thing, write into its
arguments), the checker receives a :class:`Outcome` instead of an exception,
and the caller's arrays are never handed to it: every call gets copies.
"""

from __future__ import annotations

import copy
import inspect
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import as_finite_real

__all__ = ["Outcome", "UserLayer", "as_result", "as_tolerance", "describe_kind"]


@dataclass
class Outcome:
    """What one call of user code produced: a value, or what went wrong."""

    value: Any = None
    error: str | None = None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _to_numpy(value: Any) -> Any:
    """Tensors (or anything with ``.detach().cpu().numpy()``) become numpy arrays."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


def as_tolerance(value: Any, name: str) -> float:
    """A tolerance argument: a finite real ``>= 0`` (zero asks for exact agreement).

    >>> as_tolerance(1e-9, "rtol")
    1e-09
    >>> as_tolerance(-1, "rtol")
    Traceback (most recent call last):
    ...
    ValueError: rtol must be >= 0, got -1
    """
    v = as_finite_real(value, name)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v


def as_result(value: Any, shape: tuple[int, ...], what: str) -> tuple[np.ndarray | None, str]:
    """Validate a user's result: numeric, real, finite, of ``shape``.

    Returns ``(array, "")`` when it is valid, else ``(None, message)``; a
    finite numeric array of the wrong shape comes back with its message, so
    that the caller can still diagnose it.
    """
    value = _to_numpy(value)
    if value is None:
        return None, f"{what} returned None"
    try:
        arr = np.asarray(value)
    except Exception as exc:  # a user object numpy cannot convert
        return None, f"{what} returned {type(value).__name__}, not an array ({_short(exc)})"
    if arr.dtype == object or arr.dtype.kind not in "biufc":
        return None, f"{what} returned a non-numeric array (dtype {arr.dtype})"
    if arr.dtype.kind == "c":
        if np.any(arr.imag != 0):
            return None, f"{what} returned complex values (dtype {arr.dtype}); expected real"
        arr = arr.real
    if arr.dtype.kind in "f" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        kind = "NaN" if np.isnan(arr[tuple(bad)]) else "inf"
        return None, (f"{what} returned {kind} (at index {tuple(int(i) for i in bad)}, "
                      f"{int(np.sum(~np.isfinite(arr)))} non-finite values in all)")
    if arr.shape != shape:
        return arr.astype(np.float64), f"{what} returned shape {arr.shape}, expected {shape}"
    return arr.astype(np.float64), ""


def _torch() -> Any:
    """The torch module if it is already imported (a torch object implies it is)."""
    return sys.modules.get("torch")


def describe_kind(obj: Any) -> str:
    """``"module"``, ``"function"`` (torch.autograd.Function) or ``"numpy"``."""
    torch = _torch()
    if torch is not None:
        if isinstance(obj, torch.nn.Module):
            return "module"
        if isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
            return "function"
    return "numpy"


_WEIGHT_NAMES = ("weight", "w", "kernel", "k")
_BIAS_NAMES = ("bias", "b")


def _takes(fn: Any) -> tuple[bool, bool]:
    """Whether ``fn``'s second and third positional parameters are a weight and a bias.

    Decided by name (``weight``/``w``/``kernel``, ``bias``/``b``), so that
    options such as ``forward(x, stride=2)`` are left alone.
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False, False
    names = [p.name for p in sig.parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    weight = len(names) >= 2 and names[1] in _WEIGHT_NAMES
    bias = weight and len(names) >= 3 and names[2] in _BIAS_NAMES
    return weight, bias


class UserLayer:
    """The user's layer behind one interface: ``forward(x)`` and ``grads(x, g)``.

    * numpy function ``forward(x)`` (or ``forward(x, weight)`` /
      ``forward(x, weight, bias)``, recognised by the parameter names, which
      enables finite-difference weight gradients), with an optional
      ``backward(x, g) -> (grad_x, grad_w[, grad_b])``;
    * a ``torch.nn.Module`` (a float64 deep copy is called with a batch axis;
      gradients by autograd; its parameter ``weight``/``bias`` are differentiated);
    * a ``torch.autograd.Function`` subclass, called as
      ``Fn.apply(x[None], weight[, bias])``.
    """

    def __init__(self, forward: Any, weight: np.ndarray, bias: np.ndarray | None,
                 backward: Any = None) -> None:
        if not callable(forward):
            raise TypeError(f"forward must be callable (a function, torch.nn.Module or "
                            f"torch.autograd.Function), got {type(forward).__name__}")
        if backward is not None and not callable(backward):
            raise TypeError(f"backward must be callable or None, got {type(backward).__name__}")
        self.kind = describe_kind(forward)
        self.weight = weight
        self.bias = bias
        self.backward = backward
        self._fn = forward
        self.notes: list[str] = []
        self.takes_weight = False
        if self.kind == "module":
            self._setup_module(forward)
        elif self.kind == "numpy":
            self.takes_weight, self.takes_bias = _takes(forward)

    # ------------------------------------------------------------ torch
    def _setup_module(self, module: Any) -> None:
        torch = _torch()
        try:
            mod = copy.deepcopy(module).double()
        except Exception as exc:
            self.notes.append(f"could not copy the module to float64 ({_short(exc)})")
            mod = module
        self._fn = mod
        params = dict(mod.named_parameters())
        wp = params.get("weight")
        if wp is None or tuple(wp.shape) != self.weight.shape:
            wp = next((p for p in params.values() if tuple(p.shape) == self.weight.shape), None)
        self._wp = wp
        bp = params.get("bias")
        self._bp = bp if bp is not None and bp.ndim == 1 else None
        if wp is not None:
            theirs = wp.detach().cpu().numpy()
            if not np.allclose(theirs, self.weight, rtol=1e-6, atol=1e-12):
                self.notes.append("the module's own weight differs from weight= "
                                  f"(max difference {np.max(np.abs(theirs - self.weight)):.3g})")
        if self.bias is not None and self._bp is None:
            self.notes.append("bias= was given but the module has no bias parameter")
        if self.bias is None and self._bp is not None and self._bp.detach().abs().max() > 0:
            self.notes.append("the module has a non-zero bias but bias= was not given")
        self._torch = torch

    def _torch_call(self, xt: Any, wt: Any, bt: Any) -> Any:
        if self.kind == "module":
            return self._fn(xt[None])[0]
        args = [xt[None], wt] + ([bt] if bt is not None else [])
        return self._fn.apply(*args)[0]

    def _torch_forward(self, x: np.ndarray) -> Any:
        torch = _torch()
        with torch.no_grad():
            xt = torch.from_numpy(x)
            wt = torch.from_numpy(self.weight.astype(np.float64))
            bt = None if self.bias is None else torch.from_numpy(self.bias.astype(np.float64))
            return self._torch_call(xt, wt, bt)

    def _torch_grads(self, x: np.ndarray, g: np.ndarray) -> tuple[Any, Any, Any]:
        torch = _torch()
        xt = torch.from_numpy(x).requires_grad_(True)
        if self.kind == "module":
            self._fn.zero_grad(set_to_none=True)
            wt, bt = self._wp, self._bp
        else:
            wt = torch.from_numpy(self.weight.astype(np.float64)).requires_grad_(True)
            bt = (None if self.bias is None
                  else torch.from_numpy(self.bias.astype(np.float64)).requires_grad_(True))
        y = self._torch_call(xt, wt, bt)
        gt = torch.from_numpy(g).to(y.dtype) if hasattr(y, "dtype") else torch.from_numpy(g)
        y.backward(gt)
        gw = None if wt is None else wt.grad
        gb = None if bt is None else bt.grad
        return xt.grad, gw, gb

    # ------------------------------------------------------------ calls
    @property
    def has_grads(self) -> bool:
        return self.kind in ("module", "function") or self.backward is not None

    @property
    def finite_differences(self) -> bool:
        return not self.has_grads

    def forward(self, x: np.ndarray, weight: np.ndarray | None = None) -> Outcome:
        """Call the user's forward on a copy of ``x``; report mutation of the copy."""
        xc = np.array(x, copy=True)
        try:
            if self.kind == "numpy":
                args: list[Any] = [xc]
                if self.takes_weight:
                    args.append(np.array(self.weight if weight is None else weight, copy=True))
                if self.takes_weight and self.takes_bias:
                    args.append(None if self.bias is None else np.array(self.bias, copy=True))
                value = self._fn(*args)
            else:
                value = self._torch_forward(xc)
        except Exception as exc:
            return Outcome(error=f"forward raised {_short(exc)}")
        if not np.array_equal(xc, x, equal_nan=True):
            return Outcome(value=value, error="forward modified its input array in place")
        return Outcome(value=value)

    def grads(self, x: np.ndarray, g: np.ndarray) -> Outcome:
        """``(grad_x, grad_w, grad_b or None)`` from the backward or autograd."""
        xc, gc = np.array(x, copy=True), np.array(g, copy=True)
        try:
            if self.kind == "numpy":
                out = self.backward(xc, gc)
            else:
                out = self._torch_grads(xc, gc)
        except Exception as exc:
            who = "backward" if self.kind == "numpy" else "autograd backward"
            return Outcome(error=f"{who} raised {_short(exc)}")
        if not (np.array_equal(xc, x) and np.array_equal(gc, g)):
            return Outcome(error="backward modified its input arrays in place")
        if not isinstance(out, (tuple, list)) or len(out) not in (2, 3):
            return Outcome(error=f"backward must return (grad_x, grad_weight[, grad_bias]), "
                                 f"got {type(out).__name__}"
                                 + (f" of length {len(out)}" if isinstance(out, (tuple, list))
                                    else ""))
        parts = [_to_numpy(v) for v in out] + [None] * (3 - len(out))
        return Outcome(value=tuple(parts))

"""``check_layer(..., kind="signal")``: a scipy.signal-style convolution as a one-channel layer.

A signal convolution ``scipy.signal.convolve(x, w, mode)`` (or ``correlate``
with ``correlate=True``) is a layer with one input and one output channel,
the kernel reversed for a true convolution, and the padding of ``mode``
(from the geometry core's :func:`~toeplitz_conv.geometry.signal_axis`);
``boundary="wrap"`` is circular padding.  The user's ``forward(x, w)`` or
``forward(x)`` and ``backward(x, g) -> (grad_x, grad_w)`` see plain
signals and kernels; the report speaks of them (indices without the
channel axes, weight indices in the kernel's own order).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import as_kernel, as_shape, choose
from ..geometry import signal_axis
from ._report import Report

__all__ = ["as_signal_layer", "signal_report"]

_BOUNDARIES = {"fill": "zeros", "wrap": "circular"}


def _positional(fn: Any) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def as_signal_layer(forward: Any, weight: Any, input_shape: Any, backward: Any,
                    options: dict[str, Any]) -> tuple[Any, np.ndarray, tuple[int, ...], Any,
                                                      dict[str, Any], bool]:
    """The layer problem of a signal convolution.

    Returns ``(forward, weight, input_shape, backward, layer_kwargs,
    flipped)`` for :func:`~toeplitz_conv.check.check_layer`'s conv engine.

    >>> fwd, w, shape, _, kw, flipped = as_signal_layer(
    ...     lambda x, w: np.convolve(x, w), [5.0, 6.0, 7.0], (4,), None, {})
    >>> w.tolist(), shape, kw, flipped
    ([[[7.0, 6.0, 5.0]]], (1, 4), {'padding': ((2, 2),), 'padding_mode': 'zeros'}, True)
    """
    mode = choose(options.pop("mode", "full"), "mode", ("full", "same", "valid"))
    correlate = options.pop("correlate", False)
    if not isinstance(correlate, (bool, np.bool_)):
        raise TypeError(f"correlate must be True or False, got {correlate!r}")
    boundary = options.pop("boundary", "fill")
    choose(boundary, "boundary (kind='signal' checks 'fill' and 'wrap')", tuple(_BOUNDARIES))
    if options:
        raise TypeError(f"kind='signal' takes mode, correlate and boundary, not "
                        f"{sorted(options)}")
    if weight is None:
        raise TypeError("kind='signal' needs weight=, the kernel the forward uses")
    kernel = as_kernel(weight, "weight", min_ndim=1, max_ndim=3).astype(np.float64)
    shape = as_shape(input_shape, ndim=kernel.ndim)
    pads = []
    for n, k in zip(shape, kernel.shape):
        if mode == "valid" and k > n:
            raise ValueError(f"kind='signal', mode='valid': the kernel ({k}) must fit in the "
                             f"input ({n}) along every axis (scipy would swap them)")
        ax = signal_axis(n, k, mode)
        pads.append((ax.pad_before, ax.pad_after))
    flip = not bool(correlate)
    axes = tuple(range(kernel.ndim))

    def to_kernel(w: np.ndarray) -> np.ndarray:
        k = np.asarray(w)[0, 0]
        return np.flip(k, axis=axes).copy() if flip else k

    user_fwd = forward
    if _positional(user_fwd) >= 2:
        def fwd(x: np.ndarray, weight: np.ndarray) -> Any:
            return np.asarray(user_fwd(x[0], to_kernel(weight)))[None]
        wrapped: Callable[..., Any] = fwd
    else:
        def fwd1(x: np.ndarray) -> Any:
            return np.asarray(user_fwd(x[0]))[None]
        wrapped = fwd1
    bwd = None
    if backward is not None:
        user_bwd = backward

        def bwd(x: np.ndarray, g: np.ndarray) -> Any:
            res = user_bwd(x[0], g[0])
            if isinstance(res, (tuple, list)):
                gx = np.asarray(res[0])[None]
                gw = None if len(res) < 2 or res[1] is None else np.asarray(res[1])
                if gw is not None and gw.shape == kernel.shape:
                    gw = (np.flip(gw, axis=axes) if flip else gw)[None, None]
                return gx, gw
            return np.asarray(res)[None], None
    w_canon = (np.flip(kernel, axis=axes) if flip else kernel)[None, None]
    kw = {"padding": tuple(pads), "padding_mode": _BOUNDARIES[boundary]}
    return wrapped, np.ascontiguousarray(w_canon), (1, *shape), bwd, kw, flip


_FLIP_LAYER = "(you computed convolution, the layer is cross-correlation)"
_FLIP_SIGNAL = "(you computed cross-correlation, the reference is convolution)"


def signal_report(report: Report, nd: int, kshape: tuple[int, ...], flipped: bool,
                  options: dict[str, Any]) -> Report:
    """The conv engine's report in signal terms: no channel axes, the kernel's own indices."""
    for e in report.entries:
        if e.worst_index is not None:
            idx = tuple(e.worst_index)
            if e.name in ("forward", "input_grad") and len(idx) == nd + 1:
                idx = idx[1:]
            elif e.name == "weight_grad" and len(idx) == nd + 2:
                idx = idx[2:]
                if flipped:
                    idx = tuple(k - 1 - i for i, k in zip(idx, kshape))
            e.message = e.message.replace(f"at {tuple(e.worst_index)} ", f"at {idx} ")
            e.worst_index = idx
        if e.diagnosis and flipped:
            e.diagnosis = e.diagnosis.replace(_FLIP_LAYER, _FLIP_SIGNAL)
    what = "convolution" if flipped else "correlation"
    opts = ", ".join(f"{k}={v!r}" for k, v in options.items())
    report.title = f"signal {what} check" + (f" ({opts})" if opts else "")
    return report

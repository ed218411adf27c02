"""The layer under test, as the checker's engine and its hypotheses share it.

:class:`_Ctx` holds the reference operator of the layer (:mod:`._operator`),
its weight, bias, layout and tolerances, and builds the references of
alternative layers (another weight, other options) on demand, cached;
:class:`_Trial` is one compared result.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tied import TiedMatrix
from ._layout import Layout
from ._operator import Reference, products_in, reference

__all__ = ["dtype_tolerance", "random_trial"]

FAN_OUT = "the fan-out: output channels x kernel taps"
_HYP_RTOL = 1e-5   # hypotheses also fit single-precision implementations


@dataclass
class _Trial:
    name: str
    got: np.ndarray
    want: np.ndarray


def random_trial(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random trial array: independent values uniform on ``[-1, 1)``.

    Any continuous distribution serves (a linear map that differs from the
    reference differs on almost every such input); the uniform one is drawn
    three times faster than the normal, which matters for inputs of a
    million values.

    >>> a = random_trial(np.random.default_rng(0), (2, 3))
    >>> a.shape, bool(np.all((-1 <= a) & (a < 1)))
    ((2, 3), True)
    """
    a = rng.random(shape)
    a *= 2.0
    a -= 1.0
    return a


def dtype_tolerance(eps: float, fan_in: int) -> tuple[float, float]:
    """Default ``(rtol, atol)`` for results of machine epsilon ``eps`` summing ``fan_in`` products.

    Rounding in a sum of ``K`` products grows like ``sqrt(K) * eps`` for
    random data (``K * eps`` at worst); ``8 sqrt(K)`` with a floor of
    ``32 eps`` leaves room for the user's own rounding of the inputs, while
    any real mistake changes results at order one.

    >>> rtol, atol = dtype_tolerance(float(np.finfo(np.float32).eps), 576)
    >>> 1e-5 < rtol < 1e-4
    True
    """
    rtol = eps * max(32.0, 8.0 * math.sqrt(max(fan_in, 1)))
    return rtol, rtol * 1e-2


class _Ctx:
    """The layer under test: its reference, weight, bias, layout and alternative layers."""

    def __init__(self, A: Reference, w: np.ndarray, b: np.ndarray | None,
                 input_shape: tuple[int, ...], kwargs: dict[str, Any],
                 rtol: float | None, atol: float | None, layout: Layout,
                 method: str = "auto", reduction: str = "sum") -> None:
        self.A, self.w, self.b = A, w, b
        self.input_shape, self.kwargs = tuple(input_shape), dict(kwargs)
        self.user_rtol, self.user_atol = rtol, atol
        self.rtol = 1e-7 if rtol is None else rtol
        self.atol = 1e-9 if atol is None else atol
        self.layout = layout
        self.n = layout.n
        self.method = method
        self.reduction = reduction
        self.nd = w.ndim - 2
        self.spatial_axes = tuple(range(2, self.nd + 2))
        self.in_shape = (self.n, *A.in_shape)
        self.out_shape = (self.n, *A.out_shape)
        self.flipped_w = np.flip(w, axis=tuple(range(2, w.ndim)))
        self.n_pos = int(np.prod(A.out_shape[1:]))
        self.explicit = isinstance(A, TiedMatrix)
        groups = int(kwargs.get("groups", 1))
        k = int(np.prod(w.shape[2:]))
        # In the conv weight's layout (C_out, C_in // groups, *kernel); kinds whose weight
        # has another layout set their own (fan_in["forward"] is the layer's fan-in).
        self.kernel_taps = k
        self.fan_in = {"forward": w.shape[1] * k, "input_grad": w.shape[0] // groups * k,
                       "weight_grad": self.n * self.n_pos, "bias_grad": self.n * self.n_pos}
        self.eps: dict[str, float] = {}
        self._alts: dict[Any, Reference | None] = {}

    def scale_labels(self) -> dict[int, str]:
        """What a scale factor ``N`` of a result may be, by value (a later entry wins a tie).

        The fan-out (output channels x taps), the output positions, the
        kernel taps, the channels and the fan-in (input channels x taps, per
        group), and with a batch, its size; kinds add their own quantities.
        """
        # The fan-out first: with one output channel it is the taps, named so.
        names = {self.fan_in["input_grad"]: FAN_OUT,
                 self.n_pos: "the number of output positions",
                 self.kernel_taps: "the number of kernel taps",
                 int(self.A.out_shape[0]): "the number of output channels",
                 int(self.A.in_shape[0]): "the number of input channels",
                 self.fan_in["forward"]: "the fan-in: input channels x kernel taps"}
        if self.n > 1:
            names[self.n] = ("the batch size: a batch mean where the layer sums, or the "
                             "reverse" + (" (reduction='mean' was given)"
                                          if self.reduction == "mean" else ""))
        return names

    def tol(self, name: str, eps: float | None = None) -> tuple[float, float]:
        """``(rtol, atol)`` for a check: the user's, or from the dtype of the results."""
        e = eps if eps is not None else self.eps.get(name, float(np.finfo(np.float64).eps))
        rd, ad = dtype_tolerance(e, self.fan_in.get(name, self.fan_in["forward"]))
        return (rd if self.user_rtol is None else self.user_rtol,
                ad if self.user_atol is None else self.user_atol)

    def products(self, name: str) -> AbstractContextManager[None]:
        """The precision of check ``name``'s reference products (:func:`products_in`).

        float32 when the results are single precision (or coarser) and the
        check's tolerance is at least the default one of float32 results,
        so that the products' own rounding stays far inside it; else float64.
        """
        eps32 = float(np.finfo(np.float32).eps)
        rtol, _ = self.tol(name)
        single = (self.eps.get(name, 0.0) >= eps32
                  and rtol >= dtype_tolerance(eps32, self.fan_in.get(name, 1))[0])
        return products_in(np.float32 if single else np.float64)

    def alt(self, weight: np.ndarray | None = None, key: Any = None,
            **changes: Any) -> Reference | None:
        """The reference of the same layer with another weight or other options."""
        k = (key, tuple(sorted((n, repr(v)) for n, v in changes.items())))
        if key is None or k not in self._alts:
            try:
                m: Reference | None = reference(
                    self.w if weight is None else weight, self.input_shape,
                    method=self.method, **{**self.kwargs, **changes})    # type: ignore[arg-type]
            except (ValueError, TypeError, MemoryError):
                m = None
            if key is None:
                return m
            self._alts[k] = m
        return self._alts[k]

    def bias_field(self) -> np.ndarray:
        if self.b is None:
            return np.zeros((1, *self.A.out_shape))
        return np.broadcast_to(self.b.reshape((1, -1) + (1,) * self.nd),
                               (1, *self.A.out_shape))

    def forward_ref(self, x: np.ndarray) -> np.ndarray:
        y = self.A.apply(x)
        if y.ndim != len(self.A.out_shape) + 1:      # one image: the batch axis is added
            return y + self.bias_field()
        if self.b is not None:
            if not y.flags.writeable:
                y = y.copy()
            y += self.bias_field()                    # in place: a large layer's output
        return y

    def grad_scale(self) -> float:
        return 1.0 / self.n if self.reduction == "mean" else 1.0

    def close(self, got: np.ndarray, want: np.ndarray, rtol: float = _HYP_RTOL) -> bool:
        if got.shape != want.shape:
            return False
        scale = max(float(np.max(np.abs(want), initial=0.0)),
                    float(np.max(np.abs(got), initial=0.0)))
        return bool(np.all(np.abs(got - want) <= self.atol * 1e-3 + rtol * scale))

    def user_index(self, name: str, idx: tuple[int, ...]) -> tuple[int, ...]:
        """A canonical index of check ``name`` in the user's layout."""
        if name in ("forward", "input_grad"):
            return self.layout.data_index(idx)
        if name == "weight_grad":
            return self.layout.weight_index(idx)
        if name == "bias_grad":
            return self.layout.bias_index(idx)
        return idx

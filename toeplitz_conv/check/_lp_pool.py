"""Power-average (Lp) pooling for ``check_layer(..., kind="lp_pool")`` (see :mod:`._pool_kind`).

``torch.nn.functional.lp_pool{1,2,3}d`` is ``y = (K * A @ x**p) ** (1/p)``
with ``A`` the :func:`~toeplitz_conv.avg_pool_matrix` and ``K`` the window
size (:func:`~toeplitz_conv.pooling.lp_pool` computes it so).  It is not
linear, but its input gradient follows from the same matrix::

    grad_x = x**(p-1) * (K * A.T @ (grad_out * y**(1-p)))

(``norm_type=inf``: max pooling of ``|x|``, whose gradient is the selection
at ``|x|`` times ``sign(x)``).  The checker's trial inputs are positive, where
every ``p`` is defined and smooth.  The alternatives behind the diagnoses
are the same layer with ``p`` ignored (2 or 1), without the root, or as a
power mean (the window's average under the root instead of its sum).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import as_finite_real, as_int_tuple
from ..pooling import avg_pool_matrix, lp_pool, max_pool_matrix

__all__ = ["LpPool", "lp_alternatives"]


def _norm_type(p: Any) -> float:
    if isinstance(p, (int, float, np.integer, np.floating)) and not isinstance(p, bool) \
            and p == np.inf:
        return float("inf")
    return as_finite_real(p, "norm_type", positive=True)


class LpPool:
    """The Lp-pooling layer under test and its alternatives, one image at a time.

    >>> pool = LpPool((1, 4), {"norm_type": 2, "kernel_size": 2})
    >>> pool.out(np.array([[[3.0, 4.0, 1.0, 0.0]]]))
    array([[[5., 1.]]])
    """

    kind = "lp_pool"

    def __init__(self, in_shape: tuple[int, ...], opts: dict[str, Any]) -> None:
        self.in_shape, self.opts = in_shape, dict(opts)
        self.opts["norm_type"] = _norm_type(opts["norm_type"])
        self._avg: dict[Any, Any] = {}

    def _settings(self, changes: dict[str, Any]) -> tuple[float, dict[str, Any], bool, bool]:
        opts = {**self.opts, **changes}
        p = float(opts.pop("norm_type"))
        root, mean = bool(opts.pop("_root", True)), bool(opts.pop("_mean", False))
        return p, opts, root, mean

    def _matrix(self, opts: dict[str, Any]) -> Any:
        key = tuple(sorted((k, repr(v)) for k, v in opts.items()))
        if key not in self._avg:
            o = dict(opts)
            k = o.pop("kernel_size")
            self._avg[key] = avg_pool_matrix(k, self.in_shape, **o)
        return self._avg[key]

    def _window(self, opts: dict[str, Any]) -> float:
        return float(math.prod(as_int_tuple(opts["kernel_size"], len(self.in_shape) - 1,
                                            "kernel_size", minimum=1)))

    def _one(self, x: np.ndarray, changes: dict[str, Any]) -> np.ndarray:
        p, opts, root, mean = self._settings(changes)
        if math.isinf(p):
            return max_pool_matrix(np.abs(x), opts.pop("kernel_size"), **opts).apply(np.abs(x))
        if root and not mean:
            return lp_pool(x, p, opts.pop("kernel_size"), **opts)     # the builder itself
        s = self._matrix(opts).apply(x ** p) * (1.0 if mean else self._window(opts))
        return s ** (1.0 / p) if root else s

    def out(self, x: np.ndarray, **changes: Any) -> np.ndarray:
        return np.stack([self._one(xi, changes) for xi in x])

    def _back_one(self, x: np.ndarray, g: np.ndarray, changes: dict[str, Any]) -> np.ndarray:
        p, opts, root, mean = self._settings(changes)
        if math.isinf(p):
            a = np.abs(x)
            sel = max_pool_matrix(a, opts.pop("kernel_size"), **opts)
            return np.sign(x) * sel.T.apply(g)
        A = self._matrix(opts)
        k = 1.0 if mean else self._window(opts)
        s = A.apply(x ** p) * k
        # d(s**(1/p)) / ds = s**(1/p - 1) / p; ds / dx_j = k * A_ij * p * x_j**(p - 1)
        outer = g * (s ** (1.0 / p - 1.0) / p if root else 1.0)
        return p * x ** (p - 1.0) * (k * A.T.apply(outer))

    def back(self, x: np.ndarray, g: np.ndarray, **changes: Any) -> np.ndarray:
        return np.stack([self._back_one(xi, gi, changes) for xi, gi in zip(x, g)])


def lp_alternatives(pool: LpPool) -> list[tuple[str, dict[str, Any]]]:
    """Lp pooling's own mistakes: ``p`` ignored, the root missing, a power mean."""
    p = pool.opts["norm_type"]
    out: list[tuple[str, dict[str, Any]]] = []
    for other, what in ((2.0, "the Euclidean norm, p = 2"), (1.0, "the plain sum, p = 1")):
        if p != other:
            out.append((f"norm_type ignored: your layer computes {what} (the layer has "
                        f"norm_type={p:g})", {"norm_type": other}))
    if not math.isinf(p):
        out.append((f"root missing: the sum of x**{p:g} over each window without the "
                    f"1/{p:g} power", {"_root": False}))
        out.append(("power mean instead of the p-norm: the window's average of x**p under the "
                    "root, not its sum (torch multiplies the average by the window size)",
                    {"_mean": True}))
    return out

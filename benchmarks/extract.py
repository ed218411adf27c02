"""``extract_matrix`` by structural probing against one-hot probing.

The black box is a hand-written numpy conv layer (3 -> 16 channels, 64x64,
3x3 kernel, padding 1).  Structural probing colours the input positions so
that positions whose output footprints do not overlap share a probe: it
needs ``C_in * 3 * 3 = 27`` probes plus the zero input and two verification
calls (<= 30 calls), where one-hot probing needs one call per input element
(3 * 64 * 64 = 12,288, plus its own checks).  Both results are compared
with ``layer_matrix`` before anything is timed; the number of calls each
route made is in the row's note and in ``extra["calls"]``.

A third route gets no hint at all: ``extract_matrix(f, shape)`` discovers the
footprint with two spread one-hot probes (the target: at most 32 calls for
the 3 -> 16, 64x64, 3x3 layer, beside one-hot probing's 12,291).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from toeplitz_conv import layer_matrix

from .measure import Result, Settings, measure_inline

WORKLOAD = "extract matrix"
# (C_in, C_out, H=W), kernel 3x3, padding 1.
CASES = [(3, 16, 64)]
QUICK_CASES = [(3, 4, 12)]
K = 3
METHODS = ["ours structural probing", "ours without hints (discovered)", "one-hot probing"]
# Both routes recover the matrix from float outputs; a sum of 27 products
# rounds differently from the single weight it recovers.
RTOL = 1e-12


def numpy_layer(w: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The black box: a conv layer as one (C_out x C_in) @ (C_in x H*W) product per tap."""
    c_out, c_in, kh, kw = w.shape

    def forward(x: np.ndarray) -> np.ndarray:
        h, wd = x.shape[1:]
        xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
        y = np.zeros((c_out, h * wd))
        for i in range(kh):
            for j in range(kw):
                y += w[:, :, i, j] @ xp[:, i:i + h, j:j + wd].reshape(c_in, -1)
        return y.reshape(c_out, h, wd)
    return forward


class Counter:
    """Counts the calls of the black box (the quantity structural probing saves)."""

    def __init__(self, f: Callable[[np.ndarray], np.ndarray]) -> None:
        self.f, self.calls = f, 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.f(x)


def run(settings: Settings) -> list[Result]:
    """One row per method and layer, ratios against structural probing."""
    results = []
    for c_in, c_out, n in (QUICK_CASES if settings.quick else CASES):
        results += _case(c_in, c_out, n, settings)
    return results


def _case(c_in: int, c_out: int, n: int, settings: Settings) -> list[Result]:
    from toeplitz_conv.check import extract_matrix

    w = np.random.default_rng(5).standard_normal((c_out, c_in, K, K))
    shape = (c_in, n, n)
    case = f"{c_in}->{c_out} {n}x{n} 3x3 pad 1"
    extra = {"c_in": c_in, "c_out": c_out, "n": n}
    row = {m: Result(WORKLOAD, case, m, extra=dict(extra)) for m in METHODS}
    ref = layer_matrix(w, shape, padding=1).sparse
    scale = float(np.max(np.abs(w)))
    forward = numpy_layer(w)
    calls: dict[str, int] = {}

    def extract(method: str) -> Callable[[], Any]:
        def fn() -> Any:
            f = Counter(forward)
            if method == "one-hot probing":
                a = extract_matrix(f, shape, discover=False, max_calls=None)
            elif method.startswith("ours without hints"):
                a = extract_matrix(f, shape)
            else:
                a = extract_matrix(f, shape, kernel=w.shape, padding=1)
            calls[method] = f.calls
            return a
        return fn

    def check(out: Any) -> tuple[bool, str]:
        a = getattr(out, "sparse", out)
        if a.shape != ref.shape:
            return False, f"shape {a.shape} instead of {ref.shape}"
        err = float(abs(a - ref).max()) / scale
        return err <= RTOL, f"returns {type(out).__name__}, max rel err {err:.0e}"

    for method in METHODS:
        r = row[method]
        r.nnz = ref.nnz
        measure_inline(r, extract(method), check, settings, size=None)
        r.extra["calls"] = calls.get(method)
        r.note = f"{calls.get(method)} calls; {r.note}"
    ours, blind, onehot = (row[m] for m in METHODS)
    for r in (blind, onehot):
        if ours.time_s and r.time_s:
            r.ratio = r.time_s / ours.time_s
    if blind.extra.get("calls") is not None and onehot.extra.get("calls"):
        blind.note = (f"{blind.note}; calls {blind.extra['calls']} vs one-hot "
                      f"{onehot.extra['calls']}")
    ours.note = "reference; " + ours.note
    return list(row.values())

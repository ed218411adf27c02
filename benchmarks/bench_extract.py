"""extract_matrix by structural probing against naive one-hot probing, in one run.

The black box is a hand-written numpy conv layer (3 -> 16 channels, 64x64,
3x3 kernel, padding 1).  Structural probing colours the input positions so
that positions whose output footprints do not overlap share a probe: it needs
``C_in * 3 * 3 = 27`` probes plus the zero input and two verification calls
(<= 30 calls), where one-hot probing needs one call per input element
(3 * 64 * 64 = 12,288).  Both results are compared with ``layer_matrix``.

Usage: ``python benchmarks/bench_extract.py [--quick]`` (``--quick`` times
1,024 one-hot probes and scales the time up to 12,288, saying so).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from toeplitz_conv import layer_matrix
from toeplitz_conv.check import extract_matrix


def make_layer(w: np.ndarray):
    c_out, c_in, kh, kw = w.shape

    def forward(x: np.ndarray) -> np.ndarray:
        h, wd = x.shape[1:]
        xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
        y = np.zeros((c_out, h * wd))
        for i in range(kh):          # one (C_out x C_in) @ (C_in x H*W) product per tap
            for j in range(kw):
                y += w[:, :, i, j] @ xp[:, i:i + h, j:j + wd].reshape(c_in, -1)
        return y.reshape(c_out, h, wd)
    return forward


class Counter:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    w = rng.standard_normal((16, 3, 3, 3))
    shape = (3, 64, 64)
    forward = make_layer(w)
    ref = layer_matrix(w, shape, padding=1)

    f = Counter(forward)
    t0 = time.perf_counter()
    a, info = extract_matrix(f, shape, kernel=w.shape, padding=1, return_info=True)
    t_col = time.perf_counter() - t0
    err_col = float(abs(a.sparse - ref.sparse).max())

    g = Counter(forward)
    n = int(np.prod(shape))
    if args.quick:
        sample = 1024
        t0 = time.perf_counter()
        x = np.zeros(n)
        for j in range(sample):
            x[j] = 1.0
            g(x.reshape(shape))
            x[j] = 0.0
        t_naive = (time.perf_counter() - t0) * n / sample
        naive_calls, err_naive, note = n + 3, float("nan"), " (extrapolated from 1,024 probes)"
    else:
        t0 = time.perf_counter()
        b, naive_info = extract_matrix(g, shape, return_info=True)
        t_naive = time.perf_counter() - t0
        naive_calls, err_naive, note = naive_info.calls, float(abs(b - ref.sparse).max()), ""

    print(f"layer 3 -> 16 channels, 64x64, 3x3, padding 1: matrix {ref.shape}, nnz {ref.nnz}")
    x = rng.standard_normal(shape)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        forward(x)
        times.append(time.perf_counter() - t0)
    print(f"one call of the black box: {np.median(times) * 1e3:.2f} ms (median of 5)")
    print(f"structural probing: {info.calls:6d} calls ({info.probes} probes), "
          f"{t_col:8.3f} s, max |A - layer_matrix| = {err_col:.1e}, "
          f"returns {type(a).__name__}")
    print(f"one-hot probing:    {naive_calls:6d} calls, {t_naive:8.3f} s{note}, "
          f"max |A - layer_matrix| = {err_naive:.1e}")
    print(f"ratio: {naive_calls / info.calls:.0f}x fewer calls, "
          f"{t_naive / t_col:.1f}x less time")


if __name__ == "__main__":
    main()

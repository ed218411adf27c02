"""Singular values of a conv layer: FFT block-diagonalisation vs dense SVD, in one run.

* 16 -> 16 channels, 16x16 input, 3x3 kernel, circular "same" layer (a 4096 x
  4096 matrix): ``singular_values`` vs ``numpy.linalg.svd`` of the dense
  ``layer_matrix``; prints both times, the ratio (target >= 1000x) and the
  largest disagreement relative to the largest singular value (target <= 1e-10).
* 64 -> 64 channels, 32x32 input, 3x3 kernel (a 65536 x 65536 matrix, out of
  reach for a dense SVD): the FFT time (target well under a second).

The largest singular value from ``spectral_norm`` (``svds`` on the sparse
matrix) is printed for the first layer as a cross-check.  (At 64 -> 64, 32x32
ARPACK needs minutes: the top of a conv layer's spectrum is tightly clustered.)

FFT times are the best of several runs; the dense SVD runs once.

Usage: ``python benchmarks/bench_spectrum.py [--quick]`` (``--quick`` uses an 8x8
input for the dense comparison).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from toeplitz_conv import layer_matrix, singular_values, spectral_norm

try:
    from bench_build import timings
except ImportError:  # run as a module from the repository root
    from benchmarks.bench_build import timings


def best_time(fn, repeat=5):
    """Fastest of ``repeat`` runs: on a shared machine the minimum is the least noisy."""
    return float(np.min(timings(fn, repeat)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8x8 input for the dense SVD")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    n = 8 if args.quick else 16
    w = rng.standard_normal((16, 16, 3, 3))
    shape = (16, n, n)
    dense = layer_matrix(w, shape, padding="same", padding_mode="circular").toarray()
    t0 = time.perf_counter()
    s_dense = np.linalg.svd(dense, compute_uv=False)
    t_dense = time.perf_counter() - t0
    t_fft = best_time(lambda: singular_values(w, shape))
    s_fft = singular_values(w, shape)
    err = float(np.max(np.abs(s_fft - s_dense)) / s_dense[0])
    print(f"16->16, {n}x{n}, 3x3 circular ({dense.shape[0]}x{dense.shape[1]} matrix)")
    print(f"  dense numpy.linalg.svd : {t_dense:9.3f} s")
    print(f"  FFT singular_values    : {t_fft * 1e3:9.3f} ms")
    print(f"  ratio dense / FFT      : {t_dense / t_fft:9.0f} x   (target >= 1000 x)")
    print(f"  max |difference| / s_max: {err:.2e}   (target <= 1e-10)")

    t0 = time.perf_counter()
    norm = spectral_norm(w, shape, padding="same", padding_mode="circular")
    t_svds = time.perf_counter() - t0
    print(f"  svds spectral_norm     : {t_svds:9.3f} s, relative difference from the FFT "
          f"maximum {abs(norm - s_fft[0]) / s_fft[0]:.1e}")

    w64 = rng.standard_normal((64, 64, 3, 3))
    shape64 = (64, 32, 32)
    t64 = best_time(lambda: singular_values(w64, shape64), repeat=3)
    s64 = singular_values(w64, shape64)
    print("64->64, 32x32, 3x3 circular (65536x65536 matrix; dense SVD out of reach)")
    print(f"  FFT singular_values    : {t64 * 1e3:9.1f} ms for {s64.size} values "
          f"(target well under 1 s)")

if __name__ == "__main__":
    main()

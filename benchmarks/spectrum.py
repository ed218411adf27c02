"""Singular values of a circular conv layer: FFT block-diagonalisation against dense SVD.

* 16 -> 16 channels, 16x16 input, 3x3 kernel, circular "same" layer (a
  4096 x 4096 matrix): ``singular_values`` against ``numpy.linalg.svd`` of
  the dense ``layer_matrix`` (run in a subprocess: LAPACK's copy of the
  matrix is no numpy array, so tracemalloc would not see it), and the
  largest one from ``spectral_norm`` (``scipy.sparse.linalg.svds`` on the
  sparse matrix) as a cross-check.
* 64 -> 64 channels, 32x32 input (a 65536 x 65536 matrix): the FFT alone;
  the dense SVD is beyond the memory budget, and ARPACK needs minutes there
  (the top of a conv layer's spectrum is tightly clustered), so ``svds`` is
  not run.

Results agree when the largest difference, relative to the largest
singular value, is at most :data:`RTOL`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toeplitz_conv import layer_matrix, singular_values, spectral_norm

from .measure import Result, Settings, measure_inline, measure_subprocess, needs

WORKLOAD = "singular values"
# (C_in = C_out, H=W), kernel 3x3, circular "same" padding.
CASES = [(16, 16), (64, 32)]
QUICK_CASES = [(4, 8)]
K = 3
METHODS = ["ours singular_values (FFT)", "numpy svd (dense)", "svds spectral_norm"]
RTOL = 1e-10
# svds is run only up to this matrix size: beyond it ARPACK takes minutes.
SVDS_MAX_ROWS = 4096


def weight(c: int) -> np.ndarray:
    """The layer's weight, the same in this process and in the worker."""
    return np.random.default_rng(6).standard_normal((c, c, K, K))


def dense_need(m: int) -> float:
    """Bytes for the dense matrix plus LAPACK's Fortran-order copy of it."""
    return 2 * 8.0 * m * m


def agrees(ref: np.ndarray) -> Any:
    """A check that singular values (all, or the largest only) agree with ``ref``."""
    def check(out: Any) -> tuple[bool, str]:
        s = np.sort(np.atleast_1d(np.asarray(out, dtype=float)))[::-1]
        err = float(np.max(np.abs(s - ref[:s.size]))) / float(ref[0])
        return err <= RTOL, f"max rel diff {err:.0e}"
    return check


def worker_case(method: str, params: dict[str, Any]) -> tuple[Any, Any, None, None]:
    """The dense SVD, measured in a fresh interpreter (see :mod:`benchmarks._worker`)."""
    c, n = params["c"], params["n"]
    w = weight(c)
    dense = layer_matrix(w, (c, n, n), padding="same", padding_mode="circular").toarray()
    ref = np.sort(singular_values(w, (c, n, n)).ravel())[::-1]
    return lambda: np.linalg.svd(dense, compute_uv=False), agrees(ref), None, None


def run(settings: Settings) -> list[Result]:
    """One row per method and layer; ratios are each method's time over the FFT's."""
    results = []
    for c, n in (QUICK_CASES if settings.quick else CASES):
        results += _case(c, n, settings)
    return results


def _case(c: int, n: int, settings: Settings) -> list[Result]:
    shape = (c, n, n)
    m = c * n * n
    case = f"{c}->{c} {n}x{n} 3x3 circular ({m}x{m})"
    extra = {"c": c, "n": n}
    row = {meth: Result(WORKLOAD, case, meth, extra=dict(extra)) for meth in METHODS}
    w = weight(c)
    A = layer_matrix(w, shape, padding="same", padding_mode="circular")
    for r in row.values():
        r.nnz = A.nnz
    ref = np.sort(singular_values(w, shape).ravel())[::-1]
    ours = row[METHODS[0]]
    measure_inline(ours, lambda: singular_values(w, shape), agrees(ref), settings,
                   size=lambda s: s.nbytes)
    ours.note = f"reference; {ref.size} values"

    dense = row["numpy svd (dense)"]
    dense.status = needs(dense_need(m), settings) or "ok"
    if dense.status == "ok":
        measure_subprocess(dense, __name__, dense.method, extra, settings)

    svds = row["svds spectral_norm"]
    if m > SVDS_MAX_ROWS:
        svds.status = "not run (ARPACK: minutes)"
    else:
        measure_inline(svds, lambda: spectral_norm(w, shape, padding="same",
                                                   padding_mode="circular"),
                       agrees(ref), settings, size=None)
        svds.note = "largest value only; " + svds.note
    for r in (dense, svds):
        if r.time_s is not None and ours.time_s:
            r.ratio = r.time_s / ours.time_s
    return list(row.values())

"""1-D full convolution matrix, kernel 7: ours against diags_array, PyLops, scipy.linalg.

PyLops ``convmtx(h, n, sparse=True)`` and ``scipy.linalg.convolution_matrix``
both build a dense ``(n + k - 1) x n`` array first (PyLops: the Toeplitz of
``n + 2k - 2`` rows, then a row slice); their memory need is computed from
that before they are called.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from toeplitz_conv import conv_matrix

from .measure import (
    Result,
    Settings,
    measure_inline,
    measure_ours,
    needs,
    not_run,
    peer_missing,
    same_matrix,
)

WORKLOAD = "1-D build"
K = 7
SIZES = [10**3, 4000, 10**4, 31_623, 10**5, 316_228, 10**6, 3_162_278, 10**7]
QUICK_SIZES = [100, 1000, 4000]
METHODS = ["ours", "fill floor", "diags_array", "pylops convmtx", "scipy convolution_matrix"]


def diags_build(w: np.ndarray, n: int) -> sp.csr_array:
    """What a user writes by hand: one diagonal per tap, then CSR."""
    k = len(w)
    return sp.diags_array([np.full(n, w[m]) for m in range(k)], offsets=[-m for m in range(k)],
                          shape=(n + k - 1, n)).tocsr()


def pylops_build(w: np.ndarray, n: int):
    from pylops.utils.signalprocessing import convmtx
    with warnings.catch_warnings():
        # convmtx warns on every call that its convention changed in 2.2.0.
        warnings.simplefilter("ignore", FutureWarning)
        return convmtx(w, n, sparse=True)


def linalg_build(w: np.ndarray, n: int) -> np.ndarray:
    from scipy.linalg import convolution_matrix
    return convolution_matrix(w, n, mode="full")


def need_bytes(method: str, n: int, k: int = K) -> float:
    """Peak memory of each builder, from its algorithm (checked against tracemalloc)."""
    nnz = n * k
    if method == "ours":
        return 24.0 * nnz
    if method == "diags_array":
        return 48.0 * nnz
    if method == "pylops convmtx":       # dense Toeplitz (n + 2k - 2) x n, then DIA
        return 8.0 * (n + 2 * k - 2) * n + 48.0 * nnz
    return 8.0 * (n + k - 1) * n          # scipy.linalg.convolution_matrix: dense


def run(settings: Settings) -> list[Result]:
    rng = np.random.default_rng(0)
    w = rng.standard_normal(K)
    results = []
    for n in (QUICK_SIZES if settings.quick else SIZES):
        results += _case(w, n, settings)
    return results


def _case(w: np.ndarray, n: int, settings: Settings) -> list[Result]:
    case = f"n={n:,}"
    row = {m: Result(WORKLOAD, case, m, extra={"n": n}) for m in METHODS}
    status = needs(need_bytes("ours", n), settings)
    if status:
        return not_run(row, status)
    ref = measure_ours(row, lambda: conv_matrix(w, n, "full"), settings)
    builders = {"diags_array": (lambda: diags_build(w, n), None),
                "pylops convmtx": (lambda: pylops_build(w, n), "pylops"),
                "scipy convolution_matrix": (lambda: linalg_build(w, n), None)}
    for method, (fn, module) in builders.items():
        r = row[method]
        r.nnz = ref.nnz
        r.status = (module and peer_missing(module)) or needs(need_bytes(method, n),
                                                               settings) or "ok"
        if r.status != "ok":
            continue
        measure_inline(r, fn, same_matrix(ref), settings)
        if r.time_s is not None:
            r.ratio = r.time_s / row["ours"].time_s
    return list(row.values())

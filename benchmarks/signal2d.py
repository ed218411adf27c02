"""2-D convolution matrices (doubly-block Toeplitz): ours against ``sparse-convolution``.

``sparse_convolution.Toeplitz_convolution2d(x_shape, k, mode,
method="precomputed", backend="numpy")`` always builds the matrix of the
*full* convolution (its ``_dt``, a ``csr_matrix``) and crops the output
rows when it is applied, so for ``mode="same"`` our matrix is compared with
the matching row subset of its matrix, and its build time is what a user
pays for a ``same`` operator.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from toeplitz_conv import conv_matrix

from .measure import (
    Result,
    Settings,
    csr_bytes,
    measure_inline,
    measure_ours,
    needs,
    not_run,
    peer_missing,
)

WORKLOAD = "2-D build"
SIZES = [64, 128, 256, 512, 1000, 2048]
QUICK_SIZES = [8, 16, 32]
KERNELS = [3, 5]
MODES = ["full", "same"]
METHODS = ["ours", "fill floor", "sparse-convolution"]
PEER_NOTE = "builds the full matrix; same = its rows cropped"


def spconv_build(k: np.ndarray, n: int, mode: str):
    from sparse_convolution import Toeplitz_convolution2d
    return Toeplitz_convolution2d((n, n), k, mode=mode, method="precomputed",
                                  backend="numpy")


def spconv_rows(k_shape: tuple[int, int], n: int, mode: str) -> np.ndarray:
    """Rows of sparse-convolution's full matrix that its ``mode`` output keeps."""
    from sparse_convolution._precomputed import _crop_indices
    so = (n + k_shape[0] - 1, n + k_shape[1] - 1)
    t, b, left, right = _crop_indices(so, k_shape, (n, n), mode)
    keep = np.zeros(so, dtype=bool)
    keep[t:b, left:right] = True
    return np.flatnonzero(keep.ravel())


def spconv_check(ref: sp.csr_array, k_shape: tuple[int, int], n: int, mode: str):
    def check(conv) -> tuple[bool, str]:
        full = sp.csr_array(conv._dt)
        sub = full[spconv_rows(k_shape, n, mode)] if mode != "full" else full
        if sub.shape != ref.shape:
            return False, f"shape {sub.shape} instead of {ref.shape}"
        diff = (sub != ref).nnz
        if diff:
            return False, f"{diff} entries differ"
        return True, PEER_NOTE if mode != "full" else ""
    return check


def need_bytes(method: str, n: int, k: int) -> float:
    """Peak memory from each builder's algorithm (tracemalloc: ~19 and ~33 B/entry)."""
    full_nnz = n * n * k * k
    if method == "ours":
        return 24.0 * full_nnz
    # sparse-convolution: n shifted COO copies, hstack, tocsr.
    return 40.0 * full_nnz


def run(settings: Settings) -> list[Result]:
    rng = np.random.default_rng(1)
    results = []
    for k in KERNELS:
        w = rng.standard_normal((k, k))
        for mode in MODES:
            for n in (QUICK_SIZES if settings.quick else SIZES):
                results += _case(w, n, mode, settings)
    return results


def _case(w: np.ndarray, n: int, mode: str, settings: Settings) -> list[Result]:
    k = w.shape[0]
    case = f"{k}x{k} {mode} {n}x{n}"
    extra = {"n": n, "k": k, "mode": mode}
    row = {m: Result(WORKLOAD, case, m, extra=dict(extra)) for m in METHODS}
    status = needs(need_bytes("ours", n, k), settings)
    if status:
        return not_run(row, status)
    ref = measure_ours(row, lambda: conv_matrix(w, (n, n), mode), settings)
    r = row["sparse-convolution"]
    r.nnz = ref.nnz
    r.status = (peer_missing("sparse_convolution")
                or needs(need_bytes(r.method, n, k), settings) or "ok")
    if r.status == "ok":
        measure_inline(r, lambda: spconv_build(w, n, mode), spconv_check(ref, (k, k), n, mode),
                       settings, size=lambda conv: csr_bytes(conv._dt))
        if r.time_s is not None:
            r.ratio = r.time_s / row["ours"].time_s
    return list(row.values())

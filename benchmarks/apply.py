"""Applying the matrix to a batch of 256 inputs, against FFT convolution and torch.

Shows when the matrix route pays off: ``A.apply(X)`` (a sparse product with
the matrix already built, and once more including the build) against
``scipy.signal.fftconvolve`` / ``oaconvolve`` along the signal axes and
``torch.nn.functional.conv1d`` / ``conv2d`` (float64, flipped kernel, full
padding; run in a subprocess so its memory is seen).  Results are compared
with ours to rounding (FFT and direct sums round differently).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toeplitz_conv import conv_matrix

from .measure import (
    Result,
    Settings,
    measure_inline,
    measure_subprocesses,
    needs,
    peer_missing,
)

WORKLOAD = "apply batch"
BATCH = 256
# (ndim, kernel size, input size)
CASES = [(1, 7, 1000), (1, 7, 10_000), (1, 7, 100_000), (1, 63, 10_000), (1, 63, 100_000),
         (2, 3, 32), (2, 3, 128), (2, 7, 32), (2, 7, 128)]
QUICK_CASES = [(1, 7, 64), (2, 3, 8)]
METHODS = ["ours apply", "ours build+apply", "fftconvolve", "oaconvolve", "torch conv"]
RTOL = 1e-9


def torch_need(ndim: int, k: int, n: int) -> float:
    """float64 conv{1,2}d on CPU unfolds the input (im2col): B x k^d x out_size values."""
    out = (n + k - 1) ** ndim
    return 8.0 * BATCH * (k**ndim + 2) * out


def data(ndim: int, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    w = rng.standard_normal((k,) * ndim)
    x = rng.standard_normal((BATCH,) + (n,) * ndim)
    return w, x


def close_to(ref: np.ndarray):
    scale = float(np.max(np.abs(ref)))

    def check(out: Any) -> tuple[bool, str]:
        out = np.asarray(out)
        if out.shape != ref.shape:
            return False, f"shape {out.shape} instead of {ref.shape}"
        err = float(np.max(np.abs(out - ref))) / scale
        return err <= RTOL, f"max rel err {err:.0e}"
    return check


def worker_case(method: str, params: dict[str, Any]):
    import torch
    ndim, k, n = params["ndim"], params["k"], params["n"]
    w, x = data(ndim, k, n)
    conv = torch.nn.functional.conv1d if ndim == 1 else torch.nn.functional.conv2d
    # conv{1,2}d correlates: flip the kernel, pad k-1 for the full output.
    wt = torch.from_numpy(np.ascontiguousarray(np.flip(w)))[None, None]
    xt = torch.from_numpy(x)[:, None]

    def fn():
        with torch.no_grad():
            return conv(xt, wt, padding=k - 1)[:, 0].numpy()

    ref = conv_matrix(w, (n,) * ndim, "full").apply(x)
    return fn, close_to(ref), None, None


def run(settings: Settings) -> list[Result]:
    """One row per method and case; torch's rows are measured in worker processes."""
    results = []
    torch_jobs: list[tuple[Result, str, dict[str, Any]]] = []
    for ndim, k, n in (QUICK_CASES if settings.quick else CASES):
        results += _case(ndim, k, n, settings, torch_jobs)
    # One interpreter per case in a full run (clean resident peaks); a quick
    # run shares one, as importing torch costs more than its tiny cases.
    for batch in ([torch_jobs] if settings.quick else [[j] for j in torch_jobs]):
        if batch:
            measure_subprocesses(__name__, batch, settings)
    for r in results:
        if r.method == "torch conv" and r.time_s is not None:
            base = next(b for b in results if b.case == r.case and b.method == "ours apply")
            r.ratio = r.time_s / base.time_s
    return results


def _case(ndim: int, k: int, n: int, settings: Settings,
          torch_jobs: list[tuple[Result, str, dict[str, Any]]]) -> list[Result]:
    """Measure our routes and scipy's here; queue torch's row in ``torch_jobs``."""
    from scipy.signal import fftconvolve, oaconvolve
    shape = (n,) * ndim
    case = f"{ndim}-D k={k} n={'x'.join(map(str, shape))} batch {BATCH}"
    extra = {"ndim": ndim, "k": k, "n": n}
    row = {m: Result(WORKLOAD, case, m, extra=dict(extra)) for m in METHODS}
    w, x = data(ndim, k, n)
    A = conv_matrix(w, shape, "full")
    A.sparse  # noqa: B018  (build the CSR once; "ours apply" reuses it)
    ref = A.apply(x)
    for r in row.values():
        r.nnz = A.nnz
    axes = tuple(range(1, ndim + 1))
    wb = w[None]
    fns = {"ours apply": lambda: A.apply(x),
           "ours build+apply": lambda: conv_matrix(w, shape, "full").apply(x),
           "fftconvolve": lambda: fftconvolve(x, wb, mode="full", axes=axes),
           "oaconvolve": lambda: oaconvolve(x, wb, mode="full", axes=axes)}
    for method, fn in fns.items():
        measure_inline(row[method], fn, close_to(ref), settings, size=None)
    torch_row = row["torch conv"]
    torch_row.status = (peer_missing("torch") or needs(torch_need(ndim, k, n), settings)
                        or "ok")
    if torch_row.status == "ok":
        torch_jobs.append((torch_row, "torch conv", extra))
    base = row["ours apply"].time_s
    for r in row.values():
        if r.time_s is not None and r.method not in ("ours apply", "torch conv"):
            r.ratio = r.time_s / base
    row["ours apply"].note = "reference; " + row["ours apply"].note
    return list(row.values())

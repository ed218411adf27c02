"""Conv-layer matrices: ours against ``torch.autograd.functional.jacobian``.

The jacobian of ``conv2d(x, w, padding=1)`` with respect to ``x`` is the
layer's matrix, dense.  With ``vectorize=True`` torch vmaps a vector-Jacobian
product over the ``m x m`` identity basis, so it holds that basis and the
``m x n`` result at once (plus the batched conv-transpose output); its need
is computed from this before it runs, in a subprocess whose peak resident
size is measured.  The "fill floor" is the time to merely write data,
indices and taps arrays of our nnz.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toeplitz_conv import layer_matrix

from .measure import (
    Result,
    Settings,
    measure_ours,
    measure_subprocess,
    needs,
    peer_missing,
)

WORKLOAD = "layer build"
# (C_in, C_out, H=W)
CASES = [(16, 16, 32), (64, 64, 56)]
QUICK_CASES = [(2, 2, 8)]
K = 3
METHODS = ["ours", "fill floor", "torch jacobian"]


def weight(c_in: int, c_out: int) -> np.ndarray:
    return np.random.default_rng(2).standard_normal((c_out, c_in, K, K)).astype(np.float32)


def jacobian_need(c_in: int, c_out: int, n: int) -> float:
    """Peak resident bytes of the vectorised jacobian, float32.

    It holds the identity basis (m x m), the vmapped vjp output and the
    result (m x n each) plus autograd buffers; measured (resident high-water
    mark) at 8->8 channels, 24x24, the peak was 4.5 times the ``4 m n``
    bytes of the result.
    """
    m = c_out * n * n
    cols = c_in * n * n
    return 4.5 * 4.0 * m * cols


def worker_case(method: str, params: dict[str, Any]):
    import torch
    c_in, c_out, n = params["c_in"], params["c_out"], params["n"]
    w = weight(c_in, c_out)
    wt = torch.from_numpy(w)
    x = torch.from_numpy(np.random.default_rng(3).standard_normal((c_in, n, n))
                         .astype(np.float32))

    def f(inp):
        return torch.nn.functional.conv2d(inp[None], wt, padding=1)[0]

    def fn():
        return torch.autograd.functional.jacobian(f, x, vectorize=True)

    def check(jac) -> tuple[bool, str]:
        ref = layer_matrix(w, (c_in, n, n), padding=1).sparse
        dense = jac.reshape(ref.shape[0], ref.shape[1]).numpy()
        rows, cols = np.nonzero(dense)
        ref_coo = ref.tocoo()
        same_pattern = (len(rows) == ref.nnz and np.array_equal(
            rows * ref.shape[1] + cols,
            np.sort(ref_coo.row.astype(np.int64) * ref.shape[1] + ref_coo.col)))
        if not same_pattern:
            return False, "different sparsity pattern"
        err = float(np.max(np.abs(dense[rows, cols] - ref[rows, cols])))
        # oneDNN may use Winograd for 3x3 float32, so allow float32 rounding.
        ok = err <= 1e-5 * float(np.max(np.abs(w)))
        return ok, ("exact" if err == 0 else f"max abs err {err:.1e}")

    return fn, check, None, lambda jac: jac.numel() * jac.element_size()


def run(settings: Settings) -> list[Result]:
    results = []
    for c_in, c_out, n in (QUICK_CASES if settings.quick else CASES):
        results += _case(c_in, c_out, n, settings)
    return results


def _case(c_in: int, c_out: int, n: int, settings: Settings) -> list[Result]:
    case = f"{c_in}->{c_out} {n}x{n} 3x3 pad 1"
    extra = {"c_in": c_in, "c_out": c_out, "n": n}
    row = {m: Result(WORKLOAD, case, m, extra=dict(extra)) for m in METHODS}
    w = weight(c_in, c_out)
    ref = measure_ours(row, lambda: layer_matrix(w, (c_in, n, n), padding=1), settings)
    ours = row["ours"]
    for r in row.values():
        r.nnz = ref.nnz
    jac = row["torch jacobian"]
    jac.status = peer_missing("torch") or needs(jacobian_need(c_in, c_out, n), settings) or "ok"
    if jac.status == "ok":
        measure_subprocess(jac, __name__, "torch jacobian", extra, settings)
        if jac.time_s is not None:
            jac.ratio = jac.time_s / ours.time_s
    return list(row.values())

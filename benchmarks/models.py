"""A network's exact Jacobian at a point: ``from_torch(x=)`` against torch's autograd.

* The model: ``Conv2d(3, 16, 3, padding=1)`` -> ReLU -> ``Conv2d(16, 16, 3,
  padding=1)`` on a 3x32x32 input, float64, at a standard normal ``x``.  Its
  Jacobian is 16384 x 3072.
* "ours from_torch(x=).sparse": reading the model, linearising the ReLU at
  ``x`` and forming the exact sparse product (the Jacobian), all timed.
* "torch jacobian (vectorized)": ``torch.autograd.functional.jacobian(f, x,
  vectorize=True)``, the dense Jacobian (vmapped vector-Jacobian products
  over the 16384 x 16384 identity basis), in a fresh subprocess whose
  resident high-water mark is its peak memory.  Equal to ours to 1e-10
  (largest absolute difference), checked before it is timed.
* "ours spectral_norm()": the largest singular value of the same linear part
  (the Jacobian at ``x``), matrix-free (ARPACK through the layers), on the
  operator already built.  "torch power iteration": ``v <- J^T J v`` with
  ``torch.func.jvp``/``vjp`` at ``x`` until the estimate changes by less
  than 1e-12 relatively; equal when within :data:`NORM_RTOL` of ours.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .measure import Result, Settings, measure_inline, measure_subprocess, needs, peer_missing

WORKLOAD = "model jacobian"
# (C_in, C_mid = C_out, H = W)
CASES = [(3, 16, 32)]
QUICK_CASES = [(2, 3, 6)]
METHODS = ["ours from_torch(x=).sparse", "torch jacobian (vectorized)", "ours spectral_norm()",
           "torch power iteration"]
JAC_ATOL = 1e-10
NORM_RTOL = 1e-8
POWER_TOL = 1e-12
# At quick sizes the run only shows that every row fills: a looser stop.
QUICK_NORM_RTOL, QUICK_POWER_TOL = 1e-5, 1e-8
POWER_MAX_ITER = 20000


def model(c_in: int, c: int) -> Any:
    """The conv-ReLU-conv network, the same in this process and in the worker."""
    import torch

    torch.manual_seed(28)
    return torch.nn.Sequential(torch.nn.Conv2d(c_in, c, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(c, c, 3, padding=1)).double().eval()


def point(c_in: int, n: int) -> np.ndarray:
    return np.random.default_rng(28).standard_normal((c_in, n, n))


def jacobian_need(c_in: int, c: int, n: int) -> float:
    """Peak resident bytes of the vectorised jacobian, float64.

    The vmapped backward pass holds the ``m x m`` identity basis and, at
    once, the ``m x m`` gradients at the ReLU (``m`` = 16 * 32 * 32 outputs),
    plus the ``m x n`` result: measured (resident high-water mark) at
    3->16->16, 32x32, the peak was 8.64 GB, 4.0 ``m^2`` doubles.
    """
    m = c * n * n
    return 4.2 * 8.0 * m * m + 8.0 * m * c_in * n * n


def _ours_jacobian(c_in: int, c: int, n: int) -> Any:
    import toeplitz_conv as tc

    net, x = model(c_in, c), point(c_in, n)
    return lambda: tc.from_torch(net, (c_in, n, n), x=x).sparse


def _power_iteration(c_in: int, c: int, n: int, tol: float) -> Any:
    import torch

    net = model(c_in, c)
    x = torch.from_numpy(point(c_in, n))

    def f(t: Any) -> Any:
        return net(t[None])[0]

    def run() -> float:
        with torch.no_grad():
            _, vjp = torch.func.vjp(f, x)
            v = torch.ones_like(x)
            v /= v.norm()
            sigma = 0.0
            for _ in range(POWER_MAX_ITER):
                _, u = torch.func.jvp(f, (x,), (v,))
                (w,) = vjp(u)
                new = float(w.norm()) ** 0.5
                v = w / w.norm()
                if abs(new - sigma) <= tol * new:
                    return new
                sigma = new
            return sigma
    return run


def worker_case(method: str, params: dict[str, Any]) -> tuple[Any, Any, None, Any]:
    """torch's side, measured in a fresh interpreter (see :mod:`benchmarks._worker`)."""
    import torch

    c_in, c, n = params["c_in"], params["c"], params["n"]
    if method == "torch power iteration":
        ref, rtol = params["norm"], params["rtol"]

        def same_norm(s: float) -> tuple[bool, str]:
            err = abs(s - ref) / ref
            return err <= rtol, f"rel diff {err:.0e} from ours"
        return _power_iteration(c_in, c, n, params["tol"]), same_norm, None, None
    net = model(c_in, c)
    x = torch.from_numpy(point(c_in, n))

    def fn() -> Any:
        return torch.autograd.functional.jacobian(lambda t: net(t[None])[0], x, vectorize=True)

    def check(jac: Any) -> tuple[bool, str]:
        ours = _ours_jacobian(c_in, c, n)()
        dense = jac.reshape(ours.shape).numpy()
        err = float(np.max(np.abs(dense - ours.toarray())))
        return err <= JAC_ATOL, f"max abs diff {err:.0e} from ours"

    return fn, check, None, lambda jac: jac.numel() * jac.element_size()


def run(settings: Settings) -> list[Result]:
    results = []
    for c_in, c, n in (QUICK_CASES if settings.quick else CASES):
        results += _case(c_in, c, n, settings)
    return results


def _case(c_in: int, c: int, n: int, settings: Settings) -> list[Result]:
    case = f"{c_in}->{c}->{c} conv-ReLU-conv {n}x{n} pad 1, float64"
    extra: dict[str, Any] = {"c_in": c_in, "c": c, "n": n}
    row = {m: Result(WORKLOAD, case, m, extra=dict(extra)) for m in METHODS}
    missing = peer_missing("torch")
    if missing:
        for r in row.values():
            r.status = missing
        return list(row.values())
    import toeplitz_conv as tc

    build = _ours_jacobian(c_in, c, n)
    J = build()
    for r in row.values():
        r.nnz = J.nnz
    ours = row[METHODS[0]]
    measure_inline(ours, build, lambda out: (True, ""), settings)
    ours.equal = True
    ours.note = f"reference: {J.shape[0]}x{J.shape[1]}, {J.nnz} nonzeros"

    jac = row["torch jacobian (vectorized)"]
    jac.status = needs(jacobian_need(c_in, c, n), settings) or "ok"
    if jac.status == "ok":
        measure_subprocess(jac, __name__, jac.method, extra, settings)
        if jac.time_s is not None and ours.time_s:
            jac.ratio = jac.time_s / ours.time_s

    A = tc.from_torch(model(c_in, c), (c_in, n, n), x=point(c_in, n))
    sigma = A.spectral_norm()
    norm = row["ours spectral_norm()"]
    measure_inline(norm, A.spectral_norm, lambda s: (abs(s - sigma) <= NORM_RTOL * sigma, ""),
                   settings, size=None)
    norm.note = f"reference: {sigma:.12g} (product of layer norms {A.layer_bound():.6g})"
    power = row["torch power iteration"]
    tol, rtol = (QUICK_POWER_TOL, QUICK_NORM_RTOL) if settings.quick else (POWER_TOL, NORM_RTOL)
    measure_subprocess(power, __name__, power.method,
                       {**extra, "norm": sigma, "tol": tol, "rtol": rtol}, settings)
    power.note = f"stops at relative change {tol:g}; " + power.note
    if power.time_s is not None and norm.time_s:
        power.ratio = power.time_s / norm.time_s
    return list(row.values())

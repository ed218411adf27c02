"""Symbolic proofs: ``prove_equivalence(5, n)`` against the naive sympy route.

The naive route is what one writes by hand: a dense ``sympy.Matrix`` of the
band (``(n + 4) x n`` entries, O(n^2) to build), its product with the vector
of input symbols, and every row expanded against the direct convolution sum.
Both run in a subprocess (sympy's cache cleared before each run, peak from
resident high-water mark); each must return a proof that holds.
"""

from __future__ import annotations

from typing import Any

from .measure import Result, Settings, measure_subprocess

WORKLOAD = "symbolic proof"
K = 5
SIZES = [256, 1024, 4096]
QUICK_SIZES = [8, 16]
METHODS = ["ours prove_equivalence", "naive sympy"]


def naive_proof(k: int, n: int) -> bool:
    """Prove ``A x == w * x`` (full convolution) entry by entry with a dense band matrix."""
    import sympy
    w = sympy.symbols(f"w_0:{k}")
    x = sympy.symbols(f"x_0:{n}")
    band = sympy.Matrix(n + k - 1, n, lambda i, j: w[i - j] if 0 <= i - j < k else 0)
    y = band * sympy.Matrix(x)
    for i in range(n + k - 1):
        direct = sum(w[t] * x[i - t] for t in range(max(0, i - n + 1), min(k, i + 1)))
        if sympy.expand(y[i] - direct) != 0:
            return False
    return True


def symbolic_available() -> bool:
    try:
        from toeplitz_conv.symbolic import prove_equivalence  # noqa: F401
    except ImportError:
        return False
    return True


def worker_case(method: str, params: dict[str, Any]):
    from sympy.core.cache import clear_cache
    n = params["n"]
    if method == "naive sympy":
        def fn():
            return naive_proof(K, n)

        def check(holds):
            return bool(holds), "" if holds else "naive route did not prove it"
    else:
        from toeplitz_conv.symbolic import prove_equivalence

        def fn():
            return prove_equivalence(K, n)

        def check(proof):
            return bool(proof.holds), "" if proof.holds else "Proof.holds is False"
    return fn, check, clear_cache, None


def run(settings: Settings) -> list[Result]:
    results = []
    available = symbolic_available()
    for n in (QUICK_SIZES if settings.quick else SIZES):
        case = f"k=5 n={n:,}"
        row = {m: Result(WORKLOAD, case, m, extra={"n": n, "k": K}) for m in METHODS}
        for r in row.values():
            r.nnz = n * K
        ours = row["ours prove_equivalence"]
        if available:
            measure_subprocess(ours, __name__, ours.method, {"n": n}, settings)
        else:
            ours.status = "not available"
            ours.note = "toeplitz_conv.symbolic is not in this build"
        naive = row["naive sympy"]
        measure_subprocess(naive, __name__, naive.method, {"n": n}, settings)
        if naive.time_s is not None and ours.time_s is not None:
            naive.ratio = naive.time_s / ours.time_s
        results += row.values()
    return results

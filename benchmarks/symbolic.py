"""Symbolic proofs against the naive sympy routes.

``prove_equivalence(5, n)`` against what one writes by hand with sympy's
own sparse matrices: a ``sympy.SparseMatrix`` of the band, its product with
the vector of input symbols, and every row expanded against the direct
convolution sum (the dense ``sympy.Matrix`` route is slower still, so it
would flatter us).  Target: at least 30x at n = 4096.

``prove_weight_gradient(5, 1024)`` (target <= 1.5 s) against
differentiating the whole loss ``sum_i g_i y_i`` by each weight with
``sympy.diff``; ``prove_convolution_theorem(3, n)`` (target <= 20 s at
n = 64) against forming ``F C F^{-1}`` and reducing it (O(n^3), timed at
n = 16 only).

``prove_equivalence_general`` (symbolic ``n``; ``k = 3`` and a symbolic
``k``, modes full and same) against simplifying the whole expanded
difference at once, which sympy leaves as a ``Piecewise`` it cannot reduce
for ``k >= 2``: that row is timed but says "not proved" instead of being
compared.  (At quick sizes ``k = 1``, where the naive route does prove it.)

Every measurement runs in a subprocess (sympy's cache cleared before each
call, peak from the resident high-water mark): one per case in a full run,
one for all the cases in a quick run, where starting interpreters would
cost more than the proofs.  Each of our proofs must hold.
"""

from __future__ import annotations

from typing import Any

from .measure import Result, Settings, measure_subprocesses

WORKLOAD = "symbolic proof"
GENERAL = "symbolic proof, general n"
K = 5
# n = 64 carries the "<= 2 s" target, n = 4096 the ">= 30x the naive route" one.
SIZES = [64, 256, 1024, 4096]
QUICK_SIZES = [8, 16]
METHODS = ["ours prove_equivalence", "naive sympy"]
GRADIENT = "symbolic weight gradient"
GRADIENT_METHODS = ["ours prove_weight_gradient", "naive diff of the loss"]
GRADIENT_SIZES = [256, 1024]
QUICK_GRADIENT_SIZES = [16]
THEOREM = "symbolic convolution theorem"
THEOREM_METHODS = ["ours prove_convolution_theorem", "naive F C F^-1"]
# (n, with the naive route?): the naive route is O(n^3), minutes at n = 64.
THEOREM_CASES = [(16, True), (64, False)]
QUICK_THEOREM_CASES = [(8, True)]
GENERAL_METHODS = ["ours prove_equivalence_general", "naive one-shot simplify"]
# (k, mode): k = "k" stands for a symbolic kernel size, which only our route handles.
GENERAL_CASES = [(3, "full"), ("k", "full"), ("k", "same")]
QUICK_GENERAL_CASES = [(1, "full"), ("k", "full"), ("k", "same")]


def naive_proof(k: int, n: int) -> bool:
    """Prove ``A x == w * x`` (full convolution) entry by entry with a sparse band matrix."""
    import sympy
    w = sympy.symbols(f"w_0:{k}")
    x = sympy.symbols(f"x_0:{n}")
    band = sympy.SparseMatrix(n + k - 1, n, {(j + t, j): w[t] for j in range(n)
                                             for t in range(k)})
    y = band * sympy.Matrix(x)
    for i in range(n + k - 1):
        direct = sum(w[t] * x[i - t] for t in range(max(0, i - n + 1), min(k, i + 1)))
        if sympy.expand(y[i] - direct) != 0:
            return False
    return True


def naive_general(k: int) -> bool:
    """The general-n identity simplified in one go: sum the delta first, swap nothing."""
    import sympy
    n = sympy.Symbol("n", integer=True, positive=True)
    i, j, m = sympy.symbols("i j m", integer=True)
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")
    lhs = sympy.Sum(sympy.Sum(w[m] * sympy.KroneckerDelta(j, i - m), (m, 0, k - 1)) * x[j],
                    (j, 0, n - 1)).doit()
    rhs = sympy.Sum(w[m] * sympy.Piecewise((x[i - m], (i - m >= 0) & (i - m <= n - 1)),
                                           (0, True)), (m, 0, k - 1)).doit()
    return bool(sympy.simplify(lhs - rhs) == 0)


def naive_gradient(k: int, n: int) -> bool:
    """dL/dw_m by sympy.diff of the whole loss, compared with the correlation of g with x."""
    import sympy
    w = sympy.symbols(f"w_0:{k}", real=True)
    x = sympy.symbols(f"x_0:{n}", real=True)
    g = sympy.symbols(f"g_0:{n + k - 1}", real=True)
    y = [sum(w[t] * x[i - t] for t in range(max(0, i - n + 1), min(k, i + 1)))
         for i in range(n + k - 1)]
    loss = sum(gi * yi for gi, yi in zip(g, y))
    for m in range(k):
        want = sum(g[j + m] * x[j] for j in range(n))
        if sympy.expand(sympy.diff(loss, w[m]) - want) != 0:
            return False
    return True


def naive_theorem(k: int, n: int) -> bool:
    """F C F^{-1} formed and reduced modulo the cyclotomic polynomial, entry by entry."""
    import sympy
    w = sympy.symbols(f"w_0:{k}", real=True)
    om = sympy.Symbol("omega")
    phi = sympy.cyclotomic_poly(n, om)
    c = sympy.Matrix(n, n, lambda i, j: sum(w[m] for m in range(k) if (i - m) % n == j))
    f = sympy.Matrix(n, n, lambda j, q: om ** ((j * q) % n))
    fi = sympy.Matrix(n, n, lambda j, q: om ** ((-j * q) % n)) / n
    d = f * c * fi
    for j in range(n):
        for q in range(n):
            want = sum(w[m] * om ** ((m * q) % n) for m in range(k)) if j == q else 0
            if sympy.rem(sympy.expand(d[j, q] - want), phi, om) != 0:
                return False
    return True


def symbolic_available() -> bool:
    try:
        from toeplitz_conv.symbolic import prove_equivalence  # noqa: F401
    except ImportError:
        return False
    return True


def worker_case(method: str, params: dict[str, Any]) -> tuple[Any, Any, Any, None]:
    """One proof as (call, check, clear sympy's cache, no size) for the worker."""
    from sympy.core.cache import clear_cache

    def holds(proof: Any) -> tuple[bool, str]:
        return bool(proof.holds), "" if proof.holds else "Proof.holds is False"

    if method == "naive diff of the loss":
        def check_g(ok: bool) -> tuple[bool, str]:
            return ok, "" if ok else "naive route did not prove it"
        return lambda: naive_gradient(K, params["n"]), check_g, clear_cache, None
    if method == "naive F C F^-1":
        def check_t(ok: bool) -> tuple[bool, str]:
            return ok, "" if ok else "naive route did not prove it"
        return lambda: naive_theorem(3, params["n"]), check_t, clear_cache, None
    if method == "ours prove_weight_gradient":
        from toeplitz_conv.symbolic import prove_weight_gradient
        return lambda: prove_weight_gradient(K, params["n"]), holds, clear_cache, None
    if method == "ours prove_convolution_theorem":
        from toeplitz_conv.symbolic import prove_convolution_theorem
        return lambda: prove_convolution_theorem(3, params["n"]), holds, clear_cache, None
    if method == "naive sympy":
        def check(ok: bool) -> tuple[bool, str]:
            return ok, "" if ok else "naive route did not prove it"
        return lambda: naive_proof(K, params["n"]), check, clear_cache, None
    if method == "naive one-shot simplify":
        def attempt(ok: bool) -> tuple[bool | None, str]:
            # Its failure is the finding, so it is timed rather than rejected.
            return (True, "") if ok else (None, "sympy leaves a Piecewise: not proved")
        return lambda: naive_general(params["k"]), attempt, clear_cache, None
    if method == "ours prove_equivalence":
        from toeplitz_conv.symbolic import prove_equivalence
        return lambda: prove_equivalence(K, params["n"]), holds, clear_cache, None
    import sympy

    from toeplitz_conv.symbolic import prove_equivalence_general
    k = sympy.Symbol("k", integer=True, positive=True) if params["k"] == "k" else params["k"]
    return (lambda: prove_equivalence_general(k, params["mode"]), holds, clear_cache, None)


def run(settings: Settings) -> list[Result]:
    """The fixed-n sweep, then the general-n proofs; naive/ours ratios per case."""
    available = symbolic_available()
    rows: list[dict[str, Result]] = []
    jobs: list[tuple[Result, str, dict[str, Any]]] = []
    for n in (QUICK_SIZES if settings.quick else SIZES):
        row = {m: Result(WORKLOAD, f"k=5 n={n:,}", m, nnz=n * K, extra={"n": n, "k": K})
               for m in METHODS}
        rows.append(row)
        jobs += [(r, r.method, {"n": n}) for r in row.values()]
    for n in (QUICK_GRADIENT_SIZES if settings.quick else GRADIENT_SIZES):
        row = {m: Result(GRADIENT, f"k=5 n={n:,}", m, nnz=n * K, extra={"n": n, "k": K})
               for m in GRADIENT_METHODS}
        rows.append(row)
        jobs += [(r, r.method, {"n": n}) for r in row.values()]
    for n, with_naive in (QUICK_THEOREM_CASES if settings.quick else THEOREM_CASES):
        methods = THEOREM_METHODS if with_naive else THEOREM_METHODS[:1]
        row = {m: Result(THEOREM, f"k=3 n={n}", m, nnz=3 * n, extra={"n": n, "k": 3})
               for m in methods}
        rows.append(row)
        jobs += [(r, r.method, {"n": n}) for r in row.values()]
    for k, mode in (QUICK_GENERAL_CASES if settings.quick else GENERAL_CASES):
        # The naive route has no symbolic k: that case is ours alone.
        methods = GENERAL_METHODS if k != "k" else GENERAL_METHODS[:1]
        row = {m: Result(GENERAL, f"k={k} {mode}", m, extra={"k": k, "mode": mode})
               for m in methods}
        rows.append(row)
        jobs += [(r, r.method, {"k": k, "mode": mode}) for r in row.values()]
    if not available:
        for r, method, _ in jobs:
            if method.startswith("ours"):
                r.status = "not available"
                r.note = "toeplitz_conv.symbolic is not in this build"
        jobs = [j for j in jobs if not j[1].startswith("ours")]
    if settings.quick:
        measure_subprocesses(__name__, jobs, settings)
    else:
        for job in jobs:
            measure_subprocesses(__name__, [job], settings)
    for row in rows:
        ours, *naive = row.values()
        for r in naive:
            if r.time_s is not None and ours.time_s is not None:
                r.ratio = r.time_s / ours.time_s
    return [r for row in rows for r in row.values()]

"""Speed of the symbolic proofs against a naive sympy route, in one run.

Prints times and ratios against baselines measured in the same process
(sympy's cache is cleared before every timed call, so no run profits from
an earlier one):

* ``prove_equivalence(5, n)``, full mode (target: n = 64 in <= 2 s), against
  the naive route: a dense sympy ``Matrix`` of the band (``A[i, j] = w[i-j]``)
  times the symbol vector, each row expanded against the direct sum.
* ``prove_equivalence_general`` for ``k = 3`` and a symbolic ``k`` (target
  <= 5 s), against simplifying the whole expanded difference at once.

Usage: ``python benchmarks/bench_symbolic.py [--quick]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import sympy
from sympy.core.cache import clear_cache

from toeplitz_conv.symbolic import prove_equivalence, prove_equivalence_general


def timed(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        clear_cache()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def naive_equivalence(k: int, n: int) -> bool:
    """What one would write first: a dense sympy matrix product, row by row."""
    w = sympy.symbols(f"w_0:{k}", real=True)
    x = sympy.symbols(f"x_0:{n}", real=True)
    a = sympy.Matrix(n + k - 1, n, lambda i, j: w[i - j] if 0 <= i - j < k else 0)
    y = a * sympy.Matrix(x)
    direct = [sum(w[j] * x[i - j] for j in range(k) if 0 <= i - j < n)
              for i in range(n + k - 1)]
    return all(sympy.expand(y[i] - direct[i]) == 0 for i in range(n + k - 1))


def naive_general(k: int) -> bool:
    """The general-n identity simplified in one go: sum the delta first, swap nothing.

    sympy leaves a Piecewise it cannot reduce, so this route does not prove it.
    """
    n = sympy.Symbol("n", integer=True, positive=True)
    i, j, m = sympy.symbols("i j m", integer=True)
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")
    lhs = sympy.Sum(sympy.Sum(w[m] * sympy.KroneckerDelta(j, i - m), (m, 0, k - 1)) * x[j],
                    (j, 0, n - 1)).doit()
    rhs = sympy.Sum(w[m] * sympy.Piecewise((x[i - m], (i - m >= 0) & (i - m <= n - 1)),
                                           (0, True)), (m, 0, k - 1)).doit()
    return sympy.simplify(lhs - rhs) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    print("prove_equivalence(5, n), full mode: ours vs dense sympy Matrix product")
    sizes = (64, 256) if args.quick else (64, 256, 512)
    for n in sizes:
        t_ours, p = timed(lambda n=n: prove_equivalence(5, n), repeat)
        t_naive, ok = timed(lambda n=n: naive_equivalence(5, n), repeat)
        assert p.holds and ok
        flag = "  (target <= 2 s)" if n == 64 else ""
        print(f"  n = {n:5d}: ours {t_ours:7.3f} s{flag}, naive {t_naive:7.3f} s, "
              f"naive / ours = {t_naive / t_ours:6.1f}x")
    if not args.quick:
        t_big, p = timed(lambda: prove_equivalence(5, 4096), 1)
        assert p.holds
        print(f"  n =  4096: ours {t_big:7.3f} s (naive not run: a 4100 x 4096 dense "
              f"sympy matrix)")
    print("prove_equivalence_general (symbolic n), target <= 5 s")
    t_ours, p = timed(lambda: prove_equivalence_general(3), repeat)
    t_naive, ok = timed(lambda: naive_general(3), 1)
    assert p.holds
    print(f"  k = 3: ours {t_ours:7.3f} s (target <= 5 s), naive one-shot simplify "
          f"{t_naive:7.3f} s and {'proved' if ok else 'NOT proved'}, "
          f"naive / ours = {t_naive / t_ours:6.1f}x")
    k = sympy.Symbol("k", integer=True, positive=True)
    for mode in ("full", "same"):
        t_sym, p = timed(lambda mode=mode: prove_equivalence_general(k, mode), repeat)
        assert p.holds
        print(f"  symbolic k, mode={mode!r}: ours {t_sym:7.3f} s")


if __name__ == "__main__":
    main()

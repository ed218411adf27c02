"""Build speed of conv_matrix against what a user would write instead, in one run.

Prints ratios against baselines measured in the same process:

* 1-D, kernel 7, n = 10**6, mode full, CSR: ``conv_matrix(...).sparse`` vs
  ``scipy.sparse.diags_array(...).tocsr()`` (target <= 1.5x) and vs the
  "fill floor", the time to merely write data/indices/taps arrays of the
  same nnz with numpy (target <= 2x).
* 2-D, 3x3 kernel on 1000x1000, full: time, nnz and bytes per stored entry.

Usage: ``python benchmarks/bench_build.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

from toeplitz_conv import conv_matrix

# Run as a script, the repository root is not on sys.path; the suite's helpers live there.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.measure import fill_floor, tied_bytes


def verdict(met, quick):
    """Targets are set for the full sizes; quick runs only show that everything runs."""
    return "n/a in --quick" if quick else ("met" if met else "NOT met")


def timings(fn, repeat):
    """Seconds of ``repeat`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median_time(fn, repeat=7):
    return float(np.median(timings(fn, repeat)))


def peak_bytes(fn):
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def diags_build(w, n):
    k = len(w)
    return sp.diags_array([np.full(n, w[m]) for m in range(k)], offsets=[-m for m in range(k)],
                          shape=(n + k - 1, n)).tocsr()


def bench_1d(n, k=7):
    w = np.arange(1.0, k + 1)
    ours = conv_matrix(w, n, "full").sparse
    ref = diags_build(w, n)
    assert (ours != ref).nnz == 0, "diags_array built a different matrix"
    t_ours = median_time(lambda: conv_matrix(w, n, "full").sparse)
    t_diags = median_time(lambda: diags_build(w, n))
    t_floor = median_time(fill_floor(ours.nnz, ours.data.dtype, ours.indices.dtype))
    peak = peak_bytes(lambda: conv_matrix(w, n, "full").sparse)
    return {"n": n, "nnz": ours.nnz, "ours_s": t_ours, "diags_s": t_diags, "floor_s": t_floor,
            "ratio_diags": t_ours / t_diags, "ratio_floor": t_ours / t_floor,
            "peak_bytes_per_entry": peak / ours.nnz}


def bench_2d(n, k=3):
    w = np.arange(1.0, k * k + 1).reshape(k, k)
    A = conv_matrix(w, (n, n), "full")
    t = median_time(lambda: conv_matrix(w, (n, n), "full").sparse, repeat=5)
    t_floor = median_time(fill_floor(A.nnz, A.sparse.data.dtype, A.sparse.indices.dtype))
    peak = peak_bytes(lambda: conv_matrix(w, (n, n), "full").sparse)
    return {"shape": (n, n), "nnz": A.nnz, "ours_s": t, "floor_s": t_floor,
            "ratio_floor": t / t_floor, "stored_bytes_per_entry": tied_bytes(A) / A.nnz,
            "peak_bytes_per_entry": peak / A.nnz}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    args = parser.parse_args(argv)
    n1 = 10**4 if args.quick else 10**6
    n2 = 100 if args.quick else 1000

    r = bench_1d(n1)
    print(f"1-D full, k=7, n={r['n']:,}, nnz={r['nnz']:,}")
    print(f"  conv_matrix(...).sparse   {r['ours_s'] * 1e3:8.2f} ms")
    print(f"  diags_array(...).tocsr()  {r['diags_s'] * 1e3:8.2f} ms   "
          f"ratio ours/diags = {r['ratio_diags']:.2f}  (target <= 1.5: "
          f"{verdict(r['ratio_diags'] <= 1.5, args.quick)})")
    print(f"  fill floor                {r['floor_s'] * 1e3:8.2f} ms   "
          f"ratio ours/floor = {r['ratio_floor']:.2f}  (target <= 2: "
          f"{verdict(r['ratio_floor'] <= 2, args.quick)})")
    print(f"  peak traced memory        {r['peak_bytes_per_entry']:.1f} bytes per stored entry")

    r = bench_2d(n2)
    print(f"2-D full, 3x3 kernel on {n2}x{n2}, nnz={r['nnz']:,}")
    print(f"  conv_matrix(...).sparse   {r['ours_s'] * 1e3:8.2f} ms   "
          f"ratio ours/floor = {r['ratio_floor']:.2f}")
    print(f"  stored (csr + taps)       {r['stored_bytes_per_entry']:.1f} bytes per entry; "
          f"peak {r['peak_bytes_per_entry']:.1f} bytes per entry")


if __name__ == "__main__":
    main()

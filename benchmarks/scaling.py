"""Growth of build time with nnz, with fresh memory costing the same at every size.

Writing a new array costs more than the writes themselves: the kernel maps
each page on first touch.  On the machine the README's numbers come from
(a 2-core VM) a 4 KiB first-touch fault costs about 3 µs, while numpy asks
for transparent huge pages (2 MiB) only for arrays of 4 MiB and more, and
glibc recycles freed memory for some sizes and not others.  So even
``np.empty`` plus a fill gets about 5x cheaper per entry between 1e5 and
1e6 entries there, and a log-log slope across the default sweeps measures
that switch as much as the builder (the "fill floor" rows of the 1-D and
2-D tables show it).

This workload fits the slope where every size pays the same per byte: each
method's sweep runs in one fresh interpreter (``python -m
benchmarks.scaling``) with glibc's mmap threshold fixed at 64 KiB (every
large array is a new mapping, never recycled) and numpy's huge-page advice
off (4 KiB pages at every size).  One interpreter per sweep keeps
process-to-process noise (which shifts every size alike) out of the slope.  Both are standard
environment variables (:data:`UNIFORM_MEMORY`); nothing in the package or
in the peers changes.  ``diags_array`` and the fill floor run under the
same conditions.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from toeplitz_conv import conv_matrix

from .measure import (
    Result,
    Settings,
    fill_floor,
    fill_result,
    mark_floor,
    measure,
    run_worker,
    same_matrix,
)
from .signal1d import diags_build

WORKLOAD = "build scaling, uniform memory"
UNIFORM_MEMORY = {"MALLOC_MMAP_THRESHOLD_": "65536", "NUMPY_MADVISE_HUGEPAGE": "0"}
# (sweep name, kernel shape, input sizes): only nnz >= 1e5 enters the
# target's fit, so the sweeps start just below it.
SWEEPS = [("1-D build, kernel 7, full", (7,), [10**4, 31_623, 10**5, 316_228, 10**6,
                                               3_162_278, 10**7]),
          ("2-D build, 3x3 full", (3, 3), [128, 256, 512, 1024, 2048])]
QUICK_SWEEPS = [("1-D build, kernel 7, full", (7,), [500, 1000, 2000]),
                ("2-D build, 3x3 full", (3, 3), [16, 24, 32])]
METHODS = ["ours", "fill floor", "diags_array"]


def _kernel(kshape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(4).standard_normal(kshape)


def _shape(kshape: tuple[int, ...], n: int) -> tuple[int, ...]:
    return (n,) * len(kshape)


def worker_case(method: str, params: dict[str, Any]):
    w = _kernel(tuple(params["kshape"]))
    shape = _shape(w.shape, params["n"])
    if method == "ours":
        return (lambda: conv_matrix(w, shape, "full").sparse,
                lambda out: (True, ""), None, None)
    # Our matrix gives the floor its sizes and dtypes, and diags_array its check.
    ref = conv_matrix(w, shape, "full").sparse
    if method == "fill floor":
        return (fill_floor(ref.nnz, ref.data.dtype, ref.indices.dtype),
                lambda out: (True, ""), None, lambda out: sum(a.nbytes for a in out))
    return lambda: diags_build(w, shape[0]), same_matrix(ref), None, None


def run(settings: Settings) -> list[Result]:
    results = []
    for sweep, kshape, sizes in (QUICK_SWEEPS if settings.quick else SWEEPS):
        methods = METHODS if len(kshape) == 1 else METHODS[:2]
        rows = {(m, n): Result(WORKLOAD, f"{sweep}: n={'x'.join(map(str, _shape(kshape, n)))}", m,
                               nnz=n ** len(kshape) * int(np.prod(kshape)),  # full: n*k per axis
                               extra={"sweep": sweep, "n": n})
                for n in sizes for m in methods}
        # One interpreter per method's sweep keeps process-to-process noise
        # out of the slope; a quick run (no slope judged) shares one per sweep.
        for group in ([methods] if settings.quick else [[m] for m in methods]):
            out = run_worker({"methods": group, "kshape": list(kshape), "sizes": sizes,
                              "repeats": settings.repeats, "max_seconds": settings.max_seconds},
                             env_extra=UNIFORM_MEMORY, entry=__name__)
            # A worker that failed returns one {"status": "error: ..."} for all sizes.
            failed = "status" in out
            for m in group:
                for n in sizes:
                    fill_result(rows[(m, n)], out if failed else out[m][str(n)])
        for n in sizes:
            ours = rows[("ours", n)]
            ours.note = "reference; fresh 4 KiB pages at every size"
            mark_floor(rows[("fill floor", n)], ours)
            for m in methods[2:]:
                r = rows[(m, n)]
                if r.time_s and ours.time_s:
                    r.ratio = r.time_s / ours.time_s
        results += [rows[(m, n)] for n in sizes for m in methods]
    return results


def main(argv: list[str]) -> int:
    """Time each method over one sweep's sizes in this process; print one JSON line."""
    spec = json.loads(argv[0])
    settings = Settings(repeats=spec["repeats"], max_seconds=spec["max_seconds"])
    out: dict[str, dict[str, Any]] = {}
    for method in spec["methods"]:
        out[method] = {}
        for n in spec["sizes"]:
            fn, check, before, size = worker_case(method, {"kshape": spec["kshape"], "n": n})
            out[method][str(n)] = measure(fn, check, settings, size=size, before=before,
                                          memory="rss")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

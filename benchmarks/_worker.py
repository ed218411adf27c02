"""Run measurements in a fresh interpreter: ``python -m benchmarks._worker SPEC_JSON``.

Used for torch and sympy, whose memory tracemalloc cannot see (torch's own
allocator) or would slow down several-fold (sympy), and for LAPACK, whose
workspace is not a numpy array.  ``SPEC_JSON`` names a workload module and
a list of cases; each case's ``worker_case(method, params)`` gives the
call, its check, an untimed ``before`` hook and a size function, measured
by :func:`benchmarks.measure.measure` with the resident high-water mark as
the peak.  Prints one JSON line: a list of result dicts, one per case.
"""

from __future__ import annotations

import importlib
import json
import sys

from .measure import Settings, measure


def main(argv: list[str]) -> int:
    """Measure every case of the spec in ``argv[0]`` in this process; print one JSON line."""
    spec = json.loads(argv[0])
    mod = importlib.import_module(spec["module"])
    settings = Settings(repeats=spec["repeats"], max_seconds=spec["max_seconds"])
    out = []
    for case in spec["cases"]:
        fn, check, before, size = mod.worker_case(case["method"], case["params"])
        out.append(measure(fn, check, settings, size=size, before=before, memory="rss"))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Run one measurement in a fresh interpreter: ``python -m benchmarks._worker SPEC_JSON``.

Used for torch and sympy, whose memory tracemalloc cannot see (torch's own
allocator) or would slow down several-fold (sympy).  The peak is the growth
of the process's resident high-water mark (``VmHWM``, reset just before the
call) over its resident size just before the warm-up call; the result of
that call is compared with ours before anything is timed.  Prints one JSON
line.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys

from .measure import Settings, current_rss, median_time, peak_rss, reset_peak_rss, timed


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    mod = importlib.import_module(spec["module"])
    settings = Settings(repeats=spec["repeats"], max_seconds=spec["max_seconds"])
    print(json.dumps(measure_case(*mod.worker_case(spec["method"], spec["params"]), settings)))
    return 0


def measure_case(fn, check, before, size, settings: Settings) -> dict:
    """Warm up, check, measure the peak and time ``fn`` in this process; a result dict."""
    if before is not None:
        before()
    gc.collect()
    exact = reset_peak_rss()
    rss0, high0 = current_rss(), peak_rss()
    first, out = timed(fn)
    high1 = peak_rss()
    ok, note = check(out)
    res = {"status": "ok" if ok else "different matrix", "equal": ok, "note": note,
           "peak_bytes": float(high1 - rss0), "peak_how": "VmHWM (subprocess)",
           "stored_bytes": float(size(out)) if size is not None else None}
    if not exact and high1 <= high0:
        res["note"] = (note + "; " if note else "") + "peak is an upper bound"
    del out
    if ok:
        if first > 4 * settings.max_seconds:
            # A run this long is cold anyway (caches are cleared by `before`);
            # repeating it would only cost minutes.
            res["time_s"], res["repeats"] = first, 1
            res["note"] = (res["note"] + "; " if res["note"] else "") + "single run"
        else:
            res["time_s"], res["repeats"] = median_time(fn, settings, first, before)
    return res


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

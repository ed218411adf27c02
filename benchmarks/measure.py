"""Timing, peak memory, memory budget and growth-exponent helpers.

Every workload measures through :func:`measure` (in this process, or in a
fresh one via :func:`measure_subprocess` / :mod:`benchmarks._worker`), which
times with the one timing helper, :func:`median_time` (the median of several
repeats after an untimed warm-up), and takes the peak with the one memory
helper, :func:`peak_memory`: ``tracemalloc`` in this process (numpy and
scipy report their buffers to it), or, for code whose memory tracemalloc
cannot see or would slow down badly (torch, sympy, LAPACK's workspace), the
resident high-water mark of a fresh subprocess.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

GiB = 2**30
MiB = 2**20


@dataclass
class Settings:
    """Knobs shared by every workload."""

    quick: bool = False
    budget_bytes: int = 4 * GiB
    repeats: int = 5
    # Stop repeating once the repeats of one measurement would take longer.
    max_seconds: float = 8.0


@dataclass
class Result:
    """One method on one case of one workload (a row of the table)."""

    workload: str
    case: str
    method: str
    status: str = "ok"          # ok | missing | needs X GiB | different matrix | not available
    equal: bool | None = None   # equal to ours (checked before timing); None: not compared
    time_s: float | None = None
    repeats: int = 0
    peak_bytes: float | None = None
    peak_how: str = ""
    nnz: int | None = None
    stored_bytes: float | None = None   # bytes of the object the method returns
    ratio: float | None = None          # this method's time / ours
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stored_per_entry(self) -> float | None:
        if self.stored_bytes is None or not self.nnz:
            return None
        return self.stored_bytes / self.nnz

    @property
    def peak_per_entry(self) -> float | None:
        if self.peak_bytes is None or not self.nnz:
            return None
        return self.peak_bytes / self.nnz

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["stored_bytes_per_entry"] = self.stored_per_entry
        d["peak_bytes_per_entry"] = self.peak_per_entry
        return d


def gib(n: float) -> str:
    """``'7.28 TiB'`` style size for the "needs X" message."""
    if n >= 2**40:
        return f"{n / 2**40:.3g} TiB"
    if n >= GiB:
        return f"{n / GiB:.3g} GiB"
    return f"{n / MiB:.3g} MiB"


def needs(need_bytes: float, settings: Settings) -> str | None:
    """The table's "needs X" status when ``need_bytes`` exceeds the budget, else None."""
    if need_bytes > settings.budget_bytes:
        return f"needs {gib(need_bytes)}"
    return None


MemoryHow = Literal["tracemalloc", "rss"]


def peak_memory(fn: Callable[[], Any], how: MemoryHow) -> tuple[float, Any, str]:
    """Run ``fn()`` once; its peak memory in bytes, its result and a caveat ('' if none).

    ``"tracemalloc"``: the peak of the Python allocations seen while it runs
    (numpy and scipy buffers included; slows pure-Python code down).
    ``"rss"``: the growth of this process's resident high-water mark over the
    resident size just before the call; only meaningful in a fresh process
    (:mod:`benchmarks._worker`), where freed memory of earlier work cannot be
    reused unseen.
    """
    if how == "tracemalloc":
        tracemalloc.start()
        try:
            out = fn()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return float(peak), out, ""
    gc.collect()
    exact = reset_peak_rss()
    rss0, high0 = current_rss(), peak_rss()
    out = fn()
    high1 = peak_rss()
    # Without a reset the mark may predate the call: then it only bounds the peak.
    caveat = "" if exact or high1 > high0 else "peak is an upper bound"
    return float(high1 - rss0), out, caveat


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """``fn()``'s wall time with the cyclic garbage collector off, as ``timeit`` does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn()
        t = time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()
    return t, out


def median_time(fn: Callable[[], Any], settings: Settings, first: float,
                before: Callable[[], None] | None = None) -> tuple[float, int]:
    """Median of up to ``settings.repeats`` timed calls, after a warm-up that took ``first`` s.

    Calls slower than ``settings.max_seconds`` are repeated fewer times (at
    least once, so the warm-up is never the timed run).  A warm-up longer
    than four times ``max_seconds`` is returned as the time with 0 repeats:
    a call that long is cold anyway, and repeating it would cost minutes.
    ``before`` runs untimed before each call (e.g. to clear sympy's cache).
    """
    if first > 4 * settings.max_seconds:
        return first, 0
    n = int(max(1, min(settings.repeats, settings.max_seconds // max(first, 1e-9))))
    times = []
    for _ in range(n):
        if before is not None:
            before()
        t, out = timed(fn)
        del out
        times.append(t)
    return float(np.median(times)), n


def csr_bytes(a: Any) -> int:
    """Bytes held by a scipy sparse matrix (any format) or a dense array."""
    if isinstance(a, np.ndarray):
        return a.nbytes
    total = 0
    for name in ("data", "indices", "indptr", "offsets", "row", "col"):
        arr = getattr(a, name, None)
        if isinstance(arr, np.ndarray):
            total += arr.nbytes
    coords = getattr(a, "coords", None)
    if isinstance(coords, tuple) and not hasattr(a, "row"):
        total += sum(c.nbytes for c in coords)
    return total


def tied_bytes(A: Any) -> int:
    """Bytes of a TiedMatrix: its CSR arrays plus the tap arrays that carry the tying."""
    s = A.sparse
    taps = A._tap_weight.nbytes + (0 if A._tap_entry is None else A._tap_entry.nbytes)
    return s.data.nbytes + s.indices.nbytes + s.indptr.nbytes + taps


def fill_floor(nnz: int, dtype: Any, index_dtype: Any) -> Callable[[], Any]:
    """The time to merely write data, indices and taps arrays of ``nnz`` entries."""
    def fill():
        data = np.empty(nnz, dtype)
        data[:] = 1
        indices = np.empty(nnz, index_dtype)
        indices[:] = 0
        taps = np.empty(nnz, index_dtype)
        taps[:] = 0
        return data, indices, taps
    return fill


FLOOR_NOTE = "writes data/indices/taps of this nnz; not a matrix"


def measure_floor(floor: Result, ours: Result, ref: Any, settings: Settings) -> Result:
    """Time merely writing arrays of ``ref``'s nnz and dtypes, next to ``ours``."""
    floor.nnz = ref.nnz
    measure_inline(floor, fill_floor(ref.nnz, ref.data.dtype, ref.indices.dtype),
                   lambda out: (True, ""), settings,
                   size=lambda out: sum(a.nbytes for a in out))
    return mark_floor(floor, ours)


def mark_floor(floor: Result, ours: Result) -> Result:
    """Label a measured fill-floor row (not a matrix) and give its ratio to ``ours``."""
    floor.equal = None
    floor.note = FLOOR_NOTE
    if floor.time_s and ours.time_s:
        floor.ratio = floor.time_s / ours.time_s
    return floor


def measure_ours(row: dict[str, Result], build: Callable[[], Any],
                 settings: Settings) -> Any:
    """Time our builder as the reference row, and the fill floor beside it.

    ``build()`` returns a TiedMatrix; its CSR (built once, untimed) is
    returned for comparing the peers with.
    """
    A = build()
    ref = A.sparse
    ours = row["ours"]
    ours.nnz = ref.nnz
    measure_inline(ours, lambda: build().sparse, lambda out: (True, ""), settings, size=None)
    ours.stored_bytes = float(tied_bytes(A))
    ours.equal = True
    ours.note = "reference (csr + taps)"
    measure_floor(row["fill floor"], ours, ref, settings)
    return ref


def not_run(row: dict[str, Result], status: str) -> list[Result]:
    """Rows when ours cannot run (``status`` says why): no peer is compared either."""
    for r in row.values():
        r.status = status if r.method == "ours" else "ours not run"
    return list(row.values())


def growth_exponent(nnz: list[float], times: list[float]) -> float | None:
    """Slope of log(time) against log(nnz) by least squares (None below 3 points)."""
    pts = [(x, t) for x, t in zip(nnz, times) if x and t]
    if len(pts) < 3:
        return None
    x, t = np.log(np.array(pts, dtype=float)).T
    return float(np.polyfit(x, t, 1)[0])


def run_worker(spec: dict[str, Any], timeout: float = 1800,
               env_extra: dict[str, str] | None = None,
               entry: str = "benchmarks._worker") -> Any:
    """Run measurements in a fresh interpreter (peak memory: resident high-water mark).

    ``entry`` is the module run with ``python -m``; its last line of output
    is JSON, returned decoded.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, **(env_extra or {}))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", entry, json.dumps(spec)],
                          capture_output=True, text=True, cwd=root, env=env, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": f"error: {tail[:120]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# A check returns (True, note) for a result equal to ours, (False, note) for a
# different one (then nothing is timed), or (None, note) for a baseline whose
# result cannot be compared (e.g. a proof attempt that fails): timed, and the
# note says why it was not compared.
Check = Callable[[Any], tuple[bool | None, str]]


def measure(fn: Callable[[], Any], check: Check, settings: Settings, *,
            size: Callable[[Any], float] | None = None,
            before: Callable[[], None] | None = None,
            memory: MemoryHow = "tracemalloc") -> dict[str, Any]:
    """Warm up ``fn``, compare its result with ours, then measure its peak memory and time.

    Returns the fields of a :class:`Result` (see :func:`fill_result`).  With
    ``memory="rss"`` (in a fresh process only) the warm-up call is the one
    whose peak is taken: it is the first call, so nothing is cached yet.
    With ``"tracemalloc"`` a separate traced call follows the warm-up, as
    tracing slows the call down.  ``before`` runs untimed before every call.
    """
    res: dict[str, Any] = {"status": "ok", "note": ""}
    if before is not None:
        before()
    if memory == "rss":
        peak, (first, out), caveat = peak_memory(lambda: timed(fn), "rss")
        res.update(peak_bytes=peak, peak_how="VmHWM (subprocess)")
    else:
        first, out = timed(fn)
        caveat = ""
    ok, note = check(out)
    res["equal"] = ok
    res["note"] = "; ".join(x for x in (note, caveat) if x)
    if size is not None:
        res["stored_bytes"] = float(size(out))
    del out
    if ok is False:
        res["status"] = "different matrix"
        return res
    if memory == "tracemalloc":
        if before is not None:
            before()
        # The warm-up may include one-off imports; the traced call is a
        # second, slower-than-real estimate for choosing the repeat count.
        t0 = time.perf_counter()
        peak, out, _ = peak_memory(fn, "tracemalloc")
        del out
        res.update(peak_bytes=peak, peak_how="tracemalloc")
        first = min(first, time.perf_counter() - t0)
    res["time_s"], res["repeats"] = median_time(fn, settings, first, before)
    if res["repeats"] == 0:
        res["repeats"] = 1
        res["note"] = "; ".join(x for x in (res["note"], "single run") if x)
    return res


def measure_inline(res: Result, fn: Callable[[], Any], check: Check, settings: Settings, *,
                   size: Callable[[Any], float] | None = csr_bytes,
                   before: Callable[[], None] | None = None) -> Result:
    """:func:`measure` in this process (tracemalloc), written into ``res``.

    Nothing is timed when the result differs from ours: the row then says so.
    """
    return fill_result(res, measure(fn, check, settings, size=size, before=before))


def same_matrix(ours: Any) -> Callable[[Any], tuple[bool, str]]:
    """A check that a peer's matrix (sparse in any format, or dense) equals ``ours`` exactly."""
    import scipy.sparse as sp

    def check(out: Any) -> tuple[bool, str]:
        b = sp.csr_array(out)
        if b.shape != ours.shape:
            return False, f"shape {b.shape} instead of {ours.shape}"
        diff = (b != ours).nnz
        if diff:
            return False, f"{diff} entries differ"
        return True, ""
    return check


def current_rss() -> int:
    """Resident set size of this process now, in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def reset_peak_rss() -> bool:
    """Reset this process's resident high-water mark (Linux >= 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def peak_rss() -> int:
    """High-water resident set size of this process's address space, in bytes.

    ``VmHWM`` from ``/proc/self/status``: unlike ``ru_maxrss`` it starts
    afresh at ``exec`` (``ru_maxrss`` of a child can carry its parent's size)
    and can be reset with :func:`reset_peak_rss`.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_subprocess(res: Result, module: str, method: str, params: dict[str, Any],
                       settings: Settings) -> Result:
    """Fill ``res`` from :func:`run_worker`: one case in its own fresh interpreter."""
    return measure_subprocesses(module, [(res, method, params)], settings)[0]


def measure_subprocesses(module: str, cases: list[tuple[Result, str, dict[str, Any]]],
                         settings: Settings) -> list[Result]:
    """Fill each ``(result, method, params)`` from one fresh interpreter, in order.

    For cases small enough that starting an interpreter (about 0.5 s with
    the imports) would cost more than the cases: their resident peaks are
    each measured from the size just before them, so memory an earlier case
    freed may hide part of a later one's peak.
    """
    out = run_worker({"module": module, "repeats": settings.repeats,
                      "max_seconds": settings.max_seconds,
                      "cases": [{"method": m, "params": p} for _, m, p in cases]})
    # A worker that failed returns one {"status": "error: ..."} for all cases.
    outs = [out] * len(cases) if isinstance(out, dict) else out
    return [fill_result(res, o) for (res, _, _), o in zip(cases, outs)]


def fill_result(res: Result, out: dict[str, Any]) -> Result:
    """Copy a worker's result dict into ``res``."""
    for key in ("status", "equal", "time_s", "repeats", "peak_bytes", "peak_how",
                "stored_bytes"):
        if out.get(key) is not None:
            setattr(res, key, out[key])
    if "equal" in out:
        res.equal = out["equal"]
    if out.get("note"):
        res.note = (res.note + "; " if res.note else "") + out["note"]
    return res


def peer_missing(module: str) -> str | None:
    """``'missing (pip install X)'`` when a peer's module cannot be imported."""
    import importlib.util
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else "missing"

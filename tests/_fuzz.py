"""Fuzzing harness: bad inputs go to a budgeted subprocess, outcomes are judged here.

Every fuzzed call runs in one long-lived worker (``tests/_fuzz_worker.py``)
whose address space is capped, so the memory budget is enforced by the
kernel, and whose answer is awaited with a timeout, so a call that hangs is
killed (and the worker restarted) instead of hanging the suite.  One worker
serves all examples of a test module: the budget costs one start-up, not one
per example.

The verdict on a call (:func:`judge`): it may succeed, or raise
``ValueError``/``TypeError`` whose message names the parameter, or
``DenseTooLargeError``; anything else -- another exception type, numpy's
own ``MemoryError`` after the budget ran out, a message that does not say
which parameter is wrong, a call slower than the time budget, a hang, a dead
worker -- fails the example.

``FUZZ_LOG=path`` appends every call and its answer to ``path`` (to see what
was tried and how long each call took).
"""

from __future__ import annotations

import os
import pickle
import re
import select
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

ROOT = Path(__file__).resolve().parent.parent

#: Seconds one call may take (a refusal is milliseconds; the budget is wide
#: because the CI machine is shared).
CALL_SECONDS = 5.0
#: A call not answered in this time is a hang: the worker is killed.
HANG_SECONDS = 30.0
#: Address space (MiB) a call may add to the worker.
BUDGET_MIB = 512

#: Examples per fuzz test: a quarter of the profile's count (25 by default;
#: ``--hypothesis-profile=thorough`` gives 10x as many).
EXAMPLES = max(5, settings.default.max_examples // 4)

ALLOWED = {"ValueError", "TypeError"}


class Worker:
    """The budgeted subprocess; ``call(name, **kwargs)`` returns its answer dict."""

    def __init__(self, *, torch: bool = True) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.torch = torch
        self.hang_seconds = HANG_SECONDS

    def _start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests._fuzz_worker", "--budget", str(BUDGET_MIB),
             *([] if self.torch else ["--no-torch"])],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        ready = self._read(120.0)
        assert ready and ready.get("ready"), f"fuzz worker did not start: {ready}"

    def _read(self, timeout: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout
        buf = b""
        deadline = time.monotonic() + timeout
        need = 8
        size = None
        while len(buf) < need:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd.fileno(), need - len(buf))
            if not chunk:
                return {"ok": False, "type": "WorkerDied", "module": "",
                        "message": f"worker exited with {self.proc.poll()}"}
            buf += chunk
            if size is None and len(buf) == 8:
                (size,) = struct.unpack("<Q", buf)
                need = 8 + size
        return pickle.loads(buf[8:])

    def call(self, _call: str, **kwargs: Any) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        data = pickle.dumps((_call, kwargs))
        try:
            self.proc.stdin.write(struct.pack("<Q", len(data)) + data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.close()
            return {"ok": False, "type": "WorkerDied", "module": "", "message": "broken pipe"}
        answer = self._read(self.hang_seconds)
        if answer is None:
            self.close()
            return {"ok": False, "type": "Hang", "module": "",
                    "message": f"no answer within {self.hang_seconds} s"}
        if answer.get("type") == "WorkerDied":
            self.close()
        if os.environ.get("FUZZ_LOG"):
            with open(os.environ["FUZZ_LOG"], "a") as f:
                f.write(f"{answer.get('seconds', 0):.4f} {_call} {kwargs!r:.300} {answer!r:.300}\n")
        return answer

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None


def judge(answer: dict[str, Any], names: tuple[str, ...], call: str, *,
          call_seconds: float = CALL_SECONDS) -> None:
    """Assert the answer is allowed; ``names``: words one of which the message must contain."""
    where = f"{call}: {answer}"
    assert answer.get("seconds", 0.0) < call_seconds, f"slower than {call_seconds} s: {where}"
    if answer["ok"]:
        return
    kind = answer["type"]
    if kind == "DenseTooLargeError" and answer["module"].startswith("toeplitz_conv"):
        return
    assert kind in ALLOWED, f"undocumented exception: {where}"
    msg = answer["message"]
    # Whole words: a parameter called ``x`` is not named by "exceeds".
    assert any(re.search(rf"\b{re.escape(n)}\b", msg) for n in names), \
        f"the message does not name {names}: {where}"


# ---------------------------------------------------------------- strategies
HUGE = [2**31, 2**32 + 1, 10**9, 10**12, 2**62, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1]

_scalars = st.one_of(
    st.none(), st.booleans(), st.text(max_size=4), st.binary(max_size=2),
    st.integers(-5, 12), st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.complex_numbers(allow_nan=True, allow_infinity=True),
    st.sampled_from([np.int64(3), np.int8(-1), np.uint64(2**63), np.float64(2.0),
                     np.float32("nan"), np.bool_(True), np.float16(1.5), np.complex64(1j),
                     np.str_("a"), Ellipsis, slice(1, 2), b"", (), [], {}, {"a": 1}, set()]),
)

_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8,
                           np.bool_, np.complex128, np.dtype("U2")]),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
    elements=None, fill=st.nothing())

#: Anything at all: wrong types, wrong values, huge sizes, odd arrays.
junk = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=4),
    st.tuples(_scalars, _scalars),
    st.lists(st.lists(st.integers(-3, 5), max_size=3), max_size=3),
    st.tuples(st.integers(1, 3), st.sampled_from(HUGE + [5])),
    st.tuples(st.integers(1, 3), st.sampled_from(HUGE + [5]), st.sampled_from(HUGE + [5])),
    _arrays,
)


def sizes(ndim: int) -> st.SearchStrategy[Any]:
    """Shapes of ``ndim`` entries mixing small, huge and bad sizes."""
    entry = st.one_of(st.integers(-2, 8), st.sampled_from(HUGE + [10**5, 10**6, 10**7]))
    return st.one_of(st.tuples(*[entry] * ndim), st.lists(entry, min_size=1, max_size=4))


#: The hypothesis settings every fuzz test of the package shares.
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


def draw_call(data: Any, base: dict[str, Any], params: dict[str, Any],
              pure: tuple[str, ...] = ()) -> tuple[list[str], dict[str, Any]]:
    """One or two of ``params`` replaced in the valid call ``base``: ``(chosen, kwargs)``.

    A replaced parameter draws from :data:`junk` or its own near-valid values,
    or only from the latter when it is ``pure``.
    """
    chosen = data.draw(st.lists(st.sampled_from(sorted(params)), min_size=1, max_size=2,
                                unique=True), label="parameters")
    kwargs = dict(base)
    for p in chosen:
        kwargs[p] = data.draw(params[p] if p in pure else st.one_of(junk, params[p]), label=p)
    return chosen, kwargs

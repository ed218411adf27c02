"""Hostile user code under ``isolation="process"`` and the in-process timeout.

Each case checks the report's entry and that nothing is left running: the
test process has no child (read from /proc) and no extra thread afterwards.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest
from scipy.signal import correlate

from toeplitz_conv.check import check_layer

from ._proc import alive as _alive
from ._proc import children as _children
from ._proc import fork_a_sleeper

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the process tree is read from /proc")

W = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
SHAPE = (1, 4, 4)


def good(x):
    return correlate(x[0], W[0, 0], mode="valid")[None]


def exits(x):
    os._exit(7)


def terminates(x):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)


def kills(x):
    os.kill(os.getpid(), signal.SIGKILL)


def segfaults(x):
    ctypes.string_at(0)


def allocates(x):
    return np.ones(20 * 2**30 // 8) [:9].reshape(1, 3, 3)


def loops(x):
    while True:
        pass


_FORKED = "/proc/self"       # replaced by the grandchild's pid file in the test


def forks(x):
    fork_a_sleeper(_FORKED, 0.2)
    return good(x)


@pytest.mark.parametrize("fn, words", [
    (exits, "exit status 7"),
    (terminates, "SIGTERM"),
    (kills, "SIGKILL"),
    (segfaults, "segmentation fault"),
    (allocates, "out of memory"),
])
def test_hostile_forward_is_a_failed_entry_and_nothing_survives(fn, words):
    before = set(_children())
    r = check_layer(fn, W, SHAPE, isolation="process", timeout=10)
    assert not r.ok
    assert words in r["forward"].message, r["forward"].message
    assert set(_children()) <= before


def test_endless_loop_is_killed_at_the_timeout():
    before = set(_children())
    t0 = time.perf_counter()
    r = check_layer(loops, W, SHAPE, isolation="process", timeout=0.3)
    assert time.perf_counter() - t0 < 5
    assert "did not return within timeout=0.3" in r["forward"].message
    assert "not called" in r["input_grad"].message
    assert set(_children()) <= before


def test_a_hang_with_jax_loaded_says_that_jax_hangs_in_a_forked_worker(monkeypatch):
    # JAX's thread pools are inherited locked by a forked child (a JAX layer
    # checked after JAX ran here never returns there); the timeout says so
    # when JAX is loaded, and only then.
    import types

    monkeypatch.setitem(sys.modules, "jax", types.ModuleType("jax"))
    r = check_layer(loops, W, SHAPE, isolation="process", timeout=0.3)
    assert "JAX hangs in a forked process" in r["forward"].message
    assert "isolation='none'" in r["forward"].message
    monkeypatch.delitem(sys.modules, "jax")
    r = check_layer(loops, W, SHAPE, isolation="process", timeout=0.3)
    assert "JAX" not in r["forward"].message


def test_a_forked_process_is_killed_and_reported(tmp_path):
    global _FORKED
    _FORKED = str(tmp_path / "pid")
    before = set(_children())
    r = check_layer(forks, W, SHAPE, isolation="process", timeout=10)
    assert not r.ok and "started 1 child process" in r["forward"].message
    grandchild = int(open(_FORKED).read())
    time.sleep(0.05)
    assert not _alive(grandchild)
    assert set(_children()) <= before


def test_a_correct_layer_passes_in_a_process_and_its_bugs_are_diagnosed():
    assert check_layer(good, W, SHAPE, isolation="process").ok
    r = check_layer(lambda x: good(x)[:, ::-1, ::-1].copy() * 0 + correlate(
        x[0], W[0, 0, ::-1, ::-1], mode="valid")[None], W, SHAPE, isolation="process")
    assert "flipped" in (r["forward"].diagnosis or "")


def test_in_process_timeout_stops_the_call_and_leaves_no_thread():
    threads = threading.active_count()
    r = check_layer(loops, W, SHAPE, timeout=0.2)
    assert "did not return within timeout=0.2" in r["forward"].message
    assert threading.active_count() == threads


def test_isolation_is_validated():
    with pytest.raises(ValueError, match="isolation"):
        check_layer(good, W, SHAPE, isolation="thread")

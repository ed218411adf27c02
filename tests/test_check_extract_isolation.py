"""extract_matrix and identify with hostile black boxes: ``isolation="process"`` and timeouts.

Each failure is one ValueError saying what happened and on which call, and
nothing of the black box is left running (the test process's children are
read from /proc, as in test_check_isolation.py).  A correct black box gives
the matrix of its definition in both isolation modes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import pytest
from scipy.signal import convolve, correlate2d

from toeplitz_conv.check import extract_matrix, identify

from ._proc import alive as _alive
from ._proc import children as _children
from ._proc import fork_a_sleeper

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the process tree is read from /proc")

K = np.array([5.0, 6.0, 7.0])            # the worked example's kernel


def good(x):
    return convolve(x, K, mode="full")


def exits(x):
    os._exit(3)


def terminates(x):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)


def sleeps(x):
    time.sleep(60)


_CALLS = [0]


def exits_on_call_5(x):
    _CALLS[0] += 1
    if _CALLS[0] == 5:
        os._exit(4)
    return good(x)


_FORKED = "/proc/self"       # replaced by the grandchild's pid file in the test


def forks(x):
    fork_a_sleeper(_FORKED, 0.1)
    return good(x)


BOTH = pytest.mark.parametrize("fn", [extract_matrix, identify], ids=["extract", "identify"])


@BOTH
@pytest.mark.parametrize("box, words", [
    (exits, "failed on call 1: forward ended its process with exit status 3"),
    (terminates, "failed on call 1: forward was terminated (SIGTERM)"),
    (sleeps, "failed on call 1: forward did not return within timeout=0.3 s"),
    (exits_on_call_5, "failed on call 5: forward ended its process with exit status 4"),
])
def test_a_failing_black_box_is_one_error_and_nothing_survives(fn, box, words):
    _CALLS[0] = 0
    before = set(_children())
    t0 = time.perf_counter()
    with pytest.raises(ValueError) as exc:
        fn(box, (6,), isolation="process", timeout=0.3)
    assert time.perf_counter() - t0 < 5
    assert words in str(exc.value), str(exc.value)
    assert "ran it in a worker process" in str(exc.value) or "killed" in str(exc.value)
    assert set(_children()) <= before


@BOTH
def test_a_process_the_black_box_starts_is_killed_and_reported(fn, tmp_path):
    global _FORKED
    _FORKED = str(tmp_path / "pid")
    before = set(_children())
    with pytest.raises(ValueError, match=r"failed on call 1: forward started 1 child process"):
        fn(forks, (6,), isolation="process", timeout=10)
    grandchild = int(open(_FORKED).read())
    time.sleep(0.05)
    assert not _alive(grandchild)
    assert set(_children()) <= before


@BOTH
def test_in_process_a_hang_is_stopped_by_the_timeout_and_sys_exit_is_an_error(fn):
    threads = threading.active_count()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"failed on call 1: forward did not return within "
                                         r"timeout=0.2 s"):
        fn(sleeps, (6,), timeout=0.2)
    assert time.perf_counter() - t0 < 5
    assert threading.active_count() == threads
    with pytest.raises(ValueError, match=r"forward called sys.exit\(2\)"):
        fn(lambda x: sys.exit(2), (6,))
    with pytest.raises(ValueError, match="failed on call 1: forward raised ZeroDivisionError") \
            as exc:
        fn(lambda x: 1 / 0, (6,))
    assert isinstance(exc.value.__cause__, ZeroDivisionError)   # the user's traceback is kept


def _full_convolution_matrix(k: np.ndarray, n: int) -> np.ndarray:
    """The definition: (x * k)[i] = sum_j k[i - j] x[j]."""
    a = np.zeros((n + len(k) - 1, n))
    for i in range(a.shape[0]):
        for j in range(n):
            if 0 <= i - j < len(k):
                a[i, j] = k[i - j]
    return a


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_a_correct_black_box_gives_its_matrix_in_both_modes(isolation):
    before = set(_children())
    for n, method in ((6, "one-hot"), (40, "discovered")):    # one-hot probes; coloured ones
        a, info = extract_matrix(good, n, isolation=isolation, return_info=True)
        assert info.method == method
        assert np.array_equal(a.toarray(), _full_convolution_matrix(K, n))
    k2 = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    a = extract_matrix(lambda x: correlate2d(x, k2, mode="same"), (4, 5), isolation=isolation)
    ref = np.stack([correlate2d(e.reshape(4, 5), k2, mode="same").ravel() for e in np.eye(20)],
                   axis=1)
    assert np.array_equal(a.toarray(), ref)
    r = identify(good, 6, kernel=K, isolation=isolation)
    assert r.fits and r.params["mode"] == "full" and not r.params["correlate"]
    assert np.array_equal(r.kernel, K)
    assert set(_children()) <= before


def _max_pool(x):                    # (C, W) -> (C, W // 2): not linear, identified by probing
    return x.reshape(x.shape[0], -1, 2).max(axis=2)


def test_identify_probes_a_max_pool_in_the_worker():
    before = set(_children())
    r = identify(_max_pool, (2, 6), isolation="process")
    assert r.fits and r.convention == "max_pool" and r.params["kernel_size"] == (2,)
    assert set(_children()) <= before


@BOTH
@pytest.mark.parametrize("kwargs, exc, words", [
    ({"timeout": 0}, ValueError, "timeout must be > 0"),
    ({"timeout": float("inf")}, ValueError, "timeout must be a finite real number"),
    ({"timeout": "1"}, TypeError, "timeout must be a real number"),
    ({"isolation": "thread"}, ValueError, "isolation must be one of 'none', 'process'"),
])
def test_timeout_and_isolation_are_validated(fn, kwargs, exc, words):
    with pytest.raises(exc, match=words):
        fn(good, (6,), **kwargs)

"""Huge sizes are refused before anything of their size is allocated.

A refusal is :class:`~toeplitz_conv.DenseTooLargeError` (the documented
MemoryError subclass), raised by the size check itself: numpy's own
allocation failure would be a different MemoryError, after the attempt.
"""

import time

import numpy as np
import pytest

import toeplitz_conv as tc
from toeplitz_conv import DenseTooLargeError

CASES = {
    "avg_pool 10^5 x 10^5": lambda: tc.avg_pool_matrix(2, (1, 10**5, 10**5)),
    "avg_pool stride 1, 2 channels": lambda: tc.avg_pool_matrix(3, (2, 10**5, 10**5), stride=1),
    "transposed stride 10^12": lambda: tc.transposed_layer_matrix(
        np.ones((1, 1, 3)), (1, 4), stride=10**12),
    "layer 10^9 columns, transposed": lambda: tc.layer_matrix(
        np.ones((1, 1, 3)), (1, 10**9), stride=10**9).T,
    "conv 10^12": lambda: tc.conv_matrix([1, 2, 3], 10**12),
    "tiled 10^6 x 10^6": lambda: tc.tiled_conv_matrix(np.ones((1, 1, 1, 1, 3, 3)),
                                                      (1, 10**6, 10**6)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_refused_at_once(name):
    t = time.perf_counter()
    with pytest.raises(DenseTooLargeError) as info:
        CASES[name]()
    assert type(info.value) is DenseTooLargeError
    assert "max_build_bytes" in str(info.value)
    # Refused by counting, not after building: well under a second even on a
    # loaded machine (building any of these would take minutes).
    assert time.perf_counter() - t < 5


def test_the_guard_is_what_refuses(monkeypatch):
    # With a generous limit the same call gets past the guard and numpy's own
    # allocation fails instead: the guard above is doing the refusing.
    monkeypatch.setattr(tc.limits, "max_build_bytes", 2**62)
    with pytest.raises(MemoryError) as info:
        tc.avg_pool_matrix(2, (1, 10**6, 10**6))
    assert type(info.value) is not DenseTooLargeError


def test_moderate_sizes_still_build():
    A = tc.layer_matrix(np.ones((1, 1, 3)), (1, 10**6), stride=10**5)
    assert A.T.shape == (10**6, 10)

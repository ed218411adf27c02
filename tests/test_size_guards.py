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


# ------------------------------------------------------------ issue 20 item 4
@pytest.mark.parametrize("value,exc", [(float("nan"), ValueError), (None, TypeError),
                                       ("1000", TypeError), (True, TypeError),
                                       (-1, ValueError), (float("inf"), ValueError),
                                       (2**64, ValueError), (1.5e300, ValueError)])
@pytest.mark.parametrize("name", ["max_dense_bytes", "max_build_bytes"])
def test_limits_are_validated_when_set(name, value, exc):
    before = getattr(tc.limits, name)
    with pytest.raises(exc, match=name):
        setattr(tc.limits, name, value)
    assert getattr(tc.limits, name) == before


def test_limits_accept_ints_and_integral_floats():
    with tc.limits.override(max_dense_bytes=np.int64(1000), max_build_bytes=4e9):
        assert tc.limits.max_dense_bytes == 1000
        assert tc.limits.max_build_bytes == 4_000_000_000
        assert type(tc.limits.max_dense_bytes) is int


def test_override_is_scoped_and_restores_on_errors():
    before = (tc.limits.max_dense_bytes, tc.limits.max_build_bytes)
    with pytest.raises(DenseTooLargeError):
        with tc.limits.override(max_build_bytes=1000):
            assert tc.limits.max_build_bytes == 1000
            tc.conv_matrix([1, 2, 3], 100)
    assert (tc.limits.max_dense_bytes, tc.limits.max_build_bytes) == before
    # A bad value changes nothing, not even the good values beside it.
    with pytest.raises(ValueError, match="max_dense_bytes"):
        with tc.limits.override(max_build_bytes=10, max_dense_bytes=float("nan")):
            pass
    assert (tc.limits.max_dense_bytes, tc.limits.max_build_bytes) == before
    with pytest.raises(TypeError, match="max_bytes"):
        with tc.limits.override(max_bytes=10):
            pass
    with pytest.raises(AttributeError):
        tc.limits.max_byts = 10        # a typo is an error, not a new, ignored attribute


@pytest.mark.parametrize("value,exc", [(float("nan"), ValueError), ("1", TypeError),
                                       (-5, ValueError)])
def test_toarray_validates_max_bytes(value, exc):
    with pytest.raises(exc, match="max_bytes"):
        tc.conv_matrix([1.0, 2.0], 3).toarray(max_bytes=value)
    assert tc.conv_matrix([1.0, 2.0], 3).toarray(max_bytes=1e3).shape == (4, 3)


# ------------------------------------------------------ found by the fuzz suite
@pytest.mark.parametrize("call,exc,word", [
    # each size fits in int64, the flat length does not
    (lambda: tc.layer_matrix(np.ones((1, 1, 1, 1)), (1, 2**40, 2**40), stride=2**40),
     ValueError, "input_shape"),
    (lambda: tc.conv_matrix(np.ones((1, 1)), (2**40, 2**40), stride=2**40),
     ValueError, "input_shape"),
    (lambda: tc.transposed_layer_matrix(np.ones((1, 1, 3)), (1, 5), dilation=2**62),
     ValueError, "dilation"),
    (lambda: tc.transposed_layer_matrix(np.ones((1, 1, 3)), (1, 5), stride=2**62),
     ValueError, "stride"),
    # one huge window, refused before the geometry indexes it
    (lambda: tc.avg_pool_matrix(2**62, (1, 2**62), padding=2**61, ceil_mode=True),
     DenseTooLargeError, "max_build_bytes"),
    (lambda: tc.max_pool_matrix(np.ones((1, 3)), 2**40, padding=2**39, ceil_mode=True),
     DenseTooLargeError, "max_build_bytes"),
])
def test_int64_overflows_are_clean_errors(call, exc, word):
    with pytest.raises(exc, match=word):
        call()

"""``limits.override`` is per context, nestable, and robust to out-of-order exits."""

from __future__ import annotations

import threading

import pytest

import toeplitz_conv as tc
from toeplitz_conv import limits

DEFAULT = limits.max_dense_bytes


def test_overlapping_overrides_exited_out_of_order_restore_the_default():
    a = limits.override(max_dense_bytes=1000)
    b = limits.override(max_dense_bytes=2000)
    a.__enter__()
    b.__enter__()
    assert limits.max_dense_bytes == 2000
    a.__exit__(None, None, None)          # the outer one leaves first
    assert limits.max_dense_bytes == 2000  # b is still alive
    b.__exit__(None, None, None)
    assert limits.max_dense_bytes == DEFAULT


def test_inner_exit_uncovers_the_outer_value_and_other_names_pass_through():
    with limits.override(max_dense_bytes=1000):
        with limits.override(max_build_bytes=10**6):
            assert (limits.max_dense_bytes, limits.max_build_bytes) == (1000, 10**6)
        assert limits.max_dense_bytes == 1000
        assert limits.max_build_bytes == 8 * 2**30
    assert limits.max_dense_bytes == DEFAULT


def test_an_override_is_restored_when_the_block_raises():
    with pytest.raises(tc.DenseTooLargeError), limits.override(max_build_bytes=1000):
        tc.conv_matrix([1, 2, 3], 100)
    assert limits.max_build_bytes == 8 * 2**30
    assert tc.conv_matrix([1, 2, 3], 100).shape == (102, 100)


def test_one_threads_override_does_not_apply_to_another_thread():
    inside = threading.Event()
    release = threading.Event()
    seen: list[int] = []

    def holder() -> None:
        with limits.override(max_dense_bytes=1000):
            seen.append(limits.max_dense_bytes)
            inside.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(10)
    try:
        assert limits.max_dense_bytes == DEFAULT     # the main thread is unaffected
        other: list[int] = []
        t2 = threading.Thread(target=lambda: other.append(limits.max_dense_bytes))
        t2.start()
        t2.join()
        assert other == [DEFAULT]
    finally:
        release.set()
        t.join()
    assert seen == [1000]


@pytest.mark.parametrize("value", [1.5, 0.25, 1e3 + 0.5])
def test_a_fractional_byte_count_is_refused_not_truncated(value):
    with pytest.raises(ValueError, match="whole number of bytes"):
        limits.max_dense_bytes = value
    with pytest.raises(ValueError, match="whole number of bytes"), \
            limits.override(max_build_bytes=value):
        pass
    assert limits.max_dense_bytes == DEFAULT


def test_setting_changes_the_process_wide_value_seen_by_other_threads():
    try:
        limits.max_dense_bytes = 12345
        other: list[int] = []
        t = threading.Thread(target=lambda: other.append(limits.max_dense_bytes))
        t.start()
        t.join()
        assert other == [12345]
    finally:
        limits.max_dense_bytes = DEFAULT

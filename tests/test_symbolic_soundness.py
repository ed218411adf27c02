"""Issue 31's planted bugs: each is refuted by the proofs for every size (and none raises).

Every mutation is made through a private hook with ``monkeypatch``, so that the
builder is wrong as a real bug would make it; each test first shows the bug is
live, then that the proofs that hold on the real builder now fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import sympy

from toeplitz_conv import _assemble, conv_matrix, signal
from toeplitz_conv._assemble import Ties, forced_write_path, write_path_thresholds
from toeplitz_conv.geometry import AxisGeometry, _conventions
from toeplitz_conv.symbolic import (
    prove_equivalence,
    prove_equivalence_general,
    prove_layer_equivalence,
    prove_layer_equivalence_general,
)

K = sympy.Symbol("k", integer=True, positive=True)


def _first_capped_size(k: int) -> int:
    """The first 1-D 'full' size whose chunks are at their cap (n = 21,835 for k = 3)."""
    th = write_path_thresholds()
    cap = th["chunk_entries"] // k
    return th["chunk_split"] * (cap - 1) + 1 + (k - 1)      # full rows = n - k + 1


def _drop_capped_tails(monkeypatch, garbage: bool):
    """The chunked path forgets the tail of a line once its chunks are at their cap."""
    real = _assemble._write_regions

    def wrong(blocks, geom, pos, chan_col, w_pattern, itype, limits):
        real(blocks, geom, pos, chan_col, w_pattern, itype, limits)
        lo, hi = geom.axes[-1].interior()
        cap = limits[2] // len(w_pattern)
        rows = max(1, min(cap, -(-(hi - lo) // 8)))
        tail = (hi - lo) % rows
        if len(geom.axes) == 1 and blocks.size > limits[0] and rows == cap and tail:
            a, b = int(pos[hi - tail]), int(pos[hi])
            indices, tap_weight, _ = blocks.arrays
            fill = np.iinfo(indices.dtype).max if garbage else 0
            indices[:, a:b] = fill
            tap_weight[:, a:b] = fill
    monkeypatch.setattr(_assemble, "_write_regions", wrong)


def test_the_threshold_is_where_the_issue_found_it():
    assert _first_capped_size(3) == 21_835


def test_a_chunk_cap_bug_only_for_large_n_is_refuted(monkeypatch):
    _drop_capped_tails(monkeypatch, garbage=False)
    n = _first_capped_size(3)
    x = np.arange(n, dtype=float) % 7
    w = np.array([1.0, 2.0, 3.0])
    assert np.allclose(conv_matrix(w, n - 1) @ x[:-1], np.convolve(w, x[:-1]))
    assert not np.allclose(conv_matrix(w, n) @ x, np.convolve(w, x))    # live from n on
    for k in (3, 4, 5):
        p = prove_equivalence_general(k, "full")
        assert not p.holds, k
        assert any("by size" in f for f in p.failures)
    assert not prove_layer_equivalence_general((1, 1, 3), padding=2).holds


def test_garbage_taps_make_the_sized_proof_false_not_raise(monkeypatch):
    _drop_capped_tails(monkeypatch, garbage=True)
    p = prove_equivalence(3, 30000)
    assert not p.holds and "taps outside" in p.failures[0]
    assert not prove_equivalence_general(3).holds


def test_an_extra_valid_row_is_refuted_for_symbolic_k(monkeypatch):
    real = _conventions.signal_axis

    def one_more(size, kernel, mode, boundary="zeros", stride=1, origin=0, **kw):
        ax = real(size, kernel, mode, boundary, stride, origin, **kw)
        if mode != "valid":
            return ax
        return AxisGeometry(ax.size, ax.kernel, ax.stride, ax.dilation, ax.pad_before,
                            ax.pad_after + 1, ax.boundary)
    monkeypatch.setattr(_conventions, "signal_axis", one_more)
    assert conv_matrix([1.0, 2.0, 3.0], 5, "valid").shape == (4, 5)     # live
    p = prove_equivalence_general(K, "valid")
    assert not p.holds and any("scipy's definition" in f for f in p.failures)
    assert not prove_equivalence_general(3, "valid").holds


def test_reversed_stored_values_are_refuted(monkeypatch):
    real = _assemble._Blocks.__init__

    def reversed_values(self, indices, tap_weight, data, values, group_col, co_w):
        real(self, indices, tap_weight, data, values[:, ::-1], group_col, co_w)
    monkeypatch.setattr(_assemble._Blocks, "__init__", reversed_values)
    w = np.array([1.0, 2.0, 4.0])
    a = conv_matrix(w, 3000)
    with forced_write_path("table"):                          # a path the bug does not touch
        b = conv_matrix(w, 3000)
    assert all((u == v).all() for u, v in zip(a.taps, b.taps))   # the taps are right ...
    x = np.ones(3000)
    assert not np.allclose(a @ x, np.convolve(w, x))          # ... the values are not
    for p in (prove_equivalence_general(3, "full"),
              prove_equivalence_general((2, 3), "same"),
              prove_layer_equivalence_general((2, 1, 3), padding=1)):
        assert not p.holds
        assert any("stored values" in f for f in p.failures)


def test_a_missing_conjugate_is_refuted(monkeypatch):
    monkeypatch.setattr(signal, "Ties", lambda **kw: Ties(**{**kw, "conjugate": False}))
    w, x = np.array([1j, 2.0, 3.0 - 1j]), np.arange(4.0)
    got = conv_matrix(w, 4, correlate=True) @ x
    assert not np.allclose(got, scipy.signal.correlate(x, w))         # live
    p = prove_equivalence_general(3, correlate=True)
    assert not p.holds and any("stored values" in f for f in p.failures)
    assert not prove_equivalence_general(K, "same", correlate=True).holds


def test_tf_same_with_stride_holds_on_the_real_builder():
    assert prove_layer_equivalence((1, 1, 3), (1, 6), stride=2, padding="SAME").holds
    assert prove_layer_equivalence((2, 1, 4), (1, 7), stride=3, padding="SAME").holds
    # TF's 'SAME' is not torch's 'same': the wrong reading must not hold.
    assert not prove_layer_equivalence((1, 1, 3), (1, 6), stride=2, padding="SAME",
                                       claim="flipped").holds


@pytest.mark.parametrize("shape, stride", [((1, 1, 3), 2), ((1, 1, 4), 3)])
def test_tf_same_for_every_size(shape, stride):
    p = prove_layer_equivalence_general(shape, stride=stride, padding="SAME")
    assert p.holds, p.failures
    assert len([s for s in p.steps if "'SAME' pads" in s[0]]) == stride   # one per class


def test_tf_same_for_every_size_can_fail(monkeypatch):
    # The core reading 'SAME' as torch's 'same' (pads independent of n mod s).
    from toeplitz_conv.geometry import _padding
    monkeypatch.setattr(_padding, "tf_same_padding",
                        lambda n, k, s=1, d=1: _padding.split_padding(d * (k - 1)))
    p = prove_layer_equivalence_general((1, 1, 3), stride=2, padding="SAME")
    assert not p.holds and any("differ from TF's" in f for f in p.failures)


def test_circular_mode_is_proved_and_a_misaligned_correlation_refuted(monkeypatch):
    """mode='circular' against y_i = sum_j w_j x_{(i -/+ j) mod n}; the bug aligns a circular
    correlation as the convolution (a wrap-around window ending at i instead of starting)."""
    for ks, n, kw in ((3, 5, {}), (3, 5, {"correlate": True}), (4, 3, {"correlate": True}),
                      ((2, 3), (3, 4), {"stride": 2}), ((2, 2), (3, 3), {"correlate": True})):
        assert prove_equivalence(ks, n, "circular", **kw).holds, (ks, n, kw)
    assert not prove_equivalence(3, 5, "circular", claim="unflipped").holds
    real = _conventions.circular_axis
    monkeypatch.setattr(_conventions, "circular_axis",
                        lambda size, kernel, correlate=False: real(size, kernel))
    x, w = np.arange(1.0, 6.0), np.array([5.0, 6.0, 7.0])
    dft = np.real(np.fft.ifft(np.fft.fft(x) * np.conj(np.fft.fft(w, 5))))
    assert not np.allclose(conv_matrix(w, 5, "circular", correlate=True) @ x, dft)  # live
    assert not prove_equivalence(3, 5, "circular", correlate=True).holds
    assert prove_equivalence(3, 5, "circular").holds       # the convolution is untouched


def test_same_lower_with_a_stride_is_proved_per_class_and_same_read_as_lower_refuted(
        monkeypatch):
    """JAX's 'SAME_LOWER' with stride > 1 (it raised a TypeError): one proof per residue
    class; the bug pads as TF's 'SAME' (the odd pad after), live only where the total is odd."""
    from toeplitz_conv import layer_matrix
    from toeplitz_conv.geometry import _padding

    for w_shape, stride in (((1, 1, 4), 2), ((1, 1, 3), 3)):
        assert prove_layer_equivalence_general(w_shape, stride=stride,
                                               padding="SAME_LOWER").holds, (w_shape, stride)
    real = _padding.tf_same_padding
    monkeypatch.setattr(_padding, "tf_same_padding",
                        lambda n, k, s=1, d=1, *, lower=False: real(n, k, s, d))
    # live: n = 5, k = 4, stride 2 pads 3 in total, JAX's odd one before: (2, 1)
    x = np.arange(1.0, 6.0)
    jax_lower = np.correlate(np.pad(x, (2, 1)), [1.0, 2.0, 3.0, 4.0], "valid")[::2]
    assert not np.allclose(layer_matrix(np.array([[[1.0, 2, 3, 4]]]), (1, 5), stride=2,
                                        padding="SAME_LOWER") @ x, jax_lower)
    p = prove_layer_equivalence_general((1, 1, 4), stride=2, padding="SAME_LOWER")
    assert not p.holds and any("SAME_LOWER" in f for f in p.failures)

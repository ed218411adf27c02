"""``check_layer(..., kind="signal")``: scipy.signal's convention, hand-written layers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from toeplitz_conv.check import check_layer

RNG = np.random.default_rng(11)


def convolve_by_definition(x, w):
    """The worked example's definition: (x * w)[n] = sum_k x[k] w[n - k], full length."""
    y = np.zeros(len(x) + len(w) - 1)
    for n in range(len(y)):
        for k in range(len(x)):
            if 0 <= n - k < len(w):
                y[n] += x[k] * w[n - k]
    return y


def convolve_backward(x, g, w):
    gx = np.array([sum(g[k + j] * w[j] for j in range(len(w))) for k in range(len(x))])
    gw = np.array([sum(g[k + j] * x[k] for k in range(len(x))) for j in range(len(w))])
    return gx, gw


def test_the_worked_example_written_from_the_definition():
    x, w = np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 6.0, 7.0])
    assert convolve_by_definition(x, w).tolist() == [5, 16, 34, 52, 45, 28]
    r = check_layer(convolve_by_definition, w, (4,), kind="signal")
    assert r.ok and r.checked == ["forward", "input_grad", "weight_grad"], str(r)
    r = check_layer(lambda x: convolve_by_definition(x, w), w, (4,), kind="signal",
                    backward=lambda x, g: convolve_backward(x, g, w))
    assert r.ok, str(r)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("correlate", [False, True])
@pytest.mark.parametrize("kshape", [(4,), (3, 2)])
def test_scipy_itself_passes_and_the_other_operation_is_called_flipped(mode, correlate,
                                                                         kshape):
    shape = (7,) if len(kshape) == 1 else (5, 6)
    w = RNG.standard_normal(kshape)
    ours = signal.correlate if correlate else signal.convolve
    other = signal.convolve if correlate else signal.correlate
    r = check_layer(lambda x, k: ours(x, k, mode=mode), w, shape, kind="signal", mode=mode,
                    correlate=correlate, n_random=1)
    assert r.ok, str(r)
    r = check_layer(lambda x, k: other(x, k, mode=mode), w, shape, kind="signal", mode=mode,
                    correlate=correlate, n_random=1)
    if mode != "same" or all(k % 2 for k in kshape):      # even 'same' also moves the centre
        assert "kernel is flipped" in (r["forward"].diagnosis or ""), str(r)
        assert ("you computed cross-correlation" in r["forward"].diagnosis) != correlate


def test_wrap_boundary_and_planted_bugs():
    w = RNG.standard_normal((3, 3))
    def wrap(x, k):
        return signal.convolve2d(x, k, mode="same", boundary="wrap")
    assert check_layer(wrap, w, (5, 6), kind="signal", mode="same", boundary="wrap").ok
    r = check_layer(lambda x, k: signal.convolve2d(x, k, mode="same"), w, (5, 6),
                    kind="signal", mode="same", boundary="wrap")
    assert not r["forward"].ok
    w1 = np.array([5.0, 6.0, 7.0])
    r = check_layer(lambda x, k: convolve_by_definition(x, k)[:-1], w1, (4,), kind="signal")
    assert not r.ok and "shape" in r["forward"].message
    r = check_layer(lambda x: convolve_by_definition(x, w1),
                    w1, (4,), kind="signal", backward=lambda x, g: (
                        convolve_backward(x, g, w1)[0], convolve_backward(x, g, w1)[1][::-1]))
    assert r["input_grad"].ok and not r["weight_grad"].ok
    assert r["weight_grad"].worst_index in [(0,), (2,)]


def test_signal_kind_refuses_what_it_does_not_check():
    w = np.ones(3)
    with pytest.raises(ValueError, match="boundary"):
        check_layer(np.convolve, w, (5,), kind="signal", boundary="symm")
    with pytest.raises(ValueError, match="batch"):
        check_layer(np.convolve, w, (5,), kind="signal", batch=2)
    with pytest.raises(ValueError, match="kind"):
        check_layer(np.convolve, w, (5,), kind="pool")
    with pytest.raises(ValueError, match="fit"):
        check_layer(np.convolve, np.ones(6), (5,), kind="signal", mode="valid")

"""identify: hand-written transposed convolutions, pooling layers and multi-channel 1-D
convolutions are named with their parameters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import signal

from toeplitz_conv import transposed_layer_matrix
from toeplitz_conv.check import NotLinearError, identify

from .test_check_sweep_kinds import pool_factory

RNG = np.random.default_rng(21)


def conv_transpose(x, w, stride, padding, output_padding, dilation=1):
    """A transposed convolution by scattering (PyTorch's documented output size), N-D."""
    _, *size = x.shape
    _, c_out, *k = w.shape
    nd = len(size)
    s, p, op, d = ((v,) * nd if isinstance(v, int) else v
                   for v in (stride, padding, output_padding, dilation))
    out = [(n - 1) * si - 2 * pi + di * (ki - 1) + oi + 1
           for n, ki, si, pi, oi, di in zip(size, k, s, p, op, d)]
    y = np.zeros((c_out, *out))
    for o in itertools.product(*(range(n) for n in size)):
        for t in itertools.product(*(range(ki) for ki in k)):
            j = tuple(si * oi + di * ti - pi for si, oi, di, ti, pi in zip(s, o, d, t, p))
            if all(0 <= jj < m for jj, m in zip(j, out)):
                y[(slice(None), *j)] += x[(slice(None), *o)] @ w[(slice(None), slice(None), *t)]
    return y


@pytest.mark.parametrize("size,stride,padding,output_padding", [
    ((5,), 2, 1, 1), ((4, 3), (2, 3), (1, 0), (1, 2)), ((3, 4), 2, 0, 0)])
def test_identify_names_a_hand_written_transposed_convolution(size, stride, padding,
                                                              output_padding):
    nd = len(size)
    w = RNG.standard_normal((2, 3, *(3,) * nd))
    def f(x):
        return conv_transpose(x, w, stride, padding, output_padding)
    r = identify(f, (2, *size))
    assert r.fits and r.convention == "transposed", str(r)
    expect = {k: (v,) * nd if isinstance(v, int) else v for k, v in
              (("stride", stride), ("padding", padding), ("output_padding", output_padding))}
    assert {k: r.params[k] for k in expect} == expect, str(r)
    assert r.params["groups"] == 1 and np.allclose(r.kernel, w, rtol=1e-12)
    assert f"{nd}-D transposed convolution with 2 input channels" in str(r)
    if nd == 1:                      # the expected weight's shape (or values) as a hint
        hinted = identify(f, (2, *size), kernel=w)
        assert hinted.convention == "transposed" and np.allclose(hinted.kernel, w), str(r)
    assert f"conv_transpose{nd}d" in str(r)
    x = RNG.standard_normal((2, *size))
    again = transposed_layer_matrix(r.kernel, (2, *size), **{k: r.params[k] for k in
                                    ("stride", "padding", "output_padding", "dilation")})
    assert np.allclose(again.apply(x), f(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("opts,expect", [
    (dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
     dict(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), count_include_pad=False)),
    (dict(kernel_size=2), dict(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))),
    (dict(kernel_size=(2, 3), stride=(1, 2), ceil_mode=True),
     dict(kernel_size=(2, 3), stride=(1, 2), ceil_mode=True))])
def test_identify_names_an_average_pool(opts, expect):
    f = pool_factory("avg_pool")(**opts)
    r = identify(f, (2, 7, 8))
    assert r.fits and r.convention == "avg_pool", str(r)
    assert {k: r.params[k] for k in expect} == expect, str(r)
    assert "2-D average pooling" in str(r) and "avg_pool2d" in str(r)


def test_identify_names_a_max_pool_which_has_no_matrix():
    f = pool_factory("max_pool")(kernel_size=3, stride=2, padding=1)[0]
    r = identify(f, (2, 7, 8))
    assert r.fits and r.convention == "max_pool", str(r)
    assert r.params["kernel_size"] == (3, 3) and r.params["stride"] == (2, 2)
    assert r.params["padding"] == (1, 1) and "not linear" in str(r)
    # A non-linear black box that is no pooling still says it is not linear.
    with pytest.raises(NotLinearError):
        identify(lambda x: x ** 2, (2, 4, 4))


def test_a_multi_channel_1d_convolution_is_named_so():
    w = RNG.standard_normal((2, 3, 3))

    def conv1d(x):                      # (C_in, W) -> (C_out, W - 2), by loops
        return np.stack([sum(signal.correlate(x[c], w[o, c], "valid") for c in range(3))
                         for o in range(2)])
    r = identify(conv1d, (3, 10))
    assert r.fits and r.convention == "layer", str(r)
    assert "1-D convolution with 3 channels" in str(r)
    assert np.allclose(r.kernel, w, rtol=1e-12)
    # One output channel: also a 2-D 'valid' signal correlation with a 3 x 3 kernel, the
    # same number of weights; the 1-D layer is named, the signal reading is an alternative.
    r = identify(lambda x: conv1d(x)[:1], (3, 10))
    assert r.fits and r.convention == "layer", str(r)
    assert "1-D convolution with 3 channels" in str(r)
    assert any(c.convention == "signal" for c in r.alternatives)
    # A genuine 2-D convolution of an image stays a 2-D signal convolution.
    k = RNG.standard_normal((3, 3))
    r = identify(lambda x: signal.convolve2d(x, k, "same"), (6, 7))
    assert r.convention == "signal" and r.params["mode"] == "same", str(r)


def test_identify_refuses_bad_conventions_and_limits_before_probing():
    calls = []

    def f(x):
        calls.append(1)
        return x
    with pytest.raises(ValueError, match="convention must be one of"):
        identify(f, (2, 4), convention="pooling")
    with pytest.raises(ValueError, match="max_stride"):
        identify(f, (2, 4), max_stride=0)
    from toeplitz_conv import DenseTooLargeError
    with pytest.raises(DenseTooLargeError):
        identify(f, (2, 10**6, 10**6), convention="max_pool")
    assert not calls
    # Huge limits are cut at the axis lengths: no hang, same answer.
    f = pool_factory("avg_pool")(kernel_size=2)
    r = identify(f, (1, 4, 4), max_kernel=10**9, max_stride=2**31, max_dilation=2**31)
    assert r.convention == "avg_pool" and r.params["kernel_size"] == (2, 2), str(r)


def _matlab_same(x, k):
    """MATLAB's conv(x, k, 'same') from its documentation: the central part of the full
    convolution, starting at floor(length(k) / 2) (0-based)."""
    full = np.convolve(x, k)
    start = len(k) // 2
    return full[start:start + len(x)]


@pytest.mark.parametrize("case", ["numpy long kernel", "numpy correlate long kernel",
                                  "matlab even kernel", "correlate2d even kernel",
                                  "circular by fft"])
def test_identify_knows_the_peers_placements_and_the_circular_mode(case):
    k = np.array([1.0, 2.0, 4.0, 3.0])
    k2 = np.array([[1.0, 2.0], [4.0, 3.0]])
    f, shape, kernel, peer, word = {
        "numpy long kernel": (lambda x: np.convolve(x, k, "same"), (3,), k, "numpy",
                              "numpy.convolve"),
        "numpy correlate long kernel": (lambda x: np.correlate(x, k, "same"), (3,), k,
                                        "numpy", "numpy.correlate"),
        "matlab even kernel": (lambda x: _matlab_same(x, k), (7,), k, "matlab", "MATLAB"),
        "correlate2d even kernel": (lambda x: signal.correlate2d(x, k2, "same"), (4, 5), k2,
                                    "convolve2d", "scipy.signal.correlate2d"),
        "circular by fft": (lambda x: np.real(np.fft.ifft(np.fft.fft(x)
                                                          * np.fft.fft(k, 8))), (8,), k,
                            "scipy", "circular convolution"),
    }[case]
    r = identify(f, shape, kernel=kernel)
    assert r.fits and np.allclose(r.kernel, kernel, rtol=1e-12), str(r)
    assert r.params["signal_convention"] == peer and word in str(r), str(r)
    if case == "circular by fft":
        assert r.params["mode"] == "circular" and not r.params["correlate"]
    # Each case is one where scipy's own placement differs (so naming the peer matters).
    x = RNG.standard_normal(shape)
    scipy_same = {"circular by fft": None}.get(case, "same")
    if scipy_same:
        fn = signal.correlate if "correlate" in case else signal.convolve
        theirs = fn(x, kernel, "same")
        assert theirs.shape != f(x).shape or not np.allclose(theirs, f(x))

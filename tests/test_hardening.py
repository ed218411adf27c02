"""Issue 29's reproducers outside the builders' main paths: each is one clean error or the
right answer, checked against an independent reference where there is one."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.signal

import toeplitz_conv as tc
from toeplitz_conv import geometry, spectrum

from .conftest import HAS_TORCH


@pytest.mark.parametrize("call, name", [
    (lambda v: spectrum.clip_singular_values(np.ones((1, 1, 3)), (1, 5), v), "bound"),
    (lambda v: tc.ndimage_matrix([1, 2, 1], 5, mode="constant", cval=v), "cval"),
    (lambda v: tc.lp_pool(np.ones((1, 4)), v, 2), "norm_type"),
], ids=["clip_singular_values", "ndimage_matrix", "lp_pool"])
@pytest.mark.parametrize("value", [2**1024, -(2**2000)], ids=["2**1024", "-2**2000"])
def test_an_int_beyond_float64_is_a_value_error_naming_the_parameter(call, name, value):
    with pytest.raises(ValueError, match=name):
        call(value)


def _lp_reference(x: np.ndarray, p: float, k: int) -> np.ndarray:
    # The definition, window by window, in exact rationals' stead: scaled by the window's
    # largest |x| so that it stays finite for every p (1-D, stride k, no padding).
    out = []
    for c in x:
        row = []
        for o in range(len(c) // k):
            w = c[o * k:(o + 1) * k]
            m = np.max(np.abs(w))
            row.append(0.0 if m == 0 else m * np.sum((w / m) ** p) ** (1 / p))
        out.append(row)
    return np.array(out)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5, 40.0, 1e4, 2.0**64])
def test_lp_pool_is_the_power_mean_for_every_p_without_overflow(p):
    rng = np.random.default_rng(int(np.log2(p)) + 3)
    x = np.abs(rng.standard_normal((2, 12))) * 10
    y = tc.lp_pool(x, p, 3)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, _lp_reference(x, p, 3), rtol=1e-12)
    if p > 1e3:     # the limit p -> inf is max pooling of |x|
        np.testing.assert_allclose(y, tc.lp_pool(x, np.inf, 3), rtol=1e-3)


@pytest.mark.skipif(not HAS_TORCH, reason="needs torch")
def test_lp_pool_agrees_with_torch_where_torch_is_finite():
    import torch

    rng = np.random.default_rng(5)
    for _ in range(40):
        p = float(rng.choice([1.0, 2.0, 3.0, 0.5, 6.0]))
        k, s, ceil = int(rng.integers(1, 4)), int(rng.integers(1, 3)), bool(rng.integers(2))
        x = rng.standard_normal((2, 5, 7))
        if p % 2:
            x = np.abs(x)
        ref = torch.nn.functional.lp_pool2d(torch.tensor(x)[None], p, k, stride=s,
                                            ceil_mode=ceil)[0].numpy()
        np.testing.assert_allclose(tc.lp_pool(x, p, k, stride=s, ceil_mode=ceil), ref,
                                   rtol=1e-12, atol=1e-12)


def test_channel_map_refuses_a_huge_map_before_allocating():
    with pytest.raises(tc.DenseTooLargeError, match="channel map"):
        geometry.channel_map(2**31, 4, 2)
    with pytest.raises(ValueError, match="groups"):
        geometry.channel_map(4, 6, 4)
    with pytest.raises(TypeError, match="c_out"):
        geometry.channel_map(4.5, 6, 1)
    # torch's grouped convolution: output channel o of group g reads inputs g*c_ig onwards
    np.testing.assert_array_equal(geometry.channel_map(6, 4, 2),
                                  [[0, 1]] * 3 + [[2, 3]] * 3)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_conv_matrices_equals_scipys_convolution_matrix_for_every_kernel(mode):
    rng = np.random.default_rng(11)
    ks = rng.integers(-9, 9, (40, 3)).astype(float)
    As = tc.conv_matrices(ks, 7, mode)
    assert len(As) == 40
    for A, k in zip(As, ks):
        np.testing.assert_array_equal(A.toarray(), scipy.linalg.convolution_matrix(k, 7, mode))
    # N-D and complex correlation: each matrix is the kernel's own scipy.signal.correlate
    kc = rng.standard_normal((3, 2, 3)) + 1j * rng.standard_normal((3, 2, 3))
    x = rng.standard_normal((4, 5))
    for A, k in zip(tc.conv_matrices(kc, (4, 5), "same", correlate=True), kc):
        np.testing.assert_allclose(A @ x.ravel(),
                                   scipy.signal.correlate(x, k, "same").ravel(), atol=1e-12)


def test_conv_matrices_refuses_a_batch_over_the_build_limit_first():
    with tc.limits.override(max_build_bytes=2**20), \
            pytest.raises(tc.DenseTooLargeError, match="batch of matrices"):
        tc.conv_matrices(np.ones((10**5, 3)), 100, "full")


@pytest.mark.parametrize("bias", [np.nan, [1.0, np.inf], [-np.inf, 0.0]])
def test_a_non_finite_bias_is_refused_as_a_non_finite_weight_is(bias):
    A = tc.layer_matrix(np.ones((2, 1, 3)), (1, 5))
    with pytest.raises(ValueError, match="bias"):
        A.apply(np.ones((1, 5)), bias=bias)
    with pytest.raises(ValueError, match="bias"):
        A.bias_vector(bias)


@pytest.mark.parametrize("tol", [1.0, 1.34e154, -1e-9])
def test_spectral_norm_refuses_a_tolerance_outside_0_1(tol):
    with pytest.raises(ValueError, match="tol"):
        tc.spectral_norm(np.ones((1, 1, 3)), (1, 6), tol=tol)

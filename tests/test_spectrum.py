"""Singular values by FFT against numpy's dense SVD; spectral norms; clipping."""

import numpy as np
import pytest

import toeplitz_conv as tc
from toeplitz_conv import clip_singular_values, layer_matrix, singular_values, spectral_norm
from toeplitz_conv.spectrum import frequency_matrices


def _random_circular_layer(rng, complex_weight=False):
    """A random layer for which padding="same", padding_mode="circular" is valid."""
    while True:
        nd = int(rng.integers(1, 4))
        groups = int(rng.choice([1, 1, 2]))
        c_out, c_in = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 5, nd))
        spatial = tuple(int(v) for v in rng.integers(1, 7 if nd < 3 else 4, nd))
        dil = int(rng.integers(1, 3))
        w = rng.standard_normal((c_out, c_in // groups, *k))
        if complex_weight:
            w = w + 1j * rng.standard_normal(w.shape)
        kw = {"dilation": dil, "groups": groups}
        # Odd kernels: torch's symmetric integer padding gives the same layer as "same".
        padding = (tuple(dil * (kk - 1) // 2 for kk in k)
                   if all(kk % 2 for kk in k) and rng.integers(2) else "same")
        try:
            A = layer_matrix(w, (c_in, *spatial), padding=padding, padding_mode="circular",
                             **kw)
        except ValueError:          # torch: circular padding must not exceed the input
            continue
        return w, (c_in, *spatial), kw, A


@pytest.mark.parametrize("complex_weight", [False, True])
def test_fft_singular_values_equal_dense_svd(rng, complex_weight):
    for _ in range(50):
        w, shape, kw, A = _random_circular_layer(rng, complex_weight)
        dense = np.linalg.svd(A.toarray(), compute_uv=False)
        fft = singular_values(w, shape, **kw)
        assert fft.shape == dense.shape
        np.testing.assert_allclose(fft, dense, rtol=0, atol=1e-10 * dense[0])


def test_frequency_matrices_diagonalise_the_layer(rng):
    # Y[f] = M[f] X[f] with numpy's own FFT of the layer's input and output.
    for _ in range(30):
        w, shape, kw, A = _random_circular_layer(rng, complex_weight=bool(rng.integers(2)))
        x = rng.standard_normal(shape)
        y = A.apply(x)
        axes = tuple(range(1, len(shape)))
        xf = np.moveaxis(np.fft.fftn(x, axes=axes), 0, -1)
        yf = np.moveaxis(np.fft.fftn(y, axes=axes), 0, -1)
        m = frequency_matrices(w, shape, **kw)
        np.testing.assert_allclose(np.einsum("...ij,...j->...i", m, xf), yf,
                                   atol=1e-10 * max(1.0, np.abs(yf).max()))


def test_spectral_norm_equals_dense_largest_singular_value(rng):
    for _ in range(40):
        nd = int(rng.integers(1, 3))
        groups = int(rng.choice([1, 2]))
        c_out, c_in = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        spatial = tuple(int(rng.integers(kk, 9)) for kk in k)
        kw = {"stride": int(rng.integers(1, 3)), "padding": int(rng.integers(0, 3)),
              "groups": groups,
              "padding_mode": ["zeros", "zeros", "replicate", "reflect"][int(rng.integers(4))]}
        if kw["padding_mode"] == "reflect":
            kw["padding"] = min(kw["padding"], min(spatial) - 1)
        w = rng.standard_normal((c_out, c_in // groups, *k))
        dense = np.linalg.norm(layer_matrix(w, (c_in, *spatial), **kw).toarray(), 2)
        assert spectral_norm(w, (c_in, *spatial), **kw) == pytest.approx(dense, rel=1e-10)


def test_spectral_norm_svds_agrees_with_fft_on_circular_layers(rng):
    for _ in range(20):
        w, shape, kw, _ = _random_circular_layer(rng)
        a = spectral_norm(w, shape, padding="same", padding_mode="circular", **kw)
        b = spectral_norm(w, shape, method="fft", padding="same", padding_mode="circular", **kw)
        assert a == pytest.approx(b, rel=1e-10)


def test_clip_singular_values(rng):
    for _ in range(20):
        w, shape, kw, A = _random_circular_layer(rng)
        s = singular_values(w, shape, **kw)
        bound = float(rng.uniform(0.2, 1.0) * s[0])
        w2 = clip_singular_values(w, shape, bound, **kw)
        assert w2.shape == (w.shape[0], shape[0], *shape[1:])
        clipped = np.linalg.svd(layer_matrix(w2, shape, padding="same",
                                             padding_mode="circular").toarray(),
                                compute_uv=False)
        np.testing.assert_allclose(clipped, np.sort(np.minimum(s, bound))[::-1],
                                   atol=1e-10 * s[0])
        # a bound above the norm leaves the operator unchanged
        same = clip_singular_values(w, shape, 2 * s[0], **kw)
        np.testing.assert_allclose(
            layer_matrix(same, shape, padding="same", padding_mode="circular").toarray(),
            A.toarray(), atol=1e-10 * s[0])


def test_spectrum_argument_errors():
    w = np.ones((1, 1, 3))
    with pytest.raises(ValueError, match="padding_mode"):
        singular_values(w, (1, 5), padding_mode="zeros")
    with pytest.raises(ValueError, match="method='fft'"):
        spectral_norm(w, (1, 5), method="fft", padding=1)
    with pytest.raises(ValueError, match="method"):
        spectral_norm(w, (1, 5), method="power")
    with pytest.raises(ValueError, match="bound"):
        clip_singular_values(w, (1, 5), -1.0)
    with pytest.raises(ValueError, match="groups"):
        singular_values(np.ones((2, 1, 3)), (3, 5), groups=2)


# ------------------------------------------------------------ issue 20 items 3 and 9
@pytest.mark.parametrize("tol,exc", [(np.nan, ValueError), (-1.0, ValueError),
                                     (np.inf, ValueError), ("0", TypeError), (None, TypeError)])
def test_spectral_norm_validates_tol(tol, exc):
    with pytest.raises(exc, match="tol"):
        spectral_norm(np.ones((1, 1, 3)), (1, 8), tol=tol)


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e150, 1e300])
def test_spectral_norm_of_tiny_and_huge_weights(rng, scale):
    w = rng.standard_normal((3, 2, 3))
    shape = (2, 12)
    # Reference: numpy's dense 2-norm of the unscaled matrix, times the scale
    # (the norm is homogeneous; the scaled dense matrix itself under/overflows).
    expected = np.linalg.norm(layer_matrix(w, shape, padding=1).toarray(), 2) * scale
    got = spectral_norm(w * scale, shape, padding=1)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_spectral_norm_of_zero_weights_is_zero():
    assert spectral_norm(np.zeros((2, 1, 3)), (1, 8), padding=1) == 0.0


def test_singular_values_refuse_huge_inputs_at_once():
    import time

    t = time.perf_counter()
    with pytest.raises(tc.DenseTooLargeError, match="max_dense_bytes"):
        singular_values(np.ones((1, 1, 3)), (1, 10**9))
    with pytest.raises(tc.DenseTooLargeError, match="max_dense_bytes"):
        singular_values(np.ones((64, 64, 3, 3)), (64, 512, 512))
    assert time.perf_counter() - t < 5


@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("weight_shape,input_shape,complex_weight", [
    ((1, 1, 3), (1, 20000), False),
    ((3, 3, 3), (3, 5000), False),
    ((4, 2, 3, 3), (2, 60, 40), False),
    ((1, 4, 3), (4, 4000), False),
    ((2, 2, 3), (2, 4000), True),
])
def test_spectra_stay_within_the_limit_they_state(rng, weight_shape, input_shape,
                                                  complex_weight, clip):
    import tracemalloc

    from toeplitz_conv import spectrum

    w = rng.standard_normal(weight_shape)
    if complex_weight:
        w = w + 1j * rng.standard_normal(weight_shape)
    n = int(np.prod(input_shape[1:]))
    c_out, c_in = weight_shape[0], input_shape[0]
    per_entry = spectrum.CLIP_BYTES if clip else spectrum.SPECTRUM_BYTES

    def run():
        if clip:
            return clip_singular_values(w, input_shape, 1.0)
        return singular_values(w, input_shape)

    # The smallest limit the function accepts for this size (its stated need):
    need = spectrum.spectrum_need(input_shape[1:], c_out, c_in, per_entry)
    with tc.limits.override(max_dense_bytes=need - 1):
        with pytest.raises(tc.DenseTooLargeError):
            run()
    with tc.limits.override(max_dense_bytes=need):
        tracemalloc.start()
        try:
            out = run()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert out.size == (n * c_out * c_in if clip else n * min(c_out, c_in))
    assert peak <= need

"""ndimage_matrix against scipy.ndimage.convolve / correlate, every mode and origin."""

import numpy as np
import pytest
from scipy import ndimage

from toeplitz_conv import ndimage_matrix
from toeplitz_conv.ndimage import NDIMAGE_MODES


@pytest.mark.parametrize("mode", NDIMAGE_MODES)
@pytest.mark.parametrize("correlate", [False, True])
def test_random_configurations_match_scipy(mode, correlate):
    rng = np.random.default_rng(21)
    ref = ndimage.correlate if correlate else ndimage.convolve
    for trial in range(30):
        nd = 1 + trial % 3
        shape = tuple(int(v) for v in rng.integers(1, 7, nd))
        # Kernels up to twice the input: the border modes then repeat.
        kshape = tuple(int(rng.integers(1, 2 * n + 2)) for n in shape)
        origin = tuple(int(rng.integers(-(k // 2), (k - 1) // 2 + 1)) for k in kshape)
        w = rng.standard_normal(kshape)
        x = rng.standard_normal(shape)
        A = ndimage_matrix(w, shape, mode=mode, origin=origin, correlate=correlate)
        np.testing.assert_allclose(A @ x.ravel(),
                                   ref(x, w, mode=mode, origin=list(origin)).ravel(),
                                   atol=1e-10, err_msg=f"{shape} {kshape} {origin}")


def test_int_origin_applies_to_every_axis():
    rng = np.random.default_rng(22)
    w, x = rng.standard_normal((4, 4)), rng.standard_normal((5, 6))
    A = ndimage_matrix(w, x.shape, origin=1)
    np.testing.assert_allclose(A @ x.ravel(), ndimage.convolve(x, w, origin=1).ravel())


@pytest.mark.parametrize("mode", ["constant", "grid-constant", "reflect"])
def test_cval_is_affine_as_ndimage(mode):
    rng = np.random.default_rng(23)
    for _ in range(15):
        shape = tuple(int(v) for v in rng.integers(2, 6, 2))
        w, x = rng.standard_normal((3, 2)), rng.standard_normal(shape)
        A = ndimage_matrix(w, shape, mode=mode, cval=1.5)
        np.testing.assert_allclose(A.apply(x), ndimage.convolve(x, w, mode=mode, cval=1.5),
                                   atol=1e-10)
        assert (A.offset is None) == (mode == "reflect")


def test_convolve_is_not_correlate():
    # The flip matters, so the tests above can tell the two apart.
    w = np.array([1.0, 2.0, 4.0])
    a = ndimage_matrix(w, 5).toarray()
    b = ndimage_matrix(w, 5, correlate=True).toarray()
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("kwargs,exc,word", [
    ({"mode": "reflect101"}, ValueError, "mode"),
    ({"mode": 3}, TypeError, "mode"),
    ({"origin": 2}, ValueError, "origin"),
    ({"origin": 1.5}, TypeError, "origin"),
    ({"cval": float("nan")}, ValueError, "cval"),
    ({"correlate": 1}, TypeError, "correlate"),
])
def test_bad_arguments(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        ndimage_matrix([1.0, 2.0, 3.0], 5, **kwargs)


def test_bool_weights_as_ndimage():
    w = np.array([[True, False], [True, True]])
    x = np.random.default_rng(24).standard_normal((4, 3))
    np.testing.assert_allclose(ndimage_matrix(w, x.shape) @ x.ravel(),
                               ndimage.convolve(x, w).ravel())

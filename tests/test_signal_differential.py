"""conv_matrix against scipy.signal over many random configurations."""

from functools import partial

import numpy as np
import pytest
import scipy.signal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toeplitz_conv import conv_matrix

MODES = ["full", "valid", "same"]

# Every test here runs through each of the builder's write paths.


def _reference(x, k, mode, correlate):
    f = scipy.signal.correlate if correlate else scipy.signal.convolve
    return f(x, k, mode, method="direct")


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("correlate", [False, True])
def test_integer_configs_exact(builder_path, ndim, mode, correlate):
    rng = np.random.default_rng(ndim * 100 + MODES.index(mode) * 10 + correlate)
    for _ in range(60 if ndim < 3 else 25):
        n = rng.integers(1, 7, ndim)
        k = rng.integers(1, 6, ndim)
        if mode == "valid":
            k = np.minimum(k, n)
        x = rng.integers(-9, 10, n)
        w = rng.integers(-9, 10, k)
        ref = _reference(x, w, mode, correlate)
        A = conv_matrix(w, tuple(int(v) for v in n), mode, correlate=correlate)
        assert A.shape == (ref.size, x.size)
        np.testing.assert_array_equal(A @ x.ravel(), ref.ravel())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("correlate", [False, True])
def test_float_and_complex_kernels(builder_path, dtype, correlate):
    rng = np.random.default_rng(7)
    for _ in range(40):
        ndim = int(rng.integers(1, 3))
        n = tuple(int(v) for v in rng.integers(2, 9, ndim))
        k = tuple(int(v) for v in rng.integers(1, 6, ndim))
        mode = MODES[int(rng.integers(3))]
        if mode == "valid":
            k = tuple(min(a, b) for a, b in zip(k, n))
        w = rng.standard_normal(k).astype(dtype)
        x = rng.standard_normal(n)
        if np.iscomplexobj(w):
            w = w + 1j * rng.standard_normal(k)
            x = x + 1j * rng.standard_normal(n)
        A = conv_matrix(w, n, mode, correlate=correlate)
        assert A.dtype == w.dtype
        ref = _reference(x, w, mode, correlate)
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(A @ x.ravel(), ref.ravel(), rtol=tol, atol=tol)


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("mode", MODES)
def test_boundaries_against_convolve2d(builder_path, boundary, mode):
    rng = np.random.default_rng([["fill", "wrap", "symm"].index(boundary), MODES.index(mode)])
    for _ in range(80):
        one_d = bool(rng.integers(2))
        n = (1, int(rng.integers(1, 8))) if one_d else tuple(int(v) for v in rng.integers(1, 7, 2))
        k = (1, int(rng.integers(1, 9))) if one_d else tuple(int(v) for v in rng.integers(1, 8, 2))
        if mode == "valid":
            k = tuple(min(a, b) for a, b in zip(k, n))
        correlate = bool(rng.integers(2))
        x = rng.integers(-9, 10, n)
        w = rng.integers(-9, 10, k)
        # Contract: correlation is convolve2d with the flipped kernel.
        ref = scipy.signal.convolve2d(x, w[::-1, ::-1] if correlate else w, mode,
                                      boundary=boundary)
        if one_d:
            A = conv_matrix(w[0], n[1], mode, correlate=correlate, boundary=boundary)
        else:
            A = conv_matrix(w, n, mode, correlate=correlate, boundary=boundary)
        np.testing.assert_array_equal(A @ x.ravel(), ref.ravel())


@pytest.mark.parametrize("boundary,np_mode", [("wrap", "wrap"), ("symm", "symmetric")])
@pytest.mark.parametrize("mode", MODES)
def test_3d_boundaries_against_numpy_pad(builder_path, boundary, np_mode, mode):
    # scipy has no N-D boundary option; the definition is "pad, then valid".
    rng = np.random.default_rng(3)
    for _ in range(15):
        n = rng.integers(1, 5, 3)
        k = rng.integers(1, 4, 3)
        if mode == "valid":
            k = np.minimum(k, n)
        x = rng.integers(-9, 10, n)
        w = rng.integers(-9, 10, k)
        full = scipy.signal.convolve(np.pad(x, [(kk - 1, kk - 1) for kk in k], mode=np_mode),
                                     w, "valid", method="direct")
        if mode == "full":
            ref = full
        elif mode == "valid":
            ref = scipy.signal.convolve(x, w, "valid", method="direct")
        else:
            start = [(kk - 1) // 2 for kk in k]
            ref = full[tuple(slice(s, s + nn) for s, nn in zip(start, n))]
        A = conv_matrix(w, tuple(int(v) for v in n), mode, boundary=boundary)
        np.testing.assert_array_equal(A @ x.ravel(), ref.ravel())


def test_kernel_longer_than_input(builder_path):
    x = np.array([1, -2, 3])
    w = np.arange(1, 8)
    for mode in ("full", "same", "valid"):
        for correlate in (False, True):
            np.testing.assert_array_equal(
                conv_matrix(w, 3, mode, correlate=correlate) @ x,
                _reference(x, w, mode, correlate))


# builder_path forces the write path for the whole test, every example included.
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 12), k=st.integers(1, 12), mode=st.sampled_from(MODES),
       correlate=st.booleans(), data=st.data())
def test_hypothesis_1d(builder_path, n, k, mode, correlate, data):
    w = np.array(data.draw(st.lists(st.integers(-50, 50), min_size=k, max_size=k)))
    x = np.array(data.draw(st.lists(st.integers(-50, 50), min_size=n, max_size=n)))
    np.testing.assert_array_equal(conv_matrix(w, n, mode, correlate=correlate) @ x,
                                  _reference(x, w, mode, correlate))


def test_matches_scipy_linalg_convolution_matrix(builder_path):
    import scipy.linalg

    rng = np.random.default_rng(0)
    for mode in MODES:
        w = rng.standard_normal(5)
        np.testing.assert_allclose(conv_matrix(w, 9, mode).toarray(),
                                   scipy.linalg.convolution_matrix(w, 9, mode), atol=0)


@pytest.mark.parametrize("shape,kshape", [((5000,), (7,)), ((90, 70), (3, 4)),
                                          ((20, 18, 25), (2, 3, 4))])
@pytest.mark.parametrize("mode", MODES)
def test_inputs_large_enough_for_the_region_path(builder_path, shape, kshape, mode):
    # Above the builder's small-matrix size without any monkeypatching.
    rng = np.random.default_rng(len(shape) * 10 + MODES.index(mode))
    x = rng.integers(-9, 10, shape)
    w = rng.integers(-9, 10, kshape)
    for correlate in (False, True):
        A = conv_matrix(w, shape, mode, correlate=correlate)
        np.testing.assert_array_equal(A @ x.ravel(), _reference(x, w, mode, correlate).ravel())


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_valid_with_the_input_inside_the_kernel(builder_path, boundary):
    # scipy swaps the operands; convolve2d ignores the boundary in 'valid' mode.
    rng = np.random.default_rng(31)
    for _ in range(20):
        shape = tuple(int(v) for v in rng.integers(1, 5, 2))
        kshape = tuple(int(n + rng.integers(0, 4)) for n in shape)
        w, x = rng.standard_normal(kshape), rng.standard_normal(shape)
        A = conv_matrix(w, shape, "valid", boundary=boundary)
        np.testing.assert_allclose(
            A @ x.ravel(), scipy.signal.convolve2d(x, w, "valid", boundary=boundary).ravel())
        C = conv_matrix(w, shape, "valid", correlate=True)
        np.testing.assert_allclose(C @ x.ravel(), _reference(x, w, "valid", True).ravel())


def test_bool_kernels_as_scipy(builder_path):
    rng = np.random.default_rng(32)
    for _ in range(10):
        k = rng.integers(0, 2, size=(2, 3)).astype(bool)
        x = rng.integers(-9, 10, size=(4, 5))
        for mode in MODES:
            A = conv_matrix(k, x.shape, mode)
            got = A @ x.ravel()
            want = scipy.signal.convolve(x, k, mode)
            np.testing.assert_array_equal(got, want.ravel())
            assert got.dtype == want.dtype      # integers stay integers


def _ref_matrix(ref, shape):
    """The dense matrix of the linear part of ``ref``, column by column (basis inputs)."""
    zero = np.asarray(ref(np.zeros(shape)))
    cols = []
    for j in range(int(np.prod(shape))):
        e = np.zeros(int(np.prod(shape)))
        e[j] = 1
        cols.append((np.asarray(ref(e.reshape(shape))) - zero).ravel())
    return np.stack(cols, axis=1), zero


@pytest.mark.parametrize("convention", ["scipy", "convolve2d"])
def test_fillvalue_against_convolve2d_kernel_longer_too(convention):
    # Issue 29 item 1: a swapped 'valid' (the kernel at least as long as the
    # input along every axis, longer along one) reads no fill in scipy; the
    # other modes read it also when the kernel is longer than the input.
    rng = np.random.default_rng(29 + len(convention))
    hits = {"swapped": 0, "longer": 0}
    for _ in range(60):
        mode = MODES[int(rng.integers(3))]
        one_d = bool(rng.integers(2))
        n = (1, int(rng.integers(1, 6))) if one_d else tuple(int(v) for v in rng.integers(1, 5, 2))
        if mode == "valid" and rng.integers(2):
            k = tuple(int(a + rng.integers(0, 3)) for a in n)        # the input inside
            k = (1, k[1]) if one_d else k
        else:
            k = (1, int(rng.integers(1, 7))) if one_d else tuple(
                int(v) for v in rng.integers(1, 6, 2))
            if mode == "valid":
                k = tuple(min(a, b) for a, b in zip(k, n))
        hits["swapped"] += mode == "valid" and any(a > b for a, b in zip(k, n))
        hits["longer"] += mode != "valid" and any(a > b for a, b in zip(k, n))
        correlate = bool(rng.integers(2))
        fill = int(rng.integers(-5, 6)) or 3
        w, x = rng.integers(-9, 10, k), rng.integers(-9, 10, n)
        if convention == "convolve2d" and correlate:
            ref = partial(scipy.signal.correlate2d, in2=w, mode=mode, fillvalue=fill)
        else:
            # The contract: correlation is convolve2d with the flipped kernel.
            ref = partial(scipy.signal.convolve2d, in2=w[::-1, ::-1] if correlate else w,
                          mode=mode, fillvalue=fill)
        kw = {"correlate": correlate, "fillvalue": fill, "convention": convention}
        A = (conv_matrix(w[0], n[1], mode, **kw) if one_d else conv_matrix(w, n, mode, **kw))
        np.testing.assert_array_equal(A.apply(x.reshape(A.in_shape)).ravel(), ref(x).ravel())
        R, zero = _ref_matrix(ref, n)
        offset = np.zeros(A.shape[0]) if A.offset is None else A.offset
        np.testing.assert_array_equal(offset, zero.ravel())
        g = rng.integers(-9, 10, A.shape[0])
        np.testing.assert_array_equal(A.T @ g, R.T @ g)              # the adjoint
    assert hits["swapped"] >= 5 and hits["longer"] >= 5


def test_fillvalue_issue_29_reproducer():
    x, k = np.array([[1], [2]]), np.ones((3, 1))
    A = conv_matrix(k, (2, 1), "valid", fillvalue=1)
    np.testing.assert_array_equal(A.apply(x), scipy.signal.convolve2d(x, k, "valid",
                                                                       fillvalue=1))
    np.testing.assert_array_equal(A.apply(x).ravel(), [3, 3])


def test_integer_fillvalue_offset_is_exact_or_refused():
    # 2**62 * (1 + 2) leaves int64: refused, not wrapped.
    with pytest.raises(ValueError, match="fillvalue"):
        conv_matrix([1, 2], 3, fillvalue=2**62)
    with pytest.raises(ValueError, match="fillvalue"):
        conv_matrix([-(2**40), 3], 3, fillvalue=-(2**23))
    # Within int64 the integer offset is exact (float64 would round 2**60 + 1).
    big = 2**60 + 1
    A = conv_matrix([1, 2], 3, fillvalue=big)
    assert A.offset.dtype == np.int64
    assert [int(v) for v in A.offset] == [2 * big, 0, 0, big]
    # Kernel entries beyond 2**53 are summed in int64 too.
    B = conv_matrix([2**53 + 1, 1, 2**53 + 3], 2, fillvalue=1)
    assert [int(v) for v in B.offset] == [2**53 + 4, 2**53 + 3, 2**53 + 1, 2**53 + 2]
    np.testing.assert_array_equal(B.offset, scipy.signal.convolve2d(
        np.zeros((1, 2), np.int64), np.array([[2**53 + 1, 1, 2**53 + 3]]), fillvalue=1)[0])
    # A float fill of the same size is a float offset, as scipy's would be.
    F = conv_matrix([1, 2], 3, fillvalue=float(2**62))
    np.testing.assert_allclose(F.offset, [2.0**63, 0, 0, 2.0**62])


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_valid_swapped_correlation_complex_nd(method):
    # scipy gh-5897: correlate(in1, in2, 'valid') with in2 longer swaps the
    # operands, reverses and conjugates; convolve swaps plainly.
    rng = np.random.default_rng(5897)
    for _ in range(25):
        nd = int(rng.integers(1, 4))
        n = tuple(int(v) for v in rng.integers(1, 4, nd))
        k = tuple(int(a + rng.integers(0, 3)) for a in n)
        w = rng.standard_normal(k) + 1j * rng.standard_normal(k)
        x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        for correlate in (False, True):
            f = scipy.signal.correlate if correlate else scipy.signal.convolve
            ref = f(x, w, "valid", method=method)
            A = conv_matrix(w, n, "valid", correlate=correlate)
            np.testing.assert_allclose(A @ x.ravel(), ref.ravel(), atol=1e-12)
            g = rng.standard_normal(A.shape[0])
            R, _ = _ref_matrix(partial(f, in2=w, mode="valid", method="direct"), n)
            np.testing.assert_allclose(A.T @ g, R.T @ g, atol=1e-12)

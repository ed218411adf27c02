"""conv_matrix in its peers' conventions: numpy, MATLAB, convolve2d/correlate2d, column-major
order, the circular convolution, 0-d inputs and float16 (issue 27 items 2, 3, 5).

The references are the peers themselves where they install here (numpy, scipy) and, for
MATLAB, definitions written from MATLAB's documentation.
"""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal

from toeplitz_conv import conv_matrix

MODES = ["full", "valid", "same"]


def _dense(ref, shape, dtype=float):
    """The dense matrix of the linear map ``ref``, column by column from basis inputs."""
    size = int(np.prod(shape))
    cols = []
    for j in range(size):
        e = np.zeros(size, dtype=dtype)
        e[j] = 1
        cols.append(np.asarray(ref(e.reshape(shape))).ravel())
    return np.stack(cols, axis=1) if cols else np.zeros((0, size))


# ----------------------------------------------------------------- numpy


def test_numpy_convention_against_numpy_and_convolution_matrix():
    rng = np.random.default_rng(27)
    longer = 0
    for _ in range(120):
        n, m = (int(v) for v in rng.integers(1, 9, 2))
        longer += m > n
        mode = MODES[int(rng.integers(3))]
        complex_ = bool(rng.integers(2))
        w, x = rng.standard_normal(m), rng.standard_normal(n)
        if complex_:
            w, x = w + 1j * rng.standard_normal(m), x + 1j * rng.standard_normal(n)
        A = conv_matrix(w, n, mode, convention="numpy")
        np.testing.assert_allclose(A @ x, np.convolve(x, w, mode), atol=1e-12)
        if not complex_:
            np.testing.assert_allclose(A.toarray(), scipy.linalg.convolution_matrix(w, n, mode),
                                       atol=1e-12)
        C = conv_matrix(w, n, mode, correlate=True, convention="numpy")
        np.testing.assert_allclose(C @ x, np.correlate(x, w, mode), atol=1e-12)
        # The adjoint: A.T against the reference's own matrix.
        g = rng.standard_normal(A.shape[0])
        R = _dense(lambda v, w=w, mode=mode: np.convolve(v, w, mode), n, w.dtype)
        np.testing.assert_allclose(A.T @ g, R.T @ g, atol=1e-12)
        if mode == "full":
            # ... which is the correlation: the adjoint of 'full' is 'valid' correlation.
            np.testing.assert_allclose(A.T @ g, np.correlate(g, w.conj(), "valid"), atol=1e-12)
    assert longer > 30


def test_numpy_convention_is_one_dimensional():
    with pytest.raises(ValueError, match="convention='numpy'"):
        conv_matrix(np.ones((2, 2)), (3, 3), "same", convention="numpy")


def test_scipy_default_differs_from_numpy_where_it_should():
    # The default stays scipy.signal's: 'same' has the input's length.
    assert conv_matrix(np.ones(5), 2, "same").shape == (2, 2)
    assert conv_matrix(np.ones(5), 2, "same", convention="numpy").shape == (5, 2)


# ---------------------------------------------------------------- MATLAB


def _matlab_conv(u, v, shape):
    """MATLAB's conv/conv2/convn(u, v, shape), from its documentation.

    'full' is the whole result; 'same' the central part of the size of ``u``,
    starting (0-based) at floor(size(v) / 2) along every axis; 'valid' the
    parts computed without the zero-padded edges, max(size(u) - size(v) + 1, 0)
    long (no swap).
    """
    full = scipy.signal.convolve(u, v, "full", method="direct")
    if shape == "full":
        return full
    if shape == "same":
        return full[tuple(slice(m // 2, m // 2 + n) for n, m in zip(u.shape, v.shape))]
    return full[tuple(slice(m - 1, m - 1 + max(n - m + 1, 0))
                      for n, m in zip(u.shape, v.shape))]


def test_matlab_doc_examples():
    # conv([1 2 3 4], [1 1], 'same') = [3 5 7 4]
    np.testing.assert_array_equal(
        conv_matrix([1, 1], 4, "same", convention="matlab") @ [1, 2, 3, 4], [3, 5, 7, 4])
    # conv(u, v, 'same') of MATLAB's conv page
    u, v = np.array([-1, 2, 3, -2, 0, 1, 2]), np.array([2, 4, -1, 1])
    np.testing.assert_array_equal(conv_matrix(v, 7, "same", convention="matlab") @ u,
                                  [15, 5, -9, 7, 6, 7, -1])
    # conv2's page: Cs = conv2(A, B, 'same') is Cfull(3:5, 3:5) for A 3x3, B 4x4
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((4, 4))
    cfull = scipy.signal.convolve2d(a, b)
    np.testing.assert_allclose(conv_matrix(b, (3, 3), "same", convention="matlab").apply(a),
                               cfull[2:5, 2:5])


def test_matlab_convention_against_the_documented_definition():
    rng = np.random.default_rng(270)
    empty = 0
    for _ in range(80):
        nd = int(rng.integers(1, 4))
        n = tuple(int(v) for v in rng.integers(1, 6, nd))
        m = tuple(int(v) for v in rng.integers(1, 6, nd))
        mode = MODES[int(rng.integers(3))]
        u, v = rng.integers(-9, 10, n), rng.integers(-9, 10, m)
        A = conv_matrix(v, n, mode, convention="matlab")
        ref = _matlab_conv(u, v, mode)
        empty += ref.size == 0
        assert A.out_shape == ref.shape
        np.testing.assert_array_equal(A @ u.ravel(), ref.ravel())
        # filter2(v, u, shape) is conv2(u, rot90(v, 2), shape): no conjugate.
        F = conv_matrix(v, n, mode, correlate=True, convention="matlab")
        np.testing.assert_array_equal(F @ u.ravel(),
                                      _matlab_conv(u, v[(slice(None, None, -1),) * nd],
                                                   mode).ravel())
        g = rng.integers(-9, 10, A.shape[0])
        R = _dense(lambda x, v=v, mode=mode: _matlab_conv(x, v, mode), n)
        np.testing.assert_array_equal(A.T @ g, R.T @ g)
    assert empty >= 3          # 'valid' with a longer kernel: MATLAB gives an empty result


def test_matlab_filter2_does_not_conjugate():
    v = np.array([1 + 2j, 3 - 1j])
    u = np.array([1.0, 2.0, -1.0])
    F = conv_matrix(v, 3, "same", correlate=True, convention="matlab")
    np.testing.assert_allclose(F @ u, _matlab_conv(u, v[::-1], "same"))


# ---------------------------------------------------- convolve2d / correlate2d


def test_convolve2d_convention_against_convolve2d_and_correlate2d():
    rng = np.random.default_rng(2727)
    differs = 0
    for _ in range(80):
        one_d = bool(rng.integers(2))
        n = (1, int(rng.integers(1, 7))) if one_d else tuple(int(v) for v in rng.integers(1, 6, 2))
        mode = MODES[int(rng.integers(3))]
        boundary = ["fill", "wrap", "symm"][int(rng.integers(3))]
        if mode == "valid" and rng.integers(2):
            k = tuple(int(a + rng.integers(0, 3)) for a in n)
            k = (1, k[1]) if one_d else k
        else:
            k = (1, int(rng.integers(1, 7))) if one_d else tuple(
                int(v) for v in rng.integers(1, 6, 2))
            if mode == "valid":
                k = tuple(min(a, b) for a, b in zip(k, n))
        w = rng.standard_normal(k) + 1j * rng.standard_normal(k)
        x = rng.standard_normal(n)
        kw = {"mode": mode, "boundary": boundary, "convention": "convolve2d"}
        A = conv_matrix(w[0], n[1], **kw) if one_d else conv_matrix(w, n, **kw)
        np.testing.assert_allclose(A @ x.ravel(), scipy.signal.convolve2d(
            x, w, mode, boundary=boundary).ravel(), atol=1e-12)
        C = (conv_matrix(w[0], n[1], correlate=True, **kw) if one_d
             else conv_matrix(w, n, correlate=True, **kw))
        ref = scipy.signal.correlate2d(x, w, mode, boundary=boundary)
        np.testing.assert_allclose(C @ x.ravel(), ref.ravel(), atol=1e-12)
        old = (conv_matrix(w[0], n[1], mode, correlate=True, boundary=boundary) if one_d
               else conv_matrix(w, n, mode, correlate=True, boundary=boundary))
        differs += not np.allclose(old @ x.ravel(), ref.ravel())
        g = rng.standard_normal(C.shape[0])
        R = _dense(lambda v, w=w, mode=mode, b=boundary: scipy.signal.correlate2d(
            v, w, mode, boundary=b), n)
        np.testing.assert_allclose(C.T @ g, R.T @ g, atol=1e-12)
    assert differs >= 10       # the default (correlate's centring) is another matrix


def test_correlate2d_swapped_valid_conjugates_the_input():
    # correlate2d conjugates its second operand, which is the input once
    # 'valid' swaps them: the map is conj-linear in x, A @ conj(x).
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    w = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    C = conv_matrix(w, (2, 3), "valid", correlate=True, convention="convolve2d")
    np.testing.assert_allclose(C @ x.conj().ravel(),
                               scipy.signal.correlate2d(x, w, "valid").ravel(), atol=1e-12)


# ---------------------------------------------------------- column-major


def test_order_f_is_convmtx2():
    # MATLAB's convmtx2(H, m, n): T * X(:) == reshape(conv2(X, H), [], 1), X(:) column-major.
    rng = np.random.default_rng(22)
    for _ in range(20):
        h = rng.integers(-9, 10, tuple(int(v) for v in rng.integers(1, 4, 2)))
        m, n = (int(v) for v in rng.integers(1, 6, 2))
        x = rng.integers(-9, 10, (m, n))
        T = conv_matrix(h, (m, n), "full", order="F")
        np.testing.assert_array_equal(T @ x.ravel(order="F"),
                                      scipy.signal.convolve2d(x, h).ravel(order="F"))
        np.testing.assert_array_equal(T.apply(x), scipy.signal.convolve2d(x, h))
        # Taps index H as passed (C order over H's own shape).
        rows, cols, widx = T.taps
        dense = np.zeros(T.shape, dtype=h.dtype)
        np.add.at(dense, (rows, cols), h.ravel()[widx])
        np.testing.assert_array_equal(dense, T.toarray())
        # The weight gradient is d<conv2(x, H), g>/dH = correlate(g, x, 'valid').
        g = rng.integers(-9, 10, T.out_shape)
        np.testing.assert_array_equal(T.weight_grad(x, g),
                                      scipy.signal.correlate(g, x, "valid"))
        np.testing.assert_array_equal(T.weight_grad(x.ravel(order="F"), g.ravel(order="F")),
                                      scipy.signal.correlate(g, x, "valid"))
        # The adjoint, flattened the same way.
        np.testing.assert_array_equal(T.T @ g.ravel(order="F"),
                                      scipy.signal.correlate(g, h, "valid").ravel(order="F"))


def test_order_f_with_every_option():
    rng = np.random.default_rng(23)
    for _ in range(40):
        nd = int(rng.integers(1, 4))
        n = tuple(int(v) for v in rng.integers(2, 6, nd))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        mode = ["full", "valid", "same", "circular"][int(rng.integers(4))]
        kw = {"correlate": bool(rng.integers(2)), "stride": int(rng.integers(1, 3)),
              "convention": ["scipy", "matlab"][int(rng.integers(2))]}
        if mode != "circular":
            kw["boundary"] = ["fill", "wrap", "symm"][int(rng.integers(3))]
            if kw["boundary"] == "fill":
                kw["fillvalue"] = 2
        if mode == "valid":
            k = tuple(min(a, b) for a, b in zip(k, n))
        w, x = rng.integers(-9, 10, k), rng.integers(-9, 10, n)
        C = conv_matrix(w, n, mode, **kw)
        F = conv_matrix(w, n, mode, order="F", **kw)
        y = C.apply(x)                                   # the C-order matrix is tested above
        np.testing.assert_array_equal(F @ x.ravel(order="F") + (
            0 if F.offset is None else F.offset), y.ravel(order="F"))
        np.testing.assert_array_equal(F.apply(x), y)
        np.testing.assert_array_equal(F.apply(np.stack([x, -x])), np.stack([y, C.apply(-x)]))
    # Along some axes only (the other axes slice by slice), against scipy per slice.
    x, w = rng.integers(-9, 10, (3, 4, 5)), rng.integers(-9, 10, (2, 1, 3))
    F = conv_matrix(w, x.shape, "same", axes=(0, 2), order="F")
    ref = np.stack([scipy.signal.convolve(x[:, j], w[:, 0], "same") for j in range(4)], axis=1)
    np.testing.assert_array_equal(F @ x.ravel(order="F"), ref.ravel(order="F"))


# ------------------------------------------------------------- circular


def _circular(x, k, correlate=False):
    """y[i] = sum_j k[j] x[(i - j) mod n] (with + and conj(k) for the correlation)."""
    y = np.zeros(x.shape, dtype=np.result_type(x, k))
    for j in np.ndindex(k.shape):
        shift = tuple(-a for a in j) if correlate else j
        y = y + (np.conj(k[j]) if correlate else k[j]) * np.roll(x, shift, axis=tuple(
            range(x.ndim)))
    return y


def test_circular_equals_the_fft_product():
    rng = np.random.default_rng(3)
    for _ in range(40):
        nd = int(rng.integers(1, 4))
        n = tuple(int(v) for v in rng.integers(1, 7, nd))
        k = tuple(int(rng.integers(1, a + 1)) for a in n)          # fits: fftn(k, s=) pads
        w = rng.standard_normal(k) + 1j * rng.standard_normal(k)
        x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        A = conv_matrix(w, n, "circular")
        fk = np.fft.fftn(w, s=n, axes=range(nd))
        np.testing.assert_allclose(A.apply(x), np.fft.ifftn(np.fft.fftn(x) * fk), atol=1e-10)
        C = conv_matrix(w, n, "circular", correlate=True)
        np.testing.assert_allclose(C.apply(x), np.fft.ifftn(np.fft.fftn(x) * fk.conj()),
                                   atol=1e-10)
        np.testing.assert_allclose(A.apply(x), _circular(x, w), atol=1e-10)
        np.testing.assert_allclose(C.apply(x), _circular(x, w, correlate=True), atol=1e-10)
        # The adjoint of the circular convolution with a real kernel is its correlation.
        g = rng.standard_normal(n)
        R = conv_matrix(w.real, n, "circular")
        fr = np.fft.fftn(w.real, s=n, axes=range(nd))
        np.testing.assert_allclose((R.T @ g.ravel()).reshape(n),
                                   np.fft.ifftn(np.fft.fftn(g) * fr.conj()).real, atol=1e-10)


def test_circular_kernel_longer_than_the_input_wraps():
    # Allowed: the definition sums k[j] x[(i - j) mod n] over every j, i.e. the
    # FFT of the kernel folded modulo n (fftn(k, s=x.shape) would crop it).
    rng = np.random.default_rng(4)
    for _ in range(20):
        nd = int(rng.integers(1, 3))
        n = tuple(int(v) for v in rng.integers(1, 5, nd))
        k = tuple(int(a + rng.integers(1, 6)) for a in n)
        w, x = rng.integers(-9, 10, k), rng.integers(-9, 10, n)
        A = conv_matrix(w, n, "circular")
        np.testing.assert_array_equal(A.apply(x), _circular(x, w))
        folded = np.zeros(n)
        for j in np.ndindex(k):
            folded[tuple(a % b for a, b in zip(j, n))] += w[j]
        np.testing.assert_allclose(A.apply(x), np.fft.ifftn(np.fft.fftn(x) * np.fft.fftn(
            folded)).real, atol=1e-9)
        np.testing.assert_array_equal(conv_matrix(w, n, "circular", correlate=True).apply(x),
                                      _circular(x, w, correlate=True))


def test_circular_with_stride_and_axes():
    rng = np.random.default_rng(6)
    x, w = rng.integers(-9, 10, (4, 6)), rng.integers(-9, 10, (1, 3))
    np.testing.assert_array_equal(conv_matrix(w, (4, 6), "circular", stride=2).apply(x),
                                  _circular(x, w)[::2, ::2])
    np.testing.assert_array_equal(conv_matrix(w, (4, 6), "circular", axes=1).apply(x),
                                  _circular(x, w))


def test_circular_refuses_boundary_fill_and_origin():
    with pytest.raises(ValueError, match="boundary"):
        conv_matrix([1, 2], 4, "circular", boundary="wrap")
    with pytest.raises(ValueError, match="fillvalue"):
        conv_matrix([1, 2], 4, "circular", fillvalue=1)
    with pytest.raises(ValueError, match="origin"):
        conv_matrix([1, 2], 4, "circular", origin=1)


# ------------------------------------------------------- 0-d and float16


@pytest.mark.parametrize("mode", MODES)
def test_zero_dimensional_as_scipy(mode):
    for k, x in ((np.array(3), np.array(2)), (np.array(3 + 1j), np.array(2 - 1j))):
        for correlate in (False, True):
            f = scipy.signal.correlate if correlate else scipy.signal.convolve
            A = conv_matrix(k, (), mode, correlate=correlate)
            assert A.shape == (1, 1) and A.in_shape == ()
            got = A.apply(x)
            assert got.shape == () and got == f(x, k, mode)
    with pytest.raises(ValueError, match="input_shape"):
        conv_matrix(np.array(3.0), 4)


def test_float16_result_dtype_as_scipy():
    rng = np.random.default_rng(16)
    k = rng.standard_normal(3).astype(np.float16)
    for x in (rng.standard_normal(5).astype(np.float16), np.arange(5, dtype=np.int8),
              rng.standard_normal(5).astype(np.float32), rng.standard_normal(5)):
        for mode in MODES:
            A = conv_matrix(k, 5, mode)
            ref = scipy.signal.convolve(x, k, mode)
            for got in (A @ x, A.apply(x), x @ A.T):
                assert got.dtype == ref.dtype, (x.dtype, got.dtype, ref.dtype)
                np.testing.assert_allclose(got, ref, rtol=2e-3, atol=2e-3)


def test_bad_convention_and_order():
    with pytest.raises(ValueError, match="convention must be one of"):
        conv_matrix([1, 2], 4, convention="octave")
    with pytest.raises(ValueError, match="order must be one of"):
        conv_matrix([1, 2], 4, order="K")


def test_the_signal_docs_page_runs_as_doctests():
    # The convention page's calls beside numpy's, MATLAB's and scipy's are
    # executed, so a page that drifts from the code fails here.
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "conventions" / "signal.rst"
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 20


def test_origin_moves_every_conventions_same_window():
    # 'same' with origin o keeps full[start + o : start + o + count] for each convention's
    # start (numpy's, MATLAB's, correlate2d's), inside the full result only.
    rng = np.random.default_rng(8)
    for _ in range(40):
        n, m = (int(v) for v in rng.integers(1, 7, 2))
        convention = ["scipy", "numpy", "matlab", "convolve2d"][int(rng.integers(4))]
        correlate = bool(rng.integers(2))
        w, x = rng.integers(-9, 10, m), rng.integers(-9, 10, n)
        full = (np.correlate if correlate else np.convolve)(x, w, "full")
        same = conv_matrix(w, n, "same", correlate=correlate, convention=convention) @ x
        starts = [s for s in range(len(full) - len(same) + 1)
                  if np.array_equal(full[s:s + len(same)], same)]
        assert starts
        for o in range(-len(full), len(full)):
            ok = any(0 <= s + o <= len(full) - len(same) for s in starts[:1])
            if not ok:
                with pytest.raises(ValueError, match="origin"):
                    conv_matrix(w, n, "same", correlate=correlate, convention=convention,
                                origin=o)
                continue
            A = conv_matrix(w, n, "same", correlate=correlate, convention=convention, origin=o)
            s = starts[0] + o
            np.testing.assert_array_equal(A @ x, full[s:s + len(same)])
            np.testing.assert_array_equal(A.with_weight(-w) @ x, -full[s:s + len(same)])


def test_empty_inputs_where_scipy_accepts_them():
    rng = np.random.default_rng(0)
    for _ in range(40):
        n = tuple(int(v) for v in rng.integers(0, 4, 2))
        n = (0, n[1]) if rng.integers(2) else (n[0], 0)
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        mode = ["full", "same"][int(rng.integers(2))]
        fill, correlate = int(rng.integers(0, 3)), bool(rng.integers(2))
        w, x = rng.integers(-9, 10, k), np.zeros(n)
        A = conv_matrix(w, n, mode, correlate=correlate, fillvalue=fill,
                        convention="convolve2d")
        f = scipy.signal.correlate2d if correlate else scipy.signal.convolve2d
        ref = f(x, w, mode, fillvalue=fill)
        assert A.shape == (ref.size, 0) and A.out_shape == ref.shape
        np.testing.assert_array_equal(A.apply(x), ref)
        assert (A.T @ np.ones(A.shape[0])).shape == (0,)
    # scipy.signal.convolve (direct) in N-D: 'same' always, 'full' with size-1 kernel axes
    # along the empty ones.
    for n, k, mode in (((0,), (3,), "same"), ((2, 0, 3), (2, 1, 2), "full"),
                       ((0, 4), (3, 2), "same")):
        w = rng.standard_normal(k)
        for correlate in (False, True):
            f = scipy.signal.correlate if correlate else scipy.signal.convolve
            ref = f(np.zeros(n), w, mode, method="direct")
            A = conv_matrix(w, n, mode, correlate=correlate)
            assert A.out_shape == ref.shape and A.apply(np.zeros(n)).shape == ref.shape
    for kw in ({"mode": "valid"}, {"boundary": "wrap"}, {"convention": "numpy"},
               {"mode": "circular"}, {"mode": "full"}):
        # scipy refuses these (1-D 'full' too: numpy.convolve's "a cannot be empty").
        with pytest.raises(ValueError, match="empty input"):
            conv_matrix([1, 2], 0, **{"mode": "same", **kw})
    with pytest.raises(ValueError, match="empty input"):
        conv_matrix(np.ones((2, 2)), (0, 3), "full")        # scipy.signal.convolve refuses
    assert conv_matrix([1, 2], 0, "same").shape == (0, 0)


def test_signal_window_is_where_each_peer_cuts_the_full_result():
    # The geometry core's (start, count), against the peers' outputs located
    # in their own full results (kernels without repeated patterns: powers of 2).
    from toeplitz_conv.geometry import signal_window

    def located(full, part):
        hits = [s for s in range(len(full) - len(part) + 1)
                if np.array_equal(full[s:s + len(part)], part)]
        assert len(hits) == 1
        return hits[0], len(part)

    for n in range(1, 8):
        for m in range(1, 8):
            x, k = 3.0 ** np.arange(n), 2.0 ** np.arange(m) + 0.5
            full, cfull = scipy.signal.convolve(x, k), scipy.signal.correlate(x, k)
            for mode in ("same", "valid"):
                assert signal_window(n, m, mode) == located(
                    full, scipy.signal.convolve(x, k, mode))
                assert signal_window(n, m, mode, correlate=True) == located(
                    cfull, scipy.signal.correlate(x, k, mode))
                assert signal_window(n, m, mode, "numpy") == located(
                    full, np.convolve(x, k, mode))
                assert signal_window(n, m, mode, "numpy", correlate=True) == located(
                    cfull, np.correlate(x, k, mode))
                assert signal_window(n, m, mode, "convolve2d", correlate=True) == located(
                    cfull, scipy.signal.correlate2d(x[None], k[None], mode)[0])
            # MATLAB's documented 'same': size(u) from floor(m / 2).
            assert signal_window(n, m, "same", "matlab") == (m // 2, n)

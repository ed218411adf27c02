"""TiedMatrix: taps, transpose, weight swaps, gradients, limits (CONTRACT section 3)."""

import numpy as np
import pytest
import scipy.sparse as sp

import toeplitz_conv as tc
from toeplitz_conv import TiedMatrix, conv_matrix, layer_matrix

from .conftest import requires_torch


def _dense_from_taps(A):
    rows, cols, widx = A.taps
    dense = np.zeros(A.shape, dtype=np.result_type(A.weight, float))
    np.add.at(dense, (rows, cols), A.weight.ravel()[widx])
    return dense


def _random_matrices(rng, count=40):
    for _ in range(count):
        ndim = int(rng.integers(1, 3))
        n = tuple(int(v) for v in rng.integers(1, 7, ndim))
        k = tuple(int(v) for v in rng.integers(1, 5, ndim))
        mode = ["full", "same", "valid"][int(rng.integers(3))]
        if mode == "valid":
            k = tuple(min(a, b) for a, b in zip(k, n))
        boundary = ["fill", "wrap", "symm"][int(rng.integers(3))]
        w = rng.standard_normal(k)
        yield conv_matrix(w, n, mode, correlate=bool(rng.integers(2)), boundary=boundary), n


def test_taps_reconstruct_the_matrix(rng):
    for A, _ in _random_matrices(rng):
        np.testing.assert_allclose(_dense_from_taps(A), A.toarray(), rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(_dense_from_taps(A.T), A.toarray().T, rtol=1e-14,
                                   atol=1e-14)


def test_taps_of_layer_with_padding_modes_sum_weights(rng):
    # circular only folds taps together when the kernel is wider than the input
    for mode, shape in (("reflect", (3, 4, 5)), ("replicate", (3, 4, 5)), ("circular", (3, 2, 2))):
        w = rng.standard_normal((2, 3, 3, 3))
        A = layer_matrix(w, shape, padding=1 if mode == "reflect" else 2, padding_mode=mode)
        assert A.n_taps > A.nnz  # some entries are sums of several weights
        np.testing.assert_allclose(_dense_from_taps(A), A.toarray(), atol=1e-13)


def test_sparse_is_canonical_csr(rng):
    for A, _ in _random_matrices(rng):
        s = A.sparse
        assert isinstance(s, sp.csr_array)
        check = s.copy()
        check.has_sorted_indices = False
        check.sort_indices()
        np.testing.assert_array_equal(check.indices, s.indices)
        keys = np.repeat(np.arange(s.shape[0]), np.diff(s.indptr)) * s.shape[1] + s.indices
        assert len(np.unique(keys)) == s.nnz


def test_zero_weights_keep_their_taps():
    A = conv_matrix([0, 0, 0], 4)
    B = conv_matrix([5, 6, 7], 4)
    assert A.nnz == B.nnz == 12
    for a, b in zip(A.taps, B.taps):
        np.testing.assert_array_equal(a, b)
    assert np.count_nonzero(A.toarray()) == 0


def test_with_weight_changes_values_not_structure(rng):
    A = conv_matrix(rng.standard_normal((3, 2)), (5, 4), "same")
    w2 = rng.standard_normal((3, 2))
    B = A.with_weight(w2)
    C = conv_matrix(w2, (5, 4), "same")
    np.testing.assert_array_equal(B.toarray(), C.toarray())
    for a, b in zip(A.taps, B.taps):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="weight must have shape"):
        A.with_weight(np.ones(6))


def test_transpose_is_transpose_and_involution(rng):
    for A, _ in _random_matrices(rng, 20):
        np.testing.assert_array_equal(A.T.toarray(), A.toarray().T)
        assert A.T.T is A
        assert A.T.shape == A.shape[::-1]
        r, c, w = A.taps
        rt, ct, wt = A.T.taps
        assert sorted(zip(r, c, w)) == sorted(zip(ct, rt, wt))


def test_matmul_vector_and_columns(rng):
    A = conv_matrix(rng.standard_normal(4), 10, "full")
    X = rng.standard_normal((10, 3))
    np.testing.assert_allclose(A @ X, A.toarray() @ X)
    np.testing.assert_allclose(A @ X[:, 0], A.toarray() @ X[:, 0])
    g = rng.standard_normal(A.shape[0])
    np.testing.assert_allclose(g @ A, g @ A.toarray())
    with pytest.raises(ValueError, match="length 10"):
        A @ np.ones(9)


def test_weight_grad_is_sum_over_tied_positions(rng):
    # Independent reference: the finite structure of the dense matrix per weight.
    w = rng.standard_normal(3)
    A = conv_matrix(w, 6, "full")
    x, g = rng.standard_normal(6), rng.standard_normal(A.shape[0])
    expected = [g @ conv_matrix(np.eye(3)[m], 6, "full").toarray() @ x for m in range(3)]
    np.testing.assert_allclose(A.weight_grad(x, g), expected)
    # equals the cross-correlation of the upstream gradient with the input
    import scipy.signal
    np.testing.assert_allclose(A.weight_grad(x, g),
                               scipy.signal.correlate(g, x, "valid"))


@requires_torch
def test_weight_grad_matches_torch_autograd_signal(rng):
    import torch
    import torch.nn.functional as F

    for _ in range(30):
        ndim = int(rng.integers(1, 3))
        n = tuple(int(v) for v in rng.integers(3, 8, ndim))
        k = tuple(int(v) for v in rng.integers(1, 4, ndim))
        correlate = bool(rng.integers(2))
        w = rng.standard_normal(k)
        x = rng.standard_normal(n)
        A = conv_matrix(w, n, "full", correlate=correlate)
        g = rng.standard_normal(A.out_shape)
        wt = torch.tensor(w, requires_grad=True)
        kern = wt if correlate else torch.flip(wt, dims=tuple(range(ndim)))
        conv = F.conv1d if ndim == 1 else F.conv2d
        y = conv(torch.tensor(x)[None, None], kern[None, None], padding=tuple(kk - 1 for kk in k))
        (y[0, 0] * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(A.weight_grad(x, g), wt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(A.weight_grad(x.ravel(), g.ravel()), wt.grad.numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_weight_grad_batch_sums(rng):
    A = conv_matrix(rng.standard_normal(3), 5, "same")
    xs, gs = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(A.weight_grad(xs, gs),
                               sum(A.weight_grad(x, g) for x, g in zip(xs, gs)))


def test_dense_limit_refuses_before_allocating():
    A = conv_matrix(np.ones(3), 10**6)
    with pytest.raises(MemoryError, match="max_dense_bytes"):
        A.toarray()
    with pytest.raises(tc.DenseTooLargeError):
        np.asarray(A)
    small = conv_matrix(np.ones(3), 8)
    with pytest.raises(MemoryError):
        small.toarray(max_bytes=10)


def test_build_limit_refuses_huge_structures():
    with pytest.raises(MemoryError, match="max_build_bytes"):
        conv_matrix(np.ones((50, 50)), (10**5, 10**5))


def test_from_taps_sums_duplicates():
    A = TiedMatrix.from_taps((2, 3), [0, 0, 1], [2, 2, 0], [0, 1, 1], np.array([1.0, 2.0]))
    np.testing.assert_array_equal(A.toarray(), [[0, 0, 3], [2, 0, 0]])
    assert A.nnz == 2 and A.n_taps == 3


def test_as_operator_matches(rng):
    A = layer_matrix(rng.standard_normal((2, 3, 3)), (3, 7), padding=1)
    op = A.as_operator()
    x = rng.standard_normal(A.shape[1])
    y = rng.standard_normal(A.shape[0])
    np.testing.assert_allclose(op @ x, A.toarray() @ x)
    np.testing.assert_allclose(op.rmatvec(y), A.toarray().T @ y)


def test_repr_is_informative():
    text = repr(conv_matrix([5, 6, 7], 4))
    assert "shape=(6, 4)" in text and "nnz=12" in text and "weights=3" in text


def test_array_protocol_copy_false_refuses():
    A = conv_matrix([1.0, 2.0], 3)
    np.testing.assert_array_equal(np.asarray(A), A.toarray())
    with pytest.raises(ValueError, match="needs a copy"):
        np.array(A, copy=False)


# ------------------------------------------------------------ issue 20 item 7
def test_scipy_sparse_times_tied_matrix(rng):
    A = layer_matrix(rng.standard_normal((3, 2, 3)), (2, 6), padding=1)
    assert A.ndim == 2
    for S in (sp.random_array((4, A.shape[0]), density=0.4, rng=rng, format="csr"),
              sp.csr_matrix(rng.standard_normal((2, A.shape[0])))):
        # scipy densifies the right operand (through toarray(), so within
        # limits.max_dense_bytes); S @ A.sparse keeps it sparse.
        np.testing.assert_allclose(S @ A, S.toarray() @ A.toarray(), atol=1e-12)
        np.testing.assert_allclose((S @ A.sparse).toarray(), S.toarray() @ A.toarray(),
                                   atol=1e-12)
    with pytest.raises(ValueError, match="dimension mismatch"):
        sp.csr_array(np.ones((2, 3))) @ A


def test_weight_is_read_only_and_the_callers_array_is_not():
    w = np.array([1.0, 2.0, 3.0])
    A = conv_matrix(w, 4)
    before = A.toarray().copy()
    with pytest.raises(ValueError, match="read-only"):
        A.weight[0] = 100.0
    np.testing.assert_array_equal(A.toarray(), before)
    np.testing.assert_array_equal(A.T.toarray(), before.T)
    w[0] = 5.0          # the user's own array stays theirs, and writeable
    B = TiedMatrix.from_taps((2, 2), [0, 1], [0, 1], [0, 1], np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="read-only"):
        B.weight[0] = 3.0


@pytest.mark.parametrize("field,value,exc,word", [
    ("rows", [0.5, 1.0], TypeError, "rows must hold integers"),
    ("cols", [True, False], TypeError, "cols must hold integers"),
    ("weight_index", [0.0, 1.0], TypeError, "weight_index must hold integers"),
    ("weight", [np.nan, 1.0], ValueError, "weight must be finite"),
    ("weight", [True, False], TypeError, "weight"),
    ("rows", [0, 2], ValueError, "rows must lie in"),
    ("weight_index", [0, 2], ValueError, "weight_index must lie in"),
    ("shape", (2, 2.0), TypeError, "shape"),
    ("shape", (2, 0), ValueError, "shape"),
    ("rows", ["a", "b"], TypeError, "rows"),
])
def test_from_taps_validates_its_arrays(field, value, exc, word):
    args = {"shape": (2, 2), "rows": [0, 1], "cols": [0, 1], "weight_index": [0, 1],
            "weight": [1.0, 2.0]}
    args[field] = value
    with pytest.raises(exc, match=word):
        TiedMatrix.from_taps(**args)


def test_weight_grad_refuses_non_numeric_arrays():
    A = conv_matrix([1.0, 2.0], 3)
    with pytest.raises(TypeError, match="x must hold numbers"):
        A.weight_grad(np.array(["a", "b", "c"]), np.ones(4))
    with pytest.raises(TypeError, match="grad_out must hold numbers"):
        A.weight_grad(np.ones(3), [None, 1, 2, 3])
    with pytest.raises(ValueError, match="grad_out must be a rectangular"):
        A.weight_grad(np.ones(3), [[1, 2], [3]])


def _reference_weight_grad(w, in_shape, xs, gs, **kw):
    # Independent of the taps: the weight gradient of sum(g * conv(x, w)) by
    # finite structure -- y is linear in w, so dL/dw[m] = sum(g * conv(x, e_m)).
    out = np.zeros(w.size)
    for m in range(w.size):
        e = np.zeros(w.size)
        e[m] = 1.0
        Am = layer_matrix(e.reshape(w.shape), in_shape, **kw).toarray()
        out[m] = np.einsum("bi,ij,bj->", gs, Am, xs)
    return out.reshape(w.shape)


def test_weight_grad_chunks_large_batches_within_the_build_limit(rng):
    import tracemalloc

    w = rng.standard_normal((4, 2, 3))
    A = layer_matrix(w, (2, 200), padding=1)
    batch = 64
    xs = rng.standard_normal((batch, A.shape[1]))
    gs = rng.standard_normal((batch, A.shape[0]))
    expected = _reference_weight_grad(w, (2, 200), xs[:3], gs[:3], padding=1)
    np.testing.assert_allclose(A.weight_grad(xs[:3], gs[:3]), expected, rtol=1e-10)
    one_batch = 8 * A.n_taps * batch            # bytes of one (batch, taps) product
    limit = one_batch // 16

    def peak(**lim):
        with tc.limits.override(**lim):
            tracemalloc.start()
            try:
                g = A.weight_grad(xs, gs)
                return g, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    g_small, p_small = peak(max_build_bytes=limit)
    g_big, p_big = peak(max_build_bytes=2**40)
    np.testing.assert_allclose(g_small, g_big, rtol=1e-12)
    # Chunked: working memory about the limit (plus the cached taps), not the batch.
    assert p_small < limit + 3 * 8 * A.n_taps
    assert p_big > 2 * one_batch                # the unchunked variant: the check can fail


def test_weight_grad_converts_the_taps_once(monkeypatch):
    A = layer_matrix(np.ones((2, 1, 3)), (1, 8))
    calls = []
    original = TiedMatrix._grad_taps
    monkeypatch.setattr(TiedMatrix, "_grad_taps", lambda self: calls.append(1)
                        or original(self))
    for _ in range(3):
        A.weight_grad(np.ones(8), np.ones((2, 6)))
    assert len(calls) == 1
    rows, cols, widx = A._grad_taps()
    for ours, public in zip((rows, cols, widx), A.taps):
        np.testing.assert_array_equal(ours, public)


# ------------------------------------------------------------ issue 20 item 8
def _reference_conv2d_matrix(k, n, mode, boundary, dtype):
    from scipy.signal import convolve2d

    cols = []
    for j in range(n):
        e = np.zeros((1, n), dtype=np.int64)
        e[0, j] = 1
        cols.append(convolve2d(e, k.astype(np.int64)[None], mode, boundary=boundary).ravel())
    return np.stack(cols, axis=1).astype(dtype)       # wrap-around as numpy casts


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8])
@pytest.mark.parametrize("boundary", ["wrap", "symm"])
def test_integer_kernels_keep_their_dtype_with_boundaries(dtype, boundary):
    k = np.array([100, 90, 80, 70, 60], dtype=dtype)     # wider than the input: sums wrap
    A = conv_matrix(k, 3, "full", boundary=boundary)
    dense = A.toarray()
    assert A.dtype == dense.dtype == A.sparse.dtype == dtype
    np.testing.assert_array_equal(dense, _reference_conv2d_matrix(k, 3, "full", boundary, dtype))


def test_integer_layer_with_padding_modes_keeps_its_dtype():
    w = np.full((1, 1, 3), 100, dtype=np.int8)
    for mode in ("circular", "reflect", "replicate"):
        A = layer_matrix(w, (1, 2 if mode == "circular" else 3), padding=2 if mode == "circular"
                         else 1, padding_mode=mode)
        assert A.toarray().dtype == A.sparse.dtype == np.int8
        wide = layer_matrix(w.astype(np.int64), A.in_shape, padding=2 if mode == "circular"
                            else 1, padding_mode=mode)
        np.testing.assert_array_equal(A.toarray(), wide.toarray().astype(np.int8))


def test_float16_kernels_compute_in_float32():
    from scipy.signal import convolve

    k = np.array([0.5, -1.25, 2.0], dtype=np.float16)
    A = conv_matrix(k, 5, "same", boundary="wrap")
    assert A.weight.dtype == np.float16
    assert A.dtype == A.sparse.dtype == A.toarray().dtype == np.float32
    x = np.arange(5, dtype=np.float32)
    np.testing.assert_allclose(A @ x, A.toarray() @ x, rtol=1e-6)
    B = conv_matrix(k, 5, "same")
    np.testing.assert_allclose(B @ x, convolve(x, k.astype(np.float32), "same"), rtol=1e-6)
    assert B.weight_grad(x, np.ones(5)).shape == (3,)


@pytest.mark.parametrize("shape,mode,boundary", [((3, 3), "full", "fill"), ((2, 3), "same", "wrap"),
                                                 ((3, 2), "valid", "fill")])
def test_float16_kernels_match_scipy_in_float32(rng, shape, mode, boundary):
    from scipy.signal import convolve2d

    k = rng.standard_normal(shape).astype(np.float16)
    x = rng.standard_normal((40, 30))           # large enough for the region-by-region writer
    A = conv_matrix(k, x.shape, mode, boundary=boundary)
    assert A.dtype == A.toarray().dtype == A.T.sparse.dtype == np.float32
    expected = convolve2d(x, k.astype(np.float64), mode, boundary=boundary)
    np.testing.assert_allclose(A @ x.ravel(), expected.ravel(), rtol=1e-5, atol=1e-4)


def test_products_beyond_the_dense_limit_are_refused_before_allocating():
    # A transposed convolution with a large stride is tall: 10 inputs -> ~10^6 outputs.
    A = tc.transposed_layer_matrix(np.ones((1, 1, 3)), (1, 10), stride=10**5)
    v = np.ones((10, 64))
    assert A.shape[0] * 64 * 8 > 2**28
    with tc.limits.override(max_dense_bytes=2**28):
        with pytest.raises(tc.DenseTooLargeError, match="max_dense_bytes"):
            A @ v
        with pytest.raises(tc.DenseTooLargeError, match="max_dense_bytes"):
            A.apply(np.ones((64, 1, 10)))
        with pytest.raises(tc.DenseTooLargeError, match="max_dense_bytes"):
            np.ones((64, 10)) @ A.T
        y = A @ v[:, :2]                       # small enough: allowed, and right
    np.testing.assert_allclose(y[:, 0], A.sparse @ np.ones(10))


@pytest.mark.parametrize("mode", ["reflect", "wrap", "mirror", "nearest", "constant"])
def test_integer_ndimage_kernels_keep_their_dtype(mode):
    from scipy import ndimage

    k = np.array([100, 90, 80, 70, 60], dtype=np.int8)     # wider than the input
    A = tc.ndimage_matrix(k, 3, mode=mode)
    cols = [ndimage.convolve(np.eye(3)[j], k.astype(np.float64), mode=mode) for j in range(3)]
    expected = np.rint(np.stack(cols, axis=1)).astype(np.int64).astype(np.int8)
    assert A.toarray().dtype == A.sparse.dtype == np.int8
    np.testing.assert_array_equal(A.toarray(), expected)


def test_weight_grad_of_small_integer_arrays_does_not_overflow():
    A = conv_matrix([1.0, 2.0], 3)
    x = np.full(3, 100, dtype=np.int8)
    g = np.full(4, 100, dtype=np.int8)
    # Each weight meets every input once: 3 * 100 * 100, far beyond int8.
    np.testing.assert_array_equal(A.weight_grad(x, g), [30000.0, 30000.0])
    np.testing.assert_array_equal(A.weight_grad(np.stack([x, x]), np.stack([g, g])),
                                  [60000.0, 60000.0])

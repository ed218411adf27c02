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

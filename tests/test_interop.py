"""TiedMatrix interop: LinearOperator, torch sparse tensors, guarded numpy densification."""

import numpy as np
import pytest
from scipy.sparse.linalg import svds

import toeplitz_conv as tc
from toeplitz_conv import conv_matrix, layer_matrix, to_torch
from toeplitz_conv.interop import as_operator

from .conftest import requires_torch


def _matrices(rng):
    yield conv_matrix(rng.standard_normal((3, 2)), (4, 5), "same", boundary="wrap")
    yield conv_matrix([5, 6, 7], 4)                                         # int64
    yield layer_matrix(rng.standard_normal((3, 2, 3, 3)), (2, 5, 4), padding=1,
                       padding_mode="circular")
    yield layer_matrix(rng.standard_normal((2, 2, 3)), (2, 7), stride=2).T


@requires_torch
def test_to_torch_csr_and_coo_equal_the_matrix(rng):
    import torch

    for A in _matrices(rng):
        for layout, torch_layout in (("csr", torch.sparse_csr), ("coo", torch.sparse_coo)):
            t = to_torch(A, layout)
            assert t.layout == torch_layout and tuple(t.shape) == A.shape
            np.testing.assert_array_equal(t.to_dense().numpy(), A.toarray())
            # torch has no integer sparse matmul, so multiply in float64
            tf = to_torch(A, layout, dtype=torch.float64)
            x = rng.standard_normal(A.shape[1])
            np.testing.assert_allclose((tf @ torch.tensor(x)).numpy(), A @ x, rtol=1e-12)
        assert to_torch(A, dtype=torch.float32).dtype == torch.float32
        np.testing.assert_array_equal(A.to_torch("coo").to_dense().numpy(), A.toarray())


def test_to_torch_argument_errors():
    pytest.importorskip("torch")  # to_torch imports torch before it looks at its argument
    with pytest.raises(TypeError, match="TiedMatrix"):
        to_torch(np.eye(3))
    with pytest.raises(ValueError, match="layout"):
        to_torch(conv_matrix([1.0, 2.0], 3), "bsr")


def test_as_operator_gives_scipy_what_it_needs(rng):
    A = layer_matrix(rng.standard_normal((2, 3, 3, 3)), (3, 6, 6), padding=1)
    op = as_operator(A)
    s = svds(op, k=2, return_singular_vectors=False, random_state=0)
    dense = np.linalg.svd(A.toarray(), compute_uv=False)
    np.testing.assert_allclose(np.sort(s)[::-1], dense[:2], rtol=1e-10)


def test_numpy_asarray_refuses_huge_densification(monkeypatch):
    A = conv_matrix(np.ones((3, 3)), (20, 20))          # 484 x 400 float64: ~1.5 MiB
    np.testing.assert_array_equal(np.asarray(A), A.toarray())
    assert np.asarray(A, dtype=np.float32).dtype == np.float32
    monkeypatch.setattr(tc.limits, "max_dense_bytes", 1_000_000)
    with pytest.raises(tc.DenseTooLargeError, match="max_dense_bytes"):
        np.asarray(A)
    with pytest.raises(MemoryError):
        np.array(A)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float32"), "f4"])
def test_to_torch_accepts_numpy_dtypes_and_names(dtype):
    import torch

    A = conv_matrix([1.0, 2.0, 3.0], 4)
    t = A.to_torch(dtype=dtype)
    assert t.dtype == torch.float32
    np.testing.assert_allclose(t.to_dense().numpy(), A.toarray().astype(np.float32))
    assert to_torch(A, "coo", dtype="complex128").dtype == torch.complex128


@requires_torch
@pytest.mark.parametrize("dtype", ["bogus", 3, "U2", object, True, ""])
def test_to_torch_refuses_other_dtypes_cleanly(dtype):
    with pytest.raises(TypeError, match="dtype must be a torch dtype"):
        conv_matrix([1.0, 2.0], 3).to_torch(dtype=dtype)

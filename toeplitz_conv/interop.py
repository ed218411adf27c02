"""Hand a :class:`TiedMatrix` to other libraries: scipy LinearOperator, torch sparse tensors.

``numpy.asarray(A)`` goes through ``A.toarray()``, which refuses arrays over
``toeplitz_conv.limits.max_dense_bytes`` instead of silently allocating them.
torch is imported only when a conversion to torch is asked for.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ._validation import choose
from .tied import TiedMatrix

__all__ = ["as_operator", "to_torch"]


def _check(matrix: Any) -> TiedMatrix:
    if not isinstance(matrix, TiedMatrix):
        raise TypeError(f"matrix must be a TiedMatrix, got {type(matrix).__name__}")
    return matrix


def as_operator(matrix: TiedMatrix) -> LinearOperator:
    """``matrix.as_operator()``: a ``scipy.sparse.linalg.LinearOperator`` (matvec and rmatvec).

    Examples
    --------
    >>> import numpy as np
    >>> from toeplitz_conv import conv_matrix
    >>> op = as_operator(conv_matrix([5, 6, 7], 4))
    >>> op.matvec(np.array([1.0, 2.0, 3.0, 4.0]))
    array([ 5., 16., 34., 52., 45., 28.])
    """
    return _check(matrix).as_operator()


def _torch_dtype(torch: Any, dtype: Any) -> Any:
    """A ``torch.dtype`` from a torch dtype, a numpy dtype (or type) or a dtype name."""
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        np_dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        np_dtype = None
    if np_dtype is not None and not isinstance(dtype, bool) and np_dtype.kind in "biufc":
        try:
            return torch.from_numpy(np.zeros(0, dtype=np_dtype)).dtype
        except TypeError:
            pass      # a numpy dtype torch does not have (e.g. uint32 on old torch)
    raise TypeError(f"dtype must be a torch dtype, a numeric numpy dtype or its name "
                    f"(e.g. torch.float32, numpy.float32, 'float32'), got {dtype!r}")


def to_torch(matrix: TiedMatrix, layout: str = "csr", *, dtype: Any = None) -> Any:
    """The matrix as a torch sparse tensor (needs torch; imported here, lazily).

    Parameters
    ----------
    matrix : TiedMatrix
    layout : {'csr', 'coo'}
        ``torch.sparse_csr`` (what ``torch.sparse.mm`` and ``@`` are fastest
        with) or a coalesced ``torch.sparse_coo`` tensor.
    dtype : torch.dtype, numpy dtype or dtype name, optional
        ``torch.float32``, ``numpy.float32`` and ``"float32"`` all mean the
        same.  Defaults to the matrix's dtype (float64 stays float64).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")   # only where torch is installed
    >>> from toeplitz_conv import conv_matrix
    >>> t = to_torch(conv_matrix([5.0, 6.0, 7.0], 4))
    >>> t.layout, tuple(t.shape)
    (torch.sparse_csr, (6, 4))
    >>> (t @ torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).tolist()
    [5.0, 16.0, 34.0, 52.0, 45.0, 28.0]
    """
    import torch

    a = _check(matrix).sparse
    choose(layout, "layout", ("csr", "coo"))
    values = torch.from_numpy(a.data.copy())
    if dtype is not None:
        values = values.to(_torch_dtype(torch, dtype))
    # ``.sparse`` is canonical CSR, so torch's (costly) invariant checks are
    # not needed; its "CSR support is in beta" notice is not the user's concern.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        if layout == "csr":
            return torch.sparse_csr_tensor(torch.from_numpy(a.indptr.astype("int64")),
                                           torch.from_numpy(a.indices.astype("int64")),
                                           values, size=a.shape, check_invariants=False)
    coo = a.tocoo()
    idx = torch.stack((torch.from_numpy(coo.row.astype("int64")),
                       torch.from_numpy(coo.col.astype("int64"))))
    return torch.sparse_coo_tensor(idx, values, size=a.shape,
                                   check_invariants=False).coalesce()

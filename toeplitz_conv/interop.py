"""Hand a :class:`TiedMatrix` to other libraries: scipy LinearOperator, torch sparse tensors.

Both are thin wrappers of the methods :meth:`TiedMatrix.as_operator` and
:meth:`TiedMatrix.to_torch`, which own the conversions (so the core never
imports this module).  ``numpy.asarray(A)`` goes through ``A.toarray()``,
which refuses arrays over ``toeplitz_conv.limits.max_dense_bytes`` instead of
silently allocating them.  torch is imported only when a conversion to torch
is asked for.
"""

from __future__ import annotations

from typing import Any

from scipy.sparse.linalg import LinearOperator

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


def to_torch(matrix: TiedMatrix, layout: str = "csr", *, dtype: Any = None) -> Any:
    """``matrix.to_torch(layout, dtype=dtype)``: a torch sparse tensor (torch imported lazily).

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
    return _check(matrix).to_torch(layout, dtype=dtype)

"""`TiedMatrix`: a sparse matrix whose entries are tied to the weights of a kernel."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ._limits import check_build, check_dense

__all__ = ["TiedMatrix"]


def _segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum consecutive runs of ``values`` beginning at ``starts`` (any dtype)."""
    return np.add.reduceat(values, starts) if len(values) else values[:0]


#: The index dtypes (int32 while every index fits, else int64).
IndexDtype = type[np.signedinteger[Any]]


def _index_dtype(*sizes: int) -> IndexDtype:
    return np.int32 if max(sizes, default=0) < 2**31 - 1 else np.int64


class TiedMatrix:
    """A sparse matrix whose every entry is a sum of kernel weights.

    ``A[r, c] = sum(weight.ravel()[w] for (r, c, w) in taps)``; the structure
    (which weight sits where) does not depend on the weight values, so
    :meth:`with_weight` swaps values without rebuilding it and
    :meth:`weight_grad` sums a gradient over each weight's tied positions.

    Instances come from the builders (:func:`~toeplitz_conv.conv_matrix`,
    :func:`~toeplitz_conv.layer_matrix`, ...), or from :meth:`from_taps`.

    Attributes
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` of the flattened (C-order) output and input.
    in_shape, out_shape : tuple of int
        The natural (unflattened) shapes of the input and output.
    weight : ndarray
        The weight, in the shape the user passed.
    taps : tuple of three int arrays
        ``(rows, cols, weight_index)``.

    Examples
    --------
    >>> import numpy as np
    >>> from toeplitz_conv import conv_matrix
    >>> A = conv_matrix([5, 6, 7], 4, "full")
    >>> A
    TiedMatrix(shape=(6, 4), nnz=12, weights=3, dtype=int64, in_shape=(4,), out_shape=(6,))
    >>> A @ np.array([1, 2, 3, 4])
    array([ 5, 16, 34, 52, 45, 28])
    >>> rows, cols, w = A.taps
    >>> [(int(r), int(c), int(k)) for r, c, k in zip(rows, cols, w)][:4]
    [(0, 0, 0), (1, 0, 1), (1, 1, 0), (2, 0, 2)]
    >>> A.weight_grad([1, 2, 3, 4], np.ones(6))   # each weight is used at 4 positions
    array([10., 10., 10.])
    """

    __array_priority__ = 20  # so ``ndarray @ A`` defers to __rmatmul__

    def __init__(self, shape: tuple[int, int], indptr: np.ndarray, indices: np.ndarray,
                 tap_weight: np.ndarray, weight: np.ndarray, *,
                 tap_entry: np.ndarray | None = None,
                 in_shape: tuple[int, ...] | None = None,
                 out_shape: tuple[int, ...] | None = None,
                 conjugate: bool = False,
                 info: dict[str, Any] | None = None,
                 data: np.ndarray | None = None,
                 fill: tuple[complex, np.ndarray, np.ndarray] | None = None,
                 constant: np.ndarray | None = None) -> None:
        # Internal constructor: the arrays must already be canonical CSR
        # (sorted columns, no duplicate entries), taps sorted by entry.
        # ``data``, when a builder already wrote the entry values, saves a gather.
        # ``fill = (value, rows, weight_index)``: taps that read a constant
        # ``value`` outside the input, which make the map affine (see offset).
        self._shape = (int(shape[0]), int(shape[1]))
        self._indptr = indptr
        self._indices = indices
        self._tap_weight = tap_weight
        self._tap_entry = tap_entry
        self._weight = np.asarray(weight)
        self._conjugate = bool(conjugate)
        self.in_shape = tuple(in_shape) if in_shape is not None else (self._shape[1],)
        self.out_shape = tuple(out_shape) if out_shape is not None else (self._shape[0],)
        self.info: dict[str, Any] = dict(info or {})
        self._data = data
        self._fill = fill
        # ``constant``: a weight-independent offset per row (max pooling's
        # -inf for windows that read only padding); not differentiated.
        self._constant = constant
        self._sparse: sp.csr_array | None = None
        self._transpose: TiedMatrix | None = None

    # ------------------------------------------------------------------ build
    @classmethod
    def from_taps(cls, shape: tuple[int, int], rows: Any, cols: Any, weight_index: Any,
                  weight: Any, **kwargs: Any) -> TiedMatrix:
        """Build from taps in any order; repeated ``(row, col)`` pairs are summed.

        Parameters
        ----------
        shape : (int, int)
        rows, cols, weight_index : array_like of int
            One entry per tap.
        weight : array_like
            The weight; ``weight_index`` indexes ``weight.ravel()``.
        **kwargs
            ``in_shape``, ``out_shape``, ``conjugate``, ``info``.

        Examples
        --------
        >>> A = TiedMatrix.from_taps((2, 2), [1, 0, 1], [1, 0, 1], [0, 1, 1], [10.0, 1.0])
        >>> A.toarray()
        array([[ 1.,  0.],
               [ 0., 11.]])
        """
        m, n = int(shape[0]), int(shape[1])
        if m < 1 or n < 1:
            raise ValueError(f"shape must be two positive ints, got {shape}")
        rows = np.asarray(rows, dtype=np.int64).ravel()
        cols = np.asarray(cols, dtype=np.int64).ravel()
        widx = np.asarray(weight_index, dtype=np.int64).ravel()
        weight = np.asarray(weight)
        if not (len(rows) == len(cols) == len(widx)):
            raise ValueError("rows, cols and weight_index must have the same length")
        if len(rows) and (rows.min() < 0 or rows.max() >= m or cols.min() < 0
                          or cols.max() >= n or widx.min() < 0 or widx.max() >= weight.size):
            raise ValueError("taps out of range for the shape or the weight")
        key = rows * n + cols
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        entry = np.cumsum(first) - 1
        ukey = key[first]
        itype = _index_dtype(n, len(ukey))
        indices = (ukey % n).astype(itype)
        counts = np.bincount(ukey // n, minlength=m)
        indptr = np.zeros(m + 1, dtype=itype)
        np.cumsum(counts, out=indptr[1:])
        tap_entry = None if first.all() else entry
        return cls((m, n), indptr, indices, widx[order], weight, tap_entry=tap_entry, **kwargs)

    # ------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, int]:
        return self._shape

    @property
    def nnz(self) -> int:
        """Number of stored entries (tied positions; zero weights included)."""
        return len(self._indices)

    @property
    def n_taps(self) -> int:
        """Number of taps; exceeds ``nnz`` when entries are sums of weights."""
        return len(self._tap_weight)

    @property
    def weight(self) -> np.ndarray:
        return self._weight

    @property
    def dtype(self) -> np.dtype:
        return self._weight.dtype

    @property
    def taps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, cols, weight_index)``: ``A[r, c] = sum weight.ravel()[w]``."""
        rows = np.repeat(np.arange(self._shape[0], dtype=np.int64), np.diff(self._indptr))
        cols = self._indices.astype(np.int64)
        if self._tap_entry is not None:
            rows, cols = rows[self._tap_entry], cols[self._tap_entry]
        return rows, cols, self._tap_weight.astype(np.int64)

    @property
    def tap_entry(self) -> np.ndarray:
        """For each tap, the position of its entry in ``sparse.data``."""
        if self._tap_entry is None:
            return np.arange(self.n_taps)
        return self._tap_entry

    def _values(self) -> np.ndarray:
        if self._data is not None:
            return self._data
        w = self._weight.ravel()
        if self._conjugate:
            w = w.conj()
        vals = w[self._tap_weight]
        if self._tap_entry is None:
            return vals
        starts = np.flatnonzero(np.diff(self._tap_entry, prepend=-1))
        return _segment_sum(vals, starts)

    @property
    def sparse(self) -> sp.csr_array:
        """The matrix as a ``scipy.sparse.csr_array`` (sorted indices, no duplicates)."""
        if self._sparse is None:
            a = sp.csr_array((self._values(), self._indices, self._indptr),
                             shape=self._shape, copy=False)
            a.has_sorted_indices = True
            a.has_canonical_format = True
            self._sparse = a
        return self._sparse

    def toarray(self, *, max_bytes: int | None = None) -> np.ndarray:
        """Dense copy; refuses beyond ``toeplitz_conv.limits.max_dense_bytes``."""
        check_dense(self._shape, np.dtype(self.dtype).itemsize, max_bytes)
        return self.sparse.toarray()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # A dense array is always a new allocation (guarded by the dense limit).
        if copy is False:
            raise ValueError("a TiedMatrix is sparse: a dense array needs a copy "
                             "(use np.asarray(A) or A.toarray())")
        a = self.toarray()
        return a if dtype is None else a.astype(dtype)

    # ------------------------------------------------------------ algebra
    def _check_operand(self, v: Any) -> np.ndarray:
        v = np.asarray(v)
        if v.ndim not in (1, 2) or v.shape[0] != self._shape[1]:
            raise ValueError(
                f"operand must be a vector of length {self._shape[1]} or a 2-D array with "
                f"{self._shape[1]} rows (input shape {self.in_shape} flattened in C order), "
                f"got shape {v.shape}")
        return v

    def __matmul__(self, v: Any) -> np.ndarray:
        if isinstance(v, TiedMatrix):
            return NotImplemented
        return self.sparse @ self._check_operand(v)

    def __rmatmul__(self, u: Any) -> np.ndarray:
        u = np.asarray(u)
        if u.shape[-1:] != (self._shape[0],):
            raise ValueError(f"left operand must end in length {self._shape[0]}, got {u.shape}")
        return (self.T.sparse @ u.T).T

    def bias_vector(self, bias: Any) -> np.ndarray:
        """The flat vector ``b`` with ``y = A @ x + b`` for a per-channel bias.

        ``bias`` is a scalar (added to every output) or has one value per
        output channel (``out_shape[0]``), broadcast over the spatial axes, as
        in ``torch.nn.ConvNd``.

        >>> import numpy as np
        >>> from toeplitz_conv import layer_matrix
        >>> A = layer_matrix(np.ones((2, 1, 3)), (1, 4))
        >>> A.bias_vector([10.0, 20.0])
        array([10., 10., 20., 20.])
        """
        b = np.asarray(bias)
        if b.dtype.kind not in "iufc":
            raise TypeError(f"bias must be numeric, got dtype {b.dtype}")
        if b.ndim == 0:
            return np.full(self._shape[0], b[()])
        if b.shape != (self.out_shape[0],):
            raise ValueError(f"bias must be a scalar or have shape ({self.out_shape[0]},) "
                             f"(one value per output channel), got {b.shape}")
        return np.repeat(b, self._shape[0] // self.out_shape[0])

    @property
    def offset(self) -> np.ndarray | None:
        """The constant part of an affine map (``None`` for a linear one).

        With a non-zero fill value (``conv_matrix(fillvalue=)``,
        ``ndimage_matrix(cval=)``) the map is ``x -> A @ x + offset``:
        ``offset[r]`` is the fill value times the weights of row ``r``'s taps
        that read outside the input.  :meth:`apply` adds it; ``A @ x`` and
        ``A.T`` are the linear part.  Max pooling's windows that read only
        padding add a constant ``-inf`` (torch's output there), which no
        weight enters.

        >>> import numpy as np
        >>> from toeplitz_conv import conv_matrix
        >>> conv_matrix([5, 6, 7], 4, "full", fillvalue=1).offset
        array([13,  7,  0,  0,  5, 11])
        """
        if self._fill is None:
            return None if self._constant is None else self._constant.copy()
        value, rows, widx = self._fill
        w = self._weight.ravel()[widx]
        if self._conjugate:
            w = w.conj()
        m = self._shape[0]
        if np.iscomplexobj(w) or np.iscomplexobj(value):
            total = (np.bincount(rows, w.real, minlength=m)
                     + 1j * np.bincount(rows, w.imag, minlength=m))
        else:
            total = np.bincount(rows, w, minlength=m)
        out = value * total
        # Integer kernels and an integer fill keep an integer offset.
        kind = np.result_type(self._weight.dtype, np.asarray(value).dtype)
        out = out.astype(kind) if kind.kind in "iu" else out
        return out if self._constant is None else out + self._constant

    def apply(self, x: Any, bias: Any = None) -> np.ndarray:
        """``A @ x (+ bias)`` for ``x`` in its natural shape; returns the natural output shape.

        An affine matrix (see :attr:`offset`) adds its offset too.

        A leading batch axis is allowed: ``x`` of shape ``(B, *in_shape)``.
        ``bias`` as in :meth:`bias_vector` (one value per output channel).

        >>> import numpy as np
        >>> from toeplitz_conv import layer_matrix
        >>> A = layer_matrix(np.ones((2, 1, 3)), (1, 4))
        >>> A.apply(np.arange(4.0).reshape(1, 4), bias=[0.5, -1.0])
        array([[3.5, 6.5],
               [2. , 5. ]])
        """
        x = np.asarray(x)
        b = None if bias is None else self.bias_vector(bias)
        off = self.offset
        if off is not None:
            b = off if b is None else b + off
        if x.shape == self.in_shape or x.shape == (self._shape[1],):
            y = self.sparse @ x.ravel()
            return (y if b is None else y + b).reshape(self.out_shape)
        if x.shape[1:] == self.in_shape:
            y = (self.sparse @ x.reshape(len(x), -1).T).T
            return (y if b is None else y + b).reshape((len(x), *self.out_shape))
        raise ValueError(f"x must have shape {self.in_shape} (or a batch of them), got {x.shape}")

    def as_operator(self) -> LinearOperator:
        """A ``scipy.sparse.linalg.LinearOperator`` that applies the sparse matrix."""
        a = self.sparse
        at = self.T.sparse
        return LinearOperator(self._shape, matvec=lambda v: a @ v, rmatvec=lambda v: at.conj() @ v,
                              matmat=lambda v: a @ v, rmatmat=lambda v: at.conj() @ v,
                              dtype=np.result_type(self.dtype, np.float64))

    def to_torch(self, layout: str = "csr", *, dtype: Any = None) -> Any:
        """A torch sparse tensor (``'csr'`` or ``'coo'``); see :func:`toeplitz_conv.to_torch`."""
        from .interop import to_torch

        return to_torch(self, layout, dtype=dtype)

    @property
    def T(self) -> TiedMatrix:
        """The transpose, with taps' rows and columns swapped (same weight indices)."""
        if self._transpose is None:
            m, n = self._shape
            nnz = self.nnz
            # The transpose has a row pointer per column of this matrix.
            check_build(nnz, "transpose", n_rows=n)
            # Let scipy's O(nnz) csr->csc pass compute the entry permutation.
            perm_mat = sp.csr_array((np.arange(nnz, dtype=np.int64), self._indices,
                                     self._indptr), shape=self._shape).T.tocsr()
            perm_mat.sort_indices()
            perm = perm_mat.data
            itype = _index_dtype(m, nnz)
            indptr = perm_mat.indptr.astype(itype, copy=False)
            indices = perm_mat.indices.astype(itype, copy=False)
            if self._tap_entry is None:
                tap_weight, tap_entry = self._tap_weight[perm], None
            else:
                inv = np.empty(nnz, dtype=np.int64)
                inv[perm] = np.arange(nnz)
                new_entry = inv[self._tap_entry]
                order = np.argsort(new_entry, kind="stable")
                tap_weight, tap_entry = self._tap_weight[order], new_entry[order]
            t = TiedMatrix((n, m), indptr, indices, tap_weight, self._weight,
                           tap_entry=tap_entry, in_shape=self.out_shape, out_shape=self.in_shape,
                           conjugate=self._conjugate,
                           info={**self.info, "transposed": not self.info.get("transposed", False)})
            t._transpose = self
            self._transpose = t
        return self._transpose

    # ------------------------------------------------------------ weights
    def with_weight(self, weight: Any) -> TiedMatrix:
        """The same structure with new weight values (same shape as :attr:`weight`).

        >>> from toeplitz_conv import conv_matrix
        >>> conv_matrix([5, 6, 7], 4).with_weight([1, 0, 0]).toarray()[:2]
        array([[1, 0, 0, 0],
               [0, 1, 0, 0]])
        """
        from ._validation import as_kernel

        w = as_kernel(weight, "weight", min_ndim=0)
        if w.shape != self._weight.shape:
            raise ValueError(f"weight must have shape {self._weight.shape}, got {w.shape}")
        t = TiedMatrix(self._shape, self._indptr, self._indices, self._tap_weight, w,
                       tap_entry=self._tap_entry, in_shape=self.in_shape,
                       out_shape=self.out_shape, conjugate=self._conjugate, info=self.info,
                       fill=self._fill, constant=self._constant)
        return t

    def _as_flat(self, v: Any, shape: tuple[int, ...], n: int, name: str) -> np.ndarray:
        v = np.asarray(v)
        if v.shape == shape or v.shape == (n,):
            return v.reshape(1, n)
        if v.ndim >= 1 and (v.shape[1:] == shape or v.shape[1:] == (n,)):
            return v.reshape(len(v), n)
        raise ValueError(f"{name} must have shape {shape} or ({n},) (optionally with a leading "
                         f"batch axis), got {v.shape}")

    def weight_grad(self, x: Any, grad_out: Any) -> np.ndarray:
        """Gradient of a loss with respect to the weight, given ``dL/dy = grad_out``.

        ``y = A(w) x`` and each weight enters ``A`` at all its tied positions,
        so ``dL/dw[m] = sum over taps (r, c, m) of grad_out[r] * x[c]``; an
        affine matrix's fill taps add ``fill value * grad_out[r]``; a
        weight-independent constant offset adds nothing.
        ``x`` and ``grad_out`` may be natural-shaped or flat, with an optional
        leading batch axis (summed over).  The conjugation of complex
        correlation kernels is not differentiated through.

        Returns
        -------
        ndarray with the weight's shape.
        """
        m, n = self._shape
        xs = self._as_flat(x, self.in_shape, n, "x")
        gs = self._as_flat(grad_out, self.out_shape, m, "grad_out")
        if len(xs) != len(gs):
            raise ValueError(f"x and grad_out batch sizes differ: {len(xs)} and {len(gs)}")
        rows, cols, widx = self.taps
        size = self._weight.size
        prods = (gs[:, rows] * xs[:, cols]).sum(axis=0)
        if np.iscomplexobj(prods):
            out = (np.bincount(widx, prods.real, minlength=size)
                   + 1j * np.bincount(widx, prods.imag, minlength=size))
        else:
            # astype: numpy's bincount of no taps is int64 whatever the weights.
            out = np.bincount(widx, prods.astype(np.float64),
                              minlength=size).astype(np.float64, copy=False)
        if self._fill is not None:
            value, f_rows, f_widx = self._fill
            g = gs[:, f_rows].sum(axis=0) * value
            out = out + (np.bincount(f_widx, g.real, minlength=size)
                         + (1j * np.bincount(f_widx, g.imag, minlength=size)
                            if np.iscomplexobj(g) else 0))
        return out.reshape(self._weight.shape)

    # ------------------------------------------------------------ display
    def __repr__(self) -> str:
        return (f"TiedMatrix(shape={self._shape}, nnz={self.nnz}, weights={self._weight.size}, "
                f"dtype={self.dtype}, in_shape={self.in_shape}, out_shape={self.out_shape})")

"""`TiedMatrix`: a sparse matrix whose entries are tied to the weights of a kernel."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ._limits import check_build, check_dense, limits
from ._validation import choose

__all__ = ["TiedMatrix"]


#: The index dtypes (int32 while every index fits, else int64).
IndexDtype = type[np.signedinteger[Any]]


def _index_dtype(*sizes: int) -> IndexDtype:
    return np.int32 if max(sizes, default=0) < 2**31 - 1 else np.int64


def _value_dtype(weight_dtype: np.dtype) -> np.dtype:
    """The dtype of the stored entries: the weight's, except float16 (scipy.sparse has
    no float16 arithmetic) which is computed in float32."""
    return np.dtype(np.float32) if weight_dtype == np.float16 else np.dtype(weight_dtype)


def _as_result(y: Any, weight_dtype: np.dtype, operand: np.ndarray) -> Any:
    """A product computed in float32 for a float16 weight, in scipy's result dtype.

    scipy.signal gives ``numpy.result_type(x, kernel)``: float16 with a
    float16 (or small integer, bool) operand.
    """
    if weight_dtype == np.float16 and np.result_type(weight_dtype, operand.dtype) == np.float16:
        return y.astype(np.float16)
    return y


def _read_only(a: np.ndarray) -> np.ndarray:
    # A view, so that the caller's own array keeps its flags.
    v = a.view()
    v.flags.writeable = False
    return v


def _numeric(v: Any, name: str) -> np.ndarray:
    """``v`` as a numeric (bool, int, float or complex) ndarray, or a clean error naming it."""
    if isinstance(v, (str, bytes)) or v is None:
        raise TypeError(f"{name} must be a numeric array, got {type(v).__name__}")
    try:
        arr = np.asarray(v)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular numeric array "
                         f"(same length in every row)") from exc
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    return arr


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


def _tap_index(v: Any, name: str) -> np.ndarray:
    """A 1-D int64 array of tap indices; floats and bools are refused, not truncated."""
    arr = _numeric(v, name)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} must fit in int64")
    return arr.astype(np.int64).ravel()


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
                 constant: np.ndarray | None = None, order: str = "C") -> None:
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
        # Read-only: the cached ``.sparse`` and ``.T`` hold values computed from it.
        self._weight = _read_only(np.asarray(weight))
        self._conjugate = bool(conjugate)
        self.in_shape = tuple(in_shape) if in_shape is not None else (self._shape[1],)
        self.out_shape = tuple(out_shape) if out_shape is not None else (self._shape[0],)
        self.info: dict[str, Any] = dict(info or {})
        # How in_shape and out_shape are flattened: "C", or "F" (MATLAB's column-major
        # order, conv_matrix(order="F")); apply and weight_grad follow it.
        self.order = order
        self._data = data
        self._fill = fill
        # ``constant``: a weight-independent offset per row (max pooling's
        # -inf for windows that read only padding); not differentiated.
        self._constant = constant
        self._sparse: sp.csr_array | None = None
        self._transpose: TiedMatrix | None = None
        self._int_taps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ build
    @classmethod
    def from_taps(cls, shape: tuple[int, int], rows: Any, cols: Any, weight_index: Any,
                  weight: Any, **kwargs: Any) -> TiedMatrix:
        """Build from taps in any order; repeated ``(row, col)`` pairs are summed.

        Parameters
        ----------
        shape : (int, int)
        rows, cols, weight_index : array_like of int
            One entry per tap (integers: float or bool indices are refused,
            not truncated).
        weight : array_like
            The weight (finite numbers); ``weight_index`` indexes ``weight.ravel()``.
        **kwargs
            ``in_shape``, ``out_shape``, ``conjugate``, ``info``.

        Examples
        --------
        >>> A = TiedMatrix.from_taps((2, 2), [1, 0, 1], [1, 0, 1], [0, 1, 1], [10.0, 1.0])
        >>> A.toarray()
        array([[ 1.,  0.],
               [ 0., 11.]])
        """
        from ._validation import as_kernel, as_shape

        m, n = as_shape(shape, "shape", ndim=2)
        rows = _tap_index(rows, "rows")
        cols = _tap_index(cols, "cols")
        widx = _tap_index(weight_index, "weight_index")
        weight = as_kernel(weight, "weight", min_ndim=0)
        if not (len(rows) == len(cols) == len(widx)):
            raise ValueError(f"rows, cols and weight_index must have the same length, got "
                             f"{len(rows)}, {len(cols)} and {len(widx)}")
        for arr, bound, name, what in ((rows, m, "rows", "shape[0]"),
                                       (cols, n, "cols", "shape[1]"),
                                       (widx, weight.size, "weight_index", "weight.size")):
            if len(arr) and (arr.min() < 0 or arr.max() >= bound):
                raise ValueError(f"{name} must lie in [0, {what}) = [0, {bound}), got values "
                                 f"from {arr.min()} to {arr.max()}")
        check_build(len(rows), "matrix", n_rows=m)
        if m * n > np.iinfo(np.int64).max:
            raise ValueError(f"shape {m} x {n} has more entries than int64 can index")
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
        """The weight, read-only (use :meth:`with_weight` for new values)."""
        return self._weight

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the entries: the weight's, but float32 for a float16 weight
        (scipy.sparse has no float16 arithmetic; ``A @ x`` and :meth:`apply` then
        return scipy.signal's result dtype, float16 for a float16 ``x``)."""
        return _value_dtype(self._weight.dtype)

    @property
    def ndim(self) -> int:
        """Always 2, so that numpy and scipy.sparse treat it as a matrix.

        ``S @ A`` with a scipy.sparse ``S`` works, through a dense copy of
        ``A`` (scipy densifies an unknown right operand; the copy is guarded
        by ``limits.max_dense_bytes``); ``S @ A.sparse`` stays sparse.
        """
        return 2

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
            # A builder wrote the values in the weight's dtype; float16 is stored as float32.
            return self._data.astype(self.dtype, copy=False)
        w = self._weight.ravel().astype(self.dtype, copy=False)
        if self._conjugate:
            w = w.conj()
        vals = w[self._tap_weight]
        if self._tap_entry is None:
            return vals
        starts = np.flatnonzero(np.diff(self._tap_entry, prepend=-1))
        # Small integer dtypes stay themselves (numpy's add would widen them to
        # int64), wrapping around as scipy.sparse's own sums do.
        return np.add.reduceat(vals, starts, dtype=vals.dtype) if len(vals) else vals[:0]

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
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"dtype must be a numpy dtype, got {dtype!r}") from exc
        a = self.toarray()
        return a if dtype is None else a.astype(dtype)

    # ------------------------------------------------------------ algebra
    def _check_operand(self, v: Any) -> np.ndarray:
        v = _numeric(v, "operand")
        if v.ndim not in (1, 2) or v.shape[0] != self._shape[1]:
            raise ValueError(
                f"operand must be a vector of length {self._shape[1]} or a 2-D array with "
                f"{self._shape[1]} rows (input shape {self.in_shape} flattened in {self.order} "
                f"order), "
                f"got shape {v.shape}")
        return v

    def __matmul__(self, v: Any) -> np.ndarray:
        if isinstance(v, TiedMatrix):
            return NotImplemented
        v = self._check_operand(v)
        self._check_result(self._shape[0], v)
        return _as_result(self.sparse @ v, self._weight.dtype, v)

    def __rmatmul__(self, u: Any) -> Any:
        if isinstance(u, TiedMatrix):
            return NotImplemented
        u = _numeric(u, "left operand")
        if u.ndim not in (1, 2) or u.shape[-1:] != (self._shape[0],):
            raise ValueError(f"left operand must be a vector or a 2-D array ending in length "
                             f"{self._shape[0]}, got shape {u.shape}")
        self._check_result(self._shape[1], u)
        return _as_result((self.T.sparse @ u.T).T, self._weight.dtype, u)

    def _check_result(self, length: int, operand: np.ndarray) -> None:
        """Refuse a product of ``length`` rows per vector of ``operand`` beyond the dense limit.

        The product is a new dense array: a tall matrix (a transposed
        convolution with a large stride) times many vectors can be far larger
        than its operand.
        """
        contracted = self._shape[1] if length == self._shape[0] else self._shape[0]
        vectors = max(operand.size // max(contracted, 1), 1)
        check_dense((vectors, length), np.result_type(self.dtype, operand.dtype).itemsize)

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
        b = _numeric(bias, "bias")
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
        kind = np.result_type(self._weight.dtype, np.asarray(value).dtype)
        if kind.kind in "iu":
            # Integer kernels and an integer fill keep an exact integer offset
            # (bincount would sum in float64 and round beyond 2**53);
            # conv_matrix refuses a fill whose offset could leave int64.
            wi = w.astype(np.int64)
            if len(wi) == 0 or int(np.abs(wi).max()) * len(wi) < 2**53:
                # Every partial sum is an integer below 2**53: bincount's float64 is exact.
                total = np.bincount(rows, wi, minlength=m).astype(np.int64)
            else:
                total = np.zeros(m, dtype=np.int64)
                np.add.at(total, rows, wi)
            exact = total * np.int64(int(value.real))     # an integer fill: value is real
            return exact.astype(kind) if self._constant is None else exact + self._constant
        if np.iscomplexobj(w) or np.iscomplexobj(value):
            total = (np.bincount(rows, w.real, minlength=m)
                     + 1j * np.bincount(rows, w.imag, minlength=m))
        else:
            total = np.bincount(rows, w, minlength=m)
        out = value * total
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
        x = _numeric(x, "x")
        b = None if bias is None else self.bias_vector(bias)
        off = self.offset
        if off is not None:
            b = off if b is None else b + off
        order = "F" if self.order == "F" else "C"
        if x.shape == self.in_shape or x.shape == (self._shape[1],):
            self._check_result(self._shape[0], x)
            y = _as_result(self.sparse @ x.ravel(order=order), self._weight.dtype, x)
            return (y if b is None else y + b).reshape(self.out_shape, order=order)
        if x.shape[1:] == self.in_shape:
            self._check_result(self._shape[0], x)
            # order="F" on (batch, *shape) keeps the batch index and flattens each
            # sample column-major.
            y = _as_result((self.sparse @ x.reshape(len(x), -1, order=order).T).T,
                           self._weight.dtype, x)
            return (y if b is None else y + b).reshape((len(x), *self.out_shape), order=order)
        raise ValueError(f"x must have shape {self.in_shape} (or a batch of them), got {x.shape}")

    def as_operator(self) -> LinearOperator:
        """A ``scipy.sparse.linalg.LinearOperator`` that applies the sparse matrix."""
        a = self.sparse
        at = self.T.sparse
        return LinearOperator(self._shape, matvec=lambda v: a @ v, rmatvec=lambda v: at.conj() @ v,
                              matmat=lambda v: a @ v, rmatmat=lambda v: at.conj() @ v,
                              dtype=np.result_type(self.dtype, np.float64))

    def to_torch(self, layout: str = "csr", *, dtype: Any = None) -> Any:
        """The matrix as a torch sparse tensor (needs torch; imported here, lazily).

        Parameters
        ----------
        layout : {'csr', 'coo'}
            ``torch.sparse_csr`` (what ``torch.sparse.mm`` and ``@`` are fastest
            with) or a coalesced ``torch.sparse_coo`` tensor.
        dtype : torch.dtype, numpy dtype or dtype name, optional
            ``torch.float32``, ``numpy.float32`` and ``"float32"`` all mean the
            same.  Defaults to the matrix's dtype (float64 stays float64).

        See Also
        --------
        toeplitz_conv.to_torch : the same, as a function.

        Examples
        --------
        >>> import pytest; torch = pytest.importorskip("torch")   # only where torch is installed
        >>> from toeplitz_conv import conv_matrix
        >>> t = conv_matrix([5.0, 6.0, 7.0], 4).to_torch("coo", dtype="float32")
        >>> t.layout, t.dtype, tuple(t.shape)
        (torch.sparse_coo, torch.float32, (6, 4))
        """
        import torch

        a = self.sparse
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
                           conjugate=self._conjugate, order=self.order,
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
                       fill=self._fill, constant=self._constant, order=self.order)
        return t

    def _as_flat(self, v: Any, shape: tuple[int, ...], n: int, name: str) -> np.ndarray:
        v = _numeric(v, name)
        order = "F" if self.order == "F" else "C"
        if v.shape == shape or v.shape == (n,):
            return v.reshape(1, n, order=order)
        if v.ndim >= 1 and (v.shape[1:] == shape or v.shape[1:] == (n,)):
            return v.reshape(len(v), n, order=order)
        raise ValueError(f"{name} must have shape {shape} or ({n},) (optionally with a leading "
                         f"batch axis), got {v.shape}")

    def _grad_taps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # ``taps`` as numpy's native index type: fancy indexing and bincount
        # convert any other integer type on every call.
        rows = np.repeat(np.arange(self._shape[0], dtype=np.intp), np.diff(self._indptr))
        cols = self._indices.astype(np.intp)
        if self._tap_entry is not None:
            rows, cols = rows[self._tap_entry], cols[self._tap_entry]
        return rows, cols, self._tap_weight.astype(np.intp)

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
        if self._int_taps is None:      # computed once, reused by every call
            self._int_taps = self._grad_taps()
        rows, cols, widx = self._int_taps
        size = self._weight.size
        # Chunk the batch so that the (batch, taps) products stay within
        # limits.max_build_bytes (about three such arrays live at once).
        item = np.result_type(gs.dtype, xs.dtype, np.float64).itemsize
        per_sample = 3 * item * max(len(rows), 1)
        step = max(1, limits.max_build_bytes // per_sample)
        # In float64 (or complex128) at least: small integer inputs would overflow.
        dt = np.result_type(gs.dtype, xs.dtype, np.float64)
        if len(xs) == 1:
            prods = gs[0][rows].astype(dt, copy=False) * xs[0][cols]
        else:
            prods = np.zeros(len(rows), dtype=dt)
            for i in range(0, len(xs), step):
                prods += np.einsum("bt,bt->t", gs[i:i + step][:, rows], xs[i:i + step][:, cols],
                                   dtype=dt)
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

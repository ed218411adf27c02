"""The composed operator of a whole model: its layers' matrices chained, never multiplied out.

A model is a list of :class:`Step`\\ s in evaluation order.  Slot 0 holds
the model's input; step ``i`` reads earlier slots and writes slot ``i + 1``:

* ``"matrix"``: a layer's :class:`~toeplitz_conv.TiedMatrix` applied to
  one slot (its constant offset -- a bias, a linearisation's offset -- is
  added by :meth:`ModelMatrix.apply` only);
* ``"sum"``: ``sum(c_i * slot_i)`` plus an optional constant (residual
  additions, scalar scaling);
* ``"gather"``: a 0/1 selection of the stacked input slots (reshapes,
  permutes, concatenation), one 1 per row.

``A @ v`` runs the steps forward, ``A.T @ u`` runs their transposes
backward, so neither forms the product; :attr:`ModelMatrix.sparse` does
form it, exactly, after checking its size against the limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, svds

from .._limits import DenseTooLargeError, check_build, check_dense
from ..tied import TiedMatrix

__all__ = ["ModelMatrix", "Step", "matrix_norm"]

StepKind = Literal["matrix", "sum", "gather"]


@dataclass
class Step:
    """One operation of a composed model (see the module docstring)."""

    kind: StepKind
    inputs: tuple[int, ...]
    shape: tuple[int, ...]
    name: str = ""
    op: str = ""
    position: int = 0
    matrix: TiedMatrix | None = None
    coeffs: tuple[float, ...] = ()
    #: A gather's selection (``None``: the identity, a pure reshape).
    select: sp.csr_array | None = None
    offset: np.ndarray | None = None
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def matrix_norm(a: Any) -> float:
    """Largest singular value of a sparse matrix or linear operator (ARPACK, matrix-free)."""
    m, n = a.shape
    if m == 0 or n == 0:
        return 0.0
    if min(m, n) <= 2:
        # ARPACK needs k < min(shape); such thin maps are cheap to densify.
        dense = a @ np.eye(n) if isinstance(a, LinearOperator) else a.toarray()
        return float(np.linalg.norm(np.asarray(dense), 2))
    v0 = np.ones(min(m, n))            # deterministic start
    return float(svds(a, k=1, return_singular_vectors=False, v0=v0, tol=0)[0])


class ModelMatrix:
    """A whole model as one linear (or, with offsets, affine) operator made of its layers.

    Made by :func:`~toeplitz_conv.from_torch`.  ``A @ v`` is the linear part
    applied to a flat input (or to the columns of a 2-D array), ``A.T @ u``
    its transpose, both through the layers one by one; ``A.apply(x)``
    includes every offset (biases, linearisation offsets), so it equals the
    model's output at ``x`` for the point the model was linearised at.

    Attributes
    ----------
    shape : (int, int)
        ``(n_out, n_in)``, flattened in C order.
    in_shape, out_shape : tuple of int
    steps : list of Step
        Every operation, in evaluation order.
    pattern : list of dict
        One record per linearised operation (activations, max pooling):
        its position and name, how many elements are active and inactive,
        how many sit on a kink.

    Examples
    --------
    >>> import torch
    >>> import toeplitz_conv as tc
    >>> net = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3), torch.nn.ReLU(),
    ...                           torch.nn.Flatten(), torch.nn.Linear(4, 1)).double()
    >>> x = torch.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=torch.float64)
    >>> A = tc.from_torch(net, (1, 4), x=x)
    >>> A.shape
    (1, 4)
    >>> J = torch.autograd.functional.jacobian(lambda t: net(t[None])[0], x)
    >>> bool(abs(A.toarray() - J.reshape(1, 4).numpy()).max() < 1e-12)
    True
    """

    __array_priority__ = 20

    def __init__(self, steps: list[Step], in_shape: tuple[int, ...], *,
                 output: int | None = None, transposed: bool = False,
                 _partner: ModelMatrix | None = None) -> None:
        self.steps = steps
        self.in_shape = tuple(in_shape)
        self._output = len(steps) if output is None else output
        self.out_shape = steps[self._output - 1].shape if self._output else self.in_shape
        self._transposed = transposed
        self._partner = _partner
        self._sparse: sp.csr_array | None = None

    # ------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, int]:
        m = int(np.prod(self.out_shape, dtype=np.int64))
        n = int(np.prod(self.in_shape, dtype=np.int64))
        return (n, m) if self._transposed else (m, n)

    @property
    def ndim(self) -> int:
        return 2

    @property
    def dtype(self) -> np.dtype:
        kinds = [s.matrix.dtype for s in self.steps if s.matrix is not None]
        return np.result_type(*kinds) if kinds else np.dtype(np.float64)

    @property
    def layers(self) -> list[TiedMatrix]:
        """The layers' matrices in evaluation order (each with its constant offset)."""
        return [s.matrix for s in self.steps if s.matrix is not None]

    @property
    def pattern(self) -> list[dict[str, Any]]:
        return [{"position": s.position, "name": s.name, **s.record}
                for s in self.steps if s.record]

    @property
    def kinks(self) -> int:
        """Elements (or pooling windows) that sit exactly on a kink at the point."""
        return sum(int(r.get("kinks") or 0) for r in self.pattern)

    @property
    def T(self) -> ModelMatrix:
        """The transpose: ``A.T @ u`` runs the layers' transposes in reverse order."""
        if self._partner is None:
            self._partner = ModelMatrix(self.steps, self.in_shape, output=self._output,
                                        transposed=not self._transposed, _partner=self)
        return self._partner

    def __repr__(self) -> str:
        t = ".T" if self._transposed else ""
        return (f"ModelMatrix{t}(shape={self.shape}, layers={len(self.layers)}, "
                f"steps={len(self.steps)}, in_shape={self.in_shape}, "
                f"out_shape={self.out_shape})")

    # ------------------------------------------------------------ products
    def _operand(self, v: Any) -> np.ndarray:
        v = np.asarray(v)
        if v.dtype.kind not in "biufc":
            raise TypeError(f"operand must hold numbers, got dtype {v.dtype}")
        n = self.shape[1]
        if v.ndim not in (1, 2) or v.shape[0] != n:
            raise ValueError(f"operand must be a vector of length {n} or a 2-D array with "
                             f"{n} rows, got shape {v.shape}")
        check_dense((self._widest(), v.size // max(n, 1)),
                    np.result_type(v.dtype, self.dtype, np.float64).itemsize)
        return v

    def _widest(self) -> int:
        return max([self.shape[1], *(s.size for s in self.steps)])

    def __matmul__(self, v: Any) -> np.ndarray:
        if isinstance(v, (TiedMatrix, ModelMatrix)):
            return NotImplemented
        v = self._operand(v)
        flat = v.reshape(v.shape[0], -1)
        out = self._backward(flat) if self._transposed else self._forward(flat, affine=False)
        return out[:, 0] if v.ndim == 1 else out

    def __rmatmul__(self, u: Any) -> np.ndarray:
        u = np.asarray(u)
        return (self.T @ u.T).T

    def matvec(self, v: Any) -> np.ndarray:
        return self @ v

    def _forward(self, v: Any, *, affine: bool) -> Any:
        vals: list[Any] = [v]
        last = self._last_use()
        for i, s in enumerate(self.steps[:self._output]):
            vals.append(_step_forward(s, vals, affine))
            for j in s.inputs:
                if last[j] == i:
                    vals[j] = None       # free what no later step reads
        return vals[self._output]

    def _last_use(self) -> list[int]:
        last = [-1] * (len(self.steps) + 1)
        for i, s in enumerate(self.steps[:self._output]):
            for j in s.inputs:
                last[j] = i
        last[self._output] = len(self.steps)
        return last

    def _backward(self, u: np.ndarray) -> np.ndarray:
        grads: list[Any] = [None] * (self._output + 1)
        grads[self._output] = u
        for i in range(self._output - 1, -1, -1):
            g = grads[i + 1]
            grads[i + 1] = None
            if g is None:
                continue
            s = self.steps[i]
            for j, part in zip(s.inputs, _step_backward(s, g, self._sizes(s))):
                grads[j] = part if grads[j] is None else grads[j] + part
        if grads[0] is None:
            return np.zeros((int(np.prod(self.in_shape)), u.shape[1]), dtype=u.dtype)
        return grads[0]

    def _sizes(self, s: Step) -> list[int]:
        return [int(np.prod(self.in_shape)) if j == 0 else self.steps[j - 1].size
                for j in s.inputs]

    def apply(self, x: Any) -> np.ndarray:
        """The model's affine map at ``x`` (natural shape, or a batch ``(B, *in_shape)``).

        Every offset is added: at the point the model was linearised at,
        this is the model's own output there.
        """
        if self._transposed:
            raise ValueError("apply() is the forward model's; the transpose has no offsets")
        x = np.asarray(x)
        if x.shape == self.in_shape:
            batch = None
        elif x.shape[1:] == self.in_shape:
            batch = len(x)
        else:
            raise ValueError(f"x must have shape {self.in_shape} (or a batch of them), got "
                             f"{x.shape}")
        flat = x.reshape(self.shape[1], 1) if batch is None else x.reshape(batch, -1).T
        check_dense((self._widest(), flat.shape[1]), 8)
        y = self._forward(flat, affine=True)
        return y[:, 0].reshape(self.out_shape) if batch is None else \
            y.T.reshape((batch, *self.out_shape))

    # ------------------------------------------------------------ the product
    @property
    def sparse(self) -> sp.csr_array:
        """The exact product of the layers, as a ``scipy.sparse.csr_array``.

        Each intermediate product's size is bounded (the sum over the inner
        index of column counts times row counts) and refused with
        :class:`~toeplitz_conv.DenseTooLargeError` before it is formed.
        """
        if self._transposed:
            return self.T.sparse.T.tocsr()
        if self._sparse is None:
            out = self._forward_sparse()
            if out is None:            # no step: the identity
                out = sp.identity(self.shape[1], dtype=self.dtype, format="csr")
            self._sparse = sp.csr_array(out)
        return self._sparse

    def _forward_sparse(self) -> sp.csr_array | None:
        # Slot 0 is the identity, kept as None so that the first layer's
        # product is the layer itself rather than a product with I.
        vals: list[Any] = [None]
        n = self.shape[1]
        for s in self.steps[:self._output]:
            if s.kind == "matrix":
                assert s.matrix is not None
                vals.append(_product(s.matrix.sparse, vals[s.inputs[0]], s.name))
            elif s.kind == "sum":
                acc = None
                for c, j in zip(s.coeffs, s.inputs):
                    term = (sp.identity(n, format="csr") if vals[j] is None else vals[j]) * c
                    acc = term if acc is None else acc + term
                vals.append(sp.csr_array(acc))
            else:
                parts = [sp.identity(n, format="csr") if vals[j] is None else vals[j]
                         for j in s.inputs]
                stacked = parts[0] if len(parts) == 1 and vals[s.inputs[0]] is not None else \
                    sp.csr_array(sp.vstack(parts, format="csr"))
                if len(parts) == 1 and vals[s.inputs[0]] is None:
                    stacked = None
                if s.select is not None:
                    # One 1 per row: the product is a choice of the stacked rows.
                    stacked = (s.select if stacked is None else
                               sp.csr_array(stacked[s.select.indices]))
                vals.append(stacked)
        return vals[self._output]

    def toarray(self, *, max_bytes: int | None = None) -> np.ndarray:
        """The exact product as a dense array; refused beyond ``limits.max_dense_bytes``."""
        check_dense(self.shape, np.dtype(self.dtype).itemsize, max_bytes)
        return self.sparse.toarray()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.toarray()
        return a if dtype is None else a.astype(dtype)

    # ------------------------------------------------------------ norms
    def as_operator(self) -> LinearOperator:
        """A matrix-free ``scipy.sparse.linalg.LinearOperator`` (matvec and rmatvec)."""
        dt = np.result_type(self.dtype, np.float64)
        return LinearOperator(self.shape, matvec=lambda v: self @ v,
                              rmatvec=lambda v: self.T @ v, matmat=lambda v: self @ v,
                              rmatmat=lambda v: self.T @ v, dtype=dt)

    def spectral_norm(self) -> float:
        """Largest singular value of the whole linear map, matrix-free (ARPACK through the layers).

        Examples
        --------
        >>> import numpy as np, torch
        >>> import toeplitz_conv as tc
        >>> net = torch.nn.Sequential(torch.nn.Conv1d(1, 1, 2, bias=False),
        ...                           torch.nn.Conv1d(1, 1, 2, bias=False)).double()
        >>> A = tc.from_torch(net, (1, 6))
        >>> bool(np.isclose(A.spectral_norm(), np.linalg.norm(A.toarray(), 2)))
        True
        """
        return matrix_norm(self.as_operator())

    def layer_norms(self) -> list[float]:
        """Each step's spectral norm (a layer's by ARPACK; a gather's exactly)."""
        return [_step_norm(s) for s in self.steps[:self._output]]

    def layer_bound(self) -> float:
        """The product-of-layer-norms bound on :meth:`spectral_norm`.

        Through the steps: a layer multiplies its input's bound by its norm,
        a sum adds ``|c_i|`` times its inputs' bounds, a gather multiplies
        the root of the sum of squares of its inputs' bounds by its own norm.

        Examples
        --------
        >>> import torch
        >>> import toeplitz_conv as tc
        >>> torch.manual_seed(0) and None
        >>> net = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3), torch.nn.Conv1d(2, 1, 3)).double()
        >>> A = tc.from_torch(net, (1, 8))
        >>> bool(A.spectral_norm() <= A.layer_bound())
        True
        """
        bound = [1.0]
        for s, norm in zip(self.steps[:self._output], self.layer_norms()):
            if s.kind == "sum":
                bound.append(sum(abs(c) * bound[j] for c, j in zip(s.coeffs, s.inputs)))
            elif s.kind == "matrix":
                bound.append(norm * bound[s.inputs[0]])
            else:
                bound.append(norm * float(np.sqrt(sum(bound[j] ** 2 for j in s.inputs))))
        return bound[self._output]

    def table(self) -> list[dict[str, Any]]:
        """One row per step: position, name, operation, convention, shapes, nonzeros, norm.

        Examples
        --------
        >>> import torch
        >>> import toeplitz_conv as tc
        >>> net = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3), torch.nn.Flatten())
        >>> [(r["op"], r["convention"], r["shape"], r["nnz"]) for r in
        ...  tc.from_torch(net, (1, 5)).table()]
        [('Conv1d', 'layer', (2, 3), 18), ('Flatten', 'reshape', (6,), 6)]
        """
        rows = []
        for s, norm in zip(self.steps[:self._output], self.layer_norms()):
            a = s.matrix
            conv = a.info.get("convention", "") if a is not None else \
                {"sum": "sum", "gather": "reshape" if s.select is None else "selection"}[s.kind]
            nnz = a.nnz if a is not None else (s.select.nnz if s.select is not None
                                               else (s.size if s.kind == "gather" else None))
            rows.append({"position": s.position, "name": s.name, "op": s.op,
                         "convention": conv, "shape": s.shape, "nnz": nnz, "norm": norm})
        return rows


# ---------------------------------------------------------------- step algebra
def _step_forward(s: Step, vals: list[Any], affine: bool) -> np.ndarray:
    if s.kind == "matrix":
        a = s.matrix
        assert a is not None
        y = a.sparse @ vals[s.inputs[0]]
        off = a.offset if affine else None
        return y if off is None else y + off[:, None]
    if s.kind == "sum":
        y = sum(c * vals[j] for c, j in zip(s.coeffs, s.inputs))
        if affine and s.offset is not None:
            y = y + s.offset[:, None]
        return np.asarray(y)
    stacked = vals[s.inputs[0]] if len(s.inputs) == 1 else \
        np.concatenate([vals[j] for j in s.inputs], axis=0)
    return stacked if s.select is None else s.select @ stacked


def _step_backward(s: Step, g: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    if s.kind == "matrix":
        assert s.matrix is not None
        return [s.matrix.T.sparse @ g]
    if s.kind == "sum":
        return [c * g for c in s.coeffs]
    back = g if s.select is None else s.select.T @ g
    return np.split(back, np.cumsum(sizes)[:-1], axis=0)


def _step_norm(s: Step) -> float:
    if s.kind == "matrix":
        assert s.matrix is not None
        return matrix_norm(s.matrix.sparse)
    if s.kind == "sum":
        return float(np.sqrt(sum(c * c for c in s.coeffs))) if len(s.coeffs) > 1 \
            else abs(s.coeffs[0])
    if s.select is None:
        return 1.0
    # One 1 per row: S.T @ S is diagonal, holding how often each input is read.
    reads = np.bincount(s.select.indices, minlength=s.select.shape[1])
    return float(np.sqrt(reads.max())) if reads.size else 0.0


def _diagonal_of(a: sp.csr_array) -> np.ndarray | None:
    """The diagonal of ``a`` if it is a diagonal matrix stored as one entry per row, else None."""
    n = a.shape[0]
    if a.shape[1] != n or a.nnz != n:
        return None
    ramp = np.arange(n + 1)
    if not (np.array_equal(a.indptr, ramp) and np.array_equal(a.indices, ramp[:-1])):
        return None
    return np.asarray(a.data)


def _product(a: sp.csr_array, b: sp.csr_array | None, name: str) -> sp.csr_array:
    """``a @ b``, refused before forming it when its size bound exceeds the build limit.

    ``b`` None is the identity.
    """
    if b is None:
        return sp.csr_array(a)
    d = _diagonal_of(a)
    if d is not None:
        # A diagonal (an activation at x, batch norm): scale b's rows, and drop
        # the rows it zeroes, so that the next product skips them.
        # b may be a layer's own cached matrix: eliminate_zeros works in place,
        # so it gets copies of the index arrays.
        out = sp.csr_array((b.data * np.repeat(d, np.diff(b.indptr)), b.indices.copy(),
                            b.indptr.copy()), shape=b.shape)
        out.eliminate_zeros()
        return out
    col_counts = np.bincount(a.indices, minlength=a.shape[1]).astype(np.int64)
    row_counts = np.diff(b.indptr).astype(np.int64)
    bound = int(min(col_counts @ row_counts, a.shape[0] * b.shape[1]))
    try:
        check_build(bound, "product", n_rows=a.shape[0])
    except DenseTooLargeError as exc:
        raise DenseTooLargeError(f"the product through step {name!r} may hold up to {bound} "
                                 f"entries: {exc}") from None
    return sp.csr_array(a @ b)

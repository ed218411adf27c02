"""The checker's reference operator: the explicit matrix, or matrix-free from the same geometry.

A large layer's matrix has ``C_out * positions * C_in/groups * taps`` stored
taps (115 million for a 64 -> 64 channel, 56 x 56, 3 x 3 layer): far more
than the check needs.  :class:`ImColReference` computes the same three
quantities, ``A @ x``, ``A.T @ g`` and the weight gradient, from
:attr:`Geometry.table <toeplitz_conv.geometry.Geometry.table>` (which input
each output reads with each tap, boundary modes included), as an
im2col gather followed by one matrix product per channel group.
:func:`reference` picks the explicit :class:`~toeplitz_conv.TiedMatrix`
for small layers and the matrix-free path for large ones.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from .._limits import check_build, check_dense
from .._validation import as_groups, choose
from ..geometry import Geometry, layer_geometry
from ..layers import _channels, layer_matrix
from ..tied import TiedMatrix

__all__ = ["EXPLICIT_MAX_TAPS", "ImColReference", "reference"]

#: Up to this many stored taps the checker builds the explicit matrix.
EXPLICIT_MAX_TAPS = 2_000_000

_SPARSE_MAX = 8      # inputs with this few non-zeros (one-hots) skip the im2col product

_GEOM_KEYS = ("stride", "padding", "dilation", "padding_mode")


class _Transposed:
    def __init__(self, parent: ImColReference) -> None:
        self._p = parent
        self.in_shape, self.out_shape = parent.out_shape, parent.in_shape

    def apply(self, g: Any) -> np.ndarray:
        return self._p.rmatvec(g)


class ImColReference:
    """``A @ x``, ``A.T @ g`` and ``A.weight_grad(x, g)`` without building ``A``.

    Parameters
    ----------
    weight : ndarray
        ``(C_out, C_in // groups, *kernel)``.
    geometry : Geometry
        The spatial geometry (:func:`~toeplitz_conv.layers.layer_geometry`).
    c_in, groups : int

    Examples
    --------
    >>> from toeplitz_conv import layer_matrix
    >>> from toeplitz_conv.layers import layer_geometry
    >>> rng = np.random.default_rng(0)
    >>> w, x = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal((2, 6, 5))
    >>> ref = ImColReference(w, layer_geometry((3, 3), (6, 5), stride=2, padding=1), 2)
    >>> bool(np.allclose(ref.apply(x), layer_matrix(w, (2, 6, 5), stride=2, padding=1).apply(x)))
    True
    """

    def __init__(self, weight: np.ndarray, geometry: Geometry, c_in: int, groups: int = 1,
                 _table: np.ndarray | None = None) -> None:
        self.weight = np.asarray(weight, dtype=np.float64)
        self.geometry = geometry
        self.groups = groups
        self.c_in = c_in
        self.in_shape = (c_in, *geometry.in_shape)
        self.out_shape = (self.weight.shape[0], *geometry.out_shape)
        self.n_in = math.prod(geometry.in_shape)
        self.n_out = math.prod(geometry.out_shape)
        self.n_k = math.prod(geometry.kernel_shape)
        if _table is None:
            t = geometry.table
            _table = np.where(t < 0, self.n_in, t)     # -1 (zero padding) reads a zero column
        self._table = _table
        self._cache: list[tuple[np.ndarray, np.ndarray]] = []
        self._rcache: tuple[Any, np.ndarray] | None = None
        self._injective: bool | None = None
        self.T = _Transposed(self)

    def with_weight(self, weight: np.ndarray) -> ImColReference:
        return ImColReference(weight, self.geometry, self.c_in, self.groups, self._table)

    def _batch(self, v: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, bool]:
        v = np.asarray(v, dtype=np.float64)
        if v.shape == shape:
            return v[None], False
        if v.shape[1:] == shape:
            return v, True
        raise ValueError(f"expected shape {shape} or a batch of them, got {v.shape}")

    def _cols(self, x: np.ndarray) -> np.ndarray:
        """im2col, transposed: ``(C_in * taps, N * positions)``; padded reads are zeros.

        This orientation keeps every product below a BLAS call with a short
        output side and a long inner one, which OpenBLAS runs several times
        faster than the other orientation.  The last two inputs' columns are kept:
        a check computes the forward and the weight gradient of the same inputs.
        """
        for held, cols in self._cache:
            if held is x:
                return cols
        n = len(x)
        check_build(n * self.c_in * self.n_out * self.n_k // 4, "im2col buffer")
        xf = np.concatenate([x.reshape(n, self.c_in, self.n_in),
                             np.zeros((n, self.c_in, 1))], axis=2)
        cols = xf[:, :, self._table.T]                        # (N, C_in, taps, positions)
        cols = cols.transpose(1, 2, 0, 3).reshape(self.c_in * self.n_k, n * self.n_out)
        self._cache = [*self._cache[-1:], (x, cols)]
        return cols

    def _split(self) -> tuple[int, int]:
        return self.weight.shape[0] // self.groups, self.weight.shape[1]

    def _rows(self, v: np.ndarray) -> np.ndarray:
        """``(N, C_out, *out)`` as ``(C_out, N * positions)``."""
        n = len(v)
        return v.reshape(n, self.weight.shape[0], self.n_out).transpose(1, 0, 2).reshape(
            self.weight.shape[0], n * self.n_out)

    def _nonzeros(self, xb: np.ndarray) -> list[tuple[int, int, int, float]] | None:
        """``(image, channel, input index, value)`` of a sparse input (a one-hot), else None."""
        flat = xb.reshape(len(xb), self.c_in, self.n_in)
        if np.count_nonzero(flat) > _SPARSE_MAX:
            return None
        return [(int(m), int(c), int(j), float(flat[m, c, j]))
                for m, c, j in zip(*np.nonzero(flat))]

    def _sparse_apply(self, nz: list[tuple[int, int, int, float]], n: int) -> np.ndarray:
        # A one-hot input reads one column of A: the taps that read its index.
        cog, cig = self._split()
        w = self.weight.reshape(self.weight.shape[0], cig, self.n_k)
        y = np.zeros((n, self.weight.shape[0], self.n_out))
        for m, c, j, v in nz:
            gi, cl = divmod(c, cig)
            o, t = np.nonzero(self._table == j)
            cs = slice(gi * cog, (gi + 1) * cog)
            np.add.at(y[m, cs].T, o, v * w[cs, cl][:, t].T)
        return y

    def _sparse_weight_grad(self, nz: list[tuple[int, int, int, float]],
                            gb: np.ndarray) -> np.ndarray:
        cog, cig = self._split()
        out = np.zeros((self.weight.shape[0], cig, self.n_k))
        gf = gb.reshape(len(gb), self.weight.shape[0], self.n_out)
        for m, c, j, v in nz:
            gi, cl = divmod(c, cig)
            o, t = np.nonzero(self._table == j)
            cs = slice(gi * cog, (gi + 1) * cog)
            np.add.at(out[cs, cl].T, t, v * gf[m, cs][:, o].T)
        return out.reshape(self.weight.shape)

    def apply(self, x: Any) -> np.ndarray:
        """``A @ x`` for ``x`` of ``in_shape`` or ``(N, *in_shape)``."""
        xb, batched = self._batch(x, self.in_shape)
        n = len(xb)
        nz = self._nonzeros(xb)
        if nz is not None:
            ys = self._sparse_apply(nz, n).reshape((n, *self.out_shape))
            return ys if batched else ys[0]
        cols = self._cols(x if isinstance(x, np.ndarray) and x.ndim == xb.ndim else xb)
        cog, cig = self._split()
        kk = cig * self.n_k
        w = self.weight.reshape(self.weight.shape[0], kk)
        y = np.empty((self.weight.shape[0], n * self.n_out))
        for g in range(self.groups):
            y[g * cog:(g + 1) * cog] = (cols[g * kk:(g + 1) * kk].T
                                        @ w[g * cog:(g + 1) * cog].T).T
        y = y.reshape(self.weight.shape[0], n, self.n_out).transpose(1, 0, 2)
        y = y.reshape((n, *self.out_shape))
        return y if batched else y[0]

    def rmatvec(self, g: Any) -> np.ndarray:
        """``A.T @ g``: every tap's product scattered back to the input it read."""
        if self._rcache is not None and self._rcache[0] is g:
            return self._rcache[1].copy()      # the gradient trials reuse one grad_out
        gb, batched = self._batch(g, self.out_shape)
        n = len(gb)
        cog, cig = self._split()
        kk = cig * self.n_k
        w = self.weight.reshape(self.weight.shape[0], kk)
        gr = self._rows(gb)
        dcols = np.empty((self.c_in * self.n_k, n * self.n_out))
        for k in range(self.groups):
            dcols[k * kk:(k + 1) * kk] = w[k * cog:(k + 1) * cog].T @ gr[k * cog:(k + 1) * cog]
        # dcols[(c, t), (m, p)] goes to input (m, c, table[p, t]).
        if self._taps_injective():
            # Each tap reads distinct inputs at distinct positions: a scatter per
            # tap, several times faster than one bincount over all of them.
            dxf = np.zeros((self.c_in, n, self.n_in + 1))
            d4 = dcols.reshape(self.c_in, self.n_k, n, self.n_out)
            for t in range(self.n_k):
                dxf[:, :, self._table[:, t]] += d4[:, t]
            dx = dxf[:, :, :self.n_in].transpose(1, 0, 2)
        else:
            c = np.arange(self.c_in)[:, None, None, None]
            m = np.arange(n)[None, None, :, None]
            idx = (m * self.c_in + c) * (self.n_in + 1) + self._table.T[None, :, None, :]
            dx = np.bincount(idx.ravel(), dcols.ravel(),
                             minlength=n * self.c_in * (self.n_in + 1))
            dx = dx.reshape(n, self.c_in, self.n_in + 1)[:, :, :self.n_in]
        dx = np.ascontiguousarray(dx).reshape((n, *self.in_shape))
        out = dx if batched else dx[0]
        self._rcache = (g, out.copy())
        return out

    def _taps_injective(self) -> bool:
        """Whether no tap reads one input from two positions (reflect padding can)."""
        if self._injective is None:
            ok = True
            for t in range(self.n_k):
                col = self._table[:, t]
                col = col[col != self.n_in]
                if len(np.unique(col)) != len(col):
                    ok = False
                    break
            self._injective = ok
        return self._injective

    def weight_grad(self, x: Any, g: Any) -> np.ndarray:
        """The weight gradient, summed over positions and over a leading batch axis."""
        xb, _ = self._batch(x, self.in_shape)
        gb, _ = self._batch(g, self.out_shape)
        nz = self._nonzeros(xb)
        if nz is not None:
            return self._sparse_weight_grad(nz, gb)
        cols = self._cols(x if isinstance(x, np.ndarray) and x.ndim == xb.ndim else xb)
        cog, cig = self._split()
        kk = cig * self.n_k
        gr = self._rows(gb)
        out = np.empty((self.weight.shape[0], kk))
        for k in range(self.groups):
            out[k * cog:(k + 1) * cog] = (cols[k * kk:(k + 1) * kk]
                                          @ gr[k * cog:(k + 1) * cog].T).T
        return out.reshape(self.weight.shape)


Reference = TiedMatrix | ImColReference


def reference(weight: np.ndarray, input_shape: tuple[int, ...], *,
              method: Literal["auto", "matrix", "matrix-free"] = "auto",
              **layer_kwargs: Any) -> Reference:
    """The layer's reference: the explicit matrix when small, else matrix-free.

    ``method="matrix"`` or ``"matrix-free"`` forces one of them.

    >>> w = np.ones((64, 64, 3, 3))
    >>> type(reference(w, (64, 56, 56), padding=1)).__name__
    'ImColReference'
    >>> type(reference(w[:2, :2], (2, 8, 8), padding=1)).__name__
    'TiedMatrix'
    """
    choose(method, "reference", ("auto", "matrix", "matrix-free"))
    if method == "matrix":
        return layer_matrix(weight, input_shape, **layer_kwargs)
    shape, groups = _channels(weight, input_shape, layer_kwargs.get("groups", 1))
    c_out, c_ig = weight.shape[:2]
    as_groups(groups, [(c_out, "the output channels (weight.shape[0])")])
    if c_ig * groups != shape[0]:
        raise ValueError(f"weight.shape[1] * groups must equal the input channels: "
                         f"{c_ig} * {groups} != input_shape[0] = {shape[0]}")
    geom = layer_geometry(weight.shape[2:], shape[1:],
                          **{k: v for k, v in layer_kwargs.items() if k in _GEOM_KEYS})
    taps = c_out * math.prod(geom.out_shape) * c_ig * math.prod(geom.kernel_shape)
    if method == "auto" and taps <= EXPLICIT_MAX_TAPS:
        return layer_matrix(weight, input_shape, **layer_kwargs)
    # Before anything is built: the index table (one entry per output
    # position and kernel tap) and the trial outputs must fit the limits.
    n_out = c_out * math.prod(geom.out_shape)
    check_build(math.prod(geom.out_shape) * math.prod(geom.kernel_shape),
                "matrix-free reference", n_rows=n_out)
    check_dense((n_out,), 8)
    return ImColReference(weight, geom, shape[0], groups)

"""Index maps: which input sample each output reads with each tap, and the boundaries.

Every convention is described per spatial axis as a *cross-correlation*
over a virtually padded input (:class:`AxisGeometry`),

    ``y[o] = sum_t  k[t] * xpad[o * stride + t * dilation]``,
    ``xpad[p] = x[boundary(p - pad_before)]``,

where ``boundary`` (:func:`map_boundary`) maps a padded coordinate to an
input index, or to "zero" for zero padding.  :class:`Geometry` is the
N-D product of the axes, flattened in C order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from .._limits import check_build
from .._typing import Boundary
from ._checks import checked, choice, int_array, integer, optional
from ._sizes import conv_out_size, strided_count

__all__ = ["BOUNDARIES", "AxisGeometry", "Geometry", "PaddedMap", "map_boundary"]

#: Internal boundary names.  ``zeros`` drops the tap, ``wrap`` is circular,
#: ``symm`` repeats the edge sample (scipy's ``symm``, numpy's ``symmetric``),
#: ``reflect`` mirrors without repeating it (torch's ``reflect``),
#: ``replicate`` repeats the edge sample indefinitely.
BOUNDARIES = ("zeros", "wrap", "symm", "reflect", "replicate")


@checked(p=int_array, n=integer(0), boundary=choice(BOUNDARIES))
def map_boundary(p: np.ndarray, n: int, boundary: Boundary | str) -> np.ndarray:
    """Map input coordinates ``p`` (possibly outside ``[0, n)``) to input indices.

    Returns an integer array of the same shape; ``-1`` marks a zero-padded
    position (only for ``boundary="zeros"``).  Outside the input, every mode
    is extended periodically, so paddings wider than the input are handled
    the way scipy's ``convolve2d`` handles them.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.arange(-3, 6)
    >>> map_boundary(p, 3, "zeros")
    array([-1, -1, -1,  0,  1,  2, -1, -1, -1])
    >>> map_boundary(p, 3, "wrap")
    array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    >>> map_boundary(p, 3, "symm")
    array([2, 1, 0, 0, 1, 2, 2, 1, 0])
    >>> map_boundary(p, 3, "reflect")
    array([1, 2, 1, 0, 1, 2, 1, 0, 1])
    >>> map_boundary(p, 3, "replicate")
    array([0, 0, 0, 0, 1, 2, 2, 2, 2])
    """
    p = np.asarray(p)
    if isinstance(n, (int, np.integer)) and boundary != "zeros":
        # The mirrors' period is 2n, computed in p's int64; a periodic map of
        # an empty axis has nothing to map to.
        if n < 1 or n > np.iinfo(np.int64).max // 2:
            raise ValueError(f"n must be between 1 and 2**62 for boundary={boundary!r}, "
                             f"got {n}")
    if boundary == "zeros":
        q = p.copy()
        q[(p < 0) | (p >= n)] = -1
        return q
    if boundary == "wrap":
        return np.mod(p, n)
    if boundary == "symm":
        q = np.mod(p, 2 * n)
        return np.where(q >= n, 2 * n - 1 - q, q)
    if boundary == "reflect":
        if n == 1:
            return np.zeros_like(p)
        q = np.mod(p, 2 * n - 2)
        return np.where(q >= n, 2 * n - 2 - q, q)
    if boundary == "replicate":
        return np.clip(p, 0, n - 1)
    raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")


@checked(size=integer(0), kernel=integer(1), stride=integer(1), dilation=integer(1),
         pad_before=integer(0), pad_after=integer(0), boundary=choice(BOUNDARIES),
         out_limit=optional(integer(0)))
def _check_axis(size: Any, kernel: Any, stride: Any, dilation: Any, pad_before: Any,
                pad_after: Any, boundary: Any, out_limit: Any) -> None:
    """AxisGeometry's fields, checked as the functions' arguments are."""


def _face_map() -> Any:
    """:func:`map_boundary` as ``toeplitz_conv.geometry`` exposes it, looked up at call time.

    The face's name is the one place to replace the boundary map (the
    symbolic mutation tests patch it to show that the proofs catch a wrong
    map): every index map then reads through the same function, as when the
    core was one module.
    """
    from . import map_boundary as face
    return face


@dataclass(frozen=True)
class AxisGeometry:
    """One spatial axis of a (strided, dilated, padded) cross-correlation.

    Parameters
    ----------
    size : int
        Input length along this axis.
    kernel : int
        Kernel length along this axis.
    stride, dilation : int
        As in PyTorch.
    pad_before, pad_after : int
        Virtual padding on each side.
    boundary : str
        One of :data:`BOUNDARIES`: what the padded samples read.
    out_limit : int or None
        Keep only the first ``out_limit`` outputs (a transposed convolution
        with ``output_padding >= stride`` is the transpose of such a cropped
        correlation).
    """

    size: int
    kernel: int
    stride: int = 1
    dilation: int = 1
    pad_before: int = 0
    pad_after: int = 0
    boundary: Boundary = "zeros"
    out_limit: int | None = None

    def __post_init__(self) -> None:
        _check_axis(self.size, self.kernel, self.stride, self.dilation, self.pad_before,
                    self.pad_after, self.boundary, self.out_limit)

    @property
    def padded_size(self) -> int:
        return self.size + self.pad_before + self.pad_after

    @property
    def span(self) -> int:
        """Extent of the dilated kernel, ``dilation * (kernel - 1) + 1``."""
        return self.dilation * (self.kernel - 1) + 1

    @cached_property
    def out_size(self) -> int:
        """Number of outputs (0 when the kernel does not fit the padded input)."""
        n = conv_out_size(self.size, self.kernel, stride=self.stride,
                          padding=(self.pad_before, self.pad_after), dilation=self.dilation)
        return n if self.out_limit is None else min(n, self.out_limit)

    @property
    def reach(self) -> int:
        """How far the windows reach: one past the last input coordinate any output reads.

        ``(out_size - 1) * stride + span - pad_before``; it lies in the
        padding after the input when the last window reads some.

        >>> AxisGeometry(7, 3, stride=2).reach, AxisGeometry(8, 3, stride=2).reach
        (7, 7)
        """
        return (self.out_size - 1) * self.stride + self.span - self.pad_before

    @property
    def unread_tail(self) -> int:
        """Padded coordinates after the last window that no output reads (stride leftovers).

        ``size + pad_after - reach``: nonzero when the stride does not divide
        ``size + padding - span``.  Of them, ``unread_tail - pad_after`` (when
        positive) are input samples.

        >>> AxisGeometry(7, 3, stride=2).unread_tail, AxisGeometry(8, 3, stride=2).unread_tail
        (0, 1)
        >>> AxisGeometry(7, 3, stride=3, pad_after=1).unread_tail     # x[6] and the pad
        2
        """
        return self.size + self.pad_after - self.reach

    def positions(self, outputs: np.ndarray | None = None) -> np.ndarray:
        """Unmapped input coordinate read by each output with each tap, shape (out, kernel).

        ``outputs`` selects outputs (default: all of them).
        """
        o = np.arange(self.out_size) if outputs is None else np.asarray(outputs)
        t = np.arange(self.kernel)
        return o[:, None] * self.stride + t[None, :] * self.dilation - self.pad_before

    def input_index(self, outputs: np.ndarray | None = None) -> np.ndarray:
        """Input index read by each output with each tap; ``-1`` for zero padding."""
        return _face_map()(self.positions(outputs), self.size, self.boundary)

    def padded_positions(self) -> np.ndarray:
        """Every coordinate of the padded input, ``-pad_before .. size + pad_after - 1``.

        >>> AxisGeometry(3, 2, pad_before=1, pad_after=1).padded_positions()
        array([-1,  0,  1,  2,  3])
        """
        return np.arange(-self.pad_before, self.size + self.pad_after)

    def padded_sources(self) -> np.ndarray:
        """The input index each padded coordinate reads (``-1``: a zero).

        >>> AxisGeometry(3, 2, pad_before=2, boundary="reflect").padded_sources()
        array([2, 1, 0, 1, 2])
        """
        return _face_map()(self.padded_positions(), self.size, self.boundary)

    def counts_within(self, lo: int, hi: int, outputs: np.ndarray | None = None) -> np.ndarray:
        """For each output, how many of its taps read a coordinate in ``[lo, hi)``.

        Computed from the tap range per output, without the (out, kernel)
        table; ``outputs`` selects outputs (default: all of them).

        ``counts_within(0, size)`` counts the taps inside the input; pooling's
        ``count_include_pad`` counts those inside the padded extent.

        >>> AxisGeometry(4, 3, pad_before=1, pad_after=1).counts_within(-1, 5)
        array([3, 3, 3, 3])
        >>> AxisGeometry(4, 3, pad_before=1, pad_after=1).counts_within(0, 4)
        array([2, 3, 3, 2])
        """
        o = np.arange(self.out_size) if outputs is None else np.asarray(outputs)
        start = o * self.stride - self.pad_before
        d = self.dilation
        first = np.maximum(0, -((start - lo) // d))       # ceil((lo - start) / d)
        last = np.minimum(self.kernel - 1, (hi - 1 - start) // d)
        return np.maximum(0, last - first + 1)

    def inside_counts(self) -> np.ndarray:
        """For each output, how many taps land inside the input (not in the padding).

        Computed from the tap range per output, without the (out, kernel) table.

        >>> AxisGeometry(4, 3, pad_before=2, pad_after=2).inside_counts()
        array([1, 2, 3, 3, 2, 1])
        """
        counts = np.full(self.out_size, self.kernel, dtype=np.int64)
        lo, hi = self.interior()
        edges = np.concatenate((np.arange(min(lo, self.out_size)),
                                np.arange(max(hi, lo), self.out_size)))
        counts[edges] = self.counts_within(0, self.size, edges)
        return counts

    def interior(self) -> tuple[int, int]:
        """``(lo, hi)``: outputs ``lo <= o < hi`` read no padding at all.

        >>> AxisGeometry(4, 3, pad_before=2, pad_after=2).interior()
        (2, 4)
        """
        lo = min(strided_count(self.pad_before, self.stride), self.out_size)
        hi = (self.size - 1 + self.pad_before - self.dilation * (self.kernel - 1)) // self.stride
        return lo, max(lo, min(hi + 1, self.out_size))


def _c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides = [1]
    for n in shape[:0:-1]:
        strides.append(strides[-1] * n)
    return tuple(strides[::-1])


@dataclass(frozen=True)
class Geometry:
    """An N-dimensional cross-correlation: one :class:`AxisGeometry` per axis.

    Axes are independent, so the N-D index map is the Cartesian product of
    the 1-D maps, flattened in C order.
    """

    axes: tuple[AxisGeometry, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.axes, tuple) or not all(isinstance(a, AxisGeometry)
                                                       for a in self.axes):
            raise TypeError(f"axes must be a tuple of AxisGeometry, got {self.axes!r}")

    @property
    def in_shape(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(a.out_size for a in self.axes)

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        return tuple(a.kernel for a in self.axes)

    @property
    def monotone(self) -> bool:
        """True when every row's input indices increase with the tap index.

        Holds for zero padding: each tap then reads a distinct input sample,
        in order, so the tap table is already in sorted CSR order.
        """
        return all(a.boundary == "zeros" for a in self.axes)

    @cached_property
    def in_strides(self) -> tuple[int, ...]:
        """C-order strides (in elements) of the input."""
        return _c_strides(self.in_shape)

    @cached_property
    def table(self) -> np.ndarray:
        """Flat input index for each (flat output, flat tap); ``-1`` = zero padding.

        Shape ``(prod(out_shape), prod(kernel_shape))``; both flattenings are
        C order, so row ``o`` lists the inputs that output ``o`` reads, tap by tap.

        Examples
        --------
        >>> g = Geometry((AxisGeometry(3, 2), AxisGeometry(3, 2)))
        >>> g.table                      # 2x2 outputs, 2x2 taps, on a 3x3 input
        array([[0, 1, 3, 4],
               [1, 2, 4, 5],
               [3, 4, 6, 7],
               [4, 5, 7, 8]])
        """
        return self.table_outer(None)

    def table_outer(self, outs: tuple[np.ndarray, ...] | None = None,
                    dtype: type[np.signedinteger[Any]] = np.int64) -> np.ndarray:
        """The rows of :attr:`table` for a product of output indices, in C order.

        ``outs[d]`` lists the output indices taken along axis ``d`` (``None``:
        all outputs); the result has one row per combination and one column
        per flat tap.

        >>> g = Geometry((AxisGeometry(3, 2), AxisGeometry(3, 2)))
        >>> g.table_outer((np.array([1]), np.arange(2)))    # the second row of outputs
        array([[3, 4, 6, 7],
               [4, 5, 7, 8]])
        """
        if outs is None:
            outs = tuple(np.arange(n) for n in self.out_shape)
        lead = tuple(len(o) for o in outs)
        n_rows, n_k = math.prod(lead), math.prod(self.kernel_shape)
        check_build(n_rows * n_k, "index table")
        nd = len(self.axes)
        # Axis d's indices span output dim d and tap dim nd + d, so the sum
        # broadcasts to the whole (outputs..., taps...) block.
        flat = np.zeros((), dtype=dtype)
        invalid = np.zeros((), dtype=bool)
        for d, (ax, st, o) in enumerate(zip(self.axes, self.in_strides, outs)):
            idx = ax.input_index(o)                               # (len(o), k_d)
            shape = [1] * (2 * nd)
            shape[d], shape[nd + d] = idx.shape
            idx = idx.reshape(shape)
            flat = flat + (idx * st).astype(dtype)
            invalid = invalid | (idx < 0)
        flat = np.where(invalid, dtype(-1), flat)
        return flat.reshape(n_rows, n_k)

    def check_build(self, c_out: int = 1, c_ig: int = 1, what: str = "matrix") -> None:
        """Refuse, before anything is allocated, a matrix of this geometry beyond the limits.

        Counts the rows (``c_out`` output channels) and the candidate taps
        (``c_ig`` input channels per row) against
        ``toeplitz_conv.limits.max_build_bytes``.

        >>> huge = AxisGeometry(10**12, 3, pad_before=2, pad_after=2)
        >>> Geometry((huge,)).check_build()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        toeplitz_conv._limits.DenseTooLargeError: building this matrix needs ...
        """
        rows = c_out * math.prod(self.out_shape)
        check_build(rows * c_ig * math.prod(self.kernel_shape), what, n_rows=rows)

    def window_positions(self) -> np.ndarray:
        """Unmapped input coordinates read by every (flat output, flat tap).

        The N-D counterpart of :meth:`AxisGeometry.positions`, shape
        ``(prod(out_shape), prod(kernel_shape), ndim)``, C order like
        :attr:`table` (which holds the same reads mapped to flat input
        indices).

        Examples
        --------
        >>> g = Geometry((AxisGeometry(3, 2, pad_before=1, pad_after=1),))
        >>> g.window_positions()[:, :, 0]
        array([[-1,  0],
               [ 0,  1],
               [ 1,  2],
               [ 2,  3]])
        """
        nd = len(self.axes)
        check_build(math.prod(self.out_shape) * math.prod(self.kernel_shape) * nd,
                    "window table")
        out = np.empty(self.out_shape + self.kernel_shape + (nd,), dtype=np.int64)
        for d, ax in enumerate(self.axes):
            pos = ax.positions()
            shape = [1] * (2 * nd)
            shape[d], shape[nd + d] = pos.shape
            out[..., d] = pos.reshape(shape)
        return out.reshape(math.prod(self.out_shape), math.prod(self.kernel_shape), nd)

    def padded_map(self) -> PaddedMap:
        """Every cell of the padded input and what it reads (C order over the padded grid).

        Examples
        --------
        >>> g = Geometry((AxisGeometry(3, 2, pad_before=1, boundary="wrap"),))
        >>> pm = g.padded_map()
        >>> pm.coords[:, 0], pm.flat, pm.inside
        (array([-1,  0,  1,  2]), array([2, 0, 1, 2]), array([False,  True,  True,  True]))
        """
        nd = len(self.axes)
        grids = np.meshgrid(*(ax.padded_positions() for ax in self.axes), indexing="ij")
        coords = np.stack(grids, axis=-1).reshape(-1, nd)
        srcs = np.meshgrid(*(ax.padded_sources() for ax in self.axes), indexing="ij")
        mapped = np.stack(srcs, axis=-1).reshape(-1, nd)
        inside = np.all((coords >= 0) & (coords < np.array(self.in_shape)), axis=1)
        flat = np.where(np.all(mapped >= 0, axis=1),
                        np.ravel_multi_index(tuple(np.maximum(mapped, 0).T), self.in_shape), -1)
        return PaddedMap(coords, mapped, flat, inside)

    def row_counts(self, dtype: type[np.signedinteger[Any]] = np.int64) -> np.ndarray:
        """Number of taps of each flat output that read the input (not zero padding)."""
        counts = np.ones((), dtype=dtype)
        for ax in self.axes:
            counts = np.multiply.outer(counts, ax.inside_counts().astype(dtype))
        return counts.ravel()

    @cached_property
    def out_strides(self) -> tuple[int, ...]:
        """C-order strides (in elements) of the output."""
        return _c_strides(self.out_shape)

    def row_base(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """Flat input index read by tap 0 of outputs ``rows`` (meaningful for full rows)."""
        outs = np.unravel_index(np.asarray(rows, dtype=np.int64), self.out_shape)
        base = np.zeros(len(rows), dtype=np.int64)
        for o, ax, st in zip(outs, self.axes, self.in_strides):
            base += (o * ax.stride - ax.pad_before) * st
        return base

    def full_row_offsets(self) -> np.ndarray:
        """Offset of each flat tap from tap 0, in flat input indices (no boundary)."""
        offs = np.zeros((), dtype=np.int64)
        for ax, st in zip(self.axes, self.in_strides):
            offs = np.add.outer(offs, np.arange(ax.kernel) * ax.dilation * st)
        return offs.ravel()


class PaddedMap(NamedTuple):
    """The padded input's cells: see :meth:`Geometry.padded_map`."""

    #: ``(cells, ndim)`` unmapped coordinates, from ``-pad_before`` per axis.
    coords: np.ndarray
    #: ``(cells, ndim)`` input index read along each axis (``-1``: a zero).
    mapped: np.ndarray
    #: ``(cells,)`` flat input index read (``-1``: a zero).
    flat: np.ndarray
    #: ``(cells,)`` whether the cell is the input itself (not padding).
    inside: np.ndarray

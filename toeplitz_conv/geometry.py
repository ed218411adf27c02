"""The geometry core: output shapes, padding splits and index maps.

Every convention in the package (scipy's full/valid/same, PyTorch's
stride/padding/dilation, transposed layers, pooling) is reduced here to one
description: per spatial axis, a *cross-correlation* over a virtually padded
input,

    ``y[o] = sum_t  k[t] * xpad[o * stride + t * dilation]``,
    ``xpad[p] = x[boundary(p - pad_before)]``,

where ``boundary`` maps a padded coordinate to an input index, or to "zero"
for zero padding.  A true convolution is the same with the kernel taps
reversed, so the builder, the symbolic module, the checker and the figures
all take their index arithmetic from this module.

Examples
--------
The seed example, ``x = [1, 2, 3, 4]`` convolved with ``w = [5, 6, 7]`` in
"full" mode, is a correlation over the input padded by 2 on each side:

>>> ax = signal_axis(4, 3, "full")
>>> ax.pad_before, ax.pad_after, ax.out_size
(2, 2, 6)
>>> ax.input_index()[0]          # output 0 reads padding, padding, x[0]
array([-1, -1,  0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._limits import check_build

__all__ = [
    "BOUNDARIES",
    "AxisGeometry",
    "Geometry",
    "map_boundary",
    "same_padding",
    "signal_axis",
]

#: Internal boundary names.  ``zeros`` drops the tap, ``wrap`` is circular,
#: ``symm`` repeats the edge sample (scipy's ``symm``, numpy's ``symmetric``),
#: ``reflect`` mirrors without repeating it (torch's ``reflect``),
#: ``replicate`` repeats the edge sample indefinitely.
BOUNDARIES = ("zeros", "wrap", "symm", "reflect", "replicate")


def map_boundary(p: np.ndarray, n: int, boundary: str) -> np.ndarray:
    """Map input coordinates ``p`` (possibly outside ``[0, n)``) to input indices.

    Returns an integer array of the same shape; ``-1`` marks a zero-padded
    position (only for ``boundary="zeros"``).  Outside the input, every mode
    is extended periodically, so paddings wider than the input are handled
    the way scipy's ``convolve2d`` handles them.

    Examples
    --------
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
    boundary: str = "zeros"
    out_limit: int | None = None

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
        room = self.padded_size - self.span
        n = room // self.stride + 1 if room >= 0 else 0
        return n if self.out_limit is None else min(n, self.out_limit)

    def positions(self, outputs: np.ndarray | None = None) -> np.ndarray:
        """Unmapped input coordinate read by each output with each tap, shape (out, kernel).

        ``outputs`` selects outputs (default: all of them).
        """
        o = np.arange(self.out_size) if outputs is None else np.asarray(outputs)
        t = np.arange(self.kernel)
        return o[:, None] * self.stride + t[None, :] * self.dilation - self.pad_before

    def input_index(self, outputs: np.ndarray | None = None) -> np.ndarray:
        """Input index read by each output with each tap; ``-1`` for zero padding."""
        return map_boundary(self.positions(outputs), self.size, self.boundary)

    def inside_counts(self) -> np.ndarray:
        """For each output, how many taps land inside the input (not in the padding).

        Computed from the tap range per output, without the (out, kernel) table.

        >>> signal_axis(4, 3, "full").inside_counts()
        array([1, 2, 3, 3, 2, 1])
        """
        counts = np.full(self.out_size, self.kernel, dtype=np.int64)
        lo, hi = self.interior()
        edges = np.concatenate((np.arange(min(lo, self.out_size)),
                                np.arange(max(hi, lo), self.out_size)))
        start = edges * self.stride - self.pad_before
        d = self.dilation
        first = np.maximum(0, -(start // d))          # ceil(-start / d)
        last = np.minimum(self.kernel - 1, (self.size - 1 - start) // d)
        counts[edges] = np.maximum(0, last - first + 1)
        return counts

    def interior(self) -> tuple[int, int]:
        """``(lo, hi)``: outputs ``lo <= o < hi`` read no padding at all.

        >>> signal_axis(4, 3, "full").interior()
        (2, 4)
        """
        lo = min(-(-self.pad_before // self.stride), self.out_size)
        hi = (self.size - 1 + self.pad_before - self.dilation * (self.kernel - 1)) // self.stride
        return lo, max(lo, min(hi + 1, self.out_size))


def signal_axis(size: int, kernel: int, mode: str, boundary: str = "zeros") -> AxisGeometry:
    """Axis geometry of ``scipy.signal.convolve(x, k, mode)`` in correlation form.

    The pads reproduce scipy's output lengths and its centring of ``"same"``
    (the middle of the full output, ``start = (kernel - 1) // 2``), for odd
    and even kernels.  For a true convolution the caller reverses the taps.

    Examples
    --------
    >>> [(m, signal_axis(5, 4, m).pad_before, signal_axis(5, 4, m).out_size)
    ...  for m in ("full", "valid", "same")]
    [('full', 3, 8), ('valid', 0, 2), ('same', 2, 5)]
    """
    if mode == "full":
        before = after = kernel - 1
    elif mode == "valid":
        before = after = 0
    elif mode == "same":
        after = (kernel - 1) // 2
        before = kernel - 1 - after
    else:
        raise ValueError(f"mode must be one of 'full', 'valid', 'same', got {mode!r}")
    return AxisGeometry(size, kernel, 1, 1, before, after, boundary)


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """PyTorch's ``padding="same"`` split: the odd extra pad goes after.

    >>> same_padding(4), same_padding(3, dilation=2)
    ((1, 2), (2, 2))
    """
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


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
        >>> g = Geometry((signal_axis(3, 2, "valid"), signal_axis(3, 2, "valid")))
        >>> g.table                      # 2x2 outputs, 2x2 taps, on a 3x3 input
        array([[0, 1, 3, 4],
               [1, 2, 4, 5],
               [3, 4, 6, 7],
               [4, 5, 7, 8]])
        """
        return self.table_outer(None)

    def table_outer(self, outs: tuple[np.ndarray, ...] | None = None,
                    dtype: type = np.int64) -> np.ndarray:
        """The rows of :attr:`table` for a product of output indices, in C order.

        ``outs[d]`` lists the output indices taken along axis ``d`` (``None``:
        all outputs); the result has one row per combination and one column
        per flat tap.

        >>> g = Geometry((signal_axis(3, 2, "valid"), signal_axis(3, 2, "valid")))
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

    def row_counts(self, dtype: type = np.int64) -> np.ndarray:
        """Number of taps of each flat output that read the input (not zero padding)."""
        counts = np.ones((), dtype=dtype)
        for ax in self.axes:
            counts = np.multiply.outer(counts, ax.inside_counts().astype(dtype))
        return counts.ravel()

    @cached_property
    def out_strides(self) -> tuple[int, ...]:
        """C-order strides (in elements) of the output."""
        return _c_strides(self.out_shape)

    def row_base(self, rows: np.ndarray) -> np.ndarray:
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

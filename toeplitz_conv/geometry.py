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
from typing import Any, NamedTuple

import numpy as np

from ._limits import check_build
from ._typing import Boundary
from ._validation import _is_int, as_int_tuple, choose

__all__ = [
    "BOUNDARIES",
    "AxisGeometry",
    "Geometry",
    "PaddedMap",
    "channel_map",
    "circular_axis",
    "conv_out_size",
    "full_padding",
    "layer_padding_range",
    "layer_symmetric_paddings",
    "map_boundary",
    "ndimage_axis",
    "ndimage_origins",
    "pool_axis",
    "pool_counts",
    "resolve_padding",
    "same_origins",
    "same_padding",
    "signal_axis",
    "signal_kernel_size",
    "signal_padding",
    "tf_same_padding",
    "transposed_out_size",
    "transposed_output_padding",
]

#: Internal boundary names.  ``zeros`` drops the tap, ``wrap`` is circular,
#: ``symm`` repeats the edge sample (scipy's ``symm``, numpy's ``symmetric``),
#: ``reflect`` mirrors without repeating it (torch's ``reflect``),
#: ``replicate`` repeats the edge sample indefinitely.
BOUNDARIES = ("zeros", "wrap", "symm", "reflect", "replicate")


def map_boundary(p: np.ndarray, n: int, boundary: Boundary | str) -> np.ndarray:
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
    boundary: Boundary = "zeros"
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

    def padded_positions(self) -> np.ndarray:
        """Every coordinate of the padded input, ``-pad_before .. size + pad_after - 1``.

        >>> signal_axis(3, 2, "full").padded_positions()
        array([-1,  0,  1,  2,  3])
        """
        return np.arange(-self.pad_before, self.size + self.pad_after)

    def padded_sources(self) -> np.ndarray:
        """The input index each padded coordinate reads (``-1``: a zero).

        >>> AxisGeometry(3, 2, pad_before=2, boundary="reflect").padded_sources()
        array([2, 1, 0, 1, 2])
        """
        return map_boundary(self.padded_positions(), self.size, self.boundary)

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

        >>> signal_axis(4, 3, "full").inside_counts()
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

        >>> signal_axis(4, 3, "full").interior()
        (2, 4)
        """
        lo = min(-(-self.pad_before // self.stride), self.out_size)
        hi = (self.size - 1 + self.pad_before - self.dilation * (self.kernel - 1)) // self.stride
        return lo, max(lo, min(hi + 1, self.out_size))


def signal_axis(size: int, kernel: int, mode: str, boundary: Boundary = "zeros",
                stride: int = 1, origin: int = 0) -> AxisGeometry:
    """Axis geometry of ``scipy.signal.convolve(x, k, mode)[::stride]`` in correlation form.

    The pads reproduce scipy's output lengths and its centring of ``"same"``
    (the middle of the full output, ``start = (kernel - 1) // 2``), for odd
    and even kernels.  For a true convolution the caller reverses the taps.
    A stride keeps every ``stride``-th output of the mode's output, starting
    with the first.  ``origin`` moves ``"same"``'s window over the full
    output: it starts at ``(kernel - 1) // 2 + origin`` (MATLAB's
    ``conv(u, v, 'same')`` is ``origin=1`` for even kernels); see
    :func:`same_origins`.

    Examples
    --------
    >>> [(m, signal_axis(5, 4, m).pad_before, signal_axis(5, 4, m).out_size)
    ...  for m in ("full", "valid", "same")]
    [('full', 3, 8), ('valid', 0, 2), ('same', 2, 5)]
    >>> signal_axis(5, 4, "full", stride=3).out_size     # outputs 0, 3, 6 of 8
    3
    >>> signal_axis(3, 5, "valid").out_size               # scipy swaps the operands
    3
    >>> signal_axis(5, 4, "same", origin=1).pad_before    # full output 2.. instead of 1..
    1
    """
    if mode == "valid":
        # A kernel longer than the input: scipy swaps the operands, keeping
        # the outputs where the input lies wholly inside the kernel.  Those
        # read no sample outside the input, so the boundary never applies.
        before = after = max(kernel - size, 0)
        boundary = "zeros"
    else:
        before, after = signal_padding(kernel, mode)
    if origin:
        if mode != "same" or origin not in same_origins(kernel):
            raise ValueError(f"origin {origin} is out of range: mode='same' with a kernel of "
                             f"{kernel} takes origins in {same_origins(kernel)} "
                             f"(other modes take only 0)")
        before, after = before - origin, after + origin
    return AxisGeometry(size, kernel, stride, 1, before, after, boundary)


def same_origins(kernel: int) -> range:
    """The origins of ``"same"`` whose window stays inside the full output.

    ``"same"`` keeps ``size`` outputs of the ``size + kernel - 1`` of
    ``"full"``, starting at ``(kernel - 1) // 2 + origin``; the start runs
    from ``0`` to ``kernel - 1``.

    >>> same_origins(3), same_origins(4)
    (range(-1, 2), range(-1, 3))
    """
    centre = (kernel - 1) // 2
    return range(-centre, kernel - centre)


def signal_kernel_size(size: int, out_size: int, mode: str) -> int | None:
    """The kernel length that makes ``mode`` map ``size`` inputs to ``out_size`` outputs.

    The inverse of :func:`signal_axis`'s output size (stride 1): ``None`` for
    ``"same"``, whose output size does not depend on the kernel.

    >>> signal_kernel_size(4, 6, "full"), signal_kernel_size(4, 2, "valid")
    (3, 3)
    """
    if mode == "full":
        return out_size - size + 1
    if mode == "valid":
        return size - out_size + 1
    return None


def full_padding(kernel: int, dilation: int = 1) -> int:
    """Padding on each side that makes a stride-1 layer give scipy's ``"full"`` output.

    Every placement of the dilated kernel that overlaps the input:
    ``dilation * (kernel - 1)``.

    >>> full_padding(3), full_padding(3, dilation=2)
    (2, 4)
    """
    return dilation * (kernel - 1)


def conv_out_size(size: int, kernel: int, *, stride: int = 1, padding: tuple[int, int] = (0, 0),
                  dilation: int = 1) -> int:
    """PyTorch's output size of a padded, strided, dilated correlation (0 when it does not fit).

    ``floor((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1``.

    >>> conv_out_size(32, 3, stride=2, padding=(1, 1))
    16
    """
    return AxisGeometry(size, kernel, stride, dilation, padding[0], padding[1]).out_size


def transposed_out_size(size: int, kernel: int, *, stride: int = 1,
                        padding: tuple[int, int] = (0, 0), output_padding: int = 0,
                        dilation: int = 1) -> int:
    """Output size of ``conv_transpose`` with ``padding = (before, after)`` cropped off.

    ``(size - 1) * stride - before - after + dilation * (kernel - 1) + output_padding + 1``
    (PyTorch's formula, with its symmetric ``2 * padding`` split per side).

    >>> transposed_out_size(4, 3, stride=2)
    9
    >>> transposed_out_size(4, 3, stride=2, padding=(1, 0), output_padding=1)
    9
    """
    before, after = padding
    return ((size - 1) * stride - before - after + dilation * (kernel - 1)
            + output_padding + 1)


def layer_padding_range(size: int, out_size: int, kernel: int, *, stride: int = 1,
                        dilation: int = 1) -> range:
    """Total paddings ``before + after`` that give ``out_size`` outputs (the inverse of
    :func:`conv_out_size`); empty when none does.

    >>> layer_padding_range(32, 16, 3, stride=2)        # 1 + 1, or 1 + 2
    range(1, 3)
    >>> layer_padding_range(5, 5, 3)
    range(2, 3)
    """
    low = (out_size - 1) * stride + dilation * (kernel - 1) + 1 - size
    return range(max(low, 0), max(low + stride, 0)) if out_size >= 1 else range(0)


def tf_same_padding(size: int, kernel: int, stride: int = 1,
                    dilation: int = 1) -> tuple[int, int]:
    """TensorFlow/JAX ``padding="SAME"``: ``ceil(size / stride)`` outputs, extra pad after.

    The total pad is ``max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)``
    with ``out = ceil(size / stride)``; the odd extra goes after (bottom/right).
    It depends on the input size when the stride is above 1, unlike
    :func:`same_padding`.

    >>> tf_same_padding(5, 3), tf_same_padding(6, 3, stride=2), tf_same_padding(5, 3, stride=2)
    ((1, 1), (0, 1), (1, 1))
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def resolve_padding(padding: Any, kernel: tuple[int, ...], *,
                    stride: tuple[int, ...] | None = None,
                    dilation: tuple[int, ...] | None = None,
                    sizes: tuple[int, ...] | None = None,
                    allow_strings: bool = True) -> tuple[tuple[int, int], ...]:
    """Every accepted way of writing a padding, as one ``(before, after)`` pair per axis.

    ``padding`` may be an int (every side), a tuple of ints (both sides of
    each axis), a tuple of ``(before, after)`` pairs (JAX's per-side form),
    ``"valid"``/``"VALID"`` (none), ``"same"`` (PyTorch's split, stride 1
    only) or ``"SAME"`` (TensorFlow's and JAX's: ``ceil(size / stride)``
    outputs, any stride; needs the input ``sizes``).

    Examples
    --------
    >>> resolve_padding(1, (3, 3))
    ((1, 1), (1, 1))
    >>> resolve_padding(((0, 1), (2, 0)), (3, 3))
    ((0, 1), (2, 0))
    >>> resolve_padding("same", (4,))
    ((1, 2),)
    >>> resolve_padding("SAME", (3,), stride=(2,), sizes=(6,))
    ((0, 1),)
    """
    nd = len(kernel)
    stride = (1,) * nd if stride is None else stride
    dilation = (1,) * nd if dilation is None else dilation
    if isinstance(padding, str):
        if not allow_strings:
            raise TypeError(f"padding must be an int, a tuple of ints or a tuple of "
                            f"(before, after) pairs here, got {padding!r}")
        choose(padding, "padding", ("valid", "same", "VALID", "SAME"))
        if padding in ("valid", "VALID"):
            return ((0, 0),) * nd
        if padding == "SAME":
            if sizes is None:
                raise ValueError("padding='SAME' depends on the input size, which is not "
                                 "known here; give (before, after) pairs instead")
            return tuple(tf_same_padding(n, k, s, d)
                         for n, k, s, d in zip(sizes, kernel, stride, dilation))
        if any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions "
                             f"(stride={stride}); PyTorch requires stride 1 with 'same' "
                             "(padding='SAME' is TensorFlow's rule, which allows it)")
        return tuple(same_padding(k, d) for k, d in zip(kernel, dilation))
    if isinstance(padding, (tuple, list)) and padding and not _is_int(padding[0]):
        if len(padding) != nd or not all(isinstance(p, (tuple, list)) and len(p) == 2
                                         for p in padding):
            raise ValueError(f"padding as pairs must be {nd} (before, after) pairs, one per "
                             f"spatial axis, got {padding!r}")
        flat = as_int_tuple([v for p in padding for v in p], 2 * nd, "padding", minimum=0)
        return tuple((flat[2 * i], flat[2 * i + 1]) for i in range(nd))
    p = as_int_tuple(padding, nd, "padding", minimum=0)
    return tuple((q, q) for q in p)


def channel_map(c_out: int, c_in: int, groups: int = 1) -> np.ndarray:
    """The input channel that output channel ``o`` reads with its ``j``-th weight channel.

    Shape ``(c_out, c_in // groups)``: output channels are split into
    ``groups`` equal blocks, block ``g`` reading input channels
    ``g * c_in // groups`` onwards (PyTorch's grouped convolution).

    >>> channel_map(4, 6, groups=2)
    array([[0, 1, 2],
           [0, 1, 2],
           [3, 4, 5],
           [3, 4, 5]])
    """
    c_ig = c_in // groups
    group = np.arange(c_out) // (c_out // groups)
    return group[:, None] * c_ig + np.arange(c_ig)[None, :]


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
                    dtype: type[np.signedinteger[Any]] = np.int64) -> np.ndarray:
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

    def check_build(self, c_out: int = 1, c_ig: int = 1, what: str = "matrix") -> None:
        """Refuse, before anything is allocated, a matrix of this geometry beyond the limits.

        Counts the rows (``c_out`` output channels) and the candidate taps
        (``c_ig`` input channels per row) against
        ``toeplitz_conv.limits.max_build_bytes``.

        >>> Geometry((signal_axis(10**12, 3, "full"),)).check_build()  # doctest: +ELLIPSIS
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
        >>> g = Geometry((signal_axis(3, 2, "full"),))
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


def pool_axis(size: int, kernel: int, *, stride: int, padding: int | tuple[int, int] = 0,
              dilation: int = 1, ceil_mode: bool = False) -> AxisGeometry:
    """Geometry of one axis of a PyTorch pooling window, with torch's output size.

    ``padding`` is an int (both sides) or a ``(before, after)`` pair.
    ``ceil_mode`` rounds the number of windows up: the axis gets ``stride - 1``
    extra (zero) padding after the input, and the last window is dropped when
    it would start beyond the input and its left padding (torch's rule, so a
    window never starts in the right padding).

    Examples
    --------
    >>> pool_axis(5, 2, stride=2).out_size, pool_axis(5, 2, stride=2, ceil_mode=True).out_size
    (2, 3)
    >>> pool_axis(4, 2, stride=3, ceil_mode=True).positions()     # last window starts at 3
    array([[0, 1],
           [3, 4]])
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    extra = stride - 1 if ceil_mode else 0
    ax = AxisGeometry(size, kernel, stride, dilation, before, after + extra, "zeros")
    out = ax.out_size
    if out < 1:
        raise ValueError(f"kernel_size {kernel} (dilated extent {ax.span}) does not fit an "
                         f"input of size {size} with padding {padding}: PyTorch needs "
                         f"size + padding >= dilation * (kernel_size - 1) + 1")
    if ceil_mode and ax.positions(np.array([out - 1]))[0, 0] >= size:
        out -= 1
    return AxisGeometry(size, kernel, stride, dilation, before, after + extra, "zeros",
                        out_limit=out)


def pool_counts(ax: AxisGeometry, *, count_include_pad: bool, ceil_mode: bool) -> np.ndarray:
    """The divisor of each average-pooling window of :func:`pool_axis` ``ax``, per axis.

    With ``count_include_pad`` torch counts the window's taps inside the
    padded input, but never those in the extension ``ceil_mode`` adds after
    it; without, only those inside the input.

    The last window ``[3, 4, 5]`` reads ``x[3]``, the pad at 4, and 5 (the
    extension), so torch divides it by 2:

    >>> ax = pool_axis(4, 3, stride=2, padding=1, ceil_mode=True)
    >>> ax.out_size, pool_counts(ax, count_include_pad=True, ceil_mode=True)
    (3, array([3, 3, 2]))
    >>> pool_counts(ax, count_include_pad=False, ceil_mode=True)
    array([2, 3, 1])
    """
    if not count_include_pad:
        return ax.counts_within(0, ax.size)
    extension = ax.stride - 1 if ceil_mode else 0
    return ax.counts_within(-ax.pad_before, ax.size + ax.pad_after - extension)


def ndimage_origins(kernel: int) -> range:
    """The origins scipy.ndimage allows for a kernel of ``kernel`` taps (the centre stays on it).

    >>> ndimage_origins(3), ndimage_origins(4)
    (range(-1, 2), range(-2, 2))
    """
    return range(-(kernel // 2), (kernel - 1) // 2 + 1)


def ndimage_axis(size: int, kernel: int, origin: int = 0, boundary: Boundary = "symm", *,
                 convolve: bool = False) -> AxisGeometry:
    """Axis geometry of ``scipy.ndimage.correlate1d``/``convolve1d`` (output size = input size).

    ``correlate1d`` reads ``x[i + j - (kernel // 2 + origin)]`` with tap
    ``j``.  ``convolve1d`` is the correlation with the reversed kernel and
    the origin ``-origin``, shifted one more to the left for even kernels
    (scipy's rule); the caller reverses the taps.

    >>> ax = ndimage_axis(5, 3)
    >>> ax.pad_before, ax.pad_after, ax.out_size
    (1, 1, 5)
    >>> ndimage_axis(5, 4, convolve=True).pad_before
    1
    """
    if origin not in ndimage_origins(kernel):
        raise ValueError(f"origin {origin} is out of range for a kernel of {kernel}: it must "
                         f"satisfy -(k // 2) <= origin <= (k - 1) // 2")
    if convolve:
        origin = -origin - (1 - kernel % 2)
    before = kernel // 2 + origin
    return AxisGeometry(size, kernel, 1, 1, before, kernel - 1 - before, boundary)


def transposed_output_padding(size: int, out_size: int, kernel: int, *, stride: int = 1,
                              padding: tuple[int, int] = (0, 0), dilation: int = 1) -> int:
    """The ``output_padding`` that makes ``conv_transpose`` map ``out_size`` back to ``size``.

    A strided correlation maps ``stride`` consecutive input sizes to one
    output size; its transposed layer picks one of them with
    ``output_padding``.  This is :func:`transposed_out_size` solved for it:
    ``size - transposed_out_size(out_size, kernel, stride=..., padding=...)``.
    It lies in ``0 .. stride - 1`` when ``size`` maps to ``out_size`` under
    :func:`conv_out_size` with the same arguments (otherwise PyTorch, and
    :func:`~toeplitz_conv.transposed_layer_matrix`, reject it).

    Examples
    --------
    Inputs of 7 and 8 both give 3 outputs with kernel 3 and stride 2:

    >>> conv_out_size(7, 3, stride=2), conv_out_size(8, 3, stride=2)
    (3, 3)
    >>> transposed_output_padding(7, 3, 3, stride=2), transposed_output_padding(8, 3, 3, stride=2)
    (0, 1)
    >>> transposed_out_size(3, 3, stride=2, output_padding=1)
    8
    """
    return size - transposed_out_size(out_size, kernel, stride=stride, padding=padding,
                                      dilation=dilation)


def circular_axis(size: int, kernel: int) -> AxisGeometry:
    """The ``size x size`` circulant of a circular convolution, in correlation form.

    Output ``i`` reads ``x[(i + t - (kernel - 1)) mod size]`` with tap ``t``;
    with the taps reversed (a true convolution, ``flip=True`` in the
    assembler) that is ``y[i] = sum_m k[m] x[(i - m) mod size]``, the
    textbook circular convolution whose matrix the DFT diagonalises.
    Kernels longer than ``size`` wrap around more than once.

    >>> circular_axis(4, 3).input_index()      # taps in correlation order
    array([[2, 3, 0],
           [3, 0, 1],
           [0, 1, 2],
           [1, 2, 3]])
    >>> circular_axis(4, 3).out_size
    4
    """
    # Padding kernel - 1 before and none after keeps exactly ``size`` outputs
    # and puts tap m (after reversal) on x[i - m]; "wrap" closes the circle.
    return AxisGeometry(size, kernel, 1, 1, kernel - 1, 0, "wrap")


def signal_padding(kernel: Any, mode: str) -> tuple[Any, Any]:
    """scipy's ``(before, after)`` pads of ``mode`` in correlation form, as a formula.

    The pads :func:`signal_axis` uses, for a kernel length that may also be
    a sympy integer symbol (``//`` is then ``floor``), so that a proof for
    a symbolic kernel length reads them from here.  ``"same"`` puts the odd
    extra pad *before* (the centre of scipy's full output), unlike
    :func:`same_padding`.

    >>> signal_padding(4, "same"), signal_axis(5, 4, "same").pad_before
    ((2, 1), 2)
    >>> import sympy
    >>> signal_padding(sympy.Symbol("k", integer=True, positive=True), "same")
    (k - floor(k/2 - 1/2) - 1, floor(k/2 - 1/2))
    """
    if mode == "full":
        return kernel - 1, kernel - 1
    if mode == "valid":
        return 0, 0
    if mode == "same":
        after = (kernel - 1) // 2
        return kernel - 1 - after, after
    raise ValueError(f"mode must be one of 'full', 'valid', 'same', got {mode!r}")


def layer_symmetric_paddings(size: int, out_size: int, kernel: int, *, stride: int = 1,
                             dilation: int = 1) -> range:
    """Symmetric paddings ``p`` (``p`` before and ``p`` after, PyTorch's int ``padding``)
    that give ``out_size`` outputs: the even totals of :func:`layer_padding_range`, halved.

    >>> layer_symmetric_paddings(32, 16, 3, stride=2)     # totals 1 and 2: only 1 + 1
    range(1, 2)
    >>> layer_symmetric_paddings(9, 5, 3, stride=2)       # totals 2, 3: p = 1
    range(1, 2)
    >>> len(layer_symmetric_paddings(5, 6, 3))            # total 3 only: none symmetric
    0
    """
    totals = layer_padding_range(size, out_size, kernel, stride=stride, dilation=dilation)
    # 2 p in [start, stop)  <=>  ceil(start / 2) <= p < ceil(stop / 2)
    return range((totals.start + 1) // 2, (totals.stop + 1) // 2)

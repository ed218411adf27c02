"""Each convention's geometry: scipy.signal, scipy.ndimage, circular and PyTorch layers.

A convention's arguments (a mode and boundary, an origin, a layer's stride,
padding, dilation and padding mode) become :class:`~toeplitz_conv.geometry.AxisGeometry`
axes here, validated as the convention validates them; the builders take
their :class:`~toeplitz_conv.geometry.Geometry` from these functions.
"""

from __future__ import annotations

from typing import Any

from .._typing import Boundary, IntOrTuple
from .._validation import INT64_MAX, as_int_tuple, choose
from ._maps import AxisGeometry, Geometry
from ._padding import ndimage_origins, resolve_padding, same_origins, signal_padding

__all__ = [
    "LAYER_BOUNDARY",
    "NDIMAGE_BOUNDARY",
    "PADDING_MODES",
    "SIGNAL_BOUNDARY",
    "circular_axis",
    "layer_geometry",
    "ndimage_axis",
    "signal_axis",
    "signal_geometry",
]

#: ``torch.nn.ConvNd(padding_mode=...)``'s values.
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
#: Each convention's names for the core's :data:`~toeplitz_conv.geometry.BOUNDARIES`.
LAYER_BOUNDARY: dict[str, Boundary] = {"zeros": "zeros", "reflect": "reflect",
                                       "replicate": "replicate", "circular": "wrap"}
SIGNAL_BOUNDARY: dict[str, Boundary] = {"fill": "zeros", "wrap": "wrap", "symm": "symm"}
# For filters, ndimage's grid-* names are synonyms of the plain ones.
NDIMAGE_BOUNDARY: dict[str, Boundary] = {
    "reflect": "symm", "grid-mirror": "symm", "constant": "zeros", "grid-constant": "zeros",
    "nearest": "replicate", "mirror": "reflect", "wrap": "wrap", "grid-wrap": "wrap"}


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
    :func:`~toeplitz_conv.geometry.same_origins`.

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


def signal_geometry(kernel_shape: tuple[int, ...], input_shape: tuple[int, ...],
                    mode: str = "full", boundary: str = "fill",
                    stride: IntOrTuple = 1, origin: IntOrTuple = 0) -> Geometry:
    """The :class:`~toeplitz_conv.geometry.Geometry` of scipy's ``mode``/``boundary``,
    keeping every ``stride``-th output along each axis, ``"same"`` moved by ``origin``.

    >>> signal_geometry((3, 2), (4, 4), "full", stride=(1, 2)).out_shape
    (6, 3)
    """
    nd = len(kernel_shape)
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    origins = as_int_tuple(origin, nd, "origin", minimum=-INT64_MAX)
    return Geometry(tuple(signal_axis(n, k, mode, SIGNAL_BOUNDARY[boundary], s, o)
                          for n, k, s, o in zip(input_shape, kernel_shape, strides, origins)))


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


def layer_geometry(kernel: tuple[int, ...], spatial: tuple[int, ...], *, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1,
                   padding_mode: str = "zeros") -> Geometry:
    """The geometry of a PyTorch conv layer's spatial axes, validated as torch does.

    ``padding`` takes every form :func:`~toeplitz_conv.geometry.resolve_padding`
    accepts, per-side ``((before, after), ...)`` pairs included.  The
    smallest input each axis accepts is
    :func:`~toeplitz_conv.geometry.layer_min_size`.

    Examples
    --------
    >>> g = layer_geometry((3, 3), (32, 32), stride=2, padding=1)
    >>> g.out_shape
    (16, 16)
    >>> layer_geometry((3,), (8,), padding=((2, 0),)).out_shape      # causal padding
    (8,)
    """
    nd = len(kernel)
    stride_t = as_int_tuple(stride, nd, "stride", minimum=1)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    choose(padding_mode, "padding_mode", PADDING_MODES)
    pads = resolve_padding(padding, kernel, stride=stride_t, dilation=dil_t, sizes=spatial)
    for (before, after), n in zip(pads, spatial):
        big = max(before, after)
        if padding_mode == "reflect" and big >= n:
            raise ValueError(f"padding {big} is too large for padding_mode='reflect' on an "
                             f"input of size {n}: PyTorch requires padding < input size")
        if padding_mode == "circular" and big > n:
            raise ValueError(f"padding {big} is too large for padding_mode='circular' on an "
                             f"input of size {n}: PyTorch requires padding <= input size")
    axes = tuple(AxisGeometry(n, k, s, d, b, a, LAYER_BOUNDARY[padding_mode])
                 for n, k, s, d, (b, a) in zip(spatial, kernel, stride_t, dil_t, pads))
    for ax in axes:
        if ax.padded_size < ax.span:
            raise ValueError(
                f"kernel size (dilated: {ax.span}) can't be greater than the padded input "
                f"size ({ax.padded_size}) along a spatial axis of input_shape {spatial}")
    return Geometry(axes)

"""Each convention's geometry: scipy.signal (and numpy's, MATLAB's), scipy.ndimage, circular
and PyTorch layers.

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
from ._padding import ndimage_origins, resolve_padding, signal_padding

__all__ = [
    "LAYER_BOUNDARY",
    "NDIMAGE_BOUNDARY",
    "PADDING_MODES",
    "SIGNAL_BOUNDARY",
    "SIGNAL_CONVENTIONS",
    "circular_axis",
    "layer_geometry",
    "ndimage_axis",
    "signal_axis",
    "signal_geometry",
    "signal_swaps",
    "signal_window",
]

#: The peers whose ``"valid"``/``"same"`` placement :func:`signal_window` knows.
SIGNAL_CONVENTIONS = ("scipy", "numpy", "matlab", "convolve2d")
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


def signal_window(size: int, kernel: int, mode: str, convention: str = "scipy", *,
                  correlate: bool = False) -> tuple[int, int]:
    """Where ``mode``'s outputs lie in the full result: ``(start, count)``.

    The full convolution (or correlation) of ``size`` inputs with ``kernel``
    taps has ``size + kernel - 1`` outputs; ``mode`` keeps ``count`` of them
    from ``start`` on.  Each convention's rule:

    * ``"full"``: ``(0, size + kernel - 1)`` everywhere.
    * ``"valid"``: ``(min - 1, max - min + 1)`` with ``min``/``max`` of the
      two lengths (scipy and numpy swap the operands when the kernel is
      longer); MATLAB does not swap: ``(kernel - 1, max(size - kernel + 1, 0))``.
    * ``"same"``: ``size`` outputs from ``(kernel - 1) // 2`` (scipy's
      ``convolve``/``correlate``/``convolve2d``), from ``kernel // 2``
      (MATLAB's ``conv``/``conv2``/``filter2``, and scipy's ``correlate2d``:
      ``convention="convolve2d"`` with ``correlate``); numpy
      (``numpy.convolve``, ``numpy.correlate``,
      ``scipy.linalg.convolution_matrix``) keeps ``max(size, kernel)``
      outputs, from ``(min - 1) // 2``, or ``size // 2`` for a correlation
      with the longer kernel (numpy swaps, then reverses the result).

    Examples
    --------
    ``conv([1 2 3 4], [1 1], 'same')`` in MATLAB is ``[3 5 7 4]``: the full
    result ``[1 3 5 7 4]`` from index 1; scipy starts at 0.

    >>> signal_window(4, 2, "same", "matlab"), signal_window(4, 2, "same")
    ((1, 4), (0, 4))
    >>> signal_window(2, 5, "same", "numpy"), signal_window(2, 5, "same", "numpy", correlate=True)
    ((0, 5), (1, 5))
    >>> signal_window(3, 5, "valid"), signal_window(3, 5, "valid", "matlab")
    ((2, 3), (4, 0))
    """
    choose(convention, "convention", SIGNAL_CONVENTIONS)
    if mode == "full":
        return 0, size + kernel - 1
    small, large = min(size, kernel), max(size, kernel)
    if mode == "valid":
        if convention == "matlab":
            return kernel - 1, max(size - kernel + 1, 0)
        return small - 1, large - small + 1
    if mode != "same":
        raise ValueError(f"mode must be one of 'full', 'valid', 'same', got {mode!r}")
    if convention == "numpy":
        if kernel > size:
            return (size // 2 if correlate else (size - 1) // 2), kernel
        return (kernel - 1) // 2, size
    if convention == "matlab" or (convention == "convolve2d" and correlate):
        return kernel // 2, size
    return (kernel - 1) // 2, size


def signal_swaps(kernel_shape: tuple[int, ...], input_shape: tuple[int, ...], mode: str,
                 convention: str = "scipy") -> bool:
    """Whether ``mode="valid"`` swaps the operands (the kernel is longer along some axis).

    scipy (and numpy) then keep the outputs where the input lies wholly
    inside the kernel: they read no sample outside the input, so neither the
    boundary nor ``convolve2d``'s ``fillvalue`` applies.  MATLAB never swaps.

    >>> signal_swaps((3, 1), (2, 1), "valid"), signal_swaps((3, 1), (2, 1), "valid", "matlab")
    (True, False)
    >>> signal_swaps((2,), (2,), "valid"), signal_swaps((3,), (2,), "same")
    (False, False)
    """
    return (mode == "valid" and convention != "matlab"
            and any(k > n for k, n in zip(kernel_shape, input_shape)))


def signal_axis(size: int, kernel: int, mode: str, boundary: Boundary = "zeros",
                stride: int = 1, origin: int = 0, *, convention: str = "scipy",
                correlate: bool = False) -> AxisGeometry:
    """Axis geometry of ``scipy.signal.convolve(x, k, mode)[::stride]`` in correlation form.

    The pads reproduce scipy's output lengths and its centring of ``"same"``
    (the middle of the full output, ``start = (kernel - 1) // 2``), for odd
    and even kernels.  For a true convolution the caller reverses the taps.
    A stride keeps every ``stride``-th output of the mode's output, starting
    with the first.  ``origin`` moves ``"same"``'s window over the full
    output: it starts at ``(kernel - 1) // 2 + origin`` (MATLAB's
    ``conv(u, v, 'same')`` is ``origin=1`` for even kernels); see
    :func:`~toeplitz_conv.geometry.same_origins`.

    ``convention`` (``"scipy"``, ``"numpy"``, ``"matlab"``,
    ``"convolve2d"``) places ``"valid"`` and ``"same"`` as that peer does
    (:func:`signal_window`; ``correlate`` matters only where a peer centres
    a correlation differently).  ``mode="circular"`` is
    :func:`circular_axis` (``size`` outputs, the input read modulo
    ``size``), strided like the others.

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
    >>> signal_axis(5, 4, "same", convention="matlab").pad_before    # MATLAB's centring
    1
    >>> signal_axis(2, 5, "same", convention="numpy").out_size       # the longer length
    5
    """
    if mode == "circular":
        if origin:
            raise ValueError(f"origin applies to mode='same' only, got origin={origin} with "
                             f"mode='circular'")
        ax = circular_axis(size, kernel, correlate=correlate)
        return AxisGeometry(size, kernel, stride, 1, ax.pad_before, ax.pad_after, "wrap")
    if mode == "valid" and convention != "matlab":
        # A kernel longer than the input: scipy swaps the operands, keeping
        # the outputs where the input lies wholly inside the kernel.  Those
        # read no sample outside the input, so the boundary never applies.
        before = after = max(kernel - size, 0)
        boundary = "zeros"
    elif mode == "full" or (mode == "same" and convention == "scipy"):
        # The symbolic proofs pass sympy sizes here: the formula, no comparisons.
        before, after = signal_padding(kernel, mode)
    else:
        start, count = signal_window(size, kernel, mode, convention, correlate=correlate)
        before, after = kernel - 1 - start, start + count - size
    if origin:
        if mode != "same":
            raise ValueError(f"origin applies to mode='same' only (other modes take only 0), "
                             f"got origin={origin} with mode={mode!r}")
        # The window of ``count`` outputs may start anywhere in the full result.
        full = size + kernel - 1
        start, count = kernel - 1 - before, size + before + after - kernel + 1
        allowed = range(-start, full - count - start + 1)
        if origin not in allowed:
            raise ValueError(f"origin {origin} is out of range: mode='same' with a kernel of "
                             f"{kernel} takes origins in {allowed} "
                             f"(other modes take only 0)")
        before, after = before - origin, after + origin
    return AxisGeometry(size, kernel, stride, 1, before, after, boundary)


def signal_geometry(kernel_shape: tuple[int, ...], input_shape: tuple[int, ...],
                    mode: str = "full", boundary: str = "fill",
                    stride: IntOrTuple = 1, origin: IntOrTuple = 0, *,
                    convention: str = "scipy", correlate: bool = False) -> Geometry:
    """The :class:`~toeplitz_conv.geometry.Geometry` of scipy's ``mode``/``boundary``,
    keeping every ``stride``-th output along each axis, ``"same"`` moved by ``origin``.

    >>> signal_geometry((3, 2), (4, 4), "full", stride=(1, 2)).out_shape
    (6, 3)
    """
    nd = len(kernel_shape)
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    origins = as_int_tuple(origin, nd, "origin", minimum=-INT64_MAX)
    return Geometry(tuple(signal_axis(n, k, mode, SIGNAL_BOUNDARY[boundary], s, o,
                                      convention=convention, correlate=correlate)
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


def circular_axis(size: int, kernel: int, *, correlate: bool = False) -> AxisGeometry:
    """The ``size x size`` circulant of a circular convolution, in correlation form.

    Output ``i`` reads ``x[(i + t - (kernel - 1)) mod size]`` with tap ``t``;
    with the taps reversed (a true convolution, ``flip=True`` in the
    assembler) that is ``y[i] = sum_m k[m] x[(i - m) mod size]``, the
    textbook circular convolution whose matrix the DFT diagonalises.
    With ``correlate`` (taps not reversed) output ``i`` reads
    ``x[(i + t) mod size]``: the circular correlation
    ``y[i] = sum_t k[t] x[(i + t) mod size]``.
    Kernels longer than ``size`` wrap around more than once.

    >>> circular_axis(4, 3).input_index()      # taps in correlation order
    array([[2, 3, 0],
           [3, 0, 1],
           [0, 1, 2],
           [1, 2, 3]])
    >>> circular_axis(4, 3).out_size
    4
    >>> circular_axis(4, 3, correlate=True).input_index()[0]
    array([0, 1, 2])
    """
    # Padding kernel - 1 on one side and none on the other keeps exactly
    # ``size`` outputs; before puts tap m (after reversal) on x[i - m], after
    # puts tap t on x[i + t]; "wrap" closes the circle.
    if correlate:
        return AxisGeometry(size, kernel, 1, 1, 0, kernel - 1, "wrap")
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

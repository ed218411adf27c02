"""The signal-processing convention: the matrix of ``scipy.signal.convolve``."""

from __future__ import annotations

import numbers
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._assemble import Offset, Ties, assemble
from ._typing import IntOrTuple, Mode, Order, SignalBoundary, SignalConvention, SignalMode
from ._validation import INT64_MAX, as_bool, as_int_tuple, as_kernel, as_shape, choose
from .geometry import (
    SIGNAL_BOUNDARY,
    SIGNAL_CONVENTIONS,
    Geometry,
    axes_first_map,
    signal_axis,
    signal_geometry,
    signal_swaps,
    tile_map,
)
from .tied import TiedMatrix

__all__ = ["MODES", "SIGNAL_BOUNDARIES", "SIGNAL_CONVENTIONS", "SIGNAL_MODES", "conv_matrices",
           "conv_matrix"]

MODES = ("full", "valid", "same")
#: Every mode :func:`conv_matrix` takes: scipy's and the circular convolution.
SIGNAL_MODES = ("full", "valid", "same", "circular")
SIGNAL_BOUNDARIES = ("fill", "wrap", "symm")


def validate_signal_args(kernel: Any, input_shape: Any, mode: Any, correlate: Any,
                         boundary: Any, axes: Any = None, convention: Any = "scipy", *,
                         degenerate: bool = False) -> tuple[np.ndarray, tuple[int, ...]]:
    """Validate :func:`conv_matrix`'s arguments; return the kernel array and the shape.

    ``degenerate``: accept what scipy accepts beyond the common case, a 0-d
    kernel (with ``input_shape=()``; returned as one sample) and an input with
    a 0 in its shape (see :func:`_check_empty`).
    """
    k = as_kernel(kernel, allow_bool=True, min_ndim=0 if degenerate else 1)
    if k.ndim == 0:
        # scipy convolves 0-d arrays as the product of two scalars.
        if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 0):
            raise ValueError(f"a 0-d kernel (no dimensions) takes input_shape=() (a 0-d input, "
                             f"as scipy convolves two scalars), got {input_shape!r}")
        k = k.reshape(1)
        input_shape = (1,)
    shape = as_shape(input_shape, ndim=k.ndim,
                     empty_axes=tuple(range(k.ndim)) if degenerate else ())
    choose(mode, "mode", SIGNAL_MODES)
    choose(boundary, "boundary", SIGNAL_BOUNDARIES)
    as_bool(correlate, "correlate")
    choose(convention, "convention", SIGNAL_CONVENTIONS)
    if 0 in shape:
        _check_empty(k.shape, shape, mode, boundary, convention)
    if convention == "numpy" and k.ndim != 1:
        raise ValueError(f"convention='numpy' is numpy.convolve's, which is 1-D; got a "
                         f"{k.ndim}-D kernel (use convention='scipy' in N-D)")
    if mode == "circular" and boundary != "fill":
        raise ValueError(f"mode='circular' reads the input modulo its size: it takes no "
                         f"boundary, got boundary={boundary!r}")
    conv = _conv_axes(axes, k.ndim)
    for d in set(range(k.ndim)) - set(conv):
        if k.shape[d] not in (1, shape[d]):
            raise ValueError(f"along an axis not in axes the kernel must have size 1 (one "
                             f"kernel for every slice) or the input's size (one per slice): "
                             f"kernel.shape[{d}] = {k.shape[d]}, input_shape[{d}] = {shape[d]}")
    ks, ns = [k.shape[d] for d in conv], [shape[d] for d in conv]
    if (mode == "valid" and convention != "matlab" and any(kk > n for kk, n in zip(ks, ns))
            and any(kk < n for kk, n in zip(ks, ns))):
        raise ValueError(
            f"mode='valid' needs the kernel to fit inside the input in every dimension, or "
            f"the input inside the kernel (scipy then swaps them); kernel shape {k.shape} "
            f"and input_shape {shape} are neither (use mode='full' or 'same')")
    return k, shape


def _check_empty(kshape: tuple[int, ...], shape: tuple[int, ...], mode: str, boundary: str,
                 convention: str) -> None:
    """Refuse an empty input where scipy refuses it.

    ``scipy.signal.convolve``/``correlate`` take one in ``'same'``, and in
    ``'full'`` from 2-D on when the kernel has size 1 along the empty axes
    (the result is empty too); ``convolve2d``/``correlate2d`` also in
    ``'full'`` with any kernel (rows of fill only).  ``'valid'``, numpy,
    MATLAB, the circular mode and the non-fill boundaries refuse it.
    """
    full_ok = (convention == "convolve2d"
               or (len(shape) > 1 and all(k == 1 for k, n in zip(kshape, shape) if n == 0)))
    if (boundary == "fill" and convention in ("scipy", "convolve2d")
            and (mode == "same" or (mode == "full" and full_ok))):
        return
    raise ValueError(f"input_shape must contain positive sizes here, got {shape}: an empty "
                     f"input takes mode='same' (or 'full' where scipy accepts it) with "
                     f"boundary='fill' and convention 'scipy' or 'convolve2d'; got "
                     f"mode={mode!r}, boundary={boundary!r}, convention={convention!r}")


def _conv_axes(axes: Any, nd: int) -> tuple[int, ...]:
    """``axes`` (None, an int or a sequence, negatives counted from the end) as sorted ints."""
    if axes is None:
        return tuple(range(nd))
    raw = (axes,) if not isinstance(axes, (tuple, list)) else tuple(axes)
    vals = as_int_tuple(list(raw), len(raw), "axes", minimum=-nd)
    if not raw or any(v >= nd for v in vals):
        raise ValueError(f"axes must name axes of the {nd}-dimensional input "
                         f"(-{nd} .. {nd - 1}), got {axes!r}")
    conv = tuple(sorted({v % nd for v in vals}))
    if len(conv) != len(vals):
        raise ValueError(f"axes must not repeat an axis, got {axes!r}")
    return conv


def conv_matrix(kernel: ArrayLike, input_shape: IntOrTuple | tuple[()],
                mode: SignalMode = "full", *,
                correlate: bool = False, boundary: SignalBoundary = "fill",
                stride: IntOrTuple = 1, fillvalue: complex = 0, origin: IntOrTuple = 0,
                axes: int | tuple[int, ...] | None = None,
                convention: SignalConvention = "scipy", order: Order = "C") -> TiedMatrix:
    """Sparse, weight-tied matrix of an N-D convolution or cross-correlation.

    ``conv_matrix(k, x.shape, mode) @ x.ravel()`` equals
    ``scipy.signal.convolve(x, k, mode).ravel()`` (``scipy.signal.correlate``
    with ``correlate=True``); 1-D gives a Toeplitz matrix, 2-D a doubly
    block Toeplitz one.

    Parameters
    ----------
    kernel : array_like
        1-D or N-D numeric kernel (integer, float or complex; finite), or a
        boolean one, taken as 0/1 (``uint8``) as scipy does.  A 0-d kernel
        takes ``input_shape=()``: the 1 x 1 matrix of scipy's product of two
        scalars.
    input_shape : int or tuple of int
        Shape of the input, with as many dimensions as the kernel.  It may
        hold a 0 where scipy accepts an empty input: ``'same'``, and
        ``'full'`` in N-D when the kernel has size 1 along the empty axes
        (any kernel with ``convention='convolve2d'``); the matrix then has no
        columns.
    mode : {'full', 'valid', 'same', 'circular'}
        Output size and alignment exactly as ``scipy.signal.convolve``;
        ``'same'`` is centred as scipy centres it for odd and even kernels.
        ``'valid'`` requires the kernel to fit inside the input, or the input
        inside the kernel in every dimension (scipy then swaps the operands).
        ``'circular'``: the circular convolution, output the input's shape,
        ``y[i] = sum_j k[j] x[(i - j) mod n]`` per axis (``x[(i + j) mod n]``
        and ``conj(k[j])`` with ``correlate=True``), i.e.
        ``ifftn(fftn(x) * fftn(k, s=x.shape))``.  A kernel longer than the
        input wraps around more than once (the FFT identity then holds for
        the kernel folded modulo ``n``; ``fftn(k, s=)`` would crop it).
    correlate : bool
        Cross-correlation (the kernel is not flipped) instead of convolution.
        For complex kernels the kernel is conjugated, as in
        ``scipy.signal.correlate``; taps still index the kernel as passed.
    boundary : {'fill', 'wrap', 'symm'}
        What the input reads outside its edges, as in
        ``scipy.signal.convolve2d``: zeros, circular, or symmetric reflection
        (edge sample repeated).  Applies along every dimension.
    stride : int or tuple of int
        Keep every ``stride``-th output along each axis (an int applies to
        all axes): the matrix of ``scipy.signal.convolve(x, k, mode)[::s]``
        (``[::s0, ::s1]`` in 2-D), i.e. those rows of the stride-1 matrix.
    fillvalue : number
        With ``boundary='fill'``, the value outside the input, as in
        ``scipy.signal.convolve2d``.  A non-zero value makes the map affine:
        ``A.apply(x)`` is ``A @ x + A.offset`` (see
        :attr:`TiedMatrix.offset`).
    origin : int or tuple of int
        With ``mode='same'``, where the window of ``size`` outputs starts in
        the full output: at ``(k - 1) // 2 + origin`` (0, scipy's centring,
        by default).  MATLAB's ``conv(u, v, 'same')`` is ``origin=1`` for
        even kernels (0 for odd ones); PyLops' ``Convolve1D(offset=c)`` is
        ``origin = c - (k - 1) // 2``.
    axes : int or tuple of int, optional
        Convolve along these axes only, as ``scipy.signal.fftconvolve(axes=)``
        (default: all).  Along the others the kernel has size 1 (the same
        kernel for every slice) or the input's size (a kernel per slice: a
        block-diagonal stack of matrices); ``stride`` and ``origin`` must
        be 1 and 0 there.
    convention : {'scipy', 'numpy', 'matlab', 'convolve2d'}
        Whose ``'valid'`` and ``'same'`` (:func:`~toeplitz_conv.geometry.signal_window`).
        ``'scipy'`` (default): ``scipy.signal.convolve``/``correlate``.
        ``'numpy'`` (1-D): ``numpy.convolve``/``numpy.correlate`` and
        ``scipy.linalg.convolution_matrix``, which size ``'same'`` by the
        longer operand (``max(n, m)`` outputs).  ``'matlab'``: MATLAB's
        ``conv``/``conv2``/``convn`` (``filter2`` with ``correlate=True``,
        which conjugates nothing): ``'same'`` starts at ``floor(m / 2)`` of
        the full result, ``'valid'`` never swaps (``max(n - m + 1, 0)``
        outputs, possibly none).  ``'convolve2d'``: ``convolve2d`` and, with
        ``correlate=True``, ``correlate2d``, which centres an even kernel's
        ``'same'`` one sample later than ``correlate`` and, in a swapped
        ``'valid'``, conjugates the input instead of the kernel (the matrix
        then acts on ``conj(x)``).
    order : {'C', 'F'}
        Flatten the input and the output in C order (default) or Fortran
        (column-major, MATLAB's ``X(:)``) order: with ``'F'``,
        ``A @ x.ravel(order="F") == y.ravel(order="F")``, and :meth:`apply`
        and :meth:`~TiedMatrix.weight_grad` take natural shapes as before.
        MATLAB's ``convmtx2(H, m, n)`` is ``conv_matrix(H, (m, n), "full",
        order="F")``; taps still index the kernel as passed (C order over
        its own shape).

    Returns
    -------
    TiedMatrix
        Shape ``(prod(out_shape), prod(input_shape))``, C-order flattening.

    Raises
    ------
    TypeError, ValueError
        For a non-numeric, empty or non-finite kernel, a shape that does not
        match the kernel's rank, an unknown mode/boundary/convention/order,
        ``'valid'`` with a kernel larger than the input along some axes only,
        or an integer ``fillvalue`` whose offset (``fillvalue`` times the
        kernel's absolute sum) leaves int64.

    See Also
    --------
    conv_matrices : one matrix per kernel of a batch.
    ndimage_matrix : scipy.ndimage's convention (output the input's size, its border modes).
    layer_matrix : the deep-learning (PyTorch) convention.
    data_matrix : the other Toeplitz matrix, linear in the weight.
    toeplitz_conv.geometry.signal_axis : the output size, padding and taps of one axis.
    scipy.linalg.convolution_matrix : the dense 1-D analogue.

    Notes
    -----
    In 1-D, with ``n = input_shape`` and ``m = len(kernel)``, row ``i`` is
    output ``p = start + stride * i`` of the full convolution (length
    ``n + m - 1``), where ``start`` is 0 for ``'full'``, ``min(n, m) - 1``
    for ``'valid'`` and ``(m - 1) // 2 + origin`` for ``'same'``.  With
    ``boundary='fill'`` the entries are, for ``0 <= p - j < m``::

        A[i, j] = k[p - j]                  # convolution
        A[i, j] = conj(k[m - 1 - (p - j)])  # correlate=True

    and zero elsewhere.  With ``'wrap'`` or ``'symm'`` the input sample that
    tap ``t`` reads, ``p - t``, is first mapped into ``[0, n)``
    (:func:`~toeplitz_conv.geometry.map_boundary`), and taps that land on one
    column add up: ``A[i, j] = sum(k[t] for t in range(m) if map(p - t) == j)``.
    With a non-zero ``fillvalue`` the taps that read outside the input add
    ``fillvalue * k[t]`` to :attr:`TiedMatrix.offset` ``[i]`` instead; a
    swapped ``'valid'`` reads nothing outside the input, so it has no
    offset (as ``convolve2d`` ignores ``fillvalue`` there).

    In N-D the formula holds along every axis at once: ``k`` is indexed by
    the tuple of per-axis offsets, and rows and columns are the C-order
    flattenings of the output and input indices (a doubly block Toeplitz
    matrix in 2-D).  The output size along each axis is
    ``ceil(L / stride)`` with ``L = n + m - 1`` (``'full'``),
    ``max(n, m) - min(n, m) + 1`` (``'valid'``) or ``n`` (``'same'``),
    computed by :func:`~toeplitz_conv.geometry.signal_axis`
    (``signal_axis(n, m, mode, stride=stride).out_size``).

    Examples
    --------
    The worked example: ``x = [1, 2, 3, 4]``, ``w = [5, 6, 7]``.

    >>> import numpy as np
    >>> from toeplitz_conv import conv_matrix
    >>> A = conv_matrix([5, 6, 7], 4, "full")
    >>> A.toarray()
    array([[5, 0, 0, 0],
           [6, 5, 0, 0],
           [7, 6, 5, 0],
           [0, 7, 6, 5],
           [0, 0, 7, 6],
           [0, 0, 0, 7]])
    >>> x = np.array([1, 2, 3, 4])
    >>> A @ x
    array([ 5, 16, 34, 52, 45, 28])
    >>> conv_matrix([5, 6, 7], 4, "valid") @ x
    array([34, 52])
    >>> conv_matrix([5, 6, 7], 4, "valid", correlate=True) @ x
    array([38, 56])

    2-D: a 2x2 kernel on a 3x3 image gives a doubly block Toeplitz matrix.

    >>> conv_matrix(np.ones((2, 2)), (3, 3), "valid").shape
    (4, 9)

    A stride keeps every ``stride``-th row: here outputs 0, 2 and 4 of 6.

    >>> conv_matrix([5, 6, 7], 4, "full", stride=2) @ x
    array([ 5, 34, 45])

    MATLAB's ``conv(u, v, 'same')`` example (an even kernel, centred one
    sample later than scipy centres it):

    >>> u, v = np.array([-1, 2, 3, -2, 0, 1, 2]), np.array([2, 4, -1, 1])
    >>> conv_matrix(v, 7, "same", origin=1) @ u
    array([15,  5, -9,  7,  6,  7, -1])
    >>> conv_matrix(v, 7, "same", convention="matlab") @ u
    array([15,  5, -9,  7,  6,  7, -1])

    numpy's ``'same'`` has the longer operand's length:

    >>> conv_matrix([5, 6, 7], 2, "same", convention="numpy") @ np.array([1, 2])
    array([ 5, 16, 19])
    >>> np.convolve([1, 2], [5, 6, 7], "same")
    array([ 5, 16, 19])

    MATLAB's ``convmtx2(H, 2, 2)``, column-major:

    >>> H = np.array([[1, 2], [3, 4]])
    >>> T = conv_matrix(H, (2, 2), "full", order="F")
    >>> X = np.array([[1, 0], [0, 1]])
    >>> (T @ X.ravel(order="F")).reshape(3, 3, order="F")
    array([[1, 2, 0],
           [3, 5, 2],
           [0, 3, 4]])

    The circular convolution is the FFT's:

    >>> C = conv_matrix([5, 6, 7], 4, "circular")
    >>> C @ x
    array([50, 44, 34, 52])
    >>> np.fft.ifft(np.fft.fft(x) * np.fft.fft([5, 6, 7], 4)).real.round(10)
    array([50., 44., 34., 52.])

    The entry formula of the Notes, written out with numpy (``'same'``,
    stride 2, so ``start = (m - 1) // 2``):

    >>> k, n, s = np.array([5, 6, 7, 8]), 7, 2
    >>> p = (len(k) - 1) // 2 + s * np.arange(4)[:, None]     # ceil(7 / 2) = 4 rows
    >>> d = p - np.arange(n)
    >>> formula = np.where((0 <= d) & (d < len(k)), k[np.clip(d, 0, len(k) - 1)], 0)
    >>> np.array_equal(conv_matrix(k, n, "same", stride=s).toarray(), formula)
    True
    """
    k, shape = validate_signal_args(kernel, input_shape, mode, correlate, boundary, axes,
                                    convention, degenerate=True)
    choose(order, "order", ("C", "F"))
    # Validation lets input_shape=() through only with a 0-d kernel.
    scalar = isinstance(input_shape, (tuple, list)) and len(input_shape) == 0
    _check_fillvalue(fillvalue, k, boundary, mode)
    conv = _conv_axes(axes, k.ndim)
    info = {"convention": "signal", "mode": mode, "correlate": bool(correlate),
            "boundary": boundary, "stride": stride, "origin": origin, "axes": axes,
            "signal_convention": convention, "order": order}
    swapped = signal_swaps(k.shape, shape, mode, convention)
    # correlate2d conjugates its second operand, which is the input once the
    # operands are swapped: the kernel then enters as it is.  MATLAB's
    # filter2 (conv2 with the kernel rotated) conjugates nothing.
    conj = (bool(correlate) and k.dtype.kind == "c" and convention != "matlab"
            and not (swapped and convention == "convolve2d"))
    ties = Ties(conjugate=conj)
    # A swapped 'valid' reads nothing outside the input: scipy ignores the fill.
    offset = Offset(fill_value=fillvalue) if fillvalue != 0 and not swapped else None
    args = (mode, boundary, stride, origin, convention, bool(correlate))
    if len(conv) == k.ndim:
        geom = signal_geometry(k.shape, shape, mode, boundary, stride, origin,
                               convention=convention, correlate=bool(correlate))
        A = assemble(geom, k, flip=not correlate, ties=ties, offset=offset, info=info,
                     order=order)
    else:
        A = _along_axes(k, shape, conv, args, flip=not correlate, ties=ties, offset=offset,
                        info=info, order=order)
    if scalar:
        A.in_shape = A.out_shape = ()
    return A


def _check_fillvalue(fillvalue: Any, k: np.ndarray, boundary: str, mode: str) -> None:
    """Refuse a fill value that is not a finite number, or whose offset leaves int64."""
    if (isinstance(fillvalue, (bool, np.bool_)) or not isinstance(fillvalue, numbers.Number)
            or not _finite_scalar(fillvalue)):
        raise TypeError(f"fillvalue must be a finite number (an int within int64, a float or "
                        f"a complex), got {fillvalue!r}")
    if fillvalue != 0 and (boundary != "fill" or mode == "circular"):
        raise ValueError(f"fillvalue applies to boundary='fill' only (not to mode='circular'), "
                         f"got boundary={boundary!r}, mode={mode!r}")
    if isinstance(fillvalue, numbers.Integral) and k.dtype.kind in "iu":
        # An integer kernel and fill keep an integer offset, fill * (a sum of
        # kernel entries): refuse one that int64 cannot hold instead of wrapping.
        bound = abs(int(fillvalue)) * int(np.abs(k.astype(object)).sum())
        if bound > INT64_MAX:
            raise ValueError(f"fillvalue={fillvalue} times the kernel's absolute sum "
                             f"({int(np.abs(k.astype(object)).sum())}) exceeds int64, which "
                             f"holds the integer offset; give a float fillvalue")


def _finite_scalar(value: Any) -> bool:
    # np.isfinite refuses a Python int beyond int64 with a TypeError of its own.
    try:
        return bool(np.isfinite(value))
    except (TypeError, OverflowError):
        return False


def _along_axes(k: np.ndarray, shape: tuple[int, ...], conv: tuple[int, ...],
                signal_args: tuple[str, str, Any, Any, str, bool], *, flip: bool, ties: Ties,
                offset: Offset | None, info: dict[str, Any],
                order: Order = "C") -> TiedMatrix:
    """The matrix of a convolution along ``conv`` only: other axes map slice to slice.

    ``signal_args``: :func:`conv_matrix`'s ``(mode, boundary, stride, origin, convention,
    correlate)``.
    """
    mode, boundary, stride, origin, convention, correlate = signal_args
    nd = k.ndim
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    origins = as_int_tuple(origin, nd, "origin", minimum=-INT64_MAX)
    rest = [d for d in range(nd) if d not in conv]
    if any(strides[d] != 1 or origins[d] != 0 for d in rest):
        raise ValueError(f"stride and origin apply to the convolved axes {conv} only; "
                         f"got stride={stride!r}, origin={origin!r}")
    per_slice = [d for d in rest if k.shape[d] == shape[d] > 1]
    geom = Geometry(tuple(signal_axis(shape[d], k.shape[d], mode, SIGNAL_BOUNDARY[boundary],
                                      strides[d], origins[d], convention=convention,
                                      correlate=correlate) if d in conv
                          else signal_axis(shape[d], 1, "valid") for d in range(nd)))
    if not per_slice:
        return assemble(geom, k, flip=flip, ties=ties, offset=offset, info=info, order=order)
    if order != "C":
        raise ValueError("order='F' needs one kernel for every slice (size 1 along the axes "
                         "not in axes)")
    if offset is not None:
        raise ValueError("fillvalue needs one kernel for every slice (size 1 along the axes "
                         "not in axes)")
    # A kernel per slice is a tiling over the slice axes: the assembler ties
    # output o to tile o[per_slice], in a layout with those axes first.
    tile = tile_map(geom.out_shape, tuple(shape[d] for d in per_slice), per_slice)
    weight_map = axes_first_map(k.shape, per_slice)
    return assemble(geom, k, flip=flip, ties=replace(ties, tile=tile, weight_map=weight_map),
                    info=info)


def conv_matrices(kernels: ArrayLike, input_shape: IntOrTuple, mode: Mode = "full",
                  **kwargs: Any) -> list[TiedMatrix]:
    """One :func:`conv_matrix` per kernel of a batch, as ``scipy.linalg.convolution_matrix``
    stacks them for a batch of kernels.

    Parameters
    ----------
    kernels : array_like
        Shape ``(*batch, *kernel)``: the trailing ``len(input_shape)`` axes
        are one kernel, the leading ones index the batch.
    input_shape : int or tuple of int
    mode, **kwargs
        As :func:`conv_matrix`.

    Returns
    -------
    list of TiedMatrix
        In C order over the batch axes; each one's taps index its own kernel.

    See Also
    --------
    conv_matrix : one kernel; its Notes give the entry formula and the output size.
    scipy.linalg.convolution_matrix : the dense 1-D analogue, batched the same way.

    Notes
    -----
    Matrix ``b`` (in C order over the batch) is ``conv_matrix(kernels[b],
    input_shape, mode, **kwargs)``: ``As[b][i, j] = kernels[b][p - j]`` in
    1-D with ``'fill'``, ``p`` the full-output index of row ``i`` (see
    :func:`conv_matrix`); the output size is
    :func:`~toeplitz_conv.geometry.signal_axis`'s, the same for every kernel.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import convolution_matrix
    >>> a = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]])
    >>> As = conv_matrices(a, 4, "same")
    >>> np.array_equal(np.stack([A.toarray() for A in As]), convolution_matrix(a, 4, "same"))
    True
    """
    k = as_kernel(kernels, "kernels", allow_bool=True)
    nd = 1 if not isinstance(input_shape, (tuple, list)) else len(input_shape)
    if k.ndim <= nd:
        raise ValueError(f"kernels must have batch axes before the {nd} kernel axes of "
                         f"input_shape {input_shape!r}, got shape {k.shape}")
    batch = k.shape[:k.ndim - nd]
    flat = k.reshape((-1, *k.shape[k.ndim - nd:]))
    return [conv_matrix(one, input_shape, mode, **kwargs) for one in flat] if batch else []

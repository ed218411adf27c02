"""The deep-learning convention: matrices of PyTorch's conv and conv-transpose layers."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._assemble import Channels, assemble
from ._typing import IntOrTuple, LayerPadding, PaddingMode
from ._validation import INT64_MAX, as_groups, as_int_tuple, as_kernel, as_shape
from .geometry import (
    PADDING_MODES,
    Geometry,
    layer_geometry,
    resolve_padding,
    transposed_out_size,
    transposed_output_padding,
)
from .tied import TiedMatrix

__all__ = ["PADDING_MODES", "layer_geometry", "layer_matrix", "transposed_layer_matrix"]


def _layer_weight(weight: Any, name: str = "weight", *,
                  empty_axes: tuple[int, ...] = ()) -> np.ndarray:
    # The channel axes are checked here, with a message that says which
    # channel count torch refuses; the spatial axes must be positive.
    w = as_kernel(weight, name, min_ndim=3, max_ndim=5, empty_axes=(0, 1))
    for axis, what in ((0, "weight.shape[0]"), (1, "weight.shape[1]")):
        if w.shape[axis] == 0 and axis not in empty_axes:
            raise ValueError(f"{name} has an empty channel axis ({what} = 0, shape "
                             f"{w.shape}), which PyTorch refuses here; only a convolution's "
                             f"input channels (weight.shape[1] with input_shape[0]) may be 0")
    return w


def _channels(w: np.ndarray, input_shape: Any, groups: Any,
              empty_axes: tuple[int, ...] = ()) -> tuple[tuple[int, ...], int]:
    nd = w.ndim - 2
    shape = as_shape(input_shape, "input_shape", ndim=nd + 1, empty_axes=empty_axes)
    return shape, as_groups(groups, [(shape[0], "the input channels")])


def layer_matrix(weight: ArrayLike, input_shape: tuple[int, ...], *, stride: IntOrTuple = 1,
                 padding: LayerPadding = 0, dilation: IntOrTuple = 1, groups: int = 1,
                 padding_mode: PaddingMode = "zeros") -> TiedMatrix:
    """Sparse, weight-tied matrix of a PyTorch convolution layer (no batch axis).

    ``layer_matrix(w, x.shape, ...) @ x.ravel()`` equals
    ``torch.nn.functional.conv{1,2,3}d(x[None], w, ...)[0].ravel()``.

    Parameters
    ----------
    weight : array_like
        ``(C_out, C_in // groups, *kernel)`` with 1, 2 or 3 spatial dims.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    stride, dilation : int or tuple of int
        Per spatial dimension, >= 1.
    padding : int, tuple of int, tuple of (int, int) pairs, 'valid', 'same', 'VALID' or 'SAME'
        As in PyTorch; ``'same'`` puts the odd extra pad after (right/bottom)
        and needs stride 1.  ``'SAME'``/``'VALID'`` (upper case) are
        TensorFlow's and JAX's: ``'SAME'`` gives ``ceil(size / stride)``
        outputs for any stride, the odd extra pad after.  Pairs give each axis's ``(before, after)``
        padding, as JAX writes it (``((top, bottom), (left, right))`` in 2-D):
        the same as ``torch.nn.functional.pad`` (with the ``padding_mode``)
        followed by an unpadded convolution.
    groups : int
        Channel groups; must divide ``C_in`` and ``C_out``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
        As ``torch.nn.ConvNd(padding_mode=...)``.  With non-zero modes one
        matrix entry can be the sum of several weights (see ``taps``).

    Returns
    -------
    TiedMatrix
        Rows ordered ``(C_out, *out_spatial)``, columns ``(C_in, *spatial)``.

    See Also
    --------
    transposed_layer_matrix : the transposed convolution (this matrix's transpose).
    data_matrix : the same layer as a matrix of the input, ``y = X(x) @ weight.ravel()``.
    tiled_conv_matrix, locally_connected_matrix : the same sparsity with less tying.
    conv_matrix : the signal-processing (scipy) convention.
    toeplitz_conv.geometry.conv_out_size : the output size of one axis.

    Notes
    -----
    A cross-correlation (no kernel flip).  In 1-D, with ``(before, after)``
    the padding of the axis, output ``o`` reads with tap ``t`` the input
    position ``j = stride * o + dilation * t - before``, and output channel
    ``co`` reads the ``c_g = C_in // groups`` input channels of its group,
    ``ci = (co // (C_out // groups)) * c_g + c`` for ``0 <= c < c_g``
    (:func:`~toeplitz_conv.geometry.channel_map`).  With zero padding::

        A[(co, o), (ci, j)] = weight[co, c, t]   # 0 <= j < n

    and taps reading the padding are dropped.  The other padding modes map
    ``j`` into the input first (:func:`~toeplitz_conv.geometry.map_boundary`)
    and taps landing on one column add up.  In N-D the formula holds along
    every axis, rows and columns flattened in C order.  The output size of an
    axis of ``n`` samples is
    ``floor((n + before + after - dilation * (k - 1) - 1) / stride) + 1``,
    :func:`~toeplitz_conv.geometry.conv_out_size`; string paddings become
    pairs through :func:`~toeplitz_conv.geometry.resolve_padding`.

    Zero input channels are accepted where torch accepts them
    (``input_shape[0] == weight.shape[1] == 0``, ``padding_mode`` ``'zeros'``
    or ``'circular'``): torch then returns an empty output with 0 channels
    (not ``C_out`` channels of zeros), so the matrix is 0 x 0 with
    ``out_shape == (0, *out_spatial)``, and ``weight_grad`` is all-empty of
    the weight's shape, as ``weight.grad``.  Zero output channels are
    refused, as torch refuses them.

    Examples
    --------
    >>> import numpy as np
    >>> from toeplitz_conv import layer_matrix
    >>> w = np.array([[[5.0, 6.0, 7.0]]])          # C_out = C_in = 1, k = 3
    >>> A = layer_matrix(w, (1, 4))                # valid cross-correlation
    >>> A @ np.array([1.0, 2.0, 3.0, 4.0])
    array([38., 56.])
    >>> layer_matrix(np.ones((8, 3, 3, 3)), (3, 32, 32), stride=2, padding=1).shape
    (2048, 3072)

    Per-side padding, here TensorFlow's 'SAME' for a stride-2 layer on 6 samples:

    >>> layer_matrix(np.ones((1, 1, 3)), (1, 6), stride=2, padding=((0, 1),)).shape
    (3, 6)

    One channel, stride 1 and no padding is numpy's ``'valid'`` correlation:

    >>> x = np.array([1.0, 2.0, -1.0, 0.5, 3.0])
    >>> np.array_equal(layer_matrix(w, (1, 5)) @ x, np.correlate(x, w[0, 0], "valid"))
    True
    """
    # torch accepts an empty input-channel axis (not an empty output one).
    w = _layer_weight(weight, empty_axes=(1,))
    shape, groups = _channels(w, input_shape, groups, empty_axes=(0,))
    c_out, c_ig = w.shape[:2]
    as_groups(groups, [(c_out, "the output channels (weight.shape[0])")])
    if c_ig * groups != shape[0]:
        raise ValueError(f"weight.shape[1] * groups must equal the input channels: "
                         f"{c_ig} * {groups} != input_shape[0] = {shape[0]}")
    geom = layer_geometry(w.shape[2:], shape[1:], stride=stride, padding=padding,
                          dilation=dilation, padding_mode=padding_mode)
    if shape[0] == 0 and padding_mode in ("reflect", "replicate"):
        raise ValueError(f"padding_mode={padding_mode!r} needs at least one input channel "
                         f"(torch's padding refuses input_shape {shape}); use 'zeros' or "
                         f"'circular'")
    info = {"convention": "layer", "stride": stride, "padding": padding,
            "dilation": dilation, "groups": groups, "padding_mode": padding_mode}
    # torch's rule: no input channels give no output channels (an empty output).
    channels = Channels(shape[0], groups, out_channels=0 if shape[0] == 0 else None)
    return assemble(geom, w, channels=channels, info=info)


def transposed_layer_matrix(weight: ArrayLike, input_shape: tuple[int, ...], *,
                            stride: IntOrTuple = 1,
                            padding: int | tuple[int, ...] | tuple[tuple[int, int], ...] = 0,
                            output_padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
                            groups: int = 1,
                            output_size: IntOrTuple | None = None) -> TiedMatrix:
    """Sparse, weight-tied matrix of a PyTorch transposed convolution (no batch axis).

    Equals ``torch.nn.functional.conv_transpose{1,2,3}d(x[None], w, ...)[0]``;
    it is the transpose of the :func:`layer_matrix` of the same weight on the
    output shape, which is how it is built.

    Parameters
    ----------
    weight : array_like
        ``(C_in, C_out // groups, *kernel)``.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    stride, padding, output_padding, dilation : int or tuple of int
        As in PyTorch; ``output_padding`` must be smaller than the stride or
        the dilation.  ``padding`` may also be ``(before, after)`` pairs per
        axis: that many outputs are cropped from each side.
    output_size : int or tuple of int, optional
        The wanted spatial output size (trailing entries of a longer tuple,
        as torch takes them): chooses ``output_padding``, which must then be
        0.  Each size must lie within ``stride - 1`` above the smallest one.
    groups : int

    Returns
    -------
    TiedMatrix
        Rows ordered ``(C_out, *out_spatial)``, columns ``(C_in, *spatial)``.

    See Also
    --------
    layer_matrix : the forward convolution; this matrix is its transpose.
    toeplitz_conv.geometry.transposed_out_size : the output size of one axis.

    Notes
    -----
    With the notation of :func:`layer_matrix` (``j = stride * o + dilation *
    t - before``), in 1-D::

        T[(co, j), (ci, o)] = weight[ci, c, t]   # 0 <= j < out_size

    where output channel ``co`` is the ``c``-th of the ``C_out // groups``
    channels of input channel ``ci``'s group.  The output size of an axis of
    ``n`` samples is ``(n - 1) * stride - before - after + dilation * (k - 1)
    + output_padding + 1``, :func:`~toeplitz_conv.geometry.transposed_out_size`
    (``output_size=`` picks ``output_padding`` with
    :func:`~toeplitz_conv.geometry.transposed_output_padding`).

    Examples
    --------
    >>> import numpy as np
    >>> from toeplitz_conv import layer_matrix, transposed_layer_matrix
    >>> w = np.arange(1.0, 7.0).reshape(1, 2, 3)   # C_in=1, C_out=2, k=3
    >>> T = transposed_layer_matrix(w, (1, 4), stride=2)
    >>> T.shape                                    # 2 channels x 9 samples
    (18, 4)
    >>> np.array_equal(T.toarray(), layer_matrix(w, (2, 9), stride=2).toarray().T)
    True
    """
    w = _layer_weight(weight)
    nd = w.ndim - 2
    shape, groups = _channels(w, input_shape, groups)
    if w.shape[0] != shape[0]:
        raise ValueError(f"weight.shape[0] ({w.shape[0]}) must equal the input channels "
                         f"input_shape[0] = {shape[0]} for a transposed convolution")
    stride_t = as_int_tuple(stride, nd, "stride", minimum=1)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    pads = resolve_padding(padding, w.shape[2:], allow_strings=False)
    op_t = as_int_tuple(output_padding, nd, "output_padding", minimum=0)
    k = w.shape[2:]
    if output_size is not None:
        op_t = _output_padding_for(output_size, op_t, shape[1:], k, stride_t, pads, dil_t)
    for op, s, d in zip(op_t, stride_t, dil_t):
        if op >= s and op >= d:
            raise ValueError(f"output_padding {op_t} must be smaller than either stride "
                             f"{stride_t} or dilation {dil_t} (PyTorch's rule)")
    out_spatial = tuple(transposed_out_size(n, kk, stride=s, padding=p, output_padding=op,
                                            dilation=d)
                        for n, kk, s, p, op, d in zip(shape[1:], k, stride_t, pads, op_t, dil_t))
    if any(o <= 0 for o in out_spatial):
        raise ValueError(f"padding {padding!r} is too large: the transposed convolution's "
                         f"output size would be {out_spatial}")
    c_out = w.shape[1] * groups
    if c_out * math.prod(out_spatial) > INT64_MAX:
        raise ValueError(f"stride {stride!r}, dilation {dilation!r} and output_padding "
                         f"{output_padding!r} give an output of shape {(c_out, *out_spatial)}, "
                         f"more elements than int64 can index")
    geom = layer_geometry(k, out_spatial, stride=stride_t, padding=pads, dilation=dil_t)
    # With output_padding >= stride the forward correlation has extra outputs
    # that the transposed convolution never reads: crop them.
    geom = Geometry(tuple(replace(ax, out_limit=n) for ax, n in zip(geom.axes, shape[1:])))
    info = {"convention": "transposed_layer", "stride": stride, "padding": padding,
            "output_padding": output_padding, "dilation": dilation, "groups": groups}
    fwd = assemble(geom, w, channels=Channels(c_out, groups), info=info)
    t = fwd.T
    t.info = info
    return t


def _output_padding_for(output_size: Any, output_padding: tuple[int, ...],
                        spatial: tuple[int, ...], kernel: tuple[int, ...],
                        stride: tuple[int, ...], pads: tuple[tuple[int, int], ...],
                        dilation: tuple[int, ...]) -> tuple[int, ...]:
    """torch's ``output_size=``: the output padding that gives those sizes."""
    nd = len(spatial)
    if any(output_padding):
        raise ValueError("give output_size or output_padding, not both")
    if isinstance(output_size, (tuple, list)) and len(output_size) > nd:
        output_size = tuple(output_size)[-nd:]      # torch ignores the leading (N, C)
    sizes = as_int_tuple(output_size, nd, "output_size", minimum=1)
    ops = tuple(transposed_output_padding(o, n, kk, stride=s, padding=p, dilation=d)
                for o, n, kk, s, p, d in zip(sizes, spatial, kernel, stride, pads, dilation))
    if any(not 0 <= op < s for op, s in zip(ops, stride)):
        lo = tuple(o - op for o, op in zip(sizes, ops))
        raise ValueError(f"output_size {sizes} is not reachable: each size must be between "
                         f"{lo} and {tuple(v + s - 1 for v, s in zip(lo, stride))} "
                         f"(PyTorch's rule)")
    return ops

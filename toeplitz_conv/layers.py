"""The deep-learning convention: matrices of PyTorch's conv and conv-transpose layers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._assemble import Channels, assemble, channels_last, relayout
from ._typing import IntOrTuple, LayerPadding, PaddingMode, TransposedPadding
from ._validation import INT64_MAX, as_groups, as_int_tuple, as_kernel, as_shape
from .geometry import (
    FRAMEWORK_PADDINGS,
    PADDING_MODES,
    ArrayLayout,
    Geometry,
    data_layout,
    layer_geometry,
    resolve_padding,
    transposed_framework_padding,
    transposed_out_size,
    transposed_output_padding,
    weight_layout,
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


class _UserLayout:
    """The user's data and weight formats of a layer, and the canonical weight and shape."""

    def __init__(self, w_user: np.ndarray, input_shape: Any, data_format: str | None,
                 weight_format: str | None) -> None:
        nd = w_user.ndim - 2
        self.data: ArrayLayout = data_layout(data_format, nd)
        self.weight: ArrayLayout = weight_layout(weight_format, nd)
        self.user_weight = w_user
        self.w = self.weight.to_canonical(w_user)
        user = as_shape(input_shape, "input_shape", ndim=len(self.data.perm),
                        empty_axes=(self.data.letters.index("C"),))
        canon = self.data.canonical_shape(user)
        self.batch: int | None = canon[0] if self.data.batch else None
        self.shape = canon[1:] if self.data.batch else canon

    def apply(self, matrix: TiedMatrix) -> TiedMatrix:
        """``matrix`` (canonical, one sample) in the user's layouts, stacked over the batch."""
        lead = () if self.batch is None else (self.batch,)
        out = relayout(matrix, self.user_weight, rows=(self.data, lead + matrix.out_shape),
                       cols=(self.data, lead + matrix.in_shape),
                       weights=(self.weight, self.w.shape), copies=self.batch or 1)
        return self._tagged(out, matrix.info)

    def layer(self, geom: Geometry, channels: Channels, info: dict[str, Any]) -> TiedMatrix:
        """The layer's matrix (canonical weight ``self.w``) in the user's layouts.

        Channels-last data with one group is assembled in the user's column
        order (:func:`~toeplitz_conv._assemble.channels_last`: no per-row
        sort); any other layout is assembled canonically and relaid out.
        """
        if self.data.channels_last and channels.groups == 1 and 0 not in self.w.shape:
            out = channels_last(geom, self.w, data=self.data,
                                weights=(self.weight, self.user_weight), batch=self.batch,
                                info=info)
            return self._tagged(out, info)
        return self.apply(assemble(geom, self.w, channels=channels, info=info))

    def _tagged(self, out: TiedMatrix, info: dict[str, Any]) -> TiedMatrix:
        out.info = {**info, "data_format": self.data.letters, "weight_format": self.weight.letters}
        return out


@contextmanager
def _explained(lay: _UserLayout | None) -> Iterator[None]:
    """Channel errors name PyTorch's axes; with the user's layouts, say where those are."""
    try:
        yield
    except ValueError as exc:
        if lay is None:
            raise
        wl, dl = lay.weight.letters, lay.data.letters
        raise ValueError(f"{exc} (in PyTorch's order: weight.shape[0] and [1] are axes "
                         f"{wl.index('O')} ('O') and {wl.index('I')} ('I') of weight_format "
                         f"{wl!r}, input_shape[0] is axis {dl.index('C')} ('C') of "
                         f"data_format {dl!r})") from None


def _user_layout(w: np.ndarray, input_shape: Any, data_format: str | None,
                 weight_format: str | None) -> _UserLayout | None:
    if data_format is None and weight_format is None:
        return None                     # PyTorch's layout: nothing to permute
    return _UserLayout(w, input_shape, data_format, weight_format)


def _channels(w: np.ndarray, input_shape: Any, groups: Any,
              empty_axes: tuple[int, ...] = ()) -> tuple[tuple[int, ...], int]:
    nd = w.ndim - 2
    shape = as_shape(input_shape, "input_shape", ndim=nd + 1, empty_axes=empty_axes)
    return shape, as_groups(groups, [(shape[0], "the input channels")])


def layer_matrix(weight: ArrayLike, input_shape: tuple[int, ...], *, stride: IntOrTuple = 1,
                 padding: LayerPadding = 0, dilation: IntOrTuple = 1, groups: int = 1,
                 padding_mode: PaddingMode = "zeros", data_format: str | None = None,
                 weight_format: str | None = None) -> TiedMatrix:
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
    padding : int, tuple of int, (int, int) pairs or a rule's name (see below)
        As in PyTorch; ``'same'`` puts the odd extra pad after (right/bottom)
        and needs stride 1.  ``'SAME'``/``'VALID'`` (upper case) are
        TensorFlow's and JAX's: ``'SAME'`` gives ``ceil(size / stride)``
        outputs for any stride, the odd extra pad after; JAX's
        ``'SAME_LOWER'`` puts it before.  Pairs give each axis's ``(before, after)``
        padding, as JAX writes it (``((top, bottom), (left, right))`` in 2-D):
        the same as ``torch.nn.functional.pad`` (with the ``padding_mode``)
        followed by an unpadded convolution.
    groups : int
        Channel groups; must divide ``C_in`` and ``C_out``.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
        As ``torch.nn.ConvNd(padding_mode=...)``.  With non-zero modes one
        matrix entry can be the sum of several weights (see ``taps``).
    data_format : str, optional
        The layout of ``input_shape`` and of the output, with TensorFlow's
        and JAX's letters: ``"NCHW"``, ``"NHWC"``, ``"CHW"``, ``"HWC"`` (and
        ``"NCW"``, ``"NWC"``, ``"NCDHW"``, ``"NDHWC"``, ...; any order of the
        letters).  With ``N`` the input has a batch axis and the matrix is
        block-diagonal over it.  The matrix acts on the flattened user
        layout: ``A @ x_nhwc.ravel() == y_nhwc.ravel()``.  Default: PyTorch's
        ``(C, *spatial)``.
    weight_format : str, optional
        The layout of ``weight``: ``"OIHW"`` (PyTorch's, the default),
        ``"HWIO"`` (TensorFlow's, JAX's ``dimension_numbers``), ``"OHWI"``,
        ``"IOHW"``, 1-D and 3-D alike.  The taps index the weight as passed,
        so ``weight_grad`` comes back in this layout and ``with_weight``
        takes it.

    Returns
    -------
    TiedMatrix
        Rows ordered ``(C_out, *out_spatial)``, columns ``(C_in, *spatial)``
        (in ``data_format``'s order when given).

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

    TensorFlow's layouts, a batch of 2 images ``(N, H, W, C)`` and an ``HWIO``
    kernel; the output is ``(N, H_out, W_out, C_out)``:

    >>> A = layer_matrix(np.ones((3, 3, 2, 4)), (2, 8, 8, 2), padding="SAME",
    ...                  data_format="NHWC", weight_format="HWIO")
    >>> A.in_shape, A.out_shape
    ((2, 8, 8, 2), (2, 8, 8, 4))
    """
    # torch accepts an empty input-channel axis (not an empty output one).
    w = _layer_weight(weight, empty_axes=(1,))
    lay = _user_layout(w, input_shape, data_format, weight_format)
    if lay is not None:
        w, input_shape = lay.w, lay.shape
    with _explained(lay):
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
    if lay is not None:
        return lay.layer(geom, channels, info)
    return assemble(geom, w, channels=channels, info=info)


def transposed_layer_matrix(weight: ArrayLike, input_shape: tuple[int, ...], *,
                            stride: IntOrTuple = 1,
                            padding: TransposedPadding = 0,
                            output_padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
                            groups: int = 1,
                            output_size: IntOrTuple | None = None,
                            data_format: str | None = None,
                            weight_format: str | None = None) -> TiedMatrix:
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
        axis: that many outputs are cropped from each side; or
        TensorFlow's ``'SAME'``/``'VALID'`` and JAX's ``'SAME_LOWER'``: the
        layer is then exactly the transpose of ``layer_matrix(...,
        padding=padding, stride=stride)`` on the output size (TensorFlow's
        ``conv2d_transpose``, the gradient of ``conv2d``), which is
        ``input * stride`` for ``'SAME'`` unless ``output_size`` says
        otherwise (Keras' ``input * stride + max(extent - stride, 0)`` for
        ``'VALID'``, ``extent = dilation * (kernel - 1) + 1``).
    output_size : int or tuple of int, optional
        The wanted spatial output size (trailing entries of a longer tuple,
        as torch takes them): chooses ``output_padding``, which must then be
        0.  Each size must lie within ``stride - 1`` above the smallest one.
        With a string ``padding`` it is TensorFlow's ``output_shape``: any
        size whose forward convolution has ``input_shape``'s size.
    groups : int
    data_format : str, optional
        The layout of ``input_shape`` and of the output, as in
        :func:`layer_matrix` (``"NHWC"``, ``"HWC"``, ...).
    weight_format : str, optional
        The layout of ``weight``, with the letters of the forward
        convolution this layer transposes (TensorFlow's
        ``conv2d_transpose`` filter and JAX's ``conv_transpose(...,
        transpose_kernel=True)``): ``O`` is this layer's *input* channels,
        ``I`` its output channels.  PyTorch's ``(C_in, C_out // groups,
        *kernel)`` is ``"OIHW"`` (the default); TensorFlow's ``(kh, kw,
        C_out, C_in)`` is ``"HWIO"``.

    Returns
    -------
    TiedMatrix
        Rows ordered ``(C_out, *out_spatial)``, columns ``(C_in, *spatial)``
        (in ``data_format``'s order when given).

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

    TensorFlow's ``conv2d_transpose(padding='SAME')``: ``input * stride``
    outputs, the transpose of the 'SAME' convolution on them:

    >>> T = transposed_layer_matrix(w, (1, 4), stride=2, padding="SAME")
    >>> T.out_shape
    (2, 8)
    >>> F = layer_matrix(w, (2, 8), stride=2, padding="SAME")
    >>> np.array_equal(T.toarray(), F.toarray().T)
    True
    """
    w = _layer_weight(weight)
    lay = _user_layout(w, input_shape, data_format, weight_format)
    if lay is not None:
        w, input_shape = lay.w, lay.shape
    with _explained(lay):
        shape, groups = _channels(w, input_shape, groups)
        if w.shape[0] != shape[0]:
            raise ValueError(f"weight.shape[0] ({w.shape[0]}) must equal the input channels "
                             f"input_shape[0] = {shape[0]} for a transposed convolution")
    c_out = w.shape[1] * groups
    geom = _transposed_geometry(w.shape[2:], shape[1:], c_out, stride=stride,
                                padding=padding, output_padding=output_padding,
                                dilation=dilation, output_size=output_size)
    info = {"convention": "transposed_layer", "stride": stride, "padding": padding,
            "output_padding": output_padding, "dilation": dilation, "groups": groups}
    fwd = assemble(geom, w, channels=Channels(c_out, groups), info=info)
    if lay is not None:
        # The forward matrix's rows are this layer's input, its columns the output.
        fwd = lay.apply(fwd)
        info = fwd.info
    t = fwd.T
    t.info = info
    return t


def _transposed_geometry(kernel: tuple[int, ...], spatial: tuple[int, ...], c_out: int, *,
                         stride: Any, padding: Any, output_padding: Any, dilation: Any,
                         output_size: Any) -> Geometry:
    """The geometry of the forward correlation a transposed convolution is the adjoint of.

    Its input is the transposed layer's output (``spatial`` samples per axis
    become the output size of :func:`~toeplitz_conv.geometry.transposed_out_size`),
    its outputs cropped to ``spatial`` (the layer's input).  Shared by
    :func:`transposed_layer_matrix` and the checker's matrix-free reference.
    """
    nd = len(spatial)
    stride_t = as_int_tuple(stride, nd, "stride", minimum=1)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    op_t = as_int_tuple(output_padding, nd, "output_padding", minimum=0)
    k = tuple(kernel)
    if isinstance(padding, str):
        pads, op_t = _framework_padding(padding, output_size, op_t, spatial, k, stride_t,
                                        dil_t)
    else:
        pads = resolve_padding(padding, k, allow_strings=False)
        if output_size is not None:
            op_t = _output_padding_for(output_size, op_t, spatial, k, stride_t, pads, dil_t)
    for op, s, d in zip(op_t, stride_t, dil_t):
        if op >= s and op >= d:
            raise ValueError(f"output_padding {op_t} must be smaller than either stride "
                             f"{stride_t} or dilation {dil_t} (PyTorch's rule)")
    out_spatial = tuple(transposed_out_size(n, kk, stride=s, padding=p, output_padding=op,
                                            dilation=d)
                        for n, kk, s, p, op, d in zip(spatial, k, stride_t, pads, op_t, dil_t))
    if any(o <= 0 for o in out_spatial):
        raise ValueError(f"padding {padding!r} is too large: the transposed convolution's "
                         f"output size would be {out_spatial}")
    if c_out * math.prod(out_spatial) > INT64_MAX:
        raise ValueError(f"stride {stride!r}, dilation {dilation!r} and output_padding "
                         f"{output_padding!r} give an output of shape {(c_out, *out_spatial)}, "
                         f"more elements than int64 can index")
    geom = layer_geometry(k, out_spatial, stride=stride_t, padding=pads, dilation=dil_t)
    # With output_padding >= stride the forward correlation has extra outputs
    # that the transposed convolution never reads: crop them.
    geom = Geometry(tuple(replace(ax, out_limit=n) for ax, n in zip(geom.axes, spatial)))
    return geom


def _trailing_sizes(output_size: Any, nd: int) -> tuple[int, ...]:
    if isinstance(output_size, (tuple, list)) and len(output_size) > nd:
        output_size = tuple(output_size)[-nd:]      # torch ignores the leading (N, C)
    return as_int_tuple(output_size, nd, "output_size", minimum=1)


def _framework_padding(padding: str, output_size: Any, output_padding: tuple[int, ...],
                       spatial: tuple[int, ...], kernel: tuple[int, ...],
                       stride: tuple[int, ...], dilation: tuple[int, ...]
                       ) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """TensorFlow's and JAX's transposed padding: the forward pads and torch's output padding.

    The layer is the adjoint of the forward convolution with ``padding`` on
    the output size (:func:`~toeplitz_conv.geometry.transposed_framework_padding`);
    torch's ``output_padding`` is what that size adds to the smallest one.
    """
    if padding not in FRAMEWORK_PADDINGS:
        raise ValueError(f"padding must be an int, a tuple of ints, (before, after) pairs or "
                         f"one of {', '.join(map(repr, FRAMEWORK_PADDINGS))} (TensorFlow's and "
                         f"JAX's rules), got {padding!r}")
    if any(output_padding):
        raise ValueError(f"padding={padding!r} sets the output size itself: give output_size= "
                         f"(TensorFlow's output_shape), not output_padding")
    nd = len(spatial)
    sizes: tuple[int | None, ...] = ((None,) * nd if output_size is None
                                     else _trailing_sizes(output_size, nd))
    resolved = [transposed_framework_padding(n, kk, s, d, padding, o)
                for n, kk, s, d, o in zip(spatial, kernel, stride, dilation, sizes)]
    pads = tuple(p for _, p in resolved)
    ops = tuple(out - transposed_out_size(n, kk, stride=s, padding=p, dilation=d)
                for (out, p), n, kk, s, d in zip(resolved, spatial, kernel, stride, dilation))
    return pads, ops


def _output_padding_for(output_size: Any, output_padding: tuple[int, ...],
                        spatial: tuple[int, ...], kernel: tuple[int, ...],
                        stride: tuple[int, ...], pads: tuple[tuple[int, int], ...],
                        dilation: tuple[int, ...]) -> tuple[int, ...]:
    """torch's ``output_size=``: the output padding that gives those sizes."""
    nd = len(spatial)
    if any(output_padding):
        raise ValueError("give output_size or output_padding, not both")
    sizes = _trailing_sizes(output_size, nd)
    ops = tuple(transposed_output_padding(o, n, kk, stride=s, padding=p, dilation=d)
                for o, n, kk, s, p, d in zip(sizes, spatial, kernel, stride, pads, dilation))
    if any(not 0 <= op < s for op, s in zip(ops, stride)):
        lo = tuple(o - op for o, op in zip(sizes, ops))
        raise ValueError(f"output_size {sizes} is not reachable: each size must be between "
                         f"{lo} and {tuple(v + s - 1 for v, s in zip(lo, stride))} "
                         f"(PyTorch's rule)")
    return ops

"""Tiled convolution and locally connected layers: the conv sparsity pattern with less tying.

A convolution ties every output position to the same kernel.  *Tiled*
convolution (Goodfellow, Bengio & Courville, section 9.5; Le et al., 2010)
cycles through a set of kernels: output position ``o`` uses kernel
``o mod t`` (per spatial axis).  A *locally connected* (unshared) layer has a
different kernel at every output position, i.e. it is tiled convolution with
one tile per output.  All three have the same sparsity pattern, the one of
:func:`~toeplitz_conv.layer_matrix`; they differ only in which weight each
stored entry is tied to, so they are :class:`TiedMatrix` objects with their
own taps, and ``weight_grad`` gives the gradient for each kernel.

Weight layout: ``(*tiles, C_out, C_in, *kernel)``, a stack of ordinary conv
weights indexed by the tile (for a locally connected layer, by the output
position).  With one tile the matrix is exactly ``layer_matrix``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._assemble import Channels, Ties, assemble
from ._validation import as_kernel, as_shape
from .geometry import layer_geometry, tile_map
from .tied import TiedMatrix

__all__ = ["locally_connected_matrix", "tiled_conv_matrix"]


def _split_weight(weight: Any) -> tuple[np.ndarray, int]:
    w = as_kernel(weight, "weight", min_ndim=4, max_ndim=8)
    if w.ndim % 2:
        raise ValueError(f"weight must have shape (*tiles, C_out, C_in, *kernel) with as many "
                         f"tile axes as kernel axes (1, 2 or 3 each), got shape {w.shape}")
    return w, (w.ndim - 2) // 2


def _untied_matrix(w: np.ndarray, nd: int, input_shape: Any, stride: Any, padding: Any,
                   dilation: Any, padding_mode: str, convention: str,
                   out_tiles: bool) -> TiedMatrix:
    tiles, c_in, kernel = w.shape[:nd], w.shape[nd + 1], w.shape[nd + 2:]
    shape = as_shape(input_shape, "input_shape", ndim=nd + 1)
    if shape[0] != c_in:
        raise ValueError(f"the weight's C_in (weight.shape[{nd + 1}] = {c_in}) must equal the "
                         f"input channels input_shape[0] = {shape[0]}")
    geom = layer_geometry(kernel, shape[1:], stride=stride, padding=padding, dilation=dilation,
                          padding_mode=padding_mode)
    if out_tiles and tiles != geom.out_shape:
        raise ValueError(f"a locally connected weight needs one kernel per output position: "
                         f"weight.shape[:{nd}] must be the output shape {geom.out_shape}, "
                         f"got {tiles}")
    geom.check_build(w.shape[nd], c_in, f"{convention} matrix")
    # Output position o uses the kernel of its tile, o mod tiles along each axis.
    tile = tile_map(geom.out_shape, tiles)
    info = {"convention": convention, "tiles": tiles, "stride": stride, "padding": padding,
            "dilation": dilation, "padding_mode": padding_mode}
    return assemble(geom, w, channels=Channels(c_in), ties=Ties(tile=tile), info=info)


def tiled_conv_matrix(weight: ArrayLike, input_shape: tuple[int, ...], *, stride: Any = 1,
                      padding: Any = 0, dilation: Any = 1,
                      padding_mode: str = "zeros") -> TiedMatrix:
    """Matrix of a tiled convolution: output position ``o`` uses kernel ``o mod tiles``.

    Parameters
    ----------
    weight : array_like
        ``(*tiles, C_out, C_in, *kernel)``: ``weight[i, j]`` (2-D) is the
        ordinary conv weight used at the outputs ``(a, b)`` with
        ``a % tiles[0] == i`` and ``b % tiles[1] == j``.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    stride, padding, dilation, padding_mode
        As in :func:`~toeplitz_conv.layer_matrix` (no groups).

    Returns
    -------
    TiedMatrix
        Same sparsity as ``layer_matrix``; ``taps`` index ``weight.ravel()``.

    See Also
    --------
    layer_matrix : one kernel for every output position (one tile).
    locally_connected_matrix : one kernel per output position.
    toeplitz_conv.geometry.conv_out_size : the output size of one axis.

    Notes
    -----
    With the notation of :func:`~toeplitz_conv.layer_matrix` (``j = stride *
    o + dilation * t - before``), in 1-D with zero padding::

        A[(co, o), (ci, j)] = weight[o % tiles, co, ci, t]

    for ``0 <= j < n`` (per axis ``o[d] % tiles[d]`` in N-D).  The output size of an axis is
    :func:`~toeplitz_conv.geometry.conv_out_size`'s, as for ``layer_matrix``.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[[[1.0, 2.0]]], [[[10.0, 20.0]]]])   # 2 tiles, 1 -> 1 channel, k = 2
    >>> tiled_conv_matrix(w, (1, 5)).toarray()
    array([[ 1.,  2.,  0.,  0.,  0.],
           [ 0., 10., 20.,  0.,  0.],
           [ 0.,  0.,  1.,  2.,  0.],
           [ 0.,  0.,  0., 10., 20.]])
    """
    w, nd = _split_weight(weight)
    return _untied_matrix(w, nd, input_shape, stride, padding, dilation, padding_mode,
                          "tiled", out_tiles=False)


def locally_connected_matrix(weight: ArrayLike, input_shape: tuple[int, ...], *,
                             stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                             padding_mode: str = "zeros") -> TiedMatrix:
    """Matrix of a locally connected (unshared convolution) layer.

    Every output position has its own kernel: the sparsity of a convolution
    without weight sharing (Keras' ``LocallyConnected``, the "unshared
    convolution" of Goodfellow et al. section 9.5).  With all kernels equal
    it is :func:`~toeplitz_conv.layer_matrix`.

    Parameters
    ----------
    weight : array_like
        ``(*out_spatial, C_out, C_in, *kernel)``: ``weight[o]`` is the conv
        weight applied at output position ``o``.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    stride, padding, dilation, padding_mode
        As in :func:`~toeplitz_conv.layer_matrix` (no groups).

    Returns
    -------
    TiedMatrix
        Same sparsity as ``layer_matrix``; ``taps`` index ``weight.ravel()``.

    See Also
    --------
    tiled_conv_matrix : kernels repeating every ``tiles`` outputs.
    layer_matrix : one kernel for every output position.
    toeplitz_conv.geometry.conv_out_size : the output size of one axis.

    Notes
    -----
    With the notation of :func:`~toeplitz_conv.layer_matrix` (``j = stride *
    o + dilation * t - before``), in 1-D with zero padding::

        A[(co, o), (ci, j)] = weight[o, co, ci, t]

    for ``0 <= j < n``; ``weight.shape[:ndim]`` must be the output size,
    :func:`~toeplitz_conv.geometry.conv_out_size` per axis.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.arange(1.0, 7.0).reshape(3, 1, 1, 2)        # 3 outputs, k = 2
    >>> A = locally_connected_matrix(w, (1, 4))
    >>> A.toarray()
    array([[1., 2., 0., 0.],
           [0., 3., 4., 0.],
           [0., 0., 5., 6.]])
    >>> A.weight_grad(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(3)).ravel()
    array([1., 2., 2., 3., 3., 4.])
    """
    w, nd = _split_weight(weight)
    return _untied_matrix(w, nd, input_shape, stride, padding, dilation, padding_mode,
                          "locally_connected", out_tiles=True)

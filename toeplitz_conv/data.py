"""The other Toeplitz matrix of a layer: the data (im2col) matrix ``X(x)``.

A convolution is linear in the input *and* in the weight: ``y = A(w) x =
X(x) w``.  :func:`data_matrix` builds ``X(x)`` from the same geometry as
:func:`~toeplitz_conv.layer_matrix`, through the one assembler with the roles
of columns and weight index swapped: each entry is tied to the input sample
it reads.  ``A(w).weight_grad(x, g)`` is ``X(x)^T g``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._assemble import Channels, Ties, assemble
from ._typing import IntOrTuple, LayerPadding, PaddingMode
from ._validation import as_groups, as_shape
from .geometry import layer_geometry
from .tied import TiedMatrix

__all__ = ["data_matrix"]


def data_matrix(x: ArrayLike, weight_shape: Any, *, stride: IntOrTuple = 1,
                padding: LayerPadding = 0, dilation: IntOrTuple = 1, groups: int = 1,
                padding_mode: PaddingMode = "zeros") -> TiedMatrix:
    """The data matrix ``X(x)`` of a PyTorch conv layer: ``y = X(x) @ weight.ravel()``.

    Row ``(o, i)`` (C order over ``(C_out, *out_spatial)``) holds, in the
    columns of output channel ``o``'s weights, the input samples the window
    of output ``i`` reads -- ``torch.nn.functional.unfold`` rearranged, one
    block per output channel.  Its ``taps`` index the *input*: ``X[r, c]`` is
    the sum of ``x.ravel()[t]`` over taps ``(r, c, t)``.

    Parameters
    ----------
    x : array_like
        ``(C_in, *spatial)``, 1 to 3 spatial dims.
    weight_shape : tuple of int
        ``(C_out, C_in // groups, *kernel)``.
    stride, padding, dilation, groups, padding_mode
        As :func:`~toeplitz_conv.layer_matrix`.

    Returns
    -------
    TiedMatrix
        Shape ``(C_out * prod(out_spatial), prod(weight_shape))``.

    See Also
    --------
    layer_matrix : the same layer as a matrix of the weight, ``y = A(w) @ x.ravel()``.
    TiedMatrix.weight_grad : ``X(x).T @ g`` without building ``X``.
    toeplitz_conv.geometry.conv_out_size : the output size of one axis.

    Notes
    -----
    With the notation of :func:`~toeplitz_conv.layer_matrix` (``j = stride *
    o + dilation * t - before``, input channel ``ci`` the ``c``-th of output
    channel ``co``'s group), in 1-D with zero padding::

        X[(co, o), (co, c, t)] = x[ci, j]   # 0 <= j < n

    and zero in the columns of the other output channels' weights (the
    other padding modes map ``j`` into the input, and repeated reads add
    up).  The rows are those of ``layer_matrix``: the output size of an axis
    is :func:`~toeplitz_conv.geometry.conv_out_size`'s.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0, 3.0, 4.0]])
    >>> X = data_matrix(x, (1, 1, 3))
    >>> X.toarray()
    array([[1., 2., 3.],
           [2., 3., 4.]])
    >>> X @ np.array([5.0, 6.0, 7.0])                 # = layer_matrix(w, x.shape) @ x
    array([38., 56.])
    """
    xa = np.asarray(x)
    if xa.dtype == object or not np.issubdtype(xa.dtype, np.number) or xa.dtype == np.bool_:
        raise TypeError(f"x must be a numeric array, got dtype {xa.dtype}")
    wshape = as_shape(weight_shape, "weight_shape")
    if not 3 <= len(wshape) <= 5 or xa.ndim != len(wshape) - 1:
        raise ValueError(f"weight_shape must be (C_out, C_in // groups, *kernel) with 1 to 3 "
                         f"spatial dims and x (C_in, *spatial) with as many, got "
                         f"weight_shape {wshape} and x of shape {xa.shape}")
    c_out, c_ig = wshape[:2]
    groups = as_groups(groups, [(c_out, "the output channels (weight_shape[0])"),
                                (xa.shape[0], "the input channels (x.shape[0])")])
    if c_ig * groups != xa.shape[0]:
        raise ValueError(f"weight_shape[1] * groups must equal the input channels: "
                         f"{c_ig} * {groups} != x.shape[0] = {xa.shape[0]}")
    geom = layer_geometry(wshape[2:], xa.shape[1:], stride=stride, padding=padding,
                          dilation=dilation, padding_mode=padding_mode)
    info = {"convention": "data matrix", "stride": stride, "padding": padding,
            "dilation": dilation, "groups": groups, "padding_mode": padding_mode}
    # The weight's structure only (its values are never read): the taps' weight
    # index becomes the column, and the value comes from x.
    placeholder = np.zeros(wshape, dtype=xa.dtype)
    return assemble(geom, placeholder, channels=Channels(xa.shape[0], groups),
                    ties=Ties(data_of=xa), info=info)

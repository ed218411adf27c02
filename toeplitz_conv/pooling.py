"""Pooling as matrices: average pooling (linear), max pooling and max-out (piecewise linear).

Average pooling is linear, so it *is* a matrix: row ``o`` holds ``1/divisor[o]``
on the inputs of window ``o``.  Max pooling is piecewise linear: at a given
input ``x`` it equals a 0/1 *selection* matrix with one 1 per row, at the
input the window's maximum comes from; that matrix is also exactly how the
gradient flows back (``grad_x = S.T @ grad_y``).  Max-out (Goodfellow et
al., 2013) is the same selection over groups of channels.

Windows come from the geometry core: a pooling window is a correlation
window (stride, dilation, zero padding), with the channel axis as a
kernel-1 axis, so the index tables are :attr:`Geometry.table`.  Only PyTorch's
output-size rule for ``ceil_mode`` is added, in :func:`pool_axis`.  The
matrices come from the one assembler, with pooling's tying strategies: one
weight per window (average pooling) or one selected tap per window (max
pooling, max-out).

What the taps mean here
-----------------------
``avg_pool_matrix``'s weight is the array of per-window factors
``1 / divisor`` (shape ``out_spatial``), and every entry of window ``o`` is
tied to ``weight[o]``; so ``weight_grad`` is the gradient with respect to those
factors, and ``with_weight`` swaps the divisor rule (e.g. to sum pooling with
``np.ones``) without rebuilding.  The selection matrices of max pooling and
max-out have a single weight, the constant 1, shared by every entry.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._assemble import Offset, Ties, assemble, relayout
from ._limits import check_build
from ._typing import IntOrTuple
from ._validation import as_bool, as_finite_real, as_int_tuple, as_kernel, as_positive_int, as_shape
from .geometry import (
    ArrayLayout,
    AxisGeometry,
    Geometry,
    check_pool_padding,
    data_layout,
    pool_axis,
    pool_counts,
    resolve_padding,
    tile_map,
)
from .tied import TiedMatrix

__all__ = [
    "avg_pool_matrix",
    "lp_pool",
    "max_pool_matrix",
    "maxout_matrix",
    "pool_axis",
]


def _pool_layout(data_format: str | None, user_shape: Any,
                 name: str) -> tuple[ArrayLayout, tuple[int, ...], tuple[int, ...]]:
    """The user's data layout, the canonical shape and the shape pooled (batch folded into C).

    Pooling never mixes channels or samples, so a batch is more channels.
    """
    lay = data_layout(data_format)
    user = as_shape(user_shape, name, ndim=len(lay.perm))
    canon = lay.canonical_shape(user)
    folded = (canon[0] * canon[1], *canon[2:]) if lay.batch else canon
    return lay, canon, folded


def _pool_relayout(matrix: TiedMatrix, lay: ArrayLayout,
                   canon: tuple[int, ...]) -> TiedMatrix:
    """A pooling matrix built on the folded canonical shape, in the user's layout."""
    # Batch folded into the channels: split it off again (max-out has fewer channels out).
    out_canon = ((canon[0], matrix.out_shape[0] // canon[0], *matrix.out_shape[1:])
                 if lay.batch else matrix.out_shape)
    out = relayout(matrix, matrix.weight, rows=(lay, out_canon), cols=(lay, canon))
    out.info = {**matrix.info, "data_format": lay.letters}
    argmax = matrix.info.get("argmax")
    if argmax is not None:
        # The selected inputs as the user's flat indices, in the user's output layout.
        inv = lay.user_index(canon)
        flat = argmax.ravel()
        mapped = np.where(flat >= 0, inv[np.maximum(flat, 0)], -1)
        out.info["argmax"] = lay.to_user(mapped.reshape(out_canon))
    return out


def _pool_args(kernel_size: Any, input_shape: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: Any, shape_name: str = "input_shape"
               ) -> tuple[tuple[int, ...], Geometry]:
    # ``shape_name``: what the user passed the shape as (``x.shape`` for an array).
    shape = as_shape(input_shape, shape_name)
    nd = len(shape) - 1
    if nd not in (1, 2, 3):
        raise ValueError(f"{shape_name} must be (C, *spatial) with 1, 2 or 3 spatial "
                         f"dimensions, got {shape}")
    kernel = as_int_tuple(kernel_size, nd, "kernel_size", minimum=1)
    stride_t = kernel if stride is None else as_int_tuple(stride, nd, "stride", minimum=1)
    pads = resolve_padding(padding, kernel, allow_strings=False)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    ceil = as_bool(ceil_mode, "ceil_mode")
    check_pool_padding(pads, kernel, padding)
    # Every channel has at least one window of prod(kernel) taps, and the
    # axes below already index one window: refuse huge windows first.
    check_build(shape[0] * math.prod(kernel), "pooling matrix", n_rows=shape[0])
    axes = tuple(pool_axis(n, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
                 for n, k, s, p, d in zip(shape[1:], kernel, stride_t, pads, dil_t))
    # The channel axis is a kernel-1 axis: pooling never mixes channels.
    geom = Geometry((AxisGeometry(shape[0], 1), *axes))
    geom.check_build(what="pooling matrix")
    return shape, geom


def avg_pool_matrix(kernel_size: IntOrTuple, input_shape: tuple[int, ...], *,
                    stride: IntOrTuple | None = None,
                    padding: IntOrTuple | tuple[tuple[int, int], ...] = 0,
                    count_include_pad: bool = True,
                    ceil_mode: bool = False, divisor_override: int | None = None,
                    data_format: str | None = None) -> TiedMatrix:
    """Matrix of ``torch.nn.functional.avg_pool{1,2,3}d`` (no batch axis).

    ``avg_pool_matrix(k, x.shape, ...) @ x.ravel()`` equals
    ``avg_pool2d(x[None], k, ...)[0].ravel()`` (likewise 1-D and 3-D), and
    ``A.T @ g`` is its gradient.

    Parameters
    ----------
    kernel_size, stride, padding : int or tuple of int
        As in PyTorch; ``stride`` defaults to ``kernel_size``; ``padding`` must
        be at most ``kernel_size // 2``.  ``padding`` may also be one
        ``(before, after)`` pair per spatial axis: zero padding on those sides,
        as ``torch.nn.functional.pad`` before an unpadded pooling.
    input_shape : tuple of int
        ``(C, *spatial)`` with 1, 2 or 3 spatial dimensions.
    count_include_pad : bool
        Divide by the window size including zero padding (but never including
        the part of a ``ceil_mode`` window beyond the padding), as torch does.
    ceil_mode : bool
        Round the number of windows up (torch's rule).
    divisor_override : int or None
        Divide every window by this instead.
    data_format : str, optional
        The layout of ``input_shape`` and of the output, with TensorFlow's
        and JAX's letters (``"NHWC"``, ``"HWC"``, ``"NCW"``, ...; ``N`` a
        batch axis).  Default: PyTorch's ``(C, *spatial)``.

    Returns
    -------
    TiedMatrix
        Weight: the per-window factors ``1 / divisor``, shape ``out_spatial``;
        every entry of a window is tied to its factor.

    See Also
    --------
    max_pool_matrix : the selection matrix of max pooling.
    lp_pool : power-average pooling through this matrix.
    layer_matrix : a convolution; average pooling is one with a fixed kernel per channel.
    toeplitz_conv.geometry.pool_axis : the output size and windows of one axis.
    toeplitz_conv.geometry.pool_counts : the divisors.

    Notes
    -----
    In 1-D, with ``before`` the padding, window ``o`` covers the inputs
    ``j = stride * o + t - before`` for ``0 <= t < k``, and every channel
    ``c`` is pooled on its own::

        A[(c, o), (c, j)] = 1 / divisor[o]   # j in window o

    where ``divisor[o]`` is the window's size (with the padding if
    ``count_include_pad``), :func:`~toeplitz_conv.geometry.pool_counts`, or
    ``divisor_override``.  In N-D windows are boxes: ``divisor`` is the
    product of the per-axis counts.  The output size of an axis is
    ``floor((n + 2 * padding - k) / stride) + 1`` (rounded up with
    ``ceil_mode``, dropping a last window that would start in the right
    padding), :func:`~toeplitz_conv.geometry.pool_axis`.

    torch's ``avg_pool3d`` (only the 3-D one) also refuses inputs smaller
    than the kernel even when padding makes the window fit; here the 1-D and
    2-D rule (the padded input must hold one window) applies in 3-D too.

    Examples
    --------
    >>> import numpy as np
    >>> A = avg_pool_matrix(2, (1, 5), ceil_mode=True)
    >>> A.toarray()
    array([[0.5, 0.5, 0. , 0. , 0. ],
           [0. , 0. , 0.5, 0.5, 0. ],
           [0. , 0. , 0. , 0. , 1. ]])
    >>> A.weight                             # the last window holds one sample
    array([0.5, 0.5, 1. ])

    Against numpy, window by window:

    >>> x = np.arange(12.0).reshape(1, 12)
    >>> np.allclose(avg_pool_matrix(3, x.shape) @ x.ravel(), x.reshape(4, 3).mean(axis=1))
    True
    """
    lay = None
    if data_format is not None:
        lay, canon, input_shape = _pool_layout(data_format, input_shape, "input_shape")
    _, geom = _pool_args(kernel_size, input_shape, stride, padding, 1, ceil_mode)
    include_pad = as_bool(count_include_pad, "count_include_pad")
    if divisor_override is not None:
        divisor_override = as_positive_int(divisor_override, "divisor_override")
    out_spatial = geom.out_shape[1:]
    # Windows are boxes, so a window's count is the product of per-axis counts.
    divisor = np.ones((), dtype=np.int64)
    for ax in geom.axes[1:]:
        divisor = np.multiply.outer(divisor, pool_counts(ax, count_include_pad=include_pad,
                                                         ceil_mode=bool(ceil_mode)))
    if divisor_override is not None:
        divisor = np.full(out_spatial, divisor_override)
    weight = 1.0 / np.maximum(divisor, 1)
    info = {"convention": "avg_pool", "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "ceil_mode": ceil_mode, "count_include_pad": count_include_pad,
            "divisor_override": divisor_override}
    # Every tap of window o is tied to its factor weight[o], whatever the channel.
    tile = tile_map(geom.out_shape, out_spatial, range(1, len(geom.out_shape)))
    matrix = assemble(geom, weight, ties=Ties(tile=tile, per_window=True), info=info)
    return matrix if lay is None else _pool_relayout(matrix, lay, canon)


def _as_real_input(x: Any, name: str = "x") -> np.ndarray:
    arr = as_kernel(x, name)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real (max over complex numbers is undefined), "
                        f"got dtype {arr.dtype}")
    return arr


def _selection(geom: Geometry, x: np.ndarray, info: dict[str, Any]) -> TiedMatrix:
    """The 0/1 matrix picking, for each window of ``geom``, its first maximal input."""
    table = geom.table
    valid = table >= 0
    # Padding must lose every comparison; integers keep their dtype (a float
    # cast would merge distinct values beyond 2**53 and move ties).
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    vals = np.where(valid, x.ravel()[np.maximum(table, 0)], lowest)
    # np.argmax returns the first maximum in window (C) order, which is
    # torch's scan order; torch only replaces its candidate on a strict '>'.
    arg = np.argmax(vals, axis=1)
    rows = np.arange(table.shape[0])
    # An integer window whose maximum is the dtype's minimum may have picked
    # a padding tap tied with it: take its first real sample instead.
    lost = ~valid[rows, arg] & valid.any(axis=1)
    arg[lost] = np.argmax(valid[lost], axis=1)
    cols = table[rows, arg]
    # With dilation a window can read only padding: torch returns -inf there
    # and routes no gradient.  The assembler drops the padding tap, leaving
    # an empty row (the linear part and the gradient are 0), and the -inf is
    # a constant offset that no weight enters.
    empty = cols < 0
    constant = np.where(empty, -np.inf, 0.0) if empty.any() else None
    # Every selected entry is tied to the single weight, the constant 1.
    ties = Ties(tile=np.zeros(len(rows), dtype=np.int64), per_window=True, select=arg)
    return assemble(geom, np.ones(1), ties=ties,
                    offset=Offset(constant=constant) if constant is not None else None,
                    info={**info, "argmax": np.where(empty, -1, cols).reshape(geom.out_shape)})


def max_pool_matrix(x: ArrayLike, kernel_size: IntOrTuple, *,
                    stride: IntOrTuple | None = None,
                    padding: IntOrTuple | tuple[tuple[int, int], ...] = 0,
                    dilation: IntOrTuple = 1, ceil_mode: bool = False,
                    data_format: str | None = None) -> TiedMatrix:
    """The 0/1 selection matrix of ``torch.nn.functional.max_pool{1,2,3}d`` at the input ``x``.

    Max pooling is piecewise linear; near ``x`` it is this matrix ``S``:
    ``S @ x.ravel()`` is the pooled output and ``S.T @ g`` is the gradient
    autograd routes back.  Ties go to the first maximal input in window order
    (row-major over the window), as in torch.

    Parameters
    ----------
    x : array_like
        ``(C, *spatial)`` with 1, 2 or 3 spatial dimensions; real and finite.
    kernel_size, stride, padding, dilation : int or tuple of int
        As in PyTorch (``stride`` defaults to ``kernel_size``; ``padding`` at
        most ``kernel_size // 2``).  Padding never wins (it is ``-inf``);
        ``padding`` may also be one ``(before, after)`` pair per spatial axis.
    ceil_mode : bool
    data_format : str, optional
        The layout of ``x`` and of the output, as in :func:`avg_pool_matrix`;
        ``info["argmax"]`` is then in the output's layout, indexing the
        flattened ``x``.

    Returns
    -------
    TiedMatrix
        One entry per row (none for a window that reads only padding), all
        tied to a single weight equal to 1; ``info["argmax"]`` holds the
        selected flat input index per output, of shape ``(C, *out_spatial)``
        (torch's ``return_indices`` plus ``c * prod(spatial)``; -1 for a
        window that reads only padding, where torch's index is meaningless).

    See Also
    --------
    avg_pool_matrix : average pooling, a fixed linear map.
    maxout_matrix : the same selection over groups of channels.
    toeplitz_conv.geometry.pool_axis : the output size and windows of one axis.

    Notes
    -----
    With the windows of :func:`avg_pool_matrix` (and ``dilation``: window
    ``o`` reads ``j = stride * o + dilation * t - before``)::

        S[(c, o), (c, j)] = 1   # j: window o's first maximal input

    (first in window order, at the given ``x``) and 0 elsewhere.  A window
    that reads only padding has an empty row, and ``-inf`` in
    :attr:`TiedMatrix.offset`.  The output size of an axis is
    :func:`~toeplitz_conv.geometry.pool_axis`'s,
    ``floor((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``
    (rounded up with ``ceil_mode``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 5.0, 5.0, 2.0, 7.0]])
    >>> S = max_pool_matrix(x, 2, ceil_mode=True)
    >>> S.toarray()
    array([[0., 1., 0., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 0., 0., 1.]])
    >>> S @ x.ravel()
    array([5., 5., 7.])

    A window that reads only padding gives ``-inf``, as in torch:

    >>> S = max_pool_matrix(np.array([[3.0, 4.0]]), 2, stride=1, padding=1, dilation=3)
    >>> S.toarray(), S.offset
    (array([[0., 0.]]), array([-inf]))
    >>> S.apply(np.array([[3.0, 4.0]]))
    array([[-inf]])
    """
    arr = _as_real_input(x)
    lay = None
    if data_format is not None:
        lay, canon, folded = _pool_layout(data_format, arr.shape, "x.shape")
        arr = lay.to_canonical(arr).reshape(folded)
    _, geom = _pool_args(kernel_size, arr.shape, stride, padding, dilation, ceil_mode,
                         "x.shape")
    info = {"convention": "max_pool", "kernel_size": kernel_size, "stride": stride,
            "padding": padding, "dilation": dilation, "ceil_mode": ceil_mode}
    matrix = _selection(geom, arr, info)
    return matrix if lay is None else _pool_relayout(matrix, lay, canon)


def maxout_matrix(x: ArrayLike, pieces: int, *, data_format: str | None = None) -> TiedMatrix:
    """The 0/1 selection matrix of max-out over groups of ``pieces`` consecutive channels.

    Output channel ``g`` at each position is the maximum of input channels
    ``g * pieces, ..., g * pieces + pieces - 1`` there (Goodfellow et al.,
    2013), i.e. ``x.reshape(C // pieces, pieces, *spatial).max(axis=1)``;
    ties go to the lowest channel.  It is max pooling along the channel axis
    with window and stride ``pieces``.

    Parameters
    ----------
    x : array_like
        ``(C, *spatial)``, any number of spatial dimensions (possibly none).
    pieces : int
        Channels per group; must divide ``C``.
    data_format : str, optional
        The layout of ``x`` and of the output with 1 to 3 spatial axes, as
        in :func:`avg_pool_matrix` (``"NHWC"``, ``"HWC"``, ...).

    Returns
    -------
    TiedMatrix
        Shape ``(C // pieces * prod(spatial), C * prod(spatial))``, one entry
        per row, all tied to a single weight equal to 1.

    See Also
    --------
    max_pool_matrix : the same selection over spatial windows.

    Notes
    -----
    With ``i`` a flat spatial position and ``r`` the first maximum of
    ``x[g * pieces : (g + 1) * pieces, i]``::

        M[(g, i), (g * pieces + r, i)] = 1

    and 0 elsewhere: ``C // pieces`` output channels of
    the input's spatial shape.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 4.0], [3.0, 2.0], [0.0, 0.0], [-1.0, 6.0]])
    >>> M = maxout_matrix(x, 2)
    >>> M.apply(x)
    array([[3., 4.],
           [0., 6.]])
    """
    arr = _as_real_input(x)
    pieces = as_positive_int(pieces, "pieces")
    lay = None
    if data_format is not None:
        lay, canon, folded = _pool_layout(data_format, arr.shape, "x.shape")
        if canon[1 if lay.batch else 0] % pieces:
            raise ValueError(f"pieces={pieces} must divide the number of channels "
                             f"{canon[1 if lay.batch else 0]} (axis 'C' of data_format "
                             f"{data_format!r})")
        arr = lay.to_canonical(arr).reshape(folded)
    if arr.shape[0] % pieces:
        raise ValueError(f"pieces={pieces} must divide the number of channels "
                         f"x.shape[0] = {arr.shape[0]}")
    axes = (AxisGeometry(arr.shape[0], pieces, pieces),
            *(AxisGeometry(n, 1) for n in arr.shape[1:]))
    matrix = _selection(Geometry(axes), arr, {"convention": "maxout", "pieces": pieces})
    return matrix if lay is None else _pool_relayout(matrix, lay, canon)


def lp_pool(x: ArrayLike, norm_type: float, kernel_size: int | tuple[int, ...], *,
            stride: int | tuple[int, ...] | None = None, ceil_mode: bool = False,
            data_format: str | None = None) -> np.ndarray:
    """``torch.nn.functional.lp_pool{1,2,3}d`` through the average-pooling matrix.

    Power-average pooling is not linear, but its inner sum is:
    ``y = (A @ x**p * prod(kernel_size)) ** (1/p)`` with ``A`` the
    :func:`avg_pool_matrix` (torch computes it exactly this way, which is why a
    truncated ``ceil_mode`` window is rescaled to a full window).  As in torch,
    a negative inner sum (odd ``p``, negative inputs) gives NaN, and
    ``norm_type=inf`` is max pooling of ``abs(x)``.

    ``data_format`` is the layout of ``x``, as in :func:`avg_pool_matrix`.

    See Also
    --------
    avg_pool_matrix : the matrix of the inner sum.
    max_pool_matrix : the ``norm_type=inf`` case.

    Examples
    --------
    >>> import numpy as np
    >>> lp_pool(np.array([[3.0, 4.0, 1.0, 0.0]]), 2, 2)
    array([[5., 1.]])
    """
    arr = _as_real_input(x)
    nd = arr.ndim - 1
    if data_format is not None:
        nd = len(data_layout(data_format).perm) - 1 - ("N" in data_format)
    if data_format is None and arr.ndim not in (2, 3, 4):
        raise ValueError(f"x must have shape (C, *spatial) with 1, 2 or 3 spatial dimensions, "
                         f"got shape {arr.shape}")
    if not (isinstance(norm_type, (int, float)) and not isinstance(norm_type, bool)
            and norm_type == np.inf):
        norm_type = as_finite_real(norm_type, "norm_type", positive=True)
    if np.isinf(norm_type):
        a = np.abs(arr)
        return max_pool_matrix(a, kernel_size, stride=stride, ceil_mode=ceil_mode,
                               data_format=data_format).apply(a)
    A = avg_pool_matrix(kernel_size, arr.shape, stride=stride, ceil_mode=ceil_mode,
                        data_format=data_format)
    ksize = np.prod(as_int_tuple(kernel_size, nd, "kernel_size", minimum=1))
    return _power_mean(A, arr.astype(np.float64), float(norm_type), float(ksize))


def _power_mean(A: TiedMatrix, x: np.ndarray, p: float, ksize: float) -> np.ndarray:
    # ``(ksize * A @ x**p) ** (1/p)`` with every window scaled by its largest
    # |x| first: m * (ksize * sum_j a_j (x_j / m)**p) ** (1/p) is the same
    # number, but x**p no longer overflows (to inf) or underflows (to 0) for a
    # large p -- torch's own formula returns inf for p = 2**64 where the true
    # value is the window's largest |x|.
    S = A.sparse
    rows = np.repeat(np.arange(S.shape[0]), np.diff(S.indptr))
    xv = x.ravel()[S.indices]
    m = np.zeros(S.shape[0])
    np.maximum.at(m, rows, np.abs(xv))
    scale = np.where(m > 0, m, 1.0)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        terms = S.data * (xv / scale[rows]) ** p
        s = np.bincount(rows, weights=terms, minlength=S.shape[0]) * ksize
        y = m * np.power(s, 1.0 / p)
    return y.reshape(A.out_shape)

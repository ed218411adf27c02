"""scipy.ndimage's convention: the matrix of ``scipy.ndimage.convolve`` / ``correlate``.

Image-processing users think in :mod:`scipy.ndimage`: the output has the
input's shape, the kernel is centred at ``len // 2`` (moved by ``origin``),
and the border is filled by one of ndimage's modes.  Each mode is one of the
geometry core's boundary maps, so the matrix comes from the same assembler
as every other builder.
"""

from __future__ import annotations

from typing import Literal

from numpy.typing import ArrayLike

from ._assemble import Offset, assemble
from ._typing import IntOrTuple
from ._validation import as_bool, as_finite_real, as_int_tuple, as_kernel, as_shape, choose
from .geometry import NDIMAGE_BOUNDARY, Geometry, check_ndimage_origins, ndimage_axis
from .tied import TiedMatrix

__all__ = ["NDIMAGE_MODES", "ndimage_matrix"]

NdimageMode = Literal["reflect", "constant", "nearest", "mirror", "wrap", "grid-wrap",
                      "grid-mirror", "grid-constant"]
NDIMAGE_MODES: tuple[str, ...] = ("reflect", "constant", "nearest", "mirror", "wrap",
                                  "grid-wrap", "grid-mirror", "grid-constant")


def ndimage_matrix(weights: ArrayLike, input_shape: IntOrTuple, *,
                   mode: NdimageMode = "reflect", cval: float = 0.0,
                   origin: IntOrTuple = 0, correlate: bool = False) -> TiedMatrix:
    """Sparse, weight-tied matrix of ``scipy.ndimage.convolve`` (or ``correlate``).

    ``ndimage_matrix(w, x.shape, mode=m) @ x.ravel()`` equals
    ``scipy.ndimage.convolve(x, w, mode=m).ravel()`` for float ``x``
    (ndimage rounds integer outputs to the input's dtype; the matrix does not).

    Parameters
    ----------
    weights : array_like
        N-D kernel, as many dimensions as the input (a boolean one is 0/1).
    input_shape : int or tuple of int
        The input's shape, which is also the output's.
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap', 'grid-wrap', \
'grid-mirror', 'grid-constant'}
        ndimage's border modes: ``reflect`` repeats the edge sample
        (``d c b a | a b c d``), ``mirror`` does not (``d c b | a b c d``),
        ``nearest`` repeats the edge, ``wrap`` is periodic, ``constant`` is
        zeros; the ``grid-*`` names are their synonyms for filters.
    cval : float
        The value outside the input in ``constant`` mode (ignored by the
        other modes, as in ndimage).  A non-zero value makes the map affine:
        ``A.apply(x)`` is ``A @ x + A.offset`` (see :attr:`TiedMatrix.offset`).
    origin : int or tuple of int
        Shift of the kernel's centre, per axis, as in ndimage:
        ``-(k // 2) <= origin <= (k - 1) // 2``.
    correlate : bool
        ``scipy.ndimage.correlate`` instead of ``convolve``.

    Returns
    -------
    TiedMatrix
        Square, ``prod(input_shape)`` on a side.

    See Also
    --------
    conv_matrix : scipy.signal's convention (full, valid and same outputs).
    toeplitz_conv.geometry.ndimage_axis : the padding and taps of one axis.

    Notes
    -----
    In 1-D, with ``m = len(weights)`` and ``c = m // 2 + origin`` (the
    kernel's centre), with ``mode='constant'`` and ``cval=0``::

        A[i, j] = weights[i - j + c]   # convolve, 0 <= i - j + c < m
        A[i, j] = weights[j - i + c]   # correlate, 0 <= j - i + c < m

    For the other modes the sample ``j`` a tap reads is first mapped into the
    input by the mode's boundary (:func:`~toeplitz_conv.geometry.map_boundary`)
    and taps landing on one column add up; a non-zero ``cval`` goes to
    :attr:`TiedMatrix.offset`.  In N-D the formula holds along every axis,
    rows and columns flattened in C order.  The output has the input's size
    (:func:`~toeplitz_conv.geometry.ndimage_axis`); the allowed origins are
    :func:`~toeplitz_conv.geometry.ndimage_origins`.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> A = ndimage_matrix([5, 6, 7], 4)                 # mode='reflect'
    >>> A @ x
    array([23., 34., 52., 65.])
    >>> ndimage.convolve(x, [5.0, 6.0, 7.0])
    array([23., 34., 52., 65.])

    The entry formula of the Notes (``mode='constant'``), written out with numpy:

    >>> w, n, c = np.array([5.0, 6.0, 7.0, 8.0]), 6, 4 // 2 - 1      # origin -1
    >>> d = np.arange(n)[:, None] - np.arange(n) + c
    >>> formula = np.where((0 <= d) & (d < 4), w[np.clip(d, 0, 3)], 0)
    >>> A = ndimage_matrix(w, n, mode="constant", origin=-1)
    >>> np.array_equal(A.toarray(), formula)
    True
    >>> y = ndimage.convolve(np.arange(6.0), w, mode="constant", origin=-1)
    >>> np.allclose(A @ np.arange(6.0), y)
    True
    """
    k = as_kernel(weights, "weights", allow_bool=True)
    shape = as_shape(input_shape, ndim=k.ndim)
    choose(mode, "mode", NDIMAGE_MODES)
    c = as_finite_real(cval, "cval")
    fill = c if mode in ("constant", "grid-constant") else 0.0
    corr = as_bool(correlate, "correlate")
    origins = as_int_tuple(origin, k.ndim, "origin", minimum=-(2**62))
    check_ndimage_origins(origins, k.shape, origin)
    geom = Geometry(tuple(ndimage_axis(n, kk, o, NDIMAGE_BOUNDARY[mode], convolve=not corr)
                          for n, kk, o in zip(shape, k.shape, origins)))
    info = {"convention": "ndimage", "mode": mode, "origin": origin, "correlate": corr}
    # ndimage never conjugates: its correlate is a plain sum of products.
    return assemble(geom, k, flip=not corr, offset=Offset(fill_value=fill) if fill else None,
                    info=info)

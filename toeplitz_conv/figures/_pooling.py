"""The pooling figure: average pooling as a tied matrix, max pooling as a selection."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._typing import IntOrTuple
from .._validation import as_shape, to_numpy
from ..palette import pool_colors
from ..pooling import avg_pool_matrix, max_pool_matrix
from ._canvas import _FONT, _TITLE, Slide, _Canvas, _styled
from ._data import (
    _blocks,
    _check_input_size,
    _fmt,
    tie_grid,
    weight_labels,
)

__all__ = ["pooling"]


@_styled
def pooling(kernel_size: int = 2, input_shape: IntOrTuple = 6, *,
            stride: int | None = None, x: ArrayLike | None = None,
            slide: Slide | None = None, title: bool = True) -> Figure:
    """Pooling as a matrix: average pooling, and max pooling as a selection matrix.

    The matrices are :mod:`toeplitz_conv.pooling`'s.  Average pooling ties each window's
    entries to its factor ``1 / size`` (one fill per window, never a weight
    colour); max pooling at
    the input ``x`` (default a fixed pattern) is the 0/1 matrix picking each
    window's maximum, which is why it is only *piecewise* linear.

    Examples
    --------
    >>> d = pooling(2, 6)._toeplitz_data
    >>> d["average"]["labels"][0].tolist()
    ['0.5', '0.5', '', '', '', '']
    >>> d["x"].tolist(), d["max"]["matrix"].toarray()[0].tolist()
    ([3, 0, 7, 4, 1, 8], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    """
    spatial = as_shape(input_shape)
    _check_input_size(spatial)
    n = int(np.prod(spatial))
    xv = (np.arange(n) * 7 + 3) % 10 if x is None else np.asarray(to_numpy(x)).ravel()
    if xv.size != n:
        raise ValueError(f"x must have {n} entries (the input size), got {xv.size}")
    avg = avg_pool_matrix(kernel_size, (1, *spatial), stride=stride)
    mx = max_pool_matrix(xv.reshape((1, *spatial)), kernel_size, stride=stride)
    m = avg.shape[0]
    top = 3.0
    width = 2 * (n + 2) + 1
    cv = _Canvas(width, top + m + 1, slide=slide, title=title)
    cv.title(width / 2, 0.8, "Pooling as a matrix")
    data = cv.data
    for i, (what, A) in enumerate((("average", avg), ("max (at this x)", mx))):
        names = weight_labels(A.weight, "values")
        tie, cell_labels = tie_grid(A, names)
        x0 = 1 + i * (n + 2)
        cv.text(x0 + n / 2, 1.8, what, size=_TITLE)
        for c in range(n):
            cv.text(x0 + c + 0.5, top - 0.45, _fmt(xv[c]), size=_FONT, color="#444444")
        key = "average" if i == 0 else "max"
        data[key] = cv.matrix(x0, top, tie, cell_labels, A.weight.size, blocks=_blocks(A),
                              palette=pool_colors(A.weight.size))
        data[key]["matrix"] = A
    data["x"] = xv
    return cv.fig

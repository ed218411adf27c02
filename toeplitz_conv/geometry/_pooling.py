"""Pooling windows: PyTorch's output size (``ceil_mode``), padding limit and divisors.

A pooling window is a correlation window over zero padding (an
:class:`~toeplitz_conv.geometry.AxisGeometry`); pooling only adds torch's
rounding of the window count, its limit on the padding and the divisor of
average pooling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import boolean, checked, int_or_pair, integer
from ._maps import AxisGeometry

__all__ = ["check_pool_padding", "pool_axis", "pool_counts", "pool_padding_limit"]


@checked(kernel=integer(1))
def pool_padding_limit(kernel: int) -> int:
    """The widest padding PyTorch's pooling allows on each side: ``kernel // 2``.

    >>> pool_padding_limit(3), pool_padding_limit(4), pool_padding_limit(1)
    (1, 2, 0)
    """
    return kernel // 2


def check_pool_padding(pads: tuple[tuple[int, int], ...], kernel: tuple[int, ...],
                       given: Any = None) -> None:
    """Refuse a pooling padding wider than :func:`pool_padding_limit` on any side.

    ``given`` is the ``padding`` argument as the user wrote it (for the message).

    >>> check_pool_padding(((1, 1),), (3,))
    >>> check_pool_padding(((0, 2),), (3,), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: padding 2 must be at most half of kernel_size (3,) on every side ...
    """
    for pair, k in zip(pads, kernel):
        if max(pair) > pool_padding_limit(k):
            raise ValueError(f"padding {pads if given is None else given!r} must be at most "
                             f"half of kernel_size {kernel} on every side (PyTorch's rule: "
                             f"padding <= kernel_size // 2)")


@checked(size=integer(0), kernel=integer(1), stride=integer(1), padding=int_or_pair(0),
         dilation=integer(1), ceil_mode=boolean)
def pool_axis(size: int, kernel: int, *, stride: int, padding: int | tuple[int, int] = 0,
              dilation: int = 1, ceil_mode: bool = False) -> AxisGeometry:
    """Geometry of one axis of a PyTorch pooling window, with torch's output size.

    ``padding`` is an int (both sides) or a ``(before, after)`` pair.
    ``ceil_mode`` rounds the number of windows up: the axis gets ``stride - 1``
    extra (zero) padding after the input, and the last window is dropped when
    it would start beyond the input and its left padding (torch's rule, so a
    window never starts in the right padding).

    Examples
    --------
    >>> pool_axis(5, 2, stride=2).out_size, pool_axis(5, 2, stride=2, ceil_mode=True).out_size
    (2, 3)
    >>> pool_axis(4, 2, stride=3, ceil_mode=True).positions()     # last window starts at 3
    array([[0, 1],
           [3, 4]])
    """
    before, after = (padding, padding) if not isinstance(padding, (tuple, list)) else padding
    extra = stride - 1 if ceil_mode else 0
    if size + before + after + extra > np.iinfo(np.int64).max:
        raise ValueError(f"padding {padding} with an input of size {size} (and stride "
                         f"{stride}) passes 2**63 - 1 samples")
    ax = AxisGeometry(size, kernel, stride, dilation, before, after + extra, "zeros")
    out = ax.out_size
    if out < 1:
        raise ValueError(f"kernel_size {kernel} (dilated extent {ax.span}) does not fit an "
                         f"input of size {size} with padding {padding}: PyTorch needs "
                         f"size + padding >= dilation * (kernel_size - 1) + 1")
    if ceil_mode and ax.positions(np.array([out - 1]))[0, 0] >= size:
        out -= 1
    return AxisGeometry(size, kernel, stride, dilation, before, after + extra, "zeros",
                        out_limit=out)


def pool_counts(ax: AxisGeometry, *, count_include_pad: bool, ceil_mode: bool) -> np.ndarray:
    """The divisor of each average-pooling window of :func:`pool_axis` ``ax``, per axis.

    With ``count_include_pad`` torch counts the window's taps inside the
    padded input, but never those in the extension ``ceil_mode`` adds after
    it; without, only those inside the input.

    The last window ``[3, 4, 5]`` reads ``x[3]``, the pad at 4, and 5 (the
    extension), so torch divides it by 2:

    >>> ax = pool_axis(4, 3, stride=2, padding=1, ceil_mode=True)
    >>> ax.out_size, pool_counts(ax, count_include_pad=True, ceil_mode=True)
    (3, array([3, 3, 2]))
    >>> pool_counts(ax, count_include_pad=False, ceil_mode=True)
    array([2, 3, 1])
    """
    if not count_include_pad:
        return ax.counts_within(0, ax.size)
    extension = ax.stride - 1 if ceil_mode else 0
    return ax.counts_within(-ax.pad_before, ax.size + ax.pad_after - extension)

"""Channel and layout maps: which input channel, tile or weight element an entry uses.

Beside the spatial index maps of :mod:`toeplitz_conv.geometry`, a matrix
needs to know which input channel an output channel reads (groups), which
kernel of a tiled or per-slice stack an output uses, and where a kernel's
elements sit once some of its axes are moved to the front.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["axes_first_map", "channel_map", "tile_map"]


def channel_map(c_out: int, c_in: int, groups: int = 1) -> np.ndarray:
    """The input channel that output channel ``o`` reads with its ``j``-th weight channel.

    Shape ``(c_out, c_in // groups)``: output channels are split into
    ``groups`` equal blocks, block ``g`` reading input channels
    ``g * c_in // groups`` onwards (PyTorch's grouped convolution).

    >>> channel_map(4, 6, groups=2)
    array([[0, 1, 2],
           [0, 1, 2],
           [3, 4, 5],
           [3, 4, 5]])
    """
    c_ig = c_in // groups
    group = np.arange(c_out) // (c_out // groups)
    return group[:, None] * c_ig + np.arange(c_ig)[None, :]


def tile_map(out_shape: tuple[int, ...], tiles: tuple[int, ...],
             axes: Sequence[int] | None = None) -> np.ndarray:
    """The tile each flat output uses: ``o mod tiles`` along ``axes``, as a flat tile index.

    ``axes[i]`` (default: the first ``len(tiles)`` axes) is tiled with
    period ``tiles[i]``; the other output axes share the tile.  Tiles are
    numbered in C order over ``tiles`` (a tiled convolution's kernel stack,
    a locally connected layer's one kernel per output, a kernel per slice).

    >>> tile_map((5,), (2,))                       # tiled: kernels 0, 1, 0, 1, 0
    array([0, 1, 0, 1, 0])
    >>> tile_map((2, 3), (3,), axes=(1,))          # one tile per column
    array([0, 1, 2, 0, 1, 2])
    """
    axes = tuple(range(len(tiles))) if axes is None else tuple(axes)
    grid = np.indices(out_shape).reshape(len(out_shape), -1)
    return np.ravel_multi_index(tuple(grid[a] % t for a, t in zip(axes, tiles)), tiles)


def axes_first_map(shape: tuple[int, ...], first: Sequence[int]) -> np.ndarray:
    """The C-order flat index of each element of an array of ``shape`` whose ``first``
    axes are moved to the front (the others after them, in order).

    Entry ``i`` is the flat index, in the original array, of element ``i``
    of the transposed one: a kernel stored as one kernel per slice, the
    slice axes first.

    >>> axes_first_map((2, 3), (1,))               # column-major order of a 2 x 3 array
    array([0, 3, 1, 4, 2, 5])
    """
    order = list(first) + [d for d in range(len(shape)) if d not in first]
    return np.arange(int(np.prod(shape))).reshape(shape).transpose(order).ravel()

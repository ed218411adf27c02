"""Channel and layout maps: which input channel, tile or weight element an entry uses.

Beside the spatial index maps of :mod:`toeplitz_conv.geometry`, a matrix
needs to know which input channel an output channel reads (groups), which
kernel of a tiled or per-slice stack an output uses, and where a kernel's
elements sit once some of its axes are moved to the front.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._limits import check_build
from .._validation import INT64_MAX, as_groups, as_int
from ._checks import checked, ints, optional

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
    >>> channel_map(4, 6, groups=4)
    Traceback (most recent call last):
    ...
    ValueError: groups=4 must divide c_in (6)
    """
    c_out = as_int(c_out, "c_out", minimum=0)
    c_in = as_int(c_in, "c_in", minimum=0)
    groups = as_groups(groups, [(c_out, "c_out"), (c_in, "c_in")])
    c_ig = c_in // groups
    # The map itself is c_out x c_ig int64s: refuse a huge one before numpy allocates it.
    check_build(c_out * c_ig // 5, "channel map", n_rows=c_out // 3)
    if c_out == 0:
        return np.zeros((0, c_ig), dtype=np.int64)
    group = np.arange(c_out) // (c_out // groups)
    return group[:, None] * c_ig + np.arange(c_ig)[None, :]


@checked(out_shape=ints(0), tiles=ints(1), axes=optional(ints(0)))
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
    if len(axes) != len(tiles) or len(set(axes)) != len(axes) \
            or any(a >= len(out_shape) for a in axes):
        raise ValueError(f"axes must name {len(tiles)} distinct axes of out_shape "
                         f"{tuple(out_shape)} (one per entry of tiles {tuple(tiles)}), "
                         f"got {axes}")
    if math.prod(tiles) > INT64_MAX:
        raise ValueError(f"tiles must number at most 2**63 - 1 tiles, got {tuple(tiles)}")
    # np.indices holds one int64 per output and axis.
    check_build(math.prod(out_shape) * len(out_shape) // 5, "tile map",
                n_rows=math.prod(out_shape))
    grid = np.indices(out_shape).reshape(len(out_shape), -1)
    return np.ravel_multi_index(tuple(grid[a] % t for a, t in zip(axes, tiles)), tiles)


@checked(shape=ints(0), first=ints(0))
def axes_first_map(shape: tuple[int, ...], first: Sequence[int]) -> np.ndarray:
    """The C-order flat index of each element of an array of ``shape`` whose ``first``
    axes are moved to the front (the others after them, in order).

    Entry ``i`` is the flat index, in the original array, of element ``i``
    of the transposed one: a kernel stored as one kernel per slice, the
    slice axes first.

    >>> axes_first_map((2, 3), (1,))               # column-major order of a 2 x 3 array
    array([0, 3, 1, 4, 2, 5])
    """
    if len(set(first)) != len(first) or any(d >= len(shape) for d in first):
        raise ValueError(f"first must name distinct axes of shape {tuple(shape)}, "
                         f"got {tuple(first)}")
    check_build(math.prod(shape) // 5, "axes-first map", n_rows=math.prod(shape))
    order = list(first) + [d for d in range(len(shape)) if d not in first]
    return np.arange(int(np.prod(shape))).reshape(shape).transpose(order).ravel()

"""Channel and layout maps: which input channel, tile or weight element an entry uses.

Beside the spatial index maps of :mod:`toeplitz_conv.geometry`, a matrix
needs to know which input channel an output channel reads (groups), which
kernel of a tiled or per-slice stack an output uses, and where a kernel's
elements sit once some of its axes are moved to the front, and how the
user's data and weight layouts (``"NHWC"``, ``"HWIO"``, ...) permute the
canonical (PyTorch) order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._limits import check_build
from .._validation import INT64_MAX, as_groups, as_int
from ._checks import checked, ints, optional

__all__ = ["ArrayLayout", "axes_first_map", "channel_map", "data_layout", "tile_map",
           "weight_layout"]


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
    if not out_shape:
        raise ValueError("out_shape must have at least one axis, got ()")
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


# The spatial letters of each dimensionality, in canonical (PyTorch's) order,
# as TensorFlow and JAX write them.
_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


@dataclass(frozen=True)
class ArrayLayout:
    """Where the user's axes sit relative to the canonical (PyTorch) order.

    ``letters`` is the user's format (``"NHWC"``, ``"HWIO"``, ...),
    ``canonical`` the same letters in PyTorch's order (``"NCHW"``,
    ``"OIHW"``); user axis ``i`` is canonical axis ``perm[i]``, so a user's
    array is ``canonical_array.transpose(perm)``.

    >>> lay = data_layout("NHWC", 2)
    >>> lay.canonical, lay.perm, lay.batch
    ('NCHW', (0, 2, 3, 1), True)
    >>> lay.canonical_shape((8, 32, 32, 3)), lay.user_shape((8, 3, 32, 32))
    ((8, 3, 32, 32), (8, 32, 32, 3))
    >>> lay.flat_map((1, 2, 1, 3))            # user flat i is canonical flat flat_map[i]
    array([0, 3, 1, 4, 2, 5])
    """

    letters: str
    canonical: str
    perm: tuple[int, ...]

    @property
    def batch(self) -> bool:
        """Whether the format has a batch axis (``N``)."""
        return "N" in self.letters

    @property
    def identity(self) -> bool:
        """The user's order is the canonical one (no permutation needed)."""
        return self.perm == tuple(range(len(self.perm)))

    @property
    def channels_last(self) -> bool:
        """The canonical order with the channels moved last (``NHWC``, ``NWC``, ``HWC``, ...).

        >>> data_layout("NHWC", 2).channels_last, data_layout("NWHC", 2).channels_last
        (True, False)
        """
        return self.letters == self.canonical.replace("C", "") + "C"

    def user_shape(self, canonical_shape: Sequence[int]) -> tuple[int, ...]:
        """A canonical shape in the user's axis order."""
        return tuple(int(canonical_shape[p]) for p in self.perm)

    def canonical_shape(self, user_shape: Sequence[int]) -> tuple[int, ...]:
        """A user's shape in the canonical axis order."""
        out = [0] * len(self.perm)
        for i, p in enumerate(self.perm):
            out[p] = int(user_shape[i])
        return tuple(out)

    def to_canonical(self, user_array: np.ndarray) -> np.ndarray:
        """A user's array as a C-contiguous canonical array."""
        return np.ascontiguousarray(np.transpose(user_array, np.argsort(self.perm)))

    def to_user(self, canonical_array: np.ndarray) -> np.ndarray:
        """A canonical array as a C-contiguous array in the user's axis order."""
        return np.ascontiguousarray(np.transpose(canonical_array, self.perm))

    def flat_map(self, canonical_shape: Sequence[int]) -> np.ndarray:
        """For each C-order flat index of the user's array, the canonical flat index."""
        size = math.prod(canonical_shape)
        return np.arange(size, dtype=np.int64).reshape(tuple(canonical_shape)) \
            .transpose(self.perm).ravel()

    def user_index(self, canonical_shape: Sequence[int]) -> np.ndarray:
        """For each C-order flat index of the canonical array, the user's flat index.

        The inverse permutation of :meth:`flat_map`.

        >>> lay = data_layout("NHWC", 2)
        >>> lay.user_index((1, 2, 1, 3)), lay.flat_map((1, 2, 1, 3))[lay.user_index((1, 2, 1, 3))]
        (array([0, 2, 4, 1, 3, 5]), array([0, 1, 2, 3, 4, 5]))
        """
        user_of = self.flat_map(canonical_shape)
        out = np.empty_like(user_of)
        out[user_of] = np.arange(len(user_of), dtype=out.dtype)
        return out


def _parse_layout(fmt: str, canonical: str, name: str, examples: str) -> ArrayLayout:
    if not isinstance(fmt, str):
        raise TypeError(f"{name} must be a string such as {examples}, got "
                        f"{type(fmt).__name__} {fmt!r}")
    if len(fmt) != len(canonical) or sorted(fmt) != sorted(canonical):
        raise ValueError(f"{name}={fmt!r} must name each axis of {canonical!r} once, in any "
                         f"order (e.g. {examples})")
    return ArrayLayout(fmt, canonical, tuple(canonical.index(ch) for ch in fmt))


def data_layout(fmt: str | None, nd: int | None = None) -> ArrayLayout:
    """Parse a data format (``"NCHW"``, ``"NHWC"``, ``"CHW"``, ``"HWC"``, 1-D and 3-D alike).

    The letters are TensorFlow's and JAX's: ``N`` the batch (optional), ``C``
    the channels, ``W``/``HW``/``DHW`` the spatial axes (``nd`` of them;
    ``None``: as many as the format has), in any order.  ``None`` is
    PyTorch's channel-first order without a batch axis.

    >>> data_layout("NWC").perm, data_layout(None, 3).canonical
    ((0, 2, 1), 'CDHW')
    >>> data_layout("NHWC", 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: data_format='NHWC' must name each axis of 'NCW' once, in any order ...
    """
    if fmt is not None and not isinstance(fmt, str):
        raise TypeError(f"data_format must be a string such as 'NCHW', 'NHWC', 'CHW' or "
                        f"'HWC', got {type(fmt).__name__} {fmt!r}")
    if nd is None:
        if fmt is None or len(fmt) - ("N" in fmt) - 1 not in _SPATIAL:
            raise ValueError(f"data_format must be a string such as 'NCHW', 'NHWC', 'CHW' or "
                             f"'HWC' with 1 to 3 spatial letters, got {fmt!r}")
        nd = len(fmt) - ("N" in fmt) - 1
    sp = _SPATIAL[nd]
    if fmt is None:
        fmt = "C" + sp
    batch = isinstance(fmt, str) and "N" in fmt
    canonical = ("N" if batch else "") + "C" + sp
    examples = ", ".join(repr(f) for f in ("NC" + sp, "N" + sp + "C", "C" + sp, sp + "C"))
    return _parse_layout(fmt, canonical, "data_format", examples)


def weight_layout(fmt: str | None, nd: int) -> ArrayLayout:
    """Parse a weight format (``"OIHW"``, ``"HWIO"``, ``"OHWI"``, ``"IOHW"``, 1-D and 3-D alike).

    ``O`` the output channels, ``I`` the input channels (per group), the
    spatial letters as in :func:`data_layout`; ``None`` is PyTorch's ``OI...``.

    >>> weight_layout("HWIO", 2).perm, weight_layout("WIO", 1).canonical
    ((2, 3, 1, 0), 'OIW')
    """
    sp = _SPATIAL[nd]
    canonical = "OI" + sp
    examples = ", ".join(repr(f) for f in ("OI" + sp, sp + "IO", "O" + sp + "I", "IO" + sp))
    return _parse_layout(canonical if fmt is None else fmt, canonical, "weight_format",
                         examples)

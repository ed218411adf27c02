"""Type aliases shared by the public signatures (checked by mypy)."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "Boundary",
    "IntOrTuple",
    "LayerPadding",
    "Mode",
    "Order",
    "PaddingMode",
    "PairPadding",
    "SignalBoundary",
    "SignalConvention",
    "SignalMode",
]

#: An int applied to every spatial axis, or one int per axis.
IntOrTuple = int | tuple[int, ...]
#: One ``(before, after)`` pair per spatial axis, as JAX and ``lax.conv`` write it.
PairPadding = tuple[tuple[int, int], ...]
#: ``padding`` of the layer builders: symmetric, per-side, or a rule's name.
LayerPadding = int | tuple[int, ...] | PairPadding | Literal["valid", "same", "VALID", "SAME"]
#: scipy's output modes.
Mode = Literal["full", "valid", "same"]
#: :func:`~toeplitz_conv.conv_matrix`'s modes: scipy's and the circular convolution.
SignalMode = Literal["full", "valid", "same", "circular"]
#: Whose placement of ``"valid"`` and ``"same"`` :func:`~toeplitz_conv.conv_matrix` follows.
SignalConvention = Literal["scipy", "numpy", "matlab", "convolve2d"]
#: How arrays are flattened: C (row-major) or Fortran (column-major, MATLAB's) order.
Order = Literal["C", "F"]
#: scipy's ``convolve2d`` boundaries.
SignalBoundary = Literal["fill", "wrap", "symm"]
#: ``torch.nn.ConvNd(padding_mode=...)``.
PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
#: The geometry core's boundary names (see :data:`toeplitz_conv.geometry.BOUNDARIES`).
Boundary = Literal["zeros", "wrap", "symm", "reflect", "replicate"]

"""The lecture figures by name, each drawn with the lecture's numbers."""

from __future__ import annotations

import functools
from collections.abc import Callable

from matplotlib.figure import Figure

from ._gradient import weight_gradient
from ._graph import network
from ._layers import padding_modes, stride_subsampling, transposed
from ._lecture import (
    channels,
    fully_connected_vs_conv,
    kernel_feature_map,
    locally_connected_vs_tiled,
    pooling_invariance,
    pooling_stride,
    sliding_window_frames,
    valid_vs_same_depth,
)
from ._matrix import (
    conv_vs_corr,
    doubly_block,
    equivariance,
    matrix_equation,
    output_modes,
    sliding_window,
)
from ._network import connectivity, parameter_sharing, receptive_field
from ._pooling import pooling
from ._spatial import spatial

__all__ = ["FIGURES", "FIGURE_FUNCTIONS"]


#: The general figure functions (each takes a kernel and an input shape).
FIGURE_FUNCTIONS: tuple[Callable[..., Figure], ...] = (
    matrix_equation, sliding_window, doubly_block, connectivity, receptive_field,
    parameter_sharing, stride_subsampling, transposed, padding_modes, conv_vs_corr,
    output_modes, equivariance, fully_connected_vs_conv, locally_connected_vs_tiled, channels,
    valid_vs_same_depth, sliding_window_frames, kernel_feature_map, spatial,
    weight_gradient, network,
    pooling, pooling_stride, pooling_invariance,
)

#: name -> function drawing the lecture figure with the lecture's examples.
FIGURES: dict[str, Callable[[], Figure]] = {
    "matrix_1d": functools.partial(matrix_equation, (5, 6, 7), 4, "full"),
    "matrix_1d_symbols": functools.partial(matrix_equation, (5, 6, 7), 4, "full",
                                           labels="symbols"),
    "matrix_2d": functools.partial(matrix_equation, ((1, 2), (3, 4)), (3, 3), "valid",
                                   correlate=True, labels="symbols"),
    "sliding_window": functools.partial(sliding_window, labels=("z", "y", "x")),
    "sliding_window_2d": functools.partial(sliding_window, ((1, 2), (3, 4)), (3, 4),
                                           correlate=True, row=1,
                                           labels=("w", "x", "y", "z")),
    "doubly_block_2d": functools.partial(doubly_block, labels=("w", "x", "y", "z")),
    "connectivity": functools.partial(connectivity),
    "receptive_field": functools.partial(receptive_field),
    "parameter_sharing": functools.partial(parameter_sharing),
    "stride": functools.partial(stride_subsampling),
    "transposed": functools.partial(transposed),
    # Three samples: four panels of five-cell strips fit a 16:9 and a 4:3 frame.
    "padding_modes": functools.partial(padding_modes, input_shape=3),
    "conv_vs_corr": functools.partial(conv_vs_corr),
    "output_modes": functools.partial(output_modes),
    "equivariance": functools.partial(equivariance, input_shape=6),
}
# The lecture's remaining illustrations (issue 17).
FIGURES.update({
    "fully_connected_vs_conv": functools.partial(fully_connected_vs_conv),
    "locally_connected_vs_tiled": functools.partial(locally_connected_vs_tiled),
    "channels": functools.partial(channels),
    "valid_vs_same_depth": functools.partial(valid_vs_same_depth),
    "sliding_window_frames": functools.partial(sliding_window_frames),
    "kernel_feature_map": functools.partial(kernel_feature_map),
})
# The figures of issue 25: conv_arithmetic's spatial view, sized for a 4:3 slide.
FIGURES.update({
    "spatial": functools.partial(spatial, kernel_size=3, input_shape=(5, 5), padding=1, row=7,
                                 slide="4:3"),
    "weight_gradient": functools.partial(weight_gradient, slide="4:3"),
    "network": functools.partial(network, slide="4:3"),
})
# The pooling figures.
FIGURES["pooling"] = functools.partial(pooling)
FIGURES["pooling_stride"] = functools.partial(pooling_stride)
FIGURES["pooling_invariance"] = functools.partial(pooling_invariance)

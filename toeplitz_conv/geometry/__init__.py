"""The geometry core: output shapes, padding splits and index maps.

Every convention in the package (scipy's full/valid/same, PyTorch's
stride/padding/dilation, transposed layers, pooling, scipy.ndimage) is
reduced here to one description: per spatial axis, a *cross-correlation*
over a virtually padded input,

    ``y[o] = sum_t  k[t] * xpad[o * stride + t * dilation]``,
    ``xpad[p] = x[boundary(p - pad_before)]``,

where ``boundary`` maps a padded coordinate to an input index, or to "zero"
for zero padding.  A true convolution is the same with the kernel taps
reversed, so the builders, the symbolic module, the checker and the figures
all take their index arithmetic from this package.

This module is the package's face; the formulas live by concern in

* ``_sizes``: output sizes of every convention and their inverses
  (:func:`conv_out_size`, :func:`transposed_out_size`,
  :func:`layer_padding_range`, :func:`layer_min_size`, :func:`strided_count`, ...);
* ``_padding``: padding rules and how a total splits over the two sides
  (:func:`split_padding`, :func:`same_padding`, :func:`tf_same_padding`,
  :func:`signal_padding`, :func:`resolve_padding`), and the origins;
* ``_maps``: the index and boundary maps (:func:`map_boundary`,
  :class:`AxisGeometry`, :class:`Geometry`);
* ``_layouts``: channel, tile and weight-layout maps (:func:`channel_map`,
  :func:`tile_map`);
* ``_pooling``: PyTorch's pooling windows (:func:`pool_axis`, :func:`pool_counts`);
* ``_conventions``: each convention's axes (:func:`signal_axis`,
  :func:`signal_geometry`, :func:`signal_window`, :func:`signal_swaps`,
  :func:`ndimage_axis`, :func:`circular_axis`,
  :func:`layer_geometry`).

Examples
--------
The worked example, ``x = [1, 2, 3, 4]`` convolved with ``w = [5, 6, 7]`` in
"full" mode, is a correlation over the input padded by 2 on each side:

>>> ax = signal_axis(4, 3, "full")
>>> ax.pad_before, ax.pad_after, ax.out_size
(2, 2, 6)
>>> ax.input_index()[0]          # output 0 reads padding, padding, x[0]
array([-1, -1,  0])
"""

from __future__ import annotations

from ._conventions import (
    LAYER_BOUNDARY,
    NDIMAGE_BOUNDARY,
    PADDING_MODES,
    SIGNAL_BOUNDARY,
    SIGNAL_CONVENTIONS,
    circular_axis,
    layer_geometry,
    ndimage_axis,
    signal_axis,
    signal_geometry,
    signal_swaps,
    signal_window,
)
from ._layouts import axes_first_map, channel_map, tile_map
from ._maps import BOUNDARIES, AxisGeometry, Geometry, PaddedMap, map_boundary
from ._padding import (
    check_ndimage_origins,
    circular_same_fits,
    full_padding,
    ndimage_origins,
    resolve_padding,
    same_origins,
    same_padding,
    signal_padding,
    split_padding,
    tf_same_padding,
)
from ._pooling import check_pool_padding, pool_axis, pool_counts, pool_padding_limit
from ._sizes import (
    conv_out_size,
    layer_min_size,
    layer_padding_range,
    layer_symmetric_paddings,
    signal_kernel_size,
    strided_count,
    transposed_out_size,
    transposed_output_padding,
)

__all__ = [
    "BOUNDARIES",
    "LAYER_BOUNDARY",
    "NDIMAGE_BOUNDARY",
    "PADDING_MODES",
    "SIGNAL_BOUNDARY",
    "SIGNAL_CONVENTIONS",
    "AxisGeometry",
    "Geometry",
    "PaddedMap",
    "axes_first_map",
    "channel_map",
    "check_ndimage_origins",
    "check_pool_padding",
    "circular_axis",
    "circular_same_fits",
    "conv_out_size",
    "full_padding",
    "layer_geometry",
    "layer_min_size",
    "layer_padding_range",
    "layer_symmetric_paddings",
    "map_boundary",
    "ndimage_axis",
    "ndimage_origins",
    "pool_axis",
    "pool_counts",
    "pool_padding_limit",
    "resolve_padding",
    "same_origins",
    "same_padding",
    "signal_axis",
    "signal_geometry",
    "signal_kernel_size",
    "signal_padding",
    "signal_swaps",
    "signal_window",
    "split_padding",
    "strided_count",
    "tf_same_padding",
    "tile_map",
    "transposed_out_size",
    "transposed_output_padding",
]

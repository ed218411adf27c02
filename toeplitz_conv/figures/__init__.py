r"""Lecture figures: the matrix of a convolution, drawn from its taps.

Every figure is built from a :class:`~toeplitz_conv.tied.TiedMatrix` made by
the builders (:func:`~toeplitz_conv.conv_matrix`,
:func:`~toeplitz_conv.layer_matrix`, ...): which weight sits in which cell is
read from ``A.taps``, never recomputed here.  Tied weights are coloured by
their weight index with :func:`toeplitz_conv.palette.weight_colors`, the same
way in every figure; structural zeros are left blank.

Each function returns a :class:`matplotlib.figure.Figure` (not attached to
pyplot, never shown) and records the data behind the drawing in
``fig._toeplitz_data``: for each drawn matrix the tie index of every cell
(``-1`` = zero, ``MIXED`` = a sum of several weights), the cell colours and
the cell labels, so tests can check the picture against the taps.

:data:`FIGURES` maps the name of each lecture figure to a function that draws
it with the lecture's numbers (the worked example ``[1, 2, 3, 4] * [5, 6, 7]``
where it fits); ``toeplitz-conv figures --out DIR`` writes them all
with :func:`save_figure`, byte-for-byte reproducibly.

On slides: every figure function takes ``slide="4:3"`` or ``slide="16:9"``
(:data:`SLIDES`) and draws the figure as the text area of a Beamer frame, at
natural size, with no text below :data:`MIN_SLIDE_PT` (11 pt, Beamer's body
text); a figure whose content cannot be that readable raises a ValueError
saying so (draw a smaller example, or use 16:9).  ``title=False`` leaves out
the figure's own title, which would repeat the frame's.

The sizes are matplotlib's points (1/72 in) with the numbers of TeX's points
(1/72.27 in): include a figure as ``\includegraphics[width=\linewidth]{...}``
and LaTeX scales it by 72/72.27, which makes it exactly the text width and
every 11 pt of the figure exactly 11 TeX points (the deck of
:func:`lecture_deck` does this).  Unscaled it would be 0.3 % too wide.

>>> fig = matrix_equation([5, 6, 7], 4, "full", slide="4:3", title=False)
>>> w, h = fig.get_size_inches() * 72                  # points
>>> bool(w <= SLIDES["4:3"][0] and h <= SLIDES["4:3"][1])
True

The package is split by concern: ``_canvas`` draws (cells, frames, the fixed
style), ``_data`` records what each cell shows, ``_matrix``, ``_network``,
``_layers`` and ``_pooling`` hold the figures, ``_registry`` names them and
``_save`` writes them.  Every name is imported from here.

Examples
--------
>>> from toeplitz_conv.figures import matrix_equation
>>> fig = matrix_equation([5, 6, 7], 4, "full")
>>> fig._toeplitz_data["A"]["tie"]
array([[ 0, -1, -1, -1],
       [ 1,  0, -1, -1],
       [ 2,  1,  0, -1],
       [-1,  2,  1,  0],
       [-1, -1,  2,  1],
       [-1, -1, -1,  2]])
>>> [str(v) for v in fig._toeplitz_data["y"]["labels"]]
['5', '16', '34', '52', '45', '28']
"""


from __future__ import annotations

from ._animate import (
    ANIMATION_DPI,
    ANIMATION_FORMATS,
    FigureAnimation,
    animate,
    animated_figures,
    save_animation,
)
from ._canvas import MIN_SLIDE_PT, SLIDES, figure_style, slide_of
from ._canvas import STYLE as STYLE
from ._data import MAX_CELLS as MAX_CELLS
from ._data import MIXED, figure_data, tie_grid, tie_parts, weight_labels
from ._data import MIXED_COLOR as MIXED_COLOR
from ._deck import DECK_FORMATS, lecture_deck
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
from ._registry import FIGURE_FUNCTIONS, FIGURES
from ._save import FORMATS, PNG_DPI, save_figure, write_all
from ._spatial import spatial, spatial_layout
from ._tikz import TIKZ_FIGURES, to_tikz

# STYLE, MAX_CELLS and MIXED_COLOR stay importable from here (redundant
# aliases above) without joining __all__, which is kept as it was.
__all__ = [
    "ANIMATION_DPI",
    "ANIMATION_FORMATS",
    "DECK_FORMATS",
    "FIGURES",
    "FIGURE_FUNCTIONS",
    "FORMATS",
    "MIN_SLIDE_PT",
    "MIXED",
    "PNG_DPI",
    "SLIDES",
    "TIKZ_FIGURES",
    "FigureAnimation",
    "animate",
    "animated_figures",
    "channels",
    "connectivity",
    "conv_vs_corr",
    "doubly_block",
    "equivariance",
    "figure_data",
    "figure_style",
    "fully_connected_vs_conv",
    "kernel_feature_map",
    "lecture_deck",
    "locally_connected_vs_tiled",
    "matrix_equation",
    "network",
    "output_modes",
    "padding_modes",
    "parameter_sharing",
    "pooling",
    "pooling_invariance",
    "pooling_stride",
    "receptive_field",
    "save_animation",
    "save_figure",
    "slide_of",
    "sliding_window",
    "sliding_window_frames",
    "spatial",
    "spatial_layout",
    "stride_subsampling",
    "tie_grid",
    "tie_parts",
    "to_tikz",
    "transposed",
    "valid_vs_same_depth",
    "weight_gradient",
    "weight_labels",
    "write_all",
]

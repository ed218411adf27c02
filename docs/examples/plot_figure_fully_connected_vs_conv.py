"""
A dense W (every entry its own parameter) beside the banded convolution matrix
==============================================================================

Both map the same ``n`` inputs to the same ``m`` outputs ('valid'
correlation, as a CNN layer computes): the slide's "h = σ(Wᵀx + b) for a
specific kind of W".

This is ``toeplitz_conv.figures.FIGURES['fully_connected_vs_conv']``;
the command line writes it with
``toeplitz-conv figure fully_connected_vs_conv --out fully_connected_vs_conv.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["fully_connected_vs_conv"]()

"""
Layer widths over several layers: shrinking under 'valid', kept under 'same'
============================================================================

Goodfellow et al. fig. 9.13; every layer is the same convolution, its
edges the taps of its matrix.

This is ``toeplitz_conv.figures.FIGURES['valid_vs_same_depth']``; the command line writes it with
``toeplitz-conv figure valid_vs_same_depth --out valid_vs_same_depth.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["valid_vs_same_depth"]()

"""
A multi-channel layer as its C_out × C_in grid of Toeplitz blocks, and depthwise
================================================================================

Left: ``layer_matrix`` with weight ``(C_out, C_in, k)``; every block is the
Toeplitz matrix of one (output, input) channel pair.  Right: the depthwise
layer (``groups = C_in``), block diagonal.  Weight ``w[o, i, j]`` is drawn
as letter ``o * C_in + i`` with subscript ``j``.

This is ``toeplitz_conv.figures.FIGURES['channels']``; the command line writes it with
``toeplitz-conv figure channels --out channels.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["channels"]()

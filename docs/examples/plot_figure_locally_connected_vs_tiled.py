"""
Convolution, tiled convolution and a locally connected layer
============================================================

The three matrices have the same sparsity; they differ in the tying
(Goodfellow et al. fig. 9.16): one kernel shared everywhere, a few
kernels taking turns (``tiles`` of them), a kernel of its own for every output.

This is ``toeplitz_conv.figures.FIGURES['locally_connected_vs_tiled']``;
the command line writes it with
``toeplitz-conv figure locally_connected_vs_tiled --out locally_connected_vs_tiled.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["locally_connected_vs_tiled"]()

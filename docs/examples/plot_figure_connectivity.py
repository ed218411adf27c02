"""
Sparse connectivity
===================

A dense layer's m x n edges against a convolution's at most m x k.

This is ``toeplitz_conv.figures.FIGURES['connectivity']``; the command line writes it with
``toeplitz-conv figure connectivity --out connectivity.svg``.
"""

from toeplitz_conv.figures import connectivity

fig = connectivity()

"""
Stride as row subsampling
=========================

A strided convolution keeps every ``stride``-th row of the stride-1 matrix.

This is ``toeplitz_conv.figures.FIGURES['stride']``; the command line writes it with
``toeplitz-conv figure stride --out stride.svg``.
"""

from toeplitz_conv.figures import stride_subsampling

fig = stride_subsampling()

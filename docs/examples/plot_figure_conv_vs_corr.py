"""
Convolution against cross-correlation
=====================================

Convolution flips the kernel; cross-correlation does not.

This is ``toeplitz_conv.figures.FIGURES['conv_vs_corr']``; the command line writes it with
``toeplitz-conv figure conv_vs_corr --out conv_vs_corr.svg``.
"""

from toeplitz_conv.figures import conv_vs_corr

fig = conv_vs_corr()

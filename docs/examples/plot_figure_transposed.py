"""
Transposed convolution
======================

The transposed convolution's matrix is the transpose of the convolution's.

This is ``toeplitz_conv.figures.FIGURES['transposed']``; the command line writes it with
``toeplitz-conv figure transposed --out transposed.svg``.
"""

from toeplitz_conv.figures import transposed

fig = transposed()

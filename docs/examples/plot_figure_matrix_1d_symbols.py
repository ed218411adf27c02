"""
The worked example's matrix in symbols
======================================

The same matrix with the weights written as symbols: each diagonal holds one weight.

This is ``toeplitz_conv.figures.FIGURES['matrix_1d_symbols']``; the command line writes it with
``toeplitz-conv figure matrix_1d_symbols --out matrix_1d_symbols.svg``.
"""

from toeplitz_conv.figures import matrix_equation

fig = matrix_equation((5, 6, 7), 4, 'full', labels='symbols')

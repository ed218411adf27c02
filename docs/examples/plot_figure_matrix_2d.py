"""
A 2-D convolution as a matrix
=============================

A 2x2 kernel over a 3x3 input (``mode="valid"``, cross-correlation): the matrix of the
flattened (C-order) input.

This is ``toeplitz_conv.figures.FIGURES['matrix_2d']``; the command line writes it with
``toeplitz-conv figure matrix_2d --out matrix_2d.svg``.
"""

from toeplitz_conv.figures import matrix_equation

fig = matrix_equation(((1, 2), (3, 4)), (3, 3), 'valid', correlate=True, labels='symbols')

"""
The worked example as y = A x
=============================

``x = [1, 2, 3, 4]`` convolved with ``w = [5, 6, 7]`` (``mode="full"``), drawn as the
matrix product ``y = A x``; each tied weight keeps its colour.

This is ``toeplitz_conv.figures.FIGURES['matrix_1d']``; the command line writes it with
``toeplitz-conv figure matrix_1d --out matrix_1d.svg``.
"""

from toeplitz_conv.figures import matrix_equation

fig = matrix_equation((5, 6, 7), 4, 'full')

"""
Pooling windows
===============

Pooling as a matrix of windows.

This is ``toeplitz_conv.figures.FIGURES['pooling']``; the command line writes it with
``toeplitz-conv figure pooling --out pooling.svg``.
"""

from toeplitz_conv.figures import pooling

fig = pooling()

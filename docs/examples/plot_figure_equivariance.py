"""
Shift equivariance
==================

Shift the input, and the output shifts with it.

This is ``toeplitz_conv.figures.FIGURES['equivariance']``; the command line writes it with
``toeplitz-conv figure equivariance --out equivariance.svg``.
"""

from toeplitz_conv.figures import equivariance

fig = equivariance()

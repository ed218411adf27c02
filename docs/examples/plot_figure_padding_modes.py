"""
Padding modes
=============

Zeros, reflect, replicate and circular padding: hatched taps read padded samples, dark
cells hold the sum of two weights.

This is ``toeplitz_conv.figures.FIGURES['padding_modes']``; the command line writes it with
``toeplitz-conv figure padding_modes --out padding_modes.svg``.
"""

from toeplitz_conv.figures import padding_modes

fig = padding_modes()

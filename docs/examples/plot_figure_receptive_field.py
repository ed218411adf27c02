"""
Receptive field growth
======================

The inputs one top unit sees through stacked convolution layers.

This is ``toeplitz_conv.figures.FIGURES['receptive_field']``; the command line writes it with
``toeplitz-conv figure receptive_field --out receptive_field.svg``.
"""

from toeplitz_conv.figures import receptive_field

fig = receptive_field()

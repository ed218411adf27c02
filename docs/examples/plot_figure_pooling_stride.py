"""
Average pooling (window 3, stride 2) as a matrix of "1/3", and max pooling's selection
======================================================================================

This is ``toeplitz_conv.figures.FIGURES['pooling_stride']``; the command line writes it with
``toeplitz-conv figure pooling_stride --out pooling_stride.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["pooling_stride"]()

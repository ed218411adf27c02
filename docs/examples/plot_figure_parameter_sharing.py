"""
Parameter sharing
=================

One weight highlighted at every position where it appears, in the edges and in the cells.

This is ``toeplitz_conv.figures.FIGURES['parameter_sharing']``; the command line writes it with
``toeplitz-conv figure parameter_sharing --out parameter_sharing.svg``.
"""

from toeplitz_conv.figures import parameter_sharing

fig = parameter_sharing()

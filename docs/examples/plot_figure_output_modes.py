"""
Output modes full, same, valid
==============================

scipy's three output modes as row ranges of the full matrix.

This is ``toeplitz_conv.figures.FIGURES['output_modes']``; the command line writes it with
``toeplitz-conv figure output_modes --out output_modes.svg``.
"""

from toeplitz_conv.figures import output_modes

fig = output_modes()

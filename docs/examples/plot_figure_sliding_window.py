"""
Sliding window and matrix row
=============================

One output is the kernel over one window of the input, and one row of the matrix.

This is ``toeplitz_conv.figures.FIGURES['sliding_window']``; the command line writes it with
``toeplitz-conv figure sliding_window --out sliding_window.svg``.
"""

from toeplitz_conv.figures import sliding_window

fig = sliding_window(labels=('z', 'y', 'x'))

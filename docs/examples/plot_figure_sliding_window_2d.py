"""
Sliding window in 2-D
=====================

The 2-D window of one output next to its row of the doubly block Toeplitz matrix.

This is ``toeplitz_conv.figures.FIGURES['sliding_window_2d']``; the command line writes it with
``toeplitz-conv figure sliding_window_2d --out sliding_window_2d.svg``.
"""

from toeplitz_conv.figures import sliding_window

fig = sliding_window(((1, 2), (3, 4)), (3, 4), correlate=True, row=1, labels=('w', 'x', 'y', 'z'))

"""
Doubly block Toeplitz matrix
============================

A 2-D convolution's matrix is block Toeplitz with Toeplitz blocks; the blocks are outlined.

This is ``toeplitz_conv.figures.FIGURES['doubly_block_2d']``; the command line writes it with
``toeplitz-conv figure doubly_block_2d --out doubly_block_2d.svg``.
"""

from toeplitz_conv.figures import doubly_block

fig = doubly_block(labels=('w', 'x', 'y', 'z'))

"""
The spatial view: padding, stride, dilation, transposed
=======================================================

conv_arithmetic's picture of a layer: the input grid with its padding, the
kernel's window over it, and the output filling as the window moves.  The
window is a row of the layer's matrix, the numbers are that matrix times
``x``; ``transposed=True`` inserts ``stride - 1`` zeros between the inputs.

This is ``toeplitz_conv.figures.FIGURES['spatial']``; the command line writes it with
``toeplitz-conv figure spatial --out spatial.svg``, and the animation with
``toeplitz-conv figure spatial --stride 2 --transposed --n 2x2 --padding 0 --out t.gif``.
"""

from toeplitz_conv.figures import spatial

fig = spatial(3, (5, 5), padding=1, row=7, slide="4:3")

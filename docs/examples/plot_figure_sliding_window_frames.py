"""
The lecture's first illustration: the window at several outputs, next to the 'same' matrix
==========================================================================================

With ``w = [z, y, x]`` and input ``a .. f`` the frames are the 'same'
outputs ``s_2 = xb + yc + zd``, ``s_3 = xc + yd + ze``, ``s_4 = xd + ye +
zf`` and the boundary case ``s_5 = xe + yf``; the matrix's first row is
``y z``.  The kernel is drawn flipped, as convolution uses it.

This is ``toeplitz_conv.figures.FIGURES['sliding_window_frames']``; the command line writes it with
``toeplitz-conv figure sliding_window_frames --out sliding_window_frames.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["sliding_window_frames"]()

"""
A figure for a Beamer slide
===========================

Drawn with ``slide="4:3"`` (or ``"16:9"``), a figure is the text area of a Beamer frame at
natural size, every text at least 11 pt; ``title=False`` leaves the title to the frame.  With
numbers throughout, each product is written ``7·4`` and the sum drawn is the matrix's own:
the worked example's last output, ``[1, 2, 3, 4] * [5, 6, 7]``, is 28.

The command line writes the same picture as TikZ, to ``\\input`` into a frame as it is:
``toeplitz-conv figure sliding_window --kernel 5,6,7 --n 4 --mode full --row 5
--input-names 1,2,3,4 --slide 4:3 --no-title --out window.tex``.
"""

from toeplitz_conv.figures import sliding_window, to_tikz

fig = sliding_window([5, 6, 7], 4, "full", row=5, labels="values",
                     input_names=["1", "2", "3", "4"], slide="4:3", title=False)
tex = to_tikz(fig)      # the same drawing, for \input in a 4:3 frame

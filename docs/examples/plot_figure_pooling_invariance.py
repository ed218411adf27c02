"""
Max pooling (stride 1) barely changes when the input shifts right by one
========================================================================

Every input value moves; the outputs that stay the same are framed
(Goodfellow et al. fig. 9.8, "pooling induces invariance").  The cells
each output selects are read from :func:`~toeplitz_conv.pooling.max_pool_matrix`.

This is ``toeplitz_conv.figures.FIGURES['pooling_invariance']``; the command line writes it with
``toeplitz-conv figure pooling_invariance --out pooling_invariance.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["pooling_invariance"]()

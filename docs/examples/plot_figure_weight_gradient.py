"""
The gradient of a tied weight
=============================

Each weight sits at several cells of the matrix; with ``y = A x`` and
``g = dL/dy`` the cell ``(r, c)`` adds ``g[r] * x[c]`` to the gradient of the
weight it holds, so a tied weight's gradient is the sum over its positions
(the Q&A's point).  The sums drawn are ``A.weight_grad(x, g)``.

This is ``toeplitz_conv.figures.FIGURES['weight_gradient']``; the command line writes it with
``toeplitz-conv figure weight_gradient --out weight_gradient.svg``.
"""

from toeplitz_conv.figures import weight_gradient

fig = weight_gradient([5, 6, 7], 4, "full", slide="4:3")

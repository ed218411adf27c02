"""An interactive equivalence explorer: one self-contained HTML page.

The page shows the kernel, the (padded) input, the output and the matrix of a
convolution, coloured by weight index with :mod:`toeplitz_conv.palette`, with
linked highlighting: point at a matrix cell and its weight's tied positions,
its input and its output light up; point at an output and its row and its
kernel window over the input light up; point at a weight and all its
positions light up.  Play and Step walk the window over the outputs (each
product written over its input cell, the sums landing in the outputs), the
gradient view writes each weight's ``dL/dw`` as the sum over its tied
positions, 2-D pages and transposed layers get a spatial view (the padded or
zero-inserted input grid, the window, the output grid).

Every variant the page can switch to (mode, convolution/correlation, stride,
padding, ...) is built in Python by the package's builders and geometry core,
and embedded as JSON: taps ``(row, col, weight)``, each output's window
(padded coordinates, the input each reads, the weight) and the drawing
positions in pixels.  The JavaScript only draws and highlights; it does no
index or layout arithmetic, so the page cannot disagree with the builders.

The package is split by concern: :mod:`._variants` (the data of each
variant), :mod:`._numbers` (``y = A x``, the sums and the gradients, by the
matrix), :mod:`._transposed` (transposed layers on the zero-inserted input),
:mod:`._page` (the :class:`Explorer` object, the layout in pixels and the HTML
rendered from ``toeplitz_conv/_explorer_assets``) and :mod:`._explore`
(:func:`explore`, which ties them together).
"""

from __future__ import annotations

from ..geometry import Geometry
from ._explore import MAX_SIDE, explore
from ._page import Explorer

__all__ = ["MAX_SIDE", "Explorer", "explore", "window_positions"]

# Documented (and pickled, and shown in reprs) under its public home, not the
# private module it is defined in.
Explorer.__module__ = __name__

#: Kept for code written against the single-module explorer: the table now
#: belongs to the geometry core (:meth:`Geometry.window_positions`).
window_positions = Geometry.window_positions

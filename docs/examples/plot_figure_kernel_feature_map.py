"""
The lecture's second illustration: kernel, input and feature map, one output highlighted
========================================================================================

'valid' cross-correlation (as a CNN layer computes) of the input ``a .. l``
with ``[[w, x], [y, z]]``: the first output is ``wa + xb + ye + zf``.

This is ``toeplitz_conv.figures.FIGURES['kernel_feature_map']``; the command line writes it with
``toeplitz-conv figure kernel_feature_map --out kernel_feature_map.svg``.
"""

from toeplitz_conv.figures import FIGURES

fig = FIGURES["kernel_feature_map"]()

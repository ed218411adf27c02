"""
Sparse interaction, viewed from below and from above
====================================================

Goodfellow et al.'s figures 9.2 and 9.3: the convolution as labelled units
over the fully connected layer with the same units.  One input is lit with
every output it reaches (``highlight="output"`` lights an output's receptive
field); 'same' and 'full' draw their padding zeros on the same grid of units.
The edges are the taps of the builders' matrices.

This is ``toeplitz_conv.figures.FIGURES['network']``; the command line writes it with
``toeplitz-conv figure network --mode valid --highlight output --out network.svg``.
"""

from toeplitz_conv.figures import network

fig = network((1, 1, 1), 5, "same", slide="4:3")

"""Check a hand-written conv layer, extract a black box's matrix, name its convention.

* :func:`check_layer` compares a user's forward, input gradient and weight
  gradient with the exact matrix of the layer and diagnoses classic bugs.
* :func:`extract_matrix` recovers the exact sparse matrix of a black-box
  linear function with few calls (structural probing).
* :func:`identify` names the convention a black box implements.
"""

from ._layer import check_layer
from ._report import Entry, Report

__all__ = ["Entry", "Report", "check_layer"]

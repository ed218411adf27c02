"""Check a hand-written conv layer, extract a black box's matrix, name its convention.

* :func:`check_layer` compares a user's forward, input gradient and weight
  gradient with the exact matrix of the layer and diagnoses classic bugs.
* :func:`extract_matrix` recovers the exact sparse matrix of a black-box
  linear function with few calls (structural probing).
* :func:`identify` names the convention a black box implements.
* :func:`sweep_layer` checks a layer over a grid of configurations.
"""

from ._extract import Extraction, NotLinearError, colour_columns, extract_matrix, recover_weight
from ._identify import Candidate, Identification, identify
from ._layer import check_layer
from ._report import Entry, Report
from ._sweep import SweepConfig, SweepReport, SweepRow, default_grid, sweep_layer

__all__ = [
    "Candidate",
    "Entry",
    "Extraction",
    "Identification",
    "NotLinearError",
    "Report",
    "SweepConfig",
    "SweepReport",
    "SweepRow",
    "check_layer",
    "colour_columns",
    "default_grid",
    "extract_matrix",
    "identify",
    "recover_weight",
    "sweep_layer",
]

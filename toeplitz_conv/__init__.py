"""toeplitz_conv: a convolution is a matrix multiplication with a sparse, weight-tied matrix.

Examples
--------
>>> import numpy as np
>>> import toeplitz_conv as tc
>>> A = tc.conv_matrix([5, 6, 7], 4, "full")
>>> A @ np.array([1, 2, 3, 4])
array([ 5, 16, 34, 52, 45, 28])
"""

from ._limits import DenseTooLargeError, limits
from .explorer import Explorer, explore
from .geometry import AxisGeometry, Geometry
from .layers import layer_matrix, transposed_layer_matrix
from .signal import conv_matrix
from .tied import TiedMatrix

__all__ = [
    "AxisGeometry",
    "DenseTooLargeError",
    "Explorer",
    "Geometry",
    "TiedMatrix",
    "conv_matrix",
    "explore",
    "layer_matrix",
    "limits",
    "transposed_layer_matrix",
]

__version__ = "0.1.0"


def __getattr__(name: str):
    # Submodules with their own dependencies load on first use.
    if name == "check":
        import importlib

        return importlib.import_module(".check", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

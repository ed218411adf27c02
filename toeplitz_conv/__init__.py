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
from .geometry import AxisGeometry, Geometry
from .layers import layer_matrix, transposed_layer_matrix
from .signal import conv_matrix
from .tied import TiedMatrix

__all__ = [
    "AxisGeometry",
    "DenseTooLargeError",
    "Geometry",
    "TiedMatrix",
    "conv_matrix",
    "layer_matrix",
    "limits",
    "transposed_layer_matrix",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # ``toeplitz_conv.symbolic`` imports sympy; load it on first use only.
    if name == "symbolic":
        import importlib

        return importlib.import_module(".symbolic", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
from .data import data_matrix
from .explorer import Explorer, explore
from .geometry import AxisGeometry, Geometry
from .interop import to_torch
from .layers import layer_matrix, transposed_layer_matrix
from .local import locally_connected_matrix, tiled_conv_matrix
from .ndimage import ndimage_matrix
from .pooling import avg_pool_matrix, lp_pool, max_pool_matrix, maxout_matrix
from .signal import conv_matrices, conv_matrix
from .spectrum import clip_singular_values, singular_values, spectral_norm
from .tied import TiedMatrix

__all__ = [
    "AxisGeometry",
    "DenseTooLargeError",
    "Explorer",
    "Geometry",
    "TiedMatrix",
    "avg_pool_matrix",
    "clip_singular_values",
    "conv_matrices",
    "conv_matrix",
    "data_matrix",
    "explore",
    "from_torch",
    "layer_matrix",
    "limits",
    "locally_connected_matrix",
    "lp_pool",
    "max_pool_matrix",
    "maxout_matrix",
    "ndimage_matrix",
    "singular_values",
    "spectral_norm",
    "tiled_conv_matrix",
    "to_torch",
    "transposed_layer_matrix",
]


def _installed_version() -> str:
    # The version is written once, in pyproject.toml; at run time its one copy
    # is the installed package's metadata.
    from importlib import metadata

    try:
        return metadata.version("toeplitz_conv")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


__version__ = _installed_version()


#: Submodules loaded on first attribute access, because they import heavier
#: dependencies (sympy; torch inside check; matplotlib; ipywidgets) that the
#: builders do not need: ``import toeplitz_conv`` stays numpy + scipy only.
_LAZY_SUBMODULES = ("check", "explorer_widget", "figures", "models", "symbolic")
#: Names loaded from a lazy submodule on first access (``from_torch`` lives in
#: ``models``, which sits above the builders and imports torch only when called).
_LAZY_NAMES = {"from_torch": "models"}


def __getattr__(name: str) -> object:
    if name in _LAZY_NAMES:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # Tab completion and dir() list the public surface -- the names, the public
    # submodules and the lazy ones -- rather than private helpers (_assemble, ...).
    import types

    submodules = {k for k, v in globals().items()
                  if isinstance(v, types.ModuleType) and not k.startswith("_")}
    return sorted({*__all__, *submodules, *_LAZY_SUBMODULES, "__version__"})

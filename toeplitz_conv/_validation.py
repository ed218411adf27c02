"""Up-front checks of user arguments.

Every public entry point validates here first, so that bad input fails with
one ``ValueError``/``TypeError`` that names the parameter and what it allows,
instead of an exception from deep inside numpy or scipy.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "as_int_tuple",
    "as_kernel",
    "as_shape",
    "choose",
]


def choose(value: Any, name: str, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed`` (strings), else raise."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be one of {_fmt(allowed)}, got {type(value).__name__} {value!r}"
        )
    if value not in allowed:
        raise ValueError(f"{name} must be one of {_fmt(allowed)}, got {value!r}")
    return value


def _fmt(allowed: Sequence[str]) -> str:
    return ", ".join(repr(a) for a in allowed)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def as_kernel(kernel: Any, name: str = "kernel", *, min_ndim: int = 1,
              max_ndim: int | None = None) -> np.ndarray:
    """Return ``kernel`` as a finite, non-empty numeric ndarray (a copy).

    NaN and inf are rejected rather than propagated: a non-finite weight
    makes every product it touches non-finite, which is never what a matrix
    builder's user wants to find out later.
    """
    if isinstance(kernel, (str, bytes)) or kernel is None:
        raise TypeError(f"{name} must be a numeric array-like, got {type(kernel).__name__}")
    try:
        arr = np.array(kernel)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name} must be a rectangular numeric array-like (same length in every row)"
        ) from exc
    if arr.dtype == bool or arr.dtype.kind not in "iufc":
        raise TypeError(
            f"{name} must hold integer, float or complex numbers, got dtype {arr.dtype}"
        )
    if arr.ndim < min_ndim or (max_ndim is not None and arr.ndim > max_ndim):
        want = f"{min_ndim}" if max_ndim == min_ndim else (
            f"at least {min_ndim}" if max_ndim is None else f"{min_ndim} to {max_ndim}")
        raise ValueError(f"{name} must have {want} dimensions, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; it contains NaN or inf")
    return arr


def as_shape(shape: Any, name: str = "input_shape", *, ndim: int | None = None) -> tuple[int, ...]:
    """Return ``shape`` (an int or a sequence of ints) as a tuple of positive ints."""
    if _is_int(shape):
        dims: tuple[Any, ...] = (shape,)
    elif isinstance(shape, (tuple, list)) or (isinstance(shape, np.ndarray) and shape.ndim == 1):
        dims = tuple(shape)
    else:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {type(shape).__name__}")
    if not all(_is_int(d) for d in dims):
        raise TypeError(f"{name} must contain only ints, got {shape!r}")
    dims = tuple(int(d) for d in dims)
    if ndim is not None and len(dims) != ndim:
        raise ValueError(f"{name} must have {ndim} entries to match the kernel's "
                         f"{ndim} dimensions, got {dims}")
    if len(dims) == 0:
        raise ValueError(f"{name} must not be empty")
    if any(d <= 0 for d in dims):
        raise ValueError(f"{name} must contain positive sizes, got {dims}")
    return dims


def as_int_tuple(value: Any, ndim: int, name: str, *, minimum: int) -> tuple[int, ...]:
    """Broadcast an int or a length-``ndim`` sequence to a tuple of ints >= ``minimum``."""
    if _is_int(value):
        vals: tuple[Any, ...] = (value,) * ndim
    elif isinstance(value, (tuple, list)):
        vals = tuple(value)
        if len(vals) != ndim:
            raise ValueError(f"{name} must be an int or a tuple of {ndim} ints, got {value!r}")
    else:
        raise TypeError(f"{name} must be an int or a tuple of {ndim} ints, "
                        f"got {type(value).__name__} {value!r}")
    if not all(_is_int(v) for v in vals):
        raise TypeError(f"{name} must contain only ints, got {value!r}")
    vals = tuple(int(v) for v in vals)
    if any(v < minimum for v in vals):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return vals

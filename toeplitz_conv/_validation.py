"""Up-front checks of user arguments.

Every public entry point validates here first, so that bad input fails with
one ``ValueError``/``TypeError`` that names the parameter and what it allows,
instead of an exception from deep inside numpy or scipy.

The rule, decided once: a value of the wrong *type* (a string for a size, a
float for a count, ``True`` for an int) raises ``TypeError``; a value of the
right type but outside what is allowed (zero, negative, beyond int64, NaN,
an unknown mode name) raises ``ValueError``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "INT64_MAX",
    "as_bool",
    "as_byte_count",
    "as_finite_real",
    "as_groups",
    "as_int",
    "as_int_tuple",
    "as_kernel",
    "as_positive_int",
    "as_shape",
    "choose",
]

#: Largest size or count accepted anywhere: index arithmetic is done in int64.
INT64_MAX = int(np.iinfo(np.int64).max)


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


def _check_int64(values: Sequence[int], name: str, shown: Any) -> None:
    # Python ints are unbounded; numpy index arithmetic is not, and would
    # raise OverflowError (or wrap) far from the caller's mistake.
    if any(abs(v) > INT64_MAX for v in values):
        raise ValueError(f"{name} must fit in int64 (at most {INT64_MAX}), got {shown!r}")


def as_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a bool; only ``True``/``False`` (and numpy bools) are accepted.

    >>> as_bool(True, "correlate")
    True
    >>> as_bool(1, "correlate")
    Traceback (most recent call last):
    ...
    TypeError: correlate must be True or False, got int 1
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def as_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int ``>= minimum``; ``bool`` and floats are refused.

    >>> as_int(-2, "shift")
    -2
    >>> as_int(2**70, "shift")
    Traceback (most recent call last):
    ...
    ValueError: shift must fit in int64 (at most 9223372036854775807), got 1180591620717411303424
    """
    if not _is_int(value):
        want = "an int" if minimum is None else f"an int >= {minimum}"
        raise TypeError(f"{name} must be {want}, got {type(value).__name__} {value!r}")
    v = int(value)
    _check_int64((v,), name, value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return v


def as_positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int >= 1 (``TypeError`` for non-ints, ``ValueError`` below 1).

    >>> as_positive_int(3, "groups")
    3
    >>> as_positive_int(0, "groups")
    Traceback (most recent call last):
    ...
    ValueError: groups must be >= 1, got 0
    """
    return as_int(value, name, minimum=1)


def as_finite_real(value: Any, name: str, *, positive: bool = False) -> float:
    """Return ``value`` as a finite float (optionally > 0); bools and strings are refused.

    >>> as_finite_real(0.5, "tol")
    0.5
    >>> as_finite_real(float("nan"), "tol")
    Traceback (most recent call last):
    ...
    ValueError: tol must be a finite real number, got nan
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def as_groups(groups: Any, channels: Sequence[tuple[int, str]]) -> int:
    """Return ``groups`` as a positive int dividing every ``(count, description)`` in ``channels``.

    >>> as_groups(2, [(4, "the input channels"), (6, "the output channels")])
    2
    >>> as_groups(4, [(4, "the input channels"), (6, "the output channels")])
    Traceback (most recent call last):
    ...
    ValueError: groups=4 must divide the output channels (6)
    """
    g = as_positive_int(groups, "groups")
    for count, what in channels:
        if count % g:
            raise ValueError(f"groups={g} must divide {what} ({count})")
    return g


def as_kernel(kernel: Any, name: str = "kernel", *, min_ndim: int = 1,
              max_ndim: int | None = None, allow_bool: bool = False,
              empty_axes: tuple[int, ...] = ()) -> np.ndarray:
    """Return ``kernel`` as a finite, non-empty numeric ndarray (a copy).

    NaN and inf are rejected rather than propagated: a non-finite weight
    makes every product it touches non-finite, which is never what a matrix
    builder's user wants to find out later.  With ``allow_bool`` a boolean
    kernel (scipy accepts one) becomes 0/1 ``uint8``: exact, and the
    smallest integer type, so products keep the input's type.

    ``empty_axes`` lists the axes that may have length 0 (a layer weight's
    channel axes, where PyTorch accepts them); every other axis must still
    be positive.

    >>> as_kernel(np.ones((4, 0, 3)), "weight", empty_axes=(1,)).shape
    (4, 0, 3)
    >>> as_kernel(np.ones((4, 1, 0)), "weight", empty_axes=(1,))
    Traceback (most recent call last):
    ...
    ValueError: weight must have positive sizes (only axis 1 may be 0), got shape (4, 1, 0)
    """
    if isinstance(kernel, (str, bytes)) or kernel is None:
        raise TypeError(f"{name} must be a numeric array-like, got {type(kernel).__name__}")
    try:
        arr = np.array(kernel)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name} must be a rectangular numeric array-like (same length in every row)"
        ) from exc
    if arr.dtype == bool and allow_bool:
        arr = arr.astype(np.uint8)
    if arr.dtype == bool or arr.dtype.kind not in "iufc":
        raise TypeError(
            f"{name} must hold integer, float or complex numbers, got dtype {arr.dtype}"
        )
    if arr.ndim < min_ndim or (max_ndim is not None and arr.ndim > max_ndim):
        want = f"{min_ndim}" if max_ndim == min_ndim else (
            f"at least {min_ndim}" if max_ndim is None else f"{min_ndim} to {max_ndim}")
        raise ValueError(f"{name} must have {want} dimensions, got shape {arr.shape}")
    if empty_axes and any(n == 0 for i, n in enumerate(arr.shape) if i not in empty_axes):
        which = ("axis " if len(empty_axes) == 1 else "axes ") + ", ".join(map(str, empty_axes))
        raise ValueError(f"{name} must have positive sizes (only {which} may be 0), "
                         f"got shape {arr.shape}")
    if arr.size == 0 and not empty_axes:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; it contains NaN or inf")
    return arr


def as_shape(shape: Any, name: str = "input_shape", *, ndim: int | None = None,
             empty_axes: tuple[int, ...] = ()) -> tuple[int, ...]:
    """Return ``shape`` (an int or a sequence of ints) as a tuple of positive ints.

    The entries at ``empty_axes`` may also be 0 (a layer's channel axis).

    >>> as_shape((0, 5), empty_axes=(0,))
    (0, 5)
    >>> as_shape((0, 5))
    Traceback (most recent call last):
    ...
    ValueError: input_shape must contain positive sizes, got (0, 5)
    """
    if _is_int(shape):
        dims: tuple[Any, ...] = (shape,)
    elif isinstance(shape, (tuple, list)) or (isinstance(shape, np.ndarray) and shape.ndim == 1):
        dims = tuple(shape)
    else:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {type(shape).__name__}")
    if not all(_is_int(d) for d in dims):
        raise TypeError(f"{name} must contain only ints, got {shape!r}")
    dims = tuple(int(d) for d in dims)
    _check_int64(dims, name, shape)
    if ndim is not None and len(dims) != ndim:
        raise ValueError(f"{name} must have {ndim} entries to match the kernel's "
                         f"{ndim} dimensions, got {dims}")
    if len(dims) == 0:
        raise ValueError(f"{name} must not be empty")
    if any(d < 0 or (d == 0 and i not in empty_axes) for i, d in enumerate(dims)):
        where = (f" (only entry {', '.join(str(i) for i in empty_axes)} may be 0)"
                 if empty_axes else "")
        raise ValueError(f"{name} must contain positive sizes{where}, got {dims}")
    total = 1
    for d in dims:
        total *= d
    if total > INT64_MAX:
        # Each size fits, their product (the flat length, a matrix dimension) does not.
        raise ValueError(f"{name} {dims} has {total} elements in all, more than int64 can "
                         f"index ({INT64_MAX})")
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
    _check_int64(vals, name, value)
    if any(v < minimum for v in vals):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return vals


def as_byte_count(value: Any, name: str) -> int:
    """Return ``value`` as a number of bytes: an int (or integral-valued float) in ``[0, 2**63)``.

    >>> as_byte_count(2**30, "max_dense_bytes")
    1073741824
    >>> as_byte_count(4e9, "max_dense_bytes")
    4000000000
    >>> as_byte_count(1.5, "max_dense_bytes")
    Traceback (most recent call last):
    ...
    ValueError: max_dense_bytes must be a whole number of bytes, got 1.5
    >>> as_byte_count(float("nan"), "max_dense_bytes")
    Traceback (most recent call last):
    ...
    ValueError: max_dense_bytes must be a finite real number, got nan
    """
    if _is_int(value):
        return as_int(value, name, minimum=0)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of bytes (an int >= 0), "
                        f"got {type(value).__name__} {value!r}")
    v = as_finite_real(value, name)
    if v < 0 or v > INT64_MAX:
        raise ValueError(f"{name} must be between 0 and {INT64_MAX} bytes, got {value!r}")
    if v != int(v):
        # A fractional byte count is a typo or a unit mix-up; truncating it
        # silently would change the limit the caller asked for.
        raise ValueError(f"{name} must be a whole number of bytes, got {value!r}")
    return int(v)

"""Argument checks for the geometry core's public functions.

The builders validate their users' input before they reach the core, but the
core's functions are public too (``toeplitz_conv.geometry``), so a bad size,
stride or mode handed to them directly must get the builders' kind of error --
one ``TypeError``/``ValueError`` naming the parameter -- not a ``TypeError``
from an operator or a ``ZeroDivisionError``.

The checks run on every call, also from the builders, so the common case (a
Python ``int`` in range, a known name) costs one ``type`` test.  Symbolic
values (sympy expressions, which the symbolic module passes to the same
formulas to prove them for every ``n``) are let through unchecked.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import numpy as np

from .._validation import INT64_MAX, as_int

__all__: list[str] = []

F = TypeVar("F", bound=Callable[..., Any])
Rule = Callable[[Any, str], None]


def _symbolic(value: Any) -> bool:
    return hasattr(value, "free_symbols") and not isinstance(value, numbers.Number)


def integer(minimum: int | None = 0) -> Rule:
    """A rule: an int (Python or numpy, not bool) ``>= minimum`` within int64, or symbolic."""
    def rule(value: Any, name: str) -> None:
        if type(value) is int and (minimum is None or value >= minimum) \
                and -INT64_MAX <= value <= INT64_MAX:
            return
        if not _symbolic(value):
            # The builders' own check, with their messages, off the fast path.
            as_int(value, name, minimum=minimum)
    return rule


def optional(rule: Rule) -> Rule:
    """A rule that also accepts ``None``."""
    def check(value: Any, name: str) -> None:
        if value is not None:
            rule(value, name)
    return check


def pair(minimum: int = 0) -> Rule:
    """A rule: a ``(before, after)`` pair of ints (or symbolic entries)."""
    one = integer(minimum)

    def rule(value: Any, name: str) -> None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(f"{name} must be a (before, after) pair of ints, got {value!r}")
        one(value[0], name)
        one(value[1], name)
    return rule


def int_or_pair(minimum: int = 0) -> Rule:
    """A rule: one int (both sides) or a ``(before, after)`` pair."""
    one, two = integer(minimum), pair(minimum)

    def rule(value: Any, name: str) -> None:
        (two if isinstance(value, (tuple, list)) else one)(value, name)
    return rule


def ints(minimum: int = 0) -> Rule:
    """A rule: a tuple or list of ints (a shape, a kernel size, a list of axes)."""
    one = integer(minimum)

    def rule(value: Any, name: str) -> None:
        if not isinstance(value, (tuple, list, range)):
            raise TypeError(f"{name} must be a tuple of ints, got {type(value).__name__} "
                            f"{value!r}")
        for v in value:
            one(v, name)
    return rule


def choice(allowed: Collection[str]) -> Rule:
    """A rule: one of the names ``allowed``."""
    names = ", ".join(repr(a) for a in allowed)

    def rule(value: Any, name: str) -> None:
        if isinstance(value, str) and value in allowed:
            return
        if not isinstance(value, str):
            raise TypeError(f"{name} must be one of {names}, got {type(value).__name__} "
                            f"{value!r}")
        raise ValueError(f"{name} must be one of {names}, got {value!r}")
    return rule


def boolean(value: Any, name: str) -> None:
    """A rule: a bool (Python or numpy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")


def checked(**rules: Rule) -> Callable[[F], F]:
    """Check the named arguments of a function with ``rules`` before it runs.

    Arguments left at their defaults are not checked (the defaults are valid).
    """
    def decorate(func: F) -> F:
        params = list(inspect.signature(func).parameters)
        unknown = set(rules) - set(params)
        if unknown:  # pragma: no cover - a mistake in this package, caught on import
            raise TypeError(f"{func.__name__} has no parameters {sorted(unknown)}")
        specs = tuple((params.index(n), n, r) for n, r in rules.items())

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for pos, name, rule in specs:
                if pos < len(args):
                    rule(args[pos], name)
                elif name in kwargs:
                    rule(kwargs[name], name)
            return func(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def text(value: Any, name: str) -> None:
    """A rule: a string (the function itself names the values it knows)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")


def int_array(value: Any, name: str) -> None:
    """A rule: an integer array-like of coordinates."""
    if _symbolic(value):
        return
    try:
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (ValueError, TypeError):
        raise TypeError(f"{name} must be an integer array, got {type(value).__name__}") from None
    if arr.dtype == object and all(_symbolic(v) or (isinstance(v, numbers.Integral)
                                                    and not isinstance(v, (bool, np.bool_)))
                                   for v in arr.flat):
        return   # symbolic coordinates (the proofs evaluate the map at symbolic n)
    if arr.dtype.kind not in "iu" or arr.dtype == np.bool_:
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")

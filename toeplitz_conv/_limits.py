"""Size limits that stop a call before it allocates more memory than intended."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ._validation import as_byte_count

__all__ = ["DenseTooLargeError", "check_build", "check_dense", "limits"]


class DenseTooLargeError(MemoryError):
    """A dense array (or a structure) would exceed the configured limit."""


_NAMES = ("max_dense_bytes", "max_build_bytes")
_DEFAULTS = {"max_dense_bytes": 2 * 2**30, "max_build_bytes": 8 * 2**30}

# The active overrides of the current context (thread, asyncio task), innermost
# last.  Each layer is removed by identity on exit, wherever it sits, so
# overrides that overlap rather than nest -- exited out of order -- still leave
# exactly the layers that are alive, and the defaults once none is.  A new
# thread starts with an empty context and sees only the process-wide values.
_Layer = tuple[object, dict[str, int]]
_OVERRIDES: ContextVar[tuple[_Layer, ...]] = ContextVar("toeplitz_conv_limits", default=())


class Limits:
    """Configurable limits, in bytes.

    Every value is checked when it is set: a whole number of bytes (an int, or
    an integral float such as ``4e9``) between 0 and ``2**63 - 1``; ``None``,
    strings, booleans, fractions, NaN and infinities are refused.

    Setting an attribute changes the process-wide value.  :meth:`override`
    changes values for one ``with`` block in the current thread (or asyncio
    task) only; overrides nest, and each one's exit removes just its own
    values, whatever order they are exited in.

    Attributes
    ----------
    max_dense_bytes : int
        Largest dense array ``toarray()`` (and ``numpy.asarray``) will allocate.
        Default 2 GiB.
    max_build_bytes : int
        Largest working memory a builder may use for its index tables.
        Default 8 GiB.

    Examples
    --------
    >>> from toeplitz_conv import limits
    >>> limits.max_dense_bytes
    2147483648
    >>> with limits.override(max_dense_bytes=2**20):     # scoped: restored on exit
    ...     limits.max_dense_bytes
    1048576
    >>> limits.max_dense_bytes
    2147483648
    >>> limits.max_build_bytes = float("nan")
    Traceback (most recent call last):
    ...
    ValueError: max_build_bytes must be a finite real number, got nan
    """

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[str, int] = dict(_DEFAULTS)

    def _get(self, name: str) -> int:
        for _, values in reversed(_OVERRIDES.get()):
            if name in values:
                return values[name]
        return self._values[name]

    @property
    def max_dense_bytes(self) -> int:
        return self._get("max_dense_bytes")

    @max_dense_bytes.setter
    def max_dense_bytes(self, value: Any) -> None:
        self._values["max_dense_bytes"] = as_byte_count(value, "max_dense_bytes")

    @property
    def max_build_bytes(self) -> int:
        return self._get("max_build_bytes")

    @max_build_bytes.setter
    def max_build_bytes(self, value: Any) -> None:
        self._values["max_build_bytes"] = as_byte_count(value, "max_build_bytes")

    @contextmanager
    def override(self, **values: Any) -> Iterator[Limits]:
        """Change limits for the duration of a ``with`` block, then restore them.

        Every value is validated before any is changed, so a bad one leaves
        the limits as they were.  The change is seen only in the current
        thread (or asyncio task) and the code it calls; other threads keep
        the process-wide values.

        >>> from toeplitz_conv import limits, conv_matrix
        >>> with limits.override(max_build_bytes=1000):
        ...     conv_matrix([1, 2, 3], 100)            # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        toeplitz_conv._limits.DenseTooLargeError: building this matrix needs ...
        """
        unknown = sorted(set(values) - set(_NAMES))
        if unknown:
            raise TypeError(f"limits.override() takes only {', '.join(_NAMES)}, "
                            f"got {', '.join(unknown)}")
        layer: _Layer = (object(), {k: as_byte_count(v, k) for k, v in values.items()})
        _OVERRIDES.set((*_OVERRIDES.get(), layer))
        try:
            yield self
        finally:
            _OVERRIDES.set(tuple(item for item in _OVERRIDES.get() if item[0] is not layer[0]))

    def __repr__(self) -> str:
        return (f"Limits(max_dense_bytes={self.max_dense_bytes}, "
                f"max_build_bytes={self.max_build_bytes})")


limits = Limits()


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_dense(shape: tuple[int, ...], itemsize: int, max_bytes: Any = None) -> None:
    """Raise :class:`DenseTooLargeError` if a dense array of ``shape`` is too big.

    ``max_bytes`` (validated like the limits) overrides ``limits.max_dense_bytes``.
    """
    limit = limits.max_dense_bytes if max_bytes is None else as_byte_count(max_bytes,
                                                                            "max_bytes")
    n = itemsize
    for s in shape:
        n *= int(s)
    if n > limit:
        raise DenseTooLargeError(
            f"a dense {' x '.join(map(str, shape))} array needs {_gib(n)}, over the limit "
            f"of {_gib(limit)}; use .sparse, or raise toeplitz_conv.limits.max_dense_bytes "
            f"(or pass max_bytes=)")


def check_build(n_taps: int, what: str = "matrix", *, n_rows: int = 0) -> None:
    """Raise before a builder allocates index tables for ``n_taps`` candidate taps.

    ``n_rows`` counts the per-row arrays (row pointers, row counts) too: a
    matrix with few taps can still have billions of rows.
    """
    # ~5 int64 arrays of the tap count and ~3 of the row count live at once
    # while building.
    need = 40 * int(n_taps) + 24 * int(n_rows)
    if need > limits.max_build_bytes:
        raise DenseTooLargeError(
            f"building this {what} needs about {_gib(need)} of index tables "
            f"({n_taps} taps, {n_rows} rows), over toeplitz_conv.limits.max_build_bytes = "
            f"{_gib(limits.max_build_bytes)}; use a smaller input_shape or raise the limit")

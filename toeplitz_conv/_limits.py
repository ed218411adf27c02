"""Size limits that stop a call before it allocates more memory than intended."""

from __future__ import annotations

__all__ = ["DenseTooLargeError", "check_build", "check_dense", "limits"]


class DenseTooLargeError(MemoryError):
    """A dense array (or a structure) would exceed the configured limit."""


class Limits:
    """Configurable limits, in bytes.

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
    """

    def __init__(self) -> None:
        self.max_dense_bytes: int = 2 * 2**30
        self.max_build_bytes: int = 8 * 2**30

    def __repr__(self) -> str:
        return (f"Limits(max_dense_bytes={self.max_dense_bytes}, "
                f"max_build_bytes={self.max_build_bytes})")


limits = Limits()


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_dense(shape: tuple[int, ...], itemsize: int, max_bytes: int | None = None) -> None:
    """Raise :class:`DenseTooLargeError` if a dense array of ``shape`` is too big."""
    limit = limits.max_dense_bytes if max_bytes is None else max_bytes
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

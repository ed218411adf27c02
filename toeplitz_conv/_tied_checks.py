"""Checks of the raw ``TiedMatrix(...)`` constructor's arrays.

The builders hand the constructor canonical arrays they made themselves and
skip these checks (``TiedMatrix._trusted``); a user calling the public
constructor directly gets one ``TypeError``/``ValueError`` naming the argument
instead of an ``IndexError`` or a silently wrong matrix later.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._validation import INT64_MAX

__all__: list[str] = []


def _index_array(value: Any, name: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a 1-D integer ndarray, got {type(value).__name__}")
    if value.ndim != 1 or value.dtype.kind not in "iu":
        raise TypeError(f"{name} must be a 1-D integer ndarray, got dtype {value.dtype} "
                        f"and shape {value.shape}")
    return value


def _in_range(arr: np.ndarray, name: str, stop: int, what: str) -> None:
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= stop):
        raise ValueError(f"{name} must lie in 0 .. {stop - 1} ({what}), got values "
                         f"{int(arr.min())} .. {int(arr.max())}")


def _shape(value: Any, name: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
            and 0 <= v <= INT64_MAX for v in value):
        raise TypeError(f"{name} must be a tuple of ints >= 0, got {value!r}")
    return tuple(int(v) for v in value)


def check_parts(shape: Any, indptr: Any, indices: Any, tap_weight: Any, weight: Any,
                tap_entry: Any, in_shape: Any, out_shape: Any, data: Any,
                constant: Any) -> None:
    """Raise unless the arrays form a canonical tied CSR matrix of ``shape``."""
    dims = _shape(shape, "shape")
    if len(dims) != 2:
        raise ValueError(f"shape must be (n_out, n_in), got {shape!r}")
    m, n = dims
    indptr = _index_array(indptr, "indptr")
    indices = _index_array(indices, "indices")
    tap_weight = _index_array(tap_weight, "tap_weight")
    if len(indptr) != m + 1 or (m + 1 and (indptr[0] != 0 or indptr[-1] != len(indices))):
        raise ValueError(f"indptr must have {m + 1} entries from 0 to len(indices) = "
                         f"{len(indices)}")
    row_len = np.diff(indptr)
    if (row_len < 0).any():
        raise ValueError("indptr must be non-decreasing")
    _in_range(indices, "indices", n, "the columns")
    # Canonical CSR: strictly increasing columns within every row.
    rising = np.diff(indices) > 0
    starts = indptr[1:-1][(indptr[1:-1] > 0) & (indptr[1:-1] < len(indices))] - 1
    rising[starts] = True     # a new row may start lower
    if not rising.all():
        raise ValueError("indices must be sorted and unique within each row (canonical CSR)")
    try:
        w = np.asarray(weight)
    except (ValueError, TypeError) as exc:     # ragged, or str and bytes mixed (a decode error)
        raise ValueError(f"weight must be a finite numeric array, got {type(weight).__name__} "
                         f"numpy cannot read as one") from exc
    if w.dtype.kind not in "iufcb" or (w.dtype.kind in "fc" and not np.isfinite(w).all()):
        raise ValueError(f"weight must be a finite numeric array, got dtype {w.dtype}")
    _in_range(tap_weight, "tap_weight", max(w.size, 1) if w.size else 0, "the weight's entries")
    if tap_entry is None:
        if len(tap_weight) != len(indices):
            raise ValueError(f"tap_weight must have one entry per stored entry "
                             f"({len(indices)}) when tap_entry is None, got {len(tap_weight)}")
    else:
        tap_entry = _index_array(tap_entry, "tap_entry")
        if len(tap_entry) != len(tap_weight):
            raise ValueError("tap_entry and tap_weight must have the same length")
        _in_range(tap_entry, "tap_entry", len(indices), "the stored entries")
        if (np.diff(tap_entry) < 0).any():
            raise ValueError("tap_entry must be sorted (taps ordered by entry)")
    for value, name, size in ((in_shape, "in_shape", n), (out_shape, "out_shape", m)):
        if value is not None and math.prod(_shape(value, name)) != size:
            raise ValueError(f"{name} {tuple(value)} must have {size} elements")
    for value, name, size in ((data, "data", len(indices)), (constant, "constant", m)):
        if value is not None and (not isinstance(value, np.ndarray) or value.shape != (size,)):
            raise ValueError(f"{name} must be None or an ndarray of shape ({size},)")

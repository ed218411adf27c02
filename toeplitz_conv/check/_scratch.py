"""Scratch arrays for the matrix-free reference, reused from one product to the next.

The im2col gathers of a large layer fill buffers of several megabytes.  A
fresh buffer costs a page fault for every 4 KiB of it, and on a virtual
machine, or where the kernel compacts memory to find huge pages, those
faults cost more than the gather itself (measured: 2 to 12 ms for a 7 MB
buffer whose gather takes 0.35 ms).  Like a caching allocator, this module
keeps a few such buffers per thread and hands one out again once nothing
refers to it any more: an array made from a buffer (a view, a reshape, an
``out=`` result) refers to it, so a buffer still in use is never handed out
twice.  At most :data:`KEEP_BYTES` are kept per thread.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

import numpy as np

__all__ = ["KEEP_BYTES", "clear", "keep_recent", "scratch"]

#: Bytes of scratch buffers kept per thread; larger requests are not kept.
KEEP_BYTES = 64 * 2**20

_LOCAL = threading.local()


def _refs(pool: list[np.ndarray], i: int) -> int:
    return sys.getrefcount(pool[i])


# What _refs reports for a buffer that only the pool holds (interpreters
# count their own temporaries differently).
_FREE = _refs([np.empty(0, dtype=np.uint8)], 0)


def _pool() -> list[np.ndarray]:
    pool = getattr(_LOCAL, "pool", None)
    if pool is None:
        pool = _LOCAL.pool = []
    return pool


def scratch(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype`` from this thread's free buffers.

    >>> a = scratch((2, 3), np.float64)
    >>> b = scratch((2, 3), np.float64)      # a is alive: another buffer
    >>> bool(np.shares_memory(a, b))
    False
    >>> del a, b
    >>> c = scratch((3, 2), np.float32)      # fits in a freed buffer
    >>> c.shape, c.dtype.name
    ((3, 2), 'float32')
    """
    dt = np.dtype(dtype)
    nbytes = math.prod(shape) * dt.itemsize
    pool = _pool()
    for i in range(len(pool)):
        if pool[i].nbytes >= nbytes and _refs(pool, i) <= _FREE:
            return pool[i][:nbytes].view(dt).reshape(shape)
    buf = np.empty(nbytes, dtype=np.uint8)
    if nbytes <= KEEP_BYTES:
        # Keep the new buffer; drop free ones (the oldest first) beyond the budget.
        pool.append(buf)
        kept = sum(b.nbytes for b in pool)
        i = 0
        while kept > KEEP_BYTES and i < len(pool) - 1:
            if _refs(pool, i) <= _FREE:
                kept -= pool.pop(i).nbytes
            else:
                i += 1
    return buf.view(dt).reshape(shape)


def clear() -> None:
    """Let go of this thread's kept buffers (arrays still using one keep it alive).

    >>> clear()
    """
    _pool().clear()


def keep_recent(kept: list[Any], nbytes: Any, most: int, budget: int) -> None:
    """Drop the oldest of ``kept`` until at most ``most`` remain within ``budget`` bytes.

    ``nbytes(item)`` is what an item holds; the newest item always stays
    (the caller is about to use it).  For arrays kept for reuse across the
    calls of one check, beside the scratch buffers.

    >>> kept = [np.zeros(4), np.zeros(4), np.zeros(4)]
    >>> keep_recent(kept, lambda a: a.nbytes, most=5, budget=64)
    >>> len(kept)
    2
    """
    while len(kept) > 1 and (len(kept) > most or sum(map(nbytes, kept)) > budget):
        kept.pop(0)

"""Turn a :class:`~toeplitz_conv.geometry.Geometry` and a weight into a `TiedMatrix`.

With zero padding (the common case) the taps are written straight into
canonical CSR order.  Rows split into *full* rows, whose taps all read the
input, and *edge* rows that lose taps to the padding.  A full row reads
``base[row] + offsets`` with one offsets vector shared by every full row, so
a run of full rows is written with a single broadcast (one pass over its
entries, like filling an array); edge rows, O(perimeter) of them, come from
the geometry's index table and a boolean compress.  The Python loop is over
runs of rows (one per output line), never over entries.

Other boundaries (circular, reflect, ...) can map several taps of a row to
the same input, so their taps go through :meth:`TiedMatrix.from_taps`,
which sorts and sums them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._limits import check_build
from .geometry import Geometry
from .tied import TiedMatrix, _index_dtype

__all__ = ["assemble"]

# Runs bigger than this are filled one by one rather than copied from
# earlier runs (which would read them back from memory).
_CACHE_BYTES = 2**20


def assemble(geom: Geometry, weight: np.ndarray, *, c_in: int = 1, groups: int = 1,
             flip: bool = False, channels: bool = False, conjugate: bool = False,
             info: dict[str, Any] | None = None) -> TiedMatrix:
    """Build the matrix of a grouped, multi-channel cross-correlation.

    Parameters
    ----------
    geom : Geometry
        Spatial geometry (in correlation form).
    weight : ndarray
        ``(C_out, C_in // groups, *kernel)`` when ``channels`` is true, else
        just the kernel (one channel in, one out).
    c_in, groups : int
        Input channels and channel groups (with ``channels``).
    flip : bool
        Reverse the spatial taps (true convolution).  Tap weight indices still
        refer to ``weight`` as given.
    conjugate : bool
        Store ``conj(weight)`` values (scipy's complex correlation).
    """
    n_out = math.prod(geom.out_shape)
    n_k = math.prod(geom.kernel_shape)
    n_in = math.prod(geom.in_shape)
    c_out, c_ig = (weight.shape[0], weight.shape[1]) if channels else (1, 1)
    check_build(c_out * n_out * c_ig * n_k)
    m, n = c_out * n_out, c_in * n_in
    itype = _index_dtype(n, m, weight.size, c_out * n_out * c_ig * n_k)
    meta: dict[str, Any] = {
        "in_shape": ((c_in,) if channels else ()) + geom.in_shape,
        "out_shape": ((c_out,) if channels else ()) + geom.out_shape,
        "conjugate": conjugate, "info": info}

    co = np.arange(c_out, dtype=itype)
    cil = np.arange(c_ig, dtype=itype)
    tap_k = np.arange(n_k, dtype=itype)[::-1] if flip else np.arange(n_k, dtype=itype)
    row_len = c_ig * n_k
    # One row's entries are ordered (input channel, tap); these index one
    # output channel's slice of the weight.
    w_pattern = ((cil * n_k)[:, None] + tap_k[None, :]).ravel()
    chan_col = (cil * n_in).astype(itype)                  # column offset of each input channel
    group_col = ((co // (c_out // groups)) * c_ig * n_in).astype(itype)
    co_w = (co * row_len).astype(itype)

    if not geom.monotone:
        table = geom.table_rows(None, itype)
        cols = (group_col[:, None, None, None] + chan_col[None, None, :, None]
                + table[None, :, None, :])
        widx = co_w[:, None, None] + w_pattern.reshape(1, 1, row_len)
        rows = np.arange(m, dtype=np.int64).reshape(c_out, n_out, 1)
        shape3 = (c_out, n_out, row_len)
        return TiedMatrix.from_taps(
            (m, n), np.broadcast_to(rows, shape3), cols.reshape(shape3),
            np.broadcast_to(widx, shape3), weight, **meta)

    values = weight.reshape(c_out, row_len)
    if conjugate:
        values = values.conj()
    counts = geom.row_counts()
    full = counts == n_k
    per_row = (c_ig * counts).astype(itype)
    pos = np.zeros(n_out + 1, dtype=np.int64)
    np.cumsum(per_row, out=pos[1:])
    per_channel = int(pos[-1])
    indptr = np.zeros(m + 1, dtype=itype)
    np.cumsum(np.tile(per_row, c_out), out=indptr[1:])

    indices = np.empty((c_out, per_channel), dtype=itype)
    tap_weight = np.empty((c_out, per_channel), dtype=itype)
    data = np.empty((c_out, per_channel), dtype=values.dtype)

    edge = np.flatnonzero(~full)
    if len(edge):
        table = geom.table_rows(edge, itype)
        keep = np.broadcast_to((table >= 0)[:, None, :], (len(edge), c_ig, n_k))
        edge_cols = (chan_col[None, :, None] + table[:, None, :])[keep]
        edge_w = np.broadcast_to(w_pattern.reshape(1, c_ig, n_k), keep.shape)[keep]
        # Where each edge entry lands in one output channel's slice: all edge
        # rows are written with one indexed assignment per array.
        starts = pos[edge] - np.concatenate(([0], np.cumsum(per_row[edge])[:-1]))
        dest = np.repeat(starts, per_row[edge]) + np.arange(len(edge_cols))
        indices[:, dest] = group_col[:, None] + edge_cols[None, :]
        tap_weight[:, dest] = co_w[:, None] + edge_w[None, :]
        data[:, dest] = values[:, edge_w]

    offsets = ((chan_col[:, None] + geom.full_row_offsets().astype(itype)[None, :])
               .ravel())
    full_values = values[:, w_pattern]
    full_taps = co_w[:, None] + w_pattern[None, :]
    # Within one line of the last output axis, consecutive full rows read
    # inputs shifted by a constant step; runs are cut at line ends too.
    line = geom.out_shape[-1]
    step = geom.axes[-1].stride
    changes = np.flatnonzero(full[1:] != full[:-1]) + 1
    cuts = (np.unique(np.concatenate((changes, np.arange(line, n_out, line))))
            if line < n_out else changes)
    bounds = np.concatenate(([0], cuts, [n_out]))
    run_full = full[bounds[:-1]] & (pos[bounds[1:]] > pos[bounds[:-1]])
    a_full = bounds[:-1][run_full]
    b_full = bounds[1:][run_full]
    base = geom.row_base(a_full)
    for start, count in _equal_spacing(b_full - a_full, pos[a_full], base):
        r = int(b_full[start] - a_full[start])
        pa = int(pos[a_full[start]])
        spacing = int(pos[a_full[start + 1]] - pa) if count > 1 else r * row_len
        line_step = int(base[start + 1] - base[start]) if count > 1 else 0
        first = group_col[:, None] + int(base[start]) + offsets[None, :]
        for arr, first_row, row_step, run_step in (
                (indices, first, step, line_step), (tap_weight, full_taps, 0, 0),
                (data, full_values, 0, 0)):
            # Runs with equal length and equal spacing (the interior lines of
            # a 2-D output, say) are one strided view, filled by doubling.
            isz = arr.itemsize
            view = np.lib.stride_tricks.as_strided(
                arr[:, pa:], shape=(c_out, count, r, row_len),
                strides=(arr.strides[0], spacing * isz, row_len * isz, isz))
            if c_out * r * row_len * isz > _CACHE_BYTES:
                # Big runs: fill each while it is in cache; the per-run
                # numpy calls are negligible next to the writes.
                for i in range(count):
                    _fill_rows(view[:, i], first_row + i * run_step, row_step)
            else:
                _fill_rows(view[:, 0], first_row, row_step)
                _fill_rows(view, view[:, 0], run_step)
    return TiedMatrix((m, n), indptr, indices.ravel(), tap_weight.ravel(), weight,
                      data=data.ravel(), **meta)


def _equal_spacing(lengths: np.ndarray, starts: np.ndarray,
                   bases: np.ndarray) -> list[tuple[int, int]]:
    """Split runs into groups ``(first, count)`` of equal length and equal spacing.

    Within a group, run ``i`` starts ``i * d`` entries and reads inputs
    ``i * e`` further on than the first, for one ``d`` and one ``e``.
    """
    lengths, starts, bases = lengths.tolist(), starts.tolist(), bases.tolist()
    groups: list[tuple[int, int]] = []
    n = len(lengths)
    i = 0
    while i < n:
        j = i + 1
        if j < n and lengths[j] == lengths[i]:
            d, e = starts[j] - starts[i], bases[j] - bases[i]
            while (j + 1 < n and lengths[j + 1] == lengths[i]
                   and starts[j + 1] - starts[j] == d and bases[j + 1] - bases[j] == e):
                j += 1
            j += 1
        groups.append((i, j - i))
        i = j
    return groups


def _fill_rows(out: np.ndarray, first: np.ndarray, step: int) -> None:
    """``out[:, j, ...] = first + j * step`` for every row ``j`` of the run.

    Filled by doubling: each pass copies the rows written so far, so the work
    is a few long contiguous copies instead of a broadcast with a short
    (kernel-sized) inner loop.
    """
    rows = out.shape[1]
    out[:, 0] = first
    done = 1
    while done < rows:
        n = min(done, rows - done)
        if step:
            np.add(out[:, :n], done * step, out=out[:, done:done + n])
        else:
            out[:, done:done + n] = out[:, :n]
        done += n

"""Ties in max pooling: where a window's maximum is not unique, and what the gradient may do.

At a tie max pooling has no gradient; every split of ``grad_out[o]`` over
the tied maxima of window ``o`` (weights ``>= 0`` summing to 1) is a valid
subgradient.  torch sends it to the first maximum in window order (which is
what :func:`~toeplitz_conv.max_pool_matrix` selects), other code to the last
or shares it.  The check therefore names the tied windows and accepts any
such split there, instead of taking torch's choice as the only answer.

Values closer than the layer's own precision count as tied: a float16
layer cannot tell them apart, so its choice between them is not a bug.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import nnls
from scipy.sparse.csgraph import connected_components

from .._validation import as_int_tuple
from ..pooling import _pool_args
from ._operator import padded_table
from ._scratch import scratch

__all__ = [
    "Tie",
    "find_ties",
    "kernel_shape",
    "tie_routing_fits",
    "tie_text",
    "ties_in",
    "window_table",
    "window_values",
]

# Beyond this many (window, tied tap) unknowns in one group of windows sharing tied
# inputs the split is not solved for (nnls on a dense system).
_MAX_UNKNOWNS = 1500


@dataclass(frozen=True)
class Tie:
    """One window whose maximum is shared: the output and the tied window positions."""

    image: int
    row: int                               # flat output index within the image
    output: tuple[int, ...]                # (c, *out) of the output
    taps: tuple[tuple[int, ...], ...]      # positions in the window, (t_0, t_1, ...)
    inputs: tuple[int, ...]                # flat input indices of the tied taps


def _geometry(in_shape: tuple[int, ...], opts: dict[str, Any]) -> Any:
    _, geom = _pool_args(opts["kernel_size"], in_shape, opts.get("stride"),
                         opts.get("padding", 0), opts.get("dilation", 1),
                         opts.get("ceil_mode", False))
    return geom


def window_table(in_shape: tuple[int, ...], opts: dict[str, Any]
                 ) -> tuple[np.ndarray, tuple[int, ...]]:
    """``(windows, taps)`` input indices of one channel of ``(C, *spatial)``, and the output shape.

    A read of padding points to index ``prod(spatial)``, one past the inputs.

    >>> t, out = window_table((2, 5), {"kernel_size": 3, "stride": 2, "padding": 1})
    >>> t.tolist(), out
    ([[5, 0, 1], [1, 2, 3], [3, 4, 5]], (3,))
    """
    geom = _geometry((1, *in_shape[1:]), opts)
    return padded_table(geom), tuple(geom.out_shape[1:])


def window_values(img: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(vals, top)``: each window's values ``(taps, windows, C)`` and maxima ``(windows, C)``.

    ``img`` is one ``(C, *spatial)`` image; a read of padding is ``-inf``.
    Channels last, so that each window tap gathers whole rows of channels,
    and taps first, so that the maximum over the taps (and each comparison
    with it) runs over contiguous ``(windows, C)`` slabs.

    >>> vals, top = window_values(np.array([[1.0, 3.0, 2.0]]), np.array([[3, 0], [0, 1]]))
    >>> vals[..., 0].T.tolist(), top[:, 0].tolist()
    ([[-inf, 1.0], [1.0, 3.0]], [1.0, 3.0])
    """
    c = img.shape[0]
    n_sp = img.size // max(c, 1)
    padded = scratch((n_sp + 1, c), np.float64)
    padded[:n_sp] = img.reshape(c, n_sp).T
    padded[n_sp] = -np.inf
    taps_first = table.T
    vals = np.take(padded, taps_first, axis=0,
                   out=scratch((*taps_first.shape, c), np.float64), mode="clip")
    return vals, np.maximum.reduce(vals, axis=0)


def ties_in(image: int, vals: np.ndarray, top: np.ndarray, table: np.ndarray,
            in_shape: tuple[int, ...], out_spatial: tuple[int, ...],
            kshape: tuple[int, ...], eps: float) -> list[Tie]:
    """The tied windows of one image from its :func:`window_values`."""
    n_sp, n_win = math.prod(in_shape[1:]), len(table)
    with np.errstate(invalid="ignore"):                    # -inf - inf: all padding
        floor = top - 4.0 * eps * np.abs(top)
    # Counted tap by tap in the smallest integer type (a boolean array's sum
    # along the taps widens each to int64 and took most of the search).
    count = np.zeros(top.shape, np.min_scalar_type(len(vals)))
    hit = np.empty(top.shape, bool)
    for tap_vals in vals:
        count += np.greater_equal(tap_vals, floor, out=hit)
    count[~np.isfinite(top)] = 0
    w_idx, c_idx = np.nonzero(count > 1)
    out: list[Tie] = []
    for r in np.sort(c_idx * n_win + w_idx):               # the outputs in C order
        ch, w = divmod(int(r), n_win)
        taps = np.flatnonzero(vals[:, w, ch] >= floor[w, ch])
        out.append(Tie(image, int(r),
                       (ch, *(int(v) for v in np.unravel_index(w, out_spatial))),
                       tuple(tuple(int(v) for v in np.unravel_index(t, kshape))
                             for t in taps),
                       tuple(ch * n_sp + int(v) for v in table[w, taps])))
    return out


def find_ties(x: np.ndarray, in_shape: tuple[int, ...], opts: dict[str, Any],
              eps: float = 0.0) -> list[Tie]:
    """Every window of every image of ``x`` (``(N, C, *spatial)``) with a shared maximum.

    ``eps``: values within ``4 * eps * |max|`` of the maximum count as equal.

    >>> x = np.array([[[1.0, 3.0, 3.0, 2.0, 0.0, 4.0]]])
    >>> [(t.output, t.taps) for t in find_ties(x, (1, 6), {"kernel_size": 3})]
    [((0, 0), ((1,), (2,)))]
    """
    table, out_spatial = window_table(in_shape, opts)
    kshape = kernel_shape(in_shape, opts)
    out: list[Tie] = []
    for i, img in enumerate(x):
        vals, top = window_values(img, table)
        out += ties_in(i, vals, top, table, in_shape, out_spatial, kshape, eps)
    return out


def kernel_shape(in_shape: tuple[int, ...], opts: dict[str, Any]) -> tuple[int, ...]:
    """The pooling window's shape (``kernel_size`` per spatial axis)."""
    return as_int_tuple(opts["kernel_size"], len(in_shape) - 1, "kernel_size", minimum=1)


def tie_text(ties: list[Tie], in_shape: tuple[int, ...], trial: str, batched: bool,
             shown: int = 3) -> str:
    """``ties in N windows of input 'x': output (..) has equal maxima at window positions ..``."""
    parts = []
    for t in ties[:shown]:
        where = ", ".join(str(tuple(int(v) for v in np.unravel_index(p, in_shape)))
                          for p in t.inputs)
        out = (t.image, *t.output) if batched else t.output
        parts.append(f"output {out} has equal maxima at window positions "
                     f"{', '.join(map(str, t.taps))} (inputs {where})")
    more = f"; and {len(ties) - shown} more" if len(ties) > shown else ""
    return (f"ties in {len(ties)} window{'s' * (len(ties) != 1)} of input '{trial}': "
            + "; ".join(parts) + more)


def _split_system(ties: list[Tie], g: np.ndarray, residual: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``M a = rhs`` (``a >= 0``): each tied window's weights sum to 1 and route ``residual``."""
    unknowns = [(k, p) for k, t in enumerate(ties) for p in t.inputs]
    if len(unknowns) > _MAX_UNKNOWNS:
        return None
    positions = sorted({p for _, p in unknowns})
    where = {p: j for j, p in enumerate(positions)}
    m = np.zeros((len(positions) + len(ties), len(unknowns)))
    for u, (k, p) in enumerate(unknowns):
        m[where[p], u] = g[ties[k].row]
        m[len(positions) + k, u] = 1.0
    rhs = np.concatenate([residual[positions], np.ones(len(ties))])
    return m, rhs, np.asarray(positions, dtype=np.int64)


def tie_routing_fits(ties: list[Tie], gx_user: np.ndarray, gx_first: np.ndarray,
                     g: np.ndarray, first: np.ndarray, tol: float) -> bool | None:
    """Is the user's input gradient of one image a valid split at its ties?

    ``gx_first`` is torch's (everything to the first maximum, whose flat
    input ``first[row]`` each tied row picked); ``g`` the image's flat
    ``grad_out``.  ``None`` when there are too many ties to solve for.
    """
    if not ties:
        return False
    base = gx_first.ravel().copy()
    for t in ties:                       # take the tied windows' share back out
        base[first[t.row]] -= g[t.row]
    residual = gx_user.ravel() - base
    tied_at = sorted({p for t in ties for p in t.inputs})
    outside = np.delete(residual, tied_at)
    if outside.size and np.max(np.abs(outside)) > tol:
        return False
    # Windows that share no tied input are independent: solve each group alone.
    for group in _groups(ties):
        system = _split_system([ties[k] for k in group], g, residual)
        if system is None:
            return None
        m, rhs, _ = system
        _, norm = nnls(m, rhs)
        if norm > tol * max(1.0, np.sqrt(len(rhs))):
            return False
    return True


def _groups(ties: list[Tie]) -> list[list[int]]:
    """The tied windows in groups connected through shared tied inputs."""
    positions = {p: j for j, p in enumerate(sorted({p for t in ties for p in t.inputs}))}
    rows = [k for k, t in enumerate(ties) for _ in t.inputs]
    cols = [len(ties) + positions[p] for t in ties for p in t.inputs]
    n = len(ties) + len(positions)
    graph = sp.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    out: dict[int, list[int]] = {}
    for k in range(len(ties)):
        out.setdefault(int(labels[k]), []).append(k)
    return list(out.values())


def to_every_tied(ties: list[Tie], gx_first: np.ndarray, g: np.ndarray,
                  first: np.ndarray) -> np.ndarray:
    """The gradient of a layer that sends the full ``grad_out`` to every tied maximum."""
    out = gx_first.ravel().copy()
    for t in ties:
        out[first[t.row]] -= g[t.row]
        for p in t.inputs:
            out[p] += g[t.row]
    return out.reshape(gx_first.shape)

"""Textbook definitions, written directly (the independent side of each proof).

Nothing here uses the geometry core: these are the formulas from the seeds
and from ``scipy.signal``'s documentation, so that comparing them with the
tap-built matrices is a real check and not the core against itself.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import sympy

__all__ = ["direct_outputs", "extend", "mode_window"]


def extend(p: int, n: int, boundary: str) -> int | None:
    """Input index read at position ``p`` of an ``n``-sample signal; None = zero.

    ``fill``: zeros outside; ``wrap``: periodic; ``symm``: mirrored with the
    edge sample repeated (period ``2n``).
    """
    if boundary == "fill":
        return p if 0 <= p < n else None
    if boundary == "wrap":
        return p % n
    if boundary == "symm":
        q = p % (2 * n)
        return q if q < n else 2 * n - 1 - q
    raise ValueError(f"boundary must be 'fill', 'wrap' or 'symm', got {boundary!r}")


def mode_window(n: int, k: int, mode: str) -> tuple[int, int]:
    """``(start, count)``: which part of the full result (length ``n + k - 1``) a mode keeps.

    scipy: ``full`` keeps all of it, ``valid`` the outputs where the kernel
    fits (starting at ``k - 1``), ``same`` ``n`` outputs starting at ``(k - 1) // 2``.
    """
    if mode == "full":
        return 0, n + k - 1
    if mode == "valid":
        return k - 1, n - k + 1
    if mode == "same":
        return (k - 1) // 2, n
    raise ValueError(f"mode must be 'full', 'valid' or 'same', got {mode!r}")


def direct_outputs(w: np.ndarray, x: np.ndarray, mode: str = "full", *,
                   correlate: bool = False, boundary: str = "fill",
                   stride: tuple[int, ...] | None = None, flip: bool | None = None,
                   times: Any = None) -> np.ndarray:
    """The convolution (or correlation) of ``x`` with ``w`` from its definition.

    Convolution: ``y[q] = sum_j w[j] x[q - j]``; correlation (scipy's):
    ``y[q] = sum_j conj(w[j]) x[q - (k - 1) + j]``, per axis, ``q`` running
    over the mode's window of the full result, every ``stride``-th kept.
    ``flip`` overrides which of the two sums is written (to pose a wrong claim);
    ``times(a, b)`` multiplies (a cache shared with the other side saves time).

    Returns an object array of sympy expressions, the output's shape.
    """
    nd = w.ndim
    times = times or (lambda a, b: a * b)
    stride = stride or (1,) * nd
    flip = (not correlate) if flip is None else flip
    axes_q = []
    for n, k, s in zip(x.shape, w.shape, stride):
        start, count = mode_window(n, k, mode)
        axes_q.append(list(range(start, start + count, s)))
    values = [sympy.conjugate(v) if correlate else v for v in w.ravel()]
    kidx = list(itertools.product(*(range(k) for k in w.shape)))
    out = np.empty(tuple(len(q) for q in axes_q), dtype=object)
    for o in itertools.product(*(range(len(q)) for q in axes_q)):
        terms = []
        for t, j in enumerate(kidx):
            src = []
            for d in range(nd):
                q = axes_q[d][o[d]]
                p = q - j[d] if flip else q - (w.shape[d] - 1) + j[d]
                i = extend(p, x.shape[d], boundary)
                if i is None:
                    break
                src.append(i)
            else:
                terms.append(times(values[t], x[tuple(src)]))
        out[o] = sympy.Add(*terms)
    return out


def torch_pad_index(p: int, n: int, padding_mode: str) -> int | None:
    """Index read at padded coordinate ``p`` (relative to the unpadded input), PyTorch's modes."""
    if 0 <= p < n:
        return p
    if padding_mode == "zeros":
        return None
    if padding_mode == "circular":
        return p % n
    if padding_mode == "replicate":
        return min(max(p, 0), n - 1)
    if padding_mode == "reflect":           # mirror without repeating the edge sample
        period = 2 * n - 2
        q = p % period if period else 0
        return q if q < n else period - q
    raise ValueError(f"padding_mode must be zeros, circular, replicate or reflect, "
                     f"got {padding_mode!r}")


def layer_outputs(w: np.ndarray, x: np.ndarray, *, stride: tuple[int, ...],
                  pads: tuple[tuple[int, int], ...], dilation: tuple[int, ...], groups: int,
                  padding_mode: str, flip: bool = False, times: Any = None) -> np.ndarray:
    """``torch.nn.functional.convNd`` written from PyTorch's documentation.

    ``out[o, i] = sum_{c in o's group} sum_t w[o, c, t] xpad[c, s i + d t]``, a
    cross-correlation; output length ``floor((n + p_l + p_r - d (k - 1) - 1) / s) + 1``.
    ``flip=True`` reverses the taps (to pose the wrong, convolution, claim).
    """
    times = times or (lambda a, b: a * b)
    c_out, c_ig = w.shape[:2]
    kshape, spatial = w.shape[2:], x.shape[1:]
    out_sp = tuple((n + pl + pr - d * (k - 1) - 1) // s + 1
                   for n, k, s, d, (pl, pr) in zip(spatial, kshape, stride, dilation, pads))
    per_group = c_out // groups
    out = np.empty((c_out, *out_sp), dtype=object)
    for o in range(c_out):
        first_c = (o // per_group) * c_ig
        for pos in itertools.product(*(range(m) for m in out_sp)):
            terms = []
            for c in range(c_ig):
                for t in itertools.product(*(range(k) for k in kshape)):
                    src = _source(pos, t, kshape, spatial, stride, dilation, pads,
                                  padding_mode, flip)
                    if src is not None:
                        terms.append(times(w[(o, c, *t)], x[(first_c + c, *src)]))
            out[(o, *pos)] = sympy.Add(*terms)
    return out


def layer_weight_grad(w_shape: tuple[int, ...], x: np.ndarray, g: np.ndarray, *,
                      stride: tuple[int, ...], pads: tuple[tuple[int, int], ...],
                      dilation: tuple[int, ...], groups: int, padding_mode: str,
                      flip: bool = False) -> list[Any]:
    """``dL/dw[o, c, t] = sum_i g[o, i] xpad[c', s i + d t - p]`` from PyTorch's definition."""
    c_out, c_ig = w_shape[:2]
    kshape, spatial = w_shape[2:], x.shape[1:]
    per_group = c_out // groups
    out = []
    for o, c, *t in itertools.product(*(range(v) for v in w_shape)):
        cc = (o // per_group) * c_ig + c
        terms = []
        for pos in itertools.product(*(range(m) for m in g.shape[1:])):
            src = _source(pos, t, kshape, spatial, stride, dilation, pads, padding_mode, flip)
            if src is not None:
                terms.append(g[(o, *pos)] * x[(cc, *src)])
        out.append(sympy.Add(*terms))
    return out


def _source(pos: tuple[int, ...], t: tuple[int, ...], kshape: tuple[int, ...],
            spatial: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
            pads: tuple[tuple[int, int], ...], padding_mode: str,
            flip: bool) -> tuple[int, ...] | None:
    """Input index read by output ``pos`` with tap ``t`` (PyTorch's definition); None = zero."""
    src = []
    for d_ in range(len(kshape)):
        tt = kshape[d_] - 1 - t[d_] if flip else t[d_]
        p = pos[d_] * stride[d_] + tt * dilation[d_] - pads[d_][0]
        i = torch_pad_index(p, spatial[d_], padding_mode)
        if i is None:
            return None
        src.append(i)
    return tuple(src)

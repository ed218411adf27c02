"""`identify`'s transposed and pooling candidates.

A transposed layer's matrix is the transpose of a conv layer's on its output
shape, so each axis is pruned through that conv's geometry (the axis's
non-zero pattern, transposed) with the output size fixing the padding for
each kernel, stride, dilation and ``output_padding``; survivors are built by
:func:`~toeplitz_conv.transposed_layer_matrix` and their weight read off the
matrix.  Average pooling has no free weight: each axis is pruned by
:func:`~toeplitz_conv.geometry.pool_axis`'s output size and pattern, and a
candidate fits when :func:`~toeplitz_conv.avg_pool_matrix` equals the
extracted matrix.  Max pooling is not linear (it has no matrix to extract):
candidates are compared with the black box on inputs of distinct values
through :func:`~toeplitz_conv.max_pool_matrix`'s selection.

Every search is bounded like the layer's: a kernel, stride or dilation
beyond an axis's length changes nothing more, so the limits are cut there
before anything is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._limits import check_dense
from ..geometry import Geometry, layer_geometry, pool_axis, pool_padding_limit
from ..layers import transposed_layer_matrix
from ..pooling import avg_pool_matrix, max_pool_matrix

__all__ = ["avg_pool_candidates", "max_pool_candidates", "transposed_candidates"]

_PER_AXIS = 4        # options kept per axis before the product over axes
_COMBOS = 40         # combinations built


def _bounded(limit: int, n: int) -> range:
    """``1 .. min(limit, n)``: a stride or dilation beyond the axis length adds nothing."""
    return range(1, min(limit, max(n, 1)) + 1)


def _transposed_axis(n: int, n_out: int, m: np.ndarray, limits: dict[str, int],
                     axis_fit: Callable[..., tuple[bool, int]]
                     ) -> list[tuple[int, int, int, int, int]]:
    """``(k, stride, dilation, padding, output_padding)`` reproducing one axis's pattern."""
    out: list[tuple[int, int, int, int, int]] = []
    for k in _bounded(limits["max_kernel"], 3 * n_out):
        for d in (_bounded(limits["max_dilation"], n_out) if k > 1 else range(1, 2)):
            for st in _bounded(limits["max_stride"], n_out):
                for op in range(max(st, d)):
                    # The output size fixes the padding: n_out = (n - 1) s - 2 p + span + op.
                    twice = (n - 1) * st + d * (k - 1) + op + 1 - n_out
                    if twice < 0 or twice % 2 or twice // 2 > d * (k - 1):
                        continue
                    p = twice // 2
                    try:
                        g = layer_geometry((k,), (n_out,), stride=st, dilation=d,
                                           padding=((p, max(p - op, 0)),))
                    except ValueError:
                        continue
                    if g.out_shape != (n,):
                        continue
                    ok, _ = axis_fit(g, m.T, True)
                    if ok:
                        out.append((k, st, d, p, op))
    # Simplest first: no output_padding, small kernels, stride and dilation.
    return sorted(out, key=lambda o: (o[4], o[0], o[2], o[1], o[3]))[:_PER_AXIS]


def transposed_candidates(s: sp.csr_array, in_shape: tuple[int, ...],
                          out_shape: tuple[int, ...], limits: dict[str, int],
                          tools: dict[str, Any], exact: bool, rtol: float) -> list[Any]:
    """Transposed layers (PyTorch's ``conv_transpose``) fitting the matrix ``s``."""
    nd = len(in_shape) - 1
    if nd < 1 or len(out_shape) != len(in_shape):
        return []
    margs = tools["marginals"](s, in_shape, out_shape, range(1, nd + 1))
    per_axis = [_transposed_axis(in_shape[a + 1], out_shape[a + 1], margs[a], limits,
                                 tools["axis_fit"]) for a in range(nd)]
    c_in, c_out = in_shape[0], out_shape[0]
    found = []
    for choice in itertools.islice(itertools.product(*per_axis), _COMBOS):
        k = tuple(c[0] for c in choice)
        params: dict[str, Any] = {
                  "stride": tuple(c[1] for c in choice), "dilation": tuple(c[2] for c in choice),
                  "padding": tuple(c[3] for c in choice),
                  "output_padding": tuple(c[4] for c in choice)}
        for g in tools["divisors"](c_in, c_out):
            try:
                st = transposed_layer_matrix(np.ones((c_in, c_out // g, *k)), in_shape,
                                             groups=g, **params)
            except ValueError:
                continue
            cand = tools["candidate"]("transposed", {**params, "groups": g, "correlate": True},
                                      st.weight)
            c = tools["fit"](st, s, cand, not exact, rtol)
            if c is not None:
                found.append(c)
                break
    return found


def _pool_axes(n: int, n_out: int, limits: dict[str, int], dilation: bool,
               m: np.ndarray | None, axis_fit: Callable[..., tuple[bool, int]] | None
               ) -> list[tuple[int, int, int, int, bool]]:
    """``(k, stride, padding, dilation, ceil_mode)`` giving ``n_out`` windows (and the pattern)."""
    out = []
    for k in _bounded(limits["max_kernel"], n + 1):
        for d in (_bounded(limits["max_dilation"], n) if dilation and k > 1 else range(1, 2)):
            for st in _bounded(limits["max_stride"], n):
                for p in range(min(pool_padding_limit(k), n) + 1):
                    for ceil in (False, True):
                        try:
                            ax = pool_axis(n, k, stride=st, padding=p, dilation=d,
                                           ceil_mode=ceil)
                        except ValueError:
                            continue
                        if ax.out_size != n_out:
                            continue
                        if m is not None and axis_fit is not None and \
                                not axis_fit(Geometry((ax,)), m, False)[0]:
                            continue
                        out.append((k, st, p, d, ceil))
    # Simplest first: stride = kernel (the default), no padding, no ceil_mode.
    return sorted(dict.fromkeys(out), key=lambda o: (o[1] != o[0], o[2], o[4], o[3], o[0]))


def _pool_params(choice: tuple[tuple[int, int, int, int, bool], ...]) -> dict[str, Any]:
    k = tuple(c[0] for c in choice)
    st = tuple(c[1] for c in choice)
    return {"kernel_size": k, "stride": st, "padding": tuple(c[2] for c in choice),
            "ceil_mode": any(c[4] for c in choice)}


def avg_pool_candidates(s: sp.csr_array, in_shape: tuple[int, ...], out_shape: tuple[int, ...],
                        limits: dict[str, int], tools: dict[str, Any], rtol: float) -> list[Any]:
    """Average pooling layers whose matrix is ``s`` (exactly, up to ``rtol``)."""
    nd = len(in_shape) - 1
    if nd < 1 or len(out_shape) != len(in_shape) or out_shape[0] != in_shape[0]:
        return []
    margs = tools["marginals"](s, in_shape, out_shape, range(1, nd + 1))
    per_axis = [_pool_axes(in_shape[a + 1], out_shape[a + 1], limits, False, margs[a],
                           tools["axis_fit"])[:_PER_AXIS] for a in range(nd)]
    found = []
    scale = float(np.max(np.abs(s.data), initial=0.0))
    for choice in itertools.islice(itertools.product(*per_axis), _COMBOS):
        # ceil_mode is one flag for all axes: a mix is no torch layer.
        if len({c[4] for c in choice}) > 1:
            continue
        params = _pool_params(choice)
        for cip in (True, False):
            try:
                a = avg_pool_matrix(params["kernel_size"], in_shape, stride=params["stride"],
                                    padding=params["padding"], ceil_mode=params["ceil_mode"],
                                    count_include_pad=cip)
            except ValueError:
                continue
            diff = sp.csr_array(sp.csr_array(a.sparse) - s)
            err = float(np.max(np.abs(diff.data), initial=0.0))
            if err <= rtol * scale:
                k = params["kernel_size"]
                found.append(tools["candidate"](
                    "avg_pool", {**params, "count_include_pad": cip},
                    np.full(k, 1.0 / float(np.prod(k))), a))
                break
    return found


def _distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random input whose values are all different (no tie decides a maximum)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) / max(size, 1) - 0.5 + 1e-3 * rng.random(size)).reshape(shape)


def _pool_line_fits(v: np.ndarray, o: tuple[int, int, int, int, bool], line: np.ndarray) -> bool:
    k, st, p, d, ceil = o
    try:
        want = max_pool_matrix(v[None], k, stride=st, padding=p, dilation=d,
                               ceil_mode=ceil).apply(v[None])[0]
    except ValueError:
        return False
    return want.shape == line.shape and bool(np.allclose(want, line, rtol=1e-6, atol=1e-9))


def max_pool_candidates(forward: Callable[[np.ndarray], Any], in_shape: tuple[int, ...],
                        limits: dict[str, int], seed: int, tools: dict[str, Any]) -> list[Any]:
    """Max pooling layers reproducing ``forward`` on two inputs of distinct values."""
    nd = len(in_shape) - 1
    if nd < 1:
        return []
    # Every probe is one input: refuse before making one that cannot fit.
    check_dense(in_shape, 8)
    rng = np.random.default_rng(seed)
    xs = [_distinct(rng, in_shape) for _ in range(2)]
    ys = []
    for x in xs:
        y = np.asarray(forward(x), dtype=np.float64)
        if y.ndim != len(in_shape) or y.shape[0] != in_shape[0]:
            return []
        ys.append(y)
    out_shape = ys[0].shape
    per_axis = []
    for a in range(nd):
        # An input that varies along axis a only: each output along a is the
        # maximum of that axis's window, whatever the other axes do.
        n = in_shape[a + 1]
        v = rng.permutation(n) / max(n, 1) - 0.5
        x = np.broadcast_to(v.reshape([n if i == a + 1 else 1 for i in range(nd + 1)]),
                            in_shape).copy()
        y = np.asarray(forward(x), dtype=np.float64)
        if y.shape != out_shape:
            return []
        line = y[tuple([0] + [slice(None) if i == a else 0 for i in range(nd)])]
        opts = [o for o in _pool_axes(n, out_shape[a + 1], limits, True, None, None)
                if _pool_line_fits(v, o, line)]
        per_axis.append(opts[:_PER_AXIS])
    found = []
    for choice in itertools.islice(itertools.product(*per_axis), _COMBOS):
        if len({c[4] for c in choice}) > 1:
            continue
        params = {**_pool_params(choice), "dilation": tuple(c[3] for c in choice)}
        try:
            fits = all(np.allclose(max_pool_matrix(x, **params).apply(x), y, rtol=1e-6,
                                   atol=1e-9) for x, y in zip(xs, ys))
        except ValueError:
            continue
        if fits:
            found.append(tools["candidate"]("max_pool", params,
                                            np.ones(params["kernel_size"])))
            if len(found) >= 6:
                break
    return found

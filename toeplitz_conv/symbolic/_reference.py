"""The independent side of every proof: convolutions written from their definitions.

Everything here is written from the definitions themselves -- the formulas
in ``scipy.signal.convolve``/``correlate``'s and ``convolve2d``'s
documentation, in PyTorch's ``torch.nn.functional.conv*d`` and
``torch.nn.Conv*d`` documentation, and the chain rule -- as plain loops over
output and kernel indices.  This module never imports the geometry core
(:mod:`toeplitz_conv.geometry`), the tap assembler or any builder
(``conv_matrix``, ``layer_matrix``, ...): a proof compares these sums with the
matrices the builders place, so sharing their index arithmetic would make
each proof the core checked against itself.  ``tests/test_symbolic.py``
parses this file and fails if such an import appears.

Every helper that takes ``flip`` (or a wrong split) can state a deliberately
wrong claim, which the proofs use to show that they can fail.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import sympy

__all__ = [
    "affected_rows",
    "band_taps",
    "circular_outputs",
    "data_definition_row",
    "data_reference_taps",
    "direct_outputs",
    "extend",
    "gradient_definition",
    "input_grad_definition_row",
    "input_gradient_definition",
    "layer_definition_count",
    "layer_definition_row",
    "layer_outputs",
    "layer_reference_taps",
    "layer_weight_grad",
    "mode_window",
    "read_extended",
    "shift_matrix",
    "signal_definition_count",
    "signal_definition_row",
    "signal_reference_taps",
    "source_position",
    "strided_count",
    "tf_same_pads",
    "torch_pad_index",
    "torch_pads",
    "transposed_definition_column",
    "transposed_definition_count",
    "transposed_framework_size",
    "transposed_layer_outputs",
    "transposed_reference_taps",
    "valid_boundary",
    "weight_grad_definition_entry",
]


def valid_boundary(mode: str, boundary: str) -> str:
    """``convolve2d`` ignores the boundary in ``valid`` mode: outside the input is zero."""
    return "fill" if mode == "valid" else boundary


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

    scipy: ``full`` keeps all of it, ``valid`` the outputs where one operand
    lies wholly inside the other (starting at ``min(n, k) - 1``: scipy swaps
    them when the kernel is longer), ``same`` ``n`` outputs starting at
    ``(k - 1) // 2``.
    """
    if mode == "full":
        return 0, n + k - 1
    if mode == "valid":
        if isinstance(n, int) and isinstance(k, int) and k > n:
            return n - 1, k - n + 1          # scipy swaps the operands
        return k - 1, n - k + 1
    if mode == "same":
        return (k - 1) // 2, n
    raise ValueError(f"mode must be 'full', 'valid' or 'same', got {mode!r}")


def source_position(q: Any, j: Any, k: Any, flip: bool) -> Any:
    """Position in the input read by full-result position ``q`` with kernel tap ``j``.

    Convolution (``flip=True``): ``y[q] = sum_j w[j] x[q - j]``.  scipy's
    correlation (``flip=False``): ``y[q] = sum_j w[j] x[q - (k - 1) + j]``, the
    kernel sliding over the same full-length result.  Works on ints and on
    sympy expressions alike.
    """
    return q - j if flip else q - (k - 1) + j


def _source_sample(axes_q: list[list[int]], o: tuple[int, ...], j: tuple[int, ...],
                   w_shape: tuple[int, ...], x_shape: tuple[int, ...], mode: str, boundary: str,
                   flip: bool) -> tuple[int, ...] | None:
    """The input sample output ``o`` multiplies by tap ``j`` (per axis, extended per
    ``boundary``), or None where it reads a zero."""
    src = []
    if mode == "circular":
        # y[q] = sum_j w[j] x[(q - j) mod n]; the correlation reads x[(q + j) mod n].
        return tuple((axes_q[d][o[d]] + (-j[d] if flip else j[d])) % x_shape[d]
                     for d in range(len(w_shape)))
    for d in range(len(w_shape)):
        p = source_position(axes_q[d][o[d]], j[d], w_shape[d], flip)
        i = extend(p, x_shape[d], valid_boundary(mode, boundary))
        if i is None:
            return None
        src.append(i)
    return tuple(src)


def direct_outputs(w: np.ndarray, x: np.ndarray, mode: str = "full", *,
                   correlate: bool = False, boundary: str = "fill",
                   stride: tuple[int, ...] | None = None, flip: bool | None = None,
                   times: Any = None, conjugate: bool | None = None,
                   plus: Any = None) -> np.ndarray:
    """The convolution (or correlation) of ``x`` with ``w`` from its definition.

    Convolution: ``y[q] = sum_j w[j] x[q - j]``; correlation (scipy's):
    ``y[q] = sum_j conj(w[j]) x[q - (k - 1) + j]``, per axis, ``q`` running
    over the mode's window of the full result, every ``stride``-th kept.
    ``mode="circular"``: ``y[q] = sum_j w[j] x[(q - j) mod n]`` and the
    correlation ``sum_j conj(w[j]) x[(q + j) mod n]``, ``q = 0 .. n - 1``
    (the DFT's circular convolution and correlation).
    ``flip`` overrides which of the two sums is written (to pose a wrong claim);
    ``conjugate`` as in :func:`~toeplitz_conv.symbolic.symbolic_matrix`;
    ``times(a, b)`` multiplies and ``plus(terms)`` adds (caches shared with the other
    side save time).

    Returns an object array of sympy expressions, the output's shape.
    """
    nd = w.ndim
    times = times or (lambda a, b: a * b)
    plus = plus or (lambda t: sympy.Add(*t))
    stride = stride or (1,) * nd
    flip = (not correlate) if flip is None else flip
    axes_q = []
    for n, k, s in zip(x.shape, w.shape, stride):
        # The circular convolution has one output per input sample.
        start, count = (0, n) if mode == "circular" else mode_window(n, k, mode)
        axes_q.append(list(range(start, start + count, s)))
    # scipy conjugates a correlation's weights; a symbol sympy does not know to
    # be complex stands for a real weight (``conjugate=True`` conjugates all).
    values = [sympy.conjugate(v) if correlate and (
        conjugate if conjugate is not None else sympy.sympify(v).is_real is False) else v
        for v in w.ravel()]
    kidx = list(itertools.product(*(range(k) for k in w.shape)))
    out = np.empty(tuple(len(q) for q in axes_q), dtype=object)
    for o in itertools.product(*(range(len(q)) for q in axes_q)):
        terms = []
        for t, j in enumerate(kidx):
            src = _source_sample(axes_q, o, j, w.shape, x.shape, mode, boundary, flip)
            if src is not None:
                terms.append(times(values[t], x[src]))
        out[o] = plus(terms)
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
                        w_at, x_at = (o, c, *t), (first_c + c, *src)
                        terms.append(times(w[w_at], x[x_at]))
            out_at = (o, *pos)
            out[out_at] = sympy.Add(*terms)
    return out


def layer_weight_grad(w_shape: tuple[int, ...], x: np.ndarray, g: np.ndarray, *,
                      stride: tuple[int, ...], pads: tuple[tuple[int, int], ...],
                      dilation: tuple[int, ...], groups: int, padding_mode: str,
                      flip: bool = False, times: Any = None) -> list[Any]:
    """``dL/dw[o, c, t] = sum_i g[o, i] xpad[c', s i + d t - p]`` from PyTorch's definition."""
    times = times or (lambda a, b: a * b)
    c_out, c_ig = w_shape[:2]
    kshape, spatial = w_shape[2:], x.shape[1:]
    per_group = c_out // groups
    out = []
    for o, c, *t in itertools.product(*(range(v) for v in w_shape)):
        cc = (o // per_group) * c_ig + c
        terms = []
        for pos in itertools.product(*(range(m) for m in g.shape[1:])):
            src = _source(pos, tuple(t), kshape, spatial, stride, dilation, pads,
                          padding_mode, flip)
            if src is not None:
                g_at, x_at = (o, *pos), (cc, *src)
                terms.append(times(g[g_at], x[x_at]))
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


def torch_pads(padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], *,
               sizes: tuple[int, ...] | None = None, stride: tuple[int, ...] | None = None
               ) -> tuple[tuple[int, int], ...]:
    """``(before, after)`` per spatial axis, as PyTorch (and JAX) document ``padding``.

    An int pads every side; a tuple of ints pads both sides of each axis;
    a tuple of ``(before, after)`` pairs is JAX's per-side form (what
    ``torch.nn.functional.pad`` followed by an unpadded conv does);
    ``'valid'`` (``'VALID'``) is none; ``'same'`` pads ``dilation * (kernel - 1)`` in
    all, the odd extra after (PyTorch's ``_conv_forward``); TensorFlow's ``'SAME'``
    (:func:`tf_same_pads`) needs ``sizes`` and ``stride`` when a stride is above 1, as
    does JAX's ``'SAME_LOWER'`` (the same total, the odd extra pad before).
    The arguments are assumed already validated by the builder under test.
    """
    nd = len(kernel)
    if isinstance(padding, str) and padding in ("SAME", "SAME_LOWER"):
        # TensorFlow's rule depends on the input size when the stride is above 1.
        st = stride or (1,) * nd
        if sizes is None:
            if any(s != 1 for s in st):
                raise ValueError("padding='SAME' with a stride above 1 needs the input sizes")
            sizes = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        pairs = tuple(tf_same_pads(n, k, s, d)
                      for n, k, s, d in zip(sizes, kernel, st, dilation))
        # JAX's 'SAME_LOWER': the same total, the odd extra pad before.
        return pairs if padding == "SAME" else tuple((b, a) for a, b in pairs)
    if isinstance(padding, str):
        if padding.lower() == "valid":
            return ((0, 0),) * nd
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * nd
    if all(isinstance(p, (tuple, list)) for p in padding):
        return tuple((int(p[0]), int(p[1])) for p in padding)
    return tuple((int(p), int(p)) for p in padding)


def gradient_definition(w_shape: tuple[int, ...], x: np.ndarray, g: np.ndarray, mode: str,
                        boundary: str, stride: tuple[int, ...], flip: bool,
                        times: Any = None) -> list[Any]:
    """``dL/dw_j = sum_o g_o x[p(o, j)]``: the cross-correlation of the gradient with the input.

    By the chain rule, ``dL/dw_j = sum_o g_o dy_o/dw_j`` and ``dy_o/dw_j`` is
    the input sample that output ``o`` multiplies by ``w_j`` (:func:`source_position`
    of the output's position ``q`` in the full result, extended per
    ``boundary``).  One entry per weight, in C order.  ``times(a, b)`` multiplies.
    """
    times = times or (lambda a, b: a * b)
    axes_q = []
    for n, k, s in zip(x.shape, w_shape, stride):
        start, count = mode_window(n, k, mode)
        axes_q.append(list(range(start, start + count, s)))
    out = []
    for j in np.ndindex(*w_shape):
        terms = []
        for o in np.ndindex(*g.shape):
            src = _source_sample(axes_q, o, j, w_shape, x.shape, mode, boundary, flip)
            if src is not None:
                terms.append(times(g[o], x[src]))
        out.append(sympy.Add(*terms))
    return out


def shift_matrix(size: int, shift: int, circular: bool) -> sympy.Matrix:
    """The delay ``(S x)_i = x_{i - shift}``: cyclic, or with zeros shifted in."""
    s = sympy.zeros(size, size)
    for i in range(size):
        j = i - shift
        if circular:
            s[i, j % size] = 1
        elif 0 <= j < size:
            s[i, j] = 1
    return s


def affected_rows(n: int, k: int, mode: str, shift: int) -> list[int]:
    """Rows where ``A S x != S A x`` for zero padding, from the reading windows.

    Output ``o`` (at position ``q`` of the full result) reads ``x_p`` for
    ``q - k + 1 <= p <= q``.  After delaying the input by ``s``, row ``o`` of
    ``A S x`` reads the original ``x_p``, ``q - s - k + 1 <= p <= q - s``,
    restricted to ``p <= n - 1 - s`` (the last ``s`` samples fall off);
    row ``o`` of ``S A x`` is row ``o - s`` of ``A x`` (zero for ``o < s``),
    which reads the same window restricted to ``p <= n - 1``.  They differ
    exactly where the window meets the samples that fell off (``o >= s``),
    or, for ``o < s``, where ``A S x`` reads anything at all.
    """
    start, count = mode_window(n, k, mode)
    rows = []
    for o in range(count):
        lo, hi = start + o - shift - k + 1, start + o - shift
        if o >= shift:
            hit = max(lo, n - shift) <= min(hi, n - 1)
        else:
            hit = max(lo, 0) <= min(hi, n - 1 - shift)
        if hit:
            rows.append(o)
    return rows


def band_taps(k: int, n: int, m_out: int, stride: int, pad_before: int,
              correlate: bool) -> set[tuple[int, int, int]]:
    """Taps ``(i, j, weight)`` of the band formula ``A[i, j] = w[j - s i + p]`` (reversed
    for a convolution), for concrete sizes.

    The entry formula that :func:`~toeplitz_conv.symbolic.prove_equivalence_general`
    proves for all ``n``, written out by hand so that it can be compared with
    ``conv_matrix``'s taps; ``pad_before`` (``p``) is passed in.
    """
    out = set()
    for i in range(m_out):
        for j in range(n):
            t = j - stride * i + pad_before          # correlation-form tap index
            widx = t if correlate else k - 1 - t
            if 0 <= t < k:
                out.add((i, j, widx))
    return out


# ------------------------------------------------ definitions for a symbolic size
def read_extended(x: Any, p: tuple[Any, ...], n: tuple[Any, ...], boundary: str,
                  prefix: tuple[Any, ...] = ()) -> Any:
    """``x~[p]``: the input extended outside ``0..n-1`` per axis, for symbolic ``p`` and ``n``.

    ``fill`` / ``zeros``: zero outside (scipy's ``fillvalue=0``, PyTorch's zero padding);
    ``wrap`` / ``circular``: periodic, ``x[p mod n]``; ``symm``, ``reflect``,
    ``replicate`` (one axis): see :func:`_mirrored`.  ``x`` is a sympy ``IndexedBase``
    indexed by ``prefix`` (e.g. a channel) and then the position.
    """
    if boundary in ("fill", "zeros"):
        inside = sympy.And(*(sympy.And(pp >= 0, pp <= nn - 1) for pp, nn in zip(p, n)))
        at = tuple(prefix) + tuple(p)
        return sympy.Piecewise((x[at], inside), (0, True))
    if boundary in ("wrap", "circular"):
        at = tuple(prefix) + tuple(sympy.Mod(pp, nn) for pp, nn in zip(p, n))
        return x[at]
    if boundary in ("symm", "reflect", "replicate"):
        if len(p) != 1:
            raise ValueError("a mirrored or replicated extension is written for one axis")
        return _mirrored(x, p[0], n[0], boundary, tuple(prefix))
    raise ValueError(f"a symbolic-size definition is written for zero, circular, symm, "
                     f"reflect or replicate extension, not {boundary!r}")


def _mirrored(x: Any, p: Any, n: Any, boundary: str, prefix: tuple[Any, ...]) -> Any:
    """One fold of a mirror (or the edge value) on each side, from the definitions.

    scipy's ``symm`` mirrors with the edge sample repeated: ``x~[-1-e] = x[e]``
    and ``x~[n+e] = x[n-1-e]``.  PyTorch's ``reflect`` mirrors about the edge
    sample without repeating it: ``x~[-e] = x[e]``, ``x~[n-1+e] = x[n-1-e]``.
    ``replicate`` repeats the edge sample: ``x~[p] = x[0]`` left of the
    input, ``x[n-1]`` right of it.  A mirror is written for one fold
    (``0 <= e <= n - 1``); a position further out is left ``nan``, so a claim
    relying on it cannot hold.
    """
    def at(j: Any) -> Any:
        return x[prefix + (j,)] if prefix else x[j]
    inside = sympy.And(p >= 0, p <= n - 1)
    if boundary == "replicate":
        return sympy.Piecewise((at(0), p < 0), (at(p), inside), (at(n - 1), True))
    if boundary == "symm":
        left, right = (at(-1 - p), p >= -n), (at(2 * n - 1 - p), p <= 2 * n - 1)
    else:
        left, right = (at(-p), p >= -(n - 1)), (at(2 * n - 2 - p), p <= 2 * n - 2)
    return sympy.Piecewise((left[0], sympy.And(p < 0, left[1])), (at(p), inside),
                           (right[0], sympy.And(p >= n, right[1])), (sympy.nan, True))


def strided_count(count: Any, stride: int) -> Any:
    """How many of ``count`` outputs ``range(0, count, stride)`` keeps: ``ceil(count / s)``."""
    return sympy.ceiling(sympy.sympify(count) / stride)


def signal_definition_row(w: Any, x: Any, i: tuple[Any, ...], n: tuple[Any, ...],
                          kshape: tuple[int, ...], mode: str, boundary: str,
                          stride: tuple[int, ...], flip: bool, conj: bool) -> Any:
    """Output ``i`` (a multi-index, symbols allowed) of scipy's convolution/correlation
    of an input of symbolic shape ``n``, from the definition.

    ``y[q] = sum_j w[j] x~[q - j]`` (convolution) or ``sum_j conj(w[j]) x~[q - (k-1) + j]``
    (scipy's correlation), per axis, with ``q = s i + start`` and ``start`` from
    :func:`mode_window`.  ``w`` maps a kernel multi-index to its value.
    """
    terms = []
    qs = [s * ii + mode_window(nn, k, mode)[0] for ii, nn, k, s in zip(i, n, kshape, stride)]
    for j in itertools.product(*(range(k) for k in kshape)):
        p = tuple(source_position(q, jj, k, flip) for q, jj, k in zip(qs, j, kshape))
        v = w(j)
        terms.append((sympy.conjugate(v) if conj else v)
                     * read_extended(x, p, n, valid_boundary(mode, boundary)))
    return sympy.Add(*terms)


def signal_definition_count(n: Any, k: Any, mode: str, stride: int) -> Any:
    """Number of outputs of scipy's ``mode`` along one axis, every ``stride``-th kept."""
    return strided_count(mode_window(n, k, mode)[1], stride)


def layer_definition_row(w: Any, x: Any, o: int, i: tuple[Any, ...], n: tuple[Any, ...],
                         w_shape: tuple[int, ...], stride: tuple[int, ...],
                         pads: tuple[tuple[int, int], ...], dilation: tuple[int, ...],
                         groups: int, padding_mode: str, flip: bool = False) -> Any:
    """``out[o, i] = sum_c sum_t w[o, c, t] xpad[c', s i + d t - p]`` (PyTorch) for symbolic
    ``i`` and spatial sizes ``n``; ``x`` is indexed ``x[channel, *position]``."""
    c_out, c_ig = w_shape[:2]
    kshape = w_shape[2:]
    first_c = (o // (c_out // groups)) * c_ig
    terms = []
    for c in range(c_ig):
        for t in itertools.product(*(range(k) for k in kshape)):
            tt = tuple(k - 1 - v for k, v in zip(kshape, t)) if flip else t
            p = tuple(ii * s + v * d - pb
                      for ii, s, v, d, (pb, _) in zip(i, stride, tt, dilation, pads))
            terms.append(w((o, c, *t))
                         * read_extended(x, p, n, padding_mode, prefix=(first_c + c,)))
    return sympy.Add(*terms)


def layer_definition_count(n: Any, k: int, stride: int, pads: tuple[int, int],
                           dilation: int) -> Any:
    """PyTorch's ``floor((n + p_l + p_r - d (k - 1) - 1) / s) + 1``."""
    return sympy.floor(sympy.sympify(n + pads[0] + pads[1] - dilation * (k - 1) - 1)
                       / stride) + 1


def circular_outputs(w: np.ndarray, x: np.ndarray, flip: bool = True) -> list[Any]:
    """The circular convolution ``y_i = sum_m w_m x_{(i - m) mod n}`` from its definition
    (``flip=False``: the circular correlation ``sum_m w_m x_{(i + m) mod n}``)."""
    n = len(x)
    return [sympy.Add(*(w[m] * x[(i - m) % n if flip else (i + m) % n] for m in range(len(w))))
            for i in range(n)]


def input_gradient_definition(w: np.ndarray, x_shape: tuple[int, ...], g: np.ndarray,
                              mode: str, boundary: str, stride: tuple[int, ...], flip: bool,
                              times: Any = None) -> np.ndarray:
    """``dL/dx_j = sum_o g_o dy_o/dx_j``: every output ``o`` hands ``w_m g_o`` back to the
    input sample its tap ``m`` read (scipy's definition, the chain rule).

    Along each axis this is the correlation of ``g`` with the kernel (the
    transposed convolution); ``flip`` writes the other sum (a wrong claim).
    Returns an object array of the input's shape.
    """
    times = times or (lambda a, b: a * b)
    axes_q = []
    for n, k, s in zip(x_shape, w.shape, stride):
        start, count = mode_window(n, k, mode)
        axes_q.append(list(range(start, start + count, s)))
    terms: dict[tuple[int, ...], list[Any]] = {j: [] for j in np.ndindex(*x_shape)}
    for o in np.ndindex(*g.shape):
        for m in np.ndindex(*w.shape):
            src = []
            for d in range(w.ndim):
                p = source_position(axes_q[d][o[d]], m[d], w.shape[d], flip)
                i = extend(p, x_shape[d], valid_boundary(mode, boundary))
                if i is None:
                    break
                src.append(i)
            else:
                terms[tuple(src)].append(times(w[m], g[o]))
    out = np.empty(x_shape, dtype=object)
    for j, t in terms.items():
        out[j] = sympy.Add(*t)
    return out


def transposed_layer_outputs(w: np.ndarray, g: np.ndarray, out_spatial: tuple[int, ...], *,
                             stride: tuple[int, ...], pads: tuple[tuple[int, int], ...],
                             dilation: tuple[int, ...], groups: int,
                             flip: bool = False) -> np.ndarray:
    """``torch.nn.functional.conv_transposeNd`` from PyTorch's documentation (zero padding).

    ``w`` is ``(C_in, C_out // groups, *kernel)``; input ``g[ci, i]`` is scattered to
    ``y[co, s i + d t - p] += w[ci, co', t] g[ci, i]`` for the output channels of
    ``ci``'s group, positions outside ``0 .. out - 1`` dropped.
    """
    c_in, c_og = w.shape[:2]
    kshape = w.shape[2:]
    per_group = c_in // groups
    terms: dict[tuple[int, ...], list[Any]] = {
        j: [] for j in np.ndindex(c_og * groups, *out_spatial)}
    for ci in range(c_in):
        grp = ci // per_group
        for i in np.ndindex(*g.shape[1:]):
            for co in range(c_og):
                for t in np.ndindex(*kshape):
                    tt = tuple(k - 1 - v for k, v in zip(kshape, t)) if flip else t
                    pos = tuple(ii * s + v * d - pb for ii, s, v, d, (pb, _) in
                                zip(i, stride, tt, dilation, pads))
                    if all(0 <= p < n for p, n in zip(pos, out_spatial)):
                        y_at, w_at, g_at = (grp * c_og + co,) + pos, (ci, co) + t, (ci,) + i
                        terms[y_at].append(w[w_at] * g[g_at])
    out = np.empty((c_og * groups, *out_spatial), dtype=object)
    for j, t in terms.items():
        out[j] = sympy.Add(*t)
    return out


# ------------------------------------------- numeric taps from the definitions
def _extend_array(p: np.ndarray, n: int, boundary: str) -> np.ndarray:
    """:func:`extend` (scipy) and :func:`torch_pad_index` (PyTorch) on an array; -1 = zero."""
    inside = (p >= 0) & (p < n)
    if boundary in ("fill", "zeros"):
        return np.where(inside, p, -1)
    if boundary in ("wrap", "circular"):
        return p % n
    if boundary == "symm":
        q = p % (2 * n)
        return np.where(q < n, q, 2 * n - 1 - q)
    if boundary == "replicate":
        return np.clip(p, 0, n - 1)
    if boundary == "reflect":
        period = 2 * n - 2
        q = p % period if period else np.zeros_like(p)
        return np.where(inside, p, np.where(q < n, q, period - q))
    raise ValueError(f"no numeric extension {boundary!r}")


def _combine(per_axis: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
             out_shape: tuple[int, ...], in_shape: tuple[int, ...],
             k_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The N-D taps ``(flat row, flat column, flat tap)`` from per-axis ``(o, i, j)`` lists
    (the definition's sum over a kernel multi-index is a product over the axes)."""
    grids = np.meshgrid(*(np.arange(len(o)) for o, _, _ in per_axis), indexing="ij")
    picks = [g.ravel() for g in grids]
    o = [ax[0][p] for ax, p in zip(per_axis, picks)]
    i = [ax[1][p] for ax, p in zip(per_axis, picks)]
    j = [ax[2][p] for ax, p in zip(per_axis, picks)]
    keep = np.all([v >= 0 for v in i], axis=0) if i else np.ones(0, dtype=bool)
    flat = [np.ravel_multi_index(tuple(v[keep] for v in part), shape) if shape else
            np.zeros(int(keep.sum()), dtype=np.int64)
            for part, shape in ((o, out_shape), (i, in_shape), (j, k_shape))]
    return flat[0], flat[1], flat[2]


def signal_reference_taps(k_shape: tuple[int, ...], in_shape: tuple[int, ...], mode: str,
                          boundary: str, stride: tuple[int, ...], correlate: bool
                          ) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """``(out_shape, rows, cols, weight index)`` of scipy's convolution, from its definition.

    Output ``o`` (full-result position ``q = start + s o``) multiplies weight
    ``j`` by the input sample at :func:`source_position` ``(q, j)`` extended per
    ``boundary``: the entries of the matrix ``y = A x`` the builders must place.
    """
    per_axis, out_shape = [], []
    for n, k, s in zip(in_shape, k_shape, stride):
        start, count = mode_window(n, k, mode)
        q = np.arange(start, start + count, s, dtype=np.int64)
        o, j = np.meshgrid(np.arange(len(q)), np.arange(k), indexing="ij")
        p = source_position(q[o], j, k, not correlate)
        i = _extend_array(p, n, valid_boundary(mode, boundary))
        per_axis.append((o.ravel(), i.ravel(), j.ravel()))
        out_shape.append(len(q))
    rows, cols, widx = _combine(per_axis, tuple(out_shape), in_shape, k_shape)
    return tuple(out_shape), rows, cols, widx


def tf_same_pads(n: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's ``padding='SAME'`` (``tf.nn.convolution``'s documentation): ``ceil(n / s)``
    outputs, total pad ``max((out - 1) s + d (k - 1) + 1 - n, 0)``, the odd one after."""
    out = -(-n // stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def layer_reference_taps(w_shape: tuple[int, ...], in_shape: tuple[int, ...], *,
                         stride: tuple[int, ...], padding: Any, dilation: tuple[int, ...],
                         groups: int, padding_mode: str
                         ) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """``(out_shape, rows, cols, weight index)`` of PyTorch's conv layer, from its definition.

    ``out[o, i] = sum_c sum_t w[o, c, t] xpad[c', s i + d t - p]``; ``in_shape`` is
    ``(C_in, *spatial)``, ``padding`` as :func:`torch_pads` (and TF's ``'SAME'``).
    """
    c_out, c_ig = w_shape[:2]
    k_shape, spatial = tuple(w_shape[2:]), tuple(in_shape[1:])
    pads = torch_pads(padding, k_shape, dilation, sizes=spatial, stride=stride)
    per_axis, out_sp = [], []
    for n, k, s, d, (pb, pa) in zip(spatial, k_shape, stride, dilation, pads):
        m = max((n + pb + pa - d * (k - 1) - 1) // s + 1, 0)
        oo, t = np.meshgrid(np.arange(m), np.arange(k), indexing="ij")
        i = _extend_array(oo * s + t * d - pb, n, padding_mode)
        per_axis.append((oo.ravel(), i.ravel(), t.ravel()))
        out_sp.append(m)
    r1, c1, t1 = _combine(per_axis, tuple(out_sp), spatial, k_shape)
    n_out, n_in, n_k = int(np.prod(out_sp)), int(np.prod(spatial)), int(np.prod(k_shape))
    rows, cols, widx = [], [], []
    per_group = c_out // groups
    for o in range(c_out):
        for c in range(c_ig):
            ci = (o // per_group) * c_ig + c
            rows.append(o * n_out + r1)
            cols.append(ci * n_in + c1)
            widx.append((o * c_ig + c) * n_k + t1)
    empty = np.zeros(0, dtype=np.int64)
    return ((c_out, *out_sp), np.concatenate(rows) if rows else empty,
            np.concatenate(cols) if cols else empty, np.concatenate(widx) if widx else empty)


# ------------------------------------------- the gradients of a layer, for a symbolic size
def input_grad_definition_row(w: Any, g: Any, j: Any, n: Any, k: int, stride: int,
                              pads: tuple[int, int], dilation: int) -> Any:
    """``(A^T g)[j]`` along one axis of a zero-padded PyTorch layer, for symbolic ``j``, ``n``.

    PyTorch's definition puts ``w[t]`` at ``A[i, j]`` exactly where
    ``j = s i + d t - p_l`` (:func:`layer_definition_row`), for the outputs
    ``0 <= i < m`` (:func:`layer_definition_count`).  So column ``j`` of ``A``
    holds tap ``t`` where ``s`` divides ``j + p_l - d t`` and the quotient is
    an output: ``(A^T g)[j] = sum_t w[t] g[(j + p_l - d t) / s]`` over those taps.
    ``w`` and ``g`` are sympy ``IndexedBase`` (one axis, one channel pair).
    """
    m = layer_definition_count(n, k, stride, pads, dilation)
    terms = []
    for t in range(k):
        num = j + pads[0] - dilation * t
        inside = sympy.And(sympy.Eq(sympy.Mod(num, stride), 0), num >= 0,
                           num <= stride * (m - 1))
        terms.append(w[t] * sympy.Piecewise((g[num / stride], inside), (0, True)))
    return sympy.Add(*terms)


def weight_grad_definition_entry(g: Any, x: Any, t: int, n: Any, k: int, stride: int,
                                 pads: tuple[int, int], dilation: int) -> Any:
    """``dL/dw[t] = sum_i g[i] xpad[s i + d t - p_l]`` along one axis (the chain rule on
    PyTorch's definition), as a sympy ``Sum`` over the ``m`` outputs for a symbolic ``n``."""
    m = layer_definition_count(n, k, stride, pads, dilation)
    i = sympy.Symbol("i", integer=True, nonnegative=True)
    read = read_extended(x, (stride * i + dilation * t - pads[0],), (n,), "zeros")
    return sympy.Sum(g[i] * read, (i, 0, m - 1))


# ------------------------------------- transposed layers and the data (im2col) matrix
def transposed_definition_count(n: Any, k: int, stride: int, pads: tuple[int, int],
                                dilation: int, output_padding: int) -> Any:
    """PyTorch's ``ConvTranspose`` output size, ``(n - 1) s - p_l - p_r + d (k - 1) + op + 1``
    (its documentation writes ``- 2 padding``; a ``(before, after)`` crop splits it)."""
    return (n - 1) * stride - pads[0] - pads[1] + dilation * (k - 1) + output_padding + 1


def transposed_framework_size(n: Any, k: int, stride: int, dilation: int,
                              padding: str) -> tuple[Any, tuple[int, int]]:
    """TensorFlow's ``conv2d_transpose`` (Keras' default ``output_shape``) and JAX's
    ``'SAME_LOWER'``: ``(output size, (before, after))``.

    The layer is the gradient of ``tf.nn.conv2d`` with ``padding`` on an input of the
    output size: Keras' ``deconv_output_length`` gives ``n s`` for ``'SAME'`` and
    ``n s + max(d (k - 1) + 1 - s, 0)`` for ``'VALID'``; the forward pads on that size
    are TF's (:func:`tf_same_pads`; JAX's ``'SAME_LOWER'`` puts the odd one before).
    """
    extent = dilation * (k - 1) + 1
    if padding == "VALID":
        return n * stride + max(extent - stride, 0), (0, 0)
    if padding not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"padding must be 'SAME', 'SAME_LOWER' or 'VALID', got {padding!r}")
    out = n * stride
    # TF's 'SAME' on n s inputs (n may be symbolic: the pads come out free of n).
    before, after = (int(v) for v in tf_same_pads(out, k, stride, dilation))
    return out, ((after, before) if padding == "SAME_LOWER" else (before, after))


def transposed_definition_column(w: Any, y: Any, ci: int, i: tuple[Any, ...],
                                 m: tuple[Any, ...], w_shape: tuple[int, ...],
                                 stride: tuple[int, ...], pads: tuple[tuple[int, int], ...],
                                 dilation: tuple[int, ...], groups: int,
                                 flip: bool = False) -> Any:
    """Column ``(ci, i)`` of ``torch.nn.functional.conv_transposeNd``, paired with ``y``.

    PyTorch's transposed convolution scatters input ``g[ci, i]`` to
    ``out[co, s i + d t - p_l] += w[ci, co', t] g[ci, i]`` for the output channels
    ``co = group(ci) * C_out/groups + co'`` of its group, outputs outside ``0 .. m - 1``
    cropped: its response to the unit input at ``(ci, i)`` is
    ``sum_{co', t} w[ci, co', t] e_{(co, s i + d t - p_l)}``, returned here as
    ``sum w[ci, co', t] y~[co, s i + d t - p_l]`` (``y`` an ``IndexedBase`` standing for
    the rows, zero outside; symbolic ``i`` and ``m`` allowed).  ``w`` maps a weight
    multi-index to its value; ``flip`` reverses the taps (a wrong claim).
    """
    c_in, c_og = w_shape[:2]
    kshape = w_shape[2:]
    grp = ci // (c_in // groups)
    terms = []
    for co in range(c_og):
        for t in itertools.product(*(range(k) for k in kshape)):
            tt = tuple(k - 1 - v for k, v in zip(kshape, t)) if flip else t
            p = tuple(ii * s + v * d - pb
                      for ii, s, v, d, (pb, _) in zip(i, stride, tt, dilation, pads))
            terms.append(w((ci, co, *t))
                         * read_extended(y, p, m, "zeros", prefix=(grp * c_og + co,)))
    return sympy.Add(*terms)


def transposed_reference_taps(w_shape: tuple[int, ...], in_shape: tuple[int, ...], *,
                              stride: tuple[int, ...], padding: Any,
                              output_padding: tuple[int, ...], dilation: tuple[int, ...],
                              groups: int
                              ) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """``(out_shape, rows, cols, weight index)`` of PyTorch's ``ConvTranspose``, from its
    documentation: input ``(ci, i)`` reaches output ``(co, s i + d t - p_l)`` through
    ``w[ci, co', t]``, outputs outside ``0 .. m - 1`` cropped.

    ``padding``: an int, a tuple, ``(before, after)`` pairs (crops per side), or
    TensorFlow's ``'SAME'``/``'VALID'`` and JAX's ``'SAME_LOWER'``
    (:func:`transposed_framework_size`, with ``output_padding`` 0).
    """
    c_in, c_og = w_shape[:2]
    k_shape, spatial = tuple(w_shape[2:]), tuple(in_shape[1:])
    if isinstance(padding, str):
        sized = [transposed_framework_size(n, k, s, d, padding)
                 for n, k, s, d in zip(spatial, k_shape, stride, dilation)]
        out_sp = [int(m) for m, _ in sized]
        pads = tuple(p for _, p in sized)
    else:
        pads = torch_pads(padding, k_shape, dilation)
        out_sp = [int(transposed_definition_count(n, k, s, pp, d, op)) for n, k, s, pp, d, op
                  in zip(spatial, k_shape, stride, pads, dilation, output_padding)]
    per_axis = []
    for n, m, k, s, d, (pb, _) in zip(spatial, out_sp, k_shape, stride, dilation, pads):
        ii, t = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
        j = ii * s + t * d - pb
        inside = (j >= 0) & (j < m)
        # _combine drops the entries whose middle index is -1: here the input, cropped.
        per_axis.append((np.where(inside, j, 0).ravel(), np.where(inside, ii, -1).ravel(),
                         t.ravel()))
    r1, c1, t1 = _combine(per_axis, tuple(out_sp), spatial, k_shape)
    n_out, n_in, n_k = int(np.prod(out_sp)), int(np.prod(spatial)), int(np.prod(k_shape))
    rows, cols, widx = [], [], []
    per_group = c_in // groups
    for ci in range(c_in):
        for c in range(c_og):
            co = (ci // per_group) * c_og + c
            rows.append(co * n_out + r1)
            cols.append(ci * n_in + c1)
            widx.append((ci * c_og + c) * n_k + t1)
    empty = np.zeros(0, dtype=np.int64)
    return ((c_og * groups, *out_sp), np.concatenate(rows) if rows else empty,
            np.concatenate(cols) if cols else empty, np.concatenate(widx) if widx else empty)


def data_definition_row(x: Any, wv: Any, o: int, i: tuple[Any, ...], n: tuple[Any, ...],
                        w_shape: tuple[int, ...], stride: tuple[int, ...],
                        pads: tuple[tuple[int, int], ...], dilation: tuple[int, ...],
                        groups: int, padding_mode: str, flip: bool = False) -> Any:
    """Row ``(o, i)`` of the im2col (data) matrix times the flattened weight ``wv``.

    im2col: ``X[(o, i), (o, c, t)] = xpad[c', s i + d t - p]`` -- the window of output
    ``i`` laid out in the columns of output channel ``o``'s weights, C order over
    ``(C_out, C_in // groups, *kernel)``, so column ``(o C_in/groups + c) K + t``
    (``K`` taps, ``t`` in C order) -- and zero in the other output channels' columns.
    Returns ``sum_{c, t} wv[column] xpad[c', s i + d t - p]`` (symbolic ``i``, ``n``);
    ``flip`` puts each window's taps in the reversed columns (a wrong claim).
    """
    c_out, c_ig = w_shape[:2]
    kshape = w_shape[2:]
    n_k = int(np.prod(kshape))
    first_c = (o // (c_out // groups)) * c_ig
    terms = []
    for c in range(c_ig):
        for t_flat, t in enumerate(itertools.product(*(range(k) for k in kshape))):
            p = tuple(ii * s + v * d - pb
                      for ii, s, v, d, (pb, _) in zip(i, stride, t, dilation, pads))
            col = n_k - 1 - t_flat if flip else t_flat
            terms.append(wv[(o * c_ig + c) * n_k + col]
                         * read_extended(x, p, n, padding_mode, prefix=(first_c + c,)))
    return sympy.Add(*terms)


def data_reference_taps(w_shape: tuple[int, ...], in_shape: tuple[int, ...], *,
                        stride: tuple[int, ...], padding: Any, dilation: tuple[int, ...],
                        groups: int, padding_mode: str
                        ) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """``(out_shape, rows, weight columns, input index)`` of the im2col matrix.

    ``X(x) w = A(w) x`` is what defines it: the entry of PyTorch's layer that
    multiplies weight ``(o, c, t)`` by input sample ``(c', j)`` in row ``(o, i)``
    (:func:`layer_reference_taps`) is, read the other way, ``x[c', j]`` in column
    ``(o, c, t)`` (C order) of row ``(o, i)``.
    """
    out_shape, rows, cols, widx = layer_reference_taps(
        w_shape, in_shape, stride=stride, padding=padding, dilation=dilation, groups=groups,
        padding_mode=padding_mode)
    return out_shape, rows, widx, cols

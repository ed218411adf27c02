"""The backward convolutions for every input size: a sympy proof per axis and residue class.

:func:`~._backward.axis_plans` -- the function whose numbers
:meth:`~._backward.BackwardConvolution.apply` runs -- is evaluated at a
symbolic size ``n = n_min + s u + r`` in each residue class ``r`` of the
stride (TF's ``'SAME'`` pads and the ``output_padding`` that resolves the
transposed convolution's size depend on ``n mod s`` only; in a class they are
constants).  At those numbers the convolution's entry is composed from the
definitions of the operations ``apply`` performs:

* ``dilate(a, s)[v] = a[v / s]`` where ``s`` divides ``v`` and ``0 <= v / s < len(a)``;
* ``pad(a, (b, e))[v] = a[v - b]`` (a negative pad crops: the same index map);
* ``correlate_valid(a, h, step, dil)[o] = sum_t a[step o + dil t] h[t]`` for the
  ``(len(a) - dil (len(h) - 1) - 1) // step + 1`` outputs;

and compared by sympy with the definition written independently in
:mod:`._reference` (``(A^T g)[j]`` and ``dL/dw[t]`` from PyTorch's
documentation and the chain rule), together with the sizes (the transposed
convolution gives exactly ``n`` samples; the correlation at least ``k``).
The code itself -- :func:`~._backward.backward_convolutions`, ``apply`` and the
builder's ``A.T @ g`` / ``A.weight_grad`` -- is tied to the same definition
at sample sizes: every residue of the stride, where rows change shape, and
both sides of each of the assembler's write-path thresholds.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any, cast

import numpy as np
import sympy

from .._assemble import WritePath, forced_write_path
from ..geometry import layer_min_size
from ..layers import layer_matrix
from . import _backward
from ._general_decide import _WRITE_PATHS, _check_general, _nonneg, _threshold_samples
from ._proof_result import Proof, difference_is_zero
from ._reference import (
    input_grad_definition_row,
    layer_definition_count,
    layer_reference_taps,
    torch_pads,
    weight_grad_definition_entry,
)

# The proof is reached through BackwardConvolution.proof; nothing public here.
__all__: list[str] = []

#: What the proof for every size assumes (its report says so, word for word).
ASSUMPTIONS = (
    "product structure in N-D: each spatial axis is proved on its own (the N-D index maps "
    "of the definition and of the operations are products of the per-axis ones)",
    "the channel and group sums do not depend on the spatial size (checked at every "
    "sampled size, not proved for every n)",
    "apply's array operations (_dilate, _pad_or_crop, _correlate_valid: numpy slicing, the "
    "same at every size) implement the definitions of dilate, pad and correlate_valid "
    "(checked through the ties at the sampled sizes)",
    "between the sampled sizes the assembler writes what the core's geometry says (its "
    "regions repeat one pattern at constant steps, so a bug shows at a threshold or in a "
    "residue class)",
)

#: The sample sizes stop being tied after this many are refuted.
_ENOUGH = 3

_G, _W, _X = sympy.IndexedBase("g"), sympy.IndexedBase("w"), sympy.IndexedBase("x")
_J = sympy.Symbol("j", integer=True, nonnegative=True)
_I = sympy.Symbol("i", integer=True, nonnegative=True)


def out_of_bounds(conv: Any) -> str | None:
    """Why the proof for every size does not take ``conv`` (a parameter too large), or None."""
    try:
        _check_general("weight_shape (kernel)", conv.weight_shape[2:], "kernel")
        _check_general("weight_shape (channels)", conv.weight_shape[:2], "channels")
        _check_general("stride", conv.params["stride"])
        _check_general("dilation", conv.params["dilation"])
        _check_general("padding", conv.params["padding"])
    except ValueError as e:
        return str(e)
    return None


# ------------------------------------------------ the operations' definitions
def _dilated_read(a: Any, v: Any, s: Any, m: Any) -> Any:
    """``dilate(a, s)[v]``: ``a[v / s]`` where ``s | v`` and ``0 <= v / s <= m - 1``, else 0."""
    inside = sympy.And(sympy.Eq(sympy.Mod(v, s), 0), v >= 0, v <= s * (m - 1))
    return sympy.Piecewise((a[v / s], inside), (0, True))


def _padded_read(a: Any, v: Any, n: Any) -> Any:
    """``pad(a, (b, e))[v + b]``: ``a[v]`` for ``0 <= v <= n - 1``, else 0."""
    return sympy.Piecewise((a[v], sympy.And(v >= 0, v <= n - 1)), (0, True))


def _input_grad_entry(plan: Any) -> tuple[Any, Any]:
    """Entry ``j`` of ``correlate_valid(pad(dilate(g, s_g), ig_pad), flip(w), 1, d)`` and
    its length, composed from the definitions at the plan's numbers.

    ``pad`` shifts by ``ig_pad[0]``; its own bounds are implied by the dilation's
    (the dilated length is ``s_g (m - 1) + 1``), and the windows of the ``valid``
    correlation stay inside the padded array for its outputs.
    """
    k, d = plan.k, plan.ig_kernel_dilation
    terms = []
    for t in range(k):
        stored = k - 1 - t if plan.ig_flip else t
        v = _J + d * t - plan.ig_pad[0]
        terms.append(_W[stored] * _dilated_read(_G, v, plan.g_dilation, plan.m))
    padded = (plan.m - 1) * plan.g_dilation + 1 + plan.ig_pad[0] + plan.ig_pad[1]
    return sympy.Add(*terms), padded - d * (k - 1)


def _weight_grad_entry(plan: Any, t: int) -> Any:
    """Entry ``t`` of ``correlate_valid(pad(x, wg_pad), g, wg_step, wg_kernel_dilation)``."""
    v = plan.wg_step * t + plan.wg_kernel_dilation * _I - plan.wg_pad[0]
    return sympy.Sum(_G[_I] * _padded_read(_X, v, plan.n), (_I, 0, plan.m - 1))


def _weight_grad_count(plan: Any) -> Any:
    """How many outputs ``correlate_valid`` gives before the crop to ``wg_crop``."""
    span = plan.wg_kernel_dilation * (plan.m - 1) + 1
    return sympy.floor(sympy.sympify(plan.n + plan.wg_pad[0] + plan.wg_pad[1] - span)
                       / plan.wg_step) + 1


# ----------------------------------------------------------------- deciding
def _counterexample(left: Any, right: Any, u: sympy.Symbol, n: Any) -> str | None:
    """A concrete ``u`` (and ``j``) where ``left != right``: the claim is refuted there."""
    for uu in range(4):
        nv = int(sympy.sympify(n).subs(u, uu))
        for jj in range(max(nv, 1)):
            sub = {u: uu, _J: jj}
            lv = sympy.expand(sympy.sympify(left).subs(sub).doit())
            rv = sympy.expand(sympy.sympify(right).subs(sub).doit())
            free = sympy.sympify(left).has(_J) or sympy.sympify(right).has(_J)
            if lv != rv:
                return f"u = {uu} (n = {nv})" + (f", j = {jj}" if free else "") + \
                    f": {lv} != {rv}"
            if not free:
                break
    return None


def _decide(left: Any, right: Any, u: sympy.Symbol, n: Any) -> tuple[bool, Any, str]:
    """``left == right`` for every ``u >= 0`` (and every ``j``), or a counterexample."""
    ok, res = difference_is_zero(left, right, simplify=False)
    if ok:
        return True, res, ""
    cex = _counterexample(left, right, u, n)
    return False, res, cex or "not simplified to 0 by sympy"


def _nonnegative(expr: Any, u: sympy.Symbol) -> bool:
    """``expr >= 0`` for every integer ``u >= 0``: an affine ``a u + b`` with ``a, b >= 0``."""
    e = sympy.expand(expr)
    if not e.is_polynomial(u):
        return False
    poly = sympy.Poly(e, u)
    coeffs = poly.all_coeffs()
    return poly.degree() <= 1 and all(c.is_number and c >= 0 for c in coeffs)


# ------------------------------------------------------- one axis, one class
def _reference_pads(build: dict[str, Any], kshape: tuple[int, ...],
                    stride: tuple[int, ...], dilation: tuple[int, ...], sizes: tuple[int, ...],
                    axis: int) -> tuple[int, int]:
    """The definition's pads of ``axis`` at a concrete size of the class (TF's ``'SAME'``
    depends on ``n mod s`` only, so they hold in the whole class)."""
    return torch_pads(build["padding"], kshape, dilation, sizes=sizes, stride=stride)[axis]


def _axis_class(kind: str, plan: Any, n: Any, u: sympy.Symbol, k: int, s: int, d: int,
                pads: tuple[int, int]) -> tuple[list[str], Any, list[tuple[str, Any]]]:
    """Decide one axis in one residue class: ``(failures, residual, steps)``."""
    failures: list[str] = []
    residual: Any = sympy.S.Zero
    m_def = layer_definition_count(n, k, s, pads, d)
    ok, res, why = _decide(plan.m, m_def, u, n)
    if not ok:
        failures.append(f"grad_out's size {plan.m}, the definition's {m_def} ({why})")
        residual = res
    steps: list[tuple[str, Any]] = []
    if kind == "input_grad":
        entry, length = _input_grad_entry(plan)
        ok, res, why = _decide(length, n, u, n)
        if not ok:
            failures.append(f"the transposed convolution gives {length} samples, not n = {n} "
                            f"(output_padding {plan.output_padding}: {why})")
            residual = residual if residual != 0 else res
        ref = input_grad_definition_row(_W, _G, _J, n, k, s, pads, d)
        ok, res, why = _decide(entry, ref, u, n)
        if not ok:
            failures.append(f"entry j: {why}")
            residual = residual if residual != 0 else res
        steps += [("output length (m - 1) s + 1 + pads - d (k - 1) = n", sympy.Eq(
                      length, n, evaluate=False)),
                  ("entry j by the convolution (dilate, pad, correlate with the flipped "
                   "kernel)", entry), ("(A^T g)[j] from PyTorch's definition", ref)]
        return failures, residual, steps
    count = _weight_grad_count(plan)
    if plan.wg_crop != k or not _nonnegative(count - plan.wg_crop, u):
        failures.append(f"the correlation gives {count} outputs, cropped to {plan.wg_crop}; "
                        f"the kernel has {k}")
    for t in range(k):
        entry = _weight_grad_entry(plan, t)
        ref = weight_grad_definition_entry(_G, _X, t, n, k, s, pads, d)
        ok, res, why = _decide(entry, ref, u, n)
        if not ok:
            failures.append(f"entry t = {t}: {why}")
            residual = residual if residual != 0 else res
        if t == 0:
            steps += [("entry t = 0 by the correlation (pad x, g dilated by the stride, step "
                       "the dilation)", entry), ("dL/dw[0] from PyTorch's definition", ref)]
    steps.insert(0, (f"outputs of the correlation >= k = {k} for every u", sympy.Ge(
        count, k, evaluate=False)))
    return failures, residual, steps


# ------------------------------------------------------ the code at sample sizes
def _samples(mins: list[int], kshape: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Small sizes: the smallest, where rows change shape, every residue of the stride."""
    per_axis = [sorted({mn, mn + 1, *range(mn + d * (k - 1) + 1, mn + d * (k - 1) + s + 3)})
                for mn, k, d, s in zip(mins, kshape, dilation, stride)]
    return list(itertools.product(*per_axis))


def _large_samples(conv: Any, first: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Sizes on both sides of each write-path threshold (the last axis; the others have
    full rows), from the definition's taps and the exported thresholds."""
    p = conv.params
    return list(_large_sizes(conv.weight_shape, conv.input_shape[0], p["stride"],
                             p["dilation"], p["groups"], _frozen(conv._build["padding"]),
                             first))


def _frozen(padding: Any) -> Any:
    """``padding`` with its lists as tuples (a cache key)."""
    if isinstance(padding, (list, tuple)):
        return tuple(_frozen(v) for v in padding)
    return int(padding) if isinstance(padding, np.integer) else padding


@functools.lru_cache(maxsize=64)
def _large_sizes(w_shape: tuple[int, ...], c_in: int, s: tuple[int, ...], d: tuple[int, ...],
                 groups: int, padding: Any, first: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """A pure function of the definition and the exported thresholds, so kept."""
    kshape = w_shape[2:]
    nd = len(kshape)
    others = tuple(v + dd * (k - 1) + 1 for v, k, dd in zip(first[:-1], kshape, d))

    def axis_taps(a: int, n: int) -> Any:
        return layer_reference_taps((1, 1, kshape[a]), (1, n), stride=s[a:a + 1],
                                    padding=_axis_padding(padding, a), dilation=d[a:a + 1],
                                    groups=1, padding_mode="zeros")[1:]

    # The definition's taps are a product over the axes (and the channel pairs).
    rest = w_shape[0] * w_shape[1] * math.prod(len(axis_taps(a, n)[0])
                                               for a, n in enumerate(others))

    def total(n: int) -> int:
        return rest * len(axis_taps(nd - 1, n)[0])

    large = _threshold_samples(lambda n: axis_taps(nd - 1, n), total, first[-1], kshape[-1],
                               w_shape[1] * math.prod(kshape), s[-1], True, nd > 1)
    return tuple((*others, n) for n in large)


def _axis_padding(padding: Any, a: int) -> Any:
    """The padding of spatial axis ``a`` alone, as a one-axis ``padding`` argument."""
    if isinstance(padding, (str, int, np.integer)):
        return padding
    p = padding[a]
    return (tuple(p),) if isinstance(p, (tuple, list)) else p


def _tie(conv: Any, sizes: tuple[int, ...], paths: tuple[str | None, ...]) -> list[str]:
    """At one size: ``apply`` and the builder's matrix side against the definition (exact
    integers), the backward convolutions rebuilt at that size by the code under test."""
    w_shape, build = conv.weight_shape, conv._build
    in_shape = (conv.input_shape[0], *sizes)
    ref_out, rows, cols, widx = layer_reference_taps(
        w_shape, in_shape, stride=conv.params["stride"], padding=build["padding"],
        dilation=conv.params["dilation"], groups=build["groups"], padding_mode="zeros")
    rng = np.random.default_rng(sum(sizes))
    w = rng.integers(-9, 10, w_shape).astype(np.float64)
    x = rng.integers(-9, 10, in_shape).astype(np.float64)
    g = rng.integers(-9, 10, ref_out).astype(np.float64)
    if conv.kind == "input_grad":
        want = np.bincount(cols, w.ravel()[widx] * g.ravel()[rows], minlength=x.size)
    else:
        want = np.bincount(widx, g.ravel()[rows] * x.ravel()[cols], minlength=w.size)
    where = f"sizes {sizes}"
    bad = []
    try:
        b = getattr(_backward.backward_convolutions(w_shape, in_shape, **build), conv.kind)
        if b.out_shape != ref_out:
            return [f"{where}: grad_out shape {b.out_shape}, the definition's {ref_out}"]
        got = (b.apply(g, weight=w) if conv.kind == "input_grad" else b.apply(g, x=x)).ravel()
        if not np.array_equal(got, want):
            bad.append(f"{where}: apply differs from the definition")
        for path in paths:
            with forced_write_path(cast(WritePath, path) if path else None):
                a = layer_matrix(w, in_shape, padding_mode="zeros", **build)
            side = a.T @ g.ravel() if conv.kind == "input_grad" else a.weight_grad(x, g)
            if not np.array_equal(np.ravel(side), want):
                bad.append(f"{where}, write path {path or 'by size'!r}: the builder's "
                           f"{'A.T @ g' if conv.kind == 'input_grad' else 'A.weight_grad'} "
                           f"differs from the definition")
    except (ValueError, IndexError, TypeError) as e:        # a broken builder raises
        bad.append(f"{where}: the code raised {type(e).__name__}: {e}")
    return bad


# ------------------------------------------------------------------ the proof
def _min_sizes(conv: Any) -> list[int]:
    """The smallest size per axis with an output (TF's 'SAME': 1)."""
    w_shape, p, padding = conv.weight_shape, conv.params, conv._build["padding"]
    kshape, d = w_shape[2:], p["dilation"]
    if isinstance(padding, str) and padding in ("SAME", "SAME_LOWER"):
        return [1] * len(kshape)
    pads = torch_pads(padding, kshape, d)
    return [layer_min_size(k, pp, dilation=dd) for k, pp, dd in zip(kshape, pads, d)]


def prove_for_every_size(conv: Any) -> Proof:
    """The sympy proof, for every input size, that ``conv.apply`` is the matrix side.

    Per spatial axis and residue class of the stride: :func:`~._backward.axis_plans`
    at the symbolic size, the convolution's entry composed from its operations'
    definitions, decided equal to PyTorch's definition by sympy; then the code tied
    to the definition at sample sizes (:func:`_tie`).  ``conv`` must be within the
    bounds :func:`out_of_bounds` checks.
    """
    p, build = conv.params, conv._build
    kshape, s, d = conv.weight_shape[2:], p["stride"], p["dilation"]
    nd = len(kshape)
    mins = _min_sizes(conv)
    us = [_nonneg(f"u_{a}" if nd > 1 else "u") for a in range(nd)]
    failures: list[str] = []
    residual: Any = sympy.S.Zero
    steps: list[tuple[str, Any]] = []
    for a in range(nd):
        for r in range(s[a]):
            sizes = tuple(mn + st * uu + (r if b == a else 0)
                          for b, (mn, st, uu) in enumerate(zip(mins, s, us)))
            label = f"axis {a}, n = {mins[a] + r} + {s[a]} {us[a]}"
            concrete = tuple(mn + (r if b == a else 0) for b, mn in enumerate(mins))
            pads = _reference_pads(build, kshape, s, d, concrete, a)
            try:
                plan = _backward.axis_plans(kshape, sizes, s, d, build["padding"])[a]
            except (TypeError, ValueError) as e:   # sympy cannot decide: not shown for all n
                failures.append(f"[{label}] the plan at the symbolic size: {e}")
                continue
            bad, res, cls_steps = _axis_class(conv.kind, plan, sizes[a], us[a], kshape[a],
                                              s[a], d[a], pads)
            failures += [f"[{label}] {f}" for f in bad]
            residual = residual if residual != 0 else res
            steps.append((f"[{label}] the plan at the symbolic size: " + (
                "pads, output_padding, the transposed convolution's pads"
                if conv.kind == "input_grad" else "pads, g's dilation, the output step")
                + f"; the definition's pads {pads}", sympy.Matrix([[*plan.pad, *(
                    (plan.output_padding, *plan.ig_pad) if conv.kind == "input_grad"
                    else (plan.wg_kernel_dilation, plan.wg_step))]])))
            steps += [(f"[{label}] {cap}", e) for cap, e in cls_steps]
    small = _samples(mins, kshape, s, d)
    large = _large_samples(conv, small[0])
    tied = [(v, _WRITE_PATHS) for v in small] + [(v, (None,)) for v in large]
    refuted = 0
    for sizes, paths in tied:
        bad = _tie(conv, sizes, paths)
        failures += bad
        refuted += bool(bad)
        if refuted >= _ENOUGH:         # the code is refuted; more sizes add nothing
            failures.append(f"(tying stopped after {_ENOUGH} refuted sizes)")
            break
    return _assemble_proof(conv, mins, us, steps, failures, residual, len(small), len(large))


def _assemble_proof(conv: Any, mins: list[int], us: list[sympy.Symbol],
                    steps: list[tuple[str, Any]], failures: list[str], residual: Any,
                    n_small: int, n_large: int) -> Proof:
    p = conv.params
    s = p["stride"]
    scope = ", ".join(f"n_{a} >= {mn}" if len(mins) > 1 else f"n >= {mn}"
                      for a, mn in enumerate(mins))
    notes = [f"for every input size {scope}: one class n = n_min + r + s u (u >= 0) per "
             f"residue r of the stride {s}, per axis; u, j symbolic integers",
             "the convolution's side: axis_plans (the numbers apply runs) evaluated at the "
             "symbolic size, composed with the definitions of dilate, pad and "
             "correlate_valid; the other side written from PyTorch's documentation "
             "(_reference)",
             f"tied at sample sizes: apply, and the builder's "
             f"{'A.T @ g' if conv.kind == 'input_grad' else 'A.weight_grad(x, g)'} on write "
             f"paths {', '.join(_WRITE_PATHS)}, against the definition (exact integers) at "
             f"{n_small} small sizes (every residue of the stride, where rows change shape) "
             f"and by size at {n_large} sizes on both sides of the assembler's write-path "
             f"thresholds (write_path_thresholds()): "
             + ("agree" if not any("sizes" in f for f in failures) else "DIFFER")]
    padding = conv._build["padding"]
    if isinstance(padding, str) and padding in ("SAME", "SAME_LOWER"):
        notes.append("TF's 'SAME' pads depend on n mod s only ((ceil(n / s) - 1) s - n does), "
                     "so the definition's pads at one size of a class hold in all of it")
    notes += ["assumed, not proved: " + a for a in ASSUMPTIONS]
    if conv.kind == "input_grad":
        title = "the input gradient's transposed convolution equals A^T g"
        claim = (r"\mathrm{correlate}(\mathrm{pad}(\mathrm{dilate}_s(g), d(k-1) - p), "
                 r"\mathrm{flip}(w))_j = (A^{T} g)_j\ \forall n")
        rhs = "A^T g"
    else:
        title = "the weight gradient's correlation equals A.weight_grad(x, g)"
        claim = (r"\mathrm{correlate}_{\mathrm{step}\,d}(\mathrm{pad}(x, p), "
                 r"\mathrm{dilate}_s(g))_t = \sum_i g_i\, \tilde x_{s i + d t - p}\ \forall n")
        rhs = "A.weight_grad(x, g)"
    params = {kk: v for kk, v in p.items() if kk != "padding"}
    return Proof(title=f"for every input size, {title} (padding={conv._build['padding']!r}, "
                       f"{params})",
                 statement=sympy.Eq(sympy.Symbol("convolution"), sympy.Symbol(rhs),
                                    evaluate=False),
                 steps=steps, holds=not failures, residual=residual, failures=failures,
                 claim_latex=claim, notes=notes,
                 details={"scope": "every size", "assumptions": list(ASSUMPTIONS),
                          "symbols": us, "min_sizes": mins})

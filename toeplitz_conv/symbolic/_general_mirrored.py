"""Mirrored and replicated boundaries for every size: edge rows, a middle block, the count.

A symmetric (scipy ``'symm'``) or PyTorch ``'reflect'``/``'replicate'``
boundary reads mirrored samples that no single formula in ``n`` covers:
:func:`_split_proof` splits the rows into the leading and trailing edge rows
and a middle block that reads inside the input, each proved by sympy for
every ``n`` at least a bound; the finitely many smaller sizes are proved one
by one with the proofs for given sizes.
"""

from __future__ import annotations

import itertools
from typing import Any, cast

import numpy as np
import sympy

from .._typing import Mode, PaddingMode
from ..geometry import (
    AxisGeometry,
    channel_map,
    layer_geometry,
    layer_min_size,
    signal_geometry,
    strided_count,
)
from ._fixed_size import prove_equivalence, prove_layer_equivalence
from ._general_decide import (
    _WRITE_PATHS,
    _general_formula,
    _layer_general_proof,
    _map_sample_check,
    _nonneg,
    _tie_layer,
    _tie_signal,
)
from ._proof_result import Proof, difference_is_zero
from ._reference import (
    extend,
    layer_definition_count,
    layer_definition_row,
    signal_definition_count,
    signal_definition_row,
    torch_pad_index,
    torch_pads,
)
from ._symbols import symbolic_size

# Helpers of the proofs for every size; the public proofs are in
# _general_signal and _general_layer.
__all__: list[str] = []

#: Boundaries whose all-n proof splits the rows into edges and a middle block.
_SPLIT_BOUNDARIES = ("symm", "reflect", "replicate")


class _Undecided(Exception):
    """sympy could not evaluate the core's boundary map at a symbolic size."""


def _core_reads(ax: AxisGeometry, i: Any) -> list[Any]:
    """Input index read by row ``i`` with each tap: the core's own
    :meth:`AxisGeometry.input_index` (positions, then
    :func:`~toeplitz_conv.geometry.map_boundary`) on sympy values (``None``
    where the zero boundary reads a zero)."""
    try:
        idx = ax.input_index(np.array([i], dtype=object))[0]
    except TypeError as exc:       # a comparison sympy cannot decide at this size
        raise _Undecided(str(exc)) from exc
    return [None if ax.boundary == "zeros" and sympy.sympify(v) == -1 else v for v in idx]


def _rows_equal(core: list[Any], dfn: list[Any]) -> tuple[bool, Any]:
    res: Any = sympy.S.Zero
    ok = True
    for c, d in zip(core, dfn):
        good, r = difference_is_zero(c, d)
        if not good:
            ok, res = False, r
            break
    return ok, res


def _split_proof(axis_at: Any, def_count: Any, core_rows: Any, def_rows: Any,
                 n_min: int, shown: sympy.Symbol) -> tuple[bool, list[Any], list[str], Any]:
    """Prove ``core_rows(ax, i) == def_rows(i, n)`` for every row ``i`` and every ``n >= n_min``.

    The rows are split into the leading edge rows ``0 .. L-1`` (``L =
    ceil(pad_before / s)``: explicit indices), the trailing edge rows
    ``count-1-e`` (``e < ceil(pad_after / s)``, explicit in terms of
    ``n``), and the middle block between them, whose rows read inside the
    input only.  Sizes are split into residue classes ``n = n_min + r + s u``
    so that the core's ``floor`` of the output count resolves; the middle
    block is proved for ``i = L + b`` and every ``n = s b + beta + c`` with
    row ``i`` inside (``b, c >= 0``).  Raises :class:`_Undecided` when sympy
    cannot evaluate the core's boundary map (the bound is too small).
    """
    u = _nonneg("u")

    def make_axis(size: Any) -> AxisGeometry:
        try:
            return cast(AxisGeometry, axis_at(size))
        except TypeError as exc:                    # a comparison sympy cannot decide
            raise _Undecided(str(exc)) from exc

    probe = make_axis(n_min)
    s, pb, pa, span = probe.stride, probe.pad_before, probe.pad_after, probe.span
    # Rows whose window starts in the leading padding, and their mirror at the end.
    n_lead, n_trail = strided_count(pb, s), strided_count(pa, s)
    steps: list[Any] = []
    failures: list[str] = []
    residual: Any = sympy.S.Zero
    holds = True

    def back(e: Any, size: Any) -> Any:
        return sympy.sympify(e).xreplace({u: (shown - size.subs(u, 0)) / s})

    for r in range(s):
        size = n_min + r + s * u
        ax = make_axis(size)
        if (ax.pad_before, ax.pad_after) != (pb, pa):
            raise ValueError("the pads must not depend on the input size")
        count, dcount = ax.out_size, def_count(size)
        tag = f" [n = {n_min + r} + {s} u]" if s > 1 else ""
        ok_c, res_c = difference_is_zero(count, dcount)
        # The edge rows exist and the row after the middle block reads inside.
        last_mid = count - 1 - n_trail
        cover = sympy.simplify(size - 1 - (s * last_mid + span - 1 - pb))
        ok_cov = (bool(sympy.simplify(count - max(n_lead, n_trail)).is_nonnegative)
                  and bool(cover.is_nonnegative) and s * n_lead - pb >= 0)
        lead = [(i, core_rows(ax, i), def_rows(i, size)) for i in range(n_lead)]
        trail = [(count - 1 - e, core_rows(ax, count - 1 - e), def_rows(count - 1 - e, size))
                 for e in range(n_trail)]
        for part, rows in (("leading", lead), ("trailing", trail)):
            for i, cr, dr in rows:
                ok, res = _rows_equal(cr, dr)
                if not ok:
                    holds = False
                    failures.append(f"{part} edge row {back(i, size)}{tag}")
                    residual = residual if residual != 0 else back(res, size)
        if not ok_c:
            holds, residual = False, res_c
            failures.append(f"row count{tag}")
        if not ok_cov:
            holds = False
            failures.append(f"the edge rows do not cover the rows that read the boundary{tag}")
        steps += [
            (f"rows: the core's out_size = the definition's{tag} (sympy)",
             sympy.Eq(back(count, size), back(dcount, size), evaluate=False)),
            (f"rows 0..{n_lead - 1} and the last {n_trail} read the boundary; the middle "
             f"rows read inside: the first middle row's first position s L - pad_before "
             f"= {s * n_lead - pb} >= 0 and n - 1 minus the last middle row's last "
             f"position{tag}, sympy", back(cover, size)),
        ]
        for part, rows in (("leading", lead), ("trailing", trail)):
            if rows:
                many = " (output channel 0 shown, every channel compared)" \
                    if len(rows[0][1]) > 1 else ""
                steps.append((f"{part} edge rows{tag}: the core's rows (positions and "
                              f"map_boundary at symbolic n) = the definition's "
                              f"(sympy){many}",
                              sympy.Matrix([[back(i, size), back(cr[0], size), back(dr[0], size)]
                                            for i, cr, dr in rows])))
    # The middle block: row L + b of every input wide enough for it to read inside.
    beta = s * n_lead + span - pb
    ok_m, m_steps, m_failures, residual = _middle_block(make_axis, core_rows, def_rows, s,
                                                        n_lead, beta, residual)
    return holds and ok_m, steps + m_steps, failures + m_failures, residual


def _middle_block(make_axis: Any, core_rows: Any, def_rows: Any, s: int, n_lead: int,
                  beta: int, residual: Any) -> tuple[bool, list[Any], list[str], Any]:
    """Row ``L + b`` of every ``n = s b + beta + c`` (``b, c >= 0``): the rows that read inside.

    Returns ``(holds, steps, failures, residual)``; a failing case gives the
    residual when ``residual`` is still 0.
    """
    b, c = _nonneg("b"), _nonneg("c")
    holds = True
    steps: list[Any] = []
    failures: list[str] = []
    cases: list[tuple[Any, Any]] = [(b, c)]
    try:
        core_rows(make_axis(s * b + beta + c), n_lead + b)
    except _Undecided:
        # The core compares n with a constant (e.g. 'valid' with n = k, or a
        # reflect period 2 n - 2 that is 0 at n = 1): b and c are split into 0
        # and >= 1, which sympy decides.
        cases = [(bb, cc) for bb in (0, 1 + b) for cc in (0, 1 + c)]
    for bb, cc in cases:
        size_m = s * bb + beta + cc
        ax_m = make_axis(size_m)
        i_m = n_lead + bb
        cm, dm = core_rows(ax_m, i_m), def_rows(i_m, size_m)
        ok_m, res_m = _rows_equal(cm, dm)
        case = "" if len(cases) == 1 else f" [b = {bb}, c = {cc}]"
        if not ok_m:
            holds = False
            failures.append("middle block" + case)
            residual = residual if residual != 0 else res_m
        steps += [
            (f"middle block: row i = {n_lead} + b for every n = {s} b + {beta} + c "
             f"(b, c >= 0; the rows that read inside){case}, the core's row"
             + (" (output channel 0 shown, every channel compared)" if len(cm) > 1 else ""),
             cm[0]),
            (f"middle block{case}: the definition's row", dm[0]),
            (f"middle block{case}: left - right, simplified by sympy", res_m),
        ]
    return holds, steps, failures, residual


def _split_with_bound(make_axis: Any, def_count: Any, core_rows: Any, def_rows: Any,
                      n_min: int, shown: sympy.Symbol) -> tuple[bool, list[Any], list[str],
                                                                   Any, int]:
    """:func:`_split_proof` from the smallest bound at which sympy decides the map."""
    probe = make_axis(n_min)
    limit = n_min + 2 * (probe.span + probe.pad_before + probe.pad_after + probe.stride)
    last = ""
    for n0 in range(n_min, limit + 1):
        try:
            return (*_split_proof(make_axis, def_count, core_rows, def_rows, n0, shown), n0)
        except _Undecided as exc:
            last = str(exc)
    return False, [], [f"sympy could not evaluate the boundary map for n >= {limit}: {last}"], \
        sympy.nan, limit


def _holds_or_false(prove: Any) -> bool:
    """A proof at one given size; a builder that refuses a valid size fails it."""
    try:
        return bool(prove().holds)
    except ValueError:
        return False


def _no_piecewise(rows: list[Any]) -> list[Any]:
    """The definition's rows, once sympy has settled every case of the extension."""
    for r in rows:
        e = sympy.sympify(r)
        if e.has(sympy.Piecewise) or e.has(sympy.nan):
            raise _Undecided(f"the definition's extension is not settled: {e}")
    return rows


def _general_split_signal(kernel: Any, values: list[Any], mode: str, correlate: bool,
                          s: int, shown: sympy.Symbol, flip_def: bool, claim: str,
                          boundary: str) -> Proof:
    """1-D ``boundary='symm'``: edge rows, a middle block and the row count, for all n."""
    k = len(values)
    x, w = sympy.IndexedBase("x"), sympy.IndexedBase("w")
    conj = [correlate and v.is_real is False for v in values]
    sub = {w[j]: v for j, v in enumerate(values)}
    conj_sub = {sympy.conjugate(w[j]): (sympy.conjugate(v) if cj else v)
                for j, (v, cj) in enumerate(zip(values, conj))}

    def make_axis(size: Any) -> AxisGeometry:
        return signal_geometry((k,), (size,), mode, boundary, (s,)).axes[0]

    def core_rows(ax: AxisGeometry, i: Any) -> list[Any]:
        terms = []
        for t, j in enumerate(_core_reads(ax, i)):
            # conv_matrix flips the kernel for a convolution: tap t holds weight k-1-t.
            wt = sympy.conjugate(w[t]) if correlate else w[k - 1 - t]
            terms.append(0 if j is None else wt * x[j])
        return [sympy.Add(*terms).xreplace(conj_sub).xreplace(sub)]

    def def_rows(i: Any, size: Any) -> list[Any]:
        row = signal_definition_row(lambda j: w[j[0]], x, (i,), (size,), (k,), mode, boundary,
                                    (s,), flip_def, correlate)
        return _no_piecewise([row.xreplace(conj_sub).xreplace(sub)])

    base = k if mode == "valid" else 1
    holds, steps, failures, residual, n0 = _split_with_bound(
        make_axis, lambda size: signal_definition_count(size, k, mode, s), core_rows, def_rows,
        base, shown)
    small = [nv for nv in range(base, n0)
             if not _holds_or_false(lambda nv=nv: prove_equivalence(
                 kernel, nv, cast(Mode, mode), correlate=correlate, boundary="symm", stride=s,
                 claim=claim))]
    if small:
        holds = False
        failures.append(f"sizes below the bound: n = {small}")
    samples = range(n0, n0 + k + s + 3)
    bad_map = _map_sample_check(make_axis(n0).boundary, lambda p, nv: extend(p, nv, "symm"),
                                samples, (make_axis(n0).pad_before, make_axis(n0).pad_after))
    if bad_map:
        holds = False
        failures.append(f"map_boundary differs from the symmetric extension at n = {bad_map}")
    bad, _ = _tie_signal((k,), mode, boundary, (s,), correlate, [(v,) for v in samples])
    if bad:
        holds = False
        failures += ["builder differs from scipy's definition at " + b for b in bad]
    kind = "cross-correlation" if correlate else "convolution"
    notes = [f"assumption of the symbolic part: {shown} >= {n0} (then only the first and "
             f"last few rows read the mirrored samples, each within one fold)",
             f"sizes {base} <= {shown} < {n0}: proved one by one by prove_equivalence "
             f"(finitely many): " + ("hold" if not small else "FAIL")
             if n0 > base else f"the bound is the smallest size, {base}",
             "the matrix side is the geometry core's (signal_geometry, AxisGeometry.positions "
             "and map_boundary evaluated at symbolic sizes); the other side is scipy's "
             "symmetric extension written from its definition (_reference.py)",
             f"sample check: map_boundary equals the definition's extension at n = "
             f"{samples.start}..{samples.stop - 1}: " + ("agree" if not bad_map else "DIFFER"),
             f"sample check: builder rows, taps and stored values on write paths "
             f"{', '.join(_WRITE_PATHS)} equal scipy's definition at the same sizes: "
             + ("agree" if not bad else "DIFFER"),
             f"boundary='symm', stride={s}"]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return Proof(
        title=f"for all n, A x equals the direct {kind} sum with symmetric boundary "
              f"(mode={mode!r})",
        statement=sympy.Eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i"), evaluate=False),
        steps=steps, holds=holds, residual=residual, failures=failures, notes=notes,
        claim_latex=_general_formula(correlate, sympy.Symbol("i")))


def _general_split_layer(w_arr: Any, w_shape: tuple[int, ...], stride: int, padding: Any,
                         dil: int, groups: int, padding_mode: str, claim: str) -> Proof:
    """A 1-D layer with ``reflect``/``replicate`` padding: edge rows, middle block, row count."""
    c_out, c_ig = w_shape[:2]
    k = w_shape[2]
    c_in = c_ig * groups
    (pl, pr), = torch_pads(padding, (k,), (dil,))
    shown = symbolic_size("n")
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")
    idx_all = list(itertools.product(*(range(v) for v in w_shape)))
    sub = {w[j]: v for j, v in zip(idx_all, w_arr.ravel())}
    cmap = channel_map(c_out, c_in, groups)                # the core's channel map

    def make_axis(size: Any) -> AxisGeometry:
        return layer_geometry((k,), (size,), stride=(stride,), padding=padding, dilation=(dil,),
                              padding_mode=cast(PaddingMode, padding_mode)).axes[0]

    def core_rows(ax: AxisGeometry, i: Any) -> list[Any]:
        reads = _core_reads(ax, i)
        return [sympy.Add(*(w[o, c, t] * x[int(cmap[o, c]), j]
                            for c in range(c_ig) for t, j in enumerate(reads)
                            if j is not None)).xreplace(sub) for o in range(c_out)]

    def def_rows(i: Any, size: Any) -> list[Any]:
        return _no_piecewise([layer_definition_row(
            lambda j: w[j], x, o, (i,), (size,), w_shape, (stride,), ((pl, pr),), (dil,),
            groups, padding_mode, flip=claim == "flipped").xreplace(sub) for o in range(c_out)])

    # PyTorch's smallest size with the definition's pads (reflect: padding < input size).
    base = layer_min_size(k, (pl, pr), dilation=dil, padding_mode=padding_mode)
    holds, steps, failures, residual, n0 = _split_with_bound(
        make_axis, lambda size: layer_definition_count(size, k, stride, (pl, pr), dil),
        core_rows, def_rows, base, shown)
    layer_kw: dict[str, Any] = dict(stride=stride, padding=padding, dilation=dil, groups=groups,
                                    padding_mode=padding_mode)
    small = [nv for nv in range(base, n0)
             if not _holds_or_false(lambda nv=nv: prove_layer_equivalence(
                 w_arr.tolist(), (c_in, nv), claim=claim, **layer_kw))]
    if small:
        holds = False
        failures.append(f"sizes below the bound: n = {small}")
    samples = range(n0, n0 + dil * (k - 1) + stride + 3)
    bad_map = _map_sample_check(padding_mode, lambda p, nv: torch_pad_index(p, nv, padding_mode),
                                samples, (pl, pr))
    if bad_map:
        holds = False
        failures.append(f"map_boundary differs from PyTorch's {padding_mode} padding at "
                        f"n = {bad_map}")
    bad, _ = _tie_layer(w_shape, c_in, (stride,), padding, (dil,), groups, padding_mode,
                        [(v,) for v in samples])
    if bad:
        holds = False
        failures += ["builder differs from PyTorch's definition at " + b for b in bad]
    notes = [f"assumption of the symbolic part: {shown} >= {n0} (then only the first and "
             f"last few rows read the padding, each within one fold)",
             (f"sizes {base} <= {shown} < {n0}: proved one by one by prove_layer_equivalence "
              f"(finitely many): " + ("hold" if not small else "FAIL"))
             if n0 > base else f"the bound is the smallest size with an output (PyTorch), {base}",
             "the matrix side is the geometry core's (layer_geometry, AxisGeometry.input_index "
             "and channel_map evaluated at symbolic sizes); the other side is PyTorch's "
             f"{padding_mode} padding written from its documentation (_reference.py)",
             f"sample check: map_boundary equals PyTorch's padding at n = "
             f"{samples.start}..{samples.stop - 1}: " + ("agree" if not bad_map else "DIFFER"),
             f"sample check: builder rows, taps and stored values on write paths "
             f"{', '.join(_WRITE_PATHS)} equal PyTorch's definition at the same sizes: "
             + ("agree" if not bad else "DIFFER")]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return _layer_general_proof(f"stride={stride}, padding={padding}, dilation={dil}, "
                                f"groups={groups}, padding_mode={padding_mode!r}",
                                steps, holds, residual, failures, notes)

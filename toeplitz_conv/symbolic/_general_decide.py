"""The decision procedure shared by the proofs for every size.

Counts and rows of the matrix, evaluated by the geometry core at symbolic
sizes, are decided equal to the definition's by sympy (:func:`_decide_counts`
splits sizes into residue classes to settle floors, :func:`_decide_rows`
looks for a concrete counterexample before a full ``simplify``); the zero
rule is tied to the core's own boundary map (:func:`_zero_rule`), and the
builder -- its rows, taps and stored values, on every write path and on both
sides of each of the assembler's write-path thresholds -- to the independent
definition (:mod:`._reference`, never the core) at sample sizes
(:func:`_tie_signal`, :func:`_tie_layer`).  The statements the
proofs for every size state are written here once (:func:`_general_formula`,
:func:`_layer_general_proof`).
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any, cast

import numpy as np
import sympy

from .. import geometry
from .._assemble import WritePath, forced_write_path, write_path_thresholds
from .._typing import Mode, PaddingMode, SignalBoundary
from .._validation import _is_int
from ..geometry import AxisGeometry
from ..layers import layer_matrix
from ..signal import conv_matrix
from ._proof_result import Proof, difference_is_zero
from ._reference import layer_reference_taps, signal_reference_taps, valid_boundary

# Helpers of the proofs for every size; the public proofs are in
# _general_signal and _general_layer.
__all__: list[str] = []

#: The assembler's ways of writing a zero-padded matrix, each checked at sample sizes.
_WRITE_PATHS = ("table", "lines", "chunks")

#: The concrete parameters of a proof for every size are bounded: the residue
#: classes (``stride ** ndim``), the sample sizes (``dilation * (kernel - 1) +
#: padding``) and the symbolic rows (``kernel taps * channels``) grow with them.
GENERAL_LIMITS = {"kernel": 32, "kernel taps": 256, "stride": 16, "dilation": 16,
                  "padding": 64, "channels": 64}


def _check_general(name: str, values: Any, limit_name: str | None = None) -> None:
    """Refuse a parameter of a proof for every size above its bound, before any work.

    ``values`` is an int or a (nested) tuple/list of ints; strings (``'same'``) pass.
    """
    limit = GENERAL_LIMITS[limit_name or name]
    flat: list[Any] = []
    stack = [values]
    while stack:
        v = stack.pop()
        if isinstance(v, (tuple, list)):
            stack.extend(v)
        elif _is_int(v):
            flat.append(int(v))
    if any(abs(v) > limit for v in flat):
        raise ValueError(f"{name} must be at most {limit} per axis (and side) in a proof for "
                         f"every size, got {values!r}; prove a larger case for given sizes "
                         f"with prove_equivalence / prove_layer_equivalence")


def _nonneg(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, integer=True, nonnegative=True)


def _core_read(ax: AxisGeometry, p: Any) -> tuple[str, Any]:
    """The core's boundary map at a symbolic coordinate: ``('zeros', p)`` or ``('index', j)``."""
    if ax.boundary == "zeros":
        return "zeros", p
    if ax.boundary == "wrap":
        # map_boundary itself, evaluated on a sympy coordinate (np.mod -> sympy Mod).
        return "index", geometry.map_boundary(np.array([p], dtype=object), ax.size, "wrap")[0]
    raise ValueError(f"the all-n proof covers zero and circular boundaries; boundary "
                     f"{ax.boundary!r} is proved for given sizes by prove_equivalence")


def _read(x: Any, reads: list[tuple[str, Any]], sizes: tuple[Any, ...],
          prefix: tuple[Any, ...] = ()) -> Any:
    """``x`` at the core's per-axis reads: the zero-padding rule is the definition's own."""
    idx = tuple(v for _, v in reads)
    zero_axes = [(v, n) for (kind, v), n in zip(reads, sizes) if kind == "zeros"]
    at = tuple(prefix) + idx
    value = x[at]
    if not zero_axes:
        return value
    inside = sympy.And(*(sympy.And(v >= 0, v <= n - 1) for v, n in zero_axes))
    return sympy.Piecewise((value, inside), (0, True))


def _zero_rule(axes: Any, sizes: tuple[Any, ...]) -> tuple[bool, list[tuple[str, Any]], str]:
    """Tie the proof's "outside [0, n) reads zero" to the core's own zero boundary.

    :func:`~toeplitz_conv.geometry.map_boundary` is evaluated by sympy at
    the symbolic size on every position a row can read (``-pad_before ..
    n - 1 + pad_after``): each of the ``pad_before`` positions before 0 and
    the ``pad_after`` positions from ``n`` on must map to ``-1`` (a zero), and
    a position ``b`` inside an input of size ``b + 1 + c`` to itself; then
    the map is compared with the rule at concrete sizes (a sample check).
    """
    b, c = _nonneg("b"), _nonneg("c")
    rows, why = [], []
    for ax, n in zip(axes, sizes):
        if ax.boundary != "zeros" or not (_is_int(ax.pad_before) and _is_int(ax.pad_after)):
            continue
        pb, pa = int(ax.pad_before), int(ax.pad_after)

        def core(p: Any, size: Any) -> Any:
            try:
                return geometry.map_boundary(np.array([p], dtype=object), size, "zeros")[0]
            except TypeError:                   # sympy cannot decide: not shown for all n
                return sympy.nan
        before = [core(-e, n) for e in range(1, pb + 1)]
        after = [core(n + e, n) for e in range(pa)]
        inside = core(b, b + 1 + c)
        if any(v != -1 for v in before + after) or inside != b:
            why.append("the core's zero boundary at symbolic n")
        rows.append(sympy.Tuple(sympy.Tuple(*before), sympy.Tuple(*after), inside))
    bad = _map_sample_check("zeros", lambda p, nv: p if 0 <= p < nv else -1, range(1, 9),
                            (3, 3))
    if bad:
        why.append(f"map_boundary's zero boundary differs at n = {bad}")
    steps: list[tuple[str, Any]] = []
    if rows:
        steps.append(("the zero rule is the core's: map_boundary(zeros) at symbolic n on the "
                      "positions before 0, from n on (-1: a zero) and inside (itself), per "
                      "axis, sympy; the rows read only -pad_before .. n - 1 + pad_after, by "
                      "construction of out_size; sample check at n = 1..8: "
                      + ("agree" if not bad else "DIFFER"), sympy.Tuple(*rows)))
    return not why, steps, "; ".join(why)


def _decide_counts(core: Any, definition: Any, syms: list[sympy.Symbol],
                   strides: tuple[int, ...]) -> tuple[bool, Any, str]:
    """``core == definition`` for every non-negative integer value of ``syms``.

    Floors of ``a / s`` are settled by splitting each symbol into residue
    classes ``a = s u + r`` (sympy then takes the integer ``u`` out of the floor).
    """
    ok, res = difference_is_zero(core, definition)
    if ok:
        return True, res, "simplified to 0 by sympy"
    period = math.lcm(*strides) if strides else 1
    if period == 1 or len(syms) > 3:
        return False, res, "not simplified to 0"
    u = [_nonneg(f"u_{d}") for d in range(len(syms))]
    for rs in itertools.product(range(period), repeat=len(syms)):
        sub = {a: period * uu + r for a, uu, r in zip(syms, u, rs)}
        ok, res = difference_is_zero(sympy.sympify(core).subs(sub),
                                     sympy.sympify(definition).subs(sub))
        if not ok:
            return False, res, f"differs for residues {rs} modulo {period}"
    return True, sympy.S.Zero, f"equal in every residue class modulo {period} (sympy)"


def _find_counterexample(diff: Any, syms: list[sympy.Symbol], rows: tuple[sympy.Symbol, ...],
                         counts: list[Any]) -> str | None:
    """A concrete size and row where ``diff`` is not 0 (so the claim is refuted)."""
    for vals in itertools.product(range(5), repeat=len(syms)):
        sub = dict(zip(syms, vals))
        ranges = [range(int(sympy.sympify(c).subs(sub))) for c in counts]
        for r in itertools.product(*ranges):
            d = sympy.expand(sympy.sympify(diff).subs(sub).subs(dict(zip(rows, r))))
            if d != 0:
                return f"sizes {sub}, row {r}: difference {d}"
    return None


def _decide_rows(core: Any, definition: Any, syms: list[sympy.Symbol],
                 rows: tuple[sympy.Symbol, ...], counts: list[Any]) -> tuple[bool, Any, str]:
    """Row ``i`` of the matrix against the definition's output ``i``, for symbolic sizes.

    Equal terms cancel on expansion; otherwise a concrete counterexample
    refutes the claim at once, and only without one does sympy's full
    ``simplify`` get the difference.
    """
    ok, res = difference_is_zero(core, definition, simplify=False)
    if ok:
        return True, res, ""
    cex = _find_counterexample(res, syms, rows, counts)
    if cex is not None:
        return False, res, cex
    ok, res = difference_is_zero(core, definition)
    return ok, res, "" if ok else "not simplified to 0"


# ------------------------------------------------- the builder tied to the definition
#: How a proof reports its tie of the builder to the definition.
_TIE_NOTE = ("builder (conv_matrix / layer_matrix) compared with {definition} -- rows, taps, "
             "stored values (toarray at a random integer weight, complex for a correlation) -- "
             "on write paths {paths} at {small} small sizes (every residue of the "
             "stride, where rows change shape), and by size at both sides of each of the "
             "assembler's write-path thresholds (write_path_thresholds()): {n} sizes in all: ")
#: What the all-n claim about the builder itself still assumes.
_ASSUMED = ("assumed, not proved: between the sampled sizes the assembler writes what the "
            "core's geometry says (its regions repeat one pattern at constant steps, so a "
            "bug shows at a threshold or in a residue class); positions affine in the tap; "
            "product structure in N-D (the last axis sampled at the thresholds)")

def _tie(reference: Any, build: Any, samples: list[tuple[int, ...]], w_shape: tuple[int, ...],
         conj: bool, paths: tuple[str | None, ...] = _WRITE_PATHS) -> list[str]:
    """The builder's matrix against the definition's taps at sample sizes, on ``paths``.

    ``reference(vals)`` gives ``(out_shape, rows, cols, weight index)`` written from
    the definition (:mod:`._reference`, never the core); ``build(vals, weight)`` the
    builder's TiedMatrix.  Compared: the shape, the taps (``(row, column, weight)``
    multisets) and the stored values -- ``sparse`` equals the taps' substitution of a
    random integer weight (complex for a correlation, conjugated per ``conj``), so
    values gathered from the wrong weight, or a conjugation the builder forgets,
    show.  Anything the builder raises is a failure, not an exception.
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    weight = rng.integers(-9, 10, size=w_shape).astype(np.float64)
    if conj:
        weight = weight + 1j * rng.integers(1, 10, size=w_shape)
    bad = []
    for vals in samples:
        out_shape, r, c, widx = reference(vals)
        n_rows = math.prod(out_shape)
        want = np.lexsort((widx, c, r))
        expected = np.stack((r[want], c[want], widx[want]))
        w_flat = weight.ravel()
        value = np.conj(w_flat[widx]) if conj else w_flat[widx]
        for path in paths:
            where = f"sizes {vals}, write path {path or 'by size'!r}"
            try:
                with forced_write_path(cast(WritePath, path) if path else None):
                    a = build(vals, weight)
                got_taps = np.stack(a.taps)
                shape_ok = a.shape[0] == n_rows
                got_order = np.lexsort(got_taps[::-1])
                taps_ok = got_taps.shape == expected.shape and bool(
                    (got_taps[:, got_order] == expected).all())
                values_ok = shape_ok and taps_ok and _same_values(a, sp, r, c, value)
            except (ValueError, IndexError, TypeError) as e:     # a broken builder raises
                bad.append(f"{where} (the builder raised {type(e).__name__})")
                continue
            if not shape_ok:
                bad.append(f"{where}: {a.shape[0]} rows, the definition {n_rows}")
            elif not taps_ok:
                bad.append(f"{where}: taps")
            elif not values_ok:
                bad.append(f"{where}: stored values")
    return bad


def _same_values(a: Any, sp: Any, r: np.ndarray, c: np.ndarray, value: np.ndarray) -> bool:
    ref = sp.coo_array((value, (r, c)), shape=a.shape).tocsr()
    diff = (a.sparse - ref)
    return bool(diff.nnz == 0 or np.abs(diff.data).max() == 0)


def _bisect_size(count: Any, lo: int, target: int, guess: int = 0) -> int | None:
    """The smallest size ``>= lo`` with ``count(size) > target`` (count non-decreasing);
    ``guess`` (a size near the answer) only shortens the search."""
    if count(lo) > target:
        return lo
    if guess // 2 > lo and count(guess // 2) <= target:
        lo = guess // 2
    hi = lo + 1
    while count(hi) <= target:
        if hi > 1 << 22:
            return None
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if count(mid) > target else (mid, hi)
    return hi


def _threshold_samples(axis_taps: Any, total_entries: Any, lo: int, k: int, row_len: int,
                       stride: int, zeros: bool, lines: bool) -> list[int]:
    """Last-axis sizes on both sides of each of the assembler's write-path thresholds.

    ``axis_taps(n)`` gives the definition's ``(rows, cols, weight)`` along the last axis
    alone, ``total_entries(n)`` the matrix's entries with the last axis of size ``n``.
    For each threshold (one table / regions, chunk size at its cap, and in N-D whole
    lines / chunks) the first size past it, the size before and every residue of the
    stride from it.
    """
    if not zeros:
        return []             # other boundaries always take the table path (from_taps)
    th = write_path_thresholds()

    def full_rows(n: int) -> int:
        rows = axis_taps(n)[0]
        return int((np.bincount(rows) == k).sum()) if len(rows) else 0

    def out_rows(n: int) -> int:
        rows = axis_taps(n)[0]
        return int(rows.max()) + 1 if len(rows) else 0

    cap = th["chunk_entries"] // row_len
    # Guesses: about k entries per output channel's row of the last axis, and a stride.
    per_n = max(total_entries(lo + 1) - total_entries(lo), 1)
    marks = [_bisect_size(total_entries, lo, th["small_entries"], th["small_entries"] // per_n),
             _bisect_size(full_rows, lo, th["chunk_split"] * (cap - 1),
                          th["chunk_split"] * cap) if cap > 1 else None]
    if lines:
        # Whole lines are one pattern only with a leading axis (1-D never splits).
        marks.append(_bisect_size(lambda n: out_rows(n) * row_len, lo, th["line_entries"],
                                  th["line_entries"] // row_len))
    out: set[int] = set()
    for m in marks:
        if m is not None:
            out.update(v for v in range(m - 1, m + stride) if v >= lo)
    return sorted(out)


def _tie_signal(kshape: tuple[int, ...], mode: str, boundary: str, strides: tuple[int, ...],
                correlate: bool, samples: list[tuple[int, ...]], thresholds: bool = True
                ) -> tuple[list[str], int]:
    """conv_matrix against scipy's definition at ``samples`` (every write path) and, with
    ``thresholds``, at the sizes around the assembler's thresholds (the path it takes by
    size); returns ``(failures, number of sizes)``."""
    def reference(vals: tuple[int, ...]) -> Any:
        return signal_reference_taps(kshape, vals, mode, boundary, strides, correlate)

    def build(vals: tuple[int, ...], weight: np.ndarray) -> Any:
        return conv_matrix(weight, vals, cast(Mode, mode), correlate=correlate,
                           boundary=cast(SignalBoundary, boundary), stride=strides)

    bad = _tie(reference, build, samples, kshape, correlate)
    if not thresholds:
        return bad, len(samples)
    others = tuple(k + 1 for k in kshape[:-1])
    # Where the taps sit does not depend on correlating (only which weight each is).
    large = _signal_large_sizes(kshape, mode, boundary, strides, False)
    bad += _tie(reference, build, [others + (n,) for n in large], kshape, correlate,
                paths=(None,))
    return bad, len(samples) + len(large)


@functools.lru_cache(maxsize=256)
def _signal_large_sizes(kshape: tuple[int, ...], mode: str, boundary: str,
                        strides: tuple[int, ...], correlate: bool) -> tuple[int, ...]:
    """The last axis's sizes around the write-path thresholds (the other axes ``k + 1``);
    a pure function of the definition and the exported thresholds, so kept."""
    others = tuple(k + 1 for k in kshape[:-1])

    def axis_taps(n: int) -> Any:
        return signal_reference_taps(kshape[-1:], (n,), mode, boundary, strides[-1:],
                                     correlate)[1:]

    def total(n: int) -> int:
        return len(signal_reference_taps(kshape, others + (n,), mode, boundary, strides,
                                         correlate)[1])

    return tuple(_threshold_samples(axis_taps, total, kshape[-1] if mode == "valid" else 1,
                                    kshape[-1], math.prod(kshape), strides[-1],
                                    valid_boundary(mode, boundary) == "fill", len(kshape) > 1))


def _tie_layer(w_shape: tuple[int, ...], c_in: int, strides: tuple[int, ...], padding: Any,
               dil: tuple[int, ...], groups: int, padding_mode: str,
               samples: list[tuple[int, ...]]) -> tuple[list[str], int]:
    """layer_matrix against PyTorch's definition, as :func:`_tie_signal` does for signals."""
    def reference(vals: tuple[int, ...]) -> Any:
        return layer_reference_taps(w_shape, (c_in, *vals), stride=strides, padding=padding,
                                    dilation=dil, groups=groups, padding_mode=padding_mode)

    def build(vals: tuple[int, ...], weight: np.ndarray) -> Any:
        return layer_matrix(weight, (c_in, *vals), stride=strides, padding=padding,
                            dilation=dil, groups=groups,
                            padding_mode=cast(PaddingMode, padding_mode))

    bad = _tie(reference, build, samples, w_shape, False)
    kshape = w_shape[2:]
    first = samples[0] if samples else tuple(1 for _ in kshape)
    # The other axes with full rows, so that the last axis's interior is written.
    others = tuple(v + d * (k - 1) + 1 for v, k, d in zip(first[:-1], kshape, dil))
    axis_pad = _axis_padding(padding, len(kshape) - 1)

    def axis_taps(n: int) -> Any:
        return layer_reference_taps((1, 1, kshape[-1]), (1, n), stride=strides[-1:],
                                    padding=axis_pad, dilation=dil[-1:], groups=1,
                                    padding_mode=padding_mode)[1:]

    def total(n: int) -> int:
        return len(reference(others + (n,))[1])

    large = _threshold_samples(axis_taps, total, first[-1], kshape[-1],
                               w_shape[1] * math.prod(kshape), strides[-1],
                               padding_mode == "zeros", len(kshape) > 1)
    bad += _tie(reference, build, [others + (n,) for n in large], w_shape, False,
                paths=(None,))
    return bad, len(samples) + len(large)


def _axis_padding(padding: Any, d: int) -> Any:
    """The padding of spatial axis ``d`` alone, as a one-axis ``padding`` argument."""
    if isinstance(padding, str) or _is_int(padding):
        return padding
    p = padding[d]
    return (tuple(p),) if isinstance(p, (tuple, list)) else p


def _flat(idx: tuple[int, ...], shape: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(idx, shape)) if shape else 0


def _sizes(kind_min: list[int], names: list[str]) -> tuple[list[sympy.Symbol], list[Any]]:
    syms = [_nonneg(f"a_{nm}") for nm in names]
    return syms, [mn + a for mn, a in zip(kind_min, syms)]


def _display(expr: Any, syms: list[sympy.Symbol], shown: list[sympy.Symbol],
             mins: list[int]) -> Any:
    """Write the internal ``a = n - n_min >= 0`` back in terms of the size symbols."""
    return sympy.sympify(expr).xreplace({a: s - mn for a, s, mn in zip(syms, shown, mins)})


def _map_sample_check(boundary: str, definition: Any, sizes: range, pads: tuple[int, int]
                      ) -> list[int]:
    """``map_boundary`` against the definition's extension at concrete sizes (a sample check)."""
    bad = []
    for nv in sizes:
        p = np.arange(-pads[0], nv + pads[1])
        got = geometry.map_boundary(p, nv, boundary).tolist()
        if got != [definition(int(q), nv) for q in p]:
            bad.append(nv)
    return bad


# --------------------------------------------------------------------- statements
def _general_formula(correlate: bool, i: Any) -> str:
    if correlate:
        return r"(A x)_i = y_i = \sum_{m=0}^{k-1} \overline{w_m}\, \tilde x_{q_i - (k-1) + m}"
    return r"(A x)_i = y_i = \sum_{m=0}^{k-1} w_m\, \tilde x_{q_i - m}"


def _layer_general_proof(params: str, steps: Any, holds: bool, residual: Any, failures: Any,
                         notes: list[str]) -> Proof:
    """The :class:`Proof` of a general-n layer statement (zero/circular or mirrored)."""
    return Proof(
        title=f"for all sizes, the layer matrix times x is PyTorch's conv layer ({params})",
        statement=sympy.Eq(sympy.Symbol("(A x)_{o,i}"), sympy.Symbol("out_{o,i}"),
                           evaluate=False),
        steps=steps, holds=holds, residual=residual, failures=failures, notes=notes,
        claim_latex=r"(A x)_{o,i} = \sum_c \sum_t w_{o,c,t}\, \tilde x_{c',\, s i + d t - p}")

"""The decision procedure shared by the proofs for every size.

Counts and rows of the matrix, evaluated by the geometry core at symbolic
sizes, are decided equal to the definition's by sympy (:func:`_decide_counts`
splits sizes into residue classes to settle floors, :func:`_decide_rows`
looks for a concrete counterexample before a full ``simplify``); the zero
rule is tied to the core's own boundary map (:func:`_zero_rule`), and the
builder's taps on every write path to the core's formula at sample sizes
(:func:`_tie_to_builder`, :func:`_sample_tie_1d`).  The statements the
proofs for every size state are written here once (:func:`_general_formula`,
:func:`_layer_general_proof`).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, cast

import numpy as np
import sympy

from .. import geometry
from .._assemble import WritePath, forced_write_path
from .._typing import Mode, SignalBoundary
from .._validation import _is_int
from ..geometry import AxisGeometry, signal_geometry
from ..signal import conv_matrix
from ._proof_result import Proof, difference_is_zero

# Helpers of the proofs for every size; the public proofs are in
# _general_signal and _general_layer.
__all__: list[str] = []

#: The assembler's ways of writing a zero-padded matrix, each checked at sample sizes.
_WRITE_PATHS = ("table", "lines", "chunks")


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


def _tie_to_builder(core_taps: Any, builder: Any, samples: list[tuple[int, ...]]
                    ) -> list[str]:
    """Compare the builder's taps on every write path with the core formula's, at samples."""
    bad = []
    for vals in samples:
        expected = core_taps(vals)
        for path in _WRITE_PATHS:
            try:
                rows, cols, widx = builder(vals, path).taps
            except ValueError:                 # the builder refuses a valid size
                bad.append(f"sizes {vals}, write path {path!r} (the builder raised)")
                continue
            got = sorted(zip(rows.tolist(), cols.tolist(), widx.tolist()))
            if got != expected:
                bad.append(f"sizes {vals}, write path {path!r}")
    return bad


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


def _sample_tie_1d(k: int, mode: str, correlate: bool, boundary: str, stride: int = 1,
                   sizes: range | None = None) -> list[str]:
    """For a concrete k: the builder's taps against the core formula at small n."""
    bad = []
    for nv in sizes or range(k if mode == "valid" else 1, k + 8):
        g = signal_geometry((k,), (nv,), mode, boundary, (stride,))
        ax = g.axes[0]
        expected = []
        table = ax.input_index()
        for o in range(ax.out_size):
            for t in range(k):
                if table[o, t] >= 0:
                    expected.append((o, int(table[o, t]), t if correlate else k - 1 - t))
        for path in _WRITE_PATHS:
            try:
                with forced_write_path(cast(WritePath, path)):
                    a = conv_matrix(np.ones(k, dtype=np.int64), nv, cast(Mode, mode),
                                    correlate=correlate, boundary=cast(SignalBoundary, boundary),
                                    stride=stride)
            except ValueError:                 # the builder refuses a valid size
                bad.append(f"n={nv}, write path {path!r} (the builder raised)")
                continue
            rows, cols, widx = a.taps
            if sorted(zip(rows.tolist(), cols.tolist(), widx.tolist())) != sorted(expected):
                bad.append(f"n={nv}, write path {path!r}")
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

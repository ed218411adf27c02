"""The equivalence for every input size: the builder's own geometry at symbolic sizes.

The matrix side is *evaluated by the geometry core*: the same function the
builder calls (:func:`~toeplitz_conv.signal.signal_geometry`,
:func:`~toeplitz_conv.layers.layer_geometry`) is called with sympy integer
sizes, and its output length, its index formula ``o s + t d - pad_before``
(:meth:`AxisGeometry.positions`) and its boundary map are read off at a
symbolic output index.  The other side is the definition written
independently (:mod:`._reference`).  sympy then decides, for all sizes at
once, that the row counts agree and that row ``i`` of the matrix is output
``i`` of the definition.  Finally the builder's taps, on each of its write
paths (one index table, region by region, in chunks), are compared with the
core's formula at sample sizes, which ties the assembler to the formula.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, cast

import numpy as np
import sympy

from .. import geometry
from .._assemble import WritePath, forced_write_path
from .._typing import IntOrTuple, LayerPadding, Mode, PaddingMode, SignalBoundary
from .._validation import _is_int, as_bool, as_int_tuple, as_positive_int, choose
from ..geometry import AxisGeometry, channel_map, signal_padding
from ..layers import layer_geometry, layer_matrix
from ..signal import MODES, conv_matrix, signal_geometry
from ._proof import Proof, difference_is_zero
from ._reference import (
    layer_definition_count,
    layer_definition_row,
    read_extended,
    signal_definition_count,
    signal_definition_row,
    source_position,
    torch_pads,
)
from ._symbols import as_symbolic_kernel, symbolic_size

__all__ = ["prove_equivalence_general", "prove_layer_equivalence_general"]

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
                with forced_write_path(cast(WritePath, path)):
                    rows, cols, widx = builder(vals).taps
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


def prove_equivalence_general(kernel_size_or_symbols: Any = 3, mode: Mode = "full", *,
                              correlate: bool = False, stride: IntOrTuple = 1, n: Any = None,
                              boundary: str = "fill", claim: str = "definition") -> Proof:
    """Prove ``A x = k * x`` for every input size ``n``, with ``A`` as the builder builds it.

    The geometry of :func:`~toeplitz_conv.conv_matrix` is evaluated by the
    geometry core itself at a symbolic size: its output length, the input
    coordinate ``o s + t - pad_before`` read by output ``o`` with tap ``t``,
    and its boundary map give row ``i`` of ``A`` for a symbolic ``i``.  sympy
    shows that the number of rows is the definition's (``ceil(count / s)``)
    and that row ``i`` equals the definition's output ``i``,
    ``y_i = sum_m w_m x~_{q - m}`` (``q = s i + start``, ``x~`` extended per
    ``boundary``).  The builder's taps on each of its write paths are then
    compared with the core's formula at sample sizes.

    Parameters
    ----------
    kernel_size_or_symbols : int, tuple of int, sympy Symbol, or sequence
        An int ``k`` (weights ``w_m``), a tuple for an N-D kernel (one size
        symbol ``n_0, n_1, ...`` per axis), a positive-integer sympy Symbol
        for a symbolic kernel length (1-D, stride 1), or the weights.
    mode : {'full', 'valid', 'same'}
        ``'valid'`` is proved for ``n >= k`` (scipy swaps the operands below).
    correlate : bool
        Cross-correlation (weights conjugated only when sympy knows they are
        not real).
    stride : int or tuple of int
        Keep every ``stride``-th output.
    n : sympy Symbol or str, optional
        The (1-D) input size; default ``Symbol('n', integer=True, positive=True)``.
    boundary : {'fill', 'wrap', 'symm'}
        Zero, circular or (1-D) symmetric extension.  ``'symm'`` splits the
        rows into the leading and trailing edge rows, which read the mirrored
        samples, and a middle block, each proved by sympy for every ``n`` at
        least a bound the proof states (from the core's ``input_index``
        evaluated at symbolic sizes); the finitely many smaller sizes are
        proved one by one.
    claim : {'definition', 'unflipped'}
        ``'unflipped'`` states the wrong (correlation for convolution, and
        vice versa) definition; it must not hold.

    Examples
    --------
    >>> prove_equivalence_general(3, "full").holds
    True
    >>> k = sympy.Symbol("k", integer=True, positive=True)
    >>> prove_equivalence_general(k, "valid").holds
    True
    >>> prove_equivalence_general((2, 3), "same", stride=2).holds
    True
    >>> prove_equivalence_general(3, claim="unflipped").holds
    False
    >>> prove_equivalence_general(3, "same", stride=2, boundary="symm").holds
    True
    """
    choose(mode, "mode", MODES)
    choose(claim, "claim", ("definition", "unflipped"))
    choose(boundary, "boundary", ("fill", "wrap", "symm"))
    correlate = as_bool(correlate, "correlate")
    flip_def = (not correlate) if claim == "definition" else correlate
    if isinstance(kernel_size_or_symbols, sympy.Basic) and not isinstance(
            kernel_size_or_symbols, (sympy.MatrixBase, sympy.NDimArray)):
        stride1 = as_positive_int(stride, "stride") if _is_int(stride) else 0
        if stride1 != 1:
            raise ValueError("a symbolic kernel length is proved with stride=1")
        if boundary == "symm":
            raise ValueError("boundary='symm' is proved for every n with a given kernel "
                             "length; a symbolic kernel length takes 'fill' or 'wrap'")
        n_sym = symbolic_size(n)
        k_sym = symbolic_size(kernel_size_or_symbols, "kernel_size_or_symbols")
        if k_sym == n_sym:
            raise ValueError("the kernel length must be a different symbol from n")
        return _general_symbolic_k(k_sym, n_sym, mode, correlate, boundary, flip_def, claim)
    wv = as_symbolic_kernel(kernel_size_or_symbols)
    nd = wv.ndim
    kshape = tuple(int(v) for v in wv.shape)
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    if boundary == "symm":
        if nd != 1:
            raise ValueError("boundary='symm' is proved for every n in 1-D; use "
                             "prove_equivalence for an N-D input of a given shape")
        shown_1 = symbolic_size(n)
        if not _is_int(kernel_size_or_symbols) and shown_1 in set().union(
                *(sympy.sympify(v).free_symbols for v in wv.flat)):
            raise ValueError("the kernel symbols must not use the name of n")
        return _general_split_signal(kernel_size_or_symbols, list(wv.ravel()), mode, correlate,
                                     strides[0], shown_1, flip_def, claim, boundary)
    if nd == 1:
        shown = [symbolic_size(n)]
    else:
        if n is not None:
            raise ValueError("n names the size of a 1-D input; an N-D input gets n_0, n_1, ...")
        shown = [symbolic_size(f"n_{d}") for d in range(nd)]
    if not _is_int(kernel_size_or_symbols) and not isinstance(kernel_size_or_symbols, tuple):
        used = set().union(*(sympy.sympify(v).free_symbols for v in wv.flat))
        if used & set(shown):
            raise ValueError("the kernel symbols must not use the name of n")
    values = list(wv.ravel())
    conj = [correlate and v.is_real is False for v in values]
    cases: list[tuple[str, list[int]]] = [("", [1] * nd)]
    if mode == "valid":
        # n = k (pads 0) and n > k: scipy's valid output for an input at least the kernel.
        cases = [("n = k", list(kshape)), ("n > k", [k + 1 for k in kshape])]
    steps: list[tuple[str, Any]] = []
    failures: list[str] = []
    residual: Any = sympy.S.Zero
    holds = True
    for label, mins in cases:
        fixed = label == "n = k"
        names = [str(s) for s in shown]
        syms, sizes = _sizes(mins, names)
        if fixed:
            sizes = list(kshape)
            syms = []
        geom = signal_geometry(kshape, tuple(sizes), mode, boundary, strides)
        rows = tuple(sympy.Symbol(f"i_{d}" if nd > 1 else "i", integer=True) for d in range(nd))
        counts = [ax.out_size for ax in geom.axes]
        def_counts = [signal_definition_count(sz, k, mode, s)
                      for sz, k, s in zip(sizes, kshape, strides)]
        ok_c, res_c, how = True, sympy.S.Zero, ""
        for c_core, c_def in zip(counts, def_counts):
            ok1, r1, how = _decide_counts(c_core, c_def, syms, strides)
            if not ok1:
                ok_c, res_c = False, r1
        pos = [[_core_read(ax, p) for p in ax.positions(np.array([r], dtype=object))[0]]
               for ax, r in zip(geom.axes, rows)]
        w = sympy.IndexedBase("w")
        x = sympy.IndexedBase("x")

        def weight(j: tuple[int, ...], w: Any = w) -> Any:
            return w[j] if nd > 1 else w[j[0]]

        core_terms = []
        for t in itertools.product(*(range(k) for k in kshape)):
            # conv_matrix calls the assembler with flip=not correlate: tap t holds
            # weight k-1-t of a convolution.
            j = t if correlate else tuple(k - 1 - v for k, v in zip(kshape, t))
            v = weight(j)
            core_terms.append((sympy.conjugate(v) if correlate else v)
                              * _read(x, [pp[tt] for pp, tt in zip(pos, t)],
                                      tuple(sizes)))
        core_row = sympy.Add(*core_terms)
        def_row = signal_definition_row(weight, x, rows, tuple(sizes), kshape, mode, boundary,
                                        strides, flip_def, correlate)
        sub = {weight(j): val
               for j, val in zip(itertools.product(*(range(k) for k in kshape)), values)}
        # A conjugated weight becomes its value, conjugated only when sympy knows the
        # value is not real (a real weight's conjugate is itself).
        conj_sub = {sympy.conjugate(weight(j)): (sympy.conjugate(val) if cj else val)
                    for j, val, cj in zip(itertools.product(*(range(k) for k in kshape)),
                                          values, conj)}
        core_v = core_row.xreplace(conj_sub).xreplace(sub)
        def_v = def_row.xreplace(conj_sub).xreplace(sub)
        ok_r, res_r, why = _decide_rows(core_v, def_v, syms, rows, counts)
        if not (ok_c and ok_r):
            holds = False
            residual = res_c if not ok_c else res_r
            failures.append((label + ": " if label else "") + (
                "row count" if not ok_c else f"row formula ({why})"))
        tag = f" [{label}]" if label else ""
        disp = [(lambda e, _s=syms, _m=mins: _display(e, _s, shown, _m))][0]
        steps += [
            (f"the core's geometry at symbolic size{tag}: pads, by construction",
             sympy.Matrix([[ax.pad_before, ax.pad_after] for ax in geom.axes]).applyfunc(disp)),
            (f"rows per axis, the core's out_size = the definition's{tag} ({how})",
             sympy.Eq(sympy.Matrix(counts).applyfunc(disp),
                      sympy.Matrix(def_counts).applyfunc(disp), evaluate=False)),
            (f"row i of A from the core's o s + t - pad_before and boundary map{tag}, "
             f"by construction", disp(core_v)),
            (f"output i from the definition{tag}", disp(def_v)),
            (f"left - right, simplified by sympy{tag}", disp(res_r)),
        ]
        ok_z, z_steps, z_why = _zero_rule(geom.axes, tuple(sizes))
        steps += [(cap + tag, disp(e) if isinstance(e, sympy.Basic) else e)
                  for cap, e in z_steps]
        if not ok_z:
            holds = False
            failures.append((label + ": " if label else "") + z_why)
    # The builder's taps on every write path against the core's formula, at samples.
    samples = _signal_samples(kshape, mode)

    def core_taps(vals: tuple[int, ...]) -> list[tuple[int, int, int]]:
        g = signal_geometry(kshape, vals, mode, boundary, strides)
        out = []
        in_shape, out_shape = g.in_shape, g.out_shape
        tables = []
        for ax in g.axes:
            o = sympy.Symbol("o", integer=True)
            reads = [_core_read(ax, p) for p in ax.positions(np.array([o], dtype=object))[0]]
            tab = []
            for ov in range(ax.out_size):
                r = []
                for kind, e in reads:
                    v = int(sympy.sympify(e).subs(o, ov))
                    r.append(v if kind == "index" or 0 <= v < ax.size else None)
                tab.append(r)
            tables.append(tab)
        for orow in itertools.product(*(range(m) for m in out_shape)):
            for t in itertools.product(*(range(k) for k in kshape)):
                read = [tables[d][orow[d]][t[d]] for d in range(nd)]
                src = [v for v in read if v is not None]
                if len(src) < nd:
                    continue
                j = t if correlate else tuple(k - 1 - v for k, v in zip(kshape, t))
                out.append((_flat(orow, out_shape), _flat(tuple(src), in_shape),
                            _flat(j, kshape)))
        return sorted(out)

    def builder(vals: tuple[int, ...]) -> Any:
        return conv_matrix(np.ones(kshape, dtype=np.int64), vals, mode, correlate=correlate,
                           boundary=cast(SignalBoundary, boundary), stride=strides)

    bad = _tie_to_builder(core_taps, builder, samples)
    if bad:
        holds = False
        failures += ["builder differs from the core's formula at " + b for b in bad]
    notes = [f"for every integer row index and every input size ({', '.join(map(str, shown))})"
             + (" >= k (mode 'valid')" if mode == "valid" else ""),
             "the matrix side is evaluated by the geometry core (signal_geometry at symbolic "
             "sizes), the other side written from scipy's definition",
             f"builder taps on write paths {', '.join(_WRITE_PATHS)} compared with the core's "
             f"formula at {len(samples)} sample sizes: " + ("agree" if not bad else "DIFFER"),
             f"boundary={boundary!r}, stride={strides if nd > 1 else strides[0]}"]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    kind = "cross-correlation" if correlate else "convolution"
    i_ = sympy.Symbol("i")
    return Proof(
        title=f"for all n, A x equals the direct {kind} sum (mode={mode!r})",
        statement=sympy.Eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i"), evaluate=False),
        steps=steps, holds=holds, residual=residual, failures=failures, notes=notes,
        claim_latex=_general_formula(correlate, i_))


def _general_formula(correlate: bool, i: Any) -> str:
    if correlate:
        return r"(A x)_i = y_i = \sum_{m=0}^{k-1} \overline{w_m}\, \tilde x_{q_i - (k-1) + m}"
    return r"(A x)_i = y_i = \sum_{m=0}^{k-1} w_m\, \tilde x_{q_i - m}"


def _signal_samples(kshape: tuple[int, ...], mode: str) -> list[tuple[int, ...]]:
    lo = [k if mode == "valid" else 1 for k in kshape]
    if len(kshape) == 1:
        return [(v,) for v in range(lo[0], lo[0] + kshape[0] + 8)]
    per_axis = [sorted({mn, mn + 1, mn + k + 2}) for mn, k in zip(lo, kshape)]
    return list(itertools.product(*per_axis))


def _general_symbolic_k(k: sympy.Symbol, n: sympy.Symbol, mode: str, correlate: bool,
                        boundary: str, flip_def: bool, claim: str) -> Proof:
    """1-D, symbolic kernel length: the kernel sum stays a sympy ``Sum``."""
    kb = _nonneg("b_k")
    k_in = 1 + kb
    cases: list[tuple[str, Any, list[sympy.Symbol]]]
    an = _nonneg("a_n")
    if mode == "valid":
        cases = [("n = k", k_in, [kb]), ("n > k", k_in + 1 + an, [kb, an])]
    else:
        cases = [("", 1 + an, [kb, an])]
    i, t, m = sympy.symbols("i t m", integer=True)
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")
    steps: list[tuple[str, Any]] = []
    failures: list[str] = []
    holds, residual = True, sympy.S.Zero
    back = {kb: k - 1}
    for label, size, syms in cases:
        if label == "n > k":
            back_c = {**back, an: n - k - 1}
        elif label == "n = k":
            back_c = dict(back)
        else:
            back_c = {**back, an: n - 1}
        # The builder's pads for a symbolic k come from signal_padding, the formula
        # signal_axis uses (for 'valid': the kernel fits, so no pads).
        before, after = signal_padding(k_in, mode)
        core_b = boundary if mode != "valid" else "fill"
        ax = AxisGeometry(size, k_in, 1, 1, before, after,
                          "zeros" if core_b == "fill" else "wrap")
        count = ax.out_size
        def_count = signal_definition_count(size, k_in, mode, 1)
        ok_c, res_c, how = _decide_counts(count, def_count, syms, (1,))
        # The core's positions are affine in the tap: read at taps 0 and 1.
        two = AxisGeometry(size, 2, 1, 1, before, after, ax.boundary)
        p0, p1 = two.positions(np.array([i], dtype=object))[0]
        p_t = p0 + t * (p1 - p0)
        kind, read = _core_read(ax, p_t)
        xr = _read(x, [(kind, read)], (size,))
        wt = w[t] if correlate else w[k_in - 1 - t]
        core_sum = sympy.Sum(wt * xr, (t, 0, k_in - 1))
        def_summand = w[m] * read_extended(x, (source_position(
            i + _start(size, k_in, mode), m, k_in, flip_def),), (size,),
            "fill" if mode == "valid" else boundary)
        def_sum = sympy.Sum(def_summand, (m, 0, k_in - 1))
        # Reindex the core's sum by the weight it reads (t -> k-1-t for a convolution).
        tm = m if correlate else k_in - 1 - m
        core_m = (wt * xr).subs(t, tm)
        ok_r, res_r = difference_is_zero(core_m, def_summand, simplify=False)
        why = ""
        if not ok_r:
            why = "not simplified to 0"
            for kv in range(0, 4):
                for av in range(0, 4):
                    sub = {kb: kv, an: av}
                    sz = int(sympy.sympify(size).subs(sub))
                    kk = kv + 1
                    lhs = sympy.Sum(wt * xr, (t, 0, k_in - 1)).subs(sub).doit()
                    rhs = def_sum.subs(sub).doit()
                    for iv in range(0, int(sympy.sympify(count).subs(sub))):
                        d = sympy.expand(sympy.piecewise_fold(lhs.subs(i, iv)
                                                              - rhs.subs(i, iv)))
                        if d != 0:
                            why = f"counterexample at k={kk}, n={sz}, i={iv}"
                            break
                    else:
                        continue
                    break
                if why.startswith("counter"):
                    break
            if not why.startswith("counter"):
                ok_r, res_r = difference_is_zero(core_m, def_summand)
                why = "" if ok_r else why
        if not (ok_c and ok_r):
            holds = False
            residual = res_c if not ok_c else res_r
            failures.append((label + ": " if label else "")
                            + ("row count" if not ok_c else f"row formula ({why})"))
        tag = f" [{label}]" if label else ""
        steps += [
            (f"the core's pads for a symbolic k{tag}, by construction",
             sympy.Matrix([[before, after]]).xreplace(back_c)),
            (f"rows: the core's out_size = the definition's{tag} ({how})",
             sympy.Eq(sympy.sympify(count).xreplace(back_c),
                      sympy.sympify(def_count).xreplace(back_c), evaluate=False)),
            (f"row i of A from the core's positions{tag}, by construction",
             core_sum.xreplace(back_c)),
            (f"output i from the definition{tag}", def_sum.xreplace(back_c)),
            (f"reindex t -> the weight index m (a bijection of 0..k-1), by construction{tag}",
             sympy.Sum(core_m, (m, 0, k_in - 1)).xreplace(back_c)),
            (f"summand left - right, simplified by sympy{tag}", res_r.xreplace(back_c)),
        ]
    samples = list(range(1, 6))
    bad: list[str] = []
    for kv in samples:
        bad += [f"k={kv}: " + b for b in _sample_tie_1d(kv, mode, correlate, boundary)]
    if bad:
        holds = False
        failures += ["builder differs from the core's formula at " + b for b in bad]
    kindname = "cross-correlation" if correlate else "convolution"
    notes = ["for every integer i, every kernel length k and every input size n"
             + (" >= k" if mode == "valid" else ""),
             "builder taps on every write path compared with the core's formula for "
             "k = 1..5: " + ("agree" if not bad else "DIFFER")]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return Proof(
        title=f"for all n and k, A x equals the direct {kindname} sum (mode={mode!r})",
        statement=sympy.Eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i"), evaluate=False),
        steps=steps, holds=holds, residual=residual, failures=failures, notes=notes,
        claim_latex=_general_formula(correlate, i))


def _start(n: Any, k: Any, mode: str) -> Any:
    from ._reference import mode_window
    return mode_window(n, k, mode)[0]


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


# --------------------------------------------------------------------- layers
def prove_layer_equivalence_general(weight_shape_or_symbols: Any = (1, 1, 3), *,
                                    stride: IntOrTuple = 1, padding: LayerPadding = 0,
                                    dilation: IntOrTuple = 1, groups: int = 1,
                                    padding_mode: PaddingMode = "zeros",
                                    claim: str = "definition") -> Proof:
    """Prove that ``layer_matrix`` is PyTorch's conv layer for every spatial size.

    :func:`~toeplitz_conv.layers.layer_geometry` (the builder's geometry) is
    evaluated at symbolic spatial sizes ``n_0, n_1, ...`` (from the smallest
    size with an output on); its output length
    ``floor((n + p_l + p_r - d (k-1) - 1) / s) + 1``, its coordinate
    ``o s + t d - p_l`` and its boundary map give row ``(o, i)`` of ``A`` for
    a symbolic ``i``, compared by sympy with
    ``out[o, i] = sum_c sum_t w[o, c, t] xpad[c', s i + d t - p_l]`` written from
    PyTorch's documentation.  The builder's taps on every write path are
    compared with the core's formula at sample sizes.

    Parameters
    ----------
    weight_shape_or_symbols : tuple of int or nested sequence
        ``(C_out, C_in // groups, *kernel)``.
    stride, padding, dilation, groups
        As :func:`~toeplitz_conv.layer_matrix`.
    padding_mode : {'zeros', 'circular', 'reflect', 'replicate'}
        ``'reflect'`` and ``'replicate'`` (one spatial dim): the rows are split
        into the leading and trailing edge rows, which read the padding, and
        a middle block, each proved by sympy for every ``n`` at least a bound
        the proof states; the finitely many smaller sizes are proved one by one.
    claim : {'definition', 'flipped'}
        ``'flipped'`` claims the layer flips the kernel; it must not hold.

    Examples
    --------
    >>> prove_layer_equivalence_general((2, 1, 3), stride=2, padding=1, dilation=2).holds
    True
    >>> prove_layer_equivalence_general((1, 1, 2, 2), padding=1).holds
    True
    >>> prove_layer_equivalence_general((1, 1, 3), claim="flipped").holds
    False
    """
    choose(claim, "claim", ("definition", "flipped"))
    choose(padding_mode, "padding_mode", ("zeros", "circular") + _SPLIT_BOUNDARIES[1:])
    w_arr = as_symbolic_kernel(weight_shape_or_symbols, what="weight_shape_or_symbols")
    if not 3 <= w_arr.ndim <= 5:
        raise ValueError(f"weight_shape_or_symbols must describe a (C_out, C_in // groups, "
                         f"*kernel) weight with 1 to 3 spatial dims, got shape {w_arr.shape}")
    w_shape = tuple(int(v) for v in w_arr.shape)
    nd = len(w_shape) - 2
    kshape = w_shape[2:]
    c_out, c_ig = w_shape[:2]
    groups = as_positive_int(groups, "groups")
    if c_out % groups:
        raise ValueError(f"groups={groups} must divide C_out={c_out}")
    c_in = c_ig * groups
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    dil = as_int_tuple(dilation, nd, "dilation", minimum=1)
    if padding_mode in _SPLIT_BOUNDARIES:
        if nd != 1:
            raise ValueError(f"padding_mode={padding_mode!r} is proved for every size with one "
                             f"spatial dim; use prove_layer_equivalence for a given shape")
        return _general_split_layer(w_arr, w_shape, strides[0], padding, dil[0], groups,
                                    padding_mode, claim)
    pads_def = torch_pads(padding, kshape, dil)
    mins = [max(1, d * (k - 1) + 1 - pl - pr) for k, d, (pl, pr) in zip(kshape, dil, pads_def)]
    if padding_mode == "circular":
        mins = [max(mn, pl, pr) for mn, (pl, pr) in zip(mins, pads_def)]
    shown = [symbolic_size(f"n_{d}" if nd > 1 else "n") for d in range(nd)]
    syms, sizes = _sizes(mins, [str(s) for s in shown])
    geom = layer_geometry(kshape, tuple(sizes), stride=strides, padding=padding, dilation=dil,
                          padding_mode=padding_mode)
    counts = [ax.out_size for ax in geom.axes]
    def_counts = [layer_definition_count(sz, k, s, pp, d)
                  for sz, k, s, pp, d in zip(sizes, kshape, strides, pads_def, dil)]
    ok_c, res_c, how = True, sympy.S.Zero, ""
    for c_core, c_def in zip(counts, def_counts):
        ok1, r1, how = _decide_counts(c_core, c_def, syms, strides)
        if not ok1:
            ok_c, res_c = False, r1
    rows = tuple(sympy.Symbol(f"i_{d}" if nd > 1 else "i", integer=True) for d in range(nd))
    pos = [[_core_read(ax, p) for p in ax.positions(np.array([r], dtype=object))[0]]
           for ax, r in zip(geom.axes, rows)]
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")
    values = list(w_arr.ravel())
    idx_all = list(itertools.product(*(range(v) for v in w_shape)))
    sub = {w[j]: v for j, v in zip(idx_all, values)}

    def weight(j: tuple[int, ...]) -> Any:
        return w[j]

    cmap = channel_map(c_out, c_in, groups)                # the core's channel map
    holds = ok_c
    residual: Any = res_c
    failures: list[str] = [] if ok_c else ["row count"]
    core_rows, def_rows = [], []
    for o in range(c_out):
        terms = []
        for c in range(c_ig):
            for t in itertools.product(*(range(k) for k in kshape)):
                w_at = (o, c) + t
                terms.append(w[w_at] * _read(x, [pp[tt] for pp, tt in zip(pos, t)],
                                                   tuple(sizes), prefix=(int(cmap[o, c]),)))
        core = sympy.Add(*terms).xreplace(sub)
        dfn = layer_definition_row(weight, x, o, rows, tuple(sizes), w_shape, strides,
                                   pads_def, dil, groups, padding_mode,
                                   flip=claim == "flipped").xreplace(sub)
        ok_r, res_r, why = _decide_rows(core, dfn, syms, rows, counts)
        if not ok_r:
            holds = False
            failures.append(f"output channel {o} ({why})")
            if residual == 0:
                residual = res_r
        core_rows.append(core)
        def_rows.append(dfn)

    def disp(e: Any) -> Any:
        return _display(e, syms, shown, mins)

    steps: list[tuple[str, Any]] = [
        ("the core's geometry at symbolic sizes: (pad before, pad after) per axis, "
         "by construction",
         sympy.Matrix([[ax.pad_before, ax.pad_after] for ax in geom.axes])),
        (f"rows per axis, the core's out_size = PyTorch's ({how})",
         sympy.Eq(sympy.Matrix(counts).applyfunc(disp),
                  sympy.Matrix(def_counts).applyfunc(disp), evaluate=False)),
        ("rows (o, i) of A from the core's o s + t d - pad_before, channel map and boundary "
         "map, by construction", sympy.Matrix(core_rows).applyfunc(disp)),
        ("PyTorch's definition", sympy.Matrix(def_rows).applyfunc(disp)),
    ]

    ok_z, z_steps, z_why = _zero_rule(geom.axes, tuple(sizes))
    steps += z_steps
    if not ok_z:
        holds = False
        failures.append(z_why)

    def core_taps(vals: tuple[int, ...]) -> list[tuple[int, int, int]]:
        g = layer_geometry(kshape, vals, stride=strides, padding=padding, dilation=dil,
                           padding_mode=padding_mode)
        tables = []
        for ax in g.axes:
            o_ = sympy.Symbol("o", integer=True)
            reads = [_core_read(ax, p) for p in ax.positions(np.array([o_], dtype=object))[0]]
            tables.append([[(int(sympy.sympify(e).subs(o_, ov)), kind) for kind, e in reads]
                           for ov in range(ax.out_size)])
        out = []
        n_out = math.prod(g.out_shape)
        for o in range(c_out):
            for orow in itertools.product(*(range(m) for m in g.out_shape)):
                for c in range(c_ig):
                    for t in itertools.product(*(range(k) for k in kshape)):
                        src = []
                        for d in range(nd):
                            v, kind = tables[d][orow[d]][t[d]]
                            if kind == "zeros" and not 0 <= v < vals[d]:
                                break
                            src.append(v)
                        else:
                            out.append((o * n_out + _flat(orow, g.out_shape),
                                        int(cmap[o, c]) * math.prod(vals)
                                        + _flat(tuple(src), vals),
                                        _flat((o, c, *t), w_shape)))
        return sorted(out)

    def builder(vals: tuple[int, ...]) -> Any:
        return layer_matrix(np.ones(w_shape, dtype=np.int64), (c_in, *vals), stride=strides,
                            padding=padding, dilation=dil, groups=groups,
                            padding_mode=padding_mode)

    per_axis = [sorted({mn, mn + 1, mn + d * (k - 1) + s + 2})
                for mn, k, d, s in zip(mins, kshape, dil, strides)]
    samples = list(itertools.product(*per_axis))
    bad = _tie_to_builder(core_taps, builder, samples)
    if bad:
        holds = False
        failures += ["builder differs from the core's formula at " + b for b in bad]
    notes = [f"for every integer output index and every spatial size "
             f"{', '.join(f'{s} >= {mn}' for s, mn in zip(shown, mins))}",
             "the matrix side is evaluated by the geometry core (layer_geometry at symbolic "
             "sizes), the other side written from PyTorch's documentation",
             f"builder taps on write paths {', '.join(_WRITE_PATHS)} compared with the core's "
             f"formula at {len(samples)} sample sizes: " + ("agree" if not bad else "DIFFER")]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return _layer_general_proof(f"stride={stride}, padding={padding}, dilation={dilation}, "
                                f"groups={groups}, padding_mode={padding_mode!r}",
                                steps, holds, residual, failures, notes)


def _layer_general_proof(params: str, steps: Any, holds: bool, residual: Any, failures: Any,
                         notes: list[str]) -> Proof:
    """The :class:`Proof` of a general-n layer statement (zero/circular or mirrored)."""
    return Proof(
        title=f"for all sizes, the layer matrix times x is PyTorch's conv layer ({params})",
        statement=sympy.Eq(sympy.Symbol("(A x)_{o,i}"), sympy.Symbol("out_{o,i}"),
                           evaluate=False),
        steps=steps, holds=holds, residual=residual, failures=failures, notes=notes,
        claim_latex=r"(A x)_{o,i} = \sum_c \sum_t w_{o,c,t}\, \tilde x_{c',\, s i + d t - p}")


# ------------------------------------------- mirrored and replicated boundaries
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
    u, b, c = _nonneg("u"), _nonneg("b"), _nonneg("c")

    def make_axis(size: Any) -> AxisGeometry:
        try:
            return cast(AxisGeometry, axis_at(size))
        except TypeError as exc:                    # a comparison sympy cannot decide
            raise _Undecided(str(exc)) from exc

    probe = make_axis(n_min)
    s, pb, pa, span = probe.stride, probe.pad_before, probe.pad_after, probe.span
    n_lead, n_trail = -(-pb // s), -(-pa // s)
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
    cases: list[tuple[Any, Any]] = [(b, c)]
    try:
        make_axis(s * b + beta + c)
    except _Undecided:
        # The core compares n with a constant (e.g. 'valid' with n = k): b and c
        # are split into 0 and >= 1, which sympy decides.
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
    from ._proofs import prove_equivalence
    from ._reference import extend
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
    bad = _sample_tie_1d(k, mode, correlate, boundary, s, samples)
    if bad:
        holds = False
        failures += ["builder differs from the core's formula at " + b for b in bad]
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
             f"sample check: builder taps on write paths {', '.join(_WRITE_PATHS)} equal the "
             f"core's input_index at the same sizes: " + ("agree" if not bad else "DIFFER"),
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
    from ._proofs import prove_layer_equivalence
    from ._reference import torch_pad_index
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

    base = max(1, dil * (k - 1) + 1 - pl - pr)
    if padding_mode == "reflect":
        base = max(base, pl + 1, pr + 1)          # PyTorch: reflect padding < input size
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
    bad = []
    for nv in samples:
        ax = make_axis(nv)
        table = ax.input_index()
        expected = sorted((o * ax.out_size + r, int(cmap[o, c]) * nv + int(table[r, t]),
                           _flat((o, c, t), w_shape))
                          for o in range(c_out) for r in range(ax.out_size)
                          for c in range(c_ig) for t in range(k) if table[r, t] >= 0)
        for path in _WRITE_PATHS:
            try:
                with forced_write_path(cast(WritePath, path)):
                    rows, cols, widx = layer_matrix(np.ones(w_shape, dtype=np.int64),
                                                    (c_in, nv), **layer_kw).taps
            except ValueError:                 # the builder refuses a valid size
                bad.append(f"n={nv}, write path {path!r} (the builder raised)")
                continue
            if sorted(zip(rows.tolist(), cols.tolist(), widx.tolist())) != expected:
                bad.append(f"n={nv}, write path {path!r}")
    if bad:
        holds = False
        failures += ["builder differs from the core's formula at " + b for b in bad]
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
             f"sample check: builder taps on write paths {', '.join(_WRITE_PATHS)} equal the "
             f"core's input_index at the same sizes: " + ("agree" if not bad else "DIFFER")]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return _layer_general_proof(f"stride={stride}, padding={padding}, dilation={dil}, "
                                f"groups={groups}, padding_mode={padding_mode!r}",
                                steps, holds, residual, failures, notes)

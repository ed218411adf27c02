"""The signal equivalence for every input size: the builder's own geometry at symbolic sizes.

The matrix side is *evaluated by the geometry core*: the same function the
builder calls (:func:`~toeplitz_conv.signal.signal_geometry`; for layers
:mod:`._general_layer` does the same with ``layer_geometry``) is called with
sympy integer sizes, and its output length, its index formula ``o s + t d - pad_before``
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
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from .._typing import IntOrTuple, Mode
from .._validation import _is_int, as_bool, as_int_tuple, as_positive_int, choose
from ..geometry import AxisGeometry, signal_geometry, signal_padding
from ..signal import MODES
from ._general_decide import (
    _ASSUMED,
    _TIE_NOTE,
    _WRITE_PATHS,
    GENERAL_LIMITS,
    _check_general,
    _core_read,
    _decide_counts,
    _decide_rows,
    _display,
    _general_formula,
    _nonneg,
    _read,
    _sizes,
    _tie_signal,
    _zero_rule,
)
from ._general_mirrored import _general_split_signal
from ._general_mirrored_nd import _general_split_signal_nd
from ._proof_result import Proof, difference_is_zero
from ._reference import (
    mode_window,
    read_extended,
    signal_definition_count,
    signal_definition_row,
    source_position,
)
from ._symbols import as_symbolic_kernel, symbolic_size

__all__ = ["prove_equivalence_general"]


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
        Zero, circular or symmetric extension.  ``'symm'`` splits the
        rows into the leading and trailing edge rows, which read the mirrored
        samples, and a middle block, each proved by sympy for every ``n`` at
        least a bound the proof states (from the core's ``input_index``
        evaluated at symbolic sizes); the finitely many smaller sizes are
        proved one by one.  In N-D each axis is proved so (its reads and
        weight indices, for every ``n_d``), and the N-D claim follows by the
        product structure the proof's notes state (the extension is per
        axis, as ``numpy.pad``'s ``symmetric``).
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
        k_sym, n_sym = _symbolic_length(kernel_size_or_symbols, n, stride, boundary)
        return _general_symbolic_k(k_sym, n_sym, mode, correlate, boundary, flip_def, claim)
    _check_general("kernel_size_or_symbols", kernel_size_or_symbols
                   if _is_int(kernel_size_or_symbols) or isinstance(kernel_size_or_symbols, tuple)
                   else (), "kernel")
    wv = as_symbolic_kernel(kernel_size_or_symbols)
    nd = wv.ndim
    kshape = tuple(int(v) for v in wv.shape)
    _check_general("kernel_size_or_symbols (its shape)", kshape, "kernel")
    if wv.size > GENERAL_LIMITS["kernel taps"]:
        raise ValueError(f"kernel_size_or_symbols has {wv.size} taps, more than "
                         f"{GENERAL_LIMITS['kernel taps']} for a proof for every size")
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    _check_general("stride", strides)
    if boundary == "symm":
        if nd != 1:
            if n is not None:
                raise ValueError("n names the size of a 1-D input; an N-D input gets n_0, "
                                 "n_1, ...")
            return _general_split_signal_nd(kshape, mode, correlate, strides, flip_def, claim,
                                            boundary)
        shown_1 = symbolic_size(n)
        if not _is_int(kernel_size_or_symbols) and shown_1 in _free_symbols(wv):
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
        if _free_symbols(wv) & set(shown):
            raise ValueError("the kernel symbols must not use the name of n")
    sig = _Signal(kshape, mode, boundary, strides, correlate, flip_def, list(wv.ravel()))
    cases: list[tuple[str, list[int]]] = [("", [1] * nd)]
    if mode == "valid":
        # n = k (pads 0) and n > k: scipy's valid output for an input at least the kernel.
        cases = [("n = k", list(kshape)), ("n > k", [k + 1 for k in kshape])]
    steps: list[tuple[str, Any]] = []
    failures: list[str] = []
    residual: Any = sympy.S.Zero
    for label, mins in cases:
        case_steps, case_failures, case_residual = _signal_case(sig, label, mins, shown)
        steps += case_steps
        failures += case_failures
        if case_residual is not None:
            residual = case_residual
    # The builder's taps on every write path against the core's formula, at samples.
    samples = _signal_samples(kshape, mode, strides)
    bad, n_sizes = _tie_signal(kshape, mode, boundary, strides, correlate, samples)
    failures += ["builder differs from scipy's definition at " + b for b in bad]
    notes = [f"for every integer row index and every input size ({', '.join(map(str, shown))})"
             + (" >= k (mode 'valid')" if mode == "valid" else ""),
             "the matrix side is evaluated by the geometry core (signal_geometry at symbolic "
             "sizes), the other side written from scipy's definition",
             _TIE_NOTE.format(paths=", ".join(_WRITE_PATHS), small=len(samples),
                              n=n_sizes, definition="scipy's definition")
             + ("agree" if not bad else "DIFFER"),
             _ASSUMED,
             f"boundary={boundary!r}, stride={strides if nd > 1 else strides[0]}"]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    kind = "cross-correlation" if correlate else "convolution"
    i_ = sympy.Symbol("i")
    return Proof(
        title=f"for all n, A x equals the direct {kind} sum (mode={mode!r})",
        statement=sympy.Eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i"), evaluate=False),
        steps=steps, holds=not failures, residual=residual, failures=failures, notes=notes,
        claim_latex=_general_formula(correlate, i_))


def _symbolic_length(kernel: Any, n: Any, stride: Any, boundary: str
                     ) -> tuple[sympy.Symbol, sympy.Symbol]:
    """The kernel length and input size symbols of a symbolic-length proof, checked."""
    stride1 = as_positive_int(stride, "stride") if _is_int(stride) else 0
    if stride1 != 1:
        raise ValueError("a symbolic kernel length is proved with stride=1")
    if boundary == "symm":
        raise ValueError("boundary='symm' is proved for every n with a given kernel "
                         "length; a symbolic kernel length takes 'fill' or 'wrap'")
    n_sym = symbolic_size(n)
    k_sym = symbolic_size(kernel, "kernel_size_or_symbols")
    if k_sym == n_sym:
        raise ValueError("the kernel length must be a different symbol from n")
    return k_sym, n_sym


def _free_symbols(wv: np.ndarray) -> set[sympy.Symbol]:
    return set().union(*(sympy.sympify(v).free_symbols for v in wv.flat))


@dataclass(frozen=True)
class _Signal:
    """The statement of a signal proof: the kernel, the options, the definition's flip."""

    kshape: tuple[int, ...]
    mode: str
    boundary: str
    strides: tuple[int, ...]
    correlate: bool
    flip_def: bool
    values: list[Any]

    @property
    def nd(self) -> int:
        return len(self.kshape)

    def weight_index(self, t: tuple[int, ...]) -> tuple[int, ...]:
        # conv_matrix calls the assembler with flip=not correlate: tap t holds
        # weight k-1-t of a convolution.
        return t if self.correlate else tuple(k - 1 - v for k, v in zip(self.kshape, t))


def _signal_case(sig: _Signal, label: str, mins: list[int], shown: list[sympy.Symbol]
                 ) -> tuple[list[tuple[str, Any]], list[str], Any]:
    """One size case (all sizes, or ``n = k`` / ``n > k``): ``(steps, failures, residual)``.

    ``residual`` is None unless the row count or the row formula fails.
    """
    nd, kshape, strides = sig.nd, sig.kshape, sig.strides
    names = [str(s) for s in shown]
    syms, sizes = _sizes(mins, names)
    if label == "n = k":
        sizes = list(kshape)
        syms = []
    geom = signal_geometry(kshape, tuple(sizes), sig.mode, sig.boundary, strides)
    rows = tuple(sympy.Symbol(f"i_{d}" if nd > 1 else "i", integer=True) for d in range(nd))
    counts = [ax.out_size for ax in geom.axes]
    def_counts = [signal_definition_count(sz, k, sig.mode, s)
                  for sz, k, s in zip(sizes, kshape, strides)]
    ok_c, res_c, how = True, sympy.S.Zero, ""
    for c_core, c_def in zip(counts, def_counts):
        ok1, r1, how = _decide_counts(c_core, c_def, syms, strides)
        if not ok1:
            ok_c, res_c = False, r1
    core_v, def_v = _signal_rows(sig, geom, rows, sizes)
    ok_r, res_r, why = _decide_rows(core_v, def_v, syms, rows, counts)
    failures: list[str] = []
    residual: Any = None
    if not (ok_c and ok_r):
        residual = res_c if not ok_c else res_r
        failures.append((label + ": " if label else "") + (
            "row count" if not ok_c else f"row formula ({why})"))
    tag = f" [{label}]" if label else ""
    disp = [(lambda e, _s=syms, _m=mins: _display(e, _s, shown, _m))][0]
    steps = [
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
        failures.append((label + ": " if label else "") + z_why)
    return steps, failures, residual


def _signal_rows(sig: _Signal, geom: Any, rows: tuple[sympy.Symbol, ...], sizes: list[Any]
                 ) -> tuple[Any, Any]:
    """Row ``i`` of ``A`` from the core's positions and boundary map, and the definition's."""
    nd, kshape = sig.nd, sig.kshape
    pos = [[_core_read(ax, p) for p in ax.positions(np.array([r], dtype=object))[0]]
           for ax, r in zip(geom.axes, rows)]
    w = sympy.IndexedBase("w")
    x = sympy.IndexedBase("x")

    def weight(j: tuple[int, ...], w: Any = w) -> Any:
        return w[j] if nd > 1 else w[j[0]]

    core_terms = []
    for t in itertools.product(*(range(k) for k in kshape)):
        v = weight(sig.weight_index(t))
        core_terms.append((sympy.conjugate(v) if sig.correlate else v)
                          * _read(x, [pp[tt] for pp, tt in zip(pos, t)], tuple(sizes)))
    core_row = sympy.Add(*core_terms)
    def_row = signal_definition_row(weight, x, rows, tuple(sizes), kshape, sig.mode,
                                    sig.boundary, sig.strides, sig.flip_def, sig.correlate)
    conj = [sig.correlate and v.is_real is False for v in sig.values]
    taps = list(itertools.product(*(range(k) for k in kshape)))
    sub = {weight(j): val for j, val in zip(taps, sig.values)}
    # A conjugated weight becomes its value, conjugated only when sympy knows the
    # value is not real (a real weight's conjugate is itself).
    conj_sub = {sympy.conjugate(weight(j)): (sympy.conjugate(val) if cj else val)
                for j, val, cj in zip(taps, sig.values, conj)}
    return (core_row.xreplace(conj_sub).xreplace(sub),
            def_row.xreplace(conj_sub).xreplace(sub))


def _signal_samples(kshape: tuple[int, ...], mode: str, strides: tuple[int, ...]
                    ) -> list[tuple[int, ...]]:
    """Small sizes: where rows change shape (every row an edge row, the first full row)
    and every residue of the stride after it."""
    lo = [k if mode == "valid" else 1 for k in kshape]
    if len(kshape) == 1:
        return [(v,) for v in range(lo[0], lo[0] + kshape[0] + strides[0] + 8)]
    per_axis = [sorted({mn, mn + 1, *range(mn + k + 1, mn + k + s + 2)})
                for mn, k, s in zip(lo, kshape, strides)]
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
            cex = _symbolic_k_counterexample(sympy.Sum(wt * xr, (t, 0, k_in - 1)), def_sum,
                                             i, size, count, kb, an)
            if cex is not None:
                why = cex
            else:
                ok_r, res_r = difference_is_zero(core_m, def_summand)
                why = "" if ok_r else "not simplified to 0"
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
    n_sizes = 0
    for kv in samples:
        # The write-path thresholds at k = 3 (a representative); every k at small sizes.
        bad_k, n_k = _tie_signal((kv,), mode, boundary, (1,), correlate,
                                 _signal_samples((kv,), mode, (1,)), thresholds=kv == 3)
        bad += [f"k={kv}: " + b for b in bad_k]
        n_sizes += n_k
    if bad:
        holds = False
        failures += ["builder differs from scipy's definition at " + b for b in bad]
    kindname = "cross-correlation" if correlate else "convolution"
    notes = ["for every integer i, every kernel length k and every input size n"
             + (" >= k" if mode == "valid" else ""),
             _TIE_NOTE.format(paths=", ".join(_WRITE_PATHS), small="small",
                              n=f"{n_sizes} (k = 1..5; the thresholds at k = 3)",
                              definition="scipy's definition")
             + ("agree" if not bad else "DIFFER"),
             "assumed, not proved: the builder's pads for a symbolic k are signal_padding's "
             "(read from the core), and for k > 5 the builder places what the core's formula "
             "says; " + _ASSUMED]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return Proof(
        title=f"for all n and k, A x equals the direct {kindname} sum (mode={mode!r})",
        statement=sympy.Eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i"), evaluate=False),
        steps=steps, holds=holds, residual=residual, failures=failures, notes=notes,
        claim_latex=_general_formula(correlate, i))


def _symbolic_k_counterexample(core_sum: Any, def_sum: Any, i: sympy.Symbol, size: Any,
                               count: Any, kb: sympy.Symbol, an: sympy.Symbol) -> str | None:
    """The first kernel length, size and row (k, n <= 4) where the two sums differ."""
    for kv in range(0, 4):
        for av in range(0, 4):
            sub = {kb: kv, an: av}
            sz = int(sympy.sympify(size).subs(sub))
            lhs = core_sum.subs(sub).doit()
            rhs = def_sum.subs(sub).doit()
            for iv in range(0, int(sympy.sympify(count).subs(sub))):
                d = sympy.expand(sympy.piecewise_fold(lhs.subs(i, iv) - rhs.subs(i, iv)))
                if d != 0:
                    return f"counterexample at k={kv + 1}, n={sz}, i={iv}"
    return None


def _start(n: Any, k: Any, mode: str) -> Any:
    return mode_window(n, k, mode)[0]

"""Proofs for given sizes: equivalence, tied weight gradient, shift equivariance,
the convolution theorem, associativity and commutativity.

Each proof builds its matrices from the numeric builders' taps, writes the
other side from the textbook definition (:mod:`._reference`), and lets sympy
decide every entry of "left - right".  Each takes ``claim=`` to pose a
deliberately wrong statement, which must then come out ``holds == False``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import sympy
from sympy.core.mul import _args_sortkey

from .._assemble import assemble
from .._typing import IntOrTuple, LayerPadding, Mode, PaddingMode, SignalBoundary
from .._validation import as_bool, as_int, as_int_tuple, as_positive_int, choose
from ..geometry import Geometry, circular_axis
from ._matrix import SymbolicTaps, layer_taps, signal_taps, symbolic_matrix
from ._proof_result import Proof, difference_is_zero, rows_agree
from ._reference import (
    affected_rows,
    circular_outputs,
    direct_outputs,
    gradient_definition,
    layer_definition_count,
    layer_outputs,
    layer_weight_grad,
    mode_window,
    shift_matrix,
    signal_definition_count,
    torch_pads,
)
from ._symbols import as_symbolic_kernel, input_symbols

__all__ = [
    "prove_associativity",
    "prove_commutativity",
    "prove_convolution_theorem",
    "prove_equivalence",
    "prove_layer_equivalence",
    "prove_layer_weight_gradient",
    "prove_shift_equivariance",
    "prove_weight_gradient",
]

#: Above this many rows a proof's matrices are only summarised, not stored as steps.
_STEP_ROWS = 256
#: Stop comparing rows after this many failures: one already refutes the claim.
_STOP_AFTER = 50
#: The largest circulant the convolution theorem is proved for (the benchmark is 64).
_MAX_CIRCULANT = 256


def _col(values: Any) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix(list(values))


def _eq(left: Any, right: Any) -> sympy.Eq:
    return sympy.Eq(left, right, evaluate=False)


def _kind(correlate: bool) -> str:
    return "cross-correlation" if correlate else "convolution"


def _definition_latex(correlate: bool, stride: int, start: str) -> str:
    q = (f"{stride} i" if stride != 1 else "i") + (f" + {start}" if start != "0" else "")
    if correlate:
        return rf"y_i = \sum_{{j=0}}^{{k-1}} \overline{{w_j}}\, x_{{{q} - (k-1) + j}}"
    return rf"y_i = \sum_{{j=0}}^{{k-1}} w_j\, x_{{{q} - j}}"


def _product_cache() -> Any:
    """``times(a, b)`` remembering each product, so both sides share the sympy objects."""
    cache: dict[tuple[Any, Any], Any] = {}

    def times(a: Any, b: Any) -> Any:
        key = (a, b)
        if key not in cache:
            if (isinstance(a, sympy.Symbol) and isinstance(b, sympy.Symbol) and a != b
                    and a.is_commutative and b.is_commutative):
                # Two distinct commutative symbols: Mul's canonical form is the pair in
                # its sort order, built here without Mul.flatten (the same object a * b
                # gives; tests/test_symbolic.py checks it).
                cache[key] = sympy.Mul._from_args(tuple(sorted((a, b), key=_args_sortkey)))
            else:
                cache[key] = a * b
        return cache[key]
    return times


def _sum_cache() -> Any:
    """``plus(terms)``: ``sympy.Add(*terms)``, remembered by the multiset of its terms.

    Add is canonical -- the same multiset of terms always gives the same
    expression -- so two rows with the same terms, in any order, share one
    object and compare equal at once; different multisets are built (and
    compared) by sympy as usual.
    """
    cache: dict[frozenset[tuple[Any, int]], Any] = {}

    def plus(terms: list[Any]) -> Any:
        counts: dict[Any, int] = {}
        for t in terms:
            counts[t] = counts.get(t, 0) + 1
        key = frozenset(counts.items())
        if key not in cache:
            if all(c == 1 and _is_symbol_pair(t) for t, c in counts.items()):
                # Distinct products of two symbols: Add's canonical form is the
                # terms in its sort order (nothing to collect), built here
                # without Add.flatten (the same object sympy.Add gives;
                # tests/test_symbolic_mutations.py checks it).
                cache[key] = sympy.Add._from_args(tuple(sorted(counts, key=_args_sortkey)))
            else:
                cache[key] = sympy.Add(*terms)
        return cache[key]
    return plus


def _is_symbol_pair(term: Any) -> bool:
    """``term`` is a product of two distinct commutative symbols (what ``times`` builds)."""
    return (isinstance(term, sympy.Mul) and len(term.args) == 2
            and all(isinstance(a, sympy.Symbol) and a.is_commutative for a in term.args))


# ---------------------------------------------------------------- equivalence
def prove_equivalence(kernel_size_or_symbols: Any, input_shape: Any, mode: Mode = "full", *,
                      correlate: bool = False, boundary: SignalBoundary = "fill",
                      stride: IntOrTuple = 1, claim: str = "definition",
                      conjugate: bool | None = None) -> Proof:
    """Prove ``A x`` equals the direct convolution sum, entry by entry.

    ``A`` is the matrix :func:`symbolic_matrix` returns (its entries summed
    from the taps of :func:`~toeplitz_conv.conv_matrix`), and ``A x`` is
    computed from exactly those entries, so the proof checks the matrix it
    displays; ``x`` is a vector of symbols ``x_0, x_1, ...``; the right-hand
    side is written from the definition, ``y_i = sum_j w_j x_{i-j}`` (the
    correlation form with ``correlate=True``) with zeros, wrap-around or
    mirroring outside the input per ``boundary``.  Only the band of ``A`` is
    ever formed (row by row), so large inputs stay fast.

    Parameters
    ----------
    kernel_size_or_symbols : int, tuple of int, or sequence
        See :func:`symbolic_matrix`.  1-D or N-D.
    input_shape : int or tuple of int
    mode : {'full', 'valid', 'same', 'circular'}
        ``'circular'`` (with ``boundary='fill'``): the right-hand side is
        ``y_i = sum_j w_j x_{(i - j) mod n}``, or ``x_{(i + j) mod n}`` for the
        correlation.
    correlate : bool
    boundary : {'fill', 'wrap', 'symm'}
    stride : int or tuple of int
        Keep every ``stride``-th output.
    claim : {'definition', 'unflipped'}
        ``'unflipped'`` poses the wrong statement that a convolution is the
        correlation sum (and vice versa); it must not hold.
    conjugate : bool, optional
        As in :func:`symbolic_matrix`.

    Returns
    -------
    Proof

    Examples
    --------
    >>> p = prove_equivalence(3, 4, "full")
    >>> p.holds
    True
    >>> prove_equivalence(3, 4, "full", claim="unflipped").holds
    False
    >>> prove_equivalence((2, 2), (3, 3), "same", correlate=True).holds
    True
    >>> prove_equivalence(3, 5, "circular").holds
    True
    """
    choose(claim, "claim", ("definition", "unflipped"))
    correlate = as_bool(correlate, "correlate")
    taps = signal_taps(kernel_size_or_symbols, input_shape, mode, correlate=correlate,
                       boundary=boundary, stride=stride, conjugate=conjugate)
    w = taps.weight
    x = input_symbols(taps.in_shape, w)
    stride_t = as_int_tuple(stride, w.ndim, "stride", minimum=1)
    times, plus = _product_cache(), _sum_cache()
    entries = taps.entries()
    if taps.outside:
        return _broken_taps_proof(taps, f"matrix times input equals the direct "
                                  f"{_kind(correlate)} sum (mode={mode!r})")
    lhs = taps.row_products(list(x.ravel()), times, entries, plus)
    flip = (not correlate) if claim == "definition" else correlate
    rhs = list(direct_outputs(w, x, mode, correlate=correlate, boundary=boundary,
                              stride=stride_t, flip=flip, times=times,
                              conjugate=conjugate, plus=plus).ravel())
    holds, failing_rows, residual = rows_agree(lhs, rhs, stop_after=_STOP_AFTER)
    failing: list[Any] = list(failing_rows)
    m = len(lhs)
    steps: list[tuple[str, Any]] = []
    statement: Any
    if m <= _STEP_ROWS:
        lhs_m, rhs_m = _col(lhs), _col(rhs)
        small = m * taps.shape[1] <= 400
        if small:
            a = taps.matrix(entries=entries)
            steps.append((f"A = symbolic_matrix(...) (mode={mode!r}), from the taps of "
                          f"conv_matrix", a))
            statement = _eq(sympy.MatMul(a, _col(x.ravel()), evaluate=False), rhs_m)
        else:
            statement = _eq(lhs_m, rhs_m)
        steps.append(("(A x)_i, from the entries of row i of A", lhs_m))
        steps.append(("the direct sum from the definition", rhs_m))
        steps.append(("left - right (each row then decided by sympy)",
                      _col(left - right for left, right in zip(lhs, rhs))))
    else:
        statement = _eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i"))
        steps.append((f"rows 0..2 of A x (of {m}), from the entries of A", _col(lhs[:3])))
        steps.append(("rows 0..2 of the direct sum", _col(rhs[:3])))
    start = "0"
    if w.ndim == 1 and mode != "circular":
        start = str(mode_window(taps.in_shape[0], w.shape[0], mode)[0])
    if len(lhs) != len(rhs):
        failing = [f"A has {len(lhs)} rows, the definition {len(rhs)} outputs"]
    if taps.outside:
        holds = False
        failing = [f"taps outside the {taps.shape} matrix, e.g. {taps.outside[0]}"] + failing
    notes = [f"{m} rows, each simplified separately ({taps.rows.size} taps)"
             + (f"; stopped after {_STOP_AFTER} failing rows" if len(failing) == _STOP_AFTER
                else ""),
             f"boundary={boundary!r}, stride={stride}"]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return Proof(
        details={"rows": lhs, "definition": rhs, "x": list(x.ravel()), "entries": entries},
        title=f"matrix times input equals the direct {_kind(correlate)} sum (mode={mode!r})",
        statement=statement, steps=steps, holds=holds, residual=residual, failures=failing,
        claim_latex=_definition_latex(correlate, stride_t[0], start) if w.ndim == 1
        else _definition_latex_nd(correlate),
        notes=notes)


def _broken_taps_proof(taps: SymbolicTaps, title: str) -> Proof:
    """The refutation when the builder places taps outside its matrix (or tied to no
    weight): no row needs comparing, the matrix is not the one the builder claims."""
    return Proof(title=title, statement=_eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i")),
                 steps=[], holds=False,
                 failures=[f"{len(taps.outside)} taps outside the {taps.shape} matrix or tied "
                           f"to no weight, e.g. (row, column) {taps.outside[0]}"],
                 notes=["the builder's taps do not describe a matrix of its shape"])


def _definition_latex_nd(correlate: bool) -> str:
    if correlate:
        return (r"y_{\mathbf i} = \sum_{\mathbf m} w_{\mathbf m}\,"
                r" x_{\mathbf q - (\mathbf k - 1) + \mathbf m}")
    return r"y_{\mathbf i} = \sum_{\mathbf m} w_{\mathbf m}\, x_{\mathbf q - \mathbf m}"


# ------------------------------------------------------------ weight gradient
def _weight_symbols(w: np.ndarray, what: str) -> list[sympy.Symbol]:
    flat = list(w.ravel())
    if not all(isinstance(v, sympy.Symbol) for v in flat) or len(set(flat)) != len(flat):
        raise ValueError(f"{what} needs distinct weight symbols to differentiate by; pass "
                         f"a kernel size or a sequence of distinct sympy Symbols")
    if not all(v.is_real for v in flat):
        raise ValueError(f"{what} needs real weight symbols (declare them with real=True)")
    return flat


def prove_weight_gradient(kernel_size_or_symbols: Any, input_shape: Any, mode: Mode = "full", *,
                          correlate: bool = False, boundary: SignalBoundary = "fill",
                          stride: IntOrTuple = 1, claim: str = "tied-sum") -> Proof:
    """Prove that the gradient of a tied weight is the sum over its tied positions,
    and that this sum is the cross-correlation of the upstream gradient with the input.

    With ``y = A(w) x`` and ``g_i = dL/dy_i``, the chain rule gives
    ``dL/dw_m = sum_i g_i dy_i/dw_m``.  Proved, for every weight:

    1. sympy's derivative of ``sum_i g_i y_i`` equals ``sum_{(r, c) tied to w_m} g_r x_c``
       (the taps of ``conv_matrix``);
    2. that sum equals ``sum_o g_o x_{q_o - m}`` (convolution; ``x_{q_o - (k-1) + m}``
       for correlation): the cross-correlation of ``g`` with ``x``.

    Parameters
    ----------
    kernel_size_or_symbols, input_shape, mode, correlate, boundary, stride
        As :func:`prove_equivalence`; the weights must be distinct real symbols.
    claim : {'tied-sum', 'no-sum', 'convolution'}
        ``'no-sum'`` claims each weight's gradient is only its *first* tied
        position's ``g_r x_c`` (dropping the sum); ``'convolution'`` uses the
        flipped (convolution) form for the gradient.  Both must fail.

    Examples
    --------
    >>> prove_weight_gradient(3, 4).holds
    True
    >>> prove_weight_gradient(3, 4, claim="no-sum").holds
    False
    """
    choose(claim, "claim", ("tied-sum", "no-sum", "convolution"))
    correlate = as_bool(correlate, "correlate")
    taps = signal_taps(kernel_size_or_symbols, input_shape, mode, correlate=correlate,
                       boundary=boundary, stride=stride)
    stride_t = as_int_tuple(stride, taps.weight.ndim, "stride", minimum=1)

    def reference(x: np.ndarray, g: np.ndarray, flip: bool, times: Any) -> list[Any]:
        return gradient_definition(taps.weight.shape, x, g, mode, boundary, stride_t, flip,
                                   times)

    # The number of outputs from scipy's definition, not from the builder.
    out_shape = tuple(int(signal_definition_count(n, k, mode, s))
                      for n, k, s in zip(taps.in_shape, taps.weight.shape, stride_t))
    return _gradient_proof(
        taps, reference, claim, out_shape, wrong_flip=claim == "convolution",
        flip=not correlate,
        title=f"the gradient of each tied weight of a {_kind(correlate)} (mode={mode!r}) is "
              f"the sum over its positions = correlation of g with x",
        what="prove_weight_gradient")


def _gradient_proof(taps: SymbolicTaps, reference: Any, claim: str,
                    out_shape: tuple[int, ...], *, wrong_flip: bool, flip: bool, title: str,
                    what: str) -> Proof:
    """Autodiff = sum over tied positions = ``reference(x, g, flip)``, per weight.

    ``out_shape`` is the definition's output shape: ``g`` has one symbol per
    output of the definition, so a matrix with missing or extra rows fails.
    sympy differentiates each row ``y_r`` (a short sum) by the weights in
    it; the chain rule ``dL/dw_m = sum_r g_r dy_r/dw_m`` adds them up.
    """
    w = taps.weight
    wsyms = _weight_symbols(w, what)
    x = input_symbols(taps.in_shape, w)
    g = input_symbols(out_shape, w, name="g")
    xf, gf = list(x.ravel()), list(g.ravel())
    times = _product_cache()
    y = taps.row_products(xf, times)
    count_ok = len(y) == len(gf) and not taps.outside
    # The outputs are linear in the weights: sympy's Jacobian J[r, m] = dy_r/dw_m
    # (linear_eq_to_matrix also returns the weight-free part, which must be 0).
    jac, free = sympy.linear_eq_to_matrix(y, wsyms)
    linear = all(v == 0 for v in free)
    autodiff = [sympy.Add(*(times(gr, jac[r, m]) for r, gr in enumerate(gf[:len(y)])
                            if jac[r, m] != 0)) for m in range(len(wsyms))]
    tied: list[list[sympy.Expr]] = [[] for _ in wsyms]
    for r, c, k in zip(taps.rows.tolist(), taps.cols.tolist(), taps.widx.tolist()):
        if r < len(gf) and 0 <= k < len(tied) and 0 <= c < len(xf):
            tied[k].append(times(gf[r], xf[c]))
    if claim == "no-sum":
        tied_sum = [t[0] if t else sympy.S.Zero for t in tied]
    else:
        tied_sum = [sympy.Add(*t) for t in tied]
    corr = reference(x, g, (not flip) if wrong_flip else flip, times)
    ok1, fail1, res1 = rows_agree(autodiff, tied_sum)
    ok2, fail2, res2 = rows_agree(tied_sum, corr)
    grads = _col(sympy.Symbol(f"dL/d{v}") for v in wsyms)
    loss: Any = (sympy.Add(*(gi * yi for gi, yi in zip(gf, y))) if len(y) <= _STEP_ROWS
                 else sympy.Symbol("sum_r g_r y_r"))
    steps: list[tuple[str, Any]] = [
        (f"loss with upstream gradient g_i = dL/dy_i, one per output of the definition "
         f"({len(gf)}; A has {len(y)} rows)", _eq(sympy.Symbol("L"), loss)),
        ("chain rule with sympy's Jacobian: dL/dw_m = sum_r g_r dy_r/dw_m", _col(autodiff)),
        ("sum over the positions tied to w_m: g_r x_c", _col(tied_sum)),
        ("cross-correlation of g with x, from its definition", _col(corr)),
    ]
    notes = ["each weight's three expressions are compared by simplifying their differences"]
    if claim != "tied-sum":
        notes.append(f"deliberately wrong claim {claim!r}")
    failures: list[Any] = ([] if count_ok else
                           [f"A has {len(y)} rows, the definition {len(gf)} outputs"])
    return Proof(
        title=title, statement=_eq(grads, _col(corr)), steps=steps,
        holds=count_ok and linear and ok1 and ok2,
        residual=res1 if not ok1 else res2,
        failures=failures + [("autodiff vs tied sum", i) for i in fail1]
        + [("tied sum vs correlation", i) for i in fail2],
        claim_latex=r"\frac{\partial L}{\partial w_m} = \sum_{(r,c)\,:\,A_{rc}=w_m} g_r x_c"
                    r" = (g \star x)_m",
        notes=notes, details={"gradient": autodiff, "weights": wsyms, "x": xf, "g": gf})


def prove_layer_weight_gradient(weight_shape_or_symbols: Any, input_shape: Any, *,
                                stride: IntOrTuple = 1, padding: LayerPadding = 0,
                                dilation: IntOrTuple = 1,
                                groups: int = 1, padding_mode: PaddingMode = "zeros",
                                claim: str = "tied-sum") -> Proof:
    """The tied-gradient proof of :func:`prove_weight_gradient` for a PyTorch layer.

    ``dL/dw[o, c, t] = sum_i g[o, i] xpad[c', s i + d t - p]`` (``c'`` the input
    channel of ``c`` in ``o``'s group), written from PyTorch's definition, equals
    sympy's derivative and the sum over the weight's tied positions in
    :func:`~toeplitz_conv.layer_matrix`.

    Parameters
    ----------
    weight_shape_or_symbols, input_shape, stride, padding, dilation, groups, padding_mode
        As :func:`prove_layer_equivalence`.
    claim : {'tied-sum', 'no-sum', 'flipped'}
        Wrong claims: only the first tied position, or the flipped kernel.

    Examples
    --------
    >>> prove_layer_weight_gradient((2, 2, 2), (2, 4), stride=2, padding=1).holds
    True
    >>> prove_layer_weight_gradient((1, 1, 2), (1, 4), claim="no-sum").holds
    False
    """
    choose(claim, "claim", ("tied-sum", "no-sum", "flipped"))
    taps = layer_taps(weight_shape_or_symbols, input_shape, stride=stride, padding=padding,
                      dilation=dilation, groups=groups, padding_mode=padding_mode)
    nd = taps.weight.ndim - 2
    stride_t = as_int_tuple(stride, nd, "stride", minimum=1)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    pads = torch_pads(padding, taps.weight.shape[2:], dil_t, sizes=taps.in_shape[1:],
                      stride=stride_t)

    def reference(x: np.ndarray, g: np.ndarray, flip: bool, times: Any) -> list[Any]:
        return layer_weight_grad(taps.weight.shape, x, g, stride=stride_t, pads=pads,
                                 dilation=dil_t, groups=int(groups),
                                 padding_mode=padding_mode, flip=flip, times=times)

    c_out = taps.weight.shape[0]
    out_shape = (c_out, *(layer_definition_count(n, k, s, pp, d) for n, k, s, pp, d in zip(
        taps.in_shape[1:], taps.weight.shape[2:], stride_t, pads, dil_t)))
    return _gradient_proof(
        taps, reference, claim, tuple(int(v) for v in out_shape), wrong_flip=claim == "flipped",
        flip=False,
        title="the gradient of each tied weight of a PyTorch conv layer is the sum over "
              "its positions = correlation of g with x", what="prove_layer_weight_gradient")


# ---------------------------------------------------------- shift equivariance
def prove_shift_equivariance(kernel_size_or_symbols: Any, n: int, shift: int = 1, *,
                             boundary: Literal["wrap", "fill"] = "wrap", mode: Mode = "same",
                             correlate: bool = False, claim: str = "equivariant") -> Proof:
    """Prove that convolution commutes with shifting the input.

    * ``boundary='wrap'`` (circular, ``mode='same'``): ``C S = S C`` exactly,
      with ``S`` the cyclic shift by ``shift``.
    * ``boundary='fill'`` (zero padding, any mode): ``A S_in x`` and
      ``S_out A x`` (non-circular delays by ``shift >= 0``) agree on every
      row except the predicted ones (see the notes of the returned proof):
      the rows whose reading window meets the samples shifted off the end,
      or, at the top, rows that ``S_out`` zeroes while ``A S_in x`` is not
      zero.  The proof checks both halves: the other rows are equal, the
      predicted rows are not.

    Parameters
    ----------
    kernel_size_or_symbols : int or sequence
        1-D kernel (size or symbols).
    n : int
        Input length.
    shift : int
        Shift (delay) in samples; ``>= 0`` for zero padding.
    boundary : {'wrap', 'fill'}
    mode : {'full', 'valid', 'same'}
        Must be ``'same'`` for ``'wrap'`` (a square circulant).
    correlate : bool
    claim : {'equivariant', 'wrong-shift', 'no-rows-affected'}
        ``'wrong-shift'`` shifts the output by ``shift + 1`` instead;
        ``'no-rows-affected'`` claims exact equivariance under zero padding.

    Examples
    --------
    >>> prove_shift_equivariance(3, 5, 2).holds
    True
    >>> prove_shift_equivariance(3, 5, 2, claim="wrong-shift").holds
    False
    >>> p = prove_shift_equivariance(3, 5, 1, boundary="fill", mode="full")
    >>> p.holds, p.failures
    (True, [])
    >>> p.notes[0]
    'rows affected by zero padding: [5, 6]'
    """
    choose(claim, "claim", ("equivariant", "wrong-shift", "no-rows-affected"))
    choose(boundary, "boundary", ("wrap", "fill"))
    w = as_symbolic_kernel(kernel_size_or_symbols, ndim=1)
    n, shift = as_positive_int(n, "n"), as_int(shift, "shift")
    circular = boundary == "wrap"
    if circular and mode != "same":
        raise ValueError("boundary='wrap' needs mode='same' (an n x n circulant), "
                         f"got mode={mode!r}")
    if not circular and not 0 <= shift <= n:
        raise ValueError(f"shift must be between 0 and n = {n} for zero padding, got {shift}")
    a = symbolic_matrix(w, n, mode, correlate=correlate, boundary=boundary)
    x_arr = input_symbols((n,), w)
    x = _col(x_arr.ravel())
    m = a.rows
    s_in = shift_matrix(n, shift, circular)
    out_shift = shift + 1 if claim == "wrong-shift" else shift
    s_out = shift_matrix(m, out_shift, circular)
    left, right = a * (s_in * x), s_out * (a * x)
    diffs = [difference_is_zero(left[i], right[i]) for i in range(m)]
    nonzero = [i for i, (ok, _) in enumerate(diffs) if not ok]
    notes = []
    if circular:
        predicted: list[int] = []
        title = f"circular {_kind(correlate)} commutes with a cyclic shift by {shift}"
        statement = _eq(a * s_in, s_out * a)
        claim_latex = r"C\,S = S\,C,\quad (C x)_i = \sum_m w_m x_{(i-m) \bmod n}"
    else:
        predicted = [] if claim == "no-rows-affected" else affected_rows(
            n, w.shape[0], mode, shift)
        notes.append(f"rows affected by zero padding: {predicted}")
        keep = [i for i in range(m) if i not in predicted]
        title = (f"zero-padded {_kind(correlate)} (mode={mode!r}) commutes with a delay by "
                 f"{shift}, except on the predicted rows")
        statement = _eq(_col(left[i] for i in keep), _col(right[i] for i in keep))
        claim_latex = (r"(A S x)_i = (S A x)_i \ \text{for } i \notin R,\quad"
                       r" (A x)_i = \sum_m w_m x_{i-m}")
    failing: list[Any] = sorted(set(nonzero) ^ set(predicted))
    residual = next((diffs[i][1] for i in failing if i in nonzero), sympy.S.Zero)
    # A must be the convolution itself (from its definition), not merely some
    # matrix that commutes with shifts: an unflipped builder fails here.
    definition = list(direct_outputs(w, x_arr, mode, correlate=correlate,
                                     boundary=boundary).ravel())
    ok_def, fail_def, res_def = rows_agree(list(a * x), definition)
    if not ok_def:
        failing = failing + [("A x vs the definition", i) for i in fail_def]
        residual = residual if residual != 0 else res_def
    if claim != "equivariant":
        notes.append(f"deliberately wrong claim {claim!r}")
    steps = [("A from the taps of conv_matrix", a), ("S (input shift)", s_in),
             ("A S x", left), ("S A x", right),
             ("A S x - S A x, simplified", _col(d[1] for d in diffs)),
             ("A x from the definition (A is the convolution itself)", _col(definition))]
    return Proof(title=title, statement=statement, steps=steps, holds=not failing,
                 residual=residual, failures=failing, claim_latex=claim_latex, notes=notes,
                 details={"matrix": a, "affected_rows": predicted, "differing_rows": nonzero})


# -------------------------------------------------------- convolution theorem
def prove_convolution_theorem(kernel_size_or_symbols: Any, n: int, *,
                              claim: str = "dft") -> Proof:
    """Prove that the DFT diagonalises the circulant matrix of a circular convolution.

    ``C`` (``y_i = sum_m w_m x_{(i - m) mod n}``) is built by the geometry core
    with wrap-around; ``F[j, k] = omega^(j k)`` with ``omega = exp(-2 pi i / n)``.
    Claim: ``F C F^{-1} = diag(W)`` with ``W_k = sum_m w_m omega^(m k)``, the DFT
    of the kernel.  ``omega`` is kept as a symbol and every entry is reduced
    modulo its minimal polynomial (the ``n``-th cyclotomic polynomial), which
    is exact arithmetic in ``Q(omega)``.

    Parameters
    ----------
    kernel_size_or_symbols : int or sequence
        1-D kernel.
    n : int
        Size of the circulant (``>= 1``); kernels longer than ``n`` wrap.
    claim : {'dft', 'inverse-dft'}
        ``'inverse-dft'`` claims the eigenvalues are ``sum_m w_m omega^(-m k)``.

    Examples
    --------
    >>> prove_convolution_theorem(3, 4).holds
    True
    >>> prove_convolution_theorem(3, 4, claim="inverse-dft").holds
    False
    """
    choose(claim, "claim", ("dft", "inverse-dft"))
    w = as_symbolic_kernel(kernel_size_or_symbols, ndim=1)
    n, k = as_positive_int(n, "n"), w.shape[0]
    if n > _MAX_CIRCULANT:
        # n Fourier vectors of n entries each, reduced modulo the n-th cyclotomic polynomial.
        raise ValueError(f"n must be at most {_MAX_CIRCULANT} for the symbolic convolution "
                         f"theorem (n^2 exact entries in Q(omega)), got {n}")
    # geometry.circular_axis is the n x n circulant in correlation form;
    # flip=True reverses the taps, giving y_i = sum_m w_m x_{(i - m) mod n}.
    geom = Geometry((circular_axis(n, k),))
    rows, cols, widx = assemble(geom, np.ones(k, dtype=np.int64), flip=True).taps
    ctaps = SymbolicTaps(rows, cols, widx, w, (n, n), (n,), (n,), conjugate=False)
    entries = ctaps.entries()
    omega = sympy.Symbol("omega")
    phi = sympy.cyclotomic_poly(n, omega)
    sign = 1 if claim == "dft" else -1
    eig = [sympy.Add(*(w[m] * omega ** ((sign * m * kk) % n) for m in range(k)))
           for kk in range(n)]

    def reduce(e: Any) -> sympy.Expr:
        """Expand, use omega^n = 1 on every power, then (if needed) reduce modulo phi."""
        e = sympy.expand(e)
        if not e.has(omega):
            return e
        e = e.replace(lambda t: t.is_Pow and t.base == omega and t.exp.is_Integer,
                      lambda t: omega ** (int(t.exp) % n))
        return e

    def equal_in_field(left: Any, right: Any) -> tuple[bool, Any]:
        d = reduce(left - right)
        if d != 0 and d.has(omega):
            d = sympy.expand(sympy.rem(d, phi, omega))
        return d == 0, d

    # C v_k = W_k v_k for every column v_k = (omega^(-j k))_j of n F^{-1}: then
    # C F^{-1} = F^{-1} diag(W), i.e. F C F^{-1} = diag(W) (F F^{-1} = I below).
    failing: list[Any] = []
    residual: Any = sympy.S.Zero
    by_row: dict[int, list[tuple[int, Any]]] = {}
    for (r, col), v in entries.items():
        by_row.setdefault(r, []).append((col, v))
    for kk in range(n):
        vk = [omega ** ((-j * kk) % n) for j in range(n)]
        for j in range(n):
            cv = sympy.Add(*(v * vk[col] for col, v in by_row.get(j, [])))
            ok, d = equal_in_field(cv, eig[kk] * vk[j])
            if not ok:
                failing.append((kk, j))
                residual = residual if residual != 0 else d
                break
    # F F^{-1} = I: entry (j, l) is (1/n) sum_k omega^((j - l) k), which depends on j - l.
    holds_inv = all(equal_in_field(sympy.Add(*(omega ** ((dd * kk) % n) for kk in range(n))) / n,
                                   1 if dd == 0 else 0)[0] for dd in range(n))
    # C must be the circular convolution itself, from its definition.
    x = input_symbols((n,), w)
    cx = ctaps.row_products(list(x))
    ok_def, fail_def, res_def = rows_agree(cx, circular_outputs(w, x))
    if not ok_def:
        failing += [("C x vs the definition", i) for i in fail_def]
        residual = residual if residual != 0 else res_def
    holds = not failing
    om = sympy.exp(-2 * sympy.pi * sympy.I / n)
    small = n <= 12
    c = ctaps.matrix(sparse=not small, entries=entries)
    steps: list[tuple[str, Any]] = [
        ("C from the wrap-around geometry (circular convolution)", c),
        ("C x, and the circular convolution from its definition",
         _eq(_col(cx), _col(circular_outputs(w, x)))),
        ("omega = exp(-2 pi i / n) is a root of", _eq(phi, 0)),
        ("the DFT of the kernel, W_k", _col(eig)),
        ("C v_k - W_k v_k for each Fourier vector v_k = (omega^(-j k))_j, reduced", sympy.S.Zero
         if not failing else residual),
        ("F F^{-1} = I: (1/n) sum_k omega^(d k) reduced, for d = 0..n-1",
         sympy.S.One if holds_inv else sympy.S.Zero),
        ("W_k with omega substituted", _col(e.subs(omega, om) for e in eig)),
    ]
    notes = [f"exact arithmetic in Q(omega): omega^n = 1 and reduction modulo the {n}-th "
             f"cyclotomic polynomial",
             "C v_k = W_k v_k for every k is C F^{-1} = F^{-1} diag(W)"]
    if not holds_inv:
        notes.append("F F^{-1} did not reduce to the identity")
    if claim != "dft":
        notes.append(f"deliberately wrong claim {claim!r}")
    f_sym, c_sym = sympy.MatrixSymbol("F", n, n), sympy.MatrixSymbol("C", n, n)
    return Proof(title=f"the DFT diagonalises the {n} x {n} circulant of a circular convolution",
                 statement=_eq(sympy.MatMul(f_sym, c_sym, f_sym.inverse(), evaluate=False),
                               sympy.diag(*eig) if small else sympy.Symbol("diag(W)")),
                 steps=steps, holds=holds and holds_inv, residual=residual, failures=failing,
                 claim_latex=r"F C F^{-1} = \operatorname{diag}(F w),\quad"
                             r" (C x)_i = \sum_m w_m x_{(i-m) \bmod n}", notes=notes,
                 details={"matrix": c, "eigenvalues": [e.subs(omega, om) for e in eig],
                          "omega": omega})


# ------------------------------------------------- associativity, commutativity
def prove_associativity(a: Any = 2, b: Any = 3, n: int = 3, *,
                        claim: str = "convolution") -> Proof:
    """Prove ``T(a) T(b) = T(a * b)`` for full-mode convolution matrices.

    ``T(b)`` maps ``n`` samples to ``n + len(b) - 1``, ``T(a)`` maps those
    on; ``a * b`` is the full convolution of the kernels from its definition,
    ``c_k = sum_i a_i b_{k-i}``.  (Convolving with ``b`` then ``a`` is
    convolving with ``a * b``: associativity, colah's post.)

    Parameters
    ----------
    a, b : int or sequence
        Kernel sizes (symbols ``a_i``, ``b_j``) or 1-D symbol/number sequences.
    n : int
        Input length.
    claim : {'convolution', 'correlation'}
        ``'correlation'`` claims the product is the matrix of the
        cross-correlation of the kernels (false).

    Examples
    --------
    >>> prove_associativity(2, 3, 3).holds
    True
    >>> prove_associativity(2, 3, 3, claim="correlation").holds
    False
    """
    choose(claim, "claim", ("convolution", "correlation"))
    av = as_symbolic_kernel(a, name="a", ndim=1, what="a")
    bv = as_symbolic_kernel(b, name="b", ndim=1, what="b")
    n = as_positive_int(n, "n")
    ta = symbolic_matrix(av, n + bv.shape[0] - 1)
    tb = symbolic_matrix(bv, n)
    cv = direct_outputs(av, bv, "full", correlate=claim == "correlation")
    tc = symbolic_matrix(cv, n)
    if ta.cols != tb.rows:
        return Proof(title="T(a) T(b) = T(a * b) (full-mode convolution matrices)",
                     statement=_eq(sympy.Symbol("T(a) T(b)"), sympy.Symbol("T(a * b)")),
                     steps=[("T(a)", ta), ("T(b)", tb)], holds=False,
                     failures=[f"T(b) has {tb.rows} rows, the definition {ta.cols} outputs"],
                     claim_latex=r"T(a)\,T(b) = T(a * b)")
    prod = ta * tb
    holds, failing_rows, residual = rows_agree(list(prod), list(tc))
    failing: list[Any] = list(failing_rows)
    # Against the definition, not only matrix against matrix: T(a)(T(b) x) must be
    # a * (b * x) written as sums, so a builder that does not flip fails here.
    x = input_symbols((n,), np.concatenate((av, bv)))
    left = ta * (tb * _col(x))
    right = direct_outputs(av, direct_outputs(bv, x, "full"), "full")
    ok_def, fail_def, res_def = rows_agree(list(left), list(right))
    if not ok_def:
        residual = residual if not holds else res_def
        failing = failing + [("T(a) T(b) x vs a * (b * x)", i) for i in fail_def]
    return Proof(title="T(a) T(b) = T(a * b) (full-mode convolution matrices)",
                 statement=_eq(sympy.MatMul(ta, tb, evaluate=False), tc),
                 steps=[("T(a)", ta), ("T(b)", tb), ("c = a * b from the definition",
                                                     _col(cv)),
                        ("T(a) T(b)", prod), ("T(c)", tc),
                        ("T(a) (T(b) x)", left),
                        ("a * (b * x) from the definition", _col(right))],
                 holds=holds and ok_def, residual=residual, failures=failing,
                 claim_latex=r"T(a)\,T(b) = T(a * b),\quad (a * b)_i = \sum_m a_m b_{i-m}",
                 notes=[] if claim == "convolution" else [f"deliberately wrong claim {claim!r}"])


def prove_commutativity(a: Any = 3, n: int = 4, *, claim: str = "convolution") -> Proof:
    """Prove ``T(a) x = T(x) a``: convolution is commutative (full mode).

    Parameters
    ----------
    a : int or sequence
        Kernel size (symbols ``a_i``) or a 1-D sequence.
    n : int
        Length of the symbolic input ``x``.
    claim : {'convolution', 'correlation'}
        ``'correlation'`` claims ``T(a) x`` equals the *correlation* matrix
        of ``x`` applied to ``a`` (false).

    Examples
    --------
    >>> prove_commutativity(3, 4).holds
    True
    >>> prove_commutativity(3, 4, claim="correlation").holds
    False
    """
    choose(claim, "claim", ("convolution", "correlation"))
    av = as_symbolic_kernel(a, name="a", ndim=1, what="a")
    n = as_positive_int(n, "n")
    x = input_symbols((n,), av)
    ta = symbolic_matrix(av, n)
    tx = symbolic_matrix(x, av.shape[0], correlate=claim == "correlation")
    left, right = ta * _col(x), tx * _col(av)
    holds, failing_rows, residual = rows_agree(list(left), list(right))
    failing: list[Any] = list(failing_rows)
    # Both sides against the definition (a * x)_i = sum_m a_m x_{i-m}.
    definition = list(direct_outputs(av, x, "full"))
    ok_def, fail_def, res_def = rows_agree(list(left), definition)
    if not ok_def:
        residual = residual if not holds else res_def
        failing = failing + [("T(a) x vs the definition", i) for i in fail_def]
    return Proof(title="T(a) x = T(x) a (convolution is commutative)",
                 statement=_eq(sympy.MatMul(ta, _col(x), evaluate=False),
                               sympy.MatMul(tx, _col(av), evaluate=False)),
                 steps=[("T(a) x", left), ("T(x) a", right),
                        ("(a * x)_i from the definition", _col(definition))],
                 holds=holds and ok_def,
                 residual=residual, failures=failing,
                 claim_latex=r"T(a)\,x = T(x)\,a = a * x,\quad (a * x)_i = \sum_m a_m x_{i-m}",
                 notes=[] if claim == "convolution" else [f"deliberately wrong claim {claim!r}"])


# ------------------------------------------------------------ layer equivalence
def prove_layer_equivalence(weight_shape_or_symbols: Any, input_shape: Any, *,
                            stride: IntOrTuple = 1, padding: LayerPadding = 0,
                            dilation: IntOrTuple = 1,
                            groups: int = 1, padding_mode: PaddingMode = "zeros",
                            claim: str = "definition") -> Proof:
    """Prove that the layer matrix times the input is PyTorch's convolution layer.

    ``A`` is placed from the taps of :func:`~toeplitz_conv.layer_matrix` (a block
    matrix: one Toeplitz block per output/input channel pair); the right-hand
    side is ``out[o, i] = sum_c sum_t w[o, c, t] xpad[c, s i + d t - p]`` written
    from PyTorch's documentation, with ``xpad`` per ``padding_mode``.

    Parameters
    ----------
    weight_shape_or_symbols : tuple of int or nested sequence
        ``(C_out, C_in // groups, *kernel)``.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    stride, padding, dilation, groups, padding_mode
        As :func:`~toeplitz_conv.layer_matrix`.
    claim : {'definition', 'flipped'}
        ``'flipped'`` claims the layer flips the kernel (a true convolution);
        it must not hold.

    Examples
    --------
    >>> prove_layer_equivalence((2, 2, 3), (2, 5), stride=2, padding=1).holds
    True
    >>> prove_layer_equivalence((1, 1, 3), (1, 5), claim="flipped").holds
    False
    """
    choose(claim, "claim", ("definition", "flipped"))
    taps = layer_taps(weight_shape_or_symbols, input_shape, stride=stride, padding=padding,
                      dilation=dilation, groups=groups, padding_mode=padding_mode)
    w = taps.weight
    nd = w.ndim - 2
    x = input_symbols(taps.in_shape, w)
    stride_t = as_int_tuple(stride, nd, "stride", minimum=1)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    pads = torch_pads(padding, w.shape[2:], dil_t, sizes=taps.in_shape[1:], stride=stride_t)
    times = _product_cache()
    lhs = taps.row_products(list(x.ravel()), times)
    rhs = list(layer_outputs(w, x, stride=stride_t, pads=pads, dilation=dil_t,
                             groups=int(groups), padding_mode=padding_mode,
                             flip=claim == "flipped", times=times).ravel())
    holds, failing_rows, residual = rows_agree(lhs, rhs, stop_after=_STOP_AFTER)
    failing: list[Any] = list(failing_rows)
    if taps.outside:
        holds, failing = False, [f"taps outside the {taps.shape} matrix"] + failing
    steps: list[tuple[str, Any]] = []
    if len(lhs) <= _STEP_ROWS:
        if len(lhs) * taps.shape[1] <= 400:
            steps.append(("A from the taps of layer_matrix (channel blocks)", taps.matrix()))
        steps += [("(A x) row by row, from the taps", _col(lhs)),
                  ("PyTorch's definition", _col(rhs))]
    return Proof(
        title=f"layer matrix times input equals the PyTorch conv layer "
              f"(stride={stride}, padding={padding}, dilation={dilation}, groups={groups}, "
              f"padding_mode={padding_mode!r})",
        statement=_eq(_col(lhs), _col(rhs)) if len(lhs) <= _STEP_ROWS else
        _eq(sympy.Symbol("(A x)_r"), sympy.Symbol("out_r")),
        steps=steps, holds=holds, residual=residual, failures=failing,
        claim_latex=r"y_{o,i} = \sum_c \sum_t w_{o,c,t}\, x_{c,\, s i + d t - p}",
        notes=[f"{len(lhs)} rows, each simplified separately"]
        + ([] if claim == "definition" else [f"deliberately wrong claim {claim!r}"]),
        details={"rows": lhs, "definition": rhs, "x": list(x.ravel())})

"""The equivalence for a symbolic input length ``n`` (and kernel length ``k``)."""

from __future__ import annotations

from typing import Any

import sympy

from .._typing import Mode
from .._validation import _is_int, as_bool, as_positive_int, choose
from ..geometry import signal_axis, signal_padding
from ..signal import MODES
from ._matrix import signal_taps
from ._proof import Proof, difference_is_zero
from ._reference import band_taps, mode_window, source_position
from ._symbols import as_symbolic_kernel, symbolic_size

__all__ = ["prove_equivalence_general"]


def _core_agrees(k_values: list[int], mode: Mode, correlate: bool, stride: int,
                 k_symbolic: sympy.Expr | None) -> tuple[bool, list[str]]:
    """Does the entry formula reproduce ``conv_matrix``'s taps for small sizes?"""
    bad = []
    pad_formula = None if k_symbolic is None else sympy.sympify(
        signal_padding(k_symbolic, mode)[0])
    for k in k_values:
        pb = signal_axis(k, k, mode).pad_before
        # The symbolic pad must be the one the builder uses at every length.
        if pad_formula is not None and pad_formula.subs(k_symbolic, k) != pb:
            bad.append(f"pad_before formula at k={k}")
        for n in range(k if mode == "valid" else 1, k + 5):
            taps = signal_taps(k, n, mode, correlate=correlate, stride=stride)
            core = set(zip(taps.rows.tolist(), taps.cols.tolist(), taps.widx.tolist()))
            if core != band_taps(k, n, taps.shape[0], stride, pb, correlate):
                bad.append(f"k={k}, n={n}")
    return not bad, bad


def _refute_or_simplify(left: sympy.Sum, right: sympy.Sum, sub: dict, i: sympy.Symbol,
                        n: sympy.Symbol, k_sym: sympy.Expr | None
                        ) -> tuple[bool, sympy.Expr, list[str]]:
    """Settle ``left == right`` when the summands differ.

    A counterexample (concrete ``k``, ``n``, ``i`` where sympy finds the two
    sides different) refutes the claim outright; its residual is returned.
    Without one, sympy simplifies the whole difference.
    """
    for kv in ([1, 2, 3, 4] if k_sym is not None else [None]):
        lk = left if kv is None else left.subs(k_sym, kv)
        rk = right if kv is None else right.subs(k_sym, kv)
        lk, rk = lk.doit().subs(sub), rk.doit().subs(sub)
        for nv in range(1, 7):
            ln, rn = lk.subs(n, nv), rk.subs(n, nv)
            for iv in range(-2, nv + 8):
                ok, res = difference_is_zero(ln.subs(i, iv), rn.subs(i, iv))
                if not ok:
                    at = ("" if kv is None else f"k={kv}, ") + f"n={nv}, i={iv}"
                    return False, res, [f"counterexample at {at}"]
    ok, res = difference_is_zero(left.function.subs(sub), right.function.subs(sub))
    if ok or k_sym is not None:
        return ok, (sympy.S.Zero if ok else sympy.Sum(res, left.limits[0])), []
    ok, res = difference_is_zero(left.doit().subs(sub), right.doit().subs(sub))
    return ok, res, []


def prove_equivalence_general(kernel_size_or_symbols: Any = 3, mode: Mode = "full", *,
                              correlate: bool = False, stride: int = 1, n: Any = None,
                              claim: str = "definition") -> Proof:
    """Prove ``(A x)_i = sum_m w_m x_{i-m}`` for a symbolic input length ``n``, for all ``n``.

    The matrix is given by its entry formula on the band,
    ``A[i, j] = w[s i + c - j]`` (convolution; ``w[j - s i + p]`` for
    correlation), written with a Kronecker delta as
    ``A[i, j] = sum_m w_m delta(j, s i + c - m)``; ``c = k - 1 - p`` with
    ``p`` the pad before the input from the geometry core.  Then

    ``(A x)_i = sum_{j<n} sum_m w_m delta(j, s i + c - m) x_j
    = sum_m w_m sum_{j<n} delta(j, s i + c - m) x_j
    = sum_m w_m [0 <= s i + c - m < n] x_{s i + c - m}``,

    which sympy compares with the definition ``y_i = sum_m w_m x~_{s i + c - m}``
    (``x~`` = ``x`` extended by zeros) for a symbolic ``i`` and ``n``.  The
    entry formula is also checked to reproduce :func:`~toeplitz_conv.conv_matrix`'s
    taps for small sizes, which ties the all-``n`` identity to the builder.

    Parameters
    ----------
    kernel_size_or_symbols : int, sympy Symbol, or sequence
        An int ``k`` (weights ``w_m``), a positive-integer sympy Symbol for
        a symbolic kernel length, or a 1-D sequence of weights.
    mode : {'full', 'valid', 'same'}
    correlate : bool
        Cross-correlation (real weights).
    stride : int
        Keep every ``stride``-th output.
    n : sympy Symbol or str, optional
        The input length; default ``Symbol('n', integer=True, positive=True)``.
    claim : {'definition', 'unflipped'}
        ``'unflipped'`` states the wrong (correlation for convolution, and
        vice versa) definition; it must not hold.

    Examples
    --------
    >>> p = prove_equivalence_general(3, "full")
    >>> p.holds
    True
    >>> k = sympy.Symbol("k", integer=True, positive=True)
    >>> prove_equivalence_general(k, "valid").holds
    True
    >>> prove_equivalence_general(3, claim="unflipped").holds
    False
    """
    choose(mode, "mode", MODES)
    choose(claim, "claim", ("definition", "unflipped"))
    correlate = as_bool(correlate, "correlate")
    stride = as_positive_int(stride, "stride")
    n = symbolic_size(n)
    values: list[sympy.Expr] | None = None
    k_sym: sympy.Expr | None = None
    if isinstance(kernel_size_or_symbols, sympy.Basic) and not isinstance(
            kernel_size_or_symbols, (sympy.MatrixBase, sympy.NDimArray)):
        k_sym = symbolic_size(kernel_size_or_symbols, "kernel_size_or_symbols")
        if k_sym == n:
            raise ValueError("the kernel length must be a different symbol from n")
        k: Any = k_sym
        # The builder's pad (matrix side) as a formula in k; checked against
        # signal_axis for small k by _core_agrees.
        pb: Any = signal_padding(k_sym, mode)[0]
        samples = [1, 2, 3, 4, 5]
    else:
        wv = as_symbolic_kernel(kernel_size_or_symbols, ndim=1)
        k = int(wv.shape[0])
        if not _is_int(kernel_size_or_symbols):
            values = list(wv)
            if n in set().union(*(sympy.sympify(v).free_symbols for v in values)):
                raise ValueError("the kernel symbols must not use the name of n")
        pb = signal_axis(k, k, mode).pad_before
        samples = [k]
    # Where the mode's outputs start in the full result, from scipy's definition
    # (the definition side; the matrix side uses the builder's pad ``pb``).
    start = mode_window(n, k, mode)[0]
    i, j, m = sympy.symbols("i j m", integer=True)
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")
    c = k - 1 - pb
    src = (stride * i + c - m) if not correlate else (stride * i - pb + m)
    entry = sympy.Sum(w[m] * sympy.KroneckerDelta(j, src), (m, 0, k - 1))
    band = (stride * i + c - j) if not correlate else (j - stride * i + pb)
    entry_band = sympy.Piecewise((w[band], (band >= 0) & (band <= k - 1)), (0, True))
    lhs = sympy.Sum(entry * x[j], (j, 0, n - 1))
    swapped = sympy.Sum(w[m] * sympy.Sum(sympy.KroneckerDelta(j, src) * x[j], (j, 0, n - 1)),
                        (m, 0, k - 1))
    picked = sympy.Sum(w[m] * sympy.Sum(sympy.KroneckerDelta(j, src) * x[j],
                                        (j, 0, n - 1)).doit(), (m, 0, k - 1))

    def x_ext(p: sympy.Expr) -> sympy.Expr:
        return sympy.Piecewise((x[p], (p >= 0) & (p <= n - 1)), (0, True))

    flip = (not correlate) if claim == "definition" else correlate
    q = stride * i + start
    p_def = source_position(q, m, k, flip)
    rhs = sympy.Sum(w[m] * x_ext(p_def), (m, 0, k - 1))
    sub = {} if values is None else {w[t]: values[t] for t in range(len(values))}
    summand = picked.function - rhs.function
    combined = sympy.Sum(summand, (m, 0, k - 1))
    # Equal summands for every m prove the identity (linearity of the sum).
    holds, residual = difference_is_zero(picked.function.subs(sub), rhs.function.subs(sub),
                                         simplify=False)
    refuted: list[str] = []
    if not holds:
        holds, residual, refuted = _refute_or_simplify(picked, rhs, sub, i, n, k_sym)
    agrees, bad = _core_agrees(samples, mode, correlate, stride, k_sym)
    a_ij = sympy.Indexed(sympy.IndexedBase("A"), i, j)
    steps = [
        ("the entry formula on the band (from the core's correlation form, pad before "
         f"= {pb})", sympy.Eq(a_ij, entry_band, evaluate=False)),
        ("the same with a Kronecker delta", sympy.Eq(a_ij, entry, evaluate=False)),
        ("(A x)_i", lhs),
        ("swap the two finite sums", swapped),
        ("the delta picks j = " + sympy.sstr(src) + " when it lies in 0..n-1", picked),
        ("the definition, with x extended by zeros", rhs),
        ("left - right", combined),
        ("simplified by sympy", residual),
    ]
    notes = [f"for every integer i and every positive integer n (symbol {n})",
             "entry formula checked against conv_matrix's taps for k in "
             f"{samples} and n up to k + 4: " + ("agrees" if agrees else f"DIFFERS at {bad}")]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    if correlate:
        notes.append("real weights (no conjugation)")
    kind = "cross-correlation" if correlate else "convolution"
    return Proof(
        title=f"for all n, A x equals the direct {kind} sum (mode={mode!r}, stride={stride})",
        statement=sympy.Eq(lhs, rhs, evaluate=False), steps=steps, holds=holds and agrees,
        residual=residual, failures=refuted + bad, notes=notes)

"""The DFT block-diagonalisation of a circular conv layer, written out and proved."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from .._typing import LayerPadding
from .._validation import as_positive_int, choose
from ._matrix import layer_taps
from ._proof_result import Proof, rows_agree
from ._reference import layer_outputs, torch_pads
from ._symbols import as_symbolic_kernel, input_symbols

__all__ = ["circular_block_diagonalisation"]

#: Largest n and channel product proved (n^2 C_out C_in exact entries in Q(omega)).
_MAX_N = 16
_MAX_CHANNELS = 16


def _checked(weight_shape_or_symbols: Any, n: Any) -> tuple[np.ndarray, int]:
    """The symbolic weight and ``n``, refused before anything is built when too large."""
    w = as_symbolic_kernel(weight_shape_or_symbols, what="weight_shape_or_symbols")
    if w.ndim != 3:
        raise ValueError(f"weight_shape_or_symbols must describe a 1-D layer weight "
                         f"(C_out, C_in, k), got shape {w.shape}")
    n = as_positive_int(n, "n")
    if n > _MAX_N:
        raise ValueError(f"n must be at most {_MAX_N} (n^2 exact entries per channel pair "
                         f"in Q(omega)), got {n}")
    c_out, c_in = w.shape[:2]
    if c_out * c_in > _MAX_CHANNELS:
        raise ValueError(f"weight_shape_or_symbols: C_out * C_in must be at most "
                         f"{_MAX_CHANNELS}, got {c_out} * {c_in}")
    return w, n


def circular_block_diagonalisation(weight_shape_or_symbols: Any, n: int, *,
                                   padding: LayerPadding = "same", dilation: int = 1,
                                   claim: str = "dft") -> Proof:
    """Prove ``(I ⊗ F) A (I ⊗ F^{-1})`` is block-diagonal with blocks ``M(f)`` (1-D).

    ``A = layer_matrix(w, (C_in, n), padding=padding, padding_mode='circular',
    dilation=dilation)`` (taps of the builder, symbolic weights),
    ``F[f, j] = omega^(f j)``, ``omega = exp(-2 pi i / n)``; the blocks are
    ``M(f) = sum_t w[:, :, t] omega^(f (p - d t))`` with ``p`` the padding
    before (PyTorch's correlation: output ``o`` reads input ``o + d t - p``).
    Exact arithmetic in ``Q(omega)`` (``omega^n = 1``, reduction modulo the
    ``n``-th cyclotomic polynomial).  ``A x`` is also compared with the layer's
    definition (:mod:`._reference`).  ``claim='unshifted'`` poses the wrong
    alignment ``omega^(-f d t)`` (the padding's shift forgotten), which must
    fail for ``p != 0``; ``'inverse-dft'`` the conjugate exponent.

    ``details['blocks']`` holds the ``M(f)`` with ``omega`` substituted;
    with numbers for ``w`` they equal
    :func:`toeplitz_conv.spectrum.frequency_matrices` (same padding).

    Examples
    --------
    >>> p = circular_block_diagonalisation((1, 1, 3), 4, padding=1)
    >>> p.holds
    True
    >>> p.details["blocks"][1]
    Matrix([[-I*w_{0,0,0} + w_{0,0,1} + I*w_{0,0,2}]])
    >>> circular_block_diagonalisation((1, 1, 3), 4, padding=1, claim="unshifted").holds
    False
    """
    choose(claim, "claim", ("dft", "inverse-dft", "unshifted"))
    w, n = _checked(weight_shape_or_symbols, n)
    c_out, c_in, k = w.shape
    taps = layer_taps(w, (c_in, n), padding=padding, dilation=dilation,
                      padding_mode="circular")
    if taps.out_shape != (c_out, n):
        raise ValueError(f"padding must keep the size n = {n}: padding {padding!r} gives "
                         f"{taps.out_shape[1:]} outputs")
    pb = torch_pads(padding, (k,), (dilation,))[0][0]
    omega = sympy.Symbol("omega")
    phi = sympy.cyclotomic_poly(n, omega)

    def exponent(f: int, t: int) -> int:
        if claim == "unshifted":
            return (-f * dilation * t) % n
        sign = 1 if claim == "dft" else -1
        return (sign * f * (pb - dilation * t)) % n

    blocks = [sympy.Matrix(c_out, c_in, lambda o, c, f=f: sympy.Add(
        *(w[o, c, t] * omega ** exponent(f, t) for t in range(k)))) for f in range(n)]

    def reduce(e: Any) -> Any:
        e = sympy.expand(e).replace(lambda u: u.is_Pow and u.base == omega and u.exp.is_Integer,
                                    lambda u: omega ** (int(u.exp) % n))
        if e != 0 and e.has(omega):
            e = sympy.expand(sympy.rem(e, phi, omega))
        return e

    # A (e_c ⊗ v_g) = sum_o M(g)[o, c] (e_o ⊗ v_g), v_g = (omega^(-j g))_j, for every
    # c, g: A (I ⊗ F^{-1}) = (I ⊗ F^{-1}) B, with F F^{-1} = I checked below.
    entries = taps.entries()
    by_row: dict[int, list[tuple[int, Any]]] = {}
    for (r, col), v in entries.items():
        by_row.setdefault(r, []).append((col, v))
    failing: list[Any] = []
    residual: Any = sympy.S.Zero
    for g in range(n):
        for c in range(c_in):
            vec = {c * n + j: omega ** ((-j * g) % n) for j in range(n)}
            for r in range(c_out * n):
                o, i = divmod(r, n)
                lhs = sympy.Add(*(v * vec[col] for col, v in by_row.get(r, []) if col in vec))
                d = reduce(lhs - blocks[g][o, c] * omega ** ((-i * g) % n))
                if d != 0:
                    failing.append((g, c, r))
                    residual = residual if residual != 0 else d
    inverse_ok = all(reduce(sympy.Add(*(omega ** ((dd * kk) % n) for kk in range(n))) / n
                            - (1 if dd == 0 else 0)) == 0 for dd in range(n))
    x = input_symbols((c_in, n), w)
    ax = taps.row_products(list(np.asarray(x).ravel()))
    ref = layer_outputs(w, np.asarray(x), stride=(1,), pads=torch_pads(padding, (k,), (dilation,)),
                        dilation=(dilation,), groups=1, padding_mode="circular").ravel()
    ok_def, fail_def, res_def = rows_agree(ax, list(ref))
    if not ok_def:
        failing += [("A x vs the definition", i) for i in fail_def]
        residual = residual if residual != 0 else res_def
    om = sympy.exp(-2 * sympy.pi * sympy.I / n)
    shown = [b.subs(omega, om).applyfunc(sympy.expand) for b in blocks]
    notes = [f"exact arithmetic in Q(omega): omega^n = 1 and reduction modulo the {n}-th "
             f"cyclotomic polynomial",
             "block-diagonal after ordering rows and columns frequency-major",
             f"padding before p = {pb}, dilation d = {dilation}"]
    if claim != "dft":
        notes.append(f"deliberately wrong claim {claim!r}")
    fs, a_sym = sympy.MatrixSymbol("F", n, n), sympy.MatrixSymbol("A", c_out * n, c_in * n)
    return Proof(
        title=f"the DFT block-diagonalises the circular {c_out} x {c_in} channel layer on "
              f"{n} samples",
        statement=sympy.Eq(sympy.Symbol("(I⊗F) A (I⊗F^-1)"),
                           sympy.diag(*blocks) if n * max(c_out, c_in) <= 12
                           else sympy.Symbol("diag(M(f))"), evaluate=False),
        steps=[("A from the builder's taps (circular padding)", a_sym)]
        + [(f"M({f})", sympy.ImmutableMatrix(b)) for f, b in enumerate(blocks)],
        holds=not failing and inverse_ok, residual=residual, failures=failing,
        claim_latex=r"(I \otimes F) A (I \otimes F^{-1}) = \operatorname{diag}_f M(f),\quad "
                    r"M(f) = \sum_t w_{:,:,t}\, \omega^{f (p - d t)}",
        notes=notes, details={"blocks": shown, "omega": omega, "symbolic_blocks": blocks,
                              "F": fs})

"""The DFT block-diagonalisation of a circular conv layer, written out and proved."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import sympy

from .._typing import LayerPadding
from .._validation import as_int_tuple, as_positive_int, choose
from ._matrix import layer_taps
from ._proof_result import Proof, rows_agree
from ._reference import layer_outputs, torch_pads
from ._symbols import as_symbolic_kernel, input_symbols

__all__ = ["circular_block_diagonalisation"]

#: Largest size per axis, spatial points and channel product proved (exact
#: entries in Q(omega): frequencies x channels x rows of them).
_MAX_N = 16
_MAX_POINTS = 16
_MAX_CHANNELS = 16


def _checked(weight_shape_or_symbols: Any, n: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """The symbolic weight and the spatial sizes, refused before anything is built when
    too large; ``n`` is an int (1-D) or a tuple of ints (one per spatial axis)."""
    w = as_symbolic_kernel(weight_shape_or_symbols, what="weight_shape_or_symbols")
    sizes_in = n if isinstance(n, (tuple, list)) else (n,)
    if not 1 <= len(sizes_in) <= 2:
        raise ValueError(f"n must be an int (1-D) or a pair of ints (2-D), got {n!r}")
    sizes = tuple(as_positive_int(v, "n") for v in sizes_in)
    if w.ndim != 2 + len(sizes):
        raise ValueError(f"weight_shape_or_symbols must describe a {len(sizes)}-D layer weight "
                         f"(C_out, C_in, {', '.join('k' * len(sizes))}) for n = {n!r}, got "
                         f"shape {w.shape}")
    if max(sizes) > _MAX_N or math.prod(sizes) > _MAX_POINTS:
        raise ValueError(f"n must be at most {_MAX_N} per axis and {_MAX_POINTS} spatial "
                         f"points in all (exact entries in Q(omega) per channel pair and "
                         f"frequency), got {n!r}")
    c_out, c_in = w.shape[:2]
    if c_out * c_in > _MAX_CHANNELS:
        raise ValueError(f"weight_shape_or_symbols: C_out * C_in must be at most "
                         f"{_MAX_CHANNELS}, got {c_out} * {c_in}")
    return w, sizes


def circular_block_diagonalisation(weight_shape_or_symbols: Any, n: int | tuple[int, ...], *,
                                   padding: LayerPadding = "same",
                                   dilation: int | tuple[int, ...] = 1,
                                   claim: str = "dft") -> Proof:
    """Prove ``(I ⊗ F) A (I ⊗ F^{-1})`` is block-diagonal with blocks ``M(f)`` (1-D, 2-D).

    ``A = layer_matrix(w, (C_in, *n), padding=padding, padding_mode='circular',
    dilation=dilation)`` (taps of the builder, symbolic weights).  In 1-D
    ``F[f, j] = omega^(f j)``, ``omega = exp(-2 pi i / n)``; the blocks are
    ``M(f) = sum_t w[:, :, t] omega^(f (p - d t))`` with ``p`` the padding
    before (PyTorch's correlation: output ``o`` reads input ``o + d t - p``).
    In 2-D (``n = (n_0, n_1)``, weight ``(C_out, C_in, k_0, k_1)``) the DFT of
    the C-order flattened grid is the Kronecker product ``F = F_0 ⊗ F_1`` of
    the 1-D DFTs (``(F_0 ⊗ F_1)[(f_0, f_1), (j_0, j_1)] = F_0[f_0, j_0] F_1[f_1, j_1]``,
    and ``(F_0 ⊗ F_1)^{-1} = F_0^{-1} ⊗ F_1^{-1}``), and at each frequency
    ``f = (f_0, f_1)`` the ``C_out × C_in`` block is
    ``M(f) = sum_t w[:, :, t_0, t_1] omega_0^(f_0 (p_0 - d_0 t_0)) omega_1^(f_1 (p_1 - d_1 t_1))``.
    Exact arithmetic in ``Q(omega)``, ``omega`` a primitive ``N``-th root of
    unity (``N = lcm(n_0, n_1)``, ``omega_a = omega^(N / n_a)``; reduction
    modulo the ``N``-th cyclotomic polynomial).  ``A x`` is also compared with
    the layer's definition (:mod:`._reference`).  ``claim='unshifted'`` poses
    the wrong alignment ``omega^(-f d t)`` (the padding's shift forgotten),
    which must fail for ``p != 0``; ``'inverse-dft'`` the conjugate exponent.

    ``details['blocks']`` holds the ``M(f)`` with ``omega`` substituted, the
    frequencies in C order; with numbers for ``w`` they equal
    :func:`toeplitz_conv.spectrum.frequency_matrices` (same padding),
    ``reshape(-1, C_out, C_in)``.

    Examples
    --------
    >>> p = circular_block_diagonalisation((1, 1, 3), 4, padding=1)
    >>> p.holds
    True
    >>> p.details["blocks"][1]
    Matrix([[-I*w_{0,0,0} + w_{0,0,1} + I*w_{0,0,2}]])
    >>> circular_block_diagonalisation((1, 1, 3), 4, padding=1, claim="unshifted").holds
    False
    >>> p2 = circular_block_diagonalisation((1, 1, 2, 2), (2, 3), padding=((1, 0), (0, 1)))
    >>> p2.holds, len(p2.details["blocks"])
    (True, 6)
    """
    choose(claim, "claim", ("dft", "inverse-dft", "unshifted"))
    w, sizes = _checked(weight_shape_or_symbols, n)
    nd = len(sizes)
    c_out, c_in = w.shape[:2]
    kshape = w.shape[2:]
    dil = as_int_tuple(dilation, nd, "dilation", minimum=1)
    taps = layer_taps(w, (c_in, *sizes), padding=padding, dilation=dil,
                      padding_mode="circular")
    if taps.out_shape != (c_out, *sizes):
        raise ValueError(f"padding must keep the size n = {n}: padding {padding!r} gives "
                         f"{taps.out_shape[1:]} outputs")
    pbs = [pp[0] for pp in torch_pads(padding, kshape, dil)]
    big = math.lcm(*sizes)
    scale = [big // v for v in sizes]
    omega = sympy.Symbol("omega")
    phi = sympy.cyclotomic_poly(big, omega)
    kidx = list(itertools.product(*(range(k) for k in kshape)))
    freqs = list(itertools.product(*(range(v) for v in sizes)))

    def exponent(f: tuple[int, ...], t: tuple[int, ...]) -> int:
        if claim == "unshifted":
            return sum(-sc * ff * dd * tt for sc, ff, dd, tt in zip(scale, f, dil, t)) % big
        sign = 1 if claim == "dft" else -1
        return sum(sign * sc * ff * (pb - dd * tt)
                   for sc, ff, pb, dd, tt in zip(scale, f, pbs, dil, t)) % big

    blocks = [sympy.Matrix(c_out, c_in, lambda o, c, f=f: sympy.Add(
        *(w[(o, c) + t] * omega ** exponent(f, t) for t in kidx))) for f in freqs]

    def reduce(e: Any) -> Any:
        e = sympy.expand(e).replace(lambda u: u.is_Pow and u.base == omega and u.exp.is_Integer,
                                    lambda u: omega ** (int(u.exp) % big))
        if e != 0 and e.has(omega):
            e = sympy.expand(sympy.rem(e, phi, omega))
        return e

    failing, residual = _check_blocks(taps, blocks, freqs, sizes, scale, big, omega, reduce)
    # F_a F_a^{-1} = I on each axis (so (F_0 ⊗ F_1)(F_0^{-1} ⊗ F_1^{-1}) = I, mixed products)
    inverse_ok = all(reduce(sympy.Add(*(omega ** ((sc * dd * kk) % big) for kk in range(v))) / v
                            - (1 if dd == 0 else 0)) == 0
                     for v, sc in zip(sizes, scale) for dd in range(v))
    x = input_symbols((c_in, *sizes), w)
    ax = taps.row_products(list(np.asarray(x).ravel()))
    ref = layer_outputs(w, np.asarray(x), stride=(1,) * nd,
                        pads=torch_pads(padding, kshape, dil), dilation=dil, groups=1,
                        padding_mode="circular").ravel()
    ok_def, fail_def, res_def = rows_agree(ax, list(ref))
    if not ok_def:
        failing += [("A x vs the definition", i) for i in fail_def]
        residual = residual if residual != 0 else res_def
    return _proof(blocks, sizes, c_out, c_in, pbs, dil, big, claim, omega, failing, residual,
                  inverse_ok)


def _check_blocks(taps: Any, blocks: list[Any], freqs: list[tuple[int, ...]],
                  sizes: tuple[int, ...], scale: list[int], big: int, omega: Any,
                  reduce: Any) -> tuple[list[Any], Any]:
    """``A (e_c ⊗ v_g) = sum_o M(g)[o, c] (e_o ⊗ v_g)`` for every channel ``c`` and
    frequency ``g``, ``v_g[j] = omega^(-sum_a (N / n_a) j_a g_a)`` (column ``g`` of
    ``F^{-1}`` up to ``1 / N``, the Kronecker product of the 1-D columns):
    ``A (I ⊗ F^{-1}) = (I ⊗ F^{-1}) B``.  Returns the failing ``(g, c, row)`` and a residual.
    """
    c_out, c_in = blocks[0].shape
    points = math.prod(sizes)
    grid = list(itertools.product(*(range(v) for v in sizes)))

    def phase(j: tuple[int, ...], g: tuple[int, ...]) -> Any:
        return omega ** ((-sum(sc * jj * gg for sc, jj, gg in zip(scale, j, g))) % big)

    by_row: dict[int, list[tuple[int, Any]]] = {}
    for (r, col), v in taps.entries().items():
        by_row.setdefault(r, []).append((col, v))
    failing: list[Any] = []
    residual: Any = sympy.S.Zero
    for gi, g in enumerate(freqs):
        column = [phase(j, g) for j in grid]
        for c in range(c_in):
            for r in range(c_out * points):
                o, i = divmod(r, points)
                lhs = sympy.Add(*(v * column[col - c * points] for col, v in by_row.get(r, [])
                                  if c * points <= col < (c + 1) * points))
                d = reduce(lhs - blocks[gi][o, c] * column[i])
                if d != 0:
                    failing.append((g if len(g) > 1 else g[0], c, r))
                    residual = residual if residual != 0 else d
    return failing, residual


def _proof(blocks: list[Any], sizes: tuple[int, ...], c_out: int, c_in: int, pbs: list[int],
           dil: tuple[int, ...], big: int, claim: str, omega: Any, failing: list[Any],
           residual: Any, inverse_ok: bool) -> Proof:
    nd = len(sizes)
    om = sympy.exp(-2 * sympy.pi * sympy.I / big)
    shown = [b.subs(omega, om).applyfunc(sympy.expand) for b in blocks]
    where = " x ".join(map(str, sizes))
    notes = [f"exact arithmetic in Q(omega): omega^{big} = 1 and reduction modulo the "
             f"{big}-th cyclotomic polynomial"
             + ("" if nd == 1 else f"; omega_a = omega^({big} / n_a) on axis a"),
             "Q_o = I ⊗ F on the C_out output channels, Q_i = I ⊗ F on the C_in input "
             "channels; block-diagonal after ordering rows and columns frequency-major",
             f"padding before p = {tuple(pbs) if nd > 1 else pbs[0]}, dilation d = "
             f"{dil if nd > 1 else dil[0]}"]
    if nd > 1:
        notes.append("the 2-D DFT of the C-order flattened grid is F_0 ⊗ F_1 (its entry "
                     "omega_0^(f_0 j_0) omega_1^(f_1 j_1) is the product of the 1-D ones), "
                     "inverted by F_0^-1 ⊗ F_1^-1: each 1-D F_a F_a^-1 = I is checked exactly")
    if claim != "dft":
        notes.append(f"deliberately wrong claim {claim!r}")
    points = math.prod(sizes)
    fs = sympy.MatrixSymbol("F", points, points)
    a_sym = sympy.MatrixSymbol("A", c_out * points, c_in * points)
    freq_names = list(itertools.product(*(range(v) for v in sizes)))
    return Proof(
        title=f"the DFT block-diagonalises the circular {c_out} x {c_in} channel layer on "
              f"{where} samples",
        statement=sympy.Eq(sympy.MatMul(
            sympy.MatrixSymbol("Q_o", c_out * points, c_out * points), a_sym,
            sympy.MatrixSymbol("Q_i", c_in * points, c_in * points).inv(), evaluate=False),
                           sympy.diag(*blocks) if points * max(c_out, c_in) <= 12
                           else sympy.Symbol("diag(M(f))"), evaluate=False),
        steps=[("A from the builder's taps (circular padding)", a_sym)]
        + [(f"M({f[0] if nd == 1 else f})", sympy.ImmutableMatrix(b))
           for f, b in zip(freq_names, blocks)],
        holds=not failing and inverse_ok, residual=residual, failures=failing,
        claim_latex=(r"(I \otimes F) A (I \otimes F^{-1}) = \operatorname{diag}_f M(f),\quad "
                     + (r"M(f) = \sum_t w_{:,:,t}\, \omega^{f (p - d t)}" if nd == 1 else
                        r"F = F_0 \otimes F_1,\ M(f) = \sum_t w_{:,:,t}\, "
                        r"\omega_0^{f_0 (p_0 - d_0 t_0)} \omega_1^{f_1 (p_1 - d_1 t_1)}")),
        notes=notes, details={"blocks": shown, "omega": omega, "symbolic_blocks": blocks,
                              "F": fs, "frequencies": freq_names})

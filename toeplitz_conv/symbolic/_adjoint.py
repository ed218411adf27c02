"""The input gradient ``A^T g`` and the transposed layer as the adjoint, proved.

Both sides of each proof follow the pattern of :mod:`._fixed_size`: the matrix
from a builder's taps, the other side from the definitions in
:mod:`._reference`, sympy deciding every entry of the difference.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from .._typing import IntOrTuple, Mode, SignalBoundary
from .._validation import as_bool, as_int_tuple, choose
from ..data import data_matrix
from ..layers import transposed_layer_matrix
from ._fixed_size import _col, _eq, _kind, _product_cache
from ._matrix import SymbolicTaps, layer_taps, signal_taps
from ._proof_result import Proof, rows_agree
from ._reference import (
    direct_outputs,
    input_gradient_definition,
    layer_definition_count,
    layer_outputs,
    signal_definition_count,
    torch_pads,
    transposed_layer_outputs,
)
from ._symbols import input_symbols

__all__ = ["prove_chain_rule", "prove_data_matrix", "prove_input_gradient",
           "prove_transposed_adjoint"]

_SHOW = 64


def _transpose_times(taps: SymbolicTaps, g: list[Any], times: Any,
                     entries: dict[tuple[int, int], Any] | None = None) -> list[Any]:
    """``(A^T g)_c = sum_r A[r, c] g_r`` from the matrix's entries."""
    terms: list[list[Any]] = [[] for _ in range(taps.shape[1])]
    for (r, c), v in (taps.entries() if entries is None else entries).items():
        if r < len(g) and v != 0:
            terms[c].append(times(v, g[r]))
    return [sympy.Add(*t) for t in terms]


def prove_input_gradient(kernel_size_or_symbols: Any, input_shape: Any, mode: Mode = "full", *,
                         correlate: bool = False, boundary: SignalBoundary = "fill",
                         stride: IntOrTuple = 1, claim: str = "correlation",
                         conjugate: bool | None = None) -> Proof:
    """Prove that the input gradient ``A^T g`` is the correlation of ``g`` with the kernel.

    With ``y = A x`` and ``g = dL/dy`` (one symbol per output of scipy's
    definition, so the count does not come from the builder):

    1. ``A^T g``, from the entries of :func:`symbolic_matrix`, equals
    2. sympy's Jacobian of the definition's ``L = sum_o g_o y_o(x)`` in ``x``,
       which equals
    3. the transposed convolution written from the definition: output ``o``
       hands ``w_m g_o`` back to the sample its tap ``m`` read -- for
       ``mode='full'`` and stride 1, ``(A^T g)_j = sum_m w_m g_{j+m}``, the
       correlation of ``g`` with ``w``.

    Parameters
    ----------
    kernel_size_or_symbols, input_shape, mode, correlate, boundary, stride, conjugate
        As :func:`prove_equivalence`.
    claim : {'correlation', 'convolution'}
        ``'convolution'`` claims the gradient is ``g`` *convolved* with the
        kernel (flipped the other way); it must fail.

    Examples
    --------
    >>> prove_input_gradient(3, 4).holds
    True
    >>> prove_input_gradient((2, 2), (3, 3), "same", stride=2).holds
    True
    >>> prove_input_gradient(3, 4, claim="convolution").holds
    False
    """
    choose(claim, "claim", ("correlation", "convolution"))
    correlate = as_bool(correlate, "correlate")
    taps = signal_taps(kernel_size_or_symbols, input_shape, mode, correlate=correlate,
                       boundary=boundary, stride=stride, conjugate=conjugate)
    w = taps.weight
    stride_t = as_int_tuple(stride, w.ndim, "stride", minimum=1)
    out_shape = tuple(int(signal_definition_count(n, k, mode, s))
                      for n, k, s in zip(taps.in_shape, w.shape, stride_t))
    x = input_symbols(taps.in_shape, w)
    g = input_symbols(out_shape, w, name="g")
    xf, gf = list(x.ravel()), list(g.ravel())
    times = _product_cache()
    at_g = _transpose_times(taps, gf, times)
    # sympy's Jacobian of the definition's outputs in x (they are linear in x).
    y_def = list(direct_outputs(w, x, mode, correlate=correlate, boundary=boundary,
                                stride=stride_t, conjugate=conjugate).ravel())
    jac, free = sympy.linear_eq_to_matrix(y_def, xf)
    autodiff = [sympy.Add(*(times(jac[o, j], gf[o]) for o in range(len(gf)) if jac[o, j] != 0))
                for j in range(len(xf))]
    w_used = np.array(taps.values, dtype=object).reshape(w.shape)
    flip = (not correlate) if claim == "correlation" else correlate
    ref = list(input_gradient_definition(w_used, taps.in_shape, g, mode, boundary, stride_t,
                                         flip, times).ravel())
    count_ok = taps.shape[0] == len(gf) and not taps.outside
    ok1, fail1, res1 = rows_agree(at_g, autodiff)
    ok2, fail2, res2 = rows_agree(autodiff, ref)
    linear = all(v == 0 for v in free)
    steps: list[tuple[str, Any]] = []
    if len(xf) <= _SHOW:
        steps = [("A^T g from the entries of A", _col(at_g)),
                 ("chain rule with sympy's Jacobian of the definition: dL/dx_j = "
                  "sum_o g_o dy_o/dx_j", _col(autodiff)),
                 ("the transposed convolution (g correlated with w), from the definition",
                  _col(ref))]
    failures: list[Any] = ([] if count_ok else
                           [f"A has {taps.shape[0]} rows, the definition {len(gf)} outputs"])
    failures += [("A^T g vs autodiff", j) for j in fail1]
    failures += [("autodiff vs transposed convolution", j) for j in fail2]
    return Proof(
        title=f"the input gradient of a {_kind(correlate)} (mode={mode!r}) is A^T g, "
              f"the correlation of g with the kernel",
        statement=_eq(sympy.Symbol("A^T g"), sympy.Symbol("dL/dx")) if len(xf) > _SHOW
        else _eq(_col(at_g), _col(ref)),
        steps=steps, holds=count_ok and linear and ok1 and ok2,
        residual=res1 if not ok1 else res2, failures=failures,
        claim_latex=r"\frac{\partial L}{\partial x_j} = (A^{T} g)_j = \sum_m w_m\, g_{j+m}"
                    r"\quad (y_i = \sum_m w_m x_{i-m})",
        notes=[f"{len(xf)} inputs, {len(gf)} outputs (counted from the definition)"]
        + ([] if claim == "correlation" else [f"deliberately wrong claim {claim!r}"]),
        details={"gradient": at_g, "x": xf, "g": gf})


def prove_transposed_adjoint(weight_shape_or_symbols: Any, input_shape: Any, *,
                             stride: IntOrTuple = 1, padding: Any = 0,
                             dilation: IntOrTuple = 1, groups: int = 1,
                             claim: str = "adjoint") -> Proof:
    """Prove that ``transposed_layer_matrix`` is the adjoint of ``layer_matrix``.

    For the same weight, strides, padding and dilation, with ``A`` the conv
    layer on ``input_shape`` and ``B`` the transposed layer mapping ``A``'s
    output shape back to ``input_shape`` (``output_size`` chosen so):

    1. ``B g`` equals ``conv_transpose`` written from PyTorch's documentation
       (``y[co, s i + d t - p] += w[ci, co, t] g[ci, i]``), and
    2. ``<A x, g> = <x, B g>`` for symbolic ``x`` and ``g``: ``B = A^T``.

    Parameters
    ----------
    weight_shape_or_symbols : tuple of int or nested sequence
        ``(C_out, C_in // groups, *kernel)`` of the forward layer.
    input_shape : tuple of int
        ``(C_in, *spatial)`` of the forward layer.
    stride, padding, dilation, groups
        As :func:`~toeplitz_conv.layer_matrix` (zero padding; ``padding`` an
        int or a tuple).
    claim : {'adjoint', 'flipped'}
        ``'flipped'`` claims the transposed layer flips the kernel; it must fail.

    Examples
    --------
    >>> prove_transposed_adjoint((2, 1, 3), (1, 7), stride=2, padding=1).holds
    True
    >>> prove_transposed_adjoint((1, 1, 3), (1, 5), claim="flipped").holds
    False
    """
    choose(claim, "claim", ("adjoint", "flipped"))
    if isinstance(padding, str):
        raise ValueError("padding must be an int or a tuple here (a transposed layer takes "
                         f"no string padding), got {padding!r}")
    a = layer_taps(weight_shape_or_symbols, input_shape, stride=stride, padding=padding,
                   dilation=dilation, groups=groups)
    w = a.weight
    nd = w.ndim - 2
    stride_t = as_int_tuple(stride, nd, "stride", minimum=1)
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    pads = torch_pads(padding, w.shape[2:], dil_t)
    out_shape = (w.shape[0], *(layer_definition_count(n, k, s, pp, d) for n, k, s, pp, d in zip(
        a.in_shape[1:], w.shape[2:], stride_t, pads, dil_t)))
    out_shape = tuple(int(v) for v in out_shape)
    bt = transposed_layer_matrix(np.ones(w.shape, dtype=np.int64), out_shape, stride=stride_t,
                                 padding=padding, dilation=dil_t, groups=int(groups),
                                 output_size=a.in_shape[1:])
    rows, cols, widx = bt.taps
    b = SymbolicTaps(rows, cols, widx, w, bt.shape, tuple(bt.in_shape), tuple(bt.out_shape),
                     conjugate=False)
    x = input_symbols(a.in_shape, w)
    g = input_symbols(out_shape, w, name="g")
    xf, gf = list(x.ravel()), list(g.ravel())
    times = _product_cache()
    bg = b.row_products(gf, times)
    ref = list(transposed_layer_outputs(w, g, a.in_shape[1:], stride=stride_t, pads=pads,
                                        dilation=dil_t, groups=int(groups),
                                        flip=claim == "flipped").ravel())
    ok1, fail1, res1 = rows_agree(bg, ref)
    ax = a.row_products(xf, times)
    left = sympy.Add(*(times(gr, yr) for gr, yr in zip(gf, ax)))
    right = sympy.Add(*(times(xc, v) for xc, v in zip(xf, bg)))
    ok2, _, res2 = rows_agree([sympy.expand(left)], [sympy.expand(right)])
    shapes_ok = a.shape == (bt.shape[1], bt.shape[0]) and a.shape[0] == len(gf)
    steps: list[tuple[str, Any]] = []
    if len(xf) <= _SHOW:
        steps = [("B g from the taps of transposed_layer_matrix", _col(bg)),
                 ("conv_transpose from PyTorch's documentation", _col(ref)),
                 ("<A x, g> - <x, B g>, expanded by sympy", res2)]
    failures: list[Any] = [] if shapes_ok else [f"shapes A {a.shape}, B {bt.shape}"]
    failures += [("B g vs conv_transpose", i) for i in fail1]
    failures += ["<A x, g> != <x, B g>"] * (not ok2)
    return Proof(
        title=f"transposed_layer_matrix is the adjoint of layer_matrix "
              f"(stride={stride}, padding={padding}, dilation={dilation}, groups={groups})",
        statement=_eq(sympy.Symbol("<A x, g>"), sympy.Symbol("<x, B g>")),
        steps=steps, holds=shapes_ok and ok1 and ok2, residual=res1 if not ok1 else res2,
        failures=failures,
        claim_latex=r"\langle A x, g\rangle = \langle x, B g\rangle \;\Rightarrow\; B = A^{T},"
                    r"\quad y_{o,i} = \sum_c \sum_t w_{o,c,t}\, x_{c,\, s i + d t - p}",
        notes=[f"A {a.shape}, B {bt.shape}"]
        + ([] if claim == "adjoint" else [f"deliberately wrong claim {claim!r}"]))


def prove_data_matrix(weight_shape_or_symbols: Any, input_shape: Any, *,
                      stride: IntOrTuple = 1, padding: Any = 0, dilation: IntOrTuple = 1,
                      groups: int = 1, padding_mode: Any = "zeros") -> Proof:
    """Prove ``A(w) x = X(x) w``: the layer matrix and the data (im2col) matrix agree.

    ``A(w)`` is placed from :func:`~toeplitz_conv.layer_matrix`'s taps with
    weight symbols, ``X(x)`` from :func:`~toeplitz_conv.data_matrix`'s taps with
    input symbols; both products are compared row by row with PyTorch's layer
    written from its documentation.  Hence ``dL/dw = X(x)^T g`` (``weight_grad``).

    Examples
    --------
    >>> prove_data_matrix((2, 1, 3), (1, 6), stride=2, padding=1).holds
    True
    """
    a = layer_taps(weight_shape_or_symbols, input_shape, stride=stride, padding=padding,
                   dilation=dilation, groups=groups, padding_mode=padding_mode)
    w = a.weight
    x = input_symbols(a.in_shape, w)
    xd = data_matrix(np.zeros(a.in_shape), w.shape, stride=stride, padding=padding,
                     dilation=dilation, groups=groups, padding_mode=padding_mode)
    rows, cols, tidx = xd.taps
    xm = SymbolicTaps(rows, cols, tidx, x, xd.shape, tuple(w.shape), tuple(xd.out_shape),
                      conjugate=False)
    times = _product_cache()
    ax = a.row_products(list(x.ravel()), times)
    xw = xm.row_products(list(w.ravel()), lambda p, q: times(q, p))
    nd = w.ndim - 2
    dil_t = as_int_tuple(dilation, nd, "dilation", minimum=1)
    ref = list(layer_outputs(w, x, stride=as_int_tuple(stride, nd, "stride", minimum=1),
                             pads=torch_pads(padding, w.shape[2:], dil_t), dilation=dil_t,
                             groups=int(groups), padding_mode=padding_mode,
                             times=times).ravel())
    ok1, fail1, res1 = rows_agree(ax, xw)
    ok2, fail2, res2 = rows_agree(xw, ref)
    steps: list[tuple[str, Any]] = []
    if len(ax) <= _SHOW:
        steps = [("A(w) x from layer_matrix's taps", _col(ax)),
                 ("X(x) w from data_matrix's taps", _col(xw)),
                 ("PyTorch's definition", _col(ref))]
    return Proof(
        title="the layer matrix times x equals the data (im2col) matrix times w",
        statement=_eq(sympy.Symbol("A(w) x"), sympy.Symbol("X(x) w")), steps=steps,
        holds=ok1 and ok2, residual=res1 if not ok1 else res2,
        failures=[("A x vs X w", i) for i in fail1] + [("X w vs definition", i) for i in fail2],
        claim_latex=r"A(w)\, x = X(x)\, w,\quad y_{o,i} = \sum_c \sum_t w_{o,c,t}\,"
                    r" x_{c,\, s i + d t - p},\quad \frac{\partial L}{\partial w} = X(x)^{T} g")


def prove_chain_rule(first_weight_shape: Any, second_weight_shape: Any, input_shape: Any, *,
                     first: dict[str, Any] | None = None,
                     second: dict[str, Any] | None = None, claim: str = "chain") -> Proof:
    """Prove the chain rule through two conv layers in matrix form.

    With ``y = A_1(u) x``, ``z = A_2(v) y`` and ``g = dL/dz`` (one symbol per
    output of PyTorch's definition):

    * ``dL/dx = A_1^T A_2^T g`` and
    * ``dL/du = X(x)^T A_2^T g`` (``X`` the data matrix of the first layer),

    each compared with sympy's Jacobian of the two layers written from
    PyTorch's documentation (``L = sum g_o z_o``, linear in ``x`` and in ``u``).

    Parameters
    ----------
    first_weight_shape, second_weight_shape : tuple of int
        ``(C_out, C_in // groups, *kernel)`` of each layer (weights ``u`` and ``v``).
    input_shape : tuple of int
        ``(C_in, *spatial)`` of the first layer.
    first, second : dict, optional
        Keyword arguments of each layer (``stride``, ``padding``, ``dilation``,
        ``groups``; zero padding).
    claim : {'chain', 'wrong-order'}
        ``'wrong-order'`` claims ``dL/dx = A_2^T A_1^T g``-like order (the
        first layer's transpose applied first); it must fail.

    Examples
    --------
    >>> prove_chain_rule((2, 1, 3), (1, 2, 2), (1, 6), first={"stride": 2, "padding": 1}).holds
    True
    >>> prove_chain_rule((1, 1, 2), (1, 1, 3), (1, 6), claim="wrong-order").holds
    False
    """
    choose(claim, "claim", ("chain", "wrong-order"))
    kw1, kw2 = dict(first or {}), dict(second or {})
    a1 = layer_taps(first_weight_shape, input_shape, name="u", **kw1)
    u = a1.weight
    a2 = layer_taps(second_weight_shape, a1.out_shape, name="v", **kw2)
    v = a2.weight
    x = input_symbols(a1.in_shape, np.concatenate((u.ravel(), v.ravel())))
    g = input_symbols(a2.out_shape, np.concatenate((u.ravel(), v.ravel())), name="g")
    xf, gf, uf = list(x.ravel()), list(g.ravel()), list(u.ravel())

    def definition(w: np.ndarray, inp: np.ndarray, kw: dict[str, Any]) -> np.ndarray:
        nd = w.ndim - 2
        dil = as_int_tuple(kw.get("dilation", 1), nd, "dilation", minimum=1)
        return layer_outputs(w, inp, stride=as_int_tuple(kw.get("stride", 1), nd, "stride",
                                                         minimum=1),
                             pads=torch_pads(kw.get("padding", 0), w.shape[2:], dil),
                             dilation=dil, groups=int(kw.get("groups", 1)),
                             padding_mode="zeros")

    z = [sympy.expand(e) for e in definition(v, definition(u, x, kw1), kw2).ravel()]
    count_ok = len(z) == len(gf) == a2.shape[0]
    loss_x, _ = sympy.linear_eq_to_matrix(z, xf)
    loss_u, _ = sympy.linear_eq_to_matrix(z, uf)
    dx = [sympy.expand(sum(gf[o] * loss_x[o, j] for o in range(len(z)))) for j in range(len(xf))]
    du = [sympy.expand(sum(gf[o] * loss_u[o, j] for o in range(len(z)))) for j in range(len(uf))]
    times = _product_cache()
    a2t_g = _transpose_times(a2, gf, times)
    if claim == "chain":
        mx = _transpose_times(a1, a2t_g, times)
    else:
        # A_2^T applied to A_1^T g (shapes permitting): the wrong order.
        a1t = _transpose_times(a1, gf[:a1.shape[0]], times)
        mx = (_transpose_times(a2, a1t, times) + [sympy.S.Zero] * len(xf))[:len(xf)]
    xd = data_matrix(np.zeros(a1.in_shape), u.shape, **kw1)
    r_, c_, t_ = xd.taps
    xm = SymbolicTaps(r_, c_, t_, x, xd.shape, tuple(u.shape), tuple(xd.out_shape),
                      conjugate=False)
    mu = _transpose_times(xm, a2t_g, times)
    ok1, fail1, res1 = rows_agree([sympy.expand(e) for e in mx], dx)
    ok2, fail2, res2 = rows_agree([sympy.expand(e) for e in mu], du)
    steps: list[tuple[str, Any]] = []
    if len(xf) <= _SHOW:
        steps = [("A_2^T g from the second layer's entries", _col(a2t_g)),
                 ("A_1^T (A_2^T g)", _col(mx)),
                 ("dL/dx by sympy's Jacobian of the two layers (PyTorch's definition)",
                  _col(dx)),
                 ("X(x)^T (A_2^T g), X the first layer's data matrix", _col(mu)),
                 ("dL/du by sympy's Jacobian", _col(du))]
    return Proof(
        title="chain rule through two conv layers: dL/dx = A_1^T A_2^T g, "
              "dL/du = X(x)^T A_2^T g",
        statement=_eq(sympy.Symbol("dL/dx, dL/du"),
                      sympy.Symbol("A_1^T A_2^T g, X(x)^T A_2^T g")),
        steps=steps, holds=count_ok and ok1 and ok2, residual=res1 if not ok1 else res2,
        failures=[("dL/dx", j) for j in fail1] + [("dL/du", j) for j in fail2]
        + ([] if count_ok else ["output count"]),
        claim_latex=r"\frac{\partial L}{\partial x} = A_1^{T} A_2^{T} g,\quad"
                    r" \frac{\partial L}{\partial u} = X(x)^{T} A_2^{T} g,\quad"
                    r" y_{o,i} = \sum_c \sum_t w_{o,c,t}\, x_{c,\, s i + d t - p}",
        notes=[] if claim == "chain" else [f"deliberately wrong claim {claim!r}"])

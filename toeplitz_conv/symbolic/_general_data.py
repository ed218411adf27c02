"""The data (im2col) matrix for every input size: ``X(x) w`` is PyTorch's layer.

:func:`~toeplitz_conv.data_matrix` builds the geometry of the layer
(:func:`~toeplitz_conv.geometry.layer_geometry`) and hands it to the
assembler with the input as the tied values (``Ties(data_of=x)``): row
``(o, i)`` holds, in the column of weight ``(o, c, t)`` (C order of
``weight_shape``), the input sample that output ``i`` reads with tap ``t``.
The same geometry is evaluated here at symbolic spatial sizes and row
``(o, i)`` of ``X(x)`` times the flattened weight is compared by sympy with
the im2col definition (:func:`._reference.data_definition_row`), for a
symbolic ``i`` and every size; mirrored and replicated paddings go through
the per-axis proofs of :mod:`._general_mirrored_nd`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, cast

import numpy as np
import sympy

from .._typing import IntOrTuple, LayerPadding, PaddingMode
from .._validation import _is_int, as_int_tuple, as_positive_int, as_shape, choose
from ..data import data_matrix
from ..geometry import channel_map, layer_geometry, layer_min_size
from ._general_decide import (
    GENERAL_LIMITS,
    _check_general,
    _core_read,
    _decide_counts,
    _decide_rows,
    _display,
    _read,
    _same_values,
    _sizes,
    _zero_rule,
)
from ._general_mirrored import _SPLIT_BOUNDARIES
from ._general_mirrored_nd import PRODUCT_NOTE, _run_axes, channel_rule, layer_axis_claims
from ._proof_result import Proof
from ._reference import (
    data_definition_row,
    data_reference_taps,
    layer_definition_count,
    torch_pads,
)
from ._symbols import symbolic_size

__all__ = ["prove_data_matrix_general"]


def prove_data_matrix_general(weight_shape: Any = (1, 1, 3), *, stride: IntOrTuple = 1,
                              padding: LayerPadding = 0, dilation: IntOrTuple = 1,
                              groups: int = 1, padding_mode: PaddingMode = "zeros",
                              claim: str = "definition") -> Proof:
    """Prove that ``data_matrix`` is the im2col matrix of PyTorch's layer for every size.

    The layer geometry :func:`~toeplitz_conv.data_matrix` builds is evaluated
    at symbolic spatial sizes ``n_0, n_1, ...``: sympy shows that its row count
    is PyTorch's and that row ``(o, i)`` of ``X(x)``, for a symbolic ``i``,
    times the flattened weight ``w`` is the im2col definition's,
    ``sum_{c, t} w[(o, c, t)] xpad[c', s i + d t - p]`` with column ``(o, c, t)``
    in C order -- PyTorch's layer output, so ``X(x) w = A(w) x`` and
    ``dL/dw = X(x)^T g`` for every size.  ``reflect`` and ``replicate`` are
    proved axis by axis (edge rows and a middle block) and combined by the
    product structure the notes state.  The builder's rows, columns, input
    indices and stored values (a random integer input) are compared with
    the im2col definition at sample sizes (every residue of the stride and
    where rows change shape).

    Parameters
    ----------
    weight_shape : tuple of int
        ``(C_out, C_in // groups, *kernel)``, 1 to 3 spatial dims.
    stride, padding, dilation, groups, padding_mode
        As :func:`~toeplitz_conv.data_matrix` (TF's ``'SAME'`` with a stride
        is proved for given sizes by :func:`prove_data_matrix`).
    claim : {'definition', 'flipped'}
        ``'flipped'`` claims each window's taps sit in the reversed columns;
        it must not hold.

    Returns
    -------
    Proof
        ``holds``, the steps (counts, the core's rows, the definition's, the
        zero rule; or the per-axis split) and the notes saying what is
        proved, checked and assumed.

    Examples
    --------
    >>> prove_data_matrix_general((2, 1, 3), stride=2, padding=1).holds
    True
    >>> prove_data_matrix_general((1, 1, 2, 2), padding=1, padding_mode="reflect").holds
    True
    >>> prove_data_matrix_general((1, 1, 3), claim="flipped").holds
    False
    """
    choose(claim, "claim", ("definition", "flipped"))
    choose(padding_mode, "padding_mode", ("zeros", "circular") + _SPLIT_BOUNDARIES[1:])
    w_shape, strides, dil, groups = _checked(weight_shape, stride, padding, dilation, groups)
    kshape = w_shape[2:]
    nd = len(kshape)
    c_out, c_ig = w_shape[:2]
    c_in = c_ig * groups
    shown = [symbolic_size(f"n_{d}" if nd > 1 else "n") for d in range(nd)]
    pads_def = torch_pads(padding, kshape, dil)
    mins = [layer_min_size(k, p, dilation=d, padding_mode=padding_mode)
            for k, p, d in zip(kshape, pads_def, dil)]
    if padding_mode in _SPLIT_BOUNDARIES:
        claims = layer_axis_claims(w_shape, strides, padding, dil, padding_mode,
                                   claim == "flipped")
        holds, steps, failures, residual, bounds = _run_axes(claims, kshape, shown)
        ok_ch, cmap = channel_rule(c_out, c_in, groups)
        steps.append(("the core's channel map = PyTorch's groups, entry by entry", cmap))
        if not ok_ch:
            failures.append("channel map")
        what = [", ".join(f"{s} >= {n0}" for s, n0 in zip(shown, bounds))
                + ": assumption of the symbolic part of each axis; the sizes below, down to "
                + ", ".join(f"{s} = {b}" for s, b in zip(shown, mins))
                + ", compared one by one with the definition's taps",
                *([PRODUCT_NOTE] if nd > 1 else []),
                "the column of a read is the weight's C-order index (o, c, t), the "
                "assembler's weight index: compared with the im2col definition's at the "
                "sample sizes"]
        samples = [tuple(v) for v in itertools.product(*(
            sorted({b, b + 1, *range(n0, n0 + k + s)})
            for b, n0, k, s in zip(mins, bounds, kshape, strides)))]
    else:
        steps, failures, residual, what = _symbolic_rows(w_shape, strides, padding, dil, groups,
                                                         padding_mode, claim, shown, mins,
                                                         pads_def)
        samples = list(itertools.product(*(
            sorted({mn, mn + 1, *range(mn + d * (k - 1) + 1, mn + d * (k - 1) + s + 3)})
            for mn, k, d, s in zip(mins, kshape, dil, strides))))
        holds = True
    bad = _tie_data(w_shape, c_in, strides, padding, dil, groups, padding_mode, samples)
    failures += ["builder differs from the im2col definition at " + b for b in bad]
    notes = what + [
        f"builder (data_matrix) compared with the im2col definition (_reference.py) -- rows, "
        f"columns, input indices, stored values (toarray at a random integer input) -- at "
        f"{len(samples)} sizes (every residue of the stride, where rows change shape); "
        f"data_matrix has one write path (TiedMatrix.from_taps, the input as tied values): "
        + ("agree" if not bad else "DIFFER"),
        f"C_in = {c_in}, C_out = {c_out}"]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    params = (f"stride={stride}, padding={padding}, dilation={dilation}, groups={groups}, "
              f"padding_mode={padding_mode!r}")
    return Proof(
        title=f"for all sizes, the data (im2col) matrix times w is PyTorch's conv layer "
              f"({params})",
        statement=sympy.Eq(sympy.Symbol("(X(x) w)_{o,i}"), sympy.Symbol("out_{o,i}"),
                           evaluate=False),
        steps=steps, holds=holds and not failures, residual=residual, failures=failures,
        notes=notes,
        claim_latex=r"(X(x)\, w)_{o,i} = \sum_c \sum_t w_{(o,c,t)}\,"
                    r" \tilde x_{c',\, s i + d t - p} = (A(w)\, x)_{o,i}")


def _checked(weight_shape: Any, stride: Any, padding: Any, dilation: Any, groups: Any
             ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int]:
    """The arguments, validated before any work (the builder's rules, the proofs' bounds)."""
    if not isinstance(weight_shape, tuple) or not all(map(_is_int, weight_shape)):
        raise TypeError(f"weight_shape must be a tuple of ints (C_out, C_in // groups, "
                        f"*kernel), got {weight_shape!r}")
    w_shape = as_shape(weight_shape, "weight_shape")
    if not 3 <= len(w_shape) <= 5:
        raise ValueError(f"weight_shape must be (C_out, C_in // groups, *kernel) with 1 to 3 "
                         f"spatial dims, got {w_shape}")
    _check_general("weight_shape (kernel)", w_shape[2:], "kernel")
    _check_general("weight_shape (channels)", w_shape[:2], "channels")
    if math.prod(w_shape[2:]) > GENERAL_LIMITS["kernel taps"]:
        raise ValueError(f"weight_shape has {math.prod(w_shape[2:])} kernel taps, more than "
                         f"{GENERAL_LIMITS['kernel taps']} for a proof for every size")
    for name, value in (("stride", stride), ("dilation", dilation), ("padding", padding)):
        _check_general(name, value)
    nd = len(w_shape) - 2
    groups = as_positive_int(groups, "groups")
    if w_shape[0] % groups:
        raise ValueError(f"groups={groups} must divide C_out={w_shape[0]}")
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    dil = as_int_tuple(dilation, nd, "dilation", minimum=1)
    if isinstance(padding, str) and padding == "SAME" and any(s != 1 for s in strides):
        raise ValueError("padding='SAME' with a stride above 1 depends on n mod stride: prove "
                         "the data matrix for given sizes with prove_data_matrix, or give "
                         "the pads")
    return w_shape, strides, dil, groups


def _symbolic_rows(w_shape: tuple[int, ...], strides: tuple[int, ...], padding: Any,
                   dil: tuple[int, ...], groups: int, padding_mode: str, claim: str,
                   shown: list[sympy.Symbol], mins: list[int], pads_def: Any
                   ) -> tuple[list[Any], list[str], Any, list[str]]:
    """Zero or circular padding: every row ``(o, i)`` decided by sympy at symbolic sizes."""
    kshape = w_shape[2:]
    nd = len(kshape)
    c_out, c_ig = w_shape[:2]
    syms, sizes = _sizes(mins, [str(s) for s in shown])
    # data_matrix's geometry call, at symbolic sizes.
    geom = layer_geometry(kshape, tuple(sizes), stride=strides, padding=padding, dilation=dil,
                          padding_mode=cast(PaddingMode, padding_mode))
    counts = [ax.out_size for ax in geom.axes]
    def_counts = [layer_definition_count(sz, k, s, pp, d)
                  for sz, k, s, pp, d in zip(sizes, kshape, strides, pads_def, dil)]
    failures: list[str] = []
    residual: Any = sympy.S.Zero
    how = ""
    for c_core, c_def in zip(counts, def_counts):
        ok1, r1, how = _decide_counts(c_core, c_def, syms, strides)
        if not ok1:
            failures.append("row count")
            residual = r1
    rows = tuple(sympy.Symbol(f"i_{d}" if nd > 1 else "i", integer=True) for d in range(nd))
    pos = [[_core_read(ax, p) for p in ax.positions(np.array([r], dtype=object))[0]]
           for ax, r in zip(geom.axes, rows)]
    cmap = channel_map(c_out, c_ig * groups, groups)
    x, wv = sympy.IndexedBase("x"), sympy.IndexedBase("w")
    core_rows, def_rows = [], []
    for o in range(c_out):
        # The entry of weight (o, c, t) sits in its C-order column (the assembler's index).
        core = sympy.Add(*(
            wv[int(np.ravel_multi_index((o, c, *t), w_shape))]
            * _read(x, [pp[tt] for pp, tt in zip(pos, t)], tuple(sizes),
                    prefix=(int(cmap[o, c]),))
            for c in range(c_ig) for t in itertools.product(*(range(k) for k in kshape))))
        dfn = data_definition_row(x, wv, o, rows, tuple(sizes), w_shape, strides, pads_def,
                                  dil, groups, padding_mode, flip=claim == "flipped")
        ok, res, why = _decide_rows(core, dfn, syms, rows, counts)
        if not ok:
            failures.append(f"output channel {o} ({why})")
            residual = res if residual == 0 else residual
        core_rows.append(core)
        def_rows.append(dfn)

    def disp(e: Any) -> Any:
        return _display(e, syms, shown, mins)

    steps: list[tuple[str, Any]] = [
        (f"rows per axis, the core's out_size = PyTorch's ({how})",
         sympy.Eq(sympy.Matrix(counts).applyfunc(disp),
                  sympy.Matrix(def_counts).applyfunc(disp), evaluate=False)),
        ("rows (o, i) of X(x) times w: the core's reads o s + t d - pad_before, channel map "
         "and boundary map, in the column of weight (o, c, t) (C order), by construction",
         sympy.Matrix(core_rows).applyfunc(disp)),
        ("the im2col definition (PyTorch's layer read the other way)",
         sympy.Matrix(def_rows).applyfunc(disp)),
    ]
    ok_z, z_steps, z_why = _zero_rule(geom.axes, tuple(sizes))
    steps += z_steps
    if not ok_z:
        failures.append(z_why)
    what = [f"for every integer output index and every spatial size "
            f"{', '.join(f'{s} >= {mn}' for s, mn in zip(shown, mins))}",
            "the matrix side is the geometry data_matrix builds (layer_geometry at symbolic "
            "sizes, channel_map), each read in the weight's C-order column; the other side "
            "the im2col definition written from PyTorch's layer (_reference.py)",
            "assumed, not proved: between the sampled sizes the assembler places what the "
            "core's geometry says (one pattern per row, repeated); positions affine in the "
            "tap"]
    return steps, failures, residual, what


def _tie_data(w_shape: tuple[int, ...], c_in: int, strides: tuple[int, ...], padding: Any,
              dil: tuple[int, ...], groups: int, padding_mode: str,
              samples: list[tuple[int, ...]]) -> list[str]:
    """data_matrix against the im2col definition at ``samples``: shape, taps (row, column,
    input index) and stored values at a random integer input; a raise is a failure."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    bad = []
    for vals in samples:
        x = rng.integers(-9, 10, size=(c_in, *vals)).astype(np.float64)
        out_shape, r, c, xidx = data_reference_taps(
            w_shape, (c_in, *vals), stride=strides, padding=padding, dilation=dil,
            groups=groups, padding_mode=padding_mode)
        where = f"sizes {vals}"
        try:
            a = data_matrix(x, w_shape, stride=strides, padding=padding, dilation=dil,
                            groups=groups, padding_mode=cast(PaddingMode, padding_mode))
            got = np.stack(a.taps)
            want = np.stack((r, c, xidx))
            same_taps = got.shape == want.shape and bool(
                (got[:, np.lexsort(got[::-1])] == want[:, np.lexsort(want[::-1])]).all())
            shape_ok = a.shape == (math.prod(out_shape), math.prod(w_shape))
            values_ok = shape_ok and same_taps and _same_values(a, sp, r, c, x.ravel()[xidx])
        except (ValueError, IndexError, TypeError) as e:       # a broken builder raises
            bad.append(f"{where} (the builder raised {type(e).__name__})")
            continue
        if not shape_ok:
            bad.append(f"{where}: shape {a.shape}")
        elif not same_taps:
            bad.append(f"{where}: taps")
        elif not values_ok:
            bad.append(f"{where}: stored values")
    return bad

"""The transposed layer for every input size: PyTorch's ``ConvTranspose``, as the builder builds it.

:func:`~toeplitz_conv.transposed_layer_matrix` is the transpose of a forward
correlation on the *output* size: it resolves the padding (ints, pairs, or
TF's/JAX's strings through the builder's own ``_framework_padding``), takes
the output size from :func:`~toeplitz_conv.geometry.transposed_out_size`,
builds :func:`~toeplitz_conv.geometry.layer_geometry` on it and crops its
outputs to the input size (``out_limit``).  Those same calls are made here at
symbolic input sizes; column ``(ci, i)`` of the matrix -- its response to the
unit input at ``(ci, i)`` -- is then compared by sympy with PyTorch's scatter,
``out[co, s i + d t - p_l] += w[ci, co', t] g[ci, i]`` (:mod:`._reference`),
for a symbolic ``i`` and every size.  A matrix is its columns, so the two
matrices are equal once the row and column counts are.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

import numpy as np
import sympy

from .._typing import IntOrTuple
from .._validation import _is_int, as_int_tuple, as_positive_int, choose
from ..geometry import (
    FRAMEWORK_PADDINGS,
    Geometry,
    channel_map,
    layer_geometry,
    resolve_padding,
    transposed_out_size,
)
from ..layers import _framework_padding, transposed_layer_matrix
from ._general_decide import (
    _ASSUMED,
    _TIE_NOTE,
    _WRITE_PATHS,
    GENERAL_LIMITS,
    _axis_padding,
    _check_general,
    _core_read,
    _decide_counts,
    _decide_rows,
    _display,
    _read,
    _sizes,
    _threshold_samples,
    _tie,
    _zero_rule,
)
from ._proof_result import Proof
from ._reference import (
    torch_pads,
    transposed_definition_column,
    transposed_definition_count,
    transposed_framework_size,
    transposed_reference_taps,
)
from ._symbols import as_symbolic_kernel, symbolic_size

__all__ = ["prove_transposed_layer_general"]


def prove_transposed_layer_general(weight_shape_or_symbols: Any = (1, 1, 3), *,
                                   stride: IntOrTuple = 1, padding: Any = 0,
                                   output_padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
                                   groups: int = 1, claim: str = "definition") -> Proof:
    """Prove that ``transposed_layer_matrix`` is PyTorch's ``ConvTranspose`` for every size.

    The builder's own calls -- its padding resolution, the output size
    ``(n - 1) s - p_l - p_r + d (k - 1) + op + 1`` of
    :func:`~toeplitz_conv.geometry.transposed_out_size` and the forward
    :func:`~toeplitz_conv.geometry.layer_geometry` on that size, cropped to
    ``n`` outputs -- are evaluated at symbolic input sizes ``n_0, n_1, ...``.
    sympy shows that the row and column counts are PyTorch's and that column
    ``(ci, i)`` of the matrix, for a symbolic ``i``, is PyTorch's scatter of the
    unit input at ``(ci, i)``: ``w[ci, co', t]`` at output ``(co, s i + d t - p_l)``
    when that lies in ``0 .. m - 1``.  The builder's rows, taps and stored values
    are compared with the same definition at sample sizes (every residue of the
    stride, where columns change shape, both sides of each of the assembler's
    write-path thresholds).

    Parameters
    ----------
    weight_shape_or_symbols : tuple of int or nested sequence
        ``(C_in, C_out // groups, *kernel)``, 1 to 3 spatial dims.
    stride, output_padding, dilation, groups
        As :func:`~toeplitz_conv.transposed_layer_matrix`
        (``output_padding`` below the stride or the dilation).
    padding : int, tuple of int, tuple of (before, after), or {'SAME', 'SAME_LOWER', 'VALID'}
        Outputs cropped from each side; TensorFlow's ``'SAME'``/``'VALID'``
        (Keras' output size ``n s``, ``n s + max(d (k - 1) + 1 - s, 0)``) and
        JAX's ``'SAME_LOWER'``, whose pads do not depend on ``n``.
    claim : {'definition', 'flipped'}
        ``'flipped'`` claims the transposed layer flips the kernel; it must
        not hold.

    Returns
    -------
    Proof
        ``holds``, the steps (counts, the core's column, PyTorch's, the zero
        rule) and the notes saying what is proved, checked and assumed.

    Notes
    -----
    The builder's ``output_size=`` only picks ``output_padding`` (prove with
    that ``output_padding``); its ``data_format``/``weight_format`` only
    permute rows, columns and weights and are not part of this proof.

    Examples
    --------
    >>> prove_transposed_layer_general((1, 1, 3), stride=2, padding=1,
    ...                                output_padding=1).holds
    True
    >>> prove_transposed_layer_general((1, 1, 4), stride=2, padding="SAME_LOWER").holds
    True
    >>> prove_transposed_layer_general((1, 1, 3), stride=2, claim="flipped").holds
    False
    """
    choose(claim, "claim", ("definition", "flipped"))
    w_arr, w_shape, strides, dil, ops, groups = _checked(
        weight_shape_or_symbols, stride, padding, output_padding, dilation, groups)
    nd = len(w_shape) - 2
    kshape = w_shape[2:]
    c_in = w_shape[0]
    shown = [symbolic_size(f"n_{d}" if nd > 1 else "n") for d in range(nd)]
    mins = [_smallest_size(k, s, d, padding, op, axis)
            for axis, (k, s, d, op) in enumerate(zip(kshape, strides, dil, ops))]
    syms, sizes = _sizes(mins, [str(s) for s in shown])
    failures: list[str] = []
    # The builder's calls at symbolic sizes.
    if isinstance(padding, str):
        pads_c, ops_raw = _framework_padding(padding, None, ops, tuple(sizes), kshape, strides,
                                             dil)
        if not all(sympy.sympify(v).is_Integer for v in ops_raw):
            failures.append(f"the builder's output padding for {padding!r} depends on n: "
                            f"{ops_raw}")
            return _proof(padding, stride, output_padding, dilation, groups, [], False,
                          sympy.nan, failures, [], claim)
        ops_c = tuple(int(v) for v in ops_raw)
        defs = [transposed_framework_size(n, k, s, d, padding)
                for n, k, s, d in zip(sizes, kshape, strides, dil)]
        m_def = [m for m, _ in defs]
        pads_def = tuple(p for _, p in defs)
    else:
        pads_c = resolve_padding(padding, kshape, allow_strings=False)
        ops_c = ops
        pads_def = torch_pads(padding, kshape, dil)
        m_def = [transposed_definition_count(n, k, s, pp, d, op) for n, k, s, pp, d, op
                 in zip(sizes, kshape, strides, pads_def, dil, ops)]
    m_core = [transposed_out_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)
              for n, k, s, p, op, d in zip(sizes, kshape, strides, pads_c, ops_c, dil)]
    geom = layer_geometry(kshape, tuple(m_core), stride=strides, padding=pads_c, dilation=dil)
    geom = Geometry(tuple(replace(ax, out_limit=n) for ax, n in zip(geom.axes, sizes)))
    ok_c, res_c, how = True, sympy.S.Zero, ""
    for c_core, c_def in [*zip(m_core, m_def), *((ax.out_size, n)
                                                 for ax, n in zip(geom.axes, sizes))]:
        ok1, r1, how1 = _decide_counts(c_core, c_def, syms, strides)
        how = how or how1
        if not ok1:
            ok_c, res_c = False, r1
    if not ok_c:
        failures.append("row or column count")
    cols = tuple(sympy.Symbol(f"i_{d}" if nd > 1 else "i", integer=True) for d in range(nd))
    core_cols, def_cols, col_failures, residual = _columns(
        w_arr, w_shape, geom, cols, m_core, m_def, syms, sizes, strides, pads_def, dil, groups,
        claim == "flipped", res_c)
    failures += col_failures

    def disp(e: Any) -> Any:
        return _display(e, syms, shown, mins)

    steps: list[tuple[str, Any]] = [
        ("the builder's padding and output padding at symbolic sizes: (pad before, pad after, "
         "output padding) per axis, by construction",
         sympy.Matrix([[p[0], p[1], op] for p, op in zip(pads_c, ops_c)])),
        (f"outputs per axis, the core's transposed_out_size = PyTorch's ({how})",
         sympy.Eq(sympy.Matrix(m_core).applyfunc(disp), sympy.Matrix(m_def).applyfunc(disp),
                  evaluate=False)),
        ("inputs per axis: the forward geometry's out_size, cropped to n (out_limit) = n",
         sympy.Matrix([ax.out_size for ax in geom.axes]).applyfunc(disp)),
        ("columns (ci, i) of the matrix from the forward geometry's o s + t d - pad_before, "
         "the channel map and the zero rule on the output, by construction "
         "(y[co, j] marks row (co, j))", sympy.Matrix(core_cols).applyfunc(disp)),
        ("PyTorch's scatter of the unit input at (ci, i), from its documentation",
         sympy.Matrix(def_cols).applyfunc(disp)),
    ]
    ok_z, z_steps, z_why = _zero_rule(geom.axes, tuple(m_core))
    steps += [(cap, disp(e) if isinstance(e, sympy.Basic) else e) for cap, e in z_steps]
    if not ok_z:
        failures.append(z_why)
    samples, bad, n_sizes = _tie_transposed(w_shape, strides, padding, ops, dil, groups, mins,
                                            pads_def)
    failures += ["builder differs from PyTorch's definition at " + b for b in bad]
    notes = [f"for every integer input index and every spatial size "
             f"{', '.join(f'{s} >= {mn}' for s, mn in zip(shown, mins))} (the smallest with "
             f"an output)",
             "the matrix side is the builder's own calls (its padding resolution, "
             "transposed_out_size, layer_geometry on the output size cropped by out_limit) at "
             "symbolic sizes; the other side PyTorch's ConvTranspose (TF's / JAX's for a "
             "string padding) written from its documentation; a matrix equals another "
             "when every column does",
             _TIE_NOTE.format(paths=", ".join(_WRITE_PATHS), small=len(samples), n=n_sizes,
                              definition="PyTorch's definition").replace(
                 "conv_matrix / layer_matrix", "transposed_layer_matrix")
             + ("agree" if not bad else "DIFFER"),
             _ASSUMED.replace("writes what", "writes (then transposes) what"),
             f"C_in = {c_in}, C_out = {w_shape[1] * groups}"]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return _proof(padding, stride, output_padding, dilation, groups, steps, not failures,
                  residual, failures, notes, claim)


def _checked(weight: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any,
             groups: Any) -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...],
                                   tuple[int, ...], tuple[int, ...], int]:
    """The arguments, validated before any work (the builder's rules, the proofs' bounds)."""
    if isinstance(weight, tuple) and all(map(_is_int, weight)):
        _check_general("weight_shape_or_symbols (kernel)", weight[2:], "kernel")
        _check_general("weight_shape_or_symbols (channels)", weight[:2], "channels")
    for name, value in (("stride", stride), ("dilation", dilation), ("padding", padding),
                        ("output_padding", output_padding)):
        _check_general(name, value, "stride" if name == "output_padding" else None)
    w_arr = as_symbolic_kernel(weight, what="weight_shape_or_symbols")
    if not 3 <= w_arr.ndim <= 5:
        raise ValueError(f"weight_shape_or_symbols must describe a (C_in, C_out // groups, "
                         f"*kernel) weight with 1 to 3 spatial dims, got shape {w_arr.shape}")
    w_shape = tuple(int(v) for v in w_arr.shape)
    nd = len(w_shape) - 2
    _check_general("weight_shape_or_symbols (kernel)", w_shape[2:], "kernel")
    _check_general("weight_shape_or_symbols (channels)", w_shape[:2], "channels")
    if math.prod(w_shape[2:]) > GENERAL_LIMITS["kernel taps"]:
        raise ValueError(f"weight_shape_or_symbols has {math.prod(w_shape[2:])} kernel taps, "
                         f"more than {GENERAL_LIMITS['kernel taps']} for a proof for every size")
    groups = as_positive_int(groups, "groups")
    if w_shape[0] % groups:
        raise ValueError(f"groups={groups} must divide C_in={w_shape[0]}")
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    dil = as_int_tuple(dilation, nd, "dilation", minimum=1)
    ops = as_int_tuple(output_padding, nd, "output_padding", minimum=0)
    if isinstance(padding, str):
        choose(padding, "padding", FRAMEWORK_PADDINGS)
        if any(ops):
            raise ValueError(f"padding={padding!r} sets the output size itself: "
                             f"output_padding must be 0, got {output_padding!r}")
    else:
        resolve_padding(padding, w_shape[2:], allow_strings=False)      # its own messages
    for op, s, d in zip(ops, strides, dil):
        if op >= s and op >= d:
            raise ValueError(f"output_padding {ops} must be smaller than either stride "
                             f"{strides} or dilation {dil} (PyTorch's rule)")
    return w_arr, w_shape, strides, dil, ops, groups


def _smallest_size(k: int, s: int, d: int, padding: Any, op: int, axis: int) -> int:
    """The smallest input size whose transposed output is not empty (PyTorch's formula)."""
    if isinstance(padding, str):
        return 1
    (pads,) = torch_pads(_axis_padding(padding, axis), (k,), (d,))
    n = 1
    while transposed_definition_count(n, k, s, pads, d, op) < 1:
        n += 1
    return n


def _columns(w_arr: np.ndarray, w_shape: tuple[int, ...], geom: Any,
             cols: tuple[sympy.Symbol, ...], m_core: list[Any], m_def: list[Any],
             syms: list[sympy.Symbol], sizes: list[Any], strides: tuple[int, ...],
             pads_def: Any, dil: tuple[int, ...], groups: int, flipped: bool, residual: Any
             ) -> tuple[list[Any], list[Any], list[str], Any]:
    """Every input channel's column ``i`` from the core and from PyTorch's scatter, decided."""
    c_in, c_og = w_shape[:2]
    kshape = w_shape[2:]
    # The forward layer the builder assembles: C_in output channels reading C_out inputs.
    cmap = channel_map(c_in, c_og * groups, groups)
    pos = [[_core_read(ax, p) for p in ax.positions(np.array([r], dtype=object))[0]]
           for ax, r in zip(geom.axes, cols)]
    w, y = sympy.IndexedBase("w"), sympy.IndexedBase("y")
    idx_all = list(itertools.product(*(range(v) for v in w_shape)))
    sub = {w[j]: v for j, v in zip(idx_all, w_arr.ravel())}
    failures: list[str] = []
    core_cols, def_cols = [], []
    for ci in range(c_in):
        terms = [w[(ci, c) + t] * _read(y, [pp[tt] for pp, tt in zip(pos, t)], tuple(m_core),
                                        prefix=(int(cmap[ci, c]),))
                 for c in range(c_og) for t in itertools.product(*(range(k) for k in kshape))]
        core = sympy.Add(*terms).xreplace(sub)
        dfn = transposed_definition_column(lambda j: w[j], y, ci, cols, tuple(m_def), w_shape,
                                           strides, pads_def, dil, groups,
                                           flip=flipped).xreplace(sub)
        ok, res, why = _decide_rows(core, dfn, syms, cols, list(sizes))
        if not ok:
            failures.append(f"input channel {ci}'s column ({why})")
            residual = res if residual == 0 else residual
        core_cols.append(core)
        def_cols.append(dfn)
    return core_cols, def_cols, failures, residual


def _tie_transposed(w_shape: tuple[int, ...], strides: tuple[int, ...], padding: Any,
                    ops: tuple[int, ...], dil: tuple[int, ...], groups: int, mins: list[int],
                    pads_def: Any) -> tuple[list[tuple[int, ...]], list[str], int]:
    """transposed_layer_matrix against PyTorch's definition at sample sizes (every write
    path) and around the assembler's thresholds on the last axis (the path it takes by
    size); returns ``(samples, failures, number of sizes)``."""
    c_in, c_og = w_shape[:2]
    kshape = w_shape[2:]

    def reference(vals: tuple[int, ...]) -> Any:
        return transposed_reference_taps(w_shape, (c_in, *vals), stride=strides,
                                         padding=padding, output_padding=ops, dilation=dil,
                                         groups=groups)

    def build(vals: tuple[int, ...], weight: np.ndarray) -> Any:
        return transposed_layer_matrix(weight, (c_in, *vals), stride=strides, padding=padding,
                                       output_padding=ops, dilation=dil, groups=groups)

    # Columns change shape until they are clear of both crops: then every stride residue.
    full = [(d * (k - 1) + p[0] + p[1]) // s + 1
            for k, s, d, p in zip(kshape, strides, dil, pads_def)]
    if len(kshape) == 1:
        per_axis = [list(range(mins[0], mins[0] + full[0] + strides[0] + 3))]
    else:
        per_axis = [sorted({mn, mn + 1, *range(mn + f, mn + f + s + 1)})
                    for mn, f, s in zip(mins, full, strides)]
    samples = list(itertools.product(*per_axis))
    bad = _tie(reference, build, samples, w_shape, False)
    others = tuple(mn + f for mn, f in zip(mins[:-1], full[:-1]))
    axis_pad = _axis_padding(padding, len(kshape) - 1)

    def axis_taps(n: int) -> Any:
        # The forward matrix the assembler writes: its rows are this layer's inputs.
        _, r, c, t = transposed_reference_taps((1, 1, kshape[-1]), (1, n),
                                               stride=strides[-1:], padding=axis_pad,
                                               output_padding=ops[-1:], dilation=dil[-1:],
                                               groups=1)
        return c, r, t

    def total(n: int) -> int:
        return len(reference(others + (n,))[1])

    large = _threshold_samples(axis_taps, total, mins[-1], kshape[-1],
                               c_og * math.prod(kshape), strides[-1], True, len(kshape) > 1)
    bad += _tie(reference, build, [others + (n,) for n in large], w_shape, False,
                paths=(None,))
    return samples, bad, len(samples) + len(large)


def _proof(padding: Any, stride: Any, output_padding: Any, dilation: Any, groups: Any,
           steps: Any, holds: bool, residual: Any, failures: list[str], notes: list[str],
           claim: str) -> Proof:
    params = (f"stride={stride}, padding={padding!r}, output_padding={output_padding}, "
              f"dilation={dilation}, groups={groups}")
    return Proof(
        title=f"for all sizes, the transposed layer matrix times g is PyTorch's "
              f"ConvTranspose ({params})",
        statement=sympy.Eq(sympy.Symbol("(T g)_{co,j}"), sympy.Symbol("out_{co,j}"),
                           evaluate=False),
        steps=steps, holds=holds, residual=residual, failures=failures, notes=notes,
        claim_latex=r"T e_{(c_i, i)} = \sum_{c_o'} \sum_t w_{c_i,c_o',t}\,"
                    r" e_{(c_o,\, s i + d t - p)}\quad (0 \le s i + d t - p < m)")

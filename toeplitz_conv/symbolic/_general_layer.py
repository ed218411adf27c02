"""The layer equivalence for every spatial size: PyTorch's conv layer, as the builder builds it.

:func:`~toeplitz_conv.layers.layer_geometry` is evaluated at symbolic
spatial sizes and compared by sympy with PyTorch's definition
(:mod:`._reference`), as :mod:`._general_signal` does for signals; the
mirrored and replicated paddings go to :mod:`._general_mirrored`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import sympy

from .._typing import IntOrTuple, LayerPadding, PaddingMode
from .._validation import _is_int, as_int_tuple, as_positive_int, choose
from ..geometry import channel_map, layer_geometry, layer_min_size, resolve_padding
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
    _layer_general_proof,
    _nonneg,
    _read,
    _sizes,
    _tie_layer,
    _zero_rule,
)
from ._general_mirrored import _SPLIT_BOUNDARIES, _general_split_layer
from ._general_mirrored_nd import _general_split_layer_nd
from ._proof_result import Proof
from ._reference import (
    layer_definition_count,
    layer_definition_row,
    tf_same_pads,
    torch_pads,
)
from ._symbols import as_symbolic_kernel, symbolic_size

__all__ = ["prove_layer_equivalence_general"]


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
        ``'reflect'`` and ``'replicate'``: the rows are split into the
        leading and trailing edge rows, which read the padding, and a middle
        block, each proved by sympy for every ``n`` at least a bound the proof
        states; the finitely many smaller sizes are proved one by one.  With
        2 or 3 spatial dims each axis is proved so (its reads and weight
        indices), the channel map entry by entry, and the N-D claim follows
        by the product structure the proof's notes state.
    claim : {'definition', 'flipped'}
        ``'flipped'`` claims the layer flips the kernel; it must not hold.

    Examples
    --------
    >>> prove_layer_equivalence_general((2, 1, 3), stride=2, padding=1, dilation=2).holds
    True
    >>> prove_layer_equivalence_general((1, 1, 2, 2), padding=1).holds
    True
    >>> prove_layer_equivalence_general((1, 1, 3, 3), padding=1, padding_mode="reflect").holds
    True
    >>> prove_layer_equivalence_general((1, 1, 3), claim="flipped").holds
    False
    """
    choose(claim, "claim", ("definition", "flipped"))
    choose(padding_mode, "padding_mode", ("zeros", "circular") + _SPLIT_BOUNDARIES[1:])
    if isinstance(weight_shape_or_symbols, tuple) and all(map(_is_int, weight_shape_or_symbols)):
        _check_general("weight_shape_or_symbols (kernel)", weight_shape_or_symbols[2:], "kernel")
        _check_general("weight_shape_or_symbols (channels)", weight_shape_or_symbols[:2],
                       "channels")
    _check_general("stride", stride)
    _check_general("dilation", dilation)
    _check_general("padding", padding)
    w_arr = as_symbolic_kernel(weight_shape_or_symbols, what="weight_shape_or_symbols")
    if not 3 <= w_arr.ndim <= 5:
        raise ValueError(f"weight_shape_or_symbols must describe a (C_out, C_in // groups, "
                         f"*kernel) weight with 1 to 3 spatial dims, got shape {w_arr.shape}")
    w_shape = tuple(int(v) for v in w_arr.shape)
    nd = len(w_shape) - 2
    kshape = w_shape[2:]
    c_out, c_ig = w_shape[:2]
    _check_general("weight_shape_or_symbols (kernel)", kshape, "kernel")
    _check_general("weight_shape_or_symbols (channels)", (c_out, c_ig), "channels")
    if math.prod(kshape) > GENERAL_LIMITS["kernel taps"]:
        raise ValueError(f"weight_shape_or_symbols has {math.prod(kshape)} kernel taps, more "
                         f"than {GENERAL_LIMITS['kernel taps']} for a proof for every size")
    groups = as_positive_int(groups, "groups")
    if c_out % groups:
        raise ValueError(f"groups={groups} must divide C_out={c_out}")
    c_in = c_ig * groups
    strides = as_int_tuple(stride, nd, "stride", minimum=1)
    dil = as_int_tuple(dilation, nd, "dilation", minimum=1)
    if padding_mode in _SPLIT_BOUNDARIES:
        if nd != 1:
            return _general_split_layer_nd(w_shape, strides, padding, dil, groups,
                                           padding_mode, claim)
        return _general_split_layer(w_arr, w_shape, strides[0], padding, dil[0], groups,
                                    padding_mode, claim)
    if isinstance(padding, str) and padding in ("SAME", "SAME_LOWER") \
            and any(v != 1 for v in strides):
        return _general_tf_same(weight_shape_or_symbols, w_shape, strides, dil, groups,
                                padding_mode, claim, lower=padding == "SAME_LOWER")
    lay = _Layer(w_shape, strides, padding, dil, groups, padding_mode, c_in,
                 claim == "flipped")
    pads_def = torch_pads(padding, kshape, dil)
    # The smallest sizes PyTorch accepts with the definition's pads: the proof is for all above.
    mins = [layer_min_size(k, pads, dilation=d, padding_mode=padding_mode)
            for k, d, pads in zip(kshape, dil, pads_def)]
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
    failures: list[str] = [] if ok_c else ["row count"]
    core_rows, def_rows, row_failures, residual = _layer_rows(
        lay, w_arr, geom, rows, sizes, syms, counts, pads_def, res_c)
    failures += row_failures

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
        failures.append(z_why)
    per_axis = [sorted({mn, mn + 1, *range(mn + d * (k - 1) + 1, mn + d * (k - 1) + s + 3)})
                for mn, k, d, s in zip(mins, kshape, dil, strides)]
    samples = list(itertools.product(*per_axis))
    bad, n_sizes = _tie_layer(w_shape, c_in, strides, padding, dil, groups, padding_mode,
                              samples)
    failures += ["builder differs from PyTorch's definition at " + b for b in bad]
    notes = [f"for every integer output index and every spatial size "
             f"{', '.join(f'{s} >= {mn}' for s, mn in zip(shown, mins))}",
             "the matrix side is evaluated by the geometry core (layer_geometry at symbolic "
             "sizes), the other side written from PyTorch's documentation",
             _TIE_NOTE.format(paths=", ".join(_WRITE_PATHS), small=len(samples), n=n_sizes,
                              definition="PyTorch's definition")
             + ("agree" if not bad else "DIFFER"), _ASSUMED]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return _layer_general_proof(f"stride={stride}, padding={padding}, dilation={dilation}, "
                                f"groups={groups}, padding_mode={padding_mode!r}",
                                steps, not failures, residual, failures, notes)


@dataclass(frozen=True)
class _Layer:
    """The statement of a layer proof: the weight's shape and the layer's options."""

    w_shape: tuple[int, ...]
    strides: tuple[int, ...]
    padding: Any
    dil: tuple[int, ...]
    groups: int
    padding_mode: str
    c_in: int
    flipped: bool

    @property
    def kshape(self) -> tuple[int, ...]:
        return self.w_shape[2:]

    @property
    def cmap(self) -> np.ndarray:
        """The core's channel map: the input channel output ``o`` reads through weight ``c``."""
        return channel_map(self.w_shape[0], self.c_in, self.groups)

    def geometry(self, sizes: tuple[Any, ...]) -> Any:
        return layer_geometry(self.kshape, sizes, stride=self.strides, padding=self.padding,
                              dilation=self.dil,
                              padding_mode=cast(PaddingMode, self.padding_mode))


def _inside(tables: list[Any], orow: tuple[int, ...], t: tuple[int, ...],
            vals: tuple[int, ...]) -> tuple[int, ...] | None:
    """The input sample output ``orow`` reads with tap ``t``, or None where it reads a zero."""
    src = []
    for d in range(len(vals)):
        v, kind = tables[d][orow[d]][t[d]]
        if kind == "zeros" and not 0 <= v < vals[d]:
            return None
        src.append(v)
    return tuple(src)


def _layer_rows(lay: _Layer, w_arr: np.ndarray, geom: Any, rows: tuple[sympy.Symbol, ...],
                sizes: list[Any], syms: list[sympy.Symbol], counts: list[Any],
                pads_def: Any, residual: Any
                ) -> tuple[list[Any], list[Any], list[str], Any]:
    """Every output channel's row ``i`` from the core and from PyTorch's definition, decided.

    Returns ``(core rows, definition rows, failures, residual)``; a row that
    differs gives the residual when ``residual`` is still 0.
    """
    c_out, c_ig = lay.w_shape[:2]
    pos = [[_core_read(ax, p) for p in ax.positions(np.array([r], dtype=object))[0]]
           for ax, r in zip(geom.axes, rows)]
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")
    values = list(w_arr.ravel())
    idx_all = list(itertools.product(*(range(v) for v in lay.w_shape)))
    sub = {w[j]: v for j, v in zip(idx_all, values)}

    def weight(j: tuple[int, ...]) -> Any:
        return w[j]

    cmap = lay.cmap
    failures: list[str] = []
    core_rows, def_rows = [], []
    for o in range(c_out):
        terms = []
        for c in range(c_ig):
            for t in itertools.product(*(range(k) for k in lay.kshape)):
                w_at = (o, c) + t
                terms.append(w[w_at] * _read(x, [pp[tt] for pp, tt in zip(pos, t)],
                                                   tuple(sizes), prefix=(int(cmap[o, c]),)))
        core = sympy.Add(*terms).xreplace(sub)
        dfn = layer_definition_row(weight, x, o, rows, tuple(sizes), lay.w_shape, lay.strides,
                                   pads_def, lay.dil, lay.groups, lay.padding_mode,
                                   flip=lay.flipped).xreplace(sub)
        ok_r, res_r, why = _decide_rows(core, dfn, syms, rows, counts)
        if not ok_r:
            failures.append(f"output channel {o} ({why})")
            if residual == 0:
                residual = res_r
        core_rows.append(core)
        def_rows.append(dfn)
    return core_rows, def_rows, failures, residual


def _general_tf_same(weight: Any, w_shape: tuple[int, ...], strides: tuple[int, ...],
                     dil: tuple[int, ...], groups: int, padding_mode: str, claim: str, *,
                     lower: bool = False) -> Proof:
    """TensorFlow's ``'SAME'`` with a stride: one proof per residue class of the sizes.

    TF's pads depend on ``n mod s`` only (``(ceil(n / s) - 1) s - n`` does), so for
    each class ``n = s u + r`` (``1 <= r <= s``) the core's pads are evaluated at
    the symbolic size and must be the definition's constant pads; the layer with
    those pads is then proved for every size, and the builder with ``'SAME'`` is
    tied to the definition at every size up to past the bound of each class.
    ``lower``: JAX's ``'SAME_LOWER'``, the same total with the odd pad before.
    """
    name = "SAME_LOWER" if lower else "SAME"

    def ref_pads(r: int, k: int, v: int, d: int) -> tuple[int, int]:
        before, after = tf_same_pads(r, k, v, d)
        return (after, before) if lower else (before, after)

    kshape = w_shape[2:]
    u = _nonneg("u")
    steps: list[tuple[str, Any]] = []
    failures: list[str] = []
    residual: Any = sympy.S.Zero
    for rs in itertools.product(*(range(1, v + 1) for v in strides)):
        sizes = tuple(v * u + r for v, r in zip(strides, rs))
        label = ", ".join(f"n_{d} = {v} u + {r}" for d, (v, r) in enumerate(zip(strides, rs)))
        try:
            core = resolve_padding(name, kshape, stride=strides, dilation=dil, sizes=sizes)
            core_ok = all(_is_int(v) for pair in core for v in pair)
        except TypeError:                       # sympy cannot decide: not shown for all n
            core, core_ok = (), False
        ref = tuple(ref_pads(r, k, v, d) for r, k, v, d in zip(rs, kshape, strides, dil))
        if not core_ok or tuple(tuple(int(v) for v in pair) for pair in core) != ref:
            failures.append(f"[{label}] the core's {name!r} pads {core} differ from "
                            f"{'JAX' if lower else 'TF'}'s {ref}")
        sub = prove_layer_equivalence_general(weight, stride=strides, padding=ref,
                                              dilation=dil, groups=groups,
                                              padding_mode=cast(PaddingMode, padding_mode),
                                              claim=claim)
        steps.append((f"[{label}] the core's {name!r} pads at the symbolic size = the "
                      f"definition's (constant on the class)",
                      sympy.Matrix([list(p) for p in ref])))
        steps += [(f"[{label}] {cap}", e) for cap, e in sub.steps]
        failures += [f"[{label}] {f}" for f in sub.failures]
        if residual == 0 and not sub.holds:
            residual = sub.residual
    c_in = w_shape[1] * groups
    top = [2 * v + d * (k - 1) + 3 for v, k, d in zip(strides, kshape, dil)]
    samples = list(itertools.product(*(range(1, t) for t in top)))
    bad, n_sizes = _tie_layer(w_shape, c_in, strides, name, dil, groups, padding_mode,
                              samples)
    failures += [f"builder differs from PyTorch's definition with {name!r} pads at " + b
                 for b in bad]
    notes = [f"{'JAX' if lower else 'TF'}'s {name!r} (tf.nn.convolution's 'SAME'): ceil(n / s) "
             "outputs, total pad max((ceil(n / s) - 1) s + d (k - 1) + 1 - n, 0), the odd "
             f"one {'before' if lower else 'after'}; it depends on n mod s only, so each "
             "residue class is one fixed padding",
             "per class: the core's pads at the symbolic size equal TF's, and the layer with "
             "those pads is proved for every size (prove_layer_equivalence_general)",
             _TIE_NOTE.format(paths=", ".join(_WRITE_PATHS), small=len(samples), n=n_sizes,
                              definition=f"PyTorch's definition with {name!r} pads")
             + ("agree" if not bad else "DIFFER")
             + " (every size below each class's bound included)", _ASSUMED]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return _layer_general_proof(f"stride={strides}, padding={name!r}, dilation={dil}, "
                                f"groups={groups}, padding_mode={padding_mode!r}",
                                steps, not failures, residual, failures, notes)

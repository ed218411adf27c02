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

from .._assemble import WritePath, forced_write_path
from .._typing import IntOrTuple, LayerPadding, PaddingMode
from .._validation import as_int_tuple, as_positive_int, choose
from ..geometry import channel_map, layer_geometry, layer_min_size
from ..layers import layer_matrix
from ._general_decide import (
    _WRITE_PATHS,
    _core_read,
    _decide_counts,
    _decide_rows,
    _display,
    _flat,
    _layer_general_proof,
    _read,
    _sizes,
    _tie_to_builder,
    _zero_rule,
)
from ._general_mirrored import _SPLIT_BOUNDARIES, _general_split_layer
from ._proof_result import Proof
from ._reference import (
    layer_definition_count,
    layer_definition_row,
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
    per_axis = [sorted({mn, mn + 1, mn + d * (k - 1) + s + 2})
                for mn, k, d, s in zip(mins, kshape, dil, strides)]
    samples = list(itertools.product(*per_axis))
    bad = _tie_to_builder(lay.core_taps, lay.builder, samples)
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

    def core_taps(self, vals: tuple[int, ...]) -> list[tuple[int, int, int]]:
        """The ``(row, column, weight)`` taps the core's formula gives at sizes ``vals``."""
        g = self.geometry(vals)
        c_out, c_ig = self.w_shape[:2]
        cmap = self.cmap
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
                    for t in itertools.product(*(range(k) for k in self.kshape)):
                        src = _inside(tables, orow, t, vals)
                        if src is not None:
                            out.append((o * n_out + _flat(orow, g.out_shape),
                                        int(cmap[o, c]) * math.prod(vals)
                                        + _flat(src, vals),
                                        _flat((o, c, *t), self.w_shape)))
        return sorted(out)

    def builder(self, vals: tuple[int, ...], path: str) -> Any:
        """The builder's matrix at sizes ``vals``, written on write path ``path``."""
        with forced_write_path(cast(WritePath, path)):
            return layer_matrix(np.ones(self.w_shape, dtype=np.int64), (self.c_in, *vals),
                                stride=self.strides, padding=self.padding, dilation=self.dil,
                                groups=self.groups,
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

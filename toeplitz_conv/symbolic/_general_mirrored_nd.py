"""Mirrored and replicated boundaries in N-D for every size: each axis split, then the product.

scipy's ``boundary='symm'`` and PyTorch's ``reflect``/``replicate`` padding
extend an N-D input axis by axis (``numpy.pad``'s ``symmetric``, ``reflect``
and ``edge`` modes pad each axis in turn), and the N-D sum runs over the
kernel's multi-index: output ``(i_0, .., i_D)`` is ``sum_t w[t]
x[e_0(p_0(i_0, t_0)), .., e_D(p_D(i_D, t_D))]``.  The geometry core reads the
same way, one :class:`~toeplitz_conv.geometry.AxisGeometry` per axis.  So the
N-D claim follows from one 1-D claim per axis: for every ``n_d``, row ``i_d``
of axis ``d`` reads, with tap ``t_d``, the sample the definition's extension
reads, and with the weight index the definition uses.  Each is proved here
by sympy with :func:`._general_mirrored._split_with_bound` (edge rows, a
middle block, the count, for every ``n_d`` from a bound on), the smaller
sizes one by one against the definition's numeric taps, and the builder's N-D
matrix is tied to the N-D definition at sample sizes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import sympy

from .._typing import PaddingMode
from ..geometry import (
    AxisGeometry,
    channel_map,
    layer_geometry,
    layer_min_size,
    signal_geometry,
)
from ._general_decide import (
    _TIE_NOTE,
    _WRITE_PATHS,
    _general_formula,
    _layer_general_proof,
    _map_sample_check,
    _tie_layer,
    _tie_signal,
)
from ._general_mirrored import _core_reads, _no_piecewise, _split_with_bound
from ._proof_result import Proof
from ._reference import (
    extend,
    layer_definition_count,
    layer_reference_taps,
    mode_window,
    read_extended,
    signal_definition_count,
    signal_reference_taps,
    source_position,
    torch_pad_index,
    torch_pads,
    valid_boundary,
)
from ._symbols import symbolic_size

# Helpers of the proofs for every size; the public proofs are in
# _general_signal, _general_layer and _general_data.
__all__: list[str] = []

#: What an N-D mirrored proof assumes, stated in its notes.
PRODUCT_NOTE = ("product structure in N-D (the step from the per-axis proofs to the N-D "
                "claim): the core's N-D geometry is one AxisGeometry per axis, each built "
                "from its own axis's size, kernel, stride, dilation and pads (the axis is "
                "evaluated with the other axes at a fixed size, and checked unchanged when "
                "they grow by one, at the sampled sizes), and its N-D row reads "
                "x[read_0(i_0, t_0), .., read_D(i_D, t_D)] with weight w[widx_0(t_0), .., "
                "widx_D(t_D)]; the definition's N-D extension is per axis (numpy.pad's "
                "symmetric / reflect / edge modes pad each axis in turn) and its sum runs "
                "over the kernel's multi-index; equal per-axis reads and weight indices "
                "give equal N-D rows term by term. The builder's own N-D combination is "
                "checked at the sampled N-D sizes")


@dataclass(frozen=True)
class AxisClaim:
    """The 1-D statement of one axis: the core's axis, the definition's reads, the taps.

    ``make_axis(size, shift=0)`` is the core's geometry of this axis at ``size``
    (the other axes at a fixed size, plus ``shift``); ``widx(t)`` the weight
    index the core puts at tap ``t``;
    ``position(i, j, size)`` the definition's coordinate for weight ``j``;
    ``count(size)`` its number of outputs; ``taps(n)`` its numeric
    ``(out_shape, rows, input index, weight index)`` at a given size; ``extension(p, n)``
    its boundary map at a given size (None: a zero).
    """

    make_axis: Any
    widx: Any
    position: Any
    count: Any
    taps: Any
    extension: Any
    boundary: str
    base: int


def _axis_proof(claim: AxisClaim, k: int, shown: sympy.Symbol, tag: str
                ) -> tuple[bool, list[Any], list[str], Any, int, list[int]]:
    """One axis for every size: ``(holds, steps, failures, residual, bound, small sizes)``."""
    w, x = sympy.IndexedBase("w"), sympy.IndexedBase("x")

    def core_rows(ax: AxisGeometry, i: Any) -> list[Any]:
        return [sympy.Add(*(w[claim.widx(t)] * x[j] for t, j in enumerate(_core_reads(ax, i))
                            if j is not None))]

    def def_rows(i: Any, size: Any) -> list[Any]:
        return _no_piecewise([sympy.Add(*(
            w[j] * read_extended(x, (claim.position(i, j, size),), (size,), claim.boundary)
            for j in range(k)))])

    holds, steps, failures, residual, n0 = _split_with_bound(
        claim.make_axis, claim.count, core_rows, def_rows, claim.base, shown)
    steps = [(f"{tag}: {cap}", e) for cap, e in steps]
    failures = [f"{tag}: {f}" for f in failures]
    small = [nv for nv in range(claim.base, n0) if not _axis_at(claim, nv, k)]
    if small:
        holds = False
        failures.append(f"{tag}: sizes below the bound: {shown} = {small}")
    probe = claim.make_axis(n0)
    bad_map = _map_sample_check(probe.boundary, claim.extension, range(n0, n0 + k + 4),
                                (probe.pad_before, probe.pad_after))
    if bad_map:
        holds = False
        failures.append(f"{tag}: map_boundary differs from the definition's extension at "
                        f"{shown} = {bad_map}")
    # The product structure's premise, sampled: this axis ignores the others' sizes.
    moved = [nv for nv in range(claim.base, n0 + k + 2)
             if claim.make_axis(nv) != claim.make_axis(nv, 1)]
    if moved:
        holds = False
        failures.append(f"{tag}: the core's axis changes with the other axes' sizes at "
                        f"{shown} = {moved}")
    return holds, steps, failures, residual, n0, small


def _axis_at(claim: AxisClaim, nv: int, k: int) -> bool:
    """The axis at one given size: the core's reads equal the definition's numeric taps."""
    try:
        ax = claim.make_axis(nv)
        table = ax.input_index()
    except (ValueError, TypeError):       # the core refuses a size the definition accepts
        return False
    out_shape, rows, cols, widx = claim.taps(nv)
    if ax.out_size != out_shape[-1]:
        return False
    core = sorted((o, int(claim.widx(t)), int(j)) for o in range(table.shape[0])
                  for t, j in enumerate(table[o]) if j >= 0)
    return core == sorted(zip(rows.tolist(), widx.tolist(), cols.tolist()))


def _run_axes(claims: list[AxisClaim], kshape: tuple[int, ...], shown: list[sympy.Symbol]
              ) -> tuple[bool, list[Any], list[str], Any, list[int]]:
    holds, steps, failures, residual, bounds = True, [], [], sympy.S.Zero, []
    for d, (claim, k, sym) in enumerate(zip(claims, kshape, shown)):
        ok, st, fl, res, n0, _ = _axis_proof(claim, k, sym, f"axis {d}")
        holds = holds and ok
        steps += st
        failures += fl
        residual = res if residual == 0 and res != 0 else residual
        bounds.append(n0)
    return holds, steps, failures, residual, bounds


def _samples(bases: list[int], bounds: list[int], kshape: tuple[int, ...],
             strides: tuple[int, ...]) -> list[tuple[int, ...]]:
    """N-D sizes: per axis the smallest two, and from the bound on past a kernel and
    every stride residue."""
    per_axis = [sorted({b, b + 1, *range(n0, n0 + k + s)})
                for b, n0, k, s in zip(bases, bounds, kshape, strides)]
    return list(itertools.product(*per_axis))


def _notes(shown: list[sympy.Symbol], bases: list[int], bounds: list[int], what: str,
           definition: str, samples: int, n_sizes: int, bad: list[str]) -> list[str]:
    return [", ".join(f"{s} >= {n0}" for s, n0 in zip(shown, bounds))
            + f": assumption of the symbolic part of each axis (then only the first and last "
              f"few rows of that axis read the {what}, each within one fold); the sizes "
              f"below, down to {', '.join(f'{s} = {b}' for s, b in zip(shown, bases))}, "
              f"compared one by one with the definition's taps",
            f"the matrix side of each axis is the geometry core's (its N-D geometry at a "
            f"symbolic size on that axis: AxisGeometry.positions and map_boundary); the other "
            f"side {definition} written from its documentation (_reference.py)",
            PRODUCT_NOTE,
            "per axis the weights are symbols (w_0 .. w_{k-1}): the statement is about where "
            "each weight sits, for any values",
            _TIE_NOTE.format(paths=", ".join(_WRITE_PATHS), small=samples, n=n_sizes,
                             definition=definition) + ("agree" if not bad else "DIFFER")
            + " (a mirrored boundary is always written from one table, "
              "TiedMatrix.from_taps: it has no size thresholds)"]


def _general_split_signal_nd(kshape: tuple[int, ...], mode: str, correlate: bool,
                             strides: tuple[int, ...], flip_def: bool, claim: str,
                             boundary: str) -> Proof:
    """N-D ``boundary='symm'`` for every size: one split proof per axis, then the product."""
    nd = len(kshape)
    shown = [symbolic_size(f"n_{d}") for d in range(nd)]
    fixed = [k + 1 for k in kshape]
    bnd = valid_boundary(mode, boundary)

    def claim_of(d: int) -> AxisClaim:
        k, s = kshape[d], strides[d]

        def make_axis(size: Any, shift: int = 0) -> AxisGeometry:
            sizes = tuple(size if e == d else v + shift for e, v in enumerate(fixed))
            return signal_geometry(kshape, sizes, mode, boundary, strides).axes[d]

        def position(i: Any, j: int, size: Any) -> Any:
            return source_position(s * i + mode_window(size, k, mode)[0], j, k, flip_def)

        def taps(nv: int) -> Any:
            return signal_reference_taps((k,), (nv,), mode, boundary, (s,), correlate)

        return AxisClaim(make_axis, (lambda t: t) if correlate else (lambda t: k - 1 - t),
                         position, lambda size: signal_definition_count(size, k, mode, s),
                         taps, lambda p, nv: extend(p, nv, bnd), bnd,
                         k if mode == "valid" else 1)

    claims = [claim_of(d) for d in range(nd)]
    holds, steps, failures, residual, bounds = _run_axes(claims, kshape, shown)
    bases = [c.base for c in claims]
    samples = _samples(bases, bounds, kshape, strides)
    bad, n_sizes = _tie_signal(kshape, mode, boundary, strides, correlate, samples)
    failures += ["builder differs from scipy's definition at " + b for b in bad]
    notes = _notes(shown, bases, bounds, "mirrored samples", "scipy's definition",
                   len(samples), n_sizes, bad) + [f"boundary='symm', stride={strides}"]
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    kind = "cross-correlation" if correlate else "convolution"
    return Proof(
        title=f"for all sizes, A x equals the direct {kind} sum with symmetric boundary "
              f"in {nd}-D (mode={mode!r})",
        statement=sympy.Eq(sympy.Symbol("(A x)_i"), sympy.Symbol("y_i"), evaluate=False),
        steps=steps, holds=holds and not bad, residual=residual, failures=failures,
        notes=notes, claim_latex=_general_formula(correlate, sympy.Symbol("i")))


def layer_axis_claims(w_shape: tuple[int, ...], strides: tuple[int, ...], padding: Any,
                      dil: tuple[int, ...], padding_mode: str, flipped: bool
                      ) -> list[AxisClaim]:
    """The per-axis statements of an N-D PyTorch layer with ``padding_mode``."""
    kshape = w_shape[2:]
    pads = torch_pads(padding, kshape, dil)
    bases = [layer_min_size(k, p, dilation=d, padding_mode=padding_mode)
             for k, p, d in zip(kshape, pads, dil)]
    fixed = [b + d * (k - 1) + 1 for b, k, d in zip(bases, kshape, dil)]

    def claim_of(d: int) -> AxisClaim:
        k, s, dd, (pl, pr) = kshape[d], strides[d], dil[d], pads[d]

        def make_axis(size: Any, shift: int = 0) -> AxisGeometry:
            sizes = tuple(size if e == d else v + shift for e, v in enumerate(fixed))
            return layer_geometry(kshape, sizes, stride=strides, padding=padding,
                                  dilation=dil,
                                  padding_mode=cast(PaddingMode, padding_mode)).axes[d]

        def position(i: Any, j: int, size: Any) -> Any:
            return s * i + dd * (k - 1 - j if flipped else j) - pl

        def taps(nv: int) -> Any:
            return layer_reference_taps((1, 1, k), (1, nv), stride=(s,),
                                        padding=((pl, pr),), dilation=(dd,), groups=1,
                                        padding_mode=padding_mode)

        return AxisClaim(make_axis, lambda t: t, position,
                         lambda size: layer_definition_count(size, k, s, (pl, pr), dd), taps,
                         lambda p, nv: torch_pad_index(p, nv, padding_mode), padding_mode,
                         bases[d])

    return [claim_of(d) for d in range(len(kshape))]


def channel_rule(c_out: int, c_in: int, groups: int) -> tuple[bool, Any]:
    """The core's channel map against PyTorch's groups, entry by entry (finite)."""
    cmap = channel_map(c_out, c_in, groups)
    c_ig = c_in // groups
    want = np.array([[(o // (c_out // groups)) * c_ig + c for c in range(c_ig)]
                     for o in range(c_out)])
    return bool(np.array_equal(cmap, want)), sympy.Matrix(cmap.tolist())


def _general_split_layer_nd(w_shape: tuple[int, ...], strides: tuple[int, ...], padding: Any,
                            dil: tuple[int, ...], groups: int, padding_mode: str,
                            claim: str) -> Proof:
    """An N-D layer with ``reflect``/``replicate`` padding: per-axis proofs, then the product."""
    kshape = w_shape[2:]
    nd = len(kshape)
    c_out, c_ig = w_shape[:2]
    c_in = c_ig * groups
    shown = [symbolic_size(f"n_{d}") for d in range(nd)]
    claims = layer_axis_claims(w_shape, strides, padding, dil, padding_mode,
                               claim == "flipped")
    holds, steps, failures, residual, bounds = _run_axes(claims, kshape, shown)
    ok_ch, cmap = channel_rule(c_out, c_in, groups)
    steps.append(("the core's channel map (the input channel output o reads with weight "
                  "channel c) = PyTorch's groups, (o // (C_out / groups)) C_in / groups + c, "
                  "entry by entry", cmap))
    if not ok_ch:
        failures.append("channel map")
    bases = [c.base for c in claims]
    samples = _samples(bases, bounds, kshape, strides)
    bad, n_sizes = _tie_layer(w_shape, c_in, strides, padding, dil, groups, padding_mode,
                              samples)
    failures += ["builder differs from PyTorch's definition at " + b for b in bad]
    notes = _notes(shown, bases, bounds, "padding", "PyTorch's definition", len(samples),
                   n_sizes, bad)
    if claim != "definition":
        notes.append(f"deliberately wrong claim {claim!r}")
    return _layer_general_proof(f"stride={strides}, padding={padding}, dilation={dil}, "
                                f"groups={groups}, padding_mode={padding_mode!r}",
                                steps, holds and ok_ch and not bad, residual, failures, notes)

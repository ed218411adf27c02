"""``check_layer(..., kind="local" | "tiled")``: locally connected and tiled layers.

The references are :func:`~toeplitz_conv.locally_connected_matrix` (weight
``(*out_spatial, C_out, C_in, *kernel)``, one kernel per output position)
and :func:`~toeplitz_conv.tiled_conv_matrix` (weight ``(*tiles, C_out,
C_in, *kernel)``, output position ``o`` uses kernel ``o mod tiles``): the
sparsity of a convolution with less weight tying.  The conv engine of
:mod:`._layer` runs the checks; this module gives it the reference and the
kinds' own mistakes, each an alternative assignment of kernels to output
positions built with the geometry core's :func:`~toeplitz_conv.geometry.tile_map`
and checked through ``locally_connected_matrix``: the weights tied (one
kernel everywhere), the tile periods swapped between the axes, the tiles
numbered in column-major order, a tile period one short, and for the weight
gradient each tile's gradient overwritten by its last position, or the
gradients summed over the tiles as if the weight were shared.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import as_kernel, as_shape, choose
from ..geometry import tile_map
from ..local import locally_connected_matrix, tiled_conv_matrix
from ..tied import TiedMatrix
from ._context import _Ctx, _Trial
from ._hypotheses import (
    Hypothesis,
    _cropped_diagnosis,
    _grad_hypotheses,
    _one_image,
    _output_hypotheses,
    _permuted,
    _position_grads,
    _predicted,
    _reshape_hint,
    _scaled,
    _shifted,
)
from ._layout import Layout, as_bias

__all__ = ["local_context", "tiled_context"]

_KEYS = ("stride", "padding", "dilation", "padding_mode")
_BUILDERS: dict[str, Callable[..., TiedMatrix]] = {"local": locally_connected_matrix,
                                                   "tiled": tiled_conv_matrix}


class _StackLayout(Layout):
    """The user's data layout; the weight stack is taken as it is."""

    def __init__(self, nd: int, w_ndim: int, **formats: Any) -> None:
        super().__init__(nd, **formats)
        self.wperm = tuple(range(w_ndim))

    @property
    def default(self) -> bool:
        return self.dperm == tuple(range(self.nd + 2))


class LocalCtx(_Ctx):
    """The conv engine's context for a locally connected or tiled layer."""

    def __init__(self, kind: str, w: np.ndarray, b: np.ndarray | None,
                 input_shape: tuple[int, ...], kwargs: dict[str, Any], rtol: float | None,
                 atol: float | None, layout: Layout, reduction: str) -> None:
        self.kind = kind
        A = _BUILDERS[kind](w, input_shape, **kwargs)
        super().__init__(A, w, b, input_shape, kwargs, rtol, atol, layout, method="matrix",
                         reduction=reduction)
        nd = (w.ndim - 2) // 2
        self.nd = nd
        self.spatial_axes = tuple(range(2, nd + 2))
        self.tiles = tuple(w.shape[:nd])
        self.flipped_w = np.flip(w, axis=tuple(range(w.ndim - nd, w.ndim)))
        c_out, c_in = w.shape[nd], w.shape[nd + 1]
        k = math.prod(w.shape[nd + 2:])
        self.kernel_taps = k
        self.fan_in = {"forward": c_in * k, "input_grad": c_out * k,
                       "weight_grad": self.n * self.n_pos, "bias_grad": self.n * self.n_pos}
        self.tile_of = tile_map(tuple(A.out_shape[1:]), self.tiles)
        self.catalogue = _LocalCatalogue()

    def scale_labels(self) -> dict[int, str]:
        """The conv labels, the kernel stack's: one kernel per tile (per position if local)."""
        names = super().scale_labels()
        if self.kind == "tiled" and math.prod(self.tiles) > 1:
            names.setdefault(math.prod(self.tiles), "the number of tiles (kernels in the stack)")
        return names

    def alt(self, weight: np.ndarray | None = None, key: Any = None,
            **changes: Any) -> TiedMatrix | None:
        """The same kind of layer with another weight or other options (None if invalid)."""
        k = (key, tuple(sorted((n, repr(v)) for n, v in changes.items())))
        if key is not None and k in self._alts:
            return self._alts[k]  # type: ignore[return-value]
        try:
            m: TiedMatrix | None = _BUILDERS[self.kind](
                self.w if weight is None else weight, self.input_shape,
                **{**self.kwargs, **changes})
        except (ValueError, TypeError, MemoryError):
            m = None
        if key is not None:
            self._alts[k] = m
        return m

    def assigned(self, tile_of: np.ndarray, key: Any) -> TiedMatrix | None:
        """The layer with output position ``o`` using kernel ``tile_of[o]`` (flat over tiles)."""
        nd = self.nd
        stack = self.w.reshape(-1, *self.w.shape[nd:])[tile_of]
        local = stack.reshape(*self.A.out_shape[1:], *self.w.shape[nd:])
        k = ("assigned", key)
        if k not in self._alts:
            try:
                self._alts[k] = locally_connected_matrix(local, self.input_shape, **self.kwargs)
            except (ValueError, TypeError, MemoryError):
                self._alts[k] = None
        return self._alts[k]  # type: ignore[return-value]


def _context(kind: str, weight: Any, input_shape: Any, bias: Any, formats: dict[str, Any],
             method: str, kwargs: dict[str, Any], rtol: float | None, atol: float | None,
             reduction: str) -> LocalCtx:
    w = as_kernel(weight, "weight", min_ndim=4, max_ndim=8)
    if w.dtype.kind == "c":
        raise TypeError("weight must be real, got a complex array")
    if w.ndim % 2:
        lead = "(*out_spatial, " if kind == "local" else "(*tiles, "
        raise ValueError(f"kind={kind!r}: weight must be {lead}C_out, C_in, *kernel) with as "
                         f"many leading axes as kernel axes, got shape {w.shape}")
    choose(method, "reference", ("auto", "matrix"))
    if formats.get("weight_format") is not None:
        raise ValueError(f"kind={kind!r} takes the weight stack as it is: weight_format must "
                         f"be None (data_format may be given)")
    unknown = set(kwargs) - set(_KEYS)
    if unknown:
        raise TypeError(f"kind={kind!r} got unexpected keyword argument(s) {sorted(unknown)}; "
                        f"its options are {', '.join(_KEYS)}")
    nd = (w.ndim - 2) // 2
    layout = _StackLayout(nd, w.ndim, data_format=formats.get("data_format"),
                          batch=formats.get("batch"))
    shape = tuple(input_shape) if formats.get("data_format") is None else \
        layout.sample_from_user(as_shape(input_shape), w.shape[nd + 1])
    b = None
    if bias is not None:
        b, layout.bias_shape = as_bias(bias, w.shape[nd])
    return LocalCtx(kind, np.ascontiguousarray(w.astype(np.float64)), b, shape, dict(kwargs),
                    rtol, atol, layout, reduction)


def local_context(*args: Any) -> LocalCtx:
    """``kind="local"``: see :func:`_context` (weight ``(*out_spatial, C_out, C_in, *k)``)."""
    return _context("local", *args)


def tiled_context(*args: Any) -> LocalCtx:
    """``kind="tiled"``: see :func:`_context` (weight ``(*tiles, C_out, C_in, *k)``)."""
    return _context("tiled", *args)


# ---------------------------------------------------------------- the catalogue
def _assignments(ctx: LocalCtx) -> list[tuple[np.ndarray, str]]:
    """Other assignments of kernels to output positions: ``(flat tile per output, mistake)``."""
    out_shape = tuple(ctx.A.out_shape[1:])
    tiles = ctx.tiles
    what = "position" if ctx.kind == "local" else "tile"
    found = [(np.zeros_like(ctx.tile_of),
              f"weights tied: your layer uses the kernel of {what} {(0,) * ctx.nd} at every "
              f"output position (a convolution), where the layer has "
              + ("one kernel per output position" if ctx.kind == "local"
                 else f"kernels repeating every {tiles} outputs"))]
    if ctx.nd >= 2:
        rev = tuple(reversed(range(ctx.nd)))
        found.append((tile_map(out_shape, tiles, axes=rev),
                      "positions transposed: the kernel of output (i, j) is taken from "
                      "weight[j, i]" if ctx.kind == "local" else
                      "tile periods swapped between the axes: output (i, j) uses kernel "
                      f"(j mod {tiles[0]}, i mod {tiles[1]})"))
        found.append((tile_map(out_shape, tuple(reversed(tiles)), axes=rev),
                      f"{what}s numbered in column-major order: the kernel stack is read with "
                      f"the first axis fastest"))
    if ctx.kind == "tiled":
        found.append((tile_map((len(ctx.tile_of),), (math.prod(tiles),)),
                      "tiles cycled over the flattened output positions instead of per axis"))
        for a, t in enumerate(tiles):
            if t >= 2:
                short = tiles[:a] + (t - 1,) + tiles[a + 1:]
                m = np.ravel_multi_index(np.unravel_index(tile_map(out_shape, short), short),
                                         tiles)
                every = "output" if t == 2 else f"{t - 1} outputs"
                found.append((m, f"tile period wrong along axis {a}: kernels repeat every "
                                 f"{every}, the layer's period is {t}"))
    return [(m, text) for m, text in found if not np.array_equal(m, ctx.tile_of)]


def _fold(ctx: LocalCtx, local_grad: np.ndarray, tile_of: np.ndarray) -> np.ndarray:
    """A per-position weight gradient summed into the tiles each position uses."""
    nd = ctx.nd
    per = local_grad.reshape(len(tile_of), -1)
    out = np.zeros((math.prod(ctx.tiles), per.shape[1]))
    np.add.at(out, tile_of, per)
    return out.reshape(ctx.w.shape[:nd] + ctx.w.shape[nd:])


def _last_position(ctx: LocalCtx,
                   pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    """Each tile's gradient overwritten by one of its positions (the last, or the first)."""
    def test(trials: list[_Trial]) -> str | None:
        if ctx.kind == "local" or ctx.n_pos == 1:
            return None
        order = np.arange(len(ctx.tile_of))
        for label, pick in (("last", -1), ("first", 0)):
            keep = np.array([order[ctx.tile_of == t][pick] for t in np.unique(ctx.tile_of)])
            # _position_grads' rows: each position summed over the batch, then (N > 1)
            # image i's position o at row n_pos * (1 + i) + o.
            img = ctx.n - 1 if pick < 0 else 0
            choices = [("", keep)] + ([(f" of the {label} image", ctx.n_pos * (1 + img) + keep)]
                                      if ctx.n > 1 else [])
            for image, rows in choices:
                fits = True
                for t, (_, x, g) in zip(trials, pairs):
                    per = _position_grads(ctx, x, g)
                    if per is None:
                        return None
                    if not ctx.close(t.got, per[rows].sum(axis=0) * ctx.grad_scale()):
                        fits = False
                        break
                if fits:
                    return (f"weight gradient of each tile is its {label} output position's"
                            f"{image} only, instead of the sum over the positions that share "
                            f"it (overwritten instead of accumulated?)")
        return None
    return test


def _summed(ctx: LocalCtx, pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    """The weight gradient summed over all tiles and given to each (as if shared)."""
    nd = ctx.nd

    def predict(i: int) -> np.ndarray:
        want = ctx.A.weight_grad(pairs[i][1], pairs[i][2]) * ctx.grad_scale()
        total = want.reshape(-1, *ctx.w.shape[nd:]).sum(axis=0)
        return np.broadcast_to(total, ctx.w.shape)
    return _predicted(ctx, predict, "weight gradient summed over all output positions and "
                                    "given to every kernel, as if the weight were shared "
                                    "(a convolution's gradient)")


class _LocalCatalogue:
    """Locally connected and tiled layers' bug hypotheses (the conv catalogue's interface)."""

    def forward(self, ctx: LocalCtx, xs: list[np.ndarray]) -> list[Hypothesis]:
        bias = ctx.bias_field()
        hyps: list[Hypothesis] = []
        for j, (m, text) in enumerate(_assignments(ctx)):
            def predict(i: int, m: np.ndarray = m, j: int = j) -> np.ndarray | None:
                alt = ctx.assigned(m, j)
                return None if alt is None else alt.apply(xs[i]) + bias
            hyps.append(_predicted(ctx, predict, text))
        hyps += _output_hypotheses(ctx, xs, bias,
                                   "kernels flipped (you computed convolutions, the layer "
                                   "correlates each window with its kernel)")
        hyps.append(_shifted(ctx, ctx.spatial_axes, "output"))
        return hyps

    def wrong_shape(self, ctx: LocalCtx, xs: list[np.ndarray],
                    gots: list[np.ndarray]) -> str | None:
        hint = _reshape_hint(ctx, xs, gots)
        if hint is not None or any(g.ndim != len(ctx.out_shape) for g in gots):
            return hint
        return _cropped_diagnosis(ctx, xs, gots)

    def grads(self, ctx: LocalCtx, name: str,
              pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> list[Hypothesis]:
        if name == "bias_grad":
            return _grad_hypotheses(ctx, name, pairs)     # per output channel, as for a conv
        gs = [g for _, _, g in pairs]
        hyps: list[Hypothesis] = []
        scale = ctx.grad_scale()
        assignments = _assignments(ctx)
        if name == "input_grad":
            for j, (m, text) in enumerate(assignments):
                def back(i: int, m: np.ndarray = m, j: int = j) -> np.ndarray | None:
                    alt = ctx.assigned(m, j)
                    return None if alt is None else alt.T.apply(gs[i])
                hyps.append(_predicted(ctx, back, f"backward: {text}"))
            hyps.append(_scaled(ctx, "input gradient"))
            hyps.append(_permuted(ctx, 1, "input-gradient channel"))
            hyps.append(_shifted(ctx, ctx.spatial_axes, "input gradient"))
            return hyps
        hyps.append(_one_image(ctx, name, pairs, ctx.A.weight_grad))
        hyps.append(_last_position(ctx, pairs))
        hyps.append(_summed(ctx, pairs))
        for j, (m, text) in enumerate(assignments[1:]):      # tied: see _summed
            def wgrad(i: int, m: np.ndarray = m, j: int = j) -> np.ndarray | None:
                alt = ctx.assigned(m, j + 1)
                if alt is None:
                    return None
                return scale * _fold(ctx, alt.weight_grad(pairs[i][1], pairs[i][2]), m)
            hyps.append(_predicted(ctx, wgrad, f"weight gradient: {text}"))
        hyps.append(_scaled(ctx, "weight gradient"))
        hyps.append(_predicted(
            ctx, lambda i: scale * np.flip(ctx.A.weight_grad(pairs[i][1], pairs[i][2]),
                                           axis=tuple(range(ctx.w.ndim - ctx.nd, ctx.w.ndim))),
            "weight gradient is flipped"))
        hyps.append(_permuted(ctx, ctx.nd, "weight-gradient output channel"))
        hyps.append(_permuted(ctx, ctx.nd + 1, "weight-gradient input channel"))
        return hyps

    def grad_shape(self, ctx: LocalCtx, name: str, arr: np.ndarray | None) -> str | None:
        return None

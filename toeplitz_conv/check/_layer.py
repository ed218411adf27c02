"""`check_layer`: a user's conv layer against the exact matrix of the layer.

The reference is ``A = layer_matrix(weight, input_shape, ...)``: the forward
pass is ``A @ x (+ bias)``, the input gradient ``A.T @ g``, the weight
gradient ``A.weight_grad(x, g)`` (the sum over each weight's tied positions)
and the bias gradient ``g`` summed over the spatial axes.

When a check fails, the checker does not guess from the error pattern; it
tests named hypotheses against the user's results, each one built from the
same core (``layer_matrix`` of a flipped or permuted weight, of a neighbouring
padding or stride, per-position weight gradients from ``A.taps``, shifted or
scaled references), and reports the first one that fits every trial.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import as_kernel, as_positive_int
from ..layers import PADDING_MODES, layer_geometry, layer_matrix
from ..tied import TiedMatrix
from ._report import Entry, Report
from ._user import UserLayer, as_result, as_tolerance

__all__ = ["check_layer"]

_HYP_RTOL = 1e-5   # hypotheses also fit single-precision implementations


@dataclass
class _Trial:
    name: str
    got: np.ndarray
    want: np.ndarray


class _Ctx:
    """The layer under test: its matrix, weight, bias, and alternative layers."""

    def __init__(self, A: TiedMatrix, w: np.ndarray, b: np.ndarray | None,
                 input_shape: tuple[int, ...], kwargs: dict[str, Any],
                 rtol: float, atol: float) -> None:
        self.A, self.w, self.b = A, w, b
        self.input_shape, self.kwargs = tuple(input_shape), dict(kwargs)
        self.rtol, self.atol = rtol, atol
        self.nd = w.ndim - 2
        self.spatial_axes = tuple(range(1, self.nd + 1))
        self.flipped_w = np.flip(w, axis=tuple(range(2, w.ndim)))
        self.n_pos = int(np.prod(A.out_shape[1:]))
        self._alts: dict[Any, TiedMatrix | None] = {}

    def alt(self, weight: np.ndarray | None = None, key: Any = None,
            **changes: Any) -> TiedMatrix | None:
        """The matrix of the same layer with another weight or other options."""
        k = (key, tuple(sorted((n, repr(v)) for n, v in changes.items())))
        if key is None or k not in self._alts:
            try:
                m = layer_matrix(self.w if weight is None else weight, self.input_shape,
                                 **{**self.kwargs, **changes})
            except (ValueError, TypeError, MemoryError):
                m = None
            if key is None:
                return m
            self._alts[k] = m
        return self._alts[k]

    def bias_field(self) -> np.ndarray:
        if self.b is None:
            return np.zeros(self.A.out_shape)
        return np.broadcast_to(self.b.reshape((-1,) + (1,) * self.nd), self.A.out_shape)

    def close(self, got: np.ndarray, want: np.ndarray, rtol: float = _HYP_RTOL) -> bool:
        if got.shape != want.shape:
            return False
        scale = max(float(np.max(np.abs(want), initial=0.0)),
                    float(np.max(np.abs(got), initial=0.0)))
        return bool(np.all(np.abs(got - want) <= self.atol + rtol * scale))


# ---------------------------------------------------------------- trials
def _one_hot(shape: tuple[int, ...], index: tuple[int, ...]) -> np.ndarray:
    x = np.zeros(shape)
    x[index] = 1.0
    return x


def _ramp(shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) / n + 0.5).reshape(shape)


def _structured(shape: tuple[int, ...], rng: np.random.Generator,
                n_random: int, tag: str) -> list[tuple[str, np.ndarray]]:
    """Random arrays, then one-hots (first, centre, last) and a ramp."""
    out = [(f"random {tag} #{i}", rng.standard_normal(shape)) for i in range(n_random)]
    first = (0,) * len(shape)
    centre = tuple(s // 2 for s in shape)
    last = tuple(s - 1 for s in shape)
    for idx in dict.fromkeys([first, centre, last]):
        out.append((f"one-hot {tag} at {idx}", _one_hot(shape, idx)))
    out.append((f"ramp {tag}", _ramp(shape)))
    return out


def _grad_pairs(ctx: _Ctx, rng: np.random.Generator,
                n_random: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    xs = _structured(ctx.A.in_shape, rng, n_random, "x")
    gs = _structured(ctx.A.out_shape, rng, n_random, "grad_out")
    # Random x with every structured grad_out, and every structured x with a
    # random grad_out: one-hots on either side expose off-by-one taps.
    pairs = [(f"{xn}, {gn}", x, g) for (xn, x), (gn, g) in zip(xs[:n_random], gs)]
    pairs += [(f"{xn}, {gs[0][0]}", x, gs[0][1]) for xn, x in xs[n_random:]]
    return pairs


# ---------------------------------------------------------------- measuring
def _measure(name: str, trials: list[_Trial], ctx: _Ctx, failure: str | None,
             what: str) -> Entry:
    if failure is not None:
        return Entry(name, False, message=failure)
    e = Entry(name, True, 0.0, 0.0, None, None, "")
    for t in trials:
        d = np.abs(t.got - t.want)
        scale = float(np.max(np.abs(t.want), initial=0.0))
        dmax = float(np.max(d, initial=0.0))
        if dmax > ctx.atol + ctx.rtol * scale:
            e.ok = False
        rel = dmax / scale if scale > 0 else (0.0 if dmax == 0 else float("inf"))
        e.max_rel_error = max(e.max_rel_error, rel)
        if dmax > e.max_abs_error or e.worst_index is None:
            e.max_abs_error = dmax
            flat = int(np.argmax(d)) if d.size else 0
            e.worst_index = tuple(int(i) for i in np.unravel_index(flat, t.got.shape))
            e.trial = t.name
    n = len(trials)
    if e.ok:
        e.message = f"{what} on {n} inputs"
    else:
        e.message = (f"{what} on {n} inputs: largest error {e.max_abs_error:.3g} at "
                     f"{e.worst_index} for input '{e.trial}'")
    return e


# ---------------------------------------------------------------- hypotheses
Hypothesis = Callable[[list[_Trial]], "str | None"]


def _scale_hint(s: float, ctx: _Ctx) -> str:
    names = {ctx.n_pos: "the number of output positions",
             int(np.prod(ctx.w.shape[2:])): "the number of kernel taps",
             ctx.A.out_shape[0]: "the number of output channels",
             ctx.A.in_shape[0]: "the number of input channels"}
    for value, label in ((s, "scaled by"), (1 / s if s else 0.0, "divided by")):
        n = round(value)
        if n >= 2 and abs(value - n) <= 1e-6 * n:
            extra = f" ({names[n]})" if n in names else ""
            return f"{label} N = {n}{extra}"
    return f"scaled by {s:.6g}"


def _scaled(ctx: _Ctx, what: str) -> Hypothesis:
    def test(trials: list[_Trial]) -> str | None:
        num = sum(float(np.vdot(t.got, t.want)) for t in trials)
        den = sum(float(np.vdot(t.want, t.want)) for t in trials)
        if den == 0:
            return None
        s = num / den
        if abs(s - 1) < 1e-6 or abs(s) < 1e-12:
            return None
        if all(ctx.close(t.got, s * t.want) for t in trials):
            return f"{what} {_scale_hint(s, ctx)}"
        return None
    return test


def _predicted(ctx: _Ctx, predict: Callable[[int], np.ndarray | None], text: str) -> Hypothesis:
    """The hypothesis that the user computed ``predict(i)`` for trial ``i``."""
    def test(trials: list[_Trial]) -> str | None:
        for i, t in enumerate(trials):
            p = predict(i)
            if p is None or not ctx.close(t.got, p):
                return None
        return text
    return test


def _shifted(ctx: _Ctx, axes: tuple[int, ...], what: str, flip_note: str = "",
             refs: list[np.ndarray] | None = None) -> Hypothesis:
    """The user's result is the reference shifted by a few samples along some axes."""
    def test(trials: list[_Trial]) -> str | None:
        wants = refs if refs is not None else [t.want for t in trials]
        shape = trials[0].got.shape
        options = [(0, 1, -1, 2, -2)] * len(axes)
        for ks in sorted(itertools.product(*options), key=lambda k: sum(map(abs, k))):
            if not any(ks) or any(shape[a] <= 2 * abs(k) for a, k in zip(axes, ks)):
                continue
            dst = [slice(None)] * len(shape)
            src = list(dst)
            for a, k in zip(axes, ks):
                dst[a] = slice(k, None) if k >= 0 else slice(None, k)
                src[a] = slice(None, shape[a] - k) if k >= 0 else slice(-k, None)
            d, r = tuple(dst), tuple(src)
            if all(ctx.close(t.got[d], w[r]) and np.any(t.got[d] != 0)
                   for t, w in zip(trials, wants)):
                moved = [(a, k) for a, k in zip(axes, ks) if k]
                where = " and ".join(f"by {k} along axis {a}" for a, k in moved)
                return f"{flip_note}{what} shifted {where} (padding off by one?)"
        return None
    return test


def _permuted(ctx: _Ctx, axis: int, what: str) -> Hypothesis:
    """Slices along ``axis`` (a channel axis) are the reference's, permuted."""
    def test(trials: list[_Trial]) -> str | None:
        n = trials[0].got.shape[axis]
        if n < 2:
            return None
        perm = []
        for c in range(n):
            match = [r for r in range(n)
                     if all(ctx.close(np.take(t.got, c, axis), np.take(t.want, r, axis))
                            for t in trials)]
            if len(match) != 1:
                return None
            perm.append(match[0])
        if sorted(perm) != list(range(n)) or perm == list(range(n)):
            return None
        moved = [c for c in range(n) if perm[c] != c]
        if len(moved) == 2:
            a, b = moved
            return f"{what} {a} and {b} are swapped (channel mix-up)"
        return (f"{what}s permuted: your {what}s {tuple(range(n))} hold the layer's "
                f"{tuple(perm)} (channel mix-up)")
    return test


def _rounding(ctx: _Ctx) -> Hypothesis:
    """Everything agrees to single precision: only the tolerance is too tight."""
    def test(trials: list[_Trial]) -> str | None:
        if all(ctx.close(t.got, t.want, rtol=1e-5) for t in trials):
            return ("only rounding: the values agree to about single precision (1e-5); "
                    "compute in float64 or pass rtol=1e-5")
        return None
    return test


def _diagnose(ctx: _Ctx, trials: list[_Trial], hyps: list[Hypothesis]) -> str | None:
    for h in [_rounding(ctx), *hyps]:
        try:
            text = h(trials)
        except (ValueError, IndexError, MemoryError):
            text = None
        if text:
            return text
    return None


def _weight_variants(ctx: _Ctx) -> list[tuple[np.ndarray, str]]:
    """Channel mix-ups of the weight: swapped channel axes, permuted input channels."""
    w = ctx.w
    groups = int(ctx.kwargs.get("groups", 1))
    out: list[tuple[np.ndarray, str]] = []
    if w.shape[0] == w.shape[1] and groups == 1:
        out.append((np.swapaxes(w, 0, 1),
                    "weight channel axes swapped: you used weight[c_in, c_out] where the "
                    "layer uses weight[c_out, c_in] (channel mix-up)"))
    if groups == 1 and 2 <= w.shape[1] <= 4:
        for perm in itertools.permutations(range(w.shape[1])):
            if list(perm) != sorted(perm):
                out.append((w[:, list(perm)],
                            f"input channels mixed up: your layer applies weight[:, {list(perm)}]"
                            " (channel mix-up)"))
    return out


# ---------------------------------------------------------------- forward
_GEOM_KEYS = ("stride", "padding", "dilation", "padding_mode")


def _neighbours(ctx: _Ctx) -> list[tuple[str, dict[str, Any], str]]:
    """Layers one mistake away: other paddings, strides, dilations.

    Returns ``(cause, changed options, what the layer has)`` triples.
    """
    geom = layer_geometry(ctx.w.shape[2:], ctx.input_shape[1:],
                          **{k: v for k, v in ctx.kwargs.items() if k in _GEOM_KEYS})
    stride = tuple(a.stride for a in geom.axes)
    dil = tuple(a.dilation for a in geom.axes)
    pad = tuple(a.pad_before for a in geom.axes)
    out: list[tuple[str, dict[str, Any], str]] = []
    for p in itertools.product(*[[q for q in range(p0 - 2, p0 + 3) if q >= 0] for p0 in pad]):
        if p != pad:
            off = max(abs(a - b) for a, b in zip(p, pad))
            cause = "padding off by one" if off == 1 else "padding misapplied"
            out.append((cause, {"padding": p}, f"padding={pad}"))
    for st in itertools.product(*[sorted({1, 2, 3, s0}) for s0 in stride]):
        if st != stride:
            out.append(("stride misapplied", {"stride": st}, f"stride={stride}"))
    for d in itertools.product(*[sorted({1, 2, d0}) for d0 in dil]):
        if d != dil:
            out.append(("dilation misapplied", {"dilation": d}, f"dilation={dil}"))
    if stride != (1,) * ctx.nd:
        out.append(("stride misapplied (used as dilation)", {"stride": 1, "dilation": stride},
                    f"stride={stride}, dilation={dil}"))
    return out


def _neighbour_diagnosis(ctx: _Ctx, xs: list[np.ndarray], gots: list[np.ndarray]) -> str | None:
    """Is the user's output that of a neighbouring layer (or its top-left crop)?"""
    shape = gots[0].shape
    if shape == ctx.A.out_shape and not all(g.shape == shape for g in gots):
        return None
    shape_only = None
    for cause, change, have in _neighbours(ctx):
        kw = {k: v for k, v in ctx.kwargs.items() if k in _GEOM_KEYS}
        kw.update(change)
        try:
            g = layer_geometry(ctx.w.shape[2:], ctx.input_shape[1:], **kw)
        except (ValueError, TypeError):
            continue
        alt_shape = (ctx.w.shape[0], *g.out_shape)
        if len(alt_shape) != len(shape) or any(a < u for a, u in zip(alt_shape, shape)):
            continue
        exact = alt_shape == shape
        crop = tuple(slice(0, n) for n in shape)
        desc = ", ".join(f"{k}={v}" for k, v in change.items())
        for weight, note in ((ctx.w, ""), (ctx.flipped_w, " with the kernel flipped")):
            m = ctx.alt(weight, key=(desc, note), **change)
            if m is None:
                continue
            if all(ctx.close(gt, (m.apply(x) + _bias_for(ctx, m))[crop])
                   for gt, x in zip(gots, xs)):
                part = "" if exact else f" cropped to {shape}"
                return (f"{cause}: your output is the layer with {desc}{note}{part} "
                        f"(the layer has {have})")
        if exact and shape_only is None and shape != ctx.A.out_shape:
            shape_only = (f"your output shape {shape} is that of {desc} (the layer has "
                          f"{have}): {cause}?")
    return shape_only


def _wrong_shape_diagnosis(ctx: _Ctx, xs: list[tuple[str, np.ndarray]],
                           gots: list[np.ndarray]) -> str | None:
    """The user's output has another shape: flattened, or a neighbouring layer's?"""
    if gots[0].size == int(np.prod(ctx.A.out_shape)):
        if all(ctx.close(g.reshape(ctx.A.out_shape), ctx.A.apply(x) + ctx.bias_field())
               for g, (_, x) in zip(gots, xs)):
            return f"right values in the wrong shape: reshape the output to {ctx.A.out_shape}"
    return _neighbour_diagnosis(ctx, [x for _, x in xs], gots)


def _bias_for(ctx: _Ctx, m: TiedMatrix) -> np.ndarray:
    if ctx.b is None:
        return np.zeros(m.out_shape)
    return np.broadcast_to(ctx.b.reshape((-1,) + (1,) * ctx.nd), m.out_shape)


def _forward_hypotheses(ctx: _Ctx, xs: list[np.ndarray]) -> list[Hypothesis]:
    bias = ctx.bias_field()
    hyps: list[Hypothesis] = []
    flipped = ctx.alt(ctx.flipped_w, key="flip")
    if flipped is not None and not np.array_equal(ctx.flipped_w, ctx.w):
        hyps.append(_predicted(
            ctx, lambda i: flipped.apply(xs[i]) + bias,
            "kernel is flipped (you computed convolution, the layer is cross-correlation)"))
    if ctx.b is not None and np.any(ctx.b != 0):
        hyps.append(_predicted(ctx, lambda i: ctx.A.apply(xs[i]) + 2 * bias,
                               "bias added twice"))
        hyps.append(_predicted(ctx, lambda i: ctx.A.apply(xs[i]), "bias is missing"))
    hyps.append(_scaled(ctx, "output"))
    hyps.append(_permuted(ctx, 0, "output channel"))
    for j, (wv, text) in enumerate(_weight_variants(ctx)):
        # Built only when an earlier hypothesis did not fit (cached per variant).
        def predict(i: int, wv: np.ndarray = wv, j: int = j) -> np.ndarray | None:
            m = ctx.alt(wv, key=("variant", j))
            return None if m is None else m.apply(xs[i]) + bias
        hyps.append(_predicted(ctx, predict, text))
    mode = ctx.kwargs.get("padding_mode", "zeros")
    if ctx.kwargs.get("padding", 0) not in (0, "valid"):
        for other in PADDING_MODES:
            if other != mode:
                alt = ctx.alt(key=("mode", other), padding_mode=other)
                if alt is not None:
                    def padded(i: int, m: TiedMatrix = alt) -> np.ndarray:
                        return m.apply(xs[i]) + bias
                    hyps.append(_predicted(
                        ctx, padded,
                        f"padding_mode misapplied: your layer pads as padding_mode="
                        f"'{other}', the layer uses '{mode}'"))
    hyps.append(_shifted(ctx, ctx.spatial_axes, "output"))
    hyps.append(lambda trials: _neighbour_diagnosis(ctx, xs, [t.got for t in trials]))
    if flipped is not None:
        refs = [flipped.apply(x) + bias for x in xs]
        hyps.append(_shifted(ctx, ctx.spatial_axes, "output",
                             "kernel is flipped (convolution instead of cross-correlation) and ",
                             refs))
    return hyps


def _check_forward(ctx: _Ctx, user: UserLayer,
                   xs: list[tuple[str, np.ndarray]]) -> Entry:
    trials: list[_Trial] = []
    failure = None
    wrong_shape: list[np.ndarray] = []
    for name, x in xs:
        out = user.forward(x)
        if out.error:
            failure = f"{out.error} (input '{name}')"
            break
        arr, msg = as_result(out.value, ctx.A.out_shape, "forward")
        if msg or arr is None:              # as_result gives an array whenever msg is ""
            failure = failure or f"{msg} (input '{name}')"
            if arr is not None:
                wrong_shape.append(arr)
                continue
            break
        trials.append(_Trial(name, arr, ctx.A.apply(x) + ctx.bias_field()))
    if wrong_shape and len(wrong_shape) == len(xs):
        entry = Entry("forward", False, message=failure or "")
        entry.diagnosis = _wrong_shape_diagnosis(ctx, xs, wrong_shape)
        return entry
    what = "forward against A @ x" + (" + bias" if ctx.b is not None else "")
    entry = _measure("forward", trials, ctx, failure, what)
    if not entry.ok and failure is None:
        entry.diagnosis = _diagnose(ctx, trials, _forward_hypotheses(ctx, [x for _, x in xs]))
    return entry


# ---------------------------------------------------------------- gradients
def _position_grads(ctx: _Ctx, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Each output position's contribution to the weight gradient, ``(n_pos, *w.shape)``.

    The taps of ``A`` say which weight multiplies which input for each output;
    the correct gradient is the sum of these rows.
    """
    rows, cols, widx = ctx.A.taps
    pos = rows % ctx.n_pos
    vals = g.ravel()[rows] * x.ravel()[cols]
    size = ctx.w.size
    per = np.bincount(pos * size + widx, vals, minlength=ctx.n_pos * size)
    return per.reshape((ctx.n_pos,) + ctx.w.shape)


def _one_position(ctx: _Ctx, pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    def test(trials: list[_Trial]) -> str | None:
        common: set[int] | None = None
        informative = False
        for t, (_, x, g) in zip(trials, pairs):
            per = _position_grads(ctx, x, g).reshape(ctx.n_pos, -1)
            got = t.got.ravel()
            scale = max(float(np.max(np.abs(per), initial=0.0)), 1e-300)
            err = np.max(np.abs(per - got[None, :]), axis=1)
            hits = set(np.flatnonzero(err <= ctx.atol + _HYP_RTOL * scale).tolist())
            if not hits:
                return None
            if any(np.any(per[h] != 0) for h in hits):
                informative = True
            common = hits if common is None else common & hits
        if not informative:
            return None
        where = ""
        if common:
            p = min(common)
            idx = tuple(int(i) for i in np.unravel_index(p, ctx.A.out_shape[1:]))
            where = f" (output position {idx})"
        return (f"weight gradient equals one tied position{where} instead of the sum over "
                f"all {ctx.n_pos} positions (overwritten instead of accumulated?)")
    return test


def _grad_hypotheses(ctx: _Ctx, name: str, pairs: list[tuple[str, np.ndarray, np.ndarray]]
                     ) -> list[Hypothesis]:
    hyps: list[Hypothesis] = []
    gs = [g for _, _, g in pairs]
    if name == "input_grad":
        flipped = ctx.alt(ctx.flipped_w, key="flip")
        if flipped is not None and not np.array_equal(ctx.flipped_w, ctx.w):
            hyps.append(_predicted(
                ctx, lambda i: flipped.T.apply(gs[i]),
                "input gradient uses the unflipped kernel: A.T @ g is a full convolution "
                "of grad_out with the kernel, i.e. a correlation with the flipped kernel"))
        hyps.append(_scaled(ctx, "input gradient"))
        hyps.append(_permuted(ctx, 0, "input-gradient channel"))
        for j, (wv, text) in enumerate(_weight_variants(ctx)):
            def predict(i: int, wv: np.ndarray = wv, j: int = j) -> np.ndarray | None:
                m = ctx.alt(wv, key=("variant", j))
                return None if m is None else m.T.apply(gs[i])
            hyps.append(_predicted(ctx, predict, text))
        hyps.append(_shifted(ctx, ctx.spatial_axes, "input gradient"))
    elif name == "weight_grad":
        hyps.append(_one_position(ctx, pairs))
        hyps.append(_scaled(ctx, "weight gradient"))
        hyps.append(_predicted(
            ctx, lambda i: np.flip(ctx.A.weight_grad(pairs[i][1], pairs[i][2]),
                                   axis=tuple(range(2, ctx.w.ndim))),
            "weight gradient is flipped (the backward pass convolves where the layer "
            "correlates)"))
        hyps.append(_permuted(ctx, 0, "weight-gradient output channel"))
        hyps.append(_permuted(ctx, 1, "weight-gradient input channel"))
        if ctx.w.shape[0] == ctx.w.shape[1]:
            hyps.append(_predicted(
                ctx, lambda i: np.swapaxes(ctx.A.weight_grad(pairs[i][1], pairs[i][2]), 0, 1),
                "weight gradient channel axes swapped (grad[c_in, c_out] instead of "
                "grad[c_out, c_in])"))
    else:
        hyps.append(_scaled(ctx, "bias gradient"))
        hyps.append(_predicted(ctx, lambda i: gs[i].reshape(gs[i].shape[0], -1)[:, -1],
                               "bias gradient is grad_out at one position instead of the sum "
                               "over all positions"))
        hyps.append(_predicted(ctx, lambda i: gs[i].reshape(gs[i].shape[0], -1)[:, 0],
                               "bias gradient is grad_out at one position instead of the sum "
                               "over all positions"))
    return hyps


def _check_grads(ctx: _Ctx, user: UserLayer,
                 pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> list[Entry]:
    names = ["input_grad", "weight_grad", "bias_grad"]
    shapes = {"input_grad": ctx.A.in_shape, "weight_grad": ctx.w.shape,
              "bias_grad": (ctx.w.shape[0],)}
    trials: dict[str, list[_Trial]] = {n: [] for n in names}
    failures: dict[str, str | None] = dict.fromkeys(names)
    want_bias = ctx.b is not None
    for pname, x, g in pairs:
        out = user.grads(x, g)
        if out.error:
            for n in names:
                failures[n] = failures[n] or f"{out.error} (input '{pname}')"
            break
        gx, gw, gb = out.value
        if gb is not None:
            want_bias = True
        refs = {"input_grad": lambda x=x, g=g: ctx.A.T.apply(g),
                "weight_grad": lambda x=x, g=g: ctx.A.weight_grad(x, g),
                "bias_grad": lambda x=x, g=g: g.reshape(g.shape[0], -1).sum(axis=1)}
        for n, val in zip(names, (gx, gw, gb)):
            if failures[n]:
                continue
            if val is None:
                if n != "bias_grad":
                    failures[n] = f"no {n.replace('_', ' ')} returned"
                continue
            arr, msg = as_result(val, shapes[n], n)
            if msg or arr is None:
                failures[n] = f"{msg} (input '{pname}')"
                continue
            trials[n].append(_Trial(pname, arr, refs[n]()))
    entries = []
    what = {"input_grad": "input gradient against A.T @ grad_out",
            "weight_grad": "weight gradient against A.weight_grad(x, grad_out) "
                           "(sum over tied positions)",
            "bias_grad": "bias gradient against grad_out summed over positions"}
    for n in names:
        if n == "bias_grad" and not want_bias:
            continue
        if n == "bias_grad" and not trials[n] and failures[n] is None:
            failures[n] = "bias= was given but no bias gradient was returned"
        e = _measure(n, trials[n], ctx, failures[n], what[n])
        if not e.ok and failures[n] is None:
            e.diagnosis = _diagnose(ctx, trials[n], _grad_hypotheses(ctx, n, pairs))
        entries.append(e)
    return entries


def _check_finite_differences(ctx: _Ctx, user: UserLayer,
                              pairs: list[tuple[str, np.ndarray, np.ndarray]],
                              rng: np.random.Generator) -> list[Entry]:
    """No backward: central differences of forward along random directions.

    A linear layer's Jacobian is ``A``; its directional derivative along ``v``
    must be ``A @ v`` (so the input gradient is ``A.T @ g``), and along a
    weight direction ``u`` it must be ``A(u) @ x`` (so the weight gradient is
    ``A.weight_grad``).  Like ``torch.autograd.gradcheck``, this needs only
    the forward.
    """
    h = 1e-3
    rtol = max(ctx.rtol, 1e-6)
    fd_ctx = _Ctx(ctx.A, ctx.w, ctx.b, ctx.input_shape, ctx.kwargs, rtol, ctx.atol)

    def directional(step: Callable[[np.ndarray, np.ndarray], Any],
                    direction: Callable[[], np.ndarray],
                    expected: Callable[[np.ndarray, np.ndarray], np.ndarray],
                    ) -> tuple[list[_Trial], str | None]:
        # (f(+h) - f(-h)) / 2h along a random direction, for the first inputs.
        trials: list[_Trial] = []
        for pname, x, _ in pairs[:4]:
            d = direction()
            plus, minus = step(x, h * d), step(x, -h * d)
            err = plus.error or minus.error
            if err:
                return trials, f"{err} (input '{pname}')"
            a, m1 = as_result(plus.value, ctx.A.out_shape, "forward")
            b, m2 = as_result(minus.value, ctx.A.out_shape, "forward")
            if m1 or m2 or a is None or b is None:
                return trials, f"{m1 or m2} (input '{pname}')"
            trials.append(_Trial(pname, (a - b) / (2 * h), expected(x, d)))
        return trials, None

    entries = []
    trials, failure = directional(lambda x, dv: user.forward(x + dv),
                                  lambda: rng.standard_normal(ctx.A.in_shape),
                                  lambda x, v: ctx.A.apply(v))
    e = _measure("input_grad", trials, fd_ctx, failure,
                 "no backward given: directional derivatives of forward by central finite "
                 "differences against A @ v (then the input gradient is A.T @ g)")
    if not e.ok and failure is None:
        e.diagnosis = _diagnose(fd_ctx, trials, [_scaled(fd_ctx, "derivative")])
    entries.append(e)
    if not user.takes_weight:
        e.message += ("; weight gradient not checked: pass backward=, a torch module, or a "
                      "forward(x, weight)")
        return entries
    trials, failure = directional(lambda x, du: user.forward(x, ctx.w + du),
                                  lambda: rng.standard_normal(ctx.w.shape),
                                  lambda x, u: ctx.A.with_weight(u).apply(x))
    e = _measure("weight_grad", trials, fd_ctx, failure,
                 "no backward given: derivatives of forward(x, weight) along random weight "
                 "directions u by central finite differences against A(u) @ x")
    entries.append(e)
    return entries


# ---------------------------------------------------------------- public
def check_layer(forward: Any, weight: Any, input_shape: tuple[int, ...], *,
                backward: Callable[..., Any] | None = None, bias: Any = None,
                rtol: float = 1e-7, atol: float = 1e-9, seed: int = 0, n_random: int = 3,
                **layer_kwargs: Any) -> Report:
    """Check a hand-written conv layer against the exact matrix of the layer.

    Parameters
    ----------
    forward : callable, torch.nn.Module or torch.autograd.Function
        ``forward(x) -> y`` on numpy arrays without a batch axis (``x`` of
        ``input_shape``); it may also take ``(x, weight)`` or
        ``(x, weight, bias)``.  A ``torch.nn.Module`` is run on a float64
        copy with a batch axis and differentiated by autograd; a
        ``torch.autograd.Function`` is called as ``Fn.apply(x[None], weight[, bias])``.
    weight : array_like
        ``(C_out, C_in // groups, *kernel)``, the layer's weight.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    backward : callable, optional
        ``backward(x, grad_out) -> (grad_x, grad_weight[, grad_bias])`` for a
        numpy layer.  Without it the gradients are checked by finite
        differences of ``forward``.
    bias : array_like, optional
        ``(C_out,)``, added to each output channel.
    rtol, atol : float
        A check passes when ``|got - want| <= atol + rtol * max|want|`` for
        every trial (single precision needs ``rtol`` near ``1e-5``).
    seed : int
        Seed of the random trial inputs.
    n_random : int
        Random inputs per check, besides the structured ones (one-hots at the
        first, centre and last position, and a ramp).
    **layer_kwargs
        ``stride``, ``padding``, ``dilation``, ``groups``, ``padding_mode`` as
        in :func:`~toeplitz_conv.layer_matrix`.

    Returns
    -------
    Report
        ``.ok`` and entries ``forward``, ``input_grad``, ``weight_grad`` (and
        ``bias_grad`` with a bias), each with errors, worst index and a
        diagnosis when a known mistake explains the failure.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import convolve, correlate
    >>> w = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    >>> def good(x):
    ...     return correlate(x[0], w[0, 0], mode="valid")[None]
    >>> check_layer(good, w, (1, 6, 6)).ok
    True
    >>> def flipped(x):
    ...     return convolve(x[0], w[0, 0], mode="valid")[None]
    >>> r = check_layer(flipped, w, (1, 6, 6))
    >>> r.ok, r["forward"].diagnosis
    (False, 'kernel is flipped (you computed convolution, the layer is cross-correlation)')
    """
    w = as_kernel(weight, "weight", min_ndim=3, max_ndim=5)
    if w.dtype.kind == "c":
        raise TypeError("weight must be real (a conv layer's weight), got a complex array")
    w = w.astype(np.float64)
    A = layer_matrix(w, input_shape, **layer_kwargs)
    b = None
    if bias is not None:
        b = as_kernel(bias, "bias", min_ndim=1, max_ndim=1).astype(np.float64)
        if b.shape != (w.shape[0],):
            raise ValueError(f"bias must have shape ({w.shape[0]},) (one value per output "
                             f"channel), got {b.shape}")
    rtol, atol = as_tolerance(rtol, "rtol"), as_tolerance(atol, "atol")
    n_random = as_positive_int(n_random, "n_random")
    user = UserLayer(forward, w, b, backward)
    ctx = _Ctx(A, w, b, tuple(A.in_shape), layer_kwargs, float(rtol), float(atol))
    rng = np.random.default_rng(seed)
    xs = _structured(A.in_shape, rng, n_random, "x")
    entries = [_check_forward(ctx, user, xs)]
    if user.notes:
        entries[0].message += "; note: " + "; ".join(user.notes)
    pairs = _grad_pairs(ctx, rng, n_random)
    if user.has_grads:
        entries += _check_grads(ctx, user, pairs)
    else:
        entries += _check_finite_differences(ctx, user, pairs, rng)
    kind = {"module": "torch module", "function": "torch autograd Function",
            "numpy": "layer"}[user.kind]
    return Report(entries, title=f"{kind} check")

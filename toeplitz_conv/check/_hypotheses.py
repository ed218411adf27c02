"""The catalogue of bug hypotheses: named mistakes tested against the user's results.

When a check fails, the checker does not guess from the error pattern; it
tests named hypotheses against the user's results, each one built from the
same core (``layer_matrix`` of a flipped or permuted weight, of a neighbouring
padding or stride, per-position and per-image weight gradients, shifted or
scaled references), and reports the first one that fits every trial
(:func:`_diagnose`).  The diagnoses of a result of the wrong shape (flattened,
cropped, a neighbouring layer's, a gradient an unread tail short) are here too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..geometry import PADDING_MODES, layer_geometry
from ..tied import TiedMatrix
from ._context import _HYP_RTOL, _Ctx, _Trial
from ._operator import Reference

__all__ = ["Hypothesis"]

Hypothesis = Callable[[list[_Trial]], "str | None"]


def _scale_hint(s: float, ctx: _Ctx) -> str:
    names = ctx.scale_labels()        # each kind knows its weight's taps and fan-in
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
                where = " and ".join(
                    f"by {k} along axis {ctx.layout.data_index(tuple(range(ctx.nd + 2))).index(a)}"
                    for a, k in moved)
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
                    "compute in float64, return your results in the dtype you compute in "
                    "(the default tolerances follow it), or pass rtol=1e-5")
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
    """Mix-ups of the weight: swapped channel axes, permuted input channels, transposed kernel."""
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
    if ctx.nd >= 2 and w.shape[-1] == w.shape[-2]:
        t = np.swapaxes(w, -1, -2)
        if not np.array_equal(t, w):
            out.append((t, "kernel rows and columns transposed: you used weight[..., j, i] "
                           "where the layer uses weight[..., i, j]"))
    return out


# ---------------------------------------------------------------- forward
_GEOM_KEYS = ("stride", "padding", "dilation", "padding_mode")


def _geom_now(ctx: _Ctx) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    geom = layer_geometry(ctx.w.shape[2:], ctx.input_shape[1:],
                          **{k: v for k, v in ctx.kwargs.items() if k in _GEOM_KEYS})
    return (tuple(a.stride for a in geom.axes), tuple(a.dilation for a in geom.axes),
            tuple(a.pad_before for a in geom.axes))


def _neighbours(ctx: _Ctx) -> list[tuple[str, dict[str, Any], str]]:
    """Layers one or two mistakes away: other paddings, strides, dilations.

    Returns ``(cause, changed options, what the layer has)`` triples.
    """
    stride, dil, pad = _geom_now(ctx)
    out: list[tuple[str, dict[str, Any], str]] = []
    for p in itertools.product(*[[q for q in range(p0 - 2, p0 + 3) if q >= 0] for p0 in pad]):
        if p != pad:
            off = max(abs(a - b) for a, b in zip(p, pad))
            cause = "padding off by one" if off == 1 else "padding misapplied"
            out.append((cause, {"padding": p}, f"padding={pad}"))
    for st in itertools.product(*[sorted({1, 2, 3, s0}) for s0 in stride]):
        if st != stride:
            out.append(("stride misapplied", {"stride": st}, f"stride={stride}"))
    one = (1,) * ctx.nd
    if stride != one and any(pad):
        out.append(("stride and padding both forgotten", {"stride": one, "padding": 0},
                    f"stride={stride}, padding={pad}"))
    for d in itertools.product(*[sorted({1, 2, d0}) for d0 in dil]):
        if d != dil:
            out.append(("dilation misapplied", {"dilation": d}, f"dilation={dil}"))
    if stride != one:
        out.append(("stride misapplied (used as dilation)", {"stride": 1, "dilation": stride},
                    f"stride={stride}, dilation={dil}"))
    return out


def _neighbour_diagnosis(ctx: _Ctx, xs: list[np.ndarray], gots: list[np.ndarray]) -> str | None:
    """Is the user's output that of a neighbouring layer (or its top-left crop)?

    Only a neighbour that reproduces every trial is named: an output shape
    that merely matches one is no diagnosis.
    """
    shape = gots[0].shape
    if not all(g.shape == shape for g in gots):
        return None
    for cause, change, have in _neighbours(ctx):
        kw = {k: v for k, v in ctx.kwargs.items() if k in _GEOM_KEYS}
        kw.update(change)
        try:
            g = layer_geometry(ctx.w.shape[2:], ctx.input_shape[1:], **kw)
        except (ValueError, TypeError):
            continue
        alt_shape = (ctx.n, ctx.w.shape[0], *g.out_shape)
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
                part = "" if exact else f" cropped to {ctx.layout.data_shape(shape)}"
                return (f"{cause}: your output is the layer with {desc}{note}{part} "
                        f"(the layer has {have})")
    return None


def _cropped_diagnosis(ctx: _Ctx, xs: list[np.ndarray], gots: list[np.ndarray]) -> str | None:
    """Right values on the common region, wrong extent: a square-image (H = W) assumption."""
    ref_shape = ctx.out_shape
    shape = gots[0].shape
    if len(shape) != len(ref_shape) or shape[:2] != ref_shape[:2] or shape == ref_shape:
        return None
    common = tuple(slice(0, min(a, b)) for a, b in zip(shape, ref_shape))
    if not all(g.shape == shape for g in gots):
        return None
    if all(ctx.close(g[common], ctx.forward_ref(x)[common]) for g, x in zip(gots, xs)):
        sp_got, sp_ref = shape[2:], ref_shape[2:]
        square = (len(set(sp_got)) == 1 and len(set(sp_ref)) > 1)
        why = (" — a square-image assumption? (one spatial size used for every axis)"
               if square else " — an output size computed from the wrong axis?")
        return (f"right values on the wrong extent: your output is the layer's output "
                f"{'cropped' if all(a <= b for a, b in zip(shape, ref_shape)) else 'resized'}"
                f" to spatial shape {sp_got} (the layer's is {sp_ref}){why}")
    return None


def _reshape_hint(ctx: Any, xs: list[np.ndarray], gots: list[np.ndarray]) -> str | None:
    """"right values in the wrong shape" when every output is the reference, reshaped."""
    size = int(np.prod(ctx.out_shape))
    if all(g.size == size and ctx.close(g.reshape(ctx.out_shape), ctx.forward_ref(x))
           for g, x in zip(gots, xs)):
        return (f"right values in the wrong shape: reshape the output to "
                f"{ctx.layout.data_shape(ctx.out_shape)}")
    return None


def _bias_hypotheses(ctx: Any, xs: list[np.ndarray], bias: Any) -> list[Hypothesis]:
    """The bias added twice, or not at all (none without a non-zero bias)."""
    if ctx.b is None or not np.any(ctx.b != 0):
        return []
    return [_predicted(ctx, lambda i: ctx.A.apply(xs[i]) + 2 * bias, "bias added twice"),
            _predicted(ctx, lambda i: ctx.A.apply(xs[i]), "bias is missing")]


def _wrong_shape_diagnosis(ctx: _Ctx, xs: list[np.ndarray],
                           gots: list[np.ndarray]) -> str | None:
    """The user's output has another shape: flattened, cropped, or a neighbouring layer's?"""
    hint = _reshape_hint(ctx, xs, gots)
    if hint is not None or any(g.ndim != len(ctx.out_shape) for g in gots):
        return hint
    return _cropped_diagnosis(ctx, xs, gots) or _neighbour_diagnosis(ctx, xs, gots)


def _bias_for(ctx: _Ctx, m: Reference) -> np.ndarray:
    if ctx.b is None:
        return np.zeros((1, *m.out_shape))
    return np.broadcast_to(ctx.b.reshape((1, -1) + (1,) * ctx.nd), (1, *m.out_shape))


def _bias_multiple(ctx: _Ctx, xs: list[np.ndarray]) -> Hypothesis:
    """The bias added several times: once per kernel tap, per input channel, per position.

    The multiplicity is solved per output position (least squares over the
    trials, images and channels); it must be an integer everywhere and fit
    every trial exactly.
    """
    def test(trials: list[_Trial]) -> str | None:
        if ctx.b is None or not np.any(ctx.b != 0):
            return None
        bb = ctx.b.reshape((1, -1) + (1,) * ctx.nd)
        rests = [t.got - ctx.A.apply(x) for t, x in zip(trials, xs)]
        num = sum(np.sum(r * bb, axis=(0, 1)) for r in rests)
        den = float(np.sum(ctx.b ** 2)) * ctx.n * len(rests)
        mult = num / den
        m = np.round(mult)
        if np.any(np.abs(mult - m) > 1e-6 * np.maximum(np.abs(m), 1)) or np.all(m == 1):
            return None
        if not all(ctx.close(r, np.broadcast_to(m * bb, r.shape)) for r in rests):
            return None
        flat = m.ravel()
        # The kind's own taps and fan-in (its weight layout is not always the conv one).
        k, fan_in = ctx.kernel_taps, ctx.fan_in["forward"]
        if np.all(flat == flat[0]):
            n = int(flat[0])
            if n in (0, 2):
                return None              # named by "bias is missing" / "bias added twice"
            why = {k: "once per kernel tap",
                   fan_in: "once per kernel tap and input channel (inside the "
                           "sum over C_in x kernel)",
                   fan_in // k: "once per input channel",
                   ctx.n_pos: "once per output position (to the whole output, inside the "
                              "loop over positions)"}
            return f"bias added {n} times" + (f": {why[n]}" if n in why else "")
        p = np.arange(1, ctx.n_pos + 1)
        if np.array_equal(flat, p[::-1]) or np.array_equal(flat, p):
            return ("bias added to the whole output inside the loop over output positions: "
                    f"output position p gets it {'n_pos - p' if flat[0] > 1 else 'p + 1'} "
                    "times instead of once (move the bias out of the loop)")
        return None
    return test


def _output_hypotheses(ctx: Any, xs: list[np.ndarray], bias: Any,
                       flip_text: str) -> list[Hypothesis]:
    """The forward hypotheses every kind shares, in this order.

    The kernel flipped (``flip_text`` says what that means for the kind), the
    bias missing, twice or added several times, the output scaled, and the
    output channels permuted.
    """
    hyps: list[Hypothesis] = []
    flipped = ctx.alt(ctx.flipped_w, key="flip")
    if flipped is not None and not np.array_equal(ctx.flipped_w, ctx.w):
        hyps.append(_predicted(ctx, lambda i: flipped.apply(xs[i]) + bias, flip_text))
    hyps += _bias_hypotheses(ctx, xs, bias)
    if ctx.b is not None and np.any(ctx.b != 0):
        hyps.append(_bias_multiple(ctx, xs))
    hyps.append(_scaled(ctx, "output"))
    hyps.append(_permuted(ctx, 1, "output channel"))
    return hyps


def _forward_hypotheses(ctx: _Ctx, xs: list[np.ndarray]) -> list[Hypothesis]:
    bias = ctx.bias_field()
    hyps = _output_hypotheses(
        ctx, xs, bias,
        "kernel is flipped (you computed convolution, the layer is cross-correlation)")
    for j, (wv, text) in enumerate(_weight_variants(ctx)):
        # Built only when an earlier hypothesis did not fit (cached per variant).
        def predict(i: int, wv: np.ndarray = wv, j: int = j) -> np.ndarray | None:
            m = ctx.alt(wv, key=("variant", j))
            return None if m is None else m.apply(xs[i]) + bias
        hyps.append(_predicted(ctx, predict, text))
    mode = ctx.kwargs.get("padding_mode", "zeros")
    if ctx.kwargs.get("padding", 0) not in (0, "valid", "VALID"):
        for other in PADDING_MODES:
            if other != mode:
                alt = ctx.alt(key=("mode", other), padding_mode=other)
                if alt is not None:
                    def padded(i: int, m: Reference = alt) -> np.ndarray:
                        return m.apply(xs[i]) + bias
                    hyps.append(_predicted(
                        ctx, padded,
                        f"padding_mode misapplied: your layer pads as padding_mode="
                        f"'{other}', the layer uses '{mode}'"))
    hyps.append(_shifted(ctx, ctx.spatial_axes, "output"))
    hyps.append(lambda trials: _neighbour_diagnosis(ctx, xs, [t.got for t in trials]))
    flipped = ctx.alt(ctx.flipped_w, key="flip")          # cached by _output_hypotheses
    if flipped is not None:
        refs = [flipped.apply(x) + bias for x in xs]
        hyps.append(_shifted(ctx, ctx.spatial_axes, "output",
                             "kernel is flipped (convolution instead of cross-correlation) and ",
                             refs))
    return hyps


# ---------------------------------------------------------------- gradients
def _position_grads(ctx: _Ctx, x: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """Each output position's contribution to the weight gradient.

    ``(n_pos * (N + 1), *w.shape)``: first each position summed over the
    batch, then (for ``N > 1``) each position of each image alone (an
    overwrite inside the batch loop leaves one of those).  The taps of ``A``
    say which weight multiplies which input for each output; the correct
    gradient is the sum of all these rows.
    """
    n = len(x)
    n_img = n if n > 1 else 0
    if not isinstance(ctx.A, TiedMatrix) or ctx.n_pos * (n_img + 1) * ctx.w.size > 20_000_000:
        return None
    rows, cols, widx = ctx.A.taps
    pos = rows % ctx.n_pos
    each = g.reshape(n, -1)[:, rows] * x.reshape(n, -1)[:, cols]       # (N, taps)
    size = ctx.w.size
    per = np.bincount(pos * size + widx, each.sum(axis=0), minlength=ctx.n_pos * size)
    parts = [per.reshape((ctx.n_pos,) + ctx.w.shape)]
    if n_img:
        img = np.repeat(np.arange(n), len(rows))
        key = (img * ctx.n_pos + np.tile(pos, n)) * size + np.tile(widx, n)
        one = np.bincount(key, each.ravel(), minlength=n * ctx.n_pos * size)
        parts.append(one.reshape((n * ctx.n_pos,) + ctx.w.shape))
    return np.concatenate(parts)


def _one_position(ctx: _Ctx, pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    def test(trials: list[_Trial]) -> str | None:
        common: set[int] | None = None
        informative = False
        for t, (_, x, g) in zip(trials, pairs):
            per_full = _position_grads(ctx, x, g)
            if per_full is None:
                return None
            per = per_full.reshape(len(per_full), -1) * ctx.grad_scale()
            got = t.got.ravel()
            scale = max(float(np.max(np.abs(per), initial=0.0)), 1e-300)
            err = np.max(np.abs(per - got[None, :]), axis=1)
            hits = set(np.flatnonzero(err <= ctx.atol * 1e-3 + _HYP_RTOL * scale).tolist())
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
            image = ""
            if p >= ctx.n_pos:
                image = f" of image {(p - ctx.n_pos) // ctx.n_pos}"
                p = (p - ctx.n_pos) % ctx.n_pos
            idx = tuple(int(i) for i in np.unravel_index(p, ctx.A.out_shape[1:]))
            where = f" (output position {idx}{image})"
        return (f"weight gradient equals one tied position{where} instead of the sum over "
                f"all {ctx.n_pos} positions (overwritten instead of accumulated?)")
    return test


def _one_image(ctx: _Ctx, name: str, pairs: list[tuple[str, np.ndarray, np.ndarray]],
               grad: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Hypothesis:
    """A batched weight/bias gradient that holds one image's contribution only."""
    what = name.replace("_grad", " gradient")

    def test(trials: list[_Trial]) -> str | None:
        if ctx.n < 2:
            return None
        for k, label in ((ctx.n - 1, "the last"), (0, "the first")):
            fits = True
            for t, (_, x, g) in zip(trials, pairs):
                want = grad(x[k:k + 1], g[k:k + 1]) * ctx.grad_scale()
                if not ctx.close(t.got, want):
                    fits = False
                    break
            if fits:
                return (f"{what} holds only {label} image's contribution (image {k} of "
                        f"{ctx.n}): reset or overwritten per image instead of summed over the "
                        f"batch")
        return None
    return test


def _embed(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` placed at the top-left of a zero array of ``shape`` (cropped where larger)."""
    out = np.zeros(shape)
    common = tuple(slice(0, min(a, b)) for a, b in zip(g.shape, shape))
    out[common] = g[common]
    return out


def _grad_neighbours(ctx: _Ctx, name: str,
                     pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    """The backward of a neighbouring layer (stride ignored, padding off by one, ...)."""
    def test(trials: list[_Trial]) -> str | None:
        for cause, change, have in _neighbours(ctx):
            desc = ", ".join(f"{k}={v}" for k, v in change.items())
            m = ctx.alt(key=("grad", desc), **change)
            if m is None:
                continue
            alt_out = (ctx.n, *m.out_shape)
            fits = True
            for t, (_, x, g) in zip(trials, pairs):
                ge = _embed(g, alt_out)
                want = m.T.apply(ge) if name == "input_grad" else m.weight_grad(x, ge)
                if name == "weight_grad":
                    want = want * ctx.grad_scale()
                if not ctx.close(t.got, want):
                    fits = False
                    break
            if fits:
                label = ("backward ignores the stride" if set(change) == {"stride"}
                         and all(s == 1 for s in np.atleast_1d(change["stride"]))
                         else f"backward uses the wrong geometry ({cause})")
                return (f"{label}: your {name.replace('_', ' ')} is that of the layer with "
                        f"{desc} (the layer has {have})")
        return None
    return test


def _grad_hypotheses(ctx: _Ctx, name: str, pairs: list[tuple[str, np.ndarray, np.ndarray]]
                     ) -> list[Hypothesis]:
    hyps: list[Hypothesis] = []
    gs = [g for _, _, g in pairs]
    scale = ctx.grad_scale()
    if name == "input_grad":
        flipped = ctx.alt(ctx.flipped_w, key="flip")
        if flipped is not None and not np.array_equal(ctx.flipped_w, ctx.w):
            hyps.append(_predicted(
                ctx, lambda i: flipped.T.apply(gs[i]),
                "input gradient uses the unflipped kernel: A.T @ g is a full convolution "
                "of grad_out with the kernel, i.e. a correlation with the flipped kernel"))
        hyps.append(_scaled(ctx, "input gradient"))
        hyps.append(_permuted(ctx, 1, "input-gradient channel"))
        for j, (wv, text) in enumerate(_weight_variants(ctx)):
            def predict(i: int, wv: np.ndarray = wv, j: int = j) -> np.ndarray | None:
                m = ctx.alt(wv, key=("variant", j))
                return None if m is None else m.T.apply(gs[i])
            hyps.append(_predicted(ctx, predict, text))
        hyps.append(_grad_neighbours(ctx, name, pairs))
        hyps.append(_shifted(ctx, ctx.spatial_axes, "input gradient"))
    elif name == "weight_grad":
        hyps.append(_one_image(ctx, name, pairs, ctx.A.weight_grad))
        hyps.append(_one_position(ctx, pairs))
        hyps.append(_scaled(ctx, "weight gradient"))
        hyps.append(_predicted(
            ctx, lambda i: scale * np.flip(ctx.A.weight_grad(pairs[i][1], pairs[i][2]),
                                           axis=tuple(range(2, ctx.w.ndim))),
            "weight gradient is flipped (the backward pass convolves where the layer "
            "correlates)"))
        if ctx.nd >= 2 and ctx.w.shape[-1] == ctx.w.shape[-2]:
            hyps.append(_predicted(
                ctx, lambda i: scale * np.swapaxes(
                    ctx.A.weight_grad(pairs[i][1], pairs[i][2]), -1, -2),
                "weight gradient has the kernel rows and columns transposed"))
        hyps.append(_permuted(ctx, 0, "weight-gradient output channel"))
        hyps.append(_permuted(ctx, 1, "weight-gradient input channel"))
        if ctx.w.shape[0] == ctx.w.shape[1]:
            hyps.append(_predicted(
                ctx, lambda i: scale * np.swapaxes(
                    ctx.A.weight_grad(pairs[i][1], pairs[i][2]), 0, 1),
                "weight gradient channel axes swapped (grad[c_in, c_out] instead of "
                "grad[c_out, c_in])"))
        hyps.append(_grad_neighbours(ctx, name, pairs))
    else:
        def bias_sum(x: np.ndarray, g: np.ndarray) -> np.ndarray:
            return g.sum(axis=(0, *ctx.spatial_axes))
        hyps.append(_one_image(ctx, name, pairs, bias_sum))
        hyps.append(_scaled(ctx, "bias gradient"))
        images: list[int | None] = [None] + ([0, ctx.n - 1] if ctx.n > 1 else [])
        for pick in (-1, 0):
            for k in images:
                def at(i: int, pick: int = pick, k: int | None = k) -> np.ndarray:
                    g = gs[i].reshape(gs[i].shape[0], gs[i].shape[1], -1)[:, :, pick]
                    return scale * (g.sum(axis=0) if k is None else g[k])
                hyps.append(_predicted(
                    ctx, at,
                    "bias gradient is grad_out at one position"
                    + ("" if k is None else f" of image {k}")
                    + " instead of the sum over all positions (overwritten instead of "
                      "accumulated?)"))
    return hyps


def _grad_shape_diagnosis(ctx: _Ctx, name: str, arr: np.ndarray | None) -> str | None:
    """A gradient of the wrong shape: an empty slice, or a stride that does not divide."""
    if arr is None or name not in ("input_grad", "weight_grad"):
        return None
    want = ctx.in_shape if name == "input_grad" else ctx.w.shape
    if arr.ndim != len(want):
        return None
    if name == "weight_grad":
        return None
    try:
        geom = layer_geometry(ctx.w.shape[2:], ctx.input_shape[1:],
                              **{k: v for k, v in ctx.kwargs.items() if k in _GEOM_KEYS})
    except (ValueError, TypeError):
        return None
    user_axes = ctx.layout.data_index(tuple(range(ctx.nd + 2)))
    for a in ctx.spatial_axes:
        ax = geom.axes[a - 2]
        got, size = arr.shape[a], want[a]
        if got == size:
            continue
        ua = user_axes.index(a)
        if got == 0 and ax.pad_before == 0:
            return (f"{name.replace('_', ' ')} is empty along axis {ua}: an empty slice such "
                    f"as dx_padded[p:-p] with p = 0 (slice as [p:p + size] instead)")
        # The windows stop short of the padded end: the stride leaves a tail
        # (some of it input samples) that no output reads.
        unread = ax.unread_tail - ax.pad_after
        if got < size and ax.stride > 1 and ax.unread_tail:
            return (f"{name.replace('_', ' ')} has {got} samples along axis {ua} instead of "
                    f"{size}: the stride {ax.stride} does not divide (size + padding - kernel "
                    f"span), so the last input samples are read by no window"
                    + (f" ({unread} of them)" if unread > 0 else "")
                    + "; they still need a (zero) gradient")
    return None

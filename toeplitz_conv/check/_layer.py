"""`check_layer`: a user's conv layer against the exact matrix of the layer.

The reference is ``A = layer_matrix(weight, input_shape, ...)``: the forward
pass is ``A @ x (+ bias)``, the input gradient ``A.T @ g``, the weight
gradient ``A.weight_grad(x, g)`` (the sum over each weight's tied positions,
and over the batch) and the bias gradient ``g`` summed over the spatial axes
and the batch.  A large layer's reference is computed matrix-free from the
same geometry (see :mod:`._reference`).

Internally every array is in the canonical layout ``(N, C, *spatial)``
(``N = 1`` for a layer without a batch axis) and weights are
``(C_out, C_in // groups, *kernel)``; the user's code sees its own layout
(:mod:`._layout`) and the report's indices are given back in it.

When a check fails, the checker does not guess from the error pattern; it
tests named hypotheses against the user's results, each one built from the
same core (``layer_matrix`` of a flipped or permuted weight, of a neighbouring
padding or stride, per-position and per-image weight gradients, shifted or
scaled references), and reports the first one that fits every trial.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._validation import as_finite_real, as_int, as_kernel, as_positive_int, choose
from ..layers import PADDING_MODES, layer_geometry
from ..tied import TiedMatrix
from ._layout import Layout, as_bias
from ._reference import Reference, reference
from ._report import Entry, Report
from ._user import UserLayer, as_result, as_tolerance, module_params, result_eps

__all__ = ["check_layer"]

_HYP_RTOL = 1e-5   # hypotheses also fit single-precision implementations
_MAX_RANDOM = 64
_CHECK_NAMES = ("forward", "input_grad", "weight_grad", "bias_grad")


@dataclass
class _Trial:
    name: str
    got: np.ndarray
    want: np.ndarray


def dtype_tolerance(eps: float, fan_in: int) -> tuple[float, float]:
    """Default ``(rtol, atol)`` for results of machine epsilon ``eps`` summing ``fan_in`` products.

    Rounding in a sum of ``K`` products grows like ``sqrt(K) * eps`` for
    random data (``K * eps`` at worst); ``8 sqrt(K)`` with a floor of
    ``32 eps`` leaves room for the user's own rounding of the inputs, while
    any real mistake changes results at order one.

    >>> rtol, atol = dtype_tolerance(float(np.finfo(np.float32).eps), 576)
    >>> 1e-5 < rtol < 1e-4
    True
    """
    rtol = eps * max(32.0, 8.0 * math.sqrt(max(fan_in, 1)))
    return rtol, rtol * 1e-2


class _Ctx:
    """The layer under test: its reference, weight, bias, layout and alternative layers."""

    def __init__(self, A: Reference, w: np.ndarray, b: np.ndarray | None,
                 input_shape: tuple[int, ...], kwargs: dict[str, Any],
                 rtol: float | None, atol: float | None, layout: Layout,
                 method: str = "auto", reduction: str = "sum") -> None:
        self.A, self.w, self.b = A, w, b
        self.input_shape, self.kwargs = tuple(input_shape), dict(kwargs)
        self.user_rtol, self.user_atol = rtol, atol
        self.rtol = 1e-7 if rtol is None else rtol
        self.atol = 1e-9 if atol is None else atol
        self.layout = layout
        self.n = layout.n
        self.method = method
        self.reduction = reduction
        self.nd = w.ndim - 2
        self.spatial_axes = tuple(range(2, self.nd + 2))
        self.in_shape = (self.n, *A.in_shape)
        self.out_shape = (self.n, *A.out_shape)
        self.flipped_w = np.flip(w, axis=tuple(range(2, w.ndim)))
        self.n_pos = int(np.prod(A.out_shape[1:]))
        self.explicit = isinstance(A, TiedMatrix)
        groups = int(kwargs.get("groups", 1))
        k = int(np.prod(w.shape[2:]))
        self.fan_in = {"forward": w.shape[1] * k, "input_grad": w.shape[0] // groups * k,
                       "weight_grad": self.n * self.n_pos, "bias_grad": self.n * self.n_pos}
        self.eps: dict[str, float] = {}
        self._alts: dict[Any, Reference | None] = {}

    def tol(self, name: str, eps: float | None = None) -> tuple[float, float]:
        """``(rtol, atol)`` for a check: the user's, or from the dtype of the results."""
        e = eps if eps is not None else self.eps.get(name, float(np.finfo(np.float64).eps))
        rd, ad = dtype_tolerance(e, self.fan_in.get(name, self.fan_in["forward"]))
        return (rd if self.user_rtol is None else self.user_rtol,
                ad if self.user_atol is None else self.user_atol)

    def hyp_rtol(self, name: str) -> float:
        return max(_HYP_RTOL, 4 * self.tol(name)[0])

    def alt(self, weight: np.ndarray | None = None, key: Any = None,
            **changes: Any) -> Reference | None:
        """The reference of the same layer with another weight or other options."""
        k = (key, tuple(sorted((n, repr(v)) for n, v in changes.items())))
        if key is None or k not in self._alts:
            try:
                m: Reference | None = reference(
                    self.w if weight is None else weight, self.input_shape,
                    method=self.method, **{**self.kwargs, **changes})    # type: ignore[arg-type]
            except (ValueError, TypeError, MemoryError):
                m = None
            if key is None:
                return m
            self._alts[k] = m
        return self._alts[k]

    def bias_field(self) -> np.ndarray:
        if self.b is None:
            return np.zeros((1, *self.A.out_shape))
        return np.broadcast_to(self.b.reshape((1, -1) + (1,) * self.nd),
                               (1, *self.A.out_shape))

    def forward_ref(self, x: np.ndarray) -> np.ndarray:
        return self.A.apply(x) + self.bias_field()

    def grad_scale(self) -> float:
        return 1.0 / self.n if self.reduction == "mean" else 1.0

    def close(self, got: np.ndarray, want: np.ndarray, rtol: float = _HYP_RTOL) -> bool:
        if got.shape != want.shape:
            return False
        scale = max(float(np.max(np.abs(want), initial=0.0)),
                    float(np.max(np.abs(got), initial=0.0)))
        return bool(np.all(np.abs(got - want) <= self.atol * 1e-3 + rtol * scale))

    def user_index(self, name: str, idx: tuple[int, ...]) -> tuple[int, ...]:
        """A canonical index of check ``name`` in the user's layout."""
        if name in ("forward", "input_grad"):
            return self.layout.data_index(idx)
        if name == "weight_grad":
            return self.layout.weight_index(idx)
        if name == "bias_grad":
            return self.layout.bias_index(idx)
        return idx


# ---------------------------------------------------------------- trials
def _one_hot(shape: tuple[int, ...], index: tuple[int, ...]) -> np.ndarray:
    x = np.zeros(shape)
    x[index] = 1.0
    return x


def _ramp(shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) / n + 0.5).reshape(shape)


def _structured(shape: tuple[int, ...], rng: np.random.Generator,
                n_random: int, tag: str, light: bool = False) -> list[tuple[str, np.ndarray]]:
    """Random arrays, then one-hots (first, centre, last) and a ramp.

    ``light`` (large layers, where every trial costs several forward passes):
    the random arrays and one one-hot at the first position (a corner, where
    padding mistakes show) only.
    """
    out = [(f"random {tag} #{i}", rng.standard_normal(shape)) for i in range(n_random)]
    first = (0,) * len(shape)
    centre = tuple(s // 2 for s in shape)
    last = tuple(s - 1 for s in shape)
    for idx in dict.fromkeys([first] if light else [first, centre, last]):
        out.append((f"one-hot {tag} at {idx}", _one_hot(shape, idx)))
    if not light:
        out.append((f"ramp {tag}", _ramp(shape)))
    return out


def _grad_pairs(ctx: _Ctx, rng: np.random.Generator, n_random: int,
                xs: list[tuple[str, np.ndarray]]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Gradient trials on the forward's inputs ``xs`` (the matrix-free reference reuses them)."""
    gs = _structured(ctx.out_shape, rng, n_random, "grad_out", light=not ctx.explicit)
    # Random x with every structured grad_out, and every structured x with a
    # random grad_out: one-hots on either side expose off-by-one taps.
    pairs = [(f"{xn}, {gn}", x, g) for (xn, x), (gn, g) in zip(xs[:n_random], gs)]
    pairs += [(f"{xn}, {gs[0][0]}", x, gs[0][1]) for xn, x in xs[n_random:]]
    return pairs


# ---------------------------------------------------------------- measuring
def _measure(name: str, trials: list[_Trial], ctx: _Ctx, failure: str | None,
             what: str, tol: tuple[float, float] | None = None) -> Entry:
    if failure is not None:
        return Entry(name, False, message=failure)
    rtol, atol = ctx.tol(name) if tol is None else tol
    e = Entry(name, True, 0.0, 0.0, None, None, "")
    for t in trials:
        d = np.abs(t.got - t.want)
        scale = float(np.max(np.abs(t.want), initial=0.0))
        dmax = float(np.max(d, initial=0.0))
        if dmax > atol + rtol * scale:
            e.ok = False
        rel = dmax / scale if scale > 0 else (0.0 if dmax == 0 else float("inf"))
        e.max_rel_error = max(e.max_rel_error, rel)
        if dmax > e.max_abs_error or e.worst_index is None:
            e.max_abs_error = dmax
            flat = int(np.argmax(d)) if d.size else 0
            canon = tuple(int(i) for i in np.unravel_index(flat, t.got.shape))
            e.worst_index = ctx.user_index(name, canon)
            e.trial = t.name
    n = len(trials)
    tol_note = f" (rtol={rtol:.2g}, atol={atol:.2g})"
    if e.ok:
        e.message = f"{what} on {n} inputs{tol_note}"
    else:
        e.message = (f"{what} on {n} inputs{tol_note}: largest error {e.max_abs_error:.3g} "
                     f"at {e.worst_index} for input '{e.trial}'")
    return e


# ---------------------------------------------------------------- user results
def _canon(ctx: _Ctx, value: Any, name: str) -> tuple[np.ndarray | None, str]:
    """Validate a user's result in the user's layout; return it in the canonical layout.

    A finite array of the wrong shape comes back too (with a message), axes
    reordered when it has the right number of them, so that it can be diagnosed.
    """
    if name not in ctx.eps and value is not None:
        ctx.eps[name] = result_eps(value)
    if name in ("forward", "input_grad"):
        canon = ctx.out_shape if name == "forward" else ctx.in_shape
        ushape = ctx.layout.data_shape(canon)
        arr, msg = as_result(value, ushape, name)
        if arr is not None and arr.ndim == len(ushape):
            arr = ctx.layout.data_from_user(arr)
        return arr, msg
    if name == "weight_grad":
        ushape = ctx.layout.weight_shape(ctx.w.shape)
        arr, msg = as_result(value, ushape, name)
        if arr is not None and arr.ndim == len(ushape):
            arr = ctx.layout.weight_from_user(arr)
        return arr, msg
    c = ctx.w.shape[0]
    arr, msg = as_result(value, (c,), name)
    if arr is not None and arr.size == c:        # any shape with C entries
        return arr.reshape(c), ""
    return arr, msg


# ---------------------------------------------------------------- hypotheses
Hypothesis = Callable[[list[_Trial]], "str | None"]


def _scale_hint(s: float, ctx: _Ctx) -> str:
    k = int(np.prod(ctx.w.shape[2:]))
    names = {ctx.n_pos: "the number of output positions",
             k: "the number of kernel taps",
             ctx.A.out_shape[0]: "the number of output channels",
             ctx.A.in_shape[0]: "the number of input channels",
             ctx.w.shape[1] * k: "the fan-in: input channels x kernel taps"}
    if ctx.n > 1:
        names[ctx.n] = ("the batch size: a batch mean where the layer sums, or the reverse"
                        + (" (reduction='mean' was given)" if ctx.reduction == "mean" else ""))
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


def _wrong_shape_diagnosis(ctx: _Ctx, xs: list[np.ndarray],
                           gots: list[np.ndarray]) -> str | None:
    """The user's output has another shape: flattened, cropped, or a neighbouring layer's?"""
    if gots[0].size == int(np.prod(ctx.out_shape)):
        if all(g.size == gots[0].size
               and ctx.close(g.reshape(ctx.out_shape), ctx.forward_ref(x))
               for g, x in zip(gots, xs)):
            return (f"right values in the wrong shape: reshape the output to "
                    f"{ctx.layout.data_shape(ctx.out_shape)}")
    if any(g.ndim != len(ctx.out_shape) for g in gots):
        return None
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
        k = int(np.prod(ctx.w.shape[2:]))
        if np.all(flat == flat[0]):
            n = int(flat[0])
            if n in (0, 2):
                return None              # named by "bias is missing" / "bias added twice"
            why = {k: "once per kernel tap",
                   ctx.w.shape[1] * k: "once per kernel tap and input channel (inside the "
                                       "sum over C_in x kernel)",
                   ctx.w.shape[1]: "once per input channel",
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
        hyps.append(_bias_multiple(ctx, xs))
    hyps.append(_scaled(ctx, "output"))
    hyps.append(_permuted(ctx, 1, "output channel"))
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
        arr, msg = _canon(ctx, out.value, "forward")
        if msg or arr is None:              # _canon gives an array whenever msg is ""
            failure = failure or f"{msg} (input '{name}')"
            if arr is not None:
                wrong_shape.append(arr)
                continue
            break
        trials.append(_Trial(name, arr, ctx.forward_ref(x)))
    if wrong_shape and len(wrong_shape) == len(xs):
        entry = Entry("forward", False, message=failure or "")
        entry.diagnosis = _wrong_shape_diagnosis(ctx, [x for _, x in xs], wrong_shape)
        return entry
    what = "forward against A @ x" + (" + bias" if ctx.b is not None else "")
    entry = _measure("forward", trials, ctx, failure, what)
    if not entry.ok and failure is None:
        entry.diagnosis = _diagnose(ctx, trials, _forward_hypotheses(ctx, [x for _, x in xs]))
    return entry


# ---------------------------------------------------------------- gradients
def _position_grads(ctx: _Ctx, x: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """Each output position's contribution to the weight gradient, ``(n_pos, *w.shape)``.

    The taps of ``A`` say which weight multiplies which input for each output;
    the correct gradient is the sum of these rows (summed over the batch).
    """
    if not isinstance(ctx.A, TiedMatrix) or ctx.n_pos * ctx.w.size > 20_000_000:
        return None
    rows, cols, widx = ctx.A.taps
    pos = rows % ctx.n_pos
    vals = (g.reshape(len(g), -1)[:, rows] * x.reshape(len(x), -1)[:, cols]).sum(axis=0)
    size = ctx.w.size
    per = np.bincount(pos * size + widx, vals, minlength=ctx.n_pos * size)
    return per.reshape((ctx.n_pos,) + ctx.w.shape)


def _one_position(ctx: _Ctx, pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    def test(trials: list[_Trial]) -> str | None:
        common: set[int] | None = None
        informative = False
        for t, (_, x, g) in zip(trials, pairs):
            per_full = _position_grads(ctx, x, g)
            if per_full is None:
                return None
            per = per_full.reshape(ctx.n_pos, -1) * ctx.grad_scale()
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
            idx = tuple(int(i) for i in np.unravel_index(p, ctx.A.out_shape[1:]))
            where = f" (output position {idx})"
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
        for pick in (-1, 0):
            def at(i: int, pick: int = pick) -> np.ndarray:
                g = gs[i]
                return scale * g.reshape(g.shape[0], g.shape[1], -1)[:, :, pick].sum(axis=0)
            hyps.append(_predicted(
                ctx, at,
                "bias gradient is grad_out at one position instead of the sum over all "
                "positions"))
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
        reach = (ax.out_size - 1) * ax.stride + ax.span - ax.pad_before
        unread = ax.padded_size - ax.pad_before - ax.pad_after - reach
        if got < size and ax.stride > 1 and (ax.padded_size - ax.span) % ax.stride:
            return (f"{name.replace('_', ' ')} has {got} samples along axis {ua} instead of "
                    f"{size}: the stride {ax.stride} does not divide (size + padding - kernel "
                    f"span), so the last input samples are read by no window"
                    + (f" ({unread} of them)" if unread > 0 else "")
                    + "; they still need a (zero) gradient")
    return None


def _check_grads(ctx: _Ctx, user: UserLayer,
                 pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> list[Entry]:
    names = ["input_grad", "weight_grad", "bias_grad"]
    trials: dict[str, list[_Trial]] = {n: [] for n in names}
    failures: dict[str, str | None] = dict.fromkeys(names)
    wrong: dict[str, np.ndarray | None] = dict.fromkeys(names)
    want_bias = ctx.b is not None
    no_bias_returned = False
    scale = ctx.grad_scale()
    for pname, x, g in pairs:
        out = user.grads(x, g)
        if out.error:
            for n in names:
                failures[n] = failures[n] or f"{out.error} (input '{pname}')"
            break
        gx, gw, gb = out.value
        if gb is not None:
            want_bias = True
        else:
            no_bias_returned = True
        refs = {"input_grad": lambda x=x, g=g: ctx.A.T.apply(g),
                "weight_grad": lambda x=x, g=g: scale * ctx.A.weight_grad(x, g),
                "bias_grad": lambda x=x, g=g: scale * g.sum(axis=(0, *ctx.spatial_axes))}
        for n, val in zip(names, (gx, gw, gb)):
            if failures[n]:
                continue
            if val is None:
                if n != "bias_grad":
                    failures[n] = f"no {n.replace('_', ' ')} returned"
                continue
            arr, msg = _canon(ctx, val, n)
            if msg or arr is None:
                failures[n] = f"{msg} (input '{pname}')"
                wrong[n] = arr
                continue
            trials[n].append(_Trial(pname, arr, refs[n]()))
    entries = []
    red = f", reduction='{ctx.reduction}' over the batch of {ctx.n}" if ctx.n > 1 else ""
    what = {"input_grad": "input gradient against A.T @ grad_out",
            "weight_grad": "weight gradient against A.weight_grad(x, grad_out) "
                           f"(sum over tied positions{red})",
            "bias_grad": f"bias gradient against grad_out summed over positions{red}"}
    for n in names:
        if n == "bias_grad" and not want_bias:
            continue
        if n == "bias_grad" and not trials[n] and failures[n] is None and no_bias_returned:
            entries.append(Entry(n, True, checked=False,
                                 message="not checked: bias= was given but the backward "
                                         "returned no bias gradient (only grad_x, grad_weight)"))
            continue
        e = _measure(n, trials[n], ctx, failures[n], what[n])
        if not e.ok and failures[n] is None:
            e.diagnosis = _diagnose(ctx, trials[n], _grad_hypotheses(ctx, n, pairs))
        elif not e.ok:
            e.diagnosis = _grad_shape_diagnosis(ctx, n, wrong[n])
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
    the forward.  The layer is affine, so a central difference is exact for
    any step: only rounding matters, and it shrinks as the step grows.  The
    step and the tolerance therefore follow the dtype of the forward's results.
    """
    eps = ctx.eps.get("forward", float(np.finfo(np.float64).eps))
    h = 1e-3 if eps < 1e-10 else 1.0
    rtol, atol = ctx.tol("forward", eps)
    fd_tol = (4 * rtol * max(1.0, 1.0 / h), 4 * atol * max(1.0, 1.0 / h))
    if ctx.user_rtol is None:
        fd_tol = (max(fd_tol[0], 1e-9 if eps < 1e-10 else fd_tol[0]), fd_tol[1])

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
            a, m1 = _canon(ctx, plus.value, "forward")
            b, m2 = _canon(ctx, minus.value, "forward")
            if m1 or m2 or a is None or b is None:
                return trials, f"{m1 or m2} (input '{pname}')"
            trials.append(_Trial(pname, (a - b) / (2 * h), expected(x, d)))
        return trials, None

    entries = []
    trials, failure = directional(lambda x, dv: user.forward(x + dv),
                                  lambda: rng.standard_normal(ctx.in_shape),
                                  lambda x, v: ctx.A.apply(v))
    e = _measure("input_grad", trials, ctx, failure,
                 f"no backward given: directional derivatives of forward by central finite "
                 f"differences (step {h:g}) against A @ v (then the input gradient is "
                 f"A.T @ g)", fd_tol)
    if not e.ok and failure is None:
        e.diagnosis = _diagnose(ctx, trials, [_scaled(ctx, "derivative")])
    entries.append(e)
    not_checked = []
    if not user.takes_weight:
        not_checked.append(Entry("weight_grad", True, checked=False, message=(
            "not checked: no backward given and forward takes no weight; pass backward=, a "
            "torch module, or a forward(x, weight)")))
    else:
        trials, failure = directional(lambda x, du: user.forward(x, ctx.w + du),
                                      lambda: rng.standard_normal(ctx.w.shape),
                                      lambda x, u: ctx.A.with_weight(u).apply(x))
        e = _measure("weight_grad", trials, ctx, failure,
                     f"no backward given: derivatives of forward(x, weight) along random "
                     f"weight directions u by central finite differences (step {h:g}) "
                     f"against A(u) @ x", fd_tol)
        entries.append(e)
    if ctx.b is not None and user.takes_bias:
        b0 = ctx.b
        trials, failure = directional(lambda x, du: user.forward(x, ctx.w, b0 + du),
                                      lambda: rng.standard_normal(b0.shape),
                                      lambda x, u: np.broadcast_to(
                                          u.reshape((1, -1) + (1,) * ctx.nd), ctx.out_shape))
        entries.append(_measure(
            "bias_grad", trials, ctx, failure,
            f"no backward given: derivatives of forward(x, weight, bias) along random bias "
            f"directions u by central finite differences (step {h:g}) against u broadcast "
            f"over the positions", fd_tol))
    elif ctx.b is not None:
        not_checked.append(Entry("bias_grad", True, checked=False, message=(
            "not checked: no backward given and forward takes no bias (the bias gradient "
            "needs backward=, a torch module or a forward(x, weight, bias))")))
    return entries + not_checked


def _validate_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    return as_finite_real(timeout, "timeout", positive=True)


# ---------------------------------------------------------------- public
def check_layer(forward: Any, weight: Any, input_shape: tuple[int, ...], *,
                backward: Callable[..., Any] | None = None, bias: Any = None,
                rtol: float | None = None, atol: float | None = None, seed: int = 0,
                n_random: int | None = None, batch: int | None = None,
                reduction: Literal["sum", "mean"] = "sum",
                data_format: str | None = None, weight_format: str | None = None,
                api: Literal["auto", "cache"] = "auto", grads: Callable[[], Any] | None = None,
                timeout: float | None = 60.0,
                reference: Literal["auto", "matrix", "matrix-free"] = "auto",
                **layer_kwargs: Any) -> Report:
    """Check a hand-written conv layer against the exact matrix of the layer.

    Parameters
    ----------
    forward : callable, torch.nn.Module or torch.autograd.Function
        ``forward(x) -> y`` on numpy arrays (``x`` of ``input_shape`` in
        ``data_format``, with a leading batch axis of ``batch`` images when
        ``batch`` is given); it may also take ``(x, weight)`` or
        ``(x, weight, bias)``.  A ``torch.nn.Module`` is run on a copy (in
        its own dtype) and differentiated by autograd; a ``torch.autograd.Function`` is
        called as ``Fn.apply(x, weight[, bias])``.  A JAX function works like
        a numpy one.  With ``api="cache"``: ``forward(x, w, b, conv_param)
        -> (out, cache)`` (the CS231n protocol; batched; ``conv_param`` is
        ``{"stride": ..., "pad": ...}``).
    weight : array_like or None
        The layer's weight in ``weight_format`` (default
        ``(C_out, C_in // groups, *kernel)``).  ``None`` for a torch module:
        its own ``weight`` (and ``bias``, unless ``bias=`` is given) are used.
    input_shape : tuple of int
        ``(C_in, *spatial)`` (without the batch axis, in canonical order
        whatever the ``data_format``).
    backward : callable, optional
        ``backward(x, grad_out) -> (grad_x, grad_weight[, grad_bias])`` for a
        numpy layer (batched like ``forward``; weight and bias gradients
        summed over the batch, see ``reduction``); with ``grads=``, it may
        return ``grad_x`` alone.  With ``api="cache"``:
        ``backward(dout, cache) -> (dx, dw, db)``.  Without a backward the
        gradients are checked by finite differences of ``forward``.
    bias : array_like, optional
        One value per output channel, any shape with ``C_out`` entries
        (``(C,)``, ``(C, 1)``, ``(1, 1, 1, C)``); the user's code receives it
        in that shape.
    rtol, atol : float or None
        A check passes when ``|got - want| <= atol + rtol * max|want|`` for
        every trial.  ``None`` (default): from the dtype of the user's
        results and the number of products summed per value (the fan-in), so
        that correct float32, float16 or bfloat16 code passes.
    seed : int
        Seed of the random trial inputs (>= 0).
    n_random : int or None
        Random inputs per check (1 to 64), besides the structured ones
        (one-hots at the first, centre and last position, and a ramp).
        ``None``: 3, or 1 for a large layer checked matrix-free (whose
        structured inputs are then a single one-hot, to keep the check at
        tens of forward passes).
    batch : int or None
        Images per call; ``None`` for a layer without a batch axis.
    reduction : {'sum', 'mean'}
        Whether the layer's weight and bias gradients are the sum over the
        batch (PyTorch) or its mean.
    data_format, weight_format : str or None
        The user's layouts with JAX's/TensorFlow's letters: ``"NCHW"``,
        ``"NHWC"`` (``"NCW"``, ``"NWC"``, ``"NCDHW"``, ``"NDHWC"``; without
        the ``N`` when ``batch`` is None), and ``"OIHW"``, ``"HWIO"``,
        ``"OHWI"``, ``"IOHW"`` (and 1-D/3-D analogues).  Report indices are
        given in these layouts.
    api : {'auto', 'cache'}
        ``'cache'`` for the ``(out, cache)`` protocol above.
    grads : callable, optional
        For layer objects whose backward stores the gradients: called after
        each backward, it returns ``(grad_weight[, grad_bias])`` or a dict
        (keys such as ``"weight"``/``"dw"``/``"W"`` and ``"bias"``/``"db"``).
    timeout : float or None
        Seconds allowed per call of the user's code (default 60); a call that
        does not return is a failed entry.  User code runs in a worker thread.
    reference : {'auto', 'matrix', 'matrix-free'}
        The explicit matrix (small layers) or an im2col computation from the
        same geometry (large layers; ``'auto'`` chooses by size).
    **layer_kwargs
        ``stride``, ``padding``, ``dilation``, ``groups``, ``padding_mode`` as
        in :func:`~toeplitz_conv.layer_matrix` (``padding`` also ``"SAME"``/
        ``"VALID"`` and per-side ``((before, after), ...)``).

    Returns
    -------
    Report
        ``.ok`` and entries ``forward``, ``input_grad``, ``weight_grad`` (and
        ``bias_grad`` with a bias), each with errors, worst index and a
        diagnosis when a known mistake explains the failure; entries that
        could not be checked say so.

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

    A batched, channels-last float32 layer:

    >>> def nhwc(x):                     # x: (N, H, W, C_in) float32
    ...     out = np.stack([correlate(im[..., 0], w[0, 0], mode="valid") for im in x])
    ...     return out[..., None].astype(np.float32)
    >>> check_layer(nhwc, w, (1, 6, 6), batch=2, data_format="NHWC").ok
    True
    """
    choose(api, "api", ("auto", "cache"))
    choose(reduction, "reduction", ("sum", "mean"))
    rtol_v = None if rtol is None else as_tolerance(rtol, "rtol")
    atol_v = None if atol is None else as_tolerance(atol, "atol")
    seed = as_int(seed, "seed", minimum=0)
    n_random = None if n_random is None else as_positive_int(n_random, "n_random")
    if n_random is not None and n_random > _MAX_RANDOM:
        raise ValueError(f"n_random must be <= {_MAX_RANDOM}, got {n_random}")
    timeout_v = _validate_timeout(timeout)
    if api == "cache" and batch is None:
        batch = 2                      # the protocol is batched
    if weight is None:
        from ._user import describe_kind
        if describe_kind(forward) != "module":
            raise TypeError("weight=None is only for a torch.nn.Module (which has its own "
                            "weight); pass the layer's weight")
        weight, own_bias = module_params(forward)
        if weight is None:
            raise ValueError("weight=None but the module has no 'weight' attribute; pass "
                             "weight= explicitly")
        if bias is None and own_bias is not None:
            bias = own_bias
    w_user = as_kernel(weight, "weight", min_ndim=3, max_ndim=5)
    if w_user.dtype.kind == "c":
        raise TypeError("weight must be real (a conv layer's weight), got a complex array")
    nd = w_user.ndim - 2
    layout = Layout(nd, data_format=data_format, weight_format=weight_format, batch=batch)
    w = np.ascontiguousarray(layout.weight_from_user(w_user.astype(np.float64)))
    A = _reference_for(w, input_shape, reference, layer_kwargs)
    b = None
    if bias is not None:
        b, layout.bias_shape = as_bias(bias, w.shape[0])
    conv_param = _conv_param(layer_kwargs) if api == "cache" else None
    user = UserLayer(forward, w, b, backward, layout=layout, api=api, grads=grads,
                     conv_param=conv_param, timeout=timeout_v)
    ctx = _Ctx(A, w, b, tuple(A.in_shape), layer_kwargs, rtol_v, atol_v, layout,
               method=reference, reduction=reduction)
    if n_random is None:
        n_random = 3 if ctx.explicit else 1
    rng = np.random.default_rng(seed)
    xs = _structured(ctx.in_shape, rng, n_random, "x", light=not ctx.explicit)
    entries = [_check_forward(ctx, user, xs)]
    if user.notes:
        entries[0].message += "; note: " + "; ".join(user.notes)
    pairs = _grad_pairs(ctx, rng, n_random, xs)
    if user.has_grads:
        entries += _check_grads(ctx, user, pairs)
    else:
        entries += _check_finite_differences(ctx, user, pairs, rng)
    kind = {"module": "torch module", "function": "torch autograd Function",
            "numpy": "layer", "cache": "layer (cache API)"}[user.kind]
    extra = []
    if batch is not None:
        extra.append(f"batch {batch}")
    if not layout.default:
        extra.append(f"{layout.data_format}/{layout.weight_format}")
    title = f"{kind} check" + (f" ({', '.join(extra)})" if extra else "")
    return Report(entries, title=title)


def _reference_for(w: np.ndarray, input_shape: Any, method: str,
                   layer_kwargs: dict[str, Any]) -> Reference:
    choose(method, "reference", ("auto", "matrix", "matrix-free"))
    unknown = set(layer_kwargs) - {"stride", "padding", "dilation", "groups", "padding_mode"}
    if unknown:
        raise TypeError(f"check_layer got unexpected keyword argument(s) {sorted(unknown)}; "
                        "layer options are stride, padding, dilation, groups, padding_mode")
    return reference(w, input_shape, method=method, **layer_kwargs)  # type: ignore[arg-type]


def _conv_param(layer_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The CS231n ``conv_param``: one int stride and pad (the protocol has no others)."""
    stride = layer_kwargs.get("stride", 1)
    pad = layer_kwargs.get("padding", 0)
    for name, v in (("stride", stride), ("padding", pad)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            vals = set(v) if isinstance(v, (tuple, list)) else {None}
            if len(vals) != 1 or not isinstance(next(iter(vals)), (int, np.integer)):
                raise ValueError(f"api='cache' passes conv_param={{'stride', 'pad'}} as single "
                                 f"ints; {name}={v!r} cannot be written that way")
    s = stride if isinstance(stride, (int, np.integer)) else stride[0]
    p = pad if isinstance(pad, (int, np.integer)) else pad[0]
    return {"stride": int(s), "pad": int(p)}

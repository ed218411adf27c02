"""``check_layer(..., kind="transposed")``: a transposed convolution against its matrix.

The reference is :func:`~toeplitz_conv.transposed_layer_matrix` (PyTorch's
``conv_transpose``, weight ``(C_in, C_out // groups, *kernel)``, TensorFlow's
and JAX's ``'SAME'``/``'VALID'`` paddings), or for a large layer the same
three quantities matrix-free: a transposed convolution is the adjoint of the
forward correlation on its output (:func:`~toeplitz_conv.layers._transposed_geometry`),
so ``T @ x`` is that correlation's ``A.T @ x``, ``T.T @ g`` its ``A @ g`` and
the weight gradient its weight gradient with the roles of ``x`` and ``g``
exchanged.

The conv engine of :mod:`._layer` runs the checks (batch, layouts, dtype
tolerances, the cache API, finite differences); this module gives it the
reference and the transposed layer's own bug catalogue: the kernel flipped
(a correlation of the zero-inserted input needs it flipped, a scatter of
``x[i] * w`` does not), ``output_padding`` ignored, the stride applied as an
ordinary conv stride, the padding off by one or on the wrong side, and the
weight gradient overwritten at one input position.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import as_groups, as_int_tuple, as_kernel, as_shape, choose
from ..geometry import full_padding
from ..layers import _channels, _transposed_geometry, layer_matrix, transposed_layer_matrix
from ..tied import TiedMatrix
from ._context import _HYP_RTOL, FAN_OUT, _Ctx, _Trial
from ._hypotheses import (
    Hypothesis,
    _bias_for,
    _cropped_diagnosis,
    _embed,
    _grad_hypotheses,
    _one_image,
    _output_hypotheses,
    _permuted,
    _predicted,
    _reshape_hint,
    _scaled,
    _shifted,
)
from ._layout import Layout, as_bias
from ._operator import EXPLICIT_MAX_TAPS, ImColReference

__all__ = ["TransposedReference", "transposed_context"]

_KEYS = ("stride", "padding", "output_padding", "dilation", "groups", "output_size")
_STRINGS = ("SAME", "SAME_LOWER", "VALID")


class _Adjoint:
    def __init__(self, fwd: ImColReference) -> None:
        self._f = fwd
        self.in_shape, self.out_shape = fwd.in_shape, fwd.out_shape

    def apply(self, g: Any) -> np.ndarray:
        return self._f.apply(g)


class TransposedReference:
    """``T @ x``, ``T.T @ g`` and the weight gradient of a transposed layer, matrix-free.

    ``fwd`` is the forward correlation ``A`` with ``T = A.T``.

    Examples
    --------
    >>> from toeplitz_conv import transposed_layer_matrix
    >>> rng = np.random.default_rng(0)
    >>> w, x = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal((2, 4, 5))
    >>> ref = transposed_reference(w, (2, 4, 5), "matrix-free", {"stride": 2, "padding": 1})
    >>> T = transposed_layer_matrix(w, (2, 4, 5), stride=2, padding=1)
    >>> bool(np.allclose(ref.apply(x), T.apply(x)))
    True
    """

    def __init__(self, fwd: ImColReference) -> None:
        self._f = fwd
        self.in_shape, self.out_shape = fwd.out_shape, fwd.in_shape
        self.T = _Adjoint(fwd)

    def apply(self, x: Any) -> np.ndarray:
        return self._f.rmatvec(x)

    def weight_grad(self, x: Any, g: Any) -> np.ndarray:
        # <g, A(w).T x> = <A(w) g, x>: the correlation's gradient at (g, x).
        return self._f.weight_grad(g, x)

    def with_weight(self, weight: np.ndarray) -> TransposedReference:
        return TransposedReference(self._f.with_weight(weight))


Ref = TiedMatrix | TransposedReference


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    unknown = set(kwargs) - set(_KEYS)
    if unknown:
        raise TypeError(f"kind='transposed' got unexpected keyword argument(s) "
                        f"{sorted(unknown)}; its options are {', '.join(_KEYS)}")
    return dict(kwargs)


def transposed_reference(w: np.ndarray, input_shape: Any, method: str,
                         kwargs: dict[str, Any]) -> Ref:
    """The explicit matrix when small (or ``method="matrix"``), else matrix-free."""
    choose(method, "reference", ("auto", "matrix", "matrix-free"))
    kw = _options(kwargs)
    if method == "matrix":
        return transposed_layer_matrix(w, input_shape, **kw)
    shape, groups = _channels(w, input_shape, kw.get("groups", 1))
    as_groups(groups, [(shape[0], "the input channels")])
    if w.shape[0] != shape[0]:
        raise ValueError(f"weight.shape[0] ({w.shape[0]}) must equal the input channels "
                         f"input_shape[0] = {shape[0]} for a transposed convolution")
    c_out = w.shape[1] * groups
    geom = _transposed_geometry(w.shape[2:], shape[1:], c_out,
                                **{k: kw.get(k, d) for k, d in (
                                    ("stride", 1), ("padding", 0), ("output_padding", 0),
                                    ("dilation", 1), ("output_size", None))})
    taps = shape[0] * math.prod(shape[1:]) * w.shape[1] * math.prod(w.shape[2:])
    if method == "auto" and taps <= EXPLICIT_MAX_TAPS:
        return transposed_layer_matrix(w, input_shape, **kw)
    return TransposedReference(ImColReference(w, geom, c_out, groups))


class TransposedCtx(_Ctx):
    """The conv engine's context for a transposed layer: its reference and catalogue."""

    def __init__(self, w: np.ndarray, b: np.ndarray | None, input_shape: tuple[int, ...],
                 kwargs: dict[str, Any], rtol: float | None, atol: float | None,
                 layout: Layout, method: str, reduction: str) -> None:
        A = transposed_reference(w, input_shape, method, kwargs)
        super().__init__(A, w, b, input_shape, kwargs, rtol, atol, layout,  # type: ignore[arg-type]
                         method=method, reduction=reduction)
        groups = int(kwargs.get("groups", 1))
        k = math.prod(w.shape[2:])
        n_in = math.prod(A.in_shape[1:])
        self.n_in_pos = n_in
        self.fan_in = {"forward": w.shape[0] // groups * k, "input_grad": w.shape[1] * k,
                       "weight_grad": self.n * n_in, "bias_grad": self.n * self.n_pos}
        self.geometry = _transposed_geometry(
            w.shape[2:], tuple(A.in_shape[1:]), A.out_shape[0],
            **{k2: kwargs.get(k2, d) for k2, d in (
                ("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1),
                ("output_size", None))})
        self.catalogue = _TransposedCatalogue()

    def scale_labels(self) -> dict[int, str]:
        """A transposed layer's: its weight ``(C_in, C_out // groups, *k)``, its input positions."""
        names = super().scale_labels()
        if names.get(self.fan_in["input_grad"]) == FAN_OUT:
            names[self.fan_in["input_grad"]] = (
                "output channels x kernel taps: the fan-in of the convolution this layer "
                "transposes (what torch's fan_in reads from this weight)")
        names.setdefault(self.n_in_pos, "the number of input positions (the weight gradient "
                                        "sums over them)")
        return names

    def alt(self, weight: np.ndarray | None = None, key: Any = None,
            **changes: Any) -> Any:
        """The transposed layer with another weight or other options (None if invalid)."""
        k = (key, tuple(sorted((n, repr(v)) for n, v in changes.items())))
        if key is not None and k in self._alts:
            return self._alts[k]
        opts = {**self.kwargs, **changes}
        try:
            m: Any = transposed_reference(self.w if weight is None else weight,
                                          self.input_shape, self.method, opts)
        except (ValueError, TypeError, MemoryError):
            m = None
        if key is not None:
            self._alts[k] = m
        return m


def transposed_context(weight: Any, input_shape: Any, bias: Any,
                       formats: dict[str, Any], method: str, kwargs: dict[str, Any],
                       rtol: float | None, atol: float | None, reduction: str) -> TransposedCtx:
    """Validate a transposed layer's weight, shapes and bias; its context for the engine.

    ``formats`` holds ``data_format``, ``weight_format`` and ``batch``; the
    weight formats use the letters of the forward convolution, as in
    :func:`~toeplitz_conv.transposed_layer_matrix` (``"OIHW"``: PyTorch's
    ``(C_in, C_out // groups, kh, kw)``; ``"HWIO"``: TensorFlow's
    ``(kh, kw, C_out, C_in)``).
    """
    w_user = as_kernel(weight, "weight", min_ndim=3, max_ndim=5)
    if w_user.dtype.kind == "c":
        raise TypeError("weight must be real (a transposed layer's weight), got a complex array")
    nd = w_user.ndim - 2
    layout = Layout(nd, **formats)
    w = np.ascontiguousarray(layout.weight_from_user(w_user.astype(np.float64)))
    shape = input_shape
    if formats.get("data_format") is not None:
        shape = layout.sample_from_user(as_shape(input_shape), w.shape[0])
    kw = _options(kwargs)
    groups = kw.get("groups", 1)
    g = int(groups) if isinstance(groups, (int, np.integer)) and not isinstance(groups, bool) \
        else 1
    b = None
    if bias is not None:
        b, layout.bias_shape = as_bias(bias, w.shape[1] * g)
    return TransposedCtx(w, b, tuple(shape), kw, rtol, atol, layout, method, reduction)


# ---------------------------------------------------------------- the catalogue
def _pads(ctx: TransposedCtx) -> tuple[tuple[int, int], ...]:
    return tuple((a.pad_before, a.pad_after) for a in ctx.geometry.axes)


def _neighbours(ctx: TransposedCtx) -> list[tuple[str, dict[str, Any], str]]:
    """Transposed layers one mistake away: ``(cause, changed options, what the layer has)``."""
    nd = ctx.nd
    stride = tuple(a.stride for a in ctx.geometry.axes)
    dil = tuple(a.dilation for a in ctx.geometry.axes)
    op = as_int_tuple(ctx.kwargs.get("output_padding", 0), nd, "output_padding", minimum=0)
    padding = ctx.kwargs.get("padding", 0)
    out: list[tuple[str, dict[str, Any], str]] = []
    if any(op):
        out.append(("output_padding ignored", {"output_padding": 0},
                    f"output_padding={op}"))
    if isinstance(padding, str):
        for other in _STRINGS:
            if other != padding.upper():
                out.append(("padding misapplied", {"padding": other},
                            f"padding={padding!r}"))
    else:
        pads = _pads(ctx)
        before = tuple(p for p, _ in pads)
        symmetric = all(p == q for p, q in pads)
        for d in (1, -1):
            alt = tuple(p + d for p in before)
            if symmetric and min(alt) >= 0:
                out.append(("padding off by one", {"padding": alt},
                            f"padding={before}"))
    one = (1,) * nd
    if stride != one:
        out.append(("stride ignored", {"stride": 1, "output_padding": 0},
                    f"stride={stride}"))
    if dil != one:
        out.append(("dilation ignored", {"dilation": 1}, f"dilation={dil}"))
    return out


def _conv_strided(ctx: TransposedCtx) -> TiedMatrix | None:
    """The mistake "stride applied as a conv stride": a strided correlation with the flipped kernel.

    A transposed convolution is a stride-1 correlation of the zero-inserted
    input, padded by ``full_padding - padding``, with the kernel flipped and
    its channel axes swapped.  Without the zeros inserted, the same
    correlation with the stride as an ordinary conv stride gives a smaller
    output.
    """
    axes = ctx.geometry.axes
    if all(a.stride == 1 for a in axes) or int(ctx.kwargs.get("groups", 1)) != 1:
        return None
    conv_w = np.flip(np.swapaxes(ctx.w, 0, 1), axis=tuple(range(2, ctx.w.ndim)))
    pads = []
    for a, k in zip(axes, ctx.w.shape[2:]):
        full = full_padding(k, a.dilation)
        pads.append((full - a.pad_before, full - a.pad_after))
    if min(min(p) for p in pads) < 0:
        return None
    try:
        return layer_matrix(conv_w, ctx.input_shape, stride=tuple(a.stride for a in axes),
                            padding=tuple(pads), dilation=tuple(a.dilation for a in axes))
    except (ValueError, TypeError, MemoryError):
        return None


def _matches(ctx: TransposedCtx, gots: list[np.ndarray], wants: list[np.ndarray],
             embed: bool) -> bool:
    for got, want in zip(gots, wants):
        if embed:
            want = _embed(want, got.shape)
        if not ctx.close(got, want):
            return False
    return bool(gots)


def _neighbour_fit(ctx: TransposedCtx, xs: list[np.ndarray], gots: list[np.ndarray],
                   embed: bool) -> str | None:
    """Is the user's output a neighbouring transposed layer's (zero-filled to its shape)?"""
    if any(g.shape != gots[0].shape for g in gots):
        return None
    for cause, change, have in _neighbours(ctx):
        desc = ", ".join(f"{k}={v!r}" for k, v in change.items())
        m = ctx.alt(key=("neighbour", desc), **change)
        if m is None or (not embed and (ctx.n, *m.out_shape) != gots[0].shape):
            continue
        if _matches(ctx, gots, [m.apply(x) + _bias_for(ctx, m) for x in xs], embed):
            fill = " (the rest left at zero)" if embed else ""
            return f"{cause}: your output is the layer with {desc}{fill} (the layer has {have})"
    conv = _conv_strided(ctx)
    if conv is not None and (embed or (ctx.n, *conv.out_shape) == gots[0].shape):
        bias = _bias_for(ctx, conv)
        if _matches(ctx, gots, [conv.apply(x) + bias for x in xs], embed):
            s = tuple(a.stride for a in ctx.geometry.axes)
            return (f"stride applied as a conv stride: your output is a correlation with "
                    f"stride {s} over the padded input; a transposed convolution inserts "
                    f"stride - 1 zeros between the inputs and correlates with stride 1")
    return None


def _one_input_position(ctx: TransposedCtx,
                        pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    """The weight gradient of one input position (each weight is tied over the inputs)."""
    def test(trials: list[_Trial]) -> str | None:
        A = ctx.A
        if not isinstance(A, TiedMatrix) or ctx.n_in_pos * ctx.w.size > 20_000_000:
            return None
        rows, cols, widx = A.taps
        pos = cols % ctx.n_in_pos
        common: set[int] | None = None
        informative = False
        for t, (_, x, g) in zip(trials, pairs):
            n = len(x)
            each = (g.reshape(n, -1)[:, rows] * x.reshape(n, -1)[:, cols]).sum(axis=0)
            summed = np.bincount(pos * ctx.w.size + widx, each,
                                 minlength=ctx.n_in_pos * ctx.w.size)
            per = summed.reshape(ctx.n_in_pos, -1) * ctx.grad_scale()
            scale = max(float(np.max(np.abs(per), initial=0.0)), 1e-300)
            err = np.max(np.abs(per - t.got.ravel()[None, :]), axis=1)
            hits = set(np.flatnonzero(err <= ctx.atol * 1e-3 + _HYP_RTOL * scale).tolist())
            if not hits:
                return None
            informative = informative or any(np.any(per[h] != 0) for h in hits)
            common = hits if common is None else common & hits
        if not informative:
            return None
        where = ""
        if common:
            idx = tuple(int(i) for i in np.unravel_index(min(common), A.in_shape[1:]))
            where = f" (input position {idx})"
        return (f"weight gradient equals one input position's contribution{where} instead "
                f"of the sum over all {ctx.n_in_pos} input positions (overwritten instead "
                f"of accumulated?)")
    return test


def _weight_variants(ctx: TransposedCtx) -> list[tuple[np.ndarray, str]]:
    w = ctx.w
    out: list[tuple[np.ndarray, str]] = []
    if w.shape[0] == w.shape[1] and int(ctx.kwargs.get("groups", 1)) == 1:
        out.append((np.swapaxes(w, 0, 1),
                    "weight channel axes swapped: you used weight[c_out, c_in] where a "
                    "transposed layer's weight is (C_in, C_out // groups, *kernel) "
                    "(channel mix-up)"))
    if ctx.nd >= 2 and w.shape[-1] == w.shape[-2]:
        t = np.swapaxes(w, -1, -2)
        if not np.array_equal(t, w):
            out.append((t, "kernel rows and columns transposed: you used weight[..., j, i] "
                           "where the layer uses weight[..., i, j]"))
    return out


_FLIP = ("kernel flipped: your output is the transposed convolution with the kernel "
         "reversed (as a correlation of the zero-inserted input the kernel must be flipped; "
         "as a scatter of x[i] * weight it must not)")


class _TransposedCatalogue:
    """The transposed layer's bug hypotheses, in the conv catalogue's interface."""

    def forward(self, ctx: TransposedCtx, xs: list[np.ndarray]) -> list[Hypothesis]:
        bias = ctx.bias_field()
        hyps = _output_hypotheses(ctx, xs, bias, _FLIP)
        for j, (wv, text) in enumerate(_weight_variants(ctx)):
            def predict(i: int, wv: np.ndarray = wv, j: int = j) -> np.ndarray | None:
                m = ctx.alt(wv, key=("variant", j))
                return None if m is None else m.apply(xs[i]) + bias
            hyps.append(_predicted(ctx, predict, text))
        hyps.append(lambda trials: _neighbour_fit(ctx, xs, [t.got for t in trials], True))
        hyps.append(_shifted(ctx, ctx.spatial_axes, "output"))
        return hyps

    def wrong_shape(self, ctx: TransposedCtx, xs: list[np.ndarray],
                    gots: list[np.ndarray]) -> str | None:
        hint = _reshape_hint(ctx, xs, gots)
        if hint is not None or any(g.ndim != len(ctx.out_shape) for g in gots):
            return hint
        return _neighbour_fit(ctx, xs, gots, False) or _cropped_diagnosis(ctx, xs, gots)

    def grads(self, ctx: TransposedCtx, name: str,
              pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> list[Hypothesis]:
        if name == "bias_grad":
            return _grad_hypotheses(ctx, name, pairs)     # the conv layer's: per output channel
        gs = [g for _, _, g in pairs]
        scale = ctx.grad_scale()
        hyps: list[Hypothesis] = []
        if name == "input_grad":
            flipped = ctx.alt(ctx.flipped_w, key="flip")
            if flipped is not None and not np.array_equal(ctx.flipped_w, ctx.w):
                hyps.append(_predicted(
                    ctx, lambda i: flipped.T.apply(gs[i]),
                    "input gradient uses the flipped kernel: T.T @ g is a strided "
                    "correlation of grad_out with the kernel as it is"))
            hyps.append(_scaled(ctx, "input gradient"))
            hyps.append(_permuted(ctx, 1, "input-gradient channel"))
            hyps.append(_grad_neighbours(ctx, pairs))
            hyps.append(_shifted(ctx, ctx.spatial_axes, "input gradient"))
            return hyps
        hyps.append(_one_image(ctx, name, pairs, ctx.A.weight_grad))
        hyps.append(_one_input_position(ctx, pairs))
        hyps.append(_scaled(ctx, "weight gradient"))
        hyps.append(_predicted(
            ctx, lambda i: scale * np.flip(ctx.A.weight_grad(pairs[i][1], pairs[i][2]),
                                           axis=tuple(range(2, ctx.w.ndim))),
            "weight gradient is flipped"))
        hyps.append(_permuted(ctx, 0, "weight-gradient input channel"))
        hyps.append(_permuted(ctx, 1, "weight-gradient output channel"))
        if ctx.w.shape[0] == ctx.w.shape[1]:
            hyps.append(_predicted(
                ctx, lambda i: scale * np.swapaxes(
                    ctx.A.weight_grad(pairs[i][1], pairs[i][2]), 0, 1),
                "weight gradient channel axes swapped (grad[c_out, c_in] instead of "
                "grad[c_in, c_out])"))
        return hyps

    def grad_shape(self, ctx: TransposedCtx, name: str, arr: np.ndarray | None) -> str | None:
        return None


def _grad_neighbours(ctx: TransposedCtx,
                     pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> Hypothesis:
    """The input gradient of a neighbouring transposed layer (grad_out cropped or zero-filled)."""
    def test(trials: list[_Trial]) -> str | None:
        for cause, change, have in _neighbours(ctx):
            desc = ", ".join(f"{k}={v!r}" for k, v in change.items())
            m = ctx.alt(key=("neighbour", desc), **change)
            if m is None:
                continue
            wants = [m.T.apply(_embed(g, (ctx.n, *m.out_shape))) for _, _, g in pairs]
            if _matches(ctx, [t.got for t in trials], wants, False):
                return (f"backward uses the wrong geometry ({cause}): your input gradient is "
                        f"that of the layer with {desc} (the layer has {have})")
        return None
    return test


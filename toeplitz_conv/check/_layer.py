"""`check_layer`: a user's conv layer against the exact matrix of the layer.

The reference is ``A = layer_matrix(weight, input_shape, ...)``: the forward
pass is ``A @ x (+ bias)``, the input gradient ``A.T @ g``, the weight
gradient ``A.weight_grad(x, g)`` (the sum over each weight's tied positions,
and over the batch) and the bias gradient ``g`` summed over the spatial axes
and the batch.  A large layer's reference is computed matrix-free from the
same geometry (see :mod:`._operator`).

Internally every array is in the canonical layout ``(N, C, *spatial)``
(``N = 1`` for a layer without a batch axis) and weights are
``(C_out, C_in // groups, *kernel)``; the user's code sees its own layout
(:mod:`._layout`) and the report's indices are given back in it.

When a check fails, the diagnosis comes from the catalogue of named bug
hypotheses (:mod:`._hypotheses`), each tested against the user's results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .._validation import (
    as_int,
    as_kernel,
    as_positive_int,
    as_shape,
    choose,
)
from ._context import _Ctx, _Trial, random_trial
from ._data_matrix_kind import check_data_matrix
from ._hypotheses import (
    _diagnose,
    _forward_hypotheses,
    _grad_hypotheses,
    _grad_shape_diagnosis,
    _scaled,
    _wrong_shape_diagnosis,
)
from ._isolate import ProcessLayer
from ._layout import Layout, as_bias
from ._local_kind import local_context, tiled_context
from ._operator import Reference, reference, single_threaded_blas
from ._pool_kind import check_pool
from ._report import Entry, Report, worst_difference
from ._signal_kind import as_signal_layer, signal_report
from ._transposed_kind import transposed_context
from ._user import (
    UserLayer,
    as_result,
    as_timeout,
    as_tolerance,
    describe_kind,
    module_params,
    result_eps,
)

__all__ = ["check_layer"]

_MAX_RANDOM = 64


class _ConvCatalogue:
    """The conv layer's bug catalogue (:mod:`._hypotheses`).

    Kinds with their own (transposed, local, tiled) carry one with the same
    four methods on their context, as ``ctx.catalogue``.
    """

    forward = staticmethod(_forward_hypotheses)
    wrong_shape = staticmethod(_wrong_shape_diagnosis)
    grads = staticmethod(_grad_hypotheses)
    grad_shape = staticmethod(_grad_shape_diagnosis)


def _catalogue(ctx: _Ctx) -> Any:
    return getattr(ctx, "catalogue", _ConvCatalogue)


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
    padding mistakes show) only; the checks add the one-hot to a failing
    check alone (see :func:`_widened`).
    """
    out = [(f"random {tag} #{i}", random_trial(rng, shape)) for i in range(n_random)]
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
        dmax, flat, scale = worst_difference(t.got, t.want)
        if dmax > atol + rtol * scale:
            e.ok = False
        rel = dmax / scale if scale > 0 else (0.0 if dmax == 0 else float("inf"))
        e.max_rel_error = max(e.max_rel_error, rel)
        if dmax > e.max_abs_error or e.worst_index is None:
            e.max_abs_error = dmax
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
    c = ctx.A.out_shape[0]                       # the output channels, whatever the kind
    arr, msg = as_result(value, (c,), name)
    if arr is not None and arr.size == c:        # any shape with C entries
        return arr.reshape(c), ""
    return arr, msg


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
        with ctx.products("forward"):
            trials.append(_Trial(name, arr, ctx.forward_ref(x)))
    if wrong_shape and len(wrong_shape) == len(xs):
        entry = Entry("forward", False, message=failure or "")
        entry.diagnosis = _catalogue(ctx).wrong_shape(ctx, [x for _, x in xs], wrong_shape)
        return entry
    what = "forward against A @ x" + (" + bias" if ctx.b is not None else "")
    entry = _measure("forward", trials, ctx, failure, what)
    if not entry.ok and failure is None:
        entry.diagnosis = (_nondeterminism(ctx, user, xs, trials)
                           or _diagnose(ctx, trials,
                                        _catalogue(ctx).forward(ctx, [x for _, x in xs])))
    return entry


def _nondeterminism(ctx: _Ctx, user: Any, xs: list[tuple[str, np.ndarray]],
                    trials: list[_Trial]) -> str | None:
    """A second call on the same input: a layer whose output changes is not a wrong matrix."""
    for (name, x), t in list(zip(xs, trials))[:2]:
        again = user.forward(x)
        if again.error:
            return None
        arr, msg = _canon(ctx, again.value, "forward")
        if msg or arr is None:
            return None
        rtol, atol = ctx.tol("forward")
        diff = float(np.max(np.abs(arr - t.got), initial=0.0))
        scale = float(np.max(np.abs(t.got), initial=0.0))
        if diff > atol + rtol * scale:
            return (f"non-deterministic: two calls on the same input '{name}' gave outputs "
                    f"differing by up to {diff:.3g} (random state, dropout, or state kept "
                    f"between calls), so no fixed matrix can describe it")
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
            with ctx.products(n):
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
            e.diagnosis = _diagnose(ctx, trials[n], _catalogue(ctx).grads(ctx, n, pairs))
        elif not e.ok:
            e.diagnosis = _catalogue(ctx).grad_shape(ctx, n, wrong[n])
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


# ---------------------------------------------------------------- public
def check_layer(forward: Any, weight: Any, input_shape: tuple[int, ...], *,
                backward: Callable[..., Any] | None = None, bias: Any = None,
                rtol: float | None = None, atol: float | None = None, seed: int = 0,
                n_random: int | None = None, batch: int | None = None,
                reduction: Literal["sum", "mean"] = "sum",
                data_format: str | None = None, weight_format: str | None = None,
                api: Literal["auto", "cache"] = "auto", grads: Callable[[], Any] | None = None,
                timeout: float | None = 60.0,
                isolation: Literal["none", "process"] = "none",
                kind: Literal["conv", "signal", "avg_pool", "max_pool", "lp_pool", "transposed",
                              "local", "tiled", "data_matrix"] = "conv",
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
        One sample's shape, without the batch axis: ``(C_in, *spatial)``,
        or in ``data_format``'s order when it is given (``(H, W, C_in)`` for
        ``"NHWC"``), like the arrays the layer receives; a shape that fits
        only the other order is refused with the order expected.
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
        ``None``: 3, or 1 for a large layer checked matrix-free and for a
        pooling layer whose input holds more than 2**16 values (one input
        already puts every window, border ones included, thousands of times
        over).  A large layer is decided on its random inputs alone (a
        linear map that differs from the layer's differs on almost every
        input); its structured input, a single one-hot at the first
        position, is added to a check that fails, to localise the mistake
        for the diagnosis.
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
        does not return is a failed entry.  In-process, the call is stopped
        by a ``SIGALRM`` timer when the check runs in the main thread (see
        :func:`~toeplitz_conv.check._user.run_user` for the limits); with
        ``isolation="process"`` the worker process is killed.
    isolation : {'none', 'process'}
        ``'none'`` (default): the user's code runs in this process (fast).
        ``'process'`` (the CLI's default): it runs in a child process, so that
        ``os._exit``, a signal, a segmentation fault, an allocation beyond
        the address-space cap, a process it starts or an endless loop becomes
        a failed entry saying what happened, and nothing of it is left
        running.  The child is forked on Linux; elsewhere it is spawned, which
        needs a picklable layer (a TypeError says so otherwise).  JAX hangs
        in a forked child once it has run in this process: check a JAX layer
        with ``'none'`` then (a hang's message says so).
    kind : {'conv', 'transposed', 'local', 'tiled', 'signal', 'avg_pool', 'max_pool', \
'lp_pool', 'data_matrix'}
        ``'conv'`` (default): a conv layer as above.  ``'transposed'``: a
        transposed convolution against
        :func:`~toeplitz_conv.transposed_layer_matrix` (weight ``(C_in,
        C_out // groups, *kernel)``, PyTorch's layout, ``"OIHW"``; keywords
        ``stride``, ``padding`` (also ``'SAME'``/``'VALID'``/``'SAME_LOWER'``),
        ``output_padding``, ``output_size``, ``dilation``, ``groups``); batch,
        layouts, bias, the cache API and finite differences as for a conv.
        ``'local'``, ``'tiled'``: a locally connected layer (weight
        ``(*out_spatial, C_out, C_in, *kernel)``) or a tiled convolution
        (weight ``(*tiles, C_out, C_in, *kernel)``) against
        :func:`~toeplitz_conv.locally_connected_matrix` /
        :func:`~toeplitz_conv.tiled_conv_matrix` (keywords ``stride``,
        ``padding``, ``dilation``, ``padding_mode``; ``data_format`` but no
        ``weight_format``).  ``'avg_pool'``, ``'max_pool'``, ``'lp_pool'``: a
        pooling layer (``weight=None``; keywords ``kernel_size``, ``stride``,
        ``padding``, ``ceil_mode``, and ``count_include_pad`` or
        ``dilation``, or ``norm_type`` for Lp pooling, which has no padding;
        ``backward(x, grad_out) -> grad_x``) against the pooling builders'
        matrices (Lp pooling: torch's formula through ``avg_pool_matrix``, on
        positive inputs).  ``'data_matrix'``: an im2col function
        ``unfold(x) -> X`` (``weight=None``; keywords ``kernel_size``,
        ``stride``, ``padding``, ``dilation``, ``padding_mode``) against
        :func:`~toeplitz_conv.data_matrix` of one output channel, ``X`` as
        ``(C*k, L)`` like ``torch.nn.functional.unfold`` or ``(L, C*k)``
        (batched: ``(N, C*k, L)``, ``(N, L, C*k)`` or a 2-D stack such as
        CS231n's ``(C*k, L*N)``), with an optional col2im ``backward(x, dX)
        -> dx``.  ``'signal'``: a
        ``scipy.signal`` convolution, ``forward(x, w)`` or ``forward(x)`` on
        one N-D signal ``x`` of ``input_shape`` with the kernel ``weight``,
        against ``scipy.signal.convolve(x, w, mode)`` (``correlate=True``:
        ``correlate``) with ``boundary`` ``'fill'`` or ``'wrap'``, given as
        keywords ``mode=``, ``correlate=``, ``boundary=``; an optional
        ``backward(x, grad_out) -> (grad_x, grad_w)``.  No batch, bias or
        layouts.  Each kind has its own diagnoses.
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
    >>> check_layer(nhwc, w, (6, 6, 1), batch=2, data_format="NHWC").ok
    True

    A transposed convolution written as a scatter of each input times the
    kernel (stride 2, weight ``(C_in, C_out, k)``), and the same with the
    kernel reversed:

    >>> wt = np.array([[[1.0, 2.0, 3.0]]])
    >>> def scatter(x, weight):              # x: (1, n)
    ...     y = np.zeros((1, 2 * (x.shape[1] - 1) + 3))
    ...     for i, v in enumerate(x[0]):
    ...         y[0, 2 * i:2 * i + 3] += v * weight[0, 0]
    ...     return y
    >>> check_layer(scatter, wt, (1, 4), kind="transposed", stride=2).ok
    True
    >>> r = check_layer(lambda x, weight: scatter(x, weight[..., ::-1]), wt, (1, 4),
    ...                 kind="transposed", stride=2)
    >>> r["forward"].diagnosis.split(":")[0]
    'kernel flipped'
    """
    choose(kind, "kind", ("conv", "signal", "avg_pool", "max_pool", "lp_pool", "transposed",
                          "local", "tiled", "data_matrix"))
    if kind in ("avg_pool", "max_pool", "lp_pool", "data_matrix"):
        return _check_weightless(kind, forward, weight, bias, input_shape, dict(
            backward=backward, batch=batch, rtol=rtol, atol=atol, seed=seed, n_random=n_random,
            timeout=timeout, isolation=isolation), data_format, weight_format, api,
            layer_kwargs)
    if kind == "signal":
        return _check_signal(forward, weight, input_shape, backward, dict(
            rtol=rtol, atol=atol, seed=seed, n_random=n_random, timeout=timeout,
            isolation=isolation, reference=reference), dict(
            batch=batch, bias=bias, data_format=data_format, weight_format=weight_format,
            grads=grads), api, layer_kwargs)
    choose(api, "api", ("auto", "cache"))
    choose(reduction, "reduction", ("sum", "mean"))
    rtol_v = None if rtol is None else as_tolerance(rtol, "rtol")
    atol_v = None if atol is None else as_tolerance(atol, "atol")
    seed = as_int(seed, "seed", minimum=0)
    n_random = None if n_random is None else as_positive_int(n_random, "n_random")
    if n_random is not None and n_random > _MAX_RANDOM:
        raise ValueError(f"n_random must be <= {_MAX_RANDOM}, got {n_random}")
    timeout_v = as_timeout(timeout)
    choose(isolation, "isolation", ("none", "process"))
    if api == "cache" and batch is None:
        batch = 2                      # the protocol is batched
    if weight is None:
        if describe_kind(forward) != "module":
            raise TypeError("weight=None is only for a torch.nn.Module (which has its own "
                            "weight); pass the layer's weight")
        weight, own_bias = module_params(forward)
        if weight is None:
            raise ValueError("weight=None but the module has no 'weight' attribute; pass "
                             "weight= explicitly")
        if bias is None and own_bias is not None:
            bias = own_bias
    if kind in _CONTEXTS:
        ctx = _CONTEXTS[kind](weight, input_shape, bias, dict(
            data_format=data_format, weight_format=weight_format, batch=batch), reference,
            layer_kwargs, rtol_v, atol_v, reduction)
        return _run_kind(kind, ctx, forward, dict(backward=backward, api=api, grads=grads,
                                                  timeout=timeout_v), isolation,
                         n_random, seed, batch, layer_kwargs)
    w_user = as_kernel(weight, "weight", min_ndim=3, max_ndim=5)
    if w_user.dtype.kind == "c":
        raise TypeError("weight must be real (a conv layer's weight), got a complex array")
    nd = w_user.ndim - 2
    layout = Layout(nd, data_format=data_format, weight_format=weight_format, batch=batch)
    w = np.ascontiguousarray(layout.weight_from_user(w_user.astype(np.float64)))
    if data_format is not None:
        input_shape = layout.sample_from_user(
            as_shape(input_shape), w.shape[1] * _int_or_one(layer_kwargs.get("groups", 1)))
    A = _reference_for(w, input_shape, reference, layer_kwargs)
    b = None
    if bias is not None:
        b, layout.bias_shape = as_bias(bias, w.shape[0])
    conv_param = _conv_param(layer_kwargs) if api == "cache" else None
    user = UserLayer(forward, w, b, backward, layout=layout, api=api, grads=grads,
                     conv_param=conv_param, timeout=timeout_v)
    ctx = _Ctx(A, w, b, tuple(A.in_shape), layer_kwargs, rtol_v, atol_v, layout,
               method=reference, reduction=reduction)
    if isolation == "process":
        with ProcessLayer(user, timeout_v) as isolated:
            return _run_checks(ctx, isolated, user.kind, n_random, seed, batch, layout)
    return _run_checks(ctx, user, user.kind, n_random, seed, batch, layout)


def _widened(entry: Entry, wider: Entry) -> Entry:
    """``wider`` (the same check on more inputs) in place of a failed ``entry``, if it fails too.

    A layer that passes the second time (one whose output changes between
    calls) keeps its first, failed, entry.
    """
    return entry if entry.ok or wider.ok else wider


def _run_checks(ctx: _Ctx, user: Any, user_kind: str, n_random: int | None, seed: int,
                batch: int | None, layout: Layout) -> Report:
    if user_kind in ("module", "function"):
        # torch's threads and OpenBLAS's would take turns spinning on the
        # same cores (see single_threaded_blas).
        with single_threaded_blas():
            return _checks(ctx, user, user_kind, n_random, seed, batch, layout)
    return _checks(ctx, user, user_kind, n_random, seed, batch, layout)


def _checks(ctx: _Ctx, user: Any, user_kind: str, n_random: int | None, seed: int,
            batch: int | None, layout: Layout) -> Report:
    if n_random is None:
        n_random = 3 if ctx.explicit else 1
    rng = np.random.default_rng(seed)
    xs = _structured(ctx.in_shape, rng, n_random, "x", light=not ctx.explicit)
    pairs = _grad_pairs(ctx, rng, n_random, xs)      # the forward check draws nothing
    # A large layer is checked on its random inputs first: a linear map that
    # differs from A differs on almost every input, so they decide.  The
    # structured ones (a one-hot at a corner) then only localise a failure,
    # and are added to a failing check alone, for its diagnosis.
    first_xs, first_pairs = (xs, pairs) if ctx.explicit else (xs[:n_random], pairs[:n_random])
    if user_kind in ("module", "function"):
        user = _Prefetched(user, first_xs, first_pairs)
    entries = [_check_forward(ctx, user, first_xs)]
    if not entries[0].ok and len(first_xs) < len(xs):
        entries[0] = _widened(entries[0], _check_forward(ctx, user, xs))
    if user.notes:
        entries[0].message += "; note: " + "; ".join(user.notes)
    if user.has_grads:
        grads = _check_grads(ctx, user, first_pairs)
        if len(first_pairs) < len(pairs) and not all(e.ok for e in grads):
            wider = {e.name: e for e in _check_grads(ctx, user, pairs)}
            grads = [_widened(e, wider.get(e.name, e)) for e in grads]
        entries += grads
    else:
        entries += _check_finite_differences(ctx, user, pairs, rng)
    kind = {"module": "torch module", "function": "torch autograd Function",
            "numpy": "layer", "cache": "layer (cache API)"}[user_kind]
    extra = []
    if batch is not None:
        extra.append(f"batch {batch}")
    if not layout.default:
        extra.append(f"{layout.data_format}/{layout.weight_format}")
    title = f"{kind} check" + (f" ({', '.join(extra)})" if extra else "")
    return Report(entries, title=title)


def _check_weightless(kind: str, forward: Any, weight: Any, bias: Any, input_shape: Any,
                     common: dict[str, Any], data_format: Any, weight_format: Any, api: str,
                     layer_kwargs: dict[str, Any]) -> Report:
    """A weightless kind: pooling (:mod:`._pool_kind`) or im2col (:mod:`._data_matrix_kind`)."""
    if weight is not None or bias is not None:
        raise TypeError(f"kind={kind!r} has no weight or bias: pass weight=None")
    if data_format is not None or weight_format is not None or api != "auto":
        raise ValueError(f"kind={kind!r} checks the (N, C, *spatial) layout with "
                         f"api='auto'")
    choose(common["isolation"], "isolation", ("none", "process"))
    rtol, atol, n_random = common["rtol"], common["atol"], common["n_random"]
    run = (check_data_matrix if kind == "data_matrix"
           else lambda *a, **k: check_pool(a[0], a[1], kind, **k))
    return run(
        forward, input_shape, backward=common["backward"], batch=common["batch"],
        rtol=None if rtol is None else as_tolerance(rtol, "rtol"),
        atol=None if atol is None else as_tolerance(atol, "atol"),
        seed=as_int(common["seed"], "seed", minimum=0),
        n_random=None if n_random is None else min(as_positive_int(n_random, "n_random"),
                                                   _MAX_RANDOM),
        timeout=as_timeout(common["timeout"]), isolation=common["isolation"],
        options=layer_kwargs)


_CONTEXTS: dict[str, Callable[..., _Ctx]] = {"transposed": transposed_context,
                                             "local": local_context, "tiled": tiled_context}
_TITLES = {"transposed": "transposed conv", "local": "locally connected", "tiled": "tiled conv"}


def _run_kind(kind: str, ctx: _Ctx, forward: Any, call: dict[str, Any], isolation: str,
              n_random: int | None, seed: int, batch: int | None,
              layer_kwargs: dict[str, Any]) -> Report:
    """A kind whose context comes from its own module, through the conv engine."""
    conv_param = _conv_param(layer_kwargs) if call["api"] == "cache" else None
    user = UserLayer(forward, ctx.w, ctx.b, call["backward"], layout=ctx.layout,
                     api=call["api"], grads=call["grads"], conv_param=conv_param,
                     timeout=call["timeout"], n_out=ctx.A.out_shape[0])
    if isolation == "process":
        with ProcessLayer(user, call["timeout"]) as isolated:
            report = _run_checks(ctx, isolated, user.kind, n_random, seed, batch, ctx.layout)
    else:
        report = _run_checks(ctx, user, user.kind, n_random, seed, batch, ctx.layout)
    report.title = f"{_TITLES[kind]}: {report.title}"
    return report


class _Prefetched:
    """A torch layer whose trial calls were all made first, back to back, in the same order.

    torch's threads stay busy through its calls instead of waking up after
    each reference product (on a loaded machine every wake-up waits for a
    core).  Each prefetched result is handed out once, to the call with the
    same arrays; any other call (a second one on the same input, another
    weight) goes to the layer.  Prefetching stops at the first failed call,
    as the checks themselves do.
    """

    def __init__(self, user: Any, xs: list[tuple[str, np.ndarray]],
                 pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        self._user = user
        self._forward: dict[int, tuple[np.ndarray, Any]] = {}
        self._grads: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, Any]] = {}
        for _, x in xs:
            out = user.forward(x)
            self._forward[id(x)] = (x, out)
            if out.error:
                break
        for _, x, g in pairs:
            out = user.grads(x, g)
            self._grads[(id(x), id(g))] = (x, g, out)
            if out.error:
                break

    def forward(self, x: np.ndarray, weight: np.ndarray | None = None,
                bias: np.ndarray | None = None) -> Any:
        if weight is None and bias is None:
            held = self._forward.pop(id(x), None)
            if held is not None and held[0] is x:
                return held[1]
        return self._user.forward(x, weight, bias)

    def grads(self, x: np.ndarray, g: np.ndarray) -> Any:
        held = self._grads.pop((id(x), id(g)), None)
        if held is not None and held[0] is x and held[1] is g:
            return held[2]
        return self._user.grads(x, g)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)


def _check_signal(forward: Any, weight: Any, input_shape: Any, backward: Any,
                  common: dict[str, Any], unsupported: dict[str, Any], api: str,
                  options: dict[str, Any]) -> Report:
    """``kind="signal"``: the signal convolution as a one-channel layer (:mod:`._signal_kind`)."""
    given = [k for k, v in unsupported.items() if v is not None]
    if given or api != "auto":
        raise ValueError(f"kind='signal' checks one signal without batch, bias, layouts or "
                         f"api='cache'; got {given or ['api']}")
    shown: dict[str, Any] = {k: options[k] for k in ("mode", "correlate", "boundary")
                             if k in options}
    fwd, w, shape, bwd, layer_kwargs, flipped = as_signal_layer(
        forward, weight, input_shape, backward, dict(options))
    report = check_layer(fwd, w, shape, backward=bwd, **common, **layer_kwargs)
    return signal_report(report, w.ndim - 2, w.shape[2:], flipped, shown)


def _int_or_one(v: Any) -> int:
    """``groups`` when it is an int (validated later with the layer), else 1."""
    return int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else 1


def _reference_for(w: np.ndarray, input_shape: Any, method: str,
                   layer_kwargs: dict[str, Any]) -> Reference:
    choose(method, "reference", ("auto", "matrix", "matrix-free"))
    unknown = set(layer_kwargs) - {"stride", "padding", "dilation", "groups", "padding_mode"}
    if unknown:
        raise TypeError(f"check_layer got unexpected keyword argument(s) {sorted(unknown)}; "
                        "layer options are stride, padding, dilation, groups, padding_mode")
    return reference(w, input_shape, method=method, **layer_kwargs)  # type: ignore[arg-type]


def _conv_param(layer_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The CS231n ``conv_param``: ``stride`` and ``pad`` as ints, or tuples when they differ.

    >>> _conv_param({"stride": (2, 2), "padding": (1, 0)})
    {'stride': 2, 'pad': (1, 0)}
    """
    out: dict[str, Any] = {}
    for key, name, default in (("stride", "stride", 1), ("pad", "padding", 0)):
        v = layer_kwargs.get(name, default)
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out[key] = int(v)
            continue
        vals = list(v) if isinstance(v, (tuple, list)) else None
        if not vals or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                               for i in vals):
            raise ValueError(f"api='cache' passes conv_param={{'stride', 'pad'}} as ints or "
                             f"tuples of ints; {name}={v!r} cannot be written that way")
        out[key] = int(vals[0]) if len(set(vals)) == 1 else tuple(int(i) for i in vals)
    return out

"""The two convolutions of backprop, as convolutions, with their numbers and a proof.

For a PyTorch conv layer ``y = A(w) x`` (stride ``s``, pads ``(p_l, p_r)``,
dilation ``d``, groups), the chain rule gives two real convolutions:

* the input gradient ``A^T g`` is a *transposed* convolution: ``g`` dilated by
  the stride (``s - 1`` zeros between samples), padded by ``d (k - 1) - p_l``
  before and ``d (k - 1) - p_r + r`` after (a negative pad is a crop;
  ``r = (n + p_l + p_r - d (k - 1) - 1) mod s`` is ``output_padding``, the
  input samples the last stride step never reached), correlated with the
  kernel flipped and its channel axes swapped, dilation ``d``;
* the weight gradient is a correlation of the padded input with ``g``: ``g``
  is the kernel, dilated by the *stride*, and the output is taken with a
  step of the *dilation* (stride and dilation swapped).

Each :class:`BackwardConvolution` computes itself by such a convolution
(:meth:`~BackwardConvolution.apply`, written as explicit sliding-window sums
that run on numbers and on sympy symbols alike), describes the
``torch.nn.functional`` and ``scipy.signal`` calls with the numbers
(:meth:`~BackwardConvolution.describe`), and proves that it equals
``A.T @ g`` / ``A.weight_grad(x, g)``: for every input size
(:attr:`~BackwardConvolution.proof`, sympy, per axis and residue class of the
stride; :mod:`._backward_general`) and entry by entry for the given sizes
(:attr:`~BackwardConvolution.proof_at_size`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import sympy

from .._typing import IntOrTuple, LayerPadding
from .._validation import as_int_tuple, as_positive_int, as_shape
from ..geometry import layer_geometry
from ..layers import layer_matrix
from ._matrix import layer_taps
from ._proof_result import Proof, rows_agree
from ._symbols import check_symbolic_size, input_symbols, symbol_array

__all__ = ["AxisPlan", "BackwardConvolution", "BackwardConvolutions", "axis_plans",
           "backward_convolutions"]

#: The proofs are built for at most this many taps (input + weight gradient).
_MAX_PROOF_TAPS = 20_000
#: A weight of more entries is refused before the placeholder is allocated.
_MAX_WEIGHT = 10**7


def _correlate_valid(a: np.ndarray, b: np.ndarray, step: tuple[int, ...],
                     dil: tuple[int, ...]) -> np.ndarray:
    """``out[i] = sum_t a[step i + dil t] b[t]`` over the positions where it fits.

    A plain sliding-window sum (any dtype, sympy objects included): the kernel
    ``b`` taken with dilation ``dil``, its window moved by ``step``.
    """
    span = [dd * (k - 1) + 1 for dd, k in zip(dil, b.shape)]
    out_shape = tuple(max((n - sp) // st + 1, 0) for n, sp, st in zip(a.shape, span, step))
    out = np.zeros(out_shape, dtype=np.result_type(a, b) if a.dtype != object
                   and b.dtype != object else object)
    if 0 < out.size < b.size and 0 not in a.shape:
        # The weight gradient's kernel is grad_out, larger than its k outputs:
        # one windowed product per output instead of one shifted copy per tap.
        for o in itertools.product(*(range(m) for m in out_shape)):
            sl = tuple(slice(st * oo, st * oo + sp, dd)
                       for st, oo, sp, dd in zip(step, o, span, dil))
            out[o] = (a[sl] * b).sum()
        return out
    for t in itertools.product(*(range(k) for k in b.shape)):
        sl = tuple(slice(dd * tt, dd * tt + st * (m - 1) + 1, st) if m else slice(0, 0)
                   for dd, tt, st, m in zip(dil, t, step, out_shape))
        out = out + a[sl] * b[t]
    return out


def _dilate(g: np.ndarray, s: tuple[int, ...]) -> np.ndarray:
    """``s - 1`` zeros between neighbouring samples along each axis."""
    shape = tuple((m - 1) * st + 1 if m else 0 for m, st in zip(g.shape, s))
    out = np.zeros(shape, dtype=g.dtype)
    if g.dtype == object:
        out[...] = sympy.S.Zero
    out[tuple(slice(None, None, st) for st in s)] = g
    return out


def _pad_or_crop(a: np.ndarray, pads: list[tuple[int, int]]) -> np.ndarray:
    """Zero-pad each axis by ``(before, after)``; a negative pad crops."""
    crop = tuple(slice(max(-b, 0), n - max(-e, 0)) for (b, e), n in zip(pads, a.shape))
    a = a[crop]
    widths = [(max(b, 0), max(e, 0)) for b, e in pads]
    if a.dtype == object:
        return np.pad(a, widths, constant_values=sympy.S.Zero)
    return np.pad(a, widths)


@dataclass(frozen=True)
class AxisPlan:
    """One spatial axis of both backward convolutions: the numbers :meth:`apply` runs.

    Computed by :func:`axis_plans` from the layer's geometry; its fields are
    ints, or sympy expressions at a symbolic size (the proof for every size
    evaluates the same function there).

    Attributes
    ----------
    n, m, k : int or sympy expression
        Input size, grad_out size (the layer's output) and kernel size.
    pad : (before, after)
        The layer's zero padding.
    output_padding : int or sympy expression
        ``(n + p_l + p_r - d (k - 1) - 1) mod s``: the input samples the last
        stride step never read, which resolve the transposed convolution's size.
    g_dilation : int
        Input gradient: ``grad_out`` is dilated by this (the stride).
    ig_pad : (before, after)
        Input gradient: the dilated ``grad_out`` is padded by these (negative crops):
        ``d (k - 1) - p_l`` and ``d (k - 1) - p_r + output_padding``.
    ig_kernel_dilation : int
        Input gradient: the (flipped) kernel's dilation, the layer's.
    ig_flip : bool
        Input gradient: the kernel is flipped.
    wg_pad : (before, after)
        Weight gradient: the input is padded as the layer pads it.
    wg_kernel_dilation, wg_step : int
        Weight gradient: ``grad_out`` is the kernel, dilated by the stride, and
        the output steps by the dilation (stride and dilation swapped).
    wg_crop : int
        Weight gradient: the first ``k`` outputs are kept.
    """

    n: Any
    m: Any
    k: int
    pad: tuple[Any, Any]
    output_padding: Any
    g_dilation: int
    ig_pad: tuple[Any, Any]
    ig_kernel_dilation: int
    ig_flip: bool
    wg_pad: tuple[Any, Any]
    wg_kernel_dilation: int
    wg_step: int
    wg_crop: int


def _plain(v: Any) -> Any:
    """Python ints for numbers (numpy ints from the geometry), sympy expressions as they are."""
    return int(v) if isinstance(v, (int, np.integer)) else v


def axis_plans(kshape: tuple[int, ...], spatial: tuple[Any, ...], stride: tuple[int, ...],
               dilation: tuple[int, ...], padding: Any) -> tuple[AxisPlan, ...]:
    """Both backward convolutions' numbers per spatial axis, from the layer's geometry.

    ``spatial`` may hold sympy sizes: the proof for every size calls this very
    function at a symbolic size in each residue class of the stride.

    Parameters
    ----------
    kshape : tuple of int
        The kernel's spatial shape.
    spatial : tuple of int or sympy expressions
        The input's spatial sizes.
    stride, dilation : tuple of int
        Per spatial axis.
    padding
        As :func:`~toeplitz_conv.layer_matrix` (also ``'same'``, ``'SAME'``, pairs).

    Returns
    -------
    tuple of AxisPlan
        One per spatial axis.

    Examples
    --------
    >>> p, = axis_plans((3,), (8,), (2,), (1,), 1)
    >>> p.m, p.output_padding, p.ig_pad, p.wg_kernel_dilation, p.wg_step
    (4, 1, (1, 2), 2, 1)
    """
    geom = layer_geometry(kshape, spatial, stride=stride, padding=padding, dilation=dilation)
    plans = []
    for ax, k, n, s, d in zip(geom.axes, kshape, spatial, stride, dilation):
        pb, pa, m = _plain(ax.pad_before), _plain(ax.pad_after), _plain(ax.out_size)
        # The last stride step leaves r input samples unread: output_padding
        # resolves the size ambiguity of the transposed convolution.
        op = (n + pb + pa - d * (k - 1) - 1) % s
        plans.append(AxisPlan(n=n, m=m, k=k, pad=(pb, pa), output_padding=op, g_dilation=s,
                              ig_pad=(d * (k - 1) - pb, d * (k - 1) - pa + op),
                              ig_kernel_dilation=d, ig_flip=True, wg_pad=(pb, pa),
                              wg_kernel_dilation=s, wg_step=d, wg_crop=k))
    return tuple(plans)


@dataclass
class BackwardConvolution:
    """One convolution of the backward pass: its parameters, how to run it, its proof.

    Attributes
    ----------
    kind : {'input_grad', 'weight_grad'}
    params : dict
        The numbers: ``stride``, ``dilation``, ``padding`` (per side and axis),
        ``output_padding`` (input gradient) or ``crop`` (weight gradient), ``groups``.
    plans : tuple of AxisPlan
        Per spatial axis, the numbers :meth:`apply` runs (:func:`axis_plans`).
    proof, proof_at_size : Proof
        For every input size (when within the bounds of such a proof), and for
        these sizes only.
    """

    kind: Literal["input_grad", "weight_grad"]
    weight_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: dict[str, Any]
    plans: tuple[AxisPlan, ...] = field(repr=False)
    _build: dict[str, Any] = field(repr=False)
    _proof: Proof | None = field(default=None, repr=False)
    _proof_at_size: Proof | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ running
    def apply(self, grad_out: Any, *, weight: Any = None, x: Any = None) -> np.ndarray:
        """Compute the gradient by the convolution itself (unbatched ``(C, *spatial)``).

        ``input_grad.apply(grad_out, weight=w)`` gives ``dL/dx`` (shape
        ``input_shape``); ``weight_grad.apply(grad_out, x=x)`` gives ``dL/dw``
        (shape ``weight_shape``).
        """
        g = self._operand(grad_out, self.out_shape, "grad_out")
        if self.kind == "input_grad":
            if weight is None or x is not None:
                raise TypeError("input_grad.apply(grad_out, weight=w) takes the weight (no x)")
            return self._input_grad(g, self._operand(weight, self.weight_shape, "weight"))
        if x is None or weight is not None:
            raise TypeError("weight_grad.apply(grad_out, x=x) takes the input (no weight)")
        return self._weight_grad(g, self._operand(x, self.input_shape, "x"))

    @staticmethod
    def _operand(v: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
        arr = np.asarray(v)
        if arr.dtype.kind not in "biufcO":
            raise TypeError(f"{name} must be numbers or sympy expressions, got dtype "
                            f"{arr.dtype}")
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (unbatched), got {arr.shape}")
        return arr

    def _input_grad(self, g: np.ndarray, w: np.ndarray) -> np.ndarray:
        plans, groups = self.plans, self.params["groups"]
        c_out, c_ig = self.weight_shape[:2]
        per = c_out // groups
        g_dil = tuple(pl.g_dilation for pl in plans)
        pads = [pl.ig_pad for pl in plans]
        k_dil = tuple(pl.ig_kernel_dilation for pl in plans)
        flip = tuple(slice(None, None, -1 if pl.ig_flip else 1) for pl in plans)
        chans = []
        for ci in range(c_ig * groups):
            grp, c = divmod(ci, c_ig)
            acc: Any = 0
            for o in range(grp * per, (grp + 1) * per):
                gd = _pad_or_crop(_dilate(g[o], g_dil), pads)
                acc = acc + _correlate_valid(gd, w[(o, c) + flip], (1,) * len(plans), k_dil)
            chans.append(acc)
        return np.stack(chans)

    def _weight_grad(self, g: np.ndarray, x: np.ndarray) -> np.ndarray:
        plans, groups = self.plans, self.params["groups"]
        c_out, c_ig = self.weight_shape[:2]
        per = c_out // groups
        step = tuple(pl.wg_step for pl in plans)
        k_dil = tuple(pl.wg_kernel_dilation for pl in plans)
        out = np.empty(self.weight_shape, dtype=object if (g.dtype == object or x.dtype == object)
                       else np.result_type(g, x))
        for o in range(c_out):
            for c in range(c_ig):
                xp = _pad_or_crop(x[(o // per) * c_ig + c], [pl.wg_pad for pl in plans])
                # g is the kernel, dilated by the stride; the output steps by the dilation.
                full = _correlate_valid(xp, g[o], step, k_dil)
                out[o, c] = full[tuple(slice(0, pl.wg_crop) for pl in plans)]
        return out

    # --------------------------------------------------------------- describing
    def describe(self) -> str:
        """The ``torch.nn.functional`` and ``scipy.signal`` calls, with the numbers."""
        p = self.params
        nd = len(self.weight_shape) - 2
        s, d, groups, pads = p["stride"], p["dilation"], p["groups"], p["padding"]
        sym = all(pb == pa for pb, pa in pads)
        if self.kind == "input_grad":
            op = p["output_padding"]
            if sym:
                torch = (f"torch.nn.functional.conv_transpose{nd}d(grad_out[None], w, "
                         f"stride={s}, padding={tuple(pb for pb, _ in pads)}, "
                         f"output_padding={op}, dilation={d}, groups={groups})[0]")
            else:
                crop = ", ".join(f"{pb}:{pb} + {n}" for (pb, _), n in
                                 zip(pads, self.input_shape[1:]))
                torch = (f"torch.nn.functional.conv_transpose{nd}d(grad_out[None], w, "
                         f"stride={s}, padding=0, output_padding={op}, dilation={d}, "
                         f"groups={groups})[0][:, {crop}]   # asymmetric pads: crop")
            pp = [pl.ig_pad for pl in self.plans]
            scipy_ = (f"for each input channel c: sum over the output channels o of its group "
                      f"of scipy.signal.correlate(pad(dilate(grad_out[o], {s}), {pp}), "
                      f"flip(w[o, c]) dilated by {d}, mode='valid')   # = convolve(..., w[o, c])")
            return (f"input gradient dL/dx = A^T g: a transposed convolution\n"
                    f"  grad_out dilated by the stride {s} (stride - 1 zeros between samples), "
                    f"padded by d (k - 1) - p per side = {pp} (negative: crop; "
                    f"output_padding {op} after), correlated with the flipped kernel, "
                    f"channels swapped, dilation {d}\n  torch: {torch}\n  scipy: {scipy_}")
        torch = (f"torch.nn.functional.conv{nd}d(torch.nn.functional.pad(x, "
                 f"{tuple(v for pair in reversed(pads) for v in pair)})[:, None], "
                 f"grad_out[:, None], stride={d}, dilation={s})"
                 f".transpose(0, 1)[..., {', '.join(f':{k}' for k in self.weight_shape[2:])}]"
                 + ("" if groups == 1 else f"   # per group of {self.weight_shape[1]} "
                                           f"input channels ({groups} groups)"))
        scipy_ = (f"scipy.signal.correlate(pad(x[c'], {list(pads)}), dilate(grad_out[o], {s}), "
                  f"mode='valid')[{', '.join(f'::{dd}' for dd in d)}]"
                  f"[{', '.join(f':{k}' for k in self.weight_shape[2:])}]")
        return (f"weight gradient dL/dw = correlation of the padded input with grad_out\n"
                f"  grad_out is the kernel, dilated by the stride {s}; the output steps by "
                f"the dilation {d} (stride and dilation swapped); pads {list(pads)}\n"
                f"  torch: {torch}\n  scipy: {scipy_}")

    # ------------------------------------------------------------------- proof
    @property
    def proof(self) -> Proof:
        """The sympy proof, for every input size, that :meth:`apply` is the matrix side.

        ``A.T @ g`` (input gradient) or ``A.weight_grad(x, g)`` (weight
        gradient), for every spatial size from the smallest with an output on:
        per axis and residue class of the stride, the numbers :meth:`apply`
        runs (:func:`axis_plans`) at a symbolic size against PyTorch's
        definition, and the code tied to the definition at sample sizes (both
        sides of the assembler's write-path thresholds).  What it assumes is in
        ``proof.notes`` and ``proof.details["assumptions"]``.  Beyond the
        bounds of a proof for every size (kernel, stride, dilation, padding,
        channels: ``GENERAL_LIMITS``) it is :attr:`proof_at_size`, which says so
        in its notes.
        """
        if self._proof is None:
            from ._backward_general import out_of_bounds, prove_for_every_size
            why = out_of_bounds(self)
            if why is None:
                self._proof = prove_for_every_size(self)
            else:
                sized = self.proof_at_size
                self._proof = replace(sized, notes=[*sized.notes,
                                                    f"not proved for every size: {why}"])
        return self._proof

    @property
    def proof_at_size(self) -> Proof:
        """The sympy proof for these sizes only: :meth:`apply` on symbols against the
        taps of :func:`~toeplitz_conv.layer_matrix`, entry by entry."""
        if self._proof_at_size is None:
            self._proof_at_size = _prove(self)
        return self._proof_at_size


@dataclass
class BackwardConvolutions:
    """The two convolutions of a layer's backward pass: ``input_grad`` and ``weight_grad``."""

    input_grad: BackwardConvolution
    weight_grad: BackwardConvolution

    def describe(self) -> str:
        """Both descriptions."""
        return self.input_grad.describe() + "\n" + self.weight_grad.describe()


def backward_convolutions(weight_shape: Any, input_shape: Any, *, stride: IntOrTuple = 1,
                          padding: LayerPadding = 0, dilation: IntOrTuple = 1,
                          groups: int = 1) -> BackwardConvolutions:
    """The input- and weight-gradient convolutions of a PyTorch conv layer (zero padding).

    Parameters
    ----------
    weight_shape : tuple of int
        ``(C_out, C_in // groups, *kernel)``.
    input_shape : tuple of int
        ``(C_in, *spatial)`` (unbatched).
    stride, padding, dilation, groups
        As :func:`~toeplitz_conv.layer_matrix` (``padding`` also ``'same'``,
        TensorFlow's ``'SAME'`` and per-side pairs).

    Examples
    --------
    >>> b = backward_convolutions((1, 1, 3), (1, 5), stride=2, padding=1)
    >>> b.input_grad.params["output_padding"], b.weight_grad.params["stride"]
    ((0,), (2,))
    >>> b.input_grad.proof.holds and b.weight_grad.proof.holds     # for every input size
    True
    >>> b.input_grad.proof.details["scope"], b.input_grad.proof_at_size.holds
    ('every size', True)
    """
    if not (isinstance(weight_shape, tuple) and len(weight_shape) >= 3):
        raise TypeError(f"weight_shape must be a tuple (C_out, C_in // groups, *kernel), got "
                        f"{weight_shape!r}")
    groups = as_positive_int(groups, "groups")
    w_shape = as_shape(weight_shape, "weight_shape")
    if math.prod(w_shape) > _MAX_WEIGHT:
        raise ValueError(f"weight_shape {w_shape} has {math.prod(w_shape)} entries, more than "
                         f"{_MAX_WEIGHT}")
    # The builder validates every other argument (and the sizes) before anything is built.
    a = layer_matrix(np.zeros(w_shape), input_shape, stride=stride, padding=padding,
                     dilation=dilation, groups=groups)
    nd = len(w_shape) - 2
    in_shape = tuple(int(v) for v in a.in_shape)
    s = as_int_tuple(stride, nd, "stride", minimum=1)
    d = as_int_tuple(dilation, nd, "dilation", minimum=1)
    plans = axis_plans(w_shape[2:], in_shape[1:], s, d, padding)
    pads = tuple(pl.pad for pl in plans)
    out_shape = (w_shape[0], *(pl.m for pl in plans))
    common = {"stride": s, "dilation": d, "padding": pads, "groups": groups}
    build = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return BackwardConvolutions(
        BackwardConvolution("input_grad", w_shape, in_shape, out_shape,
                            {**common, "output_padding": tuple(pl.output_padding for pl in plans)},
                            plans, build),
        BackwardConvolution("weight_grad", w_shape, in_shape, out_shape,
                            {**common, "crop": tuple(pl.wg_crop for pl in plans)}, plans, build))


def _prove(conv: BackwardConvolution) -> Proof:
    """``apply`` on symbols against the builder's matrix: ``A^T g`` or the tied sum."""
    n_taps = math.prod(conv.out_shape) * math.prod(conv.weight_shape[1:])
    check_symbolic_size("the backward proof's taps", n_taps, _MAX_PROOF_TAPS)
    taps = layer_taps(conv.weight_shape, conv.input_shape, **conv._build)
    w = taps.weight
    g = input_symbols(conv.out_shape, w, name="g")
    gf = list(g.ravel())
    entries = taps.entries()
    if conv.kind == "input_grad":
        left = list(conv.apply(g, weight=w).ravel())
        right: list[Any] = [sympy.S.Zero] * taps.shape[1]
        for (r, c), v in entries.items():
            right[c] = right[c] + v * gf[r]
        title = "the input gradient's transposed convolution equals A^T g"
        claim = r"\mathrm{conv\_transpose}(g, w) = A^{T} g"
    else:
        x = symbol_array("x", conv.input_shape)
        xf = list(x.ravel())
        left = list(conv.apply(g, x=x).ravel())
        right = [sympy.S.Zero] * w.size
        for rr, cc, k in zip(taps.rows.tolist(), taps.cols.tolist(), taps.widx.tolist()):
            right[k] = right[k] + gf[rr] * xf[cc]
        title = "the weight gradient's correlation equals the sum over tied positions"
        claim = r"(x \star g)_{o,c,t} = \sum_{(r,c')\,:\,A_{r c'} = w_{o,c,t}} g_r x_{c'}"
    holds, failing_rows, residual = rows_agree(left, right)
    failing: list[Any] = list(failing_rows)
    if len(left) != len(right):
        failing = [f"{len(left)} entries, the matrix side {len(right)}"]
    return Proof(title=f"{title} ({conv.params})",
                 statement=sympy.Eq(sympy.Symbol("convolution"), sympy.Symbol("matrix side"),
                                    evaluate=False),
                 steps=[("by the convolution (apply on symbols)", sympy.Matrix(left[:12])),
                        ("from the taps of layer_matrix", sympy.Matrix(right[:12]))],
                 holds=holds and len(left) == len(right), residual=residual,
                 failures=list(failing), claim_latex=claim,
                 notes=[f"for these sizes: weight {conv.weight_shape}, input "
                        f"{conv.input_shape}; every entry simplified by sympy"])

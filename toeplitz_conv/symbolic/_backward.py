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
(:meth:`~BackwardConvolution.describe`), and proves, for the given sizes,
that it equals ``A.T @ g`` / ``A.weight_grad(x, g)`` entry by entry
(:attr:`~BackwardConvolution.proof`, sympy).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
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

__all__ = ["BackwardConvolution", "BackwardConvolutions", "backward_convolutions"]

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


@dataclass
class BackwardConvolution:
    """One convolution of the backward pass: its parameters, how to run it, its proof.

    Attributes
    ----------
    kind : {'input_grad', 'weight_grad'}
    params : dict
        The numbers: ``stride``, ``dilation``, ``padding`` (per side and axis),
        ``output_padding`` (input gradient) or ``crop`` (weight gradient), ``groups``.
    """

    kind: Literal["input_grad", "weight_grad"]
    weight_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: dict[str, Any]
    _build: dict[str, Any] = field(repr=False)
    _proof: Proof | None = field(default=None, repr=False)

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
        p = self.params
        s, d, groups = p["stride"], p["dilation"], p["groups"]
        c_out, c_ig = self.weight_shape[:2]
        per = c_out // groups
        kshape = self.weight_shape[2:]
        pads = [(dd * (k - 1) - pb, dd * (k - 1) - pa + op)
                for k, dd, (pb, pa), op in zip(kshape, d, p["padding"], p["output_padding"])]
        chans = []
        for ci in range(c_ig * groups):
            grp, c = divmod(ci, c_ig)
            acc: Any = 0
            for o in range(grp * per, (grp + 1) * per):
                gd = _pad_or_crop(_dilate(g[o], s), pads)
                flipped = w[(o, c) + tuple(slice(None, None, -1) for _ in kshape)]
                acc = acc + _correlate_valid(gd, flipped, (1,) * len(s), d)
            chans.append(acc)
        return np.stack(chans)

    def _weight_grad(self, g: np.ndarray, x: np.ndarray) -> np.ndarray:
        p = self.params
        s, d, groups = p["stride"], p["dilation"], p["groups"]
        c_out, c_ig = self.weight_shape[:2]
        per = c_out // groups
        kshape = self.weight_shape[2:]
        out = np.empty(self.weight_shape, dtype=object if (g.dtype == object or x.dtype == object)
                       else np.result_type(g, x))
        for o in range(c_out):
            for c in range(c_ig):
                xp = _pad_or_crop(x[(o // per) * c_ig + c], list(p["padding"]))
                # g is the kernel, dilated by the stride; the output steps by the dilation.
                full = _correlate_valid(xp, g[o], d, s)
                out[o, c] = full[tuple(slice(0, k) for k in kshape)]
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
            pp = [(dd * (k - 1) - pb, dd * (k - 1) - pa + o_)
                  for k, dd, (pb, pa), o_ in zip(self.weight_shape[2:], d, pads, op)]
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
        """The sympy proof, for these sizes, that :meth:`apply` is ``A.T @ g`` (input
        gradient) or ``A.weight_grad(x, g)`` (weight gradient), entry by entry."""
        if self._proof is None:
            self._proof = _prove(self)
        return self._proof


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
    >>> b.input_grad.proof.holds and b.weight_grad.proof.holds
    True
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
    geom = layer_geometry(w_shape[2:], in_shape[1:], stride=s, padding=padding, dilation=d)
    pads = tuple((int(ax.pad_before), int(ax.pad_after)) for ax in geom.axes)
    out_shape = (w_shape[0], *geom.out_shape)
    # The last stride step leaves r input samples unread: output_padding resolves the
    # size ambiguity of the transposed convolution.
    op = tuple((n + pb + pa - dd * (k - 1) - 1) % st for n, (pb, pa), dd, k, st in
               zip(in_shape[1:], pads, d, w_shape[2:], s))
    common = {"stride": s, "dilation": d, "padding": pads, "groups": groups}
    build = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return BackwardConvolutions(
        BackwardConvolution("input_grad", w_shape, in_shape, out_shape,
                            {**common, "output_padding": op}, build),
        BackwardConvolution("weight_grad", w_shape, in_shape, out_shape,
                            {**common, "crop": tuple(w_shape[2:])}, build))


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

"""``check_layer(..., kind="data_matrix")``: an im2col function against ``data_matrix``.

The reference of ``unfold(x) -> X`` is the data matrix of a one-output-channel
layer, ``data_matrix(x, (1, C_in, *kernel_size), ...)``: one row per output
position (C order over the output's spatial axes), one column per
``(c_in, *kernel tap)`` (C order), each entry the input sample that window
reads.  The user's matrix may be oriented either way and batched the usual
ways, each recognised by its shape (the first that fits the values wins):

* ``(C*k, L)`` like ``torch.nn.functional.unfold`` (``(N, C*k, L)`` batched),
  or its transpose ``(L, C*k)`` (``(N, L, C*k)``);
* batched 2-D: ``(C*k, L*N)`` (CS231n's ``im2col_indices``, the image
  fastest), ``(C*k, N*L)``, ``(N*L, C*k)`` or ``(L*N, C*k)``.

The optional ``backward(x, dX) -> dx`` is col2im, the adjoint: each entry of
``dX`` (in the user's orientation) added to the input sample it was read
from, through the data matrix's taps.  Diagnoses: the patches (rows) in
column-major order, the columns ordered ``(kernel, C_in)`` or the kernel
taps transposed, the stride ignored, the padding missing or off by one, the
dilation ignored, another padding mode; for col2im, overlapping patches
overwritten instead of accumulated, or averaged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import as_int_tuple, as_shape
from ..data import data_matrix
from ..geometry import PADDING_MODES
from ._context import dtype_tolerance
from ._isolate import ProcessLayer
from ._layout import Layout
from ._report import Entry, Report, measured
from ._user import Outcome, UserLayer, as_result, result_eps

__all__ = ["check_data_matrix"]

_KEYS = ("kernel_size", "stride", "padding", "dilation", "padding_mode")

# A reading: (label, axis groups of the user's array over N, L and K = C*k).
_BATCHED = [("(N, C*k, L), like torch.nn.functional.unfold", ("N", "K", "L")),
            ("(N, L, C*k)", ("N", "L", "K")),
            ("(C*k, L*N), like CS231n's im2col_indices", ("K", "LN")),
            ("(C*k, N*L)", ("K", "NL")),
            ("(N*L, C*k)", ("NL", "K")),
            ("(L*N, C*k)", ("LN", "K"))]
_SINGLE = [("(C*k, L), like torch.nn.functional.unfold", ("K", "L")),
           ("(L, C*k)", ("L", "K"))]


class _Reading:
    """One way of laying out the data matrix: to and from the canonical ``(N, L, C*k)``."""

    def __init__(self, label: str, groups: tuple[str, ...], batched: bool) -> None:
        self.label, self.groups, self.batched = label, groups, batched

    def _axes(self, n: int, ell: int, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        size = {"N": n, "L": ell, "K": k}
        flat = [c for gr in self.groups for c in gr]
        return tuple(size[c] for c in flat), tuple(math.prod(size[c] for c in gr)
                                                    for gr in self.groups)

    def shape(self, n: int, ell: int, k: int) -> tuple[int, ...]:
        return self._axes(n, ell, k)[1]

    def to_canon(self, u: np.ndarray, n: int, ell: int, k: int) -> np.ndarray:
        full, _ = self._axes(n, ell, k)
        flat = "".join(self.groups)
        if "N" not in flat:
            return u.reshape(full).transpose([flat.index(c) for c in "LK"])[None]
        return u.reshape(full).transpose([flat.index(c) for c in "NLK"])

    def to_user(self, r: np.ndarray) -> np.ndarray:
        n, ell, k = r.shape
        flat = "".join(self.groups)
        if "N" not in flat:
            return np.ascontiguousarray(r[0].transpose(["LK".index(c) for c in flat]))
        return np.ascontiguousarray(r.transpose(["NLK".index(c) for c in flat])
                                    ).reshape(self.shape(n, ell, k))


class _Unfold:
    """The reference im2col and its alternatives, one image at a time."""

    def __init__(self, in_shape: tuple[int, ...], opts: dict[str, Any]) -> None:
        self.in_shape, self.opts = in_shape, opts
        self.nd = len(in_shape) - 1
        self.kernel = as_int_tuple(opts["kernel_size"], self.nd, "kernel_size", minimum=1)
        self._taps: dict[Any, Any] = {}

    def matrix(self, x: np.ndarray, **changes: Any) -> Any:
        opts = {k: v for k, v in {**self.opts, **changes}.items() if k != "kernel_size"}
        return data_matrix(x, (1, self.in_shape[0], *self.kernel), **opts)

    def out(self, x: np.ndarray, **changes: Any) -> np.ndarray:
        """Canonical ``(N, L, C*k)``."""
        return np.stack([self.matrix(xi, **changes).toarray() for xi in x])

    def out_positions(self) -> tuple[int, ...]:
        return tuple(self.matrix(np.zeros(self.in_shape)).out_shape[1:])

    def taps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if "taps" not in self._taps:
            # The taps are the geometry's: which input each entry reads (any x will do).
            self._taps["taps"] = self.matrix(np.ones(self.in_shape)).taps
        return self._taps["taps"]

    def back(self, g: np.ndarray) -> np.ndarray:
        """col2im: each entry of ``g`` (canonical) added to the input it was read from."""
        rows, cols, src = self.taps()
        size = math.prod(self.in_shape)
        return np.stack([np.bincount(src, gi[rows, cols], minlength=size).reshape(self.in_shape)
                         for gi in g])


# ---------------------------------------------------------------- the catalogue
def _patch_order(pos: tuple[int, ...], inverse: bool) -> Callable[[np.ndarray], np.ndarray]:
    def f(r: np.ndarray) -> np.ndarray:
        n, ell, k = r.shape
        rev = tuple(reversed(pos))
        src = rev if inverse else pos
        perm = (0, *range(len(pos), 0, -1), len(pos) + 1)
        return r.reshape(n, *src, k).transpose(perm).reshape(n, ell, k)
    return f


def _column_order(c: int, kernel: tuple[int, ...], swap_kernel: bool,
                  inverse: bool) -> Callable[[np.ndarray], np.ndarray]:
    def f(r: np.ndarray) -> np.ndarray:
        n, ell, k = r.shape
        if swap_kernel:
            shape = (kernel[::-1] if inverse else kernel)
            return r.reshape(n, ell, c, *shape).swapaxes(-1, -2).reshape(n, ell, k)
        shape = ((math.prod(kernel), c) if inverse else (c, math.prod(kernel)))
        return r.reshape(n, ell, *shape).swapaxes(2, 3).reshape(n, ell, k)
    return f


def _permutations(unf: _Unfold) -> list[tuple[str, Callable[..., np.ndarray],
                                              Callable[..., np.ndarray]]]:
    """``(mistake, forward's permutation, its inverse)`` on canonical matrices."""
    pos = unf.out_positions()
    c, kernel = unf.in_shape[0], unf.kernel
    out = []
    if len(pos) >= 2 and math.prod(pos) > max(pos):
        out.append(("patch order transposed: your patches (output positions) are in "
                    "column-major order, the last spatial axis slowest",
                    _patch_order(pos, False), _patch_order(pos, True)))
    if c > 1 and math.prod(kernel) > 1:
        out.append(("column order transposed: your columns are ordered (kernel taps, C_in), "
                    "channels last, where the layer's are (C_in, kernel taps)",
                    _column_order(c, kernel, False, False),
                    _column_order(c, kernel, False, True)))
    if len(kernel) >= 2 and min(kernel) > 1:
        out.append(("kernel taps transposed: your columns run over the kernel's last axis "
                    "slowest (column-major taps)",
                    _column_order(c, kernel, True, False), _column_order(c, kernel, True, True)))
    return out


def _geometry_alternatives(unf: _Unfold) -> list[tuple[str, dict[str, Any]]]:
    nd = unf.nd
    stride = as_int_tuple(unf.opts.get("stride", 1), nd, "stride", minimum=1)
    dil = as_int_tuple(unf.opts.get("dilation", 1), nd, "dilation", minimum=1)
    padding = unf.opts.get("padding", 0)
    out: list[tuple[str, dict[str, Any]]] = []
    if stride != (1,) * nd:
        out.append((f"stride ignored: your patches are taken at every position (the layer "
                    f"has stride={stride})", {"stride": 1}))
    if not isinstance(padding, str):
        pad = as_int_tuple(padding, nd, "padding", minimum=0) \
            if not isinstance(padding, (tuple, list)) or all(
                isinstance(p, (int, np.integer)) for p in padding) else None
        if pad is not None and any(pad):
            out.append((f"padding missing: your patches are taken from the unpadded input "
                        f"(the layer has padding={pad})", {"padding": 0}))
        if pad is not None:
            for d in (1, -1):
                alt = tuple(p + d for p in pad)
                if min(alt) >= 0 and alt != (0,) * nd:
                    out.append((f"padding off by one: your matrix is that of padding={alt} "
                                f"(the layer has padding={pad})", {"padding": alt}))
    if dil != (1,) * nd:
        out.append((f"dilation ignored (the layer has dilation={dil})", {"dilation": 1}))
    mode = unf.opts.get("padding_mode", "zeros")
    if padding not in (0, "valid", "VALID"):
        for other in PADDING_MODES:
            if other != mode:
                out.append((f"padding_mode misapplied: your patches pad as padding_mode="
                            f"{other!r}, the layer uses {mode!r}", {"padding_mode": other}))
    return out


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-300)
    return bool(np.max(np.abs(a - b), initial=0.0) <= 1e-5 * scale)


def _fit(readings: list[_Reading], us: list[np.ndarray], wants: list[np.ndarray]) -> bool:
    """Whether some reading of the user's matrices gives ``wants`` (canonical)."""
    n, ell, k = wants[0].shape
    for rd in readings:
        if all(u.shape == rd.shape(n, ell, k) for u in us) and all(
                _close(rd.to_canon(u, n, ell, k), w) for u, w in zip(us, wants)):
            return True
    return False


def _diagnose_forward(unf: _Unfold, readings: list[_Reading], xs: list[np.ndarray],
                      us: list[np.ndarray], wants: list[np.ndarray]) -> str | None:
    for text, perm, _ in _permutations(unf):
        if _fit(readings, us, [perm(w) for w in wants]):
            return text
    for text, changes in _geometry_alternatives(unf):
        try:
            alt = [unf.out(x, **changes) for x in xs]
        except (ValueError, TypeError, MemoryError):
            continue
        if _fit(readings, us, alt):
            return text
    total = sum(u.size for u in us)
    if total == sum(w.size for w in wants) and all(
            u.size == w.size and _close(np.sort(u.ravel()), np.sort(w.ravel()))
            for u, w in zip(us, wants)):
        return ("right values in another order: your matrix holds the layer's entries, "
                "arranged neither as (C*k, L) nor as (L, C*k) (rows and columns mixed up?)")
    return None


def _col2im_variants(unf: _Unfold) -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    rows, cols, src = unf.taps()
    size = math.prod(unf.in_shape)
    ell = int(rows.max(initial=-1)) + 1
    k = int(cols.max(initial=-1)) + 1
    count = np.bincount(src, minlength=size).astype(np.float64)

    def overwritten(order: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        last = np.full(size, -1)
        np.maximum.at(last, src, order)
        read = last >= 0
        flat_of = np.zeros(int(order.max(initial=0)) + 1, dtype=np.int64)
        flat_of[order] = rows * k + cols

        def f(g: np.ndarray) -> np.ndarray:
            out = np.zeros((len(g), size))
            out[:, read] = g.reshape(len(g), -1)[:, flat_of[last[read]]]
            return out.reshape((len(g), *unf.in_shape))
        return f

    def averaged(g: np.ndarray) -> np.ndarray:
        return unf.back(g) / np.maximum(count, 1).reshape(unf.in_shape)

    return [("overlapping patches overwritten instead of accumulated: each input keeps the "
             "value of the last patch that reads it (use np.add.at, not x[idx] = cols)",
             overwritten(cols * ell + rows)),
            ("overlapping patches overwritten instead of accumulated: each input keeps the "
             "value of the last patch that reads it (add, do not assign, in the loop)",
             overwritten(rows * k + cols)),
            ("overlapping patches averaged instead of summed: col2im must add every "
             "patch's value to the input it read", averaged)]


# ---------------------------------------------------------------- the user's layer
class _UnfoldLayer(UserLayer):
    """The user's im2col: ``grads`` hands ``dX`` over in the user's own orientation."""

    def grads(self, x: np.ndarray, g: np.ndarray) -> Outcome:
        xc = self.layout.data_to_user(x)
        x0, g0 = xc.copy(), g.copy()
        who = "backward" if self.kind == "numpy" else "autograd backward"

        def call() -> Any:
            if self.kind == "numpy":
                res = self.backward(xc, g)
            else:
                res = self._torch_grads(xc, g, x)
            return res[0] if isinstance(res, (tuple, list)) else res
        out = self._run(call, who)
        if not out.error and not (np.array_equal(xc, x0) and np.array_equal(g, g0)):
            return Outcome(error=f"{who} modified its input arrays in place")
        return out


def _options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - set(_KEYS)
    if unknown:
        raise TypeError(f"kind='data_matrix' takes {', '.join(_KEYS)}; got {sorted(unknown)}")
    if "kernel_size" not in options:
        raise TypeError("kind='data_matrix' needs kernel_size=")
    return dict(options)


def check_data_matrix(forward: Any, input_shape: Any, *, backward: Any = None,
                      batch: int | None = None, rtol: float | None = None,
                      atol: float | None = None, seed: int = 0, n_random: int | None = 3,
                      timeout: float | None = 60.0, isolation: str = "none",
                      options: dict[str, Any]) -> Report:
    """Check an im2col function (see the module docstring); ``check_layer`` validates the rest."""
    shape = as_shape(input_shape)
    nd = len(shape) - 1
    if not 1 <= nd <= 3:
        raise ValueError(f"input_shape must be (C, *spatial) with 1 to 3 spatial axes, got "
                         f"{shape}")
    unf = _Unfold(shape, _options(options))
    unf.out(np.zeros((1, *shape)))         # the geometry is refused here, before any call
    layout = Layout(nd, batch=batch)
    user = _UnfoldLayer(forward, np.zeros((1, shape[0], *unf.kernel)), None, backward,
                        layout=layout, timeout=timeout)
    user.takes_weight = user.takes_bias = False     # an im2col takes only x
    user.notes.clear()
    rng = np.random.default_rng(seed)
    n = layout.n
    n_random = 3 if n_random is None else n_random
    xs = [rng.standard_normal((n, *shape)) for _ in range(n_random)]
    names = [f"random x #{i}" for i in range(n_random)]
    xs.append(_ramp((n, *shape)))
    names.append("ramp x")
    if isolation == "process":
        with ProcessLayer(user, timeout) as iso:
            return _run(unf, iso, xs, names, rng, rtol, atol, batch)
    return _run(unf, user, xs, names, rng, rtol, atol, batch)


def _ramp(shape: tuple[int, ...]) -> np.ndarray:
    # Distinct values: an entry read from the wrong sample cannot look right.
    return (np.arange(math.prod(shape), dtype=np.float64) + 1.0).reshape(shape)


def _forward(unf: _Unfold, user: Any, xs: list[np.ndarray], names: list[str],
             readings: list[_Reading], tol: Callable[[float], tuple[float, float]]
             ) -> tuple[Entry, _Reading | None]:
    wants = [unf.out(x) for x in xs]
    n, ell, k = wants[0].shape
    us: list[np.ndarray] = []
    eps = 0.0
    for x, tname in zip(xs, names):
        out = user.forward(x)
        if out.error:
            return Entry("forward", False, message=f"{out.error} (input '{tname}')"), None
        eps = max(eps, result_eps(out.value))
        arr, msg = as_result(out.value, readings[0].shape(n, ell, k), "forward")
        if arr is None:
            return Entry("forward", False, message=f"{msg} (input '{tname}')"), None
        us.append(arr)
    fitting = [rd for rd in readings if all(u.shape == rd.shape(n, ell, k) for u in us)]
    what = ("im2col against data_matrix(x, (1, C_in, *kernel_size)), indices as (image, "
            "patch, column)")
    best: tuple[Entry, _Reading] | None = None
    for rd in fitting:
        e = measured("forward", [rd.to_canon(u, n, ell, k) for u in us], wants, names,
                     tol(eps), f"{what} read as {rd.label}")
        if e.ok:
            return e, rd
        best = best or (e, rd)
    if best is None:
        shapes = " or ".join(str(rd.shape(n, ell, k)) for rd in readings)
        e = Entry("forward", False, message=f"forward returned shape {us[0].shape}, expected "
                                            f"{shapes} (L = {ell} patches, C*k = {k})")
    else:
        e = best[0]
    e.diagnosis = _diagnose_forward(unf, readings, xs, us, wants)
    return e, None if best is None else best[1]


def _backward(unf: _Unfold, user: Any, xs: list[np.ndarray], names: list[str],
              reading: _Reading, rng: np.random.Generator, layout: Layout,
              tol: Callable[[float], tuple[float, float]]) -> Entry:
    gs = [rng.standard_normal(unf.out(x).shape) for x in xs]
    wants = [unf.back(g) for g in gs]
    got: list[np.ndarray] = []
    eps = 0.0
    ushape = layout.data_shape(xs[0].shape)
    for x, g, tname in zip(xs, gs, names):
        out = user.grads(x, reading.to_user(g))
        if out.error:
            return Entry("input_grad", False, message=f"{out.error} (input '{tname}')")
        eps = max(eps, result_eps(out.value))
        arr, msg = as_result(out.value, ushape, "backward")
        if arr is None or msg:
            return Entry("input_grad", False, message=f"{msg} (input '{tname}')")
        got.append(layout.data_from_user(arr))
    e = measured("input_grad", got, wants, names, tol(eps),
                 f"col2im against the data matrix's adjoint (each entry of dX added to the "
                 f"input it reads), dX given as {reading.label}")
    if not e.ok:
        for text, f in _col2im_variants(unf):
            if all(_close(a, f(g)) for a, g in zip(got, gs)):
                e.diagnosis = text
                break
        for text, _, inv in _permutations(unf) if e.diagnosis is None else []:
            if all(_close(a, unf.back(inv(g))) for a, g in zip(got, gs)):
                e.diagnosis = f"col2im: {text}"
                break
    return e


def _run(unf: _Unfold, user: Any, xs: list[np.ndarray], names: list[str],
         rng: np.random.Generator, rtol: float | None, atol: float | None,
         batch: int | None) -> Report:
    layout = Layout(unf.nd, batch=batch)
    readings = [_Reading(lab, gr, batch is not None)
                for lab, gr in (_BATCHED if batch is not None else _SINGLE)]

    def tol(eps: float) -> tuple[float, float]:
        r, a = dtype_tolerance(eps, 1)      # copies of the input: no sum rounds
        return (r if rtol is None else rtol, a if atol is None else atol)

    fwd, reading = _forward(unf, user, xs, names, readings, tol)
    entries = [fwd]
    if not user.has_grads:
        entries.append(Entry("input_grad", True, checked=False,
                             message="not checked: pass backward(x, dX) -> dx (col2im), or a "
                                     "torch module"))
    elif reading is None:
        entries.append(Entry("input_grad", True, checked=False,
                             message="not checked: the forward's matrix could not be read "
                                     "in any orientation"))
    else:
        entries.append(_backward(unf, user, xs, names, reading, rng, layout, tol))
    return Report(entries, title="im2col (data matrix) check"
                  + ("" if batch is None else f" (batch {batch})"))

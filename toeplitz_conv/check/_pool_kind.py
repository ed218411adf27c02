"""``check_layer(..., kind="avg_pool" | "max_pool" | "lp_pool")``: pooling against its matrix.

The reference is the pooling builders' matrix: ``avg_pool_matrix`` (fixed)
or, for max pooling, the selection matrix ``max_pool_matrix(x)`` at each
trial input (max pooling is linear near any input without ties).  The
forward must be ``A @ x`` and the backward ``backward(x, grad_out) ->
grad_x`` must be ``A.T @ grad_out``.  Max pooling's own trial inputs have
distinct values, so that no tie decides the gradient; the report says so.
``inputs=[x, ...]`` adds the user's own trial inputs (in the layer's shape,
batched with ``batch``).  Where a window's maximum is shared (or two values
are equal at the layer's precision) the report names the tied windows in
``Report.notes`` and accepts any split of the gradient over the tied maxima
(:mod:`._pool_ties`), torch's choice (the first) being one of them.

Diagnoses come from alternative pooling layers built by the same builders
(a window one larger or smaller, the stride ignored, the average not
divided or divided by the padded count) and, for max pooling, gradients
routed to another element of each window (its first, its last, its minimum).
Lp pooling (:mod:`._lp_pool`) is checked the same way against its formula
through ``avg_pool_matrix``, on positive trial inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import as_int_tuple, as_kernel, as_shape, choose
from ..pooling import avg_pool_matrix, max_pool_matrix
from ._context import dtype_tolerance, random_trial
from ._isolate import ProcessLayer
from ._layout import Layout
from ._lp_pool import LpPool, lp_alternatives
from ._pool_ties import (
    Tie,
    kernel_shape,
    tie_routing_fits,
    tie_text,
    ties_in,
    to_every_tied,
    window_table,
    window_values,
)
from ._report import Entry, Report, measured
from ._scratch import keep_recent, scratch
from ._user import UserLayer, as_result, result_eps

__all__ = ["check_pool"]

_AVG_KEYS = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
_LARGE = 2**16     # input values beyond which one random trial is the default
_KEPT_WINDOW_BYTES = 64 * 2**20     # max pooling's window values kept for reuse

_MAX_KEYS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
_LP_KEYS = ("norm_type", "kernel_size", "stride", "ceil_mode")


def _address(x: np.ndarray) -> tuple[Any, ...]:
    # A held view keeps its memory alive, so an array at the same address
    # with the same shape and strides is a view of the same values.
    return (x.__array_interface__["data"][0], x.shape, x.strides)


class _Pool:
    """The pooling layer under test and its alternatives, one image at a time."""

    def __init__(self, kind: str, in_shape: tuple[int, ...], opts: dict[str, Any]) -> None:
        self.kind, self.in_shape, self.opts = kind, in_shape, opts
        self._avg: dict[Any, Any] = {}
        self._max: list[tuple[np.ndarray, Any, Any]] = []
        self._windows: np.ndarray | None = None
        self._out_spatial: tuple[int, ...] = ()
        self._seen: list[tuple[np.ndarray, list[Any]]] = []

    def _table(self) -> np.ndarray:
        """The windows of one channel (:func:`window_table`); it sets ``_out_spatial`` too."""
        if self._windows is None:
            self._windows, self._out_spatial = window_table(self.in_shape, self.opts)
        return self._windows

    def _window(self, x: np.ndarray) -> list[Any]:
        """``[vals, top, sel]`` of one image: :func:`window_values` and the selection.

        Kept for the last images seen: the forward, the gradient and the tie
        search all read the same windows of each trial input.
        """
        where = _address(x)
        for held, entry in self._seen:
            if _address(held) == where:
                return entry
        vals, top = window_values(x, self._table())            # (taps, windows, C)
        entry = [vals, top, None]
        self._seen.append((x, entry))
        # The window values are the kernel's size times the output: a few large
        # images' worth are kept, not a whole batch's.
        keep_recent(self._seen, lambda seen: seen[1][0].nbytes, 16, _KEPT_WINDOW_BYTES)
        return entry

    def _selected(self, x: np.ndarray) -> np.ndarray:
        """``(C, windows)``: the input each window of this layer selects at ``x`` (one image).

        ``max_pool_matrix(x)``'s selection without assembling the matrix (the
        checked layer's own reference, at every trial input; a large one's
        assembly took most of the check): the windows of one channel from
        the same geometry, each channel's inputs with a ``-inf`` after them
        that padded reads (never a maximum) point to, and the first maximum
        in window order.  A window that reads only padding selects that
        ``-inf`` (the matrix's empty row and ``-inf`` offset).
        """
        entry = self._window(x)
        if entry[2] is None:
            vals, top = entry[0], entry[1]
            win = self._table()
            # The first tap equal to the maximum is the one selected (as
            # np.argmax picks, which is slow along a short axis): it has as many
            # taps before it as there are of taps 0 .. T-2 where no maximum has
            # been seen yet, counted in bytes.
            n_taps = win.shape[1]
            seen_at = np.zeros(top.shape, np.min_scalar_type(n_taps))
            seen = np.zeros(top.shape, bool)
            hit = np.empty(top.shape, bool)
            for tap in range(n_taps - 1):
                seen |= np.equal(vals[tap], top, out=hit)
                seen_at += seen
            before = (n_taps - 1) - seen_at.T                          # (C, windows)
            flat = before + (n_taps * np.arange(len(win)))
            entry[2] = np.take(win.ravel(), flat)
        return entry[2]

    def ties(self, x: np.ndarray, eps: float) -> list[Tie]:
        """:func:`find_ties` of ``x`` (``(N, C, *spatial)``), from the selection's window values."""
        win = self._table()
        out: list[Tie] = []
        for i, img in enumerate(x):
            vals, top, _ = self._window(img)
            out += ties_in(i, vals, top, win, self.in_shape, self._out_spatial,
                           kernel_shape(self.in_shape, self.opts), eps)
        return out

    def _fast(self, changes: dict[str, Any]) -> bool:
        return self.kind == "max_pool" and not changes

    def matrix(self, x: np.ndarray, **changes: Any) -> Any:
        opts = {**self.opts, **changes}
        if self.kind == "avg_pool":
            key = tuple(sorted((k, repr(v)) for k, v in opts.items()))
            if key not in self._avg:
                k = opts.pop("kernel_size")
                self._avg[key] = avg_pool_matrix(k, self.in_shape, **opts)
            return self._avg[key]
        # The forward and the gradient check select at the same inputs: each
        # selection is built once.
        key = tuple(sorted((k, repr(v)) for k, v in changes.items()))
        where = _address(x)
        for held, hkey, m in self._max:
            if hkey == key and _address(held) == where:
                return m
        k = opts.pop("kernel_size")
        m = max_pool_matrix(x, k, **opts)
        self._max = [*self._max[-15:], (x, key, m)]
        return m

    def out(self, x: np.ndarray, **changes: Any) -> np.ndarray:
        if self._fast(changes):
            return np.stack([self._pick(x[i]) for i in range(len(x))])
        return np.stack([self.matrix(x[i], **changes).apply(x[i]) for i in range(len(x))])

    def back(self, x: np.ndarray, g: np.ndarray, **changes: Any) -> np.ndarray:
        if self._fast(changes):
            out = np.empty(x.shape)
            for i in range(len(x)):
                self._scatter(x[i], g[i], out[i])
            return out
        return np.stack([self.matrix(x[i], **changes).T.apply(g[i]) for i in range(len(x))])

    def _pick(self, x: np.ndarray) -> np.ndarray:
        # S @ x is each window's maximum (-inf for a window of padding only),
        # the value its selected input holds.
        top = self._window(x)[1]
        return top.T.reshape((x.shape[0], *self._out_spatial))

    def _scatter(self, x: np.ndarray, g: np.ndarray, out: np.ndarray) -> None:
        # S.T @ g into out: each window's grad_out to the input it selected
        # (summed where windows overlap); a padded selection goes to a column
        # past the inputs, dropped.  The sum runs in a kept buffer: a fresh
        # one (bincount's) cost more in page faults than the sum itself.
        sel = self._selected(x)
        c, n_sp = x.shape[0], math.prod(x.shape[1:])
        idx = sel + (n_sp + 1) * np.arange(c)[:, None]
        dx = scratch((c, n_sp + 1), np.float64)
        dx.fill(0.0)
        np.add.at(dx.reshape(-1), idx.reshape(-1), np.asarray(g, dtype=np.float64).reshape(-1))
        out.reshape(c, n_sp)[...] = dx[:, :n_sp]


def _alternatives(pool: Any) -> list[tuple[str, dict[str, Any]]]:
    k = as_int_tuple(pool.opts["kernel_size"], len(pool.in_shape) - 1, "kernel_size", minimum=1)
    s = pool.opts.get("stride")
    out: list[tuple[str, dict[str, Any]]] = []
    for d in (1, -1):
        kk = tuple(v + d for v in k)
        if min(kk) >= 1:
            what = "larger" if d > 0 else "smaller"
            out.append((f"window one {what} than kernel_size={k} (off by one)",
                        {"kernel_size": kk, "stride": s if s is not None else k}))
    if s is None or as_int_tuple(s, len(k), "stride", minimum=1) != (1,) * len(k):
        out.append(("stride ignored (windows at every position, stride 1)", {"stride": 1}))
    if pool.kind == "avg_pool":
        out.append(("average not divided: the sum of each window",
                    {"divisor_override": 1}))
        cip = bool(pool.opts.get("count_include_pad", True))
        text = ("divided by the count of real samples only (count_include_pad=False)" if cip
                else "divided by the padded count (count_include_pad=True)")
        out.append((f"average {text}", {"count_include_pad": not cip}))
    if pool.kind == "lp_pool":
        out += lp_alternatives(pool)
    return out


def _fits(got: list[np.ndarray], want: list[np.ndarray]) -> bool:
    for a, b in zip(got, want):
        if a.shape != b.shape:
            return False
        scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-300)
        if np.max(np.abs(a - b), initial=0.0) > 1e-5 * scale:
            return False
    return True


def _diagnose(pool: Any, xs: list[np.ndarray], got: list[np.ndarray],
              value: Callable[..., np.ndarray]) -> str | None:
    for text, changes in _alternatives(pool):
        try:
            want = [value(x, **changes) for x in xs]
        except (ValueError, TypeError):
            continue
        if _fits(got, want):
            return text
    return None


def _routed(pool: _Pool, xs: list[np.ndarray], gs: list[np.ndarray],
            got: list[np.ndarray]) -> str | None:
    """Max pooling's gradient sent to another element of each window."""
    for text, probe in (("the window's first element", lambda x: -_ramp(x)),
                        ("the window's last element", _ramp),
                        ("the window's minimum", lambda x: -x)):
        want = [np.stack([pool.matrix(p, ).T.apply(gi) for p, gi in zip(probe(x), g)])
                for x, g in zip(xs, gs)]
        if _fits(got, want):
            return f"gradient routed to {text} instead of its maximum"
    return None


def _ramp(x: np.ndarray) -> np.ndarray:
    return np.arange(x.size, dtype=np.float64).reshape(x.shape)


def _options(kind: str, options: dict[str, Any], nd: int) -> dict[str, Any]:
    keys = {"avg_pool": _AVG_KEYS, "max_pool": _MAX_KEYS, "lp_pool": _LP_KEYS}[kind] + ("inputs",)
    unknown = set(options) - set(keys)
    if unknown:
        raise TypeError(f"kind={kind!r} takes {', '.join(keys)}; got {sorted(unknown)}")
    for needed in ("kernel_size", "norm_type") if kind == "lp_pool" else ("kernel_size",):
        if needed not in options:
            raise TypeError(f"kind={kind!r} needs {needed}=")
    return dict(options)


def _user_inputs(inputs: Any, shape: tuple[int, ...], n: int,
                 batch: int | None) -> list[np.ndarray]:
    """``inputs=``: the user's own trial inputs, in the layer's shape (batched with ``batch``)."""
    if inputs is None:
        return []
    if isinstance(inputs, np.ndarray) or not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    want = shape if batch is None else (n, *shape)
    out = []
    for i, x in enumerate(inputs):
        arr = as_kernel(x, f"inputs[{i}]").astype(np.float64)
        if arr.shape != want:
            raise ValueError(f"inputs[{i}] must have the layer's input shape {want}, got "
                             f"{arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"inputs[{i}] must be finite")
        out.append(arr[None] if batch is None else arr)
    return out


def check_pool(forward: Any, input_shape: Any, kind: str, *, backward: Any = None,
               batch: int | None = None, rtol: float | None = None, atol: float | None = None,
               seed: int = 0, n_random: int | None = 3, timeout: float | None = 60.0,
               isolation: str = "none", options: dict[str, Any]) -> Report:
    """Check a pooling layer (see the module docstring); ``check_layer`` validates the rest."""
    choose(kind, "kind", ("avg_pool", "max_pool", "lp_pool"))
    shape = as_shape(input_shape)
    nd = len(shape) - 1
    if not 1 <= nd <= 3:
        raise ValueError(f"input_shape must be (C, *spatial) with 1 to 3 spatial axes, got "
                         f"{shape}")
    opts = _options(kind, options, nd)
    layout = Layout(nd, batch=batch)
    n = layout.n
    given = _user_inputs(opts.pop("inputs", None), shape, n, batch)
    pool = LpPool(shape, opts) if kind == "lp_pool" else _Pool(kind, shape, opts)
    dummy = np.zeros((shape[0], 1) + (1,) * nd)
    user = UserLayer(forward, dummy, None, backward, layout=layout,
                     grads=(lambda: (None,)) if backward is not None else None,
                     timeout=timeout)
    user.takes_weight = user.takes_bias = False     # a pooling layer has none to take
    user.notes.clear()
    rng = np.random.default_rng(seed)
    if n_random is None:
        # A large input exercises every window many times over in one trial.
        n_random = 1 if n * math.prod(shape) > _LARGE else 3
    # Lp pooling: positive inputs, where x**p is defined and smooth for every p.
    xs = [rng.uniform(0.5, 2.0, (n, *shape)) if kind == "lp_pool"
          else random_trial(rng, (n, *shape)) for _ in range(n_random)]
    names = [f"random x #{i}" for i in range(n_random)]
    if kind == "avg_pool":
        one = np.zeros((n, *shape))
        one[(0,) * (nd + 2)] = 1.0
        xs.append(one)
        names.append(f"one-hot x at {(0,) * (nd + 2)}")
    xs += given
    names += [f"your input #{i}" for i in range(len(given))]
    want = [pool.out(x) for x in xs]
    if isolation == "process":
        with ProcessLayer(user, timeout) as iso:
            return _run(pool, iso, xs, names, want, rng, rtol, atol, kind, batch)
    return _run(pool, user, xs, names, want, rng, rtol, atol, kind, batch)


def _call(user: Any, method: str, args: tuple[Any, ...], ushape: tuple[int, ...],
          layout: Layout, what: str, tname: str) -> tuple[np.ndarray | None, str, float]:
    out = getattr(user, method)(*args)
    if out.error:
        return None, f"{out.error} (input '{tname}')", 0.0
    value = out.value[0] if method == "grads" else out.value
    eps = result_eps(value)
    arr, msg = as_result(value, ushape, what)
    if arr is None or arr.ndim != len(ushape):
        return None, f"{msg} (input '{tname}')", eps
    # A result of the wrong shape comes back too (with its message): an
    # alternative pooling layer may explain it.
    return layout.data_from_user(arr), f"{msg} (input '{tname}')" if msg else "", eps


def _accept_ties(pool: _Pool, xs: list[np.ndarray], gs: list[np.ndarray],
                 ggot: list[np.ndarray], gwant: list[np.ndarray], names: list[str],
                 tol: tuple[float, float], eps: float, batched: bool
                 ) -> tuple[list[str], list[np.ndarray], bool]:
    """Name the ties of each trial input; where the user split a tie validly, accept it.

    Returns the notes, the references (the user's own gradient where it is a
    valid split at the ties, else torch's), and whether the user's gradient
    sent the full grad_out to every tied maximum on some trial.
    """
    notes: list[str] = []
    out = list(gwant)
    every = False
    for k, (x, g, got, want) in enumerate(zip(xs, gs, ggot, gwant)):
        found = pool.ties(x, eps)
        if not found:
            continue
        notes.append(tie_text(found, pool.in_shape, names[k], batched))
        if got.shape != want.shape:
            continue
        fixed = want.copy()
        for i in range(len(x)):
            mine = [t for t in found if t.image == i]
            limit = tol[1] + tol[0] * float(np.max(np.abs(want[i]), initial=0.0))
            if not mine or np.max(np.abs(got[i] - want[i]), initial=0.0) <= limit:
                continue
            first = np.asarray(pool.matrix(x[i]).info["argmax"]).ravel()
            gi = g[i].ravel()
            fits = tie_routing_fits(mine, got[i], want[i], gi, first, limit)
            if fits is None:              # too many ties to solve for: not judged
                fixed[i] = got[i]
                notes[-1] += f" (too many to verify the split of image {i}: not checked there)"
            elif fits:
                fixed[i] = got[i]
            elif np.max(np.abs(to_every_tied(mine, want[i], gi, first) - got[i]),
                        initial=0.0) <= limit:
                every = True
        out[k] = fixed
    return notes, out, every


def _grad_entry(pool: Any, user: Any, xs: list[np.ndarray], names: list[str],
                want: list[np.ndarray], rng: np.random.Generator,
                tol: Callable[[float], tuple[float, float]], layout: Layout
                ) -> tuple[Entry, list[str]]:
    """The input gradient against ``A.T @ grad_out`` (max pooling: any valid split at a tie).

    Returns the entry and the ties found in the trial inputs (one text per input).
    """
    kind = pool.kind
    gs = [random_trial(rng, w.shape) for w in want]
    gwant = [pool.back(x, g) for x, g in zip(xs, gs)]
    ggot, failure, eps = [], "", 0.0
    for x, g, tname in zip(xs, gs, names):
        arr, failure, eps = _call(user, "grads", (x, g), layout.data_shape(x.shape),
                                  layout, "backward", tname)
        if failure or arr is None:
            break
        ggot.append(arr)
    if failure:
        return Entry("input_grad", False, message=failure), []
    what = ("input gradient against A.T @ grad_out" if kind != "lp_pool" else
            "input gradient against x**(p-1) * (K * A.T @ (grad_out * y**(1-p)))")
    ties: list[str] = []
    every = False
    if kind == "max_pool":
        ties, gwant, every = _accept_ties(pool, xs, gs, ggot, gwant, names, tol(eps), eps,
                                          layout.batch is not None)
        what += (" (trial inputs have distinct values: no tie decides the gradient)" if not ties
                 else " (at a tie any split of grad_out over the tied maxima is accepted; "
                      "torch sends it to the first); " + "; ".join(ties))
    e = measured("input_grad", ggot, gwant, names, tol(eps), what)
    if e.ok:
        return e, ties
    if every:
        e.diagnosis = ("at tied maxima the full grad_out went to every tied element (mask = "
                       "window == max); it must be split among them (torch sends it all to "
                       "the first)")
        return e, ties
    e.diagnosis = _diagnose(pool, xs, ggot, lambda x, **c: pool.back(
        x, gs[next(i for i, xx in enumerate(xs) if xx is x)], **c))
    if e.diagnosis is None and kind == "max_pool":
        e.diagnosis = _routed(pool, xs, gs, ggot)
    return e, ties


def _run(pool: Any, user: Any, xs: list[np.ndarray], names: list[str],
         want: list[np.ndarray], rng: np.random.Generator, rtol: float | None,
         atol: float | None, kind: str, batch: int | None) -> Report:
    layout = Layout(len(pool.in_shape) - 1, batch=batch)
    window = int(np.prod(as_int_tuple(pool.opts["kernel_size"], len(pool.in_shape) - 1,
                                      "kernel_size", minimum=1)))

    def tol(eps: float) -> tuple[float, float]:
        r, a = dtype_tolerance(eps, window)
        return (r if rtol is None else rtol, a if atol is None else atol)

    got, failure, eps = [], "", 0.0
    for x, tname in zip(xs, names):
        arr, msg, eps = _call(user, "forward", (x,), layout.data_shape(want[0].shape),
                              layout, "forward", tname)
        failure = failure or msg
        if arr is None:
            break
        got.append(arr)
    what = "forward against " + {"avg_pool": "avg_pool_matrix @ x",
                                 "max_pool": "max_pool_matrix(x) @ x (the selection at x)",
                                 "lp_pool": "lp_pool(x) = (K * avg_pool_matrix @ x**p)**(1/p)"
                                 }[kind]
    if failure:
        fwd = Entry("forward", False, message=failure)
        if len(got) == len(xs):
            fwd.diagnosis = _diagnose(pool, xs, got, pool.out)
    else:
        fwd = measured("forward", got, want, names, tol(eps), what)
        if not fwd.ok:
            fwd.diagnosis = _diagnose(pool, xs, got, pool.out)
    entries = [fwd]
    notes: list[str] = []
    if not user.has_grads:
        entries.append(Entry("input_grad", True, checked=False,
                             message="not checked: pass backward(x, grad_out) -> grad_x, or a "
                                     "torch module"))
    else:
        entry, ties = _grad_entry(pool, user, xs, names, want, rng, tol, layout)
        entries.append(entry)
        # A tie is no failure, but the reader must see it (a passing entry's
        # message is not shown): the report carries it as a note.
        if ties:
            notes.append(f"{'; '.join(ties)}. At a tie any split of grad_out over the tied "
                         f"maxima is a valid gradient (torch sends it to the first); the "
                         f"layer's choice was accepted"
                         + ("" if entry.ok else " where it was such a split"))
    title = {"avg_pool": "average-pool check", "max_pool": "max-pool check",
             "lp_pool": "Lp-pool check"}[kind]
    return Report(entries, title=title + ("" if batch is None else f" (batch {batch})"),
                  notes=notes)

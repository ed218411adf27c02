"""Calling the user's code safely: numpy functions, torch modules and autograd Functions.

Whatever the user's code does (raise, return the wrong thing, write into its
arguments, call ``sys.exit``, never return), the checker receives a
:class:`Outcome` instead of an exception or a hang: each call runs with a
time limit (see :func:`run_user`), and the caller's arrays are never handed
to it: every call gets copies, in the user's own layout.  What Python cannot
catch (``os._exit``, signals, crashes, forks) is caught by running the layer
in a child process (:mod:`._isolate`).
"""

from __future__ import annotations

import copy
import inspect
import math
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import as_finite_real, to_numpy
from ._layout import Layout
from ._scratch import keep_recent

__all__ = ["ISOLATIONS", "BlackBox", "Outcome", "UserLayer", "as_result", "as_timeout",
           "as_tolerance", "describe_kind", "result_eps", "run_user"]


@dataclass
class Outcome:
    """What one call of user code produced: a value, or what went wrong.

    ``cause``: the exception the user's code raised (in this process only: it
    is not sent back from a worker process), for the caller's traceback.
    """

    value: Any = None
    error: str | None = None
    cause: BaseException | None = field(default=None, repr=False, compare=False)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 300:
        first = first[:300] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class _TimedOut(BaseException):
    """Raised in the user's code by the in-process timer (a BaseException: rarely caught)."""


def _can_alarm(timeout: float | None) -> bool:
    """Whether a SIGALRM timer can stop the call: main thread, POSIX, no timer already set."""
    if timeout is None or not hasattr(signal, "setitimer"):
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _call_alarmed(fn: Callable[[], Any], timeout: float, box: dict[str, Any]) -> None:
    fired = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(True)
        raise _TimedOut

    old = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            box["value"] = fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
    except _TimedOut:
        box["timed_out"] = True
    except BaseException as exc:
        box["exc"] = exc
    finally:
        signal.signal(signal.SIGALRM, old)
    if fired:                       # the user's code caught the alarm and went on
        box["timed_out"] = True


def run_user(fn: Callable[[], Any], timeout: float | None, who: str) -> Outcome:
    """Call ``fn()``; an exception, ``sys.exit`` or a hang becomes an Outcome.

    In the main thread (on POSIX) the call runs right there, stopped at
    ``timeout`` by a ``SIGALRM`` timer, so a hung call leaves nothing
    running.  The timer interrupts Python code and sleeps, not a single long
    C call (it stops when that returns), and it is not used when the caller
    has a timer of its own; then, and off the main thread, the call runs in a
    daemon thread that is abandoned at the timeout (it may keep running:
    ``isolation="process"`` is the way to stop anything).  ``timeout=None``
    calls ``fn`` directly, without a limit.  A ``KeyboardInterrupt`` raised
    by the user's code still stops the check.

    >>> run_user(lambda: 1 + 1, 5.0, "forward").value
    2
    >>> run_user(lambda: sys.exit(3), 5.0, "forward").error
    'forward called sys.exit(3)'
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["exc"] = exc

    if timeout is None:
        target()
    elif _can_alarm(timeout):
        _call_alarmed(fn, timeout, box)
    else:
        t = threading.Thread(target=target, name=f"toeplitz_conv user {who}", daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            box["timed_out"] = True
    if box.get("timed_out"):
        return Outcome(error=f"{who} did not return within timeout={timeout:g} s "
                             "(stopped it; pass a larger timeout= if it is just slow)")
    exc = box.get("exc")
    if exc is None:
        return Outcome(value=box.get("value"))
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    if isinstance(exc, SystemExit):
        return Outcome(error=f"{who} called sys.exit({exc.code!r})")
    if isinstance(exc, MemoryError):
        return Outcome(error=f"{who} ran out of memory (MemoryError)", cause=exc)
    return Outcome(error=f"{who} raised {_short(exc)}", cause=exc)


ISOLATIONS = ("none", "process")

#: Bytes of trial-input copies (kept to catch a write into them) a layer keeps.
_KEPT_COPY_BYTES = 2**28


def as_timeout(value: Any) -> float | None:
    """A ``timeout=`` argument: ``None`` (no limit) or seconds, a finite real ``> 0``.

    >>> as_timeout(None), as_timeout(2)
    (None, 2.0)
    >>> as_timeout(0)
    Traceback (most recent call last):
    ...
    ValueError: timeout must be > 0, got 0
    """
    return None if value is None else as_finite_real(value, "timeout", positive=True)


class BlackBox:
    """A black box ``forward(x) -> y`` behind :func:`run_user`: a copy of ``x``, a time limit.

    ``by`` names the caller in the messages (``"extract_matrix"``); the
    worker process's counterpart is
    :class:`~toeplitz_conv.check._isolate.ProcessBlackBox`.  A context manager
    (with nothing to close), like it.

    >>> box = BlackBox(lambda x: 2 * x, 5.0, "extract_matrix")
    >>> [o.value for o in box.many([np.ones(2), np.zeros(2)])]
    [array([2., 2.]), array([0., 0.])]
    >>> BlackBox(lambda x: 1 / 0, 5.0, "extract_matrix").forward(np.ones(2)).error
    'forward raised ZeroDivisionError: division by zero'
    """

    def __init__(self, forward: Any, timeout: float | None, by: str) -> None:
        if not callable(forward):
            raise TypeError(f"forward must be callable, got {type(forward).__name__}")
        self.fn, self.timeout, self.by = forward, timeout, by

    def __enter__(self) -> BlackBox:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def forward(self, x: np.ndarray) -> Outcome:
        """``forward(copy of x)``, or what went wrong (an exception, ``sys.exit``, a hang)."""
        xc = x.copy()
        return run_user(lambda: self.fn(xc), self.timeout, "forward")

    def many(self, xs: list[np.ndarray]) -> list[Outcome]:
        """:meth:`forward` of each input, up to and including the first that fails."""
        outs: list[Outcome] = []
        for x in xs:
            outs.append(self.forward(x))
            if outs[-1].error:
                break
        return outs


def _to_numpy(value: Any) -> Any:
    """Tensors (or anything with ``.detach().cpu().numpy()``) become numpy arrays."""
    value = to_numpy(value)
    if type(value).__module__.startswith("jax") and hasattr(value, "__array__"):
        return np.asarray(value)
    return value


_EPS = {"torch.bfloat16": 2.0 ** -8, "bfloat16": 2.0 ** -8}


def result_eps(value: Any) -> float:
    """The machine epsilon of a user result's dtype (float64's for integers and unknowns).

    >>> result_eps(np.zeros(2, np.float32)) == float(np.finfo(np.float32).eps)
    True
    """
    name = str(getattr(value, "dtype", ""))
    if name in _EPS:
        return _EPS[name]
    if "float16" in name and "b" not in name:
        return float(np.finfo(np.float16).eps)
    if "float32" in name or name in ("float", "torch.float"):
        return float(np.finfo(np.float32).eps)
    try:
        dt = np.asarray(value).dtype if not hasattr(value, "dtype") else np.dtype(value.dtype)
    except TypeError:
        return float(np.finfo(np.float64).eps)
    if dt.kind in "fc":
        return float(np.finfo(dt).eps)
    return float(np.finfo(np.float64).eps)


def as_tolerance(value: Any, name: str) -> float:
    """A tolerance argument: a finite real ``>= 0`` (zero asks for exact agreement).

    >>> as_tolerance(1e-9, "rtol")
    1e-09
    >>> as_tolerance(-1, "rtol")
    Traceback (most recent call last):
    ...
    ValueError: rtol must be >= 0, got -1
    """
    v = as_finite_real(value, name)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v


def _all_finite(arr: np.ndarray) -> bool:
    """No NaN or inf in ``arr``: a finite sum says so in one pass with nothing allocated;
    only a sum that is not (an overflow, or a non-finite value) is looked into."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr)):
            return True
    return bool(np.all(np.isfinite(arr)))


def as_result(value: Any, shape: tuple[int, ...], what: str) -> tuple[np.ndarray | None, str]:
    """Validate a user's result: numeric, real, finite, of ``shape``.

    Returns ``(array, "")`` when it is valid, else ``(None, message)``; a
    finite numeric array of the wrong shape comes back with its message, so
    that the caller can still diagnose it (unless it is far too large to
    copy, e.g. a broadcast view of a huge shape).
    """
    value = _to_numpy(value)
    if value is None:
        return None, f"{what} returned None"
    try:
        arr = np.asarray(value)
    except Exception as exc:  # a user object numpy cannot convert
        return None, f"{what} returned {type(value).__name__}, not an array ({_short(exc)})"
    if arr.dtype == object or arr.dtype.kind not in "biufc":
        return None, f"{what} returned a non-numeric array (dtype {arr.dtype})"
    want = math.prod(shape)
    if arr.shape != shape and arr.size > 4 * want + 4096:
        return None, (f"{what} returned shape {arr.shape} ({arr.size} values), expected "
                      f"{shape}")
    try:
        if arr.dtype.kind == "c":
            if np.any(arr.imag != 0):
                return None, f"{what} returned complex values (dtype {arr.dtype}); expected real"
            arr = arr.real
        # A finite sum has no NaN or inf in it (one pass, nothing allocated);
        # only a sum that is not (an overflow, or a non-finite value) is looked into.
        if arr.dtype.kind in "f" and not _all_finite(arr):
            bad = np.argwhere(~np.isfinite(arr))[0]
            kind = "NaN" if np.isnan(arr[tuple(bad)]) else "inf"
            return None, (f"{what} returned {kind} (at index {tuple(int(i) for i in bad)}, "
                          f"{int(np.sum(~np.isfinite(arr)))} non-finite values in all)")
        out = arr.astype(np.float64)
    except MemoryError:
        return None, f"{what} returned an array too large to compare (shape {arr.shape})"
    if arr.shape != shape:
        return out, f"{what} returned shape {arr.shape}, expected {shape}"
    return out, ""


def _torch() -> Any:
    """The torch module if it is already imported (a torch object implies it is)."""
    return sys.modules.get("torch")


def describe_kind(obj: Any) -> str:
    """``"module"``, ``"function"`` (torch.autograd.Function) or ``"numpy"``."""
    torch = _torch()
    if torch is not None:
        if isinstance(obj, torch.nn.Module):
            return "module"
        if isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
            return "function"
    return "numpy"


def module_params(module: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A torch module's own ``weight`` and ``bias`` as float64 numpy arrays (or None)."""
    w = getattr(module, "weight", None)
    b = getattr(module, "bias", None)
    wn = None if w is None else _to_numpy(w).astype(np.float64)
    bn = None if b is None else _to_numpy(b).astype(np.float64)
    return wn, bn


_WEIGHT_NAMES = ("weight", "w", "kernel", "k")
_BIAS_NAMES = ("bias", "b")
_GRAD_KEYS = {"weight": ("weight", "w", "W", "dw", "dW", "kernel", "grad_weight", "weight_grad"),
              "bias": ("bias", "b", "db", "grad_bias", "bias_grad")}


_WEIGHT_NAMES_ANY_CASE = {n.lower() for n in _WEIGHT_NAMES} | {"weights", "filters", "filter",
                                                                 "kernels", "theta"}


def _takes(fn: Any) -> tuple[bool, bool, str]:
    """Whether ``fn``'s second and third positional parameters are a weight and a bias.

    By position: a second *required* positional parameter receives the
    weight whatever its name (``forward(X, K)``), a third the bias.  A
    parameter with a default receives them only when named so
    (``weight``/``w``/``kernel``/``K``, ``bias``/``b``), so that options such
    as ``forward(x, stride=2)`` are left alone.  The third item is a note
    for signatures that had to be guessed (empty otherwise).

    >>> _takes(lambda X, K: X)[:2], _takes(lambda x, stride=2: x)[:2]
    ((True, False), (False, False))
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False, False, ""
    params = [p for p in sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in params]
    required = sum(p.default is p.empty for p in params)
    weight = len(names) >= 2 and (required >= 2 or names[1].lower() in _WEIGHT_NAMES_ANY_CASE)
    bias = weight and len(names) >= 3 and (required >= 3 or names[2].lower() in _BIAS_NAMES)
    note = ""
    if required > 3 or (required == 3 and names[2].lower() not in _BIAS_NAMES):
        shown = ", ".join(names[:required])
        note = (f"forward({shown}) has {required} required parameters: it was called by "
                f"position as forward(x, weight{', bias' if bias else ''}); to choose, pass "
                f"a wrapper such as forward=lambda x, w: {getattr(fn, '__name__', 'f')}"
                f"(x, w, ...)")
    return weight, bias, note


def _from_grads(value: Any) -> tuple[Any, Any]:
    """``(grad_weight, grad_bias)`` from what a ``grads=`` callable returned."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for what, keys in _GRAD_KEYS.items():
            found[what] = next((value[k] for k in keys if k in value), None)
        if found["weight"] is None:
            raise ValueError(f"grads() returned a dict without a weight gradient (keys "
                             f"{sorted(map(str, value))}; expected one of "
                             f"{list(_GRAD_KEYS['weight'])})")
        return found["weight"], found["bias"]
    if isinstance(value, (tuple, list)) and len(value) in (1, 2):
        return value[0], (value[1] if len(value) == 2 else None)
    return value, None


def _unchanged(now: np.ndarray, before: np.ndarray) -> bool:
    """Whether an argument handed to the user's code still holds its values (NaN as NaN).

    The plain comparison first: ``equal_nan`` costs ten times more, and the
    checker's inputs hold no NaN.

    >>> a = np.array([1.0, np.nan]); b = a.copy()
    >>> _unchanged(a, b), _unchanged(a, b + 1)
    (True, False)
    """
    return bool(np.array_equal(now, before) or np.array_equal(now, before, equal_nan=True))


class UserLayer:
    """The user's layer behind one interface: ``forward(x)`` and ``grads(x, g)``.

    Both take and return arrays in the canonical layout (see
    :class:`~toeplitz_conv.check._layout.Layout`); the user's code sees its
    own layout.

    * numpy function ``forward(x)`` (or ``forward(x, weight)`` /
      ``forward(x, weight, bias)``, recognised by the parameter names, which
      enables finite-difference weight gradients), with an optional
      ``backward(x, g) -> (grad_x, grad_w[, grad_b])``, or
      ``backward(x, g) -> grad_x`` with ``grads() -> (grad_w[, grad_b])`` or a dict;
    * ``api="cache"``: ``forward(x, w, b, conv_param) -> (out, cache)`` and
      ``backward(dout, cache) -> (dx, dw, db)``;
    * a ``torch.nn.Module`` (a deep copy in its own dtype; gradients by autograd; its
      parameter ``weight``/``bias`` are differentiated);
    * a ``torch.autograd.Function`` subclass, called as
      ``Fn.apply(x, weight[, bias])``.
    """

    def __init__(self, forward: Any, weight: np.ndarray, bias: np.ndarray | None,
                 backward: Any = None, *, layout: Layout | None = None, api: str = "auto",
                 grads: Any = None, conv_param: dict[str, Any] | None = None,
                 timeout: float | None = 60.0, n_out: int | None = None) -> None:
        if not callable(forward):
            raise TypeError(f"forward must be callable (a function, torch.nn.Module or "
                            f"torch.autograd.Function), got {type(forward).__name__}")
        if backward is not None and not callable(backward):
            raise TypeError(f"backward must be callable or None, got {type(backward).__name__}")
        if grads is not None and not callable(grads):
            raise TypeError(f"grads must be a callable returning (grad_weight[, grad_bias]) "
                            f"or a dict, got {type(grads).__name__}")
        self.kind = "cache" if api == "cache" else describe_kind(forward)
        if self.kind == "cache" and backward is None:
            raise ValueError("api='cache' needs backward=: backward(dout, cache) -> "
                             "(dx, dw, db)")
        self.layout = layout if layout is not None else Layout(weight.ndim - 2)
        self.weight = weight
        self.bias = bias
        # The bias has one entry per output channel: weight.shape[0] for a conv
        # layer, given by the caller for the other kinds (a transposed layer's
        # weight starts with its input channels).
        self.n_out = weight.shape[0] if n_out is None else n_out
        self.backward = backward
        self.grads_fn = grads
        self.conv_param = conv_param or {}
        self.timeout = timeout
        self._fn = forward
        self.notes: list[str] = []
        self.takes_weight = self.kind == "cache"
        self.takes_bias = self.kind == "cache"
        self.timed_out = False
        if self.kind == "module":
            self._setup_module(forward)
        elif self.kind == "numpy":
            self.takes_weight, self.takes_bias, note = _takes(forward)
            if note:
                self.notes.append(note)

    # ------------------------------------------------------------ plumbing
    def _run(self, fn: Callable[[], Any], who: str) -> Outcome:
        if self.timed_out:
            return Outcome(error=f"{who} not called: an earlier call did not return in time")
        out = run_user(fn, self.timeout, who)
        if out.error and "did not return within" in out.error:
            self.timed_out = True
        return out

    def _user_w(self, weight: np.ndarray | None = None) -> np.ndarray:
        return self.layout.weight_to_user(self.weight if weight is None else weight)

    def _user_b(self) -> np.ndarray | None:
        return None if self.bias is None else self.layout.bias_to_user(self.bias)

    # ------------------------------------------------------------ torch
    def _setup_module(self, module: Any) -> None:
        torch = _torch()
        # A copy, so the user's module (and its .grad) is never touched; it keeps
        # its dtype: the tolerances follow the dtype of its results.
        try:
            mod = copy.deepcopy(module)
        except Exception as exc:
            self.notes.append(f"could not copy the module ({_short(exc)}); using it as is")
            mod = module
        self._fn = mod
        params = dict(mod.named_parameters())
        wshape = self.layout.weight_shape(self.weight.shape)
        wp = params.get("weight")
        if wp is None or tuple(wp.shape) != wshape:
            wp = next((p for p in params.values() if tuple(p.shape) == wshape), None)
        self._wp = wp
        bp = params.get("bias")
        self._bp = bp if bp is not None and bp.numel() == self.n_out else None
        if wp is not None:
            theirs = self.layout.weight_from_user(_to_numpy(wp).astype(np.float64))
            if not np.allclose(theirs, self.weight, rtol=1e-6, atol=1e-12):
                self.notes.append("the module's own weight differs from weight= "
                                  f"(max difference {np.max(np.abs(theirs - self.weight)):.3g})")
        if self.bias is not None and self._bp is None:
            self.notes.append("bias= was given but the module has no bias parameter")
        if self.bias is None and self._bp is not None and self._bp.detach().abs().max() > 0:
            self.notes.append("the module has a non-zero bias but bias= was not given")
        self._torch = torch
        ref = wp if wp is not None else next(iter(params.values()), None)
        self._dtype = ref.dtype if ref is not None and ref.is_floating_point() else None

    def _as_tensor(self, a: np.ndarray) -> Any:
        t = _torch().from_numpy(a)
        dtype = getattr(self, "_dtype", None)
        return t if dtype is None else t.to(dtype)

    def _torch_call(self, xt: Any, wt: Any, bt: Any) -> Any:
        batched = self.layout.batch is not None
        xin = xt if batched else xt[None]
        if self.kind == "module":
            y = self._fn(xin)
        else:
            args = [xin, wt] + ([bt] if bt is not None else [])
            y = self._fn.apply(*args)
        return y if batched else y[0]

    def _torch_graph(self, x: np.ndarray) -> tuple[Any, Any, Any, Any]:
        """``(x, weight, bias, y)`` tensors of one call, with its autograd graph."""
        torch = _torch()
        xt = self._as_tensor(x).requires_grad_(True)
        if self.kind == "module":
            wt, bt = self._wp, self._bp
        else:
            wt = torch.from_numpy(self._user_w()).requires_grad_(True)
            b = self._user_b()
            bt = None if b is None else torch.from_numpy(b).requires_grad_(True)
        return xt, wt, bt, self._torch_call(xt, wt, bt)

    def _torch_forward(self, x: np.ndarray, key: np.ndarray) -> Any:
        # The graph is kept for the gradient check of the same input (the
        # checker's gradient trials reuse the forward's inputs): its backward
        # then needs no second forward pass.
        graph = self._torch_graph(x)
        self._graphs = [*getattr(self, "_graphs", [])[-3:], (key, graph)]
        return graph[3].detach()

    def _torch_grads(self, x: np.ndarray, g: np.ndarray,
                     key: np.ndarray | None = None) -> tuple[Any, Any, Any]:
        torch = _torch()
        graphs = getattr(self, "_graphs", [])
        hit = next((i for i, (k, _) in enumerate(graphs) if k is key), None)
        if hit is not None:
            xt, wt, bt, y = graphs.pop(hit)[1]
        else:
            xt, wt, bt, y = self._torch_graph(x)
        if self.kind == "module":
            self._fn.zero_grad(set_to_none=True)
        # Always a copy: the layer's backward never holds our grad_out (see _sees_copies).
        gt = (torch.from_numpy(g).to(y.dtype, copy=True) if hasattr(y, "dtype")
              else torch.from_numpy(g.copy()))
        y.backward(gt)
        gw = None if wt is None else wt.grad
        gb = None if bt is None else bt.grad
        return xt.grad, gw, gb

    # ------------------------------------------------------------ calls
    def _sees_copies(self) -> bool:
        """Whether the user's code only ever sees copies of the trial arrays.

        A torch layer in another dtype than float64 gets each array converted
        (``_as_tensor`` and the grad_out's ``.to``), so it cannot write into
        ours, and the copy kept to catch that is not needed.
        """
        if self.kind not in ("module", "function"):
            return False
        dtype = getattr(self, "_dtype", None)
        return dtype is not None and dtype != _torch().float64

    def _pristine(self, x: np.ndarray, xc: np.ndarray) -> np.ndarray:
        """A copy of the trial input ``x`` (user layout ``xc``) from before any call saw it.

        Kept for the last few inputs: the gradient check calls the layer on
        the forward's inputs again, and a copy from before the forward shows
        a write by either call.
        """
        kept = getattr(self, "_copies", [])
        for held, copy_ in kept:
            if held is x:
                return copy_
        copy_ = xc.copy()
        kept = [*kept, (x, copy_)]
        # A few inputs' copies, within a budget (a large batch's are large).
        keep_recent(kept, lambda held: held[1].nbytes, 4, _KEPT_COPY_BYTES)
        self._copies = kept
        return copy_

    @property
    def has_grads(self) -> bool:
        return self.kind in ("module", "function", "cache") or self.backward is not None

    def _cache_forward(self, xc: np.ndarray, w: np.ndarray) -> Any:
        b = self._user_b()
        if b is None:
            b = np.zeros(self.n_out)
        return self._fn(xc, w, b, dict(self.conv_param))

    def forward(self, x: np.ndarray, weight: np.ndarray | None = None,
                bias: np.ndarray | None = None) -> Outcome:
        """Call the user's forward on a copy of ``x`` (canonical layout); report mutation.

        ``weight``/``bias`` replace the layer's own (finite differences along them).
        """
        xc = self.layout.data_to_user(x)
        x0 = None if self._sees_copies() else self._pristine(x, xc)

        def call() -> Any:
            if self.kind == "numpy":
                args: list[Any] = [xc]
                if self.takes_weight:
                    args.append(self._user_w(weight))
                if self.takes_weight and self.takes_bias:
                    args.append(self._user_b() if bias is None
                                else self.layout.bias_to_user(bias))
                return self._fn(*args)
            if self.kind == "cache":
                out = self._cache_forward(xc, self._user_w(weight))
                if not isinstance(out, (tuple, list)) or len(out) != 2:
                    raise TypeError(f"api='cache': forward must return (out, cache), got "
                                    f"{type(out).__name__}")
                return out[0]
            return self._torch_forward(xc, x)
        out = self._run(call, "forward")
        if out.error:
            return out
        if x0 is not None and not _unchanged(xc, x0):
            return Outcome(value=out.value, error="forward modified its input array in place")
        return out

    def grads(self, x: np.ndarray, g: np.ndarray) -> Outcome:
        """``(grad_x, grad_w, grad_b or None)`` from the backward or autograd, user layout."""
        xc, gc = self.layout.data_to_user(x), self.layout.data_to_user(g)
        copies = self._sees_copies()
        x0 = None if copies else self._pristine(x, xc)
        # torch's backward gets its own copy of grad_out (_torch_grads): ours is never seen.
        g0 = None if copies or self.kind in ("module", "function") else gc.copy()
        who = {"numpy": "backward", "cache": "backward"}.get(self.kind, "autograd backward")

        def call() -> Any:
            if self.kind == "numpy":
                res = self.backward(xc, gc)
            elif self.kind == "cache":
                fwd = self._cache_forward(xc, self._user_w())
                if not isinstance(fwd, (tuple, list)) or len(fwd) != 2:
                    raise TypeError(f"api='cache': forward must return (out, cache), got "
                                    f"{type(fwd).__name__}")
                res = self.backward(gc, fwd[1])
            else:
                res = self._torch_grads(xc, gc, x)
            if self.grads_fn is not None:
                gx = res[0] if isinstance(res, (tuple, list)) else res
                gw, gb = _from_grads(self.grads_fn())
                res = (gx, gw, gb)
            return res
        out = self._run(call, who)
        if out.error:
            return out
        res = out.value
        if not ((x0 is None or _unchanged(xc, x0)) and (g0 is None or _unchanged(gc, g0))):
            return Outcome(error=f"{who} modified its input arrays in place")
        if not isinstance(res, (tuple, list)) or len(res) not in (2, 3):
            hint = ("" if self.grads_fn is not None else
                    "; if your backward stores the weight gradient on the layer, pass "
                    "grads= (a callable that returns it)")
            return Outcome(error=f"{who} must return (grad_x, grad_weight[, grad_bias]), "
                                 f"got {type(res).__name__}"
                                 + (f" of length {len(res)}" if isinstance(res, (tuple, list))
                                    else "") + hint)
        # Left as returned (tensors included): the checker reads their dtype first.
        parts = list(res) + [None] * (3 - len(res))
        return Outcome(value=tuple(parts))

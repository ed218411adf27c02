"""Running the user's code in a child process (``isolation="process"``).

:class:`ProcessLayer` runs a layer for :func:`~toeplitz_conv.check.check_layer`
and :func:`~toeplitz_conv.check.sweep_layer`, :class:`ProcessBlackBox` a black
box for :func:`~toeplitz_conv.check.extract_matrix` and
:func:`~toeplitz_conv.check.identify`; both are one :class:`_Worker`.

Whatever the user's code does there (``os._exit``, a signal to itself, a
segmentation fault, an allocation of 20 GB, a fork, an endless loop), the
checking process receives an :class:`~toeplitz_conv.check._user.Outcome`
saying what happened, and nothing of the child is left running afterwards:

* the child is forked (on Linux; elsewhere spawned, which needs a picklable
  layer), starts its own session so that its whole process group can be
  killed, and caps its address space (``RLIMIT_AS``) so that a huge
  allocation raises ``MemoryError`` in the child instead of exhausting the
  machine;
* each call is a message on a pipe (a batch of calls one message, answered
  call by call: a black box's probes pay no round trip each); the parent
  waits at most ``timeout`` seconds for each answer, then kills the child's
  process group (a hung call leaves no thread behind);
* a child that dies is reported by its exit status or signal; a process the
  user's code started is killed and reported.

After a call that crashed or timed out, later calls are not made (each would
wait or crash again); they say so.
"""

from __future__ import annotations

import faulthandler
import io
import multiprocessing as mp
import os
import pickle
import signal
import sys
import time
from typing import Any

import numpy as np

from ._user import BlackBox, Outcome, UserLayer

__all__ = ["ProcessBlackBox", "ProcessLayer", "black_box"]

_HEADROOM = 4 * 2**30      # address space beyond the child's own at the start


class _Array:
    """A torch result made picklable: its values, and the name of its dtype.

    ``result_eps`` reads the dtype's name (bfloat16 has no numpy dtype), and
    ``np.asarray`` the values.
    """

    def __init__(self, values: np.ndarray, dtype: str) -> None:
        self.values, self.dtype = values, dtype

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)


def _portable(value: Any) -> Any:
    """A user result as something that pickles without shared memory (tensors as arrays)."""
    if isinstance(value, (tuple, list)):
        return type(value)(_portable(v) for v in value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        t = value.detach().cpu()
        name = str(t.dtype)
        if name == "torch.bfloat16":
            t = t.float()
        return _Array(t.numpy(), name)
    if type(value).__module__.startswith("jax") and hasattr(value, "__array__"):
        return _Array(np.asarray(value), str(value.dtype))
    return value


def _children(pid: int) -> list[int]:
    """The pids of ``pid``'s children and their descendants (Linux ``/proc``; else none)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except (OSError, ValueError):
                continue
            out += kids
            todo += kids
    return out


def _cap_memory() -> None:
    try:
        import resource
    except ImportError:            # not on POSIX: no cap
        return
    try:
        with open("/proc/self/statm") as fh:
            own = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        own = 0
    from .._limits import limits

    cap = own + _HEADROOM + limits.max_build_bytes
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


class _PipeOut(io.TextIOBase):
    """The child's ``sys.stdout``: every write is a message to the parent."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def write(self, text: str) -> int:
        self.conn.send(str(text))
        return len(text)


def _serve(user: Any, conn: Any) -> None:
    """The child: answer ``(method, args, many)`` messages until the pipe closes.

    ``many``: ``args`` is a list of argument tuples, answered one Outcome at
    a time as each call returns (the parent times each call), up to the
    first that fails.
    """
    me = os.getpid()
    try:
        os.setsid()                  # its own process group: killed as one
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    faulthandler.disable()           # a crash is reported by the parent, not dumped
    torch = sys.modules.get("torch")
    if torch is not None:
        # A forked child inherits torch's thread pool in a broken state; one
        # thread avoids the deadlock (as torch's own DataLoader workers do).
        torch.set_num_threads(1)
    _cap_memory()
    if isinstance(sys.stdout, io.StringIO):
        # The caller collects what the layer prints (the CLI does): each write
        # goes to it at once, so that the output of a call that crashes is kept.
        sys.stdout = _PipeOut(conn)
    user.timeout = None              # the parent keeps the time
    while True:
        try:
            method, args, many = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        for one in (args if many else [args]):
            out = _answer(user, method, one, me)
            _send(conn, out, method)
            if out.error:
                break


def _answer(user: Any, method: str, args: Any, me: int) -> Outcome:
    """One call in the child, with what the user's code started killed and reported."""
    out = getattr(user, method)(*args)
    if os.getpid() != me:            # a process the user's code forked returned here
        os._exit(0)
    kids = _children(me)
    if kids:
        for k in kids:
            _kill(k)
        out = Outcome(error=f"{_who(method)} started {len(kids)} child process(es) "
                            f"(pid {', '.join(map(str, kids))}); killed them")
    out.value = _portable(out.value)
    out.cause = None                 # an exception may not unpickle in the parent
    return out


def _send(conn: Any, out: Outcome, method: str) -> None:
    try:
        conn.send(out)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        conn.send(Outcome(error=f"{_who(method)} returned an object that cannot be sent "
                                f"back from the worker process ({type(exc).__name__})"))


def _who(method: str) -> str:
    return "forward" if method == "forward" else "backward"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _death(code: int | None, who: str, by: str) -> str:
    if code is None:
        return f"{who} ended the worker process (no exit status)"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        what = {"SIGSEGV": "crashed with a segmentation fault",
                "SIGBUS": "crashed with a bus error",
                "SIGABRT": "aborted",
                "SIGKILL": "was killed (perhaps out of memory)",
                "SIGTERM": "was terminated"}.get(name, "was stopped by a signal")
        return f"{who} {what} ({name}); {by} ran it in a worker process and survived"
    return (f"{who} ended its process with exit status {code} (os._exit or a C-level exit); "
            f"{by} ran it in a worker process and survived")


def _jax_loaded() -> bool:
    return "jax" in sys.modules


def _context() -> Any:
    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return mp.get_context("fork")
    return mp.get_context("spawn")


class _Worker:
    """The child process running ``user``'s methods (the one place that forks and kills).

    ``by`` names the caller in the messages ("the check ran it in a worker
    process"), ``what`` the user's code ("layer").  Use as a context
    manager, or call :meth:`close`: the child (and anything it started) is
    killed on exit.
    """

    def __init__(self, user: Any, timeout: float | None, by: str, what: str) -> None:
        self.user = user
        self.timeout = timeout
        self._by = by
        self._ctx = _context()
        if self._ctx.get_start_method() != "fork":
            try:
                pickle.dumps(user)
            except Exception as exc:
                raise TypeError(
                    f"isolation='process' needs a {what} that can be sent to a worker "
                    f"process on this platform (no fork): pickling it failed "
                    f"({type(exc).__name__}: {exc}); define the {what} at module level, or "
                    f"pass isolation='none'"
                ) from None
        self._proc: Any = None
        self._conn: Any = None
        self._dead: str | None = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(self.user, child), daemon=True,
                                       name="toeplitz_conv user code")
        self._proc.start()
        child.close()
        self._conn = parent

    def close(self) -> None:
        """Kill the worker and whatever it started; wait for it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        pid = proc.pid
        kids = _children(pid) if pid else []
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _kill(pid)
        for k in kids:                # those that left the group (setsid) too
            _kill(k)
        proc.join(5.0)

    def _call(self, method: str, *args: Any) -> Outcome:
        return self._calls(method, [args], many=False)[0]

    def _calls(self, method: str, args: list[tuple[Any, ...]], many: bool = True
               ) -> list[Outcome]:
        """Outcomes of ``method(*a)`` for each ``a``, up to and including the first failure.

        The arguments go to the child in one message and the answers come
        back one by one: probing pays no round trip per call.  Each call has
        its own ``timeout``.
        """
        who = _who(method)
        if self._dead is not None:
            return [Outcome(error=f"{who} not called: {self._dead}")]
        if not args:
            return []
        if self._proc is None:
            self._start()
        outs: list[Outcome] = []
        try:
            self._conn.send((method, args if many else args[0], many))
            while len(outs) < len(args) and not (outs and outs[-1].error):
                out = self._receive()
                if out is None:
                    return [*outs, self._failed(who, timed_out=True)]
                outs.append(out)
        except (EOFError, OSError):       # the child died (BrokenPipeError is an OSError)
            return [*outs, self._failed(who, timed_out=False)]
        return outs

    def _receive(self) -> Outcome | None:
        """The next answer (what the child prints is passed on); None at the timeout."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._conn.poll(left):
                return None
            out = self._conn.recv()
            if isinstance(out, str):        # printed by the user's code
                sys.stdout.write(out)
                continue
            assert isinstance(out, Outcome)
            return out

    def _failed(self, who: str, timed_out: bool) -> Outcome:
        """Kill the child after a call that hung (``timed_out``) or ended it; say which."""
        if timed_out:
            self.close()
            self._dead = "an earlier call did not return in time"
            # JAX's thread pools are inherited locked by a forked child, whose
            # first JAX call then never returns (JAX warns of it at the fork).
            # Spawning instead would run an unguarded main script again.
            hint = ("; JAX was loaded in this process before the worker was forked, and "
                    "JAX hangs in a forked process once it has run: pass isolation='none' "
                    "(the timeout still holds)"
                    if self._ctx.get_start_method() == "fork" and _jax_loaded() else "")
            return Outcome(error=f"{who} did not return within timeout={self.timeout:g} s "
                                 "(its worker process was killed; pass a larger timeout= "
                                 f"if it is just slow{hint})")
        self._proc.join(5.0)
        msg = _death(self._proc.exitcode, who, self._by)
        self.close()
        self._dead = "an earlier call ended the worker process"
        return Outcome(error=msg)


class ProcessLayer(_Worker):
    """A :class:`UserLayer` whose calls run in a child process (see the module docstring)."""

    def __init__(self, user: UserLayer, timeout: float | None) -> None:
        super().__init__(user, timeout, "the check", "layer")
        self.kind, self.notes = user.kind, user.notes
        self.takes_weight, self.takes_bias = user.takes_weight, user.takes_bias
        self.has_grads = user.has_grads

    def forward(self, x: np.ndarray, weight: np.ndarray | None = None,
                bias: np.ndarray | None = None) -> Outcome:
        """:meth:`UserLayer.forward` in the worker."""
        return self._call("forward", x, weight, bias)

    def grads(self, x: np.ndarray, g: np.ndarray) -> Outcome:
        """:meth:`UserLayer.grads` in the worker."""
        return self._call("grads", x, g)


class ProcessBlackBox(_Worker):
    """A :class:`~toeplitz_conv.check._user.BlackBox` whose calls run in a child process."""

    def __init__(self, box: BlackBox, timeout: float | None) -> None:
        super().__init__(box, timeout, box.by, "black box")

    def forward(self, x: np.ndarray) -> Outcome:
        """:meth:`BlackBox.forward` in the worker."""
        return self._call("forward", x)

    def many(self, xs: list[np.ndarray]) -> list[Outcome]:
        """:meth:`BlackBox.many` in the worker: one message out, the answers as they come."""
        return self._calls("forward", [(x,) for x in xs])


def black_box(forward: Any, timeout: float | None, isolation: str,
              by: str) -> BlackBox | ProcessBlackBox:
    """The black box ``forward`` called in this process or in a worker (a context manager).

    ``timeout`` and ``isolation`` are validated already; ``by`` names the
    caller in the messages (``"extract_matrix"``).
    """
    box = BlackBox(forward, timeout, by)
    return ProcessBlackBox(box, timeout) if isolation == "process" else box

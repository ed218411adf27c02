"""`sweep_layer`: check a user's layer over a grid of configurations.

Many hand-written layers are right in the configuration their author tried
and wrong in another: ``x[p:-p]`` is empty at padding 0, a loop bound uses
the height for the width, an output size assumes the stride divides the
input, an even kernel's 'same' split goes on the wrong side.  The default
grid puts each of those situations in at least one row; every row is one
:func:`check_layer` run on a layer the user's factory builds for that
configuration.
"""

from __future__ import annotations

import html
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import as_bool, as_int_tuple
from ._layer import check_layer
from ._layout import Layout
from ._report import Report

__all__ = ["SweepConfig", "SweepReport", "SweepRow", "default_grid", "sweep_layer"]


@dataclass(frozen=True)
class SweepConfig:
    """One configuration: the layer options, the kernel and the input size."""

    name: str
    spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    groups: int = 1
    batch: int | None = None

    def options(self) -> dict[str, Any]:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation,
                "groups": self.groups}

    def describe(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items()
                         if v != {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}[k])
        size = "x".join(map(str, self.spatial))
        ker = "x".join(map(str, self.kernel))
        text = f"input {size}, kernel {ker}" + (f", {opts}" if opts else "")
        return text + ("" if self.batch is None else f", batch {self.batch}")


@dataclass
class SweepRow:
    """The outcome of one configuration.

    ``status`` is ``"ok"``, ``"FAIL"`` (a check failed, or the user's code
    raised) or ``"unsupported"`` (the factory raised NotImplementedError).
    """

    config: SweepConfig
    status: str
    message: str = ""
    report: Report | None = None
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.config.name} ({self.config.describe()})"

    @property
    def ok(self) -> bool:
        return self.status != "FAIL"


_HEAD = ["configuration", "result", "what failed / note"]


@dataclass
class SweepReport:
    """All configurations of a sweep: ``.ok``, ``.failures``, ``.rows`` and a table."""

    rows: list[SweepRow]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failures(self) -> list[SweepRow]:
        return [r for r in self.rows if r.status == "FAIL"]

    def summary(self) -> str:
        bad = len(self.failures)
        skipped = sum(r.status == "unsupported" for r in self.rows)
        text = (f"layer sweep: {len(self.rows)} configurations, "
                + (f"{bad} FAIL" if bad else "all pass"))
        if skipped:
            text += f" ({skipped} unsupported by the layer)"
        return text + f", {self.seconds:.2f} s"

    def _cells(self) -> list[list[str]]:
        return [[r.name, r.status, r.message] for r in self.rows]

    def __str__(self) -> str:
        rows = [_HEAD] + self._cells()
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        lines = [self.summary()]
        lines += ["  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2]]).rstrip()
                  for r in rows]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<SweepReport ok={self.ok} configurations={len(self.rows)} " \
               f"failures={len(self.failures)}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        colours = {"ok": "#1a7f37", "FAIL": "#cf222e", "unsupported": "#9a6700"}
        head = "".join(f"<th>{esc(h)}</th>" for h in _HEAD)
        body = []
        for r, cells in zip(self.rows, self._cells()):
            body.append(f"<tr><td style='text-align:left'>{esc(cells[0])}</td>"
                        f"<td style='color:{colours[r.status]};font-weight:bold'>"
                        f"{esc(cells[1])}</td><td style='text-align:left'>{esc(cells[2])}</td>"
                        f"</tr>")
        notes = "".join(f"<p>note: {esc(n)}</p>" for n in self.notes)
        return (f"<div><p><b>{esc(self.summary())}</b></p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>{notes}</div>")


def _same(v: tuple[int, ...]) -> Any:
    """An int when every axis agrees (as most layers take it), else the tuple."""
    return v[0] if len(set(v)) == 1 else v


def default_grid(weight_shape: Sequence[int], *, batch: Sequence[int] | None = None
                 ) -> list[SweepConfig]:
    """The configurations :func:`sweep_layer` checks by default.

    Chosen to expose configuration-dependent bugs: padding 0 (an empty
    ``x[p:-p]``) and above 0, ``'same'`` with odd and even kernels,
    TensorFlow's ``'SAME'`` with a stride, even, one-tap and non-square
    kernels, non-square inputs, strides that do not divide the input,
    per-axis strides, dilation, channel groups (when the channels allow) and a
    kernel as large as the input; with ``batch``, each at every batch size.

    Examples
    --------
    >>> grid = default_grid((4, 3, 3, 3))
    >>> len(grid), grid[0].describe()
    (14, 'input 8x8, kernel 3x3')
    >>> [c.describe() for c in default_grid((4, 4, 3, 3)) if c.groups > 1]
    ['input 7x7, kernel 3x3, padding=1, groups=2']
    """
    if not isinstance(weight_shape, (tuple, list)):
        raise TypeError(f"weight_shape must be a tuple (C_out, C_in, *kernel), got "
                        f"{type(weight_shape).__name__} {weight_shape!r}")
    shape = as_int_tuple(tuple(weight_shape), len(weight_shape), "weight_shape", minimum=1)
    if not 3 <= len(shape) <= 5:
        raise ValueError(f"weight_shape must be (C_out, C_in, *kernel) with 1, 2 or 3 kernel "
                         f"dims, got {shape}")
    c_out, c_in, *kern = shape
    nd = len(kern)
    k = tuple(kern)
    odd = tuple(v if v % 2 else v + 1 for v in k)
    even = tuple(v if v % 2 == 0 else v + 1 for v in k)

    def sz(*v: int) -> tuple[int, ...]:
        return tuple(v[i % len(v)] for i in range(nd))

    def fit(size: tuple[int, ...], ker: tuple[int, ...], extra: int = 0) -> tuple[int, ...]:
        return tuple(max(s, kk + extra) for s, kk in zip(size, ker))

    cfg: list[SweepConfig] = [
        SweepConfig("padding 0", fit(sz(8), k), k),
        SweepConfig("padding 1", fit(sz(8), k), k, padding=1),
        SweepConfig("padding 2, stride 2", fit(sz(9), k), k, stride=2, padding=2),
        SweepConfig("'same', odd kernel", fit(sz(8), odd), odd, padding="same"),
        SweepConfig("'same', even kernel", fit(sz(8), even), even, padding="same"),
        SweepConfig("'SAME', stride 2", fit(sz(9, 8), k), k, stride=2, padding="SAME"),
        SweepConfig("even kernel", fit(sz(8), even), even, padding=1),
        SweepConfig("1-tap kernel", sz(6), sz(1)),
        SweepConfig("stride not dividing the input", fit(sz(9, 11), k, 2), k, stride=2),
        SweepConfig("dilation 2", fit(sz(9), tuple(2 * v - 1 for v in k)), k, dilation=2,
                    padding=1),
        SweepConfig("kernel as large as the input", k, k),
    ]
    if nd >= 2:
        nonsq = tuple(k[0] + (1 if i == nd - 1 else 0) for i in range(nd))
        cfg += [
            SweepConfig("non-square input", fit(sz(7, 10), k), k, padding=1),
            SweepConfig("non-square kernel", fit(sz(8), nonsq), nonsq,
                        padding=_same(tuple(v // 2 for v in nonsq))),
            SweepConfig("per-axis stride, non-square input", fit(sz(10, 8), k),
                        k, stride=_same(sz(3, 2)), padding=1),
        ]
    else:
        cfg += [SweepConfig("longer input", fit(sz(13), k), k, padding=1),
                SweepConfig("stride 3", fit(sz(13), k), k, stride=3, padding=1)]
    if c_in % 2 == 0 and c_out % 2 == 0:
        cfg.append(SweepConfig("groups 2", fit(sz(7), k), k, padding=1, groups=2))
    if batch is None:
        return cfg
    return [SweepConfig(c.name, c.spatial, c.kernel, c.stride, c.padding, c.dilation,
                        c.groups, b) for c in cfg for b in batch]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _failed(report: Report) -> str:
    parts = []
    for e in report.entries:
        if not e.ok:
            parts.append(f"{e.name}: {e.diagnosis or e.message}")
    return "; ".join(parts)


def sweep_layer(factory: Callable[..., Any], *, weight_shape: Sequence[int],
                bias: bool = False, batch: Any = None, grid: Sequence[SweepConfig] | None = None,
                seed: int = 0, **check_kwargs: Any) -> SweepReport:
    """Build and check the user's layer in every configuration of a grid.

    Parameters
    ----------
    factory : callable
        ``factory(weight, bias=None, stride=1, padding=0, dilation=1,
        groups=1)`` builds the layer for one configuration and returns
        ``forward`` or ``(forward, backward)``, as :func:`check_layer` takes
        them (a ``torch.nn.Module`` is a forward).  ``stride``, ``padding``
        and ``dilation`` are ints when every axis agrees, else tuples;
        ``padding`` may be ``'same'`` or ``'SAME'`` (TensorFlow's).  A factory
        that raises ``NotImplementedError`` marks the configuration
        unsupported (not a failure); any other exception, from the factory or
        from the layer, is that configuration's failure.
    weight_shape : sequence of int
        ``(C_out, C_in, *kernel)``: the channels, the number of spatial dims
        and the base kernel of the grid (see :func:`default_grid`).
    bias : bool
        Give every configuration a random bias (``(C_out,)``).
    batch : None, True or sequence of int
        ``None``: the layer has no batch axis.  ``True``: batch sizes 1 and
        2; a sequence: those sizes.  Needs a :func:`check_layer` that takes
        ``batch=``.
    grid : sequence of SweepConfig, optional
        The configurations; default :func:`default_grid`.
    seed : int
        Seed of the random weights and biases (one per configuration).
    **check_kwargs
        Passed to :func:`check_layer` (``rtol``, ``atol``, ...).

    Returns
    -------
    SweepReport
        ``.ok``, ``.failures`` (rows naming their configuration, with the
        check's report), ``.rows``; ``str()`` and ``_repr_html_`` show the table.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import correlate
    >>> def factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    ...     if (stride, padding, dilation, groups) != (1, 0, 1, 1):
    ...         raise NotImplementedError        # this layer knows one configuration
    ...     def forward(x):
    ...         return np.stack([sum(correlate(x[i], w[i], "valid") for i in range(len(x)))
    ...                          for w in weight])
    ...     return forward
    >>> r = sweep_layer(factory, weight_shape=(2, 1, 3, 3))
    >>> r.ok, len(r.failures), [row.config.name for row in r.rows if row.status == "ok"]
    (True, 0, ['padding 0', '1-tap kernel', 'kernel as large as the input'])
    """
    if not callable(factory):
        raise TypeError(f"factory must be callable, got {type(factory).__name__}")
    bias = as_bool(bias, "bias")
    batches: Sequence[int] | None
    if batch is None or batch is False:
        batches = None
    elif batch is True:
        batches = (1, 2)
    elif isinstance(batch, (list, tuple)) and batch:
        batches = as_int_tuple(tuple(batch), len(batch), "batch", minimum=1)
    else:
        batches = as_int_tuple(batch, 1, "batch", minimum=1)
    has_batch = "batch" in inspect.signature(check_layer).parameters
    if batches is not None and not has_batch:
        raise ValueError("batch= needs a check_layer that takes batch= (this version checks "
                         "layers without a batch axis); use batch=None")
    base = default_grid(weight_shape, batch=batches)      # validates weight_shape
    configs = list(base if grid is None else grid)
    if not all(isinstance(c, SweepConfig) for c in configs):
        raise TypeError("grid must be a sequence of SweepConfig")
    c_out, c_in = int(weight_shape[0]), int(weight_shape[1])
    rng = np.random.default_rng(seed)
    rows = []
    t_all = time.perf_counter()
    for cfg in configs:
        w = rng.standard_normal((c_out, c_in // cfg.groups, *cfg.kernel))
        b = rng.standard_normal(c_out) if bias else None
        rows.append(_run(factory, cfg, w, b, has_batch, check_kwargs))
    return SweepReport(rows, time.perf_counter() - t_all)


def _run(factory: Callable[..., Any], cfg: SweepConfig, w: np.ndarray, b: np.ndarray | None,
         has_batch: bool, check_kwargs: dict[str, Any]) -> SweepRow:
    t = time.perf_counter()

    def row(status: str, message: str = "", report: Report | None = None) -> SweepRow:
        return SweepRow(cfg, status, message, report, time.perf_counter() - t)

    try:
        built = factory(w.copy(), bias=None if b is None else b.copy(), **cfg.options())
    except NotImplementedError as exc:
        return row("unsupported", f"factory: {_short(exc)}")
    except (Exception, SystemExit) as exc:   # user code: one failing row, not a crash
        return row("FAIL", f"factory raised {_short(exc)}")
    forward, backward = built, None
    if isinstance(built, tuple):
        if len(built) != 2:
            return row("FAIL", f"factory returned a tuple of {len(built)}, expected forward "
                               f"or (forward, backward)")
        forward, backward = built
    kwargs = dict(check_kwargs)
    if cfg.batch is not None and has_batch:
        kwargs["batch"] = cfg.batch
    in_shape: tuple[int, ...] = (int(w.shape[1]) * cfg.groups, *cfg.spatial)
    if kwargs.get("data_format") is not None:
        # check_layer reads input_shape in the user's layout, as the layer sees it.
        try:
            in_shape = Layout(len(cfg.spatial), data_format=kwargs["data_format"],
                              batch=kwargs.get("batch")).sample_shape(in_shape)
        except (ValueError, TypeError) as exc:
            return row("FAIL", f"check raised {_short(exc)}")
    try:
        report = check_layer(forward, w, in_shape, backward=backward, bias=b,
                             **cfg.options(), **kwargs)
    except (Exception, SystemExit) as exc:
        return row("FAIL", f"check raised {_short(exc)}")
    if report.ok:
        return row("ok", "", report)
    return row("FAIL", _failed(report), report)

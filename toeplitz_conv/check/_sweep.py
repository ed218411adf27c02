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
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, cast

import numpy as np

from .._validation import as_bool, as_int, as_int_tuple
from ._layer import check_layer
from ._layout import Layout
from ._report import Report
from ._sweep_kinds import (
    DEFAULT_TILES,
    WEIGHT_ONLY,
    in_channels,
    local_grid,
    pool_grid,
    rule_for,
    signal_grid,
    transposed_grid,
    weight_and_input,
)

__all__ = ["SweepConfig", "SweepReport", "SweepRow", "default_grid", "sweep_layer"]


@dataclass(frozen=True)
class SweepConfig:
    """One configuration: the layer options, the kernel and the input size.

    ``kind`` is the ``check_layer`` kind (``None``: the sweep's); ``extra``
    holds a kind's own options as ``(name, value)`` pairs (``ceil_mode``,
    ``count_include_pad``, ``output_padding``, ``mode``, ``correlate``,
    ``boundary``, ...; a tiled layer's ``tiles``, an int or one per axis,
    default 2, which shapes its weight); ``weight_shape`` overrides the weight's shape derived
    from the sweep's ``weight_shape`` (for a kind the sweep does not know).
    For pooling, ``kernel`` is ``kernel_size`` and ``stride=None`` is the
    kernel size.
    """

    name: str
    spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    groups: int = 1
    batch: int | None = None
    kind: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()
    weight_shape: tuple[int, ...] | None = None

    def options(self) -> dict[str, Any]:
        """The layer's options of this configuration, as the factory and check_layer take them."""
        rule = rule_for(self.kind or "conv", self.weight_shape is not None or
                        (self.kind or "conv") == "conv")
        fields = {"kernel_size": _same(tuple(self.kernel)), "stride": self.stride,
                  "padding": self.padding, "dilation": self.dilation, "groups": self.groups}
        out = {f: fields[f] for f in rule.fields}
        out.update((k, v) for k, v in self.extra if k not in WEIGHT_ONLY)
        return out

    def describe(self) -> str:
        defaults = {"stride": None if self.kind in _POOLS else 1, "padding": 0,
                    "dilation": 1, "groups": 1}
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items()
                         if k != "kernel_size" and (k not in defaults or v != defaults[k]))
        size = "x".join(map(str, self.spatial))
        ker = "x".join(map(str, self.kernel))
        what = "window" if self.kind in _WINDOWED else "kernel"
        # The weight's own options (a tiled layer's tiles): not the layer's, but its rows'.
        weight_opts = dict(self.extra)
        if self.kind == "tiled":
            weight_opts.setdefault("tiles", DEFAULT_TILES)
        shaped = ", ".join(f"{k} {'x'.join(map(str, v)) if isinstance(v, tuple) else v}"
                           for k, v in weight_opts.items() if k in WEIGHT_ONLY)
        text = f"input {size}, {what} {ker}" + "".join(f", {t}" for t in (shaped, opts) if t)
        return text + ("" if self.batch is None else f", batch {self.batch}")


_POOLS = ("avg_pool", "max_pool", "lp_pool")
# Kinds whose configurations have a window (kernel_size) and no weight.
_WINDOWED = (*_POOLS, "data_matrix")


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


def _shape_arg(value: Any, name: str, what: str, ndims: tuple[int, int]) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple {what}, got {type(value).__name__} {value!r}")
    shape = as_int_tuple(tuple(value), len(value), name, minimum=1)
    if not ndims[0] <= len(shape) <= ndims[1]:
        raise ValueError(f"{name} must be {what} with 1, 2 or 3 spatial dims, got {shape}")
    return shape


def default_grid(weight_shape: Sequence[int] | None = None, *,
                 batch: Sequence[int] | None = None, kind: str = "conv",
                 input_shape: Sequence[int] | None = None) -> list[SweepConfig]:
    """The configurations :func:`sweep_layer` checks by default.

    For a conv layer (``kind="conv"``), chosen to expose configuration-dependent
    bugs: padding 0 (an empty ``x[p:-p]``) and above 0, ``'same'`` with odd
    and even kernels, TensorFlow's ``'SAME'`` with a stride, even, one-tap and
    non-square kernels, non-square inputs, strides that do not divide the
    input, per-axis strides, dilation, channel groups (when the channels
    allow) and a kernel as large as the input; with ``batch``, each at every
    batch size.  Other kinds have their own grids (see
    :mod:`toeplitz_conv.check._sweep_kinds`): pooling (``input_shape=(C,
    *spatial)`` gives the channels and the number of spatial axes) sweeps the
    window, stride, padding and ``ceil_mode``; ``"signal"`` (``weight_shape``
    is the kernel's shape) every ``mode``, convolution and correlation, and
    ``boundary``; ``"transposed"`` (``weight_shape=(C_in, C_out, *kernel)``)
    stride, padding, ``output_padding``, dilation, ``'SAME'`` and groups;
    ``"local"`` and ``"tiled"`` (``weight_shape=(C_out, C_in, *kernel)``, one
    position's kernel: each row's weight adds the output positions or its
    tiles in front) stride, padding, ``'same'``, ``'SAME'``, dilation, even,
    one-tap and non-square kernels and inputs, per-axis strides, on inputs of
    at most 7 per axis (the weight grows with the output), and for
    ``"tiled"`` the tiles of each row (``extra=(("tiles", ...),)``): square and
    non-square, one tile (a convolution), tiles not dividing and larger than
    the output.

    Examples
    --------
    >>> grid = default_grid((4, 3, 3, 3))
    >>> len(grid), grid[0].describe()
    (14, 'input 8x8, kernel 3x3')
    >>> [c.describe() for c in default_grid((4, 4, 3, 3)) if c.groups > 1]
    ['input 7x7, kernel 3x3, padding=1, groups=2']
    >>> default_grid(kind="max_pool", input_shape=(2, 8, 8))[4].describe()
    'input 9x11, window 2x2, ceil_mode=True'
    >>> default_grid((3,), kind="signal")[0].describe()
    "input 8, kernel 3, mode='full', correlate=False"
    >>> [c.describe() for c in default_grid((2, 1, 3, 3), kind="tiled")][-2:]
    ['input 7x7, kernel 3x3, tiles 3x3, padding=1', 'input 4x4, kernel 3x3, tiles 3x3']
    """
    cfg: list[SweepConfig]
    if kind in _POOLS:
        if input_shape is None:
            raise TypeError(f"kind={kind!r} sweeps a weightless layer: pass "
                            f"input_shape=(C, *spatial) (its channels and spatial dims)")
        shape = _shape_arg(input_shape, "input_shape", "(C, *spatial)", (2, 4))
        cfg = pool_grid(partial(SweepConfig, kind=kind), len(shape) - 1, kind)
    elif kind == "signal":
        kern = _shape_arg(weight_shape, "weight_shape", "(*kernel)", (1, 3))
        cfg = signal_grid(partial(SweepConfig, kind=kind), kern)
    elif kind == "transposed":
        shape = _shape_arg(weight_shape, "weight_shape", "(C_in, C_out, *kernel)", (3, 5))
        cfg = transposed_grid(partial(SweepConfig, kind=kind), shape)
    elif kind in ("local", "tiled"):
        shape = _shape_arg(weight_shape, "weight_shape", "(C_out, C_in, *kernel) (one "
                           "position's kernel; the grid adds the positions or tiles)", (3, 5))
        cfg = local_grid(partial(SweepConfig, kind=kind), shape, kind)
    elif kind == "data_matrix":
        if input_shape is None:
            raise TypeError("kind='data_matrix' sweeps an im2col function: pass "
                            "input_shape=(C, *spatial) (its channels and spatial dims)")
        shape = _shape_arg(input_shape, "input_shape", "(C, *spatial)", (2, 4))
        # The conv grid's geometry (3-tap base kernel), without groups.
        cfg = _conv_grid((1, shape[0], *(3,) * (len(shape) - 1)), kind)
    elif weight_shape is None:
        raise ValueError(f"kind={kind!r} without weight_shape has no default grid: pass "
                         f"grid=, a list of SweepConfig")
    else:
        shape = _shape_arg(weight_shape, "weight_shape", "(C_out, C_in, *kernel)", (3, 5))
        cfg = _conv_grid(shape, kind)
    if batch is None:
        return cfg
    return [replace(c, batch=b) for c in cfg for b in batch]


def _conv_grid(shape: tuple[int, ...], kind: str) -> list[SweepConfig]:
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
    keep_groups = "groups" in rule_for(kind, True).fields
    return [replace(c, kind=kind) for c in cfg if keep_groups or c.groups == 1]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _failed(report: Report) -> str:
    parts = []
    for e in report.entries:
        if not e.ok:
            parts.append(f"{e.name}: {e.diagnosis or e.message}")
    return "; ".join(parts)


def _kinds() -> tuple[str, ...]:
    """The kinds ``check_layer`` accepts, read from its signature (so new kinds come along).

    Empty when its ``kind`` is no ``Literal``: then ``check_layer`` itself refuses
    an unknown kind (in every row).
    """
    hint = typing.get_type_hints(check_layer).get("kind")
    return tuple(a for a in typing.get_args(hint) if isinstance(a, str))


def _batches(batch: Any) -> Sequence[int] | None:
    if batch is None or batch is False:
        return None
    if batch is True:
        return (1, 2)
    if isinstance(batch, (list, tuple)) and batch:
        return as_int_tuple(tuple(batch), len(batch), "batch", minimum=1)
    return as_int_tuple(batch, 1, "batch", minimum=1)


def _bias_shape(bias: Any, c_out: int | None) -> tuple[int, ...] | None:
    """``bias=``: False/True, or the shape the layer keeps its bias in (``C_out`` entries)."""
    if bias is None or bias is False:
        return None
    if bias is True:
        return None if c_out is None else (c_out,)
    if isinstance(bias, (tuple, list)) and c_out is not None:
        shape = as_int_tuple(tuple(bias), len(bias), "bias", minimum=1) if bias else ()
        if int(np.prod(shape)) == c_out:
            return tuple(shape)
        raise ValueError(f"bias must be True, False or a shape with {c_out} entries (one per "
                         f"output channel, e.g. ({c_out},) or (1, {c_out}, 1, 1)), got {bias!r}")
    as_bool(bias, "bias")                 # refuses anything but a bool, naming bias
    return None


def sweep_layer(factory: Callable[..., Any], *, weight_shape: Sequence[int] | None = None,
                bias: Any = False, batch: Any = None, grid: Sequence[SweepConfig] | None = None,
                seed: int = 0, kind: str = "conv", input_shape: Sequence[int] | None = None,
                options: dict[str, Any] | None = None, **check_kwargs: Any) -> SweepReport:
    """Build and check the user's layer in every configuration of a grid.

    Parameters
    ----------
    factory : callable
        ``factory(weight, bias=None, stride=1, padding=0, dilation=1,
        groups=1)`` builds the layer for one configuration and returns
        ``forward``, ``(forward, backward)`` or ``(forward, backward,
        grads)``, as :func:`check_layer` takes them (a ``torch.nn.Module`` is
        a forward; ``grads`` is this configuration's ``grads=``), or a dict
        with those keys.  ``stride``, ``padding`` and ``dilation`` are ints
        when every axis agrees, else tuples; ``padding`` may be ``'same'`` or
        ``'SAME'`` (TensorFlow's).  The weight comes in ``weight_format`` and
        the bias in the shape ``bias=`` gives; a factory with an
        ``input_shape`` parameter also receives the input shape (one sample,
        in ``data_format``).  Other kinds take their own options: pooling
        ``factory(kernel_size=..., stride=..., padding=..., [ceil_mode=...,
        count_include_pad=..., dilation=...])`` (no weight), ``"signal"``
        ``factory(kernel, mode=..., correlate=..., [boundary=...])``,
        ``"transposed"`` as a conv layer plus ``output_padding=``,
        ``"local"`` and ``"tiled"`` ``factory(weight, bias=None, stride=...,
        padding=..., dilation=...)`` with the weight ``(*out_spatial, C_out,
        C_in, *kernel)`` / ``(*tiles, C_out, C_in, *kernel)`` (a tiled
        factory with a ``tiles`` parameter also receives the tiles, an int
        when every axis agrees).  A factory
        that raises ``NotImplementedError`` marks the configuration
        unsupported (not a failure); any other exception, from the factory or
        from the layer, is that configuration's failure.
    weight_shape : sequence of int
        ``(C_out, C_in, *kernel)``: the channels, the number of spatial dims
        and the base kernel of the grid (see :func:`default_grid`);
        ``(C_in, C_out, *kernel)`` for ``"transposed"``, the kernel's shape
        for ``"signal"``; not for pooling.  For ``"local"`` and ``"tiled"``
        also ``(C_out, C_in, *kernel)``, the kernel of one output position
        or tile: the grid gives each row its output positions or tiles.  A
        configuration with its own ``weight_shape`` (in the kind's layout)
        takes the input channels from it.
    bias : bool or tuple of int
        Give every configuration a random bias: ``True`` as ``(C_out,)``, or
        a shape with ``C_out`` entries (``(C_out, 1, 1)``, ...), the layer's own.
    batch : None, True or sequence of int
        ``None``: the layer has no batch axis.  ``True``: batch sizes 1 and
        2; a sequence: those sizes.
    grid : sequence of SweepConfig, optional
        The configurations; default :func:`default_grid`.
    seed : int
        Seed of the random weights and biases (one per configuration).
    kind : str
        Any kind :func:`check_layer` accepts (``"conv"``, ``"signal"``,
        ``"avg_pool"``, ``"max_pool"``, ...); passed on with the options.
    input_shape : sequence of int, optional
        ``(C, *spatial)`` of a pooling layer: its channels and spatial dims
        (the grid chooses the sizes).
    options : dict, optional
        Options every configuration shares (``padding_mode``,
        ``norm_type``, ...), given to the factory and to :func:`check_layer`.
    **check_kwargs
        Passed to :func:`check_layer` (``rtol``, ``atol``, ``data_format``,
        ``weight_format``, ``isolation``, ...).

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

    A pooling layer, without weights:

    >>> def pool(kernel_size, stride=None, padding=0, ceil_mode=False, dilation=1):
    ...     if (kernel_size, stride, padding, ceil_mode, dilation) not in (
    ...             (2, None, 0, False, 1), (2, 2, 0, False, 1)):
    ...         raise NotImplementedError
    ...     def forward(x):                   # (C, H, W), 2 x 2 windows, stride 2
    ...         c, h, w = x.shape
    ...         return x[:, :h // 2 * 2, :w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(
    ...             axis=(2, 4))
    ...     return forward
    >>> r = sweep_layer(pool, kind="max_pool", input_shape=(2, 8, 8))
    >>> r.ok, [row.config.name for row in r.rows if row.status == "ok"]
    (True, ['kernel 2, default stride', 'size the stride does not divide', 'non-square input'])
    """
    if not callable(factory):
        raise TypeError(f"factory must be callable, got {type(factory).__name__}")
    kinds = _kinds()
    if kinds and kind not in kinds:
        raise ValueError(f"kind must be one of {kinds} (the kinds check_layer accepts), "
                         f"got {kind!r}")
    batches = _batches(batch)
    ws = None if weight_shape is None else tuple(weight_shape)
    if grid is None:
        configs = default_grid(weight_shape, batch=batches, kind=kind, input_shape=input_shape)
    else:
        configs = list(grid)
        if not all(isinstance(c, SweepConfig) for c in configs):
            raise TypeError("grid must be a sequence of SweepConfig")
        configs = [replace(c, kind=kind) if c.kind is None else c for c in configs]
        if any(c.kind != kind for c in configs):
            raise ValueError(f"every SweepConfig of grid must have kind=None or {kind!r}")
        if ws is not None:
            default_grid(ws, kind=kind, input_shape=input_shape)   # validates weight_shape
    rule = rule_for(kind, ws is not None)
    if rule.weighted and ws is None and not all(c.weight_shape for c in configs):
        raise TypeError(f"kind={kind!r} has a weight: pass weight_shape=")
    if bias is not None and bias is not False and not rule.bias:
        raise ValueError(f"kind={kind!r} has no bias: use bias=False")
    bias_shape = _bias_shape(bias, None if ws is None else int(ws[1] if rule.weight ==
                                                               "transposed" else ws[0]))
    shared = {} if options is None else dict(options)
    channels = in_channels(rule, ws, None if input_shape is None else tuple(input_shape))
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    rows = []
    t_all = time.perf_counter()
    for cfg in configs:
        wshape, in_shape = weight_and_input(rule, ws, channels, cfg)
        w = None if wshape is None else rng.standard_normal(wshape)
        b = None if bias_shape is None else rng.standard_normal(bias_shape)
        job = _Job(factory, cfg, w, b, in_shape, {**cfg.options(), **shared})
        rows.append(_run(job, check_kwargs))
    return SweepReport(rows, time.perf_counter() - t_all)


@dataclass
class _Job:
    """One configuration's layer: what the factory gets and what check_layer checks."""

    factory: Callable[..., Any]
    cfg: SweepConfig
    weight: np.ndarray | None
    bias: np.ndarray | None
    in_shape: tuple[int, ...]
    options: dict[str, Any]


def _takes(fn: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _built(built: Any) -> tuple[Any, Any, Any] | str:
    """``forward``, ``(forward, backward[, grads])`` or a dict, as (forward, backward, grads)."""
    if isinstance(built, dict):
        unknown = set(built) - {"forward", "backward", "grads"}
        if unknown or "forward" not in built:
            return (f"factory returned a dict with keys {sorted(built)}; expected 'forward' "
                    f"and optionally 'backward', 'grads'")
        return built["forward"], built.get("backward"), built.get("grads")
    if isinstance(built, tuple):
        if not 2 <= len(built) <= 3:
            return (f"factory returned a tuple of {len(built)}, expected forward, (forward, "
                    f"backward) or (forward, backward, grads)")
        return built[0], built[1], built[2] if len(built) == 3 else None
    return built, None, None


def _factory_kwargs(job: _Job, bias: bool, w_user: np.ndarray | None,
                    in_shape: tuple[int, ...]) -> dict[str, Any]:
    """The factory's keywords: the options, the bias, and what it asks for by name."""
    fkw = dict(job.options)
    if bias:
        fkw["bias"] = None if job.bias is None else job.bias.copy()
    if _takes(job.factory, "input_shape"):
        fkw["input_shape"] = in_shape
    if job.cfg.kind == "tiled" and w_user is not None and _takes(job.factory, "tiles"):
        fkw["tiles"] = _same(tuple(w_user.shape[:len(job.cfg.spatial)]))
    return fkw


def _run(job: _Job, check_kwargs: dict[str, Any]) -> SweepRow:
    t = time.perf_counter()
    cfg = job.cfg

    def row(status: str, message: str = "", report: Report | None = None) -> SweepRow:
        return SweepRow(cfg, status, message, report, time.perf_counter() - t)

    kwargs = dict(check_kwargs)
    if cfg.batch is not None:
        kwargs["batch"] = cfg.batch
    kind = cfg.kind or "conv"
    rule = rule_for(kind, job.weight is not None)
    try:
        # The layer's own conventions: its weight layout and its input's.
        w_user = job.weight
        in_shape = job.in_shape
        if rule.weight != "signal":
            lay = Layout(len(cfg.spatial), data_format=kwargs.get("data_format"),
                         weight_format=kwargs.get("weight_format") if rule.weight in (
                             "conv", "transposed") else None, batch=kwargs.get("batch"))
            in_shape = lay.sample_shape(in_shape) if kwargs.get("data_format") else in_shape
            if w_user is not None and rule.weight in ("conv", "transposed"):
                w_user = lay.weight_to_user(w_user)
    except (ValueError, TypeError) as exc:
        return row("FAIL", f"check raised {_short(exc)}")
    args = () if w_user is None else (w_user.copy(),)
    try:
        built = job.factory(*args, **_factory_kwargs(job, rule.bias, w_user, in_shape))
    except NotImplementedError as exc:
        return row("unsupported", f"factory: {_short(exc)}")
    except (Exception, SystemExit) as exc:   # user code: one failing row, not a crash
        return row("FAIL", f"factory raised {_short(exc)}")
    parts = _built(built)
    if isinstance(parts, str):
        return row("FAIL", parts)
    forward, backward, grads = parts
    if grads is not None:
        kwargs["grads"] = grads
    if rule.bias:
        kwargs["bias"] = job.bias
    try:
        report = check_layer(forward, w_user, in_shape, backward=backward, kind=cast(Any, kind),
                             **job.options, **kwargs)
    except (Exception, SystemExit) as exc:
        return row("FAIL", f"check raised {_short(exc)}")
    if report.ok:
        return row("ok", "", report)
    return row("FAIL", _failed(report), report)

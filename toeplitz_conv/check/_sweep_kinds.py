"""What :func:`~toeplitz_conv.check.sweep_layer` needs to know about each kind of layer.

A kind (``check_layer(..., kind=...)``) is described by a :class:`KindRule`:
which configuration fields are the layer's options, how the weight of one
configuration is shaped (its channels and kernel; ``"none"`` for a
weightless layer), whether it takes a bias, and its default grid.  A kind
without a rule here (one that ``check_layer`` accepts and this table does not
know yet) is swept like a conv layer when ``weight_shape`` is given, like a
pooling layer otherwise, with the grid the user passes; its options go to the
factory and to ``check_layer`` unchanged.

The grids put each configuration-dependent bug in at least one row: for
pooling, the default stride (the kernel size), overlapping windows, a size
the stride does not divide (and ``ceil_mode``), padding, non-square windows;
for a signal convolution, every ``mode`` with convolution and correlation,
``boundary='wrap'``, an even kernel's ``'same'`` split and a kernel longer
than the input; for a transposed layer, stride with and without
``output_padding``, padding, dilation, ``'SAME'``, groups; for a locally
connected or tiled layer, the conv layer's geometry on small inputs, and the
tiles (one, non-square, not dividing or larger than the output).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._validation import as_int_tuple
from ..geometry import layer_geometry

__all__ = ["DEFAULT_TILES", "RULES", "KindRule", "local_grid", "rule_for", "weight_in_channels"]

_CONV_FIELDS = ("stride", "padding", "dilation", "groups")
_POOL_FIELDS = ("kernel_size", "stride", "padding")


@dataclass(frozen=True)
class KindRule:
    """How one kind's configurations become a weight, an input shape and options.

    ``weight`` names the weight's shape rule: ``"conv"`` (``(C_out, C_in //
    groups, *kernel)`` from ``weight_shape = (C_out, C_in, *kernel)``),
    ``"transposed"`` (``(C_in, C_out // groups, *kernel)`` from ``(C_in,
    C_out, *kernel)``), ``"local"`` (one kernel per output position),
    ``"tiled"`` (``(*tiles, C_out, C_in, *kernel)``), ``"signal"`` (the
    kernel itself, the input without a channel axis) or ``"none"``.
    """

    weight: str
    fields: tuple[str, ...]
    bias: bool
    grid: Callable[..., list[Any]] | None = None

    @property
    def weighted(self) -> bool:
        return self.weight != "none"


def _sz(nd: int, *v: int) -> tuple[int, ...]:
    return tuple(v[i % len(v)] for i in range(nd))


def _fit(size: tuple[int, ...], ker: tuple[int, ...], extra: int = 0) -> tuple[int, ...]:
    return tuple(max(s, k + extra) for s, k in zip(size, ker))


def pool_grid(cfg: Callable[..., Any], nd: int, kind: str) -> list[Any]:
    """The pooling configurations (``cfg`` is :class:`SweepConfig` bound to ``kind``)."""
    k2, k3 = _sz(nd, 2), _sz(nd, 3)
    out = [
        cfg("kernel 2, default stride", _sz(nd, 8), k2, stride=None),
        cfg("kernel 3, stride 2, padding 1", _sz(nd, 9), k3, stride=2, padding=1),
        cfg("stride 1 (overlapping windows)", _sz(nd, 7), k3, stride=1),
        cfg("size the stride does not divide", _sz(nd, 9, 11), k2, stride=None),
        cfg("ceil_mode", _sz(nd, 9, 11), k2, stride=None, extra=(("ceil_mode", True),)),
        cfg("ceil_mode with padding", _sz(nd, 8), k3, stride=2, padding=1,
            extra=(("ceil_mode", True),)),
        cfg("window as large as the input", k3, k3, stride=None),
    ]
    if nd >= 2:
        rect = tuple(2 + (i == nd - 1) for i in range(nd))
        out += [cfg("non-square input", _sz(nd, 7, 10), k2, stride=None),
                cfg("non-square window and stride", _sz(nd, 8, 9), rect, stride=rect)]
    else:
        out.append(cfg("longer input, stride 3", _sz(nd, 13), k3, stride=3, padding=1))
    if kind == "avg_pool":
        out.append(cfg("count_include_pad=False", _sz(nd, 7), k3, stride=2, padding=1,
                       extra=(("count_include_pad", False),)))
    if kind == "max_pool":
        out.append(cfg("dilation 2", _sz(nd, 9), k2, stride=2,
                       extra=(("dilation", 2),)))
    if kind == "lp_pool":                 # torch's lp_pool has no padding
        out = [c for c in out if c.padding == 0]
    return out


def signal_grid(cfg: Callable[..., Any], kernel: tuple[int, ...]) -> list[Any]:
    """Every mode, convolution and correlation, both boundaries, even and long kernels."""
    nd = len(kernel)
    size = _fit(_sz(nd, 8, 9), kernel, 1)
    even = tuple(v if v % 2 == 0 else v + 1 for v in kernel)
    out = []
    for mode in ("full", "same", "valid"):
        for corr in (False, True):
            what = "correlate" if corr else "convolve"
            out.append(cfg(f"{what}, mode={mode!r}", size, kernel,
                           extra=(("mode", mode), ("correlate", corr))))
    out += [
        cfg("convolve, mode='same', boundary='wrap'", size, kernel,
            extra=(("mode", "same"), ("correlate", False), ("boundary", "wrap"))),
        cfg("correlate, mode='full', boundary='wrap'", size, kernel,
            extra=(("mode", "full"), ("correlate", True), ("boundary", "wrap"))),
        cfg("convolve, 'same', even kernel", _fit(size, even, 1), even,
            extra=(("mode", "same"), ("correlate", False))),
        cfg("correlate, 'same', even kernel", _fit(size, even, 1), even,
            extra=(("mode", "same"), ("correlate", True))),
        cfg("kernel as large as the input, 'valid'", kernel, kernel,
            extra=(("mode", "valid"), ("correlate", False))),
        cfg("input shorter than the kernel, 'full'",
            tuple(max(1, v - 1) for v in kernel), kernel,
            extra=(("mode", "full"), ("correlate", False))),
    ]
    return out


def transposed_grid(cfg: Callable[..., Any], shape: tuple[int, ...]) -> list[Any]:
    """Stride with and without ``output_padding``, padding, dilation, 'SAME', groups."""
    c_in, c_out, *kern = shape
    nd, k = len(kern), tuple(kern)
    even = tuple(v if v % 2 == 0 else v + 1 for v in k)
    op1 = (("output_padding", 1),)
    out = [
        cfg("stride 1", _sz(nd, 5), k),
        cfg("stride 2", _sz(nd, 5), k, stride=2),
        cfg("padding 1", _sz(nd, 5), k, padding=1),
        cfg("stride 2, padding 1, output_padding 1", _sz(nd, 5), k, stride=2, padding=1,
            extra=op1),
        cfg("stride 3, output_padding 2", _sz(nd, 4), k, stride=3, padding=1,
            extra=(("output_padding", 2),)),
        cfg("dilation 2, output_padding 1", _sz(nd, 5), k, stride=1, dilation=2, padding=1,
            extra=op1),
        cfg("'SAME', stride 2", _sz(nd, 5, 4), k, stride=2, padding="SAME"),
        cfg("even kernel, stride 2", _sz(nd, 5), even, stride=2),
        cfg("1-tap kernel, stride 2", _sz(nd, 4), _sz(nd, 1), stride=2),
    ]
    if nd >= 2:
        out += [cfg("non-square input", _sz(nd, 4, 6), k, stride=2, padding=1),
                cfg("per-axis stride", _sz(nd, 5, 4), k, stride=_sz(nd, 2, 1), padding=1)]
    if c_in % 2 == 0 and c_out % 2 == 0:
        out.append(cfg("groups 2", _sz(nd, 5), k, stride=2, groups=2))
    return out


def local_grid(cfg: Callable[..., Any], shape: tuple[int, ...], kind: str) -> list[Any]:
    """A locally connected or tiled layer's configurations (``shape = (C_out, C_in, *kernel)``).

    Small inputs (each output position has its own kernel, so the weight grows
    with the output): stride, padding, ``'same'`` and ``'SAME'``, dilation,
    even, one-tap and non-square kernels, non-square inputs and per-axis
    strides; for ``"tiled"`` each row also names its tiles: one tile (a
    convolution), tiles that do not divide the output, tiles larger than the
    output, non-square tiles, tiles with a stride.
    """
    nd, k = len(shape) - 2, tuple(shape[2:])
    even = tuple(v if v % 2 == 0 else v + 1 for v in k)
    odd = tuple(v if v % 2 else v + 1 for v in k)
    rect = tuple(k[0] + (i == nd - 1) for i in range(nd))
    tiled = kind == "tiled"

    def row(name: str, size: tuple[int, ...], ker: tuple[int, ...], tiles: tuple[int, ...],
            extra: int = 0, **opts: Any) -> Any:
        span = tuple(int(opts.get("dilation", 1)) * (v - 1) + 1 for v in ker)
        spatial = _fit(size, span, extra)
        if not tiled:
            return cfg(name, spatial, ker, **opts)
        return cfg(name, spatial, ker, extra=(("tiles", tiles),), **opts)

    t2, t3 = _sz(nd, 2), _sz(nd, 3)
    out = [
        row("padding 0", _sz(nd, 6), k, t2),
        row("padding 1", _sz(nd, 5), k, t2, padding=1),
        row("stride 2, padding 1", _sz(nd, 6), k, t2, stride=2, padding=1),
        row("stride not dividing the input", _sz(nd, 6, 7), k, t2, extra=2, stride=2),
        row("'same', odd kernel", _sz(nd, 5), odd, t3, padding="same"),
        row("'same', even kernel", _sz(nd, 5), even, t2, padding="same"),
        row("'SAME', stride 2", _sz(nd, 6, 5), k, t2, stride=2, padding="SAME"),
        row("dilation 2", _sz(nd, 6), k, t2, dilation=2, padding=1),
        row("1-tap kernel, stride 2", _sz(nd, 5), _sz(nd, 1), t3, stride=2),
        row("kernel as large as the input", k, k, _sz(nd, 1)),
    ]
    if nd >= 2:
        wide = tuple(3 if i == 0 else 2 for i in range(nd))
        out += [
            row("non-square input", _sz(nd, 4, 6), k, wide, padding=1),
            row("non-square kernel", _sz(nd, 5), rect, t2,
                padding=tuple(v // 2 for v in rect)),
            row("per-axis stride", _sz(nd, 6, 5), k, wide, stride=_sz(nd, 2, 1), padding=1),
        ]
    else:
        out.append(row("longer input, stride 3", _sz(nd, 11), k, t3, stride=3, padding=1))
    if tiled:                     # the tiles themselves, at stride 1 and padding 0
        out += [
            row("one tile (a convolution)", _sz(nd, 5), k, _sz(nd, 1)),
            row("tiles not dividing the output", _sz(nd, 7), k, t3, padding=1),
            row("tiles larger than the output", k, k, t3, extra=1),
        ]
    return out


def weight_and_input(rule: KindRule, weight_shape: tuple[int, ...] | None,
                     channels: int, cfg: Any) -> tuple[tuple[int, ...] | None,
                                                       tuple[int, ...]]:
    """The canonical weight shape (None: weightless) and input shape of one configuration."""
    if cfg.weight_shape is not None:
        w: tuple[int, ...] | None = tuple(cfg.weight_shape)
    else:
        w = _weight_shape(rule, weight_shape, cfg)
    if rule.weight == "signal":
        return w, tuple(cfg.spatial)
    if cfg.weight_shape is not None and rule.weighted:
        # The configuration's own weight: its C_in is the input's channels.
        channels = weight_in_channels(rule.weight, tuple(cfg.weight_shape), len(cfg.spatial),
                                      int(cfg.groups))
    elif rule.weight == "transposed" and weight_shape is not None:
        channels = int(weight_shape[0])
    return w, (channels, *cfg.spatial)


def weight_in_channels(rule: str, shape: tuple[int, ...], nd: int, groups: int = 1) -> int:
    """The input channels of a weight of shape rule ``rule`` (its canonical layout).

    >>> weight_in_channels("conv", (4, 1, 3, 3), 2, groups=2)
    2
    >>> weight_in_channels("tiled", (2, 2, 4, 3, 3, 3), 2)
    3
    """
    if rule == "transposed":
        return int(shape[0])
    if rule in ("local", "tiled"):           # (*positions or tiles, C_out, C_in, *kernel)
        return int(shape[-nd - 1])
    return int(shape[1]) * groups


def _weight_shape(rule: KindRule, weight_shape: tuple[int, ...] | None,
                  cfg: Any) -> tuple[int, ...] | None:
    if not rule.weighted or weight_shape is None:
        return None
    if rule.weight == "signal":
        return tuple(cfg.kernel)
    a, b = int(weight_shape[0]), int(weight_shape[1])
    g = int(cfg.groups)
    if rule.weight in ("conv", "transposed"):
        return (a, b // g, *cfg.kernel)
    if rule.weight == "tiled":
        tiles = as_int_tuple(dict(cfg.extra).get("tiles", DEFAULT_TILES), len(cfg.kernel), "tiles",
                             minimum=1)
        return (*tiles, a, b, *cfg.kernel)
    # "local": one kernel per output position, the output from the geometry core.
    geom = layer_geometry(tuple(cfg.kernel), tuple(cfg.spatial), stride=cfg.stride,
                          padding=cfg.padding, dilation=cfg.dilation)
    return (*geom.out_shape, a, b, *cfg.kernel)


def in_channels(rule: KindRule, weight_shape: tuple[int, ...] | None,
                input_shape: tuple[int, ...] | None) -> int:
    """The input's channel count: ``C_in`` of the weight, else ``input_shape[0]``."""
    if input_shape is not None:
        return int(input_shape[0])
    if weight_shape is None:
        return 1
    if rule.weight == "transposed":
        return int(weight_shape[0])
    return int(weight_shape[1])


RULES: dict[str, KindRule] = {
    "conv": KindRule("conv", _CONV_FIELDS, True),
    "transposed": KindRule("transposed", _CONV_FIELDS, True),
    "local": KindRule("local", ("stride", "padding", "dilation"), True),
    "tiled": KindRule("tiled", ("stride", "padding", "dilation"), True),
    "signal": KindRule("signal", (), False),
    "avg_pool": KindRule("none", _POOL_FIELDS, False),
    "max_pool": KindRule("none", _POOL_FIELDS, False),
    "lp_pool": KindRule("none", ("kernel_size", "stride"), False),
    # An im2col function: the conv layer's geometry without its weight.
    "data_matrix": KindRule("none", ("kernel_size", "stride", "padding", "dilation"), False),
}

# Options of the tiled rule that shape the weight and are not the layer's.
WEIGHT_ONLY = ("tiles",)
# A tiled configuration without its own tiles: this many per axis.
DEFAULT_TILES = 2


def rule_for(kind: str, weighted: bool) -> KindRule:
    """The rule of ``kind``; an unknown kind is a conv-like or a pooling-like layer.

    >>> rule_for("max_pool", False).fields
    ('kernel_size', 'stride', 'padding')
    >>> rule_for("some_new_kind", True).weight
    'conv'
    """
    if kind in RULES:
        return RULES[kind]
    return KindRule("conv", _CONV_FIELDS, True) if weighted else KindRule("none", _POOL_FIELDS,
                                                                            False)

"""sweep_layer(kind=...): signal and pooling layers swept over their own configurations,
and a conv layer's own conventions (weight layout, bias shape, input_shape=, grads=)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from toeplitz_conv.check import SweepConfig, default_grid, sweep_layer

from .test_check_sweep import make_factory


def _names(report):
    return {row.config.name for row in report.failures}


# ------------------------------------------------------------ signal
def signal_factory(bug=None):
    """A 2-D signal convolution through scipy's convolve2d / correlate2d."""
    def factory(kernel, mode="full", correlate=False, boundary="fill"):
        def forward(x):
            corr = correlate and bug != "ignores correlate"
            if bug == "same by cropping" and mode == "same":
                # Crops 'full' from k // 2 (right for odd kernels only).
                full = signal.convolve2d(x, kernel[::-1, ::-1] if corr else kernel, "full",
                                         boundary=boundary)
                r, c = (v // 2 for v in kernel.shape)
                return full[r:r + x.shape[0], c:c + x.shape[1]]
            if boundary == "fill":            # scipy.signal's N-D convention
                return (signal.correlate if corr else signal.convolve)(x, kernel, mode)
            fn = signal.correlate2d if corr else signal.convolve2d
            return fn(x, kernel, mode, boundary=boundary)
        return forward
    return factory


def test_signal_sweep_every_mode_and_boundary_and_the_planted_bugs():
    good = sweep_layer(signal_factory(), kind="signal", weight_shape=(3, 2))
    assert good.ok and len(good.rows) == 12, str(good)
    modes = {dict(row.config.extra).get("mode") for row in good.rows}
    assert modes == {"full", "same", "valid"}
    assert any(dict(r.config.extra).get("boundary") == "wrap" for r in good.rows)
    bad = sweep_layer(signal_factory("ignores correlate"), kind="signal", weight_shape=(3, 2))
    assert _names(bad) == {r.config.name for r in bad.rows
                           if dict(r.config.extra)["correlate"]}, str(bad)
    assert all("flipped" in row.message for row in bad.failures)
    bad = sweep_layer(signal_factory("same by cropping"), kind="signal", weight_shape=(3, 2))
    # Right on the odd axis of the 3 x 2 kernel, wrong on the even one: every 'same' row.
    assert _names(bad) == {r.config.name for r in bad.rows
                           if dict(r.config.extra)["mode"] == "same"}, str(bad)


# ------------------------------------------------------------ pooling
def _axis_windows(n, k, s, p, d, ceil):
    """One axis of a PyTorch pooling layer, from torch's documented output size."""
    span = d * (k - 1) + 1
    out = (n + 2 * p - span) / s + 1
    out = math.ceil(out) if ceil else math.floor(out)
    if ceil and (out - 1) * s >= n + p:       # the last window must start inside
        out -= 1
    return [[o * s - p + t * d for t in range(k)] for o in range(out)]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def pool_factory(kind, bug=None):
    """A 2-D pooling layer written with loops over windows, with an optional planted bug."""
    def factory(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                dilation=1):
        k = _pair(kernel_size)
        s = k if stride is None else _pair(stride)
        p, d = _pair(padding), _pair(dilation)
        ceil = ceil_mode and bug != "ignores ceil_mode"

        def windows(x):
            return [_axis_windows(n, *a, ceil) for n, a in zip(x.shape[1:], zip(k, s, p, d))]

        def forward(x):
            wr, wc = windows(x)
            y = np.zeros((x.shape[0], len(wr), len(wc)))
            for i, rows in enumerate(wr):
                for j, cols in enumerate(wc):
                    rr = [r for r in rows if 0 <= r < x.shape[1]]
                    cc = [c for c in cols if 0 <= c < x.shape[2]]
                    block = x[:, rr][:, :, cc].reshape(x.shape[0], -1)
                    if kind == "max_pool":
                        if bug == "pads with zeros" and (len(rr) < k[0] or len(cc) < k[1]):
                            block = np.concatenate([block, np.zeros((len(x), 1))], axis=1)
                        y[:, i, j] = block.max(axis=1)
                        continue
                    # torch: the window clipped at the padded end is the padded count
                    h0, w0 = rows[0], cols[0]
                    size = ((min(h0 + k[0], x.shape[1] + p[0]) - h0)
                            * (min(w0 + k[1], x.shape[2] + p[1]) - w0))
                    real = len(rr) * len(cc)
                    y[:, i, j] = block.sum(axis=1) / (size if count_include_pad else real)
            return y

        def backward(x, g):
            assert kind == "max_pool"
            wr, wc = windows(x)
            dx = np.zeros_like(x)
            for i, rows in enumerate(wr):
                for j, cols in enumerate(wc):
                    for c in range(x.shape[0]):
                        pos = [(r, q) for r in rows for q in cols
                               if 0 <= r < x.shape[1] and 0 <= q < x.shape[2]]
                        r, q = max(pos, key=lambda t: x[c, t[0], t[1]])
                        dx[c, r, q] += g[c, i, j]
            return dx
        return (forward, backward) if kind == "max_pool" else forward
    return factory


@pytest.mark.parametrize("kind", ["avg_pool", "max_pool"])
def test_a_correct_pooling_layer_passes_every_configuration(kind):
    r = sweep_layer(pool_factory(kind), kind=kind, input_shape=(2, 8, 8))
    assert r.ok and {row.status for row in r.rows} == {"ok"}, str(r)
    assert len(r.rows) == len(default_grid(kind=kind, input_shape=(2, 8, 8))) == 10
    if kind == "max_pool":
        assert all(row.report.checked == ["forward", "input_grad"] for row in r.rows)


def _changes_with_ceil(cfg):
    k, s = _pair(cfg.options()["kernel_size"]), cfg.options()["stride"]
    s = k if s is None else _pair(s)
    p, d = _pair(cfg.padding), _pair(dict(cfg.extra).get("dilation", 1))
    return any(len(_axis_windows(n, kk, ss, pp, dd, True))
               != len(_axis_windows(n, kk, ss, pp, dd, False))
               for n, kk, ss, pp, dd in zip(cfg.spatial, k, s, p, d))


@pytest.mark.parametrize("kind", ["avg_pool", "max_pool"])
def test_ignoring_ceil_mode_fails_exactly_where_it_changes_the_output(kind):
    r = sweep_layer(pool_factory(kind, "ignores ceil_mode"), kind=kind, input_shape=(1, 8, 8))
    expected = {row.config.name for row in r.rows
                if dict(row.config.extra).get("ceil_mode") and _changes_with_ceil(row.config)}
    assert expected and _names(r) == expected, str(r)


def test_max_pool_padding_with_zeros_fails_only_in_padded_configurations():
    r = sweep_layer(pool_factory("max_pool", "pads with zeros"), kind="max_pool",
                    input_shape=(2, 8, 8), seed=3)
    # Exactly the configurations with a window reaching outside the input: padding, or
    # ceil_mode's last window.
    outside = {row.config.name for row in r.rows if row.config.padding != 0
               or (dict(row.config.extra).get("ceil_mode") and _changes_with_ceil(row.config))}
    assert outside and _names(r) == outside, str(r)


# ------------------------------------------------------------ conventions
def test_factory_gets_its_weight_layout_bias_shape_and_input_shape():
    seen = []

    def factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
                input_shape):
        # The layer keeps its weight as (kh, kw, C_in, C_out), its bias as (C, 1, 1), and
        # takes channels-last images (H, W, C).
        seen.append((weight.shape, bias.shape, input_shape))
        fwd, bwd = make_factory()(weight.transpose(3, 2, 0, 1), bias.ravel(), stride, padding,
                                  dilation, groups)
        return (lambda x: fwd(x.transpose(2, 0, 1)).transpose(1, 2, 0),
                lambda x, g: _hwc(bwd(x.transpose(2, 0, 1), g.transpose(2, 0, 1))))

    grid = default_grid((4, 2, 3, 3))[:3]
    r = sweep_layer(factory, weight_shape=(4, 2, 3, 3), bias=(4, 1, 1), grid=grid,
                    data_format="HWC", weight_format="HWIO")
    assert r.ok, str(r)
    assert seen[0] == ((3, 3, 2, 4), (4, 1, 1), (8, 8, 2))
    with pytest.raises(ValueError, match="bias must be True, False or a shape with 4"):
        sweep_layer(factory, weight_shape=(4, 2, 3, 3), bias=(3,))


def _hwc(grads):
    gx, gw, gb = grads
    return gx.transpose(1, 2, 0), gw.transpose(2, 3, 1, 0), gb


def test_grads_per_configuration_finds_an_overwritten_weight_gradient_at_batch_2():
    class Layer:
        """Stores its gradients on backward, as layer objects do; optionally `dW =`."""

        def __init__(self, weight, overwrite):
            self.w, self.overwrite = weight, overwrite

        def forward(self, x):
            return np.stack([make_factory()(self.w)[0](im) for im in x])

        def backward(self, x, g):
            gx = []
            self.dW = np.zeros_like(self.w)
            for im, gi in zip(x, g):
                a, dw, _ = make_factory()(self.w)[1](im, gi)
                gx.append(a)
                self.dW = dw if self.overwrite else self.dW + dw
            return np.stack(gx)

    def factory(overwrite):
        def build(weight, bias=None, **opts):
            if opts != {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}:
                raise NotImplementedError
            layer = Layer(weight, overwrite)
            return layer.forward, layer.backward, lambda: {"dW": layer.dW}
        return build

    good = sweep_layer(factory(False), weight_shape=(2, 2, 3, 3), batch=True)
    assert good.ok and sum(r.status == "ok" for r in good.rows) == 6, str(good)
    bad = sweep_layer(factory(True), weight_shape=(2, 2, 3, 3), batch=True)
    assert {r.config.batch for r in bad.failures} == {2}, str(bad)
    assert all("weight_grad" in r.message for r in bad.failures)


def test_sweep_kind_arguments_are_checked():
    with pytest.raises(ValueError, match="kind must be one of"):
        sweep_layer(pool_factory("max_pool"), kind="maxpool", input_shape=(1, 4, 4))
    with pytest.raises(TypeError, match="input_shape"):
        sweep_layer(pool_factory("max_pool"), kind="max_pool")
    with pytest.raises(ValueError, match="has no bias"):
        sweep_layer(pool_factory("max_pool"), kind="max_pool", input_shape=(1, 4, 4),
                    bias=True)
    with pytest.raises(ValueError, match="kind=None or 'max_pool'"):
        sweep_layer(pool_factory("max_pool"), kind="max_pool", input_shape=(1, 4, 4),
                    grid=[SweepConfig("x", (4, 4), (2, 2), kind="avg_pool")])
    # A config of the user's own for a pooling sweep: kind comes from the sweep.
    r = sweep_layer(pool_factory("avg_pool"), kind="avg_pool", input_shape=(1, 4, 4),
                    grid=[SweepConfig("mine", (5, 4), (2, 2), stride=None)])
    assert r.ok and r.rows[0].config.kind == "avg_pool", str(r)


# ------------------------------------------------------------ every grid builds
def test_every_default_grid_configuration_is_a_layer_the_builders_make():
    # Each configuration's weight, input shape and options, as sweep_layer derives them,
    # build with the package's builder for that kind: no row fails for the grid's sake.
    from toeplitz_conv import (
        avg_pool_matrix,
        conv_matrix,
        data_matrix,
        layer_matrix,
        locally_connected_matrix,
        max_pool_matrix,
        tiled_conv_matrix,
        transposed_layer_matrix,
    )
    from toeplitz_conv.check._sweep_kinds import rule_for, weight_and_input

    def build(kind, cfg, wshape, in_shape):
        opts = cfg.options()
        if kind == "signal":
            return conv_matrix(np.ones(wshape), in_shape, opts.pop("mode"),
                               correlate=opts.pop("correlate"),
                               boundary=opts.pop("boundary", "fill"))
        if kind == "data_matrix":
            k = opts.pop("kernel_size")
            k = (k,) * (len(in_shape) - 1) if isinstance(k, int) else tuple(k)
            return data_matrix(RNG.standard_normal(in_shape), (1, in_shape[0], *k), **opts)
        if kind in ("avg_pool", "max_pool"):
            k = opts.pop("kernel_size")
            if kind == "avg_pool":
                return avg_pool_matrix(k, in_shape, **opts)
            return max_pool_matrix(RNG.standard_normal(in_shape), k, **opts)
        fn = {"conv": layer_matrix, "transposed": transposed_layer_matrix,
              "local": locally_connected_matrix, "tiled": tiled_conv_matrix}[kind]
        return fn(np.ones(wshape), in_shape, **opts)

    cases = [("conv", (4, 2, 3, 3), None), ("conv", (2, 2, 3), None),
             ("transposed", (2, 4, 3, 3), None), ("transposed", (2, 2, 2), None),
             ("signal", (3, 2), None), ("signal", (4,), None),
             ("avg_pool", None, (2, 8, 8)), ("max_pool", None, (1, 9)),
             ("local", (2, 3, 3, 3), None), ("tiled", (2, 3, 3, 3), None),
             ("data_matrix", None, (2, 7, 8))]
    for kind, ws, shape in cases:
        grid = default_grid(ws, kind=kind, input_shape=shape)
        assert len({c.name for c in grid}) == len(grid) >= 7, (kind, len(grid))
        rule = rule_for(kind, ws is not None)
        channels = shape[0] if shape else (ws[0] if kind == "transposed" else
                                           ws[1] if ws and len(ws) > 2 else 1)
        for cfg in grid:
            wshape, in_shape = weight_and_input(rule, ws, channels, cfg)
            try:
                build(kind, cfg, wshape, in_shape)
            except (ValueError, TypeError) as exc:
                raise AssertionError(f"{kind} {cfg.describe()}: {exc}") from exc


RNG = np.random.default_rng(0)


# ------------------------------------------------------------ transposed (with chk-kinds)
def test_transposed_sweep_finds_an_ignored_output_padding():
    from .test_check_identify_kinds import conv_transpose

    def factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                output_padding=0, *, bug=False):
        if groups != 1 or isinstance(padding, str):
            raise NotImplementedError
        op = 0 if bug else output_padding

        def forward(x):
            y = conv_transpose(x, weight, stride, padding, op, dilation)
            return y if bias is None else y + bias.reshape(-1, *(1,) * (y.ndim - 1))
        return forward

    good = sweep_layer(factory, kind="transposed", weight_shape=(2, 3, 3, 3), bias=True)
    assert good.ok and sum(r.status == "ok" for r in good.rows) >= 8, str(good)
    bad = sweep_layer(lambda *a, **k: factory(*a, **k, bug=True), kind="transposed",
                      weight_shape=(2, 3, 3, 3))
    assert _names(bad) == {r.config.name for r in bad.rows
                           if dict(r.config.extra).get("output_padding")}, str(bad)

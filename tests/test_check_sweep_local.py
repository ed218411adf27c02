"""sweep_layer(kind="local" | "tiled"): the default grids of locally connected and tiled
layers, a correct hand-written layer of each passing every row, planted bugs failing exactly
in the rows where they change the result.

The layers are numpy loops written from the definitions: Keras' LocallyConnected2D (a kernel
per output position, kept as ``(out_h * out_w, kh * kw * C_in, C_out)`` and fed channels-last
images) and the tiled convolution of Ngiam et al. (2010) (units ``t`` apart along an axis
share their kernel: output ``(i, j)`` uses kernel ``(i mod t0, j mod t1)``).
"""

from __future__ import annotations

import numpy as np
import pytest

from toeplitz_conv.check import SweepConfig, default_grid, sweep_layer

from .test_check_sweep import _pads, _pair


def _windows(x_shape, kernel, stride, padding, dilation):
    """Padded input size and output size per axis, from the frameworks' documented rules."""
    pads = _pads(padding, x_shape, kernel, stride, dilation)
    out = [(n + a + b - d * (k - 1) - 1) // s + 1
           for n, (a, b), k, s, d in zip(x_shape, pads, kernel, stride, dilation)]
    return pads, out


def _out_size(cfg):
    s, d = _pair(cfg.stride), _pair(cfg.dilation)
    return _windows(cfg.spatial, cfg.kernel, s, cfg.padding, d)[1]


def _patch(x, rows, cols):
    """The window at input rows x columns of an (H, W, C) image, zero outside."""
    h, w = x.shape[:2]
    p = np.zeros((len(rows), len(cols), x.shape[2]))
    for a, r in enumerate(rows):
        for b, c in enumerate(cols):
            if 0 <= r < h and 0 <= c < w:
                p[a, b] = x[r, c]
    return p


def keras_local_factory(bug=None):
    """A locally connected 2-D layer, Keras' kernel layout, channels-last input (H, W, C)."""
    def factory(weight, bias=None, stride=1, padding=0, dilation=1):
        oh, ow, c_out, c_in, kh, kw = weight.shape
        # Keras: kernel[position, (a * kw + b) * C_in + c, o]
        kernel = weight.transpose(0, 1, 4, 5, 3, 2).reshape(oh * ow, kh * kw * c_in, c_out)
        s, d = _pair(stride), _pair(dilation)

        def patch_rows(x_shape):
            (pt, _), (pl, pr) = _pads(padding, x_shape, (kh, kw), s, d)
            ow1 = x_shape[1] + pl + pr - d[1] * (kw - 1)            # bug: width at stride 1
            for i in range(oh):
                for j in range(ow):
                    rows = [i * s[0] - pt + a * d[0] for a in range(kh)]
                    cols = [j * s[1] - pl + b * d[1] for b in range(kw)]
                    flat = i * ow1 + j if bug == "stride-blind index" else i * ow + j
                    yield i, j, flat, rows, cols

        def forward(x):
            y = np.zeros((oh, ow, c_out))
            for i, j, flat, rows, cols in patch_rows(x.shape):
                y[i, j] = _patch(x, rows, cols).ravel() @ kernel[flat]
            return y if bias is None else y + bias

        def backward(x, g):
            gx, gk = np.zeros_like(x), np.zeros_like(kernel)
            h, w = x.shape[:2]
            for i, j, flat, rows, cols in patch_rows(x.shape):
                gk[flat] += np.outer(_patch(x, rows, cols).ravel(), g[i, j])
                gp = (kernel[flat] @ g[i, j]).reshape(kh, kw, c_in)
                for a, r in enumerate(rows):
                    for b, c in enumerate(cols):
                        if 0 <= r < h and 0 <= c < w:
                            gx[r, c] += gp[a, b]
            gw = gk.reshape(oh, ow, kh, kw, c_in, c_out).transpose(0, 1, 5, 4, 2, 3)
            return gx, gw, g.sum(axis=(0, 1))
        return forward, backward
    return factory


def tiled_factory(bug=None):
    """A tiled 2-D convolution (Ngiam et al.), input (C, H, W), weight (t0, t1, C_out, ...)."""
    def factory(weight, bias=None, stride=1, padding=0, dilation=1, tiles=None):
        t0, t1, c_out, _, kh, kw = weight.shape
        assert _pair(tiles) == (t0, t1)           # the sweep names the tiles it built
        s, d = _pair(stride), _pair(dilation)

        def tile(i, j):
            if bug == "period one short":
                return i % max(t0 - 1, 1), j % t1
            return i % t0, j % t1

        def setup(x):
            pads, (oh, ow) = _windows(x.shape[1:], (kh, kw), s, padding, d)
            xp = np.pad(x, ((0, 0), *pads))
            ii = (np.arange(oh) * s[0])[:, None] + np.arange(kh) * d[0]
            jj = (np.arange(ow) * s[1])[:, None] + np.arange(kw) * d[1]
            return pads, xp, ii, jj

        def forward(x):
            _, xp, ii, jj = setup(x)
            y = np.zeros((c_out, len(ii), len(jj)))
            for i, rows in enumerate(ii):
                for j, cols in enumerate(jj):
                    y[:, i, j] = np.einsum("cab,ocab->o", xp[:, rows][:, :, cols],
                                           weight[tile(i, j)])
            return y if bias is None else y + bias[:, None, None]

        def backward(x, g):
            pads, xp, ii, jj = setup(x)
            gxp, gw = np.zeros_like(xp), np.zeros_like(weight)
            for i, rows in enumerate(ii):
                for j, cols in enumerate(jj):
                    t = tile(i, j)
                    gw[t] += np.einsum("o,cab->ocab", g[:, i, j], xp[:, rows][:, :, cols])
                    gxp[:, rows[:, None], cols[None, :]] += np.einsum("o,ocab->cab", g[:, i, j],
                                                                      weight[t])
            (pt, pb), (pl, pr) = pads
            gx = gxp[:, pt:gxp.shape[1] - pb, pl:gxp.shape[2] - pr]
            return gx, gw, g.sum(axis=(1, 2))
        return forward, backward
    return factory


def _failed(report):
    return {row.config.name for row in report.failures}


def test_local_and_tiled_default_grids_vary_what_their_bugs_depend_on():
    local = default_grid((2, 3, 3, 3), kind="local")
    tiled = default_grid((2, 3, 3, 3), kind="tiled")
    for grid in (local, tiled):
        assert len({c.name for c in grid}) == len(grid)
        assert {_pair(c.stride) for c in grid} >= {(1, 1), (2, 2), (2, 1)}
        assert {c.padding for c in grid} >= {0, 1, "same", "SAME"}
        assert any(c.dilation == 2 for c in grid) and any(c.kernel == (1, 1) for c in grid)
        assert any(c.kernel[0] != c.kernel[1] for c in grid)
        assert any(c.spatial[0] != c.spatial[1] for c in grid)
        assert all(max(c.spatial) <= 7 for c in grid)          # each position has a kernel
    tiles = {dict(c.extra)["tiles"] for c in tiled}
    assert {(1, 1), (2, 2), (3, 2)} <= tiles
    outs = {(dict(c.extra)["tiles"], tuple(_out_size(c))) for c in tiled}
    assert any(all(t > o for t, o in zip(ts, out)) for ts, out in outs)    # tiles > output
    assert any(o % t for ts, out in outs for t, o in zip(ts, out) if o > t)  # not dividing
    assert "tiles 3x2" in next(c.describe() for c in tiled if c.name == "non-square input")
    assert all("tiles" not in c.describe() for c in local)
    # A tiled grid row builds the (*tiles, C_out, C_in, *kernel) weight of its tiles.
    seen = []
    sweep_layer(lambda weight, **kw: seen.append(weight.shape) or (lambda x: x),
                kind="tiled", weight_shape=(2, 3, 3, 3), grid=tiled[-3:-2])
    assert seen == [(1, 1, 2, 3, 3, 3)]


def test_a_keras_style_locally_connected_layer_passes_and_a_stride_blind_index_fails():
    kw = dict(kind="local", weight_shape=(2, 3, 3, 3), bias=True, data_format="HWC")
    good = sweep_layer(keras_local_factory(), **kw)
    assert good.ok and {r.status for r in good.rows} == {"ok"}, str(good)
    assert len(good.rows) == len(default_grid((2, 3, 3, 3), kind="local")) == 13
    assert all(r.report.checked == ["forward", "input_grad", "weight_grad", "bias_grad"]
               for r in good.rows)
    bad = sweep_layer(keras_local_factory("stride-blind index"), **kw)
    # The kernel index uses the width a stride-1 layer would have: wrong (or out of range)
    # exactly where the stride along the width is above 1 and there are two output rows.
    expected = {r.config.name for r in bad.rows
                if _pair(r.config.stride)[1] > 1 and _out_size(r.config)[0] > 1}
    assert expected and _failed(bad) == expected, str(bad)
    assert "per-axis stride" not in expected                   # stride (2, 1): right
    text = str(bad)
    assert all(f"{name} (" in text for name in expected)


def test_a_tiled_layer_passes_and_a_period_one_short_fails_where_the_period_shows():
    kw = dict(kind="tiled", weight_shape=(2, 2, 3, 3), bias=True)
    good = sweep_layer(tiled_factory(), **kw)
    assert good.ok and {r.status for r in good.rows} == {"ok"}, str(good)
    assert len(good.rows) == 16
    bad = sweep_layer(tiled_factory("period one short"), **kw)
    # Rows where kernels repeat along the rows (t0 >= 2) and the output reaches t0 rows.
    expected = {r.config.name for r in bad.rows
                if dict(r.config.extra)["tiles"][0] >= 2
                and _out_size(r.config)[0] >= dict(r.config.extra)["tiles"][0]}
    assert expected and _failed(bad) == expected, str(bad)
    assert "tiles larger than the output" not in expected
    assert all("tile period wrong along axis 0" in r.message for r in bad.failures), str(bad)


def test_a_configuration_with_its_own_weight_takes_its_channels_from_it():
    # No sweep weight_shape: each row's weight (*tiles, C_out, C_in, *k) gives C_in.
    grid = [SweepConfig("own weight", (5, 5), (3, 3), weight_shape=(2, 1, 2, 3, 3, 3))]
    r = sweep_layer(tiled_factory(), kind="tiled", grid=grid)
    assert r.ok and r.rows[0].report is not None, str(r)


def test_a_users_tiled_configuration_gives_its_tiles_as_an_int_or_per_axis():
    grid = [SweepConfig("int tiles", (5, 5), (3, 3), extra=(("tiles", 3),)),
            SweepConfig("default tiles", (5, 5), (3, 3))]
    r = sweep_layer(tiled_factory(), kind="tiled", weight_shape=(1, 1, 3, 3), grid=grid)
    assert r.ok and r.rows[0].name.endswith("tiles 3)"), str(r)
    assert r.rows[1].name.endswith("tiles 2)")          # the default, shown
    bad = [SweepConfig("bad", (5, 5), (3, 3), extra=(("tiles", (0, 2)),))]
    with pytest.raises(ValueError, match="tiles"):
        sweep_layer(tiled_factory(), kind="tiled", weight_shape=(1, 1, 3, 3), grid=bad)

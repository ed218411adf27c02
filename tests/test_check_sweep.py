"""sweep_layer: configuration-dependent bugs in hand-written layers are found, a correct
layer passes every configuration, and user code that raises is one failing row."""

import inspect

import numpy as np
import pytest

from toeplitz_conv.check import SweepConfig, check_layer, default_grid, sweep_layer

from .conftest import requires_torch


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pads(padding, size, kernel, stride, dilation):
    """Per-side pads written from the frameworks' documented rules (not the library's)."""
    out = []
    for n, k, s, d, p in zip(size, kernel, stride, dilation,
                             [padding] * 2 if isinstance(padding, (int, str)) else padding):
        span = d * (k - 1)
        if p == "same":                       # PyTorch: the odd extra pad after
            out.append((span // 2, span - span // 2))
        elif p == "SAME":                     # TensorFlow: ceil(n / s) outputs
            total = max((-(-n // s) - 1) * s + span + 1 - n, 0)
            out.append((total // 2, total - total // 2))
        else:
            out.append((p, p))
    return out


def make_factory(empty_slice=False, square=False, size_rounding=False, raise_on=None):
    """A hand-written im2col conv2d (no batch axis) with an optional classic bug."""
    def factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        if raise_on is not None and raise_on(stride, padding, dilation, groups):
            raise ValueError("this configuration confuses the layer")
        c_out, cg, kh, kw = weight.shape
        s, d = _pair(stride), _pair(dilation)

        def geometry(x):
            h, w = x.shape[1:]
            (pt, pb), (pl, pr) = _pads(padding, (h, w), (kh, kw), s, d)
            hp, wp = h + pt + pb, w + pl + pr
            if size_rounding:                 # bug: only right when the stride divides
                ho = (hp - d[0] * (kh - 1)) // s[0]
                wo = (wp - d[1] * (kw - 1)) // s[1]
            else:
                ho = (hp - d[0] * (kh - 1) - 1) // s[0] + 1
                wo = (wp - d[1] * (kw - 1) - 1) // s[1] + 1
            if square:                        # bug: assumes square images
                wo = ho
            return (pt, pb, pl, pr), ho, wo

        def patches(xp, ho, wo):
            i = (np.arange(ho) * s[0])[:, None] + np.arange(kh) * d[0]     # (ho, kh)
            j = (np.arange(wo) * s[1])[:, None] + np.arange(kw) * d[1]     # (wo, kw)
            return xp[:, i[:, None, :, None], j[None, :, None, :]]        # (C, ho, wo, kh, kw)

        def forward(x):
            (pt, pb, pl, pr), ho, wo = geometry(x)
            xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr)))
            cols = patches(xp, ho, wo)
            og = c_out // groups
            y = np.concatenate([np.einsum("ochw,cijhw->oij", weight[gi * og:(gi + 1) * og],
                                          cols[gi * cg:(gi + 1) * cg])
                                for gi in range(groups)])
            return y if bias is None else y + bias[:, None, None]

        def backward(x, g):
            (pt, pb, pl, pr), ho, wo = geometry(x)
            xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr)))
            cols = patches(xp, ho, wo)
            og = c_out // groups
            gw = np.concatenate([np.einsum("oij,cijhw->ochw", g[gi * og:(gi + 1) * og],
                                           cols[gi * cg:(gi + 1) * cg]) for gi in range(groups)])
            gcols = np.concatenate([np.einsum("oij,ochw->cijhw", g[gi * og:(gi + 1) * og],
                                              weight[gi * og:(gi + 1) * og])
                                    for gi in range(groups)])
            gxp = np.zeros_like(xp)
            i = (np.arange(ho) * s[0])[:, None] + np.arange(kh) * d[0]
            j = (np.arange(wo) * s[1])[:, None] + np.arange(kw) * d[1]
            np.add.at(gxp, (slice(None), i[:, None, :, None], j[None, :, None, :]), gcols)
            if empty_slice:                   # bug: x[p:-p] is empty when p == 0
                gx = gxp[:, pt:-pb, pl:-pr]
            else:
                gx = gxp[:, pt:pt + x.shape[1], pl:pl + x.shape[2]]
            return gx, gw, g.sum(axis=(1, 2))
        return forward, backward
    return factory


def _names(report):
    return {row.config.name for row in report.failures}


def test_a_correct_layer_passes_every_default_configuration():
    r = sweep_layer(make_factory(), weight_shape=(4, 2, 3, 3), bias=True)
    assert r.ok, str(r)
    assert len(r.rows) == len(default_grid((4, 2, 3, 3))) == 15
    assert {row.status for row in r.rows} == {"ok"}
    # The grid holds what it promises.
    grid = [row.config for row in r.rows]
    assert {c.padding for c in grid} >= {0, 1, "same", "SAME"}
    assert any(c.kernel[0] % 2 == 0 for c in grid) and any(c.kernel[0] % 2 for c in grid)
    assert any(c.spatial[0] != c.spatial[1] for c in grid)
    assert any(c.kernel[0] != c.kernel[1] for c in grid)
    assert any(c.groups == 2 for c in grid) and any(c.dilation == 2 for c in grid)
    assert any(c.stride != 1 and any(n % 2 for n in c.spatial) for c in grid)


def test_the_empty_slice_at_padding_0_is_found_in_exactly_the_unpadded_configurations():
    r = sweep_layer(make_factory(empty_slice=True), weight_shape=(4, 2, 3, 3))
    assert not r.ok
    assert _names(r) == {"padding 0", "1-tap kernel", "stride not dividing the input",
                         "kernel as large as the input"}
    for row in r.failures:
        assert "input_grad" in row.message and row.report is not None
        assert row.config.describe() in row.name and row.name in str(r)


def test_a_square_image_assumption_fails_only_on_non_square_inputs():
    r = sweep_layer(make_factory(square=True), weight_shape=(3, 2, 3, 3))

    def out_size(c):
        s, d = _pair(c.stride), _pair(c.dilation)
        pads = _pads(c.padding, c.spatial, c.kernel, s, d)
        return tuple((n + a + b - dd * (k - 1) - 1) // ss + 1
                     for n, (a, b), k, ss, dd in zip(c.spatial, pads, c.kernel, s, d))
    # Exactly the configurations with a non-square output (a non-square
    # input, a non-square kernel, 'SAME' on 9x8), however they get there.
    expected = {row.config.name for row in r.rows if len(set(out_size(row.config))) > 1}
    assert _names(r) == expected
    assert {"non-square input", "non-square kernel", "'SAME', stride 2"} <= expected


def test_an_output_size_that_assumes_the_stride_divides_is_found():
    r = sweep_layer(make_factory(size_rounding=True), weight_shape=(3, 2, 3, 3))
    bad = _names(r)
    assert "stride not dividing the input" in bad and "padding 2, stride 2" in bad
    assert all(row.config.stride != 1 for row in r.failures)


def test_user_code_that_raises_is_one_failing_row_and_not_implemented_is_unsupported():
    r = sweep_layer(make_factory(raise_on=lambda s, p, d, g: d != 1),
                    weight_shape=(2, 2, 3, 3))
    assert _names(r) == {"dilation 2"}
    assert "factory raised ValueError" in r.failures[0].message

    def partial(weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        if groups != 1:
            raise NotImplementedError("no groups")
        return make_factory()(weight, bias, stride, padding, dilation, groups)
    r = sweep_layer(partial, weight_shape=(2, 2, 3, 3))
    assert r.ok and [row.status for row in r.rows].count("unsupported") == 1

    def crashing_forward(weight, bias=None, **kw):
        fwd, bwd = make_factory()(weight, bias, **kw)
        if kw["padding"] == "SAME":
            return (lambda x: x[10**6]), bwd          # IndexError inside the layer
        return fwd, bwd
    r = sweep_layer(crashing_forward, weight_shape=(2, 2, 3, 3))
    assert _names(r) == {"'SAME', stride 2"} and "IndexError" in r.failures[0].message


def test_report_table_text_and_html():
    r = sweep_layer(make_factory(empty_slice=True), weight_shape=(2, 2, 2, 3))
    text = str(r)
    assert text.splitlines()[0].startswith("layer sweep: 15 configurations, 4 FAIL")
    assert all(row.name in text for row in r.rows)
    page = r._repr_html_()
    assert page.count("<tr>") == 1 + len(r.rows) and "FAIL" in page

    def evil(weight, bias=None, **kw):
        raise RuntimeError("<script>alert(1)</script>")
    page = sweep_layer(evil, weight_shape=(2, 2, 3, 3))._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_sweep_refuses_bad_arguments():
    with pytest.raises(TypeError, match="factory must be callable"):
        sweep_layer(3, weight_shape=(2, 2, 3, 3))
    with pytest.raises(ValueError, match="weight_shape must be"):
        sweep_layer(make_factory(), weight_shape=(2, 2))
    with pytest.raises(TypeError, match="weight_shape must be"):
        sweep_layer(make_factory(), weight_shape="2x2")
    with pytest.raises(TypeError, match="bias must be True or False"):
        sweep_layer(make_factory(), weight_shape=(2, 2, 3, 3), bias=1)
    with pytest.raises(TypeError, match="grid must be"):
        sweep_layer(make_factory(), weight_shape=(2, 2, 3, 3), grid=[1])
    if "batch" not in inspect.signature(check_layer).parameters:
        with pytest.raises(ValueError, match="batch= needs"):
            sweep_layer(make_factory(), weight_shape=(2, 2, 3, 3), batch=True)


def test_a_custom_grid_and_1d_layers():
    from scipy.signal import correlate

    def factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        if (stride, dilation, groups) != (1, 1, 1) or isinstance(padding, str):
            raise NotImplementedError

        def forward(x):
            xp = np.pad(x, ((0, 0), (padding, padding)))
            return np.stack([sum(correlate(xp[i], w[i], "valid") for i in range(len(x)))
                             for w in weight])
        return forward
    r = sweep_layer(factory, weight_shape=(2, 3, 3))
    assert r.ok and sum(row.status == "ok" for row in r.rows) >= 4
    grid = [SweepConfig("tiny", (4,), (2,), padding=1)]
    r = sweep_layer(factory, weight_shape=(2, 3, 3), grid=grid)
    assert [row.status for row in r.rows] == ["ok"]


@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_a_torch_module_factory_passes():
    import torch

    def factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        if padding == "SAME":
            raise NotImplementedError("torch has no 'SAME'")
        conv = torch.nn.Conv2d(weight.shape[1] * groups, weight.shape[0], weight.shape[2:],
                               stride=stride, padding=padding, dilation=dilation,
                               groups=groups, bias=bias is not None).double()
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(weight))
            if bias is not None:
                conv.bias.copy_(torch.from_numpy(bias))
        return conv
    r = sweep_layer(factory, weight_shape=(4, 2, 3, 3), bias=True)
    assert r.ok, str(r)
    assert [row.status for row in r.rows].count("unsupported") == 1


@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_batched_sweep_finds_a_per_image_weight_gradient():
    # A batched layer (N, C, H, W) whose weight gradient keeps only the last
    # image's contribution passes at batch 1 and fails at batch 2.
    import torch

    def factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, bug=False):
        if padding == "SAME":
            raise NotImplementedError("torch has no 'SAME'")
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        w = torch.from_numpy(weight)

        def forward(x):
            return torch.nn.functional.conv2d(torch.from_numpy(x), w, **kw).numpy()

        def backward(x, g):
            xt = torch.from_numpy(x).requires_grad_()
            wt = w.clone().requires_grad_()
            if bug:     # per-image gradients, the last one wins
                gw = None
                for i in range(len(x)):
                    wi = w.clone().requires_grad_()
                    y = torch.nn.functional.conv2d(xt[i:i + 1].detach(), wi, **kw)
                    y.backward(torch.from_numpy(g[i:i + 1]))
                    gw = wi.grad
            y = torch.nn.functional.conv2d(xt, wt, **kw)
            y.backward(torch.from_numpy(g))
            return xt.grad.numpy(), (gw if bug else wt.grad).numpy()

        return forward, backward

    good = sweep_layer(factory, weight_shape=(2, 2, 3, 3), batch=True)
    assert good.ok, str(good)
    bad = sweep_layer(lambda *a, **k: factory(*a, **k, bug=True), weight_shape=(2, 2, 3, 3),
                      batch=True)
    assert not bad.ok
    failing = {row.config.batch for row in bad.failures}
    assert failing == {2}, str(bad)

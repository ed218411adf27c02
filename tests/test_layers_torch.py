"""layer_matrix / transposed_layer_matrix against torch (forward and gradients)."""

import numpy as np
import pytest

from toeplitz_conv import layer_matrix, transposed_layer_matrix

from .conftest import requires_torch

pytestmark = requires_torch


def _torch_layer(x, w, stride, padding, dilation, groups, padding_mode):
    import torch

    nd = w.ndim - 2
    conv = getattr(torch.nn, f"Conv{nd}d")(w.shape[1] * groups, w.shape[0], w.shape[2:],
                                            stride=stride, padding=padding, dilation=dilation,
                                            groups=groups, bias=False, padding_mode=padding_mode,
                                            dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w))
    xt = torch.tensor(x[None], requires_grad=True)
    return conv, xt, conv(xt)[0]


def _random_layer_config(rng):
    nd = int(rng.integers(1, 4))
    groups = int(rng.integers(1, 3))
    c_ig, c_og = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    n = tuple(int(v) for v in rng.integers(3, 8 if nd < 3 else 6, nd))
    mode = ["zeros", "reflect", "replicate", "circular"][int(rng.integers(4))]
    stride = tuple(int(v) for v in rng.integers(1, 3, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    r = rng.random()
    if r < 0.15:
        padding, stride = "same", 1
    elif r < 0.25:
        padding = "valid"
    else:
        padding = tuple(int(v) for v in rng.integers(0, 3, nd))
    w = rng.standard_normal((c_og * groups, c_ig) + k)
    x = rng.standard_normal((c_ig * groups,) + n)
    return x, w, dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                      padding_mode=mode)


def test_random_layers_forward_and_gradients(builder_path):
    rng = np.random.default_rng(2024)
    tested = 0
    while tested < 250:
        x, w, cfg = _random_layer_config(rng)
        try:
            conv, xt, y = _torch_layer(x, w, **cfg)
        except RuntimeError:
            with pytest.raises(ValueError):
                layer_matrix(w, x.shape, **cfg)
            continue
        A = layer_matrix(w, x.shape, **cfg)
        assert A.out_shape == tuple(y.shape)
        np.testing.assert_allclose(A.apply(x), y.detach().numpy(), rtol=1e-11, atol=1e-11)
        g = rng.standard_normal(tuple(y.shape))
        (y * __import__("torch").tensor(g)).sum().backward()
        np.testing.assert_allclose(A.T @ g.ravel(), xt.grad[0].numpy().ravel(),
                                   rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(A.weight_grad(x, g), conv.weight.grad.numpy(),
                                   rtol=1e-10, atol=1e-10)
        tested += 1


def test_random_transposed_layers(builder_path):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(99)
    tested = 0
    while tested < 150:
        nd = int(rng.integers(1, 4))
        groups = int(rng.integers(1, 3))
        c_ig, c_og = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        n = tuple(int(v) for v in rng.integers(2, 6, nd))
        stride = tuple(int(v) for v in rng.integers(1, 4, nd))
        dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
        padding = tuple(int(v) for v in rng.integers(0, 3, nd))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        w = rng.standard_normal((c_ig * groups, c_og) + k)
        x = rng.standard_normal((c_ig * groups,) + n)
        cfg = dict(stride=stride, padding=padding, output_padding=output_padding,
                   dilation=dilation, groups=groups)
        wt = torch.tensor(w, requires_grad=True)
        xt = torch.tensor(x[None], requires_grad=True)
        try:
            y = getattr(F, f"conv_transpose{nd}d")(xt, wt, **cfg)[0]
        except RuntimeError:
            with pytest.raises(ValueError):
                transposed_layer_matrix(w, x.shape, **cfg)
            continue
        T = transposed_layer_matrix(w, x.shape, **cfg)
        np.testing.assert_allclose(T.apply(x), y.detach().numpy(), rtol=1e-11, atol=1e-11)
        g = rng.standard_normal(tuple(y.shape))
        (y * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(T.T @ g.ravel(), xt.grad[0].numpy().ravel(), atol=1e-11)
        np.testing.assert_allclose(T.weight_grad(x, g), wt.grad.numpy(), atol=1e-10)
        tested += 1


def test_transposed_is_transpose_of_layer(builder_path):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 2, 3, 3))
    A = layer_matrix(w, (2, 9, 9), stride=2, padding=1)
    T = transposed_layer_matrix(w, A.out_shape, stride=2, padding=1)
    np.testing.assert_array_equal(T.toarray(), A.toarray().T)


def test_bias_matches_torch_module(builder_path):
    import torch

    rng = np.random.default_rng(11)
    for nd in (1, 2, 3):
        k = (3,) * nd
        n = (5,) * nd
        conv = getattr(torch.nn, f"Conv{nd}d")(4, 6, k, padding=1, groups=2, dtype=torch.float64)
        x = rng.standard_normal((4, *n))
        A = layer_matrix(conv.weight.detach().numpy(), x.shape, padding=1, groups=2)
        y = conv(torch.tensor(x[None]))[0].detach().numpy()
        np.testing.assert_allclose(A.apply(x, bias=conv.bias.detach().numpy()), y, atol=1e-12)
        flat = A @ x.ravel() + A.bias_vector(conv.bias.detach().numpy())
        np.testing.assert_allclose(flat, y.ravel(), atol=1e-12)


def test_bias_shape_is_checked(builder_path):
    A = layer_matrix(np.ones((2, 1, 3)), (1, 5))
    with pytest.raises(ValueError, match="one value per output channel"):
        A.apply(np.ones((1, 5)), bias=[1.0, 2.0, 3.0])


def test_one_code_path_for_every_dimension(builder_path, monkeypatch):
    # A 3-D (video) layer with singleton depth/height is exactly the 1-D layer:
    # the builder has no per-dimension copy of the logic.
    from toeplitz_conv import _assemble, layers

    calls = []
    real = _assemble.assemble
    monkeypatch.setattr(layers, "assemble", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    rng = np.random.default_rng(4)
    w1 = rng.standard_normal((3, 2, 4))
    for cfg in (dict(stride=2, padding=1, dilation=2), dict(padding="same"),
                dict(padding=2, padding_mode="reflect")):
        A1 = layer_matrix(w1, (2, 11), **cfg)
        cfg3 = {key: ((1, 1, v) if isinstance(v, int) and key != "padding" else v)
                for key, v in cfg.items()}
        if isinstance(cfg.get("padding"), int):
            cfg3["padding"] = (0, 0, cfg["padding"])
        A3 = layer_matrix(w1[:, :, None, None, :], (2, 1, 1, 11), **cfg3)
        np.testing.assert_array_equal(A1.toarray(), A3.toarray())
        for a, b in zip(A1.taps, A3.taps):
            np.testing.assert_array_equal(a, b)
    assert [len(g.axes) for g in calls] == [1, 3] * 3

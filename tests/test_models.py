"""``from_torch`` on single layers, against torch itself (float64): ``apply`` equals ``module(x)``,
the weight is the module's, the taps tie into it (``weight_grad`` equals autograd's), and bad
modules are refused naming the layer."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import toeplitz_conv as tc  # noqa: E402
from toeplitz_conv import DenseTooLargeError, TiedMatrix, limits  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning")
RNG = np.random.default_rng(28)


def _out(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)[None])[0].numpy()


def _check_layer(module, shape, *, at=False):
    module = module.double().eval()
    x = RNG.standard_normal(shape)
    A = tc.from_torch(module, shape, x=x if at else None)
    assert isinstance(A, TiedMatrix)
    y = _out(module, x)
    assert A.out_shape == y.shape
    np.testing.assert_allclose(A.apply(x), y, rtol=1e-12, atol=1e-12)
    return A, x, y


def _conv_case(rng, nd):
    groups = int(rng.choice([1, 2]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    same = rng.random() < 0.3
    stride = 1 if same else tuple(int(v) for v in rng.integers(1, 3, nd))
    padding = "same" if same else tuple(int(rng.integers(0, kk)) for kk in k)
    mode = str(rng.choice(["zeros", "reflect", "replicate", "circular"]))
    dil = tuple(int(v) for v in rng.integers(1, 3, nd))
    n = tuple(int(v) for v in rng.integers(5, 8 if nd < 3 else 6, nd))
    cls = getattr(nn, f"Conv{nd}d")
    return cls(c_in, c_out, k, stride=stride, padding=padding, dilation=dil, groups=groups,
               bias=bool(rng.random() < 0.7), padding_mode=mode), (c_in, *n)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_layers_equal_torch_and_tie_their_weight(nd):
    rng = np.random.default_rng(nd)
    for _ in range(8):
        module, shape = _conv_case(rng, nd)
        A, x, y = _check_layer(module, shape)
        w = module.weight.detach().numpy()
        assert np.array_equal(A.weight, w)
        # The taps tie into the weight: their gradient is autograd's weight gradient.
        g = rng.standard_normal(y.shape)
        xt = torch.from_numpy(x)[None]
        module.zero_grad()
        (module(xt)[0] * torch.from_numpy(g)).sum().backward()
        np.testing.assert_allclose(A.weight_grad(x, g), module.weight.grad.numpy(),
                                   rtol=1e-10, atol=1e-10)
        assert A.info["module"] == f"Conv{nd}d"


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_transposed_conv_layers_equal_torch(nd):
    rng = np.random.default_rng(10 + nd)
    cls = getattr(nn, f"ConvTranspose{nd}d")
    for _ in range(6):
        groups = int(rng.choice([1, 2]))
        stride = tuple(int(v) for v in rng.integers(1, 4, nd))
        dil = tuple(int(v) for v in rng.integers(1, 3, nd))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        pad = tuple(int(rng.integers(0, kk)) for kk in k)
        # torch: output_padding smaller than the stride or the dilation.
        op = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dil))
        module = cls(groups * 2, groups, k, stride=stride, padding=pad, output_padding=op,
                     dilation=dil, groups=groups, bias=bool(rng.random() < 0.7))
        shape = (groups * 2, *(int(v) for v in rng.integers(3, 5, nd)))
        A, _, _ = _check_layer(module, shape)
        assert np.array_equal(A.weight, module.weight.detach().numpy())


def test_pooling_linear_and_reshaping_layers_equal_torch():
    cases = [
        (nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 9)),
        (nn.AvgPool2d(2, padding=1, divisor_override=3), (2, 5, 5)),
        (nn.AvgPool3d((2, 1, 2)), (1, 4, 3, 4)),
        (nn.Linear(6, 4), (6,)),
        (nn.Linear(5, 3, bias=False), (2, 4, 5)),      # applied to the last axis
        (nn.Flatten(), (2, 3, 4)),
        (nn.Flatten(1, 2), (2, 3, 4)),
        (nn.Identity(), (3, 4)),
        (nn.Dropout(0.5), (3, 4)),
        (nn.Dropout2d(), (2, 3, 3)),
    ]
    for module, shape in cases:
        A, _, _ = _check_layer(module, shape)
    assert A.shape == (18, 18)
    # A linear layer on the last axis: its taps tie into the (out, in) weight.
    lin = nn.Linear(5, 3).double()
    A, x, y = _check_layer(lin, (2, 4, 5))
    g = RNG.standard_normal(y.shape)
    (lin(torch.from_numpy(x)[None])[0] * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(A.weight_grad(x, g), lin.weight.grad.numpy(), rtol=1e-12)
    assert np.array_equal(A.weight, lin.weight.detach().numpy())


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pooling_at_a_point_equals_torch(nd):
    cls = getattr(nn, f"MaxPool{nd}d")
    module = cls(2, stride=1 if nd == 3 else 2, padding=1, dilation=(1 if nd == 1 else 2),
                 ceil_mode=nd == 1)
    A, _, _ = _check_layer(module, (2, *(5,) * nd), at=True)
    assert A.info["convention"] == "max_pool"
    with pytest.raises(ValueError, match=f"MaxPool{nd}d is piecewise linear: pass x="):
        tc.from_torch(module, (2, *(5,) * nd))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_batch_norm_in_eval_mode_equals_torch(nd):
    module = getattr(nn, f"BatchNorm{nd}d")(3, affine=nd != 2)
    with torch.no_grad():
        module.running_mean[:] = torch.tensor([0.5, -1.0, 2.0])
        module.running_var[:] = torch.tensor([2.0, 0.25, 1.5])
        if module.weight is not None:
            module.weight[:] = torch.tensor([1.5, -0.5, 2.0])
            module.bias[:] = torch.tensor([0.1, 0.2, -0.3])
    _check_layer(module, (3, *(4,) * nd))


def test_training_mode_is_refused_naming_the_layer():
    for module in (nn.BatchNorm2d(2), nn.Dropout(0.2)):
        module.train()
        with pytest.raises(ValueError, match=f"{type(module).__name__} is in training mode.*"
                                             "model.eval"):
            tc.from_torch(module, (2, 4, 4))
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).double()    # train() default
    with pytest.raises(ValueError, match=r"BatchNorm2d at position 2 .*module '1'.*is in "
                                         r"training mode"):
        tc.from_torch(net, (1, 5, 5))
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.1))
    with pytest.raises(ValueError, match=r"Dropout at position 2 .*is in training mode"):
        tc.from_torch(net, (1, 5, 5))
    bn = nn.BatchNorm1d(2, track_running_stats=False).eval()
    with pytest.raises(ValueError, match="track_running_stats=False"):
        tc.from_torch(bn, (2, 3))


def test_a_wrong_reading_is_caught():
    # The comparison used above can fail: a layer read with the wrong
    # stride (the builder called directly) differs from the module.
    module = nn.Conv1d(1, 2, 3, stride=2).double()
    x = RNG.standard_normal((1, 9))
    wrong = tc.layer_matrix(module.weight.detach().numpy(), (1, 9), stride=1)
    assert wrong.out_shape != _out(module, x).shape
    A = tc.from_torch(module, (1, 9))
    B = tc.layer_matrix(module.weight.detach().numpy(), (1, 9), stride=2)    # no bias
    assert not np.allclose(B.apply(x), _out(module, x))
    assert np.allclose(A.apply(x), _out(module, x))


def test_bad_arguments_are_refused_cleanly():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match="input_shape"):
        tc.from_torch(conv, (3, 0, 5))
    with pytest.raises(TypeError, match="input_shape"):
        tc.from_torch(conv, "3,8,8")
    with pytest.raises(ValueError, match=r"x must have shape input_shape = \(3, 8, 8\)"):
        tc.from_torch(conv, (3, 8, 8), x=np.zeros((3, 8)))
    with pytest.raises(TypeError, match=r"module must be a torch\.nn\.Module, got int"):
        tc.from_torch(42, (3, 8, 8))
    with pytest.raises(ValueError, match="Sigmoid is neither linear nor piecewise linear"):
        tc.from_torch(nn.Sigmoid(), (3,))
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        tc.from_torch(conv, (3, 8, 8), x="abc")
    with pytest.raises(ValueError, match="in_features=6"):
        tc.from_torch(nn.Linear(6, 2), (5,))
    with pytest.raises(DenseTooLargeError):
        tc.from_torch(conv, (3, 10**5, 10**5))            # refused before any allocation
    with pytest.raises(DenseTooLargeError):
        tc.from_torch(nn.Sequential(conv, nn.Flatten()), (3, 10**5, 10**5))
    with limits.override(max_dense_bytes=10**4):
        with pytest.raises(DenseTooLargeError):
            tc.from_torch(nn.Linear(100, 100), (100, 100))


def test_import_stays_light_and_from_torch_is_lazy():
    import subprocess
    import sys
    code = ("import sys, toeplitz_conv as tc; f = tc.from_torch; import toeplitz_conv.models; "
            "print('torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"

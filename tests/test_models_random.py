"""Whole models through ``from_torch``, against ``torch.autograd.functional.jacobian`` (float64).

Random models -- random layer kinds, channels, strides, paddings, dilations,
groups, residual additions, concatenations and activations -- are built
here, linearised at a random point, and their operator (``@``, ``.T``,
``toarray``, ``apply``) compared with torch's own Jacobian and output.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import toeplitz_conv as tc  # noqa: E402
from toeplitz_conv import DenseTooLargeError, limits  # noqa: E402
from toeplitz_conv.models import ModelMatrix  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning")


def _jacobian(net, x):
    xt = torch.from_numpy(x)
    J = torch.autograd.functional.jacobian(lambda t: net(t[None])[0], xt)
    out = net(xt[None])[0].detach().numpy()
    return J.reshape(out.size, x.size).numpy(), out


class RandomNet(nn.Module):
    """A model drawn from ``rng``: a plan of blocks on a (C, *spatial) input."""

    def __init__(self, rng, shape):
        super().__init__()
        self.plan = []
        self.mods = nn.ModuleList()
        nd = len(shape) - 1
        probe = torch.zeros((1, *shape), dtype=torch.float64)
        for _ in range(int(rng.integers(2, 6))):
            for _attempt in range(20):
                kind, mod = self._draw(rng, nd, probe.shape[1])
                try:
                    with torch.no_grad():
                        out = self._block(kind, mod.double().eval(), probe)
                except RuntimeError:
                    continue
                if out.numel() and min(out.shape[2:], default=1) >= 1:
                    self.plan.append((kind, len(self.mods)))
                    self.mods.append(mod)
                    probe = out
                    break

    @staticmethod
    def _draw(rng, nd, c):
        conv = getattr(nn, f"Conv{nd}d")
        kind = str(rng.choice(["conv", "conv", "act", "act", "res", "cat", "pool", "convT",
                               "bn", "scale"]))
        k = int(rng.integers(1, 4))
        if kind in ("conv", "res", "cat"):
            groups = int(rng.choice([g for g in (1, 2) if c % g == 0]))
            c_out = c if kind == "res" else groups * int(rng.integers(1, 3))
            if kind == "res":
                return kind, conv(c, c, k, padding="same", dilation=int(rng.integers(1, 3)),
                                  groups=groups, padding_mode=str(rng.choice(
                                      ["zeros", "circular", "reflect"])))
            return kind, conv(c, c_out, k, stride=int(rng.integers(1, 3)),
                              padding=int(rng.integers(0, k)), dilation=int(rng.integers(1, 3)),
                              groups=groups, bias=bool(rng.random() < 0.7),
                              padding_mode=str(rng.choice(["zeros", "replicate"])))
        if kind == "convT":
            s = int(rng.integers(1, 3))
            return kind, getattr(nn, f"ConvTranspose{nd}d")(c, int(rng.integers(1, 3)), k,
                                                             stride=s, output_padding=s - 1)
        if kind == "pool":
            cls = str(rng.choice(["MaxPool", "AvgPool"]))
            return kind, getattr(nn, f"{cls}{nd}d")(2, stride=int(rng.integers(1, 3)))
        if kind == "bn":
            bn = getattr(nn, f"BatchNorm{nd}d")(c)
            with torch.no_grad():
                bn.running_mean.uniform_(-1, 1)
                bn.running_var.uniform_(0.5, 2)
                bn.weight.uniform_(-2, 2)
            return kind, bn
        if kind == "scale":
            return kind, nn.Identity()
        acts = [nn.ReLU(), nn.LeakyReLU(0.1), nn.PReLU(c), nn.Hardtanh(-0.5, 0.5), nn.Tanh(),
                nn.Sigmoid(), nn.GELU(), nn.SiLU(), nn.ReLU6(), nn.ELU()]
        return kind, acts[int(rng.integers(len(acts)))]

    def _block(self, kind, mod, x):
        if kind == "res":
            return x + mod(x)
        if kind == "cat":
            return torch.cat([mod(x), mod(x) * 0.5], dim=1)
        if kind == "scale":
            return -0.5 * mod(x) / 2.0
        return mod(x)

    def forward(self, x):
        for kind, i in self.plan:
            x = self._block(kind, self.mods[i], x)
        return x


def test_random_models_equal_their_torch_jacobian():
    rng = np.random.default_rng(3)
    kinds = set()
    for trial in range(16):
        nd = 1 + trial % 2
        shape = (int(rng.integers(1, 4)), *(int(v) for v in rng.integers(5, 9, nd)))
        net = RandomNet(rng, shape).double().eval()
        kinds |= {k for k, _ in net.plan} | {type(m).__name__ for m in net.mods}
        x = rng.standard_normal(shape)
        J, y = _jacobian(net, x)
        A = tc.from_torch(net, shape, x=x)
        assert isinstance(A, ModelMatrix) and A.shape == J.shape
        np.testing.assert_allclose(A.apply(x), y, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(A.toarray(), J, rtol=1e-10, atol=1e-10)
        v = rng.standard_normal((J.shape[1], 2))
        u = rng.standard_normal(J.shape[0])
        np.testing.assert_allclose(A @ v, J @ v, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(A.T @ u, J.T @ u, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(u @ A, u @ J, rtol=1e-10, atol=1e-10)
    # The draws cover every kind of block.
    assert {"conv", "act", "res", "cat", "pool", "convT", "bn", "scale", "MaxPool1d",
            "MaxPool2d", "ReLU"} <= kinds, kinds


def test_a_wrong_linearisation_is_caught():
    # The comparison above can fail: the Jacobian at another point differs.
    rng = np.random.default_rng(3)
    net = nn.Sequential(nn.Conv1d(1, 3, 3), nn.ReLU(), nn.Conv1d(3, 1, 3)).double()
    x = rng.standard_normal((1, 8))
    J, _ = _jacobian(net, x)
    assert not np.allclose(tc.from_torch(net, (1, 8), x=-x).toarray(), J)
    assert np.allclose(tc.from_torch(net, (1, 8), x=x).toarray(), J)


class Layout(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.lin = nn.Linear(4, 2)
        self.register_buffer("gain", torch.linspace(0.5, 2.0, 4))

    def forward(self, x):
        y = self.conv(x).permute(0, 1, 3, 2)              # (3, 3, 4)
        z = torch.cat([x[:, :1].transpose(2, 3), y], dim=1)[:, :, 1:]   # (4, 2, 4)
        z = torch.flatten(z, 2).view(z.size(0), 4, 8)
        w = self.lin(z.transpose(1, 2) * self.gain + 1.0)   # (8, 2)
        return torch.abs(w - 2 * w.flip(1)).reshape(x.size(0), -1)


def test_layout_ops_constants_and_scalar_scaling_equal_torch():
    rng = np.random.default_rng(5)
    net = Layout().double()
    x = rng.standard_normal((2, 4, 3))
    J, y = _jacobian(net, x)
    A = tc.from_torch(net, (2, 4, 3), x=x)
    np.testing.assert_allclose(A.apply(x), y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(A.toarray(), J, rtol=1e-12, atol=1e-12)
    gathers = {s.op for s in A.steps if s.kind == "gather"}
    assert {"permute", "cat", "getitem", "transpose", "flip"} <= gathers


def test_norms_and_the_per_layer_bound():
    rng = np.random.default_rng(7)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1), nn.ReLU(),
                        nn.Conv2d(3, 2, 3, dilation=2, padding=2)).double()
    x = rng.standard_normal((2, 6, 6))
    J, _ = _jacobian(net, x)
    A = tc.from_torch(net, (2, 6, 6), x=x)
    assert np.isclose(A.spectral_norm(), np.linalg.norm(J, 2), rtol=1e-9)
    # Independently: each layer's norm from its own torch Jacobian.
    norms, h = [], x
    for layer in net:
        Jl, h = _jacobian(layer, h)
        norms.append(np.linalg.norm(Jl, 2))
    assert np.allclose(A.layer_norms(), norms, rtol=1e-9)
    assert np.isclose(A.layer_bound(), np.prod(norms), rtol=1e-9)
    assert A.layer_bound() >= A.spectral_norm()
    rows = A.table()
    assert [r["op"] for r in rows] == ["Conv2d", "ReLU", "Conv2d"]
    assert rows[0]["nnz"] == A.layers[0].nnz


def test_kinks_and_the_activation_pattern_are_reported():
    net = nn.Sequential(nn.ReLU(), nn.MaxPool1d(2)).double()
    x = np.array([[-1.0, 0.0, 3.0, 3.0, 2.0, -4.0]])
    A = tc.from_torch(net, (1, 6), x=x)
    relu, pool = A.pattern
    assert (relu["op"], relu["active"], relu["inactive"], relu["kinks"]) == ("ReLU", 3, 3, 1)
    assert (pool["op"], pool["kinks"]) == ("MaxPool1d", 2)        # windows (0, 0) and (3, 3)
    assert A.kinks == 3
    B = tc.from_torch(net, (1, 6), x=x + np.array([[0, 0.5, 0, 0.25, 0, 0]]))
    assert B.kinks == 0


def test_smooth_and_refused_operations_are_named_with_their_position():
    net = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Sigmoid(), nn.Conv1d(2, 1, 1)).double()
    with pytest.raises(ValueError, match=r"Sigmoid at position 2 .*module '1'.*pass x="):
        tc.from_torch(net, (1, 6))
    with pytest.raises(ValueError, match=r"ReLU at position 1 .*piecewise linear: pass x="):
        tc.from_torch(nn.Sequential(nn.ReLU()), (1, 6))
    soft = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Softmax(dim=1)).double()
    with pytest.raises(ValueError, match=r"Softmax at position 2 .*not diagonal"):
        tc.from_torch(soft, (1, 6), x=np.ones((1, 6)))

    class Attend(nn.Module):
        def forward(self, x):
            return torch.softmax(x @ x.transpose(1, 2), dim=-1) @ x

    with pytest.raises(ValueError, match="at position 2"):
        tc.from_torch(Attend(), (3, 4), x=np.ones((3, 4)))

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(4, 1)

        def forward(self, x):
            return self.attn(x, x, x)[0]

    with pytest.raises(ValueError, match=r"MultiheadAttention at position 1 .*module 'attn'.*"
                                         r"mixes elements"):
        tc.from_torch(Attention(), (3, 4), x=np.ones((3, 4)))

    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(TypeError, match=r"torch\.fx could not trace Branchy"):
        tc.from_torch(Branchy(), (3,))


def test_products_are_refused_before_they_are_formed():
    net = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.Conv1d(4, 4, 3, padding=1)).double()
    A = tc.from_torch(net, (1, 64))
    with limits.override(max_dense_bytes=1000):
        with pytest.raises(DenseTooLargeError, match="dense"):
            A.toarray()
    # The layers (3072 taps at most) fit in 200 kB; their product (up to
    # 9056 entries) does not, and is refused before scipy forms it.
    B = tc.from_torch(net, (1, 64))
    with limits.override(max_build_bytes=2 * 10**5):
        with pytest.raises(DenseTooLargeError,
                           match="product through step '1' may hold up to 9056"):
            _ = B.sparse
    J, _ = _jacobian(net, np.zeros((1, 64)))
    assert np.allclose(A.sparse.toarray(), J)

"""backward_convolutions against torch autograd, and its proofs (which can fail)."""

from __future__ import annotations

import numpy as np
import pytest

from toeplitz_conv.symbolic import backward_convolutions

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _torch_grads(w, x, g, stride, pads, dilation, groups):
    """dL/dx and dL/dw of <g, conv(pad(x), w)> by autograd (pads per side, per axis)."""
    xt = torch.tensor(x[None], requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    flat = [v for pair in reversed(pads) for v in pair]
    conv = getattr(F, f"conv{w.ndim - 2}d")
    y = conv(F.pad(xt, flat), wt, stride=stride, dilation=dilation, groups=groups)
    assert y.shape[1:] == g.shape
    (y[0] * torch.tensor(g)).sum().backward()
    return xt.grad[0].numpy(), wt.grad.numpy()


def _config(rng):
    nd = int(rng.integers(1, 3))
    groups = int(rng.choice([1, 2]))
    c_out, c_ig = groups * int(rng.integers(1, 3)), int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    s = tuple(int(v) for v in rng.integers(1, 4, nd))
    d = tuple(int(v) for v in rng.integers(1, 3, nd))
    n = tuple(int(dd * (kk - 1) + 1 + rng.integers(0, 6)) for kk, dd in zip(k, d))
    padding = [int(rng.integers(0, 3)), "SAME", "valid",
               tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in k),
               "SAME_LOWER"][int(rng.integers(0, 5))]
    if all(v == 1 for v in s) and rng.random() < 0.3:
        padding = "same"
    return (c_out, c_ig, *k), (c_ig * groups, *n), s, d, padding, groups


def _pads(padding, k, s, d, n):
    """(before, after) per axis, from the frameworks' documentation (not from our geometry)."""
    out = []
    for a, (kk, ss, dd, nn) in enumerate(zip(k, s, d, n)):
        span = dd * (kk - 1)
        if padding == "valid":
            out.append((0, 0))
        elif padding == "same":                       # torch: the odd extra after
            out.append((span // 2, span - span // 2))
        elif padding in ("SAME", "SAME_LOWER"):       # TF / JAX: ceil(n / s) outputs
            total = max((-(-nn // ss) - 1) * ss + span + 1 - nn, 0)
            lo, hi = total // 2, total - total // 2
            out.append((lo, hi) if padding == "SAME" else (hi, lo))
        elif isinstance(padding, int):
            out.append((padding, padding))
        else:
            out.append(tuple(padding[a]))
    return tuple(out)


def test_against_torch_autograd_over_random_configs():
    rng = np.random.default_rng(31)
    seen = set()
    for _ in range(60):
        w_shape, x_shape, s, d, padding, groups = _config(rng)
        b = backward_convolutions(w_shape, x_shape, stride=s, padding=padding, dilation=d,
                                  groups=groups)
        pads = _pads(padding, w_shape[2:], s, d, x_shape[1:])
        assert b.input_grad.params["padding"] == pads
        w, x = rng.standard_normal(w_shape), rng.standard_normal(x_shape)
        g = rng.standard_normal(b.input_grad.out_shape)
        dx, dw = _torch_grads(w, x, g, s, pads, d, groups)
        np.testing.assert_allclose(b.input_grad.apply(g, weight=w), dx, atol=1e-10)
        np.testing.assert_allclose(b.weight_grad.apply(g, x=x), dw, atol=1e-10)
        seen.add((str(padding)[:4], max(s) > 1, max(d) > 1, groups))
    assert len(seen) > 12                           # the configurations are varied


def test_described_torch_call_is_right():
    # The numbers describe() names, run through the torch call it names.
    b = backward_convolutions((2, 1, 3), (1, 8), stride=2, padding=1)
    p = b.input_grad.params
    w, g = np.arange(6.0).reshape(2, 1, 3), np.arange(8.0).reshape(2, 4)
    got = F.conv_transpose1d(torch.tensor(g[None]), torch.tensor(w), stride=p["stride"],
                             padding=p["padding"][0][0], output_padding=p["output_padding"],
                             dilation=p["dilation"])[0].numpy()
    assert "output_padding=(1,)" in b.input_grad.describe()
    np.testing.assert_allclose(got, b.input_grad.apply(g, weight=w))


def test_the_proofs_for_these_sizes_hold_and_can_fail():
    from dataclasses import replace
    b = backward_convolutions((2, 2, 3), (2, 6), stride=2, padding="SAME", dilation=1)
    assert b.input_grad.proof_at_size.holds and b.weight_grad.proof_at_size.holds
    bad = backward_convolutions((1, 1, 3), (1, 6), stride=2, padding=1)
    # the size ambiguity resolved wrongly: output_padding 0 (no sample after the last step)
    pl, = bad.input_grad.plans
    bad.input_grad.plans = (replace(pl, output_padding=0, ig_pad=(pl.ig_pad[0], pl.ig_pad[1] - 1)),)
    assert not bad.input_grad.proof_at_size.holds
    bad.weight_grad.plans = (replace(pl, wg_kernel_dilation=1, wg_step=2),)
    assert not bad.weight_grad.proof_at_size.holds  # stride and dilation not swapped


def test_bad_input_is_refused():
    b = backward_convolutions((1, 1, 3), (1, 5))
    with pytest.raises(ValueError, match="grad_out must have shape"):
        b.input_grad.apply(np.zeros(4), weight=np.zeros((1, 1, 3)))
    with pytest.raises(TypeError, match="takes the weight"):
        b.input_grad.apply(np.zeros((1, 3)), x=np.zeros((1, 5)))
    with pytest.raises(TypeError, match="weight_shape"):
        backward_convolutions([1, 1, 3], (1, 5))
    with pytest.raises(ValueError, match="weight_shape"):
        backward_convolutions((10**6, 10**6, 3), (10**6, 5))
    with pytest.raises(ValueError, match="symbolic limit"):
        _ = backward_convolutions((8, 8, 3), (8, 400)).input_grad.proof_at_size

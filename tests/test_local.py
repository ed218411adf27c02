"""Tiled convolution and locally connected matrices against torch (forward and autograd)."""

import numpy as np
import pytest

from toeplitz_conv import layer_matrix, locally_connected_matrix, tiled_conv_matrix

from .conftest import requires_torch

_TORCH_PAD = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _random_layer(rng):
    nd = int(rng.integers(1, 4))
    c_in, c_out = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 3, nd))
    dil = tuple(int(v) for v in rng.integers(1, 3, nd))
    mode = ["zeros", "zeros", "reflect", "replicate", "circular"][int(rng.integers(5))]
    pad = tuple(int(v) for v in rng.integers(0, 3, nd))
    high = 7 if nd < 3 else 5
    lows = [max(p + 1, d * (kk - 1) + 1 - 2 * p) for kk, d, p in zip(k, dil, pad)]
    spatial = tuple(int(rng.integers(lo, max(lo + 1, high))) for lo in lows)
    return nd, (c_in, *spatial), (c_out, c_in, *k), dict(stride=stride, padding=pad,
                                                          dilation=dil, padding_mode=mode)


def _torch_conv_outputs(x, kernels, kw):
    """All conv outputs of x with each kernel in ``kernels`` (T, C_out, C_in, *k), via torch."""
    import torch
    import torch.nn.functional as F

    nd = x.dim() - 1
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    xb = x[None]
    padding = kw["padding"]
    if kw["padding_mode"] != "zeros":
        pads = [p for p in reversed(padding) for _ in range(2)]
        xb = F.pad(xb, pads, mode=_TORCH_PAD[kw["padding_mode"]])
        padding = 0
    return torch.stack([conv(xb, kernels[i], stride=kw["stride"], padding=padding,
                             dilation=kw["dilation"])[0] for i in range(kernels.shape[0])])


@requires_torch
def test_tiled_conv_equals_masked_sum_of_torch_convs(rng):
    import torch

    for _ in range(30):
        nd, shape, wshape, kw = _random_layer(rng)
        tiles = tuple(int(v) for v in rng.integers(1, 4, nd))
        w = rng.standard_normal((*tiles, *wshape))
        x = rng.standard_normal(shape)
        try:
            A = tiled_conv_matrix(w, shape, **kw)
        except ValueError:
            continue                    # e.g. reflect padding wider than the input
        wt = torch.tensor(w).requires_grad_()
        xt = torch.tensor(x).requires_grad_()
        outs = _torch_conv_outputs(xt, wt.reshape(-1, *wshape), kw)    # (T, C_out, *out)
        out_sp = outs.shape[2:]
        grid = np.meshgrid(*(np.arange(n) for n in out_sp), indexing="ij")
        tile = np.ravel_multi_index(tuple(g % t for g, t in zip(grid, tiles)), tiles)
        onehot = torch.tensor(np.arange(int(np.prod(tiles)))[:, None] == tile.ravel()[None])
        y = (outs.reshape(outs.shape[0], outs.shape[1], -1) * onehot[:, None]).sum(0)
        np.testing.assert_allclose(A @ x.ravel(), y.detach().numpy().ravel(),
                                   rtol=1e-12, atol=1e-12)
        g = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(g))
        np.testing.assert_allclose(A.weight_grad(x, g.ravel()), wt.grad.numpy(),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(A.T @ g.ravel(), xt.grad.numpy().ravel(),
                                   rtol=1e-12, atol=1e-12)


@requires_torch
def test_locally_connected_2d_equals_unfold_einsum(rng):
    import torch
    import torch.nn.functional as F

    for _ in range(20):
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        stride = tuple(int(v) for v in rng.integers(1, 3, 2))
        pad = tuple(int(v) for v in rng.integers(0, 2, 2))
        shape = (c_in, *(int(rng.integers(kk, 7)) for kk in k))
        x = rng.standard_normal(shape)
        cols = F.unfold(torch.tensor(x)[None], k, stride=stride, padding=pad)[0]  # (C*K, L)
        out_sp = tuple((n + 2 * p - kk) // s + 1
                       for n, p, kk, s in zip(shape[1:], pad, k, stride))
        w = rng.standard_normal((*out_sp, c_out, c_in, *k))
        wl = torch.tensor(w.reshape(-1, c_out, c_in * k[0] * k[1]))      # (L, C_out, C*K)
        ref = torch.einsum("loc,cl->ol", wl, cols).numpy()
        A = locally_connected_matrix(w, shape, stride=stride, padding=pad)
        np.testing.assert_allclose(A @ x.ravel(), ref.ravel(), rtol=1e-12, atol=1e-12)


def test_locally_connected_with_equal_kernels_is_layer_matrix(rng):
    n_done = 0
    while n_done < 40:
        _, shape, wshape, kw = _random_layer(rng)
        w = rng.standard_normal(wshape)
        try:
            L = layer_matrix(w, shape, **kw)
        except ValueError:
            continue
        n_done += 1
        out_sp = L.out_shape[1:]
        A = locally_connected_matrix(np.broadcast_to(w, (*out_sp, *wshape)), shape, **kw)
        np.testing.assert_array_equal(A.toarray(), L.toarray())
        np.testing.assert_array_equal(A.sparse.indptr, L.sparse.indptr)
        np.testing.assert_array_equal(A.sparse.indices, L.sparse.indices)
        # untied: as many weights as taps (zero padding) / at least as many (other modes)
        assert A.weight.size == int(np.prod(out_sp)) * w.size
        assert len(np.unique(A.taps[2])) == A.n_taps or kw["padding_mode"] != "zeros"
        T = tiled_conv_matrix(w[(None,) * (w.ndim - 2)], shape, **kw)    # one tile
        np.testing.assert_array_equal(T.toarray(), L.toarray())
        x = rng.standard_normal(shape)
        g = rng.standard_normal(L.out_shape)
        np.testing.assert_allclose(T.weight_grad(x, g).reshape(wshape), L.weight_grad(x, g),
                                   rtol=1e-12, atol=1e-12)
        # the gradient of a shared weight is the sum of the unshared gradients
        np.testing.assert_allclose(A.weight_grad(x, g).reshape(-1, *wshape).sum(axis=0),
                                   L.weight_grad(x, g), rtol=1e-12, atol=1e-12)


def test_local_argument_errors():
    with pytest.raises(ValueError, match="output shape"):
        locally_connected_matrix(np.ones((2, 1, 1, 3)), (1, 5))        # needs 3 positions
    with pytest.raises(ValueError, match="tile axes"):
        tiled_conv_matrix(np.ones((2, 2, 1, 1, 3)), (1, 5))
    with pytest.raises(ValueError, match="C_in"):
        tiled_conv_matrix(np.ones((1, 1, 2, 3)), (1, 5))

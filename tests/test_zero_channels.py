"""Zero-size channel axes: accepted exactly where torch accepts them, refused (naming the
parameter) where torch refuses them.

What torch 2.x does (probed, and re-checked by these tests):

* ``conv{1,2,3}d`` with 0 input channels (input ``(N, 0, *sp)``, weight ``(C_out, 0, *k)``,
  ``C_out`` a positive multiple of ``groups``) returns an *empty* output of shape
  ``(N, 0, *out_sp)`` -- 0 channels, not ``C_out`` channels of zeros -- with empty gradients;
  padding modes ``'zeros'`` and ``'circular'`` work, ``'reflect'``/``'replicate'`` refuse.
* 0 output channels, a 0 kernel size or a 0 spatial size are refused.
* ``conv_transpose`` refuses every empty channel axis, and pooling refuses 0 channels.
"""

import numpy as np
import pytest

from toeplitz_conv import (
    avg_pool_matrix,
    layer_matrix,
    lp_pool,
    max_pool_matrix,
    maxout_matrix,
    transposed_layer_matrix,
)

from .conftest import requires_torch


def _torch_conv(x, w, stride, padding, dilation, groups, padding_mode):
    import torch.nn.functional as F

    conv = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[w.ndim]
    if padding_mode == "circular":
        nd = w.ndim - 2
        pads = (padding,) * nd if isinstance(padding, int) else padding
        x = F.pad(x, tuple(p for pp in reversed(pads) for p in (pp, pp)), mode="circular")
        padding = 0
    return conv(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)


@requires_torch
@pytest.mark.filterwarnings("ignore::UserWarning")      # torch: 'same' with even kernels
def test_zero_input_channels_equal_torch(rng):
    import torch

    for i in range(30):
        nd = int(rng.integers(1, 4))
        groups = int(rng.integers(1, 3))
        c_out = groups * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        dil = tuple(int(v) for v in rng.integers(1, 3, nd))
        mode = ("zeros", "circular")[i % 2]
        if i % 3 == 0 and mode == "zeros":
            stride, padding = (1,) * nd, "same"
        else:
            stride = tuple(int(v) for v in rng.integers(1, 3, nd))
            padding = int(rng.integers(0, 2))
        span = tuple(d * (kk - 1) + 1 for d, kk in zip(dil, k))
        spatial = tuple(int(rng.integers(s, s + 3)) for s in span)
        shape = (0, *spatial)
        x = rng.standard_normal(shape)
        w = rng.standard_normal((c_out, 0, *k))
        xt = torch.tensor(x)[None].requires_grad_()
        wt = torch.tensor(w).requires_grad_()
        yt = _torch_conv(xt, wt, stride, padding, dil, groups, mode)
        A = layer_matrix(w, shape, stride=stride, padding=padding, dilation=dil, groups=groups,
                         padding_mode=mode)
        # torch's output has 0 channels (not c_out channels of zeros): so does the matrix.
        assert yt.shape[1] == 0
        assert A.out_shape == tuple(yt.shape[1:]) and A.in_shape == shape
        assert A.shape == (0, 0) and A.nnz == 0 and A.toarray().shape == (0, 0)
        assert all(len(t) == 0 for t in A.taps)
        assert A.T.shape == (0, 0) and A.T.in_shape == A.out_shape
        np.testing.assert_array_equal(A @ x.ravel(), yt.detach().numpy().ravel())
        np.testing.assert_array_equal(A.apply(x), yt[0].detach().numpy())
        assert A.apply(np.stack([x, x])).shape == (2, *A.out_shape)
        g = rng.standard_normal(tuple(yt.shape[1:]))
        yt.backward(torch.tensor(g)[None])
        gx = (A.T @ g.ravel()).reshape(shape)
        assert gx.shape == tuple(xt.grad.shape[1:])
        gw = A.weight_grad(x, g)
        assert gw.shape == tuple(wt.grad.shape) and gw.dtype == np.float64
        np.testing.assert_array_equal(gw, wt.grad.numpy())


@requires_torch
@pytest.mark.filterwarnings("ignore::UserWarning")      # torch: initialising empty weights
def test_zero_channel_refusals_match_torch():
    import torch
    import torch.nn.functional as F

    def both(torch_call, ours, match):
        with pytest.raises(RuntimeError):
            torch_call()
        with pytest.raises(ValueError, match=match):
            ours()

    x = torch.zeros(1, 3, 5, 5)
    # 0 output channels, alone or with 0 input channels
    both(lambda: F.conv2d(x, torch.zeros(0, 3, 3, 3)),
         lambda: layer_matrix(np.zeros((0, 3, 3, 3)), (3, 5, 5)), r"weight.*shape\[0\]")
    both(lambda: F.conv2d(torch.zeros(1, 0, 5, 5), torch.zeros(0, 0, 3, 3)),
         lambda: layer_matrix(np.zeros((0, 0, 3, 3)), (0, 5, 5)), r"weight.*shape\[0\]")
    # C_out must still be a multiple of groups
    both(lambda: F.conv2d(torch.zeros(1, 0, 5, 5), torch.zeros(3, 0, 3, 3), groups=2),
         lambda: layer_matrix(np.zeros((3, 0, 3, 3)), (0, 5, 5), groups=2), "groups")
    # the channel counts must still agree
    both(lambda: F.conv2d(torch.zeros(1, 0, 5, 5), torch.zeros(4, 1, 3, 3)),
         lambda: layer_matrix(np.zeros((4, 1, 3, 3)), (0, 5, 5)), "input channels")
    both(lambda: F.conv2d(torch.zeros(1, 2, 5, 5), torch.zeros(4, 0, 3, 3)),
         lambda: layer_matrix(np.zeros((4, 0, 3, 3)), (2, 5, 5)), "input channels")
    # a 0 kernel size or a 0 spatial size stays refused
    both(lambda: F.conv2d(x, torch.zeros(2, 3, 0, 3)),
         lambda: layer_matrix(np.zeros((2, 3, 0, 3)), (3, 5, 5)), "weight")
    both(lambda: F.conv2d(torch.zeros(1, 0, 0, 5), torch.zeros(2, 0, 1, 1)),
         lambda: layer_matrix(np.zeros((2, 0, 1, 1)), (0, 0, 5)), "input_shape")
    # reflect / replicate padding refuses an empty channel axis
    for mode in ("reflect", "replicate"):
        both(lambda m=mode: torch.nn.Conv2d(0, 2, 3, padding=1, padding_mode=m)(
                 torch.zeros(1, 0, 5, 5)),
             lambda m=mode: layer_matrix(np.zeros((2, 0, 3, 3)), (0, 5, 5), padding=1,
                                         padding_mode=m), "padding_mode")
    # conv_transpose: no empty channel axis at all
    both(lambda: F.conv_transpose2d(torch.zeros(1, 0, 5, 5), torch.zeros(0, 3, 3, 3)),
         lambda: transposed_layer_matrix(np.zeros((0, 3, 3, 3)), (0, 5, 5)), "weight")
    both(lambda: F.conv_transpose2d(torch.zeros(1, 2, 5, 5), torch.zeros(2, 0, 3, 3)),
         lambda: transposed_layer_matrix(np.zeros((2, 0, 3, 3)), (2, 5, 5)), "weight")
    both(lambda: F.conv_transpose1d(torch.zeros(1, 2, 5), torch.zeros(2, 0, 3)),
         lambda: transposed_layer_matrix(np.zeros((2, 0, 3)), (2, 5)), "weight")
    # pooling: no empty channel axis
    for nd in (1, 2, 3):
        sp = (4,) * nd
        xt = torch.zeros(1, 0, *sp)
        avg, mx, lp = (getattr(F, f"{name}{nd}d") for name in ("avg_pool", "max_pool", "lp_pool"))
        both(lambda f=avg, t=xt: f(t, 2),
             lambda s=sp: avg_pool_matrix(2, (0, *s)), "input_shape")
        both(lambda f=mx, t=xt: f(t, 2),
             lambda s=sp: max_pool_matrix(np.zeros((0, *s)), 2), "x")
        both(lambda f=lp, t=xt: f(t, 2, 2),
             lambda s=sp: lp_pool(np.zeros((0, *s)), 2, 2), "x")


def test_maxout_refuses_zero_channels():
    with pytest.raises(ValueError, match="x"):
        maxout_matrix(np.zeros((0, 3)), 2)


def test_zero_input_channels_keep_other_checks():
    # The empty channel axis is allowed only there: negative sizes and other
    # empty axes are still refused with the parameter's name.
    with pytest.raises(ValueError, match="input_shape"):
        layer_matrix(np.zeros((2, 0, 3)), (-1, 5))
    with pytest.raises(ValueError, match="weight"):
        layer_matrix(np.zeros((2, 0, 0)), (0, 5))
    with pytest.raises(ValueError, match="kernel size"):
        layer_matrix(np.zeros((2, 0, 7)), (0, 5))

"""Pooling matrices against torch's pooling forward passes and autograd (and numpy for max-out)."""

import numpy as np
import pytest

from toeplitz_conv import avg_pool_matrix, lp_pool, max_pool_matrix, maxout_matrix

from .conftest import requires_torch


def _random_pool_config(rng, with_dilation=False, unpadded=False):
    nd = int(rng.integers(1, 4))
    c = int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    pad = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
    dil = tuple(int(v) for v in rng.integers(1, 3, nd)) if with_dilation else (1,) * nd
    span = tuple(d * (kk - 1) + 1 for d, kk in zip(dil, k))
    high = 8 if nd < 3 else 6
    # torch's avg_pool3d and lp_pool need the unpadded input to hold a window
    low = span if unpadded or nd == 3 else tuple(s - 2 * p for s, p in zip(span, pad))
    spatial = tuple(int(rng.integers(max(1, lo), max(lo + 1, high))) for lo in low)
    return nd, (c, *spatial), k, stride, pad, dil


@requires_torch
def test_avg_pool_matrix_equals_torch_forward_and_backward(rng):
    import torch
    import torch.nn.functional as F

    pools = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
    for _ in range(120):
        nd, shape, k, stride, pad, _ = _random_pool_config(rng)
        ceil = bool(rng.integers(2))
        cip = bool(rng.integers(2))
        kwargs = {"stride": stride, "padding": pad, "ceil_mode": ceil, "count_include_pad": cip}
        if nd > 1 and rng.integers(2):            # avg_pool1d has no divisor_override
            kwargs["divisor_override"] = int(rng.integers(1, 5))
        x = rng.standard_normal(shape)
        xt = torch.tensor(x)[None].requires_grad_()
        yt = pools[nd](xt, k, **kwargs)[0]
        A = avg_pool_matrix(k, shape, **kwargs)
        assert A.out_shape == tuple(yt.shape)
        np.testing.assert_allclose(A.apply(x), yt.detach().numpy(), rtol=1e-13, atol=1e-14)
        g = rng.standard_normal(yt.shape)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose((A.T @ g.ravel()).reshape(shape), xt.grad[0].numpy(),
                                   rtol=1e-13, atol=1e-14)


@requires_torch
def test_avg_pool_weights_are_per_window_factors(rng):
    import torch
    import torch.nn.functional as F

    # Swapping the factors for ones turns average pooling into sum pooling.
    for _ in range(20):
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        pad = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        shape = (2, *(int(rng.integers(kk, 8)) for kk in k))
        A = avg_pool_matrix(k, shape, stride=stride, padding=pad, ceil_mode=True)
        S = A.with_weight(np.ones(A.weight.shape))
        x = rng.standard_normal(shape)
        ref = F.avg_pool2d(torch.tensor(x)[None], k, stride=stride, padding=pad,
                           ceil_mode=True, divisor_override=1)[0].numpy()
        np.testing.assert_allclose(S.apply(x), ref, rtol=1e-13, atol=1e-14)
        rows, _, widx = A.taps
        n_out = int(np.prod(A.out_shape[1:]))
        np.testing.assert_array_equal(widx, rows % n_out)   # one factor per window


@requires_torch
def test_max_pool_matrix_equals_torch_including_ties(rng):
    import torch
    import torch.nn.functional as F

    pools = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
    done = 0
    while done < 200:
        nd, shape, k, stride, pad, dil = _random_pool_config(rng, with_dilation=True)
        ceil = bool(rng.integers(2))
        if any(n + p <= d for n, p, d in zip(shape[1:], pad, dil)):
            continue        # a dilated window may skip the input: tested below
        done += 1
        i = done
        # Few distinct values, so that most windows have tied maxima.
        x = (rng.integers(-2, 2, shape) if i % 2 else rng.standard_normal(shape)).astype(float)
        xt = torch.tensor(x)[None].requires_grad_()
        yt, idx = pools[nd](xt, k, stride=stride, padding=pad, dilation=dil, ceil_mode=ceil,
                            return_indices=True)
        S = max_pool_matrix(x, k, stride=stride, padding=pad, dilation=dil, ceil_mode=ceil)
        np.testing.assert_array_equal(S.apply(x), yt[0].detach().numpy())
        n_spatial = int(np.prod(shape[1:]))
        np.testing.assert_array_equal(S.info["argmax"] % n_spatial, idx[0].numpy())
        g = rng.standard_normal(yt.shape[1:])
        yt.backward(torch.tensor(g)[None])
        np.testing.assert_allclose((S.T @ g.ravel()).reshape(shape), xt.grad[0].numpy(),
                                   rtol=1e-14, atol=0)
        dense = S.toarray()
        assert set(np.unique(dense)) <= {0.0, 1.0} and np.all(dense.sum(axis=1) == 1)


@requires_torch
def test_pool_geometry_errors_match_torch():
    import torch
    import torch.nn.functional as F

    x = torch.zeros(1, 1, 6)
    for kwargs in ({"padding": 2}, {"padding": 2, "dilation": 2}):
        with pytest.raises(RuntimeError):
            F.max_pool1d(x, 3, **kwargs)
        with pytest.raises(ValueError, match="padding"):
            max_pool_matrix(np.zeros((1, 6)), 3, **kwargs)
    with pytest.raises(RuntimeError):
        F.avg_pool1d(x, 7)
    with pytest.raises(ValueError, match="does not fit"):
        avg_pool_matrix(7, (1, 6))
    # a dilated window around a 1-sample axis reads only padding: torch says
    # -inf (tested in depth in test_max_pool_windows_in_padding_equal_torch)
    y = F.max_pool2d(torch.zeros(1, 1, 1, 5), 2, padding=1, dilation=2)
    assert torch.isinf(y).any()
    S = max_pool_matrix(np.zeros((1, 1, 5)), 2, padding=1, dilation=2)
    np.testing.assert_array_equal(S.apply(np.zeros((1, 1, 5))), y[0].numpy())


@requires_torch
def test_max_pool_windows_in_padding_equal_torch(rng):
    """Windows that read only padding: -inf forward, no gradient, as torch."""
    import torch
    import torch.nn.functional as F

    pools = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
    done = refused = 0
    while done < 40:
        nd, shape, k, stride, pad, dil = _random_pool_config(rng, with_dilation=True)
        # Only the configurations the main test skips: some window may miss the input.
        if not any(n + p <= d for n, p, d in zip(shape[1:], pad, dil)):
            continue
        ceil = bool(rng.integers(2))
        x = rng.standard_normal(shape)
        xt = torch.tensor(x)[None].requires_grad_()
        kwargs = {"stride": stride, "padding": pad, "dilation": dil, "ceil_mode": ceil}
        try:
            yt, idx = pools[nd](xt, k, return_indices=True, **kwargs)
        except RuntimeError:
            with pytest.raises(ValueError):
                max_pool_matrix(x, k, **kwargs)
            refused += 1
            continue
        done += 1
        y = yt[0].detach().numpy()
        S = max_pool_matrix(x, k, **kwargs)
        np.testing.assert_array_equal(S.apply(x), y)
        empty = np.isneginf(y).ravel()
        # The linear part is 0 on those rows, the offset exactly -inf there and 0 elsewhere.
        np.testing.assert_array_equal(S @ x.ravel(), np.where(empty, 0.0, y.ravel()))
        off = np.zeros(S.shape[0]) if S.offset is None else S.offset
        np.testing.assert_array_equal(off, np.where(empty, -np.inf, 0.0))
        assert np.all(np.diff(S.sparse.indptr)[empty] == 0)
        argmax = S.info["argmax"].ravel()
        assert np.all(argmax[empty] == -1)
        n_spatial = int(np.prod(shape[1:]))
        np.testing.assert_array_equal(argmax[~empty] % n_spatial, idx[0].numpy().ravel()[~empty])
        g = rng.standard_normal(y.shape)
        # torch's index for a window of padding is the window's first
        # position pushed inside the input's range along each axis, which in
        # 2-D and 3-D can alias another input and receive that row's
        # gradient (an N-D torch quirk; in 1-D the index is out of range and
        # nothing is routed).  No input moves a -inf output, so we route
        # nothing from those rows (checked above) and compare the rest.
        g_real = np.where(empty.reshape(g.shape), 0.0, g)
        yt.backward(torch.tensor(g_real)[None])
        np.testing.assert_array_equal((S.T @ g.ravel()).reshape(shape), xt.grad[0].numpy())
        # The constant -inf has no weight: the selection weight's gradient is
        # the linear part's, finite.
        wg = S.weight_grad(x, g)
        assert np.isfinite(wg).all()
        np.testing.assert_allclose(wg, [np.dot(g.ravel(), S @ x.ravel())], rtol=1e-12)
        # with_weight keeps the constant.
        np.testing.assert_array_equal(S.with_weight(np.ones(1)).apply(x), y)
        assert S.weight_grad(x, g).dtype == np.float64
    assert refused < 200


def test_max_pool_window_in_padding_small_example():
    # 2 samples, kernel 2, dilation 3, padding 1: the one window reads padded
    # positions 0 and 3, both padding.
    x = np.array([[3.0, 4.0]])
    S = max_pool_matrix(x, 2, stride=1, padding=1, dilation=3)
    assert S.shape == (1, 2) and S.nnz == 0
    np.testing.assert_array_equal(S.apply(x), [[-np.inf]])
    np.testing.assert_array_equal(S.T @ np.ones(1), [0.0, 0.0])
    assert S.weight_grad(x, np.ones(1)).tolist() == [0.0]
    # a batch goes through apply too
    np.testing.assert_array_equal(S.apply(np.stack([x, x])), [[[-np.inf]], [[-np.inf]]])


@requires_torch
def test_max_pool_window_in_padding_1d_gradient_equals_torch():
    import torch
    import torch.nn.functional as F

    # One channel: torch's index for the window of padding (2) is then past
    # the whole input, so torch routes nothing, as we do.  (With more
    # channels or axes that index can alias another input, which then gets
    # the -inf row's gradient: a torch quirk, see the random test above.)
    x = np.array([[3.0, 4.0, 5.0]])
    for n in (2, 3):
        xn = x[:, :n]
        xt = torch.tensor(xn)[None].requires_grad_()
        yt = F.max_pool1d(xt, 2, stride=1, padding=1, dilation=3)
        g = np.arange(1.0, yt.numel() + 1).reshape(yt.shape[1:])
        yt.backward(torch.tensor(g)[None])
        S = max_pool_matrix(xn, 2, stride=1, padding=1, dilation=3)
        np.testing.assert_array_equal(S.apply(xn), yt[0].detach().numpy())
        np.testing.assert_array_equal((S.T @ g.ravel()).reshape(xn.shape), xt.grad[0].numpy())


def test_pool_argument_errors():
    with pytest.raises(ValueError, match="input_shape"):
        avg_pool_matrix(2, (1, 4, 4, 4, 4))
    with pytest.raises(TypeError, match="ceil_mode"):
        avg_pool_matrix(2, (1, 4), ceil_mode="yes")
    with pytest.raises(ValueError, match="stride"):
        avg_pool_matrix(2, (1, 4), stride=0)
    with pytest.raises(ValueError, match="divisor_override"):
        avg_pool_matrix(2, (1, 4), divisor_override=0)
    with pytest.raises(ValueError, match="finite"):
        max_pool_matrix([[1.0, np.nan]], 2)
    with pytest.raises(TypeError, match="real"):
        max_pool_matrix([[1.0, 2j]], 2)
    with pytest.raises(ValueError, match="pieces"):
        maxout_matrix(np.zeros((3, 2)), 2)
    with pytest.raises(ValueError, match="norm_type"):
        lp_pool(np.zeros((1, 4)), 0, 2)


def test_maxout_matrix_equals_numpy(rng):
    for i in range(60):
        pieces = int(rng.integers(1, 4))
        spatial = tuple(int(v) for v in rng.integers(1, 5, int(rng.integers(0, 3))))
        shape = (pieces * int(rng.integers(1, 4)), *spatial)
        x = (rng.integers(-1, 2, shape) if i % 2 else rng.standard_normal(shape)).astype(float)
        M = maxout_matrix(x, pieces)
        grouped = x.reshape(shape[0] // pieces, pieces, *spatial)
        np.testing.assert_array_equal(M.apply(x), grouped.max(axis=1))
        # ties: the lowest channel of the group is selected
        chosen = np.argmax(grouped, axis=1)
        g_idx = np.arange(shape[0] // pieces).reshape((-1,) + (1,) * len(spatial))
        flat_pos = np.arange(int(np.prod(spatial, dtype=int))).reshape(spatial)
        expected = (g_idx * pieces + chosen) * int(np.prod(spatial, dtype=int)) + flat_pos
        np.testing.assert_array_equal(M.info["argmax"], expected)


@requires_torch
def test_maxout_gradient_equals_torch_autograd(rng):
    import torch

    for _ in range(20):
        pieces = int(rng.integers(2, 4))
        shape = (pieces * int(rng.integers(1, 4)), 3, 4)
        x = rng.standard_normal(shape)            # continuous: no ties
        xt = torch.tensor(x).requires_grad_()
        yt = xt.reshape(shape[0] // pieces, pieces, 3, 4).amax(dim=1)
        g = rng.standard_normal(yt.shape)
        yt.backward(torch.tensor(g))
        M = maxout_matrix(x, pieces)
        np.testing.assert_allclose((M.T @ g.ravel()).reshape(shape), xt.grad.numpy(), rtol=1e-14)


@requires_torch
def test_lp_pool_equals_torch(rng):
    import torch
    import torch.nn.functional as F

    pools = {1: F.lp_pool1d, 2: F.lp_pool2d, 3: F.lp_pool3d}
    for _ in range(40):
        nd, shape, k, stride, _, _ = _random_pool_config(rng, unpadded=True)
        norm = float(rng.choice([1.0, 2.0, 3.0, 1.5, np.inf]))
        ceil = bool(rng.integers(2))
        # odd powers of negative inputs give NaN in torch and here alike
        x = rng.uniform(0.1, 2.0, shape) if norm == 1.5 else rng.standard_normal(shape)
        if nd == 1:                 # lp_pool1d takes plain ints only
            k, stride = k[0], stride[0]
        ref = pools[nd](torch.tensor(x)[None], norm, k, stride=stride, ceil_mode=ceil)[0]
        np.testing.assert_allclose(lp_pool(x, norm, k, stride=stride, ceil_mode=ceil),
                                   ref.numpy(), rtol=1e-10, atol=1e-12, equal_nan=True)


def test_max_pool_integer_input_compares_exactly():
    big = 2**60
    lo = np.iinfo(np.int64).min
    x = np.array([[lo, lo, big + 1, big]])        # equal as float64, distinct as int64
    S = max_pool_matrix(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(S.info["argmax"], [[0, 0, 2, 2, 3]])
    np.testing.assert_array_equal(S.sparse.astype(np.int64) @ x.ravel(),
                                  [lo, lo, big + 1, big + 1, big])

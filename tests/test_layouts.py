"""The user's layouts (issue 27, item 1): ``data_format`` and ``weight_format`` in the layer,
transposed-layer, data and pooling builders, against torch (on arrays permuted by numpy)
and ``jax.lax.conv_general_dilated`` with the same dimension numbers."""

import importlib.util

import numpy as np
import pytest

import toeplitz_conv as tc
from toeplitz_conv.geometry import data_layout, weight_layout

from .conftest import requires_torch

HAS_JAX = importlib.util.find_spec("jax") is not None
SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _formats(rng, nd):
    """A random data format (batch letter or not) and a random weight format."""
    sp = SPATIAL[nd]
    data = list("C" + sp)
    rng.shuffle(data)
    batch = bool(rng.integers(2))
    wfmt = list("OI" + sp)
    rng.shuffle(wfmt)
    return ("N" if batch else "") + "".join(data), "".join(wfmt)


def _to_user(a, fmt, canonical):
    """numpy's own transpose from a canonical array to the user's letters."""
    return np.transpose(a, [canonical.index(ch) for ch in fmt])


def _config(rng):
    nd = int(rng.integers(1, 4))
    groups = int(rng.choice([1, 2]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 3, nd))
    dil = tuple(int(v) for v in rng.integers(1, 3, nd))
    pad = tuple(int(v) for v in rng.integers(0, 2, nd))
    size = tuple(int(d * (kk - 1) + 1 + rng.integers(0, 4)) for kk, d in zip(k, dil))
    return nd, groups, c_in, c_out, k, stride, dil, pad, size


@requires_torch
def test_layer_and_data_matrix_in_random_layouts_match_torch(rng):
    import torch
    import torch.nn.functional as F

    convs = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
    for _ in range(30):
        nd, groups, c_in, c_out, k, stride, dil, pad, size = _config(rng)
        dfmt, wfmt = _formats(rng, nd)
        batch = int(rng.integers(1, 3)) if "N" in dfmt else None
        sp = SPATIAL[nd]
        canon_d = ("N" if batch else "") + "C" + sp
        w = rng.standard_normal((c_out, c_in // groups, *k))
        x = rng.standard_normal(((batch or 1), c_in, *size))
        wt = torch.tensor(w, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yt = convs[nd](xt, wt, stride=stride, padding=pad, dilation=dil, groups=groups)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        squeeze = (lambda a: a) if batch else (lambda a: a[0])
        x_u = _to_user(squeeze(x), dfmt, canon_d)
        y_u = _to_user(squeeze(yt.detach().numpy()), dfmt, canon_d)
        g_u = _to_user(squeeze(g), dfmt, canon_d)
        w_u = _to_user(w, wfmt, "OI" + sp)
        kw = dict(stride=stride, padding=pad, dilation=dil, groups=groups)
        A = tc.layer_matrix(w_u, x_u.shape, data_format=dfmt, weight_format=wfmt, **kw)
        assert A.in_shape == x_u.shape and A.out_shape == y_u.shape
        np.testing.assert_allclose(A @ x_u.ravel(), y_u.ravel(), atol=1e-12)
        np.testing.assert_allclose(A.T @ g_u.ravel(),
                                   _to_user(squeeze(xt.grad.numpy()), dfmt, canon_d).ravel(),
                                   atol=1e-12)
        np.testing.assert_allclose(A.weight_grad(x_u, g_u),
                                   _to_user(wt.grad.numpy(), wfmt, "OI" + sp), atol=1e-12)
        np.testing.assert_allclose(A.with_weight(2 * w_u) @ x_u.ravel(), 2 * y_u.ravel(),
                                   atol=1e-12)
        X = tc.data_matrix(x_u, w_u.shape, data_format=dfmt, weight_format=wfmt, **kw)
        np.testing.assert_allclose(X @ w_u.ravel(), y_u.ravel(), atol=1e-12)


@requires_torch
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_channels_last_layers_match_torch(rng, padding_mode):
    # NWC / NHWC / NDHWC with one group are assembled in the user's column
    # order directly (channels as a last correlation axis); torch is the reference.
    import torch
    import torch.nn.functional as F

    for _ in range(8):
        nd = int(rng.integers(1, 4))
        sp = SPATIAL[nd]
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        stride = tuple(int(v) for v in rng.integers(1, 3, nd))
        dil = tuple(int(v) for v in rng.integers(1, 3, nd))
        pad = tuple(int(v) for v in rng.integers(0, 2, nd))
        size = tuple(int(d * (kk - 1) + 2 + rng.integers(0, 3)) for kk, d in zip(k, dil))
        batch = int(rng.integers(1, 3))
        wfmt = str(rng.choice(["OI" + sp, sp + "IO"]))
        w = rng.standard_normal((c_out, c_in, *k))
        x = rng.standard_normal((batch, c_in, *size))
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        xp = xt if padding_mode == "zeros" else F.pad(
            xt, [p for q in reversed(pad) for p in (q, q)], mode=padding_mode)
        yt = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd](
            xp, wt, stride=stride, padding=pad if padding_mode == "zeros" else 0, dilation=dil)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        dfmt = "N" + sp + "C"
        x_u, y_u, g_u = (_to_user(a, dfmt, "NC" + sp) for a in (x, yt.detach().numpy(), g))
        w_u = _to_user(w, wfmt, "OI" + sp)
        A = tc.layer_matrix(w_u, x_u.shape, stride=stride, padding=pad, dilation=dil,
                            padding_mode=padding_mode, data_format=dfmt, weight_format=wfmt)
        assert A.in_shape == x_u.shape and A.out_shape == y_u.shape
        np.testing.assert_allclose(A @ x_u.ravel(), y_u.ravel(), atol=1e-12)
        np.testing.assert_allclose(A.T @ g_u.ravel(),
                                   _to_user(xt.grad.numpy(), dfmt, "NC" + sp).ravel(), atol=1e-12)
        np.testing.assert_allclose(A.weight_grad(x_u, g_u),
                                   _to_user(wt.grad.numpy(), wfmt, "OI" + sp), atol=1e-12)


@requires_torch
def test_transposed_layer_in_random_layouts_matches_torch(rng):
    import torch
    import torch.nn.functional as F

    convs = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
    for _ in range(20):
        nd, groups, c_in, c_out, k, stride, dil, pad, size = _config(rng)
        dfmt, wfmt = _formats(rng, nd)
        batch = int(rng.integers(1, 3)) if "N" in dfmt else None
        sp = SPATIAL[nd]
        canon_d = ("N" if batch else "") + "C" + sp
        # torch's transposed weight (C_in, C_out // groups, *k): the letters of the forward
        # convolution it transposes, O = this layer's input channels.
        w = rng.standard_normal((c_in, c_out // groups, *k))
        x = rng.standard_normal(((batch or 1), c_in, *size))
        pad = tuple(min(p, d * (kk - 1) // 2) for p, kk, d in zip(pad, k, dil))
        y = convs[nd](torch.tensor(x), torch.tensor(w), stride=stride, padding=pad,
                      dilation=dil, groups=groups).numpy()
        squeeze = (lambda a: a) if batch else (lambda a: a[0])
        x_u = _to_user(squeeze(x), dfmt, canon_d)
        w_u = _to_user(w, wfmt, "OI" + sp)
        T = tc.transposed_layer_matrix(w_u, x_u.shape, stride=stride, padding=pad,
                                       dilation=dil, groups=groups, data_format=dfmt,
                                       weight_format=wfmt)
        y_u = _to_user(squeeze(y), dfmt, canon_d)
        assert T.out_shape == y_u.shape
        np.testing.assert_allclose(T @ x_u.ravel(), y_u.ravel(), atol=1e-12)


@requires_torch
def test_pooling_in_random_layouts_matches_torch(rng):
    import torch
    import torch.nn.functional as F

    for _ in range(12):
        nd = int(rng.integers(1, 4))
        dfmt, _ = _formats(rng, nd)
        batch = int(rng.integers(1, 3)) if "N" in dfmt else None
        canon_d = ("N" if batch else "") + "C" + SPATIAL[nd]
        x = rng.standard_normal(((batch or 1), int(rng.integers(1, 3)),
                                 *(int(v) for v in rng.integers(3, 6, nd))))
        squeeze = (lambda a: a) if batch else (lambda a: a[0])
        x_u = _to_user(squeeze(x), dfmt, canon_d)
        avg = getattr(F, f"avg_pool{nd}d")(torch.tensor(x), 2, stride=1, padding=1).numpy()
        A = tc.avg_pool_matrix(2, x_u.shape, stride=1, padding=1, data_format=dfmt)
        np.testing.assert_allclose(A @ x_u.ravel(), _to_user(squeeze(avg), dfmt, canon_d).ravel())
        mx = getattr(F, f"max_pool{nd}d")(torch.tensor(x), 2)
        S = tc.max_pool_matrix(x_u, 2, data_format=dfmt)
        mx_u = _to_user(squeeze(mx.numpy()), dfmt, canon_d)
        np.testing.assert_array_equal(S @ x_u.ravel(), mx_u.ravel())
        # argmax in the user's flat input indices and output layout
        np.testing.assert_array_equal(x_u.ravel()[S.info["argmax"]], mx_u)
        # max-out over pairs of channels, against numpy's max over the split channel axis
        xc = np.concatenate([x, x[:, ::-1] + 0.5], axis=1)      # an even channel count
        want = xc.reshape(len(xc), -1, 2, *xc.shape[2:]).max(axis=2)
        M = tc.maxout_matrix(_to_user(squeeze(xc), dfmt, canon_d), 2, data_format=dfmt)
        np.testing.assert_array_equal(M @ _to_user(squeeze(xc), dfmt, canon_d).ravel(),
                                      _to_user(squeeze(want), dfmt, canon_d).ravel())


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_layouts_match_jax_dimension_numbers(rng):
    import jax

    # Each shape costs JAX a compilation: a few formats, one padding each.
    for (fmt_d, fmt_w), padding in zip((("NWC", "WIO"), ("NHWC", "HWIO"), ("NCHW", "IOHW"),
                                         ("NDHWC", "DHWIO")), ("SAME", "VALID", "SAME", "VALID")):
        nd = len(fmt_w) - 2
        sp = SPATIAL[nd]
        w_c = rng.standard_normal((4, 2, *(3,) * nd)).astype(np.float32)
        x_c = rng.standard_normal((2, 2, *(5,) * nd)).astype(np.float32)
        x_u = _to_user(x_c, fmt_d, "NC" + sp)
        w_u = _to_user(w_c, fmt_w, "OI" + sp)
        y = np.asarray(jax.lax.conv_general_dilated(
            x_u, w_u, (2,) * nd, padding, dimension_numbers=(fmt_d, fmt_w, fmt_d)))
        A = tc.layer_matrix(w_u, x_u.shape, stride=2, padding=padding,
                            data_format=fmt_d, weight_format=fmt_w)
        assert A.out_shape == y.shape
        np.testing.assert_allclose(A @ x_u.ravel(), y.ravel(), rtol=1e-4, atol=1e-4)


def test_a_wrong_layout_is_caught_and_the_default_is_unchanged(rng):
    w = rng.standard_normal((3, 2, 3, 3))
    x = rng.standard_normal((2, 5, 6))
    plain = tc.layer_matrix(w, x.shape, padding=1)
    same = tc.layer_matrix(w, x.shape, padding=1, data_format="CHW", weight_format="OIHW")
    np.testing.assert_array_equal(plain.toarray(), same.toarray())
    # The check above can fail: reading NHWC data as if it were channel-first is wrong.
    hwc = tc.layer_matrix(w.transpose(2, 3, 1, 0), (5, 6, 2), padding=1,
                          data_format="HWC", weight_format="HWIO")
    x_hwc = x.transpose(1, 2, 0)
    assert not np.allclose(hwc @ x_hwc.ravel(), plain @ x_hwc.ravel())
    np.testing.assert_allclose(hwc @ x_hwc.ravel(),
                               (plain @ x.ravel()).reshape(3, 5, 6).transpose(1, 2, 0).ravel())


def test_layout_errors_name_the_parameter():
    w = np.ones((2, 1, 3, 3))
    with pytest.raises(ValueError, match="data_format='NWC' must name each axis of 'NCHW'"):
        tc.layer_matrix(w, (1, 5, 5, 1), data_format="NWC")
    with pytest.raises(ValueError, match="weight_format='HWOO'"):
        tc.layer_matrix(w, (1, 5, 5), weight_format="HWOO")
    with pytest.raises(TypeError, match="data_format must be a string"):
        tc.avg_pool_matrix(2, (1, 4, 4), data_format=3)
    with pytest.raises(ValueError, match="input_shape must have 4 entries"):
        tc.layer_matrix(w, (5, 5, 1), data_format="NHWC")
    assert data_layout("HWC", 2).perm == (1, 2, 0) and weight_layout("OWI", 1).perm == (0, 2, 1)


def test_channel_errors_say_where_pytorchs_axes_are():
    with pytest.raises(ValueError, match=r"axes 3 \('O'\) and 2 \('I'\) of weight_format "
                                         r"'HWIO', input_shape\[0\] is axis 2 \('C'\)"):
        tc.layer_matrix(np.ones((3, 3, 2, 4)), (8, 8, 3), data_format="HWC",
                        weight_format="HWIO")


def test_a_large_batch_is_refused_before_it_is_built():
    from toeplitz_conv import limits
    from toeplitz_conv._limits import DenseTooLargeError

    w = np.ones((3, 3, 2, 2))
    one = tc.layer_matrix(w, (1, 16, 16, 2), padding=1, data_format="NHWC",
                          weight_format="HWIO")
    with limits.override(max_build_bytes=40 * one.nnz * 10):
        tc.layer_matrix(w, (5, 16, 16, 2), padding=1, data_format="NHWC", weight_format="HWIO")
        with pytest.raises(DenseTooLargeError, match="user's layout"):
            tc.layer_matrix(w, (50, 16, 16, 2), padding=1, data_format="NHWC",
                            weight_format="HWIO")

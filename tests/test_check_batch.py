"""check_layer on layers as people write them: batched, NCHW or NHWC, float32, cache APIs.

The layers are our own gallery (tests/_batch_gallery.py) of batched numpy
conv2d code with one typical student bug each; the correct version is first
compared with torch autograd, so the gallery itself is checked independently.
"""

import copy
import re
import sys

import numpy as np
import pytest

from toeplitz_conv.check import check_layer
from toeplitz_conv.testing import LayerCheckError, assert_layer_ok

from . import _batch_gallery as G
from .conftest import requires_torch

RNG = np.random.default_rng(11)
W = RNG.standard_normal((3, 2, 3, 3))
B = RNG.standard_normal(3)
SHAPE = (2, 6, 8)                   # non-square on purpose
NHWC_SHAPE = (6, 8, 2)              # the same, in the NHWC layout's order


def nchw(stride=1, pad=1, fwd=None, bwd=None):
    fwd, bwd = fwd or {}, bwd or {}

    def forward(x, w, b):
        return G.forward(x, w, b, stride=stride, pad=pad, **fwd)

    def backward(x, g):
        return G.backward(x, W, g, stride=stride, pad=pad, **bwd)
    return forward, backward


def run(f, b, stride, pad, **kw):
    return check_layer(f, W, SHAPE, backward=b, bias=B, batch=2, stride=stride, padding=pad,
                       **kw)


@requires_torch
@pytest.mark.parametrize("stride,pad", [(1, 1), (2, 0), (2, 1)])
def test_gallery_matches_torch_autograd(stride, pad):
    import torch

    x = RNG.standard_normal((2, *SHAPE))
    f, b = nchw(stride, pad)
    y = f(x, W, B)
    g = RNG.standard_normal(y.shape)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(B, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=pad)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(b(x, g), (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride,pad", [(1, 1), (2, 0), (2, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_correct_batched_layer_passes_at_default_tolerances(stride, pad, dtype):
    f, b = nchw(stride, pad, {"dtype": dtype}, {"dtype": dtype})
    r = run(f, b, stride, pad)
    assert r.ok, str(r)
    assert r.checked == ["forward", "input_grad", "weight_grad", "bias_grad"]
    # tolerances follow the dtype, they are not fixed
    rtol = float(re.search(r"rtol=([0-9.e+-]+),", r["forward"].message).group(1))
    assert (1e-6 < rtol < 1e-4) if dtype == np.float32 else (rtol < 1e-12)


# (forward flags, backward flags, stride, pad, failing entries, words in the diagnosis)
GALLERY = {
    "flipped kernel": ({"flip": True}, {}, 1, 1, ["forward"], "kernel is flipped"),
    "bias once per tap": ({"bias_per_tap": True}, {}, 1, 1, ["forward"],
                          "bias added 9 times: once per kernel tap"),
    "bias per tap and channel": ({"bias_per_fanin": True}, {}, 1, 1, ["forward"],
                                 "bias added 18 times: once per kernel tap and input channel"),
    "bias inside the position loop": ({"bias_per_position": True}, {}, 1, 1, ["forward"],
                                      "inside the loop over output positions"),
    "kernel transposed": ({"transpose_kernel": True}, {}, 1, 1, ["forward"],
                          "kernel rows and columns transposed"),
    "square-image assumption": ({"square": True}, {}, 1, 1, ["forward"],
                                "square-image assumption"),
    "stride and padding forgotten": ({"forget_stride_and_pad": True}, {}, 2, 1, ["forward"],
                                     "stride and padding both forgotten"),
    "padding off by one": ({"pad_extra": 1}, {}, 1, 1, ["forward"], "padding off by one"),
    "dW reset per image": ({}, {"reset_per_image": True}, 1, 1, ["weight_grad"],
                           "only the last image's contribution"),
    "batch mean instead of sum": ({}, {"mean": True}, 1, 1, ["weight_grad", "bias_grad"],
                                  "divided by N = 2 (the batch size"),
    "backward ignores the stride": ({}, {"ignore_stride": True}, 2, 1,
                                    ["input_grad", "weight_grad"],
                                    "backward ignores the stride"),
    "empty slice x[p:-p] with p = 0": ({}, {"empty_slice": True}, 1, 0, ["input_grad"],
                                       "empty slice"),
    "stride does not divide": ({}, {"short_dx": True}, 2, 0, ["input_grad"],
                               "does not divide"),
    "unflipped input gradient": ({}, {"unflipped": True}, 1, 1, ["input_grad"],
                                 "unflipped kernel"),
}


def _check_caught(r, failing, words):
    assert not r.ok
    assert [e.name for e in r.entries if not e.ok] == failing, str(r)
    for name in failing:
        assert r[name].diagnosis is not None and words in r[name].diagnosis, str(r)


@pytest.mark.parametrize("name", list(GALLERY))
def test_nchw_gallery_bug_is_caught_with_the_right_diagnosis(name):
    fwd, bwd, stride, pad, failing, words = GALLERY[name]
    f, b = nchw(stride, pad, fwd, bwd)
    _check_caught(run(f, b, stride, pad), failing, words)


@pytest.mark.parametrize("name", ["flipped kernel", "bias once per tap", "kernel transposed",
                                  "dW reset per image", "backward ignores the stride",
                                  "stride and padding forgotten", "square-image assumption"])
def test_nhwc_gallery_bug_is_caught_with_the_right_diagnosis(name):
    fwd, bwd, stride, pad, failing, words = GALLERY[name]
    f, b = G.nhwc(fwd, bwd, w=W, b=B, stride=stride, pad=pad)
    r = check_layer(f, W.transpose(2, 3, 1, 0), NHWC_SHAPE, backward=b, bias=B.reshape(1, 1, 1, 3),
                    batch=2, data_format="NHWC", weight_format="HWIO", stride=stride,
                    padding=pad)
    _check_caught(r, failing, words)


def test_nhwc_correct_layer_passes_and_indices_are_in_the_users_layout():
    f, b = G.nhwc(w=W, b=B, stride=2, pad=1)
    kw = {"batch": 2, "data_format": "NHWC", "weight_format": "HWIO", "stride": 2,
          "padding": 1}
    r = check_layer(f, W.transpose(2, 3, 1, 0), NHWC_SHAPE, backward=b, bias=B.reshape(1, 1, 1, 3),
                    **kw)
    assert r.ok, str(r)

    def one_wrong(x, weight, bias):           # one output value off, at a known NHWC index
        y = f(x, weight, bias).copy()
        y[1, 2, 3, 0] += 100.0
        return y

    def dw_wrong(x, g):
        dx, dw, db = b(x, g)
        dw = dw.copy()
        dw[2, 0, 1, 2] += 100.0                # (kh, kw, c_in, c_out)
        return dx, dw, db
    r = check_layer(one_wrong, W.transpose(2, 3, 1, 0), NHWC_SHAPE, backward=dw_wrong,
                    bias=B.reshape(1, 1, 1, 3), **kw)
    assert r["forward"].worst_index == (1, 2, 3, 0)
    assert r["weight_grad"].worst_index == (2, 0, 1, 2)


def test_float32_wrong_layer_still_fails():
    f, b = nchw(1, 1, {"dtype": np.float32, "pad_extra": 1}, {"dtype": np.float32})
    r = run(f, b, 1, 1)
    assert not r["forward"].ok and "padding off by one" in r["forward"].diagnosis
    f, b = nchw(1, 1, {"dtype": np.float32}, {"dtype": np.float32, "reset_per_image": True})
    assert "only the last image" in run(f, b, 1, 1)["weight_grad"].diagnosis


def test_float32_one_percent_error_fails_at_default_tolerance():
    f, b = nchw(1, 1, {"dtype": np.float32}, {"dtype": np.float32})

    def slightly_off(x, w, bias):
        return (f(x, w, bias) * np.float32(1.001)).astype(np.float32)
    assert not run(slightly_off, b, 1, 1)["forward"].ok


def test_finite_differences_follow_the_dtype():
    f, _ = nchw(1, 1, {"dtype": np.float32})
    r = check_layer(f, W, SHAPE, bias=B, batch=2, padding=1)
    assert r.ok, str(r)
    assert "step 1" in r["input_grad"].message and r.not_checked == []
    assert "bias directions" in r["bias_grad"].message

    def bias_twice(x, w, b):                  # derivative along the bias is 2, not 1
        return G.forward(x, w, 2 * b, pad=1, dtype=np.float32)
    r = check_layer(bias_twice, W, SHAPE, bias=B, batch=2, padding=1)
    assert not r["bias_grad"].ok and r["input_grad"].ok and r["weight_grad"].ok
    r = check_layer(lambda x: f(x, W, B), W, SHAPE, bias=B, batch=2, padding=1)
    assert r.ok and r.not_checked == ["weight_grad", "bias_grad"]


def test_reduction_mean_and_bias_shapes():
    f, b = nchw(1, 1, {}, {"mean": True})
    assert run(f, b, 1, 1, reduction="mean").ok
    assert not run(*nchw(1, 1), 1, 1, reduction="mean").ok
    for shape in [(3, 1), (1, 3, 1, 1)]:
        def fwd(x, w, bias, shape=shape):
            assert bias.shape == shape                # the user's own bias shape
            return G.forward(x, w, bias.reshape(-1), pad=1)

        def bwd(x, g, shape=shape):
            dx, dw, db = G.backward(x, W, g, pad=1)
            return dx, dw, db.reshape(shape)
        r = check_layer(fwd, W, SHAPE, backward=bwd, bias=B.reshape(shape), batch=2, padding=1)
        assert r.ok, str(r)


def test_bias_given_but_backward_returns_two_gradients_is_not_checked_not_fail():
    f, b = nchw()
    r = run(f, lambda x, g: b(x, g)[:2], 1, 1)
    assert r.ok and r.not_checked == ["bias_grad"]
    assert "not checked" in str(r) and "bias_grad" in r.summary()


# ---------------------------------------------------------------- APIs people write
def _cs231n_forward(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    out = G.forward(x, w, b, stride=s, pad=p)
    return out, (x, w, b, conv_param)


def _cs231n_backward(dout, cache, reset=False):
    x, w, _b, conv_param = cache
    return G.backward(x, w, dout, stride=conv_param["stride"], pad=conv_param["pad"],
                      reset_per_image=reset)


def test_cache_api_cs231n_protocol():
    r = check_layer(_cs231n_forward, W, SHAPE, backward=_cs231n_backward, bias=B, api="cache",
                    stride=2, padding=1)
    assert r.ok, str(r)
    assert "batch 2" in r.summary()
    r = check_layer(_cs231n_forward, W, SHAPE, bias=B, api="cache", stride=2, padding=1,
                    backward=lambda d, c: _cs231n_backward(d, c, reset=True))
    assert "only the last image" in r["weight_grad"].diagnosis
    with pytest.raises(ValueError, match="conv_param"):
        check_layer(_cs231n_forward, W, SHAPE, backward=_cs231n_backward, api="cache",
                    padding="same")


class _StatefulConv:
    """A layer object: backward returns dx and stores dW/db on itself (or in a dict)."""

    def __init__(self, as_dict):
        self.as_dict = as_dict
        self.grads = {}

    def forward(self, x):
        return G.forward(x, W, B, pad=1)

    def backward(self, x, g):
        dx, dw, db = G.backward(x, W, g, pad=1)
        if self.as_dict:
            self.grads = {"W": dw, "b": db}
        else:
            self.dW, self.db = dw, db
        return dx


@pytest.mark.parametrize("as_dict", [False, True])
def test_grads_callable_reads_gradients_stored_by_backward(as_dict):
    layer = _StatefulConv(as_dict)
    grads = (lambda: layer.grads) if as_dict else (lambda: (layer.dW, layer.db))
    r = check_layer(layer.forward, W, SHAPE, backward=layer.backward, grads=grads, bias=B,
                    batch=2, padding=1)
    assert r.ok, str(r)
    r = check_layer(layer.forward, W, SHAPE, backward=layer.backward, bias=B, batch=2,
                    padding=1)
    assert not r["input_grad"].ok and "grads=" in r["input_grad"].message


@requires_torch
def test_torch_module_with_weight_none_uses_its_own_parameters():
    import torch

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 3, 3, stride=2, padding=1)
    r = check_layer(conv, None, SHAPE, batch=2, stride=2, padding=1)
    assert r.ok and r.checked == ["forward", "input_grad", "weight_grad", "bias_grad"], str(r)
    # a wrong geometry still fails: the module's own weight is no free pass
    assert not check_layer(conv, None, SHAPE, batch=2, stride=1, padding=1).ok
    with pytest.raises(TypeError, match="weight=None"):
        check_layer(lambda x: x, None, SHAPE)


@requires_torch
def test_float32_and_bfloat16_results_get_their_own_tolerance():
    import torch

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1)
    w = conv.weight.detach().double().numpy()
    b = conv.bias.detach().double().numpy()
    half = copy.deepcopy(conv).to(torch.bfloat16)
    r = check_layer(half, None, SHAPE, batch=2, padding=1)
    assert r.ok, str(r)                        # a bfloat16 module, autograd in bfloat16
    for dtype in (torch.float32, torch.bfloat16):
        def forward(x, dtype=dtype):
            xt = torch.from_numpy(x).to(dtype)
            return torch.nn.functional.conv2d(xt, conv.weight.to(dtype), conv.bias.to(dtype),
                                              padding=1)
        r = check_layer(forward, w, SHAPE, bias=b, batch=2, padding=1)
        assert r["forward"].ok, str(r)

        def wrong(x, dtype=dtype):
            xt = torch.from_numpy(x).to(dtype)
            return torch.nn.functional.conv2d(xt, conv.weight.to(dtype).flip(2, 3),
                                              conv.bias.to(dtype), padding=1)
        assert not check_layer(wrong, w, SHAPE, bias=b, batch=2, padding=1)["forward"].ok


# ---------------------------------------------------------------- JAX and TF conventions
def test_jax_nhwc_hwio_same_stride_2():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    w = RNG.standard_normal((3, 3, 2, 4)).astype(np.float32)        # HWIO
    bias = RNG.standard_normal(4).astype(np.float32)

    def make(pad):
        def forward(x, kernel, b):
            y = jax.lax.conv_general_dilated(
                jnp.asarray(x, jnp.float32), jnp.asarray(kernel, jnp.float32), (2, 2), pad,
                dimension_numbers=("NHWC", "HWIO", "NHWC"))
            return y + jnp.asarray(b)
        return forward

    def backward(x, g):
        fwd = make("SAME")
        _, vjp = jax.vjp(fwd, jnp.asarray(x, jnp.float32), jnp.asarray(w), jnp.asarray(bias))
        return vjp(jnp.asarray(g, jnp.float32))

    kw = {"bias": bias, "batch": 2, "data_format": "NHWC", "weight_format": "HWIO",
          "stride": 2, "n_random": 1}           # each new JAX call traces: keep trials few
    for shape in [(7, 8, 2), (6, 5, 2)]:                   # 'SAME' pads differently per size
        r = check_layer(make("SAME"), w, shape, backward=backward, padding="SAME", **kw)
        assert r.ok, str(r)
        assert r.checked == ["forward", "input_grad", "weight_grad", "bias_grad"]
    # JAX's 'SAME' is not torch's symmetric padding 1 (the extra pad goes after)
    r = check_layer(make("SAME"), w, (8, 8, 2), padding=1, **kw)
    assert not r["forward"].ok
    # per-side padding, as JAX writes it
    r = check_layer(make(((0, 1), (2, 0))), w, (7, 8, 2), padding=((0, 1), (2, 0)), **kw)
    assert r["forward"].ok, str(r)


# ---------------------------------------------------------------- matrix-free reference
@pytest.mark.parametrize("kw", [{"stride": 2, "padding": 1}, {"padding": 2, "dilation": 2},
                                {"padding": 1, "padding_mode": "reflect"},
                                {"padding": 1, "padding_mode": "circular", "groups": 2},
                                {"padding": "SAME", "stride": 3}])
def test_matrix_free_reference_equals_the_explicit_matrix(kw):
    from toeplitz_conv import layer_matrix
    from toeplitz_conv.check._operator import ImColReference, reference

    rng = np.random.default_rng(5)
    w = rng.standard_normal((4, 2 // kw.get("groups", 1), 3, 3))
    shape = (2, 9, 7)
    ref = reference(w, shape, method="matrix-free", **kw)
    A = layer_matrix(w, shape, **kw)
    assert isinstance(ref, ImColReference)
    x = rng.standard_normal((3, *shape))
    g = rng.standard_normal((3, *A.out_shape))
    np.testing.assert_allclose(ref.apply(x), A.apply(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.T.apply(g), A.T.apply(g), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.weight_grad(x, g), A.weight_grad(x, g), rtol=1e-12,
                               atol=1e-12)
    wrong = reference(w, shape, method="matrix-free", **{**kw, "dilation": 3})
    assert wrong.out_shape != A.out_shape or not np.allclose(wrong.apply(x), A.apply(x))


@pytest.mark.parametrize("kernel,shape,kw", [
    ((3,), (4, 11), {"stride": 2, "dilation": 2, "padding": 2}),          # scattered A.T
    ((3,), (2, 9), {"padding": 1, "padding_mode": "reflect"}),            # two inverse layers
    ((2, 3, 2), (4, 5, 6, 4), {"padding": 1, "groups": 2}),               # 3-D, gathered A.T
    ((3, 3), (3, 6, 6), {"padding": 1, "groups": 3, "padding_mode": "replicate"}),
])
def test_matrix_free_reference_on_every_path_equals_the_explicit_matrix(kernel, shape, kw):
    # The matrix-free products (gathered or scattered A.T, one or several
    # readings per tap, dense or one-hot inputs, with and without a batch
    # axis) against the explicit matrix of the same layer.
    from toeplitz_conv import layer_matrix
    from toeplitz_conv.check._operator import reference

    rng = np.random.default_rng(7)
    groups = kw.get("groups", 1)
    w = rng.standard_normal((2 * groups, shape[0] // groups, *kernel))
    ref = reference(w, shape, method="matrix-free", **kw)
    A = layer_matrix(w, shape, **kw)
    one_hot = np.zeros((2, *shape))
    one_hot[1, -1, (0,) * (len(shape) - 2)] = 2.5
    for x in (rng.standard_normal(shape), rng.standard_normal((2, *shape)), one_hot):
        g = rng.standard_normal((*x.shape[:-len(shape)], *A.out_shape))
        for got, want in ((ref.apply(x), A.apply(x)), (ref.T.apply(g), A.T.apply(g)),
                          (ref.weight_grad(x, g), A.weight_grad(x, g)),
                          (ref.with_weight(2 * w).apply(x), 2 * A.apply(x))):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # A reference of another layer (the kernel flipped) is told apart.
    other = reference(np.flip(w, axis=tuple(range(2, w.ndim))), shape, method="matrix-free",
                      **kw)
    x = rng.standard_normal(shape)
    assert not np.allclose(other.apply(x), A.apply(x))
    assert not np.allclose(other.T.apply(g[0]), A.T.apply(g[0]))


def test_matrix_free_float32_products_and_a_float32_layer():
    # Single-precision products (what a float32 layer's check uses) agree with
    # the explicit matrix to float32 rounding; a float32 layer passes, and an
    # error of 1e-4 of the largest output at one position is still caught.
    from toeplitz_conv import layer_matrix
    from toeplitz_conv.check._operator import products_in, reference

    rng = np.random.default_rng(11)
    w = rng.standard_normal((4, 4, 3, 3))
    shape = (4, 10, 9)
    ref, A = reference(w, shape, method="matrix-free", padding=1), layer_matrix(w, shape, padding=1)
    x, g = rng.standard_normal(shape), rng.standard_normal(A.out_shape)
    with products_in(np.float32):
        got = (ref.apply(x), ref.T.apply(g), ref.weight_grad(x, g))
    for a, b in zip(got, (A.apply(x), A.T.apply(g), A.weight_grad(x, g))):
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5 * np.max(np.abs(b)))
        assert not np.array_equal(a, b)              # they were float32 products

    def forward(x, bump=0.0):
        y = A.apply(x.astype(np.float32).astype(np.float64)).astype(np.float32)
        y[2, 3, 4] += bump * np.max(np.abs(y))
        return y

    assert check_layer(forward, w, shape, padding=1, reference="matrix-free").ok
    r = check_layer(lambda x: forward(x, 1e-4), w, shape, padding=1, reference="matrix-free")
    assert not r["forward"].ok and r["forward"].worst_index == (2, 3, 4)


def test_check_with_matrix_free_reference_catches_the_gallery():
    f, b = nchw(2, 1)
    assert run(f, b, 2, 1, reference="matrix-free").ok
    for name in ["flipped kernel", "dW reset per image", "backward ignores the stride"]:
        fwd, bwd, stride, pad, failing, words = GALLERY[name]
        f, b = nchw(stride, pad, fwd, bwd)
        _check_caught(run(f, b, stride, pad, reference="matrix-free"), failing, words)


# ---------------------------------------------------------------- surviving user code
def _sleeps(x):
    import time
    time.sleep(30)


def test_user_code_that_hangs_exits_or_explodes_is_a_failed_entry():
    r = check_layer(_sleeps, W, SHAPE, padding=1, timeout=0.2)
    assert not r.ok and "did not return within timeout=0.2" in r["forward"].message

    def exits(x):
        sys.exit(2)
    r = check_layer(exits, W, SHAPE, padding=1)
    assert not r.ok and "sys.exit(2)" in r["forward"].message

    def interrupted(x):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):          # Ctrl-C in user code still stops the check
        check_layer(interrupted, W, SHAPE, padding=1)

    def huge(x):
        return np.broadcast_to(np.float64(1.0), (10**6, 10**6, 10**3))
    r = check_layer(huge, W, SHAPE, padding=1)
    assert not r.ok and "returned shape" in r["forward"].message


def test_user_exception_text_is_escaped_in_html_and_markdown():
    def evil(x):
        raise ValueError("<script>alert(1)</script> | **bold** [link](http://x)")
    r = check_layer(evil, W, SHAPE, padding=1)
    html = r._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = r._repr_markdown_()
    assert "<script>" not in md and "\\<script\\>" in md and "\\*\\*bold" in md
    assert "](http" not in md


@pytest.mark.parametrize("kw,exc,word", [
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"n_random": 10**6}, ValueError, "n_random must be <= 64"),
    ({"timeout": 0}, ValueError, "timeout"),
    ({"timeout": "1"}, TypeError, "timeout"),
    ({"batch": 0}, ValueError, "batch"),
    ({"reduction": "avg"}, ValueError, "reduction"),
    ({"api": "caffe"}, ValueError, "api"),
    ({"data_format": "NHWC"}, ValueError, "without the N"),
    ({"data_format": "NCHW", "batch": 2, "weight_format": "HWOI"}, ValueError,
     "weight_format"),
    ({"reference": "dense"}, ValueError, "reference"),
    ({"strides": 2}, TypeError, "strides"),
    ({"grads": 3}, TypeError, "grads"),
])
def test_bad_checker_parameters_raise_clear_errors(kw, exc, word):
    with pytest.raises(exc, match=word):
        check_layer(lambda x: x, W, SHAPE, padding=1, **kw)


def test_assert_layer_ok_for_test_suites():
    f, b = nchw(2, 1)
    report = assert_layer_ok(f, W, SHAPE, backward=b, bias=B, batch=2, stride=2, padding=1)
    assert report.ok
    f, b = nchw(2, 1, {}, {"reset_per_image": True})
    with pytest.raises(AssertionError) as info:
        assert_layer_ok(f, W, SHAPE, backward=b, bias=B, batch=2, stride=2, padding=1)
    assert isinstance(info.value, LayerCheckError)
    assert "only the last image" in str(info.value)
    assert not info.value.report["weight_grad"].ok
    f, _ = nchw(2, 1)
    only_x = assert_layer_ok(lambda x: f(x, W, B), W, SHAPE, bias=B, batch=2, stride=2,
                             padding=1)
    assert only_x.not_checked == ["weight_grad", "bias_grad"]
    with pytest.raises(LayerCheckError, match="not checked"):
        assert_layer_ok(lambda x: f(x, W, B), W, SHAPE, bias=B, batch=2, stride=2, padding=1,
                        require_all=True)


def test_matrix_free_references_alive_together_never_share_a_scratch_buffer():
    # The im2col buffers are reused once nothing refers to them: two
    # references used in turn (the checker's alternative layers are) keep
    # their cached columns, and each result equals its explicit matrix.
    from toeplitz_conv import layer_matrix
    from toeplitz_conv.check._operator import reference
    from toeplitz_conv.check._scratch import clear, scratch

    rng = np.random.default_rng(11)
    shape = (3, 8, 8)
    w1, w2 = rng.standard_normal((2, 4, 3, 3, 3))
    refs = [reference(w, shape, method="matrix-free", padding=1) for w in (w1, w2)]
    mats = [layer_matrix(w, shape, padding=1) for w in (w1, w2)]
    x1, x2 = rng.standard_normal((2, *shape))
    g = rng.standard_normal((4, 8, 8))
    y1 = refs[0].apply(x1)                 # columns of x1 cached in refs[0]
    y2 = refs[1].apply(x2)                 # columns of x2 in another buffer
    gx = refs[1].T.apply(g)
    for got, want in ((y1, mats[0].apply(x1)), (y2, mats[1].apply(x2)),
                      (refs[0].weight_grad(x1, g), mats[0].weight_grad(x1, g)),
                      (refs[1].weight_grad(x2, g), mats[1].weight_grad(x2, g)),
                      (gx, mats[1].T.apply(g))):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    clear()
    a = scratch((5,), np.float64)
    b = scratch((5,), np.float64)
    assert not np.shares_memory(a, b)
    where = a.__array_interface__["data"][0]
    del a
    c = scratch((4,), np.float64)                        # a is freed: its buffer again
    assert c.__array_interface__["data"][0] == where and not np.shares_memory(c, b)

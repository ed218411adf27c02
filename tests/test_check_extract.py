"""extract_matrix and identify against independent black boxes (scipy.signal, torch)."""

import numpy as np
import pytest
import scipy.signal as ss

from toeplitz_conv import TiedMatrix, layer_matrix
from toeplitz_conv.check import NotLinearError, colour_columns, extract_matrix, identify

from ._gallery import conv2d_forward
from .conftest import requires_torch


def _torch_conv(weight, **kw):
    import torch

    wt = torch.from_numpy(np.array(weight))    # a writable copy: A.weight is read-only
    nd = weight.ndim - 2
    mode = kw.pop("padding_mode", "zeros")
    conv = getattr(torch.nn, f"Conv{nd}d")(weight.shape[1] * kw.get("groups", 1),
                                           weight.shape[0], weight.shape[2:], bias=False,
                                           padding_mode=mode, **kw).double()
    with torch.no_grad():
        conv.weight.copy_(wt)

    def f(x):
        with torch.no_grad():
            return conv(torch.from_numpy(x)[None])[0].numpy()
    return f


# ---------------------------------------------------------------- extract_matrix
def test_one_hot_extraction_of_scipy_convolve_is_exact_with_n_plus_checks_calls():
    k = np.array([5.0, 6.0, 7.0])
    a, info = extract_matrix(lambda x: ss.convolve(x, k), 7, return_info=True)
    dense = np.column_stack([ss.convolve(e, k) for e in np.eye(7)])
    assert np.array_equal(a.toarray(), dense)
    assert info.method == "one-hot" and info.calls == 1 + 7 + 2


def test_coloured_extraction_uses_few_calls_and_equals_the_numpy_layer():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 2, 3, 3))
    shape = (2, 12, 13)

    def f(x):
        return conv2d_forward(x, w, padding=1)
    a, info = extract_matrix(f, shape, kernel=w.shape, padding=1, return_info=True)
    assert info.method == "coloured"
    assert info.probes == 2 * 9 and info.calls == 1 + 18 + 2
    naive, naive_info = extract_matrix(f, shape, discover=False, return_info=True)
    assert naive_info.calls == 1 + 2 * 12 * 13 + 2 and naive_info.method == "one-hot"
    found, found_info = extract_matrix(f, shape, return_info=True)
    assert found_info.method == "discovered" and found_info.calls == 1 + 2 + 18 + 2
    assert abs(found - naive).max() == 0
    assert isinstance(a, TiedMatrix) and np.allclose(a.weight, w, rtol=1e-13, atol=0)
    assert abs(a.sparse - naive).max() <= 1e-13


@requires_torch
@pytest.mark.parametrize("kw", [{"padding": 1}, {"stride": 2, "padding": 1},
                                {"dilation": 2, "padding": 2}, {"groups": 2},
                                {"padding": 1, "padding_mode": "circular"},
                                {"padding": 2, "padding_mode": "reflect"}])
def test_extracted_torch_layer_equals_layer_matrix_exactly(kw):
    rng = np.random.default_rng(5)
    groups = kw.get("groups", 1)
    w = rng.standard_normal((4, 4 // groups, 3, 3))
    f = _torch_conv(w, **kw)
    a, info = extract_matrix(f, (4, 9, 9), kernel=w.shape, return_info=True, **kw)
    ref = layer_matrix(w, (4, 9, 9), **kw)
    assert isinstance(a, TiedMatrix) and np.array_equal(a.weight, w)
    assert abs(a.sparse - ref.sparse).max() <= 1e-14 * np.abs(w).max() * 4
    assert info.calls < 1 + 4 * 81


@requires_torch
def test_benchmark_layer_needs_at_most_30_calls():
    w = np.random.default_rng(0).standard_normal((16, 3, 3, 3))
    ref = layer_matrix(w, (3, 64, 64), padding=1)

    def f(x):
        return ref.apply(x)
    a, info = extract_matrix(f, (3, 64, 64), kernel=w.shape, padding=1, return_info=True)
    assert info.calls <= 30 and info.probes == 27
    assert np.array_equal(a.weight, w)


def test_wrong_footprint_falls_back_to_one_hot():
    k = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    a, info = extract_matrix(lambda x: ss.convolve(x, k, "same"), 12, kernel=(3,),
                             mode="same", return_info=True)
    assert info.method == "one-hot"
    assert any("one-hot" in n for n in info.notes)
    dense = np.column_stack([ss.convolve(e, k, "same") for e in np.eye(12)])
    assert np.array_equal(a.toarray(), dense)


def test_non_linearity_and_bias_are_detected():
    k = np.array([1.0, -2.0, 1.0])
    with pytest.raises(NotLinearError, match="not linear"):
        extract_matrix(lambda x: np.maximum(ss.convolve(x, k), 0), 6)
    with pytest.raises(NotLinearError, match="not linear"):
        extract_matrix(lambda x: ss.convolve(x, k) ** 2, 30, kernel=(3,))
    a, info = extract_matrix(lambda x: ss.convolve(x, k) + 3.0, 6, return_info=True)
    assert np.array_equal(info.bias, np.full(8, 3.0))
    assert "bias" in str(info)
    assert np.array_equal(a.toarray()[:3, 0], k)


def test_extract_reports_misbehaving_black_boxes():
    with pytest.raises(ValueError, match="raised ZeroDivisionError"):
        extract_matrix(lambda x: 1 / 0, 4)
    with pytest.raises(ValueError, match="NaN"):
        extract_matrix(lambda x: x * np.nan, 4)


def test_colouring_is_valid():
    rng = np.random.default_rng(1)
    for _ in range(5):
        p = (rng.random((30, 40)) < 0.08)
        colour = colour_columns(p)
        for c in range(colour.max() + 1):
            assert p[:, colour == c].sum(axis=1).max(initial=0) <= 1


# ---------------------------------------------------------------- identify
@pytest.mark.parametrize("shape,kshape", [((9,), (3,)), ((9,), (4,)), ((6, 7), (3, 2)),
                                          ((5, 6), (2, 3))])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_identify_names_scipy_signal(shape, kshape, name, mode):
    k = np.random.default_rng(sum(shape) + sum(kshape)).standard_normal(kshape)
    fn = getattr(ss, name)
    r = identify(lambda x: fn(x, k, mode=mode), shape, kernel=k)
    assert r.fits and r.convention == "signal", str(r)
    assert r.params["mode"] == mode and r.params["boundary"] == "fill"
    assert r.params["correlate"] == (name == "correlate")
    assert np.allclose(r.kernel, k, rtol=1e-12)
    assert f"scipy.signal.{name}" in str(r)
    blind = identify(lambda x: fn(x, k, mode=mode), shape)
    assert blind.fits and blind.params["mode"] == mode
    # Without the kernel, convolution and correlation describe the same matrix
    # with flipped kernels; both are reported.
    kinds = {c.params["correlate"] for c in [blind.best, *blind.alternatives]
             if c.params["mode"] == mode}
    assert kinds == {True, False} or (mode == "same" and kshape[-1] % 2 == 0)


@pytest.mark.parametrize("boundary", ["wrap", "symm"])
def test_identify_names_convolve2d_boundaries(boundary):
    k = np.random.default_rng(2).standard_normal((3, 3))
    r = identify(lambda x: ss.convolve2d(x, k, "same", boundary=boundary), (6, 7), kernel=k)
    assert r.fits and r.params["boundary"] == boundary and r.params["mode"] == "same"


@requires_torch
def test_identify_names_random_torch_conv_configurations():
    import torch

    rng = np.random.default_rng(11)
    modes = ["zeros", "reflect", "replicate", "circular"]
    for trial in range(6):
        c_in, c_out = (int(v) for v in rng.integers(1, 3, 2))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(v) for v in rng.integers(0, 3, 2))
        mode = modes[trial % 4]
        w = rng.standard_normal((c_out, c_in, *k))
        f = _torch_conv(w, stride=s, padding=p, dilation=d, padding_mode=mode)
        shape = (c_in, 6, 7)
        r = identify(f, shape)
        assert r.fits, (trial, str(r))
        assert r.convention == "layer" and r.params["correlate"]
        assert r.kernel.shape == w.shape and np.allclose(r.kernel, w, rtol=1e-12)
        for a in range(2):
            assert r.params["stride"][a] == s[a]
            if k[a] > 1:
                assert r.params["dilation"][a] == d[a]
        # The named configuration reproduces torch on a fresh input.
        x = rng.standard_normal(shape)
        pp = r.params
        g = _torch_conv(r.kernel, stride=pp["stride"], padding=pp["padding"],
                        dilation=pp["dilation"], padding_mode=pp["padding_mode"],
                        groups=pp["groups"])
        assert np.allclose(g(x), f(x), rtol=1e-12, atol=1e-12)
        assert "torch.nn.functional.conv2d" in str(r)
    assert torch.get_default_dtype() == torch.float32


@requires_torch
def test_identify_conv1d_and_a_flipped_layer():
    w = np.random.default_rng(4).standard_normal((2, 1, 3))
    f = _torch_conv(w, stride=2, padding=1)
    r = identify(f, (1, 9), convention="layer")
    assert r.fits and r.params["stride"] == (2,) and r.params["padding"] == (1,)
    flipped = _torch_conv(w[..., ::-1].copy(), padding=1)
    r = identify(flipped, (1, 9), kernel=w)
    assert r.fits and not r.params["correlate"] and np.allclose(r.kernel, w)


def test_identify_says_when_nothing_fits():
    k = np.array([1.0, 2.0, 3.0])

    def odd(x):
        y = ss.convolve(x, k, "same")
        y[3] += x[0]                     # one stray entry
        return y
    r = identify(odd, 8)
    assert not r.fits and r.nearest is not None
    assert "output (3,), input (0,)" in r.nearest.where
    assert "nearest" in str(r)
    r = identify(lambda x: np.zeros(3), 8)
    assert not r.fits


def test_explicit_footprint_pattern():
    rng = np.random.default_rng(9)
    w = rng.standard_normal((2, 3, 3, 3))
    pattern = layer_matrix(np.ones(w.shape), (3, 8, 8), stride=2).sparse

    def f(x):
        return conv2d_forward(x, w, stride=2)
    a, info = extract_matrix(f, (3, 8, 8), footprint=pattern, return_info=True)
    assert info.method == "coloured" and info.probes <= 27
    assert not isinstance(a, TiedMatrix)
    dense = np.column_stack([f(e.reshape(3, 8, 8)).ravel() for e in np.eye(192)])
    assert np.allclose(a.toarray(), dense, rtol=1e-14, atol=0)
    with pytest.raises(ValueError, match="footprint has shape"):
        extract_matrix(f, (3, 8, 8), footprint=pattern[:5])


@requires_torch
def test_identify_names_groups():
    w = np.random.default_rng(8).standard_normal((4, 1, 3, 3))
    f = _torch_conv(w, groups=2, padding=1)
    r = identify(f, (2, 5, 6))
    assert r.fits and r.params["groups"] == 2 and np.allclose(r.kernel, w, rtol=1e-12)
    assert r.params["padding"] == (1, 1) and r.params["stride"] == (1, 1)


def test_identify_finds_the_padding_from_the_output_size():
    # Stride 2 leaves two total paddings for the same output size; only the
    # symmetric one is a PyTorch int padding, and it must be the one found.
    w = np.array([[[1.0, -2.0, 3.0]]])
    a = layer_matrix(w, (1, 9), stride=2, padding=2)
    r = identify(a.sparse, ((1, 9), a.out_shape), convention="layer")
    assert r.fits and r.params["padding"] == (2,) and r.params["stride"] == (2,)
    # An even kernel's 'same' split is asymmetric: only the string names it.
    w4 = np.array([[[1.0, -2.0, 3.0, 5.0]]])
    a = layer_matrix(w4, (1, 7), padding="same")
    r = identify(a.sparse, ((1, 7), a.out_shape), kernel=(1, 1, 4))
    assert r.fits and r.params["padding"] == "same" and np.allclose(r.kernel, w4)


@pytest.mark.parametrize("kw,exc,word", [
    ({"max_stride": 0}, ValueError, "max_stride must be >= 1"),
    ({"max_kernel": "7"}, TypeError, "max_kernel must be an int"),
    ({"max_dilation": True}, TypeError, "max_dilation must be an int"),
])
def test_identify_refuses_bad_search_limits(kw, exc, word):
    with pytest.raises(exc, match=word):
        identify(lambda x: ss.convolve(x, [1.0, 2.0], "full"), 5, **kw)


@pytest.mark.parametrize("verify,exc", [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_extract_refuses_a_bad_verify_count(verify, exc):
    with pytest.raises(exc, match="verify must be"):
        extract_matrix(lambda x: ss.convolve(x, [1.0, 2.0], "full"), 5, verify=verify)


@pytest.mark.parametrize("rtol,exc", [(-1e-9, ValueError), (float("inf"), ValueError),
                                      ("tight", TypeError)])
def test_extract_refuses_a_bad_tolerance(rtol, exc):
    with pytest.raises(exc, match="rtol must be"):
        extract_matrix(lambda x: ss.convolve(x, [1.0, 2.0], "full"), 5, rtol=rtol)


def test_identify_names_same_padding_with_dilation():
    # 'same' with an odd dilated span (k=4, d=3: span 9) is asymmetric, so
    # only the string describes it; its total must be matched with the dilation.
    w = np.array([[[1.0, -2.0, 3.0, 5.0]]])
    a = layer_matrix(w, (1, 12), padding="same", dilation=3)
    r = identify(a.sparse, ((1, 12), a.out_shape), kernel=(1, 1, 4))
    assert r.fits and r.params["padding"] == "same" and r.params["dilation"] == (3,)

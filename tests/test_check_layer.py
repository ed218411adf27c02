"""check_layer on a gallery of hand-written layers: correct ones pass, each bug is named."""

import functools

import numpy as np
import pytest

from toeplitz_conv.check import Report, check_layer

from ._gallery import conv2d_backward, conv2d_forward
from .conftest import requires_torch

RNG = np.random.default_rng(7)
W = RNG.standard_normal((3, 2, 3, 3))
B = RNG.standard_normal(3)
SHAPE = (2, 7, 8)


def layer(stride=1, padding=1, fwd=None, bwd=None):
    fwd, bwd = fwd or {}, bwd or {}
    opts = {"stride": stride, "padding": padding}
    forward = functools.partial(conv2d_forward, w=W, b=B, **{**opts, **fwd})
    backward = functools.partial(_backward, opts=opts, bwd=bwd)
    return forward, backward


def _backward(x, g, opts, bwd):
    return conv2d_backward(x, W, g, **opts, **bwd)


def run(forward, backward=None, stride=1, padding=1, **kw):
    return check_layer(forward, W, SHAPE, backward=backward, bias=B, stride=stride,
                       padding=padding, **kw)


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 1), (2, 0), (1, 2)])
def test_correct_layer_passes(stride, padding):
    f, b = layer(stride, padding)
    report = run(f, b, stride, padding)
    assert report.ok, str(report)
    assert report.names == ["forward", "input_grad", "weight_grad", "bias_grad"]
    assert all(e.diagnosis is None for e in report.entries)


BUGS = [
    # (name, stride, forward flags, backward flags, failing entry, words in the diagnosis)
    ("flipped kernel", 1, {"flip": True}, {}, "forward", ["kernel is flipped", "convolution"]),
    ("padding off by one", 1, {"padding": 2}, {}, "forward", ["padding off by one",
                                                              "padding=(2, 2)"]),
    ("padding split off by one", 1, {"pad_extra": (1, -1)}, {}, "forward",
     ["shifted by 1 along axis 1", "padding off by one"]),
    ("stride misapplied", 2, {"stride_bug": True}, {}, "forward", ["stride misapplied"]),
    ("channel mix-up", 1, {"swap_channels": True}, {}, "forward", ["channel mix-up"]),
    ("bias added twice", 1, {"bias_twice": True}, {}, "forward", ["bias added twice"]),
    ("weight grad of one position", 1, {}, {"last_position_only": True}, "weight_grad",
     ["one tied position", "instead of the sum", "(6, 7)"]),
    ("scaled gradient", 1, {}, {"scale": 56.0}, "input_grad", ["scaled by N = 56"]),
    ("unflipped input grad", 1, {}, {"unflipped_input_grad": True}, "input_grad",
     ["unflipped kernel"]),
]


@pytest.mark.parametrize("name,stride,fwd,bwd,entry,words", BUGS, ids=[b[0] for b in BUGS])
def test_classic_bug_is_caught_and_diagnosed(name, stride, fwd, bwd, entry, words):
    f, b = layer(stride, 1, fwd, bwd)
    report = run(f, b, stride, 1)
    assert not report.ok
    failed = [e.name for e in report.entries if not e.ok]
    assert failed == [entry], str(report)
    diagnosis = report[entry].diagnosis
    assert diagnosis is not None, str(report)
    for w in words:
        assert w in diagnosis, diagnosis
    assert report[entry].worst_index is not None or entry == "forward"
    assert diagnosis in str(report)


def test_output_channels_swapped_and_worst_index_is_multi_index():
    f, b = layer()

    def swapped(x):
        return f(x)[[1, 0, 2]]
    report = run(swapped, b)
    e = report["forward"]
    assert not e.ok and "output channel 0 and 1 are swapped" in e.diagnosis
    assert len(e.worst_index) == 3 and e.worst_index[0] in (0, 1)
    assert e.max_abs_error > 0 and e.max_rel_error > 0


def test_weight_gradient_averaged_names_the_number_of_positions():
    f, b = layer()

    def averaged(x, g):
        gx, gw, gb = b(x, g)
        return gx, gw / 56, gb
    e = run(f, averaged)["weight_grad"]
    assert "divided by N = 56 (the number of output positions)" in e.diagnosis
    assert len(e.worst_index) == 4


def test_report_renders_as_text_html_and_markdown():
    f, b = layer(1, 1, {"flip": True})
    report = run(f, b)
    text = str(report)
    assert "FAIL" in text and "forward" in text and "likely cause" in text
    assert "<table>" in report._repr_html_() and "FAIL" in report._repr_html_()
    assert report._repr_markdown_().count("|") > 10
    assert isinstance(report, Report) and "ok=False" in repr(report)


# ---------------------------------------------------------------- misbehaving code
def _good(x):
    return conv2d_forward(x, W, B, padding=1)


def _raises(x):
    raise RuntimeError("boom")


def _wrong_shape(x):
    return _good(x)[:, :-1]


def _flat(x):
    return _good(x).ravel()


def _nan(x):
    y = _good(x)
    y[0, 1, 1] = np.nan
    return y


def _strings(x):
    return np.array([["a"]])


def _none(x):
    return None


def _mutates(x):
    y = _good(x)
    x[...] = 0
    return y


@pytest.mark.parametrize("forward,words", [
    (_raises, "raised RuntimeError: boom"),
    (_wrong_shape, "returned shape (3, 6, 8), expected (3, 7, 8)"),
    (_flat, "returned shape (168,)"),
    (_nan, "returned NaN (at index (0, 1, 1)"),
    (_strings, "non-numeric"),
    (_none, "returned None"),
    (_mutates, "modified its input array in place"),
])
def test_misbehaving_forward_is_a_failed_entry_not_a_crash(forward, words):
    report = run(forward)
    e = report["forward"]
    assert not e.ok and words in e.message, e.message


def test_flat_output_is_diagnosed_as_a_reshape():
    assert "reshape the output" in run(_flat)["forward"].diagnosis


def test_misbehaving_backward_and_callers_arrays_untouched():
    f, b = layer()

    def bad_backward(x, g):
        g *= 2
        return b(x, g)

    def writes_x_backward(x, g):
        out = b(x, g)
        x[..., 0] = 0.0               # after its forward saw x unchanged
        return out

    def short_backward(x, g):
        return b(x, g)[0]
    for bw, words in ((bad_backward, "modified its input"), (short_backward, "must return"),
                      (writes_x_backward, "modified its input")):
        r = run(f, bw)
        assert not r["input_grad"].ok and words in r["input_grad"].message
    w0, b0 = W.copy(), B.copy()
    run(_mutates, bad_backward)
    assert np.array_equal(W, w0) and np.array_equal(B, b0)


def test_finite_difference_fallback_without_backward():
    def forward(x, weight):
        return conv2d_forward(x, weight, B, padding=1)
    report = run(forward)
    assert report.ok, str(report)
    assert "finite differences" in report["input_grad"].message
    # Item 9 of issue 16: the bias gradient is listed as not checked, not silently dropped.
    assert report.names == ["forward", "input_grad", "weight_grad", "bias_grad"]
    assert report.checked == ["forward", "input_grad", "weight_grad"]
    assert report.not_checked == ["bias_grad"] and "not checked" in str(report)
    only_x = run(_good)
    assert only_x.ok and only_x.not_checked == ["weight_grad", "bias_grad"]
    assert "forward takes no weight" in only_x["weight_grad"].message


def test_padding_mode_misapplied_is_named():
    def zero_padded(x):
        return conv2d_forward(x, W, B, padding=1)
    r = run(zero_padded, padding_mode="circular")
    assert "padding_mode misapplied" in r["forward"].diagnosis
    assert "'zeros'" in r["forward"].diagnosis


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="bias"):
        check_layer(_good, W, SHAPE, bias=[1.0, 2.0], padding=1)
    with pytest.raises(TypeError, match="forward"):
        check_layer(42, W, SHAPE, padding=1)
    with pytest.raises(ValueError, match="rtol"):
        check_layer(_good, W, SHAPE, rtol=-1, padding=1)


# ---------------------------------------------------------------- torch
@requires_torch
@pytest.mark.parametrize("kw", [{"stride": 2, "padding": 1}, {"padding": 1, "dilation": 2},
                                {"padding": 1, "padding_mode": "reflect"}, {"groups": 2}])
def test_torch_conv2d_passes(kw):
    import torch

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 6, 3, **kw)
    w = conv.weight.detach().numpy().astype(np.float64)
    b = conv.bias.detach().numpy().astype(np.float64)
    report = check_layer(conv, w, (4, 9, 10), bias=b, **kw)
    assert report.ok, str(report)
    assert report.names == ["forward", "input_grad", "weight_grad", "bias_grad"]
    assert conv.weight.dtype == torch.float32      # the user's module is untouched


@requires_torch
def test_torch_module_with_a_bug_and_an_autograd_function():
    import torch

    class Flipped(torch.nn.Module):
        def __init__(self, w):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.from_numpy(w.copy()))

        def forward(self, x):
            return torch.nn.functional.conv2d(x, torch.flip(self.weight, (2, 3)), padding=1)

    r = check_layer(Flipped(W), W, SHAPE, padding=1)
    assert not r.ok and "kernel is flipped" in r["forward"].diagnosis
    assert not r["weight_grad"].ok and "flipped" in r["weight_grad"].diagnosis

    class Conv(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, b):
            ctx.save_for_backward(x, w)
            return torch.nn.functional.conv2d(x, w, b, padding=1)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            gx = torch.nn.grad.conv2d_input(x.shape, w, g, padding=1)
            gw = torch.nn.grad.conv2d_weight(x, w.shape, g, padding=1)
            return gx, 2 * gw, g.sum((0, 2, 3))

    r = check_layer(Conv, W, SHAPE, bias=B, padding=1)
    assert r["forward"].ok and r["input_grad"].ok and r["bias_grad"].ok
    assert not r["weight_grad"].ok and "scaled by N = 2" in r["weight_grad"].diagnosis


def test_single_precision_rounding_and_missing_bias_are_named():
    def single(x):
        return _good(x).astype(np.float32)
    e = run(single, rtol=1e-10)["forward"]
    assert not e.ok and "only rounding" in e.diagnosis
    assert run(single, rtol=1e-5)["forward"].ok

    def no_bias(x):
        return conv2d_forward(x, W, None, padding=1)
    assert run(no_bias)["forward"].diagnosis == "bias is missing"


@requires_torch
@pytest.mark.parametrize("nd", [1, 3])
def test_torch_conv1d_and_conv3d_pass(nd):
    import torch

    torch.manual_seed(1)
    conv = getattr(torch.nn, f"Conv{nd}d")(2, 3, 3, stride=2, padding=1).double()
    w = conv.weight.detach().numpy()
    b = conv.bias.detach().numpy()
    shape = (2, *([6] * nd))
    report = check_layer(conv, w, shape, bias=b, stride=2, padding=1)
    assert report.ok, str(report)
    assert len(report["forward"].worst_index) == nd + 1


@pytest.mark.parametrize("kw,exc,word", [
    ({"rtol": -1}, ValueError, "rtol must be >= 0"),
    ({"atol": float("nan")}, ValueError, "atol must be a finite real"),
    ({"rtol": "1e-7"}, TypeError, "rtol must be a real number"),
    ({"n_random": 0}, ValueError, "n_random must be >= 1"),
    ({"n_random": 2.0}, TypeError, "n_random must be an int"),
])
def test_bad_tolerances_and_counts_name_the_parameter(kw, exc, word):
    with pytest.raises(exc, match=word):
        check_layer(_good, W, SHAPE, padding=1, **kw)


def test_results_whose_sum_overflows_are_finite_and_inf_and_nan_are_not():
    # as_result's first test is the sum's finiteness: a sum can overflow with
    # every value finite, and +inf and -inf can cancel to NaN.
    from toeplitz_conv.check._user import as_result

    big = np.full((2, 3), 1e308)
    arr, msg = as_result(big, (2, 3), "forward")
    assert msg == "" and np.array_equal(arr, big)
    for bad, word in (([1.0, np.inf, -np.inf], "inf"), ([0.0, 1.0, np.nan], "NaN"),
                      (np.array([6e4, 6e4, np.inf], dtype=np.float16), "inf")):
        arr, msg = as_result(np.asarray(bad), (3,), "forward")
        assert arr is None and f"returned {word}" in msg, msg

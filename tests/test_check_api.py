"""Weight by position, overwrite bugs at batch 2, non-determinism, the report's API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toeplitz_conv.check import check_layer

from .conftest import requires_torch

RNG = np.random.default_rng(5)
W = RNG.standard_normal((2, 2, 2, 2))
B = RNG.standard_normal(2)
SHAPE = (2, 4, 5)


def corr2d_multi_in_out(X, K):
    """A hand-written loop (no batch axis): out[o] = sum_i corr(X[i], K[o, i])."""
    kh, kw = K.shape[2:]
    out = np.zeros((K.shape[0], X.shape[1] - kh + 1, X.shape[2] - kw + 1))
    for o in range(K.shape[0]):
        for i in range(X.shape[0]):
            for r in range(out.shape[1]):
                for c in range(out.shape[2]):
                    out[o, r, c] += np.sum(X[i, r:r + kh, c:c + kw] * K[o, i])
    return out


def _forward(x, w=W, b=B):
    n, (co, _ci, kh, kw) = len(x), w.shape
    out = np.zeros((n, co, x.shape[2] - kh + 1, x.shape[3] - kw + 1))
    for m in range(n):
        out[m] = corr2d_multi_in_out(x[m], w) + b[:, None, None]
    return out


def _backward(x, g, *, overwrite_dw=False, overwrite_db=False):
    kh, kw = W.shape[2:]
    dx, dw, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(B)
    for m in range(len(x)):
        for r in range(g.shape[2]):
            for c in range(g.shape[3]):
                patch = x[m, :, r:r + kh, c:c + kw]
                for o in range(W.shape[0]):
                    dx[m, :, r:r + kh, c:c + kw] += W[o] * g[m, o, r, c]
                    if overwrite_dw:
                        dw[o] = patch * g[m, o, r, c]
                    else:
                        dw[o] += patch * g[m, o, r, c]
                if overwrite_db:
                    db = g[m, :, r, c].copy()
                else:
                    db += g[m, :, r, c]
    return dx, dw, db


def test_weight_found_by_position_whatever_its_name():
    r = check_layer(corr2d_multi_in_out, W, SHAPE)
    assert r.ok, str(r)
    assert r["weight_grad"].checked          # finite differences along K: K was passed
    wrong = W + 1.0
    r = check_layer(lambda X, K: corr2d_multi_in_out(X, wrong), W, SHAPE)
    assert not r.ok


def test_ambiguous_signature_says_how_it_was_called():
    def f(x, k, stride, pad):
        return corr2d_multi_in_out(x, k)
    r = check_layer(f, W, SHAPE)
    assert not r.ok
    assert "called by position as forward(x, weight, bias)" in r["forward"].message
    assert "lambda x, w:" in r["forward"].message


@pytest.mark.parametrize("batch", [1, 2])
def test_overwrite_bugs_are_diagnosed_at_any_batch(batch):
    r = check_layer(_forward, W, SHAPE, batch=batch, bias=B, backward=_backward)
    assert r.ok, str(r)
    r = check_layer(_forward, W, SHAPE, batch=batch, bias=B,
                    backward=lambda x, g: _backward(x, g, overwrite_dw=True))
    assert not r["weight_grad"].ok and r["bias_grad"].ok
    assert "one tied position" in (r["weight_grad"].diagnosis or ""), str(r)
    r = check_layer(_forward, W, SHAPE, batch=batch, bias=B,
                    backward=lambda x, g: _backward(x, g, overwrite_db=True))
    assert not r["bias_grad"].ok and r["weight_grad"].ok
    assert "one position" in (r["bias_grad"].diagnosis or ""), str(r)


def test_a_layer_whose_output_changes_is_reported_non_deterministic():
    noise = np.random.default_rng(0)
    r = check_layer(lambda x: corr2d_multi_in_out(x, W) + 0.1 * noise.standard_normal(),
                    W, SHAPE)
    assert not r.ok and "non-deterministic" in (r["forward"].diagnosis or "")
    flipped = W[:, :, ::-1, ::-1]
    r = check_layer(lambda x: corr2d_multi_in_out(x, flipped), W, SHAPE)
    assert "non-deterministic" not in (r["forward"].diagnosis or "")


def test_report_contains_iterates_and_serialises():
    r = check_layer(_forward, W, SHAPE, batch=2, bias=B, backward=_backward)
    assert "weight_grad" in r and "nonsense" not in r and len(r) == 4
    assert [e.name for e in r] == ["forward", "input_grad", "weight_grad", "bias_grad"]
    d = json.loads(json.dumps(r.to_dict()))
    assert d["ok"] is True and [e["name"] for e in d["entries"]] == r.names


def test_cache_api_takes_tuple_stride_and_pad():
    seen = {}

    def fwd(x, w, b, conv_param):
        seen.update(conv_param)
        return _forward(x, w, b)[:, :, :, :], None

    r = check_layer(fwd, W, SHAPE, api="cache", backward=lambda d, c: (None, None, None),
                    stride=(1, 1), padding=(0, 0))
    assert seen == {"stride": 1, "pad": 0}
    assert r["forward"].ok


def test_sizes_are_refused_before_anything_is_built():
    from toeplitz_conv import DenseTooLargeError
    from toeplitz_conv.check import extract_matrix, identify
    w = np.ones((1, 1, 3, 3))
    with pytest.raises(DenseTooLargeError, match="max_build_bytes"):
        check_layer(lambda x: x, w, (1, 4, 4), padding=10**9)
    with pytest.raises(DenseTooLargeError, match="input_shape"):
        extract_matrix(lambda x: x, 10**12)

    def conv(x):
        return np.convolve(x, [1.0, 2.0, 3.0])
    for opts in ({"max_kernel": 10**9}, {"max_stride": 2**31, "max_dilation": 2**31}):
        found = identify(conv, (6,), **opts)
        assert found.fits and found.best.params["mode"] == "full", found.message
        assert np.allclose(found.best.kernel, [1.0, 2.0, 3.0])


def _nhwc_factory(weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    def forward(x):                       # x: (N, H, W, C_in), valid correlation, stride 1
        y = np.stack([_forward(im.transpose(2, 0, 1)[None], weight, np.zeros(len(weight)))[0]
                      for im in x])
        return y.transpose(0, 2, 3, 1)
    return forward


def test_input_shape_is_in_the_data_format():
    f = _nhwc_factory(W)
    r = check_layer(f, W, (4, 5, 2), batch=2, data_format="NHWC")
    assert r["forward"].ok, str(r)
    with pytest.raises(ValueError, match=r"order \(H, W, C\).*\(4, 5, 2\)"):
        check_layer(f, W, (2, 4, 5), batch=2, data_format="NHWC")
    from toeplitz_conv.check import SweepConfig, sweep_layer
    grid = [SweepConfig("small", (4, 5), (2, 2), batch=2),
            SweepConfig("odd", (5, 3), (2, 2), batch=2)]
    rep = sweep_layer(_nhwc_factory, weight_shape=(2, 2, 2, 2), grid=grid, batch=[2],
                      data_format="NHWC")
    assert [row.status for row in rep.rows] == ["ok", "ok"], str(rep)


@requires_torch
def test_torch_layers_calls_made_up_front_still_judged_one_by_one():
    # A torch layer's trial calls are made first (back to back): a dropout
    # layer is still caught as non-deterministic by a second, real call, a
    # layer that fails only on the one-hot input still fails there, and a
    # layer whose forward raises is still called no further.
    import torch

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1)
    noisy = torch.nn.Sequential(conv, torch.nn.Dropout(0.5)).train()
    r = check_layer(noisy, conv.weight.detach().numpy(), (2, 6, 6), padding=1,
                    bias=conv.bias.detach().numpy())
    assert not r.ok and "non-deterministic" in (r["forward"].diagnosis or ""), str(r)

    seen = []

    class CornerBug(torch.nn.Conv2d):
        def forward(self, x):
            seen.append(x.shape)
            y = super().forward(x)
            if float(x.detach().abs().sum()) == 1.0:          # the one-hot trials only
                y = y * 1.5
            return y

    r = check_layer(CornerBug(2, 3, 3, padding=1), None, (2, 6, 6), padding=1)
    assert not r["forward"].ok and "one-hot" in r["forward"].trial, str(r)
    assert not r["input_grad"].ok and "one-hot" in r["input_grad"].trial

    class Raises(torch.nn.Conv2d):
        def forward(self, x):
            seen.append(x.shape)
            raise RuntimeError("boom")

    seen.clear()
    r = check_layer(Raises(2, 3, 3, padding=1), None, (2, 6, 6), padding=1)
    assert "boom" in r["forward"].message and len(seen) == 2     # one forward, one backward


def test_large_layer_decided_on_random_inputs_and_a_failure_widened_with_the_one_hot():
    # Matrix-free (a large layer): the random trials decide; a failing check
    # is run again with the one-hot at the corner added, for its diagnosis,
    # and a layer that passes that second run keeps its first failure.
    import torch

    class CornerPadding(torch.nn.Conv2d):
        def forward(self, x):
            y = super().forward(x)
            y = y.clone()
            y[..., 0, 0] = y[..., 0, 0] + 0.5 * x[..., :1, 0, 0]    # reads the corner twice
            return y

    torch.manual_seed(0)
    r = check_layer(CornerPadding(2, 3, 3, padding=1), None, (2, 6, 6), padding=1,
                    reference="matrix-free")
    assert not r["forward"].ok and "on 2 inputs" in r["forward"].message, str(r)
    good = torch.nn.Conv2d(2, 3, 3, padding=1)
    r = check_layer(good, None, (2, 6, 6), padding=1, reference="matrix-free")
    assert r.ok and "on 1 inputs" in r["forward"].message, str(r)

    calls = []

    class FirstCallWrong(torch.nn.Conv2d):
        def forward(self, x):
            calls.append(1)
            y = super().forward(x)
            return y * 1.01 if len(calls) == 1 else y

    r = check_layer(FirstCallWrong(2, 3, 3, padding=1), None, (2, 6, 6), padding=1,
                    reference="matrix-free")
    assert not r["forward"].ok and len(calls) >= 2, str(r)


def test_a_torch_layer_that_writes_into_our_float64_input_is_reported():
    # A float64 module gets our arrays themselves (torch.from_numpy shares
    # memory), so the copy kept to catch a write is needed there; a float32
    # module gets converted copies, which it may change at will.
    import torch

    class Writes(torch.nn.Conv2d):
        def forward(self, x):
            x.data.add_(1.0)
            return super().forward(x)

    torch.manual_seed(0)
    r = check_layer(Writes(2, 3, 3, padding=1).double(), None, (2, 5, 5), padding=1)
    assert not r.ok and "modified its input" in r["forward"].message, str(r)
    r = check_layer(Writes(2, 3, 3, padding=1), None, (2, 5, 5), padding=1)
    assert "modified its input" not in r["forward"].message, str(r)

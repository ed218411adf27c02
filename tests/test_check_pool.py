"""``check_layer(..., kind="avg_pool" | "max_pool")``: hand-written pooling layers."""

from __future__ import annotations

import numpy as np
import pytest

from toeplitz_conv.check import check_layer

SHAPE = (2, 6, 7)


def _windows(h, w, k, s, p):
    """Window origins of a k x k pool with stride s and padding p (written for these tests)."""
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    return [(r, c, r * s - p, c * s - p) for r in range(oh) for c in range(ow)], (oh, ow)


def avg_forward(x, k=2, s=2, p=0, *, divide="window", kw=None):
    """Average pool of (N, C, H, W) by loops; divide='window' | 'real' | 'none'."""
    kw = k if kw is None else kw
    n, c, h, w = x.shape
    wins, (oh, ow) = _windows(h, w, k, s, p)
    out = np.zeros((n, c, oh, ow))
    for r, col, i0, j0 in wins:
        ii = [i for i in range(i0, i0 + k) if 0 <= i < h]
        jj = [j for j in range(j0, j0 + kw) if 0 <= j < w]
        total = x[:, :, ii][:, :, :, jj].sum(axis=(2, 3))
        count = {"window": k * kw, "real": len(ii) * len(jj), "none": 1}[divide]
        out[:, :, r, col] = total / count
    return out


def avg_backward(x, g, k=2, s=2, p=0, *, divide="window"):
    _n, _c, h, w = x.shape
    wins, _ = _windows(h, w, k, s, p)
    dx = np.zeros_like(x)
    for r, col, i0, j0 in wins:
        ii = [i for i in range(i0, i0 + k) if 0 <= i < h]
        jj = [j for j in range(j0, j0 + k) if 0 <= j < w]
        count = {"window": k * k, "real": len(ii) * len(jj)}[divide]
        for i in ii:
            for j in jj:
                dx[:, :, i, j] += g[:, :, r, col] / count
    return dx


def max_forward(x, k=2, s=2):
    n, c, h, w = x.shape
    wins, (oh, ow) = _windows(h, w, k, s, 0)
    out = np.zeros((n, c, oh, ow))
    for r, col, i0, j0 in wins:
        out[:, :, r, col] = x[:, :, i0:i0 + k, j0:j0 + k].max(axis=(2, 3))
    return out


def max_backward(x, g, k=2, s=2, *, route="max"):
    n, c, h, w = x.shape
    wins, _ = _windows(h, w, k, s, 0)
    dx = np.zeros_like(x)
    for r, col, i0, j0 in wins:
        for m in range(n):
            for ch in range(c):
                win = x[m, ch, i0:i0 + k, j0:j0 + k]
                a = {"max": np.argmax(win), "first": 0}[route]
                i, j = divmod(int(a), k)
                dx[m, ch, i0 + i, j0 + j] += g[m, ch, r, col]
    return dx


def _unbatched(f):
    return lambda *a: f(*(v[None] for v in a))[0]


@pytest.mark.parametrize("batch", [None, 2])
def test_average_pool_gallery(batch):
    def run(fwd, bwd=None, **opts):
        f, b = fwd, bwd
        if batch is None:
            f = _unbatched(fwd)
            b = None if bwd is None else _unbatched(bwd)
        return check_layer(f, None, SHAPE, kind="avg_pool", backward=b, batch=batch, **opts)

    r = run(avg_forward, avg_backward, kernel_size=2)
    assert r.ok and r.checked == ["forward", "input_grad"], str(r)
    r = run(lambda x: avg_forward(x, p=1), lambda x, g: avg_backward(x, g, p=1),
            kernel_size=2, padding=1)
    assert r.ok, str(r)
    r = run(lambda x: avg_forward(x, k=3, s=2), kernel_size=2)
    assert "window one larger" in (r["forward"].diagnosis or ""), str(r)
    r = run(lambda x: avg_forward(x, s=1), kernel_size=2)
    assert "stride ignored" in (r["forward"].diagnosis or ""), str(r)
    r = run(lambda x: avg_forward(x, divide="none"), kernel_size=2)
    assert "not divided" in (r["forward"].diagnosis or ""), str(r)
    r = run(lambda x: avg_forward(x, p=1, divide="real"),
            lambda x, g: avg_backward(x, g, p=1, divide="real"), kernel_size=2, padding=1)
    assert "real samples only" in (r["forward"].diagnosis or ""), str(r)
    assert "real samples only" in (r["input_grad"].diagnosis or ""), str(r)


@pytest.mark.parametrize("batch", [None, 2])
def test_max_pool_gallery(batch):
    def run(fwd, bwd=None, **opts):
        f, b = fwd, bwd
        if batch is None:
            f = _unbatched(fwd)
            b = None if bwd is None else _unbatched(bwd)
        return check_layer(f, None, SHAPE, kind="max_pool", backward=b, batch=batch,
                           kernel_size=2, **opts)

    r = run(max_forward, max_backward)
    assert r.ok, str(r)
    assert "no tie decides" in r["input_grad"].message
    r = run(max_forward, lambda x, g: max_backward(x, g, route="first"))
    assert r["forward"].ok and not r["input_grad"].ok
    assert "first element" in (r["input_grad"].diagnosis or ""), str(r)
    r = run(lambda x: max_forward(x, s=1))
    assert "stride ignored" in (r["forward"].diagnosis or ""), str(r)


def test_torch_pooling_modules_pass():
    torch = pytest.importorskip("torch")
    r = check_layer(torch.nn.MaxPool2d(3, stride=2, padding=1), None, SHAPE, kind="max_pool",
                    kernel_size=3, stride=2, padding=1)
    assert r.ok, str(r)
    r = check_layer(torch.nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False), None,
                    SHAPE, kind="avg_pool", kernel_size=2, ceil_mode=True,
                    count_include_pad=False, batch=2)
    assert r.ok, str(r)
    r = check_layer(torch.nn.AvgPool2d(2, stride=1), None, SHAPE, kind="avg_pool",
                    kernel_size=2)
    assert "stride ignored" in (r["forward"].diagnosis or ""), str(r)


def test_pool_kind_refuses_a_weight_and_unknown_options():
    with pytest.raises(TypeError, match="weight=None"):
        check_layer(max_forward, np.ones(2), SHAPE, kind="max_pool", kernel_size=2)
    with pytest.raises(TypeError, match="count_include_pad"):
        check_layer(max_forward, None, SHAPE, kind="max_pool", kernel_size=2,
                    count_include_pad=True)
    with pytest.raises(TypeError, match="kernel_size"):
        check_layer(max_forward, None, SHAPE, kind="max_pool")


@pytest.mark.parametrize("shape,opts", [
    ((3, 11), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 7, 6), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "ceil_mode": True}),
    ((2, 5, 4, 6), {"kernel_size": 2, "stride": 1, "dilation": (2, 1, 3), "padding": 1}),
    ((1, 2), {"kernel_size": 2, "stride": 1, "padding": 1, "dilation": 3}),   # padding only
])
def test_max_pool_reference_equals_the_selection_matrix(shape, opts):
    # The check's own selection (no matrix assembled) against max_pool_matrix
    # at random inputs and at inputs with ties (the first maximum wins).
    from toeplitz_conv.check._pool_kind import _Pool
    from toeplitz_conv.pooling import max_pool_matrix

    rng = np.random.default_rng(3)
    pool = _Pool("max_pool", shape, dict(opts))
    k = opts["kernel_size"]
    rest = {n: v for n, v in opts.items() if n != "kernel_size"}
    for x in (rng.standard_normal((2, *shape)), rng.integers(0, 3, (2, *shape)) * 1.0):
        out, g = pool.out(x), rng.standard_normal((2, *pool.out(x).shape[1:]))
        back = pool.back(x, g)
        for i in range(2):
            S = max_pool_matrix(x[i], k, **rest)
            np.testing.assert_array_equal(out[i], S.apply(x[i]))
            np.testing.assert_allclose(back[i], S.T.apply(g[i]), rtol=1e-15, atol=0)
    # Another layer's selection (stride 1 instead of the layer's) is told apart.
    if opts.get("stride") != 1:
        other = max_pool_matrix(x[0], k, **{**rest, "stride": 1})
        assert other.out_shape != out[0].shape or not np.array_equal(other.apply(x[0]), out[0])


def test_max_pool_keeps_a_bounded_number_of_window_values(monkeypatch):
    # Each image's window values are kernel-size times its output; a batch's
    # worth must not pile up, and the newest stays for the gradient's reuse.
    from toeplitz_conv.check import _pool_kind

    pool = _pool_kind._Pool("max_pool", (2, 8, 8), {"kernel_size": 2})
    x = np.random.default_rng(0).standard_normal((40, 2, 8, 8))
    pool.out(x)
    assert len(pool._seen) == 16
    one = pool._seen[-1][1][0].nbytes
    monkeypatch.setattr(_pool_kind, "_KEPT_WINDOW_BYTES", 3 * one)
    pool.out(x)
    assert len(pool._seen) == 3 and np.shares_memory(pool._seen[-1][0], x[-1])
    back = pool.back(x[-1:], np.ones((1, 2, 4, 4)))
    assert back.sum() == 2 * 16          # every window's gradient lands once

"""check_layer's kinds beyond conv: transposed, lp_pool, local, tiled, data_matrix.

A gallery of hand-written layers (numpy loops, im2col style, torch modules,
JAX), each correct one passing at the default tolerances and each planted bug
caught with its diagnosis, at batch 1 and 2; torch's own layers are the
differential reference (a correct torch layer must pass, so the reference
matrix agrees with torch autograd).
"""

from __future__ import annotations

import numpy as np
import pytest

from toeplitz_conv.check import check_layer

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(30)


def _t(a: np.ndarray) -> object:
    return torch.from_numpy(np.ascontiguousarray(a))


# ---------------------------------------------------------------- transposed
def _tconv_scatter(x, w, b, s, p, op, bug=None):
    """A transposed conv written as people write it: each input times the kernel, scattered."""
    n, _ci, H, W = x.shape
    _, co, kh, kw = w.shape
    hf, wf = (H - 1) * s + kh + op, (W - 1) * s + kw + op       # the full, uncropped output
    if bug == "no_output_padding":
        hf, wf = hf - op, wf - op
    y = np.zeros((n, co, hf, wf))
    ker = w[:, :, ::-1, ::-1] if bug == "flipped" else w
    for i in range(H):
        for j in range(W):
            y[:, :, i * s:i * s + kh, j * s:j * s + kw] += np.einsum(
                "nc,coab->noab", x[:, :, i, j], ker)
    q = p + 1 if bug == "crop_off_by_one" else p
    y = y[:, :, q:hf - q, q:wf - q]
    return y + b[None, :, None, None]


def _tconv_backward(x, g, w, s, p, bug=None):
    n, _ci, H, W = x.shape
    _, co, kh, kw = w.shape
    hf, wf = g.shape[2] + 2 * p, g.shape[3] + 2 * p
    gf = np.zeros((n, co, hf, wf))
    gf[:, :, p:hf - p, p:wf - p] = g
    gf = np.pad(gf, ((0, 0), (0, 0), (0, kh), (0, kw)))
    gx = np.zeros_like(x)
    gw = np.zeros_like(w)
    for i in range(H):
        for j in range(W):
            win = gf[:, :, i * s:i * s + kh, j * s:j * s + kw]
            gx[:, :, i, j] = np.einsum("noab,coab->nc", win, w)
            contrib = np.einsum("nc,noab->coab", x[:, :, i, j], win)
            if bug == "overwrite":
                gw = contrib                       # = instead of +=
            else:
                gw += contrib
    return gx, gw, g.sum(axis=(0, 2, 3))


def _tconv_as_conv(x, w, b, s, p, bug=None):
    """im2col style: zeros inserted between the inputs, then a correlation (flipped kernel)."""
    n, ci, H, W = x.shape
    _, co, kh, kw = w.shape
    if bug == "conv_stride":
        up = x                                      # the stride kept as a conv stride
    else:
        up = np.zeros((n, ci, (H - 1) * s + 1, (W - 1) * s + 1))
        up[:, :, ::s, ::s] = x
    up = np.pad(up, ((0, 0), (0, 0), (kh - 1 - p,) * 2, (kw - 1 - p,) * 2))
    ker = np.swapaxes(w, 0, 1)
    if bug != "not_flipped":
        ker = ker[:, :, ::-1, ::-1]
    st = s if bug == "conv_stride" else 1
    oh, ow = (up.shape[2] - kh) // st + 1, (up.shape[3] - kw) // st + 1
    y = np.zeros((n, co, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = np.einsum("ncab,ocab->no",
                                      up[:, :, i * st:i * st + kh, j * st:j * st + kw], ker)
    return y + b[None, :, None, None]


T_W = RNG.standard_normal((2, 3, 3, 3))
T_B = RNG.standard_normal(3)


@pytest.mark.parametrize("batch", [None, 2])
def test_transposed_numpy_scatter_passes_and_its_bugs_are_named(batch):
    s, p, op = 2, 1, 1
    kw = dict(kind="transposed", stride=s, padding=p, output_padding=op, bias=T_B, batch=batch)

    def layer(bug=None, grad_bug=None):
        def fwd(x):
            xb = x if batch else x[None]
            y = _tconv_scatter(xb, T_W, T_B, s, p, op, bug)
            return y if batch else y[0]

        def bwd(x, g):
            xb, gb = (x, g) if batch else (x[None], g[None])
            gx, gw, gbias = _tconv_backward(xb, gb, T_W, s, p, grad_bug)
            return (gx if batch else gx[0]), gw, gbias
        return fwd, bwd

    fwd, bwd = layer()
    assert check_layer(fwd, T_W, (2, 3, 4), backward=bwd, **kw).ok
    cases = {"flipped": "kernel flipped", "no_output_padding": "output_padding ignored",
             "crop_off_by_one": "padding off by one"}
    for bug, text in cases.items():
        fwd, bwd = layer(bug)
        r = check_layer(fwd, T_W, (2, 3, 4), backward=bwd, **kw)
        assert not r.ok and text in (r["forward"].diagnosis or ""), (bug, r)
    fwd, bwd = layer(grad_bug="overwrite")
    r = check_layer(fwd, T_W, (2, 3, 4), backward=bwd, **kw)
    assert r["forward"].ok and r["input_grad"].ok and not r["weight_grad"].ok
    assert "one input position" in r["weight_grad"].diagnosis


@pytest.mark.parametrize("batch", [1, 2])
def test_transposed_im2col_style_passes_and_its_bugs_are_named(batch):
    s, p = 2, 1
    kw = dict(kind="transposed", stride=s, padding=p, bias=T_B, batch=batch)
    # forward(x, weight, bias): gradients by finite differences.
    assert check_layer(lambda x, w, b: _tconv_as_conv(x, w, b, s, p), T_W, (2, 3, 4),
                       **kw).ok
    r = check_layer(lambda x, w, b: _tconv_as_conv(x, w, b, s, p, "not_flipped"), T_W,
                    (2, 3, 4), **kw)
    assert "kernel flipped" in r["forward"].diagnosis
    r = check_layer(lambda x, w, b: _tconv_as_conv(x, w, b, s, p, "conv_stride"), T_W,
                    (2, 3, 4), **kw)
    assert "stride applied as a conv stride" in r["forward"].diagnosis


def test_transposed_torch_modules_differential():
    """torch's ConvTranspose layers pass: the reference agrees with torch autograd."""
    rng = np.random.default_rng(1)
    for nd, (ci, co, g, k, s, p, op, d) in [(1, (4, 2, 2, 3, 2, 1, 1, 1)),
                                            (1, (2, 3, 1, 2, 3, 0, 2, 1)),
                                            (2, (2, 2, 1, 3, 2, 1, 0, 2)),
                                            (2, (3, 2, 1, (2, 3), (1, 2), (0, 1), (0, 1), 1))]:
        cls = getattr(torch.nn, f"ConvTranspose{nd}d")
        m = cls(ci, co * g, k, stride=s, padding=p, output_padding=op, dilation=d,
                groups=g).double()
        shape = (ci,) + tuple(rng.integers(3, 5, nd))
        r = check_layer(m, None, shape, batch=2, kind="transposed", stride=s, padding=p,
                        output_padding=op, dilation=d, groups=g)
        assert r.ok, r
        # The same module against another stride is caught.
        r = check_layer(m, None, shape, batch=2, kind="transposed", stride=s, padding=p,
                        output_padding=0, dilation=d, groups=g)
        assert not r.ok or not any(np.atleast_1d(op))


def test_transposed_float32_module_and_cache_api():
    m = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)         # float32
    assert check_layer(m, None, (2, 3, 4), batch=2, kind="transposed", stride=2,
                       padding=1).ok
    w, b = T_W, T_B

    def forward(x, w, b, conv_param):
        y = F.conv_transpose2d(_t(x), _t(w), _t(b), stride=conv_param["stride"],
                               padding=conv_param["pad"])
        return y.numpy(), (x, w, b, conv_param)

    def backward(dout, cache):
        x, w, b, cp = cache
        xt, wt, bt = (_t(a).requires_grad_(True) for a in (x, w, b))
        F.conv_transpose2d(xt, wt, bt, stride=cp["stride"], padding=cp["pad"]).backward(
            _t(dout))
        return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()
    r = check_layer(forward, w, (2, 3, 4), backward=backward, bias=b, api="cache",
                    kind="transposed", stride=2, padding=1)
    assert r.ok, r


def test_transposed_layouts_same_padding_and_jax():
    """TensorFlow's layout and 'SAME' padding: x NHWC, filter (kh, kw, C_out, C_in)."""
    w = T_W                                        # (C_in, C_out, kh, kw)
    s = 2

    def tf_same(x_nhwc, f_hwoi):
        x = _t(np.transpose(x_nhwc, (0, 3, 1, 2)))
        ww = _t(np.transpose(f_hwoi, (3, 2, 0, 1)))
        full = F.conv_transpose2d(x, ww, stride=s).numpy()       # (H - 1) * s + k
        h, wd = x.shape[2] * s, x.shape[3] * s
        # TensorFlow: total padding max((n - 1) * s + k - out, 0), the smaller half first.
        th, tw = max(full.shape[2] - h, 0), max(full.shape[3] - wd, 0)
        y = full[:, :, th // 2:th // 2 + h, tw // 2:tw // 2 + wd]
        return np.transpose(y, (0, 2, 3, 1))
    kw = dict(kind="transposed", stride=s, padding="SAME", batch=2, data_format="NHWC",
              weight_format="HWIO")
    w_tf = np.transpose(w, (2, 3, 1, 0))
    assert check_layer(tf_same, w_tf, (3, 4, 2), **kw).ok
    r = check_layer(tf_same, w_tf, (3, 4, 2), **{**kw, "padding": "VALID"})
    assert not r.ok and "padding misapplied" in r["forward"].diagnosis

    jax = pytest.importorskip("jax")

    def jax_layer(x, weight):
        y = jax.lax.conv_transpose(x, weight, (s, s), "SAME",
                                   dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                   transpose_kernel=True)
        return np.asarray(y)
    assert check_layer(jax_layer, w, (2, 3, 4), batch=1, kind="transposed", stride=s,
                       padding="SAME").ok


def test_transposed_refuses_bad_options():
    with pytest.raises(TypeError, match="kind='transposed'"):
        check_layer(lambda x: x, T_W, (2, 3, 4), kind="transposed", padding_mode="zeros")
    with pytest.raises(ValueError, match="input channels"):
        check_layer(lambda x: x, T_W, (3, 3, 4), kind="transposed")


# ---------------------------------------------------------------- lp_pool
def _lp_numpy(x, p, k, s, bug=None):
    n, c, w = x.shape
    out = (w - k) // s + 1
    y = np.zeros((n, c, out))
    for o in range(out):
        win = x[:, :, o * s:o * s + k]
        q = 2.0 if bug == "p_ignored" else p
        total = np.sum(win ** q, axis=-1)
        y[:, :, o] = total if bug == "no_root" else total ** (1.0 / q)
    return y


def _lp_numpy_grad(x, g, p, k, s):
    y = _lp_numpy(x, p, k, s)
    gx = np.zeros_like(x)
    for o in range(y.shape[-1]):
        win = x[:, :, o * s:o * s + k]
        gx[:, :, o * s:o * s + k] += (g[:, :, o] * y[:, :, o] ** (1 - p))[..., None] \
            * win ** (p - 1)
    return gx


@pytest.mark.parametrize("batch", [1, 2])
def test_lp_pool_numpy_and_torch(batch):
    p, k, s = 3.0, 3, 2
    kw = dict(kind="lp_pool", norm_type=p, kernel_size=k, stride=s, batch=batch)
    assert check_layer(lambda x: _lp_numpy(x, p, k, s), None, (2, 9),
                       backward=lambda x, g: _lp_numpy_grad(x, g, p, k, s), **kw).ok
    for bug, text in (("p_ignored", "norm_type ignored"), ("no_root", "root missing")):
        r = check_layer(lambda x, bug=bug: _lp_numpy(x, p, k, s, bug), None, (2, 9), **kw)
        assert not r.ok and text in r["forward"].diagnosis, r
    # Differential: torch's lp_pool (ceil_mode windows included) and its autograd.
    for nd, shape, opts in ((1, (2, 8), dict(norm_type=2, kernel_size=3, ceil_mode=True)),
                            (2, (1, 5, 6), dict(norm_type=1.5, kernel_size=2, stride=(2, 1)))):
        fn = getattr(F, f"lp_pool{nd}d")

        def fwd(x, fn=fn, opts=opts):
            return fn(_t(x), opts["norm_type"], opts["kernel_size"], opts.get("stride"),
                      opts.get("ceil_mode", False)).numpy()

        def bwd(x, g, fn=fn, opts=opts):
            xt = _t(x).requires_grad_(True)
            fn(xt, opts["norm_type"], opts["kernel_size"], opts.get("stride"),
               opts.get("ceil_mode", False)).backward(_t(g))
            return xt.grad.numpy()
        assert check_layer(fwd, None, shape, backward=bwd, batch=batch, kind="lp_pool",
                           **opts).ok


# ---------------------------------------------------------------- local and tiled
def _local_layer(w, b, bug=None):
    """Locally connected / tiled 2-D layer, numpy loops; w (T0, T1, C_out, C_in, kh, kw)."""
    t0, t1, co, _ci, kh, kw = w.shape

    def fwd(x):
        n, _, H, W = x.shape
        oh, ow = H - kh + 1, W - kw + 1
        y = np.zeros((n, co, oh, ow))
        for i in range(oh):
            for j in range(ow):
                ti, tj = {"tied": (0, 0), "transposed": (j % t0, i % t1),
                          "period": (i % max(t0 - 1, 1), j % t1)}.get(bug, (i % t0, j % t1))
                y[:, :, i, j] = np.einsum("ncab,ocab->no", x[:, :, i:i + kh, j:j + kw],
                                          w[ti, tj])
        return y + b[None, :, None, None]

    def bwd(x, g):
        gx, gw = np.zeros_like(x), np.zeros_like(w)
        for i in range(g.shape[2]):
            for j in range(g.shape[3]):
                ti, tj = i % t0, j % t1
                gx[:, :, i:i + kh, j:j + kw] += np.einsum("no,ocab->ncab", g[:, :, i, j],
                                                          w[ti, tj])
                c = np.einsum("no,ncab->ocab", g[:, :, i, j], x[:, :, i:i + kh, j:j + kw])
                if bug == "overwrite":
                    gw[ti, tj] = c
                else:
                    gw[ti, tj] += c
        return gx, gw, g.sum(axis=(0, 2, 3))
    return fwd, bwd


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("kind, tiles", [("local", (3, 4)), ("tiled", (3, 2))])
def test_local_and_tiled_numpy_loops(kind, tiles, batch):
    w = RNG.standard_normal((*tiles, 2, 2, 2, 2))
    b = RNG.standard_normal(2)
    kw = dict(kind=kind, bias=b, batch=batch)
    fwd, bwd = _local_layer(w, b)
    assert check_layer(fwd, w, (2, 4, 5), backward=bwd, **kw).ok
    bugs = {"tied": "weights tied", "transposed": "transposed" if kind == "local"
            else "tile periods swapped"}
    if kind == "tiled":
        bugs["period"] = "tile period wrong along axis 0"
    for bug, text in bugs.items():
        fwd, bwd = _local_layer(w, b, bug)
        r = check_layer(fwd, w, (2, 4, 5), backward=bwd, **kw)
        assert not r.ok and text in (r["forward"].diagnosis or ""), (bug, r)
    if kind == "tiled":
        fwd, bwd = _local_layer(w, b, "overwrite")
        r = check_layer(fwd, w, (2, 4, 5), backward=bwd, **kw)
        assert r["forward"].ok and not r["weight_grad"].ok
        assert "last output position" in r["weight_grad"].diagnosis


class _TorchLocal(torch.nn.Module):
    """A locally connected layer as a torch module: unfold, then one kernel per position."""

    def __init__(self, w: np.ndarray, stride: int) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(_t(w))
        self.stride = stride

    def forward(self, x):
        oh, ow, co, ci, kh, kw = self.weight.shape
        cols = F.unfold(x, (kh, kw), stride=self.stride)              # (N, ci*kh*kw, L)
        wl = self.weight.reshape(oh * ow, co, ci * kh * kw)
        return torch.einsum("nkl,lok->nol", cols, wl).reshape(x.shape[0], co, oh, ow)


def test_local_torch_module_and_shared_gradient_bug():
    w = RNG.standard_normal((2, 3, 2, 2, 2, 2))
    m = _TorchLocal(w, 2)
    assert check_layer(m, None, (2, 5, 6), batch=2, kind="local", stride=2).ok

    def shared_grad(x, g):               # the gradient of a convolution, given to every kernel
        gx = None
        t = _t(x).requires_grad_(True)
        mm = _TorchLocal(w, 2)
        mm(t).backward(_t(g))
        gw = mm.weight.grad.numpy()
        gx = t.grad.numpy()
        return gx, np.broadcast_to(gw.sum(axis=(0, 1)), w.shape).copy()
    r = check_layer(lambda x: m(_t(x)).detach().numpy(), w, (2, 5, 6), backward=shared_grad,
                    batch=2, kind="local", stride=2)
    assert r["input_grad"].ok and "as if the weight were shared" in r["weight_grad"].diagnosis


def test_local_refuses_bad_weights():
    with pytest.raises(ValueError, match="as many leading axes"):
        check_layer(lambda x: x, np.zeros((2, 1, 1, 3, 3)), (1, 4, 4), kind="local")
    with pytest.raises(ValueError, match="output shape"):
        check_layer(lambda x: x, np.zeros((3, 3, 1, 1, 2, 2)), (1, 5, 5), kind="local")
    with pytest.raises(ValueError, match="weight_format"):
        check_layer(lambda x: x, np.zeros((2, 1, 1, 3)), (1, 4), kind="tiled",
                    weight_format="OIW")


# ---------------------------------------------------------------- data_matrix
def _im2col_loops(kh, kw, s, p, bug=None):
    def im2col(x):                       # x (N, C, H, W) -> (N, C*kh*kw, L), like F.unfold
        n, c = x.shape[:2]
        xp = x if bug == "no_padding" else np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        st = 1 if bug == "no_stride" else s
        oh, ow = (xp.shape[2] - kh) // st + 1, (xp.shape[3] - kw) // st + 1
        cols = np.zeros((n, c * kh * kw, oh * ow))
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, :, i * st:i * st + kh, j * st:j * st + kw]
                if bug == "channels_last":
                    patch = patch.transpose(0, 2, 3, 1)
                col = j * oh + i if bug == "column_major" else i * ow + j
                cols[:, :, col] = patch.reshape(n, -1)
        return cols

    def col2im(x, cols):
        n, c, h, w = x.shape
        xp = np.zeros((n, c, h + 2 * p, w + 2 * p))
        oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        for i in range(oh):
            for j in range(ow):
                v = cols[:, :, i * ow + j].reshape(n, c, kh, kw)
                if bug == "overwrite":
                    xp[:, :, i * s:i * s + kh, j * s:j * s + kw] = v
                else:
                    xp[:, :, i * s:i * s + kh, j * s:j * s + kw] += v
        return xp[:, :, p:p + h, p:p + w]
    return im2col, col2im


@pytest.mark.parametrize("batch", [1, 2])
def test_data_matrix_numpy_loops(batch):
    kw = dict(kind="data_matrix", kernel_size=(3, 2), stride=2, padding=1, batch=batch)
    f, b = _im2col_loops(3, 2, 2, 1)
    assert check_layer(f, None, (2, 6, 5), backward=b, **kw).ok
    for bug, text in (("no_padding", "padding missing"), ("no_stride", "stride ignored"),
                      ("channels_last", "column order transposed"),
                      ("column_major", "patch order transposed")):
        f, b = _im2col_loops(3, 2, 2, 1, bug)
        r = check_layer(f, None, (2, 6, 5), backward=b, **kw)
        assert not r.ok and text in (r["forward"].diagnosis or ""), (bug, r)
    f, b = _im2col_loops(3, 2, 2, 1, "overwrite")
    r = check_layer(f, None, (2, 6, 5), backward=b, **kw)
    assert r["forward"].ok and "overwritten instead of accumulated" in \
        r["input_grad"].diagnosis


def _cs231n_style(kh, kw, s, p, assign=False):
    """Fancy-index im2col, (C*k, L*N) with the image fastest, and its col2im."""
    def indices(shape):
        _n, c, h, w = shape
        oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        i = (np.tile(np.repeat(np.arange(kh), kw), c)[:, None]
             + s * np.repeat(np.arange(oh), ow)[None, :])
        j = (np.tile(np.arange(kw), kh * c)[:, None] + s * np.tile(np.arange(ow), oh)[None, :])
        k = np.repeat(np.arange(c), kh * kw)[:, None]
        return k, i, j

    def im2col(x):
        k, i, j = indices(x.shape)
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        cols = xp[:, k, i, j]                               # (N, C*k, L)
        return cols.transpose(1, 2, 0).reshape(k.shape[0], -1)

    def col2im(x, cols):
        n, c, h, w = x.shape
        k, i, j = indices(x.shape)
        xp = np.zeros((n, c, h + 2 * p, w + 2 * p))
        cr = cols.reshape(k.shape[0], -1, n).transpose(2, 0, 1)
        if assign:
            xp[:, k, i, j] = cr                              # duplicates: the last one wins
        else:
            np.add.at(xp, (slice(None), k, i, j), cr)
        return xp[:, :, p:p + h, p:p + w]
    return im2col, col2im


def test_data_matrix_cs231n_style_and_torch():
    kw = dict(kind="data_matrix", kernel_size=3, stride=1, padding=1, batch=2)
    f, b = _cs231n_style(3, 3, 1, 1)
    r = check_layer(f, None, (2, 4, 5), backward=b, **kw)
    assert r.ok and "CS231n" in r["forward"].message
    f, b = _cs231n_style(3, 3, 1, 1, assign=True)
    r = check_layer(f, None, (2, 4, 5), backward=b, **kw)
    assert "overwritten instead of accumulated" in r["input_grad"].diagnosis
    # Differential: torch's unfold (dilation too), its fold as col2im, and nn.Unfold.
    opts = dict(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=(2, 1))

    def unfold(x):
        return F.unfold(_t(x), **opts).numpy()

    def fold(x, cols):
        return F.fold(_t(cols), x.shape[2:], **opts).numpy()
    assert check_layer(unfold, None, (2, 5, 6), backward=fold, batch=2, kind="data_matrix",
                       **opts).ok
    m = torch.nn.Unfold(**opts).double()
    assert check_layer(m, None, (2, 5, 6), kind="data_matrix", **opts).ok
    r = check_layer(m, None, (2, 5, 6), kind="data_matrix", **{**opts, "dilation": 1})
    assert not r.ok


def test_weightless_kinds_refuse_a_weight():
    with pytest.raises(TypeError, match="weight=None"):
        check_layer(lambda x: x, np.ones((1, 1, 3)), (1, 5), kind="data_matrix",
                    kernel_size=3)
    with pytest.raises(TypeError, match="norm_type"):
        check_layer(lambda x: x, None, (1, 5), kind="lp_pool", kernel_size=3)


def test_transposed_matrix_free_reference_against_torch_autograd():
    """The large-layer reference (the adjoint of the forward correlation) is torch's layer."""
    from toeplitz_conv.check._transposed_kind import transposed_reference
    rng = np.random.default_rng(5)
    checked = 0
    while checked < 12:
        nd, g = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        cin, cout = int(rng.integers(1, 3)) * g, int(rng.integers(1, 3))
        k, s, d = (tuple(int(v) for v in rng.integers(lo, hi, nd))
                   for lo, hi in ((1, 4), (1, 4), (1, 3)))
        p = tuple(int(v) for v in rng.integers(0, 2, nd))
        op = tuple(int(rng.integers(0, max(si, di))) for si, di in zip(s, d))
        sp = tuple(int(v) for v in rng.integers(2, 6, nd))
        w = rng.standard_normal((cin, cout, *k))
        kw = dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g)
        fn = getattr(F, f"conv_transpose{nd}d")
        x = rng.standard_normal((2, cin, *sp))
        xt, wt = _t(x).requires_grad_(True), _t(w).requires_grad_(True)
        try:
            y = fn(xt, wt, **kw)
        except RuntimeError:                      # a configuration torch refuses
            continue
        gg = rng.standard_normal(tuple(y.shape))
        y.backward(_t(gg))
        ref = transposed_reference(w, (cin, *sp), "matrix-free", kw)
        np.testing.assert_allclose(ref.apply(x), y.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(ref.T.apply(gg), xt.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(ref.weight_grad(x, gg), wt.grad.numpy(), atol=1e-10)
        checked += 1

"""The explorer's lesson data (issue 26), no browser: gradients, products, window weights, frames.

References are independent of the package: scipy.signal for the signal
convention (a convolution is linear in the kernel and in the input, so each
gradient entry is a scipy convolution with a unit vector), torch autograd for
layers, and the definitions (a convolution multiplies tap ``t`` by the
mirrored weight, a correlation by the weight itself).
"""

import itertools

import numpy as np
import pytest
import scipy.signal as ss

from toeplitz_conv import explore
from toeplitz_conv.explorer import Explorer, _variants

from ._circular import circular_reference
from ._cli import run_cli
from .conftest import requires_torch


def _sum_value(text):
    """'1·2 + 2·(-3) = -4' -> (sum of the products, the factor pairs, -4.0)."""
    lhs, rhs = text.rsplit(" = ", 1)
    terms = [] if lhs == "0" else lhs.split(" + ")
    pairs = [tuple(float(f.strip("()")) for f in t.split("·")) for t in terms]
    return sum(a * b for a, b in pairs), pairs, float(rhs)


def _signal_out(x, k, p):
    """scipy's output of a signal variant (the DFT's if circular), flat, strided."""
    kk = np.flip(k) if p["correlate"] else k
    if p["mode"] == "circular":
        y = circular_reference(x, k, p["correlate"])
    elif p["boundary"] == "fill":
        y = ss.convolve(x, kk, p["mode"])
    else:
        x2, k2 = (x[None], kk[None]) if x.ndim == 1 else (x, kk)
        y = ss.convolve2d(x2, k2, p["mode"], boundary=p["boundary"])
        y = y[0] if x.ndim == 1 else y
    return y[tuple(slice(None, None, s) for s in p["stride"])].ravel()


def test_worked_example_gradient_of_w1_is_four_products():
    x, w = [1, 2, 3, 4], [5, 6, 7]
    g = np.array([1.0, 0, -1, 2, 0, 1])
    page = explore(w, 4, x=x, grad_out=g)
    gr = page.variants[page.initial]["grad"]
    # dL/dw_j = sum_c x[c] g[c + j] (y[r] = sum_j w_j x[r - j]): w1 meets x0..x3 at rows 1..4
    total, pairs, shown = _sum_value(gr["w_sums"][1])
    assert pairs == [(x[c], g[c + 1]) for c in range(4)]
    ref = [sum(x[c] * g[c + j] for c in range(4)) for j in range(3)]
    assert total == shown == ref[1] == 4
    assert [float(v) for v in gr["w"]] == ref
    assert gr["w_terms"] == [4, 4, 4] and gr["g"] == ["1", "0", "-1", "2", "0", "1"]
    assert not gr["random"]
    # dL/dx_c = sum_j w_j g[c + j]: the column sums
    for c in range(4):
        t, pairs, shown = _sum_value(gr["x_sums"][c])
        assert t == shown == sum(w[j] * g[c + j] for j in range(3)) == float(gr["x"][c])


@pytest.mark.parametrize("kernel,shape,boundary", [
    ([3, -1, 2, 5], 7, "wrap"), ([[1, 2], [3, -4]], (3, 4), "symm"), ([2, 7, 1], 1, "fill"),
])
def test_signal_gradients_match_scipy_in_every_variant(kernel, shape, boundary, rng):
    k = np.array(kernel, float)
    x = rng.integers(-4, 5, size=shape).astype(float)
    page = explore(k, shape, "same", boundary=boundary, stride=2, x=x)
    for key, v in page.variants.items():
        p, gr = v["params"], v["grad"]
        g = np.array([float(t) for t in gr["g"]])
        assert len(g) == v["m"] and gr["random"] and np.all(g != 0), key
        for j in range(k.size):
            e = np.zeros(k.size)
            e[j] = 1
            ref = g @ _signal_out(x, e.reshape(k.shape), p)       # linear in the kernel
            total, pairs, shown = _sum_value(gr["w_sums"][j])
            assert total == pytest.approx(ref) and shown == pytest.approx(ref), (key, j)
            assert float(gr["w"][j]) == pytest.approx(ref)
            assert len(pairs) == gr["w_terms"][j] == sum(1 for t in v["taps"] if t[2] == j)
        for c in rng.choice(x.size, size=min(3, x.size), replace=False).tolist():
            e = np.zeros(x.size)
            e[c] = 1
            ref = g @ _signal_out(e.reshape(x.shape), k, p)       # linear in the input
            total, _, shown = _sum_value(gr["x_sums"][c])
            assert total == pytest.approx(ref) and float(gr["x"][c]) == pytest.approx(ref)
        # each window's products add up to its output
        y = _signal_out(x, k, p)
        for r, row in enumerate(v["numbers"]["prods"]):
            assert sum(float(t) for t in row) == pytest.approx(y[r]), (key, r)


@requires_torch
def test_layer_gradients_match_torch_autograd(rng):
    import torch
    import torch.nn.functional as F

    w = rng.integers(-3, 4, size=(2, 2, 2, 3)).astype(float)
    x = rng.integers(-3, 4, size=(2, 4, 5)).astype(float)
    page = explore(w, (2, 4, 5), padding=1, padding_mode="circular", x=x)
    v = page.variants[page.initial]
    g = np.array([float(t) for t in v["grad"]["g"]])
    wt = torch.tensor(w, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y = F.conv2d(F.pad(xt[None], (1, 1, 1, 1), mode="circular"), wt)[0]
    (y.reshape(-1) @ torch.tensor(g)).backward()
    shown = [_sum_value(s) for s in v["grad"]["w_sums"]]
    assert [t for t, _, _ in shown] == pytest.approx(wt.grad.numpy().ravel().tolist())
    assert [float(t) for t in v["grad"]["w"]] == pytest.approx(wt.grad.numpy().ravel().tolist())
    assert [float(t) for t in v["grad"]["x"]] == pytest.approx(xt.grad.numpy().ravel().tolist())


def test_grad_out_is_used_where_it_fits_and_checked():
    g = [1, -2, 3, 0, 2, 1]
    page = explore([5, 6, 7], 4, grad_out=np.array(g).reshape(2, 3))
    v = page.variants[page.initial]
    assert v["grad"]["g"] == [str(t) for t in g] and not v["grad"]["random"]
    # without x the inputs are named and no total is claimed
    assert v["grad"]["w"] is None and v["grad"]["w_sums"][0].startswith("x0·1 + x1·(-2)")
    # another number of rows: random there, and the page says so
    other = page.variants["valid|conv|1|fill"]["grad"]
    assert other["random"] and len(other["g"]) == 2
    with pytest.raises(ValueError, match=r"grad_out.*6 rows"):
        explore([5, 6, 7], 4, grad_out=[1, 2])
    with pytest.raises(TypeError, match="grad_out"):
        explore([5, 6, 7], 4, grad_out=[1j] * 6)
    with pytest.raises(TypeError, match="play"):
        explore([5, 6, 7], 4, play=1)
    assert explore([5, 6, 7], 4, play=True, gradient=True).data["start"] == {
        "play": True, "gradient": True}


@pytest.mark.parametrize("kwargs", [
    {"kernel": [1, 2, 3], "input_shape": 1, "boundary": "wrap"},
    {"kernel": [1, -2, 3, 4], "input_shape": 3, "boundary": "symm", "stride": 2},
    {"kernel": np.arange(1, 10).reshape(3, 3), "input_shape": (2, 2), "boundary": "wrap"},
    {"kernel": np.arange(1, 7).reshape(2, 1, 3), "input_shape": (1, 2),
     "padding": 2, "padding_mode": "circular"},
    {"kernel": np.arange(1, 13).reshape(1, 2, 2, 3), "input_shape": (2, 3, 3),
     "padding": 1, "padding_mode": "reflect", "dilation": 2},
])
def test_window_weights_follow_the_definition(kwargs):
    """Each window position's weight (read from the matrix's taps) is the definition's.

    A convolution multiplies tap t by the weight mirrored in every axis (in C
    order the flat index read backwards), a correlation by the weight itself,
    a layer's (out, in-of-group) pair by its own block of the weight; the
    zeros of the padding included, small inputs whose taps all wrap included.
    """
    page = explore(**kwargs)
    k = np.asarray(kwargs["kernel"])
    layer = k.ndim >= 3
    for key, v in page.variants.items():
        nd = v["nd"]
        win = np.array(v["win"])
        n_k = int(np.prod(k.shape[2:] if layer else k.shape))
        c_ig = k.shape[1] if layer else 1
        t = np.arange(n_k)
        if layer:
            o = np.arange(v["m"]) // (v["m"] // k.shape[0])
            want = (o[:, None, None] * c_ig * n_k + np.arange(c_ig)[None, :, None] * n_k
                    + t[None, None, :]).reshape(v["m"], -1)
        else:
            per = t[::-1] if not v["params"]["correlate"] else t
            want = np.broadcast_to(per, (v["m"], n_k))
        assert np.array_equal(win[..., 2 + nd], want), key


def test_windows_that_disagree_with_the_taps_are_refused(monkeypatch):
    """The check can fail: a window map one weight off is caught before the page is drawn."""
    real = _variants.window_weights
    monkeypatch.setattr(_variants, "window_weights",
                        lambda *a: np.roll(real(*a), 1, axis=-1))
    with pytest.raises(RuntimeError, match="disagree with the matrix's taps"):
        explore([5, 6, 7], 4)


def test_window_frames_enclose_exactly_the_window():
    """Each row's outline (pixels) is the box around its window's drawn cells, 3 px out."""
    for page in (explore(np.ones((2, 3)), (4, 5), stride=2),
                 explore(np.ones((2, 2, 2, 2)), (2, 4, 4), padding=1, dilation=2)):
        for v in page.variants.values():
            nd = v["nd"]
            for lay in (v["natural"], v["narrow"]["natural"]):
                at = {(g[0], *g[1:1 + nd]): p for g, p in zip(v["grid"], lay["grid"])}
                c = lay["cell"]
                for r, entries in enumerate(v["win"]):
                    boxes = {}
                    for e in entries:
                        boxes.setdefault(e[0], []).append(at[(e[0], *e[1:1 + nd])])
                    want = sorted([min(x for x, _ in ps) - 3, min(y for _, y in ps) - 3,
                                   max(x for x, _ in ps) + c + 3, max(y for _, y in ps) + c + 3]
                                  for ps in boxes.values())
                    got = sorted([x, y, x + w, y + h] for x, y, w, h in lay["frames"][r])
                    assert np.allclose(got, want, atol=0.11), (v["title"], r)


def test_explorer_data_with_markup_stays_data():
    """Strings that look like markup are embedded as JSON text (the browser test renders them)."""
    page = explore([5, 6, 7], 4)
    data = page.data
    data["weights"]["colors"][0] = '#fff"/><!--<script>window.__xss=1</script>'
    html = Explorer(data).html
    payload = html[html.index('id="tcx-data">') + 14:html.index("</script>")]
    assert "<" not in payload and "\\u003cscript>window.__xss" in payload
    assert html.count("<script") == 2


def test_cli_grad_out_and_play(tmp_path):
    out = tmp_path / "p.html"
    r = run_cli("explore", "--kernel", "5,6,7", "--n", "4", "--x", "1,2,3,4",
                "--grad-out", "1,0,-1,2,0,1", "--play", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == explore(
        [5, 6, 7], 4, x=[1, 2, 3, 4], grad_out=[1, 0, -1, 2, 0, 1], play=True,
        gradient=True).html
    r = run_cli("explore", "--kernel", "5,6,7", "--n", "3", "--transposed", "--stride", "2",
                "--output-padding", "1", "--out", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == explore(
        [5, 6, 7], 3, transposed=True, stride=2, output_padding=1).html
    bad = tmp_path / "bad.html"
    r = run_cli("explore", "--kernel", "5,6,7", "--n", "4", "--grad-out", "1,2",
                "--out", str(bad))
    assert r.returncode == 2 and "--grad-out" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not bad.exists()


@requires_torch
@pytest.mark.parametrize("weight_shape,shape,kw", [
    ((2, 3, 3), (2, 4), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 1, 3, 2), (1, 3, 3), {"stride": 2, "padding": 1, "dilation": 2}),
    ((2, 1, 2, 2), (2, 3, 3), {"stride": (2, 1), "groups": 2}),
])
def test_transposed_layers_are_conv_transpose_on_the_zero_inserted_input(weight_shape, shape,
                                                                          kw, rng):
    """Every variant: the matrix is torch's conv_transpose, and the drawn grid is the input
    with stride - 1 zeros between samples and d(k-1) - p around, read by stride-1 windows."""
    import torch
    import torch.nn.functional as F

    w = rng.integers(-3, 4, size=weight_shape).astype(float)
    x = rng.integers(-3, 4, size=shape).astype(float)
    page = explore(w, shape, transposed=True, x=x, **kw)
    assert len(page.variants) >= 4
    nd = len(shape) - 1
    conv_t = (F.conv_transpose1d, F.conv_transpose2d)[nd - 1]
    for key, v in page.variants.items():
        p = v["params"]
        assert p["transposed"] and v["transposed"]
        pad = [b for b, _ in p["padding"]]
        ref = conv_t(torch.tensor(x)[None], torch.tensor(w), stride=p["stride"], padding=pad,
                     output_padding=p["output_padding"], dilation=p["dilation"],
                     groups=p["groups"])[0].numpy().ravel()
        assert [float(t) for t in v["numbers"]["y"]] == pytest.approx(ref.tolist()), key
        # the inputs sit at i*s + d(k-1) - p on the grid, every other cell a zero
        k = weight_shape[2:]
        cells = [g for g in v["grid"] if g[0] == 0]
        inside = {tuple(g[1:1 + nd]) for g in cells if g[2 + nd]}
        axes = [(np.arange(n) * s + d * (kk - 1) - pb).tolist() for n, s, d, kk, pb in
                zip(shape[1:], p["stride"], p["dilation"], k, pad)]
        assert inside == set(itertools.product(*axes)), key
        # each window (stride 1 over the grid) adds up to its output
        win = np.array(v["win"])
        read = np.where(win[..., 1 + nd] >= 0, x.ravel()[np.maximum(win[..., 1 + nd], 0)], 0)
        assert (read * w.ravel()[win[..., 2 + nd]]).sum(axis=1) == pytest.approx(ref), key
        # ... a stride-1 window: the next output's window is one cell further
        first = win[:, 0, 1:1 + nd]
        assert np.all(first[1, -1] - first[0, -1] == 1), key


def test_transposed_arguments_are_checked():
    with pytest.raises(ValueError, match="transposed"):
        explore([1, 2, 3], 4, "same", transposed=True)
    with pytest.raises(ValueError, match="transposed"):
        explore([1, 2, 3], 4, transposed=True, padding_mode="reflect")
    with pytest.raises(TypeError, match="transposed"):
        explore([1, 2, 3], 4, transposed=1)


def test_a_wrong_zero_inserted_grid_is_refused(monkeypatch):
    """The check can fail: inputs one cell off on the grid disagree with the matrix's taps."""
    from toeplitz_conv.explorer import _transposed

    real = _transposed.zero_inserted

    def shifted(*a, **kw):
        geom, view = real(*a, **kw)
        return geom, view._replace(z_input=np.roll(view.z_input, 1))
    monkeypatch.setattr(_transposed, "zero_inserted", shifted)
    with pytest.raises(RuntimeError, match="disagree with the matrix's taps"):
        explore([1, 2, 3], 3, transposed=True, stride=2)

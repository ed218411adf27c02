"""Max pooling at ties: the check names the tied windows and accepts any valid split there."""

from __future__ import annotations

import numpy as np
import pytest

from toeplitz_conv.check import check_layer

SHAPE = (1, 4, 6)          # 2 x 2 windows, stride 2: 2 x 3 outputs, windows do not overlap


def pool_forward(x):
    c, h, w = x.shape
    return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def pool_backward(x, g, route="first"):
    """The CS231n naive backward: each window's gradient goes to one (or every) maximum."""
    dx = np.zeros_like(x)
    for c in range(x.shape[0]):
        for i in range(x.shape[1] // 2):
            for j in range(x.shape[2] // 2):
                win = x[c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                flat = win.ravel()
                top = np.flatnonzero(flat == flat.max())
                if route == "mask":               # dx += (win == max) * dout
                    pick = top
                else:
                    pick = {"first": top[:1], "last": top[-1:], "min": [np.argmin(flat)],
                            "half": top[:2]}[route]
                for p in pick:
                    share = 1.0 / len(pick) if route == "half" else 1.0
                    dx[c, 2 * i + p // 2, 2 * j + p % 2] += share * g[c, i, j]
    return dx


TIED = np.array([[[1.0, 1.0, 0.0, 2.0, 5.0, 1.0],
                  [0.0, -1.0, 2.0, 0.0, 3.0, 5.0],
                  [4.0, 3.0, 7.0, 7.0, 0.0, 0.0],
                  [4.0, 4.0, 7.0, 7.0, 0.0, 1.0]]])


def _check(route, inputs=None):
    return check_layer(pool_forward, None, SHAPE, kind="max_pool", kernel_size=2,
                       backward=lambda x, g: pool_backward(x, g, route), inputs=inputs)


def test_default_inputs_have_no_ties_and_the_first_maximum_passes():
    r = _check("first")
    assert r.ok and "no tie decides" in r["input_grad"].message, str(r)


@pytest.mark.parametrize("route", ["first", "last", "half"])
def test_a_correct_layer_on_a_tied_input_gets_a_tie_note_not_a_failure(route):
    r = _check(route, inputs=[TIED])
    assert r.ok, str(r)
    msg = r["input_grad"].message
    # Windows (0, 0): 1 at (0, 0), (0, 1); (0, 1): 2 at (0, 1), (1, 0); (0, 2): 5 at
    # (0, 0), (1, 1); (1, 0): three 4s; (1, 1): four 7s; (1, 2) has one maximum.
    assert "ties in 5 windows of input 'your input #0'" in msg, msg
    assert "output (0, 0, 0) has equal maxima at window positions (0, 0), (0, 1)" in msg
    assert "(inputs (0, 0, 0), (0, 0, 1))" in msg
    assert "output (0, 0, 2) has equal maxima at window positions (0, 0), (1, 1)" in msg
    assert "and 2 more" in msg


def test_a_gradient_to_the_wrong_element_is_still_caught_with_ties_around():
    r = _check("min")
    assert not r["input_grad"].ok and "minimum" in (r["input_grad"].diagnosis or ""), str(r)
    r = _check("min", inputs=[TIED])
    assert not r["input_grad"].ok, str(r)


def test_the_full_gradient_to_every_tied_element_is_not_a_split():
    r = _check("mask", inputs=[TIED])
    assert not r["input_grad"].ok, str(r)
    assert "every tied element" in (r["input_grad"].diagnosis or ""), str(r)
    assert "your input #0" in r["input_grad"].message
    # On the default inputs (no ties) the same layer is right.
    assert _check("mask").ok


def test_batched_tied_inputs_and_bad_inputs():
    batch = np.stack([TIED, -TIED])
    r = check_layer(lambda x: np.stack([pool_forward(v) for v in x]), None, SHAPE,
                    kind="max_pool", kernel_size=2, batch=2, inputs=[batch],
                    backward=lambda x, g: np.stack([pool_backward(a, b, "last")
                                                    for a, b in zip(x, g)]))
    # -TIED has ties in 3 windows ((0, 1), (1, 1), (1, 2)): 5 + 3; indices carry the image.
    msg = r["input_grad"].message
    assert r.ok and "ties in 8 windows" in msg and "output (0, 0, 0, 0) has" in msg, str(r)
    with pytest.raises(ValueError, match=r"inputs\[0\] must have the layer's input shape"):
        _check("first", inputs=[np.zeros((4, 6))])
    with pytest.raises(ValueError, match="finite"):
        _check("first", inputs=[np.full(SHAPE, np.nan)])


def test_a_float16_layer_choosing_among_values_it_cannot_tell_apart_is_a_tie():
    # 1.0 and 1.0001 are one float16 value: the layer's first maximum (in float16) is the
    # window's first element, float64's is its second. That is a tie at the layer's precision.
    x = np.zeros(SHAPE)
    x[0, 0, :2] = [1.0, 1.0001]

    def fwd(v):
        return pool_forward(v.astype(np.float16))

    def bwd(v, g):
        return pool_backward(v.astype(np.float16), g.astype(np.float16), "first")
    r = check_layer(fwd, None, SHAPE, kind="max_pool", kernel_size=2, backward=bwd,
                    inputs=[x])
    assert r.ok, str(r)
    assert any("output (0, 0, 0) has equal maxima at window positions (0, 0), (0, 1)" in n
               for n in r.notes), r.notes


def _window(img, ch, o, k, stride, pad, dil):
    """The (tap, flat input) pairs and values of output ``o`` of channel ``ch``, by definition."""
    _, h, w = img.shape
    ow = (w + 2 * pad - dil * (k - 1) - 1) // stride + 1
    i, j = divmod(o, ow)
    taps, vals = [], []
    for a in range(k):
        for b in range(k):
            r, s = i * stride - pad + a * dil, j * stride - pad + b * dil
            if 0 <= r < h and 0 <= s < w:
                taps.append(((a, b), ch * h * w + r * w + s))
                vals.append(img[ch, r, s])
    return taps, vals


def _ties_by_definition(img, k, stride, pad, dil):
    """Tied windows of a 2-D max pool from torch's window definition, loop by loop."""
    c, h, w = img.shape
    oh = (h + 2 * pad - dil * (k - 1) - 1) // stride + 1
    ow = (w + 2 * pad - dil * (k - 1) - 1) // stride + 1
    out = []
    for ch in range(c):
        for o in range(oh * ow):
            taps, vals = _window(img, ch, o, k, stride, pad, dil)
            if vals:
                top = max(vals)
                tied = [t for t, v in zip(taps, vals) if v == top]
                if len(tied) > 1:
                    out.append(((ch, *divmod(o, ow)), tuple(t for t, _ in tied),
                                tuple(p for _, p in tied)))
    return out


def test_find_ties_equals_the_window_definition_on_many_tied_inputs():
    from toeplitz_conv.check._pool_kind import _Pool
    from toeplitz_conv.check._pool_ties import find_ties

    rng = np.random.default_rng(3)
    for _ in range(40):
        k, stride, dil = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pad = int(rng.integers(0, k // 2 + 1))
        shape = (int(rng.integers(1, 3)), int(rng.integers(dil * (k - 1) + 1, 8)),
                 int(rng.integers(dil * (k - 1) + 1, 8)))
        x = rng.integers(0, 3, (2, *shape)).astype(float)       # small integers: many ties
        opts = {"kernel_size": k, "stride": stride, "padding": pad, "dilation": dil}
        pool = _Pool("max_pool", shape, opts)
        pool.out(x)                        # the selection, whose window values ties reuse
        for found in (find_ties(x, shape, opts), pool.ties(x, 0.0)):
            for i in range(2):
                got = [(t.output, t.taps, t.inputs) for t in found if t.image == i]
                assert got == _ties_by_definition(x[i], k, stride, pad, dil), opts
        # S @ x, the selected inputs, against the window maxima by definition
        want = np.stack([[[max((v for (_, p), v in zip(*_window(x[i], ch, o, k, stride, pad,
                                                                  dil))), default=-np.inf)
                           for o in range(pool.out(x)[i, ch].size)]
                          for ch in range(shape[0])] for i in range(2)])
        np.testing.assert_array_equal(pool.out(x).reshape(want.shape), want)

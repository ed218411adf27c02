"""TensorFlow's and JAX's padding rules (issue 27, item 4): ``'SAME_LOWER'`` in the layer
builders and ``'SAME'``/``'VALID'``/``'SAME_LOWER'`` in the transposed layer, against JAX
and against TensorFlow's documented definition written out in numpy."""

import importlib.util
import itertools

import numpy as np
import pytest

import toeplitz_conv as tc

HAS_JAX = importlib.util.find_spec("jax") is not None
requires_jax = pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
SP = {1: "W", 2: "HW"}


def _tf_conv(x, w, stride, dilation, padding):
    """TensorFlow's conv (NWC/NHWC data, WIO/HWIO filter) from its documentation.

    'SAME': ``out = ceil(in / stride)``, ``pad_total = max((out - 1) * stride + extent - in, 0)``
    with ``extent = dilation * (k - 1) + 1``, ``pad_before = pad_total // 2`` (JAX's
    'SAME_LOWER': ``pad_total - pad_total // 2``); 'VALID': no padding,
    ``out = ceil((in - extent + 1) / stride)``; then
    ``y[o, co] = sum_{t, ci} xpad[o * stride + t * dilation, ci] * w[t, ci, co]``.
    """
    nd = x.ndim - 1
    pads, outs = [], []
    for n, k, s, d in zip(x.shape[:nd], w.shape[:nd], stride, dilation):
        ext = d * (k - 1) + 1
        if padding == "VALID":
            outs.append(-(-(n - ext + 1) // s))
            pads.append((0, 0))
            continue
        out = -(-n // s)
        total = max((out - 1) * s + ext - n, 0)
        lo = total // 2 if padding == "SAME" else total - total // 2
        outs.append(out)
        pads.append((lo, total - lo))
    xp = np.pad(x, pads + [(0, 0)])
    y = np.zeros((*outs, w.shape[-1]))
    for o in itertools.product(*(range(v) for v in outs)):
        for t in itertools.product(*(range(v) for v in w.shape[:nd])):
            p = tuple(oo * s + tt * d for oo, tt, s, d in zip(o, t, stride, dilation))
            y[o] += xp[p] @ w[t]
    return y


def _tf_conv_transpose(x, w, out_spatial, stride, dilation, padding):
    """``tf.nn.conv2d_transpose``: the gradient of the conv above with respect to its input
    (of shape ``out_spatial``), as its documentation defines it -- the dense Jacobian of
    the reference, transposed, applied to ``x``."""
    c = w.shape[-2]
    size = int(np.prod(out_spatial)) * c
    cols = [_tf_conv(e.reshape(*out_spatial, c), w, stride, dilation, padding).ravel()
            for e in np.eye(size)]
    return (np.array(cols) @ x.ravel()).reshape(*out_spatial, c)


def _random(rng, nd):
    n = tuple(int(v) for v in rng.integers(1, 6, nd))
    k = tuple(int(v) for v in rng.integers(1, 5, nd))
    s = tuple(int(v) for v in rng.integers(1, 4, nd))
    d = tuple(int(v) for v in rng.integers(1, 3, nd))
    return n, k, s, d


def test_transposed_framework_padding_matches_tensorflows_definition(rng):
    for _ in range(25):
        nd = int(rng.integers(1, 3))
        n, k, s, d = _random(rng, nd)
        padding = str(rng.choice(["SAME", "VALID", "SAME_LOWER"]))
        x = rng.standard_normal((*n, 2))
        w = rng.standard_normal((*k, 3, 2))           # TF's (k, C_out, C_in) of the transpose
        extent = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d))
        lo = tuple((nn - 1) * ss + (e if padding == "VALID" else 1)
                   for nn, ss, e in zip(n, s, extent))
        out = tuple(int(rng.integers(v, v + ss)) for v, ss in zip(lo, s))   # output_shape
        fmt = dict(data_format=SP[nd] + "C", weight_format=SP[nd] + "IO")
        T = tc.transposed_layer_matrix(w, x.shape, stride=s, dilation=d, padding=padding,
                                       output_size=out, **fmt)
        want = _tf_conv_transpose(x, w, out, s, d, padding)
        assert T.out_shape == want.shape
        np.testing.assert_allclose(T @ x.ravel(), want.ravel(), atol=1e-12)
        # exactly the transpose of the forward convolution with the same padding
        F = tc.layer_matrix(w, (*out, 3), stride=s, dilation=d, padding=padding, **fmt)
        np.testing.assert_array_equal(T.toarray(), F.toarray().T)
        # and the forward convolution itself is TensorFlow's
        np.testing.assert_allclose(F @ want.ravel(), _tf_conv(want, w, s, d, padding).ravel(),
                                   atol=1e-12)


def test_default_output_sizes_are_tensorflows():
    w = np.ones((1, 1, 3))
    assert tc.transposed_layer_matrix(w, (1, 5), stride=2, padding="SAME").out_shape == (1, 10)
    # Keras' VALID rule: input * stride + max(extent - stride, 0)
    assert tc.transposed_layer_matrix(w, (1, 5), stride=2, padding="VALID").out_shape == (1, 11)
    assert tc.transposed_layer_matrix(w, (1, 5), stride=4, padding="VALID").out_shape == (1, 20)


@requires_jax
def test_same_lower_and_transposes_match_jax(rng):
    import jax

    jax.config.update("jax_enable_x64", True)
    try:
        # Each new shape costs JAX a compilation: few configurations, 1-D and 2-D.
        for _ in range(5):
            nd = int(rng.integers(1, 3))
            n, k, s, d = _random(rng, nd)
            sp = SP[nd]
            dn = ("N" + sp + "C", sp + "IO", "N" + sp + "C")
            fmt = dict(data_format=dn[0], weight_format=dn[1])
            x = rng.standard_normal((1, *n, 2))
            w = rng.standard_normal((*k, 2, 3))
            for padding in ("SAME", "SAME_LOWER", "VALID"):
                if padding == "VALID" and any(nn < dd * (kk - 1) + 1
                                              for nn, kk, dd in zip(n, k, d)):
                    continue
                y = np.asarray(jax.lax.conv_general_dilated(
                    x, w, s, padding, rhs_dilation=d, dimension_numbers=dn))
                A = tc.layer_matrix(w, x.shape, stride=s, dilation=d, padding=padding, **fmt)
                assert A.out_shape == y.shape
                np.testing.assert_allclose(A @ x.ravel(), y.ravel(), atol=1e-12)
            # the transposed layer against JAX's conv_transpose and the vjp of its conv
            xt = rng.standard_normal((1, *n, 3))
            for padding in ("SAME", "VALID"):
                yt = np.asarray(jax.lax.conv_transpose(xt, w, s, padding, rhs_dilation=d,
                                                       dimension_numbers=dn,
                                                       transpose_kernel=True))
                T = tc.transposed_layer_matrix(w, xt.shape, stride=s, dilation=d,
                                               padding=padding, **fmt)
                assert T.out_shape == yt.shape
                np.testing.assert_allclose(T @ xt.ravel(), yt.ravel(), atol=1e-12)
            for padding in ("SAME", "SAME_LOWER"):
                T = tc.transposed_layer_matrix(w, xt.shape, stride=s, dilation=d,
                                               padding=padding, **fmt)
                def conv(z, w=w, s=s, p=padding, d=d, dn=dn):
                    return jax.lax.conv_general_dilated(z, w, s, p, rhs_dilation=d,
                                                        dimension_numbers=dn)

                _, vjp = jax.vjp(conv, np.zeros(T.out_shape))
                np.testing.assert_allclose(T @ xt.ravel(), np.asarray(vjp(xt)[0]).ravel(),
                                           atol=1e-12)
    finally:
        jax.config.update("jax_enable_x64", False)


def test_same_lower_puts_the_odd_pad_before():
    w = np.array([[[1.0, 10.0]]])                   # even kernel: one pad in total
    x = np.array([1.0, 2.0, 3.0])
    upper = tc.layer_matrix(w, (1, 3), padding="SAME") @ x
    lower = tc.layer_matrix(w, (1, 3), padding="SAME_LOWER") @ x
    np.testing.assert_array_equal(upper, [21.0, 32.0, 3.0])      # pad after
    np.testing.assert_array_equal(lower, [10.0, 21.0, 32.0])     # pad before


def test_framework_padding_errors_name_the_parameter():
    w = np.ones((1, 1, 3))
    with pytest.raises(ValueError, match="output_size 11 is not reachable"):
        tc.transposed_layer_matrix(w, (1, 5), stride=2, padding="SAME", output_size=11)
    with pytest.raises(ValueError, match="not output_padding"):
        tc.transposed_layer_matrix(w, (1, 5), stride=2, padding="SAME", output_padding=1)
    with pytest.raises(ValueError, match=r"padding must be .* 'SAME', 'SAME_LOWER', 'VALID'"):
        tc.transposed_layer_matrix(w, (1, 5), padding="same")
    with pytest.raises(ValueError, match="'SAME_LOWER'"):
        tc.layer_matrix(w, (1, 5), padding="LOWER")

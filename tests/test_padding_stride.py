"""Per-side padding and strided signal convolution against independent references.

Per-side padding ``((before, after), ...)`` must equal ``torch.nn.functional.pad``
followed by an unpadded layer, for every padding mode; ``conv_matrix(stride=s)``
must equal ``scipy.signal.convolve(x, k, mode)[::s]``.
"""

import numpy as np
import pytest
import scipy.signal

import toeplitz_conv as tc
from tests.conftest import requires_torch
from toeplitz_conv import (
    avg_pool_matrix,
    conv_matrix,
    layer_matrix,
    max_pool_matrix,
    transposed_layer_matrix,
)
from toeplitz_conv.geometry import resolve_padding, tf_same_padding

_TORCH_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
                   "circular": "circular"}


def _torch_pad_arg(pairs):
    # F.pad lists the last axis first: (left, right, top, bottom, ...).
    return tuple(v for pair in reversed(pairs) for v in pair)


def _random_pairs(rng, spatial, limit):
    return tuple((int(rng.integers(0, min(limit, n) + 1)), int(rng.integers(0, min(limit, n) + 1)))
                 for n in spatial)


@requires_torch
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_layer_per_side_padding_is_pad_then_conv(padding_mode):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(7)
    for trial in range(40):
        nd = 1 + trial % 3
        spatial = tuple(int(v) for v in rng.integers(3, 7, nd))
        kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
        groups = int(rng.choice([1, 2]))
        c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        stride = tuple(int(v) for v in rng.integers(1, 3, nd))
        dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
        # At most 2, below every size (>= 3): torch's reflect needs pad < size.
        pairs = _random_pairs(rng, spatial, 2)
        padded = tuple(n + a + b for n, (a, b) in zip(spatial, pairs))
        if any(p < d * (k - 1) + 1 for p, d, k in zip(padded, dilation, kernel)):
            continue
        w = rng.standard_normal((c_out, c_in // groups, *kernel))
        x = rng.standard_normal((c_in, *spatial))
        A = layer_matrix(w, x.shape, stride=stride, padding=pairs, dilation=dilation,
                         groups=groups, padding_mode=padding_mode)
        xt = torch.tensor(x[None], requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        xp = F.pad(xt, _torch_pad_arg(pairs), mode=_TORCH_PAD_MODE[padding_mode])
        conv = getattr(F, f"conv{nd}d")
        y = conv(xp, wt, stride=stride, dilation=dilation, groups=groups)[0]
        np.testing.assert_allclose(A @ x.ravel(), y.detach().numpy().ravel(), atol=1e-10)
        g = rng.standard_normal(y.shape)
        y.backward(torch.tensor(g))
        np.testing.assert_allclose(A.T @ g.ravel(), xt.grad.numpy()[0].ravel(), atol=1e-10)
        np.testing.assert_allclose(A.weight_grad(x, g), wt.grad.numpy(), atol=1e-10)


@requires_torch
def test_symmetric_pairs_equal_int_padding():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((2, 3, 3, 2))
    for mode in ("zeros", "reflect", "replicate", "circular"):
        a = layer_matrix(w, (3, 5, 6), padding=(1, 1), padding_mode=mode)
        b = layer_matrix(w, (3, 5, 6), padding=((1, 1), (1, 1)), padding_mode=mode)
        for u, v in zip(a.taps, b.taps):
            np.testing.assert_array_equal(u, v)


@requires_torch
def test_tf_same_padding_matches_a_direct_tf_style_conv():
    # TensorFlow's SAME: ceil(n / s) outputs, the odd extra pad after.  The
    # reference pads with numpy and takes strided windows by hand.
    rng = np.random.default_rng(9)
    for _ in range(30):
        n, k, s, d = (int(rng.integers(4, 12)), int(rng.integers(1, 5)),
                      int(rng.integers(1, 4)), int(rng.integers(1, 3)))
        pair = tf_same_padding(n, k, s, d)
        w = rng.standard_normal((1, 1, k))
        x = rng.standard_normal(n)
        A = layer_matrix(w, (1, n), stride=s, dilation=d, padding=(pair,))
        assert A.shape[0] == -(-n // s)
        B = layer_matrix(w, (1, n), stride=s, dilation=d, padding="SAME")
        np.testing.assert_array_equal(A.toarray(), B.toarray())
        xp = np.pad(x, pair)
        ref = [sum(w[0, 0, t] * xp[o * s + t * d] for t in range(k)) for o in range(-(-n // s))]
        np.testing.assert_allclose(A @ x, ref, atol=1e-12)


@requires_torch
def test_transposed_per_side_padding_crops_each_side():
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(10)
    for trial in range(30):
        nd = 1 + trial % 3
        spatial = tuple(int(v) for v in rng.integers(2, 5, nd))
        kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
        stride = tuple(int(v) for v in rng.integers(1, 3, nd))
        dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
        op = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        w = rng.standard_normal((2, 3, *kernel))
        x = rng.standard_normal((2, *spatial))
        full = getattr(F, f"conv_transpose{nd}d")(
            torch.tensor(x[None]), torch.tensor(w), stride=stride, dilation=dilation,
            output_padding=op)[0].numpy()
        pairs = tuple((int(rng.integers(0, 2)), int(rng.integers(0, 2))) for _ in range(nd))
        if any(f - a - b < 1 for f, (a, b) in zip(full.shape[1:], pairs)):
            continue
        crop = (slice(None),) + tuple(slice(a, f - b) for f, (a, b) in zip(full.shape[1:], pairs))
        T = transposed_layer_matrix(w, x.shape, stride=stride, padding=pairs, dilation=dilation,
                                    output_padding=op)
        np.testing.assert_allclose(T @ x.ravel(), full[crop].ravel(), atol=1e-10)


@requires_torch
def test_pooling_per_side_padding():
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(11)
    for trial in range(40):
        nd = 1 + trial % 3
        spatial = tuple(int(v) for v in rng.integers(3, 8, nd))
        kernel = tuple(int(v) for v in rng.integers(2, 4, nd))
        stride = tuple(int(v) for v in rng.integers(1, 3, nd))
        pairs = tuple((int(rng.integers(0, k // 2 + 1)), int(rng.integers(0, k // 2 + 1)))
                      for k in kernel)
        x = rng.standard_normal((2, *spatial))
        xt = torch.tensor(x[None])
        pad = _torch_pad_arg(pairs)
        mx = getattr(F, f"max_pool{nd}d")(F.pad(xt, pad, value=-np.inf), kernel, stride)[0]
        S = max_pool_matrix(x, kernel, stride=stride, padding=pairs)
        np.testing.assert_array_equal(S @ x.ravel(), mx.numpy().ravel())
        avg = getattr(F, f"avg_pool{nd}d")(F.pad(xt, pad), kernel, stride)[0]
        A = avg_pool_matrix(kernel, x.shape, stride=stride, padding=pairs)
        np.testing.assert_allclose(A @ x.ravel(), avg.numpy().ravel(), atol=1e-12)
        # Without the padding in the divisor: the mean of the window's real samples.
        B = avg_pool_matrix(kernel, x.shape, stride=stride, padding=pairs,
                            count_include_pad=False)
        ones = getattr(F, f"avg_pool{nd}d")(F.pad(torch.ones_like(xt), pad), kernel, stride)[0]
        np.testing.assert_allclose(B @ x.ravel(), (avg / ones).numpy().ravel(), atol=1e-12)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("correlate", [False, True])
def test_conv_matrix_stride_is_scipy_subsampled(mode, correlate):
    rng = np.random.default_rng(12)
    for trial in range(25):
        nd = 1 + trial % 3
        shape = tuple(int(v) for v in rng.integers(3, 8, nd))
        kshape = tuple(int(rng.integers(1, n + 1)) for n in shape)
        stride = tuple(int(v) for v in rng.integers(1, 4, nd))
        k = rng.standard_normal(kshape)
        x = rng.standard_normal(shape)
        ref = (scipy.signal.correlate if correlate else scipy.signal.convolve)(x, k, mode)
        ref = ref[tuple(slice(None, None, s) for s in stride)]
        # An int stride applies to every axis.
        s_arg = stride[0] if nd == 1 and trial % 2 == 0 else stride
        A = conv_matrix(k, shape, mode, correlate=correlate, stride=s_arg)
        assert A.out_shape == ref.shape
        np.testing.assert_allclose(A @ x.ravel(), ref.ravel(), atol=1e-10)


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_conv_matrix_stride_with_boundaries(boundary):
    rng = np.random.default_rng(13)
    for _ in range(20):
        shape = tuple(int(v) for v in rng.integers(3, 8, 2))
        k = rng.standard_normal(tuple(int(rng.integers(1, n + 1)) for n in shape))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        x = rng.standard_normal(shape)
        for mode in ("full", "valid", "same"):
            ref = scipy.signal.convolve2d(x, k, mode, boundary=boundary)[::stride[0], ::stride[1]]
            A = conv_matrix(k, shape, mode, boundary=boundary, stride=stride)
            np.testing.assert_allclose(A @ x.ravel(), ref.ravel(), atol=1e-10)


def test_a_wrong_padding_split_is_caught():
    # The tests above can fail: swapping before and after changes the matrix.
    w = np.arange(1.0, 4.0).reshape(1, 1, 3)
    a = layer_matrix(w, (1, 5), padding=((0, 2),))
    b = layer_matrix(w, (1, 5), padding=((2, 0),))
    assert not np.array_equal(a.toarray(), b.toarray())


@pytest.mark.parametrize("padding,exc,word", [
    (((1, 1),), ValueError, "pairs"),
    (((1, -1), (0, 0)), ValueError, "padding"),
    (((1.5, 1), (0, 0)), TypeError, "padding"),
    (((1, 2, 3), (0, 0)), ValueError, "pairs"),
    (((2**70, 0), (0, 0)), ValueError, "int64"),
])
def test_bad_pairs_are_refused(padding, exc, word):
    with pytest.raises(exc, match=word):
        layer_matrix(np.ones((1, 1, 3, 3)), (1, 5, 5), padding=padding)


def test_lower_case_same_keeps_refusing_strides():
    with pytest.raises(ValueError, match="SAME"):
        layer_matrix(np.ones((1, 1, 3)), (1, 6), stride=2, padding="same")


def test_resolve_padding_forms_agree():
    assert resolve_padding(2, (3, 3)) == resolve_padding((2, 2), (3, 3)) \
        == resolve_padding(((2, 2), (2, 2)), (3, 3))
    assert resolve_padding("valid", (3,)) == ((0, 0),)


def test_conv_matrix_bad_stride():
    with pytest.raises(ValueError, match="stride"):
        conv_matrix([1, 2], 4, stride=0)
    with pytest.raises(TypeError, match="stride"):
        conv_matrix([1, 2], 4, stride=1.5)
    with pytest.raises(ValueError, match="stride"):
        conv_matrix(np.ones((2, 2)), (4, 4), stride=(1, 2, 3))


@requires_torch
def test_transposed_output_size_as_torch():
    import torch

    rng = np.random.default_rng(14)
    for _ in range(30):
        n, k, s, p = (int(rng.integers(2, 6)), int(rng.integers(1, 4)),
                      int(rng.integers(1, 4)), int(rng.integers(0, 2)))
        lo = (n - 1) * s - 2 * p + k
        if lo < 1:
            continue
        size = lo + int(rng.integers(0, s))
        w, x = rng.standard_normal((2, 3, k)), rng.standard_normal((2, n))
        conv = torch.nn.ConvTranspose1d(2, 3, k, stride=s, padding=p, bias=False)
        conv.weight.data = torch.tensor(w)
        ref = conv(torch.tensor(x[None]), output_size=[size])[0].detach().numpy()
        T = transposed_layer_matrix(w, x.shape, stride=s, padding=p, output_size=size)
        np.testing.assert_allclose(T @ x.ravel(), ref.ravel(), atol=1e-12)
    with pytest.raises(ValueError, match="output_size"):
        transposed_layer_matrix(np.ones((1, 1, 3)), (1, 4), stride=2, output_size=12)
    with pytest.raises(ValueError, match="not both"):
        transposed_layer_matrix(np.ones((1, 1, 3)), (1, 4), stride=2, output_size=10,
                                output_padding=1)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_fillvalue_is_affine_as_convolve2d(mode):
    rng = np.random.default_rng(15)
    for _ in range(20):
        shape = tuple(int(v) for v in rng.integers(2, 7, 2))
        k = rng.standard_normal(tuple(int(rng.integers(1, n + 1)) for n in shape))
        x = rng.standard_normal(shape)
        fill = float(rng.uniform(-3, 3))
        A = conv_matrix(k, shape, mode, fillvalue=fill)
        ref = scipy.signal.convolve2d(x, k, mode, fillvalue=fill)
        np.testing.assert_allclose(A.apply(x).ravel(), ref.ravel(), atol=1e-10)
        # The linear part is the zero-fill matrix.
        np.testing.assert_allclose(A @ x.ravel(),
                                   scipy.signal.convolve2d(x, k, mode).ravel(), atol=1e-10)
        # with_weight keeps the fill: the offset follows the new weight.
        k2 = rng.standard_normal(k.shape)
        np.testing.assert_allclose(A.with_weight(k2).apply(x).ravel(),
                                   scipy.signal.convolve2d(x, k2, mode, fillvalue=fill).ravel(),
                                   atol=1e-10)


def test_fillvalue_weight_gradient_by_finite_differences():
    rng = np.random.default_rng(16)
    k, x, g = rng.standard_normal((2, 3)), rng.standard_normal((4, 5)), None
    A = conv_matrix(k, x.shape, "same", fillvalue=2.5)
    g = rng.standard_normal(A.out_shape)

    def loss(kk):
        return float((scipy.signal.convolve2d(x, kk, "same", fillvalue=2.5) * g).sum())

    eps, fd = 1e-6, np.zeros_like(k)
    for i in np.ndindex(k.shape):
        d = np.zeros_like(k)
        d[i] = eps
        fd[i] = (loss(k + d) - loss(k - d)) / (2 * eps)
    np.testing.assert_allclose(A.weight_grad(x, g), fd, atol=1e-6)


def test_fillvalue_needs_fill_boundary():
    with pytest.raises(ValueError, match="fillvalue"):
        conv_matrix([1, 2], 4, boundary="wrap", fillvalue=1)
    with pytest.raises(TypeError, match="fillvalue"):
        conv_matrix([1, 2], 4, fillvalue="1")
    assert conv_matrix([1, 2], 4).offset is None


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_same_origin_is_a_window_of_the_full_output(boundary):
    rng = np.random.default_rng(17)
    for _ in range(20):
        shape = tuple(int(v) for v in rng.integers(2, 7, 2))
        kshape = tuple(int(rng.integers(1, 6)) for _ in shape)
        origin = tuple(int(rng.integers(-((k - 1) // 2), k - (k - 1) // 2)) for k in kshape)
        k, x = rng.standard_normal(kshape), rng.standard_normal(shape)
        full = scipy.signal.convolve2d(x, k, "full", boundary=boundary)
        starts = [(kk - 1) // 2 + o for kk, o in zip(kshape, origin)]
        want = full[starts[0]:starts[0] + shape[0], starts[1]:starts[1] + shape[1]]
        A = conv_matrix(k, shape, "same", boundary=boundary, origin=origin)
        np.testing.assert_allclose(A @ x.ravel(), want.ravel(), atol=1e-10)


def test_origin_matches_pylops_offset():
    pylops = pytest.importorskip("pylops")
    rng = np.random.default_rng(18)
    for k in range(1, 7):
        for offset in range(k):
            h, x = rng.standard_normal(k), rng.standard_normal(9)
            op = pylops.signalprocessing.Convolve1D(9, h, offset=offset)
            A = conv_matrix(h, 9, "same", origin=offset - (k - 1) // 2)
            np.testing.assert_allclose(A @ x, op @ x, atol=1e-10)


def test_origin_out_of_range_or_outside_same():
    with pytest.raises(ValueError, match="origin"):
        conv_matrix([1, 2, 3], 5, "same", origin=2)
    with pytest.raises(ValueError, match="origin"):
        conv_matrix([1, 2, 3], 5, "full", origin=1)
    with pytest.raises(TypeError, match="origin"):
        conv_matrix([1, 2, 3], 5, "same", origin=0.5)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_axes_as_fftconvolve(mode):
    rng = np.random.default_rng(19)
    for trial in range(40):
        nd = 2 + trial % 2
        shape = tuple(int(v) for v in rng.integers(1, 6, nd))
        conv = tuple(sorted(rng.choice(nd, size=int(rng.integers(1, nd)), replace=False)))
        kshape = tuple(int(rng.integers(1, shape[d] + 1)) if d in conv
                       else int(rng.choice([1, shape[d]])) for d in range(nd))
        k, x = rng.standard_normal(kshape), rng.standard_normal(shape)
        axes = tuple(int(d) - nd if trial % 3 == 0 else int(d) for d in conv)   # negatives too
        want = scipy.signal.fftconvolve(x, k, mode, axes=conv)
        A = conv_matrix(k, shape, mode, axes=axes)
        assert A.out_shape == want.shape
        np.testing.assert_allclose(A @ x.ravel(), want.ravel(), atol=1e-10)
        # correlation: the kernel reversed along the convolved axes only
        C = conv_matrix(k, shape, mode, axes=axes, correlate=True)
        want = scipy.signal.fftconvolve(x, np.flip(k, axis=conv), mode, axes=conv)
        np.testing.assert_allclose(C @ x.ravel(), want.ravel(), atol=1e-10)


def test_axes_with_a_boundary_is_per_slice_convolve2d():
    rng = np.random.default_rng(20)
    x, k = rng.standard_normal((4, 7)), rng.standard_normal((4, 3))     # a kernel per row
    for boundary in ("wrap", "symm"):
        A = conv_matrix(k, x.shape, "same", boundary=boundary, axes=1)
        want = np.concatenate([scipy.signal.convolve2d(x[i:i + 1], k[i:i + 1], "same",
                                                       boundary=boundary) for i in range(4)])
        np.testing.assert_allclose(A @ x.ravel(), want.ravel(), atol=1e-10)
    # the taps index the kernel as passed, row by row
    rows, _, widx = conv_matrix(k, x.shape, "full", axes=1).taps
    np.testing.assert_array_equal(widx // 3, rows // 9)


@pytest.mark.parametrize("kwargs,exc,word", [
    ({"axes": 2}, ValueError, "axes"),
    ({"axes": (1, 1)}, ValueError, "repeat"),
    ({"axes": 1.0}, TypeError, "axes"),
    ({"axes": 1, "stride": (2, 1)}, ValueError, "stride"),
])
def test_bad_axes(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        conv_matrix(np.ones((1, 3)), (4, 5), **kwargs)
    with pytest.raises(ValueError, match="size 1"):
        conv_matrix(np.ones((2, 3)), (4, 5), axes=1)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_a_batch_of_kernels_is_scipy_linalg_convolution_matrix(mode):
    from scipy.linalg import convolution_matrix

    rng = np.random.default_rng(25)
    a = rng.standard_normal((2, 3, 4))
    As = tc.conv_matrices(a, 6, mode)
    np.testing.assert_allclose(np.stack([A.toarray() for A in As]).reshape(2, 3, -1, 6),
                               convolution_matrix(a, 6, mode))
    with pytest.raises(ValueError, match="batch"):
        tc.conv_matrices(np.ones(3), 6)

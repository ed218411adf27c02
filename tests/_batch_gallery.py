"""Batched hand-written conv2d layers (NCHW, numpy), right and with one student bug each.

Written the way course assignments write them: pad, loop over output
positions, ``einsum`` over the batch and channels, backward scattering into
a padded input gradient.  Each flag switches on one bug seen in real code.
The NHWC/HWIO variants wrap the same code with transposes, as a
channels-last port would.
"""

import numpy as np


def forward(x, w, b=None, *, stride=1, pad=0, flip=False, bias_per_tap=False,
            bias_per_fanin=False, bias_per_position=False, transpose_kernel=False,
            square=False, forget_stride_and_pad=False, pad_extra=0, dtype=np.float64):
    x = x.astype(dtype)
    w = w.astype(dtype)
    if flip:
        w = w[:, :, ::-1, ::-1]
    if transpose_kernel:
        w = w.transpose(0, 1, 3, 2)
    if forget_stride_and_pad:
        stride, pad = 1, 0
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    p = pad + pad_extra
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho = (h + 2 * p - kh) // stride + 1
    wo = (wd + 2 * p - kw) // stride + 1
    if square:
        wo = ho                                  # "the images are square"
    y = np.zeros((n, c_out, ho, wo), dtype=dtype)
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            if bias_per_tap or bias_per_fanin:
                # bias inside the sum over taps (and channels)
                for _c in range(c_in if bias_per_fanin else 1):
                    for _a in range(kh):
                        for _bb in range(kw):
                            y[:, :, i, j] += b
                y[:, :, i, j] += np.einsum("ncij,ocij->no", patch, w)
            else:
                y[:, :, i, j] = np.einsum("ncij,ocij->no", patch, w)
            if bias_per_position:
                y += b[None, :, None, None]
    if b is not None and not (bias_per_tap or bias_per_fanin or bias_per_position):
        y += b[None, :, None, None]
    return y


def backward(x, w, dout, *, stride=1, pad=0, reset_per_image=False, mean=False,
             ignore_stride=False, empty_slice=False, short_dx=False, unflipped=False,
             dtype=np.float64):
    x = x.astype(dtype)
    w = w.astype(dtype)
    dout = dout.astype(dtype)
    n, _c_in, h, wd = x.shape
    _c_out, _, kh, kw = w.shape
    _, _, ho, wo = dout.shape
    s = 1 if ignore_stride else stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    wi = w[:, :, ::-1, ::-1] if unflipped else w
    for k in range(n):
        if reset_per_image:
            dw = np.zeros_like(w)
        for i in range(ho):
            for j in range(wo):
                sl = (slice(i * s, i * s + kh), slice(j * s, j * s + kw))
                dw += np.einsum("o,cij->ocij", dout[k, :, i, j], xp[k, :, sl[0], sl[1]])
                dxp[k, :, sl[0], sl[1]] += np.einsum("o,ocij->cij", dout[k, :, i, j], wi)
    db = dout.sum(axis=(0, 2, 3))
    if mean:
        dw, db = dw / n, db / n
    if empty_slice:
        dx = dxp[:, :, pad:-pad, pad:-pad]       # empty when pad == 0
    elif short_dx:
        hh = (ho - 1) * stride + kh - 2 * pad    # assumes the stride divides
        ww = (wo - 1) * stride + kw - 2 * pad
        dx = dxp[:, :, pad:pad + hh, pad:pad + ww]
    else:
        dx = dxp[:, :, pad:pad + h, pad:pad + wd]
    return dx, dw, db


def nhwc(fwd_flags=None, bwd_flags=None, *, w, b, stride, pad):
    """A channels-last port: x (N, H, W, C), weight (H, W, I, O), bias (1, 1, 1, C)."""
    fwd_flags, bwd_flags = fwd_flags or {}, bwd_flags or {}

    def f(x, weight, bias):
        y = forward(x.transpose(0, 3, 1, 2), weight.transpose(3, 2, 0, 1), bias.reshape(-1),
                    stride=stride, pad=pad, **fwd_flags)
        return y.transpose(0, 2, 3, 1)

    def bwd(x, g):
        dx, dw, db = backward(x.transpose(0, 3, 1, 2), w, g.transpose(0, 3, 1, 2),
                              stride=stride, pad=pad, **bwd_flags)
        return dx.transpose(0, 2, 3, 1), dw.transpose(2, 3, 1, 0), db.reshape(1, 1, 1, -1)
    return f, bwd

"""Hand-written numpy conv2d layers (PyTorch semantics, no batch axis), right and wrong.

Each is written the way one writes a layer by hand: loops over output
positions, ``einsum`` over channels.  Flags switch on one classic bug each.
"""

import numpy as np


def conv2d_forward(x, w, b=None, *, stride=1, padding=0, flip=False, pad_extra=(0, 0),
                   stride_bug=False, swap_channels=False, bias_twice=False):
    kh, kw = w.shape[2:]
    if flip:
        w = w[:, :, ::-1, ::-1]
    if swap_channels:
        w = w[:, ::-1]
    p0, p1 = padding + pad_extra[0], padding + pad_extra[1]
    xp = np.pad(x, ((0, 0), (p0, p1), (p0, p1)))
    s = 1 if stride_bug else stride
    ho = (x.shape[1] + 2 * padding - kh) // stride + 1
    wo = (x.shape[2] + 2 * padding - kw) // stride + 1
    y = np.zeros((w.shape[0], ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * s:i * s + kh, j * s:j * s + kw]
            y[:, i, j] = np.einsum("oikl,ikl->o", w, patch)
    if b is not None:
        y += b[:, None, None] * (2 if bias_twice else 1)
    return y


def conv2d_backward(x, w, g, *, stride=1, padding=0, last_position_only=False, scale=1.0,
                    unflipped_input_grad=False):
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    _, ho, wo = g.shape
    wi = w[:, :, ::-1, ::-1] if unflipped_input_grad else w
    for i in range(ho):
        for j in range(wo):
            sl = (slice(None), slice(i * stride, i * stride + kh),
                  slice(j * stride, j * stride + kw))
            contrib = np.einsum("o,ikl->oikl", g[:, i, j], xp[sl])
            if last_position_only:
                gw = contrib
            else:
                gw += contrib
            gxp[sl] += np.einsum("o,oikl->ikl", g[:, i, j], wi)
    h, wd = x.shape[1:]
    gx = gxp[:, padding:padding + h, padding:padding + wd]
    gb = g.sum(axis=(1, 2))
    return gx * scale, gw, gb

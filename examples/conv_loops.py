"""A 2-D convolution layer written with numpy loops, forward and backward (cache style).

The protocol of many course assignments: ``forward(x, w, b, conv_param)`` returns the output
and a cache, ``backward(dout, cache)`` returns ``(dx, dw, db)``; ``x`` is ``(N, C, H, W)``,
``w`` is ``(F, C, HH, WW)`` and ``conv_param = {"stride": s, "pad": p}``. Like a deep
learning layer it is a cross-correlation: the kernel is not flipped. Check it with::

    toeplitz-conv check examples/conv_loops.py:forward --input-shape 3,7,7 --padding 1 \\
        --stride 2 --api cache --backward backward
"""

import numpy as np

rng = np.random.default_rng(0)
WEIGHT = rng.standard_normal((4, 3, 3, 3))
BIAS = rng.standard_normal(4)


def forward(x, w, b, conv_param):
    """Output ``(N, F, H_out, W_out)`` and the cache for :func:`backward`."""
    s, p = conv_param["stride"], conv_param["pad"]
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    h_out, w_out = (h + 2 * p - hh) // s + 1, (wd + 2 * p - ww) // s + 1
    out = np.zeros((n, f, h_out, w_out))
    for i in range(n):
        for k in range(f):
            for r in range(h_out):
                for c in range(w_out):
                    window = xp[i, :, r * s:r * s + hh, c * s:c * s + ww]
                    out[i, k, r, c] = np.sum(window * w[k]) + b[k]
    return out, (x, w, b, conv_param)


def backward(dout, cache):
    """``(dx, dw, db)``: every output's gradient flows back to the window it read."""
    x, w, _, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    _, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    n, f, h_out, w_out = dout.shape
    for i in range(n):
        for k in range(f):
            for r in range(h_out):
                for c in range(w_out):
                    g = dout[i, k, r, c]
                    dw[k] += g * xp[i, :, r * s:r * s + hh, c * s:c * s + ww]
                    dxp[i, :, r * s:r * s + hh, c * s:c * s + ww] += g * w[k]
    dx = dxp[:, :, p:dxp.shape[2] - p, p:dxp.shape[3] - p]
    return dx, dw, db

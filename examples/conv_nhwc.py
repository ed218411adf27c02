"""A batched 2-D convolution in TensorFlow's layouts: images NHWC, weight HWIO.

``forward(x) -> y`` with ``x`` of shape ``(N, H, W, C_in)`` and ``y`` of shape
``(N, H_out, W_out, C_out)``; ``backward(x, grad_out) -> (grad_x, grad_w, grad_b)``, the
weight and bias gradients summed over the batch. One product per kernel offset (no loop over
positions). Zero padding of ``PAD`` on every side, stride 1. Check it with::

    toeplitz-conv check examples/conv_nhwc.py:forward --input-shape 6,5,3 --padding 1 \\
        --batch 2 --data-format NHWC --weight-format HWIO --backward backward
"""

import numpy as np

PAD = 1
rng = np.random.default_rng(1)
WEIGHT = rng.standard_normal((3, 3, 3, 4))  # (kh, kw, C_in, C_out)
BIAS = rng.standard_normal(4)


def forward(x):
    """``y[n, i, j, o] = sum_{a, b, c} x_pad[n, i + a, j + b, c] * w[a, b, c, o] + b[o]``."""
    kh, kw, _, c_out = WEIGHT.shape
    xp = np.pad(x, ((0, 0), (PAD, PAD), (PAD, PAD), (0, 0)))
    h_out, w_out = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
    y = np.zeros((x.shape[0], h_out, w_out, c_out))
    for a in range(kh):
        for b in range(kw):
            y += xp[:, a:a + h_out, b:b + w_out, :] @ WEIGHT[a, b]
    return y + BIAS


def backward(x, grad_out):
    """The three gradients, from the same offsets as :func:`forward`."""
    kh, kw, _, _ = WEIGHT.shape
    xp = np.pad(x, ((0, 0), (PAD, PAD), (PAD, PAD), (0, 0)))
    h_out, w_out = grad_out.shape[1:3]
    gxp, gw = np.zeros_like(xp), np.zeros_like(WEIGHT)
    for a in range(kh):
        for b in range(kw):
            window = xp[:, a:a + h_out, b:b + w_out, :]
            gw[a, b] = np.einsum("nijc,nijo->co", window, grad_out)
            gxp[:, a:a + h_out, b:b + w_out, :] += grad_out @ WEIGHT[a, b].T
    gx = gxp[:, PAD:gxp.shape[1] - PAD, PAD:gxp.shape[2] - PAD, :]
    return gx, gw, grad_out.sum(axis=(0, 1, 2))

"""A 1-D convolution layer with a classic bug in its backward pass.

``forward(x)`` is right: ``x`` is ``(C_in, L)``, the output ``(C_out, L_out)`` with zero
padding ``PAD`` (a cross-correlation, as in deep learning). ``backward`` assigns each
weight's gradient (``=``) where it must add (``+=``): a weight is used at every output
position, so its gradient is the sum over all of them, and this keeps only the last one.
The checker fails it and names the bug::

    toeplitz-conv check examples/conv_buggy.py:forward --input-shape 2,9 --padding 1 \\
        --backward backward
"""

import numpy as np

PAD = 1
rng = np.random.default_rng(2)
WEIGHT = rng.standard_normal((3, 2, 3))  # (C_out, C_in, k)


def forward(x):
    """``y[o, t] = sum over (c, m) of x_pad[c, t + m] * w[o, c, m]``."""
    c_out, _, k = WEIGHT.shape
    xp = np.pad(x, ((0, 0), (PAD, PAD)))
    y = np.zeros((c_out, xp.shape[1] - k + 1))
    for o in range(c_out):
        for t in range(y.shape[1]):
            y[o, t] = np.sum(xp[:, t:t + k] * WEIGHT[o])
    return y


def backward(x, grad_out):
    """``(grad_x, grad_w)``; the weight gradient is wrong (see the module's docstring)."""
    c_out, _, k = WEIGHT.shape
    xp = np.pad(x, ((0, 0), (PAD, PAD)))
    gxp, gw = np.zeros_like(xp), np.zeros_like(WEIGHT)
    for o in range(c_out):
        for t in range(grad_out.shape[1]):
            gxp[:, t:t + k] += grad_out[o, t] * WEIGHT[o]
            gw[o] = grad_out[o, t] * xp[:, t:t + k]  # BUG: must be +=
    return gxp[:, PAD:xp.shape[1] - PAD], gw

"""
Check a hand-written layer
==========================

:func:`toeplitz_conv.check.check_layer` compares a layer you wrote — numpy in, numpy out, no
batch axis — with the exact matrix of the layer it claims to be, and says what is wrong when
it is not. A frequent bug: using ``scipy.signal.convolve`` (which flips the kernel) for a deep
learning layer (which does not).
"""

import numpy as np
from scipy.signal import convolve, correlate

from toeplitz_conv.check import check_layer, identify
from toeplitz_conv.figures import conv_vs_corr

rng = np.random.default_rng(0)
weight = rng.standard_normal((2, 1, 3, 3))  # (C_out, C_in, kh, kw)


def good(x):
    return np.stack([correlate(x[0], k[0], mode="same") for k in weight])


def flipped(x):
    return np.stack([convolve(x[0], k[0], mode="same") for k in weight])


print(check_layer(good, weight, (1, 6, 7), padding=1))

# %%
# The flipped layer fails, with a diagnosis:

report = check_layer(flipped, weight, (1, 6, 7), padding=1)
print(report)

# %%
# :func:`~toeplitz_conv.check.identify` treats a function as a black box, extracts its
# matrix and names the convention it implements:

print(identify(lambda x: convolve(x, [1.0, 2.0, 3.0], mode="same"), (8,)))

# %%
# The bug the diagnosis names, drawn from the two matrices: convolution flips the kernel,
# cross-correlation (a deep learning layer) does not.

fig = conv_vs_corr()

"""The circular convolution and correlation by the DFT: the tests' independent reference."""

import numpy as np


def circular_reference(x, k, correlate=False):
    """``ifft(fft(x) * fft(k))``, or the correlation ``y[i] = sum_j k[j] x[(i + j) mod n]``.

    A kernel longer than the input is first folded modulo the input's shape
    (tap ``j`` lands on ``j mod n``: the periodic input repeats under it).
    For a real kernel, multiplying by the conjugate of its transform turns the
    convolution into that correlation.
    """
    x = np.asarray(x, float)
    k = np.asarray(k, float)
    folded = np.zeros(x.shape)
    idx = np.indices(k.shape).reshape(k.ndim, -1)
    np.add.at(folded, tuple(i % n for i, n in zip(idx, x.shape)), k.ravel())
    kf = np.fft.fftn(folded)
    return np.real(np.fft.ifftn(np.fft.fftn(x) * (np.conj(kf) if correlate else kf)))

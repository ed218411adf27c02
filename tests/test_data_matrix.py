"""data_matrix: the im2col matrix X(x), against torch's unfold and conv, and its proof."""

from __future__ import annotations

import numpy as np
import pytest

from toeplitz_conv import data_matrix, layer_matrix
from toeplitz_conv.symbolic import prove_data_matrix

from .conftest import requires_torch

CASES = [
    ((2, 3, 3), (3, 7), dict(stride=2, padding=1)),
    ((4, 1, 2, 3), (2, 5, 6), dict(groups=2, dilation=(2, 1), padding=(1, 0))),
    ((2, 2, 2, 2, 2), (2, 3, 4, 3), dict(stride=(1, 2, 1), padding=1)),
    ((2, 1, 3), (1, 6), dict(padding=2, padding_mode="circular")),
]


@requires_torch
@pytest.mark.parametrize("wshape,xshape,kw", CASES)
def test_data_matrix_gives_the_layer_and_torchs_conv(wshape, xshape, kw):
    import torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xshape)
    w = rng.standard_normal(wshape)
    X = data_matrix(x, wshape, **kw)
    # y = X(x) w.ravel() is the layer (torch's conv), the other Toeplitz factorisation.
    A = layer_matrix(w, xshape, **kw)
    np.testing.assert_allclose(X @ w.ravel(), A @ x.ravel(), atol=1e-10)
    # (torch's unfold is compared block by block in test_unfold_block_2d.)
    nd = len(wshape) - 2
    if nd == 1 and kw.get("padding_mode", "zeros") == "zeros":
        want = torch.nn.functional.conv1d(torch.tensor(x)[None], torch.tensor(w),
                                          **kw)[0].numpy().ravel()
        np.testing.assert_allclose(X @ w.ravel(), want, atol=1e-10)


@requires_torch
def test_unfold_block_2d():
    import torch
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 6))
    X = data_matrix(x, (3, 2, 2, 3), stride=(2, 1), padding=1, dilation=(1, 2))
    cols = torch.nn.functional.unfold(torch.tensor(x)[None], (2, 3), dilation=(1, 2),
                                      padding=1, stride=(2, 1))[0].numpy()
    n_out, n_w = cols.shape[1], cols.shape[0]
    dense = X.toarray()
    for o in range(3):          # one unfold block per output channel
        np.testing.assert_allclose(dense[o * n_out:(o + 1) * n_out, o * n_w:(o + 1) * n_w],
                                   cols.T, atol=1e-12)


def test_weight_grad_is_x_transpose_g():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 7)), rng.standard_normal((3, 2, 3))
    A = layer_matrix(w, x.shape, stride=2, padding=1)
    g = rng.standard_normal(A.shape[0])
    X = data_matrix(x, w.shape, stride=2, padding=1)
    np.testing.assert_allclose(A.weight_grad(x, g).ravel(), X.T @ g, atol=1e-10)


def test_data_matrix_proof_and_errors():
    assert prove_data_matrix((2, 1, 3), (1, 6), stride=2, padding=1).holds
    with pytest.raises(TypeError, match="x"):
        data_matrix(np.array([["a"]]), (1, 1, 1))
    with pytest.raises(ValueError, match="weight_shape"):
        data_matrix(np.ones((1, 4)), (1, 3))
    with pytest.raises(ValueError, match="groups"):
        data_matrix(np.ones((3, 4)), (2, 1, 3), groups=2)

"""The DFT block-diagonalisation of a 2-D circular layer: proved exactly in Q(omega), its
blocks against numpy.fft on random multi-channel layers, and the 2-D eigenvalues against
numpy.linalg.eigvals of the dense layer matrix."""

import math

import numpy as np
import pytest
import sympy

from toeplitz_conv import layer_matrix
from toeplitz_conv.spectrum import eigenvalues
from toeplitz_conv.symbolic import circular_block_diagonalisation, symbol_array

# (weight shape, spatial sizes, padding, dilation): size-keeping circular layers.
CASES = [((2, 2, 2, 2), (2, 3), ((1, 0), (1, 0)), 1),
         ((2, 1, 2, 3), (4, 3), ((0, 1), (2, 0)), 1),
         ((1, 2, 2, 2), (4, 4), ((2, 0), (1, 1)), (2, 2))]


def _dft(n):
    """numpy's DFT matrix: column j is fft of the j-th unit vector."""
    return np.fft.fft(np.eye(n), axis=0)


def _numeric_blocks(p, w, sizes):
    """The proof's symbolic blocks at the weight ``w`` and omega = exp(-2 pi i / lcm(n))."""
    syms = [*symbol_array("w", w.shape).ravel(), p.details["omega"]]
    f = sympy.lambdify(syms, p.details["symbolic_blocks"], "numpy")
    return np.array(f(*w.ravel(), np.exp(-2j * np.pi / math.lcm(*sizes))), dtype=complex)


@pytest.mark.parametrize("shape, sizes, padding, dil", CASES)
def test_2d_blocks_are_proved_and_are_numpy_fft_of_the_layer(shape, sizes, padding, dil):
    rng = np.random.default_rng(sum(shape))
    p = circular_block_diagonalisation(shape, sizes, padding=padding, dilation=dil)
    assert p.holds, p.text()
    w = rng.integers(-3, 4, shape)
    blocks = _numeric_blocks(p, w, sizes)
    c_out, c_in = shape[:2]
    # numpy.fft of the layer's output, frequency by frequency: Y(f) = M(f) X(f).
    x = rng.standard_normal((c_in, *sizes))
    a = layer_matrix(w.astype(float), (c_in, *sizes), padding=padding, dilation=dil,
                     padding_mode="circular")
    y = (a @ x.ravel()).reshape(c_out, *sizes)
    big_x = np.fft.fft2(x).reshape(c_in, -1)
    big_y = np.fft.fft2(y).reshape(c_out, -1)
    for f in range(big_x.shape[1]):
        np.testing.assert_allclose(blocks[f] @ big_x[:, f], big_y[:, f], atol=1e-9)
    # (I ⊗ F) A (I ⊗ F^-1) with F = F_0 ⊗ F_1 built from numpy's 1-D DFTs: block-diagonal,
    # frequency-major, with exactly the proof's blocks.
    f2 = np.kron(_dft(sizes[0]), _dft(sizes[1]))
    np.testing.assert_allclose(f2 @ x[0].ravel(), np.fft.fft2(x[0]).ravel(), atol=1e-9)
    b = (np.kron(np.eye(c_out), f2) @ a.toarray() @ np.kron(np.eye(c_in), np.linalg.inv(f2)))
    pts = f2.shape[0]
    got = b.reshape(c_out, pts, c_in, pts)
    for f in range(pts):
        np.testing.assert_allclose(got[:, f, :, f], blocks[f], atol=1e-9)
    off = got.copy()
    off[:, np.arange(pts), :, np.arange(pts)] = 0
    assert np.abs(off).max() < 1e-9


def test_2d_wrong_alignments_are_refuted():
    for claim in ("unshifted", "inverse-dft"):
        p = circular_block_diagonalisation((1, 1, 2, 2), (2, 3), padding=((1, 0), (0, 1)),
                                           claim=claim)
        assert not p.holds and p.failures and p.residual != 0
    # No padding before on either axis: the unshifted alignment is the right one.
    assert circular_block_diagonalisation((1, 1, 2, 2), (2, 3), padding=((0, 1), (0, 1)),
                                          claim="unshifted").holds


def test_2d_block_diagonalisation_refuses_bad_sizes():
    with pytest.raises(ValueError, match="2-D layer weight"):
        circular_block_diagonalisation((1, 1, 3), (3, 3))
    with pytest.raises(ValueError, match="n must be an int"):
        circular_block_diagonalisation((1, 1, 1, 1, 1), (2, 2, 2))
    with pytest.raises(ValueError, match="spatial points"):
        circular_block_diagonalisation((1, 1, 3, 3), (5, 5))
    with pytest.raises(ValueError, match="padding must keep"):
        circular_block_diagonalisation((1, 1, 3, 3), (3, 3), padding=0)


def test_2d_eigenvalues_equal_dense_eigvals_with_channels_groups_and_shifts():
    rng = np.random.default_rng(2)
    for w_shape, spatial, padding, groups in [((3, 3, 3, 2), (4, 5), ((2, 0), (0, 1)), 1),
                                              ((4, 2, 2, 3), (3, 4), ((1, 0), (1, 1)), 2),
                                              ((2, 2, 3, 3), (5, 3), 1, 1)]:
        w = rng.standard_normal(w_shape)
        shape = (w_shape[0], *spatial)
        dense = layer_matrix(w, shape, padding=padding, padding_mode="circular",
                             groups=groups).toarray()
        ev = eigenvalues(w, shape, padding, groups=groups)
        ref = np.linalg.eigvals(dense)
        assert ev.shape == ref.shape
        # a matching: every eigenvalue of the dense matrix is near one of ours, and back
        dist = np.abs(ev[:, None] - ref[None, :])
        assert dist.min(axis=0).max() < 1e-8 and dist.min(axis=1).max() < 1e-8
        assert np.allclose(np.sort_complex(np.round(ev, 8)), np.sort_complex(np.round(ref, 8)),
                           atol=1e-6)

"""The worked numbers of the source documents (../shared/seeds) come out exactly."""

import numpy as np
import scipy.signal

from toeplitz_conv import conv_matrix, layer_matrix

X = np.array([1, 2, 3, 4])
W = np.array([5, 6, 7])


def test_full_convolution_seed():
    A = conv_matrix(W, 4, "full")
    assert A.shape == (6, 4)
    np.testing.assert_array_equal(A @ X, [5, 16, 34, 52, 45, 28])


def test_valid_convolution_and_correlation_seed():
    np.testing.assert_array_equal(conv_matrix(W, 4, "valid") @ X, [34, 52])
    np.testing.assert_array_equal(conv_matrix(W, 4, "valid", correlate=True) @ X, [38, 56])


def test_same_seed_matches_scipy():
    np.testing.assert_array_equal(conv_matrix(W, 4, "same") @ X,
                                  scipy.signal.convolve(X, W, "same"))
    np.testing.assert_array_equal(conv_matrix(W, 4, "same", correlate=True) @ X,
                                  scipy.signal.correlate(X, W, "same"))


def test_seed_full_matrix_is_the_banded_toeplitz():
    # Written out from the definition y[i] = sum_j w[i - j] x[j].
    expected = np.array([[5, 0, 0, 0], [6, 5, 0, 0], [7, 6, 5, 0],
                         [0, 7, 6, 5], [0, 0, 7, 6], [0, 0, 0, 7]])
    np.testing.assert_array_equal(conv_matrix(W, 4).toarray(), expected)


def test_seed_layer_is_the_valid_cross_correlation():
    # The deep-learning "convolution" of the Q&A: 1*5 + 2*6 + 3*7 = 38.
    np.testing.assert_array_equal(layer_matrix(W.reshape(1, 1, 3), (1, 4)) @ X, [38, 56])

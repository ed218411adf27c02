"""The operation/diagonal note of the matrix figures, against the dense matrix's values."""

import itertools

import matplotlib
import numpy as np
import pytest

from toeplitz_conv import conv_matrix, layer_matrix, transposed_layer_matrix
from toeplitz_conv import figures as F
from toeplitz_conv.figures._notes import diagonal_side, operation_text

matplotlib.use("Agg")


def dense_side(A):
    """Where the value 2 (weight 1) sits against the value 1 (weight 0), read off A."""
    D = A.toarray()
    for row in D:
        if 1 in row and 2 in row:
            return "below" if np.flatnonzero(row == 2)[0] < np.flatnonzero(row == 1)[0] else \
                "above"
    return None


@pytest.mark.parametrize("mode,correlate", list(itertools.product(("full", "valid", "same"),
                                                                  (False, True))))
def test_diagonal_side_is_the_dense_matrixs(mode, correlate):
    A = conv_matrix([1, 2, 4], 5, mode, correlate=correlate)
    assert diagonal_side(A) == dense_side(A) == ("above" if correlate else "below")
    assert operation_text(A).startswith("cross-correlation" if correlate else "convolution")
    L = layer_matrix(np.array([[[1.0, 2.0, 4.0]]]), (1, 6), stride=2, padding=1)
    assert diagonal_side(L) == dense_side(L) == "above"
    T = transposed_layer_matrix(np.array([[[1.0, 2.0, 4.0]]]), (1, 3), stride=2)
    assert diagonal_side(T) == dense_side(T)


def test_the_notes_are_drawn():
    texts = {t.get_text() for t in F.FIGURES["matrix_1d"]().findobj(matplotlib.text.Text)}
    assert "6 below 5's diagonal: flipped" in texts
    texts = {t.get_text() for t in F.FIGURES["stride"]().findobj(matplotlib.text.Text)}
    assert "CNN layer (cross-correlation), padding 1, stride 2; w_1 above w_0's diagonal: " \
           "not flipped" in texts

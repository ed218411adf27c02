"""explain_matrix names the convention of a written-down matrix (issue 31 item 6).

Matrices are written from independent references (scipy.linalg, scipy.signal
applied to unit inputs, the textbook index formulas) and the builders' own
random configurations must be recovered exactly; wrong matrices must not fit.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import sympy

from toeplitz_conv import conv_matrix, layer_matrix
from toeplitz_conv.symbolic import explain_matrix

W = sympy.symbols("w0 w1 w2")


def calls(r):
    return [c for f in r.fits for c in (f.call, *f.equivalent)]


def by_columns(f, shape, order="C"):
    """The matrix of the linear map f on arrays of ``shape``, from unit inputs."""
    cols = []
    for j in range(int(np.prod(shape))):
        e = np.zeros(int(np.prod(shape)))
        e[j] = 1
        cols.append(np.ravel(f(e.reshape(shape, order=order)), order=order))
    return np.array(cols).T


def test_the_worked_example_and_its_transpose():
    M = scipy.linalg.convolution_matrix([5, 6, 7], 4)
    assert np.array_equal(M @ [1, 2, 3, 4], [5, 16, 34, 52, 45, 28])
    r = explain_matrix(M, 4)
    assert r.fits[0].call == 'conv_matrix([5, 6, 7], 4, "full")'
    np.testing.assert_array_equal(r.fits[0].kernel, [5, 6, 7])
    assert 'conv_matrix([7, 6, 5], 4, "full", correlate=True)' in calls(r)
    assert "transposed_layer_matrix([[[5, 6, 7]]], (1, 4))" in calls(r)
    t = explain_matrix(M.T.tolist(), 6)
    assert 'conv_matrix([5, 6, 7], 6, "valid", correlate=True)' in calls(t)
    assert "layer_matrix([[[5, 6, 7]]], (1, 6))" in calls(t)
    assert "fits no convention" not in str(t) and "valid" in t._repr_html_()


def toeplitz(rows, n, offset):
    """A[i, j] = w[i - j + offset] (a convolution), 0 outside the kernel."""
    return sympy.Matrix(rows, n, lambda i, j: W[i - j + offset] if 0 <= i - j + offset < 3
                        else 0)


@pytest.mark.parametrize("mode, rows, offset", [("valid", 2, 2), ("full", 6, 0),
                                                ("same", 4, 1)])
def test_symbolic_toeplitz_convolution_and_correlation(mode, rows, offset):
    conv = toeplitz(rows, 4, offset)
    r = explain_matrix(conv, 4)
    assert r.fits[0].call == f'conv_matrix([w0, w1, w2], 4, "{mode}")'
    assert all("correlate=True" not in c for c in calls(r) if c.startswith("conv_matrix"))
    # A posted answer writing the correlation matrix (w0 first) for "convolution".
    corr = sympy.Matrix(rows, 4, lambda i, j: W[2 - (i - j + offset)]
                        if 0 <= i - j + offset < 3 else 0)
    c = explain_matrix(corr, 4)
    assert c.fits[0].call == f'conv_matrix([w0, w1, w2], 4, "{mode}", correlate=True)'
    call, d = c.flipped
    assert call == f'conv_matrix([w0, w1, w2], 4, "{mode}")'
    i, j = next((i, j) for i in range(rows) for j in range(4) if corr[i, j] != conv[i, j])
    assert (d.row, d.column, d.given, d.expected) == (i, j, corr[i, j], conv[i, j])


def test_two_d_row_major_and_matlab_convmtx2():
    H = np.array([[1.0, 2.0], [3.0, -1.0]])
    row = by_columns(lambda X: scipy.signal.convolve2d(X, H), (3, 2))
    r = explain_matrix(row, (3, 2))
    assert r.fits[0].call == 'conv_matrix([[1, 2], [3, -1]], (3, 2), "full")'
    col = by_columns(lambda X: scipy.signal.convolve2d(X, H), (3, 2), order="F")
    c = explain_matrix(col, (3, 2))
    assert c.fits[0].call == 'conv_matrix([[1, 2], [3, -1]], (3, 2), "full", order="F")'
    assert not any('order="F"' in x for x in calls(r))


def test_a_stride_two_layer():
    w, n, p = np.array([2.0, -1.0, 4.0]), 7, 1
    out = (n + 2 * p - 3) // 2 + 1
    M = np.zeros((out, n))
    for i in range(out):
        for t in range(3):
            if 0 <= 2 * i + t - p < n:
                M[i, 2 * i + t - p] += w[t]
    r = explain_matrix(M, n)
    assert "layer_matrix([[[2, -1, 4]]], (1, 7), stride=2, padding=1)" in calls(r)


def test_random_builder_configurations_are_recovered():
    rng = np.random.default_rng(3)
    for _ in range(8):
        k = int(rng.integers(2, 4))
        kern = rng.integers(1, 9, size=k) * rng.choice([-1, 1], size=k)
        n = int(rng.integers(k + 1, 8))
        mode = str(rng.choice(["full", "valid", "same", "circular"]))
        corr = bool(rng.integers(2))
        b = "fill" if mode == "circular" else str(rng.choice(["fill", "wrap", "symm"]))
        s = int(rng.integers(1, 3))
        M = conv_matrix(kern, n, mode, correlate=corr, boundary=b, stride=s).toarray()
        opts = [f'"{mode}"'] + (["correlate=True"] if corr else []) + (
            [f'boundary="{b}"'] if b != "fill" else []) + ([f"stride={s}"] if s > 1 else [])
        want = f"conv_matrix([{', '.join(map(str, kern))}], {n}, {', '.join(opts)})"
        assert want in calls(explain_matrix(M, n)), want
    for _ in range(4):
        k, s, d = int(rng.integers(2, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
        p, n = int(rng.integers(0, k)), int(rng.integers(6, 9))
        w = rng.integers(1, 9, size=(1, 1, k))
        M = layer_matrix(w, (1, n), stride=s, padding=p, dilation=d).toarray()
        opts = ([f"stride={s}"] if s > 1 else []) + ([f"padding={p}"] if p else []) + (
            [f"dilation={d}"] if d > 1 else [])
        want = ", ".join([f"layer_matrix([[[{', '.join(map(str, w.ravel()))}]]]", f"(1, {n})",
                          *opts]) + ")"
        assert want in calls(explain_matrix(M, n)), want


def test_wrong_matrices_do_not_fit_and_say_where():
    M = scipy.linalg.convolution_matrix([5, 6, 7], 4).astype(float)
    bad = M.copy()
    bad[3, 2] = 9
    r = explain_matrix(bad, 4)
    assert r.fits == []
    assert r.nearest.call == 'conv_matrix([5, 6, 7], 4, "full")'
    d = r.first_difference
    assert (d.row, d.column, d.given, d.expected) == (3, 2, 9, 6)
    missing = np.delete(M, 2, axis=0)
    r = explain_matrix(missing, 4)
    assert r.fits == [] and r.nearest.call == 'conv_matrix([5, 6, 7], 4, "full")'
    d = r.first_difference
    assert (d.row, d.column, d.given, d.expected) == (2, 0, 0, 7)
    # The symbolic valid matrix with one symbol moved.
    conv = toeplitz(2, 4, 2)
    conv[1, 2] = W[0]
    r = explain_matrix(conv, 4)
    assert r.fits == [] and (r.first_difference.row, r.first_difference.column) == (1, 2)


def test_refusals():
    with pytest.raises(TypeError, match="string"):
        explain_matrix("[[1, 0], [0, 1]]", 2)
    with pytest.raises(TypeError):
        explain_matrix([["__import__('os')", 0]], 2)
    with pytest.raises(ValueError, match="MAX_EXPLAIN_ENTRIES"):
        explain_matrix(np.zeros((300, 300)), 300)
    with pytest.raises(ValueError, match="columns"):
        explain_matrix(np.eye(3), 4)
    with pytest.raises(ValueError, match="max_kernel"):
        explain_matrix(np.eye(3), 3, max_kernel=0)


def test_a_list_of_numbers_takes_the_numeric_path():
    M = scipy.linalg.convolution_matrix([1.5, -2.0], 80).tolist()    # 6,480 entries
    r = explain_matrix(M, 80)
    assert r.fits[0].call == 'conv_matrix([1.5, -2], 80, "full")'
    with pytest.raises(ValueError, match="rectangular"):
        explain_matrix([[1, 2], [3]], 2)

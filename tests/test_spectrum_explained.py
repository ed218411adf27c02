"""Eigenvalues of circular layers, the DFT block-diagonalisation written out and proved,
and the certified gap between circular and zero padding -- against numpy's dense
eigenvalues and norms of the sparse matrices."""

import numpy as np
import pytest

from toeplitz_conv import layer_matrix
from toeplitz_conv.spectrum import eigenvalues, frequency_matrices, padding_gap


def _multiset_distance(a, b):
    """Largest distance in an optimal-ish matching: greedy nearest, both ways."""
    a, b = list(np.asarray(a)), list(np.asarray(b))
    assert len(a) == len(b)
    worst = 0.0
    for v in a:
        j = int(np.argmin(np.abs(np.asarray(b) - v)))
        worst = max(worst, abs(b.pop(j) - v))
    return worst


def _sorted_key(v):
    v = np.round(np.asarray(v), 8) + 0.0     # -0.0 -> 0.0, rounding: a robust key
    return v[np.lexsort((v.imag, v.real))]


def _random_square_layer(rng):
    """(weight, input_shape, padding, dilation): square, circular, size kept."""
    while True:
        nd = int(rng.integers(1, 3))
        c = int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 5, nd))
        dil = int(rng.integers(1, 3))
        spatial = tuple(int(v) for v in rng.integers(max(k) * dil, 7, nd)) \
            if max(k) * dil < 7 else None
        if spatial is None:
            continue
        w = rng.standard_normal((c, c, *k))
        totals = [dil * (kk - 1) for kk in k]
        choice = int(rng.integers(3))
        if choice == 0:
            padding = "same"
        elif choice == 1 and all(t % 2 == 0 for t in totals):
            padding = tuple(t // 2 for t in totals)
        else:                                   # any split of the total: another alignment
            before = [int(rng.integers(0, t + 1)) for t in totals]
            padding = tuple((b, t - b) for b, t in zip(before, totals))
        return w, (c, *spatial), padding, dil


def test_eigenvalues_equal_dense_eigvals_over_random_layers():
    rng = np.random.default_rng(31)
    for _ in range(40):
        w, shape, padding, dil = _random_square_layer(rng)
        A = layer_matrix(w, shape, padding=padding, padding_mode="circular",
                         dilation=dil).toarray()
        ev = eigenvalues(w, shape, padding, dilation=dil)
        ref = np.linalg.eigvals(A)
        assert ev.shape == ref.shape
        assert _multiset_distance(ev, ref) < 1e-8, (w.shape, shape, padding, dil)


def test_eigenvalues_with_groups_and_complex_weights():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 2, 3)) + 1j * rng.standard_normal((4, 2, 3))
    A = layer_matrix(w, (4, 5), padding=1, padding_mode="circular", groups=2).toarray()
    ev = eigenvalues(w, (4, 5), 1, groups=2)
    assert _multiset_distance(ev, np.linalg.eigvals(A)) < 1e-9


def test_a_wrong_alignment_gives_other_eigenvalues():
    # The padding shifts the circulant: off by one sample, the eigenvalues differ
    # (while the singular values do not).
    rng = np.random.default_rng(3)
    w = rng.standard_normal((2, 2, 3, 3))
    shape = (2, 5, 4)
    A = layer_matrix(w, shape, padding=1, padding_mode="circular").toarray()
    ref = _sorted_key(np.linalg.eigvals(A))
    right = eigenvalues(w, shape, 1)
    wrong = eigenvalues(w, shape, ((2, 0), (1, 1)))
    assert _multiset_distance(right, np.linalg.eigvals(A)) < 1e-9
    assert _multiset_distance(wrong, np.linalg.eigvals(A)) > 1e-3
    assert not np.allclose(_sorted_key(wrong), ref)
    np.testing.assert_allclose(np.sort(np.abs(np.linalg.svd(frequency_matrices(
        w, shape, padding=((2, 0), (1, 1))), compute_uv=False)).ravel()),
        np.sort(np.linalg.svd(A, compute_uv=False)), atol=1e-9)


def test_eigenvalues_refuse_non_square_and_size_changing_layers():
    with pytest.raises(ValueError, match="weight must describe a square layer"):
        eigenvalues(np.ones((2, 1, 3)), (1, 5))
    with pytest.raises(ValueError, match="padding must keep the spatial size"):
        eigenvalues(np.ones((1, 1, 3)), (1, 5), 0)
    with pytest.raises(ValueError, match="padding must keep the spatial size"):
        eigenvalues(np.ones((1, 1, 3)), (1, 5), 1, dilation=2)


def test_eigenvalues_are_size_checked_before_any_fft():
    from toeplitz_conv import DenseTooLargeError, limits
    with limits.override(max_dense_bytes=10_000), pytest.raises(DenseTooLargeError,
                                                       match="max_dense_bytes"):
        eigenvalues(np.ones((4, 4, 3, 3)), (4, 64, 64), 1)


def test_padding_gap_numbers_equal_dense_norms_and_the_bound_holds():
    rng = np.random.default_rng(5)
    for _ in range(25):
        w, shape, padding, dil = _random_square_layer(rng)
        if rng.integers(2):                               # non-square layers too
            w = rng.standard_normal((int(rng.integers(1, 4)), *w.shape[1:]))
        g = padding_gap(w, shape, padding, dilation=dil)
        kw = {"padding": padding, "dilation": dil}
        ac = layer_matrix(w, shape, padding_mode="circular", **kw).toarray()
        az = layer_matrix(w, shape, padding_mode="zeros", **kw).toarray()
        assert abs(g.circular - np.linalg.norm(ac, 2)) < 1e-9 * max(1, g.circular)
        assert abs(g.zero - np.linalg.norm(az, 2)) < 1e-9 * max(1, g.zero)
        d = ac - az
        assert abs(g.difference_norm - np.linalg.norm(d, 2)) < 1e-9 * max(1, g.bound)
        assert abs(g.bound - np.sqrt(np.linalg.norm(d, 1) * np.linalg.norm(d, np.inf))) \
            < 1e-9 * max(1, g.bound)
        assert g.holds
        assert g.gap <= g.difference_norm + 1e-9 <= g.bound + 2e-9


def test_padding_gap_holds_fails_on_a_wrong_bound():
    from dataclasses import replace
    g = padding_gap(np.array([[[1.0, 2.0, 1.0]]]), (1, 8), 1)
    assert g.holds and g.nonzeros == 2
    assert not replace(g, bound=g.difference_norm / 2).holds
    assert not replace(g, difference_norm=g.gap / 2).holds


def test_block_diagonalisation_holds_and_its_numbers_match_frequency_matrices():
    from toeplitz_conv.symbolic import circular_block_diagonalisation
    rng = np.random.default_rng(11)
    for shape, n, padding, dil in [((2, 2, 3), 5, 1, 1), ((1, 2, 2), 4, ((1, 0),), 1),
                                   ((2, 1, 3), 6, ((0, 4),), 2)]:
        p = circular_block_diagonalisation(shape, n, padding=padding, dilation=dil)
        assert p.holds, p.text()
        w = rng.integers(-3, 4, shape)
        pn = circular_block_diagonalisation(w.tolist(), n, padding=padding, dilation=dil)
        assert pn.holds
        got = np.array([np.array(b.evalf(), dtype=complex) for b in pn.details["blocks"]])
        np.testing.assert_allclose(got, frequency_matrices(w, (shape[1], n), padding=padding,
                                                           dilation=dil), atol=1e-12)


def test_block_diagonalisation_refutes_a_wrong_alignment():
    from toeplitz_conv.symbolic import circular_block_diagonalisation
    for claim in ("unshifted", "inverse-dft"):
        p = circular_block_diagonalisation((2, 2, 3), 5, padding=1, claim=claim)
        assert not p.holds and p.failures
    with pytest.raises(ValueError, match="padding must keep"):
        circular_block_diagonalisation((1, 1, 3), 5, padding=0)
    with pytest.raises(ValueError, match="n must be at most"):
        circular_block_diagonalisation((1, 1, 3), 10**6)

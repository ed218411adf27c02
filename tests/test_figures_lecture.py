"""The lecture illustrations added for issue 17, against independent references.

scipy.signal (one-hot kernels and inputs), torch (conv1d with groups, the
pooling functions) and the textbook definitions of tiled and locally
connected layers (Goodfellow et al. 9.5) written out as loops.
"""

import re

import matplotlib
import numpy as np
import pytest
import scipy.signal

from toeplitz_conv import figures as F

from .test_figures import check_panel, expected_tie, matrix_panels, one_hot

matplotlib.use("Agg")
torch = pytest.importorskip("torch")


def terms(expression):
    """{(weight name, input name)} of an expression like 'xb + yc + zd'."""
    return {(t[0], t[1]) for t in re.sub(r"\s", "", expression).split("+")}


def scipy_terms(op, kernel_names, input_names, kshape, in_shape, mode, row):
    """Which (weight, input) products scipy puts into output ``row``."""
    out = set()
    for w, wn in enumerate(kernel_names):
        for c, cn in enumerate(input_names):
            if op(one_hot(c, in_shape), one_hot(w, kshape), mode).ravel()[row] != 0:
                out.add((wn, cn))
    return out


@pytest.mark.parametrize("kernel,n", [((1, 2, 3), 5), ((1, 2), 6), ((1, 2, 3, 4), 7)])
def test_fully_connected_vs_conv(kernel, n):
    fig = F.fully_connected_vs_conv(kernel, n)
    d = fig._toeplitz_data
    for panel in matrix_panels(fig).values():
        check_panel(panel)
    m = n - len(kernel) + 1
    assert d["W"]["tie"].shape == d["A"]["tie"].shape == (m, n)
    assert len(np.unique(d["W"]["tie"])) == m * n          # every entry its own weight
    x = np.random.default_rng(0).standard_normal(n)
    assert np.allclose(d["A"]["matrix"] @ x, scipy.signal.correlate(x, kernel, "valid"))
    assert d["parameters"] == {"dense": m * n, "conv": len(kernel)}


@pytest.mark.parametrize("k,n,t", [(3, 5, 2), (2, 6, 3), (3, 7, 1)])
def test_locally_connected_vs_tiled(k, n, t):
    d = F.locally_connected_vs_tiled(k, n, tiles=t)._toeplitz_data
    m = n - k + 1
    # The definitions: output o reads inputs o .. o+k-1 with kernel 0 (conv),
    # kernel o mod t (tiled), kernel o (locally connected).
    for what, kernel_of in [("convolution", lambda o: 0), ("tiled", lambda o: o % t),
                            ("locally connected", lambda o: o)]:
        ref = np.full((m, n), -1)
        for o in range(m):
            for j in range(k):
                ref[o, o + j] = kernel_of(o) * k + j
        assert np.array_equal(d[what]["tie"], ref), what


@pytest.mark.parametrize("k,c_in,n,c_out", [(2, 2, 3, 2), (3, 3, 4, 1), (1, 2, 2, 3)])
def test_channels_against_torch(k, c_in, n, c_out):
    fig = F.channels(k, (c_in, n), out_channels=c_out)
    d = fig._toeplitz_data
    for what, wshape, groups in [("standard", (c_out, c_in, k), 1),
                                 ("depthwise", (c_in, 1, k), c_in)]:
        mats = []
        for e in range(int(np.prod(wshape))):
            w = torch.tensor(one_hot(e, wshape))
            cols = [torch.nn.functional.conv1d(torch.tensor(one_hot(c, (c_in, n)))[None], w,
                                               groups=groups)[0].numpy().ravel()
                    for c in range(c_in * n)]
            mats.append(np.stack(cols, axis=1))
        assert np.array_equal(d[what]["tie"], expected_tie(np.stack(mats))), what
    assert d["blocks"] == (n - k + 1, n)


@pytest.mark.parametrize("k,x,stride", [(3, (3, 9, 0, 6, 3, 1, 2), 2), (2, (1, 5, 2, 8, 0), 1),
                                        (3, (4, 1, 7, 2, 9, 3, 5, 6, 0), 3)])
def test_pooling_stride_against_torch(k, x, stride):
    d = F.pooling_stride(k, x, stride=stride)._toeplitz_data
    xt = torch.tensor(x, dtype=torch.float64)[None, None]
    avg = torch.nn.functional.avg_pool1d(xt, k, stride).ravel().numpy()
    mx = torch.nn.functional.max_pool1d(xt, k, stride).ravel().numpy()
    assert np.allclose([float(v) for v in d["s_average"]], avg, atol=1e-5)
    assert np.allclose([float(v) for v in d["s_max"]], mx)
    lab = d["average"]["labels"]
    assert set(lab[lab != ""]) == {f"1/{k}"}
    assert np.array_equal(lab != "", d["average"]["matrix"].toarray() != 0)
    check_panel(d["average"])


@pytest.mark.parametrize("k,x", [(3, (0, 9, 1, 2, 8, 3, 0, 7)), (2, (5, 1, 4, 4, 2, 6))])
def test_pooling_invariance_against_torch(k, x):
    d = F.pooling_invariance(k, x)._toeplitz_data
    pool = lambda v: torch.nn.functional.max_pool1d(  # noqa: E731
        torch.tensor(v, dtype=torch.float64)[None, None], k, 1).ravel().numpy()
    shifted = np.concatenate([[0], x[:-1]])
    assert np.array_equal(d["x_shifted"], shifted)
    s, s2 = pool(np.array(x, float)), pool(shifted.astype(float))
    assert [float(v) for v in d["s"]] == s.tolist()
    assert [float(v) for v in d["s_shifted"]] == s2.tolist()
    assert d["unchanged"].tolist() == (s == s2).tolist()


@pytest.mark.parametrize("kernel,n,layers", [((1, 1, 1), 9, 3), ((1, 1), 6, 4), ((1,) * 5, 13, 2)])
def test_valid_vs_same_depth_against_scipy(kernel, n, layers):
    d = F.valid_vs_same_depth(kernel, n, layers=layers)._toeplitz_data
    for mode in ("valid", "same"):
        y, widths = np.ones(n), [n]
        for _ in range(layers):
            y = scipy.signal.convolve(y, kernel, mode)
            widths.append(y.size)
        assert d["widths"][mode] == widths


def test_sliding_window_frames_are_the_slides_and_scipy():
    d = F.FIGURES["sliding_window_frames"]()._toeplitz_data
    exprs = [e for _, e in d["frames"]]
    assert exprs == ["xb + yc + zd", "xc + yd + ze", "xd + ye + zf", "xe + yf"]  # the slides
    assert d["A"]["labels"][0].tolist()[:2] == ["y", "z"]
    check_panel(d["A"])
    for kernel_names, n, rows in [("zyx", 6, (2, 3, 4, 5)), ("pq", 5, (0, 4)),
                                  ("tuvw", 7, (0, 3, 6))]:
        d = F.sliding_window_frames(np.arange(1, len(kernel_names) + 1), n,
                                    labels=tuple(kernel_names), rows=rows)._toeplitz_data
        for r, e in d["frames"]:
            assert terms(e) == scipy_terms(scipy.signal.convolve, kernel_names, "abcdefg"[:n],
                                           (len(kernel_names),), (n,), "same", r)


@pytest.mark.parametrize("kshape,in_shape,out", [((2, 2), (3, 4), (0, 0)),
                                                 ((2, 2), (3, 4), (1, 2)),
                                                 ((2, 3), (4, 4), (2, 1))])
def test_kernel_feature_map_against_scipy(kshape, in_shape, out):
    names = "wxyzuv"[:int(np.prod(kshape))]
    d = F.kernel_feature_map(np.arange(1, len(names) + 1).reshape(kshape), in_shape,
                             labels=tuple(names), output=out)._toeplitz_data
    fm = scipy.signal.correlate(np.zeros(in_shape), np.zeros(kshape), "valid").shape
    assert d["feature_map_shape"] == fm
    row = int(np.ravel_multi_index(out, fm))
    letters = "abcdefghijklmnop"[:int(np.prod(in_shape))]
    assert terms(d["expression"]) == scipy_terms(scipy.signal.correlate, names, letters, kshape,
                                                 in_shape, "valid", row)
    if kshape == (2, 2) and out == (0, 0):
        assert d["expression"] == "wa + xb + ye + zf"       # the slides' first frame

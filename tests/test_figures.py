"""Lecture figures: the data behind each drawing matches the taps and independent references.

References: ``scipy.signal.convolve`` / ``correlate`` of one-hot kernels and
inputs (signal convention), ``numpy.pad`` + ``sliding_window_view`` (layer
convention and padding modes); none of them uses the geometry core.
"""

from pathlib import Path

import matplotlib
import numpy as np
import pytest
import scipy.signal
from matplotlib.figure import Figure
from numpy.lib.stride_tricks import sliding_window_view

from toeplitz_conv import figures as F
from toeplitz_conv.palette import ZERO_COLOR, fill_color, weight_colors, weight_fills

from ._cli import run_cli

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
NP_PAD = {"zeros": "constant", "circular": "wrap", "reflect": "reflect", "replicate": "edge"}


def run(*args):
    return run_cli(*args, cwd=ROOT)


# ------------------------------------------------------------ references

def one_hot(i, shape):
    e = np.zeros(int(np.prod(shape)))
    e[i] = 1.0
    return e.reshape(shape)


def convolve2d_wrap(x, k, mode="same", method=None):
    """scipy's circular convolution, for 1-D via a one-row array (method: unused)."""
    if np.ndim(x) == 1:
        return scipy.signal.convolve2d(x[None, :], np.asarray(k)[None, :], mode,
                                       boundary="wrap")[0]
    return scipy.signal.convolve2d(x, k, mode, boundary="wrap")


def ref_signal(kshape, in_shape, mode, correlate, boundary="fill"):
    """Per-weight matrices M_w with M_w[:, c] = scipy(e_c, e_w, mode)."""
    op = scipy.signal.correlate if correlate else scipy.signal.convolve
    if boundary == "wrap":
        assert not correlate
        op = convolve2d_wrap
    k_n, n = int(np.prod(kshape)), int(np.prod(in_shape))
    return np.stack([np.stack([op(one_hot(c, in_shape), one_hot(w, kshape), mode,
                                  method="direct").ravel() for c in range(n)], axis=1)
                     for w in range(k_n)])


def ref_layer(kshape, spatial, stride, padding, padding_mode):
    """Per-weight matrices of a one-channel torch-style correlation, via numpy.pad."""
    k_n, n = int(np.prod(kshape)), int(np.prod(spatial))
    nd = len(spatial)
    mats = []
    for w in range(k_n):
        cols = []
        for c in range(n):
            xp = np.pad(one_hot(c, spatial), padding, mode=NP_PAD[padding_mode])
            y = np.tensordot(sliding_window_view(xp, kshape), one_hot(w, kshape), axes=nd)
            cols.append(y[(slice(None, None, stride),) * nd].ravel())
        mats.append(np.stack(cols, axis=1))
    return np.stack(mats)


def expected_tie(mats):
    present = mats != 0
    count = present.sum(axis=0)
    tie = np.where(count == 1, present.argmax(axis=0), -1)
    return np.where(count > 1, F.MIXED, tie)


def reference_tie(A):
    info = A.info
    conv = info.get("convention")
    if conv == "signal":
        return expected_tie(ref_signal(A.weight.shape, A.in_shape, info["mode"],
                                       info["correlate"], info["boundary"]))
    kshape = A.weight.shape[2:]
    if A.weight.shape[:2] != (1, 1):
        return None     # the reference layers here have one channel (a dense W has many)
    if conv == "layer":
        return expected_tie(ref_layer(kshape, A.in_shape[1:], info["stride"], info["padding"],
                                      info["padding_mode"]))
    if conv == "transposed_layer":
        return expected_tie(ref_layer(kshape, A.out_shape[1:], info["stride"],
                                      info["padding"], "zeros")).T
    return None


def matrix_panels(fig):
    return {k: v for k, v in fig._toeplitz_data.items()
            if isinstance(v, dict) and "tie" in v and "matrix" in v}


def check_panel(panel):
    """The drawn tie/colour/label arrays equal the taps (and an independent reference)."""
    A, tie, colors, labels = panel["matrix"], panel["tie"], panel["colors"], panel["labels"]
    assert tie.shape == A.shape
    rows, cols, widx = A.taps
    n_taps = np.zeros(A.shape, dtype=int)
    np.add.at(n_taps, (rows, cols), 1)
    single = n_taps[rows, cols] == 1
    assert np.array_equal(tie[rows[single], cols[single]], widx[single])
    assert np.all(tie[n_taps > 1] == F.MIXED)
    stored = A.sparse.toarray() != 0 if A.n_taps == A.nnz else n_taps > 0
    assert np.array_equal(tie == -1, n_taps == 0)
    assert np.all((n_taps > 0) | ~stored)
    palette = weight_colors(A.weight.size, panel.get("block"))
    paint = fill_color          # a weight's cells are painted in its light fill
    if panel.get("palette") is not None and panel["palette"] != palette:
        # pooling windows are drawn in their own fills, never a weight's
        assert not set(panel["palette"]) & set(weight_colors(12) + weight_fills(12))
        palette = panel["palette"]
        paint = str
    for r in range(A.shape[0]):
        for c in range(A.shape[1]):
            t = tie[r, c]
            if t >= 0:
                assert colors[r, c] == palette[t]
                assert labels[r, c]
                if not panel["dimmed"][r, c]:
                    assert panel["drawn_colors"][r, c] == paint(palette[t])
            elif t == -1:
                assert colors[r, c] == ZERO_COLOR and labels[r, c] == ""
            else:
                assert colors[r, c] == F.MIXED_COLOR and "+" in labels[r, c]
    # A split cell shows exactly the colours of the weights its taps sum.
    for (r, c), shown in panel.get("split_colors", {}).items():
        summed = sorted(widx[(rows == r) & (cols == c)].tolist())
        assert len(summed) > 1 and tie[r, c] == F.MIXED
        if not panel["dimmed"][r, c]:
            assert shown == [paint(palette[w]) for w in summed]
    ref = reference_tie(A)
    if ref is not None:
        assert np.array_equal(tie, ref)


# One 1-D and one 2-D call of every figure function.
CASES = {
    "matrix_equation": [dict(kernel=[5, 6, 7], input_shape=4, mode="full"),
                        dict(kernel=[[1, 2], [3, 4]], input_shape=(3, 3), mode="same",
                             labels="symbols"),
                        dict(kernel=[1, 2, 3, 4], input_shape=6, mode="same", correlate=True)],
    "sliding_window": [dict(labels=list("zyx")), dict(kernel=[[1, 2], [3, 4]], input_shape=(3, 4),
                                    correlate=True, row=1, labels=("w", "x", "y", "z"))],
    "doubly_block": [dict(kernel=[1, 2, 3], input_shape=5, mode="full"),
                     dict(kernel=np.arange(6).reshape(2, 3), input_shape=(3, 4),
                          mode="full", correlate=False)],
    "connectivity": [dict(), dict(kernel=np.ones((2, 2)), input_shape=(3, 3), mode="valid")],
    "receptive_field": [dict(), dict(kernel=np.ones((3, 3)), input_shape=(4, 4), layers=2)],
    "parameter_sharing": [dict(), dict(kernel=np.ones((2, 2)), input_shape=(3, 3),
                                       mode="full", weight=3)],
    "stride_subsampling": [dict(), dict(kernel=np.ones((2, 2)), input_shape=(4, 4),
                                        stride=2, padding=1)],
    "transposed": [dict(input_shape=8), dict(kernel=np.ones((2, 2)), input_shape=(4, 5))],
    "padding_modes": [dict(), dict(kernel=np.ones((3, 3)), input_shape=(3, 3))],
    "conv_vs_corr": [dict(), dict(kernel=np.arange(4).reshape(2, 2), input_shape=(3, 3))],
    "output_modes": [dict(kernel=[1, 2, 3, 4], input_shape=5),
                     dict(kernel=np.arange(4).reshape(2, 2), input_shape=(3, 3))],
    "equivariance": [dict(), dict(kernel=[[1, 2], [3, 4]], input_shape=(4, 5), shift=1)],
    "pooling": [dict(), dict(kernel_size=2, input_shape=(4, 4))],
}


# Tested against their own references in test_figures_lecture.py.
LECTURE = {"fully_connected_vs_conv", "locally_connected_vs_tiled", "channels",
           "pooling_stride", "pooling_invariance", "valid_vs_same_depth",
           "sliding_window_frames", "kernel_feature_map"}
# Tested against torch, autograd and scipy in test_figures_{spatial,gradient,network}.py.
LECTURE |= {"spatial", "weight_gradient", "network"}


def test_every_figure_function_has_cases():
    assert {f.__name__ for f in F.FIGURE_FUNCTIONS} <= set(CASES) | LECTURE


@pytest.mark.parametrize("name,i", [(n, i) for n, cs in CASES.items() for i in range(len(cs))
                                    if n != "pooling"])
def test_figure_data_matches_taps_and_references(name, i):
    fig = getattr(F, name)(**CASES[name][i])
    assert isinstance(fig, Figure)
    panels = matrix_panels(fig)
    if name not in ("connectivity", "receptive_field"):
        assert panels
    for panel in panels.values():
        check_panel(panel)


def test_seed_matrix_equation():
    d = F.matrix_equation([5, 6, 7], 4, "full")._toeplitz_data
    expected_y = scipy.signal.convolve([1, 2, 3, 4], [5, 6, 7])
    assert list(d["y"]["labels"]) == [str(v) for v in expected_y]
    assert list(d["x"]["labels"]) == ["1", "2", "3", "4"]
    assert d["A"]["labels"][3].tolist() == ["", "7", "6", "5"]


def test_sliding_window_is_the_slides_illustration():
    d = F.FIGURES["sliding_window"]()._toeplitz_data
    assert d["expression"] == "xb + yc + zd"       # the slides' first output
    d2 = F.FIGURES["sliding_window_2d"]()._toeplitz_data
    assert d2["expression"] == "wb + xc + yf + zg"  # slides: bw + cx + fy + gz
    for row in range(4):
        d = F.sliding_window(row=row)._toeplitz_data
        A = d["A"]["matrix"].toarray()
        assert np.array_equal(np.sort(d["window"]["cols"]), np.flatnonzero(A[row]))
        assert list(d["A"]["dimmed"].any(axis=1)) == [r != row for r in range(4)]


def test_doubly_block_structure():
    d = F.doubly_block(np.arange(1, 7).reshape(2, 3), (4, 5), "full")._toeplitz_data
    tie = d["A"]["tie"]
    bh, bw = d["blocks"]
    assert (bh, bw) == (5 + 3 - 1, 5)
    blocks = {}
    for i in range(tie.shape[0] // bh):
        for j in range(tie.shape[1] // bw):
            b = tie[i * bh:(i + 1) * bh, j * bw:(j + 1) * bw]
            # block Toeplitz: the block depends only on i - j ...
            assert np.array_equal(blocks.setdefault(i - j, b), b)
            # ... and each block is Toeplitz itself
            for r in range(1, bh):
                assert np.array_equal(b[r, 1:], b[r - 1, :-1])


def test_connectivity_counts():
    for kernel, shape, mode in [([1, 1, 1], 6, "same"), (np.ones((2, 2)), (3, 3), "valid")]:
        d = F.connectivity(kernel, shape, mode)._toeplitz_data
        ref = ref_signal(np.shape(kernel), np.atleast_1d(shape), mode, False).any(axis=0)
        m, n = ref.shape
        assert d["dense_edges"] == m * n
        assert d["conv_edges"] == ref.sum() <= d["m_times_k"] == m * np.size(kernel)
        rows, cols, _ = d["edges"]
        assert ref[rows, cols].all()


def test_receptive_field_against_repeated_scipy_convolution():
    for layers, shape, unit in [(3, 9, None), (2, (4, 4), 5), (2, 11, 0)]:
        d = F.receptive_field([1, 1, 1] if np.isscalar(shape) else np.ones((3, 3)), shape,
                              layers=layers, unit=unit)._toeplitz_data
        kernel = np.ones((3,) * np.ndim(np.zeros(shape)))
        n = int(np.prod(shape))
        u = d["unit"]
        seen = []
        for i in range(n):
            y = one_hot(i, shape)
            for _ in range(layers):
                y = scipy.signal.convolve(y, kernel, "same")
            if y.ravel()[u] != 0:
                seen.append(i)
        assert d["fields"][0] == seen
        assert d["fields"][-1] == [u]


def test_parameter_sharing_highlights_every_use():
    d = F.parameter_sharing([1, 2, 3], 6, "same", weight=0)._toeplitz_data
    ref = ref_signal((3,), (6,), "same", False)[0] != 0
    assert np.array_equal(d["A"]["highlighted"], ref)
    drawn = d["A"]["drawn_colors"]
    assert set(drawn[ref]) == {weight_fills(3)[0]}
    assert weight_fills(3)[0] not in set(drawn[~ref])


def test_stride_keeps_every_stride_th_row():
    for shape, stride in [(7, 2), (10, 3), ((5, 5), 2)]:
        d = F.stride_subsampling([1, 2, 3] if np.isscalar(shape) else np.ones((3, 3)), shape,
                                 stride=stride)._toeplitz_data
        m1 = d["A1"]["tie"].shape[0]
        n_axis = shape if np.isscalar(shape) else shape[0]
        out1 = n_axis            # padding 1, kernel 3: stride-1 output keeps the size
        kept = np.arange(0, out1, stride)
        if np.isscalar(shape):
            expected = kept
        else:
            expected = (kept[:, None] * out1 + kept[None, :]).ravel()
        assert m1 == out1 ** len(np.atleast_1d(shape))
        assert np.array_equal(d["kept_rows"], expected)
        assert np.array_equal(d["A1"]["tie"][expected], d["As"]["tie"])


def test_transposed_is_the_transpose():
    # Between them these need output_padding 0, 1 and 2 to give back the input size.
    for kw in [dict(input_shape=7), dict(input_shape=8, stride=3),
               dict(input_shape=9, stride=3, padding=1),
               dict(kernel=np.ones((2, 2)), input_shape=(4, 5)),
               dict(kernel=np.ones((3, 2)), input_shape=(6, 5), stride=2, padding=1)]:
        d = F.transposed(**kw)._toeplitz_data
        assert np.array_equal(d["T"]["tie"], d["A"]["tie"].T)


def test_padding_modes_strip_and_extra_taps():
    d = F.padding_modes([1, 2, 3], 5, padding=2)._toeplitz_data
    letters = np.array(list("abcde"))
    for mode in ("circular", "reflect", "replicate"):
        assert d["padded_input"][mode] == list(np.pad(letters, 2, mode=NP_PAD[mode]))
        # hatched = taps that a zero-padded layer does not have
        zero = ref_layer((3,), (5,), 1, 2, "zeros")
        this = ref_layer((3,), (5,), 1, 2, mode)
        assert np.array_equal(d[mode]["extra"], ((this != 0) & (zero == 0)).any(axis=0))
        # split cells: one band per weight occurrence, as numpy.pad counts them
        split = d[mode]["split_colors"]
        assert set(split) == set(zip(*np.nonzero(this.sum(axis=0) > 1)))
        for (r, c), shown in split.items():
            counts = this[:, r, c].astype(int)
            assert shown == [weight_fills(3)[w] for w in range(3) for _ in range(counts[w])]
    assert d["padded_input"]["zeros"] == ["0", "0", *letters, "0", "0"]
    assert not d["zeros"]["extra"].any()


def test_convolution_flips_the_kernel():
    for kernel, shape in [([1, 2, 3], 6), (np.arange(6).reshape(2, 3), (3, 4))]:
        d = F.conv_vs_corr(kernel, shape)._toeplitz_data
        conv, corr = d["convolution"]["tie"], d["cross-correlation"]["tie"]
        k = np.size(kernel)
        assert np.array_equal(conv, np.where(corr >= 0, k - 1 - corr, corr))


@pytest.mark.parametrize("kernel,shape", [([1, 2, 3], 6), ([1, 2, 3, 4], 7),
                                          (np.arange(1, 5).reshape(2, 2), (3, 4)),
                                          (np.arange(1, 7).reshape(3, 2), (4, 4))])
def test_output_modes_are_row_ranges_of_full(kernel, shape):
    d = F.output_modes(kernel, shape)._toeplitz_data
    x = np.random.default_rng(0).standard_normal(shape)
    full = d["A"]["matrix"] @ x.ravel()
    for mode, rows in d["rows"].items():
        assert np.allclose(full[rows], scipy.signal.convolve(x, kernel, mode).ravel())


@pytest.mark.parametrize("kernel,shape,shift", [([1, 2, 3], 8, 2), ([1, -1], 5, 3),
                                                ([[1, 2], [3, 4]], (4, 5), 1)])
def test_equivariance_against_scipy_wrap(kernel, shape, shift):
    x = np.random.default_rng(3).integers(-5, 6, size=shape)
    d = F.equivariance(kernel, shape, shift=shift, x=x)._toeplitz_data
    axes = tuple(range(np.ndim(x)))
    ref = convolve2d_wrap(x, kernel)
    assert np.array_equal(d["A x"], ref)
    assert np.array_equal(d["A x_shifted"], convolve2d_wrap(np.roll(x, shift, axes), kernel))
    assert np.array_equal(d["A x_shifted"], np.roll(ref, shift, axes))
    tie = d["A"]["tie"]
    if np.ndim(x) == 1:      # circulant: each row is the previous one rotated
        assert all(np.array_equal(tie[r], np.roll(tie[r - 1], 1)) for r in range(1, len(tie)))


def test_pooling_figure():
    assert "pooling" in F.FIGURES
    for i, case in enumerate(CASES["pooling"]):
        fig = F.pooling(**case)
        d = fig._toeplitz_data
        for panel in matrix_panels(fig).values():
            check_panel(panel)
        x = d["x"].astype(float)
        shape = (6,) if i == 0 else (4, 4)
        windows = x.reshape(shape)
        if i == 0:
            windows = windows.reshape(3, 2)
            avg, mx = windows.mean(axis=1), windows.max(axis=1)
        else:
            windows = windows.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)
            avg, mx = windows.mean(axis=2).ravel(), windows.max(axis=2).ravel()
        assert np.allclose(d["average"]["matrix"] @ x, avg)
        assert np.allclose(d["max"]["matrix"] @ x, mx)


def test_bad_arguments():
    with pytest.raises(ValueError, match="labels"):
        F.matrix_equation([1, 2], 3, labels="colours")
    with pytest.raises(ValueError, match="row"):
        F.sliding_window(row=9)
    with pytest.raises(ValueError, match="weight"):
        F.parameter_sharing(weight=3)
    with pytest.raises(ValueError, match="too many"):
        F.matrix_equation(np.ones((3, 3)), (30, 30))
    with pytest.raises(ValueError, match="mode"):
        F.conv_vs_corr(mode="fll")
    with pytest.raises(TypeError, match="not drawn"):
        F.figure_data(Figure())
    fig = F.conv_vs_corr()
    assert F.figure_data(fig) is fig._toeplitz_data
    with pytest.raises(ValueError, match="must end in"):
        F.save_figure(F.FIGURES["matrix_1d"](), "x.gif")


# ------------------------------------------------------ reproducibility & CLI

def test_committed_svgs_are_regenerated_byte_for_byte(tmp_path):
    r = run("figures", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    new = {p.name: p.read_bytes() for p in tmp_path.glob("*.svg")}
    old = {p.name: p.read_bytes() for p in (ROOT / "figures").glob("*.svg")}
    assert set(new) == {f"{n}.svg" for n in F.FIGURES}
    hint = "regenerate with: toeplitz-conv figures --out figures/"
    assert set(old) == set(new), hint
    for name in new:
        assert new[name] == old[name], f"{name} differs; {hint}"


@pytest.mark.parametrize("fmt", ["pdf", "png"])
def test_pdf_and_png_are_reproducible(tmp_path, fmt):
    a = F.save_figure(F.FIGURES["matrix_1d"](), tmp_path / f"a.{fmt}").read_bytes()
    b = F.save_figure(F.FIGURES["matrix_1d"](), tmp_path / f"b.{fmt}").read_bytes()
    assert a == b


@pytest.mark.parametrize("ext,magic", [("svg", b"<?xml"), ("pdf", b"%PDF"),
                                       ("png", b"\x89PNG")])
def test_cli_figure_formats(tmp_path, ext, magic):
    out = tmp_path / f"seed.{ext}"
    r = run("figure", "matrix_1d", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(magic)


def test_cli_figure_list():
    # The function names first (issue 17); the lecture examples follow as aliases.
    r = run("figure", "list")
    assert r.returncode == 0
    names = set(r.stdout.split())
    assert set(F.FIGURES) <= names
    assert {f.__name__ for f in F.FIGURE_FUNCTIONS} <= names


@pytest.mark.parametrize("args,word", [
    (("figure", "nope", "--out", "{tmp}/x.svg"), "unknown figure"),
    (("figure", "matrix_1d", "--out", "{tmp}/x.gif"), ".svg"),
    (("figure", "matrix_1d", "--out", "{tmp}/missing/x.svg"), "does not exist"),
    (("figure", "matrix_1d"), "--out"),
    (("figures", "--out", "{tmp}/file.txt"), "not a directory"),
    (("figures", "--out", "{tmp}/d", "--format", "gif"), "--format"),
])
def test_cli_figure_bad_input_is_one_line(tmp_path, args, word):
    (tmp_path / "file.txt").write_text("x")
    r = run(*(a.format(tmp=tmp_path) for a in args))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]

"""The spatial (conv_arithmetic) figure and the animations, against torch and by measurement.

The reference windows are written here from the layer's definition
(output ``o`` reads padded position ``o * stride + t * dilation``; a transposed
layer's input ``c`` sits at ``full_pad - padding + c * stride`` of the
zero-inserted grid); the numbers come from torch.
"""

import itertools

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from toeplitz_conv import figures as F
from toeplitz_conv.figures._points import MIN_PT, SLIDE_AREAS, text_sizes
from toeplitz_conv.figures._spatial import _check_windows

matplotlib.use("Agg")
torch = pytest.importorskip("torch")


def torch_out(w, x, padding, stride, dilation, transposed):
    wt = torch.tensor(np.asarray(w, float)[None, None])
    xt = torch.tensor(np.asarray(x, float)[None, None])
    nd = wt.ndim - 2
    fn = torch.nn.functional
    if transposed:
        f = fn.conv_transpose1d if nd == 1 else fn.conv_transpose2d
    else:
        f = fn.conv1d if nd == 1 else fn.conv2d
    return f(xt, wt, stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()


def reference_windows(k, n, p, s, d, transposed):
    """1-D: for each output, the padded-grid positions and weight of each tap."""
    if transposed:
        grid_n = 2 * (d * (k - 1) - p) + (n - 1) * s + 1
        out_n = grid_n - d * (k - 1)
        return [[(o + t * d, k - 1 - t) for t in range(k)] for o in range(out_n)], grid_n
    grid_n = n + 2 * p
    out_n = (grid_n - d * (k - 1) - 1) // s + 1
    return [[(o * s + t * d, t) for t in range(k)] for o in range(out_n)], grid_n


CONFIGS_1D = [(k, n, p, s, d, tr) for k, n, p, s, d, tr in itertools.product(
    (1, 2, 3), (3, 5), (0, 1, 2), (1, 2), (1, 2), (False, True))
    if (tr and p <= d * (k - 1)) or (not tr and n + 2 * p >= d * (k - 1) + 1)]


def test_spatial_1d_windows_against_the_definition():
    for i, (k, n, p, s, d, tr) in enumerate(CONFIGS_1D):
        rng = np.random.default_rng(i)
        w = rng.integers(-3, 4, k)
        lay = F.spatial_layout(k, n, padding=p, stride=s, dilation=d, transposed=tr, kernel=w)
        ref, grid_n = reference_windows(k, n, p, s, d, tr)
        assert lay["grid_shape"] == (grid_n,)
        assert [sorted(win) for win in lay["windows"]] == [sorted(win) for win in ref]
        if tr:      # inputs every s-th cell after the padding, zeros between them
            first = d * (k - 1) - p
            where = {first + c * s: c for c in range(n)}
            assert lay["sources"].tolist() == [where.get(g, -1) for g in range(grid_n)]
            assert lay["kinds"].count("zero") == (n - 1) * (s - 1)
        else:
            assert lay["kinds"] == ["pad"] * p + ["input"] * n + ["pad"] * p
        # The layer's numbers are torch's.
        x = rng.integers(-3, 4, n)
        y = torch_out(w, x, p, s, d, tr)
        np.testing.assert_allclose(lay["matrix"] @ x.astype(float), y)


@pytest.mark.parametrize("k,n,p,s,d,tr", CONFIGS_1D[::9])
def test_spatial_1d_figure_draws_the_layers_numbers(k, n, p, s, d, tr):
    rng = np.random.default_rng(k * 100 + n * 10 + p)
    w = rng.integers(-3, 4, k)
    x = rng.integers(-3, 4, n)
    fig = F.spatial(k, n, padding=p, stride=s, dilation=d, transposed=tr, kernel=w, x=x, row=0)
    np.testing.assert_allclose(F.figure_data(fig)["y"], torch_out(w, x, p, s, d, tr))


@pytest.mark.parametrize("k,n,p,s,d,tr", [((3, 3), (4, 5), 1, 2, 1, False),
                                          ((2, 3), (4, 5), 0, 1, 2, False),
                                          ((3, 3), (2, 2), 0, 2, 1, True),
                                          ((3, 2), (2, 3), 1, (2, 1), 1, True)])
def test_spatial_2d_against_torch(k, n, p, s, d, tr):
    rng = np.random.default_rng(7)
    w = rng.integers(-3, 4, k)
    x = rng.integers(-3, 4, n)
    last = F.spatial(k, n, padding=p, stride=s, dilation=d, transposed=tr, kernel=w, x=x)
    rec = F.figure_data(last)
    y = torch_out(w, x, p, s, d, tr)
    np.testing.assert_allclose(rec["y"], y.ravel())
    assert rec["layout"]["out_shape"] == y.shape
    # Every output's expression is its value: the products of its window's inputs.
    lay = rec["layout"]
    for r in range(len(lay["windows"])):
        total = sum(w.ravel()[wi] * x.ravel()[lay["sources"][g]]
                    for g, wi in lay["windows"][r] if lay["sources"][g] >= 0)
        assert total == y.ravel()[r]


def test_the_window_check_can_fail():
    lay = F.spatial_layout(3, 5, padding=1)
    shifted = [[(c + 1, wi) for c, wi in win] for win in lay["windows"]]
    with pytest.raises(RuntimeError, match="matrix row"):
        _check_windows(shifted, lay["sources"], lay["matrix"])


def test_spatial_symbols_are_the_lectures_illustration_1():
    got = [F.figure_data(F.spatial(3, 6, padding=1, row=r, labels=("x", "y", "z")))["expression"]
           for r in (2, 3, 4, 5)]
    assert got == ["xb + yc + zd", "xc + yd + ze", "xd + ye + zf", "xe + yf"]
    d = F.figure_data(F.spatial(3, 4, padding=2, kernel=[7, 6, 5], x=[1, 2, 3, 4], row=3))
    assert (d["expression"], d["value"]) == ("7·2 + 6·3 + 5·4", "52")


@pytest.mark.parametrize("slide", list(SLIDE_AREAS))
def test_spatial_fits_its_slide_with_11pt_text(slide):
    fig = F.spatial(3, (5, 5), padding=1, row=3, slide=slide, title=False)
    w, h = SLIDE_AREAS[slide]
    assert tuple(fig.get_size_inches() * 72) == pytest.approx((w, h))
    box = fig.get_tightbbox(FigureCanvasAgg(fig).get_renderer())
    assert box.x0 >= -0.01 and box.x1 * 72 <= w + 0.5 and box.y1 * 72 <= h + 0.5
    assert min(pt for _, pt in text_sizes(fig)) >= MIN_PT
    with pytest.raises(ValueError, match="smaller input_shape"):
        F.spatial(3, (12, 12), padding=1, slide=slide)


def test_animation_frames_are_counted_sized_and_unclipped(tmp_path):
    from PIL import Image

    anim = F.animate("spatial", kernel_size=3, input_shape=4, padding=1, stride=2,
                     slide="4:3", dpi=30)
    assert len(anim.images) == 2 == anim.records[-1]["matrix"].shape[0]
    assert len({im.shape for im in anim.images}) == 1
    # The frame is the union of the frames' boxes: the whole 306 x 222 pt figure.
    h, w = anim.images[0].shape[:2]
    assert w >= 306 / 72 * 30 and h >= 222 / 72 * 30
    out = F.save_animation(anim, tmp_path / "s.gif")
    with Image.open(out) as im:
        assert im.n_frames == 2 and im.size == (w, h)
    assert F.ANIMATION_DPI == 200
    # A narrow figure whose title is wider than its frame keeps the title.
    narrow = F.animate(F.sliding_window, input_shape=3, kernel=(1, 2), dpi=40)
    single = F.sliding_window(input_shape=3, kernel=(1, 2), row=0)
    box = single.get_tightbbox(FigureCanvasAgg(single).get_renderer())
    assert narrow.images[0].shape[1] >= box.width * 40 - 1


def test_spatial_on_the_command_line(tmp_path, capsys):
    from toeplitz_conv.cli import main

    out = tmp_path / "t.png"
    assert main(["figure", "spatial", "--n", "2x2", "--padding", "0", "--stride", "2",
                 "--transposed", "--slide", "4:3", "--out", str(out)]) == 0
    assert out.exists()
    # Another file: --out refuses to overwrite t.png without --force.
    assert main(["figure", "spatial", "--n", "20x20", "--slide", "4:3",
                 "--out", str(tmp_path / "u.png")]) == 2
    err = capsys.readouterr().err
    assert "does not fit a slide" in err and "--slide '16:9'" in err and "Traceback" not in err

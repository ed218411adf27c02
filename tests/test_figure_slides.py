"""Slide presets: a ``slide=`` figure is the Beamer text area at natural size.

Measured on the Figure itself, as it is placed in a frame without scaling:
its size (inches x 72) is at most the text area of a 4:3 (307 x 223 pt) or
16:9 (398 x 209 pt) frame, every text is at least 11 pt (Beamer's body
text), lies inside the figure and overlaps no other text.  A figure that
cannot fit says so, with a suggestion.
"""

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from toeplitz_conv import figures as F

matplotlib.use("Agg")

AREA = {"4:3": (307.0, 223.0), "16:9": (398.0, 209.0)}
MIN_PT = 11.0
# Every lecture figure fits a 16:9 frame, and all but the two 12-column
# matrices of a 3 x 4 input fit a 4:3 frame (those say to use 16:9); the 4:3
# frames of test_figure_tikz.py are measured there with slide_problems.
TOO_BIG_4_3 = {"sliding_window_2d", "doubly_block_2d"}
TIKZ_4_3 = {"matrix_1d", "sliding_window", "connectivity", "locally_connected_vs_tiled",
            "equivariance", "sliding_window_frames"}


def slide_problems(fig, slide):
    """What is wrong with ``fig`` as a figure for ``slide``: a list of strings, empty if fine."""
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    w_pt, h_pt = fig.get_size_inches() * 72
    max_w, max_h = AREA[slide]
    problems = []
    if w_pt > max_w + 0.01 or h_pt > max_h + 0.01:
        problems.append(f"figure is {w_pt:.1f} x {h_pt:.1f} pt, over {max_w:g} x {max_h:g}")
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts, "a figure without text measures nothing"
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for t in texts:
        if t.get_fontsize() < MIN_PT:
            problems.append(f"{t.get_text()!r} is {t.get_fontsize():.1f} pt")
    W, H = fig.bbox.width, fig.bbox.height
    for i, (s, b) in enumerate(boxes):
        if b.x0 < -0.5 or b.y0 < -0.5 or b.x1 > W + 0.5 or b.y1 > H + 0.5:
            problems.append(f"{s!r} runs off the figure")
        for s2, b2 in boxes[i + 1:]:
            if min(b.x1, b2.x1) - max(b.x0, b2.x0) > 1 and min(b.y1, b2.y1) - max(b.y0, b2.y0) > 1:
                problems.append(f"{s!r} overlaps {s2!r}")
    return problems


@pytest.mark.parametrize("name", list(F.FIGURES))
def test_every_lecture_figure_fits_a_16_9_frame(name):
    fig = F.FIGURES[name](slide="16:9", title=False)
    assert F.figure_data(fig) is not None
    assert not slide_problems(fig, "16:9")


@pytest.mark.parametrize("name", [n for n in F.FIGURES if n not in TOO_BIG_4_3 | TIKZ_4_3])
def test_figures_that_fit_a_4_3_frame(name):
    assert not slide_problems(F.FIGURES[name](slide="4:3", title=False), "4:3")


def test_a_figure_that_cannot_fit_says_so():
    with pytest.raises(ValueError, match=r"padding_modes does not fit a 16:9 slide .* "
                                         r"below the 11 pt .* smaller example"):
        F.FIGURES["padding_modes"](input_shape=5, slide="16:9")
    # Too wide for 4:3, fine on 16:9: the message suggests it.
    with pytest.raises(ValueError, match=r"sliding_window does not fit a 4:3 .* "
                                         r"slide='16:9' \(its smallest text would be"):
        F.FIGURES["sliding_window_2d"](slide="4:3", title=False)
    # Too wide with its own title only: the message says so.
    with pytest.raises(ValueError, match=r"or title=False \(the frame's title; its text"):
        F.FIGURES["sliding_window"](slide="4:3")
    with pytest.raises(ValueError, match="slide must be one of '4:3', '16:9'"):
        F.matrix_equation(slide="4:3 ")
    with pytest.raises(TypeError, match="title"):
        F.matrix_equation(title="no")


def test_the_measure_can_fail():
    fig = F.FIGURES["matrix_1d"](slide="4:3", title=False)
    assert not slide_problems(fig, "4:3")
    # The same figure at its free size is too large; one small text is caught...
    assert any("over 307 x 223" in p for p in slide_problems(F.FIGURES["matrix_1d"](), "4:3"))
    small = next(t for t in fig.findobj(Text) if t.get_text() == "52")
    small.set_fontsize(9)
    assert slide_problems(fig, "4:3") == ["'52' is 9.0 pt"]
    # ... and so are a text moved onto another and one pushed off the figure.
    small.set_fontsize(20)
    other = next(t for t in fig.findobj(Text) if t.get_text() == "45")
    small.set_position(other.get_position())
    assert slide_problems(fig, "4:3") == ["'52' overlaps '45'"]
    small.set_position((-5, 0))
    assert slide_problems(fig, "4:3") == ["'52' runs off the figure"]


def test_title_false_drops_only_the_title(tmp_path):
    with_title = F.FIGURES["sliding_window"](slide="16:9")
    without = F.FIGURES["sliding_window"](slide="16:9", title=False)
    texts = {t.get_text() for t in with_title.findobj(Text)}
    assert "One output = kernel · window = one row of A" in texts
    assert texts - {t.get_text() for t in without.findobj(Text)} == {
        "One output = kernel · window = one row of A"}
    # Saved at its own size: the file is the figure (not trimmed and padded).
    from PIL import Image

    path = F.save_figure(without, tmp_path / "s.png", dpi=100)
    w, h = without.get_size_inches() * 100
    assert Image.open(path).size == pytest.approx((w, h), abs=1)


def test_cli_slide_and_no_title(tmp_path, capsys):
    from PIL import Image

    from toeplitz_conv.cli import main

    out = tmp_path / "w.png"
    assert main(["figure", "sliding_window", "--slide", "4:3", "--no-title", "--dpi", "72",
                 "--out", str(out)]) == 0
    w, h = Image.open(out).size           # at 72 dpi a pixel is a point
    assert w <= 307 and h <= 223 and w > 250
    refused = tmp_path / "p.png"
    assert main(["figure", "padding_modes", "--input-shape", "5", "--slide", "16:9", "--out",
                 str(refused)]) == 2
    assert "does not fit a 16:9 slide" in capsys.readouterr().err
    assert not refused.exists()
    assert main(["figures", "--out", str(tmp_path / "d"), "--slide", "5:4"]) == 2
    assert "--slide must be one of 4:3, 16:9" in capsys.readouterr().err


def test_a_figure_fitted_to_the_minimum_keeps_it():
    # Scaled down to exactly 11 pt: rounding must not leave 10.99999 pt.
    import numpy as np

    fig = F.receptive_field(np.ones((3, 3)), (4, 4), layers=2, slide="4:3", title=False)
    assert not slide_problems(fig, "4:3")
    assert min(t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()) < 11.5

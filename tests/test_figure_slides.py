"""Slide geometry: every registered figure, scaled to fit a 4:3 slide's content area
(680 x 420 pt), keeps every text at 14 pt or more.

The scale is the one a lecturer gets when the saved file (tight bounding box
plus the 0.15 in pad that ``save_figure`` adds) is fitted into the area; each
text artist's font size is multiplied by it.
"""

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from toeplitz_conv import figures as F

matplotlib.use("Agg")

SLIDE_W, SLIDE_H = 680.0, 420.0     # points
MIN_PT = 14.0
PAD_IN = 0.15


def slide_text_sizes(fig):
    """(text, size in pt on the slide) of every visible non-empty text of ``fig``."""
    FigureCanvasAgg(fig)
    with F.figure_style():
        bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    w_pt = (bbox.width + 2 * PAD_IN) * 72
    h_pt = (bbox.height + 2 * PAD_IN) * 72
    scale = min(SLIDE_W / w_pt, SLIDE_H / h_pt)
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts, "a figure without text measures nothing"
    return [(t.get_text(), t.get_fontsize() * scale) for t in texts]


@pytest.mark.parametrize("name", list(F.FIGURES))
def test_every_text_is_readable_on_a_slide(name):
    sizes = slide_text_sizes(F.FIGURES[name]())
    small = [(s, round(pt, 1)) for s, pt in sizes if pt < MIN_PT]
    assert not small, f"{name}: texts below {MIN_PT} pt on a 680x420 pt slide: {small[:5]}"


def test_the_measure_can_fail():
    # A wide figure (four modes in a row of 12-sample matrices) must be flagged...
    wide = F.padding_modes(input_shape=12)
    assert min(pt for _, pt in slide_text_sizes(wide)) < MIN_PT
    # ... and the scale follows the figure: the same text is smaller in a larger figure.
    small = dict(slide_text_sizes(F.conv_vs_corr(input_shape=6)))
    large = dict(slide_text_sizes(F.conv_vs_corr(input_shape=16)))
    title = "Convolution flips the kernel (mode 'valid')"
    assert large[title] < small[title]

"""Every registered figure is projector-friendly: no saturated or dark fill, no black.

Walks :data:`toeplitz_conv.figures.FIGURES`, draws each lecture figure (free
size, no slide fitting: the colours do not depend on it), and reads back every
filled patch (cells, units, legend swatches; not arrows, which are lines) and
every text.  The colour measures (HSV saturation, WCAG 2 luminance and
contrast) are computed here from their definitions.
"""

import matplotlib as mpl
import pytest
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.text import Text

from toeplitz_conv import figures as F

from .test_palette import INK, contrast, hsv_saturation, luminance
from .test_palette import _cell_texts as cell_texts

mpl.use("Agg")

MAX_SATURATION = 0.5
MIN_LUMINANCE = 0.2


def hexa(c):
    return mpl.colors.to_hex(c, keep_alpha=False).upper()


def fills(fig):
    """The face colour of every visible filled patch but the figure's and axes' backgrounds."""
    backgrounds = {id(fig.patch)} | {id(ax.patch) for ax in fig.axes}
    out = []
    for p in fig.findobj(Patch):
        if (id(p) in backgrounds or not p.get_visible() or not p.get_fill()
                or isinstance(p, FancyArrowPatch) or p.get_facecolor()[3] == 0):
            continue
        out.append(hexa(p.get_facecolor()))
    return out


def colour_problems(fig):
    problems = []
    for face in set(fills(fig)):
        if hsv_saturation(face) > MAX_SATURATION + 1e-9:
            problems.append(f"fill {face} has saturation {hsv_saturation(face):.2f}")
        if luminance(face) < MIN_LUMINANCE:
            problems.append(f"fill {face} is dark (luminance {luminance(face):.2f})")
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and hexa(t.get_color()) == "#000000":
            problems.append(f"text {t.get_text()!r} is pure black")
    return problems


def draw(name):
    func = F.FIGURES[name]
    kwargs = {"slide": None} if func.keywords.get("slide") else {}   # type: ignore[attr-defined]
    return func(**kwargs)


@pytest.mark.parametrize("name", list(F.FIGURES))
def test_every_figure_has_light_fills_and_no_black(name):
    fig = draw(name)
    assert fills(fig), "a figure without fills measures nothing"
    assert colour_problems(fig) == []
    # and every text drawn on a cell reads on it at 4.5:1 (WCAG 2), in the colour used
    for ink, face in cell_texts(fig):
        assert contrast(ink, face) >= 4.5, (ink, face)
    # dark text would read on every fill: none needs white text
    assert all(contrast(f, INK) >= 4.5 for f in fills(fig))


def test_the_check_catches_a_saturated_fill_and_black_text():
    fig = F.FIGURES["matrix_1d"]()
    assert colour_problems(fig) == []
    ax = fig.axes[0]
    ax.patches[0].set_facecolor("#0072B2")          # a full weight colour, as before
    ax.texts[0].set_color("black")
    problems = colour_problems(fig)
    assert any("saturation 1.00" in p for p in problems)
    assert any("pure black" in p for p in problems)
    ax.patches[0].set_facecolor("#595959")          # the old dark sum fill
    assert any("dark" in p for p in colour_problems(fig))

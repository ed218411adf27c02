"""One colour per kernel weight, shared by the figures and the explorer.

Tied weights are coloured by their weight index (the index into
``weight.ravel()`` used by :attr:`TiedMatrix.taps`), the same way in every
figure and page, so a student can follow ``w_1`` from one picture to the next.

Up to 12 weights get the colours of :data:`QUALITATIVE`: every pair of them
differs by a CIEDE2000 colour difference of at least 10 under normal vision
and under simulated deuteranopia and protanopia (Machado, Oliveira &
Fernandes 2009, severity 1), so a colour-blind student can still tell the
weights apart.  More weights cannot all be told apart by colour alone: they
are drawn as hue families, one hue per channel block (see
:func:`weight_colors`), and the figures and the explorer label every weight
cell with its index.  Text on a cell is dark grey (:data:`INK`; black only on
the few mid-dark full colours where INK falls short) or white, whichever reads
(:func:`text_color`): at least 4.5:1 (WCAG 2) on every fill.

A figure fills a weight's cells with its *tint* (:func:`fill_color`,
:func:`weight_fills`): the colour mixed halfway to white, so that no fill
is saturated or dark (HSV saturation at most 0.5, relative luminance at
least 0.25) and INK reads on every one; the full colours are for
lines (a network's edges) and the explorer's cells.
"""

from __future__ import annotations

import math

from ._validation import as_int

__all__ = ["FAMILY_HUES", "FILL_TINT", "INK", "PAD_COLOR", "POOL_COLORS", "QUALITATIVE",
           "ZERO_COLOR", "contrast_ratio", "family_color", "fill_color", "pool_colors",
           "relative_luminance", "text_color", "weight_color", "weight_colors", "weight_fills"]

#: The Okabe–Ito colours without their black (a black fill hides its cell's
#: grid and reads as a hole on a projector), a muted brown in its place, and
#: four extras, chosen by a search that maximised the smallest CIEDE2000
#: difference of any pair under normal vision, simulated deuteranopia and
#: protanopia, and against the zero, padding and sum fills; kept at lightness
#: L* 25–88 so no extra is a second black or white.  The brown (L* 46, chroma
#: 26) was the most distinct non-dark colour left: 11.7 from every other
#: colour and fill.  The smallest difference of any pair (or prefix) is 11.6,
#: under deuteranopia, between two Okabe–Ito colours.
QUALITATIVE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
    "#F0E442", "#886644", "#1801C9", "#26D994", "#5C4913", "#493559",
)
#: CIE LCh hue angles of the families used above 12 weights, one per channel
#: block: blue, orange, purple, green, cyan, red.  Ordered so that
#: neighbouring blocks (and the sixth and the first) differ by CIEDE2000 >= 10
#: under simulated deuteranopia and protanopia too, at any lightness step.
FAMILY_HUES = (255.0, 70.0, 310.0, 150.0, 205.0, 20.0)
#: The dark text colour: a near-black grey (pure black glares on a projector).
INK = "#222222"
#: How far a weight's fill is mixed from its colour towards white (:func:`fill_color`).
FILL_TINT = 0.5
#: Fill of a structurally zero cell.
ZERO_COLOR = "#FFFFFF"
#: Fill of a zero-padding cell.
PAD_COLOR = "#E8E8E8"
#: Fills of pooling windows, taking turns: two muted tans, none of them a
#: weight colour (a pooling window is not a learned weight).
POOL_COLORS = ("#E4D5B7", "#C7B79A")

# Lightness range of a family (CIE L*) and the chroma it aims for.
_FAMILY_L = (36.0, 80.0)
_FAMILY_C = 42.0
# sRGB (D65) <- XYZ, and the D65 white point.
_XYZ_TO_RGB = ((3.2404542, -1.5371385, -0.4985314),
               (-0.9692660, 1.8760108, 0.0415560),
               (0.0556434, -0.2040259, 1.0572252))
_WHITE = (0.95047, 1.0, 1.08883)


def _linear(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_color: str) -> float:
    """WCAG 2 relative luminance of ``#RRGGBB`` (0 for black, 1 for white).

    >>> relative_luminance("#FFFFFF"), relative_luminance("#000000")
    (1.0, 0.0)
    """
    r, g, b = (_linear(int(hex_color[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#RRGGBB`` colours, from 1 to 21.

    >>> round(contrast_ratio("#FFFFFF", "#000000"), 6)
    21.0
    """
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_color(fill: str) -> str:
    """Dark or white text for ``fill``, whichever has the higher WCAG contrast on it.

    Dark text is :data:`INK` where it reads at 4.5:1 or more, else black
    (only on the few mid-dark fills where INK does not reach 4.5:1).  The
    better of black and white is always at least 4.58:1, so text on any
    cell fill meets the 4.5:1 of WCAG 2 (a brightness threshold does not:
    it puts white on ``#009E73`` at 3.3:1).

    >>> text_color("#009E73"), text_color("#0072B2"), text_color("#F0E442")
    ('#222222', '#FFFFFF', '#222222')
    >>> text_color("#D55E00")       # INK would read at 4.1:1 on it
    '#000000'
    """
    lum = relative_luminance(fill)
    on_black, on_white = (lum + 0.05) / 0.05, 1.05 / (lum + 0.05)
    if on_black < on_white:
        return "#FFFFFF"
    return INK if contrast_ratio(fill, INK) >= 4.5 else "#000000"


def fill_color(color: str) -> str:
    """The fill of a weight's cell: ``color`` mixed :data:`FILL_TINT` of the way to white.

    >>> fill_color("#0072B2"), fill_color("#000000")
    ('#80B9D8', '#808080')
    """
    r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#{:02X}{:02X}{:02X}".format(*(round(255 * (v + (1 - v) * FILL_TINT))
                                          for v in (r, g, b)))


def _lch_to_linear(L: float, C: float, h: float) -> tuple[float, float, float]:
    a, b = C * math.cos(math.radians(h)), C * math.sin(math.radians(h))
    fy = (L + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200

    def finv(t: float) -> float:
        return t ** 3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)

    xyz = [w * finv(t) for w, t in zip(_WHITE, (fx, fy, fz))]
    r, g, bl = (sum(m * v for m, v in zip(row, xyz)) for row in _XYZ_TO_RGB)
    return r, g, bl


def _to_hex(linear: tuple[float, float, float]) -> str:
    def encode(v: float) -> int:
        v = min(max(v, 0.0), 1.0)
        s = 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
        return round(255 * s)
    return "#{:02X}{:02X}{:02X}".format(*(encode(v) for v in linear))


def family_color(hue: float, step: int, steps: int) -> str:
    """Colour ``step`` of ``steps`` in the family of CIE LCh hue angle ``hue``.

    The steps run from dark to light at constant hue; the chroma is lowered
    where the sRGB gamut asks for it (light blues, dark yellows).

    >>> dark, light = family_color(255.0, 0, 3), family_color(255.0, 2, 3)
    >>> relative_luminance(dark) < relative_luminance(light)
    True
    """
    lo, hi = _FAMILY_L
    L = (lo + hi) / 2 if steps <= 1 else lo + (hi - lo) * step / (steps - 1)
    ok, bad = 0.0, _FAMILY_C
    if all(0.0 <= v <= 1.0 for v in _lch_to_linear(L, bad, hue)):
        ok = bad
    else:
        for _ in range(30):         # bisect the largest in-gamut chroma
            mid = (ok + bad) / 2
            if all(0.0 <= v <= 1.0 for v in _lch_to_linear(L, mid, hue)):
                ok = mid
            else:
                bad = mid
    return _to_hex(_lch_to_linear(L, ok, hue))


def weight_colors(n_weights: int, block: int | None = None) -> list[str]:
    """Hex colours for the weight indices ``range(n_weights)``.

    Up to 12 weights get the distinct, colour-blind-safe colours of
    :data:`QUALITATIVE` (``weight_colors(n)`` is always a prefix of it).

    Above 12, the weights are cut into channel blocks of ``block``
    consecutive indices (for a layer's weight ``(C_out, C_in, *kernel)``,
    ``block = prod(kernel)`` makes one block per Toeplitz block of the
    matrix); every block gets one hue family from :data:`FAMILY_HUES`, its
    weights lightness steps within it.  Blocks past the sixth reuse the hues,
    and steps within a block come close when it is large: such weights are
    told apart by their index labels, which the figures and the explorer
    draw on every weight cell.  Without ``block`` the weights are cut into
    (at most) six equal runs.

    >>> weight_colors(3)
    ['#0072B2', '#E69F00', '#009E73']
    >>> c = weight_colors(18, block=9)
    >>> len(c), c[0] == family_color(FAMILY_HUES[0], 0, 9)
    (18, True)
    >>> c[9] == family_color(FAMILY_HUES[1], 0, 9)
    True
    """
    n_weights = as_int(n_weights, "n_weights", minimum=0)
    if n_weights <= len(QUALITATIVE):
        return list(QUALITATIVE[:n_weights])
    if block is None:
        block = -(-n_weights // len(FAMILY_HUES))
    block = as_int(block, "block", minimum=1)
    steps = min(block, n_weights)
    family = [[family_color(hue, j, steps) for j in range(steps)] for hue in FAMILY_HUES]
    return [family[(i // block) % len(FAMILY_HUES)][i % block] for i in range(n_weights)]


def weight_fills(n_weights: int, block: int | None = None) -> list[str]:
    """The cell fills of :func:`weight_colors`: each colour's :func:`fill_color`.

    >>> weight_fills(3)
    ['#80B9D8', '#F2CF80', '#80CEB9']
    """
    return [fill_color(c) for c in weight_colors(n_weights, block)]


def pool_colors(n_windows: int) -> list[str]:
    """Fills for ``n_windows`` pooling windows: :data:`POOL_COLORS` taking turns.

    Neighbouring windows differ; no fill is a weight colour.

    >>> pool_colors(3)
    ['#E4D5B7', '#C7B79A', '#E4D5B7']
    """
    n_windows = as_int(n_windows, "n_windows", minimum=0)
    return [POOL_COLORS[i % len(POOL_COLORS)] for i in range(n_windows)]


def weight_color(index: int, n_weights: int, block: int | None = None) -> str:
    """The colour of weight ``index`` among ``n_weights``.

    >>> weight_color(1, 3)
    '#E69F00'
    """
    return weight_colors(n_weights, block)[index]

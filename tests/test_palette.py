"""Weight colours: colour-blind-safe up to 12, hue families above, readable text.

The colour science here is written from the published definitions, not taken
from ``toeplitz_conv.palette``: sRGB decoding and the sRGB -> XYZ matrix (IEC
61966-2-1), CIELAB (CIE 15), CIEDE2000 (Sharma, Wu & Dalal 2005, checked
against their test pairs), the dichromat simulation of Machado, Oliveira &
Fernandes 2009 (severity 1.0, applied to linear RGB) and the WCAG 2 contrast
ratio.  ΔE below is CIEDE2000.
"""

from __future__ import annotations

import numpy as np
import pytest

from toeplitz_conv.palette import (
    FAMILY_HUES,
    PAD_COLOR,
    POOL_COLORS,
    QUALITATIVE,
    ZERO_COLOR,
    text_color,
    weight_colors,
    weight_fills,
)

# Machado et al. 2009, table of simulation matrices, severity 1.0.
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868],
                       [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                         [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
VISIONS = {"normal": np.eye(3), "deuteranopia": DEUTERANOPIA, "protanopia": PROTANOPIA}
MIXED_COLOR = "#A6A6A6"         # the figures' fill for a sum of weights (figures/_data.py)
INK = "#222222"                 # dark text (palette.INK)


def linear_rgb(hexes):
    c = np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(lin):
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    d = 6 / 29
    f = np.where(xyz > d ** 3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                     200 * (f[:, 1] - f[:, 2])], axis=1)


def seen(hexes, vision):
    """CIELAB of the colours as a viewer with ``vision`` sees them."""
    return lab(np.clip(linear_rgb(hexes) @ VISIONS[vision].T, 0, 1))


def ciede2000(p, q):
    L1, a1, b1 = np.moveaxis(np.asarray(p, float), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(q, float), -1, 0)
    cbar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(cbar ** 7 / (cbar ** 7 + 25.0 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1 = np.degrees(np.arctan2(b1, a1)) % 360
    h2 = np.degrees(np.arctan2(b2, a2)) % 360
    zero = c1 * c2 == 0
    dh = h2 - h1
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(zero, 0, dh)
    dL, dC = L2 - L1, c2 - c1
    dH = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    lbar, cpbar = (L1 + L2) / 2, (c1 + c2) / 2
    hsum = h1 + h2
    hbar = np.where(np.abs(h1 - h2) > 180,
                    np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2), hsum / 2)
    hbar = np.where(zero, hsum, hbar)
    t = (1 - 0.17 * np.cos(np.radians(hbar - 30)) + 0.24 * np.cos(np.radians(2 * hbar))
         + 0.32 * np.cos(np.radians(3 * hbar + 6)) - 0.20 * np.cos(np.radians(4 * hbar - 63)))
    dtheta = 30 * np.exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cpbar ** 7 / (cpbar ** 7 + 25.0 ** 7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    sc, sh = 1 + 0.045 * cpbar, 1 + 0.015 * cpbar * t
    rt = -np.sin(np.radians(2 * dtheta)) * rc
    return np.sqrt((dL / sl) ** 2 + (dC / sc) ** 2 + (dH / sh) ** 2
                   + rt * (dC / sc) * (dH / sh))


def pair_de(hexes, vision):
    """Matrix of ΔE between every pair (inf on the diagonal)."""
    v = seen(hexes, vision)
    d = ciede2000(v[:, None], v[None, :])
    np.fill_diagonal(d, np.inf)
    return d


def smallest_de(hexes):
    """Smallest ΔE of any pair, under any of the three visions."""
    return min(pair_de(hexes, v).min() for v in VISIONS)


def contrast(a, b):
    def lum(h):
        r, g, b_ = linear_rgb([h])[0]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --------------------------------------------------------------------------- references
def test_ciede2000_matches_sharma_test_data():
    # Sharma, Wu & Dalal (2005), table 1: pairs 1, 4, 7, 11, 17, 19, 25, 33.
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
             ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0000),
             ((50, 0, 0), (50, -1, 2), 2.3669),
             ((50, 2.5, 0), (50, 0, -2.5), 4.3065),
             ((50, 2.5, 0), (73, 25, -18), 27.1492),
             ((50, 2.5, 0), (58, 24, 15), 19.4535),
             ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
             ((0, 0, 0), (0, 0, 0), 0.0)]
    for p, q, want in pairs:
        assert ciede2000(p, q) == pytest.approx(want, abs=1e-4), (p, q)
    assert ciede2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(ciede2000((73, 25, -18),
                                                                            (50, 2.5, 0)))


def test_simulation_keeps_greys_and_merges_red_green():
    greys = ["#000000", "#777777", "#FFFFFF"]
    for vision in VISIONS:
        assert np.allclose(seen(greys, vision), seen(greys, "normal"), atol=0.5)
    # tab10's orange and green: far apart for normal vision, the same for a
    # protanope; its orange and olive likewise for a deuteranope
    orange_green, orange_olive = ["#FF7F0E", "#2CA02C"], ["#FF7F0E", "#BCBD22"]
    assert pair_de(orange_green, "normal")[0, 1] > 50
    assert pair_de(orange_green, "protanopia")[0, 1] < 3
    assert pair_de(orange_olive, "normal")[0, 1] > 30
    assert pair_de(orange_olive, "deuteranopia")[0, 1] < 5


# --------------------------------------------------------------------------- up to 12
@pytest.mark.parametrize("n", range(1, 13))
def test_up_to_12_weights_differ_for_colour_blind_viewers(n):
    colors = weight_colors(n)
    assert colors == list(QUALITATIVE[:n]) and len(set(colors)) == n
    if n > 1:
        assert smallest_de(colors) >= 10
    # and from the cells they sit beside in the explorer: structural zero, padding
    for vision in VISIONS:
        d = pair_de(colors + [ZERO_COLOR, PAD_COLOR], vision)
        assert d[:n, n:].min() >= 10, vision


def hsv_saturation(h):
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.0 if max(r, g, b) == 0 else (max(r, g, b) - min(r, g, b)) / max(r, g, b)


def luminance(h):
    r, g, b = linear_rgb([h])[0]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def fill_problems(fills):
    """Why ``fills`` are no projector fills: saturated, dark, or dark text unreadable."""
    out = []
    for f in fills:
        if hsv_saturation(f) > 0.5 + 1e-9:
            out.append(f"{f} saturation {hsv_saturation(f):.2f}")
        if luminance(f) < 0.2:
            out.append(f"{f} luminance {luminance(f):.2f}")
        if contrast(f, INK) < 4.5:
            out.append(f"{f} dark text at {contrast(f, INK):.2f}:1")
    return out


@pytest.mark.parametrize("n, block", [(12, None), (40, 4), (60, 10)])
def test_weight_fills_are_light_and_still_told_apart(n, block):
    fills = weight_fills(n, block)
    # (families past the sixth block repeat, as the full colours do)
    assert len(set(fills)) == len(set(weight_colors(n, block))) and fill_problems(fills) == []
    assert text_color(fills[0]) == INK
    assert min(luminance(f) for f in fills) >= 0.25      # as palette's docstring says
    if n == 12:
        # Lighter colours sit closer: the first 3 stay far apart (a 3-tap kernel), all 12
        # keep a difference a viewer sees side by side, under each vision.
        assert smallest_de(fills[:3]) >= 15
        assert smallest_de(fills) >= 5
        for vision in VISIONS:
            d = pair_de(fills + [ZERO_COLOR, PAD_COLOR, MIXED_COLOR], vision)
            assert d[:7, n:].min() >= 5.5 and d[:n, n:].min() >= 3.5, vision
        # pooling windows keep their own fills, none a weight's
        assert not set(POOL_COLORS) & set(fills)


def test_the_fill_check_rejects_saturated_and_dark_fills():
    assert len(fill_problems(list(QUALITATIVE))) >= 12       # the full colours as fills
    assert fill_problems(["#595959"]) != []                  # the old dark sum fill
    assert fill_problems([PAD_COLOR, ZERO_COLOR, MIXED_COLOR, *POOL_COLORS]) == []


def test_the_check_rejects_turbo_tab10_and_the_old_extras():
    import matplotlib as mpl

    cmap = mpl.colormaps["turbo"]
    turbo = [mpl.colors.to_hex(cmap(0.05 + 0.9 * i / 11)).upper() for i in range(12)]
    tab10 = [mpl.colors.to_hex(c).upper() for c in mpl.colormaps["tab10"].colors]
    old = list(QUALITATIVE[:8]) + ["#882255", "#117733", "#332288", "#999933"]
    for bad in (turbo, tab10, old):
        assert pair_de(bad, "normal").min() >= 9       # fine for normal vision ...
        assert smallest_de(bad) < 10                   # ... not for a dichromat


# --------------------------------------------------------------------------- above 12
def lch_hue(hexes):
    v = seen(hexes, "normal")
    return np.degrees(np.arctan2(v[:, 2], v[:, 1])) % 360


@pytest.mark.parametrize("n, block", [(13, None), (18, 9), (27, 9), (48, 4), (50, 25),
                                      (72, 6)])
def test_above_12_one_hue_family_per_channel_block(n, block):
    colors = weight_colors(n, block)
    assert len(colors) == n
    b = block if block is not None else -(-n // 6)
    blocks = np.arange(n) // b
    family = blocks % len(FAMILY_HUES)
    light = seen(colors, "normal")[:, 0]
    hue = lch_hue(colors)
    for k in np.unique(blocks):
        members = blocks == k
        # one hue per block, within 20 degrees of the family's (sRGB rounding
        # and gamut clipping move it a little), getting lighter step by step
        off = (hue[members] - FAMILY_HUES[family[members][0]] + 180) % 360 - 180
        assert np.all(np.abs(off) < 20), (k, off)
        assert np.all(np.diff(light[members]) > 0)
        # the same family for a block's weights, a different one next door
        assert len(set(np.array(colors)[members])) == members.sum()
    for vision in VISIONS:
        d = pair_de(colors, vision)
        nxt = (family[:, None] - family[None, :]) % len(FAMILY_HUES)
        # neighbouring blocks differ at every weight, for every viewer
        assert d[(nxt == 1) | (nxt == len(FAMILY_HUES) - 1)].min() >= 10, vision
        if vision == "normal":      # any two families, for normal vision
            assert d[family[:, None] != family[None, :]].min() >= 10


def test_above_12_is_not_turbo():
    import matplotlib as mpl

    cmap = mpl.colormaps["turbo"]
    colors = weight_colors(27, 9)
    turbo = [mpl.colors.to_hex(cmap(0.05 + 0.9 * i / 26)).upper() for i in range(27)]
    assert not set(colors) & set(turbo)
    # turbo fails the neighbouring-block rule the families pass
    fam = np.arange(27) // 9
    d = pair_de(turbo, "deuteranopia")
    assert d[np.abs(fam[:, None] - fam[None, :]) == 1].min() < 10


def test_weight_colors_refuses_bad_input():
    with pytest.raises(ValueError, match="n_weights"):
        weight_colors(-1)
    with pytest.raises(TypeError, match="n_weights"):
        weight_colors(2.5)          # type: ignore[arg-type]
    with pytest.raises(ValueError, match="block"):
        weight_colors(20, 0)
    assert weight_colors(np.int64(3)) == weight_colors(3)


# --------------------------------------------------------------------------- text contrast
def test_text_on_every_fill_reaches_4_5():
    rng = np.random.default_rng(0)
    fills = list(QUALITATIVE) + [ZERO_COLOR, PAD_COLOR, MIXED_COLOR]
    for n, block in [(40, 4), (60, 10), (200, 50)]:
        fills += weight_colors(n, block)
    fills += ["#{:02X}{:02X}{:02X}".format(*rgb) for rgb in rng.integers(0, 256, (300, 3))]
    for fill in fills:
        ink = text_color(fill)
        assert ink in (INK, "#000000", "#FFFFFF")
        assert contrast(fill, ink) >= 4.5, (fill, ink)
        # black only where the dark grey would not reach 4.5:1
        assert ink != "#000000" or contrast(fill, INK) < 4.5, fill
    # the rule the figures used before (Rec. 601 luma > 0.55 -> black) fails it
    def luma_rule(h):
        r, g, b = (int(h[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#FFFFFF"
    assert contrast("#009E73", luma_rule("#009E73")) < 4.5


def _cell_texts(fig):
    """(text colour, fill under it) for every text drawn on a filled cell."""
    import matplotlib as mpl
    from matplotlib.patches import Rectangle

    ax = fig.axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_fill()]
    out = []
    for t in ax.texts:
        if not t.get_text().strip():
            continue
        x, y = t.get_position()
        under = [p for p in rects if p.get_x() <= x <= p.get_x() + p.get_width()
                 and p.get_y() <= y <= p.get_y() + p.get_height()]
        if not under:
            continue
        box = t.get_bbox_patch()
        face = box.get_facecolor() if box is not None else under[-1].get_facecolor()
        out.append((mpl.colors.to_hex(t.get_color()).upper(), mpl.colors.to_hex(face).upper()))
    return out


@pytest.mark.parametrize("name, kwargs", [
    ("matrix_equation", {}), ("fully_connected_vs_conv", {"input_shape": 6}),
    ("channels", {"input_shape": (3, 4), "kernel_size": 3, "out_channels": 2}),
    ("padding_modes", {}),
])
def test_figure_cell_labels_read_on_their_cells(name, kwargs):
    import toeplitz_conv.figures as F

    pairs = _cell_texts(getattr(F, name)(**kwargs))
    assert len(pairs) >= 6
    for ink, fill in pairs:
        assert contrast(ink, fill) >= 4.5, (name, ink, fill)


def test_many_weights_are_labelled_in_figures_and_explorer():
    import toeplitz_conv.figures as F
    from toeplitz_conv.explorer import explore

    # 18 weights: every drawn weight cell of the dense W carries its index
    fig = F.fully_connected_vs_conv(input_shape=6)
    W = fig._toeplitz_data["W"]
    assert W["tie"].max() + 1 == 24 and all(W["labels"][W["tie"] >= 0])
    drawn = {t.get_text() for t in fig.axes[0].texts}
    assert {f"{r},{c}" for r in range(4) for c in range(6)} <= drawn
    # a (2, 3, 3, 3) layer: one family per (output, input) channel pair, names on cells
    w = np.arange(54.0).reshape(2, 3, 3, 3)
    data = explore(w, (3, 5, 5)).data["weights"]
    assert data["colors"] == weight_colors(54, 9)
    assert len(set(data["names"])) == 54
    for fill, ink in zip(data["colors"], data["text"]):
        assert contrast(fill, ink) >= 4.5

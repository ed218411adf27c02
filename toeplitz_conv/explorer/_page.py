"""The explorer page: the :class:`Explorer` object and its HTML, rendered from the assets."""

from __future__ import annotations

import html as html_lib
import json
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Explorer", "kernel_layout", "matrix_layout", "natural_layout", "page_height",
           "with_layout"]


class Explorer:
    """An explorer page: ``.html`` is the whole self-contained page.

    Returned by :func:`explore`; renders inline in Jupyter (an ``iframe``
    whose ``srcdoc`` is the page, so several explorers on one notebook page
    never share ids or scripts).

    Attributes
    ----------
    html : str
        The page: inline CSS, SVG (drawn by inline JavaScript) and data; no
        network access of any kind.
    data : dict
        The embedded data (what the page draws).
    variants : dict
        Variant key -> variant data (taps, windows, layout).
    initial : str
        The key of the variant shown first (the one asked for).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.html = _render(data)

    @property
    def variants(self) -> dict[str, dict[str, Any]]:
        return self.data["variants"]

    @property
    def initial(self) -> str:
        return self.data["initial"]

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        height = self.data["height"]
        return (f'<iframe srcdoc="{html_lib.escape(self.html, quote=True)}" '
                f'style="width:100%;height:{height}px;border:0" '
                f'title="toeplitz_conv explorer"></iframe>')

    def __repr__(self) -> str:
        v = self.variants[self.initial]
        return (f"Explorer({v['title']!r}, variants={len(self.variants)}, "
                f"html={len(self.html)} chars)")

# --------------------------------------------------------------------------- layout
# Pixel sizes of the page.  They live here, not in the JavaScript, so that the
# iframe height is computed from the very numbers the page draws with.

#: The kernel panel: pixels per weight cell and the margin around them.
KERNEL_PITCH, KERNEL_MARGIN = 44, 4
#: The natural panel (input, padding, output): target width, cell size range.
NATURAL_WIDTH, NATURAL_CELL = 560, (10, 36)
#: The matrix panel: target width and cell size range; row/column numbers from 16 px cells.
MATRIX_WIDTH, MATRIX_CELL, LABEL_CELL = 520, (2, 40), 16
#: No text is drawn smaller than this (pixels at the page's natural size).
MIN_FONT = 12
#: Page chrome around the panels (title, switches, actions, legend, info line, captions, note).
CHROME = 270
#: The narrow layout: used when the window is at most NARROW_BELOW px wide.  Its
#: panels are stacked and drawn at their own pixel size (never scaled down, so
#: no text drops below MIN_FONT), each at most NARROW_WIDTH px wide where the
#: cell ranges allow (a 400-px window less the page margins and a scrollbar);
#: a panel that is still wider scrolls inside its own box, never the page.
NARROW_BELOW, NARROW_WIDTH = 600, 356
#: The wide layout: from WIDE_FROM px the matrix takes at least half the window
#: (scaled up with all its text), for a projector or a large screen.
WIDE_FROM = 1200
#: The magnifier: a LENS_SIZE px inset that follows the pointer over a matrix
#: whose cells are under LENS_BELOW px, showing them LENS_CELL px large.
LENS_SIZE, LENS_BELOW, LENS_CELL = 200, 12, 28
#: Block labels: the band above (per input channel) and left (per output channel)
#: of a channel-block matrix, outside every cell.
BLOCK_BAND_TOP, BLOCK_BAND_LEFT = 18, 40
#: The narrow natural panel's smallest cell (smaller than the wide one's: seeing
#: the whole input row beats scrolling along it).
NARROW_NATURAL_MIN = 8


def _px(v: float) -> float | int:
    """A pixel coordinate for the JSON: an int when whole (shorter), else 0.1 px."""
    r = round(float(v), 1)
    return int(r) if r.is_integer() else r


def _ring(cell: float) -> list[float | int]:
    """Widths of the selection's double outline (black outside, white inside) for a cell size."""
    outer = max(1.0, min(4.0, cell * 0.14))
    return [_px(outer), _px(max(0.5, outer / 2.5))]


def kernel_layout(place: dict[str, Any], flip: bool = False) -> dict[str, Any]:
    """Pixel layout of the kernel panel from the weights' grid places.

    With ``flip`` (the signal convention, where a convolution slides the
    flipped kernel) a second copy sits below the first, each weight at its
    mirrored place (in C order the flat index read backwards).

    >>> lay = kernel_layout({"cells": [[0, 0], [1, 0]], "w": 1, "h": 1, "cols": 2})
    >>> lay["cell"], lay["at"], lay["width"], lay["height"], lay["flip_at"]
    (42, [[4, 22], [48, 22]], 96, 80, [])
    >>> kernel_layout({"cells": [[0, 0], [1, 0]], "w": 1, "h": 1, "cols": 2}, True)["flip_at"]
    [[48, 94], [4, 94]]
    """
    g, pad, cap = KERNEL_PITCH, KERNEL_MARGIN, 18
    n = len(place["cells"])
    at = [[_px(pad + x * g), _px(cap + pad + y * g)] for x, y in place["cells"]]
    block = cap + place["h"] * g + 10
    flip_at = [[at[n - 1 - i][0], _px(at[n - 1 - i][1] + block)] for i in range(n)] if flip else []
    captions = [[pad, 12, "as given"]]
    if flip:
        captions.append([pad, _px(block + 12), "flipped: what slides over x in a convolution"])
    return {"cell": g - 2, "at": at, "flip_at": flip_at, "captions": captions,
            "cols": place["cols"], "ring": _ring(g),
            "width": _px(max(2 * pad + (place["w"] + 1) * g, 330 if flip else 80)),
            "height": _px(2 * pad + block * (2 if flip else 1)), "height_one": _px(2 * pad + block)}


def natural_layout(place: dict[str, Any], nd: int, fit: int | None = None) -> dict[str, Any]:
    """Pixel layout of the input-and-output panel from a variant's grid places.

    The cell size shrinks with the grid's width so the panel fits
    :data:`NATURAL_WIDTH`, within :data:`NATURAL_CELL`.  In 1-D a row above
    the input holds the weight names of a pointed-at output's window.

    With ``fit`` (the narrow layout) the margins shrink to the captions and
    the cells are the largest in the range whose whole panel is at most
    ``fit`` pixels wide (the smallest cell if none is).

    >>> lay = natural_layout({"grid": [[0, 0], [1, 0]], "outs": [[0.5, 1.75]],
    ...                       "captions": [[-0.25, 0.5, "x", "end"]], "w": 2, "h": 2.75}, 1)
    >>> lay["cell"], lay["grid"], lay["outs"], lay["captions"], lay["tag_dy"]
    (35, [[40, 24], [76, 24]], [[58, 87]], [[31, 42, 'x', 'end']], -11)
    >>> row = {"grid": [[i, 0] for i in range(28)], "outs": [],
    ...        "captions": [[-0.25, 0.5, "x", "end"]], "w": 28, "h": 2.75}
    >>> wide, narrow = natural_layout(row, 1), natural_layout(row, 1, fit=356)
    >>> wide["width"], narrow["width"], narrow["cell"], narrow["grid"][0]
    (631, 345, 10, [18, 24])
    """
    lo, hi = NATURAL_CELL
    oy = 24 if nd == 1 else 20
    if fit is None:
        g = max(lo, min(hi, int(NATURAL_WIDTH // max(place["w"] + 1, 1))))
        ox, right = 40, 40
    else:
        # 1-D captions stand left of the rows (13 px text, under 8 px a character);
        # 2-D captions stand above the grids
        longest = max((len(str(c[2])) for c in place["captions"]), default=1)
        ox, right = (8 * longest + 10 if nd == 1 else 8), 8
        lo = min(lo, NARROW_NATURAL_MIN)
        g = next((g for g in range(hi, lo - 1, -1)
                  if ox + right + (place["w"] + 1) * g <= fit), lo)
    return {
        "cell": g - 1,
        "font": min(14, int(g * 0.5)),
        "grid": [[_px(ox + x * g), _px(oy + y * g)] for x, y in place["grid"]],
        "outs": [[_px(ox + x * g), _px(oy + y * g)] for x, y in place["outs"]],
        # each row's window outline per channel, 3 px outside its cells
        "frames": [[[_px(ox + x0 * g - 3), _px(oy + y0 * g - 3), _px((x1 - x0) * g + 5),
                     _px((y1 - y0) * g + 5)] for x0, y0, x1, y1 in row]
                   for row in place.get("frames", [])],
        "captions": [[_px(ox + x * g), _px(oy + y * g), text, anchor]
                     for x, y, text, anchor in place["captions"]],
        "tag_dy": -11 if nd == 1 else 0,
        "ring": _ring(g),
        "width": _px(ox + right + (place["w"] + 1) * g),
        "height": _px(2 * oy + (place["h"] + 0.5) * g),
    }


def matrix_layout(m: int, n: int, blocks: list[list[int]], sub: list[list[int]] | None = None,
                  block_labels: list[str] | None = None, fit: int | None = None) -> dict[str, Any]:
    """Pixel layout of the ``y = A x`` panel: every row's and column's position.

    ``blocks`` are ``[row, col, rows, cols]`` channel blocks and ``sub`` the
    blocks of a doubly block matrix, returned as ``[x, y, width, height]``
    rectangles.  With channel blocks, a band above the matrix names each
    block column's input channel (``x[i]``) and a band left of it each block
    row's output channel (``y[o]``): block labels never sit over cells.  With
    ``fit`` (the narrow layout) the cells are the largest in the range whose
    whole panel is at most ``fit`` pixels wide.

    >>> lay = matrix_layout(2, 3, [])
    >>> lay["cell"], lay["x"], lay["y"], lay["out_x"], lay["labels"], lay["lens"]
    (40, [44, 84, 124], [64, 104], 174, True, 0)
    >>> [(lay["cell"], lay["width"]) for lay in (matrix_layout(26, 24, []),
    ...                                          matrix_layout(26, 24, [], fit=356))]
    [(20, 578), (12, 340)]
    >>> lay = matrix_layout(4, 4, [[0, 0, 2, 2], [0, 2, 2, 2], [2, 0, 2, 2], [2, 2, 2, 2]])
    >>> lay["block_text"][:2], lay["block_text"][2][2:]
    ([[124, 11, 'x[0]', 'middle'], [204, 11, 'x[1]', 'middle']], ['y[0]', 'end'])
    >>> matrix_layout(60, 62, [])["lens"]          # 8 px cells: a 3.5x magnifier
    3.5
    """
    lo, hi = MATRIX_CELL
    band_top, band_left = (BLOCK_BAND_TOP, BLOCK_BAND_LEFT) if blocks else (0, 0)

    def width(cs: int) -> int:
        return band_left + (44 if cs >= LABEL_CELL else 6) + (n + 1) * cs + 34

    if fit is None:
        cs = max(lo, min(hi, MATRIX_WIDTH // max(m, n)))
    else:
        cs = next((c for c in range(hi, lo - 1, -1) if width(c) <= fit), lo)
    labels = cs >= LABEL_CELL
    left = band_left + (44 if labels else 6)
    top = band_top + cs + 8 + (16 if labels else 0)
    x = [left + c * cs for c in range(n)]
    y = [top + r * cs for r in range(m)]
    out_x = left + n * cs + 10

    def rects(bl: list[list[int]]) -> list[list[int]]:
        return [[left + c0 * cs, top + r0 * cs, w * cs, h * cs] for r0, c0, h, w in bl]

    block_px = rects(blocks)
    # one label per block column (above) and per block row (left), centred on it
    block_text: list[list[Any]] = []
    for i, (bx, _, bw, _) in enumerate(sorted({(b[0], 0, b[2], 0) for b in block_px})):
        block_text.append([_px(bx + bw / 2), band_top - 7, f"x[{i}]", "middle"])
    for o, (_, by, _, bh) in enumerate(sorted({(0, b[1], 0, b[3]) for b in block_px})):
        block_text.append([band_left - 4, _px(by + bh / 2), f"y[{o}]", "end"])
    cell_font = min(16, int(cs * 0.42)) if cs * 0.42 >= MIN_FONT else 0
    # large cells name the weight above its value
    two = cs >= 36 and cell_font > 0
    return {
        "cell": cs,
        "x": x, "y": y, "in_y": 2 + band_top, "out_x": out_x,
        "right": left + n * cs, "bottom": top + m * cs,
        # vector and cell labels only where they are at least MIN_FONT high
        "vec_font": min(14, int(cs * 0.4)) if cs * 0.4 >= MIN_FONT else 0,
        "cell_font": cell_font,
        "cell_text": {"name_dy": _px(cs * 0.3) if two else 0, "name_font": MIN_FONT if two else 0,
                      "value_dy": _px(cs * 0.66 if two else cs / 2)},
        "labels": labels,
        "idx_x": left - 14, "idx_y": band_top + cs + 14,
        "cap_x": [band_left + 2, _px(band_top + cs / 2 + 2)],
        "cap_y": [out_x + cs + 4, _px(top + cs / 2)],
        "blocks": block_px,
        "sub": rects(sub or []),
        "block_text": block_text,
        # kept for pages and scripts that read it: no label sits in a block any more
        "block_at": [],
        "ring": _ring(cs),
        "small": cs < LABEL_CELL,
        "lens": _px(LENS_CELL / cs) if cs < LENS_BELOW else 0,
        "width": width(cs), "height": top + m * cs + 6,
    }


def with_layout(variant: dict[str, Any]) -> dict[str, Any]:
    """The variant's data with its grid places replaced by the pixel layout of both panels.

    ``narrow`` holds the same panels laid out for a narrow window (see
    :data:`NARROW_BELOW`; in 2-D from ``place_narrow``, the output grids under
    the input grids); the page picks one with a media query.
    """
    out = {k: v for k, v in variant.items() if k not in ("place", "place_narrow")}
    args = (variant["m"], variant["n"], variant["blocks"], variant["sub"], variant["block_labels"])
    out["natural"] = natural_layout(variant["place"], variant["nd"])
    out["matrix"] = matrix_layout(*args)
    narrow_place = variant.get("place_narrow") or variant["place"]
    out["narrow"] = {"below": NARROW_BELOW,
                     "natural": natural_layout(narrow_place, variant["nd"], fit=NARROW_WIDTH),
                     "matrix": matrix_layout(*args, fit=NARROW_WIDTH)}
    return out


def page_height(kernel: dict[str, Any], variants: list[dict[str, Any]]) -> int:
    """The iframe height that shows the tallest variant without inner scrolling.

    The matrix panel takes a line of its own; the kernel and input panels
    share one when the page is wide enough, so adding all three heights is
    an upper bound (the page then shrinks its frame to fit, see explorer.js).
    The narrow layout stacks the same three panels.
    """
    lays = [lay for v in variants for lay in (v, v.get("narrow", v))]
    return int(CHROME + kernel["height"] + max(v["natural"]["height"] for v in lays)
               + max(v["matrix"]["height"] for v in lays))


# --------------------------------------------------------------------------- rendering
def _asset(name: str) -> str:
    """The text of ``toeplitz_conv/_explorer_assets/<name>`` (package data, so installs ship it)."""
    return resources.files("toeplitz_conv").joinpath("_explorer_assets").joinpath(name).read_text(
        encoding="utf-8")


def _render(data: dict[str, Any]) -> str:
    """The self-contained page: the assets inlined, ``data`` embedded as JSON."""
    payload = json.dumps(data, separators=(",", ":"))
    # Inside <script>, "</script" ends the element early and "<!--" with
    # "<script" changes how the parser looks for the end: no "<" at all
    # (JSON.parse reads the escape back as "<").
    payload = payload.replace("<", "\\u003c")
    page = _asset("page.html")
    v = data["variants"][data["initial"]]
    return (page.replace("{{TITLE}}", html_lib.escape(v["title"]))
                .replace("/*{{CSS}}*/", _asset("explorer.css"))
                .replace("/*{{JS}}*/", _asset("explorer.js"))
                .replace("{{DATA}}", payload))


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
KERNEL_PITCH, KERNEL_MARGIN = 40, 4
#: The natural panel (input, padding, output): target width, cell size range, margins.
NATURAL_WIDTH, NATURAL_CELL = 720, (10, 34)
#: The matrix panel: target width and cell size range; labels from 12 px cells.
MATRIX_WIDTH, MATRIX_CELL, LABEL_CELL = 640, (6, 26), 12
#: Page chrome around the panels (title, switches, info line, captions, note).
CHROME = 180


def _px(v: float) -> float | int:
    """A pixel coordinate for the JSON: an int when whole (shorter), else 0.1 px."""
    r = round(float(v), 1)
    return int(r) if r.is_integer() else r


def kernel_layout(place: dict[str, Any]) -> dict[str, Any]:
    """Pixel layout of the kernel panel from the weights' grid places.

    >>> kernel_layout({"cells": [[0, 0], [1, 0]], "w": 2, "h": 1})
    {'cell': 38, 'at': [[4, 4], [44, 4]], 'width': 128, 'height': 88}
    """
    g, pad = KERNEL_PITCH, KERNEL_MARGIN
    return {"cell": g - 2,
            "at": [[_px(pad + x * g), _px(pad + y * g)] for x, y in place["cells"]],
            "width": _px(2 * pad + (place["w"] + 1) * g),
            "height": _px(2 * pad + (place["h"] + 1) * g)}


def natural_layout(place: dict[str, Any], nd: int) -> dict[str, Any]:
    """Pixel layout of the input-and-output panel from a variant's grid places.

    The cell size shrinks with the grid's width so the panel fits
    :data:`NATURAL_WIDTH`, within :data:`NATURAL_CELL`.

    >>> lay = natural_layout({"grid": [[0, 0], [1, 0]], "outs": [[0.5, 1.75]],
    ...                       "captions": [[-0.25, 0.5, "x", "end"]], "w": 2, "h": 2.75}, 1)
    >>> lay["cell"], lay["grid"], lay["outs"], lay["captions"]
    (33, [[40, 4], [74, 4]], [[57, 63.5]], [[31.5, 21, 'x', 'end']])
    """
    lo, hi = NATURAL_CELL
    g = max(lo, min(hi, int(NATURAL_WIDTH // max(place["w"], 1))))
    ox, oy = 40, 4 if nd == 1 else 20
    return {
        "cell": g - 1,
        "font": min(12, int(g * 0.34)),
        "grid": [[_px(ox + x * g), _px(oy + y * g)] for x, y in place["grid"]],
        "outs": [[_px(ox + x * g), _px(oy + y * g)] for x, y in place["outs"]],
        "captions": [[_px(ox + x * g), _px(oy + y * g), text, anchor]
                     for x, y, text, anchor in place["captions"]],
        "width": _px(2 * ox + (place["w"] + 1) * g),
        "height": _px(2 * oy + (place["h"] + 0.5) * g),
    }


def matrix_layout(m: int, n: int, blocks: list[list[int]]) -> dict[str, Any]:
    """Pixel layout of the ``y = A x`` panel: every row's and column's position.

    ``blocks`` are ``[row, col, rows, cols]`` channel blocks, returned as
    ``[x, y, width, height]`` rectangles.

    >>> lay = matrix_layout(2, 3, [])
    >>> lay["cell"], lay["x"], lay["y"], lay["out_x"], lay["labels"]
    (26, [44, 70, 96], [50, 76], 132, True)
    """
    lo, hi = MATRIX_CELL
    cs = max(lo, min(hi, MATRIX_WIDTH // max(m, n)))
    labels = cs >= LABEL_CELL
    left, top = (44 if labels else 6), cs + 8 + (16 if labels else 0)
    x = [left + c * cs for c in range(n)]
    y = [top + r * cs for r in range(m)]
    out_x = left + n * cs + 10
    return {
        "cell": cs,
        "x": x, "y": y, "in_y": 2, "out_x": out_x,
        "right": left + n * cs, "bottom": top + m * cs,
        # the input and output vectors are labelled from 18 px, matrix cells from 20 px
        "vec_font": min(10, int(cs * 0.36)) if cs >= 18 else 0,
        "cell_font": int(cs * 0.42) if cs >= 20 else 0,
        "labels": labels,
        "idx_x": left - 14, "idx_y": cs + 14,
        "cap_x": [2, _px(cs / 2 + 2)], "cap_y": [out_x + cs + 4, _px(top + cs / 2)],
        "blocks": [[left + c0 * cs, top + r0 * cs, w * cs, h * cs] for r0, c0, h, w in blocks],
        "small": cs < LABEL_CELL,
        "width": out_x + cs + 24, "height": top + m * cs + 6,
    }


def with_layout(variant: dict[str, Any]) -> dict[str, Any]:
    """The variant's data with its grid places replaced by the pixel layout of both panels."""
    out = {k: v for k, v in variant.items() if k != "place"}
    out["natural"] = natural_layout(variant["place"], variant["nd"])
    out["matrix"] = matrix_layout(variant["m"], variant["n"], variant["blocks"])
    return out


def page_height(kernel: dict[str, Any], variants: list[dict[str, Any]]) -> int:
    """The iframe height that shows the tallest variant without inner scrolling.

    The matrix panel takes a line of its own; the kernel and input panels
    share one when the page is wide enough, so adding all three heights is
    an upper bound (the page then shrinks its frame to fit, see explorer.js).
    """
    return int(CHROME + kernel["height"] + max(v["natural"]["height"] for v in variants)
               + max(v["matrix"]["height"] for v in variants))


# --------------------------------------------------------------------------- rendering
def _asset(name: str) -> str:
    """The text of ``toeplitz_conv/_explorer_assets/<name>`` (package data, so installs ship it)."""
    return resources.files("toeplitz_conv").joinpath("_explorer_assets").joinpath(name).read_text(
        encoding="utf-8")


def _render(data: dict[str, Any]) -> str:
    """The self-contained page: the assets inlined, ``data`` embedded as JSON."""
    payload = json.dumps(data, separators=(",", ":"))
    # Inside <script>, only "</" can end the element early.
    payload = payload.replace("</", "<\\/")
    page = _asset("page.html")
    v = data["variants"][data["initial"]]
    return (page.replace("{{TITLE}}", html_lib.escape(v["title"]))
                .replace("/*{{CSS}}*/", _asset("explorer.css"))
                .replace("/*{{JS}}*/", _asset("explorer.js"))
                .replace("{{DATA}}", payload))


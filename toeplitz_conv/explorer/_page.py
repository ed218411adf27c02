"""The explorer page: the :class:`Explorer` object and its HTML, rendered from the assets."""

from __future__ import annotations

import html as html_lib
import json
from importlib import resources
from pathlib import Path
from typing import Any


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

def _matrix_cell(m: int, n: int) -> int:
    """Pixel size of a matrix cell (mirrors the page's choice, for the iframe height)."""
    return max(6, min(26, 640 // max(m, n)))


def _natural_cell(width_cells: float) -> int:
    return max(10, min(34, int(720 // max(width_cells, 1))))


# --------------------------------------------------------------------------- rendering
def _asset(name: str) -> str:
    return resources.files("toeplitz_conv").joinpath("_explorer_assets", name).read_text(
        encoding="utf-8")


def _render(data: dict[str, Any]) -> str:
    payload = json.dumps(data, separators=(",", ":"))
    # Inside <script>, only "</" can end the element early.
    payload = payload.replace("</", "<\\/")
    page = _asset("page.html")
    v = data["variants"][data["initial"]]
    return (page.replace("{{TITLE}}", html_lib.escape(v["title"]))
                .replace("/*{{CSS}}*/", _asset("explorer.css"))
                .replace("/*{{JS}}*/", _asset("explorer.js"))
                .replace("{{DATA}}", payload))


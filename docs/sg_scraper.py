"""A sphinx-gallery image scraper for the Figures that ``toeplitz_conv.figures`` returns.

Those figures are made with ``matplotlib.figure.Figure`` directly, never
through pyplot (library code must not open windows), so sphinx-gallery's
matplotlib scraper, which asks pyplot for its figures, does not see them.
This one looks for Figures among the example's variables instead (a figure an
example makes through pyplot is left to the matplotlib scraper).
"""

from __future__ import annotations

from typing import Any

__all__ = ["figure_scraper"]


def figure_scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """Save each new ``Figure`` bound to a variable of the example; return their rST.

    A figure is saved once: it is marked, so a later code block of the same
    example does not show it again.
    """
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    # A figure made through pyplot has a manager; sphinx-gallery's own matplotlib
    # scraper (the next in the list) saves those, so saving it here too would show it twice.
    figures = [v for v in block_vars["example_globals"].values()
               if isinstance(v, Figure) and not getattr(v, "_sg_scraped", False)
               and getattr(v.canvas, "manager", None) is None]
    paths = []
    for fig, path in zip(figures, block_vars["image_path_iterator"]):
        fig.savefig(path, dpi=110, bbox_inches="tight")
        fig._sg_scraped = True
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])

"""One colour per kernel weight, shared by the figures and the explorer.

Tied weights are coloured by their weight index (the index into
``weight.ravel()`` used by :attr:`TiedMatrix.taps`), the same way in every
figure and page, so a student can follow ``w_1`` from one picture to the next.
"""

from __future__ import annotations

__all__ = ["PAD_COLOR", "QUALITATIVE", "ZERO_COLOR", "weight_color", "weight_colors"]

#: Okabe–Ito colour-blind-safe colours (black and yellow moved last: they
#: read worst on a projector as cell fills), then four darker extras.
QUALITATIVE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
    "#F0E442", "#000000", "#882255", "#117733", "#332288", "#999933",
)
#: Fill of a structurally zero cell.
ZERO_COLOR = "#FFFFFF"
#: Fill of a zero-padding cell.
PAD_COLOR = "#E8E8E8"


def weight_colors(n_weights: int) -> list[str]:
    """Hex colours for the weight indices ``range(n_weights)``.

    Up to 12 weights get distinct qualitative colours; more weights are
    sampled evenly from the ``turbo`` colour map, so neighbours in the kernel
    stay distinguishable.

    >>> weight_colors(3)
    ['#0072B2', '#E69F00', '#009E73']
    >>> len(weight_colors(27))
    27
    """
    if n_weights < 0:
        raise ValueError(f"n_weights must be >= 0, got {n_weights}")
    if n_weights <= len(QUALITATIVE):
        return list(QUALITATIVE[:n_weights])
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["turbo"]
    return [to_hex(cmap(0.05 + 0.9 * i / (n_weights - 1))) for i in range(n_weights)]


def weight_color(index: int, n_weights: int) -> str:
    """The colour of weight ``index`` among ``n_weights``.

    >>> weight_color(1, 3)
    '#E69F00'
    """
    return weight_colors(n_weights)[index]

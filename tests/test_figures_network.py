"""network: reach and receptive field against scipy.signal, the dense layer complete."""

import matplotlib
import numpy as np
import pytest
import scipy.signal

from toeplitz_conv import figures as F
from toeplitz_conv.figures._graph import _reach
from toeplitz_conv.figures._points import MIN_PT, SLIDE_AREAS, text_sizes

matplotlib.use("Agg")


def one_hot(i, n):
    v = np.zeros(n)
    v[i] = 1
    return v


@pytest.mark.parametrize("k,n,mode", [(3, 5, "same"), (2, 6, "valid"), (3, 4, "full")])
def test_reach_and_field_are_scipys(k, n, mode):
    ones = np.ones(k)
    d = F.figure_data(F.network(ones, n, mode, dense=mode != "full"))
    c = n // 2
    want = set(np.flatnonzero(scipy.signal.convolve(one_hot(c, n), ones, mode)).tolist())
    assert d["unit"] == c and d["lit"]["conv"]["outputs"] == want
    m = d["matrix"].shape[0]
    if mode != "full":
        assert d["lit"]["dense"]["outputs"] == set(range(m))
        assert len(d["dense"].taps[0]) == m * n
    # Every other unit, from the same matrices (the figure lights what _reach gives).
    for c in range(n):
        want = set(np.flatnonzero(scipy.signal.convolve(one_hot(c, n), ones, mode)).tolist())
        assert _reach(d["matrix"], "input", c)[1] == want
    for r in range(m):
        want = {c for c in range(n) if scipy.signal.convolve(one_hot(c, n), ones, mode)[r]}
        assert _reach(d["matrix"], "output", r)[0] == want
    # The padding zeros: none for 'valid', k - 1 for 'same', 2 (k - 1) for 'full'.
    pads = F.figure_data(F.network(np.ones(k), n, mode))["padding_positions"]
    assert len(pads) == {"valid": 0, "same": k - 1, "full": 2 * (k - 1)}[mode]
    assert all(p < 0 or p >= n for p in pads)


def test_valid_outputs_sit_over_their_window():
    d = F.figure_data(F.network((1, 1, 1), 5, "valid"))
    assert d["output_positions"].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("slide", list(SLIDE_AREAS))
def test_network_slide_text(slide):
    fig = F.network(slide=slide, title=False)
    assert tuple(fig.get_size_inches() * 72) == pytest.approx(SLIDE_AREAS[slide])
    assert min(pt for _, pt in text_sizes(fig)) >= MIN_PT
    with pytest.raises(ValueError, match="unit must be"):
        F.network(unit=9)

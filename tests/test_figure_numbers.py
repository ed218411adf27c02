"""Numbers in figures are true: products written with "·", every sum the matrix's own.

References: ``numpy.convolve`` / ``scipy.signal`` on the input the figure names;
the drawn text is read back from the Figure's text artists.
"""

import matplotlib
import numpy as np
import pytest
import scipy.signal
from matplotlib.text import Text

from toeplitz_conv import figures as F
from toeplitz_conv.cli._figures import _parse_options, _resolve

matplotlib.use("Agg")


def texts(fig):
    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


def fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def test_the_worked_example_row_5_is_28_not_74():
    # The reproducer, through the CLI's option parsing.
    func, base = _resolve("sliding_window")
    kw = _parse_options("sliding_window", func, base,
                        ["--kernel", "5,6,7", "--n", "4", "--mode", "full", "--row", "5",
                         "--labels", "5,6,7", "--input-names", "1,2,3,4"])
    d = F.figure_data(func(**kw))
    assert d["expression"] == "7·4" and d["value"] == 28
    assert any(t.endswith("= 7·4 = 28") for t in texts(func(**kw)))
    row3 = F.sliding_window([5, 6, 7], 4, "full", row=3, labels="values",
                            input_names=list("1234"))
    assert F.figure_data(row3)["expression"] == "7·2 + 6·3 + 5·4"
    assert F.figure_data(row3)["value"] == 52 == np.convolve([1, 2, 3, 4], [5, 6, 7])[3]


def test_a_numeric_kernel_from_the_cli_shows_its_values():
    func, base = _resolve("sliding_window")
    kw = _parse_options("sliding_window", func, base, ["--kernel", "5,6,7"])
    d = F.figure_data(func(**kw))
    assert sorted(set(d["window"]["labels"]) - {""}) == ["5", "6", "7"]
    # Named explicitly, the letters stay.
    kw = _parse_options("sliding_window", func, base, ["--kernel", "5,6,7", "--labels", "z,y,x"])
    assert F.figure_data(func(**kw))["expression"] == "xb + yc + zd"


def test_every_displayed_sum_is_the_matrix_value():
    rng = np.random.default_rng(0)
    for _ in range(6):
        k = rng.integers(-9, 10, size=rng.integers(1, 5))
        n = int(rng.integers(max(len(k), 1), 8))
        mode = str(rng.choice(["full", "same", "valid"]))
        x = rng.integers(-9, 10, size=n)
        ref = np.convolve(x, k, mode) if mode != "same" else scipy.signal.convolve(x, k, "same")
        row = int(rng.integers(0, len(ref)))
        fig = F.sliding_window(k, n, mode, row=row, labels="values",
                               input_names=[str(v) for v in x])
        d = F.figure_data(fig)
        assert d["value"] == ref[row]
        # Each product is "weight·sample", and the drawn line ends in the true sum.
        for term in d["expression"].split(" + "):
            a, b = term.split("·")
            assert int(a) in k and int(b) in x
        line = next(t for t in texts(fig) if t.startswith("$s_{"))
        assert line.endswith(f"= {fmt(ref[row])}"), line
    # Symbols have no value; a subscripted symbol and a letter get "·".
    d = F.figure_data(F.sliding_window([1, 2, 3], 6, "valid", row=0))
    assert d["value"] is None and d["expression"] == "w_2·a + w_1·b + w_0·c"


def test_frames_and_feature_map_sum_as_the_matrix_does():
    d = F.figure_data(F.sliding_window_frames([5, 6, 7], 6, labels="values", rows=(0, 5)))
    assert d["frames"][0][1] == "6·a + 5·b"
    d = F.kernel_feature_map([[1, 2], [3, 4]], (3, 4), labels="values", output=(1, 2))
    assert F.figure_data(d)["expression"] == "1·g + 2·h + 3·k + 4·l"
    # Past 26 samples the inputs are x_i, never bare numbers that would read as values.
    d = F.figure_data(F.kernel_feature_map([[1, 2], [3, 4]], (3, 10), labels="values"))
    assert "x_" in d["expression"] and "=" not in d["expression"]


def test_numeric_names_must_be_the_values():
    with pytest.raises(ValueError, match="labels: '5' is a number"):
        F.sliding_window([1, 2, 3], 6, labels=["5", "6", "7"])
    with pytest.raises(ValueError, match="input_names must name all 6"):
        F.sliding_window([1, 2, 3], 6, input_names=["a", "b"])

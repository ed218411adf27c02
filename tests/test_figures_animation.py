"""The sliding-window animation: padded input, the window at its position, the output filling.

References: ``scipy.signal.convolve`` / ``correlate`` (and ``convolve2d`` for
the boundaries) for the output values; the padding of each mode from its
definition (``'full'``: ``k - 1`` zeros on each side, ``'same'``: ``k - 1``
in all, ``'valid'``: none).  Everything is read back from the drawn Figure:
the texts at the output cells, the grey padding cells, the framed window.
"""

import matplotlib
import numpy as np
import pytest
import scipy.signal
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from toeplitz_conv import figures as F
from toeplitz_conv.figures import _matrix
from toeplitz_conv.palette import PAD_COLOR

matplotlib.use("Agg")


def fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def reference(x, k, mode, boundary="fill", correlate=False):
    if boundary == "fill":
        f = scipy.signal.correlate if correlate else scipy.signal.convolve
        return f(x, k, mode)
    f = scipy.signal.correlate2d if correlate else scipy.signal.convolve2d
    return f(np.atleast_2d(x), np.atleast_2d(k), mode, boundary=boundary).ravel()


def pad_count(n, k, mode):
    """Padding cells of a 1-D input by the mode's definition."""
    return {"full": 2 * (k - 1), "same": k - 1, "valid": 0}[mode]


def text_at(fig, x, y):
    """The text drawn at data point ``(x, y)`` (the centre of a cell), '' if none."""
    found = [t.get_text() for t in fig.findobj(Text)
             if t.get_text().strip() and np.allclose(t.get_position(), (x, y))]
    assert len(found) <= 1, found
    return found[0] if found else ""


def pad_cells(fig):
    return [p for p in fig.findobj(Rectangle)
            if p.get_fill() and matplotlib.colors.to_hex(p.get_facecolor()).upper() == PAD_COLOR]


def window_cells(fig, origin):
    """Padded-grid columns of the cells framed as the window (thin dark frames, one cell)."""
    gx, gy = origin
    cols = []
    for p in fig.findobj(Rectangle):
        if (not p.get_fill() and p.get_width() == 1 and p.get_height() == 1
                and matplotlib.colors.to_hex(p.get_edgecolor()) == "#333333"
                and p.get_y() == gy):
            cols.append(round(p.get_x() - gx))
    return sorted(cols)


def frame_problems(fig, row, x, k, mode, boundary="fill"):
    """What frame ``row`` of the 1-D animation gets wrong; empty if it is right."""
    ref = reference(np.asarray(x, float), np.asarray(k, float), mode, boundary)
    d = F.figure_data(fig)
    problems = []
    shown = [text_at(fig, cx + w / 2, cy + h / 2) for cx, cy, w, h in d["output"]["cells"]]
    if len(shown) != len(ref):
        problems.append(f"{len(shown)} output cells, not {len(ref)}")
    want = [fmt(v) for v in ref[:row + 1]] + [""] * (len(ref) - row - 1)
    if shown != want:
        problems.append(f"outputs {shown}, not {want}")
    pads = len(pad_cells(fig))
    if pads != pad_count(len(x), len(k), mode):
        problems.append(f"{pads} padding cells, not {pad_count(len(x), len(k), mode)}")
    # The window of output `row` starts at padded column `row` (stride 1) and is k wide.
    cols = window_cells(fig, d["padded"]["origin"])
    if cols != list(range(row, row + len(k))):
        problems.append(f"window over padded columns {cols}, not {row}..{row + len(k) - 1}")
    return problems


def test_every_frame_shows_the_padding_the_window_and_the_outputs_so_far(tmp_path):
    k, x, mode = [5, 6, 7], [1, 2, 3, 4], "full"          # the worked example
    anim = F.animate("sliding_window", kernel=k, input_shape=len(x), mode=mode, x=x,
                     labels="values", dpi=30)
    n_out = len(reference(np.asarray(x, float), np.asarray(k, float), mode))
    assert len(anim.frame_figures) == len(anim.records) == n_out
    for row, fig in enumerate(anim.frame_figures):
        assert frame_problems(fig, row, x, k, mode) == [], row
        labels = [text_at(fig, p.get_x() + 0.5, p.get_y() + 0.5) for p in pad_cells(fig)]
        assert labels == ["0"] * len(labels)         # zero padding reads as zeros
    gif = F.save_animation(anim, tmp_path / "a.gif")
    with Image.open(gif) as im:
        assert im.n_frames == n_out
        sizes = set()
        for i in range(n_out):
            im.seek(i)
            sizes.add(im.size)
    h, w = anim.images[0].shape[:2]
    assert sizes == {(w, h)} and all(a.shape == anim.images[0].shape for a in anim.images)


@pytest.mark.parametrize("k,x,mode,rows", [([2, -1, 3, 1], [4, 0, -2, 5, 1], "same", (0, 4)),
                                           ([1, 2], [3, 1, 4, 1, 5], "valid", (0, 3))])
def test_frames_of_other_modes(k, x, mode, rows):
    for row in rows:
        fig = F.sliding_window(k, len(x), mode, row=row, x=x, labels="values")
        assert frame_problems(fig, row, x, k, mode) == [], row


def test_a_wrapped_boundary_pads_with_the_samples_it_repeats():
    x = [1, 2, 3, 4]
    fig = F.sliding_window([5, 6, 7], 4, "same", boundary="wrap", x=x, labels="values", row=0)
    assert frame_problems(fig, 0, x, [5, 6, 7], "same", "wrap") == []
    # 'same' pads one cell each side: x[3] before, x[0] after (circularly).
    d = F.figure_data(fig)
    assert d["padded"]["labels"] == ["4", "1", "2", "3", "4", "1"]
    assert d["value"] == reference(np.array(x, float), np.array([5., 6., 7.]), "same",
                                   "wrap")[0]
    # Mirrored (scipy's 'symm': the edge sample repeated), an even kernel, the last output.
    fig = F.sliding_window([1, 2], 3, "same", boundary="symm", x=[3, 1, 4], labels="values",
                           row=2)
    assert frame_problems(fig, 2, [3, 1, 4], [1, 2], "same", "symm") == []
    assert F.figure_data(fig)["padded"]["labels"] == ["3", "3", "1", "4"]


def test_the_check_catches_a_window_off_by_one_and_outputs_filled_too_far(monkeypatch):
    k, x = [5, 6, 7], [1, 2, 3, 4]
    real = _matrix._padded_view

    def shifted(*args):
        view = real(*args)
        size = view["grid_shape"][0]
        view["windows"] = [[(min(c + 1, size - 1), w) for c, w in win]
                           for win in view["windows"]]
        return view

    monkeypatch.setattr(_matrix, "_padded_view", shifted)
    fig = F.sliding_window(k, 4, "full", row=2, x=x, labels="values")
    assert any("window over" in p for p in frame_problems(fig, 2, x, k, "full"))
    monkeypatch.setattr(_matrix, "_padded_view", real)
    draw = _matrix._draw_outputs
    monkeypatch.setattr(_matrix, "_draw_outputs",
                        lambda cv, shape, row, *a: draw(cv, shape, row + 1, *a))
    fig = F.sliding_window(k, 4, "full", row=2, x=x, labels="values")
    assert any(p.startswith("outputs") for p in frame_problems(fig, 2, x, k, "full"))


def test_the_drawn_window_must_be_the_matrix_row():
    # The figure refuses to draw a window that is not its row of A.
    A = _matrix.conv_matrix([5, 6, 7], 4, "full")
    with pytest.raises(RuntimeError, match="output shape"):
        _matrix._padded_view(np.array([5, 6, 7]), A, "same", False, "fill")
    with pytest.raises(RuntimeError, match="the matrix row holds"):
        _matrix._padded_view(np.array([5, 6, 7]), A, "full", True, "fill")


def test_2d_frames_fill_the_output_grid_with_a_at_x():
    x = np.arange(9) - 3
    kern = np.array([[1, 2], [3, -1]])
    ref = scipy.signal.convolve2d(x.reshape(3, 3), kern, "full").ravel()
    for row in (7,):
        fig = F.sliding_window(kern, (3, 3), "full", row=row, x=x, labels="values")
        d = F.figure_data(fig)
        shown = [text_at(fig, cx + w / 2, cy + h / 2) for cx, cy, w, h in d["output"]["cells"]]
        assert shown == [fmt(v) for v in ref[:row + 1]] + [""] * (ref.size - row - 1)
        assert len(pad_cells(fig)) == 5 * 5 - 9        # one ring of k - 1 = 1 zero


def test_bad_x_is_refused():
    with pytest.raises(ValueError, match="x must be 4 numbers"):
        F.sliding_window([1, 2], 4, x=[1, 2])
    with pytest.raises(ValueError, match="finite"):
        F.sliding_window([1, 2], 2, x=[1, np.nan], row=0)


def test_the_worked_example_and_the_gradient_fit_a_4_3_frame():
    from .test_figure_slides import slide_problems

    # Illustration 1 with its padding and filling output, at Beamer's 4:3 text size.
    fig = F.sliding_window([5, 6, 7], 4, "full", row=3, x=[1, 2, 3, 4], labels="values",
                           slide="4:3", title=False)
    assert slide_problems(fig, "4:3") == []
    assert F.figure_data(fig)["output"]["labels"] == ["5", "16", "34", "52", "45", "28"]
    # A title wider than the frame goes on two lines instead of running off it.
    assert slide_problems(F.FIGURES["weight_gradient"](slide="4:3"), "4:3") == []


def test_the_cli_takes_x_and_boundary():
    from toeplitz_conv.cli._figures import _parse_options, _resolve

    func, base = _resolve("sliding_window")
    kw = _parse_options("sliding_window", func, base,
                        ["--kernel", "5,6,7", "--n", "4", "--mode", "full", "--x", "1,2,3,4",
                         "--boundary", "wrap"])
    assert kw["boundary"] == "wrap" and np.array_equal(np.ravel(kw["x"]), [1, 2, 3, 4])
    assert kw["labels"] == "values"         # a numeric kernel shows its numbers

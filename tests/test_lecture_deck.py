"""The lecture deck: compiled once with pdflatex, read back with pdftotext.

The slide texts and the worked example's numbers are checked in the PDF
(the figures are the library's, their texts read back from the included
PDFs) against scipy; the figures are measured on the Figure (size within the
Beamer text area, no text below 11 pt) and the TeX log must report no
overfull or underfull box.
"""

import re
import shutil
import subprocess

import matplotlib
import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
import scipy.signal

from toeplitz_conv import figures as F
from toeplitz_conv.cli import main
from toeplitz_conv.figures._canvas import MIN_SLIDE_PT as MIN_PT
from toeplitz_conv.figures._canvas import SLIDES
from toeplitz_conv.figures._points import text_sizes

matplotlib.use("Agg")

TEX = shutil.which("pdflatex") and shutil.which("pdftotext")
# The lecture, in its order (the seed slides' topics).
TOPICS = ["Convolution: discrete version", "Illustration 1", "Illustration 1: boundary case",
          "Illustration 1 as matrix multiplication", "Illustration 2: two-dimensional case",
          "The worked example as a matrix product", "Sparse interaction",
          "Multiple layers: a larger receptive", "Parameter sharing",
          "fully connected vs convolution", "the gradient of a tied weight", "Equivariance",
          "Pooling and invariance", "Pooling as a matrix", "Padding: valid", "Padding: same",
          "Padding over depth", "Stride 2", "Dilation 2",
          "Transposed convolution", "Tiled and locally connected", "Channels"]


@pytest.mark.skipif(not TEX, reason="pdflatex and pdftotext are needed to compile the deck")
def test_the_deck_compiles_walks_the_lecture_and_is_readable(tmp_path):
    measured = []
    paths = F.lecture_deck(tmp_path, aspect="4:3",
                           _inspect=lambda title, fig: measured.append((title, fig)))
    pdf = paths[-1]
    assert pdf.name == "lecture.pdf" and all(p.exists() for p in paths)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    at = [flat.find(t) for t in TOPICS]
    assert -1 not in at, [t for t, i in zip(TOPICS, at) if i < 0]
    assert at == sorted(at), "the slides are not in the lecture's order"
    # The worked example, as numbers the matrix computed (scipy's full convolution).
    y = scipy.signal.convolve([1, 2, 3, 4], [5, 6, 7])
    assert y.tolist() == [5, 16, 34, 52, 45, 28]
    assert "x ∗ w = [5, 16, 34, 52, 45, 28]" in flat
    # On the matrix-product slide (the matrix_equation figure) each line of y = A x
    # reads y_t, then row t's entries (scipy's convolution matrix), then x_t.
    page = next(i for i, p in enumerate(text.split("\f"), 1)
                if "The worked example as a matrix product" in p)
    rows = [r for r in numbers_by_line(pdf, page) if len(r) > 1]   # not the note's "6"
    A = scipy.linalg.convolution_matrix([5, 6, 7], 4, "full")
    assert [r[0] for r in rows] == y.tolist()
    assert [r[1:1 + np.count_nonzero(a)] for r, a in zip(rows, A)] == [
        a[a != 0].tolist() for a in A]
    assert [r[-1] for r in rows[:4]] == [1, 2, 3, 4]
    assert "s3 = 7·2 + 6·3 + 5·4 = 52" in flat
    assert "xb + yc + zd" in flat and "xe + yf" in flat and "wa + xb + ye + zf" in flat
    # A tied weight of the full 6 x 4 matrix is used once per column.
    assert "w1 is one parameter, used 4 times" in flat
    # Receptive fields of 3, 5 and 7 inputs after 1, 2 and 3 layers of a 3-tap kernel.
    assert "layer 3: 1 layer 2: 3 layer 1: 5 input: 7" in flat
    # Equivariance: the circular convolution of the x the slide shows, by scipy.
    eq = re.search(r"shift by 1 x ((?:\d+ ){6})", flat)
    x = np.array(eq[1].split(), dtype=int)
    ax = scipy.ndimage.convolve1d(x, [5, 6, 7], mode="wrap")
    assert f"A x {' '.join(map(str, ax))}" in flat.replace("Ax A (circulant)", "A x")
    log = tmp_path.joinpath("lecture.log").read_text(errors="replace")
    assert not re.search(r"(Overfull|Underfull) \\[hv]box", log)
    # Every figure is the text area at most, with every text at 11 pt or more.
    assert len(measured) >= 12
    for title, fig in measured:
        assert readable(fig, "4:3") == [], title
    # Included at 72/72.27: the figures' points (bp) are TeX points, 307 pt <= \textwidth.
    assert "\\includegraphics[scale=0.99626]" in paths[0].read_text()


def numbers_by_line(pdf, page):
    """The numbers of one page, line by line (words at one height), left to right."""
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                          "-"], capture_output=True, text=True, check=True).stdout
    words = [(float(y0) + float(y1), float(x0), w) for x0, y0, _, y1, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<',
        xml) if re.fullmatch(r"-?\d+", w)]
    lines: list[list[tuple[float, float, str]]] = []
    for word in sorted(words):
        if lines and word[0] - lines[-1][0][0] < 4:      # centres within 2 pt: one line
            lines[-1].append(word)
        else:
            lines.append([word])
    return [[int(w) for _, _, w in sorted(line, key=lambda t: t[1])] for line in lines]


def readable(fig, aspect):
    """What keeps ``fig`` from being projected unscaled on an ``aspect`` slide ([] if nothing)."""
    width, height = SLIDES[aspect]
    w, h = fig.get_size_inches() * 72
    problems = [("size", (w, h))] if w > width + 1e-6 or h > height + 1e-6 else []
    return problems + [(s, pt) for s, pt in text_sizes(fig) if pt < MIN_PT]


def test_the_readability_measure_can_fail():
    # The library's own cell figures, at natural size, are larger than a slide ...
    assert readable(F.matrix_equation(), "4:3")[0][0] == "size"
    # ... and a slide figure with a 9 pt word is flagged.
    fig = F.spatial(3, 5, padding=1, slide="4:3")
    fig.axes[0].text(0.5, 0.5, "tiny", fontsize=9)
    assert readable(fig, "4:3") == [("tiny", 9.0)]


def test_lecture_command_refuses_bad_flags(tmp_path, capsys):
    assert main(["lecture", "--out", str(tmp_path), "--aspect", "5:4"]) == 2
    assert "--aspect must be 4:3 or 16:9" in capsys.readouterr().err
    assert main(["lecture", "--out", str(tmp_path), "--n", "40", "--no-compile"]) == 2
    assert "--input-shape/--n must be at most 5 with a 3-tap kernel" in capsys.readouterr().err
    # Values too long for the figures' cells: the slide that cannot hold them is named.
    assert main(["lecture", "--out", str(tmp_path), "--kernel", "0.5,-1.25,3",
                 "--no-compile"]) == 2
    err = capsys.readouterr().err
    assert "--kernel must have shorter values" in err and "matrix product" in err
    assert not (tmp_path / "lecture.tex").exists()
    assert main(["lecture", "--out", str(tmp_path), "--kernel", "1,2;3,4"]) == 2
    assert "--kernel must be one row" in capsys.readouterr().err


def test_lecture_command_overwrites_a_deck_only_with_force(tmp_path, capsys, monkeypatch):
    from toeplitz_conv.figures import _deck

    # What is written is tested above; here two slides (one figure) are enough.
    slides = _deck._slides
    monkeypatch.setattr(_deck, "_slides", lambda kernel, n: slides(kernel, n)[:2])
    assert main(["lecture", "--out", str(tmp_path), "--no-compile"]) == 0
    tex = tmp_path / "lecture.tex"
    tex.write_text("mine")
    capsys.readouterr()
    assert main(["lecture", "--out", str(tmp_path), "--no-compile"]) == 2
    assert "pass --force" in capsys.readouterr().err and tex.read_text() == "mine"
    # A link is replaced, never written through.
    target = tmp_path / "elsewhere.tex"
    target.write_text("theirs")
    tex.unlink()
    tex.symlink_to(target)
    assert main(["lecture", "--out", str(tmp_path), "--no-compile", "--force"]) == 0
    assert target.read_text() == "theirs" and not tex.is_symlink()
    assert "\\begin{document}" in tex.read_text()


def test_the_running_example_changes_with_kernel_and_n():
    from matplotlib.text import Text

    from toeplitz_conv.figures import _deck

    slides = _deck._slides(np.array([1, 2, 1]), 5)
    body = "\n".join(s.body for s in slides)
    y = scipy.signal.convolve(np.arange(1, 6), [1, 2, 1]).astype(int)
    assert f"x * w = [{', '.join(map(str, y))}]" in body
    assert "x = [1, 2, 3, 4, 5]" in body and "w = [1, 2, 1]" in body
    # Not the Q&A's numbers: not called its worked example.
    assert "The running example: $x" in body and "worked" not in body
    # The matrix-product slide is the library's figure of the running example.
    product = next(s for s in slides if s.title == "The running example as a matrix product")
    fig = product.figure(slide="16:9", title=False)
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert all(str(v) in texts for v in y) and "A  (7 × 5)" in texts


def test_the_largest_running_example_fits_and_one_more_input_is_refused(tmp_path):
    from toeplitz_conv.figures import _deck

    aspect, kernel, n = "4:3", [1, -2, 1], 5       # the narrow frame, the longest kernel
    # The slides that draw the running example (the others have fixed examples).
    running = [s for s in _deck._slides(np.array(kernel), n) if s.figure is not None
               and s.title.startswith(("The running example", "Parameter sharing",
                                       "Equivariance"))]
    assert len(running) == 6
    for slide in running:
        assert readable(_deck._draw(slide, aspect), aspect) == [], slide.title
    with pytest.raises(ValueError, match=f"n must be at most {n} with a {len(kernel)}-tap"):
        F.lecture_deck(tmp_path, aspect=aspect, kernel=kernel, n=n + 1, compile=False)

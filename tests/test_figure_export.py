"""Exporting figures for slides: PNG resolution, editable SVG text and TikZ through pdflatex.

The TikZ pictures are checked against :func:`figure_data` (itself checked
against scipy in ``test_figures.py``): pdflatex compiles them, and the words
``pdftotext -bbox`` finds inside each cell of the PDF page are that cell's
label; the fill colour of each cell is the drawn colour.
"""

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

from toeplitz_conv import figures as F

from ._cli import run_cli

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
HAVE_TEX = shutil.which("pdflatex") is not None
HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None
needs_tex = pytest.mark.skipif(not HAVE_TEX, reason="pdflatex is not installed "
                                                   "(.ci/run installs Debian's TeX)")

# The figures lecturers put on slides; "channels" joins when it is registered.
TIKZ_NAMES = [n for n in ("matrix_1d", "matrix_1d_symbols", "doubly_block_2d", "sliding_window",
                          "sliding_window_2d", "channels") if n in F.FIGURES]


def run(*args):
    return run_cli(*args, cwd=ROOT)


# ------------------------------------------------------------------ PNG / SVG

def test_png_is_200_dpi_by_default_and_follows_dpi(tmp_path):
    fig = F.FIGURES["matrix_1d"]()
    w_in = fig.get_size_inches()[0]
    sizes = {}
    for dpi in (None, 100, 300):
        kw = {} if dpi is None else {"dpi": dpi}
        path = F.save_figure(fig, tmp_path / f"m{dpi}.png", **kw)
        with Image.open(path) as im:
            sizes[dpi] = im.size
    # bbox_inches="tight" trims and pads, so compare ratios, not inches x dpi.
    assert sizes[None][0] == pytest.approx(2 * sizes[100][0], abs=2)
    assert sizes[300][0] == pytest.approx(3 * sizes[100][0], abs=3)
    assert sizes[100][0] >= 0.9 * w_in * 100
    # The seed figure is no longer blurry on a 1080p projector.
    assert sizes[None][0] >= 1200


def test_cli_dpi_flag(tmp_path):
    out = tmp_path / "m.png"
    r = run("figure", "matrix_1d", "--out", str(out), "--dpi", "100")
    assert r.returncode == 0, r.stderr
    small = Image.open(out).size
    r = run("figure", "matrix_1d", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size[0] == pytest.approx(2 * small[0], abs=2)


def test_svg_text_is_editable_and_default_svg_unchanged(tmp_path):
    fig = F.FIGURES["matrix_1d"]()
    default = F.save_figure(fig, tmp_path / "a.svg").read_text()
    editable = F.save_figure(fig, tmp_path / "b.svg", svg_text=True).read_text()
    # The default is what figures/ holds, byte for byte; glyphs are paths there.
    assert default == (ROOT / "figures" / "matrix_1d.svg").read_text()
    assert "<text" not in default
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", editable)
    d = F.figure_data(fig)
    shown = [s for s in d["A"]["labels"].ravel() if s] + list(d["y"]["labels"]) + list(
        d["x"]["labels"])
    # Every cell and vector label is a text element (titles add a few more).
    assert not Counter(shown) - Counter(texts)
    # Asking once for text must not change the next default save.
    assert F.save_figure(fig, tmp_path / "c.svg").read_text() == default
    r = run("figure", "matrix_1d", "--out", str(tmp_path / "d.svg"), "--svg-text")
    assert r.returncode == 0, r.stderr
    assert "<text" in (tmp_path / "d.svg").read_text()


@pytest.mark.parametrize("kw,err", [({"dpi": 0}, ValueError), ({"dpi": "200"}, TypeError),
                                    ({"svg_text": 1}, TypeError)])
def test_save_figure_bad_options(tmp_path, kw, err):
    with pytest.raises(err, match=next(iter(kw))):
        F.save_figure(F.FIGURES["matrix_1d"](), tmp_path / "x.png", **kw)


# ------------------------------------------------------------------ TikZ

NODE = re.compile(r"\\node\[cell[^\]]*\] \((?P<name>[A-Za-z0-9]+)-(?P<r>\d+)-(?P<c>\d+)\) "
                  r"at \((?P<x>[-\d.]+),(?P<y>[-\d.]+)\)")
FILL = re.compile(r"\\fill\[(?P<color>\w+)\] \((?P<x>[-\d.]+),(?P<y>[-\d.]+)\) rectangle")
COLOR = re.compile(r"\\definecolor\{(\w+)\}\{HTML\}\{(\w+)\}")
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                  r"([^<]*)</word>")


def _plain(label):
    """A label as pdftotext reads it: no math markup, no spaces."""
    return re.sub(r"[${}_\\\s]", "", str(label))


def _compile(tex_path):
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                        tex_path.name], cwd=tex_path.parent, capture_output=True, text=True,
                       timeout=120)
    pdf = tex_path.with_suffix(".pdf")
    assert r.returncode == 0 and pdf.exists(), r.stdout[-2000:]
    return pdf


def _cells(tex, key):
    """(row, col) -> centre (in cell units) of each labelled cell node of matrix ``key``."""
    name = re.sub(r"[^A-Za-z0-9]", "", key)
    return {(int(m["r"]), int(m["c"])): (float(m["x"]), float(m["y"]))
            for m in NODE.finditer(tex) if m["name"] == name}


@needs_tex
@pytest.mark.parametrize("name", TIKZ_NAMES)
def test_tikz_compiles_and_every_cell_shows_its_label(tmp_path, name):
    fig = F.FIGURES[name]()
    data = F.figure_data(fig)
    tex_path = tmp_path / f"{name}.tex"
    r = run("figure", name, "--out", str(tex_path))
    assert r.returncode == 0, r.stderr
    tex = tex_path.read_text()
    cell_cm = 0.6
    pdf = _compile(tex_path)
    mats = {k: v for k, v in data.items() if isinstance(v, dict) and "tie" in v
            and np.ndim(v["tie"]) == 2}
    assert mats
    palette = {name: "#" + hexa for name, hexa in COLOR.findall(tex)}
    fills = {(float(m["x"]), float(m["y"])): palette[m["color"]] for m in FILL.finditer(tex)}
    for key, rec in mats.items():
        labels = np.asarray(rec["labels"], dtype=object)
        cells = _cells(tex, key)
        # A node exactly for every labelled cell.
        assert set(cells) == {(r, c) for r, c in zip(*np.nonzero(labels != ""))}
        # Every cell (zeros included) filled with the colour the figure draws.
        (r0, c0), (x0, y0) = next(iter(cells.items()))
        ox, oy = x0 - 0.5 - c0, y0 - 0.5 - r0
        for (r, c), drawn in np.ndenumerate(np.asarray(rec["drawn_colors"], dtype=object)):
            got = fills[(round(ox + c, 6), round(oy + r, 6))]
            assert got.lower() == matplotlib.colors.to_hex(drawn).lower(), (key, r, c)
    if not HAVE_PDFTOTEXT:
        return
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in WORD.findall(html)]
    pt = cell_cm / 2.54 * 72          # points per cell: the page is the picture's box
    for key, rec in mats.items():
        labels = np.asarray(rec["labels"], dtype=object)
        for (r, c), (x, y) in _cells(tex, key).items():
            inside = sorted((w for w in words
                             if abs((w[0] + w[2]) / 2 / pt - x) < 0.5
                             and abs((w[1] + w[3]) / 2 / pt - y) < 0.5),
                            key=lambda w: (round(w[3]), w[0]))
            shown = "".join(w[4] for w in inside)
            assert shown == _plain(labels[r, c]), (name, key, r, c, shown, labels[r, c])


@needs_tex
def test_tikz_inputs_into_a_beamer_frame(tmp_path):
    names = [n for n in ("matrix_1d", "sliding_window", "doubly_block_2d") if n in F.FIGURES]
    for n in names:
        F.to_tikz(n, tmp_path / f"{n}.tex")
    frames = "\n".join(
        f"\\begin{{frame}}{{{n.replace('_', ' ')}}}\\centering\n"
        f"\\resizebox{{!}}{{0.75\\textheight}}{{\\input{{{n}.tex}}}}\n\\end{{frame}}"
        for n in names)
    doc = tmp_path / "talk.tex"
    doc.write_text("\\documentclass{beamer}\n\\usepackage{tikz}\n\\begin{document}\n"
                   f"{frames}\n"
                   # A bare \input, outside any box, works too.
                   "\\begin{frame}{bare}\\input{matrix_1d.tex}\\end{frame}\n"
                   "\\end{document}\n")
    pdf = _compile(doc)
    if HAVE_PDFTOTEXT:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        pages = text.split("\f")
        assert len([p for p in pages if p.strip()]) == len(names) + 1
        # Page 1 is matrix_1d: the seed's outputs y = A x are on it.
        y = F.figure_data(F.FIGURES["matrix_1d"]())["y"]["labels"]
        assert all(s in pages[0].split() for s in y)


def test_tikz_api(tmp_path):
    fig = F.FIGURES["matrix_1d"]()
    tex = F.to_tikz(fig)
    assert tex == F.to_tikz("matrix_1d")
    assert tex.startswith("% Written by") and tex.rstrip().endswith("\\tcEnd")
    body = F.to_tikz(fig, standalone=False, title="Seed: y = A x")
    assert body.startswith("\\begin{tikzpicture}") and "\\documentclass" not in body
    assert "Seed: y = A x" in body
    # The function name works as well as the registry name.
    assert "\\begin{tikzpicture}" in F.to_tikz("matrix_equation")
    with pytest.raises(ValueError, match="unknown figure"):
        F.to_tikz("nope")
    with pytest.raises(TypeError, match="fig_or_name"):
        F.to_tikz(3)
    with pytest.raises(ValueError, match="no matrix"):
        F.to_tikz("connectivity")
    with pytest.raises(ValueError, match="cell_cm"):
        F.to_tikz(fig, cell_cm=0)
    # Labels with LaTeX's special characters come out escaped.
    odd = F.matrix_equation([1, 2], 2, labels=["a_1", "50%"])
    tex = F.to_tikz(odd)
    assert r"{a\_1}" in tex and r"{50\%}" in tex

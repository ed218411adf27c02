"""TikZ export: what the compiled picture shows is what the matplotlib figure shows.

Slide figures are ``\\input`` into Beamer frames (4:3 and 16:9, no
``\\resizebox``; one document per aspect ratio, so two pdflatex runs), and
the PDF is read back: ``pdftotext -bbox`` finds, inside each text of the
figure (its extent in points), exactly that text's words, and ``pdftoppm``
finds each cell's fill colour where the figure paints it.  The page must
hold the picture inside the frame's text area, and LaTeX must not report an
overfull box or a substituted font size.
"""

import re
import shutil
import subprocess
import unicodedata

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Circle, Rectangle
from matplotlib.text import Text
from PIL import Image

from toeplitz_conv import figures as F

from .test_figure_slides import slide_problems

matplotlib.use("Agg")

needs_tex = pytest.mark.skipif(
    not (shutil.which("pdflatex") and shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="pdflatex, pdftotext and pdftoppm are needed (.ci/run installs Debian's TeX)")

# Matrices, networks, arrows, hatching, wrapped panels, split cells, 1-D and 2-D.
FRAMES = {
    "4:3": ["matrix_1d", "sliding_window", "connectivity", "locally_connected_vs_tiled",
            "equivariance", "sliding_window_frames"],
    "16:9": ["matrix_1d_symbols", "stride", "sliding_window_2d", "channels",
             "pooling_stride"],
}
# Beamer's page and text margins (1 cm each side) in points.
PAGE_W = {"4:3": 128 / 25.4 * 72, "16:9": 160 / 25.4 * 72}
MARGIN = 10 / 25.4 * 72
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                  r"([^<]*)</word>")
PAGE = re.compile(r"<page[^>]*>(.*?)</page>", re.S)
DPI = 144


def norm(s):
    """A text as pdftotext reads it back: no markup, no spaces, TeX's quotes and dots."""
    # TeX's Greek letters (the channel figures' kernels α, β, ...) read back as the letters.
    s = re.sub(r"\\(alpha|beta|gamma|delta|epsilon|zeta|eta|theta|kappa|lambda|mu|nu|xi|pi|"
               r"rho|sigma|tau|phi|chi|psi|omega)(?![a-z])",
               lambda m: unicodedata.lookup(f"GREEK SMALL LETTER {m[1].upper()}"), s)
    s = unicodedata.normalize("NFKC", s)
    for a, b in (("⋅", "·"), ("’", "'"), ("‘", "'"), ("−", "-"), ("ᵀ", "T")):
        s = s.replace(a, b)
    s = re.sub(r"\\mathsf|\\[a-z]+|[${}_^\\\s]", "", s)
    return s


def compile_deck(tmp_path, aspect):
    figs = {n: F.FIGURES[n](slide=aspect, title=False) for n in FRAMES[aspect]}
    for name, fig in figs.items():
        F.to_tikz(fig, tmp_path / f"{name}.tex")
    # The frame title, one word that no figure has, is left out when reading back.
    frames = "\n".join(f"\\begin{{frame}}{{Frametitle}}\n\\input{{{n}.tex}}\n\\end{{frame}}"
                       for n in figs)
    doc = tmp_path / "deck.tex"
    doc.write_text(f"\\documentclass[aspectratio={aspect.replace(':', '')}]{{beamer}}\n"
                   "\\usepackage{tikz}\n\\usepackage{anyfontsize}\n\\begin{document}\n"
                   + frames + "\n\\end{document}\n")
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
    return figs, doc.with_suffix(".pdf"), doc.with_suffix(".log").read_text(errors="replace")


def figure_texts(fig):
    """(normalized text, box in points from the top left) of every text the figure draws."""
    FigureCanvasAgg(fig)
    r = fig.canvas.get_renderer()
    h = fig.bbox.height
    k = 72 / fig.dpi
    out = []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip():
            b = t.get_window_extent(r)
            out.append((norm(t.get_text()), (b.x0 * k, (h - b.y1) * k, b.x1 * k, (h - b.y0) * k)))
    return out


def page_words(html, page):
    body = PAGE.findall(html)[page]
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in WORD.findall(body)]


def render(fig):
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return np.asarray(Image.open(buf).convert("RGB")).astype(np.int16)


def locate(png, page):
    """Where (pixels) the figure's PNG sits on the page: the shift matching it best.

    Searched coarsely at a quarter of the resolution, then pixel by pixel.
    """
    a, b = png.mean(axis=2), page.mean(axis=2)

    def search(a, b, xs, ys):
        h, w = a.shape
        return min((np.abs(b[j:j + h, i:i + w] - a).mean(), i, j) for i in xs for j in ys
                   if b[j:j + h, i:i + w].shape == a.shape)[1:]

    def shrink(im, q):
        # Block means, not every q-th pixel: a one-pixel rule must not vanish in one image only.
        h, w = im.shape[0] // q * q, im.shape[1] // q * q
        return im[:h, :w].reshape(h // q, q, w // q, q).mean(axis=(1, 3))

    q = 4
    i, j = search(shrink(a, q), shrink(b, q), range(b.shape[1] // q), range(b.shape[0] // q))
    return search(a, b, range(max(q * i - q, 0), q * i + q + 1),
                  range(max(q * j - q, 0), q * j + q + 1))


def reading_order(words, chosen):
    """``chosen`` word indices line by line, top down, each line left to right.

    A word joins the line whose vertical extent it overlaps, so a subscript
    (set lower) stays on its line wherever the line falls on the page.
    """
    lines = []
    for i in sorted(chosen, key=lambda i: (words[i][1] + words[i][3]) / 2):
        y0, y1 = words[i][1], words[i][3]
        line = next((ln for ln in lines if y0 < ln[1] and y1 > ln[0]), None)
        if line is None:
            lines.append([y0, y1, [i]])
        else:
            line[0], line[1] = min(line[0], y0), max(line[1], y1)
            line[2].append(i)
    return [i for ln in lines for i in sorted(ln[2], key=lambda i: words[i][0])]


@needs_tex
@pytest.mark.parametrize("aspect", list(FRAMES))
def test_beamer_frames_show_every_text_and_cell_of_the_figure(tmp_path, aspect):
    figs, pdf, log = compile_deck(tmp_path, aspect)
    # Fits the frame as it is, at the figure's own font sizes.
    assert "Overfull \\hbox" not in log
    assert "Font Warning" not in log
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(tmp_path / "p")],
                   check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(figs)
    for page, (name, fig) in enumerate(figs.items()):
        assert not slide_problems(fig, aspect)
        w_pt, h_pt = fig.get_size_inches() * 72
        tex = (tmp_path / f"{name}.tex").read_text()
        box = re.search(r"\\useasboundingbox \(0,0\) rectangle \(([\d.]+),([\d.]+)\)", tex)
        assert (float(box[1]), float(box[2])) == pytest.approx((w_pt, h_pt), abs=0.01)
        texts = figure_texts(fig)
        words = [w for w in page_words(html, page) if w[4] != "Frametitle"]
        png = render(fig)
        image = np.asarray(Image.open(pages[page]).convert("RGB")).astype(np.int16)
        ox, oy = locate(png, image)
        dx, dy = ox / DPI * 72, oy / DPI * 72
        # Inside the frame's text area, left to right.
        assert min(w[0] for w in words) >= MARGIN - 1
        assert max(w[2] for w in words) <= PAGE_W[aspect] - MARGIN + 1
        used = set()
        for s, (x0, y0, x1, y1) in texts:
            inside = [i for i, w in enumerate(words)
                      if x0 - 1 <= (w[0] + w[2]) / 2 - dx <= x1 + 1
                      and y0 - 1 <= (w[1] + w[3]) / 2 - dy <= y1 + 1]
            inside = reading_order(words, inside)
            assert "".join(norm(words[i][4]) for i in inside) == s, (name, s)
            used.update(inside)
        # ... and no word that the figure does not have.
        assert used == set(range(len(words))), [words[i][4] for i in
                                                set(range(len(words))) - used]
        check_cell_colours(fig, png, image, ox, oy, name)


def check_cell_colours(fig, png, pdf, ox, oy, name):
    """Each filled cell's colour in the PDF is the PNG's, near its top left corner.

    The point (25 % in, 12 % down) is clear of the cell's label and edges, so
    both renderings show the fill there (points where the PNG is not one
    flat colour, an edge or a glyph, are skipped).
    """
    ax = fig.axes[0]
    k = 72 / fig.dpi
    h = fig.bbox.height
    checked = filled = 0
    for p in ax.patches:
        if type(p) is not Rectangle or p.get_hatch() or not p.get_fill():
            continue
        filled += 1
        x, y = p.get_xy()
        (ax0, ay0), (ax1, ay1) = ax.transData.transform([(x, y), (x + p.get_width(),
                                                                 y + p.get_height())])
        if abs(ax1 - ax0) * k < 8:          # a thin band of a split cell
            continue
        sx = min(ax0, ax1) * k + 0.25 * abs(ax1 - ax0) * k        # points, from top left
        sy = (h - max(ay0, ay1)) * k + 0.12 * abs(ay1 - ay0) * k
        py, px = int(sy / 72 * DPI), int(sx / 72 * DPI)
        patch = png[py - 2:py + 3, px - 2:px + 3].reshape(-1, 3)
        if np.ptp(patch, axis=0).max() > 8:     # an edge or a glyph there: not a fill
            continue
        want, got = png[py, px], pdf[py + oy, px + ox]
        assert np.abs(got - want).max() <= 24, (name, p.get_xy(), got, want)
        checked += 1
    assert checked >= min(8, filled // 2), (name, checked, filled)
    # Units: each circle's fill at its centre.
    for c in (p for p in ax.patches if isinstance(p, Circle)):
        cx, cy = ax.transData.transform(c.center) * k
        px, py = int(cx / 72 * DPI), int((h * k - cy) / 72 * DPI)
        assert np.abs(pdf[py + oy, px + ox] - png[py, px]).max() <= 24, (name, c.center)


def test_tikz_is_the_drawing_element_by_element():
    fig = F.FIGURES["padding_modes"]()
    tex = F.to_tikz(fig)
    # Every text the figure draws is a node; every matrix cell's label a named one.
    nodes = re.findall(r"\\node\[[^\]]*\](?: \(([\w-]+)\))? at \([-\d.]+,[-\d.]+\) "
                       r"\{(.*)\};", tex)
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]
    assert len(nodes) == len(texts)
    d = F.figure_data(fig)
    named = {n for n, _ in nodes if n}
    for key in ("zeros", "circular", "reflect", "replicate"):
        labels = d[key]["labels"]
        cells = {f"{key}-{r}-{c}" for r, c in zip(*np.nonzero(labels != ""))}
        # Split cells carry no label when it would be too small: the colours say it.
        assert cells - named <= {f"{key}-{r}-{c}" for r, c in d[key]["split_colors"]}
    # Hatched cells (taps reading padding) are hatched in TikZ too, and the legend is there.
    assert tex.count("\\clip") == sum(1 for p in fig.axes[0].patches if p.get_hatch())
    assert "split cell: sum of its colours" in tex
    # Grid lines lie on the cells: every rectangle's corners are the cell grid's points.
    cell_pt = F._tikz._cell_pt(fig) * 0.6 / 2.54 * 72 / F._tikz._cell_pt(fig)
    assert cell_pt == pytest.approx(17.01, abs=0.01)


def test_tikz_api(tmp_path):
    fig = F.FIGURES["matrix_1d"]()
    tex = F.to_tikz(fig)
    assert tex == F.to_tikz("matrix_1d")
    assert tex.startswith("% Written by") and tex.rstrip().endswith("\\tcEnd")
    body = F.to_tikz(fig, standalone=False, title="The worked example: y = A x")
    assert body.startswith("\\begin{tikzpicture}") and "\\documentclass" not in body
    assert "The worked example: y = A x" in body
    assert "\\begin{tikzpicture}" in F.to_tikz("matrix_equation")
    assert F.TIKZ_FIGURES == tuple(F.FIGURES)
    # Networks too, now that the drawing itself is translated.
    assert "circle (" in F.to_tikz("connectivity")
    with pytest.raises(ValueError, match="unknown figure"):
        F.to_tikz("nope")
    with pytest.raises(TypeError, match="fig_or_name"):
        F.to_tikz(3)
    with pytest.raises(ValueError, match="cell_cm"):
        F.to_tikz(fig, cell_cm=0)
    with pytest.raises(ValueError, match="slide"):
        F.to_tikz(fig, slide="4:3")
    # A slide figure keeps its size; cell_cm scales a figure, text and all.
    big = F.to_tikz(fig, cell_cm=1.2)
    sizes = [float(v) for v in re.findall(r"\\fontsize\{([\d.]+)\}", tex)]
    assert [float(v) for v in re.findall(r"\\fontsize\{([\d.]+)\}", big)] == pytest.approx(
        [2 * s for s in sizes], abs=0.02)
    # Labels with LaTeX's special characters come out escaped.
    odd = F.matrix_equation([1, 2], 2, labels=["a_1", "50%"])
    tex = F.to_tikz(odd, tmp_path / "odd.tex")
    assert r"{a\_1}" in tex and r"{50\%}" in tex
    assert (tmp_path / "odd.tex").read_text() == tex

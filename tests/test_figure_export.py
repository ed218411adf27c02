"""Exporting figures for slides: PNG resolution, editable SVG text, animations and the CLI.

The TikZ export, compiled in Beamer frames and read back, is tested in
``test_figure_tikz.py``; here its matrix cells are read as numbers.
"""

import itertools
import re
from collections import Counter
from pathlib import Path

import matplotlib
import matplotlib.animation
import numpy as np
import pytest
import scipy.signal
from PIL import Image

from toeplitz_conv import figures as F

from ._cli import run_cli
from .conftest import ffmpeg_problem

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


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
    r = run("figure", "matrix_1d", "--out", str(out), "--force")
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


# ------------------------------------------------------------------ TikZ: test_figure_tikz.py

# ------------------------------------------------------------------ animation

def _reference_row(kernel, in_shape, i, *, correlate):
    """(cols, weight index) of output i, from scipy on one-hot inputs (distinct weights)."""
    k = np.asarray(kernel, dtype=float)
    f = scipy.signal.correlate if correlate else scipy.signal.convolve
    cols, widx = [], []
    for c in range(int(np.prod(in_shape))):
        e = np.zeros(int(np.prod(in_shape)))
        e[c] = 1.0
        y = f(e.reshape(in_shape), k, "valid").ravel()
        if y[i] != 0:
            cols.append(c)
            widx.append(int(np.flatnonzero(k.ravel() == y[i])[0]))
    return cols, widx


def _red_rows(frame):
    """Mean pixel row of the red frame around the highlighted matrix row."""
    a = np.asarray(frame.convert("RGB")).astype(int)
    red = (a[..., 0] > 170) & (a[..., 1] < 60) & (a[..., 2] < 60)
    return np.nonzero(red)[0].mean()


@pytest.mark.parametrize("name,kernel,shape,correlate", [
    ("sliding_window", [1, 2, 3], (6,), False),
    ("sliding_window_2d", [[1, 2], [3, 4]], (3, 4), True),
])
def test_animation_frame_i_highlights_row_i(tmp_path, name, kernel, shape, correlate):
    anim = F.animate(name, dpi=50)
    n_out = int(np.prod([s - k + 1 for s, k in zip(shape, np.shape(kernel))]))
    assert len(anim.records) == n_out >= 4
    for i in range(n_out):
        rec = anim.show_frame(i)
        assert F.figure_data(anim.figure) is rec
        dimmed = rec["A"]["dimmed"]
        # Only row i is lit: every other row is faded.
        assert np.flatnonzero(~dimmed.all(axis=1)).tolist() == [i]
        cols, widx = _reference_row(kernel, shape, i, correlate=correlate)
        order = np.argsort(rec["window"]["cols"])
        assert rec["window"]["cols"][order].tolist() == cols
        assert rec["window"]["weight_index"][order].tolist() == widx
    gif = F.save_animation(anim, tmp_path / "a.gif")
    with Image.open(gif) as im:
        assert im.n_frames == n_out
        ys = []
        for i in range(n_out):
            im.seek(i)
            ys.append(_red_rows(im))
    # The red frame moves down the matrix, one row per frame.
    assert all(b > a for a, b in itertools.pairwise(ys)), ys


def test_animation_cli_and_errors(tmp_path):
    out = tmp_path / "s.gif"
    r = run("figure", "sliding_window", "--out", str(out), "--kernel", "1,2,3", "--n", "7",
            "--fps", "2", "--dpi", "30")
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        assert im.n_frames == 5            # 'valid': 7 - 3 + 1 outputs
    small = F.animate("sliding_window", dpi=20)
    with pytest.raises(ValueError, match="cannot be animated"):
        F.animate("matrix_1d")
    with pytest.raises(TypeError, match="row"):
        F.animate("sliding_window", row=1)
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        F.save_animation(small, tmp_path / "x.avi")
    r = run("figure", "matrix_1d", "--out", str(tmp_path / "m.gif"))
    assert r.returncode == 2 and "sliding_window" in r.stderr


@pytest.mark.skipif(ffmpeg_problem() is not None, reason=str(ffmpeg_problem()))
def test_animation_cli_writes_an_mp4(tmp_path):
    mp4 = tmp_path / "s.mp4"
    r = run("figure", "sliding_window", "--out", str(mp4), "--dpi", "30")
    assert r.returncode == 0, r.stderr
    assert mp4.stat().st_size > 0


@pytest.mark.parametrize("ffmpeg", [None, "#!/bin/sh\necho 'libavcodec missing' >&2\nexit 127\n"])
def test_animation_cli_without_a_working_ffmpeg_is_one_line(tmp_path, monkeypatch, ffmpeg):
    # No ffmpeg on the PATH, or one that is there but does not run.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if ffmpeg is not None:
        (bin_dir / "ffmpeg").write_text(ffmpeg)
        (bin_dir / "ffmpeg").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    r = run("figure", "sliding_window", "--out", str(tmp_path / "s.mp4"))
    assert r.returncode == 2 and "ffmpeg" in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "s.mp4").exists()


# ------------------------------------------------------------------ any configuration

CELL = re.compile(r"\\node\[[^\]]*\] \((?P<name>[A-Za-z0-9]+)-(?P<r>\d+)-(?P<c>\d+)\) "
                  r"at \([-\d.]+,[-\d.]+\) \{(?P<label>[^}]*)\};")


def _tex_matrix(tex, key, shape):
    M = np.zeros(shape)
    for m in CELL.finditer(tex):
        if m["name"] == key:
            M[int(m["r"]), int(m["c"])] = float(m["label"])
    return M


@pytest.mark.parametrize("kernel,n,mode", [("1,2,3", 6, "same"), ("2,-1,5,3", 5, "full"),
                                          ("4,1", 7, "valid")])
def test_cli_draws_the_configuration_asked_for(tmp_path, kernel, n, mode):
    out = tmp_path / "m.tex"
    r = run("figure", "matrix_equation", "--kernel", kernel, "--n", str(n), "--mode", mode,
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    k = np.array([float(v) for v in kernel.split(",")])
    ref = np.column_stack([scipy.signal.convolve(np.eye(n)[c], k, mode) for c in range(n)])
    assert np.array_equal(_tex_matrix(out.read_text(), "A", ref.shape), ref)


def test_cli_stride_option_against_numpy(tmp_path):
    out = tmp_path / "s.tex"
    r = run("figure", "stride_subsampling", "--kernel", "1,2,3", "--n", "9", "--stride", "3",
            "--padding", "1", "--labels", "values", "--out", str(out))
    assert r.returncode == 0, r.stderr
    # PyTorch's conv1d (a correlation) on the zero-padded input, every 3rd window.
    eye = np.pad(np.eye(9), ((1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(eye, 3, axis=0)[::3]
    ref = windows @ np.array([1.0, 2.0, 3.0])
    assert np.array_equal(_tex_matrix(out.read_text(), "As", ref.shape), ref)


def test_cli_alias_keeps_the_example_and_takes_overrides(tmp_path):
    out = tmp_path / "m.tex"
    r = run("figure", "matrix_1d", "--n", "6", "--out", str(out))
    assert r.returncode == 0, r.stderr
    # matrix_1d is the seed (kernel 5, 6, 7, 'full'); only the input size changed.
    ref = np.column_stack([np.convolve(np.eye(6)[c], [5, 6, 7]) for c in range(6)])
    assert np.array_equal(_tex_matrix(out.read_text(), "A", ref.shape), ref)
    # The example's weight names do not fit a longer kernel: default names then.
    r = run("figure", "sliding_window", "--kernel", "1,2,3,4", "--n", "8", "--out",
            str(tmp_path / "w.svg"))
    assert r.returncode == 0, r.stderr


def test_cli_figure_list_names_the_functions():
    r = run("figure", "list")
    assert r.returncode == 0
    block, _, aliases = r.stdout.partition("\n\n")
    assert block.split() == [f.__name__ for f in F.FIGURE_FUNCTIONS]
    listed = dict(line.split() for line in aliases.splitlines()[1:])
    funcs = {f.__name__ for f in F.FIGURE_FUNCTIONS}
    assert set(listed) == set(F.FIGURES) - funcs
    assert all(f in funcs for f in listed.values())


@pytest.mark.parametrize("args,word", [
    (("figure", "stride", "--mode", "same"), "--mode"),
    (("figure", "matrix_equation", "--mode", "fll"), "--mode"),
    (("figure", "matrix_equation", "--kernel", "a"), "--kernel"),
    (("figure", "matrix_equation", "--n", "0"), "--n"),
    (("figure", "pooling", "--kernel-size", "x"), "--kernel-size"),
    (("figure", "padding_modes", "--modes", "zeros,nope"), "--modes"),
    (("figure", "matrix_1d", "--dpi", "0"), "--dpi"),
    (("figure", "sliding_window", "--fps", "-1", "--out", "{tmp}/s.gif"), "--fps"),
    (("figure", "list", "--n", "3"), "list"),
])
def test_cli_figure_option_errors_are_one_line(tmp_path, args, word):
    args = [a.format(tmp=tmp_path) for a in args]
    if "--out" not in args and args[1] != "list":
        args += ["--out", str(tmp_path / "x.png")]
    r = run(*args)
    assert r.returncode == 2, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in r.stderr


def test_cli_figure_help_lists_its_options():
    r = run("figure", "stride_subsampling", "--help")
    assert r.returncode == 0
    for flag in ("--kernel", "--n", "--stride", "--padding", "--labels", "--out", "--dpi"):
        assert flag in r.stdout

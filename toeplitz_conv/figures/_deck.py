"""The lecture as a Beamer deck, in one call: :func:`lecture_deck`.

The deck walks the lecture the figures serve (the lecture's slides): the discrete
definition and the worked example, Illustration 1 frame by frame with its
boundary case, Illustration 1 as a matrix product, Illustration 2 in 2-D,
sparse interaction, parameter sharing and its gradient, equivariance,
pooling and invariance, valid/same padding, stride (and dilation and the
transposed convolution), tiled and locally connected layers, channels.

Every figure slide is the library's figure itself (the one
:data:`~toeplitz_conv.figures.FIGURES` and ``toeplitz-conv figure`` draw),
drawn with ``slide=aspect, title=False``: the Beamer text area at natural
size, no text below 11 pt, the frame's title in place of the figure's.  It
is included at the scale that turns matplotlib's points (1/72 in) into TeX's
(1/72.27 in), so 11 pt in the figure is 11 pt in the frame.  The only
typeset slides are text: the title, the motivation and the definition with
the running example, whose numbers come from ``A @ x``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._validation import as_int, choose
from ..geometry import full_padding
from ..signal import conv_matrix
from ._canvas import SLIDES, figure_style
from ._data import _fmt, figure_data
from ._gradient import weight_gradient
from ._graph import network
from ._lecture import (
    channels,
    fully_connected_vs_conv,
    locally_connected_vs_tiled,
    pooling_invariance,
    pooling_stride,
    sliding_window_frames,
    valid_vs_same_depth,
)
from ._matrix import equivariance, matrix_equation
from ._network import parameter_sharing, receptive_field
from ._spatial import spatial

__all__ = ["DECK_FORMATS", "lecture_deck"]

#: Figure formats of the deck (PDF keeps the figures vector).
DECK_FORMATS = ("pdf", "png")
_ASPECTS = {"4:3": "43", "16:9": "169"}
# The largest running example whose figures fit a frame at 11 pt (its
# matrix_equation, parameter_sharing and weight_gradient): n by kernel size.
_MAX_N = {"4:3": {1: 6, 2: 5, 3: 5}, "16:9": {1: 7, 2: 6, 3: 5}}
_MAX_K = 3
# matplotlib's point (1/72 in, a PostScript "bp") in TeX points (1/72.27 in).
_BP_TO_PT = 72.27 / 72
# Room (pt) a caption line under a figure takes in the frame (11 pt text).
_CAPTION_PT = 16.0


@dataclass
class _Slide:
    title: str
    body: str = ""
    # Called with ``slide=aspect, title=False``.
    figure: Callable[..., Figure] | None = None
    caption: str = ""
    # The frame title, from the figure drawn (what it counts); else ``title``.
    retitle: Callable[[Figure], str] | None = None


def _fig(func: Callable[..., Figure], *args: Any, caption: str = "",
         retitle: Callable[[Figure], str] | None = None, title: str, **kwargs: Any) -> _Slide:
    """A slide showing ``func(*args, **kwargs, slide=aspect, title=False)``."""
    return _Slide(title, figure=lambda **slide: func(*args, **kwargs, **slide),
                  caption=caption, retitle=retitle)


def _num(v: Any) -> str:
    return _fmt(v)


def _running(kernel: np.ndarray, n: int) -> list[_Slide]:
    """The definition and the worked example, its numbers from the matrix."""
    A = conv_matrix(kernel, n, "full")
    x = np.arange(1, n + 1)
    y = A @ x.astype(float)
    xs, ws, ys = (", ".join(_num(v) for v in a) for a in (x, kernel, y))
    # Only the Q&A's own numbers are "the worked example".
    worked = n == 4 and kernel.tolist() == [5, 6, 7]
    name = "The worked example" if worked else "The running example"
    source = " (the Q\\&A)" if worked else ""
    definition = _Slide("Convolution: discrete version", rf"""
Given arrays $u_t$ and $w_t$, their convolution is the array
\[ s_t = \sum_{{a=-\infty}}^{{+\infty}} u_a\, w_{{t-a}}, \qquad s = u * w. \]
When $u_t$ or $w_t$ is not defined, it is taken as $0$.

\medskip
{name}{source}: $x = [{xs}]$, $w = [{ws}]$:
\[ x * w = [{ys}]. \]
""")
    product = _fig(matrix_equation, kernel, n, "full", x=x,
                   title=f"{name} as a matrix product")
    row = min(3, A.shape[0] - 1)
    frame = _fig(spatial, kernel.size, n, padding=full_padding(kernel.size),
                 kernel=kernel[::-1].copy(), x=x, row=row,
                 title=f"{name}, output {row}")
    j = kernel.size // 2

    def shared(fig: Figure) -> str:
        uses = int(figure_data(fig)["A"]["highlighted"].sum())
        return f"Parameter sharing: $w_{{{j}}}$ is one parameter, used {uses} times"

    share = _fig(parameter_sharing, kernel, n, "full", weight=j, title="Parameter sharing",
                 retitle=shared)
    dense = _fig(fully_connected_vs_conv, kernel, n,
                 title="Parameter sharing: fully connected vs convolution")
    grad = _fig(weight_gradient, kernel, n, "full", x=x,
                title="Parameter sharing: the gradient of a tied weight")
    return [definition, product, frame, share, dense, grad]


def _illustrations() -> list[_Slide]:
    """The lecture's Illustrations 1 and 2, with its letters."""
    letters = ("x", "y", "z")
    out = [_fig(spatial, 3, 6, padding=1, labels=letters, row=r,
                title=f"Illustration 1{': boundary case' if r == 5 else ''}")
           for r in (2, 3, 4, 5)]
    out.append(_fig(sliding_window_frames, (1, 2, 3), 6, labels=("z", "y", "x"),
                    title="Illustration 1 as matrix multiplication"))
    for r, note in ((0, ""), (1, ", the next output")):
        out.append(_fig(spatial, (2, 2), (3, 4), padding=0, labels=("w", "x", "y", "z"), row=r,
                        title=f"Illustration 2: two-dimensional case{note}"))
    return out


def _interaction() -> list[_Slide]:
    return [
        _fig(network, (1, 1, 1), 5, "valid", title="Sparse interaction: one input's reach"),
        _fig(network, (1, 1, 1), 5, "valid", highlight="output",
             title="Sparse interaction: one output's receptive field"),
        _fig(receptive_field, (1, 1, 1), 9, "same", layers=3,
             title="Multiple layers: a larger receptive field"),
    ]


def _equivariance(kernel: np.ndarray) -> _Slide:
    return _fig(equivariance, kernel, 6, shift=1,
                title="Equivariance: conv(shift x) = shift(conv x)")


def _pooling() -> list[_Slide]:
    return [
        _fig(pooling_invariance, 3, (0, 9, 1, 2, 8, 3, 0, 7),
             title="Pooling and invariance"),
        _fig(pooling_stride, 3, (3, 9, 0, 6, 3, 1, 2), stride=2,
             title="Pooling as a matrix",
             caption="Max pooling: the 0/1 matrix of each window's largest input."),
    ]


def _padding_stride() -> list[_Slide]:
    letters = ("x", "y", "z")
    return [
        _fig(spatial, 3, 6, padding=0, labels=letters, row=3, title="Padding: valid"),
        _fig(spatial, 3, 6, padding=1, labels=letters, row=5,
             title="Padding: same (zeros at both ends)"),
        _fig(network, (1, 1, 1), 5, "same", dense=False, title="Padding: same, as a network"),
        _fig(valid_vs_same_depth, (1, 1, 1), 9, layers=3,
             title="Padding over depth: valid shrinks, same keeps the width"),
        _fig(spatial, 3, (5, 5), padding=1, stride=2, row=4, title="Stride 2"),
        _fig(spatial, 3, (6, 6), padding=0, dilation=2, row=1, title="Dilation 2"),
        _fig(spatial, 3, (2, 2), padding=0, stride=2, transposed=True, row=6,
             title="Transposed convolution: zeros inserted"),
    ]


def _sharing() -> list[_Slide]:
    return [_fig(locally_connected_vs_tiled, 3, 5, tiles=2,
                 title="Tiled and locally connected layers")]


def _channels() -> _Slide:
    return _fig(channels, 2, (2, 3), out_channels=2,
                title="Channels: a grid of Toeplitz blocks",
                caption="Images add axes (width, height, RGB); a mini-batch one more.")


def _preamble(aspect: str) -> str:
    return rf"""\documentclass[11pt,aspectratio={_ASPECTS[aspect]}]{{beamer}}
\usepackage[T1]{{fontenc}}
\input{{glyphtounicode}}
\pdfgentounicode=1
\usepackage{{amsmath,amssymb}}
\setbeamertemplate{{navigation symbols}}{{}}
\title{{Convolution as matrix multiplication}}
\subtitle{{A sparse, weight-tied (Toeplitz) matrix}}
\date{{}}
\begin{{document}}
\begin{{frame}}
\titlepage
\end{{frame}}
\begin{{frame}}{{Convolutional networks}}
Neural networks that use convolution in place of general matrix multiplication in at
least one of their layers:
\[ h = \sigma(W^{{T}} x + b) \quad \text{{for a specific kind of weight matrix }} W. \]
That $W$ is sparse (each output reads $k$ inputs) and weight-tied (every row holds the
same kernel): a Toeplitz matrix.
\end{{frame}}
"""


def _slides(kernel: np.ndarray, n: int) -> list[_Slide]:
    """The lecture's slides, in its order (each figure is drawn for the deck's aspect)."""
    running = _running(kernel, n)
    return (running[:1] + _illustrations() + running[1:3] + _interaction()
            + running[3:6] + [_equivariance(kernel)] + _pooling()
            + _padding_stride() + _sharing() + [_channels()])


def _save_exact(fig: Figure, path: Path, fmt: str) -> None:
    """Write ``fig`` at exactly its size (no tight box): it is the text area."""
    meta = ({"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}
            if fmt == "pdf" else {"Software": None})
    # Type 3 fonts: embedding TrueType (42) subsets every font with fontTools,
    # four times slower, for the same glyphs on the slide.
    with figure_style(), mpl.rc_context({"pdf.fonttype": 3}):
        fig.savefig(path, format=fmt, dpi=200, metadata=meta)


def lecture_deck(out: str | Path, *, aspect: str = "4:3", kernel: ArrayLike = (5, 6, 7),
                 n: int = 4, fmt: str = "pdf", compile: bool = True,
                 _inspect: Callable[[str, Figure], None] | None = None) -> list[Path]:
    """Write the lecture as a Beamer deck into the directory ``out``; return the paths.

    Parameters
    ----------
    out : str or Path
        A directory (created if missing): ``lecture.tex``, one figure file per
        figure slide, and ``lecture.pdf`` when compiled.
    aspect : {'4:3', '16:9'}
        Beamer's aspect ratio; the figures are drawn for its text area.
    kernel, n : array_like, int
        The running example, ``x = [1, ..., n]`` convolved with ``kernel``
        (default the worked example, ``[1, 2, 3, 4] * [5, 6, 7]``): up to 3
        taps and, for a 3-tap kernel, ``n <= 5`` (the figures of the example
        must fit a frame at 11 pt; a kernel whose values are too long to fit
        is refused with the slide it does not fit).
    fmt : {'pdf', 'png'}
        The figures' format.
    compile : bool
        Run ``pdflatex`` (when it is on the PATH) to make ``lecture.pdf``.

    Returns
    -------
    list of Path
        ``lecture.tex``, the figures, then ``lecture.pdf`` if it was made.

    Examples
    --------
    ``lecture_deck("deck")`` writes ``deck/lecture.tex``, ``deck/fig*.pdf``
    and ``deck/lecture.pdf`` (about 30 figures: a few seconds; the test suite
    compiles it).  A running example too large for a frame is refused before
    anything is drawn:

    >>> import tempfile
    >>> lecture_deck(tempfile.mkdtemp(), kernel=[1, 2, 1], n=8)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n must be at most 5 with a 3-tap kernel for a 4:3 deck (...), got 8
    """
    if not isinstance(out, (str, Path)):
        raise TypeError(f"out must be a directory path (str or pathlib.Path), got "
                        f"{type(out).__name__}")
    aspect = choose(aspect, "aspect", tuple(_ASPECTS))
    fmt = choose(fmt, "fmt", DECK_FORMATS)
    k = np.asarray(kernel)
    if (k.ndim != 1 or not 1 <= k.size <= _MAX_K or not np.issubdtype(k.dtype, np.number)
            or np.iscomplexobj(k) or not np.isfinite(k).all()):
        raise ValueError(f"kernel must be 1 to {_MAX_K} finite real numbers for the deck, "
                         f"got {kernel!r}")
    n = as_int(n, "n", minimum=k.size)
    most = _MAX_N[aspect][k.size]
    if n > most:
        wider = _MAX_N["16:9"][k.size]
        raise ValueError(f"n must be at most {most} with a {k.size}-tap kernel for a {aspect} "
                         f"deck (its figures must fit a frame at 11 pt), got {n}"
                         + (f"; aspect='16:9' takes up to {wider}" if wider > most else ""))
    slides = _slides(k, n)
    # Every figure is drawn before anything is written: one that does not fit
    # (a kernel's long values) leaves no half-written deck.
    figures = {i: _draw(slide, aspect) for i, slide in enumerate(slides)
               if slide.figure is not None}
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    body = [_preamble(aspect)]
    paths = [directory / "lecture.tex"]
    for i, slide in enumerate(slides):
        title, content = slide.title, slide.body
        if i in figures:
            fig = figures[i]
            if _inspect is not None:        # tests measure every figure of the deck
                _inspect(slide.title, fig)
            if slide.retitle is not None:
                title = slide.retitle(fig)
            name = f"fig{i:02d}.{fmt}"
            _save_exact(fig, directory / name, fmt)
            paths.append(directory / name)
            # bp -> TeX pt: the figure's 11 pt text is the frame's 11 pt.
            content = rf"\centering\includegraphics[scale={1 / _BP_TO_PT:.5f}]{{{name}}}"
            if slide.caption:
                content += "\n\n\\medskip\n" + slide.caption
        else:               # typeset slides: 12 pt, a step above the body
            content = r"\large" + "\n" + content.strip()
        body.append(rf"\begin{{frame}}{{{title}}}" + "\n" + content.strip() + "\n"
                    + r"\end{frame}" + "\n")
    body.append(r"\end{document}" + "\n")
    paths[0].write_text("\n".join(body))
    if compile and shutil.which("pdflatex"):
        paths.append(_compile(paths[0]))
    return paths


def _draw(slide: _Slide, aspect: str) -> Figure:
    """The slide's figure for ``aspect``, checked to fit the frame with its caption."""
    assert slide.figure is not None
    try:
        fig = slide.figure(slide=aspect, title=False)
    except ValueError as exc:       # only the running example's slides can refuse
        raise ValueError(f"kernel must have shorter values, or n must be smaller, for slide "
                         f"{slide.title!r} of a {aspect} deck: {exc}") from None
    width, height = SLIDES[aspect]
    height -= _CAPTION_PT if slide.caption else 0.0
    w, h = fig.get_size_inches() * 72      # bp, included as as many TeX pt
    if w > width + 0.01 or h > height + 0.01:
        raise RuntimeError(f"the figure of slide {slide.title!r} is {w:.0f} x {h:.0f} pt, "
                           f"larger than the room in the frame, {width:g} x {height:g}")
    return fig


def _compile(tex: Path) -> Path:
    """``pdflatex`` in the deck's directory; a failure is one error with the log's first error."""
    try:
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                              tex.name], cwd=tex.parent, capture_output=True, text=True,
                             timeout=300)
    except subprocess.TimeoutExpired:
        raise RuntimeError("pdflatex took more than 300 s on the deck") from None
    pdf = tex.with_suffix(".pdf")
    if run.returncode != 0 or not pdf.exists():
        first = next((ln for ln in run.stdout.splitlines() if ln.startswith("!")), "")
        raise RuntimeError(f"pdflatex failed on {tex}: {first} (see {tex.with_suffix('.log')})")
    return pdf

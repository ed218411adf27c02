"""The lecture as a Beamer deck, in one call: :func:`lecture_deck`.

The deck walks the lecture the figures serve (the seed slides): the discrete
definition and the worked example, Illustration 1 frame by frame with its
boundary case, Illustration 1 as a matrix product, Illustration 2 in 2-D,
sparse interaction, parameter sharing and its gradient, equivariance,
pooling and invariance, valid/same padding, stride (and dilation and the
transposed convolution), tiled and locally connected layers, channels.

Every slide is readable from the back row by construction: the figures are
drawn at the size of the Beamer text area below the frame title (``slide=``,
text >= 11 pt at natural size) and included unscaled; matrices and tables
are typeset by LaTeX in the body font (11 pt), from the builders' matrices
(``tie_grid`` names each entry, ``A @ x`` gives each number).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._validation import as_int, choose
from ..geometry import full_padding
from ..layers import layer_matrix
from ..local import locally_connected_matrix, tiled_conv_matrix
from ..palette import weight_colors
from ..signal import conv_matrix
from ..tied import TiedMatrix
from ._canvas import figure_style
from ._data import MIXED, _fmt, tie_grid
from ._gradient import weight_gradient
from ._graph import network
from ._lecture import _row_terms
from ._notes import diagonal_side
from ._points import SLIDE_AREAS, tint
from ._spatial import spatial

__all__ = ["DECK_FORMATS", "lecture_deck"]

#: Figure formats of the deck (PDF keeps the figures vector).
DECK_FORMATS = ("pdf", "png")
_ASPECTS = {"4:3": "43", "16:9": "169"}
# The largest running example whose matrices fit a frame at 11 pt.
_MAX_N = {"4:3": 7, "16:9": 9}
_MAX_K = 5


@dataclass
class _Slide:
    title: str
    body: str = ""
    figure: Callable[[], Figure] | None = None
    notes: list[str] = field(default_factory=list)


def _num(v: Any) -> str:
    return _fmt(v)


def _colors_tex(n_weights: int) -> str:
    """``\\definecolor`` of every weight's tint (black text reads on each)."""
    return "\n".join(rf"\definecolor{{w{i}}}{{HTML}}{{{tint(c, 0.5)[1:]}}}"
                     for i, c in enumerate(weight_colors(n_weights)))


def _tex_matrix(A: TiedMatrix, names: Sequence[str], *, only: int | None = None,
                blocks: tuple[int, int] | None = None, kept: Sequence[int] | None = None
                ) -> str:
    """``A`` as a LaTeX ``array``: each weight entry on its colour, structural zeros grey.

    ``names[j]`` is weight ``j`` in math mode; ``only`` colours one weight
    and greys the others; ``blocks`` draws the channel blocks; ``kept``
    greys the rows not in it.
    """
    tie, _ = tie_grid(A, [str(j) for j in range(A.weight.size)])
    m, n = A.shape
    bh, bw = blocks if blocks else (m, n)
    spec = "|".join("c" * bw for _ in range(n // bw))
    lines = []
    for r in range(m):
        cells = []
        for c in range(n):
            t = int(tie[r, c])
            if t == -1:
                cells.append(r"\zero")
            elif t == MIXED:
                raise ValueError("a deck matrix holds no sums of weights")
            elif (only is not None and t != only) or (kept is not None and r not in kept):
                cells.append(rf"\textcolor{{gray}}{{{names[t]}}}")
            else:
                cells.append(rf"\wt{{{t}}}{{{names[t]}}}")
        end = r" \\ \hline" if blocks and (r + 1) % bh == 0 and r + 1 < m else r" \\"
        lines.append(" & ".join(cells) + end)
    return (rf"\left[\begin{{array}}{{{spec}}}" + "\n" + "\n".join(lines)
            + "\n" + r"\end{array}\right]")


def _tex_vector(values: Sequence[str]) -> str:
    return (r"\left[\begin{array}{c}" + r" \\ ".join(values) + r"\end{array}\right]")


def _row(label: str, values: Sequence[str], marks: Sequence[bool] | None = None) -> str:
    cells = [rf"\fbox{{\strut\,{v}\,}}" if marks is not None and marks[i] else v
             for i, v in enumerate(values)]
    return label + " & " + " & ".join(cells) + r" \\"


def _table(rows: Sequence[str], cols: int) -> str:
    return (r"\[\begin{array}{r" + "c" * cols + "}\n" + "\n".join(rows) + "\n"
            r"\end{array}\]")


def _running(kernel: np.ndarray, n: int, aspect: str) -> list[_Slide]:
    """The definition and the worked example, with its numbers from the matrix."""
    A = conv_matrix(kernel, n, "full")
    x = np.arange(1, n + 1)
    y = A @ x.astype(float)
    xs, ws, ys = (", ".join(_num(v) for v in a) for a in (x, kernel, y))
    names = [_num(v) for v in kernel]
    side = diagonal_side(A) or "beside"       # read from the taps, not assumed
    definition = _Slide("Convolution: discrete version", rf"""
Given arrays $u_t$ and $w_t$, their convolution is the array
\[ s_t = \sum_{{a=-\infty}}^{{+\infty}} u_a\, w_{{t-a}}, \qquad s = u * w. \]
When $u_t$ or $w_t$ is not defined, it is taken as $0$.

\medskip
The worked example (the Q\&A): $x = [{xs}]$, $w = [{ws}]$:
\[ x * w = [{ys}]. \]
""")
    product = _Slide("The worked example as a matrix product", rf"""
\[ {_tex_vector([_num(v) for v in y])} = {_tex_matrix(A, names)}
   {_tex_vector([_num(v) for v in x])} \]
Row $t$ of $A$ holds $w_{{t-a}}$ in column $a$: $w_0$ on the diagonal, $w_1$ {side} it
(convolution flips the kernel; a CNN layer's cross-correlation puts $w_1$ above).
""")
    j = kernel.size // 2
    row = min(3, A.shape[0] - 1)
    frame = _Slide(f"The worked example, output {row}", figure=lambda: spatial(
        kernel.size, n, padding=full_padding(kernel.size), kernel=kernel[::-1].copy(), x=x,
        row=row, slide=aspect, title=False))
    share = _Slide("Parameter sharing", rf"""
\[ A = {_tex_matrix(A, [rf'w_{i}' for i in range(kernel.size)], only=j)} \]
$w_{j}$ is one parameter, used {int((tie_grid(A)[0] == j).sum())} times; a fully connected
layer would have {A.shape[0] * A.shape[1]} parameters, this one has {kernel.size}.
""")
    grad = _Slide("Parameter sharing: the gradient of a tied weight", figure=lambda: (
        weight_gradient(kernel, n, "full", x=x, slide=aspect, title=False)))
    return [definition, product, frame, share, grad]


def _illustrations(aspect: str) -> list[_Slide]:
    """The lecture's Illustrations 1 and 2, with its letters."""
    letters = ("x", "y", "z")
    out = [_Slide(f"Illustration 1{': boundary case' if r == 5 else ''}",
                  figure=functools.partial(spatial, 3, 6, padding=1, labels=letters, row=r,
                                           slide=aspect, title=False))
           for r in (2, 3, 4, 5)]
    A = conv_matrix(np.ones(3), 6, "same")
    inputs = list("abcdef")
    u = [rf"\mathrm{{{c}}}" for c in inputs]
    first, last = (_row_terms(A, r, ["z", "y", "x"], inputs) for r in (2, A.shape[0] - 1))
    out.append(_Slide("Illustration 1 as matrix multiplication", rf"""
$w = [z, y, x]$, $u = [a, b, c, d, e, f]$, mode 'same':
\[ s = {_tex_matrix(A, ['z', 'y', 'x'])} {_tex_vector(u)} \]
Row 2 is ${first}$; the last row is the boundary case ${last}$.
"""))
    for r, note in ((0, ""), (1, ", the next output")):
        out.append(_Slide(f"Illustration 2: two-dimensional case{note}", figure=(
            functools.partial(spatial, (2, 2), (3, 4), padding=0,
                              labels=("w", "x", "y", "z"), row=r, slide=aspect,
                              title=False))))
    return out


def _interaction(aspect: str) -> list[_Slide]:
    return [
        _Slide("Sparse interaction: one input's reach",
               figure=lambda: network((1, 1, 1), 5, "valid", slide=aspect, title=False)),
        _Slide("Sparse interaction: one output's receptive field", figure=lambda: network(
            (1, 1, 1), 5, "valid", highlight="output", slide=aspect, title=False)),
        _depth(),
    ]


def _depth(k: int = 3, n: int = 9, layers: int = 3) -> _Slide:
    """Stacked layers: the inputs one middle unit depends on, read off the matrix products."""
    A = conv_matrix(np.ones(k), n, "same")
    dense = A.toarray() != 0
    reach = np.eye(n, dtype=bool)
    rows = []
    for depth in range(1, layers + 1):
        reach = (dense.astype(int) @ reach.astype(int)) != 0     # one more layer
        sees = np.flatnonzero(reach[n // 2])
        rows.append(rf"{depth} & {len(sees)} & x_{{{sees[0] + 1}}}, \dots, x_{{{sees[-1] + 1}}}"
                    + r" \\")
    return _Slide("Multiple layers: a larger receptive field", rf"""
Kernel {k}, 'same', {n} inputs; the middle unit $s_{{{n // 2 + 1}}}$ of each layer depends on
the inputs that the product of the layers' matrices reaches:
\[ \begin{{array}}{{ccc}}
\text{{layers}} & \text{{inputs seen}} & \text{{which}} \\ \hline
{chr(10).join(rows)}
\end{{array}} \]
Each layer is sparse, but a deep unit sees a wide window of the input.
""")


def _equivariance(kernel: np.ndarray) -> _Slide:
    n = 6
    A = conv_matrix(kernel, n, "same", boundary="wrap")
    x = (np.arange(n) * 5 + 1) % 7
    xs = np.roll(x, 1)
    y, ys = A @ x.astype(float), A @ xs.astype(float)
    rows = [_row("x", [_num(v) for v in x]), _row(r"\mathrm{shift}(x)", [_num(v) for v in xs]),
            _row("Ax", [_num(v) for v in y]),
            _row(r"A\,\mathrm{shift}(x)", [_num(v) for v in ys]),
            _row(r"\mathrm{shift}(Ax)", [_num(v) for v in np.roll(y, 1)])]
    same = bool(np.array_equal(ys, np.roll(y, 1)))
    return _Slide("Equivariance: conv(shift x) = shift(conv x)", rf"""
Circular convolution with $w = [{', '.join(_num(v) for v in kernel)}]$, shift by one:
{_table(rows, n)}
The last two rows are {'equal' if same else 'NOT equal'}: shifting the input shifts the output.
""")


def _pooling() -> list[_Slide]:
    from ..pooling import avg_pool_matrix, max_pool_matrix

    x = np.array([0, 9, 1, 2, 8, 3, 0, 7])
    xs = np.concatenate([[0], x[:-1]])
    k = 3
    s = max_pool_matrix(x.reshape(1, -1), k, stride=1) @ x.astype(float)
    ss = max_pool_matrix(xs.reshape(1, -1), k, stride=1) @ xs.astype(float)
    same = [a == b for a, b in zip(s, ss)]
    rows = [_row("x", [_num(v) for v in x]), _row("x'", [_num(v) for v in xs]),
            _row(r"\max_3 x", [_num(v) for v in s] + [""] * 2, same + [False] * 2),
            _row(r"\max_3 x'", [_num(v) for v in ss] + [""] * 2, same + [False] * 2)]
    P = avg_pool_matrix(k, (1, 7), stride=2)
    names = [r"\tfrac{1}{3}"] * P.weight.size
    pooled = _tex_matrix(P, names).replace(r"\wt{0}", r"\pool")
    return [
        _Slide("Pooling and invariance", rf"""
Max pooling, window 3, stride 1; $x'$ is $x$ shifted right by one:
{_table(rows, len(x))}
Every input moved; the boxed outputs ({sum(same)} of {len(s)}) did not.
"""),
        _Slide("Pooling as a matrix", rf"""
Average pooling, window 3, stride 2 (one tied value, $1/3$):
\[ {pooled} \]
Max pooling is the 0/1 matrix that picks each window's largest input: it depends on $x$.
"""),
    ]


def _padding_stride(aspect: str) -> list[_Slide]:
    letters = ("x", "y", "z")
    return [
        _Slide("Padding: valid", figure=lambda: spatial(3, 6, padding=0, labels=letters, row=3,
                                                         slide=aspect, title=False)),
        _Slide("Padding: same (zeros at both ends)", figure=lambda: spatial(
            3, 6, padding=1, labels=letters, row=5, slide=aspect, title=False)),
        _Slide("Padding: same, as a network", figure=lambda: network(
            (1, 1, 1), 5, "same", dense=False, slide=aspect, title=False)),
        _Slide("Stride 2", figure=lambda: spatial(3, (5, 5), padding=1, stride=2, row=4,
                                                   slide=aspect, title=False)),
        _Slide("Dilation 2", figure=lambda: spatial(3, (6, 6), padding=0, dilation=2, row=1,
                                                     slide=aspect, title=False)),
        _Slide("Transposed convolution: zeros inserted", figure=lambda: spatial(
            3, (2, 2), padding=0, stride=2, transposed=True, row=6, slide=aspect,
            title=False)),
    ]


def _names_of(weight: np.ndarray, letter: Callable[[tuple[int, ...]], str]) -> list[str]:
    """One LaTeX name per weight entry, in ``weight.ravel()`` order."""
    return [letter(idx) for idx in np.ndindex(weight.shape)]


def _sharing() -> list[_Slide]:
    k, n, t = 3, 5, 2
    conv_w = np.ones((1, 1, k))
    tiled_w = np.ones((t, 1, 1, k))
    A = layer_matrix(conv_w, (1, n))
    T = tiled_conv_matrix(tiled_w, (1, n))
    m = A.out_shape[1]
    local_w = np.ones((m, 1, 1, k))
    L = locally_connected_matrix(local_w, (1, n))
    greek = (r"\alpha", r"\beta", r"\gamma", r"\delta")
    conv = _tex_matrix(A, _names_of(conv_w, lambda i: rf"w_{i[-1]}"))
    tiled = _tex_matrix(T, _names_of(tiled_w, lambda i: rf"{greek[i[0] % 4]}_{i[-1]}"))
    local = _tex_matrix(L, _names_of(local_w, lambda i: rf"w_{{{i[0]}{i[-1]}}}"))
    return [_Slide("Tiled and locally connected layers", rf"""
Same connections, different tying:

\medskip
\begin{{tabular}}{{cc}}
${conv}$ & ${tiled}$ \\
convolution: {k} weights & tiled, $t = {t}$: {t * k} weights
\end{{tabular}}

\medskip
\begin{{tabular}}{{c}}
${local}$ \\
locally connected: {m * k} weights
\end{{tabular}}
""")]


def _channels() -> _Slide:
    c_in, c_out, k, n = 2, 2, 2, 3
    w = np.ones((c_out, c_in, k))
    A = layer_matrix(w, (c_in, n))
    names = _names_of(w, lambda i: rf"w^{{{i[0]}{i[1]}}}_{i[2]}")
    return _Slide("Channels: a grid of Toeplitz blocks", rf"""
Weight $(C_\mathrm{{out}}, C_\mathrm{{in}}, k) = ({c_out}, {c_in}, {k})$, input $({c_in}, {n})$;
block $(o, i)$ is the Toeplitz matrix of $w^{{oi}}$:
\[ {_tex_matrix(A, names, blocks=(A.out_shape[1], n))} \]
Images add axes: (width, height, RGB channels); a mini-batch adds one more.
""")


def _preamble(aspect: str, n_weights: int) -> str:
    return rf"""\documentclass[11pt,aspectratio={_ASPECTS[aspect]}]{{beamer}}
\usepackage[T1]{{fontenc}}
\input{{glyphtounicode}}
\pdfgentounicode=1
\usepackage{{amsmath,amssymb}}
\setbeamertemplate{{navigation symbols}}{{}}
\setlength{{\fboxsep}}{{1.2pt}}
{_colors_tex(max(n_weights, 12))}
\definecolor{{poolc}}{{HTML}}{{E3DCC8}}
\newcommand{{\wt}}[2]{{\colorbox{{w#1}}{{$#2$}}}}
\newcommand{{\pool}}[1]{{\colorbox{{poolc}}{{$#1$}}}}
\newcommand{{\zero}}{{\textcolor{{gray}}{{0}}}}
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


def _slides(kernel: np.ndarray, n: int, aspect: str) -> list[_Slide]:
    running = _running(kernel, n, aspect)
    return (running[:1] + _illustrations(aspect) + running[1:3] + _interaction(aspect)
            + running[3:5] + [_equivariance(kernel)] + _pooling()
            + _padding_stride(aspect) + _sharing() + [_channels()])


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
        (default the worked example, ``[1, 2, 3, 4] * [5, 6, 7]``).
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
    >>> import tempfile
    >>> paths = lecture_deck(tempfile.mkdtemp(), compile=False)
    >>> paths[0].name, all(p.exists() for p in paths)
    ('lecture.tex', True)
    """
    if not isinstance(out, (str, Path)):
        raise TypeError(f"out must be a directory path (str or pathlib.Path), got "
                        f"{type(out).__name__}")
    aspect = choose(aspect, "aspect", tuple(_ASPECTS))
    fmt = choose(fmt, "fmt", DECK_FORMATS)
    k = np.asarray(kernel)
    if k.ndim != 1 or not 1 <= k.size <= _MAX_K or not np.issubdtype(k.dtype, np.number):
        raise ValueError(f"kernel must be 1 to {_MAX_K} numbers for the deck, got {kernel!r}")
    n = as_int(n, "n", minimum=k.size)
    if n > _MAX_N[aspect]:
        raise ValueError(f"n must be at most {_MAX_N[aspect]} for a {aspect} deck (its "
                         f"matrices must fit a frame at 11 pt), got {n}"
                         + ("; aspect='16:9' takes up to 9" if aspect == "4:3" else ""))
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    slides = _slides(k, n, aspect)
    body = [_preamble(aspect, k.size)]
    paths = [directory / "lecture.tex"]
    width, height = SLIDE_AREAS[aspect]
    for i, slide in enumerate(slides):
        content = slide.body
        if slide.figure is not None:
            fig = slide.figure()
            if _inspect is not None:        # tests measure every figure of the deck
                _inspect(slide.title, fig)
            size = tuple(fig.get_size_inches() * 72)
            if size[0] > width + 0.01 or size[1] > height + 0.01:
                raise RuntimeError(f"figure of slide {slide.title!r} is {size}, larger than "
                                   f"the text area {width} x {height}")
            name = f"fig{i:02d}.{fmt}"
            _save_exact(fig, directory / name, fmt)
            paths.append(directory / name)
            content = rf"\centering\includegraphics{{{name}}}"
        if slide.figure is None:        # typeset slides: 12 pt, a step above the body
            content = r"\large" + "\n" + content.strip()
        body.append(rf"\begin{{frame}}{{{slide.title}}}" + "\n" + content.strip() + "\n"
                    + r"\end{frame}" + "\n")
    body.append(r"\end{document}" + "\n")
    paths[0].write_text("\n".join(body))
    if compile and shutil.which("pdflatex"):
        paths.append(_compile(paths[0]))
    return paths


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

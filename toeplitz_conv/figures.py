"""Lecture figures: the matrix of a convolution, drawn from its taps.

Every figure is built from a :class:`~toeplitz_conv.tied.TiedMatrix` made by
the builders (:func:`~toeplitz_conv.conv_matrix`,
:func:`~toeplitz_conv.layer_matrix`, ...): which weight sits in which cell is
read from ``A.taps``, never recomputed here.  Tied weights are coloured by
their weight index with :func:`toeplitz_conv.palette.weight_colors`, the same
way in every figure; structural zeros are left blank.

Each function returns a :class:`matplotlib.figure.Figure` (not attached to
pyplot, never shown) and records the data behind the drawing in
``fig._toeplitz_data``: for each drawn matrix the tie index of every cell
(``-1`` = zero, ``MIXED`` = a sum of several weights), the cell colours and
the cell labels, so tests can check the picture against the taps.

:data:`FIGURES` maps the name of each lecture figure to a function that draws
it with the seeds' numbers; ``toeplitz-conv figures --out DIR`` writes them all
with :func:`save_figure`, byte-for-byte reproducibly.

Examples
--------
>>> from toeplitz_conv.figures import matrix_equation
>>> fig = matrix_equation([5, 6, 7], 4, "full")
>>> fig._toeplitz_data["A"]["tie"]
array([[ 0, -1, -1, -1],
       [ 1,  0, -1, -1],
       [ 2,  1,  0, -1],
       [-1,  2,  1,  0],
       [-1, -1,  2,  1],
       [-1, -1, -1,  2]])
>>> [str(v) for v in fig._toeplitz_data["y"]["labels"]]
['5', '16', '34', '52', '45', '28']
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import string
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from numpy.typing import ArrayLike

from ._limits import check_dense
from .geometry import map_boundary
from .layers import layer_geometry, layer_matrix, transposed_layer_matrix
from .palette import PAD_COLOR, ZERO_COLOR, weight_colors
from .signal import conv_matrix
from .tied import TiedMatrix

__all__ = [
    "FIGURES",
    "FIGURE_FUNCTIONS",
    "FORMATS",
    "MIXED",
    "connectivity",
    "conv_vs_corr",
    "doubly_block",
    "equivariance",
    "figure_data",
    "figure_style",
    "matrix_equation",
    "output_modes",
    "padding_modes",
    "parameter_sharing",
    "pooling",
    "receptive_field",
    "save_figure",
    "sliding_window",
    "stride_subsampling",
    "tie_grid",
    "transposed",
    "weight_labels",
    "write_all",
]

#: Tie index of a cell that holds the sum of several weights (padding modes).
MIXED = -2
#: Fill of a cell holding a sum of several weights.
MIXED_COLOR = "#595959"
#: Output formats chosen by file extension.
FORMATS = ("svg", "pdf", "png")
#: Largest matrix (cells) a figure draws; beyond it a cell grid is unreadable.
MAX_CELLS = 4096

_CELL_IN = 0.5          # inches per matrix cell
_FONT = 15              # points, for a one- or two-character cell label
_TITLE = 18
_DIM = 0.78             # how far a dimmed colour is mixed towards white

#: rcParams that make output reproducible and projector-readable.
STYLE: dict[str, Any] = {
    "svg.hashsalt": "toeplitz_conv",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": _FONT,
    "axes.unicode_minus": False,
    "path.simplify": False,
    "savefig.dpi": 100,
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
}


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Context with the fixed fonts and SVG hash salt used for every figure.

    >>> import matplotlib as mpl
    >>> with figure_style():
    ...     mpl.rcParams["svg.hashsalt"]
    'toeplitz_conv'
    """
    with mpl.rc_context(STYLE):
        yield


def _styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with figure_style():
            return func(*args, **kwargs)
    return wrapper


# --------------------------------------------------------------------- data

def weight_labels(weight: ArrayLike, labels: str | Sequence[str] = "symbols") -> list[str]:
    """Cell label of each weight index (into ``weight.ravel()``).

    ``"symbols"`` gives ``w_0, w_1, ...`` (mathtext), ``"values"`` the numbers,
    a sequence gives the names as they are.

    >>> weight_labels([5, 6, 7], "values")
    ['5', '6', '7']
    >>> weight_labels([5, 6, 7])
    ['$w_{0}$', '$w_{1}$', '$w_{2}$']
    """
    w = np.asarray(weight).ravel()
    if isinstance(labels, str):
        if labels == "symbols":
            return [f"$w_{{{i}}}$" for i in range(w.size)]
        if labels == "values":
            return [_fmt(v) for v in w]
        raise ValueError(f"labels must be 'symbols', 'values' or a sequence of names, "
                         f"got {labels!r}")
    names = [str(s) for s in labels]
    if len(names) != w.size:
        raise ValueError(f"labels must name all {w.size} weights, got {len(names)} names")
    return names


def _fmt(v: Any) -> str:
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def tie_grid(A: TiedMatrix, names: Sequence[str] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Dense tie index and label of every cell of ``A``, from ``A.taps``.

    Returns ``(tie, labels)``: ``tie[r, c]`` is the weight index of the single
    tap at ``(r, c)``, ``-1`` for a structural zero, :data:`MIXED` when the
    entry is a sum of several taps; ``labels[r, c]`` joins the tap names with
    ``+`` (empty for zeros).

    >>> from toeplitz_conv import layer_matrix
    >>> A = layer_matrix([[[1, 2, 3]]], (1, 3), padding=1, padding_mode="circular")
    >>> tie, labels = tie_grid(A, ["a", "b", "c"])
    >>> tie[0], labels[0]
    (array([1, 2, 0]), array(['b', 'c', 'a'], dtype=object))
    """
    _check_size(A.shape)
    rows, cols, widx = A.taps
    if names is None:
        names = weight_labels(A.weight)
    tie = np.full(A.shape, -1, dtype=np.int64)
    count = np.zeros(A.shape, dtype=np.int64)
    np.add.at(count, (rows, cols), 1)
    tie[rows, cols] = widx
    tie[count > 1] = MIXED
    labels = np.full(A.shape, "", dtype=object)
    for r, c, w in zip(rows.tolist(), cols.tolist(), widx.tolist()):
        labels[r, c] = names[w] if not labels[r, c] else labels[r, c] + "+" + names[w]
    return tie, labels


def _check_size(shape: tuple[int, ...]) -> None:
    check_dense(shape, 8)
    cells = int(np.prod(shape))
    if cells > MAX_CELLS:
        raise ValueError(f"a {' x '.join(map(str, shape))} matrix has {cells} cells, too many "
                         f"to draw legibly (at most {MAX_CELLS}); use a smaller input_shape")


def _matching_rows(big: np.ndarray, small: np.ndarray) -> np.ndarray:
    """For each row of tie grid ``small``, the index of the identical row of ``big``.

    Data-driven (no index arithmetic): strided / valid / same matrices are row
    selections of the stride-1 / full matrix, found by comparing rows.
    """
    index: dict[bytes, int] = {}
    for i, row in enumerate(big):
        index.setdefault(row.tobytes(), i)
    out = []
    for row in small:
        key = row.tobytes()
        if key not in index:
            raise ValueError("the smaller matrix is not a row selection of the larger one")
        out.append(index[key])
    return np.array(out, dtype=np.int64)


def _kernel(kernel: ArrayLike) -> np.ndarray:
    return np.asarray(kernel)


def _symbol_names(letters: str | Sequence[str] | None, n: int, prefix: str) -> list[str]:
    """Names of ``n`` input samples: the given letters, else ``x_0, x_1, ...``."""
    if letters is not None:
        names = list(letters)
        if len(names) >= n:
            return [str(s) for s in names[:n]]
    if n <= 26 and prefix == "letters":
        return list(string.ascii_lowercase[:n])
    return [f"${prefix}_{{{i}}}$" for i in range(n)]


# ------------------------------------------------------------------ drawing

def _text_color(face: str) -> str:
    r, g, b = mpl.colors.to_rgb(face)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def _dim(color: str, amount: float = _DIM) -> str:
    rgb = np.array(mpl.colors.to_rgb(color))
    return mpl.colors.to_hex(rgb + (1 - rgb) * amount)


def _fontsize(label: str, width: float = 1.0) -> float:
    # mathtext markup does not take room and subscripts are small: measure
    # roughly what is printed, line by line.
    def length(line: str) -> float:
        subs = len(re.findall(r"_\{?\w", line))
        shown = re.sub(r"[${}_]", "", line)
        return len(shown) - 0.4 * subs
    lines = label.split("\n")
    size = min(_FONT, _FONT * width * 2.6 / max(max(length(x) for x in lines), 1))
    return min(size, 0.8 * _FONT) if len(lines) > 1 else size


def _cell_text(label: str) -> str:
    """Display form of a cell label: a sum of weights goes on two lines."""
    terms = label.split("+")
    if len(terms) < 2:
        return label
    half = (len(terms) + 1) // 2
    return "+".join(terms[:half]) + "+\n" + "+".join(terms[half:])


class _Canvas:
    """One figure-filling axes whose data unit is one matrix cell, y down."""

    def __init__(self, width: float, height: float, cell_in: float = _CELL_IN) -> None:
        self.fig = Figure(figsize=(width * cell_in, height * cell_in))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()
        self.scale = cell_in / _CELL_IN
        self.fig._toeplitz_data = {}

    def text(self, x: float, y: float, s: str, size: float = _FONT, **kw: Any) -> None:
        kw.setdefault("ha", "center")
        kw.setdefault("va", "center")
        self.ax.text(x, y, s, fontsize=size * self.scale, **kw)

    def title(self, x: float, y: float, s: str, **kw: Any) -> None:
        self.text(x, y, s, size=_TITLE, fontweight="bold", **kw)

    def subtitle(self, x: float, y: float, s: str, **kw: Any) -> None:
        self.text(x, y, s, size=_FONT, color="#444444", **kw)

    def cell(self, x: float, y: float, face: str, label: str = "", *, edge: str = "#BBBBBB",
             lw: float = 0.8, w: float = 1.0, h: float = 1.0, hatch: str | None = None) -> None:
        self.ax.add_patch(Rectangle((x, y), w, h, facecolor=face, edgecolor=edge,
                                    linewidth=lw * self.scale, hatch=hatch))
        if label:
            label = _cell_text(label)
            self.text(x + w / 2, y + h / 2, label, size=_fontsize(label, w),
                      color=_text_color(face))

    def frame(self, x: float, y: float, w: float, h: float, color: str = "black",
              lw: float = 2.0, **kw: Any) -> None:
        self.ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=color,
                                    linewidth=lw * self.scale, **kw))

    def matrix(self, x0: float, y0: float, tie: np.ndarray, labels: np.ndarray,
               n_weights: int, *, dim_rows: Sequence[int] = (), only_weight: int | None = None,
               mark: np.ndarray | None = None, blocks: tuple[int, int] | None = None,
               show_labels: bool = True) -> dict[str, Any]:
        """Draw a tie grid; return the data behind the drawing."""
        colors = weight_colors(n_weights)
        m, n = tie.shape
        face = np.full(tie.shape, ZERO_COLOR, dtype=object)
        shown = np.where(tie >= 0, tie, 0)
        face[tie >= 0] = np.array(colors, dtype=object)[shown[tie >= 0]]
        face[tie == MIXED] = MIXED_COLOR
        dim = np.zeros(tie.shape, dtype=bool)
        dim[list(dim_rows), :] = True
        if only_weight is not None:
            dim |= (tie != only_weight) & (tie != -1)
        drawn = face.copy()
        for r in range(m):
            for c in range(n):
                f = _dim(face[r, c]) if dim[r, c] and tie[r, c] != -1 else face[r, c]
                drawn[r, c] = f
                self.cell(x0 + c, y0 + r, f, labels[r, c] if show_labels else "",
                          hatch="///" if mark is not None and mark[r, c] else None)
        if blocks is not None:
            bh, bw = blocks
            for i in range(0, m, bh):
                for j in range(0, n, bw):
                    self.frame(x0 + j, y0 + i, bw, bh, color="#333333", lw=1.6)
        self.frame(x0, y0, n, m, lw=2.4)
        return {"tie": tie, "labels": labels, "colors": face, "drawn_colors": drawn,
                "dimmed": dim}

    def vector(self, x0: float, y0: float, labels: Sequence[str], *,
               face: str = "#FFFFFF", vertical: bool = True) -> dict[str, Any]:
        for i, s in enumerate(labels):
            x, y = (x0, y0 + i) if vertical else (x0 + i, y0)
            self.cell(x, y, face, s, edge="#444444", lw=1.0)
        w, h = (1, len(labels)) if vertical else (len(labels), 1)
        self.frame(x0, y0, w, h, lw=2.4)
        return {"labels": np.array(list(labels), dtype=object)}

    def grid(self, x0: float, y0: float, shape: tuple[int, ...], labels: Sequence[str],
             faces: Sequence[str] | None = None) -> None:
        """Draw a 1-D or 2-D array of labelled cells (C order)."""
        h, w = (1, shape[0]) if len(shape) == 1 else shape
        for i in range(h * w):
            r, c = divmod(i, w)
            f = faces[i] if faces is not None else "#FFFFFF"
            self.cell(x0 + c, y0 + r, f, labels[i], edge="#444444", lw=1.0)
        self.frame(x0, y0, w, h, lw=2.4)


def _grid_extent(shape: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) in cells of a 1-D or 2-D array drawn by :meth:`_Canvas.grid`."""
    return (shape[0], 1) if len(shape) == 1 else (shape[1], shape[0])


def _blocks(A: TiedMatrix) -> tuple[int, int] | None:
    """Block size of a doubly block Toeplitz matrix (2-D), else None."""
    if len(A.in_shape) == 2 and len(A.out_shape) == 2:
        return A.out_shape[1], A.in_shape[1]
    return None


def _mode_text(mode: str, correlate: bool) -> str:
    return f"{'cross-correlation' if correlate else 'convolution'}, mode '{mode}'"


# ------------------------------------------------------------------ figures

@_styled
def matrix_equation(kernel: ArrayLike = (5, 6, 7), input_shape: int | tuple[int, ...] = 4,
                    mode: str = "full", *, correlate: bool = False, boundary: str = "fill",
                    x: ArrayLike | None = None,
                    labels: str | Sequence[str] = "values") -> Figure:
    """The matrix with its kernel numbers (or symbols) in the cells, as ``y = A x``.

    With numbers, ``x`` defaults to ``1, 2, ..., n`` (the seed's ``[1, 2, 3, 4]``)
    and ``y`` is ``A @ x``; with symbols both are ``x_i`` / ``y_i``.  A 2-D
    matrix has its blocks outlined.

    Examples
    --------
    >>> fig = matrix_equation([5, 6, 7], 4, "full")
    >>> fig._toeplitz_data["A"]["labels"][2].tolist()
    ['7', '6', '5', '']
    """
    k = _kernel(kernel)
    A = conv_matrix(k, input_shape, mode, correlate=correlate, boundary=boundary)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    m, n = A.shape
    if labels == "values":
        xv = np.arange(1, n + 1) if x is None else np.asarray(x).ravel()
        if xv.size != n:
            raise ValueError(f"x must have {n} entries (the input size), got {xv.size}")
        x_labels = [_fmt(v) for v in xv]
        y_labels = [_fmt(v) for v in A @ xv]
    else:
        x_labels = [f"$x_{{{i}}}$" for i in range(n)]
        y_labels = [f"$y_{{{i}}}$" for i in range(m)]
    top = 2.2
    width = 1 + 1.5 + 1 + 1.5 + n + 1 + 1 + 1
    cv = _Canvas(width, top + max(m, n) + 1)
    cv.title(width / 2, 0.9, f"y = A x   ({_mode_text(mode, correlate)})")
    cv.text(1.5, top - 0.5, "y", size=_TITLE)
    data = cv.fig._toeplitz_data
    data["y"] = cv.vector(1, top, y_labels)
    cv.text(3.25, top + m / 2, "=", size=28)
    ax0 = 4.5
    cv.text(ax0 + n / 2, top - 0.5, f"A  ({m} × {n})", size=_TITLE)
    data["A"] = cv.matrix(ax0, top, tie, cell_labels, k.size, blocks=_blocks(A))
    data["A"]["matrix"] = A
    cv.text(ax0 + n + 1.5, top - 0.5, "x", size=_TITLE)
    data["x"] = cv.vector(ax0 + n + 1, top, x_labels)
    return cv.fig


@_styled
def sliding_window(kernel: ArrayLike = (1, 2, 3), input_shape: int | tuple[int, ...] = 6,
                   mode: str = "valid", *, row: int = 1, correlate: bool = False,
                   labels: str | Sequence[str] = "symbols",
                   input_names: Sequence[str] | None = None) -> Figure:
    """The kernel over the input window of one output, next to that row of the matrix.

    The slides' illustration: ``u = [a, b, c, d, e, f]``, ``w = [z, y, x]``,
    output 1 of the valid convolution is ``xb + yc + zd``.

    Examples
    --------
    >>> fig = sliding_window([1, 2, 3], 6, "valid", row=1, labels=["z", "y", "x"])
    >>> fig._toeplitz_data["expression"]
    'xb + yc + zd'
    >>> sliding_window([1, 2, 3], 6, row=1)._toeplitz_data["expression"]
    'w_2b + w_1c + w_0d'
    """
    k = _kernel(kernel)
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    m, n = A.shape
    if not 0 <= row < m:
        raise ValueError(f"row must be in 0..{m - 1} (the outputs), got {row}")
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    inputs = _symbol_names(input_names, n, "letters")
    colors = weight_colors(k.size)
    rows, cols, widx = A.taps
    sel = rows == row
    # What the window shows is exactly the taps of this row.
    faces = [ZERO_COLOR] * n
    window = [""] * n
    for c, w in zip(cols[sel].tolist(), widx[sel].tolist()):
        faces[c] = colors[w]
        window[c] = names[w]
    terms = [f"{names[w]}{inputs[c]}" for c, w in
             sorted(zip(cols[sel].tolist(), widx[sel].tolist()))]
    shown = " + ".join(terms) if terms else "0"
    expression = re.sub(r"[${}]", "", shown)
    gw, gh = _grid_extent(A.in_shape)
    left = max(gw, 6) + 2
    top = 2.2
    width = left + n + 2
    top = 3.0
    height = max(top + 2 * gh + 3.5, top + m + 1)
    cv = _Canvas(width, height)
    cv.title(width / 2, 0.8, "One output = kernel · window = one row of A")
    cv.subtitle(width / 2, 1.7, _mode_text(mode, correlate))
    cv.text(1 + gw / 2, top - 0.5, "input", size=_TITLE)
    cv.grid(1, top, A.in_shape, inputs)
    y1 = top + gh + 1.5
    cv.text(1 + gw / 2, y1 - 0.5, f"kernel at output {row}", size=_TITLE)
    cv.grid(1, y1, A.in_shape, window, faces)
    cv.text(1 + gw / 2, y1 + gh + 1.2, f"$y_{{{row}}}$ = {shown}", size=_TITLE)
    for c in range(n):
        cv.text(left + c + 0.5, top - 0.45, inputs[c], size=_FONT, color="#444444")
    dim_rows = [r for r in range(m) if r != row]
    data = cv.fig._toeplitz_data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, dim_rows=dim_rows,
                          blocks=_blocks(A))
    data["A"]["matrix"] = A
    cv.frame(left - 0.08, top + row - 0.08, n + 0.16, 1.16, color="#D00000", lw=3.5)
    data["window"] = {"cols": cols[sel], "weight_index": widx[sel], "labels": window,
                      "colors": faces}
    data["expression"] = expression
    return cv.fig


@_styled
def doubly_block(kernel: ArrayLike = ((1, 2), (3, 4)),
                 input_shape: int | tuple[int, ...] = (3, 4), mode: str = "valid", *,
                 correlate: bool = True, labels: str | Sequence[str] = "symbols",
                 input_names: Sequence[str] | None = None) -> Figure:
    """Kernel, input, and the (doubly) block Toeplitz matrix with its blocks outlined.

    The slides' 2-D illustration is a 3 x 4 input ``a .. l`` and the kernel
    ``[[w, x], [y, z]]`` (``labels=("w", "x", "y", "z")``): first output ``wa + xb + ye + zf``.

    Examples
    --------
    >>> fig = doubly_block()
    >>> fig._toeplitz_data["A"]["tie"].shape, fig._toeplitz_data["blocks"]
    ((6, 12), (3, 4))
    """
    k = _kernel(kernel)
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    m, n = A.shape
    inputs = _symbol_names(input_names, n, "letters")
    kw, kh = _grid_extent(k.shape)
    iw, ih = _grid_extent(A.in_shape)
    left = max(kw, iw) + 2.5
    top = 2.4
    width = left + n + 1
    height = max(top + m + 1, top + kh + ih + 4)
    cv = _Canvas(width, height)
    what = "doubly block Toeplitz" if len(k.shape) == 2 else "Toeplitz"
    cv.title(width / 2, 0.9, f"{what} matrix of a {k.ndim}-D {_mode_text(mode, correlate)}")
    cv.text(1 + kw / 2, top - 0.5, "kernel", size=_TITLE)
    cv.grid(1, top, k.shape, names, weight_colors(k.size))
    y1 = top + kh + 1.8
    cv.text(1 + iw / 2, y1 - 0.5, "input", size=_TITLE)
    cv.grid(1, y1, A.in_shape, inputs)
    for c in range(n):
        cv.text(left + c + 0.5, top - 0.45, inputs[c], size=_FONT, color="#444444")
    blocks = _blocks(A)
    data = cv.fig._toeplitz_data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, blocks=blocks)
    data["A"]["matrix"] = A
    data["blocks"] = blocks
    return cv.fig


def _node_positions(count: int, width: float) -> np.ndarray:
    return (np.arange(count) + 0.5) * (width / count)


def _network(cv: _Canvas, x0: float, width: float, ys: Sequence[float],
             layers: Sequence[TiedMatrix], *, edge_color: Callable[[int, int, int, int], str],
             edge_width: Callable[[int, int, int, int], float],
             node_face: Callable[[int, int], str]) -> list[np.ndarray]:
    """Draw units (bottom = input) and the edges of each layer's taps.

    ``layers[i]`` maps the units at height ``ys[i]`` to those at ``ys[i + 1]``.
    Returns the x positions of each level.
    """
    sizes = [layers[0].shape[1]] + [L.shape[0] for L in layers]
    xs = [x0 + _node_positions(s, width) for s in sizes]
    radius = min(0.32, 0.42 * width / max(sizes))
    for li, L in enumerate(layers):
        rows, cols, widx = L.taps
        order = np.argsort([edge_width(li, int(r), int(c), int(w))
                            for r, c, w in zip(rows, cols, widx)], kind="stable")
        for t in order:
            r, c, w = int(rows[t]), int(cols[t]), int(widx[t])
            cv.ax.plot([xs[li][c], xs[li + 1][r]], [ys[li], ys[li + 1]],
                       color=edge_color(li, r, c, w),
                       linewidth=edge_width(li, r, c, w) * cv.scale, solid_capstyle="round",
                       zorder=1)
    for level, (xl, y) in enumerate(zip(xs, ys)):
        for i, xx in enumerate(xl):
            cv.ax.add_patch(Circle((xx, y), radius, facecolor=node_face(level, i),
                                   edgecolor="black", linewidth=1.8 * cv.scale, zorder=3))
    return xs


def _full_taps_matrix(m: int, n: int) -> TiedMatrix:
    """A dense layer as a TiedMatrix: every (output, input) pair its own weight."""
    r, c = np.divmod(np.arange(m * n), n)
    return TiedMatrix.from_taps((m, n), r, c, np.arange(m * n), np.ones(m * n))


@_styled
def connectivity(kernel: ArrayLike = (1, 1, 1), input_shape: int | tuple[int, ...] = 6,
                 mode: str = "same", *, correlate: bool = False) -> Figure:
    """Sparse interaction: a dense layer's m x n edges against the conv layer's taps.

    Units are drawn in C order along a line (a 2-D input is flattened); conv
    edges are coloured by the weight they carry.

    Examples
    --------
    >>> fig = connectivity()
    >>> d = fig._toeplitz_data
    >>> d["dense_edges"], d["conv_edges"], d["m_times_k"]
    (36, 16, 18)
    """
    k = _kernel(kernel)
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    _check_size(A.shape)
    m, n = A.shape
    dense = _full_taps_matrix(m, n)
    colors = weight_colors(k.size)
    span = max(m, n) * 0.9 + 1
    width = 2 * span + 3
    cv = _Canvas(width, 10.5, cell_in=0.6)
    cv.title(width / 2, 0.8, "Sparse interaction")
    y_in, y_out = 7.2, 2.6
    _network(cv, 1, span, [y_in, y_out], [dense],
             edge_color=lambda li, r, c, w: "#555555", edge_width=lambda *a: 1.2,
             node_face=lambda level, i: "#FFFFFF")
    _network(cv, span + 2, span, [y_in, y_out], [A],
             edge_color=lambda li, r, c, w: colors[w], edge_width=lambda *a: 3.0,
             node_face=lambda level, i: "#FFFFFF")
    rows, cols, widx = A.taps
    k_size = int(k.size)
    cv.text(1 + span / 2, 9.3, f"fully connected\nm × n = {m * n} edges", size=_FONT + 1)
    cv.text(span + 2 + span / 2, 9.3,
            f"convolution\n{len(rows)} edges ≤ m × k = {m * k_size}", size=_FONT + 1)
    for xc in (1 + span / 2, span + 2 + span / 2):
        cv.text(xc, y_in + 0.85, f"input (n = {n})", size=_FONT, color="#444444")
        cv.text(xc, y_out - 0.85, f"output (m = {m})", size=_FONT, color="#444444")
    data = cv.fig._toeplitz_data
    data.update({"dense_edges": m * n, "conv_edges": len(rows), "m_times_k": m * k_size,
                 "edges": (rows, cols, widx), "edge_colors": [colors[w] for w in widx],
                 "matrix": A})
    return cv.fig


@_styled
def receptive_field(kernel: ArrayLike = (1, 1, 1), input_shape: int | tuple[int, ...] = 9,
                    mode: str = "same", *, layers: int = 3, unit: int | None = None,
                    correlate: bool = False) -> Figure:
    """Receptive-field growth: the inputs one top unit sees through stacked layers.

    Each layer is the same convolution applied to the previous output; the
    field of the top unit (default: the centre one, as a flat C-order index)
    is found by following the taps downwards.  1-D layers are drawn as units
    and edges, 2-D layers as grids with the field shaded.

    Examples
    --------
    >>> fig = receptive_field()
    >>> [len(f) for f in fig._toeplitz_data["fields"]]
    [7, 5, 3, 1]
    """
    k = _kernel(kernel)
    if not isinstance(layers, int) or layers < 1:
        raise ValueError(f"layers must be a positive int, got {layers!r}")
    mats = []
    shape: Any = input_shape
    for _ in range(layers):
        L = conv_matrix(k, shape, mode, correlate=correlate)
        _check_size(L.shape)
        mats.append(L)
        shape = L.out_shape
    top_units = mats[-1].shape[0]
    if unit is None:        # the centre unit of the top layer
        unit = int(np.ravel_multi_index(tuple(s // 2 for s in mats[-1].out_shape),
                                        mats[-1].out_shape))
    if not 0 <= unit < top_units:
        raise ValueError(f"unit must be in 0..{top_units - 1}, got {unit}")
    fields: list[set[int]] = [set() for _ in range(layers + 1)]
    fields[layers] = {unit}
    for li in range(layers - 1, -1, -1):
        rows, cols, _ = mats[li].taps
        fields[li] = set(cols[np.isin(rows, list(fields[li + 1]))].tolist())
    field_lists = [sorted(f) for f in fields]
    if len(mats[0].in_shape) == 2:
        fig = _receptive_field_grids(mats, fields, layers)
        fig._toeplitz_data.update({"fields": field_lists, "matrices": mats, "unit": unit})
        return fig
    colors = weight_colors(k.size)
    span = max(L.shape[1] for L in mats) * 0.9 + 1
    height = 3 + 2.6 * layers + 1.2
    cv = _Canvas(span + 6, height, cell_in=0.6)
    cv.title((span + 6) / 2, 0.8, f"Receptive field over {layers} stacked layers")
    ys = [height - 1.2 - 2.6 * i for i in range(layers + 1)]

    def in_field(li: int, r: int, c: int) -> bool:
        return r in fields[li + 1] and c in fields[li]

    _network(cv, 1, span, ys, mats,
             edge_color=lambda li, r, c, w: colors[w] if in_field(li, r, c) else "#D5D5D5",
             edge_width=lambda li, r, c, w: 3.0 if in_field(li, r, c) else 1.0,
             node_face=lambda level, i: "#F4A582" if i in fields[level] else "#FFFFFF")
    for level, y in enumerate(ys):
        name = "input" if level == 0 else f"layer {level}"
        cv.text(span + 1.3, y, f"{name}: {len(fields[level])}", size=_FONT, ha="left")
    cv.fig._toeplitz_data.update({"fields": field_lists, "matrices": mats, "unit": unit})
    return cv.fig


def _receptive_field_grids(mats: Sequence[TiedMatrix], fields: Sequence[set[int]],
                           layers: int) -> Figure:
    """2-D receptive field: each level drawn as a grid, the field shaded."""
    shapes = [mats[0].in_shape] + [L.out_shape for L in mats]
    widths = [_grid_extent(sh)[0] for sh in shapes]
    height = max(_grid_extent(sh)[1] for sh in shapes)
    top = 2.8
    width = sum(widths) + 2 * len(shapes) + 1
    cv = _Canvas(width, top + height + 1)
    cv.title(width / 2, 0.8, f"Receptive field over {layers} stacked layers")
    x0 = 1.0
    for level, sh in enumerate(shapes):
        n = int(np.prod(sh))
        faces = ["#F4A582" if i in fields[level] else "#FFFFFF" for i in range(n)]
        name = "input" if level == 0 else f"layer {level}"
        cv.text(x0 + widths[level] / 2, top - 0.6, f"{name}: {len(fields[level])}",
                size=_FONT + 1)
        cv.grid(x0, top, sh, [""] * n, faces)
        if level < len(shapes) - 1:
            cv.ax.annotate("", xy=(x0 + widths[level] + 1.8, top + height / 2),
                           xytext=(x0 + widths[level] + 0.2, top + height / 2),
                           arrowprops={"arrowstyle": "->", "color": "#444444",
                                       "lw": 2.0 * cv.scale})
        x0 += widths[level] + 2
    return cv.fig


@_styled
def parameter_sharing(kernel: ArrayLike = (1, 1, 1), input_shape: int | tuple[int, ...] = 6,
                      mode: str = "same", *, weight: int = 1, correlate: bool = False,
                      labels: str | Sequence[str] = "symbols") -> Figure:
    """One weight highlighted at every position where it appears (edges and cells).

    Examples
    --------
    >>> fig = parameter_sharing()
    >>> int(fig._toeplitz_data["A"]["highlighted"].sum())
    6
    """
    k = _kernel(kernel)
    if not 0 <= weight < k.size:
        raise ValueError(f"weight must be a weight index in 0..{k.size - 1}, got {weight}")
    A = conv_matrix(k, input_shape, mode, correlate=correlate)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    m, n = A.shape
    colors = weight_colors(k.size)
    span = max(m, n) * 0.9 + 1
    left = span + 3
    top = 2.4
    width = left + n + 1
    height = max(top + m + 1.5, 10)
    cv = _Canvas(width, height)
    cv.title(width / 2, 0.9, f"Parameter sharing: {names[weight]} is one parameter, "
                             f"used {int((tie == weight).sum())} times")
    _network(cv, 1, span, [height - 1.5, top + 1], [A],
             edge_color=lambda li, r, c, w: colors[w] if w == weight else "#D0D0D0",
             edge_width=lambda li, r, c, w: 4.0 if w == weight else 1.2,
             node_face=lambda level, i: "#FFFFFF")
    cv.text(1 + span / 2, height - 0.6, "input", size=_FONT, color="#444444")
    cv.text(1 + span / 2, top, "output", size=_FONT, color="#444444")
    data = cv.fig._toeplitz_data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, only_weight=weight,
                          blocks=_blocks(A))
    data["A"]["highlighted"] = tie == weight
    data["A"]["matrix"] = A
    data["weight"] = weight
    return cv.fig


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _layer_weight(kernel: np.ndarray) -> np.ndarray:
    return kernel.reshape((1, 1) + kernel.shape)


@_styled
def stride_subsampling(kernel: ArrayLike = (1, 1, 1),
                       input_shape: int | tuple[int, ...] = 7, *, stride: int = 2,
                       padding: int = 1, labels: str | Sequence[str] = "symbols") -> Figure:
    """A strided convolution keeps every ``stride``-th row of the stride-1 matrix.

    Uses the layer convention (:func:`~toeplitz_conv.layer_matrix`, one channel).

    Examples
    --------
    >>> fig = stride_subsampling()
    >>> fig._toeplitz_data["kept_rows"]
    array([0, 2, 4, 6])
    """
    k = _kernel(kernel)
    spatial = (input_shape,) if np.isscalar(input_shape) else tuple(input_shape)
    w = _layer_weight(k)
    A1 = layer_matrix(w, (1, *spatial), stride=1, padding=padding)
    As = layer_matrix(w, (1, *spatial), stride=stride, padding=padding)
    names = weight_labels(k, labels)
    t1, l1 = tie_grid(A1, names)
    ts, ls = tie_grid(As, names)
    kept = _matching_rows(t1, ts)
    m1, n = A1.shape
    ms = As.shape[0]
    top = 2.6
    left2 = n + 4
    width = left2 + n + 1
    cv = _Canvas(width, top + max(m1, ms) + 1)
    cv.title(width / 2, 0.9,
             f"Stride {stride} keeps every {_ordinal(stride)} row of the stride-1 matrix")
    cv.text(1 + n / 2, top - 0.6, f"stride 1 ({m1} × {n})", size=_TITLE)
    data = cv.fig._toeplitz_data
    dropped = [r for r in range(m1) if r not in set(kept.tolist())]
    data["A1"] = cv.matrix(1, top, t1, l1, k.size, dim_rows=dropped, blocks=_blocks(A1))
    for r in kept:
        cv.frame(1 - 0.06, top + r - 0.06, n + 0.12, 1.12, color="#D00000", lw=2.5)
    cv.text(left2 + n / 2, top - 0.6, f"stride {stride} ({ms} × {n})", size=_TITLE)
    data["As"] = cv.matrix(left2, top, ts, ls, k.size, blocks=_blocks(As))
    for i, r in enumerate(kept):
        cv.ax.annotate("", xy=(left2 - 0.1, top + i + 0.5), xytext=(n + 1.1, top + r + 0.5),
                       arrowprops={"arrowstyle": "->", "color": "#D00000",
                                   "lw": 1.8 * cv.scale})
    data["kept_rows"] = kept
    data["A1"]["matrix"], data["As"]["matrix"] = A1, As
    return cv.fig


@_styled
def transposed(kernel: ArrayLike = (1, 1, 1), input_shape: int | tuple[int, ...] = 7, *,
               stride: int = 2, padding: int = 0,
               labels: str | Sequence[str] = "symbols") -> Figure:
    """A strided convolution ``A`` and the transposed convolution, which is ``Aᵀ``.

    The right panel is built by :func:`~toeplitz_conv.transposed_layer_matrix`
    (PyTorch's ``conv_transpose``), not by transposing the left one.

    Examples
    --------
    >>> fig = transposed()
    >>> d = fig._toeplitz_data
    >>> (d["T"]["tie"] == d["A"]["tie"].T).all()
    np.True_
    """
    k = _kernel(kernel)
    spatial = (input_shape,) if np.isscalar(input_shape) else tuple(input_shape)
    w = _layer_weight(k)
    A = layer_matrix(w, (1, *spatial), stride=stride, padding=padding)
    T = None
    # output_padding picks among the input sizes that map to the same output
    # size; choose the one that gives back A's input shape.
    for op in itertools.product(range(stride), repeat=len(spatial)):
        cand = transposed_layer_matrix(w, (1, *A.out_shape[1:]), stride=stride,
                                       padding=padding, output_padding=op)
        if cand.shape == A.shape[::-1]:
            T = cand
            break
    if T is None:  # pragma: no cover - output_padding < stride always suffices
        raise ValueError("no output_padding reproduces the input shape")
    names = weight_labels(k, labels)
    ta, la = tie_grid(A, names)
    tt, lt = tie_grid(T, names)
    m, n = A.shape
    top = 3.4
    left2 = n + 4
    width = left2 + m + 1
    cv = _Canvas(width, top + max(m, n) + 1)
    cv.title(width / 2, 0.9, f"Transposed convolution = Aᵀ  (stride {stride})")
    cv.text(1 + n / 2, top - 0.9, f"A = conv\n({m} × {n})", size=_TITLE)
    data = cv.fig._toeplitz_data
    data["A"] = cv.matrix(1, top, ta, la, k.size, blocks=_blocks(A))
    cv.text(left2 + m / 2, top - 0.9, f"conv_transpose = Aᵀ\n({n} × {m})", size=_TITLE)
    data["T"] = cv.matrix(left2, top, tt, lt, k.size)
    data["A"]["matrix"], data["T"]["matrix"] = A, T
    return cv.fig


@_styled
def padding_modes(kernel: ArrayLike = (1, 1, 1), input_shape: int | tuple[int, ...] = 5, *,
                  padding: int = 1,
                  modes: Sequence[str] = ("zeros", "circular", "reflect", "replicate"),
                  labels: str | Sequence[str] = "symbols") -> Figure:
    """The matrix for each padding mode; taps that read wrapped/reflected samples hatched.

    Above each 1-D matrix, the padded input shows which sample each padded
    position reads (from the geometry core's boundary map).  Cells holding a
    sum of weights are dark grey.

    Examples
    --------
    >>> fig = padding_modes()
    >>> fig._toeplitz_data["circular"]["labels"][0].tolist()
    ['$w_{1}$', '$w_{2}$', '', '', '$w_{0}$']
    """
    k = _kernel(kernel)
    spatial = (input_shape,) if np.isscalar(input_shape) else tuple(input_shape)
    w = _layer_weight(k)
    names = weight_labels(k, labels)
    base = layer_matrix(w, (1, *spatial), padding=padding)
    base_taps = set(zip(*(t.tolist() for t in base.taps)))
    mats = {mode: layer_matrix(w, (1, *spatial), padding=padding, padding_mode=mode)
            for mode in modes}
    m, n = base.shape
    top = 4.2 if len(spatial) == 1 else 2.6
    pads = max(a.pad_before + a.pad_after for a in layer_geometry(
        k.shape, spatial, padding=padding).axes)
    panel = (n if len(spatial) > 1 else max(n, spatial[-1] + pads)) + 2
    width = len(modes) * panel + 1
    cv = _Canvas(width, top + m + 1)
    cv.title(width / 2, 0.9, f"Padding modes (padding {padding}): hatched taps read padding")
    data = cv.fig._toeplitz_data
    inputs = _symbol_names(None, n, "letters")
    for i, mode in enumerate(modes):
        A = mats[mode]
        tie, cell_labels = tie_grid(A, names)
        extra = np.zeros(A.shape, dtype=bool)
        for r, c, wi in zip(*(t.tolist() for t in A.taps)):
            if (r, c, wi) not in base_taps:
                extra[r, c] = True
        x0 = 1 + i * panel + (panel - 2 - n) / 2
        cv.text(x0 + n / 2, top - 0.6 if len(spatial) > 1 else 1.9, mode, size=_TITLE)
        if len(spatial) == 1:
            ax = layer_geometry(k.shape, spatial, padding=padding, padding_mode=mode).axes[0]
            src = map_boundary(np.arange(-ax.pad_before, ax.size + ax.pad_after), ax.size,
                               ax.boundary)
            strip = [inputs[s] if s >= 0 else "0" for s in src]
            faces = [PAD_COLOR if not 0 <= p < ax.size else "#FFFFFF"
                     for p in range(-ax.pad_before, ax.size + ax.pad_after)]
            cv.grid(x0 + n / 2 - len(strip) / 2, 2.5, (len(strip),), strip, faces)
            data.setdefault("padded_input", {})[mode] = strip
        data[mode] = cv.matrix(x0, top, tie, cell_labels, k.size, mark=extra,
                               blocks=_blocks(A))
        data[mode]["extra"] = extra
        data[mode]["matrix"] = A
    return cv.fig


@_styled
def conv_vs_corr(kernel: ArrayLike = (1, 2, 3), input_shape: int | tuple[int, ...] = 6,
                 mode: str = "valid", *, labels: str | Sequence[str] = "symbols") -> Figure:
    """Convolution against cross-correlation: the same matrix with the kernel flipped.

    Examples
    --------
    >>> fig = conv_vs_corr()
    >>> fig._toeplitz_data["convolution"]["tie"][0].tolist()
    [2, 1, 0, -1, -1, -1]
    >>> fig._toeplitz_data["cross-correlation"]["tie"][0].tolist()
    [0, 1, 2, -1, -1, -1]
    """
    k = _kernel(kernel)
    names = weight_labels(k, labels)
    mats = {"convolution": conv_matrix(k, input_shape, mode),
            "cross-correlation": conv_matrix(k, input_shape, mode, correlate=True)}
    m, n = mats["convolution"].shape
    top = 2.6
    width = 2 * (n + 2) + 1
    cv = _Canvas(width, top + m + 1.6)
    cv.title(width / 2, 0.9, f"Convolution flips the kernel (mode '{mode}')")
    data = cv.fig._toeplitz_data
    for i, (what, A) in enumerate(mats.items()):
        tie, cell_labels = tie_grid(A, names)
        x0 = 1 + i * (n + 2)
        cv.text(x0 + n / 2, top - 0.6, what, size=_TITLE)
        data[what] = cv.matrix(x0, top, tie, cell_labels, k.size, blocks=_blocks(A))
        data[what]["matrix"] = A
    cv.text(width / 2, top + m + 0.8, "scipy.signal.convolve  vs  scipy.signal.correlate "
                                      "(what CNN layers compute)", size=_FONT,
            color="#444444")
    return cv.fig


@_styled
def output_modes(kernel: ArrayLike = (1, 2, 3), input_shape: int | tuple[int, ...] = 6, *,
                 correlate: bool = False, labels: str | Sequence[str] = "symbols") -> Figure:
    """'full', 'same' and 'valid' as row ranges of one (full) matrix.

    The rows of each mode are found by matching its matrix against the full
    one, so the brackets show what the builders produce.

    Examples
    --------
    >>> fig = output_modes()
    >>> d = fig._toeplitz_data
    >>> d["rows"]["valid"].tolist(), d["rows"]["same"].tolist()
    ([2, 3, 4, 5], [1, 2, 3, 4, 5, 6])
    """
    k = _kernel(kernel)
    names = weight_labels(k, labels)
    full = conv_matrix(k, input_shape, "full", correlate=correlate)
    tie, cell_labels = tie_grid(full, names)
    rows = {"full": np.arange(full.shape[0])}
    for mode in ("same", "valid"):
        try:
            A = conv_matrix(k, input_shape, mode, correlate=correlate)
        except ValueError:      # 'valid' with a kernel larger than the input
            continue
        rows[mode] = _matching_rows(tie, tie_grid(A, names)[0])
    m, n = full.shape
    top = 2.4
    left = 1
    width = left + n + 3 * 2.2 + 1
    cv = _Canvas(width, top + m + 1)
    cv.title(width / 2, 0.9, f"full / same / valid = rows of one matrix "
                             f"({'correlation' if correlate else 'convolution'})")
    data = cv.fig._toeplitz_data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, blocks=_blocks(full))
    data["A"]["matrix"] = full
    bracket_colors = {"full": "#000000", "same": "#0072B2", "valid": "#D55E00"}
    for j, (mode, r) in enumerate(rows.items()):
        xb = left + n + 0.6 + 2.2 * j
        # Non-contiguous selections (2-D) get one bracket per run of rows.
        runs = np.split(r, np.flatnonzero(np.diff(r) != 1) + 1)
        for run in runs:
            y0, y1 = top + run[0] + 0.1, top + run[-1] + 0.9
            cv.ax.plot([xb, xb + 0.3, xb + 0.3, xb], [y0, y0, y1, y1],
                       color=bracket_colors[mode], linewidth=3 * cv.scale)
        cv.text(xb + 0.45, top + (r[0] + r[-1] + 1) / 2, f"{mode}\n{len(r)}",
                size=_FONT, ha="left", color=bracket_colors[mode], fontweight="bold")
    data["rows"] = rows
    return cv.fig


@_styled
def equivariance(kernel: ArrayLike = (1, 2, 3), input_shape: int | tuple[int, ...] = 8, *,
                 shift: int = 2, x: ArrayLike | None = None,
                 labels: str | Sequence[str] = "symbols") -> Figure:
    """Shift equivariance: conv(shift(x)) = shift(conv(x)), with the circulant matrix.

    Uses circular boundaries (``boundary="wrap"``, mode ``"same"``), where the
    identity holds exactly; the matrix is circulant, every row the previous
    one shifted.  ``x`` defaults to a fixed pattern; ``shift`` rolls every axis.

    Examples
    --------
    >>> d = equivariance()._toeplitz_data
    >>> bool((d["A x_shifted"] == d["shifted A x"]).all())
    True
    """
    k = _kernel(kernel)
    A = conv_matrix(k, input_shape, "same", boundary="wrap")
    shape = A.in_shape
    n = A.shape[1]
    xv = np.asarray(x if x is not None else (np.arange(n) * 5 + 1) % 7).reshape(shape)
    if xv.size != n:
        raise ValueError(f"x must have {n} entries (the input size), got {xv.size}")
    roll = (shift,) * len(shape)
    axes = tuple(range(len(shape)))
    y = (A @ xv.ravel()).reshape(A.out_shape)
    xs = np.roll(xv, roll, axis=axes)
    ys = (A @ xs.ravel()).reshape(A.out_shape)
    names = weight_labels(k, labels)
    tie, cell_labels = tie_grid(A, names)
    gw, gh = _grid_extent(shape)
    top = 3.0
    col2 = 1 + gw + 3
    left = col2 + gw + 2
    width = left + n + 1
    height = max(top + 2 * gh + 3, top + A.shape[0] + 1)
    cv = _Canvas(width, height)
    cv.title(width / 2, 0.8, "Equivariance: conv(shift x) = shift(conv x)")
    cv.subtitle(width / 2, 1.7, f"circular convolution, shift by {shift}")

    def strip(x0: float, y0: float, values: np.ndarray, title: str) -> None:
        cv.text(x0 + gw / 2, y0 - 0.5, title, size=_FONT + 1)
        cv.grid(x0, y0, shape, [_fmt(v) for v in values.ravel()])

    strip(1, top, xv, "x")
    strip(col2, top, y, "A x")
    y2 = top + gh + 2
    strip(1, y2, xs, "shift(x)")
    strip(col2, y2, ys, "A shift(x) = shift(A x)")
    arrow = {"arrowstyle": "->", "color": "#D00000", "lw": 2.0 * cv.scale}
    for yy in (top + gh / 2, y2 + gh / 2):
        cv.ax.annotate("", xy=(col2 - 0.2, yy), xytext=(1 + gw + 0.2, yy), arrowprops=arrow)
        cv.text(1 + gw + 1.5, yy - 0.45, "A", size=_FONT, color="#D00000")
    what = "circulant" if len(shape) == 1 else "doubly block circulant"
    cv.text(left + n / 2, top - 0.5, f"A ({what})", size=_FONT + 1)
    data = cv.fig._toeplitz_data
    data["A"] = cv.matrix(left, top, tie, cell_labels, k.size, blocks=_blocks(A))
    data["A"]["matrix"] = A
    data.update({"x": xv, "A x": y, "x_shifted": xs, "A x_shifted": ys,
                 "shifted A x": np.roll(y, roll, axis=axes)})
    return cv.fig


@_styled
def pooling(kernel_size: int = 2, input_shape: int | tuple[int, ...] = 6, *,
            stride: int | None = None, x: ArrayLike | None = None) -> Figure:
    """Pooling as a matrix: average pooling, and max pooling as a selection matrix.

    Needs :mod:`toeplitz_conv.pooling`.  Average pooling ties each window's
    entries to its factor ``1 / size`` (one colour per window); max pooling at
    the input ``x`` (default a fixed pattern) is the 0/1 matrix picking each
    window's maximum, which is why it is only *piecewise* linear.
    """
    from .pooling import avg_pool_matrix, max_pool_matrix

    spatial = (input_shape,) if np.isscalar(input_shape) else tuple(input_shape)
    n = int(np.prod(spatial))
    xv = (np.arange(n) * 7 + 3) % 10 if x is None else np.asarray(x).ravel()
    if xv.size != n:
        raise ValueError(f"x must have {n} entries (the input size), got {xv.size}")
    avg = avg_pool_matrix(kernel_size, (1, *spatial), stride=stride)
    mx = max_pool_matrix(xv.reshape((1, *spatial)), kernel_size, stride=stride)
    m = avg.shape[0]
    top = 3.0
    width = 2 * (n + 2) + 1
    cv = _Canvas(width, top + m + 1)
    cv.title(width / 2, 0.8, "Pooling as a matrix")
    data = cv.fig._toeplitz_data
    for i, (what, A) in enumerate((("average", avg), ("max (at this x)", mx))):
        names = weight_labels(A.weight, "values")
        tie, cell_labels = tie_grid(A, names)
        x0 = 1 + i * (n + 2)
        cv.text(x0 + n / 2, 1.8, what, size=_TITLE)
        for c in range(n):
            cv.text(x0 + c + 0.5, top - 0.45, _fmt(xv[c]), size=_FONT, color="#444444")
        key = "average" if i == 0 else "max"
        data[key] = cv.matrix(x0, top, tie, cell_labels, A.weight.size, blocks=_blocks(A))
        data[key]["matrix"] = A
    data["x"] = xv
    return cv.fig


def _has_pooling() -> bool:
    import importlib.util

    return importlib.util.find_spec("toeplitz_conv.pooling") is not None


# ----------------------------------------------------------------- registry

#: The general figure functions (each takes a kernel and an input shape).
FIGURE_FUNCTIONS: tuple[Callable[..., Figure], ...] = (
    matrix_equation, sliding_window, doubly_block, connectivity, receptive_field,
    parameter_sharing, stride_subsampling, transposed, padding_modes, conv_vs_corr,
    output_modes, equivariance,
) + ((pooling,) if _has_pooling() else ())

#: name -> function drawing the lecture figure with the seeds' examples.
FIGURES: dict[str, Callable[[], Figure]] = {
    "matrix_1d": functools.partial(matrix_equation, (5, 6, 7), 4, "full"),
    "matrix_1d_symbols": functools.partial(matrix_equation, (5, 6, 7), 4, "full",
                                           labels="symbols"),
    "matrix_2d": functools.partial(matrix_equation, ((1, 2), (3, 4)), (3, 3), "valid",
                                   correlate=True, labels="symbols"),
    "sliding_window": functools.partial(sliding_window, labels=("z", "y", "x")),
    "sliding_window_2d": functools.partial(sliding_window, ((1, 2), (3, 4)), (3, 4),
                                           correlate=True, row=1,
                                           labels=("w", "x", "y", "z")),
    "doubly_block_2d": functools.partial(doubly_block, labels=("w", "x", "y", "z")),
    "connectivity": functools.partial(connectivity),
    "receptive_field": functools.partial(receptive_field),
    "parameter_sharing": functools.partial(parameter_sharing),
    "stride": functools.partial(stride_subsampling),
    "transposed": functools.partial(transposed),
    "padding_modes": functools.partial(padding_modes),
    "conv_vs_corr": functools.partial(conv_vs_corr),
    "output_modes": functools.partial(output_modes),
    "equivariance": functools.partial(equivariance),
}
# The pooling figure joins the set only where the pooling capability exists.
if _has_pooling():
    FIGURES["pooling"] = functools.partial(pooling)


def figure_data(fig: Figure) -> dict[str, Any]:
    """The data behind a figure drawn by this module.

    For each drawn matrix (keys such as ``"A"``) a dict with ``"tie"`` (weight
    index of every cell: ``-1`` zero, :data:`MIXED` a sum of weights),
    ``"colors"``, ``"labels"`` and the ``"matrix"`` it was drawn from; other
    keys are figure-specific (``"kept_rows"``, ``"fields"``, ``"rows"``, ...).

    Examples
    --------
    >>> d = figure_data(FIGURES["stride"]())
    >>> d["kept_rows"].tolist(), d["As"]["tie"].shape
    ([0, 2, 4, 6], (4, 7))
    """
    try:
        return fig._toeplitz_data
    except AttributeError:
        raise TypeError("fig was not drawn by toeplitz_conv.figures") from None


# ------------------------------------------------------------------- saving

def _format_of(path: str | Path) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"output file must end in one of {', '.join('.' + f for f in FORMATS)}"
                         f", got {str(path)!r}")
    return ext


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (SVG, PDF or PNG by extension), reproducibly.

    Dates and version stamps are left out and the SVG hash salt is fixed, so
    the same figure always gives the same bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from toeplitz_conv.figures import FIGURES
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> a = save_figure(FIGURES["matrix_1d"](), d / "a.svg").read_bytes()
    >>> a == save_figure(FIGURES["matrix_1d"](), d / "b.svg").read_bytes()
    True
    """
    fmt = _format_of(path)
    path = Path(path)
    metadata: dict[str, Any] = {
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
        "png": {"Software": None},
    }[fmt]
    with figure_style():
        fig.savefig(path, format=fmt, metadata=metadata, bbox_inches="tight",
                    pad_inches=0.15)
    return path


def write_all(directory: str | Path, fmt: str = "svg",
              names: Sequence[str] | None = None) -> list[Path]:
    """Draw every figure in :data:`FIGURES` (or ``names``) into ``directory``.

    Returns the written paths, ``directory/NAME.fmt``.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_all(tempfile.mkdtemp(), "png", ["matrix_1d"])]
    ['matrix_1d.png']
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    names = list(FIGURES) if names is None else list(names)
    for name in names:
        if name not in FIGURES:
            raise ValueError(f"unknown figure {name!r}; choose from {', '.join(FIGURES)}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [save_figure(FIGURES[name](), directory / f"{name}.{fmt}") for name in names]

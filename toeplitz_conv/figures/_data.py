"""The data behind every drawing: tie index, colour and label of each matrix cell.

Nothing here draws.  A figure's record is a plain dict attached to the
:class:`~matplotlib.figure.Figure` (read back with :func:`figure_data`), so
tests can check the picture against the taps without parsing the image.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._limits import check_dense
from .._validation import to_numpy
from ..layers import layer_geometry
from ..palette import ZERO_COLOR, fill_color, weight_colors
from ..signal import signal_geometry, validate_signal_args
from ..tied import TiedMatrix

__all__ = [
    "MAX_CELLS",
    "MIXED",
    "MIXED_COLOR",
    "figure_data",
    "matrix_record",
    "row_expression",
    "tie_grid",
    "tie_parts",
    "weight_labels",
]

#: Tie index of a cell that holds the sum of several weights (padding modes).
MIXED = -2
#: Fill of a cell holding a sum of several weights.
MIXED_COLOR = "#A6A6A6"
#: Largest matrix (cells) a figure draws; beyond it a cell grid is unreadable.
MAX_CELLS = 4096

_DIM = 0.78             # how far a dimmed colour is mixed towards white
# The attribute of a Figure that holds its record; tests read it directly.
_RECORD = "_toeplitz_data"


def weight_labels(weight: ArrayLike, labels: str | Sequence[str] = "symbols") -> list[str]:
    """Cell label of each weight index (into ``weight.ravel()``).

    ``"symbols"`` gives ``w_0, w_1, ...`` (mathtext), ``"values"`` the numbers,
    a sequence gives the names as they are.

    >>> weight_labels([5, 6, 7], "values")
    ['5', '6', '7']
    >>> weight_labels([5, 6, 7])
    ['$w_{0}$', '$w_{1}$', '$w_{2}$']
    """
    w = np.asarray(to_numpy(weight)).ravel()
    if isinstance(labels, str):
        if labels == "symbols":
            return [f"$w_{{{i}}}$" for i in range(w.size)]
        if labels == "values":
            return [_fmt(v) for v in w]
        raise ValueError(f"labels must be 'symbols', 'values' or a sequence of names, "
                         f"got {labels!r}")
    if not isinstance(labels, Sequence):
        raise TypeError(f"labels must be 'symbols', 'values' or a sequence of names, "
                        f"got {type(labels).__name__}")
    names = [str(s) for s in labels]
    if len(names) != w.size:
        raise ValueError(f"labels must name all {w.size} weights, got {len(names)} names")
    for name, value in zip(names, w.tolist()):
        _check_mathtext(name, "labels")
        # A number drawn in a figure is the number the matrix holds: a numeric
        # name that is not its weight's value would make every product false.
        number = _number(name)
        if number is not None and _is_number(value) and number != value:
            raise ValueError(f"labels: {name!r} is a number, but the kernel entry it names is "
                             f"{_fmt(value)}; name an entry by its value, or by a symbol "
                             f"such as 'x'")
    return names


def _number(label: str) -> float | None:
    """The number a label spells (``"5"``, ``"-1.5"``), else None (``"x"``, ``"1/3"``)."""
    try:
        value = float(label)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_letter(label: str) -> bool:
    plain = _plain_label(label)
    return len(plain) == 1 and plain.isalpha()


def _product(weight: str, sample: str) -> str:
    """One term of an output: ``xb`` for two letters, ``5·1`` or ``w_0·b`` otherwise.

    Written side by side, two numbers read as one (``7`` times ``4`` is not 74).
    """
    return weight + sample if _is_letter(weight) and _is_letter(sample) else f"{weight}·{sample}"


def row_expression(A: TiedMatrix, row: int, names: Sequence[str], inputs: Sequence[str]
                   ) -> tuple[str, float | None]:
    """The terms of output ``row`` (input order) and, when every factor is a number, its value.

    The value is ``(A @ x)[row]`` with ``x`` read from the input names, so
    a sum written in a figure is the one the matrix gives; it is None when
    a weight or an input is named by a symbol.

    >>> from toeplitz_conv import conv_matrix
    >>> A = conv_matrix([5, 6, 7], 4, "full")
    >>> row_expression(A, 3, ["5", "6", "7"], ["1", "2", "3", "4"])
    ('7·2 + 6·3 + 5·4', 52.0)
    >>> row_expression(A, 5, ["z", "y", "x"], list("abcd"))
    ('xd', None)
    """
    rows, cols, widx = A.taps
    sel = rows == row
    pairs = sorted(zip(cols[sel].tolist(), widx[sel].tolist()))
    shown = " + ".join(_product(names[w], inputs[c]) for c, w in pairs) or "0"
    x = [_number(s) for s in inputs]
    if any(v is None for v in x) or any(_number(names[w]) is None for _, w in pairs):
        return shown, None
    return shown, float((A @ np.array(x, dtype=float))[row])


def _check_mathtext(label: str, name: str) -> None:
    """Refuse a label matplotlib cannot draw (bad ``$...$`` markup), at call time."""
    if label.count("$") % 2:
        raise ValueError(f"{name}: {label!r} has an unbalanced '$' (mathtext markup)")
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for part in label.split("$")[1::2]:
        try:
            parser.parse(f"${part}$")
        except ValueError:
            raise ValueError(f"{name}: {label!r} is not valid mathtext; write plain text "
                             f"or matplotlib mathtext such as '$w_{{0}}$'") from None


def _check_input_size(input_shape: Any, name: str = "input_shape") -> None:
    """Refuse an input whose matrix could not be drawn, before building anything.

    A matrix has at least one column per input sample, so more samples than
    :data:`MAX_CELLS` can never be drawn legibly.
    """
    from .._validation import as_shape

    cells = int(np.prod(as_shape(input_shape, name), dtype=object))
    if cells > MAX_CELLS:
        raise ValueError(f"{name} has {cells} samples, too many to draw legibly "
                         f"(at most {MAX_CELLS} cells); use a smaller {name}")


def _check_cells(out_shape: tuple[int, ...], in_shape: tuple[int, ...],
                 name: str = "input_shape") -> None:
    """Refuse a matrix of more than :data:`MAX_CELLS` cells, from its shapes alone."""
    m = int(np.prod(out_shape, dtype=object))
    n = int(np.prod(in_shape, dtype=object))
    if m * n > MAX_CELLS:
        raise ValueError(f"this figure's matrix would be {m} x {n} = {m * n} cells, too many "
                         f"to draw legibly (at most {MAX_CELLS}); use a smaller {name} "
                         f"or kernel")


def _check_kernel(kernel: np.ndarray) -> None:
    if kernel.size > MAX_CELLS:
        raise ValueError(f"kernel has {kernel.size} entries, too many to draw legibly "
                         f"(at most {MAX_CELLS}); use a smaller kernel")


def _check_signal(kernel: Any, input_shape: Any, mode: Any, *, correlate: Any = False,
                  boundary: Any = "fill") -> tuple[int, ...]:
    """The conv_matrix arguments validated and its size checked, before anything is built.

    Returns the output shape (from the geometry core).
    """
    k, shape = validate_signal_args(kernel, input_shape, mode, correlate, boundary)
    _check_kernel(k)
    _check_input_size(shape)
    out = signal_geometry(k.shape, shape, mode, boundary).out_shape
    _check_cells(out, shape)
    return tuple(out)


def _check_layer(kernel_shape: tuple[int, ...], spatial: tuple[int, ...], **geometry: Any
                 ) -> tuple[int, ...]:
    """:func:`_check_signal` for one channel of a PyTorch-style layer; its output shape."""
    if int(np.prod(kernel_shape, dtype=object)) > MAX_CELLS:
        raise ValueError(f"kernel has {int(np.prod(kernel_shape, dtype=object))} entries, too "
                         f"many to draw legibly (at most {MAX_CELLS}); use a smaller kernel")
    _check_input_size(spatial)
    out = tuple(layer_geometry(kernel_shape, spatial, **geometry).out_shape)
    _check_cells(out, spatial)
    return out


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
    return np.asarray(to_numpy(kernel))


def _symbol_names(letters: str | Sequence[str] | None, n: int, prefix: str) -> list[str]:
    """Names of ``n`` input samples: the given letters, else ``x_0, x_1, ...``."""
    if letters is not None:
        names = [str(s) for s in letters]
        if len(names) != n:
            raise ValueError(f"input_names must name all {n} input samples, "
                             f"got {len(names)} names")
        for name in names:
            _check_mathtext(name, "input_names")
        return names
    if prefix == "letters":
        if n <= 26:
            return list(string.ascii_lowercase[:n])
        prefix = "x"
    return [f"${prefix}_{{{i}}}$" for i in range(n)]


def _dim(color: str, amount: float = _DIM) -> str:
    r, g, b = (c + (1 - c) * amount for c in mpl.colors.to_rgb(color))
    return mpl.colors.to_hex((r, g, b))


def matrix_record(tie: np.ndarray, labels: np.ndarray, n_weights: int, *,
                  dim_rows: Sequence[int] = (), only_weight: int | None = None,
                  parts: dict[tuple[int, int], list[int]] | None = None,
                  block: int | None = None,
                  palette: Sequence[str] | None = None) -> dict[str, Any]:
    """The record of one drawn tie grid: tie, labels and the colour of every cell.

    ``"colors"`` is each cell's weight colour (:data:`MIXED_COLOR` for a sum,
    the zero colour for a structural zero), ``"dimmed"`` marks the cells
    drawn faded (rows in ``dim_rows``, and with ``only_weight`` every other
    weight), ``"drawn_colors"`` is what is actually painted: a weight's
    :func:`~toeplitz_conv.palette.fill_color`, or its colour faded further.  With ``parts``
    (see :func:`tie_parts`) each sum cell is drawn split into the colours of
    its weights: ``"split_colors"`` maps ``(row, col)`` to those colours
    (dimmed like the cell), in the order of ``parts``.  ``palette`` replaces
    the weight colours (pooling windows are not weights: see
    :func:`~toeplitz_conv.palette.pool_colors`); it is recorded as ``"palette"``.

    >>> rec = matrix_record(np.array([[0, -1], [MIXED, 1]]), np.array([["a", ""], ["a+b", "b"]]),
    ...                     2, dim_rows=[1])
    >>> rec["colors"][1, 0] == MIXED_COLOR, rec["dimmed"].tolist()
    (True, [[False, False], [True, True]])
    """
    colors = weight_colors(n_weights, block) if palette is None else list(palette)
    face = np.full(tie.shape, ZERO_COLOR, dtype=object)
    shown = np.where(tie >= 0, tie, 0)
    face[tie >= 0] = np.array(colors, dtype=object)[shown[tie >= 0]]
    face[tie == MIXED] = MIXED_COLOR
    dim = np.zeros(tie.shape, dtype=bool)
    dim[list(dim_rows), :] = True
    if only_weight is not None:
        dim |= (tie != only_weight) & (tie != -1)
    # Weights are painted in their light fills; a given palette (pooling) as it is.
    fill = (lambda c: fill_color(c)) if palette is None else (lambda c: c)
    drawn = face.copy()
    for r, c in zip(*np.nonzero(tie >= 0)):
        drawn[r, c] = fill(face[r, c])
    # A structural zero stays the zero colour: fading it would read as a weight.
    fade = dim & (tie != -1)
    for r, c in zip(*np.nonzero(fade)):
        drawn[r, c] = _dim(face[r, c])
    split: dict[tuple[int, int], list[str]] = {}
    for (r, c), ws in (parts or {}).items():
        if tie[r, c] == MIXED:
            split[r, c] = [_dim(colors[w]) if dim[r, c] else fill(colors[w]) for w in ws]
    return {"tie": tie, "labels": labels, "colors": face, "drawn_colors": drawn,
            "dimmed": dim, "split_colors": split, "block": block, "palette": colors}


def tie_parts(A: TiedMatrix) -> dict[tuple[int, int], list[int]]:
    """The weight indices summed in each cell of ``A`` that holds several taps.

    >>> from toeplitz_conv import layer_matrix
    >>> A = layer_matrix([[[1, 2, 3]]], (1, 3), padding=1, padding_mode="replicate")
    >>> tie_parts(A)
    {(0, 0): [0, 1], (2, 2): [1, 2]}
    """
    rows, cols, widx = A.taps
    out: dict[tuple[int, int], list[int]] = {}
    for r, c, w in zip(rows.tolist(), cols.tolist(), widx.tolist()):
        out.setdefault((r, c), []).append(w)
    return {rc: sorted(ws) for rc, ws in out.items() if len(ws) > 1}


def _blocks(A: TiedMatrix) -> tuple[int, int] | None:
    """Block size of a doubly block Toeplitz matrix (2-D), else None."""
    if len(A.in_shape) == 2 and len(A.out_shape) == 2:
        return A.out_shape[1], A.in_shape[1]
    return None


def _new_record(fig: Figure) -> dict[str, Any]:
    """Attach an empty record to ``fig`` and return it (filled by the figure function)."""
    record: dict[str, Any] = {}
    setattr(fig, _RECORD, record)
    return record


def figure_data(fig: Figure) -> dict[str, Any]:
    """The data behind a figure drawn by :mod:`toeplitz_conv.figures`.

    For each drawn matrix (keys such as ``"A"``) a dict with ``"tie"`` (weight
    index of every cell: ``-1`` zero, :data:`MIXED` a sum of weights),
    ``"colors"``, ``"labels"`` and the ``"matrix"`` it was drawn from; other
    keys are figure-specific (``"kept_rows"``, ``"fields"``, ``"rows"``, ...).

    Examples
    --------
    >>> from toeplitz_conv.figures import FIGURES
    >>> d = figure_data(FIGURES["stride"]())
    >>> d["kept_rows"].tolist(), d["As"]["tie"].shape
    ([0, 2, 4, 6], (4, 7))
    """
    record = getattr(fig, _RECORD, None)
    if not isinstance(record, dict):
        raise TypeError("fig was not drawn by toeplitz_conv.figures")
    return record


def _plain_label(label: str) -> str:
    """A label without mathtext markup: ``$w_{0}$`` -> ``w_0``."""
    return re.sub(r"[${}]", "", label)

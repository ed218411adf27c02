"""The line under a matrix figure: which operation, which mode, and where w_1 sits.

A convolution flips its kernel, a cross-correlation does not; in the matrix
this is whether ``w_1`` sits below ``w_0``'s diagonal (one column to the left
in a row) or above it.  Both are read from the matrix: the operation and mode
from ``A.info`` (what the builder was asked), the side from ``A.taps``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..tied import TiedMatrix
from ._data import _plain_label

__all__ = ["diagonal_note", "diagonal_side", "operation_note", "operation_text"]


def operation_text(A: TiedMatrix) -> str:
    """What the builder computed: ``convolution, mode 'full'``, ``layer (cross-correlation)``...

    >>> from toeplitz_conv import conv_matrix, layer_matrix
    >>> operation_text(conv_matrix([1, 2, 3], 4, "same"))
    "convolution, 'same'"
    >>> operation_text(layer_matrix([[[1.0, 2.0]]], (1, 4), stride=2, padding=1))
    'CNN layer (cross-correlation), padding 1, stride 2'
    """
    info = A.info or {}
    conv = info.get("convention")
    if conv == "signal":
        what = "cross-correlation" if info.get("correlate") else "convolution"
        return f"{what}, '{info.get('mode')}'"
    if conv in ("layer", "transposed_layer"):
        what = ("transposed layer" if conv == "transposed_layer"
                else "CNN layer (cross-correlation)")
        parts = [what]
        for key, default in (("padding", 0), ("stride", 1), ("dilation", 1)):
            v = info.get(key)
            values = v if isinstance(v, tuple) else (v,)
            if v is not None and v != "valid" and any(u != default for u in values):
                parts.append(f"{key} {v}")
        if info.get("padding_mode", "zeros") != "zeros":
            parts.append(f"{info['padding_mode']} padding")
        return ", ".join(parts)
    return "matrix"


def diagonal_side(A: TiedMatrix, first: int = 0, second: int = 1) -> str | None:
    """``"below"`` or ``"above"``: where weight ``second`` sits against ``first``'s diagonal.

    Found in the first row holding both (``None`` if none does).

    >>> from toeplitz_conv import conv_matrix
    >>> diagonal_side(conv_matrix([1, 2, 3], 4)), diagonal_side(conv_matrix([1, 2, 3], 4,
    ...                                                                     correlate=True))
    ('below', 'above')
    """
    rows, cols, widx = A.taps
    at: dict[int, dict[int, int]] = {}
    for r, c, w in zip(rows.tolist(), cols.tolist(), widx.tolist()):
        if w in (first, second):
            at.setdefault(r, {})[w] = c
    for r in sorted(at):
        if len(at[r]) == 2 and first != second:
            return "below" if at[r][second] < at[r][first] else "above"
    return None


def diagonal_note(A: TiedMatrix, names: Sequence[str]) -> str:
    """Where ``w_1`` sits and why, in a few words ('' for a one-weight kernel).

    Below ``w_0``'s diagonal means one column to its left: the convolution's
    flipped kernel; above means the cross-correlation's kernel as it is.

    >>> from toeplitz_conv import conv_matrix
    >>> diagonal_note(conv_matrix([5, 6, 7], 4), ["5", "6", "7"])
    "6 below 5's diagonal: flipped"
    >>> diagonal_note(conv_matrix([5, 6, 7], 4, correlate=True), ["$w_{0}$", "$w_{1}$", "x"])
    "w_1 above w_0's diagonal: not flipped"
    """
    side = diagonal_side(A) if len(names) > 1 else None
    if side is None:
        return ""
    why = "flipped" if side == "below" else "not flipped"
    return f"{_plain_label(names[1])} {side} {_plain_label(names[0])}'s diagonal: {why}"


def operation_note(A: TiedMatrix, names: Sequence[str], sep: str = "; ") -> str:
    """The operation and mode, and where ``w_1`` sits, as one line (or two: ``sep="\\n"``).

    A slide figure takes two lines: one long line would set the scale of
    the whole drawing on a narrow (4:3) frame.

    >>> from toeplitz_conv import conv_matrix
    >>> operation_note(conv_matrix([5, 6, 7], 4), ["5", "6", "7"])
    "convolution, 'full'; 6 below 5's diagonal: flipped"
    >>> operation_note(conv_matrix([5, 6, 7], 4), ["5", "6", "7"], sep="\\n").splitlines()
    ["convolution, 'full'", "6 below 5's diagonal: flipped"]
    """
    note = diagonal_note(A, names)
    return operation_text(A) + (f"{sep}{note}" if note else "")

"""Text to numbers and shapes: the one parser every subcommand uses.

Each function takes the flag's name so that an error names the flag the user
typed. Integers are bounded to int64 here because the builders index with
int64 arrays: a larger value would otherwise surface as an ``OverflowError``
deep inside numpy instead of a message about the flag.
"""

from __future__ import annotations

import argparse
from typing import cast

import numpy as np

from .._typing import LayerPadding
from ._errors import CLIError

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "add_signal_args",
    "int64",
    "parse_int",
    "parse_ints",
    "parse_numbers",
    "parse_padding",
    "parse_shape",
]

INT64_MIN = int(np.iinfo(np.int64).min)
INT64_MAX = int(np.iinfo(np.int64).max)

#: Padding words accepted by ``layer_matrix`` in place of numbers.
PADDING_WORDS = ("same", "valid")


def parse_numbers(text: str, name: str = "--kernel") -> np.ndarray:
    """Parse ``"5,6,7"`` (1-D) or ``"1,2;3,4"`` (rows separated by ``;``).

    Whole numbers come back as int64 so that the printed matrix shows ``5``
    rather than ``5.0``.

    Parameters
    ----------
    text : str
        Numbers separated by ``,``; rows of a 2-D array separated by ``;``.
    name : str
        The flag, for the error message.

    Returns
    -------
    numpy.ndarray
        1-D for one row, else 2-D; int64 when every value is a whole number
        that float64 holds exactly, else float64.

    Raises
    ------
    CLIError
        If a value is not a number or the rows differ in length.

    Examples
    --------
    >>> parse_numbers("5,6,7")
    array([5, 6, 7])
    >>> parse_numbers("1,2;3,4").shape
    (2, 2)
    >>> parse_numbers("0.5,1")
    array([0.5, 1. ])
    """
    try:
        rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
    except ValueError:
        raise CLIError(f"{name} must be numbers separated by ',' (rows by ';'), "
                       f"got {text!r}") from None
    if len({len(r) for r in rows}) != 1:
        raise CLIError(f"{name} rows must all have the same length, got {text!r}")
    arr = np.array(rows if len(rows) > 1 else rows[0])
    # Beyond 2**53 float64 no longer holds every integer, so the cast would lie.
    if np.all(arr == np.round(arr)) and np.all(np.abs(arr) < 2**53):
        arr = arr.astype(np.int64)
    return arr


def parse_int(text: str, name: str, *, minimum: int | None = None) -> int:
    """Parse one integer that fits int64 (and is at least ``minimum``).

    Parameters
    ----------
    text : str
        The flag's value.
    name : str
        The flag, for the error message.
    minimum : int, optional
        The smallest allowed value (1 for sizes, strides and dilations).

    Returns
    -------
    int

    Raises
    ------
    CLIError
        If ``text`` is not an integer, does not fit int64, or is below ``minimum``.

    Examples
    --------
    >>> parse_int("3", "--kernel-size", minimum=1)
    3
    >>> parse_int("0", "--kernel-size", minimum=1)
    Traceback (most recent call last):
    ...
    toeplitz_conv.cli._errors.CLIError: --kernel-size must be a positive int, got 0
    """
    what = {None: "an int", 0: "a non-negative int", 1: "a positive int"}.get(
        minimum, f"an int >= {minimum}")
    try:
        value = int(text)
    except ValueError:
        raise CLIError(f"{name} must be {what}, got {text!r}") from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise CLIError(f"{name} must fit in int64 (at most {INT64_MAX}), got {text!r}")
    if minimum is not None and value < minimum:
        raise CLIError(f"{name} must be {what}, got {value}")
    return value


def parse_shape(text: str, name: str = "--n", *, minimum: int | None = 1) -> tuple[int, ...]:
    """Parse ``"4"``, ``"3,3"`` or ``"3x3"`` into a tuple of ints.

    Parameters
    ----------
    text : str
        Integers separated by ``,`` or ``x``.
    name : str
        The flag, for the error message.
    minimum : int or None
        The smallest allowed entry; 1 (sizes) by default, ``None`` for any int.

    Returns
    -------
    tuple of int

    Raises
    ------
    CLIError
        If an entry is not an int, does not fit int64, or is below ``minimum``.

    Examples
    --------
    >>> parse_shape("3x3")
    (3, 3)
    >>> parse_shape("4")
    (4,)
    """
    parts = text.replace("x", ",").split(",")
    if not all(p.strip().lstrip("+-").isdigit() for p in parts):
        raise CLIError(f"{name} must be an int or ints separated by ',', got {text!r}")
    return tuple(parse_int(p, name, minimum=minimum) for p in parts)


def parse_ints(text: str, name: str, *, minimum: int | None = 1) -> int | tuple[int, ...]:
    """Like :func:`parse_shape`, but one value comes back as a plain int.

    The builders take ``stride=2`` and ``stride=(2, 1)`` alike; passing the
    int keeps "one value for every axis" meaning what it means in the library.

    Examples
    --------
    >>> parse_ints("2", "--stride")
    2
    >>> parse_ints("2,1", "--stride")
    (2, 1)
    """
    values = parse_shape(text, name, minimum=minimum)
    return values[0] if len(values) == 1 else values


def parse_padding(text: str, name: str = "--padding") -> LayerPadding:
    """Parse a padding: ``same``, ``valid``, an int or ints (non-negative).

    Examples
    --------
    >>> parse_padding("same")
    'same'
    >>> parse_padding("1,2")
    (1, 2)
    """
    if text in PADDING_WORDS:
        return cast(LayerPadding, text)
    try:
        return parse_ints(text, name, minimum=0)
    except CLIError:
        raise CLIError(f"{name} must be a non-negative int, such ints separated by ',', "
                       f"'same' or 'valid', got {text!r}") from None


def int64(text: str) -> int:
    """``argparse`` ``type=`` for plain int options; refuses values beyond int64.

    A ``ValueError`` makes argparse say ``invalid int64 value: '...'`` (with
    the flag); the range error is reported through ``ArgumentTypeError``.

    Examples
    --------
    >>> int64("-2")
    -2
    """
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise argparse.ArgumentTypeError(f"must fit in int64, got {text!r}")
    return value


def add_signal_args(p: argparse.ArgumentParser) -> None:
    """Add the flags of :func:`~toeplitz_conv.conv_matrix` (``show`` and ``explore`` share them).

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("--kernel", required=True, help="e.g. 5,6,7 or 1,2;3,4 for 2-D")
    p.add_argument("--n", required=True, help="input shape, e.g. 4 or 3,3")
    p.add_argument("--mode", default="full", help="full | valid | same")
    p.add_argument("--correlate", action="store_true", help="cross-correlation")
    p.add_argument("--boundary", default="fill", help="fill | wrap | symm")

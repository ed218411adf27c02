"""Text to numbers and shapes: the one parser every subcommand uses.

Each function takes the flag's name so that an error names the flag the user
typed. Integers are bounded to int64 here because the builders index with
int64 arrays: a larger value would otherwise surface as an ``OverflowError``
deep inside numpy instead of a message about the flag.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

import numpy as np

from .._typing import LayerPadding
from ._errors import CLIError

__all__ = [
    "COMMAND_FLAGS",
    "FLAGS",
    "INPUT_SHAPE_FLAGS",
    "INT64_MAX",
    "INT64_MIN",
    "HelpFormatter",
    "Parser",
    "add_input_shape",
    "add_signal_args",
    "did_you_mean",
    "flag_names",
    "int64",
    "output_path",
    "parse_float",
    "parse_int",
    "parse_ints",
    "parse_numbers",
    "parse_padding",
    "parse_shape",
]

INT64_MIN = int(np.iinfo(np.int64).min)
INT64_MAX = int(np.iinfo(np.int64).max)

#: Padding words accepted by ``layer_matrix`` in place of numbers.
PADDING_WORDS = ("same", "valid", "SAME", "VALID")


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
    # "inf", "nan" and "1e400" (float() gives inf) are no kernel or input a
    # command line means; refused here, where the flag's name is known.
    if not all(math.isfinite(v) for r in rows for v in r):
        raise CLIError(f"{name} must be finite numbers, got {text!r}")
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


def parse_float(text: str, name: str, *, minimum: float | None = None,
                maximum: float | None = None, positive: bool = False) -> float:
    """Parse one finite number (within ``[minimum, maximum]``; above 0 if ``positive``).

    Parameters
    ----------
    text : str
        The flag's value.
    name : str
        The flag, for the error message.
    minimum, maximum : float, optional
        The allowed range, both ends included.
    positive : bool
        Refuse 0 (and anything below).

    Returns
    -------
    float

    Raises
    ------
    CLIError
        If ``text`` is not a number, is NaN or infinite (``1e400`` is), or out of range.

    Examples
    --------
    >>> parse_float("1e-6", "--rtol", minimum=0)
    1e-06
    >>> parse_float("inf", "--rtol", minimum=0)
    Traceback (most recent call last):
    ...
    toeplitz_conv.cli._errors.CLIError: --rtol must be a finite number >= 0, got 'inf'
    """
    what = "a finite number"
    if positive:
        what += " > 0"
    elif minimum is not None:
        what += f" >= {minimum:g}"
    if maximum is not None:
        what += f" and <= {maximum:g}"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if (not math.isfinite(value) or (positive and value <= 0)
            or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum)):
        raise CLIError(f"{name} must be {what}, got {text!r}")
    return value


def parse_shape(text: str, name: str = "--input-shape/--n", *,
                minimum: int | None = 1) -> tuple[int, ...]:
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
    """Parse a padding: ``same``, ``valid``, TensorFlow's ``SAME``/``VALID``, or int(s) >= 0.

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
                       f"'same', 'valid', 'SAME' or 'VALID', got {text!r}") from None


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


#: The library's parameter names -> the flags that set them, for error messages:
#: a user of the command line typed ``--n``, not ``input_shape``.
FLAGS: dict[str, str] = {
    "input_shape": "--input-shape/--n",
    "kernel_size_or_symbols": "--kernel-size/--kernel",
    "weight_shape_or_symbols": "--weight-shape",
    "weight_shape": "--weight-shape",
    "padding_mode": "--padding-mode",
    "kernel": "--kernel",
    "weight": "--weight",
    "bias": "--bias",
    "mode": "--mode",
    "boundary": "--boundary",
    "correlate": "--correlate",
    "stride": "--stride",
    "padding": "--padding",
    "dilation": "--dilation",
    "groups": "--groups",
    "rtol": "--rtol",
    "atol": "--atol",
    "seed": "--seed",
    "kind": "--kind",
    "ceil_mode": "--ceil-mode",
    "count_include_pad": "--count-include-pad",
    "output_padding": "--output-padding",
    "timeout": "--timeout",
    "isolation": "--isolation",
    "max_kernel": "--max-kernel",
    "max_stride": "--max-stride",
    "max_dilation": "--max-dilation",
    "max_calls": "--max-calls",
    "convention": "--convention",
    "order": "--order",
    # the figure options of issue 25 (spatial, weight_gradient, network)
    "kernel_size": "--kernel-size",
    "grad_out": "--grad-out",
    "input_names": "--input-names",
    "highlight": "--highlight",
    "slide": "--slide",
}

# A plain word such as "mode" or "padding" is a parameter name only where a
# message uses it as one: before "must", "=", "is", "needs" or ":".
_NAMES = "|".join(FLAGS)
_PARAM = re.compile(rf"(?<![\w\-'\"])({_NAMES})(?=\s+must\b|\s+is\b|=|:|\s+needs\b)")
_SNAKE_NAMES = "|".join(k for k in FLAGS if "_" in k)
_SNAKE = re.compile(rf"(?<![\w\-])({_SNAKE_NAMES})(?![\w])")
_FIGURE_PARAM = re.compile(r"(?<![\w\-'\"/])([a-z][a-z0-9]*_[a-z0-9_]+)(?=\s+must\b|=)")


#: Per subcommand, parameters its flags call otherwise: a figure's kernel is
#: ``--kernel`` even where the layer builder it calls names it ``weight``.
COMMAND_FLAGS: dict[str, dict[str, str]] = {"figure": {"weight": "--kernel"}}


def flag_names(message: str, command: str | None = None) -> str:
    """Rewrite a library error message so that it names flags, not parameters.

    Names with an underscore (``input_shape``) are always parameters; plain
    words (``mode``) only where the message uses them as one. ``command``
    selects that subcommand's own names (:data:`COMMAND_FLAGS`).

    Examples
    --------
    >>> flag_names("kernel shape (3,) is larger than input_shape (2,)")
    'kernel shape (3,) is larger than --input-shape/--n (2,)'
    >>> flag_names("mode must be one of 'full', 'valid', 'same', got 'fll'")
    "--mode must be one of 'full', 'valid', 'same', got 'fll'"
    >>> flag_names("mode='valid' needs the kernel to fit (use mode='full')")
    "--mode 'valid' needs the kernel to fit (use --mode 'full')"
    >>> flag_names("pass a larger timeout= if it is just slow")
    'pass a larger --timeout if it is just slow'
    """
    flags = {**FLAGS, **COMMAND_FLAGS.get(command or "", {})}

    def repl(m: re.Match[str]) -> str:
        return flags[m.group(1)]

    message = _SNAKE.sub(repl, message)
    message = _PARAM.sub(repl, message)
    if command == "figure":
        # A figure's parameters are its flags, one for one (kernel_size -> --kernel-size).
        message = _FIGURE_PARAM.sub(lambda m: "--" + m.group(1).replace("_", "-"), message)
    # "--mode='valid'" is no shell syntax the user would type; "--mode 'valid'" is.
    return re.sub(r"(--[\w-]+(?:/--[\w-]+)?)= ?", r"\1 ", message)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default in ``--help``, except empty ones (None, False).

    Raw description keeps the epilog's examples one per line, as they are
    pasted into a shell.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if ("%(default)" not in text and action.default not in (None, False)
                and action.default is not argparse.SUPPRESS and action.option_strings):
            text += " (default: %(default)s)"
        return text


def add_input_shape(p: argparse.ArgumentParser, *, required: bool = True,
                    default: str | None = None, what: str = "input shape, e.g. 4 or 3,3") -> None:
    """Add ``--input-shape`` with its alias ``--n`` (every subcommand has the same flag).

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    required : bool
        Whether the flag must be given.
    default : str, optional
        Its default when not required.
    what : str
        The help text.
    """
    p.add_argument("--input-shape", "--n", dest="input_shape", required=required,
                   default=default, metavar="SHAPE", help=what)


def add_signal_args(p: argparse.ArgumentParser) -> None:
    """Add the flags of :func:`~toeplitz_conv.conv_matrix` (``show`` and ``explore`` share them).

    ``--mode`` and ``--boundary`` default to None so that a subcommand can
    tell "not given" from "given as the default" (``explore`` refuses them
    with the layer convention's flags); the conv defaults are full and fill.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("--kernel", required=True, help="e.g. 5,6,7, or '1,2;3,4' (quoted) for 2-D")
    add_input_shape(p)
    p.add_argument("--mode", help="full | valid | same | circular (default: full)")
    p.add_argument("--correlate", action="store_true", help="cross-correlation")
    p.add_argument("--boundary", help="fill | wrap | symm (default: fill)")


# ------------------------------------------------ the one argparse parser every command uses

#: ``--input-shape`` and its 1-D alias ``--n``: any option declared with one of
#: them gets the other too (:class:`Parser`), so no subcommand can miss one.
INPUT_SHAPE_FLAGS = ("--input-shape", "--n")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean --kernel?"`` for the closest of ``choices``, or ``""``.

    Examples
    --------
    >>> did_you_mean("--kernal", ["--kernel", "--n", "--mode"])
    '; did you mean --kernel?'
    >>> did_you_mean("--zzz", ["--kernel"])
    ''
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


class Parser(argparse.ArgumentParser):
    """argparse's parser with the command line's rules, for every subcommand and option set.

    * A value is always taken as given: ``--kernel=--`` passes ``"--"`` to the
      flag's parser (argparse would drop the ``--`` and hand over an empty
      list, which then crashed the subcommand), and an empty value
      (``--mode=``) is refused instead of silently meaning the default.
    * ``--input-shape`` and ``--n`` always come together.
    * A usage error is one line that points at this parser's ``--help``.
    """

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """As argparse's, with ``--input-shape``/``--n`` completed to the pair."""
        if any(a in INPUT_SHAPE_FLAGS for a in args):
            args = (*INPUT_SHAPE_FLAGS, *(a for a in args if a not in INPUT_SHAPE_FLAGS))
        return super().add_argument(*args, **kwargs)

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        if action.option_strings and action.nargs is None and len(arg_strings) == 1:
            text = arg_strings[0]
            if text == "":
                self.error(f"{'/'.join(action.option_strings)} needs a value, got ''")
            value = self._get_value(action, text)
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see PROG --help)`` on one line; exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def unknown_flag(self, args: Sequence[str]) -> str | None:
        """The first long flag in ``args`` that this parser does not know, with a suggestion.

        Checked before parsing, so that ``--kernal 1,2,3`` is reported as the
        typo it is, not as a missing ``--kernel``.

        Examples
        --------
        >>> p = Parser(prog="demo")
        >>> _ = p.add_argument("--kernel")
        >>> p.unknown_flag(["--kernal", "1,2"])
        'unrecognized flag --kernal; did you mean --kernel?'
        >>> p.unknown_flag(["--kernel", "--kernal"]) is None
        True
        """
        takes_value = {s: a.nargs != 0 for a in self._actions for s in a.option_strings}
        skip = False
        for token in args:
            if skip:
                skip = False
                continue
            if not token.startswith("--") or token == "--":
                continue
            name, eq, _ = token.partition("=")
            known = [s for s in takes_value if s == name] or \
                [s for s in takes_value if s.startswith(name) and s.startswith("--")]
            if not known:
                return f"unrecognized flag {name}{did_you_mean(name, takes_value)}"
            skip = not eq and len(known) == 1 and takes_value[known[0]]
        return None


def output_path(text: str, *, force: bool, flag: str = "--out",
                suffixes: Sequence[str] = ()) -> Path:
    """The file a subcommand is about to write, refused if that would replace something.

    An existing file is kept unless ``force`` (``--force``); a symbolic link is
    never followed: with ``force`` the link itself is removed, so the new file
    takes its place instead of overwriting the file it points to.

    Parameters
    ----------
    text : str
        The flag's value.
    force : bool
        Whether ``--force`` was given.
    flag : str
        The flag, for the error message.
    suffixes : sequence of str
        The allowed file name endings (``".html"``, ...); any if empty.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    CLIError
        If ``text`` is empty, has another ending than ``suffixes``, names a directory,
        or a file or link exists there and ``force`` is False.

    Examples
    --------
    >>> output_path("page.html", force=False, suffixes=(".html",))
    PosixPath('page.html')
    >>> output_path("page.txt", force=False, suffixes=(".html",))
    Traceback (most recent call last):
    ...
    toeplitz_conv.cli._errors.CLIError: --out must end in .html, got 'page.txt'
    """
    if not text:
        raise CLIError(f"{flag} needs a file name, got ''")
    path = Path(text)
    if suffixes and path.suffix.lower() not in suffixes:
        raise CLIError(f"{flag} must end in {' or '.join(suffixes)}, got {text!r}")
    if path.is_dir() and not path.is_symlink():
        raise CLIError(f"{flag}: {text!r} is a directory; give a file name")
    if path.is_symlink():
        if not force:
            raise CLIError(f"{flag}: {text!r} is a symbolic link; pass --force to replace "
                           f"the link (the file it points to is left alone)")
        os.unlink(path)
    elif path.exists() and not force:
        raise CLIError(f"{flag}: {text!r} exists; pass --force to overwrite it")
    return path

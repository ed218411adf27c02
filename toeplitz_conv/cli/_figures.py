"""``toeplitz-conv figure NAME --out FILE`` and ``toeplitz-conv figures --out DIR``.

Registering these must not import matplotlib for every command, so
:mod:`toeplitz_conv.figures` is imported only when they run, and only after
the cheap checks of the output path.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from numpy.typing import ArrayLike

from ._errors import CLIError
from ._parse import (
    Parser,
    did_you_mean,
    output_path,
    parse_float,
    parse_int,
    parse_numbers,
    parse_shape,
)

__all__ = ["FIGURE_ALIASES", "FIGURE_FUNCTION_NAMES", "FIGURE_NAMES", "HELP_FIGURE",
           "HELP_FIGURES", "cmd_figure", "cmd_figures", "setup_figure", "setup_figures"]

HELP_FIGURE = ("draw one lecture figure in any configuration: figure NAME --out "
               "FILE.svg|pdf|png|tex|gif|mp4 [--kernel 1,2,3 --n 6 --mode same ...]")
HELP_FIGURES = "draw every lecture figure into a directory: figures --out DIR"

_EXTS = ("svg", "pdf", "png")
#: What ``figure --out`` writes besides the image formats: TikZ source.
_FIGURE_EXTS = (*_EXTS, "tex")
#: ... and animations of the figures that step through their outputs.
_ANIMATION_EXTS = ("gif", "mp4")


def _add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", help="output file; the format follows the extension: .svg, .pdf, "
                                 ".png, .tex (a TikZ picture), .gif or .mp4 (an animation of "
                                 "the sliding window)")
    p.add_argument("--dpi", help="resolution of a .png or of the frames of an animation "
                                 "(default 200)")
    p.add_argument("--svg-text", action="store_true", default=None,
                   help="keep the text of an .svg editable (<text> elements) instead of "
                        "paths; the default is byte-for-byte reproducible")
    p.add_argument("--fps", help="frames per second of a .gif or .mp4 (default about 1)")
    p.add_argument("--force", action="store_true", default=None,
                   help="overwrite --out if it exists (a symbolic link is replaced, not followed)")

#: The names of ``toeplitz_conv.figures.FIGURES``, in its order, and of its
#: figure functions, written out here so that ``figure list`` answers without
#: importing matplotlib (a second or more); tests/test_cli.py keeps them equal
#: to the figures module.
FIGURE_NAMES = ("matrix_1d", "matrix_1d_symbols", "matrix_2d", "sliding_window",
                "sliding_window_2d", "doubly_block_2d", "connectivity", "receptive_field",
                "parameter_sharing", "stride", "transposed", "padding_modes", "conv_vs_corr",
                "output_modes", "equivariance", "fully_connected_vs_conv",
                "locally_connected_vs_tiled", "channels", "valid_vs_same_depth",
                "sliding_window_frames", "kernel_feature_map", "spatial", "weight_gradient",
                "network", "pooling", "pooling_stride", "pooling_invariance")
FIGURE_FUNCTION_NAMES = (
    "matrix_equation", "sliding_window", "doubly_block", "connectivity", "receptive_field",
    "parameter_sharing", "stride_subsampling", "transposed", "padding_modes", "conv_vs_corr",
    "output_modes", "equivariance", "fully_connected_vs_conv", "locally_connected_vs_tiled",
    "channels", "valid_vs_same_depth", "sliding_window_frames", "kernel_feature_map",
    "spatial", "weight_gradient", "network", "pooling", "pooling_stride",
    "pooling_invariance")
#: Lecture example name -> its function's name, where the two differ.
FIGURE_ALIASES = {"matrix_1d": "matrix_equation", "matrix_1d_symbols": "matrix_equation",
                  "matrix_2d": "matrix_equation", "sliding_window_2d": "sliding_window",
                  "doubly_block_2d": "doubly_block", "stride": "stride_subsampling"}


def setup_figure(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``figure``.

    The figure's own options (``--kernel``, ``--n``, ``--mode``, ...) follow
    NAME; they are read from the figure function's signature when the command
    runs, so registering the command does not import matplotlib.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("name", help="figure name (a function of toeplitz_conv.figures, or one "
                                "of the lecture's examples); 'list' prints the names")
    _add_output_args(p)
    p.add_argument("options", nargs=argparse.REMAINDER,
                   help="the figure's options, e.g. --kernel 1,2,3 --n 6 --mode same; "
                        "'figure NAME --help' lists them")


def setup_figures(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``figures``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--format", default="svg", help="svg | pdf | png")
    p.add_argument("--force", action="store_true",
                   help="overwrite the figures already in --out")
    p.add_argument("--slide", help="4:3 | 16:9: draw each figure as a Beamer frame's text area "
                                   "(text at least 11 pt); a figure that does not fit is "
                                   "skipped and named")
    p.add_argument("--no-title", dest="title", action="store_false", default=True,
                   help="leave out each figure's own title (the frame has one)")


def _check_ext(path: Path, allowed: tuple[str, ...] = _EXTS) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in allowed:
        listed = ", ".join("." + e for e in allowed[:-1]) + " or ." + allowed[-1]
        raise CLIError(f"--out must end in {listed}, got {str(path)!r}")
    return ext


def _parse_dpi(text: str | None, default: float) -> float:
    if text is None:
        return default
    try:
        dpi = float(text)
    except ValueError:
        dpi = float("nan")
    if not 10 <= dpi <= 2400:
        raise CLIError(f"--dpi must be a number between 10 and 2400, got {text!r}")
    return dpi


def _check_dir(directory: Path, create: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise CLIError(f"--out: {str(directory)!r} exists and is not a directory")
    if not directory.exists():
        if not create:
            raise CLIError(f"--out: directory {str(directory)!r} does not exist")
        try:
            directory.mkdir(parents=True)
        except OSError as exc:
            raise CLIError(f"--out: cannot create directory {str(directory)!r}: "
                           f"{exc.strerror}") from None
    if not os.access(directory, os.W_OK):
        raise CLIError(f"--out: directory {str(directory)!r} is not writable")


class _OptionParser(Parser):
    """Parses a figure's options; a usage error is a CLIError (one line), not an exit."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message)


def _output_options(args: argparse.Namespace) -> argparse.Namespace:
    """``--out`` & co. given before or after NAME (argparse leaves the latter in ``options``)."""
    p = _OptionParser(add_help=False)
    _add_output_args(p)
    late, rest = p.parse_known_args(args.options)
    for key, value in vars(late).items():
        if value is not None:
            setattr(args, key, value)
    args.options = rest
    return args


def _parse_fps(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        fps = float(text)
    except ValueError:
        fps = float("nan")
    if not 0 < fps <= 100:
        raise CLIError(f"--fps must be a number in (0, 100], got {text!r}")
    return fps


def cmd_figure(args: argparse.Namespace) -> int:
    """Draw one figure into ``--out`` (or list the names); print the path written.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_figure`.

    Returns
    -------
    int
        0 (also after ``figure NAME --help``).
    """
    args = _output_options(args)
    wants_help = bool({"-h", "--help"} & set(args.options))
    # Cheap checks first: importing matplotlib takes a while.
    out: Path | None = None
    ext = ""
    if args.name != "list" and not wants_help:
        if not args.out:
            raise CLIError("--out FILE is required (e.g. --out matrix_1d.svg)")
        ext = _check_ext(Path(args.out), _FIGURE_EXTS + _ANIMATION_EXTS)
        _check_dir(Path(args.out).parent, create=False)
        out = output_path(args.out, force=bool(args.force))
    fps = _parse_fps(args.fps)
    dpi = _parse_dpi(args.dpi, 200.0)
    if args.name == "list":
        if args.options:
            raise CLIError(f"figure list takes no options, got {' '.join(args.options)}")
        print(_listing())
        return 0
    func, base = _resolve(args.name)
    try:
        kwargs = _parse_options(args.name, func, base, args.options)
    except SystemExit as exc:     # --help was printed
        return exc.code if isinstance(exc.code, int) else 0
    assert out is not None
    from ..figures import animate, save_animation, save_figure, to_tikz

    if ext in _ANIMATION_EXTS:
        if not _takes_row(func):
            raise CLIError(f"--out .{ext} animates a figure over its outputs; "
                           f"{args.name!r} has none to step through (animated: "
                           f"{', '.join(_animated())}); write it as .svg, .pdf, .png or .tex")
        kwargs.pop("row", None)
        if ext == "mp4":
            from matplotlib import animation

            if not animation.writers.is_available("ffmpeg"):     # before drawing the frames
                raise CLIError("--out .mp4 needs ffmpeg on the PATH; write a .gif instead")
            if not _ffmpeg_runs():
                raise CLIError("--out .mp4 needs a working ffmpeg: 'ffmpeg -version' failed "
                               "on this PATH; write a .gif instead")
        save_animation(animate(func, dpi=dpi, **kwargs), out, fps=fps)
    elif ext == "tex":
        to_tikz(func(**kwargs), out)
    else:
        save_figure(func(**kwargs), out, dpi=dpi, svg_text=bool(args.svg_text))
    print(out)
    return 0


def _ffmpeg_runs() -> bool:
    # ffmpeg can be on the PATH and still not start (a missing shared library):
    # asked first, so that the error is one line and not a failed pipe later.
    import shutil
    import subprocess

    path = shutil.which("ffmpeg")
    try:
        return path is not None and subprocess.run(
            [path, "-hide_banner", "-version"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def cmd_figures(args: argparse.Namespace) -> int:
    """Draw every figure into the directory ``--out`` in ``--format``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of :func:`setup_figures`.

    Returns
    -------
    int
        0.
    """
    fmt = str(args.format).lower().lstrip(".")
    if fmt not in _EXTS:
        raise CLIError(f"--format must be one of svg, pdf, png, got {args.format!r}")
    if not args.out:
        raise CLIError("--out needs a directory name, got ''")
    slide = getattr(args, "slide", None)
    if slide is not None:
        _choose(slide, ("4:3", "16:9"), "--slide")
    directory = Path(args.out)
    _check_dir(directory, create=True)
    existing = sorted(n for n in FIGURE_NAMES if (directory / f"{n}.{fmt}").exists()
                      or (directory / f"{n}.{fmt}").is_symlink())
    if existing and not args.force:
        raise CLIError(f"--out: {str(directory)!r} already holds {len(existing)} of the figures "
                       f"({existing[0]}.{fmt}, ...); pass --force to overwrite them")
    from ..figures import FIGURES, save_figure

    for name in existing:  # a link is replaced, never written through
        if (directory / f"{name}.{fmt}").is_symlink():
            (directory / f"{name}.{fmt}").unlink()

    options: dict[str, Any] = {}
    if slide is not None or not getattr(args, "title", True):
        options = {"slide": slide, "title": getattr(args, "title", True)}
    skipped = []
    for name, draw in FIGURES.items():
        try:
            fig = draw(**options)
        except ValueError as exc:
            if slide is None:
                raise
            skipped.append(f"{name}: {exc}")
            continue
        save_figure(fig, directory / f"{name}.{fmt}")
    print(f"wrote {len(FIGURES) - len(skipped)} figures to {directory}")
    if skipped:
        print(f"skipped {len(skipped)} that do not fit a {slide} slide:\n  "
              + "\n  ".join(skipped), file=sys.stderr)
    return 0


# ------------------------------------------------ a figure's options, from its signature

#: Flags whose name is not the parameter's (the other commands' spelling).
_FLAG_NAMES = {"input_shape": "--n"}


def _flag(param: str) -> str:
    return _FLAG_NAMES.get(param, "--" + param.replace("_", "-"))


def _functions() -> dict[str, Callable[..., Any]]:
    from ..figures import FIGURE_FUNCTIONS

    return {f.__name__: f for f in FIGURE_FUNCTIONS}


def _resolve(name: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The figure function of ``name`` and the arguments its lecture example fixes.

    A function's name draws it with its defaults; a name of ``FIGURES`` (the
    lecture's examples, e.g. ``matrix_1d``) is an alias: its function with the
    example's arguments, which the options then override.
    """
    if name not in FIGURE_NAMES and name not in FIGURE_FUNCTION_NAMES:
        # Answered from the static names: a typo need not import matplotlib.
        examples = [n for n in FIGURE_NAMES if n not in FIGURE_FUNCTION_NAMES]
        raise CLIError(f"unknown figure {name!r}; choose from {', '.join(FIGURE_FUNCTION_NAMES)} "
                       f"(or the examples {', '.join(examples)})")
    from ..figures import FIGURES

    draw = FIGURES.get(name)
    funcs = _functions()
    if draw is None:
        if name not in funcs:
            raise CLIError(f"unknown figure {name!r}; choose from {', '.join(funcs)} "
                           f"(or the examples {', '.join(n for n in FIGURES if n not in funcs)})")
        return funcs[name], {}
    if isinstance(draw, functools.partial):
        bound = inspect.signature(draw.func).bind_partial(*draw.args, **draw.keywords)
        return draw.func, dict(bound.arguments)
    return draw, {}


def _aliases() -> dict[str, str]:
    """Lecture example name -> its function's name, for the examples whose names differ."""
    from ..figures import FIGURES

    funcs = _functions()
    out = {}
    for name, draw in FIGURES.items():
        func = getattr(draw, "func", draw)
        if name not in funcs:
            out[name] = getattr(func, "__name__", name)
    return out


def _listing() -> str:
    """``figure list``: the function names, one a line, then the lecture examples' names."""
    lines = list(FIGURE_FUNCTION_NAMES)
    aliases = FIGURE_ALIASES
    if aliases:
        lines += ["", "aliases (the lecture's examples, as in figures/):"]
        width = max(map(len, aliases))
        lines += [f"  {a.ljust(width)}  {f}" for a, f in aliases.items()]
    return "\n".join(lines)


def _takes_row(func: Callable[..., Any]) -> bool:
    return "row" in inspect.signature(func).parameters


def _animated() -> list[str]:
    return [n for n, f in _functions().items() if _takes_row(f)]


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(inspect.unwrap(func))
    except Exception:  # an annotation that does not resolve: the option is then plain text
        return {}


def _strip_none(hint: Any) -> tuple[Any, bool]:
    args = typing.get_args(hint)
    if args and type(None) in args and typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = tuple(a for a in args if a is not type(None))
        return functools.reduce(lambda a, b: a | b, rest), True
    return hint, False


def _union_args(hint: Any) -> set[Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return set(typing.get_args(hint))
    return {hint}


def _converter(param: str, hint: Any) -> tuple[Callable[[str], Any], str] | None:
    """(text -> value, metavar) for a parameter, from its type hint; None if not offered."""
    flag = _flag(param)
    hint, _ = _strip_none(hint)
    members = _union_args(hint)
    if members == _union_args(ArrayLike) or hint is ArrayLike:
        return (lambda t: parse_numbers(t, flag)), "1,2,3|1,2;3,4"
    if hint is int:
        return (lambda t: parse_int(t, flag)), "INT"
    if hint is float:
        return (lambda t: parse_float(t, flag)), "X"
    if members == {int, tuple[int, ...]}:
        # A padding may be 0; sizes, strides and dilations are at least 1.
        low = 0 if param.endswith("padding") else 1
        return (lambda t: _one_or_tuple(parse_shape(t, flag, minimum=low))), "N|NxM"
    if typing.get_origin(hint) is typing.Literal:
        choices = [str(c) for c in typing.get_args(hint)]
        return (lambda t: _choose(t, choices, flag)), "|".join(choices)
    seqs = [m for m in members if typing.get_origin(m) in (Sequence, list, tuple)]
    ints = _int_sequence(seqs[0], flag) if seqs else None
    if ints is not None:
        return ints
    if seqs:
        item = (typing.get_args(seqs[0]) or (str,))[0]
        words = [str(m) for m in typing.get_args(item)] if typing.get_origin(
            item) is typing.Literal else None
        keep = str in members     # e.g. labels: "symbols" | "values" | names

        def listed(t: str) -> Any:
            if keep and "," not in t:
                return t
            parts = [v.strip() for v in t.split(",")]
            if words is not None:
                for v in parts:
                    _choose(v, words, flag)
            return tuple(parts)
        return listed, "A,B,..."
    if hint is str:
        return (lambda t: t), "TEXT"
    return None


def _int_sequence(hint: Any, flag: str) -> tuple[Callable[[str], Any], str] | None:
    """Sequence[int], tuple[int, ...] or a fixed tuple[int, int]: ints, counted (else None)."""
    from ._parse import parse_int

    items = typing.get_args(hint)
    if not items or not all(i is int for i in items if i is not Ellipsis):
        return None
    count = None if Ellipsis in items or len(items) == 1 else len(items)

    def ints(t: str) -> tuple[int, ...]:
        values = tuple(parse_int(v, flag) for v in t.split(","))
        if count is not None and len(values) != count:
            raise CLIError(f"{flag} takes {count} ints separated by ',', got {t!r}")
        return values
    return ints, ",".join(["INT"] * (count or 2)) + ("" if count else ",...")


def _one_or_tuple(shape: tuple[int, ...]) -> int | tuple[int, ...]:
    return shape[0] if len(shape) == 1 else shape


def _choose(text: str, choices: Sequence[str], flag: str) -> str:
    if text not in choices:
        raise CLIError(f"{flag} must be one of {', '.join(choices)}, got {text!r}")
    return text


def _option_parser(name: str, func: Callable[..., Any], base: dict[str, Any]
                   ) -> tuple[_OptionParser, dict[str, str]]:
    """The parser of one figure's options (and flag -> parameter)."""
    p = _OptionParser(prog=f"toeplitz-conv figure {name}",
                      description=f"options of {func.__name__}; the defaults shown are "
                                  f"{'those of the example ' + repr(name) if base else 'its own'}")
    _add_output_args(p)
    hints = _hints(func)
    flags: dict[str, str] = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = base.get(param.name, param.default)
        shown = "" if default is param.empty else f" (default {default!r})"
        hint = hints.get(param.name, str)
        if _strip_none(hint)[0] is bool:
            p.add_argument(_flag(param.name), dest=param.name, default=None,
                           action=argparse.BooleanOptionalAction, help=f"{param.name}{shown}")
        else:
            conv = _converter(param.name, hint)
            if conv is None:
                continue
            p.add_argument(_flag(param.name), dest=param.name, default=None, type=conv[0],
                           metavar=conv[1], help=f"{param.name}{shown}")
        flags[_flag(param.name)] = param.name
    return p, flags


def _parse_options(name: str, func: Callable[..., Any], base: dict[str, Any],
                   options: Sequence[str]) -> dict[str, Any]:
    """The keyword arguments for ``func``: the example's, overridden by the options given."""
    p, flags = _option_parser(name, func, base)
    ns, rest = p.parse_known_args(list(options))
    if rest:
        unknown = next((r for r in rest if r.startswith("-")), rest[0])
        flag = unknown.partition("=")[0]
        raise CLIError(f"figure {name!r} takes no {flag}{did_you_mean(flag, flags)} (its "
                       f"options: {', '.join(flags) or 'none'}; see toeplitz-conv figure "
                       f"{name} --help)")
    kwargs = dict(base)
    # A kernel given as numbers is drawn with its numbers (--kernel 5,6,7
    # shows 5, 6, 7, not the example's z, y, x) unless --labels names them.
    if (getattr(ns, "kernel", None) is not None and "labels" in flags.values()
            and getattr(ns, "labels", None) is None):
        kwargs["labels"] = "values"
    for param in flags.values():
        value = getattr(ns, param)
        if value is not None:
            kwargs[param] = value
    return kwargs

"""The ``toeplitz-conv`` parser and entry point.

Each subcommand is a pair ``setup_NAME(parser)`` / ``cmd_NAME(args) -> int``
from its own module, listed in :data:`COMMANDS`. Every way the command can
fail on user input ends as one line on stderr and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, cast

from .. import __version__
from . import _blackbox, _check, _explore, _figures, _lecture, _prove, _show
from ._errors import CLIError
from ._parse import HelpFormatter, Parser, did_you_mean, flag_names

__all__ = ["COMMANDS", "EXAMPLES", "PROG", "build_parser", "main"]

PROG = "toeplitz-conv"

Setup = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

#: name -> (one-line help, setup, run)
COMMANDS: dict[str, tuple[str, Setup, Run]] = {
    "show": (_show.HELP, _show.setup_show, _show.cmd_show),
    "figure": (_figures.HELP_FIGURE, _figures.setup_figure, _figures.cmd_figure),
    "figures": (_figures.HELP_FIGURES, _figures.setup_figures, _figures.cmd_figures),
    "lecture": (_lecture.HELP, _lecture.setup_lecture, _lecture.cmd_lecture),
    "explore": (_explore.HELP, _explore.setup_explore, _explore.cmd_explore),
    "check": (_check.HELP, _check.setup_check, _check.cmd_check),
    "sweep": (_blackbox.HELP_SWEEP, _blackbox.setup_sweep, _blackbox.cmd_sweep),
    "identify": (_blackbox.HELP_IDENTIFY, _blackbox.setup_identify, _blackbox.cmd_identify),
    "prove": (_prove.HELP, _prove.setup_prove, _prove.cmd_prove),
}

#: name -> examples shown under ``--help``; each line pastes into a shell as is
#: (tests/test_cli.py parses every one).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "show": ("toeplitz-conv show --kernel 5,6,7 --n 4 --mode full --x 1,2,3,4",
             "toeplitz-conv show --kernel '1,2;3,4' --input-shape 3,3 --mode valid --correlate",
             "toeplitz-conv show --kernel 1,2,3 --n 8 --mode same --stride 2",
             "toeplitz-conv show --kernel 1,2,3 --n 5 --padding 1 --stride 2",
             "toeplitz-conv show --kernel 1,2,3 --n 2000 --zero ."),
    "figure": ("toeplitz-conv figure list",
               "toeplitz-conv figure sliding_window --out sliding_window.pdf"),
    "figures": ("toeplitz-conv figures --out figures/ --format svg --force",),
    "lecture": ("toeplitz-conv lecture --out lecture/ --aspect 4:3",
                "toeplitz-conv lecture --out lecture169/ --aspect 16:9 --kernel 1,2,1 --n 5"),
    "explore": ("toeplitz-conv explore --kernel 1,2,3 --n 8 --out explorer.html",
                "toeplitz-conv explore --kernel '1,2;3,4' --input-shape 5,5 --padding 1 "
                "--padding-mode reflect --out explorer.html"),
    "check": ("toeplitz-conv check examples/conv_buggy.py:forward --input-shape 2,9 --padding 1 "
              "--backward backward",
              "toeplitz-conv check examples/conv_loops.py:forward --input-shape 3,7,7 "
              "--padding 1 --stride 2 --api cache --backward backward",
              "toeplitz-conv check my_layer.py:forward --input-shape 1,8,8 "
              "--weight-shape 4,1,3,3",
              "toeplitz-conv check my_pool.py:forward --input-shape 2,8,8 --kind max_pool "
              "--kernel-size 2 --backward backward"),
    "sweep": ("toeplitz-conv sweep my_layer.py:factory --weight-shape 4,2,3,3 --bias",
              "toeplitz-conv sweep my_pool.py:factory --kind avg_pool --input-shape 2,8,8"),
    "identify": ("toeplitz-conv identify my_layer.py:forward --input-shape 3,10",
                 "toeplitz-conv identify my_pool.py:forward --input-shape 2,7,8"),
    "prove": ("toeplitz-conv prove general --kernel-size 3",
              "toeplitz-conv prove equivalence --kernel-size 2,2 --input-shape 3,3 --mode same",
              "toeplitz-conv prove layer --weight-shape 2,1,3 --input-shape 1,5 --stride 2",
              "toeplitz-conv prove equivalence --claim unflipped"),
}

# What a subcommand may raise for bad user input. ValueError and TypeError are
# the library's validation errors (they name the parameter); MemoryError is the
# size limit (toeplitz_conv.limits); OSError is an unwritable or missing path.
_USER_ERRORS = (CLIError, ValueError, TypeError, MemoryError, OSError)


class _Parser(Parser):
    """The shared parser (:class:`~toeplitz_conv.cli._parse.Parser`), with "did you mean"
    for a mistyped subcommand."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument COMMAND: invalid choice:"):
            word = message.split("'")[1] if "'" in message else ""
            message = (f"unknown command {word!r}{did_you_mean(word, COMMANDS)} "
                       f"(commands: {', '.join(COMMANDS)})")
        super().error(message)


def _subparser(parser: argparse.ArgumentParser, name: str) -> Parser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return cast(Parser, action.choices[name])
    raise KeyError(name)


def _check_flags(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Report a mistyped flag of the subcommand before argparse parses (and exits 2)."""
    command = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if command is None or argv[command] not in COMMANDS:
        return  # no subcommand, or a mistyped one: argparse's error says which
    sub = _subparser(parser, argv[command])
    rest = list(argv[command + 1:])
    if argv[command] == "figure":
        # After NAME come the figure's own options, which its function's signature
        # defines: that command checks them itself.
        first = next((i for i, a in enumerate(rest) if not a.startswith("-")), len(rest))
        rest = rest[:first]
    problem = sub.unknown_flag(rest)
    if problem is not None:
        sub.error(problem)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``toeplitz-conv`` with every subcommand of :data:`COMMANDS`.

    Returns
    -------
    argparse.ArgumentParser
        Parsing sets ``command`` (the subcommand's name) and ``_run`` (its function).
    """
    parser = _Parser(
        prog=PROG, formatter_class=HelpFormatter,
        description="A convolution is a matrix multiplication with a sparse, "
                    "weight-tied (Toeplitz) matrix.",
        epilog="examples:\n" + "\n".join(f"  {ex[0]}" for ex in EXAMPLES.values()))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, setup, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text,
                           formatter_class=HelpFormatter,
                           epilog="examples:\n" + "\n".join(f"  {ex}" for ex in EXAMPLES[name]))
        setup(p)
        p.set_defaults(_run=run)
    return parser


def _stdout_to_devnull() -> None:
    # The Python docs' recipe for SIGPIPE ("Note on SIGPIPE", signal module):
    # the reader is gone, so point stdout at devnull; otherwise the
    # interpreter's final flush of the unwritten buffer fails again at exit.
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (e.g. captured in a test): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_flags(parser, argv)
        args, extra = parser.parse_known_args(argv)
        if extra:  # the subcommand's parser says it, pointing at its own --help
            _subparser(parser, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version or a usage error, already printed
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    try:
        code = int(args._run(args) or 0)
        # Flush here, so that a reader that went away is noticed inside the
        # BrokenPipeError handler of main() and not at interpreter exit.
        if sys.stdout is not None:
            sys.stdout.flush()
        return code
    except BrokenPipeError:
        raise  # an OSError, but not the user's error: main() ends quietly
    except _USER_ERRORS as exc:
        # The library's messages name its parameters (input_shape=...); the
        # user typed flags (--input-shape/--n). CLIError messages already do.
        text = flag_names(str(exc), command=args.command) \
            if isinstance(exc, (ValueError, TypeError, MemoryError)) else str(exc)
        print(f"{PROG} {args.command}: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``toeplitz-conv`` console script and of ``python -m toeplitz_conv``.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: 0 on success (also when the reader of stdout closed
        it early, as ``head`` does), 1 when a proof or a check fails, 2 on a
        usage error (printed as one line on stderr), 130 on Ctrl-C.

    Examples
    --------
    >>> main(["show", "--kernel", "5,6,7", "--n", "2", "--zero", "."])
    convolution, mode=full, boundary=fill: A is 4 x 2, 6 stored entries, 3 distinct weights
    5 .
    6 5
    7 6
    . 7
    0
    """
    try:
        return _run(argv)
    except BrokenPipeError:
        _stdout_to_devnull()
        return 0

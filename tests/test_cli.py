"""The toeplitz-conv command: success and bad-input paths, in process.

Two tests start a real process: the entry point smoke test and the closed
pipe (which needs a real pipe). Everything else calls ``main`` directly.
"""

import importlib
import importlib.metadata
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import toeplitz_conv
from toeplitz_conv.cli import COMMANDS, CLIError, build_parser, main, parse_numbers, parse_shape

from ._cli import run_cli as run

ROOT = Path(__file__).resolve().parents[1]


def expected_version():
    try:
        return importlib.metadata.version("toeplitz_conv")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


# ------------------------------------------------------------ show

def test_show_seed_example():
    r = run("show", "--kernel", "5,6,7", "--n", "4", "--mode", "full", "--x", "1,2,3,4")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1].split() == ["5", "0", "0", "0"]
    assert lines[6].split() == ["0", "0", "0", "7"]
    assert lines[-1].split()[-6:] == ["5", "16", "34", "52", "45", "28"]


def test_show_2d_valid_correlation():
    r = run("show", "--kernel", "1,2;3,4", "--n", "3,3", "--mode", "valid", "--correlate")
    assert r.returncode == 0, r.stderr
    assert "4 x 9" in r.stdout


@pytest.mark.parametrize("args,word", [
    (("show", "--kernel", "5,6,7", "--n", "4", "--mode", "fll"), "mode"),
    (("show", "--kernel", "5,x,7", "--n", "4"), "--kernel"),
    (("show", "--kernel", "5,6,7", "--n", "four"), "--n"),
    # neither fits inside the other (a longer kernel alone is fine: scipy swaps)
    (("show", "--kernel", "1,2,3;4,5,6", "--n", "3,2", "--mode", "valid"), "valid"),
    (("show", "--kernel", "5,6,7", "--n", "4", "--x", "1,2"), "--x"),
    # argparse's own usage errors are one line too, naming the flag
    (("show", "--kernel", "5,6,7"), "--n"),
    (("prove", "layer", "--groups", "two"), "--groups"),
    (("nope",), "unknown command"),
    # beyond int64 is a usage error, not an OverflowError deep in numpy
    (("show", "--kernel", "5,6,7", "--n", "99999999999999999999"), "--n"),
    (("show", "--kernel", "5,6,7", "--n", "0"), "--n"),
    (("explore", "--kernel", "1,2", "--n", "5", "--padding", "-1", "--out", "x.html"),
     "--padding"),
])
def test_show_bad_input_is_one_line(args, word):
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert word in r.stderr


def test_no_command_prints_help_and_exits_2():
    r = run()
    assert r.returncode == 2
    assert all(name in r.stdout for name in COMMANDS)


def test_help_exits_0():
    r = run("show", "--help")
    assert r.returncode == 0 and "--kernel" in r.stdout


# ------------------------------------------------------------ parsing

def test_parsers():
    assert parse_numbers("5,6,7").tolist() == [5, 6, 7]
    assert parse_numbers("1,2;3,4").shape == (2, 2)
    assert parse_numbers("0.5").dtype.kind == "f"
    assert parse_shape("3x4") == (3, 4)
    with pytest.raises(CLIError, match="--n"):
        parse_shape("3,,4")
    with pytest.raises(CLIError, match="same length"):
        parse_numbers("1,2;3")


# ------------------------------------------------------------ version and entry points

def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"toeplitz-conv {expected_version()}"
    assert toeplitz_conv.__version__ == expected_version()


@pytest.mark.parametrize("module", ["toeplitz_conv", "toeplitz_conv.cli"])
def test_python_dash_m_runs_main(module, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [module, "show", "--kernel", "1,2", "--n", "1"])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    assert exc.value.code == 0
    assert "A is 2 x 1" in capsys.readouterr().out


def test_console_script_points_at_main():
    tomllib = pytest.importorskip("tomllib")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, attr = scripts["toeplitz-conv"].partition(":")
    assert getattr(importlib.import_module(module), attr) is main


def test_entry_point_smoke():
    """The one real process: ``python -m toeplitz_conv`` (imports, exit code, output)."""
    r = subprocess.run([sys.executable, "-m", "toeplitz_conv", "show", "--kernel", "5,6,7",
                        "--n", "4", "--x", "1,2,3,4"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.splitlines()[-1].split()[-6:] == ["5", "16", "34", "52", "45", "28"]


# ------------------------------------------------------------ closed stdout

def test_reader_closing_the_pipe_early_is_quiet():
    """``toeplitz-conv show ... | head -1``: exit 0 and nothing on stderr."""
    # 402 x 400 cells is about 320 kB, far more than a pipe buffers, so the
    # writer is still writing when the reader goes away.
    p = subprocess.Popen([sys.executable, "-m", "toeplitz_conv", "show", "--kernel", "1,2,3",
                          "--n", "400"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert p.stdout is not None and p.stderr is not None
    assert p.stdout.readline().startswith(b"convolution")
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=120) == 0
    assert err == b""


class _ClosedPipe:
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_pipe_in_process_is_exit_0(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["show", "--kernel", "1,2", "--n", "1"]) == 0
    monkeypatch.undo()
    assert capsys.readouterr().err == ""


def test_ctrl_c_is_one_line_exit_130(monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    help_text, setup, _ = COMMANDS["show"]
    monkeypatch.setitem(COMMANDS, "show", (help_text, setup, interrupted))
    r = run("show", "--kernel", "1", "--n", "1")
    assert r.returncode == 130
    assert r.stderr.strip() == "toeplitz-conv show: interrupted"


# ------------------------------------------------------------ issue 21: the polished command line

def test_input_shape_is_the_flag_and_n_its_alias():
    a = run("show", "--kernel", "5,6,7", "--input-shape", "4")
    b = run("show", "--kernel", "5,6,7", "--n", "4")
    assert a.returncode == b.returncode == 0 and a.stdout == b.stdout
    for command in ("show", "explore", "prove", "check"):
        assert "--input-shape" in run(command, "--help").stdout


@pytest.mark.parametrize("args,expected,param", [
    (("show", "--kernel", "1,2,3;4,5,6", "--n", "3,2", "--mode", "valid"), "--input-shape/--n",
     "input_shape"),
    (("show", "--kernel", "5,6,7", "--n", "4", "--mode", "fll"), "error: --mode must",
     "error: mode"),
    (("show", "--kernel", "5,6,7", "--n", "4", "--boundary", "zero"), "error: --boundary must",
     "error: boundary"),
])
def test_errors_name_flags_not_parameters(args, expected, param):
    r = run(*args)
    assert r.returncode == 2 and expected in r.stderr and param not in r.stderr, r.stderr


def test_show_summarises_large_matrices_as_numpy_does():
    r = run("show", "--kernel", "1,2,3", "--n", "2000")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1 + 7 and lines[4].strip() == "..."
    assert "..." in lines[1] and len(lines[1].split()) == 7
    full = run("show", "--kernel", "1,2", "--n", "40", "--full")
    assert len(full.stdout.splitlines()) == 1 + 41 and "..." not in full.stdout


def test_show_small_matrix_unchanged():
    r = run("show", "--kernel", "5,6,7", "--n", "4", "--mode", "full", "--x", "1,2,3,4")
    assert r.stdout.splitlines()[1:] == ["5 0 0 0", "6 5 0 0", "7 6 5 0", "0 7 6 5",
                                          "0 0 7 6", "0 0 0 7", "y = A @ x =  5 16 34 52 45 28"]


def test_help_shows_defaults():
    assert "(default: svg)" in run("figures", "--help").stdout
    prove = run("prove", "--help").stdout
    assert "(default: 3)" in prove and "(default: 4)" in prove
    assert "(default: None)" not in prove


def _command_lines(text):
    return [line.strip() for line in text.splitlines()
            if line.strip().startswith("toeplitz-conv ")]


def _assert_pastes(line):
    import shlex

    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True  # split at blanks and shell punctuation only
    tokens = list(lexer)
    # An unquoted ';' (or '|', '&', ...) would end or pipe the command in a shell.
    assert not [t for t in tokens if set(t) <= set(";|&<>()")], line
    parser = build_parser()
    parser.parse_args(tokens[1:])  # exits (SystemExit) on a usage error


def test_every_help_example_pastes_into_a_shell():
    lines = _command_lines(run("--help").stdout)
    for name in COMMANDS:
        lines += _command_lines(run(name, "--help").stdout)
    assert len(lines) > len(COMMANDS)
    for line in lines:
        _assert_pastes(line)


def test_every_readme_example_pastes_into_a_shell():
    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```bash")[1:]]
    lines = []
    for block in blocks:
        for line in block.splitlines():
            # The set-up command runs toeplitz-conv after '&&'; the rest of such a line
            # is pip/venv, checked by CI running it.
            line = line.split("#", 1)[0].strip()
            for part in line.split("&&"):
                part = part.strip().removeprefix(".venv/bin/")
                if part.startswith("toeplitz-conv "):
                    lines.append(part)
    assert any("show --kernel 5,6,7" in line for line in lines)
    for line in lines:
        _assert_pastes(line)


def test_explore_refuses_mixed_conventions(tmp_path):
    r = run("explore", "--kernel", "1,2,3", "--n", "8", "--mode", "same", "--padding", "1",
            "--out", str(tmp_path / "e.html"))
    assert r.returncode == 2 and "--mode" in r.stderr and "--padding" in r.stderr
    assert not (tmp_path / "e.html").exists()


LAYER = """
import numpy as np
from scipy.signal import correlate

WEIGHT = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
print("loading my layer")

def forward(x):
    print("forward called")
    return np.stack([correlate(x[0], k[0], mode="same") for k in WEIGHT])

def factory(weight, bias=None, **options):
    return forward
"""


def test_check_refuses_a_weight_shape_that_contradicts_the_file(tmp_path):
    path = tmp_path / "layer.py"
    path.write_text(LAYER)
    r = run("check", f"{path}:forward", "--n", "1,5,5", "--padding", "1",
            "--weight-shape", "2,1,3,3")
    assert r.returncode == 2
    assert "--weight-shape 2,1,3,3 conflicts with WEIGHT" in r.stderr and "1,1,3,3" in r.stderr
    same = run("check", f"{path}:forward", "--n", "1,5,5", "--padding", "1",
               "--weight-shape", "1,1,3,3")
    assert same.returncode == 0, same.stderr


def test_check_shows_user_output_apart_from_the_report(tmp_path):
    path = tmp_path / "layer.py"
    path.write_text(LAYER)
    r = run("check", f"{path}:forward", "--input-shape", "1,5,5", "--padding", "1")
    assert r.returncode == 0, r.stderr
    before, sep, report = r.stdout.partition("--- end of output; report: ---")
    assert sep and "loading my layer" in before and "forward called" in before
    assert "forward called" not in report and "layer check" in report
    quiet = run("check", f"{path}:forward", "--n", "1,5,5", "--padding", "1",
                "--quiet-user-output")
    assert "forward called" not in quiet.stdout


def test_figure_names_match_the_figures_module():
    pytest.importorskip("matplotlib")
    from toeplitz_conv.cli._figures import FIGURE_NAMES
    from toeplitz_conv.figures import FIGURES

    assert list(FIGURE_NAMES) == list(FIGURES)
    from toeplitz_conv.cli._figures import (
        FIGURE_ALIASES,
        FIGURE_FUNCTION_NAMES,
        _aliases,
        _functions,
    )

    assert list(FIGURE_FUNCTION_NAMES) == list(_functions())
    assert FIGURE_ALIASES == _aliases()


def test_figure_list_does_not_import_matplotlib():
    # A fresh interpreter: this test process has imported matplotlib long ago.
    code = ("import sys; from toeplitz_conv.cli import main; "
            "code = main(['figure', 'list']); "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
            "code2 = main(['figure', 'nope', '--out', 'x.svg']); "
            "assert 'matplotlib' not in sys.modules and code2 == 2; sys.exit(code)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "matrix_equation" in r.stdout.splitlines()
    assert any(line.split()[:1] == ["matrix_1d"] for line in r.stdout.splitlines())


# ------------------------------------------------------------ every flag, bad values

#: Values no flag takes (``=--`` is ``--flag=--``): each must be one line on
#: stderr naming the flag, exit 2, never a traceback (issue 29).
BAD_VALUES = ("=--", "", "inf", "-1", "1e400")

#: A valid command per subcommand, into which one flag's bad value goes.
BASE = {
    "show": ["--kernel", "1,2", "--n", "3"],
    "explore": ["--kernel", "1,2", "--n", "3", "--out", "{tmp}/e{i}.html"],
    "check": ["{tmp}/layer.py:forward", "--n", "1,4"],
    "sweep": ["{tmp}/layer.py:factory", "--weight-shape", "1,1,3"],
    "identify": ["{tmp}/layer.py:forward", "--n", "1,4"],
    "figure": ["matrix_equation", "--out", "{tmp}/f{i}.svg"],
    "figures": ["--out", "{tmp}/d"],
    "lecture": ["--out", "{tmp}/l{i}", "--no-compile"],
}

#: (command, flag, value) that are valid, so not errors: drawing zeros as
#: "-1", a kernel or fill of -1, a shift of -1, the last axis, a directory
#: or an input named "inf".
LEGIT = {
    *(("show", "--zero", v) for v in ("=--", "inf", "-1", "1e400")),
    ("show", "--kernel", "-1"), ("show", "--fillvalue", "-1"), ("show", "--axes", "-1"),
    ("explore", "--kernel", "-1"), ("prove", "--kernel", "-1"), ("prove", "--shift", "-1"),
    *(("figures", "--out", v) for v in ("=--", "inf", "-1", "1e400")),
    *(("lecture", "--out", v) for v in ("=--", "inf", "-1", "1e400")),
    ("lecture", "--kernel", "-1"),
    ("figure", "--kernel", "-1"), ("figure", "--shift", "-1"), ("figure", "--fill", "-1"),
    *(("figure", "--input-names", v) for v in ("=--", "inf", "-1", "1e400")),
}


def _tokens(flag, value):
    return [f"{flag}=--"] if value == "=--" else [flag, value]


def _with(base, flag, value):
    """``base`` with ``flag``'s value replaced (or the flag added)."""
    args = list(base)
    if flag in args:
        i = args.index(flag)
        del args[i:i + 2]
    return args + _tokens(flag, value)


def _flags(parser):
    return [(a.option_strings[0], a.nargs == 0) for a in parser._actions
            if a.option_strings and a.option_strings[0] not in ("-h", "--version")]


def _cases():
    from toeplitz_conv.cli._main import _subparser
    from toeplitz_conv.cli._prove import APPLIES

    parser = build_parser()
    for name in COMMANDS:
        # A new subcommand needs a valid command line here, so that each bad value is
        # the only mistake in what it is given.
        assert name in BASE or name == "prove", f"add a valid '{name}' command line to BASE"
        for flag, switch in _flags(_subparser(parser, name)):
            for value in ("=--",) if switch else BAD_VALUES:
                if (name, flag, value) in LEGIT:
                    continue
                if name == "prove":
                    kind = next(k for k, fl in APPLIES.items() if flag in fl) \
                        if flag not in ("--claim", "--latex") else "equivalence"
                    yield name, flag, [kind, *_tokens(flag, value)]
                else:
                    yield name, flag, _with(BASE[name], flag, value)


def _figure_option_cases():
    # Each option name of the figure functions once (its first function).
    pytest.importorskip("matplotlib")
    from toeplitz_conv.cli import _figures

    seen = set()
    for func in _figures._functions().values():
        p, _ = _figures._option_parser(func.__name__, func, {})
        for flag, switch in _flags(p):
            if flag in seen or flag in ("--out", "--dpi", "--fps", "--svg-text", "--force"):
                continue
            seen.add(flag)
            for value in ("=--",) if switch else BAD_VALUES:
                if ("figure", flag, value) not in LEGIT:
                    yield flag, [func.__name__, "--out", "{tmp}/f{i}.svg", *_tokens(flag, value)]


def test_every_flag_of_every_command_refuses_bad_values_in_one_line(tmp_path):
    (tmp_path / "layer.py").write_text(LAYER)
    cases = [(n, f, a) for n, f, a in _cases()]
    cases += [("figure", f, a) for f, a in _figure_option_cases()]
    assert len(cases) > 200
    failures = []
    for i, (name, flag, args) in enumerate(cases):
        r = run(name, *[a.format(tmp=tmp_path, i=i) for a in args], cwd=tmp_path)
        lines = r.stderr.strip().splitlines()
        named = flag in r.stderr or flag.lstrip("-") in r.stderr or "--n" in r.stderr
        if r.returncode != 2 or len(lines) != 1 or "Traceback" in r.stderr or not named:
            failures.append(f"{name} {' '.join(args)} -> {r.returncode}: {r.stderr.strip()!r}")
    assert not failures, "\n".join(failures)
    # Nothing was written by a refused command.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer.py"]


# ------------------------------------------------------------ typos, help pointers, --force

@pytest.mark.parametrize("args,expected", [
    (("show", "--kernal", "1,2,3", "--n", "4"),
     "toeplitz-conv show: error: unrecognized flag --kernal; did you mean --kernel? "
     "(see toeplitz-conv show --help)"),
    (("shwo", "--kernel", "1,2"), "did you mean show?"),
    (("show", "--kernel", "1,2", "--n", "3", "--strde", "2"), "did you mean --stride?"),
    (("show", "--kernel", "1,2", "--n", "3", "stray"), "(see toeplitz-conv show --help)"),
    (("figure", "matrix_equation", "--kernal", "1,2", "--out", "x.svg"),
     "did you mean --kernel?"),
    (("prove", "equivalence", "--padding", "1"), "--padding does not apply to 'prove "
                                                 "equivalence'"),
    (("prove", "layer", "--mode", "same"), "--mode does not apply"),
    (("show", "--kernel", "1,2", "--n", "3", "--at", "zeros"), "--at applies only with --torch"),
    (("show", "--torch", "m.py:build", "--n", "3,4,4", "--stride", "2"),
     "--stride does not apply with --torch"),
    (("show", "--kernel", "1,2", "--n", "3", "--mode="), "--mode needs a value"),
    (("show", "--kernel=--", "--n", "5"), "--kernel must be numbers"),
    (("figure", "stride_subsampling", "--kernel", "inf", "--out", "x.svg"), "--kernel must be "
                                                                            "finite"),
])
def test_usage_errors_say_what_was_meant(args, expected, tmp_path):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
    assert expected in r.stderr, r.stderr
    assert r.stdout == ""


def test_show_takes_the_builders_options():
    import numpy as np
    from scipy import signal

    r = run("show", "--kernel", "5,6,7", "--n", "6", "--mode", "same", "--stride", "2",
            "--x", "1,2,3,4,5,6")
    assert r.returncode == 0, r.stderr
    y = signal.convolve(np.arange(1, 7), [5, 6, 7], "same")[::2]
    assert r.stdout.splitlines()[-1].split()[-3:] == [str(v) for v in y]
    r = run("show", "--kernel", "1,2,3", "--n", "5", "--padding", "1", "--stride", "2",
            "--x", "1,2,3,4,5")
    assert r.returncode == 0, r.stderr
    # the layer convention: a cross-correlation of the zero-padded input, every 2nd output
    y = np.correlate(np.pad(np.arange(1, 6), 1), [1, 2, 3], "valid")[::2]
    assert r.stdout.splitlines()[-1].split()[-3:] == [str(v) for v in y]
    r = run("show", "--kernel", "1,2,3", "--n", "5", "--padding", "1", "--mode", "same")
    assert r.returncode == 2 and "--mode" in r.stderr and "--padding" in r.stderr


def test_show_checks_x_before_printing_the_matrix():
    r = run("show", "--kernel", "1,2,3", "--n", "5", "--x", "1,2")
    assert r.returncode == 2 and r.stdout == "" and "--x" in r.stderr


def test_figure_takes_input_shape_like_every_command(tmp_path):
    pytest.importorskip("matplotlib")
    from toeplitz_conv.figures import figure_data, matrix_equation

    r = run("figure", "matrix_equation", "--input-shape", "5", "--out", str(tmp_path / "a.svg"))
    assert r.returncode == 0, r.stderr
    assert "--input-shape" in run("figure", "matrix_equation", "--help").stdout
    assert figure_data(matrix_equation(input_shape=5)) is not None


def test_out_is_never_overwritten_or_followed_without_force(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "page.html"
    link.symlink_to(target)
    args = ("explore", "--kernel", "1,2", "--n", "3", "--out", str(link))
    r = run(*args)
    assert r.returncode == 2 and "--force" in r.stderr and "symbolic link" in r.stderr
    r = run(*args, "--force")
    assert r.returncode == 0, r.stderr
    assert target.read_text() == "keep me" and not link.is_symlink()
    assert "<html" in link.read_text().lower()
    r = run(*args)
    assert r.returncode == 2 and "exists" in r.stderr


# ------------------------------------------------------------ examples/ and the README's checker

def _readme_check_commands():
    import shlex

    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```bash")[1:]]
    return [shlex.split(line.split("  #", 1)[0].strip().removeprefix(".venv/bin/"))[1:]
            for b in blocks for line in b.splitlines()
            if line.strip().startswith(".venv/bin/toeplitz-conv check ")]


def test_readme_checker_commands_run_on_examples_as_written():
    commands = _readme_check_commands()
    assert {c[1].split(":")[0] for c in commands} == {
        "examples/conv_loops.py", "examples/conv_nhwc.py", "examples/conv_buggy.py"}
    for args in commands:
        r = run(*args, cwd=ROOT)
        assert r.stderr == "", (args, r.stderr)
        if "conv_buggy" in args[1]:
            # The classic bug fails, and the report names it.
            assert r.returncode == 1, r.stdout
            assert "weight_grad  FAIL" in r.stdout and "instead of the sum" in r.stdout
        else:
            assert r.returncode == 0, r.stdout
            assert "all 4 checks pass" in r.stdout


def test_readme_checker_python_example_runs_as_written(monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    block = next(b.split("```", 1)[0] for b in text.split("```python")[1:]
                 if "check_layer(" in b)
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert "False" in out and any("instead of the sum" in line for line in out)


def test_examples_are_right_by_an_independent_reference():
    # The examples are checked by the checker above; here their forward passes
    # against scipy, so a wrong example cannot make a wrong check pass.
    import numpy as np
    from scipy.signal import correlate

    from examples import conv_buggy, conv_loops, conv_nhwc

    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 7))
    w, b = conv_loops.WEIGHT, conv_loops.BIAS
    out, _ = conv_loops.forward(x, w, b, {"stride": 2, "pad": 1})
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.array([[sum(correlate(xp[i, c], w[k, c], "valid") for c in range(3)) + b[k]
                      for k in range(4)] for i in range(2)])[:, :, ::2, ::2]
    np.testing.assert_allclose(out, want, atol=1e-12)

    xn = rng.standard_normal((2, 6, 5, 3))
    wh = conv_nhwc.WEIGHT
    xnp = np.pad(xn, ((0, 0), (1, 1), (1, 1), (0, 0)))
    want = np.stack([sum(correlate(xnp[..., c], wh[None, :, :, c, o], "valid")
                         for c in range(3)) + conv_nhwc.BIAS[o] for o in range(4)], axis=-1)
    np.testing.assert_allclose(conv_nhwc.forward(xn), want, atol=1e-12)

    x1 = rng.standard_normal((2, 9))
    wb = conv_buggy.WEIGHT
    want = np.stack([sum(correlate(np.pad(x1[c], 1), wb[o, c], "valid") for c in range(2))
                     for o in range(3)])
    np.testing.assert_allclose(conv_buggy.forward(x1), want, atol=1e-12)


def test_show_takes_the_signal_conventions_and_order():
    import numpy as np
    from scipy import signal

    # A kernel longer than the input: numpy.convolve's 'same' keeps max(M, N) samples, scipy's
    # the first input's N.
    x, w = np.array([1, 2]), np.array([5, 6, 7, 8])
    for convention, y in (("numpy", np.convolve(x, w, "same")),
                          ("scipy", signal.convolve(x, w, "same"))):
        r = run("show", "--kernel", "5,6,7,8", "--n", "2", "--mode", "same", "--convention",
                convention, "--x", "1,2")
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[-1].split("=")[-1].split() == [str(v) for v in y]
    assert len(np.convolve(x, w, "same")) != len(signal.convolve(x, w, "same"))
    # order F: column j is the full convolution of the j-th unit input in column-major order.
    k = np.array([[1, 2], [3, 4]])
    r = run("show", "--kernel", "1,2;3,4", "--input-shape", "2,3", "--order", "F", "--full")
    assert r.returncode == 0, r.stderr
    rows = [list(map(int, line.split())) for line in r.stdout.splitlines()[1:]]
    for j in range(6):
        e = np.zeros(6)
        e[j] = 1
        col = signal.convolve2d(e.reshape((2, 3), order="F"), k).ravel(order="F")
        assert [row[j] for row in rows] == col.astype(int).tolist()
    for flag in ("--convention", "--order"):
        r = run("show", "--kernel", "5,6,7", "--n", "4", flag, "bogus")
        assert r.returncode == 2 and flag in r.stderr and "must be one of" in r.stderr

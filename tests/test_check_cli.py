"""toeplitz-conv check PATH.py:FUNCTION: exit 0 / 1 / 2, one-line usage errors."""

import runpy
import sys
import textwrap

import pytest

from toeplitz_conv.cli import main

LAYER = textwrap.dedent('''
    import numpy as np
    from scipy.signal import convolve, correlate

    WEIGHT = np.arange(1.0, 19.0).reshape(2, 1, 3, 3)

    def good(x):
        return np.stack([correlate(x[0], k[0], mode="same") for k in WEIGHT])

    def flipped(x):
        return np.stack([convolve(x[0], k[0], mode="same") for k in WEIGHT])
''')


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run(capsys):
    """Run ``toeplitz-conv check ...`` in this process (a subprocess costs seconds)."""
    def runner(*args):
        code = main(["check", *args])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)
    return runner


@pytest.fixture
def layer_file(tmp_path):
    p = tmp_path / "my_layer.py"
    p.write_text(LAYER)
    return str(p)


def test_console_entry_point_exit_codes(layer_file, monkeypatch, capsys):
    # ``python -m toeplitz_conv.cli check ...``, run in this process: the exit
    # status reaches sys.exit (tests/test_cli.py starts the one real process).
    monkeypatch.setattr(sys, "argv", ["toeplitz_conv.cli", "check", f"{layer_file}:flipped",
                                      "--input-shape", "1,6,7", "--padding", "1"])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("toeplitz_conv.cli", run_name="__main__", alter_sys=True)
    assert exc.value.code == 1 and "kernel is flipped" in capsys.readouterr().out


def test_check_passes_and_fails_with_exit_codes(run, layer_file):
    r = run(f"{layer_file}:good", "--input-shape", "1,6,7", "--padding", "1")
    assert r.returncode == 0, r.stderr
    assert "all 2 checks pass" in r.stdout
    r = run(f"{layer_file}:flipped", "--input-shape", "1,6,7", "--padding", "1")
    assert r.returncode == 1
    assert "kernel is flipped" in r.stdout


def test_random_weight_from_shape(run, tmp_path):
    p = tmp_path / "ident.py"
    p.write_text("def f(x):\n    return 2 * x\n")
    r = run(f"{p}:f", "--input-shape", "2,4,4", "--weight-shape", "2,2,1,1")
    assert r.returncode == 1 and "FAIL" in r.stdout


@pytest.mark.parametrize("target,extra,word", [
    ("missing.py:good", (), "no such file"),
    ("{f}:nope", (), "no function named 'nope'"),
    ("{f}", (), "PATH.py:FUNCTION"),
    ("{f}:good", ("--padding", "x"), "--padding"),
    ("{f}:good", ("--weight", "NOPE"), "no weight named 'NOPE'"),
    ("{f}:good", ("--padding-mode", "mirror"), "--padding-mode"),
])
def test_usage_errors_are_one_line_exit_2(run, layer_file, target, extra, word):
    r = run(target.format(f=layer_file), "--input-shape", "1,6,7", *extra)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert word in r.stderr


def test_import_error_in_the_file_is_a_usage_error(run, tmp_path):
    p = tmp_path / "broken.py"
    p.write_text("raise RuntimeError('cannot load')\n")
    r = run(f"{p}:f", "--input-shape", "1,4")
    assert r.returncode == 2 and "cannot load" in r.stderr and "Traceback" not in r.stderr


HOSTILE = textwrap.dedent('''
    import os
    import numpy as np

    WEIGHT = np.ones((1, 1, 2, 2))

    def exits(x):
        print("about to exit")
        os._exit(3)

    def loops(x):
        while True:
            pass
''')


def test_layer_that_exits_or_hangs_is_a_failed_check_in_a_worker_process(run, tmp_path):
    p = tmp_path / "hostile.py"
    p.write_text(HOSTILE)
    r = run(f"{p}:exits", "--input-shape", "1,4,4")
    assert r.returncode == 1
    assert "exit status 3" in r.stdout and "about to exit" in r.stdout
    r = run(f"{p}:loops", "--input-shape", "1,4,4", "--timeout", "0.3")
    assert r.returncode == 1 and "did not return within timeout=0.3" in r.stdout
    r = run(f"{p}:loops", "--input-shape", "1,4,4", "--timeout", "0.2", "--isolation", "none")
    assert r.returncode == 1 and "did not return within timeout=0.2" in r.stdout
    r = run(f"{p}:loops", "--input-shape", "1,4,4", "--timeout", "0")
    assert r.returncode == 2 and "timeout" in r.stderr

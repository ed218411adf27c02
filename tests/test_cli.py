"""The toeplitz-conv command: success and bad-input paths, via subprocess."""

import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "toeplitz_conv.cli", *args],
                          capture_output=True, text=True, timeout=120)


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
    (("show", "--kernel", "5,6,7", "--n", "2", "--mode", "valid"), "valid"),
    (("show", "--kernel", "5,6,7", "--n", "4", "--x", "1,2"), "--x"),
])
def test_show_bad_input_is_one_line(args, word):
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert word in r.stderr

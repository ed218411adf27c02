"""toeplitz-conv check PATH.py:FUNCTION: exit 0 / 1 / 2, one-line usage errors."""

import runpy
import sys
import textwrap

import pytest

from toeplitz_conv.cli import main

from ._proc import children as _children

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


POOL = textwrap.dedent('''
    import numpy as np

    def forward(x):                         # 2 x 2 max pool, stride 2, (C, H, W)
        c, h, w = x.shape
        return x[:, :h // 2 * 2, :w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))

    def forward_even_only(x):               # bug: assumes sizes the stride divides
        c, h, w = x.shape
        return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))

    def backward(x, g, last=False):
        dx = np.zeros_like(x)
        c, h, w = x.shape
        for ch in range(c):
            for i in range(h // 2):
                for j in range(w // 2):
                    win = x[ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2].ravel()
                    top = np.flatnonzero(win == win.max())
                    p = top[-1] if last else top[0]
                    dx[ch, 2 * i + p // 2, 2 * j + p % 2] += g[ch, i, j]
        return dx

    def backward_last(x, g):
        return backward(x, g, last=True)

    def backward_wrong(x, g):
        return np.roll(backward(x, g), 1, axis=2)

    TIED = [np.ones((1, 4, 4))]

    def factory(kernel_size, stride=None, padding=0, ceil_mode=False, dilation=1):
        if (kernel_size, stride, padding, ceil_mode, dilation) not in (
                (2, None, 0, False, 1), (2, 2, 0, False, 1)):
            raise NotImplementedError
        return forward, backward

    def factory_even_only(**options):
        forward, backward = factory(**options)
        return forward_even_only, backward

    def signal(x, w):
        return np.convolve(x, w)

    KERNEL = np.array([5.0, 6.0, 7.0])

    def square(x):
        return x ** 2
''')


@pytest.fixture
def pool_file(tmp_path):
    p = tmp_path / "my_pool.py"
    p.write_text(POOL)
    return str(p)


def test_check_kind_max_pool_signal_and_ties(run, pool_file):
    base = ("--input-shape", "1,4,4", "--kind", "max_pool", "--kernel-size", "2",
            "--isolation", "none")
    r = run(f"{pool_file}:forward", *base, "--backward", "backward")
    assert r.returncode == 0 and "max-pool check" in r.stdout, r.stdout + r.stderr
    r = run(f"{pool_file}:forward", *base, "--backward", "backward_wrong")
    assert r.returncode == 1 and "FAIL" in r.stdout
    # All-equal inputs of the user's: every window tied, the last maximum is a valid choice.
    r = run(f"{pool_file}:forward", *base, "--backward", "backward_last", "--inputs", "TIED")
    assert r.returncode == 0 and "ties in 4 windows of input 'your input #0'" in r.stdout
    r = run(f"{pool_file}:signal", "--input-shape", "4", "--kind", "signal", "--weight",
            "KERNEL", "--isolation", "none")
    assert r.returncode == 0 and "signal convolution check" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("extra,word", [
    (("--kind", "maxpool"), "--kind must be one of"),
    (("--kind", "max_pool", "--kernel-size", "2", "--groups", "2"),
     "--groups does not apply to --kind max_pool"),
    (("--kind", "max_pool", "--kernel-size", "2", "--weight-shape", "1,1,2,2"),
     "--weight-shape does not apply"),
    (("--inputs", "TIED"), "--inputs applies to --kind avg_pool and max_pool"),
    (("--kind", "avg_pool", "--kernel-size", "2", "--count-include-pad", "maybe"),
     "--count-include-pad must be one of true, false"),
])
def test_kind_usage_errors_name_the_flag(run, pool_file, extra, word):
    r = run(f"{pool_file}:forward", "--input-shape", "1,4,4", *extra)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert word in r.stderr and "Traceback" not in r.stderr


def test_sweep_and_identify_subcommands(pool_file, capsys):
    def cli(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err
    code, out, err = cli("sweep", f"{pool_file}:factory", "--kind", "max_pool",
                         "--input-shape", "1,8,8", "--isolation", "none")
    assert code == 0 and "layer sweep: 10 configurations, all pass" in out, out + err
    code, out, err = cli("sweep", f"{pool_file}:factory_even_only", "--kind", "max_pool",
                         "--input-shape", "1,8,8", "--isolation", "none")
    assert code == 1 and "2 FAIL" in out and "cannot reshape" in out, out + err
    code, out, err = cli("sweep", f"{pool_file}:factory", "--kind", "max_pool")
    assert code == 2 and "--input-shape" in err
    code, out, err = cli("identify", f"{pool_file}:forward", "--input-shape", "2,6,8")
    assert code == 0 and "2-D max pooling" in out and "kernel_size=(2, 2)" in out, out + err
    code, out, err = cli("identify", f"{pool_file}:square", "--input-shape", "2,4,4")
    assert code == 1 and "not identified: forward is not linear" in out, out + err
    code, out, err = cli("identify", f"{pool_file}:forward", "--input-shape", "2,6,8",
                         "--convention", "pool")
    assert code == 2 and "--convention must be one of" in err


BLACK_BOXES = textwrap.dedent('''
    import os
    import time
    from scipy.signal import convolve

    def exits(x):
        print("about to exit")
        os._exit(3)

    def sleeps(x):
        time.sleep(60)

    def good(x):
        return convolve(x, [5.0, 6.0, 7.0])
''')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="children read from /proc")
def test_identify_a_black_box_that_exits_or_hangs_is_a_one_line_error(tmp_path, capsys):
    p = tmp_path / "boxes.py"
    p.write_text(BLACK_BOXES)
    before = set(_children())

    def cli(*args):
        code = main(["identify", *args])
        out = capsys.readouterr()
        return code, out.out, out.err
    code, out, err = cli(f"{p}:exits", "--n", "6")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "failed on call 1: forward ended its process with exit status 3" in err
    assert "about to exit" in out                         # what it printed is still shown
    code, out, err = cli(f"{p}:sleeps", "--n", "6", "--timeout", "0.3")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "did not return within --timeout 0.3 s" in err and "--timeout if" in err
    code, out, err = cli(f"{p}:sleeps", "--n", "6", "--timeout", "0.2", "--isolation", "none")
    assert code == 2 and "did not return within --timeout 0.2 s (stopped it" in err, err
    code, out, err = cli(f"{p}:good", "--n", "6", "--timeout", "0")
    assert code == 2 and "--timeout" in err
    code, out, err = cli(f"{p}:good", "--n", "6", "--isolation", "thread")
    assert code == 2 and "--isolation" in err
    code, out, err = cli(f"{p}:good", "--n", "6")
    assert code == 0 and "mode='full'" in out and "kernel = [5. 6. 7.]" in out, out + err
    assert set(_children()) <= before


TILED = textwrap.dedent('''
    import numpy as np

    def factory(weight, bias=None, stride=1, padding=0, dilation=1, tiles=1, tied=False):
        """A 1-D tiled convolution: output o uses kernel o mod tiles (Ngiam et al.)."""
        if isinstance(padding, str):
            raise NotImplementedError("string padding")
        _, c_out, c_in, k = weight.shape

        def forward(x):
            xp = np.pad(x, ((0, 0), (padding, padding)))
            n = (xp.shape[1] - dilation * (k - 1) - 1) // stride + 1
            y = np.zeros((c_out, n))
            for o in range(n):
                taps = xp[:, o * stride + dilation * np.arange(k)]
                y[:, o] = np.einsum("ck,ock->o", taps, weight[0 if tied else o % tiles])
            return y
        return forward

    def tied(weight, **kw):
        return factory(weight, **kw, tied=True)
''')


def test_sweep_kind_tiled_varies_the_tiles(tmp_path, capsys):
    p = tmp_path / "my_tiled.py"
    p.write_text(TILED)
    code = main(["sweep", f"{p}:factory", "--kind", "tiled", "--weight-shape", "2,1,3",
                 "--isolation", "none"])
    out = capsys.readouterr().out
    assert code == 0 and "layer sweep: 14 configurations, all pass (3 unsupported" in out, out
    assert "tiles 3, stride=3, padding=1" in out and "tiles 1" in out
    code = main(["sweep", f"{p}:tied", "--kind", "tiled", "--weight-shape", "2,1,3",
                 "--isolation", "none"])
    out = capsys.readouterr().out
    assert code == 1 and "weights tied" in out, out
    rows = {line.split(" (input")[0]: line.split()[-1] if line.rstrip().endswith(" ok") else "x"
            for line in out.splitlines()[2:]}
    # One tile, or one output: nothing to tie.
    assert rows["kernel as large as the input"] == rows["one tile (a convolution)"] == "ok"
    assert rows["padding 0"] == "x"

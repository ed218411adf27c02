"""``toeplitz-conv show --torch FILE.py:FUNCTION``: the layer table of the user's own model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests._cli import run_cli  # noqa: E402

MODEL = '''
import torch
from torch import nn

def build():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 5)).double()

def linear():
    torch.manual_seed(1)
    return nn.Sequential(nn.Conv1d(2, 3, 3, stride=2, bias=False), nn.AvgPool1d(2)).double()

def one_layer():
    return nn.Conv1d(1, 1, 3)

def broken():
    raise RuntimeError("no weights here")

def not_a_model():
    return 42
'''


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


def _table(stdout):
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("#  name"))
    rows = []
    for line in lines[head + 1:]:
        if not line[:1].isdigit():
            break
        rows.append(line.split())
    return lines, rows


def test_show_torch_prints_each_layer(model_file):
    r = run_cli("show", "--torch", f"{model_file}:linear", "--input-shape", "2,9")
    assert r.returncode == 0, r.stderr
    lines, rows = _table(r.stdout)
    assert lines[0] == "Sequential: A is 6 x 18, 2 layers, 2 steps"
    assert [row[2] for row in rows] == ["Conv1d", "AvgPool1d"]
    assert [row[3] for row in rows] == ["layer", "avg_pool"]
    assert [row[4] for row in rows] == ["3x4", "3x2"]
    # The numbers are the model's own: recomputed here from torch's Jacobians.
    import importlib.util
    spec = importlib.util.spec_from_file_location("m", model_file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    net = mod.linear()
    conv = torch.autograd.functional.jacobian(lambda t: net[0](t[None])[0],
                                              torch.zeros(2, 9, dtype=torch.float64))
    J = conv.reshape(12, 18).numpy()
    assert int(rows[0][5]) == 2 * 3 * 3 * 4                  # C_in * C_out * k * outputs
    assert np.isclose(float(rows[0][6]), np.linalg.norm(J, 2), rtol=1e-5)
    assert np.isclose(float(rows[1][6]), 0.5 ** 0.5, rtol=1e-5)
    whole = torch.autograd.functional.jacobian(lambda t: net(t[None])[0],
                                               torch.zeros(2, 9, dtype=torch.float64))
    norm = np.linalg.norm(whole.reshape(6, 18).numpy(), 2)
    assert lines[-1] == f"spectral norm of the whole linear map: {norm:.6g}"


def test_show_torch_linearises_at_a_point(model_file):
    r = run_cli("show", "--torch", f"{model_file}:build", "--input-shape", "3,8,8")
    assert r.returncode == 2
    assert "ReLU at position 2" in r.stderr and "--at random" in r.stderr
    r = run_cli("show", "--torch", f"{model_file}:build", "--n", "3,8,8", "--at", "random")
    assert r.returncode == 0, r.stderr
    lines, rows = _table(r.stdout)
    assert [row[3] for row in rows] == ["layer", "ReLU", "max_pool", "reshape", "linear"]
    assert any(line.startswith("at x, #2 ReLU: ") for line in lines)
    r = run_cli("show", "--torch", f"{model_file}:one_layer", "--n", "1,5")
    assert r.returncode == 0 and "Conv1d: A is 3 x 5, 1 layers" in r.stdout


@pytest.mark.parametrize("spec,word", [
    ("{f}", "FILE.py:FUNCTION"), ("{f}:missing", "no function 'missing'"),
    ("{d}/nope.py:build", "no file"), ("{f}:broken", "RuntimeError: no weights here"),
    ("{f}:not_a_model", "must return a torch.nn.Module"),
])
def test_show_torch_bad_input_is_one_line(model_file, spec, word):
    r = run_cli("show", "--torch", spec.format(f=model_file, d=model_file.parent),
                "--n", "3,8,8")
    assert r.returncode == 2 and word in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = run_cli("show", "--n", "4")
    assert r.returncode == 2 and "--kernel is required" in r.stderr

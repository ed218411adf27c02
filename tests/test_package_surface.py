"""The package's surface: a light import, lazy heavy submodules, ``__all__`` everywhere."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import toeplitz_conv

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "sympy", "torch", "ipywidgets")


def test_import_is_light():
    """``import toeplitz_conv`` pulls in none of the heavy optional dependencies.

    A fresh interpreter, because this test process has long imported them all.
    """
    code = ("import sys, toeplitz_conv as tc; tc.conv_matrix([1, 2], 3); "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"imported on `import toeplitz_conv`: {r.stdout.strip()}"


@pytest.mark.parametrize("name", ["check", "explorer_widget", "figures", "symbolic"])
def test_heavy_submodules_load_on_attribute_access(name):
    pytest.importorskip({"figures": "matplotlib", "symbolic": "sympy",
                         "explorer_widget": "ipywidgets", "check": "numpy"}[name])
    module = getattr(toeplitz_conv, name)
    assert isinstance(module, types.ModuleType)
    assert module is importlib.import_module(f"toeplitz_conv.{name}")
    assert name in dir(toeplitz_conv)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        toeplitz_conv.no_such_name  # noqa: B018


def test_dir_lists_no_private_helpers():
    listed = dir(toeplitz_conv)
    assert set(toeplitz_conv.__all__) <= set(listed)
    assert not [n for n in listed if n.startswith("_") and not n.startswith("__")]


def _modules() -> list[str]:
    names = ["toeplitz_conv"]
    for info in pkgutil.walk_packages(toeplitz_conv.__path__, "toeplitz_conv."):
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_every_module_has_a_complete_all(name):
    if name.endswith("explorer_widget"):
        pytest.importorskip("ipywidgets")
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_packaging_metadata():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    assert "Typing :: Typed" in project["classifiers"]
    assert any(c.startswith("Programming Language :: Python :: 3.1") for c in
               project["classifiers"])
    assert project["license"] == "BSD-3-Clause"
    # The wheel holds the package alone (CI's tools/check_wheel.py reads the built one).
    assert meta["tool"]["setuptools"]["packages"]["find"]["include"] == ["toeplitz_conv*"]
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["toeplitz_conv"]
    assert (ROOT / "toeplitz_conv" / "py.typed").exists()
    extras = project["optional-dependencies"]
    # The README's test command installs [test]: it must not pull torch (CUDA) or jax.
    assert not [r for r in extras["test"] if r.split("=")[0].split(">")[0] in ("torch", "jax")]
    assert extras["torch"] == ["torch==2.13.0"] and extras["jax"]
    assert {"build", "twine"} <= {r.split(">")[0] for r in extras["release"]}


def test_wheel_checker_refuses_stray_files(tmp_path):
    import zipfile

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import check_wheel
    finally:
        sys.path.remove(str(ROOT / "tools"))
    good = tmp_path / "good.whl"
    with zipfile.ZipFile(good, "w") as z:
        for name in ("toeplitz_conv/__init__.py", "toeplitz_conv/py.typed",
                     "toeplitz_conv/_explorer_assets/a.js", "toeplitz_conv-0.1.dist-info/RECORD"):
            z.writestr(name, "")
    assert check_wheel.problems(str(good)) == []
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as z:
        for name in ("toeplitz_conv/__init__.py", "tests/test_x.py", "benchmarks/run.py"):
            z.writestr(name, "")
    found = check_wheel.problems(str(bad))
    assert "stray tests/test_x.py" in found and "missing toeplitz_conv/py.typed" in found

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

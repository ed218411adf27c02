"""The documentation site's configuration, cheaply: CI builds the whole site.

``docs/conf.py`` is imported in a fresh interpreter (it sets ``sys.path`` and
environment variables for the build, which must not leak into this process).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_PROBE = """
import importlib.util, json, sys, tempfile
from pathlib import Path
sys.path.insert(0, {docs!r})
import conf
with tempfile.TemporaryDirectory() as tmp:
    pages = conf.write_api_pages(Path(tmp) / "reference")
    conf.write_cli_help(Path(tmp) / "cli_help")
    helps = sorted(p.name for p in (Path(tmp) / "cli_help").iterdir())
print(json.dumps({{
    "extensions": conf.extensions,
    "missing": [e for e in conf.extensions if importlib.util.find_spec(e.split(".")[0]) is None],
    "pages": pages,
    "helps": helps,
    "intersphinx": "sphinx.ext.intersphinx" in conf.extensions,
}}))
"""


@pytest.fixture(scope="module")
def conf() -> dict:
    r = subprocess.run([sys.executable, "-c", _PROBE.format(docs=str(DOCS))],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[-1])


def test_conf_imports_and_writes_the_generated_pages(conf):
    assert "toeplitz_conv.geometry" in conf["pages"]
    assert {"toeplitz_conv.symbolic", "toeplitz_conv.check", "toeplitz_conv.figures",
            "toeplitz_conv.explorer"} <= set(conf["pages"])
    assert "toeplitz-conv.txt" in conf["helps"] and "show.txt" in conf["helps"]


def test_docs_fetch_nothing(conf):
    # The build must work offline: no intersphinx inventories from the web.
    assert not conf["intersphinx"]


@pytest.mark.skipif(importlib.util.find_spec("sphinx") is None,
                    reason="the docs extra is not installed (.ci/run installs it)")
def test_extensions_are_installed_with_the_docs_extra(conf):
    assert conf["missing"] == []


def test_every_public_module_has_an_api_page(conf):
    import pkgutil

    import toeplitz_conv

    public = {info.name for info in pkgutil.iter_modules(toeplitz_conv.__path__,
                                                         "toeplitz_conv.")
              if not info.name.rpartition(".")[2].startswith("_")}
    assert public <= set(conf["pages"]), public - set(conf["pages"])


def test_every_figure_has_a_gallery_example():
    pytest.importorskip("matplotlib")
    from toeplitz_conv.figures import FIGURES

    scripts = {p.stem.removeprefix("plot_figure_")
               for p in (DOCS / "examples").glob("plot_figure_*.py")}
    assert scripts == set(FIGURES)


def test_every_notebook_is_a_tutorial():
    # docs/tutorials.rst globs the copies conf.py makes of every notebook.
    assert "tutorials/*" in (DOCS / "tutorials.rst").read_text()
    assert list((ROOT / "notebooks").glob("*.ipynb"))

"""The documentation site's configuration, cheaply: CI builds the whole site.

``docs/conf.py`` is imported in a fresh interpreter (it sets ``sys.path`` and
environment variables for the build, which must not leak into this process).
"""

from __future__ import annotations

import importlib.util
import json
import re
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
    modules = conf.write_api_pages(Path(tmp) / "reference")
    conf.write_cli_help(Path(tmp) / "cli_help")
    helps = sorted(p.name for p in (Path(tmp) / "cli_help").iterdir())
    layout = conf.api_layout()
    pages = sorted(p.stem for p in (Path(tmp) / "reference").iterdir())
documented = [(m, n) for entries in layout.values() for m, _, names in entries for n in names]
print(json.dumps({{
    "documented": documented,
    "reference_pages": pages,
    "signature": conf.public_signature("(kernel, input_shape, mode='full', *, "
                                       "correlate=False, _write_path=None)"),
    "mathjax_path": conf.mathjax_path,
    "theme": conf.html_theme,
    "extensions": conf.extensions,
    "missing": [e for e in conf.extensions if importlib.util.find_spec(e.split(".")[0]) is None],
    "pages": modules,
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


def test_api_reference_is_grouped_by_task_with_every_public_name_once(conf):
    import importlib

    assert conf["reference_pages"] == sorted(["build", "verify", "prove", "draw", "explore",
                                              "interoperate"])
    where: dict[int, list[str]] = {}
    for module_name, name in conf["documented"]:
        obj = getattr(importlib.import_module(module_name), name)
        where.setdefault(id(obj), []).append(f"{module_name}.{name}")
    assert [w for w in where.values() if len(w) > 1] == []
    # ... and every public name of every documented module is among them.
    for module_name in {m for m, _ in conf["documented"]}:
        module = importlib.import_module(module_name)
        missing = [n for n in module.__all__ if id(getattr(module, n)) not in where]
        assert missing == [], (module_name, missing)


def test_no_private_parameter_in_a_documented_signature(conf):
    assert conf["signature"] == "(kernel, input_shape, mode='full', *, correlate=False)"


def test_math_theme_and_mathjax_are_local(conf):
    assert conf["theme"] == "pydata_sphinx_theme"
    assert not conf["mathjax_path"].startswith(("http", "//"))
    bundle = DOCS / "_static" / conf["mathjax_path"]
    assert bundle.stat().st_size > 500_000
    assert (DOCS / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
            / "MathJax_Main-Regular.woff").exists()


def _offline_hits(root):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import check_offline_html
    finally:
        sys.path.remove(str(ROOT / "tools"))
    return check_offline_html.hits(root)


def test_offline_checker_finds_a_cdn(tmp_path):
    # The checker can fail: a page loading a script from a CDN, and one naming a CDN.
    (tmp_path / "a.html").write_text('<script src="https://cdn.example.com/x.js"></script>')
    (tmp_path / "b.html").write_text('<link rel="stylesheet" href="//fonts.example.org/f.css">')
    (tmp_path / "c.html").write_text('<script src="_static/x.js"></script>'
                                     '<a href="https://example.org">a link</a>')
    found = _offline_hits(tmp_path)
    assert any(h.startswith("a.html") for h in found)
    assert any(h.startswith("b.html") for h in found)
    assert not any(h.startswith("c.html") for h in found)


BUILT = DOCS / "_build" / "html"


@pytest.mark.skipif(not (BUILT / "index.html").exists(),
                    reason="the site is not built (.ci/run builds it before the tests)")
def test_built_site_loads_nothing_from_the_network():
    assert _offline_hits(BUILT) == []
    page = (BUILT / "tutorials" / "02_symbolic_proofs.html").read_text()
    assert "_static/mathjax/tex-chtml-full.js" in page


def test_every_gallery_example_draws_a_figure_for_its_thumbnail():
    # The scraper (docs/sg_scraper.py) picks up Figures bound to a variable; an example
    # without one gets sphinx-gallery's placeholder as its thumbnail.
    for script in sorted((DOCS / "examples").glob("plot_*.py")):
        text = script.read_text()
        # "fig = draw(...)" or "fig, axes = plt.subplots(...)"
        assert re.search(r"^fig\b[\w, ]*= ", text, re.M), \
            f"{script.name} draws no figure: its thumbnail is a placeholder"
        assert "``" not in text.split('"""')[1].strip().splitlines()[0], \
            f"{script.name}: rST markup in the title shows raw in the thumbnail's caption"


@pytest.mark.skipif(not (BUILT / "index.html").exists(),
                    reason="the site is not built (.ci/run builds it before the tests)")
def test_built_gallery_has_no_placeholder_thumbnail():
    import sphinx_gallery

    placeholder = (Path(sphinx_gallery.__file__).parent / "_static" / "no_image.png").read_bytes()
    thumbs = sorted(BUILT.glob("_images/sphx_glr_plot_*_thumb.png"))
    assert len(thumbs) == len(list((DOCS / "examples").glob("plot_*.py")))
    assert [t.name for t in thumbs if t.read_bytes() == placeholder] == []


# ------------------------------------------------------------ the README's commands

README = (ROOT / "README.md").read_text()


def _bash_lines(text):
    blocks = [b.split("```", 1)[0] for b in text.split("```bash")[1:]]
    return [line.split("  #", 1)[0].strip() for b in blocks for line in b.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_ci_runs_the_readme_set_up_and_test_commands_verbatim():
    lines = _bash_lines(README)
    first = next(line for line in lines if line.startswith("python3 -m venv .venv"))
    test = next(line for line in lines if "python -m pytest" in line)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert first in ci and test in ci
    # The test command is the last thing CI runs, after every install.
    assert [line for line in ci if line.strip() and not line.startswith("#")][-1] == test
    # ... and neither of them can reach an index the CI machine cannot.
    assert "--index-url" not in first + test and "://" not in first + test


def test_every_readme_command_runs_from_the_set_up_venv():
    # After the two set-up commands only .venv/ has the tools: a bare `pip`,
    # `python` or `toeplitz-conv` would be "command not found" or the wrong Python.
    for line in _bash_lines(README):
        for part in line.split("&&"):
            part = part.strip()
            assert part.startswith((".venv/bin/", "python3 -m venv .venv", "sudo apt-get ")), line


def test_debian_packages_agree_between_readme_ci_and_the_skip_summary():
    from .conftest import DEBIAN_PACKAGES, INSTALL

    apt = " ".join(DEBIAN_PACKAGES)
    assert f"sudo apt-get install {apt}" in README
    assert any(cmd.endswith(apt) for _, cmd in INSTALL.values())
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(f" {p}" in ci for p in DEBIAN_PACKAGES)


def test_skip_summary_names_what_each_skip_needs():
    from .conftest import INSTALL, _need

    cases = {
        "could not import 'torch': No module named 'torch'": "torch",
        "could not import 'jax': No module named 'jax'": "jax",
        "headless Chromium is not installed (Debian packages chromium and chromium-driver)":
            "Debian packages (browser, TeX, ffmpeg)",
        "pdflatex is not installed (.ci/run installs Debian's TeX)":
            "Debian packages (browser, TeX, ffmpeg)",
        "ffmpeg at /usr/bin/ffmpeg is broken (exit 127: libavcodec missing)":
            "Debian packages (browser, TeX, ffmpeg)",
        "the site is not built (.ci/run builds it before the tests)": "the built site",
        "the fuzz worker's memory budget needs Linux": "other",
    }
    assert {reason: _need(reason) for reason in cases} == cases
    assert all(cmd.startswith((".venv/bin/", "sudo apt-get install ")) for _, cmd in
               INSTALL.values())

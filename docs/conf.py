"""Sphinx configuration of the toeplitz_conv documentation site.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (the
``docs`` extra installs what it needs). Nothing is fetched from the network,
neither when building nor when reading: no intersphinx, the notebooks run in
a local kernel, MathJax is served from ``_static`` (``tools/check_offline_html.py``
checks the built pages).

Three kinds of page are written when the build starts (``config-inited``),
not committed, because they follow the code: the API reference (one page per
module, listing its ``__all__``), the command line's ``--help`` texts, and
copies of ``notebooks/*.ipynb`` (myst-nb reads sources only under ``docs/``).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The checkout's package, installed or not; the notebooks' kernels inherit
# PYTHONPATH, so they import this same checkout.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS))  # sg_scraper
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
# Gallery scripts draw off screen.
os.environ.setdefault("MPLBACKEND", "Agg")

import toeplitz_conv  # noqa: E402

project = "toeplitz_conv"
author = "the toeplitz_conv developers"
copyright = "the toeplitz_conv developers, BSD-3-Clause"
version = release = toeplitz_conv.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".ipynb": "myst-nb"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    # sphinx-gallery writes a notebook next to each example for download;
    # they are not pages of their own.
    "auto_examples/*.ipynb",
    # The gallery's sources: sphinx-gallery reads them and writes auto_examples/.
    "examples",
]

# pydata-sphinx-theme, as scipy, numpy and PyLops use. It ships its fonts and
# icons; nothing in it is fetched from the web.
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = f"toeplitz_conv {version}"
html_show_sourcelink = False
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "navbar_align": "left",
    "navbar_end": ["theme-switcher"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
    # No icon links and no analytics: the site names no server.
    "icon_links": [],
}
html_css_files = ["toeplitz_conv.css"]
# Pages without sub-pages get no (empty) section navigation.
html_sidebars = {page: [] for page in ("index", "install", "which_function", "cli")}

# MathJax from docs/_static/mathjax (the npm package's combined ES5 component,
# Apache-2.0, with its CHTML fonts), so that the math renders offline; Sphinx
# would otherwise point at a CDN.
mathjax_path = "mathjax/tex-chtml-full.js"

# --- API reference -------------------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False  # the class template lists members itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

#: The API reference, by task: (page, title, what it is for, [(module, blurb), ...]).
#: Each public name is documented once: at the top level (``toeplitz_conv.NAME``)
#: when the package re-exports it, on the page of the task its home module
#: serves, else in the first module listing it. A module not importable in
#: this checkout (one added by a branch not merged yet) is left out.
API_GROUPS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("build", "Build a matrix",
     "The builders: the sparse, weight-tied matrix of a convolution, a layer, a pooling or "
     "a locally connected layer, and the geometry every one of them uses.",
     [("toeplitz_conv", "the package: its builders, TiedMatrix and the size limits"),
      ("toeplitz_conv.tied", "TiedMatrix: a csr_array with its taps"),
      ("toeplitz_conv.signal", "the signal-processing convention (scipy.signal)"),
      ("toeplitz_conv.layers", "the deep-learning layer convention (PyTorch)"),
      ("toeplitz_conv.ndimage", "scipy.ndimage's convention"),
      ("toeplitz_conv.data", "the data (im2col) matrix: the other Toeplitz"),
      ("toeplitz_conv.pooling", "pooling windows as matrices"),
      ("toeplitz_conv.local", "tiled and locally connected layers"),
      ("toeplitz_conv.spectrum", "singular values of convolutions"),
      ("toeplitz_conv.geometry", "output sizes, paddings and index maps")]),
    ("verify", "Verify a layer",
     "Check a hand-written layer against its exact matrix, sweep its configurations, "
     "extract and identify a black box.",
     [("toeplitz_conv.check", "check a layer, extract and identify a black box"),
      ("toeplitz_conv.testing", "the checker as an assertion for your own test suite")]),
    ("prove", "Prove an identity",
     "The matrices in sympy symbols, and machine-checked proofs of the identities behind "
     "them.",
     [("toeplitz_conv.symbolic", "symbolic matrices and machine-checked proofs")]),
    ("draw", "Draw a figure",
     "Lecture figures drawn from the taps, for slides (SVG, PDF, PNG, TikZ, animations).",
     [("toeplitz_conv.figures", "lecture figures drawn from the taps"),
      ("toeplitz_conv.palette", "the colours of tied weights")]),
    ("explore", "Explore interactively",
     "One self-contained HTML page to point at matrix cells, inputs, outputs and weights.",
     [("toeplitz_conv.explorer", "the interactive HTML explorer"),
      ("toeplitz_conv.explorer_widget", "the explorer with ipywidgets controls")]),
    ("interoperate", "Interoperate",
     "The matrices as scipy LinearOperators and torch sparse tensors, layers read from "
     "torch modules, and the command line called from Python.",
     [("toeplitz_conv.interop", "scipy LinearOperator and torch"),
      ("toeplitz_conv.models", "whole PyTorch models as matrices (from_torch)"),
      ("toeplitz_conv.cli", "the toeplitz-conv command line")]),
]

#: Every module of the reference (kept for tools that list them).
API_MODULES = [m for _, _, _, mods in API_GROUPS for m in mods]


# --- gallery ---------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # toeplitz_conv.figures returns Figures not attached to pyplot; this
    # scraper picks them up from the example's variables.
    "image_scrapers": ("sg_scraper.figure_scraper", "matplotlib"),
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    # Its timing pages load DataTables and Bootstrap from CDNs: not written.
    "write_computation_times": False,
    "plot_gallery": True,
}

# --- notebooks (myst-nb) ---------------------------------------------------------------

nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]

suppress_warnings = [
    # myst-nb renders widget state it cannot display as a note, not an error.
    "mystnb.unknown_mime_type",
    # The notebooks skip heading levels (a title, then ### sections), which
    # reads well in Jupyter; Sphinx only notes it.
    "myst.header",
]


def _write_if_changed(path: Path, text: str) -> None:
    # Rewriting an unchanged file would make Sphinx re-read it on every build.
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _home_group(obj: Any) -> str | None:
    """The task page of the module that defines ``obj`` (None if no group lists it)."""
    home = getattr(obj, "__module__", None) or ""
    if not isinstance(home, str):
        return None
    best = None
    for page, _, _, mods in API_GROUPS:
        for module_name, _ in mods:
            if module_name != "toeplitz_conv" and (home == module_name
                                                   or home.startswith(module_name + ".")):
                if best is None or len(module_name) > len(best[1]):
                    best = (page, module_name)
    return None if best is None else best[0]


def api_layout() -> dict[str, list[tuple[str, str, list[str]]]]:
    """page -> [(module, blurb, names documented there)], each public object once."""
    modules = {}
    for _, _, _, mods in API_GROUPS:
        for module_name, _ in mods:
            try:
                modules[module_name] = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name is None or not module_name.startswith(exc.name):
                    raise  # a dependency missing is an error; the module missing is not
    top = modules["toeplitz_conv"]
    # The package's re-exports go to the task of their home module, as toeplitz_conv.NAME.
    top_by_page: dict[str, list[str]] = {}
    for name in top.__all__:
        page = _home_group(getattr(top, name)) or "build"
        top_by_page.setdefault(page, []).append(name)
    seen: set[int] = set()
    layout: dict[str, list[tuple[str, str, list[str]]]] = {}
    for page, _, _, mods in API_GROUPS:
        entries = layout.setdefault(page, [])
        if top_by_page.get(page) and page != "build":
            entries.append(("toeplitz_conv", "re-exported at the top level", top_by_page[page]))
            seen.update(id(getattr(top, n)) for n in top_by_page[page])
        for module_name, blurb in mods:
            if module_name not in modules:
                continue
            module = modules[module_name]
            if module_name == "toeplitz_conv":
                names = top_by_page.get("build", [])
            else:
                names = [n for n in module.__all__ if id(getattr(module, n)) not in seen]
            seen.update(id(getattr(module, n)) for n in names)
            entries.append((module_name, blurb, names))
    return layout


def write_api_pages(out: Path = DOCS / "reference") -> list[str]:
    """Write one page per task of :data:`API_GROUPS`; return the modules documented.

    The lists come from each module's ``__all__``, so a new public name is
    documented without editing the docs.
    """
    names = []
    for page, title, intro, _ in API_GROUPS:
        lines = [title, "=" * len(title), "", intro, ""]
        for module_name, blurb, members in api_layout()[page]:
            heading = f"``{module_name}``"
            lines += [heading, "-" * len(heading), "", f"*{blurb[0].upper()}{blurb[1:]}.*", ""]
            if blurb != "re-exported at the top level":
                lines += [f".. automodule:: {module_name}", "   :no-members:", ""]
                names.append(module_name)
            lines += [f".. currentmodule:: {module_name}", ""]
            if members:
                lines += [".. autosummary::", "   :toctree: generated/", "",
                          *(f"   {n}" for n in members), ""]
            else:
                lines += ["Its names are documented at the top level, as ``toeplitz_conv.NAME``.",
                          ""]
        _write_if_changed(out / f"{page}.rst", "\n".join(lines) + "\n")
    for stale in out.glob("toeplitz_conv*.rst"):  # the former one-page-per-module layout
        stale.unlink()
    return names


def write_cli_help(out: Path = DOCS / "cli_help") -> None:
    """Write ``toeplitz-conv [COMMAND] --help`` of every command into ``out/NAME.txt``."""
    from toeplitz_conv.cli import COMMANDS, main

    for name in ("", *COMMANDS):
        buf = io.StringIO()
        # argparse wraps help to $COLUMNS; fix it so the page does not depend on the terminal.
        old = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "90"
        try:
            with contextlib.redirect_stdout(buf):
                main([name, "--help"] if name else ["--help"])
        finally:
            if old is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = old
        _write_if_changed(out / f"{name or 'toeplitz-conv'}.txt", buf.getvalue())


def copy_notebooks(out: Path = DOCS / "tutorials") -> None:
    """Copy ``notebooks/*.ipynb`` under ``docs/`` where myst-nb can read (and run) them."""
    out.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        target = out / nb.name
        if not target.exists() or target.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, target)


_PRIVATE_PARAM = re.compile(r",\s*_\w+\s*(?::[^,=()]+)?(?:=[^,()]*)?(?=\s*[,)])")


def public_signature(signature: str | None) -> str | None:
    """``signature`` without its private (``_name``) parameters.

    An internal switch such as a builder's write path is not part of the API;
    the pages show the signature a user calls.

    >>> public_signature("(kernel, n, *, stride=1, _write_path=None)")
    '(kernel, n, *, stride=1)'
    """
    if signature is None:
        return None
    out = _PRIVATE_PARAM.sub("", signature)
    return re.sub(r",\s*\*\s*\)", ")", out)  # a bare '*' left last


def _strip_private(app: Any, what: str, name: str, obj: Any, options: Any,
                   signature: str | None, return_annotation: str | None) -> tuple[Any, Any]:
    return public_signature(signature), return_annotation


def _generate(app: Any, config: Any) -> None:
    write_api_pages()
    write_cli_help()
    copy_notebooks()


def setup(app: Any) -> dict[str, bool]:
    # config-inited comes before Sphinx lists the source files, so the pages
    # written here are found and autosummary makes their stubs.
    app.connect("config-inited", _generate)
    app.connect("autodoc-process-signature", _strip_private)
    return {"parallel_read_safe": True}

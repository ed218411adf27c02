"""Sphinx configuration of the toeplitz_conv documentation site.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (the
``docs`` extra installs what it needs). Nothing is fetched from the network:
no intersphinx, and the notebooks run in a local kernel.

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

html_theme = "alabaster"
html_static_path: list[str] = []
html_theme_options = {"description": "convolutions as sparse, weight-tied matrices",
                      "page_width": "1100px"}

# --- API reference -------------------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False  # the class template lists members itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

#: (module, one-line description) of every API page, in the order shown.
API_MODULES = [
    ("toeplitz_conv", "the builders, TiedMatrix and the size limits"),
    ("toeplitz_conv.tied", "TiedMatrix: a csr_array with its taps"),
    ("toeplitz_conv.signal", "the signal-processing convention (scipy.signal)"),
    ("toeplitz_conv.layers", "the deep-learning layer convention (PyTorch)"),
    ("toeplitz_conv.geometry", "output sizes, paddings and index maps"),
    ("toeplitz_conv.pooling", "pooling windows as matrices"),
    ("toeplitz_conv.local", "tiled and locally connected layers"),
    ("toeplitz_conv.ndimage", "scipy.ndimage's convention"),
    ("toeplitz_conv.data", "the data (im2col) matrix: the other Toeplitz"),
    ("toeplitz_conv.spectrum", "singular values of convolutions"),
    ("toeplitz_conv.interop", "scipy LinearOperator and torch"),
    ("toeplitz_conv.models", "whole PyTorch models as matrices (from_torch)"),
    ("toeplitz_conv.palette", "the colours of tied weights"),
    ("toeplitz_conv.symbolic", "symbolic matrices and machine-checked proofs"),
    ("toeplitz_conv.check", "check a layer, extract and identify a black box"),
    ("toeplitz_conv.testing", "the checker as an assertion for your own test suite"),
    ("toeplitz_conv.figures", "lecture figures drawn from the taps"),
    ("toeplitz_conv.explorer", "the interactive HTML explorer"),
    ("toeplitz_conv.explorer_widget", "the explorer with ipywidgets controls"),
    ("toeplitz_conv.cli", "the toeplitz-conv command line"),
]

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


def write_api_pages(out: Path = DOCS / "reference") -> list[str]:
    """Write one autosummary page per module of :data:`API_MODULES`; return their names.

    The lists come from each module's ``__all__``, so a new public name is
    documented without editing the docs.
    """
    names = []
    for module_name, blurb in API_MODULES:
        module = importlib.import_module(module_name)
        title = f"``{module_name}``: {blurb}"
        lines = [title, "=" * len(title), "", f".. automodule:: {module_name}",
                 "   :no-members:", "", f".. currentmodule:: {module_name}", "",
                 ".. autosummary::", "   :toctree: generated/", ""]
        lines += [f"   {name}" for name in module.__all__]
        _write_if_changed(out / f"{module_name}.rst", "\n".join(lines) + "\n")
        names.append(module_name)
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


def _generate(app: Any, config: Any) -> None:
    write_api_pages()
    write_cli_help()
    copy_notebooks()


def setup(app: Any) -> dict[str, bool]:
    # config-inited comes before Sphinx lists the source files, so the pages
    # written here are found and autosummary makes their stubs.
    app.connect("config-inited", _generate)
    return {"parallel_read_safe": True}

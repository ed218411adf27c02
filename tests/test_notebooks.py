"""Every notebook in notebooks/ runs top to bottom in a fresh kernel; none stores outputs.

Each notebook is executed once.  Where a notebook's story must hold (a
correct layer passes the checker, a buggy one fails it), an assertion cell
is inserted after the cell that tells it, so the same single run checks it.
"""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# notebook -> [(text of the cell after which to check, assertion code)]
CHECKS = {
    "04_check_a_custom_layer.ipynb": [
        ("backward=conv_backward", "assert report.ok, str(report)"),
        ("backward=buggy_backward",
         "assert not report.ok\n"
         "assert 'one tied position' in report['weight_grad'].diagnosis"),
    ],
}


def _insert_checks(nb, name):
    for marker, code in CHECKS.get(name, []):
        at = [i for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and marker in c.source]
        assert len(at) == 1, f"{name}: no single cell contains {marker!r}"
        nb.cells.insert(at[0] + 1, nbformat.v4.new_code_cell(code))


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_conv_as_matrix.ipynb", "03_2d_and_layers.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name}: clear outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    # The kernel imports this checkout's package, whatever is installed, and
    # runs in a scratch directory so notebooks cannot litter the repository.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    _insert_checks(nb, path.name)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()        # raises CellExecutionError, with the cell, on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors

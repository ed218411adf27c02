"""notebooks/04_check_a_custom_layer.ipynb: stored without outputs, runs top to bottom."""

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_check_a_custom_layer.ipynb"


def test_notebook_has_no_outputs_and_runs_top_to_bottom():
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    ns: dict = {}
    reports = []
    for cell in code:
        exec(compile("".join(cell["source"]), str(NOTEBOOK), "exec"), ns)
        if "report" in ns and (not reports or ns["report"] is not reports[-1]):
            reports.append(ns["report"])
    assert reports[0].ok and not reports[1].ok
    assert "one tied position" in reports[1]["weight_grad"].diagnosis

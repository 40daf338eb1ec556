"""The teaching notebooks run top to bottom on a real Jupyter kernel, without errors.

They are stored without outputs. TRACEGRAD_QUICK=1 is the one switch that makes their training runs
short here; a reader running them in JupyterLab gets the full runs.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_five_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "cross-correlation.ipynb", "gradient-checking.ipynb", "lenet5.ipynb",
        "pooling-and-inductive-bias.ipynb", "skip-connections.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has stored outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACEGRAD_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error"
            if out.get("name") == "stderr":
                assert "Traceback" not in out.get("text", ""), f"{path.name}: {out['text'][:500]}"
    assert os.environ["TRACEGRAD_QUICK"] == "1"

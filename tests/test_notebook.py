"""The researcher notebook runs top to bottom, and is committed without outputs.

``notebooks/guarantor_coalitions.ipynb`` is executed with nbclient in a kernel that runs
this interpreter (``sys.executable``), through a throw-away kernelspec on ``JUPYTER_PATH``:
no ``ipykernel install`` is needed, and a user's own ``python3`` kernelspec cannot point the
test at another environment. Skipped when the ``notebook`` extra is not installed.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.embedded_only(reason="the notebook opens its own embedded graph")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "guarantor_coalitions.ipynb"
KERNEL = "stancegraph-notebook-test"


def _load() -> Any:
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(NOTEBOOK, as_version=4)


def test_committed_without_outputs() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    dirty = [
        i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count") is not None
    ]
    assert not dirty, (
        f"code cells {dirty} have outputs or execution counts: strip them before committing"
    )


def _text(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    return str(data.get("text/html", "")) + str(data.get("text/plain", ""))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, float, Path]:
    pytest.importorskip("matplotlib")
    pytest.importorskip("ipykernel")
    pytest.importorskip("SPARQLWrapper")
    nbclient = pytest.importorskip("nbclient")
    nb = _load()
    tmp = tmp_path_factory.mktemp("notebook")
    spec = tmp / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "stancegraph test kernel",
                "language": "python",
            }
        )
    )
    figdir = tmp / "figures"
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(tmp / "jupyter"))
    mp.setenv("STANCEGRAPH_NOTEBOOK_FIGDIR", str(figdir))
    mp.setenv("MPLBACKEND", "Agg")
    try:
        client = nbclient.NotebookClient(
            nb,
            timeout=120,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        started = time.perf_counter()
        client.execute()  # raises CellExecutionError on the first failing cell
        elapsed = time.perf_counter() - started
    finally:
        mp.undo()
    return nb, elapsed, figdir


def _tagged(nb: Any, tag: str) -> Any:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}"
    return cells[0]


def test_runs_without_errors(executed: tuple[Any, float, Path]) -> None:
    nb, elapsed, _ = executed
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert elapsed < 120, f"the notebook took {elapsed:.0f} s (aim: under 60 s)"


def test_nominations_table_has_nine_rows(executed: tuple[Any, float, Path]) -> None:
    cell = _tagged(executed[0], "nominations-table")
    html = next(o.data["text/html"] for o in cell.outputs if "text/html" in o.get("data", {}))
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 9
    for nominee in ("Canada", "China", "France", "Turkey", "Poland", "Israel", "Germany"):
        assert nominee in body
    assert "asserted" in body and "possible" in body


def test_key_findings_are_shown(executed: tuple[Any, float, Path]) -> None:
    nb = executed[0]
    text = "\n".join(_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "frustration index" in text
    assert "acceptable to all parties: none" in text
    assert "deadlocks: none" in text
    assert "stage 0:" in text
    coalitions = "\n".join(_text(o) for o in _tagged(nb, "coalitions").outputs)
    assert "Louvain coalition 1" in coalitions


def test_plots_are_images(executed: tuple[Any, float, Path]) -> None:
    nb, _, figdir = executed
    for tag in ("heatmap", "network-plot", "dependency-plot"):
        cell = _tagged(nb, tag)
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), tag
    pngs = sorted(p.name for p in figdir.glob("*.png"))
    assert pngs == ["dependency_graph.png", "signed_network.png", "stance_heatmap.png"]
    assert all((figdir / p).read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_http_section_matches_and_server_is_stopped(executed: tuple[Any, float, Path]) -> None:
    nb = executed[0]
    start = "\n".join(_text(o) for o in _tagged(nb, "server-start").outputs)
    match = re.search(r"serving at (http://127\.0\.0\.1:\d+)", start)
    assert match, start
    http = "\n".join(_text(o) for o in _tagged(nb, "http").outputs)
    assert "/api/guarantor-nominations: 9 nominations" in http
    assert "acceptable to all parties: none" in http
    assert "frustration index" in http
    assert "server stopped" in "\n".join(_text(o) for o in _tagged(nb, "server-stop").outputs)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{match.group(1)}/healthz", timeout=2)

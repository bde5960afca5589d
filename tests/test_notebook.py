"""The researcher notebook runs top to bottom, and is committed with its outputs.

``notebooks/guarantor_coalitions.ipynb`` is executed with ``notebooks/execute.py`` (nbclient
in a kernel that runs this interpreter, through a throw-away kernelspec on
``JUPYTER_PATH``). The committed copy carries the outputs of such a run, so it reads on a
code host; its text outputs must match a fresh run (regenerate with
``python notebooks/execute.py``). Skipped when the ``notebook`` extra is not installed.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [
    pytest.mark.slow,  # notebook execution
    pytest.mark.embedded_only(reason="the notebook opens its own embedded graph"),
]

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "guarantor_coalitions.ipynb"
KERNEL = "stancegraph-notebook-test"


def _load() -> Any:
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(NOTEBOOK, as_version=4)


def _execute_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("nb_execute", REPO / "notebooks" / "execute.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_with_outputs_of_one_run() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    assert [c.get("execution_count") for c in code] == list(range(1, len(code) + 1)), (
        "run it top to bottom: python notebooks/execute.py"
    )
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    for tag in ("heatmap", "network-plot", "dependency-plot", "guarantor-plot"):
        cell = next(c for c in code if tag in c["metadata"].get("tags", []))
        assert any("image/png" in o.get("data", {}) for o in cell["outputs"]), tag


def _text(output: dict[str, Any]) -> str:
    """An output's text (the JSON on disk splits strings into lists of lines)."""

    def joined(value: Any) -> str:
        return "".join(value) if isinstance(value, list) else str(value or "")

    if output.get("output_type") == "stream":
        return joined(output.get("text", ""))
    data = output.get("data", {})
    return joined(data.get("text/html", "")) + joined(data.get("text/plain", ""))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, float, Path]:
    pytest.importorskip("matplotlib")
    pytest.importorskip("ipykernel")
    pytest.importorskip("SPARQLWrapper")
    pytest.importorskip("nbclient")
    tmp = tmp_path_factory.mktemp("notebook")
    figdir = tmp / "figures"
    started = time.perf_counter()
    nb = _execute_module().execute(NOTEBOOK, env={"STANCEGRAPH_NOTEBOOK_FIGDIR": str(figdir)})
    elapsed = time.perf_counter() - started
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
    for tag in ("heatmap", "network-plot", "dependency-plot", "guarantor-plot"):
        cell = _tagged(nb, tag)
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), tag
    pngs = sorted(p.name for p in figdir.glob("*.png"))
    assert pngs == [
        "dependency_graph.png",
        "guarantor_nominations.png",
        "signed_network.png",
        "stance_heatmap.png",
    ]
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


def test_committed_outputs_are_current(executed: tuple[Any, float, Path]) -> None:
    """The text a reader sees on a code host is what the notebook prints today."""
    fresh = executed[0]
    committed = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    varying = {"server-start", "server-stop"}  # a free port, an exit code
    pairs = zip(
        [c for c in committed["cells"] if c["cell_type"] == "code"],
        [c for c in fresh.cells if c.cell_type == "code"],
        strict=True,
    )
    for old, new in pairs:
        if varying & set(old["metadata"].get("tags", [])):
            continue
        assert [_text(o) for o in old["outputs"]] == [_text(o) for o in new.outputs], "".join(
            old["source"]
        )[:80]

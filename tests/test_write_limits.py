"""What a write may bring into the server is bounded in bytes (issue #13).

A write's planning runs the engine in sandboxed workers; what they send back (a WHERE's
solutions, a computed change) and any copy of the store the planner needs are held in the
server's memory. Past the limit the write is refused with 413 ``update_too_large`` and
nothing changes.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import running_server

import stancegraph
from stancegraph.sparql import plan
from stancegraph.writes import UpdateError

TOKEN = "write-limits-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
# Every triple of the seed, five times over: a few MB of solutions.
BIG = (
    "INSERT { GRAPH <http://example.org/copy> { ?s ?p ?o } } "
    "WHERE { GRAPH ?g { ?s ?p ?o } VALUES ?k { 1 2 3 4 5 } }"
)
COUNT = {"query": "ASK { GRAPH <http://example.org/copy> { ?s ?p ?o } }"}


@pytest.mark.slow
def test_a_write_whose_solutions_are_too_large_is_a_413_and_changes_nothing(
    tmp_path: Path,
) -> None:
    env = {"STANCEGRAPH_WRITE_TOKEN": TOKEN}
    with running_server("--max-write-mb", "1", env=env, tmp=tmp_path) as server:
        r = httpx.post(f"{server.url}/sparql", content=BIG, headers=HEADERS, timeout=120)
        assert r.status_code == 413, r.text
        error = r.json()["error"]
        assert error["code"] == "update_too_large"
        assert "over the write limit" in error["message"] and "nothing changed" in error["message"]
        assert (
            httpx.get(f"{server.url}/sparql", params=COUNT, timeout=60).json()["boolean"] is False
        )
        # A write within the limit still goes through.
        small = 'INSERT DATA { GRAPH <http://example.org/copy> { <http://example.org/s> <http://example.org/p> "x" } }'
        assert (
            httpx.post(
                f"{server.url}/sparql", content=small, headers=HEADERS, timeout=60
            ).status_code
            == 200
        )


def test_a_multi_operation_update_that_needs_a_copy_of_a_large_store_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second operation's WHERE must see the first one's effect: that needs a copy of
    the store in memory, allowed only up to ``MAX_COPIED_QUADS``."""
    kg = stancegraph.open()
    monkeypatch.setattr(plan, "MAX_COPIED_QUADS", 100)
    two = (
        "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/p> 1 } } ; "
        "DELETE { GRAPH <http://example.org/g> { ?s ?p ?o } } WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }"
    )
    before = len(kg.store)
    with pytest.raises(UpdateError) as refused:
        kg.writer.update(two)
    assert refused.value.code == "update_too_large"
    assert len(kg.store) == before

"""Concurrent writers are serialised: no lost updates (issue #13).

Eight clients increment one counter with ``DELETE … INSERT … WHERE`` (read, then write)
ten times each, against a real server on an on-disk store: the counter ends at 80, which
it cannot if two writes ever planned against the same state.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from conftest import running_server

pytestmark = [
    pytest.mark.slow,  # many writers against a live server: deselected by -m "not slow"
    pytest.mark.embedded_only(reason="several writers on one local store"),
]

TOKEN = "concurrent-writes-token"
G = "http://example.org/counter-graph"
INCREMENT = (
    f"DELETE {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> ?n }} }} "
    f"INSERT {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> ?m }} }} "
    f"WHERE {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> ?n }} BIND(?n + 1 AS ?m) }}"
)


def test_concurrent_increments_lose_nothing(tmp_path) -> None:
    env = {"STANCEGRAPH_WRITE_TOKEN": TOKEN}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    with running_server(
        "--store", str(tmp_path / "store"), "--create", env=env, tmp=tmp_path
    ) as server:
        start = (
            f"INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> 0 }} }}"
        )
        assert (
            httpx.post(
                f"{server.url}/sparql", content=start, headers=headers, timeout=60
            ).status_code
            == 200
        )
        errors: list[str] = []

        def client() -> None:
            with httpx.Client(timeout=60) as c:
                for _ in range(10):
                    r = c.post(f"{server.url}/sparql", content=INCREMENT, headers=headers)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        r = httpx.get(
            f"{server.url}/sparql",
            params={"query": f"SELECT ?n WHERE {{ GRAPH <{G}> {{ ?c ?v ?n }} }}"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        values = [b["n"]["value"] for b in r.json()["results"]["bindings"]]
        assert values == ["80"]


def test_reads_with_staleness_catch_up_without_further_writes(tmp_path) -> None:
    """``--read-staleness``: queries may use the previous view for a while after a write,
    while one background refresh prepares the next; it arrives without another write."""
    env = {"STANCEGRAPH_WRITE_TOKEN": TOKEN}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    args = ("--store", str(tmp_path / "store"), "--create", "--read-staleness", "30")
    with running_server(*args, env=env, tmp=tmp_path) as server:
        ask = {"query": f"ASK {{ GRAPH <{G}> {{ ?s ?p 7 }} }}"}
        assert httpx.get(f"{server.url}/sparql", params=ask, timeout=60).json()["boolean"] is False
        insert = (
            f"INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> 7 }} }}"
        )
        assert (
            httpx.post(
                f"{server.url}/sparql", content=insert, headers=headers, timeout=60
            ).status_code
            == 200
        )
        deadline = time.monotonic() + 60
        seen = False
        while not seen and time.monotonic() < deadline:
            r = httpx.get(f"{server.url}/sparql", params=ask, timeout=60)
            assert r.status_code == 200
            seen = r.json()["boolean"]
            time.sleep(0.05)
        assert seen

"""Analytics never block a write or a read (issue #13): after a write, the last result is
served at once, marked stale with the version it reflects, and a fresh one follows."""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from conftest import app_client, wait_until
from fastapi.testclient import TestClient

import stancegraph

TOKEN = "freshness-token"
INSERT = (
    "INSERT DATA { GRAPH <https://w3id.org/stancegraph/id/graph/test-freshness> "
    "{ <http://example.org/a> <http://example.org/b> %d } }"
)


def _client() -> AbstractContextManager[TestClient]:
    return app_client(stancegraph.open(), write_token=TOKEN)


def _write(c: TestClient, n: int) -> None:
    r = c.post(
        "/sparql",
        content=(INSERT % n).encode(),
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 200, r.text


def _until_fresh(c: TestClient, path: str, version: int) -> dict:
    def fresh() -> dict | None:
        body = c.get(path).json()
        return body if not body["stale"] and body["data_version"] >= version else None

    return wait_until(fresh, timeout=120, interval=0.05, what=f"{path} becomes fresh")


@pytest.mark.parametrize("route", ["coalitions", "guarantors", "conditions", "positions", "layout"])
def test_last_result_is_served_stale_then_fresh(route: str) -> None:
    path = f"/api/analytics/{route}"
    with _client() as c:
        first = c.get(path)
        assert first.status_code == 200, first.text
        v0 = first.json()["data_version"]
        assert first.json()["stale"] is False and first.headers["X-Stancegraph-Stale"] == "false"
        _write(c, 1)
        r = c.get(path)
        body = r.json()
        assert body["stale"] is True and body["data_version"] == v0
        assert r.headers["X-Stancegraph-Stale"] == "true"
        assert r.headers["X-Stancegraph-Data-Version"] == str(v0)
        fresh = _until_fresh(c, path, v0 + 1)
        assert fresh["data_version"] > v0


def test_sparql_over_the_analytics_graph_does_not_wait_for_it() -> None:
    query = {
        "query": "ASK { GRAPH <https://w3id.org/stancegraph/id/graph/analytics> { ?s ?p ?o } }"
    }
    with _client() as c:
        assert c.get("/sparql", params=query).json()["boolean"] is True  # derived once, waited
        _write(c, 2)
        r = c.get("/sparql", params=query)
        assert r.status_code == 200
        assert r.headers.get("X-Stancegraph-Stale") == "true"  # the last derived graph
        wait_until(
            lambda: c.get("/sparql", params=query).headers.get("X-Stancegraph-Stale") is None,
            timeout=120,
            interval=0.05,
            what="the analytics graph is derived again",
        )

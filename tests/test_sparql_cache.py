"""The /sparql result cache: repeated queries skip the workers, revalidate with ETag/304,
and every write makes cached answers stale."""

from __future__ import annotations

from conftest import app_client

import stancegraph

TOKEN = "cache-test-token-0123456789"
Q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/stancegraph/id/graph/test> { ?s ?p ?o } }"
CSV = {"Accept": "text/csv"}


def test_repeat_hits_cache_etag_revalidates_and_writes_invalidate() -> None:
    with app_client(stancegraph.open(), write_token=TOKEN) as c:
        app = c.app
        first = c.get("/sparql", params={"query": Q}, headers=CSV)
        assert first.status_code == 200 and first.text.splitlines() == ["n", "0"]
        etag = first.headers["etag"]
        engine = app.state.engine
        hits = engine.cache.hits
        again = c.get("/sparql", params={"query": Q}, headers=CSV)
        assert again.text == first.text and again.headers["etag"] == etag
        assert engine.cache.hits == hits + 1
        assert (
            c.get(
                "/sparql", params={"query": Q}, headers={**CSV, "If-None-Match": etag}
            ).status_code
            == 304
        )
        # Another format is another entry, with another ETag.
        other = c.get(
            "/sparql", params={"query": Q}, headers={"Accept": "application/sparql-results+json"}
        )
        assert other.headers["etag"] != etag
        upd = c.post(
            "/sparql",
            data={
                "update": "INSERT DATA { GRAPH <https://w3id.org/stancegraph/id/graph/test> "
                '{ <https://w3id.org/stancegraph/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" } }'
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert upd.status_code in (200, 204), upd.text
        after = c.get("/sparql", params={"query": Q}, headers={**CSV, "If-None-Match": etag})
        assert after.status_code == 200 and after.text.splitlines() == ["n", "1"]
        assert after.headers["etag"] != etag


def test_nondeterministic_queries_are_not_cached() -> None:
    with app_client(stancegraph.open()) as c:
        q = "SELECT (RAND() AS ?r) WHERE {}"
        a = c.get("/sparql", params={"query": q}, headers=CSV)
        assert a.status_code == 200 and "etag" not in a.headers
        assert len(c.app.state.engine.cache) == 0

"""SPARQL 1.1 Protocol and Graph Store at the ASGI level (real worker processes, no socket).

Every media type and negotiation case, errors with positions, body cap, timeouts that kill
the worker, truncation, outbound refusal, auth, SHACL-validated atomic writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import app_client, wait_until
from fastapi.testclient import TestClient
from rdflib import Graph

import stancegraph
from stancegraph.api.http.negotiation import negotiate
from stancegraph.graph import StanceGraph
from stancegraph.sparql.screening import scan
from stancegraph.store import OxigraphStore

SG = "https://w3id.org/stancegraph/ns#"
ID = "https://w3id.org/stancegraph/id/"
TOKEN = "test-write-token-1234"
READ_TOKEN = "test-read-token-5678"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
UPDATE = {"Content-Type": "application/sparql-update"}


def small_graph() -> StanceGraph:
    kg = StanceGraph(OxigraphStore())
    kg.store.load(
        b"""<http://ex/a> <http://ex/p> "in default" .
        <http://ex/b> <http://ex/p> "in g1" <http://ex/g1> .
        <http://ex/c> <http://ex/p> "in g2" <http://ex/g2> .
        """,
        ox.RdfFormat.N_QUADS,
    )
    return kg


def _alive(pid: int) -> bool:
    """Whether the process exists at all (a zombie not yet reaped counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (killed, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return _alive(pid)  # no /proc: fall back to existence
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def values(response: Any, var: str = "o") -> list[str]:
    return sorted(b[var]["value"] for b in response.json()["results"]["bindings"] if var in b)


@pytest.fixture(scope="module")
def small() -> Iterator[TestClient]:
    with app_client(small_graph(), max_rows=2) as c:
        yield c


@pytest.fixture(scope="module")
def writer() -> Iterator[TestClient]:
    with app_client(stancegraph.open(), write_token=TOKEN, read_tokens=[READ_TOKEN]) as c:
        yield c


def dump(c: TestClient) -> bytes:
    return c.app.state.kg.export("nquads")  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- query transport


def test_get_post_form_and_post_direct_agree(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": COUNT_ALL})
    form = client.post("/sparql", data={"query": COUNT_ALL})
    direct = client.post(
        "/sparql", content=COUNT_ALL, headers={"Content-Type": "application/sparql-query"}
    )
    for r in (get, form, direct):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/sparql-results+json"
        assert r.headers["x-stancegraph-truncated"] == "false"
    n = int(get.json()["results"]["bindings"][0]["n"]["value"])
    store = client.app.state.kg.store  # type: ignore[attr-defined]
    assert n == len(store) + _bookkeeping_triples(store) and len(store) > 1000
    assert get.json() == form.json() == direct.json()


def _bookkeeping_triples(store: Any) -> int:
    """Triples of a remote store's bookkeeping graph (its data-version marker), which the
    union default graph of Oxigraph server includes (docs/remote-store.md); 0 embedded."""
    from stancegraph.store.remote import SparqlHttpStore
    from stancegraph.terms import META_GRAPH

    if not isinstance(store, SparqlHttpStore) or store.engine != "oxigraph":
        return 0
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{META_GRAPH}> {{ ?s ?p ?o }} }}"
    return int(next(iter(store.query(q, union_default_graph=False)))["n"].value)


def test_form_parameters_in_url_and_body_merge(small: TestClient) -> None:
    r = small.post(
        "/sparql?default-graph-uri=http://ex/g1",
        data={"query": "SELECT ?o WHERE { ?s ?p ?o }"},
    )
    assert values(r) == ["in g1"]


# --------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("*/*;q=0.1, text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        ("text/*", "text/csv; charset=utf-8"),
        ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
        ("text/html, application/xhtml+xml, */*;q=0.8", "application/sparql-results+json"),
    ],
)
def test_select_negotiation(client: TestClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get(
        "/sparql", params={"query": "SELECT ?x WHERE { BIND(1 AS ?x) }"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == expected
    assert "Accept" in r.headers["vary"]
    fmt = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/csv; charset=utf-8": ox.QueryResultsFormat.CSV,
        "text/tab-separated-values; charset=utf-8": ox.QueryResultsFormat.TSV,
    }[expected]
    if fmt != ox.QueryResultsFormat.CSV:
        rows = list(ox.parse_query_results(r.content, format=fmt))
        assert rows[0]["x"] == ox.Literal(
            "1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
        )
    else:
        assert r.text.splitlines() == ["x", "1"]


@pytest.mark.parametrize(
    ("accept", "media", "fmt"),
    [
        ("text/turtle", "text/turtle; charset=utf-8", ox.RdfFormat.TURTLE),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/n-quads", "application/n-quads", ox.RdfFormat.N_QUADS),
        ("application/trig", "application/trig", ox.RdfFormat.TRIG),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
        (
            "application/rdf+xml;q=0.5, text/turtle;q=0.4",
            "application/rdf+xml",
            ox.RdfFormat.RDF_XML,
        ),
        (None, "text/turtle; charset=utf-8", ox.RdfFormat.TURTLE),
    ],
)
def test_construct_formats(
    client: TestClient, accept: str | None, media: str, fmt: ox.RdfFormat
) -> None:
    q = f"PREFIX sg: <{SG}> CONSTRUCT {{ ?s a sg:Stance ; sg:holder ?h }} WHERE {{ ?s a sg:Stance ; sg:holder ?h }}"
    r = client.get("/sparql", params={"query": q}, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == media
    triples = {
        (str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(r.content, format=fmt)
    }
    stances = client.app.state.kg.select(
        f"SELECT ?s ?h WHERE {{ ?s a <{SG}Stance> ; <{SG}holder> ?h }}"
    )  # type: ignore[attr-defined]
    assert len(triples) == 2 * len(stances) > 0


def test_describe_and_ask(client: TestClient) -> None:
    stance = client.app.state.kg.select(f"SELECT ?s WHERE {{ ?s a <{SG}Stance> }} LIMIT 1")[0]["s"]  # type: ignore[attr-defined]
    r = client.get(
        "/sparql",
        params={"query": f"DESCRIBE <{stance}>"},
        headers={"Accept": "application/n-triples"},
    )
    assert r.status_code == 200 and f"<{stance}>" in r.text
    for accept, body in [
        ("application/sparql-results+json", '"boolean":true'),
        ("application/sparql-results+xml", "<boolean>true</boolean>"),
        ("text/csv", "true"),
    ]:
        r = client.get(
            "/sparql", params={"query": f"ASK {{ <{stance}> ?p ?o }}"}, headers={"Accept": accept}
        )
        assert r.status_code == 200 and body in r.text


def test_format_parameter_overrides_accept(client: TestClient) -> None:
    q = {"query": "SELECT ?x WHERE { BIND(1 AS ?x) }"}
    r = client.get(
        "/sparql",
        params={**q, "format": "csv"},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert r.headers["content-type"].startswith("text/csv")
    r = client.get("/sparql", params={**q, "format": "application/sparql-results+xml"})
    assert r.headers["content-type"] == "application/sparql-results+xml"
    r = client.get(
        "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "format": "json"}
    )
    assert r.headers["content-type"] == "application/ld+json"
    r = client.get(
        "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "format": "csv"}
    )
    assert r.status_code == 406 and r.json()["error"]["code"] == "not_acceptable"
    r = client.get("/sparql", params={**q, "format": "yaml"})
    assert r.status_code == 400 and "unknown format" in r.json()["error"]["message"]


def test_406_when_nothing_acceptable(client: TestClient) -> None:
    r = client.get(
        "/sparql",
        params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "image/png"},
    )
    assert r.status_code == 406
    assert r.json()["error"]["code"] == "not_acceptable"
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/turtle"})
    assert (
        r.status_code == 406
        and "application/sparql-results+json" in r.json()["error"]["details"][0]["available"]
    )


def test_negotiate_unit() -> None:
    offers = (("a/x", "x"), ("a/y", "y"), ("b/z", "z"))
    assert negotiate(None, offers) == "x"
    assert negotiate("a/y", offers) == "y"
    assert negotiate("a/*;q=0.5, b/z", offers) == "z"
    assert negotiate("a/*, a/x;q=0", offers) == "y"
    assert negotiate("c/d", offers) is None
    assert negotiate("garbage", offers) == "x"


# --------------------------------------------------------------------------- errors


def test_syntax_error_is_400_with_position(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(\n}"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "query_syntax"
    assert err["details"][0]["line"] == 4 and err["details"][0]["column"] >= 1
    assert "4:" in err["message"]


def test_missing_and_duplicate_query(client: TestClient) -> None:
    r = client.post("/sparql", data={"format": "json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_query"
    r = client.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D")
    assert r.status_code == 400
    r = client.post("/sparql", content="  ", headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400


def test_wrong_method_and_media_type(client: TestClient) -> None:
    r = client.put("/sparql", params={"query": "ASK {}"})
    assert r.status_code == 405 and "POST" in r.headers["allow"]
    assert r.json()["error"]["code"] == "method_not_allowed"
    r = client.get("/sparql", params={"update": "CLEAR ALL"})
    assert r.status_code == 405
    for headers in ({"Content-Type": "text/plain"}, {}):
        r = client.post("/sparql", content="ASK {}", headers=headers)
        assert r.status_code == 415, headers
        assert r.json()["error"]["code"] == "unsupported_media_type"
    r = client.post(
        "/sparql",
        content="ASK {}".encode("utf-16"),
        headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
    )
    assert r.status_code == 415


def test_body_size_cap() -> None:
    with app_client(small_graph(), max_body_bytes=2048) as c:
        big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 4000
        r = c.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the stream is counted
            for _ in range(10):
                yield b"#" + b"x" * 499

        r = c.post(
            "/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}
        )
        assert r.status_code == 413
        r = c.post(
            "/sparql", content="ASK {}", headers={"Content-Type": "application/sparql-query"}
        )
        assert r.status_code == 200


def test_evaluation_error_is_400_not_500(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?x WHERE { BIND(1 AS ?x) BIND(2 AS ?x) }"})
    assert 400 <= r.status_code < 500


# --------------------------------------------------------------------------- dataset


def test_union_separate_and_protocol_dataset() -> None:
    with app_client(small_graph()) as c:
        _check_datasets(c)
    with app_client(small_graph(), default_graph="separate") as c:
        assert values(c.get("/sparql", params={"query": "SELECT ?o WHERE { ?s ?p ?o }"})) == [
            "in default"
        ]


def _check_datasets(small: TestClient) -> None:
    q = {"query": "SELECT ?o WHERE { ?s ?p ?o }"}
    assert values(small.get("/sparql", params=q)) == ["in default", "in g1", "in g2"]
    r = small.get("/sparql", params={**q, "default-graph-uri": ["http://ex/g1", "http://ex/g2"]})
    assert values(r) == ["in g1", "in g2"]
    r = small.get(
        "/sparql",
        params={
            "query": "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": "http://ex/g2",
        },
    )
    assert values(r) == ["in g2"]
    # the query's own FROM wins over the union default
    r = small.get("/sparql", params={"query": "SELECT ?o FROM <http://ex/g1> WHERE { ?s ?p ?o }"})
    assert values(r) == ["in g1"]
    r = small.get("/sparql", params={**q, "default-graph-uri": "not an iri"})
    assert r.status_code == 400


# --------------------------------------------------------------------------- truncation


def test_truncation_signal(small: TestClient) -> None:
    q = {"query": "SELECT ?o WHERE { ?s ?p ?o }"}  # 3 rows, max_rows=2
    r = small.get("/sparql", params=q)
    assert r.headers["x-stancegraph-truncated"] == "true"
    assert r.headers["x-stancegraph-max-rows"] == "2"
    body = r.json()
    assert body["truncated"] is True and len(body["results"]["bindings"]) == 2
    r = small.get("/sparql", params=q, headers={"Accept": "text/csv"})
    assert r.headers["x-stancegraph-truncated"] == "true" and len(r.text.splitlines()) == 3
    r = small.get("/sparql", params=q, headers={"Accept": "application/sparql-results+xml"})
    assert "urn:stancegraph:truncated" in r.text and r.text.count("<result>") == 2
    r = small.get("/sparql", params={"query": "SELECT ?o WHERE { ?s ?p ?o } LIMIT 2"})
    assert r.headers["x-stancegraph-truncated"] == "false" and "truncated" not in r.json()
    r = small.get(
        "/sparql",
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
    )
    assert r.headers["x-stancegraph-truncated"] == "true" and len(r.text.splitlines()) == 2


# --------------------------------------------------------------------------- outbound


def test_service_refused_but_lookalikes_allowed(small: TestClient) -> None:
    r = small.get(
        "/sparql",
        params={"query": "SELECT * WHERE {\n SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"},
    )
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "outbound_disabled" and err["details"][0]["line"] == 2
    r = small.get(
        "/sparql",
        params={"query": "select * where { ?s ?p ?o . service silent <http://x/> { ?a ?b ?c } }"},
    )
    assert r.status_code == 403
    harmless = [
        'SELECT ?x WHERE { BIND("SERVICE <http://x/> { }" AS ?x) }',
        "SELECT ?service WHERE { BIND(1 AS ?service) } # SERVICE <http://x/> {}",
        "PREFIX service: <http://ex/> SELECT ?x WHERE { BIND(service:x AS ?x) }",
        "PREFIX ex: <http://ex/> SELECT ?x WHERE { BIND(ex:SERVICE AS ?x) }",
        "SELECT ?x WHERE { BIND(<http://ex/SERVICE> AS ?x) }",
        "SELECT ?x WHERE { BIND('''\nSERVICE <http://x/> {}\n''' AS ?x) }",
    ]
    for q in harmless:
        r = small.get("/sparql", params={"query": q})
        assert r.status_code == 200, (q, r.text)


def test_scan_unit() -> None:
    assert scan("SELECT * WHERE { ?o.SERVICE <x> {} }").outbound
    assert not scan("SELECT * WHERE { ?s <p> 'SERVICE' }").outbound
    assert scan("SELECT * FROM <g> WHERE {}").dataset
    assert not scan("SELECT * WHERE { ?s <http://from> ?from }").dataset
    info = scan("LOAD <http://x/> ; INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", update=True)
    assert [k for k, _ in info.outbound] == ["LOAD"] and len(info.where_at) == 1
    assert scan("DELETE WHERE { ?s ?p ?o }", update=True).where_at == []
    assert scan("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", update=True).using


# --------------------------------------------------------------------------- timeouts and load


@pytest.mark.embedded_only(reason="inspects the local query worker processes")
def test_timeout_kills_the_worker_and_the_next_query_works(seed: StanceGraph) -> None:
    with app_client(seed, query_timeout_s=1, workers=1) as c:
        pool = c.app.state.engine.pool  # type: ignore[attr-defined]
        seen: list[int] = []

        def watch() -> None:
            for _ in range(100):
                busy = pool.pids()["busy"]
                if busy:
                    seen.extend(busy)
                    return
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.perf_counter()
        r = c.get("/sparql", params={"query": CARTESIAN})
        elapsed = time.perf_counter() - started
        watcher.join()
        assert r.status_code == 504, r.text
        assert r.json()["error"]["code"] == "query_timeout"
        assert elapsed > 0.9  # stopped at its timeout, not before
        assert seen, "the query never reached a worker"
        wait_until(lambda: not _alive(seen[0]), what="the timed-out worker is gone")
        assert pool.stats["timeouts"] == 1
        r = c.get("/sparql", params={"query": COUNT_ALL})
        assert r.status_code == 200 and int(r.json()["results"]["bindings"][0]["n"]["value"]) > 1000


@pytest.mark.slow  # waits on query timeouts and fresh on-disk workers
@pytest.mark.embedded_only(reason="waits on the local worker pool")
def test_full_queue_is_503_with_retry_after(seed: StanceGraph) -> None:
    with app_client(seed, query_timeout_s=2, workers=1, max_queued_queries=0) as c:
        results: list[Any] = []
        slow = threading.Thread(
            target=lambda: results.append(c.get("/sparql", params={"query": CARTESIAN}))
        )
        slow.start()
        pool = c.app.state.engine.pool  # type: ignore[attr-defined]
        wait_until(lambda: pool.pids()["busy"], what="the slow query reached the worker")
        r = c.get("/sparql", params={"query": "ASK {}"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert r.json()["error"]["code"] == "busy"
        slow.join()
        assert results[0].status_code == 504
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_engine_recovers_when_the_zygote_dies(seed: StanceGraph) -> None:
    with app_client(small_graph(), workers=1) as c:
        pool = c.app.state.engine.pool  # type: ignore[attr-defined]
        pids = pool.pids()
        killed = pids["zygote"] + pids["idle"]
        for pid in killed:
            os.kill(pid, 9)
        wait_until(lambda: not any(map(_running, killed)), what="the killed workers are dead")
        r = c.get("/sparql", params={"query": "SELECT ?o WHERE { ?s ?p ?o }"})
        assert r.status_code == 200 and values(r) == ["in default", "in g1", "in g2"]


@pytest.mark.embedded_only(reason="worker processes open the on-disk store path read-only")
def test_persistent_store_workers_see_writes(tmp_path: Any) -> None:
    kg = stancegraph.open(tmp_path / "store")  # on disk: workers open it read-only
    with app_client(kg, write_token=TOKEN, workers=2) as c:
        assert c.app.state.engine._source()[0] == "path"  # type: ignore[attr-defined]
        ask = {"query": 'ASK { GRAPH <http://ex/pg> { <http://ex/s> <http://ex/p> "disk" } }'}
        first = c.get("/sparql", params=ask)
        assert first.status_code == 200, first.text  # (failed once in a full run: say why)
        assert first.json()["boolean"] is False
        r = c.post(
            "/sparql",
            content='INSERT DATA { GRAPH <http://ex/pg> { <http://ex/s> <http://ex/p> "disk" } }',
            headers={**UPDATE, **AUTH},
        )
        assert r.status_code == 200, r.text
        for _ in range(3):  # every worker, not just one, sees the write
            again = c.get("/sparql", params=ask)
            assert again.status_code == 200, again.text
            assert again.json()["boolean"] is True


# --------------------------------------------------------------------------- service description


def test_service_description(client: TestClient) -> None:
    r = client.get("/sparql")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    names = {str(o) for o in g.objects(None, _iri(sd + "name"))}
    assert names == set(client.app.state.kg.store.named_graphs())  # type: ignore[attr-defined]
    formats = {str(o) for o in g.objects(None, _iri(sd + "resultFormat"))}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert (None, _iri(sd + "feature"), _iri(sd + "UnionDefaultGraph")) in g
    assert (None, _iri(sd + "supportedLanguage"), _iri(sd + "SPARQL11Update")) not in g
    r = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert r.headers["content-type"] == "application/ld+json" and json.loads(r.text)


def _iri(value: str) -> Any:
    from rdflib import URIRef

    return URIRef(value)


# --------------------------------------------------------------------------- writes


def test_updates_are_off_without_a_token(client: TestClient) -> None:
    before = dump(client)
    r = client.post("/sparql", content="CLEAR ALL", headers={**UPDATE, **AUTH})
    assert r.status_code == 403 and r.json()["error"]["code"] == "writes_disabled"
    r = client.post("/sparql", data={"update": "CLEAR ALL"})
    assert r.status_code == 403
    r = client.put(
        "/store?graph=http://ex/g",
        content="<a:b> <a:c> <a:d> .",
        headers={"Content-Type": "text/turtle"},
    )
    assert r.status_code == 403
    assert dump(client) == before


def test_update_auth(writer: TestClient) -> None:
    before = dump(writer)
    r = writer.post("/sparql", content="CLEAR ALL", headers=UPDATE)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = writer.post(
        "/sparql", content="CLEAR ALL", headers={**UPDATE, "Authorization": "Bearer wrong"}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    r = writer.post(
        "/sparql", content="CLEAR ALL", headers={**UPDATE, "Authorization": f"Bearer {READ_TOKEN}"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    r = writer.post(
        "/sparql", content="CLEAR ALL", headers={**UPDATE, "Authorization": f"Basic {TOKEN}"}
    )
    assert r.status_code == 401
    assert dump(writer) == before
    # reads stay open
    assert writer.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def _a_stance(c: TestClient) -> str:
    rows = c.app.state.kg.select(  # type: ignore[attr-defined]
        f"SELECT ?s WHERE {{ ?s a <{SG}Stance> ; <{SG}holder> ?h "
        f"FILTER NOT EXISTS {{ ?s <{SG}condition> ?c }} }} ORDER BY ?s LIMIT 1"
    )
    return rows[0]["s"]


def test_shacl_violating_update_is_422_and_changes_nothing(writer: TestClient) -> None:
    stance = _a_stance(writer)
    before = dump(writer)
    version = writer.app.state.kg.store.version  # type: ignore[attr-defined]
    r = writer.post(
        "/sparql",
        content=f"DELETE WHERE {{ GRAPH ?g {{ <{stance}> <{SG}holder> ?h }} }}",
        headers={**UPDATE, **AUTH},
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "shacl_violation"
    assert any(f["focus"] == stance and f["path"] == f"{SG}holder" for f in err["details"])
    new = f"{ID}stance/test-invalid"
    r = writer.post(
        "/sparql",
        data={
            "update": f"INSERT DATA {{ GRAPH <{ID}graph/entities> {{ <{new}> a <{SG}Stance> }} }}"
        },
        headers=AUTH,
    )
    assert r.status_code == 422
    assert {f["focus"] for f in r.json()["error"]["details"]} == {new}
    assert dump(writer) == before  # byte for byte
    assert writer.app.state.kg.store.version == version  # type: ignore[attr-defined]


def test_valid_update_is_applied_and_visible(writer: TestClient) -> None:
    stance = _a_stance(writer)
    copy = f"{ID}stance/test-copy"
    graph = "http://example.org/test-graph"
    # SPARQL Update addresses the graph store: the stance data lives in named graphs
    update = f"INSERT {{ GRAPH <{graph}> {{ <{copy}> ?p ?o }} }} WHERE {{ GRAPH ?g {{ <{stance}> ?p ?o }} }}"
    r = writer.post("/sparql", content=update, headers={**UPDATE, **AUTH})
    assert r.status_code == 200, r.text
    assert r.json()["added"] > 3
    r = writer.get(
        "/sparql", params={"query": f"ASK {{ GRAPH <{graph}> {{ <{copy}> a <{SG}Stance> }} }}"}
    )
    assert r.json()["boolean"] is True
    sd = writer.get("/sparql").text
    assert graph in sd
    r = writer.post("/sparql", data={"update": f"DROP GRAPH <{graph}>"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["removed"] == r.json()["removed"] > 0
    assert graph not in writer.get("/sparql").text


def test_update_errors(writer: TestClient) -> None:
    r = writer.post("/sparql", content="INSERT DATA {\n <a:b> <a:c> }", headers={**UPDATE, **AUTH})
    assert r.status_code == 400 and r.json()["error"]["code"] == "update_syntax"
    assert r.json()["error"]["details"][0]["line"] == 2
    r = writer.post(
        "/sparql", content="LOAD <http://127.0.0.1:9/data.ttl>", headers={**UPDATE, **AUTH}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "outbound_disabled"
    r = writer.post(
        "/sparql?using-graph-uri=http://ex/g",
        content="WITH <http://ex/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        headers={**UPDATE, **AUTH},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "dataset_conflict"
    r = writer.post("/sparql", data={"update": "CLEAR ALL", "query": "ASK {}"}, headers=AUTH)
    assert r.status_code == 400


def test_using_graph_uri(writer: TestClient) -> None:
    src, dst = "http://example.org/using-src", "http://example.org/using-dst"
    ok = writer.post(
        "/sparql",
        content=f'INSERT DATA {{ GRAPH <{src}> {{ <http://ex/u> <http://ex/p> "u" }} }}',
        headers={**UPDATE, **AUTH},
    )
    assert ok.status_code == 200, ok.text
    r = writer.post(
        f"/sparql?using-graph-uri={src}",
        content=f"INSERT {{ GRAPH <{dst}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        headers={**UPDATE, **AUTH},
    )
    assert r.status_code == 200 and r.json()["added"] == 1
    r = writer.get(
        "/sparql", params={"query": f"SELECT ?o WHERE {{ GRAPH <{dst}> {{ ?s ?p ?o }} }}"}
    )
    assert values(r) == ["u"]
    for g in (src, dst):
        assert writer.delete(f"/store?graph={g}", headers=AUTH).status_code == 204


# --------------------------------------------------------------------------- graph store


def test_graph_store_round_trip(writer: TestClient) -> None:
    g = "http://example.org/gsp-test"
    turtle = '@prefix ex: <http://example.org/> .\nex:s ex:p "one" , "two"@en ; ex:q [ ex:r 1 ] .\n'
    assert writer.get(f"/store?graph={g}").status_code == 404
    r = writer.put(f"/store?graph={g}", content=turtle, headers={"Content-Type": "text/turtle"})
    assert r.status_code == 401
    r = writer.put(
        f"/store?graph={g}", content=turtle, headers={"Content-Type": "text/turtle", **AUTH}
    )
    assert r.status_code == 201, r.text
    got = writer.get(f"/store?graph={g}", headers={"Accept": "text/turtle"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/turtle")
    from rdflib.compare import isomorphic

    assert isomorphic(
        Graph().parse(data=got.text, format="turtle"), Graph().parse(data=turtle, format="turtle")
    )
    r = writer.post(
        f"/store?graph={g}",
        content='<http://example.org/s> <http://example.org/p> "three" .',
        headers={"Content-Type": "application/n-triples", **AUTH},
    )
    assert r.status_code == 204
    nt = writer.get(f"/store?graph={g}", headers={"Accept": "application/n-triples"}).text
    assert '"three"' in nt and '"one"' in nt
    r = writer.put(
        f"/store?graph={g}",
        content='<http://example.org/s> <http://example.org/p> "only" .',
        headers={"Content-Type": "text/turtle", **AUTH},
    )
    assert r.status_code == 204
    assert (
        '"one"'
        not in writer.get(f"/store?graph={g}", headers={"Accept": "application/n-triples"}).text
    )
    assert writer.head(f"/store?graph={g}").status_code == 200
    r = writer.put(
        f"/store?graph={g}", content="not turtle", headers={"Content-Type": "text/turtle", **AUTH}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "rdf_syntax"
    r = writer.put(f"/store?graph={g}", content="x", headers={"Content-Type": "image/png", **AUTH})
    assert r.status_code == 415
    assert writer.delete(f"/store?graph={g}", headers=AUTH).status_code == 204
    assert writer.get(f"/store?graph={g}").status_code == 404
    assert writer.delete(f"/store?graph={g}", headers=AUTH).status_code == 404
    r = writer.get("/store", headers={"Accept": "application/n-quads"})
    assert r.status_code == 200 and len(r.text.splitlines()) == len(writer.app.state.kg.store)  # type: ignore[attr-defined]


def test_graph_store_put_violating_shapes_changes_nothing(writer: TestClient) -> None:
    before = dump(writer)
    body = f"<{ID}stance/gsp-bad> a <{SG}Stance> ."
    r = writer.put(
        f"/store?graph={ID}graph/gsp-bad",
        content=body,
        headers={"Content-Type": "text/turtle", **AUTH},
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"]
    assert dump(writer) == before


def test_default_graph_via_graph_store() -> None:
    with app_client(small_graph(), write_token=TOKEN) as c:
        r = c.get("/store?default", headers={"Accept": "application/n-triples"})
        assert r.status_code == 200 and r.text.count("\n") == 1 and "in default" in r.text
        r = c.put(
            "/store?default",
            content='<http://ex/z> <http://ex/p> "z" .',
            headers={"Content-Type": "text/turtle", **AUTH},
        )
        assert r.status_code == 204
        r = c.get(
            "/sparql",
            params={"query": "SELECT ?o WHERE { ?s ?p ?o }"},
            headers={"Accept": "text/csv"},
        )
        assert sorted(row[0] for row in list(csv.reader(io.StringIO(r.text)))[1:]) == [
            "in g1",
            "in g2",
            "z",
        ]


# --------------------------------------------------------------------------- service


def test_healthz_and_cors() -> None:
    with app_client(small_graph()) as c:
        assert c.get("/healthz").json()["status"] == "ok"
        r = c.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "http://app.example"})
        assert "access-control-allow-origin" not in r.headers
    with app_client(small_graph(), cors_origins=["http://app.example"]) as c:
        r = c.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "http://app.example"})
        assert r.headers["access-control-allow-origin"] == "http://app.example"
        assert "X-Stancegraph-Truncated" in r.headers["access-control-expose-headers"]


@pytest.mark.embedded_only(reason="reopens the local workers' read-only view of an on-disk store")
def test_workers_reopen_on_disk_view_on_demand(tmp_path: Any) -> None:
    """``reload`` (used after a transient storage error) reopens the view and keeps answering."""
    kg = stancegraph.open(tmp_path / "store")
    with app_client(kg, workers=1) as c:
        pool = c.app.state.engine.pool  # type: ignore[attr-defined]
        ask = {"query": "ASK { ?s ?p ?o }"}
        assert c.get("/sparql", params=ask).json()["boolean"] is True
        before = pool.stats["reloads"]
        pool.reload()
        assert pool.stats["reloads"] == before + 1
        assert c.get("/sparql", params=ask).json()["boolean"] is True


@pytest.mark.embedded_only(reason="the workers' read-only view of an on-disk store")
def test_a_storage_error_is_a_502_that_names_it(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers read checkpoints, which no writer changes (``stancegraph.store.snapshots``): a
    storage error is not expected to pass, so it is reported, never retried away."""
    from stancegraph.api.sparql.workers import Reply

    kg = stancegraph.open(tmp_path / "store")
    with app_client(kg, workers=1) as c:
        pool = c.app.state.engine.pool  # type: ignore[attr-defined]

        async def failing_run(job: Any, timeout: float) -> Reply:
            return Reply(False, error="storage", message="IO error: No such file: 000042.sst")

        monkeypatch.setattr(pool, "run", failing_run)
        r = c.get("/sparql", params={"query": "ASK { ?s ?p ?o . FILTER(true) }"})
        assert r.status_code == 502
        assert "000042.sst" in r.json()["error"]["message"]


@pytest.mark.slow  # waits on query timeouts and fresh on-disk workers
@pytest.mark.embedded_only(reason="the workers' read-only view of an on-disk store")
def test_fresh_on_disk_stores_answer_their_first_query(tmp_path: Any) -> None:
    """The root cause of the intermittent first-query failure: workers opened the live store
    read-only while the writer flushed (undefined behaviour in pyoxigraph). They now open a
    checkpoint. Fresh stores, written and then written again while serving (as the
    background analytics do), answer every first query."""
    for i in range(8):
        kg = stancegraph.open(tmp_path / f"store-{i}")
        with app_client(kg, workers=1, write_token="t") as c:
            ask = {"query": "ASK { ?s ?p ?o }"}
            r = c.get("/sparql", params=ask)
            assert r.status_code == 200, r.text
            assert r.json()["boolean"] is True
            w = c.post(
                "/sparql",
                content=b"INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 } }",
                headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer t"},
            )
            assert w.status_code == 200, w.text
            q = {"query": "ASK { GRAPH <http://example.org/g> { ?s ?p 1 } }"}
            assert c.get("/sparql", params=q).json()["boolean"] is True
        snapshots = tmp_path / f".store-{i}.snapshots"
        assert not snapshots.exists()  # removed when the service stops

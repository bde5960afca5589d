"""``stancegraph serve --store sparql+http://…``: the HTTP service on a real remote store.

A real Oxigraph server (and Virtuoso where installed) holds the seed graph; a real
``stancegraph serve`` subprocess serves it, and its answers are compared with those of an
embedded server on the same seed. What only the remote mode has: queries reach the store
directly (a write made by another client after start-up is seen, no worker processes),
writes are validated before anything is sent, and an outage is a 503 naming the store
that ends, without a restart, when the store is back.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from conftest import Server, running_server, wait_until

from stancegraph import queries
from stancegraph.sparql.rows import to_python
from stancegraph.store.open import open_store
from stancegraph.terms import ENTITIES_GRAPH, ID

from .conftest import make_server, seed_store
from .test_remote_store import norm

pytestmark = [pytest.mark.remote, pytest.mark.slow]  # real triplestore servers

SG = "https://w3id.org/stancegraph/ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
TOKEN = "remote-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NAMED = sorted(queries.named_queries())
SOLUTION_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
    "csv": ox.QueryResultsFormat.CSV,
}


# --------------------------------------------------------------------------- helpers


def solutions(body: bytes, fmt: str, languages: bool = True) -> Counter[str]:
    """A SELECT result as a bag of rows, terms compared as values (engines differ lexically).

    ``languages=False``: language tags are left out (Virtuoso's ``GROUP_CONCAT`` drops the
    common tag of its values, Oxigraph keeps it)."""
    if fmt == "csv":  # CSV has no types: compare the text of each row
        lines = body.decode().replace("\r\n", "\n").strip().split("\n")
        return Counter([lines[0], *sorted(lines[1:])])
    parsed = ox.parse_query_results(body, format=SOLUTION_FORMATS[fmt])
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    rows = []
    for row in parsed:
        rows.append(repr([(n, _value(row[n], languages)) for n in names]))
    return Counter(rows)


def _value(term: Any, languages: bool) -> Any:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        lang = term.language.lower() if term.language and languages else None
        return ("lit", repr(norm(to_python(term))), lang)
    return str(term)


def triples(body: bytes, fmt: ox.RdfFormat) -> set[str]:
    return {str(t) for t in ox.parse(body, format=fmt)}


def sparql(
    base: str, query: str, accept: str = "application/sparql-results+json", **params: Any
) -> httpx.Response:
    return httpx.post(
        f"{base}/sparql", data={"query": query, **params}, headers={"Accept": accept}, timeout=60
    )


def remote_count(server: Any) -> tuple[int, str | None]:
    """Every triple the remote server holds (all graphs) and its data-version marker."""
    q = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    n = httpx.post(
        server.probe_url, data={"query": q}, headers={"Accept": "application/sparql-results+json"}
    )
    m = httpx.post(
        server.probe_url,
        data={"query": f"SELECT ?v WHERE {{ GRAPH ?g {{ ?g <{SG}dataVersion> ?v }} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    rows = m.json()["results"]["bindings"]
    return int(n.json()["results"]["bindings"][0]["n"]["value"]), rows[0]["v"][
        "value"
    ] if rows else None


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A server of each engine holding the seed graph (read-only for the tests using it)."""
    server = make_server(request.param, tmp_path_factory.mktemp(f"{request.param}-service"))
    server.start()
    try:
        seed_store(open_store(server.spec))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def remote_api(seeded: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(
        "--store", seeded.spec, tmp=tmp_path_factory.mktemp("remote-api")
    ) as server:
        yield server


@pytest.fixture(scope="module")
def embedded_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp=tmp_path_factory.mktemp("embedded-api")) as server:
        yield server.url


def engine_of(server: Any) -> str:
    return "virtuoso" if "/sparql" in server.spec else "oxigraph"


# --------------------------------------------------------------------------- same answers


EMPTY_ON_THE_SEED = {"position-changes"}


@pytest.mark.parametrize("name", NAMED)
def test_named_queries_match_the_embedded_server(
    remote_api: Server, embedded_api: str, seeded: Any, name: str
):
    text = queries.named_queries()[name].sparql
    formats = ["json", "xml", "tsv"] + (["csv"] if engine_of(seeded) == "oxigraph" else [])
    media = {
        "json": "application/sparql-results+json",
        "xml": "application/sparql-results+xml",
        "tsv": "text/tab-separated-values",
        "csv": "text/csv",
    }
    for fmt in formats:
        got, want = sparql(remote_api.url, text, media[fmt]), sparql(embedded_api, text, media[fmt])
        assert got.status_code == want.status_code == 200, got.text
        assert got.headers["content-type"] == want.headers["content-type"]
        assert got.headers["x-stancegraph-truncated"] == "false"
        assert got.headers["x-stancegraph-rows"] == want.headers["x-stancegraph-rows"]
        oxigraph = engine_of(seeded) == "oxigraph"
        assert solutions(got.content, fmt, oxigraph) == solutions(want.content, fmt, oxigraph), fmt
    # (the seed is one report: it records no position change, so that query is empty)
    assert int(want.headers["x-stancegraph-rows"]) > 0 or name in EMPTY_ON_THE_SEED


def test_graph_results_ask_and_datasets_match(remote_api: Server, embedded_api: str):
    construct = (
        f"PREFIX sg: <{SG}> PREFIX rdfs: <{RDFS}> "
        "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a sg:StateActor ; rdfs:label ?l }"
    )
    for accept, fmt in (
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ):
        got, want = (
            sparql(remote_api.url, construct, accept),
            sparql(embedded_api, construct, accept),
        )
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == want.headers["content-type"]
        assert triples(got.content, fmt) == triples(want.content, fmt)
        assert triples(want.content, fmt)
    for ask, expected in (
        (f"ASK {{ ?s a <{SG}StateActor> }}", True),
        ("ASK { ?s <urn:x:none> ?o }", False),
    ):
        r = sparql(remote_api.url, ask)
        assert r.status_code == 200 and r.json()["boolean"] is expected
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    cases = [
        ({"default-graph-uri": ENTITIES_GRAPH}, count),
        ({}, f"SELECT (COUNT(*) AS ?n) FROM <{ENTITIES_GRAPH}> WHERE {{ ?s ?p ?o }}"),
        (
            {"named-graph-uri": ENTITIES_GRAPH},
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        ),
    ]
    for params, query in cases:
        got, want = sparql(remote_api.url, query, **params), sparql(embedded_api, query, **params)
        assert got.status_code == want.status_code == 200, got.text
        assert solutions(got.content, "json") == solutions(want.content, "json"), params


def test_protocol_errors_match(remote_api: Server, embedded_api: str):
    for query, status, code in (
        ("SELECT * WHERE { ?s ?p }", 400, "query_syntax"),
        (
            "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
            403,
            "outbound_disabled",
        ),
    ):
        got, want = sparql(remote_api.url, query), sparql(embedded_api, query)
        assert got.status_code == want.status_code == status
        assert got.json()["error"]["code"] == code
        assert got.json()["error"]["details"] == want.json()["error"]["details"]
    r = httpx.post(f"{remote_api.url}/sparql", data={"update": "CLEAR ALL"})
    assert r.status_code == 403  # writes are off without a token, as in embedded mode
    sd = httpx.get(f"{remote_api.url}/sparql", headers={"Accept": "application/n-triples"})
    assert sd.status_code == 200
    names = {t.object for t in ox.parse(sd.content, format=ox.RdfFormat.N_TRIPLES)}
    assert ox.NamedNode(ENTITIES_GRAPH) in names  # the service description lists the graphs


def test_no_query_workers_holding_data(remote_api: Server, embedded_api: str):
    """A remote store is queried directly: no query workers copy its data. The only
    children are the sandboxed scratch pool that parses client text (a zygote and at most
    one worker, holding no data)."""
    assert sparql(remote_api.url, "ASK {}").status_code == 200
    kids = children(remote_api.process.pid)
    assert len(kids) <= 2, kids


def test_max_rows_truncation(seeded: Any, serve: Any):
    server = serve("--store", seeded.spec, "--max-rows", "5")
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    r = sparql(server.url, query)
    assert r.status_code == 200
    assert r.headers["x-stancegraph-truncated"] == "true"
    assert r.headers["x-stancegraph-rows"] == r.headers["x-stancegraph-max-rows"] == "5"
    assert r.json()["truncated"] is True and len(r.json()["results"]["bindings"]) == 5
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ENTITIES_GRAPH}> {{ ?s ?p ?o }} }}"
    g = sparql(server.url, construct, "application/n-triples")
    assert (
        g.headers["x-stancegraph-truncated"] == "true"
        and len(triples(g.content, ox.RdfFormat.N_TRIPLES)) == 5
    )
    small = sparql(server.url, f"SELECT ?l WHERE {{ <{ID}actor/russia> <{RDFS}label> ?l }}")
    assert small.headers["x-stancegraph-truncated"] == "false"


def test_row_cap_of_the_server_is_never_silent(seeded: Any, embedded_api: str, remote_api: Server):
    """Virtuoso caps results (1000 rows here): a SELECT is paged past the cap, a query
    that cannot be paged is a clear 502, never a short answer."""
    if engine_of(seeded) != "virtuoso":
        pytest.skip("only Virtuoso has a row cap")
    query = (  # blank nodes are skolem IRIs in a remote store: left out
        "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o) "
        "&& !CONTAINS(STR(?s), '/genid/') && !CONTAINS(STR(?o), '/genid/')) }"
    )
    got, want = sparql(remote_api.url, query), sparql(embedded_api, query)
    assert int(want.headers["x-stancegraph-rows"]) > 1000  # above the server's cap
    assert got.headers["x-stancegraph-rows"] == want.headers["x-stancegraph-rows"]
    assert solutions(got.content, "json") == solutions(want.content, "json")
    for capped in (
        sparql(remote_api.url, query + " LIMIT 5000"),
        sparql(remote_api.url, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples"),
    ):
        assert capped.status_code == 502
        assert capped.json()["error"]["code"] == "remote_result_truncated"


# --------------------------------------------------------------------------- fresh data, writes, outages


@pytest.fixture
def oxigraph(fresh: Any) -> Any:
    server = fresh("oxigraph")
    seed_store(open_store(server.spec))
    return server


@pytest.fixture(params=["oxigraph", "virtuoso"])
def writable(request: pytest.FixtureRequest, fresh: Any) -> Any:
    server = fresh(request.param)
    seed_store(open_store(server.spec))
    return server


def test_writes_by_others_are_seen_and_invalid_writes_rejected(writable: Any, serve: Any):
    server = serve("--store", writable.spec, env={"STANCEGRAPH_WRITE_TOKEN": TOKEN})
    slug = f"atlantis-{uuid.uuid4().hex[:8]}"
    actor = f"{ID}actor/{slug}"
    query = f"SELECT ?l WHERE {{ <{actor}> <{RDFS}label> ?l }}"
    assert sparql(server.url, query).json()["results"]["bindings"] == []  # now cached: empty
    assert slug not in {a["id"] for a in httpx.get(f"{server.url}/api/actors").json()["items"]}

    # Another client writes to the remote store after stancegraph started.
    other = open_store(writable.spec)
    other.update(
        f'INSERT DATA {{ GRAPH <{ENTITIES_GRAPH}> {{ <{actor}> a <{SG}StateActor> ; <{RDFS}label> "Atlantis"@en }} }}'
    )
    rows = _eventually(lambda: sparql(server.url, query).json()["results"]["bindings"])
    assert [r["l"]["value"] for r in rows] == ["Atlantis"]
    actors = _eventually(
        lambda: [
            a for a in httpx.get(f"{server.url}/api/actors").json()["items"] if a["id"] == slug
        ]
    )
    assert actors[0]["label"] == "Atlantis"

    # A valid write through stancegraph reaches the remote store.
    label = f'<{actor}> <{RDFS}label> "Atlantis (renamed)"@en'
    r = httpx.post(
        f"{server.url}/sparql",
        data={
            "update": f'DELETE DATA {{ GRAPH <{ENTITIES_GRAPH}> {{ <{actor}> <{RDFS}label> "Atlantis"@en }} }} ; '
            f"INSERT DATA {{ GRAPH <{ENTITIES_GRAPH}> {{ {label} }} }}"
        },
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1 and r.json()["removed"] == 1
    assert [
        row["l"]["value"] for row in sparql(server.url, query).json()["results"]["bindings"]
    ] == ["Atlantis (renamed)"]
    labels = other.query(f"SELECT ?l WHERE {{ <{actor}> <{RDFS}label> ?l }}")
    assert [row["l"].value for row in labels] == ["Atlantis (renamed)"]
    graph = f"{ID}graph/remote-good"
    comment = f'<{actor}> <{RDFS}comment> "added through the Graph Store" .'
    r = httpx.put(
        f"{server.url}/store",
        params={"graph": graph},
        content=comment,
        headers={"Content-Type": "text/turtle", **AUTH},
    )
    assert r.status_code == 201, r.text
    got = httpx.get(
        f"{server.url}/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}
    )
    assert triples(got.content, ox.RdfFormat.N_TRIPLES) == {comment[:-2]}
    # ``other`` trusts its data-version marker for version_ttl_s: read it now, not in a second.
    other.refresh_version()
    assert graph in other.named_graphs()

    # Invalid writes (SPARQL Update, Graph Store) are refused and nothing reaches the store.
    before = remote_count(writable)
    bad = f"{ID}stance/remote-invalid"
    r = httpx.post(
        f"{server.url}/sparql",
        data={"update": f"INSERT DATA {{ GRAPH <{ENTITIES_GRAPH}> {{ <{bad}> a <{SG}Stance> }} }}"},
        headers=AUTH,
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "shacl_violation"
    assert {f["focus"] for f in r.json()["error"]["details"]} == {bad}
    r = httpx.put(
        f"{server.url}/store",
        params={"graph": f"{ID}graph/remote-bad"},
        content=f"<{bad}> a <{SG}Stance> .",
        headers={"Content-Type": "text/turtle", **AUTH},
    )
    assert r.status_code == 422, r.text
    assert remote_count(writable) == before


def test_store_down_is_503_and_recovers(oxigraph: Any, serve: Any):
    server = serve("--store", oxigraph.spec)
    assert httpx.get(f"{server.url}/api/actors").status_code == 200
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"

    oxigraph.stop()
    r = sparql(server.url, f"ASK {{ <urn:x:{uuid.uuid4().hex}> ?p ?o }}")
    _assert_unavailable(r, oxigraph)
    _assert_unavailable(httpx.get(f"{server.url}/api/actors"), oxigraph)  # also a cached route
    _assert_unavailable(httpx.get(f"{server.url}/api/analytics/coalitions"), oxigraph)
    health = httpx.get(f"{server.url}/healthz")
    assert health.status_code == 503 and health.headers["retry-after"]
    assert health.json()["status"] == "unavailable"
    assert f"127.0.0.1:{oxigraph.port}" in health.json()["store"]["error"]

    oxigraph.start()  # same port, same directory
    assert sparql(server.url, "ASK { ?s ?p ?o }").json()["boolean"] is True
    assert httpx.get(f"{server.url}/api/actors").status_code == 200
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert server.process.poll() is None  # no restart


def _assert_unavailable(r: httpx.Response, store: Any) -> None:
    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) > 0
    err = r.json()["error"]
    assert err["code"] == "store_unavailable"
    assert f"remote store http://127.0.0.1:{store.port}/query" in err["message"]


def _eventually(probe: Any) -> Any:
    """The first truthy result of ``probe`` (another writer's change is seen within the
    store's version TTL, 1 s by default); polls with a generous deadline."""
    return wait_until(probe, timeout=60, interval=0.05)

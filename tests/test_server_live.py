"""Against a real ``stancegraph serve`` (uvicorn on 127.0.0.1, subprocess): standard clients.

SPARQLWrapper (JSON, XML, CSV), rdflib's SPARQLStore and SPARQLUpdateStore (token in the
headers), httpx; start-up time; a runaway query stopped while the server keeps answering.
"""

from __future__ import annotations

import contextlib
import csv
import io
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from conftest import wait_until
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore

SG = "https://w3id.org/stancegraph/ns#"
STANCES = f"SELECT ?s ?h WHERE {{ ?s a <{SG}Stance> ; <{SG}holder> ?h }} ORDER BY ?s"
TOKEN = "live-test-token-0123456789"


@pytest.mark.slow  # start-up of a real server, printed for the record
def test_startup_answers_first_request(serve) -> None:
    """Start-up time is printed, not asserted: benchmarks/startup.py measures it."""
    server = serve()
    started = time.perf_counter()
    r = httpx.get(f"{server.url}/sparql", params={"query": "ASK {}"})
    first_answer = server.startup_s + (time.perf_counter() - started)
    assert r.status_code == 200
    print(f"\nstartup to first answer: {first_answer:.2f} s")
    out = server.output()
    assert f"{server.url}/sparql" in out


@pytest.mark.slow  # real servers
def test_sparqlwrapper_formats(live_server: str) -> None:
    from SPARQLWrapper import CSV, JSON, XML, SPARQLWrapper

    endpoint = f"{live_server}/sparql"
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(STANCES)
    sw.setReturnFormat(JSON)
    rows = sw.query().convert()["results"]["bindings"]
    assert len(rows) > 10 and all(
        r["s"]["value"].startswith("https://w3id.org/stancegraph/id/stance/") for r in rows
    )
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    assert len(doc.getElementsByTagName("result")) == len(rows)
    sw.setReturnFormat(CSV)
    table = list(csv.reader(io.StringIO(sw.query().convert().decode())))
    assert table[0] == ["s", "h"] and len(table) == len(rows) + 1
    sw.setMethod("POST")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["results"]["bindings"] == rows


@pytest.mark.slow  # real servers
def test_rdflib_sparqlstore(live_server: str) -> None:
    g = Graph(store=SPARQLStore(f"{live_server}/sparql"))
    rows = list(g.query(STANCES))
    assert len(rows) > 10 and isinstance(rows[0][0], URIRef)
    assert g.query(f"ASK {{ ?s a <{SG}Stance> }}").askAnswer is True


def test_httpx_and_service_description(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as c:
        r = c.get("/sparql", headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and "sd:Service" in r.text
        r = c.post(
            "/sparql", data={"query": STANCES}, headers={"Accept": "text/tab-separated-values"}
        )
        assert r.status_code == 200 and r.text.startswith("?s\t?h")
        r = c.get("/sparql", params={"query": "SELECT * WHERE {"})
        assert r.status_code == 400 and r.json()["error"]["details"][0]["line"] == 1
        r = c.post(
            "/sparql", content="CLEAR ALL", headers={"Content-Type": "application/sparql-update"}
        )
        assert r.status_code == 403
        assert (
            c.get(
                "/store", params={"graph": "https://w3id.org/stancegraph/id/graph/entities"}
            ).status_code
            == 200
        )


@pytest.mark.slow  # real servers
def test_sparql_update_store_with_token(serve) -> None:
    server = serve(env={"STANCEGRAPH_WRITE_TOKEN": TOKEN})
    assert TOKEN not in server.output()
    store = SPARQLUpdateStore(
        f"{server.url}/sparql", f"{server.url}/sparql", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    g = Graph(store=store, identifier=URIRef("http://example.org/live-graph"))
    g.add((URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("live")))
    r = httpx.get(
        f"{server.url}/sparql",
        params={"query": 'ASK { GRAPH <http://example.org/live-graph> { ?s ?p "live" } }'},
    )
    assert r.json()["boolean"] is True
    bad = SPARQLUpdateStore(
        f"{server.url}/sparql", f"{server.url}/sparql", headers={"Authorization": "Bearer nope"}
    )
    with pytest.raises(Exception, match="401"):
        Graph(store=bad, identifier=URIRef("http://example.org/other")).update(
            'INSERT DATA { <http://example.org/x> <http://example.org/p> "x" }'
        )
    assert TOKEN not in server.output()


def _cpu_growth() -> Callable[[], float]:
    """CPU seconds this test's child processes (servers, their workers, a remote store)
    have used since the call: a sign that a started query is being evaluated."""
    psutil = pytest.importorskip("psutil")

    def cpu() -> dict[int, float]:
        seen = {}
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                seen[child.pid] = times.user + times.system
        return seen

    start = cpu()
    return lambda: sum(t - start.get(pid, 0.0) for pid, t in cpu().items())


@pytest.mark.slow  # real servers
def test_runaway_query_is_stopped_and_server_stays_responsive(serve) -> None:
    server = serve("--timeout", "1.5", "--workers", "2")
    cartesian = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    result: list[httpx.Response] = []
    t = threading.Thread(
        target=lambda: result.append(
            httpx.get(f"{server.url}/sparql", params={"query": cartesian}, timeout=30)
        )
    )
    busy = _cpu_growth()
    t.start()
    wait_until(lambda: busy() > 0.1, what="the runaway query is being evaluated")
    quick = httpx.get(f"{server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert quick.status_code == 200
    assert not result, "the quick query was answered only after the runaway one"
    t.join()
    assert result[0].status_code == 504 and result[0].json()["error"]["code"] == "query_timeout"
    assert httpx.get(f"{server.url}/sparql", params={"query": "ASK {}"}).status_code == 200

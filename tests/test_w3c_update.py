"""W3C SPARQL 1.1 Update evaluation tests through the validated write path.

Each case runs twice: through the library (``stancegraph.writes.Writer`` on an embedded
store) and through the HTTP service (``POST /sparql`` with the write token, on a real
uvicorn-free TestClient app over the same write path). The store after the update must be
isomorphic, graph by graph, to the manifest's expected data. Skipped when ``../shared``
is absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pyoxigraph as ox
import pytest
from conftest import shared_dir
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from stancegraph.api import create_app
from stancegraph.api.settings import Settings
from stancegraph.formats import format_for_path
from stancegraph.graph import StanceGraph
from stancegraph.store import OxigraphStore
from stancegraph.writes import UpdateError, Writer

SHARED = shared_dir()
W3C = SHARED / "conformance" / "w3c-sparql11" if SHARED else None
pytestmark = [
    pytest.mark.slow,  # W3C conformance: deselected by -m "not slow"
    pytest.mark.skipif(
        W3C is None or not W3C.is_dir(),
        reason="W3C test data not found (../shared/conformance/w3c-sparql11)",
    ),
    pytest.mark.embedded_only(reason="loads each case's data into its own embedded store"),
]

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
TOKEN = "w3c-update-token"
DIRS = [
    "add", "basic-update", "clear", "copy", "delete-data", "delete-insert", "delete-where",
    "delete", "drop", "move", "update-silent",
]  # fmt: skip


@dataclass
class Case:
    id: str
    request: Path
    data: Path | None
    graph_data: list[tuple[str, Path]]
    success: bool
    result_data: Path | None
    result_graphs: list[tuple[str, Path]]


def _graphs(g: Graph, node: object) -> tuple[Path | None, list[tuple[str, Path]]]:
    data = g.value(node, UT.data)
    named = []
    for gd in g.objects(node, UT.graphData):
        named.append((str(g.value(gd, RDFS_LABEL)), Path(str(g.value(gd, UT.graph))[7:])))
    return (Path(str(data)[7:]) if data else None), named


def cases() -> list[Case]:
    if W3C is None or not W3C.is_dir():
        return []
    out: list[Case] = []
    for d in DIRS:
        manifest = W3C / d / "manifest.ttl"
        g = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
        head = next(iter(g.subjects(RDF.type, MF.Manifest)))
        for entry in Collection(g, g.value(head, MF.entries)):
            if (entry, RDF.type, MF.UpdateEvaluationTest) not in g:
                continue
            action, result = g.value(entry, MF.action), g.value(entry, MF.result)
            data, graph_data = _graphs(g, action)
            rdata, rgraphs = _graphs(g, result)
            out.append(
                Case(
                    f"{d}/{str(entry).rsplit('#', 1)[-1]}",
                    Path(str(g.value(action, UT.request))[7:]),
                    data,
                    graph_data,
                    g.value(result, UT.result) != UT.failure,
                    rdata,
                    rgraphs,
                )
            )
    return out


def _load(store: ox.Store, path: Path, graph: str | None) -> None:
    kwargs = {"to_graph": ox.NamedNode(graph)} if graph else {"to_graph": ox.DefaultGraph()}
    store.load(path=str(path), format=format_for_path(path), base_iri=path.as_uri(), **kwargs)


def _as_rdflib(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph) -> Graph:
    g = Graph()
    nt = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    if nt:
        g.parse(data=nt.decode(), format="nt")
    return g


def _expected(case: Case) -> dict[str, Graph]:
    want: dict[str, Graph] = {"": Graph()}
    if case.result_data:
        want[""] = Graph().parse(
            case.result_data, format="turtle", publicID=case.result_data.as_uri()
        )
    for name, path in case.result_graphs:
        want[name] = Graph().parse(path, format="turtle", publicID=path.as_uri())
    return want


def _check(case: Case, store: ox.Store) -> None:
    want = _expected(case)
    got_named = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    for name in sorted(got_named | set(want)):
        got = _as_rdflib(store, ox.NamedNode(name) if name else ox.DefaultGraph())
        expected = want.get(name, Graph())
        assert isomorphic(got, expected), (
            f"{case.id}: graph {name or 'DEFAULT'} differs:\n"
            f"got:\n{got.serialize(format='nt')}\nwant:\n{expected.serialize(format='nt')}"
        )


def _store(case: Case) -> OxigraphStore:
    store = OxigraphStore()
    if case.data:
        _load(store.raw, case.data, None)
    for name, path in case.graph_data:
        _load(store.raw, path, name)
    return store


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_update_through_the_library(case: Case) -> None:
    store = _store(case)
    # LOAD cases name unreachable documents; outbound requests are refused by default
    # (tested in test_update_refuses_load_by_default), so these run with them allowed.
    writer = Writer(store, allow_outbound="load" in case.id)
    text = case.request.read_text()
    if not case.success:
        with pytest.raises(UpdateError):
            writer.update(text, base_iri=case.request.as_uri())
        return
    writer.update(text, base_iri=case.request.as_uri())
    _check(case, store.raw)


def test_update_refuses_load_by_default() -> None:
    with pytest.raises(UpdateError) as err:
        Writer(OxigraphStore()).update("LOAD SILENT <http://127.0.0.1:9/doc.ttl>")
    assert err.value.code == "outbound_disabled"


def _http_settings(**values: object) -> Settings:
    with mock.patch.dict("os.environ", {}, clear=True):
        return Settings(write_token=TOKEN, workers=1, default_graph="separate", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_update_through_the_endpoint(case: Case) -> None:
    """The same cases as ``POST /sparql`` (application/sparql-update) with the write token:
    the engine parses and evaluates them in sandboxed workers."""
    store = _store(case)
    outbound = "load" in case.id
    app = create_app(StanceGraph(store), _http_settings(allow_outbound=outbound))
    with TestClient(app) as client:
        r = client.post(
            "/sparql",
            content=f"BASE <{case.request.as_uri()}>\n{case.request.read_text()}".encode(),
            headers={
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {TOKEN}",
            },
        )
    if not case.success:
        assert r.status_code == 400, r.text
        return
    assert r.status_code == 200, r.text
    _check(case, store.raw)


def test_a_random_where_is_evaluated_once_and_committed_as_validated() -> None:
    """Issue #12's bypass: a WHERE with RAND() binds a stance IRI half of the time. Before,
    the update ran again at commit and RAND() came out differently, so unvalidated stances
    were committed. Now the change computed once is the change validated and committed:
    every acknowledged write conforms, and the rejected ones change nothing."""
    kg = StanceGraph(OxigraphStore())
    app = create_app(kg, _http_settings())
    update = (
        "PREFIX sg: <https://w3id.org/stancegraph/ns#>\n"
        'INSERT { GRAPH <http://example.org/r> { _:b <http://example.org/p> "x" . '
        "?bad a sg:Stance } } WHERE { BIND(IF(RAND() < 0.5, <http://example.org/bad-{n}>, ?u) AS ?bad) }"
    )
    accepted = rejected = 0
    with TestClient(app) as client:
        for n in range(20):
            before = len(kg.store)
            r = client.post(
                "/sparql",
                content=update.replace("{n}", str(n)).encode(),
                headers={
                    "Content-Type": "application/sparql-update",
                    "Authorization": f"Bearer {TOKEN}",
                },
            )
            if r.status_code == 200:
                accepted += 1
            else:
                assert r.status_code == 422, r.text
                assert len(kg.store) == before
                rejected += 1
    stances = list(
        kg.store.raw.quads_for_pattern(
            None,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("https://w3id.org/stancegraph/ns#Stance"),
        )
    )
    assert stances == []  # no stance without holder and evidence was ever committed
    assert accepted + rejected == 20

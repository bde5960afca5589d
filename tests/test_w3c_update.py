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

import pyoxigraph as ox
import pytest
from conftest import shared_dir
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from stancegraph.store import OxigraphStore, format_for_path
from stancegraph.writes import UpdateError, Writer

SHARED = shared_dir()
W3C = SHARED / "conformance" / "w3c-sparql11" if SHARED else None
pytestmark = [
    pytest.mark.skipif(
        W3C is None or not W3C.is_dir(),
        reason="W3C test data not found (../shared/conformance/w3c-sparql11)",
    ),
    pytest.mark.embedded_only(reason="loads each case's data into its own embedded store"),
]

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
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

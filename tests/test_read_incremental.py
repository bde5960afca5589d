"""The read model follows writes incrementally, and the result equals a full rebuild.

After each validated write (through the library's Writer), the stance table behind
``/api/stances`` is updated from the changes the Writers logged (only the stances and
labels they touch are read again); it must equal a table built from scratch.
"""

from __future__ import annotations

import importlib
from typing import Any

import pyoxigraph as ox
import pytest

import stancegraph
from stancegraph.read.base import last_version

# The module (``stancegraph.read.stances`` is also the name of a function there).
st = importlib.import_module("stancegraph.read.stances")

pytestmark = pytest.mark.embedded_only(reason="compares against the embedded store's rebuild")

SG = "https://w3id.org/stancegraph/ns#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def _snapshot(table: Any) -> tuple[Any, ...]:
    rows = [
        tuple(getattr(r, f) for f in r.__slots__)
        for r in table.rows  # every field, in order
    ]
    index = {f: {v: list(keys) for v, keys in values.items()} for f, values in table.index.items()}
    return rows, dict(table.labels), list(table.keys), sorted(table.by_iri), index


def _stances(kg: Any) -> list[ox.NamedNode]:
    return sorted(
        (
            q.subject
            for q in kg.store.raw.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(SG + "Stance"))
        ),
        key=str,
    )


def _data(quads: list[ox.Quad], op: str) -> str:
    body = " ".join(
        f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in quads
    )
    return f"{op} {{ {body} }}"


def test_the_stance_table_follows_writes_and_equals_a_rebuild() -> None:
    kg = stancegraph.open()
    writer = kg.writer
    built = st.stance_table(kg)  # the first table: a full build
    first, second = _stances(kg)[:2]
    steps: list[tuple[str, str]] = []
    # 1. a new stance: a copy of the first one under a new IRI
    copy = [
        ox.Quad(
            ox.NamedNode("http://example.org/incremental-copy"), q.predicate, q.object, q.graph_name
        )
        for q in kg.store.raw.quads_for_pattern(first, None, None)
    ]
    steps.append(("a new stance", _data(copy, "INSERT DATA")))
    # 2. a stance's polarity changes
    pol = next(kg.store.raw.quads_for_pattern(second, ox.NamedNode(SG + "polarity"), None))
    other = ox.NamedNode(
        "https://w3id.org/stancegraph/vocab/polarity/"
        + ("oppose" if pol.object.value.endswith("/support") else "support")
    )
    steps.append(
        (
            "a polarity",
            _data([pol], "DELETE DATA")
            + " ; "
            + _data([ox.Quad(pol.subject, pol.predicate, other, pol.graph_name)], "INSERT DATA"),
        )
    )
    # 3. a holder's label changes (every stance it holds shows the new label)
    holder = next(kg.store.raw.quads_for_pattern(first, ox.NamedNode(SG + "holder"), None)).object
    label = next(
        q
        for q in kg.store.raw.quads_for_pattern(holder, LABEL, None)
        if isinstance(q.object, ox.Literal) and q.object.language == "en"
    )
    renamed = ox.Quad(
        holder, LABEL, ox.Literal("Renamed for the test", language="en"), label.graph_name
    )
    steps.append(
        ("a label", _data([label], "DELETE DATA") + " ; " + _data([renamed], "INSERT DATA"))
    )
    # 4. the copy goes away again
    steps.append(("a stance deleted", _data(copy, "DELETE DATA")))
    for what, update in steps:
        writer.update(update)
        incremental = st.stance_table(kg)
        assert incremental is not built, what
        assert _snapshot(incremental) == _snapshot(st._build_stance_table(kg)), what
        built = incremental
    assert last_version(kg, "stances") == kg.store.version


def test_changes_the_log_cannot_account_for_rebuild_the_table() -> None:
    """A write that did not go through a Writer (``store.update`` directly) leaves a gap in
    the log: the table is built again, and is still right."""
    kg = stancegraph.open()
    st.stance_table(kg)
    stance = _stances(kg)[0]
    kg.store.update(f"DELETE WHERE {{ GRAPH ?g {{ {stance} ?p ?o }} }}")
    table = st.stance_table(kg)
    assert table.get(stance.value) is None
    assert _snapshot(table) == _snapshot(st._build_stance_table(kg))


# --------------------------------------------------------------------------- search index

search = importlib.import_module("stancegraph.read.search")
ORG_MEMBER = ox.NamedNode("http://www.w3.org/ns/org#member")
QUERIES = [
    "arakhamia",
    "negotiator",
    "rule out",
    "risk",
    "renamed",
    "copy",
    "kyiv",
    "guarant",
    "zelen",
]


def _index_state(index: Any) -> tuple[Any, ...]:
    docs = sorted((d.iri, d.kind, d.label, tuple(d.fields)) for d in index.docs if d is not None)
    hits = [
        (q, n, [h.as_dict() for h in found])
        for q in QUERIES
        for n, found in [index.search(q, limit=50)]
    ]
    return docs, hits


def _one(kg: Any, sparql: str) -> dict[str, Any]:
    return kg.query(
        "PREFIX org: <http://www.w3.org/ns/org#> PREFIX oa: <http://www.w3.org/ns/oa#> " + sparql
    ).rows[0]


def test_the_search_index_follows_writes_and_equals_a_rebuild(monkeypatch: Any) -> None:
    """Labels, a quote at the end of an evidence chain, a membership's label (its member's
    role) and a new and removed resource: after each write the index is derived from the
    last one (no rebuild), and finds exactly what a rebuilt index finds."""
    kg = stancegraph.open()
    writer = kg.writer
    search.index_for(kg)  # the first index: a full build
    builds: list[int] = []
    build = search._build
    monkeypatch.setattr(search, "_build", lambda g: builds.append(1) or build(g))
    quote = _one(
        kg,
        "SELECT ?sel ?q ?g WHERE { ?st sg:hasEvidence/oa:hasTarget/oa:hasSelector ?sel . GRAPH ?g { ?sel oa:exact ?q } } ORDER BY ?sel LIMIT 1",
    )
    role = _one(
        kg,
        "SELECT ?m ?x ?l ?g WHERE { GRAPH ?g { ?m org:member ?x ; rdfs:label ?l } } ORDER BY ?m LIMIT 1",
    )
    sel, m, x = (ox.NamedNode(quote["sel"]), ox.NamedNode(role["m"]), ox.NamedNode(role["x"]))
    qg, rg = ox.NamedNode(quote["g"]), ox.NamedNode(role["g"])
    exact = ox.NamedNode("http://www.w3.org/ns/oa#exact")
    new_actor = ox.NamedNode("http://example.org/incremental-actor")
    actor_quads = [
        ox.Quad(new_actor, RDF_TYPE, ox.NamedNode(SG + "Person"), rg),
        ox.Quad(new_actor, LABEL, ox.Literal("Copy Arakhamia", language="en"), rg),
    ]
    steps = [
        (
            "a quote",
            _data([ox.Quad(sel, exact, ox.Literal(quote["q"]), qg)], "DELETE DATA")
            + " ; "
            + _data(
                [ox.Quad(sel, exact, ox.Literal("A renamed risk we cannot rule out"), qg)],
                "INSERT DATA",
            ),
        ),
        (
            "a role",
            _data([ox.Quad(m, LABEL, ox.Literal(role["l"], language="en"), rg)], "DELETE DATA")
            + " ; "
            + _data(
                [ox.Quad(m, LABEL, ox.Literal("Renamed negotiator", language="en"), rg)],
                "INSERT DATA",
            ),
        ),
        ("a membership ends", _data([ox.Quad(m, ORG_MEMBER, x, rg)], "DELETE DATA")),
        ("a new actor", _data(actor_quads, "INSERT DATA")),
        ("the actor goes", _data(actor_quads, "DELETE DATA")),
    ]
    for what, update in steps:
        before = search.index_for(kg)
        writer.update(update)
        incremental = search.index_for(kg)
        assert incremental is not before, what
        assert _index_state(incremental) == _index_state(
            search.SearchIndex(search.search_documents(kg))
        ), what
    assert builds == []  # every step was derived, none rebuilt
    assert any(
        h.iri == sel.value.split("/evidence/")[0]
        for h in search.index_for(kg).search("renamed risk")[1]
    )


def test_the_search_index_compacts_its_holes() -> None:
    docs = [
        search.SearchDocument(
            "actor", f"urn:x:{i}", f"Actor {i}", [("label", f"Actor {i} word{i}")]
        )
        for i in range(3000)
    ]
    index = search.SearchIndex(docs)
    for i in range(0, 2000):
        index = index.updated({f"urn:x:{i}": None})
    assert index.search("word2500")[0] == 1 and index.search("word10")[0] == 0
    assert len(index.fields) - index.live_fields <= max(1000, index.live_fields)
    fresh = search.SearchIndex(docs[2000:])
    assert [h.as_dict() for h in index.search("actor", limit=2000)[1]] == [
        h.as_dict() for h in fresh.search("actor", limit=2000)[1]
    ]

"""Validation of a change equals validation of the whole resulting store.

Property test (hypothesis): random changes (deleted seed triples, inserted triples with the
shapes' predicates between seed nodes, literals and fresh nodes) on the seed graph, which
conforms. The violations found by ``validate_change`` (reading only what the change can
affect) must be exactly those of the compiled checks run on a full copy of the changed
store, and the verdict must equal pyshacl's on that copy.
"""

from __future__ import annotations

from functools import cache

import pyoxigraph as ox
import pyshacl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Namespace

import stancegraph
from stancegraph.change import Change
from stancegraph.store import OxigraphStore
from stancegraph.validation.change import read_plan, validate_change
from stancegraph.validation.compiled import run_checks, shipped_checks
from stancegraph.validation.reference import shapes_graph

pytestmark = pytest.mark.embedded_only(reason="compares against the embedded engine's checks")

SG = "https://w3id.org/stancegraph/ns#"
OA = "http://www.w3.org/ns/oa#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = Namespace("http://www.w3.org/ns/shacl#")
GRAPH = ox.NamedNode("https://w3id.org/stancegraph/id/graph/source/test-change")


@cache
def seed() -> stancegraph.StanceGraph:
    return stancegraph.open()


@cache
def pools() -> tuple[list[ox.Quad], list[ox.NamedNode], list[ox.Term], list[ox.Quad]]:
    store = seed().store
    plan = read_plan(tuple(shipped_checks()))
    preds = sorted(p for p in plan.predicates if p is not None)
    data = [
        q
        for q in store.raw
        if isinstance(q.graph_name, ox.NamedNode) and "ontology" not in q.graph_name.value
    ]
    read = [q for q in data if q.predicate.value in preds]
    nodes = sorted({q.subject for q in read if isinstance(q.subject, ox.NamedNode)}, key=str)
    classes = sorted({q.object for q in data if q.predicate.value == RDF_TYPE}, key=str)
    literals: list[ox.Term] = [
        ox.Literal("2022-03-29", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("2030-01-01", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("3", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("999", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal")),
        ox.Literal("a label"),
        ox.Literal("2022-03-29T10:00:00", datatype=ox.NamedNode(XSD + "dateTime")),
    ]
    objects = nodes[::3] + classes + literals + [ox.NamedNode(SG + "fresh-node")]
    return read, [ox.NamedNode(p) for p in preds], objects, nodes


def full_violations(change: Change) -> set[tuple]:
    scratch = ox.Store()
    scratch.extend(seed().store.raw)
    for q in change.deletes:
        scratch.remove(q)
    scratch.extend(change.inserts)
    return {
        (r.focus, r.path, r.message, r.value)
        for r in run_checks(scratch)
        if r.severity == "Violation"
    }


def incremental_violations(change: Change) -> set[tuple]:
    report = validate_change(seed().store, change).report
    return {(f.focus, f.path, f.message, f.value) for f in report.violations}


@st.composite
def changes(draw: st.DrawFn) -> Change:
    read, preds, objects, nodes = pools()
    deletes = draw(st.lists(st.sampled_from(read), max_size=3, unique=True))
    inserts = []
    for _ in range(draw(st.integers(0, 3))):
        s = draw(st.sampled_from([*nodes, ox.NamedNode(SG + "fresh-node")]))
        p = draw(st.sampled_from(preds))
        o = draw(st.sampled_from(objects))
        inserts.append(ox.Quad(s, p, o, GRAPH))
    return Change(deletes=set(deletes), inserts=set(inserts) - set(deletes))


@pytest.mark.slow  # full pyshacl runs to compare with
@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(changes())
def test_change_verdict_equals_full_validation(change: Change) -> None:
    assert incremental_violations(change) == full_violations(change)


@pytest.mark.slow  # full pyshacl runs to compare with
@settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(changes())
def test_change_verdict_equals_pyshacl(change: Change) -> None:
    scratch = ox.Store()
    scratch.extend(seed().store.raw)
    for q in change.deletes:
        scratch.remove(q)
    scratch.extend(change.inserts)
    g = Graph()
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in scratch}
    g.parse(data=ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES), format="nt")
    _conforms, results, _ = pyshacl.validate(
        g, shacl_graph=shapes_graph(), inference="none", allow_warnings=True
    )
    pyshacl_violation = (None, SH.resultSeverity, SH.Violation) in results
    assert validate_change(seed().store, change).report.conforms == (not pyshacl_violation)


def test_the_seed_conforms_and_an_empty_change_reads_nothing() -> None:
    assert full_violations(Change()) == set()
    verdict = validate_change(seed().store, Change())
    assert verdict.report.conforms and verdict.focus == 0 and verdict.triples_read == 0


def test_a_stance_write_reads_its_neighbourhood_not_the_store() -> None:
    """A new stance that reuses seed actors, propositions and a source: the focus is the new
    nodes, and what is read is a few hundred triples at most, not the store."""
    store = seed().store
    stance = next(
        q.subject
        for q in store.raw.quads_for_pattern(
            None, ox.NamedNode(RDF_TYPE), ox.NamedNode(SG + "Stance")
        )
    )
    copy = {
        ox.Quad(
            ox.NamedNode(SG + "copy") if q.subject == stance else q.subject,
            q.predicate,
            q.object,
            GRAPH,
        )
        for q in store.raw.quads_for_pattern(stance, None, None)
    }
    verdict = validate_change(store, Change(inserts=copy))
    assert verdict.report.conforms, verdict.report.violations
    assert 1 <= verdict.focus <= 8
    assert verdict.triples_read < 300 < len(store)


def test_a_change_breaking_a_distant_shape_is_caught() -> None:
    """Deleting a source's publication date breaks every annotation target reaching it
    (three hops back): the change is rejected, as full validation rejects it."""
    store = seed().store
    date = next(
        q
        for q in store.raw.quads_for_pattern(
            None, ox.NamedNode("https://schema.org/datePublished"), None
        )
    )
    change = Change(deletes={date})
    assert full_violations(change)
    assert incremental_violations(change) == full_violations(change)


@pytest.mark.slow
def test_a_hub_source_costs_one_edge_not_its_citations() -> None:
    """Shapes that target "every object of oa:hasSource" only need to know that a source is
    cited: a new citation of a source cited 2,000 times reads one of those citations, and
    deleting every citation keeps the verdict exact."""
    store = OxigraphStore()
    store.raw.extend(seed().store.raw)
    has_source = ox.NamedNode(OA + "hasSource")
    cite = next(iter(store.raw.quads_for_pattern(None, has_source, None)))
    copies = [
        ox.Quad(ox.NamedNode(f"{cite.subject.value}-copy-{i}"), q.predicate, q.object, q.graph_name)
        for i in range(2000)
        for q in store.raw.quads_for_pattern(cite.subject, None, None)
    ]
    store.raw.extend(copies)
    assert _full_report(store.raw, Change()) == []
    new = {
        ox.Quad(ox.NamedNode(SG + "new-target"), q.predicate, q.object, q.graph_name)
        for q in store.raw.quads_for_pattern(cite.subject, None, None)
    }
    verdict = validate_change(store, Change(inserts=new))
    assert verdict.report.conforms, verdict.report.violations
    assert verdict.triples_read < 300, verdict.triples_read
    gone = Change(deletes=set(store.raw.quads_for_pattern(None, has_source, cite.object)))
    found = {(f.focus, f.path, f.message) for f in validate_change(store, gone).report.violations}
    assert found and found == {(r.focus, r.path, r.message) for r in _full_report(store.raw, gone)}


def _full_report(store: ox.Store, change: Change) -> list:
    scratch = ox.Store()
    scratch.extend(store)
    for q in change.deletes:
        scratch.remove(q)
    scratch.extend(change.inserts)
    return [r for r in run_checks(scratch) if r.severity == "Violation"]


def test_a_literal_can_be_a_focus_node() -> None:
    """The condition shape targets every object of sg:condition: a literal put there is a
    focus node that violates it, and the change must be refused as full validation does
    (the incremental check once dropped literal focus nodes and let it through)."""
    store = seed().store
    stance = next(
        q.subject
        for q in store.raw.quads_for_pattern(
            None, ox.NamedNode(RDF_TYPE), ox.NamedNode(SG + "Stance")
        )
    )
    day = ox.Literal("2022-03-29", datatype=ox.NamedNode(XSD + "date"))
    change = Change(inserts={ox.Quad(stance, ox.NamedNode(SG + "condition"), day, GRAPH)})
    assert full_violations(change)
    assert incremental_violations(change) == full_violations(change)

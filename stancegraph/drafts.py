"""Each coder's own space in a source: independent coding, kept apart from the record.

When two coders code the same source independently, neither writes into the source's
graph (that is what :mod:`stancegraph.coding` does for a single coder). Each codes into a
*coding graph* of their own, ``id/graph/coding/<source>/<coder>``, and only the merge step
(:mod:`stancegraph.agreement`) promotes agreed stances into the source's graph.

How a coder's unmerged work is stored, and why
    A coding graph holds one *draft* per stance the coder coded, ``id/coding/<source>/
    <coder>/<stance-id>``: an ``sg:CodedStance`` whose ``sg:codedRecord`` is the stance
    record (the YAML format as JSON, selectors included, ``rdf:JSON``), attributed to the
    coder (``prov:wasAttributedTo``, ``prov:generatedAtTime``). The graph itself is an
    ``sg:CodingGraph``, ``prov:wasDerivedFrom`` the source and ``prov:wasAttributedTo`` the
    coder.

    A draft states none of the stance vocabulary (no ``sg:Stance``, ``sg:holder``,
    ``sg:hasEvidence``...). The default graph of every query is the union of all named
    graphs, so this is what keeps two coders' versions of one statement from being
    counted twice by the analytics, the JSON read model and plain ``/sparql`` queries,
    without a filter in each of their queries (the same rule keeps the derived analytics
    graph out of the projections). Drafts are still in SPARQL: ``GRAPH ?g { ?d a
    sg:CodedStance ; sg:codedRecord ?json }`` with ``?g a sg:CodingGraph``.

Validated like a stance
    A draft is checked as the stance it would become: the record is compiled exactly as
    a direct write compiles it (same field messages, same references), its IRIs moved
    under the draft's, and that change is validated by the store's one write path
    (``Writer.apply(dry_run=True)``: the SHACL shapes), before the draft itself is
    written through the same ``Writer``. A draft that saves is a stance that merges.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .change import Change
from .coding import (
    P_ATTRIBUTED,
    P_GENERATED_AT,
    RDF_TYPE,
    CodedStance,
    Conflict,
    NotFound,
    _attribution,
    _now,
    coder_iri,
    exists,
    stance_quads,
)
from .terms import ID, SG, mint, source_graph
from .writes import WriteOutcome, Writer

CODED_STANCE = ox.NamedNode(str(SG.CodedStance))
CODING_GRAPH = ox.NamedNode(str(SG.CodingGraph))
P_RECORD = ox.NamedNode(str(SG.codedRecord))
P_DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
RDF_JSON = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def coding_graph(source: str, coder: str) -> str:
    """The named graph of ``coder``'s unmerged work on ``source``."""
    return f"{ID}graph/coding/{source}/{coder}"


def draft_iri(source: str, coder: str, stance_id: str) -> str:
    """``coder``'s draft of stance ``stance_id`` in ``source``."""
    return f"{ID}coding/{source}/{coder}/{stance_id}"


@dataclass
class Draft:
    """One coder's version of a stance, not yet in the record."""

    source: str
    coder: str
    id: str
    record: dict[str, Any]
    coded_at: str | None

    @property
    def iri(self) -> str:
        return draft_iri(self.source, self.coder, self.id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "coder": self.coder,
            "iri": self.iri,
            "coded_at": self.coded_at,
            "record": self.record,
        }


# --------------------------------------------------------------------------- reading


def _graph_quads(store: Any, graph: str, subject: ox.NamedNode | None = None) -> list[ox.Quad]:
    g = ox.NamedNode(graph)
    return [q for q in store.quads_matching(subject, None, None) if q.graph_name == g]


def drafts(store: Any, source: str, coder: str) -> list[Draft]:
    """``coder``'s drafts in ``source``, by id (reads only their coding graph)."""
    g = coding_graph(source, coder)
    if g not in store.named_graphs():
        return []
    prefix = draft_iri(source, coder, "")
    records: dict[str, str] = {}
    times: dict[str, str] = {}
    for q in store.graph_quads(g):
        iri = q.subject.value
        if not iri.startswith(prefix):
            continue
        if q.predicate == P_RECORD:
            records[iri] = q.object.value
        elif q.predicate == P_GENERATED_AT:
            times[iri] = q.object.value
    return sorted(
        (
            Draft(source, coder, iri[len(prefix) :], json.loads(rec), times.get(iri))
            for iri, rec in records.items()
        ),
        key=lambda d: d.id,
    )


def draft(store: Any, source: str, coder: str, stance_id: str) -> Draft | None:
    iri = ox.NamedNode(draft_iri(source, coder, stance_id))
    g = ox.NamedNode(coding_graph(source, coder))
    record = next(
        (q.object.value for q in store.quads_matching(iri, P_RECORD, None) if q.graph_name == g),
        None,
    )
    if record is None:
        return None
    at = next(
        (
            q.object.value
            for q in store.quads_matching(iri, P_GENERATED_AT, None)
            if q.graph_name == g
        ),
        None,
    )
    return Draft(source, coder, stance_id, json.loads(record), at)


def coders(store: Any, source: str) -> list[str]:
    """The coders with a coding graph on ``source``."""
    prefix = f"{ID}graph/coding/{source}/"
    return sorted(g[len(prefix) :] for g in store.named_graphs() if g.startswith(prefix))


# --------------------------------------------------------------------------- writing


def _moved(quads: Iterable[ox.Quad], old: str, new: str, graph: ox.NamedNode) -> set[ox.Quad]:
    """``quads`` with the IRIs ``old`` and ``old/...`` moved under ``new``, in ``graph``."""

    def move(term: Any) -> Any:
        if isinstance(term, ox.NamedNode) and (
            term.value == old or term.value.startswith(old + "/")
        ):
            return ox.NamedNode(new + term.value[len(old) :])
        return term

    return {ox.Quad(move(q.subject), q.predicate, move(q.object), graph) for q in quads}


def _check(writer: Writer, source: str, stance: CodedStance, coder: str, at: str) -> None:
    """Validate the draft as the stance it would become (compiler and SHACL shapes),
    under the draft's own IRIs so that it never meets another version of the stance."""
    store = writer.store
    graph = ox.NamedNode(coding_graph(source, coder))
    compiled = stance_quads(store, source, stance, coder, at)
    probe = _moved(
        (q for q in compiled if q.graph_name == ox.NamedNode(source_graph(source))),
        mint("stance", stance.id),
        draft_iri(source, coder, stance.id) + "/as-stance",
        graph,
    )
    writer.apply(Change(inserts=probe), dry_run=True)


def _draft_quads(source: str, coder: str, stance: CodedStance, at: str) -> set[ox.Quad]:
    g = coding_graph(source, coder)
    graph = ox.NamedNode(g)
    iri = draft_iri(source, coder, stance.id)
    record = json.dumps(
        stance.model_dump(mode="json", exclude_none=True), sort_keys=True, ensure_ascii=False
    )
    node = ox.NamedNode(iri)
    return {
        ox.Quad(node, RDF_TYPE, CODED_STANCE, graph),
        ox.Quad(node, P_RECORD, ox.Literal(record, datatype=RDF_JSON), graph),
    } | _attribution(iri, g, coder, at)


def _graph_header(store: Any, source: str, coder: str) -> Change:
    """The coding graph's own description, when it does not exist yet."""
    g = coding_graph(source, coder)
    if g in store.named_graphs():
        return Change()
    graph = ox.NamedNode(g)
    node = ox.NamedNode(g)
    return Change(
        inserts={
            ox.Quad(node, RDF_TYPE, CODING_GRAPH, graph),
            ox.Quad(node, P_DERIVED, ox.NamedNode(mint("source", source)), graph),
            ox.Quad(node, P_ATTRIBUTED, ox.NamedNode(coder_iri(coder)), graph),
            ox.Quad(node, RDFS_LABEL, ox.Literal(f"{coder}'s coding of {source}"), graph),
        },
        created={g},
    )


def save_draft(
    writer: Writer,
    source: str,
    stance: CodedStance,
    coder: str,
    *,
    replace: bool = False,
    dry_run: bool = False,
) -> WriteOutcome:
    """Code ``stance`` in ``coder``'s own space on ``source``: a new draft (``replace``
    False: :class:`Conflict` when the coder already has one with this id) or a new version
    of one (``replace``: :class:`NotFound` when there is none). Raises ``CompileError`` or
    ``ValidationFailed`` (nothing written) when the record would not make a valid stance."""
    store = writer.store
    with writer.lock:
        if not exists(store, mint("source", source)):
            raise NotFound(f"no source {source!r}")
        iri = ox.NamedNode(draft_iri(source, coder, stance.id))
        old = set(_graph_quads(store, coding_graph(source, coder), iri))
        if old and not replace:
            raise Conflict(
                f"{coder} has already coded {stance.id!r} in {source}; edit it with PUT "
                f"/api/sources/{source}/coders/{coder}/stances/{stance.id}"
            )
        if replace and not old:
            raise NotFound(f"{coder} has no stance {stance.id!r} in {source}")
        at = _now()
        _check(writer, source, stance, coder, at)
        new = _draft_quads(source, coder, stance, at)
        record = next(q.object for q in new if q.predicate == P_RECORD)
        if replace and any(q.predicate == P_RECORD and q.object == record for q in old):
            return WriteOutcome(0, 0, store.version)  # unchanged: keeps its coding time
        change = _graph_header(store, source, coder)
        change.inserts |= new
        change.deletes |= old - new
        change.inserts -= old
        return writer.apply(change, dry_run=dry_run)


def delete_draft(
    writer: Writer, source: str, coder: str, stance_id: str, *, dry_run: bool = False
) -> WriteOutcome:
    """Remove one of ``coder``'s drafts (the record is untouched: merged stances stay)."""
    store = writer.store
    with writer.lock:
        iri = ox.NamedNode(draft_iri(source, coder, stance_id))
        old = set(_graph_quads(store, coding_graph(source, coder), iri))
        if not old:
            raise NotFound(f"{coder} has no stance {stance_id!r} in {source}")
        return writer.apply(Change(deletes=old), dry_run=dry_run)


__all__ = [
    "CODED_STANCE",
    "CODING_GRAPH",
    "Draft",
    "coders",
    "coding_graph",
    "delete_draft",
    "draft",
    "draft_iri",
    "drafts",
    "save_draft",
]

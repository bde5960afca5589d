"""Over 500 lines because each kind of record coded one at a time (stance,
source, actor, proposition) shares the selectors, reference checks and attribution here.

Coding one record at a time: a stance, source, actor or proposition written through the
store's one validated write path (``stancegraph.writes.Writer``), attributed to its coder.

Records have the YAML format of ``records.py`` (same field names, same messages as
``stancegraph validate``) and are compiled by ``compiler.py``; this module only adds what
one-at-a-time coding needs:

- evidence may carry W3C Web Annotation selectors besides the quote: ``prefix`` and
  ``suffix`` (``oa:TextQuoteSelector``) and ``start``/``end`` (``oa:TextPositionSelector``,
  character offsets in the coder's copy of the text; the text itself is never stored);
- references are checked against the store by looking up only the ids the record names
  (the cost follows the record, not the store);
- who coded it and when: ``prov:wasAttributedTo`` the coder (``id/coder/<coder>``, a
  ``prov:Agent``) and ``prov:generatedAtTime``;
- a create is refused when the id exists (:class:`Conflict`), an edit or delete when it does
  not (:class:`NotFound`); the check and the write happen under the writer's lock, so two
  coders racing for one id cannot both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import pyoxigraph as ox
from pydantic import BaseModel, Field, ValidationError, model_validator

from .change import Change
from .ingest import records as r
from .ingest.compiler import CompileError, Known, ParsedFile, Problem, compile_parsed
from .terms import ENTITIES_GRAPH, ID, KINDS, OA, PROV, SCHEMES, SLUG_RE, mint, source_graph
from .writes import WriteOutcome, Writer

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_CONCEPT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#Concept")
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
P_ATTRIBUTED = ox.NamedNode(str(PROV.wasAttributedTo))
P_GENERATED_AT = ox.NamedNode(str(PROV.generatedAtTime))
PROV_AGENT = ox.NamedNode(str(PROV.Agent))
SG_ACTOR_CLASS = "https://w3id.org/stancegraph/ns#"
OPERATOR = "operator"  # the coder id of the service's shared write token
BODY = "request body"


class Conflict(Exception):
    """The record's id is taken; nothing was written."""


class NotFound(Exception):
    """No such record; nothing was written."""


# --------------------------------------------------------------------------- records


class CodedEvidence(r.Evidence):
    """Evidence as the workbench sends it: the YAML fields plus where the quote sits."""

    prefix: str | None = Field(
        None, max_length=600, description="text just before the quote (TextQuoteSelector)"
    )
    suffix: str | None = Field(
        None, max_length=600, description="text just after the quote (TextQuoteSelector)"
    )
    start: int | None = Field(
        None, ge=0, description="offset of the quote's first character (TextPositionSelector)"
    )
    end: int | None = Field(None, ge=0, description="offset just past the quote's last character")

    @model_validator(mode="after")
    def _span(self) -> CodedEvidence:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both 'start' and 'end' (a text position), or neither")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("'end' must be greater than 'start'")
        if (self.prefix or self.suffix) and not self.quote:
            raise ValueError("'prefix' and 'suffix' surround a 'quote': give the quote too")
        return self


SELECTOR_FIELDS = ("prefix", "suffix", "start", "end")


class CodedStance(r.Stance):
    """A stance record (``records.Stance``) whose evidence may carry selectors."""

    evidence: list[CodedEvidence] = Field(min_length=1)  # type: ignore[assignment]


MODELS: dict[str, type[BaseModel]] = {
    "stance": CodedStance,
    "source": r.Source,
    "actor": r.Actor,
    "proposition": r.Proposition,
}
SECTIONS = {"stance": "stances", "actor": "actors", "proposition": "propositions"}


def parse(kind: str, data: Any) -> Any:
    """``data`` (decoded JSON) as a record of ``kind``; :class:`CompileError` listing each
    field with the message ``stancegraph validate`` gives."""
    model = MODELS[kind]
    if not isinstance(data, dict):
        raise CompileError([Problem(BODY, kind, "-", "must be a JSON object (a record)")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        rid = data.get("id") if isinstance(data.get("id"), str) else None
        name = kind + (f" (id={rid})" if rid else "")
        problems = []
        for err in exc.errors():
            fld = ".".join(str(x) for x in err["loc"]) or "-"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field (check spelling; see records.py for the format)"
            problems.append(Problem(BODY, name, fld, msg))
        raise CompileError(problems) from None


# --------------------------------------------------------------------------- references


class _NoLines:
    """A JSON body has no YAML lines to point at."""

    def line(self, _loc: Any) -> None:
        return None


def _slugs(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if len(value) <= 120 and SLUG_RE.match(value):
            yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _slugs(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _slugs(v)


def concept_keys(store: Any) -> dict[str, set[str]]:
    """Scheme -> concept keys in the store (the vocabularies are data)."""
    out: dict[str, set[str]] = {s: set() for s in SCHEMES}
    for q in store.quads_matching(None, RDF_TYPE, SKOS_CONCEPT):
        iri = q.subject.value
        for scheme, ns in SCHEMES.items():
            if iri.startswith(str(ns)):
                out[scheme].add(iri[len(str(ns)) :])
    return out


def known_for(store: Any, data: Any) -> Known:
    """The ids ``data`` names that the store holds, by kind, and the vocabularies: what
    the compiler needs to check one record, looked up without scanning the store."""
    known = Known(concepts=concept_keys(store))
    for slug in set(_slugs(data)):
        for kind in KINDS:
            if kind == "graph":
                continue
            types = [
                q.object
                for q in store.quads_matching(ox.NamedNode(mint(kind, slug)), RDF_TYPE, None)
            ]
            if not types:
                continue
            known.add(kind, slug)
            if kind == "actor":
                local = [
                    t.value[len(SG_ACTOR_CLASS) :]
                    for t in types
                    if t.value.startswith(SG_ACTOR_CLASS)
                ]
                if local:
                    known.actor_types[slug] = local[0]
    return known


def exists(store: Any, iri: str) -> bool:
    return next(iter(store.quads_matching(ox.NamedNode(iri), RDF_TYPE, None)), None) is not None


def coder_iri(coder: str) -> str:
    return f"{ID}coder/{coder}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _compile(
    store: Any, section: str | None, record: Any, *, source: str | None = None
) -> set[ox.Quad]:
    """One record compiled by ``compiler.py`` into quads (graph as the compiler puts it)."""
    from .sparql.bindings import to_ox

    fields: dict[str, Any] = {}
    if section is None:
        fields["source"] = record
    else:
        fields[section] = [record]
    dataset = r.Dataset(**fields)
    parsed = ParsedFile(BODY, dataset, _NoLines(), record.model_dump(mode="json"))  # type: ignore[arg-type]
    known = known_for(store, record.model_dump(mode="json"))
    if source is not None:
        known.add("source", source)
    compiled = compile_parsed([parsed], known)
    return {
        ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(str(g)))  # type: ignore[arg-type]
        for s, p, o, g in compiled.quads()
    }


def _attribution(subject: str, graph: str, coder: str, at: str) -> set[ox.Quad]:
    g = ox.NamedNode(graph)
    s = ox.NamedNode(subject)
    agent = ox.NamedNode(coder_iri(coder))
    entities = ox.NamedNode(str(ENTITIES_GRAPH))
    return {
        ox.Quad(s, P_ATTRIBUTED, agent, g),
        ox.Quad(s, P_GENERATED_AT, ox.Literal(at, datatype=XSD_DATETIME), g),
        ox.Quad(agent, RDF_TYPE, PROV_AGENT, entities),
        ox.Quad(agent, RDFS_LABEL, ox.Literal(coder), entities),
    }


def stance_quads(store: Any, source: str, stance: CodedStance, coder: str, at: str) -> set[ox.Quad]:
    """A coded stance as quads in its source's graph: the compiler's triples, the
    selectors, and who coded it when."""
    data = stance.model_dump()
    for e in data["evidence"]:
        for k in SELECTOR_FIELDS:
            e.pop(k, None)
        if e.get("source") is None:
            e["source"] = source
    plain = r.Stance.model_validate(data)
    graph = ox.NamedNode(source_graph(source))
    quads = {
        ox.Quad(q.subject, q.predicate, q.object, graph)
        for q in _compile(store, "stances", plain, source=source)
    }
    iri = mint("stance", stance.id)
    for j, e in enumerate(stance.evidence, start=1):
        ai = f"{iri}/evidence/{j}"
        if e.quote and (e.prefix or e.suffix):
            quote = ox.NamedNode(f"{ai}/quote")
            if e.prefix:
                quads.add(ox.Quad(quote, ox.NamedNode(str(OA.prefix)), ox.Literal(e.prefix), graph))
            if e.suffix:
                quads.add(ox.Quad(quote, ox.NamedNode(str(OA.suffix)), ox.Literal(e.suffix), graph))
        if e.start is not None and e.end is not None:
            pos = ox.NamedNode(f"{ai}/position")
            quads |= {
                ox.Quad(
                    ox.NamedNode(f"{ai}/target"), ox.NamedNode(str(OA.hasSelector)), pos, graph
                ),
                ox.Quad(pos, RDF_TYPE, ox.NamedNode(str(OA.TextPositionSelector)), graph),
                ox.Quad(
                    pos,
                    ox.NamedNode(str(OA.start)),
                    ox.Literal(str(e.start), datatype=XSD_INTEGER),
                    graph,
                ),
                ox.Quad(
                    pos,
                    ox.NamedNode(str(OA.end)),
                    ox.Literal(str(e.end), datatype=XSD_INTEGER),
                    graph,
                ),
            }
    return quads | _attribution(iri, graph.value, coder, at)


def owned_quads(store: Any, iri: str) -> tuple[str | None, set[ox.Quad]]:
    """The graph a record lives in and its quads there, with the nodes it owns (minted
    under its IRI: conditions, evidence, their targets and selectors)."""
    typed = next(iter(store.quads_matching(ox.NamedNode(iri), RDF_TYPE, None)), None)
    if typed is None:
        return None, set()
    graph = typed.graph_name
    out: set[ox.Quad] = set()
    todo, seen = [ox.NamedNode(iri)], {iri}
    # Model v2's inferred facts are minted under the record's IRI but point at it
    # (rdf:subject): they are owned too, and go when the record goes.
    for q in store.quads_matching(None, ox.NamedNode(_RDF + "subject"), ox.NamedNode(iri)):
        if q.subject.value.startswith(iri + "/") and q.subject.value not in seen:
            seen.add(q.subject.value)
            todo.append(q.subject)
    while todo:
        node = todo.pop()
        for q in store.quads_matching(node, None, None):
            if q.graph_name != graph:
                continue
            out.add(q)
            o = q.object
            if (
                isinstance(o, ox.NamedNode)
                and o.value.startswith(iri + "/")
                and o.value not in seen
            ):
                seen.add(o.value)
                todo.append(o)
    return (graph.value if isinstance(graph, ox.NamedNode) else ""), out


def source_of_graph(graph: str | None) -> str | None:
    prefix = source_graph("")
    return graph[len(prefix) :] if graph and graph.startswith(prefix) else None


# --------------------------------------------------------------------------- reading back

_SG = "https://w3id.org/stancegraph/ns#"
_REFS = {  # predicate -> record field, for single-valued references and keys
    _SG + "holder": "holder",
    _SG + "voicedBy": "voiced_by",
    _SG + "polarity": "polarity",
    _SG + "speechAct": "speech_act",
    _SG + "modality": "modality",
    _SG + "inNegotiation": "negotiation",
    _SG + "nominee": "nominee",
    _SG + "supersedes": "supersedes",
    _SG + "likelihood": "likelihood",
    _SG + "horizon": "horizon",
    _SG + "occasion": "occasion",
    _SG + "venue": "venue",
    _SG + "nomineeProposition": "nominee_proposition",
}
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _value(term: Any) -> Any:
    if isinstance(term, ox.Literal):
        dtype = term.datatype.value.rsplit("#", 1)[-1]
        if dtype in ("integer", "int", "nonNegativeInteger"):
            return int(term.value)
        if dtype in ("decimal", "double", "float"):
            return float(term.value)
        return term.value
    return term.value.rstrip("/").rsplit("/", 1)[-1]


def stance_record(store: Any, stance_id: str) -> dict[str, Any] | None:
    """A stance in the graph as its record (the YAML format, selectors included): what a
    coder edits and sends back with ``PUT``. None when there is no such stance."""
    iri = mint("stance", stance_id)
    graph, quads = owned_quads(store, iri)
    if not quads:
        return None
    by: dict[str, dict[str, list[Any]]] = {}
    for q in quads:
        subject = cast(ox.NamedNode | ox.BlankNode, q.subject)  # no RDF-star in records
        by.setdefault(subject.value, {}).setdefault(q.predicate.value, []).append(q.object)

    def one(node: str, pred: str) -> Any:
        values = by.get(node, {}).get(pred, [])
        return _value(values[0]) if values else None

    rec: dict[str, Any] = {"id": stance_id}
    for pred, name in _REFS.items():
        rec[name] = one(iri, pred)
    target = by[iri].get(_SG + "target", [None])[0]
    if target is not None:
        kind = "target_stance" if "/stance/" in target.value else "target"
        rec[kind] = _value(target)
    stated = one(iri, _SG + "statedAt")
    rec["stated"] = stated
    rec["summary"] = one(iri, "https://schema.org/description")
    rec["rationale"] = one(iri, _SG + "rationale")
    rec["confidence"] = one(iri, _SG + "confidence")
    rec["conditions"] = [
        {
            "type": one(c.value, _SG + "conditionType"),
            "requires": one(c.value, _SG + "requires"),
            "note": one(c.value, "http://www.w3.org/2000/01/rdf-schema#comment"),
        }
        for c in sorted(by[iri].get(_SG + "condition", []), key=lambda n: _index(n.value))
    ]
    own_source = source_of_graph(graph)
    evidence = []
    for ev in sorted(by[iri].get(_SG + "hasEvidence", []), key=lambda n: _index(n.value)):
        t = f"{ev.value}/target"
        item: dict[str, Any] = {
            "paragraph": one(t, _SG + "paragraph"),
            "quote": one(f"{ev.value}/quote", str(OA.exact)),
            "prefix": one(f"{ev.value}/quote", str(OA.prefix)),
            "suffix": one(f"{ev.value}/quote", str(OA.suffix)),
            "start": one(f"{ev.value}/position", str(OA.start)),
            "end": one(f"{ev.value}/position", str(OA.end)),
            "speaker": one(ev.value, _SG + "quotedSpeaker"),
        }
        source = one(t, str(OA.hasSource))
        if source != own_source:
            item["source"] = source
        evidence.append({k: v for k, v in item.items() if v is not None})
    rec["evidence"] = evidence
    # Model v2: the kind, relays, list openness and inferred fields (so that an edit sent
    # back with PUT keeps them).
    types = {t.value for t in by[iri].get(_RDF + "type", [])}
    rec["kind"] = "expectation" if _SG + "Expectation" in types else "preference"
    if rec["kind"] == "expectation" and rec.get("polarity") == "unstated":
        rec["polarity"] = None  # the compiler's implicit polarity of an expectation
    relays = sorted(
        (
            int(one(r.value, _SG + "relayOrder") or 0),
            one(r.value, "http://www.w3.org/ns/prov#agent"),
        )
        for r in by[iri].get(_SG + "relayedVia", [])
    )
    rec["relayed_by"] = [agent for _order, agent in relays]
    openness = one(iri, _SG + "listOpenness")
    if openness is not None:
        rec["list_open"] = openness == "open"
    inferred: dict[str, str] = {}
    marker = f"{iri}/inferred/"
    for node, preds in by.items():
        if node.startswith(marker) and _SG + "basis" in preds:
            name = node[len(marker) :].split("/", 1)[0]
            inferred[name] = preds[_SG + "basis"][0].value
    rec["inferred"] = inferred
    defaults = {"kind": "preference", "relayed_by": [], "inferred": {}}
    return {k: v for k, v in rec.items() if v is not None and defaults.get(k) != v}


def _index(iri: str) -> int:
    tail = iri.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


# --------------------------------------------------------------------------- writes


def _locked(writer: Writer, build: Callable[[], Change], dry_run: bool) -> WriteOutcome:
    with writer.lock:
        return writer.apply(build(), dry_run=dry_run)


def create_stance(
    writer: Writer, source: str, stance: CodedStance, coder: str, *, dry_run: bool = False
) -> WriteOutcome:
    """Add a stance to an existing source. Raises :class:`NotFound` (no such source),
    :class:`Conflict` (id taken), ``CompileError`` or ``ValidationFailed``."""
    store = writer.store

    def build() -> Change:
        if not exists(store, mint("source", source)):
            raise NotFound(f"no source {source!r}")
        if exists(store, mint("stance", stance.id)):
            raise Conflict(
                f"stance {stance.id!r} exists; edit it with PUT /api/stances/{stance.id}"
            )
        return Change(inserts=stance_quads(store, source, stance, coder, _now()))

    return _locked(writer, build, dry_run)


_MERGE_PROVENANCE = {
    "https://w3id.org/stancegraph/ns#promotedFrom",
    "http://www.w3.org/ns/prov#wasGeneratedBy",
}


def replace_stance(
    writer: Writer, stance_id: str, stance: CodedStance, coder: str, *, dry_run: bool = False
) -> WriteOutcome:
    """Replace a stance (its triples and its evidence and condition nodes) by a new
    version of the record, in the source graph it lives in."""
    store = writer.store

    def build() -> Change:
        graph, old = owned_quads(store, mint("stance", stance_id))
        source = source_of_graph(graph)
        if not old or source is None:
            raise NotFound(f"no stance {stance_id!r}")
        new = stance_quads(store, source, stance, coder, _now())
        # Where a merged stance came from (stancegraph.agreement) outlives its edits.
        origin = {q for q in old if q.predicate.value in _MERGE_PROVENANCE}
        return Change(deletes=old - new - origin, inserts=new - old)

    return _locked(writer, build, dry_run)


def delete_stance(writer: Writer, stance_id: str, *, dry_run: bool = False) -> WriteOutcome:
    """Remove a stance and the nodes it owns (refused if other records still point at it)."""
    store = writer.store

    def build() -> Change:
        _graph, old = owned_quads(store, mint("stance", stance_id))
        if not old:
            raise NotFound(f"no stance {stance_id!r}")
        return Change(deletes=old)

    return _locked(writer, build, dry_run)


def create_record(
    writer: Writer, kind: str, record: Any, coder: str, *, dry_run: bool = False
) -> WriteOutcome:
    """Add a source (with its empty named graph), an actor or a proposition."""
    store = writer.store

    def build() -> Change:
        iri = mint(kind, record.id)
        if exists(store, iri):
            raise Conflict(f"{kind} {record.id!r} exists")
        quads = _compile(store, SECTIONS.get(kind), record)
        graph = source_graph(record.id) if kind == "source" else str(ENTITIES_GRAPH)
        change = Change(inserts=quads | _attribution(iri, graph, coder, _now()))
        if kind == "source" and graph not in store.named_graphs():
            change.created.add(graph)
        return change

    return _locked(writer, build, dry_run)


__all__ = [
    "OPERATOR",
    "CodedEvidence",
    "CodedStance",
    "Conflict",
    "NotFound",
    "coder_iri",
    "create_record",
    "create_stance",
    "delete_stance",
    "known_for",
    "owned_quads",
    "parse",
    "replace_stance",
]

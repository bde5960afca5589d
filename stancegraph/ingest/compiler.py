"""Over 500 lines because the compiler is one pass over the record format
(``records.py``), field by field, sharing one registry of known ids and one problem list;
reading YAML with line numbers is its first section.

Compile YAML dataset files (``records.py``) to RDF, deterministically.

Why a compiler rather than hand-written RDF: curators edit one record per stance; the
compiler mints stable IRIs, checks every reference and controlled value, and reports
problems by file, line, record and field. Compiling the same files twice gives the same
triples, so loading twice never duplicates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Identifier, Node

from ..terms import (
    ENTITIES_GRAPH,
    OA,
    ORG,
    SCHEMA,
    SCHEMES,
    SG,
    VOCAB,
    WD,
    concept,
    mint,
    source_graph,
)
from . import records as r

EN = "en"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, located precisely enough to fix."""

    file: str
    record: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.record}: field '{self.field}': {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON: where it is (file, line) first, then what."""
        what = asdict(self)
        return {"file": what.pop("file"), "line": what.pop("line"), **what}


class CompileError(ValueError):
    """The input has problems; nothing was compiled or written."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems[:50])
        more = f"\n  … and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} problem(s) in input:\n{lines}{more}")


# --------------------------------------------------------------------------- reading


class _Locator:
    """Maps a pydantic error location (('stances', 3, 'polarity')) to a YAML line."""

    def __init__(self, text: str):
        try:
            self._root = yaml.compose(text)
        except yaml.YAMLError:
            self._root = None

    def line(self, loc: Sequence[Any]) -> int | None:
        node = self._root
        line = node.start_mark.line + 1 if node is not None else None
        for key in loc:
            if isinstance(node, yaml.MappingNode):
                nxt = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                nxt = node.value[key] if key < len(node.value) else None
            else:
                nxt = None
            if nxt is None:
                break
            node = nxt
            line = node.start_mark.line + 1
        return line


def _record_name(data: Any, loc: Sequence[Any]) -> tuple[str, list[Any]]:
    """'stances[3] (id=foo)' and the remaining field path, from an error location."""
    if len(loc) >= 2 and isinstance(loc[1], int):
        section, index = loc[0], loc[1]
        rid = None
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            rid = data[section][index].get("id")
        name = f"{section}[{index}]" + (f" (id={rid})" if rid else "")
        return name, list(loc[2:])
    if loc:
        return str(loc[0]), list(loc[1:])
    return "file", []


@dataclass
class ParsedFile:
    path: str
    dataset: r.Dataset
    locator: _Locator
    raw: Any


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: pydantic parses dates and reports bad ones."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_text(text: str, name: str) -> ParsedFile:
    """Parse and type-check one YAML document; raise CompileError naming what is wrong."""
    locator = _Locator(text)
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise CompileError([Problem(name, "file", "-", f"invalid YAML: {exc}", line)]) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise CompileError([Problem(name, "file", "-", "top level must be a mapping", 1)])
    try:
        dataset = r.Dataset.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            record, rest = _record_name(raw, loc)
            fld = ".".join(str(x) for x in rest) or "-"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field (check spelling; see records.py for the format)"
            problems.append(Problem(name, record, fld, msg, locator.line(loc)))
        raise CompileError(problems) from None
    return ParsedFile(name, dataset, locator, raw)


def parse_file(path: str | Path) -> ParsedFile:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CompileError([Problem(str(p), "file", "-", f"not valid UTF-8: {exc}")]) from None
    except OSError as exc:
        raise CompileError([Problem(str(p), "file", "-", f"cannot read: {exc.strerror}")]) from None
    return parse_text(text, str(p))


# --------------------------------------------------------------------------- registry


@dataclass
class Known:
    """Ids already known (from the store or vocabulary), by kind, for reference checks."""

    ids: dict[str, set[str]] = field(default_factory=dict)  # kind -> slugs
    concepts: dict[str, set[str]] = field(default_factory=dict)  # scheme -> keys
    actor_types: dict[str, str] = field(default_factory=dict)  # slug -> sg class local name
    # stance slug -> the named graph that holds it: a stance belongs to one source, and a
    # record elsewhere with the same id would silently merge two stances into one node.
    stance_graphs: dict[str, str] = field(default_factory=dict)

    def has(self, kind: str, slug: str) -> bool:
        return slug in self.ids.get(kind, set())

    def add(self, kind: str, slug: str) -> None:
        self.ids.setdefault(kind, set()).add(slug)


def vocabulary_keys(graph: Graph) -> dict[str, set[str]]:
    """Scheme -> concept keys found in an RDF graph of SKOS vocabularies."""
    out: dict[str, set[str]] = {s: set() for s in SCHEMES}
    for c in graph.subjects(RDF.type, SKOS.Concept):
        iri = str(c)
        for scheme, ns in SCHEMES.items():
            if iri.startswith(str(ns)):
                out[scheme].add(iri[len(str(ns)) :])
    return out


# --------------------------------------------------------------------------- compile


@dataclass
class Compiled:
    """RDF per named graph, plus what was defined (for record-level replacement)."""

    graphs: dict[str, Graph]
    source_graphs: set[str]  # graphs replaced wholesale on load
    entity_subjects: set[str]  # subjects whose triples in ENTITIES_GRAPH are replaced
    stance_count: int = 0
    files: list[str] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)  # record IRI -> "FILE:LINE"

    def quads(self) -> Iterator[tuple[Node, Node, Node, URIRef]]:
        for g, graph in sorted(self.graphs.items()):
            gi = URIRef(g)
            for s, p, o in graph:
                yield s, p, o, gi

    def __len__(self) -> int:
        return sum(len(g) for g in self.graphs.values())


def _graph_owner(graph: str) -> str:
    """'source 'slug'' for a source graph, else the graph's IRI: who owns a record."""
    prefix = source_graph("")
    return f"source '{graph[len(prefix) :]}'" if graph.startswith(prefix) else f"graph <{graph}>"


def _lit(text: str | None) -> Literal | None:
    return Literal(text, lang=EN) if text else None


def _date(value: dt.date | dt.datetime) -> Literal:
    if isinstance(value, dt.datetime):
        return Literal(value.isoformat(), datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


_PLACE_CLASS = {
    "City": SCHEMA.City,
    "Region": SCHEMA.AdministrativeArea,
    "Country": SCHEMA.Country,
    "Sea": SCHEMA.BodyOfWater,
    "Place": SCHEMA.Place,
}


# Record field -> the predicate its triples use, for ``inferred: {field: basis}`` markers.
_INFERRABLE: dict[str, dict[str, URIRef]] = {
    "source": {
        "published": SCHEMA.datePublished,
        "publisher": SCHEMA.publisher,
        "contributors": SCHEMA.contributor,
        "language": SCHEMA.inLanguage,
        "translation_of_language": SG.originalLanguage,
    },
    "actors": {
        "member_of": ORG.memberOf,
        "part_of": ORG.subOrganizationOf,
        "reports_to": ORG.reportsTo,
        "wikidata": OWL.sameAs,
    },
    "negotiations": {
        "parties": SG.party,
        "host": SG.host,
        "place": SCHEMA.location,
        "date": SCHEMA.startDate,
        "part_of": DCTERMS.isPartOf,
    },
    "occasions": {
        "date": SCHEMA.startDate,
        "place": SCHEMA.location,
        "organizer": SCHEMA.organizer,
        "participants": SCHEMA.attendee,
    },
    "propositions": {
        "actor_to_act": SG.actorToAct,
        "beneficiary": SG.beneficiary,
        "locations": SG.location,
        "negotiation": SG.inNegotiation,
        "broader": SKOS.broader,
        "step_towards": SG.stepTowards,
        "same_as": SKOS.exactMatch,
    },
    "stances": {
        "stated": SG.statedAt,
        "holder": SG.holder,
        "voiced_by": SG.voicedBy,
        "target": SG.target,
        "nominee": SG.nominee,
        "negotiation": SG.inNegotiation,
        "occasion": SG.occasion,
        "venue": SG.venue,
        "list_open": SG.listOpenness,
    },
}


@dataclass(frozen=True)
class _At:
    """One record being compiled: its references and controlled values are checked against
    the known ids, and its problems name it by file, line, record and field."""

    pf: ParsedFile
    section: str  # "actors", "stances", ...; "source" for the file's one source
    index: int
    known: Known
    problems: list[Problem]

    def problem(self, fld: str, msg: str) -> None:
        """Report ``msg`` on field ``fld`` (a dotted path: ``evidence.0.source``)."""
        pf, section, index = self.pf, self.section, self.index
        rid = pf.dataset.__dict__[section][index].id if section != "source" else None
        name = (
            "source"
            if section == "source"
            else f"{section}[{index}]" + (f" (id={rid})" if rid else "")
        )
        loc: list[Any] = [section, index] if section != "source" else [section]
        loc += [p for p in fld.split(".") if p]
        self.problems.append(
            Problem(
                pf.path,
                name,
                fld,
                msg,
                pf.locator.line([int(x) if x.isdigit() else x for x in map(str, loc)]),
            )
        )

    def ref(self, fld: str, kind: str, slug: str) -> URIRef:
        """The IRI of the ``kind`` record ``slug`` (a problem when no file defines it)."""
        if not self.known.has(kind, slug):
            self.problem(fld, f"unknown {kind} '{slug}' (define it, or load the file that does)")
        return URIRef(mint(kind, slug))

    def key(self, fld: str, scheme: str, key: str) -> URIRef:
        """The IRI of concept ``key`` of ``scheme`` (a problem when the scheme has none)."""
        keys = self.known.concepts.get(scheme, set())
        if key not in keys:
            allowed = ", ".join(sorted(keys)) or "none defined"
            self.problem(fld, f"'{key}' is not a {scheme} (allowed: {allowed})")
        return URIRef(concept(scheme, key))


class _Compiler:
    def __init__(self, files: Sequence[ParsedFile], known: Known):
        self.files = files
        self.known = known
        self.problems: list[Problem] = []
        self.graphs: dict[str, Graph] = {}
        self.source_graphs: set[str] = set()
        self.entity_subjects: set[str] = set()
        self.stance_count = 0
        self.stance_defs: dict[str, str] = {}  # slug -> file
        self.locations: dict[str, str] = {}  # record IRI -> "FILE:LINE"

    # -- helpers
    def graph(self, iri: str) -> Graph:
        if iri not in self.graphs:
            self.graphs[iri] = Graph()
        return self.graphs[iri]

    def at(self, pf: ParsedFile, section: str, index: int) -> _At:
        """Record ``index`` of ``section`` in ``pf`` (``source``: index 0), to report on."""
        return _At(pf, section, index, self.known, self.problems)

    def inferred(self, at: _At, g: Graph, subject: URIRef, marks: Mapping[str, str]) -> None:
        """Reify the triples of each field marked inferred as sg:InferredFact + sg:basis."""
        section = at.section
        fields = _INFERRABLE[section]
        for name, basis in sorted(marks.items()):
            pred = fields.get(name)
            if pred is None:
                allowed = ", ".join(sorted(fields))
                at.problem(f"inferred.{name}", f"cannot be marked (allowed: {allowed})")
                continue
            objects = sorted(cast(Iterable[Identifier], g.objects(subject, pred)))
            if not objects:
                at.problem(f"inferred.{name}", "marks a field the record does not give")
            for n, obj in enumerate(objects, start=1):
                fi = URIRef(f"{subject}/inferred/{name}" + (f"/{n}" if len(objects) > 1 else ""))
                g.add((fi, RDF.type, SG.InferredFact))
                g.add((fi, RDF.type, RDF.Statement))
                g.add((fi, RDF.subject, subject))
                g.add((fi, RDF.predicate, pred))
                g.add((fi, RDF.object, obj))
                g.add((fi, SG.basis, Literal(basis, lang=EN)))
                if section != "source" and section != "stances":
                    self._entity(fi)

    # -- pass 1: register ids so references can point forward and across files
    def register(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        for pf in self.files:
            d = pf.dataset
            home = source_graph(d.source.id) if d.source else str(ENTITIES_GRAPH)
            for i, st in enumerate(d.stances):
                owner = self.known.stance_graphs.get(st.id)
                if owner is not None and owner != home:
                    self.at(pf, "stances", i).problem(
                        "id",
                        f"stance id '{st.id}' already belongs to {_graph_owner(owner)}: "
                        "ids must be unique across the store (choose another id)",
                    )
            sections: list[tuple[str, str, Iterable[Any]]] = [
                ("actor", "actors", d.actors),
                ("place", "places", d.places),
                ("negotiation", "negotiations", d.negotiations),
                ("occasion", "occasions", d.occasions),
                ("proposition", "propositions", d.propositions),
                ("stance", "stances", d.stances),
            ]
            for kind, section, recs in sections:
                for i, rec in enumerate(recs):
                    k = (kind, rec.id)
                    if k in seen:
                        self.at(pf, section, i).problem(
                            "id",
                            f"duplicate {kind} id '{rec.id}' (first defined in {seen[k]})",
                        )
                    seen[k] = pf.path
                    self.locations[mint(kind, rec.id)] = (
                        f"{pf.path}:{pf.locator.line([section, i])}"
                    )
                    self.known.add(kind, rec.id)
                    if kind == "actor":
                        self.known.actor_types[rec.id] = rec.type
            if d.source:
                self.known.add("source", d.source.id)
            for c in d.concepts:
                self.known.concepts.setdefault(c.scheme, set()).add(c.key)

    # -- pass 2: emit triples
    def run(self) -> Compiled:
        self.register()
        for pf in self.files:
            self.compile_file(pf)
        if self.problems:
            raise CompileError(self.problems)
        return Compiled(
            self.graphs,
            self.source_graphs,
            self.entity_subjects,
            self.stance_count,
            [pf.path for pf in self.files],
            self.locations,
        )

    def compile_file(self, pf: ParsedFile) -> None:
        d = pf.dataset
        if d.source:
            g_iri = source_graph(d.source.id)
            self.source_graphs.add(g_iri)
        else:
            g_iri = str(ENTITIES_GRAPH)
        g = self.graph(g_iri)
        ent = (
            self.graph(str(ENTITIES_GRAPH))
            if (
                d.actors
                or d.places
                or d.negotiations
                or d.occasions
                or d.propositions
                or d.concepts
            )
            else g
        )
        if d.source:
            self.source(pf, g, g_iri, d.source)
        for c in d.concepts:
            self.concept(ent, c)
        for i, a in enumerate(d.actors):
            self.actor(pf, ent, i, a)
        for i, p in enumerate(d.places):
            self.place(pf, ent, i, p)
        for i, n in enumerate(d.negotiations):
            self.negotiation(pf, ent, i, n)
        for i, o in enumerate(d.occasions):
            self.occasion(pf, ent, i, o)
        for i, prop in enumerate(d.propositions):
            self.proposition(pf, ent, i, prop)
        default_source = d.source.id if d.source else None
        for i, s in enumerate(d.stances):
            self.stance(pf, g, i, s, default_source)

    def _entity(self, iri: URIRef) -> None:
        self.entity_subjects.add(str(iri))

    def concept(self, g: Graph, c: r.Concept) -> None:
        iri = URIRef(concept(c.scheme, c.key))
        self._entity(iri)
        g.add((iri, RDF.type, SKOS.Concept))
        g.add((iri, SKOS.inScheme, URIRef(VOCAB + c.scheme)))
        g.add((iri, SKOS.prefLabel, Literal(c.label, lang=EN)))
        g.add((iri, SKOS.notation, Literal(c.key)))
        if c.definition:
            g.add((iri, SKOS.definition, Literal(c.definition, lang=EN)))
        if c.weight is not None:
            g.add((iri, RDF.value, Literal(str(c.weight), datatype=XSD.decimal)))
        if c.scheme == "role":
            g.add((iri, RDF.type, ORG.Role))
        for m in c.close_match:
            g.add((iri, SKOS.closeMatch, URIRef(m)))

    def _node(
        self, g: Graph, kind: str, slug: str, cls: URIRef, label: str, description: str | None
    ) -> URIRef:
        """A shared record's node: its minted IRI, typed and labelled, and replaced as a
        whole when the record is loaded again."""
        iri = URIRef(mint(kind, slug))
        self._entity(iri)
        g.add((iri, RDF.type, cls))
        g.add((iri, RDFS.label, Literal(label, lang=EN)))
        if description:
            g.add((iri, SCHEMA.description, Literal(description, lang=EN)))
        return iri

    def actor(self, pf: ParsedFile, g: Graph, i: int, a: r.Actor) -> None:
        at = self.at(pf, "actors", i)
        iri = self._node(g, "actor", a.id, SG[a.type], a.label, a.description)
        if a.type == "Person":
            g.add((iri, SCHEMA.name, Literal(a.label, lang=EN)))
        if a.wikidata:
            g.add((iri, OWL.sameAs, WD[a.wikidata]))
        if a.country:
            if a.type == "StateActor":
                g.add((iri, SG.territory, at.ref("country", "place", a.country)))
            else:
                st = at.ref("country", "actor", a.country)
                if self.known.actor_types.get(a.country, "StateActor") != "StateActor":
                    at.problem("country", f"'{a.country}' is not a StateActor")
                g.add((iri, SG.state, st))
        for j, m in enumerate(a.memberships, start=1):
            mi = URIRef(f"{iri}/membership/{j}")
            self._entity(mi)
            g.add((mi, RDF.type, ORG.Membership))
            g.add((mi, ORG.member, iri))
            g.add(
                (
                    mi,
                    ORG.organization,
                    at.ref(f"memberships.{j - 1}.organization", "actor", m.organization),
                )
            )
            g.add((mi, ORG.role, at.key(f"memberships.{j - 1}.role", "role", m.role)))
            if m.label:
                g.add((mi, RDFS.label, Literal(m.label, lang=EN)))
            if m.as_of:
                g.add((mi, SG.attestedOn, _date(m.as_of)))
        for j, other in enumerate(a.member_of):
            g.add((iri, ORG.memberOf, at.ref(f"member_of.{j}", "actor", other)))
        for alt in a.alt_labels:
            g.add((iri, SKOS.altLabel, Literal(alt, lang=EN)))
        for j, parent in enumerate(a.part_of):
            g.add((iri, ORG.subOrganizationOf, at.ref(f"part_of.{j}", "actor", parent)))
        if a.reports_to:
            g.add((iri, ORG.reportsTo, at.ref("reports_to", "actor", a.reports_to)))
        self.inferred(at, g, iri, a.inferred)

    def place(self, pf: ParsedFile, g: Graph, i: int, p: r.Place) -> None:
        at = self.at(pf, "places", i)
        iri = self._node(g, "place", p.id, _PLACE_CLASS[p.type], p.label, None)
        if p.type != "Place":
            g.add((iri, RDF.type, SCHEMA.Place))
        if p.contained_in:
            g.add((iri, SCHEMA.containedInPlace, at.ref("contained_in", "place", p.contained_in)))
        if p.wikidata:
            g.add((iri, OWL.sameAs, WD[p.wikidata]))
        for alt in p.alt_labels:
            g.add((iri, SKOS.altLabel, Literal(alt, lang=EN)))

    def occasion(self, pf: ParsedFile, g: Graph, i: int, o: r.Occasion) -> None:
        at = self.at(pf, "occasions", i)
        iri = self._node(g, "occasion", o.id, SG.Occasion, o.label, o.description)
        g.add((iri, SG.occasionType, at.key("type", "occasion-type", o.type)))
        if o.date:
            g.add((iri, SCHEMA.startDate, _date(o.date)))
        if o.place:
            g.add((iri, SCHEMA.location, at.ref("place", "place", o.place)))
        if o.organizer:
            g.add((iri, SCHEMA.organizer, at.ref("organizer", "actor", o.organizer)))
        for j, a in enumerate(o.participants):
            g.add((iri, SCHEMA.attendee, at.ref(f"participants.{j}", "actor", a)))
        self.inferred(at, g, iri, o.inferred)

    def negotiation(self, pf: ParsedFile, g: Graph, i: int, n: r.Negotiation) -> None:
        at = self.at(pf, "negotiations", i)
        iri = self._node(g, "negotiation", n.id, SG[n.type], n.label, n.description)
        for j, party in enumerate(n.parties):
            g.add((iri, SG.party, at.ref(f"parties.{j}", "actor", party)))
        if n.host:
            g.add((iri, SG.host, at.ref("host", "actor", n.host)))
        if n.place:
            g.add((iri, SCHEMA.location, at.ref("place", "place", n.place)))
        if n.date:
            g.add((iri, SCHEMA.startDate, _date(n.date)))
        if n.part_of:
            g.add((iri, DCTERMS.isPartOf, at.ref("part_of", "negotiation", n.part_of)))
        self.inferred(at, g, iri, n.inferred)

    def proposition(self, pf: ParsedFile, g: Graph, i: int, p: r.Proposition) -> None:
        at = self.at(pf, "propositions", i)
        iri = self._node(g, "proposition", p.id, SG.Proposition, p.label, p.description)
        g.add((iri, SG.demandType, at.key("demand_type", "demand-type", p.demand_type)))
        for j, a in enumerate(p.actor_to_act):
            g.add((iri, SG.actorToAct, at.ref(f"actor_to_act.{j}", "actor", a)))
        for j, a in enumerate(p.beneficiary):
            g.add((iri, SG.beneficiary, at.ref(f"beneficiary.{j}", "actor", a)))
        for j, loc in enumerate(p.locations):
            g.add((iri, SG.location, at.ref(f"locations.{j}", "place", loc)))
        if p.negotiation:
            g.add((iri, SG.inNegotiation, at.ref("negotiation", "negotiation", p.negotiation)))
        for alt in p.alt_labels:
            g.add((iri, SKOS.altLabel, Literal(alt, lang=EN)))
        for fld, pred, slugs in (
            ("broader", SKOS.broader, p.broader),
            ("step_towards", SG.stepTowards, p.step_towards),
            ("same_as", SKOS.exactMatch, p.same_as),
        ):
            for j, other in enumerate(slugs):
                if other == p.id:
                    at.problem(f"{fld}.{j}", "cannot relate to itself")
                g.add((iri, pred, at.ref(f"{fld}.{j}", "proposition", other)))
        self.inferred(at, g, iri, p.inferred)

    def source(self, pf: ParsedFile, g: Graph, g_iri: str, s: r.Source) -> None:
        at = self.at(pf, "source", 0)
        iri = URIRef(mint("source", s.id))
        g.add((iri, RDF.type, SCHEMA[s.type]))
        g.add((iri, RDF.type, PROV.Entity))
        g.add((iri, RDFS.label, Literal(s.title, lang=EN)))
        g.add((iri, SCHEMA.headline, Literal(s.title, lang=EN)))
        g.add((iri, DCTERMS.title, Literal(s.title, lang=EN)))
        if s.description:
            g.add((iri, SCHEMA.description, Literal(s.description, lang=EN)))
        g.add((iri, SCHEMA.publisher, at.ref("publisher", "actor", s.publisher)))
        for j, c in enumerate(s.contributors):
            g.add((iri, SCHEMA.contributor, at.ref(f"contributors.{j}", "actor", c)))
        g.add((iri, SCHEMA.datePublished, _date(s.published)))
        g.add((iri, SCHEMA.inLanguage, Literal(s.language)))
        if s.translation_of_language:
            g.add((iri, SG.originalLanguage, Literal(s.translation_of_language)))
        if s.url:
            g.add((iri, SCHEMA.url, URIRef(s.url)))
        if s.paragraphs:
            g.add((iri, SG.paragraphCount, Literal(s.paragraphs)))
        self.inferred(at, g, iri, s.inferred)
        gi = URIRef(g_iri)
        g.add((gi, RDF.type, SG.SourceGraph))
        g.add((gi, RDFS.label, Literal(f"Stances drawn from: {s.title}", lang=EN)))
        g.add((gi, PROV.wasDerivedFrom, iri))

    def stance(
        self, pf: ParsedFile, g: Graph, i: int, s: r.Stance, default_source: str | None
    ) -> None:
        at = self.at(pf, "stances", i)
        iri = URIRef(mint("stance", s.id))
        self.stance_count += 1
        if s.nominee:
            g.add((iri, RDF.type, SG.GuarantorNomination))
        if s.kind == "expectation":
            g.add((iri, RDF.type, SG.Expectation))
        g.add((iri, RDF.type, SG.Stance))
        g.add((iri, SG.holder, at.ref("holder", "actor", s.holder)))
        if s.voiced_by:
            g.add((iri, SG.voicedBy, at.ref("voiced_by", "actor", s.voiced_by)))
        if s.target:
            g.add((iri, SG.target, at.ref("target", "proposition", s.target)))
        else:
            assert s.target_stance is not None  # the record requires a target or target_stance
            g.add((iri, SG.target, at.ref("target_stance", "stance", s.target_stance)))
        g.add((iri, SG.polarity, at.key("polarity", "polarity", s.polarity_key)))
        if s.likelihood:
            g.add((iri, SG.likelihood, at.key("likelihood", "likelihood", s.likelihood)))
        if s.horizon:
            g.add((iri, SG.horizon, at.key("horizon", "horizon", s.horizon)))
        for j, relay in enumerate(s.relayed_by, start=1):
            ri = URIRef(f"{iri}/relay/{j}")
            g.add((iri, SG.relayedVia, ri))
            g.add((ri, RDF.type, SG.Relay))
            g.add((ri, RDF.type, PROV.Attribution))
            g.add((ri, PROV.agent, at.ref(f"relayed_by.{j - 1}", "actor", relay)))
            g.add((ri, SG.relayOrder, Literal(j)))
        if s.modality == "reported" and not s.relayed_by:
            at.problem(
                "relayed_by",
                "a reported stance needs 'relayed_by' (who relayed it: unnamed sources, an"
                " expert, another speaker)",
            )
        if s.occasion:
            g.add((iri, SG.occasion, at.ref("occasion", "occasion", s.occasion)))
        if s.venue:
            g.add((iri, SG.venue, at.ref("venue", "place", s.venue)))
        if s.speech_act:
            g.add((iri, SG.speechAct, at.key("speech_act", "speech-act", s.speech_act)))
        g.add((iri, SG.modality, at.key("modality", "modality", s.modality)))
        g.add((iri, SG.statedAt, _date(s.stated)))
        if s.negotiation:
            g.add((iri, SG.inNegotiation, at.ref("negotiation", "negotiation", s.negotiation)))
        if s.nominee:
            g.add((iri, SG.nominee, at.ref("nominee", "actor", s.nominee)))
            if s.nominee_proposition is None:
                at.problem(
                    "nominee_proposition",
                    "a nomination needs 'nominee_proposition' (the proposition that the"
                    " nominee guarantees …)",
                )
            else:
                g.add(
                    (
                        iri,
                        SG.nomineeProposition,
                        at.ref("nominee_proposition", "proposition", s.nominee_proposition),
                    )
                )
            if s.list_open is not None:
                openness = concept("list-openness", "open" if s.list_open else "closed")
                g.add((iri, SG.listOpenness, URIRef(openness)))
        if s.polarity in ("conditional-support", "deferred") and not s.conditions:
            at.problem("conditions", f"{s.polarity} needs at least one condition")
        for j, c in enumerate(s.conditions, start=1):
            ci = URIRef(f"{iri}/condition/{j}")
            g.add((iri, SG.condition, ci))
            g.add((ci, RDF.type, SG.Condition))
            g.add(
                (ci, SG.conditionType, at.key(f"conditions.{j - 1}.type", "condition-type", c.type))
            )
            g.add(
                (ci, SG.requires, at.ref(f"conditions.{j - 1}.requires", "proposition", c.requires))
            )
            if c.note:
                g.add((ci, RDFS.comment, Literal(c.note, lang=EN)))
        sources: set[str] = set()
        for j, e in enumerate(s.evidence, start=1):
            src = e.source or default_source
            if src is None:
                at.problem(
                    f"evidence.{j - 1}.source",
                    "no source: give 'source' here or a top-level 'source'",
                )
                continue
            sources.add(src)
            ai = URIRef(f"{iri}/evidence/{j}")
            ti = URIRef(f"{ai}/target")
            g.add((iri, SG.hasEvidence, ai))
            g.add((ai, RDF.type, OA.Annotation))
            g.add((ai, OA.motivatedBy, OA.describing))
            g.add((ai, OA.hasBody, iri))
            g.add((ai, OA.hasTarget, ti))
            g.add((ti, RDF.type, OA.SpecificResource))
            g.add((ti, OA.hasSource, at.ref(f"evidence.{j - 1}.source", "source", src)))
            g.add((ti, SG.paragraph, Literal(e.paragraph)))
            if e.quote:
                qi = URIRef(f"{ai}/quote")
                g.add((ti, OA.hasSelector, qi))
                g.add((qi, RDF.type, OA.TextQuoteSelector))
                g.add((qi, OA.exact, Literal(e.quote, lang=EN)))
            if e.speaker:
                g.add(
                    (ai, SG.quotedSpeaker, at.ref(f"evidence.{j - 1}.speaker", "actor", e.speaker))
                )
        for src in sorted(sources):
            g.add((iri, PROV.wasDerivedFrom, URIRef(mint("source", src))))
        label = s.summary or f"{s.holder} {s.polarity_key} {s.target or s.target_stance}"
        g.add((iri, RDFS.label, Literal(label, lang=EN)))
        if s.summary:
            g.add((iri, SCHEMA.description, Literal(s.summary, lang=EN)))
        if s.rationale:
            g.add((iri, SG.rationale, Literal(s.rationale, lang=EN)))
        if s.confidence is not None:
            g.add((iri, SG.confidence, Literal(str(s.confidence), datatype=XSD.decimal)))
        if s.supersedes:
            g.add((iri, SG.supersedes, at.ref("supersedes", "stance", s.supersedes)))
        self.inferred(at, g, iri, s.inferred)


def compile_parsed(files: Sequence[ParsedFile], known: Known) -> Compiled:
    """Compile already-parsed files against ``known`` ids (mutated: new ids added)."""
    return _Compiler(files, known).run()


def compile_files(paths: Sequence[str | Path], known: Known) -> Compiled:
    """Parse and compile YAML files; collect every problem across files before raising."""
    parsed: list[ParsedFile] = []
    problems: list[Problem] = []
    for p in paths:
        try:
            parsed.append(parse_file(p))
        except CompileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CompileError(problems)
    return compile_parsed(parsed, known)


def compile_texts(texts: Mapping[str, str], known: Known) -> Compiled:
    """Compile YAML given as {name: text} (HTTP uploads)."""
    parsed: list[ParsedFile] = []
    problems: list[Problem] = []
    for name, text in texts.items():
        try:
            parsed.append(parse_text(text, name))
        except CompileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CompileError(problems)
    return compile_parsed(parsed, known)


__all__ = [
    "CompileError",
    "Compiled",
    "Known",
    "ParsedFile",
    "Problem",
    "compile_files",
    "compile_parsed",
    "compile_texts",
    "parse_file",
    "parse_text",
    "vocabulary_keys",
]

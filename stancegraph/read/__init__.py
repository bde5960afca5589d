"""Read views of the stance graph as plain, JSON-ready dicts (the JSON API's data layer).

Each function runs a few SPARQL queries and shapes the rows for front ends: snake_case keys,
every resource as ``{"id", "iri", "label"}`` (``id`` is the record's slug for minted IRIs,
the full IRI otherwise), vocabulary terms as ``{"key", "iri", "label", "weight"}``.

Stance lists (filters, counts, keyset pages) are served from a *stance table* read in one
pass per data version (:func:`stance_table`, rebuilt after any write): on 11k stances a
filtered SPARQL page costs about a second, a table look-up a millisecond. Everything else
is SPARQL per call. User-supplied values reach SPARQL only as bound variables (pyoxigraph
substitutions, which must be projected by the query).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyoxigraph as ox

from ..graph import StanceGraph
from ..terms import ID, KINDS, SCHEMES, SLUG_RE, SPARQL_PREFIXES, mint

_ID = str(ID)
T = TypeVar("T")
_EN = '(LANG({v}) = "" || LANGMATCHES(LANG({v}), "en"))'


def _en(var: str) -> str:
    return _EN.format(v=var)


# --------------------------------------------------------------------------- filters

# A filter value: one IRI, several (any of them matches: repeated query parameters mean
# OR), or None (no filtering).
Filter = str | Iterable[str] | None


def any_of(value: Filter) -> frozenset[str] | None:
    """A filter value as the set of accepted values (None: no filtering)."""
    if value is None:
        return None
    values = frozenset([value]) if isinstance(value, str) else frozenset(value)
    return values or None


def _filtered(kg: StanceGraph, sparql: str, filters: dict[str, Filter]) -> list[dict[str, Any]]:
    """Rows of ``sparql`` whose filter variables hold one of the accepted IRIs; a single
    value is bound in the query (the engine narrows), several are checked per row."""
    sets = {k: any_of(v) for k, v in filters.items()}
    bound = {k: ox.NamedNode(next(iter(v))) for k, v in sets.items() if v and len(v) == 1}
    rows = kg.query(sparql, **bound).rows
    return [r for r in rows if all(v is None or r.get(k) in v for k, v in sets.items())]


# --------------------------------------------------------------------------- ids and refs


def rid(iri: str) -> str:
    """The API id of a resource: the slug for minted IRIs (``id/<kind>/<slug>``), else the IRI.

    Nested minted resources keep their path: ``<stance-slug>/condition/1``.
    """
    if iri.startswith(_ID):
        kind, sep, local = iri[len(_ID) :].partition("/")
        if sep and local and kind in KINDS:
            return local
    return iri


def resolve(kind: str, value: str) -> str | None:
    """A slug or a full IRI given by a user as an IRI of ``kind``; None if it is neither."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return value if _IRI_OK.match(value) else None
    if SLUG_RE.match(value):
        return mint(kind, value)
    return None


_IRI_OK = re.compile(r'^https?://[^\s<>"{}|\\^`]+$')


def ref(iri: str | None, label: str | None = None) -> dict[str, str] | None:
    if iri is None:
        return None
    return {"id": rid(iri), "iri": iri, "label": label or rid(iri)}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _index(iri: str) -> int:
    """Trailing number of a nested IRI (``.../evidence/10`` -> 10), for natural ordering."""
    tail = iri.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _first(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    """Rows by ``key``, keeping the first row of each (dedupes multi-valued OPTIONAL joins)."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(row[key], row)
    return out


# --------------------------------------------------------------------------- vocabularies

_Q_VOCAB = (
    SPARQL_PREFIXES
    + f"""
SELECT ?concept ?key ?label ?weight ?definition WHERE {{
  ?concept a skos:Concept ; skos:notation ?key .
  OPTIONAL {{ ?concept skos:prefLabel ?label FILTER({_en("?label")}) }}
  OPTIONAL {{ ?concept rdf:value ?weight }}
  OPTIONAL {{ ?concept skos:definition ?definition FILTER({_en("?definition")}) }}
}}
"""
)


@dataclass
class Vocab:
    """The SKOS concepts of the controlled fields, by scheme and key, and by IRI."""

    schemes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    by_iri: dict[str, dict[str, Any]] = field(default_factory=dict)

    def keys(self, scheme: str) -> list[str]:
        return sorted(self.schemes.get(scheme, {}))

    def iri(self, scheme: str, key: str) -> str | None:
        c = self.schemes.get(scheme, {}).get(key)
        return c["iri"] if c else None

    def concept(self, iri: str | None) -> dict[str, Any] | None:
        """``{id, key, iri, label, weight}`` of a concept IRI (a stub for unknown IRIs)."""
        if iri is None:
            return None
        c = self.by_iri.get(iri)
        if c is None:
            key = iri.rstrip("/").rsplit("/", 1)[-1]
            return {"id": key, "key": key, "iri": iri, "label": key, "weight": None}
        return {k: c[k] for k in ("id", "key", "iri", "label", "weight")}


def vocabulary(kg: StanceGraph) -> Vocab:
    """The vocabularies in the store (memoized per data version)."""
    return per_version(kg, "vocabulary", _build_vocabulary)


def _build_vocabulary(kg: StanceGraph) -> Vocab:
    v = Vocab()
    prefixes = {str(ns): scheme for scheme, ns in SCHEMES.items()}
    for row in kg.select(_Q_VOCAB):
        iri = row["concept"]
        base = iri[: iri.rfind("/") + 1]
        scheme = prefixes.get(base)
        if scheme is None or iri in v.by_iri:
            continue
        weight = row["weight"]
        c = {
            "id": str(row["key"]),  # references have an id everywhere; for a concept, its key
            "key": str(row["key"]),
            "iri": iri,
            "label": row["label"] or str(row["key"]),
            "weight": float(weight) if isinstance(weight, int | float) else None,
            "definition": row["definition"],
            "scheme": scheme,
        }
        v.by_iri[iri] = c
        v.schemes.setdefault(scheme, {})[c["key"]] = c
    for scheme in SCHEMES:
        v.schemes.setdefault(scheme, {})
    return v


# --------------------------------------------------------------------------- existence

_KIND_PATTERNS = {
    "actor": "?x a ?c . ?c rdfs:subClassOf* sg:Actor .",
    "proposition": "?x a sg:Proposition .",
    "stance": "?x a sg:Stance .",
    "source": "?x schema:headline ?title .",
}


def exists(kg: StanceGraph, kind: str, iri: str) -> bool:
    q = SPARQL_PREFIXES + f"ASK {{ {_KIND_PATTERNS[kind]} }}"
    return bool(kg.query(q, x=ox.NamedNode(iri)))


# --------------------------------------------------------------------------- per data version

_memo: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, Any]]] = weakref.WeakKeyDictionary()
_memo_lock = threading.Lock()
_build_locks: dict[str, threading.Lock] = {}


def per_version(kg: StanceGraph, name: str, build: Callable[[StanceGraph], T]) -> T:
    """``build(kg)``, computed once per data version of ``kg.store`` (a write rebuilds it).

    Concurrent callers wait for one build; a result is kept only if no write happened
    while it was being built.
    """
    store = kg.store
    with _memo_lock:
        try:
            slot = _memo.setdefault(store, {})
        except TypeError:  # a store that cannot be weakly referenced: no memo
            slot = None
        lock = _build_locks.setdefault(name, threading.Lock())
    if slot is None:
        return build(kg)
    cached = slot.get(name)
    if cached is not None and cached[0] == store.version:
        return cached[1]
    with lock:
        cached = slot.get(name)
        version = store.version
        if cached is not None and cached[0] == version:
            return cached[1]
        value = build(kg)
        if store.version == version:
            slot[name] = (version, value)
        return value


# --------------------------------------------------------------------------- stances

# The stance table: every stance's list fields, read in one pass per data version, so
# that filtering, counting and keyset paging are dictionary look-ups, not a SPARQL scan
# per request (11k stances: ~1 s to build once, then ~1 ms a page).
_Q_STANCE_TABLE = (
    SPARQL_PREFIXES
    + f"""
SELECT ?stance ?at ?h ?t ?p ?m ?sp ?sa ?src ?nom ?sum ?label ?conf ?lk ?hz ?exp WHERE {{
  ?stance a sg:Stance ; sg:holder ?h ; sg:target ?t ; sg:polarity ?p ; sg:modality ?m ;
          sg:statedAt ?at .
  OPTIONAL {{ ?stance sg:voicedBy ?sp }}
  OPTIONAL {{ ?stance sg:speechAct ?sa }}
  OPTIONAL {{ ?stance prov:wasDerivedFrom ?src }}
  OPTIONAL {{ ?stance sg:nominee ?nom }}
  OPTIONAL {{ ?stance schema:description ?sum FILTER({_en("?sum")}) }}
  OPTIONAL {{ ?stance rdfs:label ?label FILTER({_en("?label")}) }}
  OPTIONAL {{ ?stance sg:confidence ?conf }}
  OPTIONAL {{ ?stance sg:likelihood ?lk }}
  OPTIONAL {{ ?stance sg:horizon ?hz }}
  BIND (EXISTS {{ ?stance a sg:Expectation }} AS ?exp)
}}
"""
)
_Q_STANCE_PARTS = (
    SPARQL_PREFIXES
    + """
SELECT ?stance ?part ?x WHERE {
  { ?stance sg:condition ?x BIND("condition" AS ?part) }
  UNION { ?stance sg:hasEvidence ?x BIND("evidence" AS ?part) }
}
"""
)
_Q_LABELS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?x ?label WHERE {{
  {{ ?x rdfs:label ?label FILTER(isIRI(?x) && {_en("?label")}) }}
  UNION {{ ?x schema:headline ?label FILTER(isIRI(?x)) }}
}}
"""
)

# Filterable fields of a stance (the StanceFilter attribute names).
_INDEXED = (
    "holder",
    "speaker",
    "target",
    "polarity",
    "speech_act",
    "modality",
    "source",
    "nominee",
)


@dataclass(slots=True)
class StanceRecord:
    iri: str
    at: str  # sg:statedAt's lexical form: the first sort key
    holder: str
    target: str
    polarity: str
    modality: str
    speaker: str | None = None
    speech_act: str | None = None
    source: str | None = None
    nominee: str | None = None
    summary: str | None = None
    label: str | None = None
    confidence: float | None = None
    conditions: int = 0
    evidence: int = 0
    expectation: bool = False  # model v2: a forecast or assessment, not a preference
    likelihood: str | None = None
    horizon: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.at, self.iri)


@dataclass
class StanceFilter:
    """Filters of the stance list, as IRIs (resolve slugs and keys first); dates inclusive."""

    holder: Filter = None
    speaker: Filter = None
    target: Filter = None
    polarity: Filter = None
    speech_act: Filter = None
    modality: Filter = None
    source: Filter = None
    nominee: Filter = None
    since: dt.date | None = None
    until: dt.date | None = None


class StanceTable:
    """All stances sorted by (statedAt, IRI), with an index per filterable field."""

    def __init__(self, records: list[StanceRecord], labels: dict[str, str]):
        self.rows = sorted(records, key=lambda r: r.key)
        self.keys = [r.key for r in self.rows]
        self.by_iri = {r.iri: i for i, r in enumerate(self.rows)}
        self.labels = labels
        self.index: dict[str, dict[str, list[int]]] = {f: {} for f in _INDEXED}
        for i, r in enumerate(self.rows):
            for f in _INDEXED:
                v = getattr(r, f)
                if v is not None:
                    self.index[f].setdefault(v, []).append(i)

    def get(self, iri: str) -> StanceRecord | None:
        i = self.by_iri.get(iri)
        return None if i is None else self.rows[i]

    def select(
        self, flt: StanceFilter, *, after: tuple[str, str] | None = None, limit: int | None = None
    ) -> tuple[list[StanceRecord], int]:
        """(the matching stances after the keyset ``after``, at most ``limit``; how many match
        in all)."""
        active = [(f, vs) for f in _INDEXED if (vs := any_of(getattr(flt, f))) is not None]
        lists = [sorted({i for v in vs for i in self.index[f].get(v, [])}) for f, vs in active]
        positions: list[int] | range = min(lists, key=len) if lists else range(len(self.rows))
        since = flt.since.isoformat() if flt.since else None
        until = flt.until.isoformat() if flt.until else None

        def ok(r: StanceRecord) -> bool:
            day = r.at[:10]
            return (
                all(getattr(r, f) in vs for f, vs in active)
                and (since is None or day >= since)
                and (until is None or day <= until)
            )

        matching = [i for i in positions if ok(self.rows[i])]
        start = (
            0 if after is None else bisect.bisect_right(matching, after, key=lambda i: self.keys[i])
        )
        end = len(matching) if limit is None else start + limit
        return [self.rows[i] for i in matching[start:end]], len(matching)


def _build_stance_table(kg: StanceGraph) -> StanceTable:
    pool: dict[str, str] = {}

    def val(term: Any) -> str | None:
        if term is None:
            return None
        v = term.value
        return pool.setdefault(v, v)

    records: dict[str, StanceRecord] = {}
    for sol in kg.store.query(_Q_STANCE_TABLE):
        iri = sol["stance"].value
        if iri in records:
            continue
        conf = sol["conf"]
        try:
            confidence = float(conf.value) if conf is not None else None
        except ValueError:
            confidence = None
        records[iri] = StanceRecord(
            iri=iri,
            at=sol["at"].value,
            holder=val(sol["h"]) or "",
            target=val(sol["t"]) or "",
            polarity=val(sol["p"]) or "",
            modality=val(sol["m"]) or "",
            speaker=val(sol["sp"]),
            speech_act=val(sol["sa"]),
            source=val(sol["src"]),
            nominee=val(sol["nom"]),
            summary=sol["sum"].value if sol["sum"] is not None else None,
            label=sol["label"].value if sol["label"] is not None else None,
            confidence=confidence,
            expectation=sol["exp"] is not None and sol["exp"].value in ("true", "1"),
            likelihood=val(sol["lk"]),
            horizon=val(sol["hz"]),
        )
    seen: set[tuple[str, str]] = set()
    for sol in kg.store.query(_Q_STANCE_PARTS):
        r = records.get(sol["stance"].value)
        x = sol["x"].value
        if r is None or (r.iri, x) in seen:
            continue
        seen.add((r.iri, x))
        if sol["part"].value == "condition":
            r.conditions += 1
        else:
            r.evidence += 1
    labels: dict[str, str] = {}
    for sol in kg.store.query(_Q_LABELS):
        labels.setdefault(sol["x"].value, sol["label"].value)
    return StanceTable(list(records.values()), labels)


def stance_table(kg: StanceGraph) -> StanceTable:
    return per_version(kg, "stances", _build_stance_table)


def _stance_dict(table: StanceTable, r: StanceRecord, vocab: Vocab) -> dict[str, Any]:
    lab = table.labels.get
    return {
        "id": rid(r.iri),
        "iri": r.iri,
        "kind": "guarantor-nomination" if r.nominee else "stance",
        "label": r.label or r.summary or rid(r.iri),
        "holder": ref(r.holder, lab(r.holder)),
        "speaker": ref(r.speaker, lab(r.speaker)) if r.speaker else None,
        "target": {
            **(ref(r.target, lab(r.target)) or {}),
            "kind": "stance" if r.target in table.by_iri else "proposition",
        },
        "polarity": vocab.concept(r.polarity),
        "speech_act": vocab.concept(r.speech_act),
        "modality": vocab.concept(r.modality),
        "stated_at": _date(r.at),
        "source": ref(r.source, lab(r.source)) if r.source else None,
        "nominee": ref(r.nominee, lab(r.nominee)) if r.nominee else None,
        "summary": r.summary,
        "confidence": r.confidence,
        "condition_count": r.conditions,
        "evidence_count": r.evidence,
        "dimension": "expectation" if r.expectation else "preference",
        "likelihood": vocab.concept(r.likelihood),
        "horizon": vocab.concept(r.horizon),
        "sort_key": r.key,
    }


def stance_page(
    kg: StanceGraph,
    flt: StanceFilter | None = None,
    *,
    after: tuple[str, str] | None = None,
    limit: int | None = None,
    vocab: Vocab | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Stances matching ``flt`` in (statedAt, IRI) order, after the keyset ``after`` (the
    ``sort_key`` of the last item of the previous page), and how many match in all."""
    table = stance_table(kg)
    vocab = vocab or vocabulary(kg)
    rows, total = table.select(flt or StanceFilter(), after=after, limit=limit)
    return [_stance_dict(table, r, vocab) for r in rows], total


def stances(
    kg: StanceGraph, flt: StanceFilter | None = None, *, vocab: Vocab | None = None
) -> list[dict[str, Any]]:
    """Every stance matching ``flt``, in (statedAt, IRI) order."""
    return stance_page(kg, flt, vocab=vocab)[0]


_Q_STANCE_EXTRA = (
    SPARQL_PREFIXES
    + f"""
SELECT ?stance ?rel ?value ?valueLabel WHERE {{
  {{ ?stance sg:rationale ?value FILTER({_en("?value")}) BIND("rationale" AS ?rel) }}
  UNION {{ ?stance sg:inNegotiation ?value BIND("negotiation" AS ?rel) }}
  UNION {{ ?stance sg:supersedes ?value BIND("supersedes" AS ?rel) }}
  UNION {{ ?value sg:supersedes ?stance BIND("superseded_by" AS ?rel) }}
  OPTIONAL {{ ?value rdfs:label ?valueLabel FILTER(isIRI(?value) && {_en("?valueLabel")}) }}
}}
"""
)

_Q_EVIDENCE = (
    SPARQL_PREFIXES
    + f"""
SELECT ?stance ?t ?ev ?paragraph ?quote ?src ?srcTitle ?publisher ?publisherLabel ?published
       ?speaker ?speakerLabel WHERE {{
  ?stance sg:hasEvidence ?ev ; sg:target ?t .
  OPTIONAL {{
    ?ev oa:hasTarget ?sr .
    OPTIONAL {{ ?sr sg:paragraph ?paragraph }}
    OPTIONAL {{ ?sr oa:hasSelector ?sel . ?sel oa:exact ?quote }}
    OPTIONAL {{
      ?sr oa:hasSource ?src .
      OPTIONAL {{ ?src schema:headline ?srcTitle }}
      OPTIONAL {{ ?src schema:datePublished ?published }}
      OPTIONAL {{ ?src schema:publisher ?publisher .
                  OPTIONAL {{ ?publisher rdfs:label ?publisherLabel FILTER({_en("?publisherLabel")}) }} }}
    }}
  }}
  OPTIONAL {{ ?ev sg:quotedSpeaker ?speaker .
              OPTIONAL {{ ?speaker rdfs:label ?speakerLabel FILTER({_en("?speakerLabel")}) }} }}
}}
"""
)


def evidence(
    kg: StanceGraph, *, stance: str | None = None, target: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Evidence items by stance IRI (of one stance, or of every stance on ``target``)."""
    b: dict[str, Any] = {}
    if stance:
        b["stance"] = ox.NamedNode(stance)
    if target:
        b["t"] = ox.NamedNode(target)
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(
        _first(kg.query(_Q_EVIDENCE, **b).rows, "ev").values(), key=lambda r: _index(r["ev"])
    ):
        src = row["src"]
        out.setdefault(row["stance"], []).append(
            {
                "id": rid(row["ev"]),
                "iri": row["ev"],
                "source": None
                if src is None
                else {
                    "id": rid(src),
                    "iri": src,
                    "title": row["srcTitle"] or rid(src),
                    "publisher": ref(row["publisher"], row["publisherLabel"]),
                    "published": row["published"],
                },
                "paragraph": row["paragraph"],
                "quote": row["quote"],
                "speaker": ref(row["speaker"], row["speakerLabel"]),
            }
        )
    return out


def embed(kg: StanceGraph, items: list[dict[str, Any]], include: Iterable[str]) -> None:
    """Add each stance's ``evidence`` and/or ``conditions`` to list items (``include=``), so
    a page with evidence is one request, not one per stance."""
    wanted = set(include)
    if "evidence" in wanted:
        by_stance = per_version(kg, "evidence-by-stance", lambda g: evidence(g))
        for item in items:
            item["evidence"] = by_stance.get(item["iri"], [])
    if "conditions" in wanted:

        def group(g: StanceGraph) -> dict[str, list[dict[str, Any]]]:
            out: dict[str, list[dict[str, Any]]] = {}
            for c in conditions(g):
                out.setdefault(c["stance"]["iri"], []).append(c)
            return out

        by_stance = per_version(kg, "conditions-by-stance", group)
        for item in items:
            item["conditions"] = by_stance.get(item["iri"], [])


def stance(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One stance with conditions, evidence, rationale and the stances that react to it."""
    vocab = vocabulary(kg)
    table = stance_table(kg)
    record = table.get(iri)
    if record is None:
        return None
    s = _stance_dict(table, record, vocab)
    extra = kg.query(_Q_STANCE_EXTRA, stance=ox.NamedNode(iri)).rows
    s["rationale"] = next((r["value"] for r in extra if r["rel"] == "rationale"), None)
    neg = next((r for r in extra if r["rel"] == "negotiation"), None)
    s["negotiation"] = ref(neg["value"], neg["valueLabel"]) if neg else None
    sup = next((r for r in extra if r["rel"] == "supersedes"), None)
    s["supersedes"] = ref(sup["value"], sup["valueLabel"]) if sup else None
    s["superseded_by"] = [
        ref(r["value"], r["valueLabel"]) for r in extra if r["rel"] == "superseded_by"
    ]
    s["conditions"] = conditions(kg, stance=iri, vocab=vocab)
    s["evidence"] = evidence(kg, stance=iri).get(iri, [])
    s["reactions"] = stances(kg, StanceFilter(target=iri), vocab=vocab)
    return s


# --------------------------------------------------------------------------- conditions

_Q_CONDITIONS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?condition ?stance ?h ?hl ?t ?tl ?tk ?ct ?req ?reql ?note WHERE {{
  ?stance sg:condition ?condition ; sg:holder ?h ; sg:target ?t .
  ?condition sg:conditionType ?ct ; sg:requires ?req .
  OPTIONAL {{ ?h rdfs:label ?hl FILTER({_en("?hl")}) }}
  OPTIONAL {{ ?t rdfs:label ?tl FILTER({_en("?tl")}) }}
  BIND(IF(EXISTS {{ ?t a sg:Stance }}, "stance", "proposition") AS ?tk)
  OPTIONAL {{ ?req rdfs:label ?reql FILTER({_en("?reql")}) }}
  OPTIONAL {{ ?condition rdfs:comment ?note }}
}}
"""
)


def conditions(
    kg: StanceGraph,
    *,
    stance: Filter = None,
    requires: Filter = None,
    target: Filter = None,
    holder: Filter = None,
    condition_type: Filter = None,
    vocab: Vocab | None = None,
) -> list[dict[str, Any]]:
    """Conditions on stances, filtered by the stance, the required proposition, the
    stance's target or holder, or the condition type (IRIs; several values: any of them)."""
    vocab = vocab or vocabulary(kg)
    b = {"stance": stance, "req": requires, "t": target, "h": holder, "ct": condition_type}
    rows = _first(_filtered(kg, _Q_CONDITIONS, b), "condition")
    out = [
        {
            "id": rid(r["condition"]),
            "iri": r["condition"],
            "type": vocab.concept(r["ct"]),
            "requires": ref(r["req"], r["reql"]),
            "note": r["note"],
            "stance": {"id": rid(r["stance"]), "iri": r["stance"]},
            "holder": ref(r["h"], r["hl"]),
            "target": {**(ref(r["t"], r["tl"]) or {}), "kind": r["tk"]},
        }
        for r in rows.values()
    ]
    out.sort(key=lambda c: (c["holder"]["label"], c["stance"]["iri"], _index(c["iri"])))
    return out


# --------------------------------------------------------------------------- actors

_Q_ACTORS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?actor ?cls ?label ?description ?wikidata ?state ?stateLabel WHERE {{
  ?actor a ?cls . ?cls rdfs:subClassOf* sg:Actor .
  FILTER(STRSTARTS(STR(?cls), STR(sg:)))
  OPTIONAL {{ ?actor rdfs:label ?label FILTER({_en("?label")}) }}
  OPTIONAL {{ ?actor schema:description ?description FILTER({_en("?description")}) }}
  OPTIONAL {{ ?actor owl:sameAs ?wikidata FILTER(STRSTARTS(STR(?wikidata), STR(wd:))) }}
  OPTIONAL {{ ?actor sg:state ?state . OPTIONAL {{ ?state rdfs:label ?stateLabel FILTER({_en("?stateLabel")}) }} }}
}}
"""
)

_Q_ACTOR_COUNTS = (
    SPARQL_PREFIXES
    + """
SELECT ?actor ?role (COUNT(DISTINCT ?s) AS ?n) WHERE {
  { ?s sg:holder ?actor BIND("held" AS ?role) }
  UNION { ?s sg:voicedBy ?actor BIND("voiced" AS ?role) }
  UNION { ?s sg:nominee ?actor BIND("nominated" AS ?role) }
} GROUP BY ?actor ?role
"""
)

_SG = "https://w3id.org/stancegraph/ns#"
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def kebab(name: str) -> str:
    """A class name as an API value: ``StateActor`` -> ``state-actor`` (values are kebab-case
    everywhere, like vocabulary keys); kebab-case input is returned as it is."""
    return _WORD.sub("-", name).lower()


def _actor_rows(kg: StanceGraph, iri: str | None = None) -> list[dict[str, Any]]:
    b = {"actor": ox.NamedNode(iri)} if iri else {}
    by: dict[str, dict[str, Any]] = {}
    for row in kg.query(_Q_ACTORS, **b).rows:
        cls = row["cls"][len(_SG) :]
        a = by.get(row["actor"])
        if a is None:
            by[row["actor"]] = {**row, "type": cls}
        elif a["type"] == "Actor" or (cls != "Actor" and cls < a["type"]):
            a["type"] = cls
    counts: dict[tuple[str, str], int] = {
        (r["actor"], r["role"]): int(r["n"]) for r in kg.query(_Q_ACTOR_COUNTS, **b).rows
    }
    out = []
    for a, row in by.items():
        out.append(
            {
                "id": rid(a),
                "iri": a,
                "label": row["label"] or rid(a),
                "type": kebab(row["type"]),
                "description": row["description"],
                "wikidata": row["wikidata"],
                "state": ref(row["state"], row["stateLabel"]),
                "stances_held": counts.get((a, "held"), 0),
                "stances_voiced": counts.get((a, "voiced"), 0),
                "nominations_received": counts.get((a, "nominated"), 0),
            }
        )
    out.sort(key=lambda a: (a["label"].casefold(), a["iri"]))
    return out


def actors(kg: StanceGraph, *, actor_type: Filter = None) -> list[dict[str, Any]]:
    types = any_of(actor_type)
    kinds = None if types is None else {kebab(t) for t in types}
    return [a for a in _actor_rows(kg) if kinds is None or a["type"] in kinds]


def actor_types(kg: StanceGraph) -> list[str]:
    q = (
        SPARQL_PREFIXES
        + "SELECT DISTINCT ?c WHERE { ?c rdfs:subClassOf* sg:Actor FILTER(STRSTARTS(STR(?c), STR(sg:))) }"
    )
    return sorted(kebab(r["c"][len(_SG) :]) for r in kg.select(q))


_Q_ACTOR_LINKS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?actor ?rel ?other ?otherLabel WHERE {{
  {{ ?actor sg:territory ?other BIND("territory" AS ?rel) }}
  UNION {{ ?actor org:memberOf ?other BIND("member_of" AS ?rel) }}
  UNION {{ ?other org:memberOf ?actor BIND("has_member" AS ?rel) }}
  UNION {{ ?other sg:state ?actor BIND("affiliated" AS ?rel) }}
  OPTIONAL {{ ?other rdfs:label ?otherLabel FILTER({_en("?otherLabel")}) }}
}}
"""
)

_Q_MEMBERSHIPS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?m ?member ?memberLabel ?organization ?organizationLabel ?role ?title ?attested WHERE {{
  ?m org:member ?member ; org:organization ?organization .
  OPTIONAL {{ ?member rdfs:label ?memberLabel FILTER({_en("?memberLabel")}) }}
  OPTIONAL {{ ?organization rdfs:label ?organizationLabel FILTER({_en("?organizationLabel")}) }}
  OPTIONAL {{ ?m org:role ?role }}
  OPTIONAL {{ ?m rdfs:label ?title FILTER({_en("?title")}) }}
  OPTIONAL {{ ?m sg:attestedOn ?attested }}
}}
"""
)


def _memberships(kg: StanceGraph, vocab: Vocab, **bound: str) -> list[dict[str, Any]]:
    rows = _first(
        kg.query(_Q_MEMBERSHIPS, **{k: ox.NamedNode(v) for k, v in bound.items()}).rows, "m"
    )
    out = [
        {
            "id": rid(r["m"]),
            "iri": r["m"],
            "member": ref(r["member"], r["memberLabel"]),
            "organization": ref(r["organization"], r["organizationLabel"]),
            "role": vocab.concept(r["role"]),
            "title": r["title"],
            "attested_on": _date(r["attested"]),
        }
        for r in rows.values()
    ]
    out.sort(key=lambda m: (m["member"]["label"], m["organization"]["label"], _index(m["iri"])))
    return out


def membership(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One membership (``<actor id>/membership/<n>``), or None."""
    found = _memberships(kg, vocabulary(kg), m=iri)
    return found[0] if found else None


def condition(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One condition (``<stance id>/condition/<n>``), or None."""
    stance, sep, _ = iri.rpartition("/condition/")
    if not sep:
        return None
    return next((c for c in conditions(kg, stance=stance) if c["iri"] == iri), None)


def actor(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One actor with roles, affiliations, members and the stances it holds or voices."""
    found = _actor_rows(kg, iri)
    if not found:
        return None
    a = found[0]
    vocab = vocabulary(kg)
    links = kg.query(_Q_ACTOR_LINKS, actor=ox.NamedNode(iri)).rows

    def linked(rel: str) -> list[dict[str, str]]:
        refs = {r["other"]: ref(r["other"], r["otherLabel"]) for r in links if r["rel"] == rel}
        return sorted(
            (x for x in refs.values() if x), key=lambda x: (x["label"].casefold(), x["iri"])
        )

    territory = linked("territory")
    a["territory"] = territory[0] if territory else None
    a["member_of"] = linked("member_of")
    a["members"] = linked("has_member")
    a["affiliated"] = linked("affiliated")
    a["roles"] = _memberships(kg, vocab, member=iri)
    a["people"] = _memberships(kg, vocab, organization=iri)
    a["held"] = stances(kg, StanceFilter(holder=iri), vocab=vocab)
    a["voiced"] = stances(kg, StanceFilter(speaker=iri), vocab=vocab)
    a["nominated"] = stances(kg, StanceFilter(nominee=iri), vocab=vocab)
    return a


# --------------------------------------------------------------------------- propositions

_Q_PROPOSITIONS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?p ?label ?dt ?description WHERE {{
  ?p a sg:Proposition .
  OPTIONAL {{ ?p rdfs:label ?label FILTER({_en("?label")}) }}
  OPTIONAL {{ ?p sg:demandType ?dt }}
  OPTIONAL {{ ?p schema:description ?description FILTER({_en("?description")}) }}
}}
"""
)

_Q_PROPOSITION_COUNTS = (
    SPARQL_PREFIXES
    + """
SELECT ?p ?pol (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?p a sg:Proposition . ?s sg:target ?p ; sg:polarity ?pol .
} GROUP BY ?p ?pol
"""
)

_Q_PROPOSITION_LINKS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?p ?rel ?other ?otherLabel WHERE {{
  {{ ?p sg:actorToAct ?other BIND("actors_to_act" AS ?rel) }}
  UNION {{ ?p sg:beneficiary ?other BIND("beneficiaries" AS ?rel) }}
  UNION {{ ?p sg:location ?other BIND("locations" AS ?rel) }}
  UNION {{ ?p sg:inNegotiation ?other BIND("negotiation" AS ?rel) }}
  OPTIONAL {{ ?other rdfs:label ?otherLabel FILTER({_en("?otherLabel")}) }}
}}
"""
)

_Q_REACTIONS_ON = (
    SPARQL_PREFIXES
    + f"""
SELECT ?target ?stance ?reaction ?h ?hl ?pol WHERE {{
  ?stance sg:target ?target . ?reaction sg:target ?stance ; sg:holder ?h ; sg:polarity ?pol .
  OPTIONAL {{ ?h rdfs:label ?hl FILTER({_en("?hl")}) }}
}}
"""
)


def _proposition_rows(
    kg: StanceGraph, vocab: Vocab, iri: str | None = None
) -> list[dict[str, Any]]:
    b = {"p": ox.NamedNode(iri)} if iri else {}
    rows = _first(kg.query(_Q_PROPOSITIONS, **b).rows, "p")
    counts: dict[str, dict[str, int]] = {}
    for r in kg.query(_Q_PROPOSITION_COUNTS, **b).rows:
        key = (vocab.concept(r["pol"]) or {}).get("key", r["pol"])
        counts.setdefault(r["p"], {})[key] = int(r["n"])
    out = [
        {
            "id": rid(p),
            "iri": p,
            "label": r["label"] or rid(p),
            "demand_type": vocab.concept(r["dt"]),
            "description": r["description"],
            "stance_count": sum(counts.get(p, {}).values()),
            "polarity_counts": dict(sorted(counts.get(p, {}).items())),
        }
        for p, r in rows.items()
    ]
    out.sort(key=lambda p: (p["label"].casefold(), p["iri"]))
    return out


def propositions(kg: StanceGraph, *, demand_type: Filter = None) -> list[dict[str, Any]]:
    types = any_of(demand_type)
    rows = _proposition_rows(kg, vocabulary(kg))
    return [p for p in rows if types is None or (p["demand_type"] or {}).get("iri") in types]


def proposition(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One proposition: positions on it grouped by polarity (with evidence quotes and the
    reactions they drew), the conditions attached to those stances, and the conditions
    of other stances that require it."""
    vocab = vocabulary(kg)
    found = _proposition_rows(kg, vocab, iri)
    if not found:
        return None
    p = found[0]
    links = kg.query(_Q_PROPOSITION_LINKS, p=ox.NamedNode(iri)).rows

    def linked(rel: str) -> list[dict[str, str]]:
        refs = {r["other"]: ref(r["other"], r["otherLabel"]) for r in links if r["rel"] == rel}
        return sorted(
            (x for x in refs.values() if x), key=lambda x: (x["label"].casefold(), x["iri"])
        )

    p["actors_to_act"] = linked("actors_to_act")
    p["beneficiaries"] = linked("beneficiaries")
    p["locations"] = linked("locations")
    neg = linked("negotiation")
    p["negotiation"] = neg[0] if neg else None

    on = stances(kg, StanceFilter(target=iri), vocab=vocab)
    quotes = evidence(kg, target=iri)
    reactions: dict[str, list[dict[str, Any]]] = {}
    for r in _first(kg.query(_Q_REACTIONS_ON, target=ox.NamedNode(iri)).rows, "reaction").values():
        reactions.setdefault(r["stance"], []).append(
            {
                "id": rid(r["reaction"]),
                "iri": r["reaction"],
                "holder": ref(r["h"], r["hl"]),
                "polarity": vocab.concept(r["pol"]),
            }
        )
    groups: dict[str, dict[str, Any]] = {}
    expectations: list[dict[str, Any]] = []
    for s in on:
        if s["dimension"] == "expectation":  # forecasts are listed apart (model v2)
            expectations.append(
                {**s, "quotes": [e["quote"] for e in quotes.get(s["iri"], []) if e["quote"]]}
            )
            continue
        g = groups.setdefault(
            s["polarity"]["key"], {"polarity": s["polarity"], "count": 0, "stances": []}
        )
        g["count"] += 1
        g["stances"].append(
            {
                **s,
                "quotes": [e["quote"] for e in quotes.get(s["iri"], []) if e["quote"]],
                "reactions": sorted(reactions.get(s["iri"], []), key=lambda x: x["iri"]),
            }
        )
    p["positions"] = sorted(
        groups.values(),
        key=lambda g: (
            -(g["polarity"]["weight"] if g["polarity"]["weight"] is not None else 0),
            g["polarity"]["key"],
        ),
    )
    p["expectations"] = [{**x, "reactions": []} for x in expectations]
    p["conditions"] = conditions(kg, target=iri, vocab=vocab)
    p["required_by"] = conditions(kg, requires=iri, vocab=vocab)
    return p


# --------------------------------------------------------------------------- nominations

_Q_NOMINATIONS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?stance ?h ?hl ?nom ?noml ?m ?t ?tl ?p ?sp ?spl ?at WHERE {{
  ?stance a sg:Stance ; sg:nominee ?nom ; sg:holder ?h ; sg:modality ?m ; sg:target ?t ;
          sg:polarity ?p ; sg:statedAt ?at .
  OPTIONAL {{ ?h rdfs:label ?hl FILTER({_en("?hl")}) }}
  OPTIONAL {{ ?nom rdfs:label ?noml FILTER({_en("?noml")}) }}
  OPTIONAL {{ ?t rdfs:label ?tl FILTER({_en("?tl")}) }}
  OPTIONAL {{ ?stance sg:voicedBy ?sp . OPTIONAL {{ ?sp rdfs:label ?spl FILTER({_en("?spl")}) }} }}
}}
"""
)


def nominations(
    kg: StanceGraph,
    *,
    nominator: Filter = None,
    nominee: Filter = None,
    modality: Filter = None,
    vocab: Vocab | None = None,
) -> list[dict[str, Any]]:
    """Guarantor nominations (stances with a nominee), firmest modality first, then by
    nominee label and nominator label."""
    vocab = vocab or vocabulary(kg)
    b = {"h": nominator, "nom": nominee, "m": modality}
    rows = _first(_filtered(kg, _Q_NOMINATIONS, b), "stance")
    out = [
        {
            "id": rid(r["stance"]),
            "iri": r["stance"],
            "nominator": ref(r["h"], r["hl"]),
            "nominee": ref(r["nom"], r["noml"]),
            "modality": vocab.concept(r["m"]),
            "polarity": vocab.concept(r["p"]),
            "guarantee": ref(r["t"], r["tl"]),
            "speaker": ref(r["sp"], r["spl"]),
            "stated_at": _date(r["at"]),
        }
        for r in rows.values()
    ]
    out.sort(
        key=lambda n: (
            -(n["modality"]["weight"] or 0),
            n["nominee"]["label"].casefold(),
            n["nominator"]["label"].casefold(),
            n["iri"],
        )
    )
    return out


def nomination_matrix(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Nominees (rows) x nominators (columns): per cell the firmest modality and the stances."""
    nominators = sorted(
        {n["nominator"]["iri"]: n["nominator"] for n in items}.values(),
        key=lambda r: r["label"].casefold(),
    )
    col = {r["iri"]: i for i, r in enumerate(nominators)}
    rows: dict[str, dict[str, Any]] = {}
    for n in items:
        row = rows.setdefault(
            n["nominee"]["iri"],
            {
                "nominee": n["nominee"],
                "modality": None,
                "cells": [{"modality": None, "stances": []} for _ in nominators],
            },
        )
        cell = row["cells"][col[n["nominator"]["iri"]]]
        cell["stances"].append(n["id"])
        for holder in (cell, row):
            if holder["modality"] is None or (n["modality"]["weight"] or 0) > (
                holder["modality"]["weight"] or 0
            ):
                holder["modality"] = n["modality"]
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            -((r["modality"] or {}).get("weight") or 0),
            r["nominee"]["label"].casefold(),
        ),
    )
    return {"nominators": nominators, "rows": ordered}


# --------------------------------------------------------------------------- sources

_Q_SOURCES = (
    SPARQL_PREFIXES
    + f"""
SELECT ?src ?title ?cls ?publisher ?publisherLabel ?published ?language ?original ?url
       ?paragraphs ?description ?graph WHERE {{
  ?src schema:headline ?title .
  OPTIONAL {{ ?src a ?cls FILTER(STRSTARTS(STR(?cls), STR(schema:))) }}
  OPTIONAL {{ ?src schema:publisher ?publisher .
              OPTIONAL {{ ?publisher rdfs:label ?publisherLabel FILTER({_en("?publisherLabel")}) }} }}
  OPTIONAL {{ ?src schema:datePublished ?published }}
  OPTIONAL {{ ?src schema:inLanguage ?language }}
  OPTIONAL {{ ?src sg:originalLanguage ?original }}
  OPTIONAL {{ ?src schema:url ?url }}
  OPTIONAL {{ ?src sg:paragraphCount ?paragraphs }}
  OPTIONAL {{ ?src schema:description ?description FILTER({_en("?description")}) }}
  OPTIONAL {{ ?graph prov:wasDerivedFrom ?src ; a sg:SourceGraph }}
}}
"""
)

_Q_SOURCE_EXTRA = (
    SPARQL_PREFIXES
    + f"""
SELECT ?src ?rel ?other ?otherLabel ?n WHERE {{
  {{ ?src schema:headline ?title ; schema:contributor ?other BIND("contributor" AS ?rel)
     OPTIONAL {{ ?other rdfs:label ?otherLabel FILTER({_en("?otherLabel")}) }} }}
  UNION {{ SELECT ?src ("stances" AS ?rel) (COUNT(DISTINCT ?s) AS ?n) WHERE {{
             ?src schema:headline ?title . ?s a sg:Stance ; prov:wasDerivedFrom ?src }} GROUP BY ?src }}
}}
"""
)


def sources(kg: StanceGraph, iri: str | None = None) -> list[dict[str, Any]]:
    b = {"src": ox.NamedNode(iri)} if iri else {}
    rows = _first(kg.query(_Q_SOURCES, **b).rows, "src")
    extra = kg.query(_Q_SOURCE_EXTRA, **b).rows
    out = []
    for s, r in rows.items():
        contributors = {
            x["other"]: ref(x["other"], x["otherLabel"])
            for x in extra
            if x["src"] == s and x["rel"] == "contributor"
        }
        count = next((int(x["n"]) for x in extra if x["src"] == s and x["rel"] == "stances"), 0)
        out.append(
            {
                "id": rid(s),
                "iri": s,
                "title": r["title"],
                "type": kebab(r["cls"].rsplit("/", 1)[-1]) if r["cls"] else None,
                "publisher": ref(r["publisher"], r["publisherLabel"]),
                "contributors": sorted(
                    (c for c in contributors.values() if c), key=lambda c: c["label"].casefold()
                ),
                "published": r["published"],
                "language": r["language"],
                "original_language": r["original"],
                "url": r["url"],
                "paragraphs": r["paragraphs"],
                "description": r["description"],
                "graph": r["graph"],
                "stance_count": count,
            }
        )
    out.sort(key=lambda s: (str(s["published"] or ""), s["iri"]))
    return out


def source(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    found = sources(kg, iri)
    if not found:
        return None
    s = found[0]
    s["stances"] = stances(kg, StanceFilter(source=iri))
    return s


# --------------------------------------------------------------------------- RDF of one resource

_Q_DESCRIBE = (
    SPARQL_PREFIXES
    + """
CONSTRUCT { ?s ?p ?o } WHERE {
  { ?r ?p ?o . BIND(?r AS ?s) }
  UNION { ?r sg:condition|sg:hasEvidence|(sg:hasEvidence/oa:hasTarget)|(sg:hasEvidence/oa:hasTarget/oa:hasSelector)|sg:relayedVia ?s .
          ?s ?p ?o }
  UNION { ?s org:member ?r ; a org:Membership . ?s ?p ?o }
  UNION { ?s rdf:subject ?r ; a sg:InferredFact . ?s ?p ?o }
}
"""
)


def describe(kg: StanceGraph, iri: str) -> list[ox.Triple]:
    """The resource's own triples and those of the nodes it owns (conditions, evidence,
    relays, memberships, the markers of its inferred facts), in a stable order."""
    raw = kg.store.query(_Q_DESCRIBE, substitutions={"r": ox.NamedNode(iri)})
    return sorted(set(raw), key=str)


def jsonld(kg: StanceGraph, iri: str) -> bytes | None:
    triples = describe(kg, iri)
    if not triples:
        return None
    return ox.serialize(triples, format=ox.RdfFormat.JSON_LD)


# --------------------------------------------------------------------------- search documents

_Q_SEARCH_KINDS = (
    SPARQL_PREFIXES
    + """
SELECT ?x ?kind WHERE {
  { ?c rdfs:subClassOf* sg:Actor . ?x a ?c . FILTER(STRSTARTS(STR(?c), STR(sg:))) BIND("actor" AS ?kind) }
  UNION { ?x a schema:Place . BIND("place" AS ?kind) }
  UNION { VALUES ?c { sg:NegotiationProcess sg:NegotiationRound } ?x a ?c . BIND("negotiation" AS ?kind) }
  UNION { ?x a sg:Proposition . BIND("proposition" AS ?kind) }
  UNION { ?x a sg:Stance . BIND("stance" AS ?kind) }
  UNION { ?x schema:headline ?h . BIND("source" AS ?kind) }
}
"""
)

_Q_SEARCH_TEXTS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?x ?field ?text WHERE {{
  {{ ?x rdfs:label ?text BIND("label" AS ?field) }}
  UNION {{ ?x skos:altLabel ?text BIND("alt_label" AS ?field) }}
  UNION {{ ?x schema:description ?text BIND("description" AS ?field) }}
  UNION {{ ?x sg:rationale ?text BIND("rationale" AS ?field) }}
  UNION {{ ?x sg:hasEvidence/oa:hasTarget/oa:hasSelector/oa:exact ?text BIND("quote" AS ?field) }}
  UNION {{ ?m org:member ?x ; rdfs:label ?text BIND("role" AS ?field) }}
  FILTER(isIRI(?x) && isLiteral(?text) && {_en("?text")})
}}
"""
)


@dataclass
class SearchDocument:
    kind: str
    iri: str
    label: str
    fields: list[tuple[str, str]]


def search_documents(kg: StanceGraph) -> list[SearchDocument]:
    """Every searchable text, grouped by resource (actors, places, negotiations,
    propositions, stances, sources). A stance's label is its summary, so both are indexed
    once, as the field ``summary``."""
    kinds: dict[str, str] = {}
    for sol in kg.store.query(_Q_SEARCH_KINDS):
        kinds.setdefault(sol["x"].value, sol["kind"].value)
    docs: dict[str, SearchDocument] = {}
    seen: set[tuple[str, str, str]] = set()
    for sol in kg.store.query(_Q_SEARCH_TEXTS):
        iri = sol["x"].value
        kind = kinds.get(iri)
        if kind is None:
            continue
        fld, text = sol["field"].value, sol["text"].value
        if kind == "stance" and fld in ("label", "description"):
            fld = "summary"
        d = docs.get(iri)
        if d is None:
            d = docs[iri] = SearchDocument(kind, iri, rid(iri), [])
        if (fld == "label" or (kind == "stance" and fld == "summary")) and d.label == rid(iri):
            d.label = text
        if (iri, fld, text) not in seen:
            seen.add((iri, fld, text))
            d.fields.append((fld, text))
    return sorted(docs.values(), key=lambda d: d.iri)

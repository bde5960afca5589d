"""Stances: the stance table (read once per data version), filtered keyset pages, one
stance with its evidence and conditions."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..terms import SPARQL_PREFIXES
from .base import (
    Filter,
    Vocab,
    _date,
    _en,
    _first,
    _index,
    any_of,
    chunked,
    following_writes,
    per_version,
    ref,
    restricted,
    rid,
    vocabulary,
)
from .conditions import conditions

if TYPE_CHECKING:
    from ..graph import StanceGraph


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
    """All stances sorted by (statedAt, IRI), with an index per filterable field (each
    value's stances as a sorted list of keys). :meth:`updated` derives the next version's
    table, sharing what did not change (this one stays as it is for its readers)."""

    def __init__(self, records: list[StanceRecord], labels: dict[str, str]):
        self.rows = sorted(records, key=lambda r: r.key)
        self.keys = [r.key for r in self.rows]
        self.by_iri = {r.iri: r for r in self.rows}
        self.labels = labels
        self.index: dict[str, dict[str, list[tuple[str, str]]]] = {f: {} for f in _INDEXED}
        for r in self.rows:
            key = r.key
            for f in _INDEXED:
                v = getattr(r, f)
                if v is not None:
                    self.index[f].setdefault(v, []).append(key)

    def get(self, iri: str) -> StanceRecord | None:
        return self.by_iri.get(iri)

    def updated(
        self, gone: set[str], records: list[StanceRecord], labels: dict[str, str | None]
    ) -> StanceTable:
        """A new table without the stances ``gone`` (IRIs), with ``records`` added (a
        changed stance is in both) and ``labels`` set (None: removed). Costs the change
        plus copying the tables' spines (C-speed: a few ms for 36k stances)."""
        new = object.__new__(StanceTable)
        new.rows, new.keys, new.by_iri = list(self.rows), list(self.keys), dict(self.by_iri)
        new.labels = dict(self.labels)
        for k, v in labels.items():
            if v is None:
                new.labels.pop(k, None)
            else:
                new.labels[k] = v
        new.index = {f: dict(values) for f, values in self.index.items()}
        copied: set[tuple[str, str]] = set()  # (field, value) lists this update copied

        def keys_of(f: str, v: str) -> list[tuple[str, str]]:
            if (f, v) not in copied:
                copied.add((f, v))
                new.index[f][v] = list(new.index[f].get(v, ()))
            return new.index[f][v]

        for iri in gone:
            r = new.by_iri.pop(iri, None)
            if r is None:
                continue
            at = bisect.bisect_left(new.keys, r.key)
            del new.rows[at], new.keys[at]
            for f in _INDEXED:
                v = getattr(r, f)
                if v is not None:
                    values = keys_of(f, v)
                    del values[bisect.bisect_left(values, r.key)]
        for r in records:
            at = bisect.bisect_left(new.keys, r.key)
            new.rows.insert(at, r)
            new.keys.insert(at, r.key)
            new.by_iri[r.iri] = r
            for f in _INDEXED:
                v = getattr(r, f)
                if v is not None:
                    bisect.insort(keys_of(f, v), r.key)
        for f, v in copied:
            if not new.index[f][v]:
                del new.index[f][v]
        return new

    def select(
        self, flt: StanceFilter, *, after: tuple[str, str] | None = None, limit: int | None = None
    ) -> tuple[list[StanceRecord], int]:
        """(the matching stances after the keyset ``after``, at most ``limit``; how many match
        in all)."""
        active = [(f, vs) for f in _INDEXED if (vs := any_of(getattr(flt, f))) is not None]
        lists = [
            self.index[f].get(next(iter(vs)), [])
            if len(vs) == 1
            else sorted({k for v in vs for k in self.index[f].get(v, [])})
            for f, vs in active
        ]
        since = flt.since.isoformat() if flt.since else None
        until = flt.until.isoformat() if flt.until else None

        def ok(r: StanceRecord) -> bool:
            day = r.at[:10]
            return (
                all(getattr(r, f) in vs for f, vs in active)
                and (since is None or day >= since)
                and (until is None or day <= until)
            )

        candidates: Iterable[StanceRecord] = self.rows
        if lists:
            by_iri = self.by_iri
            candidates = (by_iri[k[1]] for k in min(lists, key=len))
        matching = [r for r in candidates if ok(r)]
        start = 0 if after is None else bisect.bisect_right(matching, after, key=lambda r: r.key)
        end = len(matching) if limit is None else start + limit
        return matching[start:end], len(matching)


def _build_stance_table(kg: StanceGraph) -> StanceTable:
    records = _records(kg, None)
    return StanceTable(list(records.values()), _labels(kg, None))


def _records(kg: StanceGraph, only: set[str] | None) -> dict[str, StanceRecord]:
    """The stance records of every stance, or of the stances among ``only``."""
    pool: dict[str, str] = {}

    def val(term: Any) -> str | None:
        if term is None:
            return None
        v = term.value
        return pool.setdefault(v, v)

    records: dict[str, StanceRecord] = {}
    for chunk in chunked(only):
        query = _Q_STANCE_TABLE if chunk is None else restricted(_Q_STANCE_TABLE, "stance", chunk)
        for sol in kg.store.query(query):
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
    for chunk in chunked(only):
        query = _Q_STANCE_PARTS if chunk is None else restricted(_Q_STANCE_PARTS, "stance", chunk)
        for sol in kg.store.query(query):
            r = records.get(sol["stance"].value)
            x = sol["x"].value
            if r is None or (r.iri, x) in seen:
                continue
            seen.add((r.iri, x))
            if sol["part"].value == "condition":
                r.conditions += 1
            else:
                r.evidence += 1
    return records


def _labels(kg: StanceGraph, only: set[str] | None) -> dict[str, str]:
    labels: dict[str, str] = {}
    for chunk in chunked(only):
        query = _Q_LABELS if chunk is None else restricted(_Q_LABELS, "x", chunk)
        for sol in kg.store.query(query):
            labels.setdefault(sol["x"].value, sol["label"].value)
    return labels


_LABEL_PREDICATES = frozenset(
    {"http://www.w3.org/2000/01/rdf-schema#label", "https://schema.org/headline"}
)


def stance_table(kg: StanceGraph) -> StanceTable:
    """The stance table at the current data version: after a write, the last table with
    only the stances and labels the write touched read again."""
    return following_writes(kg, "stances", _build_stance_table, _updated)


def _updated(kg: StanceGraph, table: StanceTable, quads: list[ox.Quad]) -> StanceTable | None:
    """``table`` after the changed ``quads``: every record is built from its stance's own
    edges, so the stances to read again are the subjects of changed quads; labels
    likewise. None when that cannot be told (a blank-node subject)."""
    if any(not isinstance(q.subject, ox.NamedNode) for q in quads):
        return None
    subjects = {q.subject.value for q in quads}  # type: ignore[union-attr]  # named: above
    named = {q.subject.value for q in quads if q.predicate.value in _LABEL_PREDICATES}  # type: ignore[union-attr]
    labels: dict[str, str | None] = dict.fromkeys(named)
    labels.update(_labels(kg, named))
    return table.updated(subjects, list(_records(kg, subjects).values()), labels)


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

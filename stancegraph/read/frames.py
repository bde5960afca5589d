"""The read model as flat rows for ``StanceGraph``'s DataFrames (``kg.stances()`` and
friends): the same reads the JSON API serves, with the frames' flat columns (an IRI and
its label side by side, vocabulary terms by key) and their row order.

Each function returns ``(columns, rows)`` with SPARQL-result values (IRIs as strings,
``datetime.date`` for dates), so ``graph.py`` types them exactly as a query's result.
Labels come from the stance table's label index (``rdfs:label`` or ``schema:headline``,
None where there is none), as in the stance list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .actors import actor_classes
from .actors import actors as actor_items
from .base import Filter, _date, any_of, vocabulary
from .conditions import conditions as condition_items
from .propositions import propositions as proposition_items
from .sources import sources as source_items
from .stances import StanceFilter, stance_table

if TYPE_CHECKING:
    from ..graph import StanceGraph

Rows = tuple[list[str], list[dict[str, Any]]]

ACTOR_COLUMNS = ["actor", "label", "type", "wikidata", "state", "description"]
PROPOSITION_COLUMNS = ["proposition", "label", "demandType", "description", "stances"]
STANCE_COLUMNS = [
    "stance",
    "holder",
    "holderLabel",
    "speaker",
    "speakerLabel",
    "target",
    "targetLabel",
    "targetKind",
    "polarity",
    "weight",
    "speechAct",
    "modality",
    "statedAt",
    "source",
    "nominee",
    "summary",
    "confidence",
]
NOMINATION_COLUMNS = [
    "nomination",
    "nominator",
    "nominatorLabel",
    "nominee",
    "nomineeLabel",
    "modality",
    "guarantee",
    "guaranteeLabel",
    "speaker",
    "statedAt",
]
CONDITION_COLUMNS = [
    "condition",
    "stance",
    "holder",
    "holderLabel",
    "target",
    "targetLabel",
    "conditionType",
    "requires",
    "requiresLabel",
    "note",
]
SOURCE_COLUMNS = [
    "source",
    "title",
    "publisher",
    "publisherLabel",
    "published",
    "language",
    "graph",
    "stances",
]


def _iri(item: dict[str, Any] | None) -> str | None:
    return None if item is None else item["iri"]


def _key(concept: dict[str, Any] | None) -> str | None:
    return None if concept is None else concept["key"]


def actor_rows(kg: StanceGraph) -> Rows:
    """Actors by type (the class name, ``StateActor``) and label."""
    classes = actor_classes(kg)
    rows = [
        {
            "actor": a["iri"],
            "label": a["label"],
            "type": classes.get(a["type"], a["type"]),
            "wikidata": a["wikidata"],
            "state": _iri(a["state"]),
            "description": a["description"],
        }
        for a in actor_items(kg)
    ]
    rows.sort(key=lambda r: (r["type"], r["label"], r["actor"]))
    return ACTOR_COLUMNS, rows


def proposition_rows(kg: StanceGraph) -> Rows:
    """Propositions with a demand type, by label; ``stances``: how many stances target each."""
    rows = [
        {
            "proposition": p["iri"],
            "label": p["label"],
            "demandType": p["demand_type"]["label"],
            "description": p["description"],
            "stances": p["stance_count"],
        }
        for p in proposition_items(kg)
        if p["demand_type"] is not None
    ]
    rows.sort(key=lambda r: (r["label"], r["proposition"]))
    return PROPOSITION_COLUMNS, rows


def stance_rows(kg: StanceGraph, flt: StanceFilter) -> Rows:
    """The stances matching ``flt`` (IRIs), in (statedAt, IRI) order."""
    table, vocab = stance_table(kg), vocabulary(kg)
    label = table.labels.get
    rows = []
    for r in table.select(flt)[0]:
        polarity = vocab.concept(r.polarity) or {}
        rows.append(
            {
                "stance": r.iri,
                "holder": r.holder,
                "holderLabel": label(r.holder),
                "speaker": r.speaker,
                "speakerLabel": label(r.speaker) if r.speaker else None,
                "target": r.target,
                "targetLabel": label(r.target),
                "targetKind": "stance" if r.target in table.by_iri else "proposition",
                "polarity": polarity.get("key"),
                "weight": polarity.get("weight"),
                "speechAct": _key(vocab.concept(r.speech_act)),
                "modality": _key(vocab.concept(r.modality)),
                "statedAt": _date(r.at),
                "source": r.source,
                "nominee": r.nominee,
                "summary": r.summary,
                "confidence": r.confidence,
            }
        )
    return STANCE_COLUMNS, rows


def nomination_rows(
    kg: StanceGraph, *, nominator: Filter = None, nominee: Filter = None, modality: Filter = None
) -> Rows:
    """Guarantor nominations (stances with a nominee) by modality key and nominee label;
    a filter that is an empty list matches nothing."""
    if any(f is not None and any_of(f) is None for f in (nominator, nominee, modality)):
        return NOMINATION_COLUMNS, []
    table, vocab = stance_table(kg), vocabulary(kg)
    label = table.labels.get
    flt = StanceFilter(holder=nominator, nominee=nominee, modality=modality)
    rows = [
        {
            "nomination": r.iri,
            "nominator": r.holder,
            "nominatorLabel": label(r.holder),
            "nominee": r.nominee,
            "nomineeLabel": label(r.nominee),
            "modality": _key(vocab.concept(r.modality)),
            "guarantee": r.target,
            "guaranteeLabel": label(r.target),
            "speaker": r.speaker,
            "statedAt": _date(r.at),
        }
        for r in table.select(flt)[0]
        if r.nominee is not None
    ]
    rows.sort(key=lambda r: (r["modality"] or "", r["nomineeLabel"] or ""))
    return NOMINATION_COLUMNS, rows


def condition_rows(kg: StanceGraph) -> Rows:
    """Conditions on stances, by holder label, stance and condition IRI."""
    label = stance_table(kg).labels.get
    rows = [
        {
            "condition": c["iri"],
            "stance": c["stance"]["iri"],
            "holder": c["holder"]["iri"],
            "holderLabel": label(c["holder"]["iri"]),
            "target": c["target"]["iri"],
            "targetLabel": label(c["target"]["iri"]),
            "conditionType": _key(c["type"]),
            "requires": c["requires"]["iri"],
            "requiresLabel": label(c["requires"]["iri"]),
            "note": c["note"],
        }
        for c in condition_items(kg)
    ]
    rows.sort(key=lambda r: (r["holderLabel"] or "", r["stance"], r["condition"]))
    return CONDITION_COLUMNS, rows


def source_rows(kg: StanceGraph) -> Rows:
    """Published sources, oldest first, with how many stances derive from each."""
    label = stance_table(kg).labels.get
    rows = [
        {
            "source": s["iri"],
            "title": s["title"],
            "publisher": s["publisher"]["iri"],
            "publisherLabel": label(s["publisher"]["iri"]),
            "published": s["published"],
            "language": s["language"],
            "graph": s["graph"],
            "stances": s["stance_count"],
        }
        for s in source_items(kg)
        if s["publisher"] is not None and s["published"] is not None
    ]
    return SOURCE_COLUMNS, rows

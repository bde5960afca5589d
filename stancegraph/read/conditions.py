"""Conditions attached to stances, and one condition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..terms import SPARQL_PREFIXES
from .base import Filter, Vocab, _en, _filtered, _first, _index, ref, rid, vocabulary

if TYPE_CHECKING:
    from ..graph import StanceGraph


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


def condition(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One condition (``<stance id>/condition/<n>``), or None."""
    stance, sep, _ = iri.rpartition("/condition/")
    if not sep:
        return None
    return next((c for c in conditions(kg, stance=stance) if c["iri"] == iri), None)

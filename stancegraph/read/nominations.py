"""Guarantor nominations and their nominator x nominee matrix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..terms import SPARQL_PREFIXES
from .base import Filter, Vocab, _date, _en, _filtered, _first, ref, rid, vocabulary

if TYPE_CHECKING:
    from ..graph import StanceGraph


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

"""Guarantor nominations and their nominator x nominee matrix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Filter, Vocab, vocabulary
from .stances import StanceFilter, _stance_dict, stance_table

if TYPE_CHECKING:
    from ..graph import StanceGraph


# --------------------------------------------------------------------------- nominations


def nominations(
    kg: StanceGraph,
    *,
    nominator: Filter = None,
    nominee: Filter = None,
    modality: Filter = None,
    vocab: Vocab | None = None,
) -> list[dict[str, Any]]:
    """Guarantor nominations (stances with a nominee, from the stance table), firmest
    modality first, then by nominee label and nominator label."""
    vocab = vocab or vocabulary(kg)
    table = stance_table(kg)
    found, _ = table.select(StanceFilter(holder=nominator, nominee=nominee, modality=modality))
    out = []
    for r in found:
        if r.nominee is None:
            continue
        s = _stance_dict(table, r, vocab)
        out.append(
            {
                "id": s["id"],
                "iri": s["iri"],
                "nominator": s["holder"],
                "nominee": s["nominee"],
                "modality": s["modality"],
                "polarity": s["polarity"],
                "guarantee": {k: v for k, v in s["target"].items() if k != "kind"},
                "speaker": s["speaker"],
                "stated_at": s["stated_at"],
            }
        )
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

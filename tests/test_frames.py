"""StanceGraph's DataFrames are the read model's rows (one read model: ``stancegraph.read``).

The frames keep their flat columns and their dtypes (dates as datetime64, counts as
integers); their rows are the rows the JSON API serves, filters included.
"""

from __future__ import annotations

import pandas as pd
import pytest

import stancegraph
from stancegraph import read
from stancegraph.ingest.bootstrap import load_ontology
from stancegraph.store.embedded import OxigraphStore
from stancegraph.terms import mint


@pytest.fixture(scope="module")
def kg() -> stancegraph.StanceGraph:
    return stancegraph.open()


COLUMNS = {
    "actors": ["actor", "actor_id", "label", "type", "wikidata", "state", "state_id", "description"],
    "propositions": ["proposition", "proposition_id", "label", "demandType", "description", "stances"],
    "stances": [
        "stance", "stance_id", "holder", "holder_id", "holderLabel", "speaker", "speaker_id",
        "speakerLabel", "target", "target_id", "targetLabel", "targetKind", "polarity", "weight",
        "speechAct", "modality", "statedAt", "source", "source_id", "nominee", "nominee_id",
        "summary", "confidence",
    ],
    "guarantor_nominations": [
        "nomination", "nomination_id", "nominator", "nominator_id", "nominatorLabel", "nominee",
        "nominee_id", "nomineeLabel", "modality", "guarantee", "guarantee_id", "guaranteeLabel",
        "speaker", "statedAt",
    ],
    "conditions": [
        "condition", "condition_id", "stance", "stance_id", "holder", "holder_id", "holderLabel",
        "target", "target_id", "targetLabel", "conditionType", "requires", "requires_id",
        "requiresLabel", "note",
    ],
    "sources": [
        "source", "source_id", "title", "publisher", "publisher_id", "publisherLabel", "published",
        "language", "graph", "graph_id", "stances",
    ],
}  # fmt: skip


@pytest.mark.parametrize("view", sorted(COLUMNS))
def test_columns_on_the_seed(kg: stancegraph.StanceGraph, view: str) -> None:
    df = getattr(kg, view)()
    assert list(df.columns) == COLUMNS[view]
    assert len(df) > 0


def test_dtypes(kg: stancegraph.StanceGraph) -> None:
    stances = kg.stances()
    assert pd.api.types.is_datetime64_any_dtype(stances["statedAt"])
    assert stances["weight"].dtype == "float64" and stances["confidence"].dtype == "float64"
    assert kg.propositions()["stances"].dtype == "int64"
    assert kg.sources()["stances"].dtype == "int64"
    assert pd.api.types.is_datetime64_any_dtype(kg.sources()["published"])
    assert pd.api.types.is_datetime64_any_dtype(kg.guarantor_nominations()["statedAt"])


def test_rows_are_the_read_models(kg: stancegraph.StanceGraph) -> None:
    assert list(kg.stances()["stance"]) == [s["iri"] for s in read.stances(kg)]
    ukraine = mint("actor", "ukraine")
    assert list(kg.stances(holder="ukraine")["stance"]) == [
        s["iri"] for s in read.stances(kg, read.StanceFilter(holder=ukraine))
    ]
    assert set(kg.guarantor_nominations()["nomination"]) == {n["iri"] for n in read.nominations(kg)}
    assert set(kg.conditions()["condition"]) == {c["iri"] for c in read.conditions(kg)}
    assert set(kg.sources()["source"]) == {s["iri"] for s in read.sources(kg)}
    assert set(kg.actors()["actor"]) == {a["iri"] for a in read.actors(kg)}
    props = kg.propositions().set_index("proposition")["stances"].to_dict()
    assert props == {p["iri"]: p["stance_count"] for p in read.propositions(kg)}


def test_row_order(kg: stancegraph.StanceGraph) -> None:
    stances = kg.stances()
    assert list(stances["statedAt"]) == sorted(stances["statedAt"])
    actors = kg.actors()
    assert list(zip(actors["type"], actors["label"], strict=True)) == sorted(
        zip(actors["type"], actors["label"], strict=True)
    )
    nominations = kg.guarantor_nominations()
    keys = list(zip(nominations["modality"], nominations["nomineeLabel"], strict=True))
    assert keys == sorted(keys)


def test_empty_store_keeps_the_columns() -> None:
    store = OxigraphStore()
    load_ontology(store)
    empty = stancegraph.StanceGraph(store)
    for view, columns in COLUMNS.items():
        df = getattr(empty, view)()
        assert len(df) == 0
        assert [c for c in columns if not c.endswith("_id")] == list(df.columns), view

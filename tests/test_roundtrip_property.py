"""Property: any valid stance record survives YAML → RDF → store → Python API unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stancegraph
from stancegraph.terms import ID

pytestmark = pytest.mark.slow  # hypothesis: many generated examples

POLARITIES = ["support", "commitment", "neutral", "skeptical", "oppose", "reject"]
MODALITIES = ["asserted", "possible", "reported"]
SPEECH_ACTS = ["demand", "proposal", "pledge", "assessment", "criticism", "rejection"]
HOLDERS = ["russia", "ukraine", "united-states", "canada", "justin-massie"]
TARGETS = ["ceasefire", "ukrainian-neutrality", "sanctions-relief", "peace-agreement"]

# Printable text without YAML-hostile control characters; quotes and unicode included.
text = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff"
        ),
        min_size=1,
        max_size=80,
    )
    .map(str.strip)
    .filter(bool)
)

record = st.fixed_dictionaries(
    {
        "holder": st.sampled_from(HOLDERS),
        "target": st.sampled_from(TARGETS),
        "polarity": st.sampled_from(POLARITIES),
        "modality": st.sampled_from(MODALITIES),
        "speech_act": st.sampled_from(SPEECH_ACTS),
        "stated": st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2022, 3, 29)),
        "summary": text,
        "confidence": st.sampled_from([0, 0.25, 0.5, 0.8, 1]),
        "quote": text,
        "paragraph": st.integers(min_value=1, max_value=20),
        "relay": st.sampled_from(HOLDERS),  # model v2: reported stances name their relay
    }
)


def as_yaml(recs: list[dict]) -> str:
    stances = []
    for i, r in enumerate(recs):
        stances.append(
            {
                "id": f"prop-{i}",
                "holder": r["holder"],
                "target": r["target"],
                "polarity": r["polarity"],
                "modality": r["modality"],
                "speech_act": r["speech_act"],
                "stated": r["stated"].isoformat(),
                "summary": r["summary"],
                "confidence": r["confidence"],
                "evidence": [{"paragraph": r["paragraph"], "quote": r["quote"]}],
                **({"relayed_by": [r["relay"]]} if r["modality"] == "reported" else {}),
            }
        )
    doc = {
        "source": {
            "id": "property-source",
            "title": "Generated source",
            "publisher": "afp",
            "published": "2022-03-30",
            "language": "en",
        },
        "stances": stances,
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


KG = stancegraph.open()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record, min_size=1, max_size=4))
def test_records_roundtrip_through_rdf(recs):
    KG.load_texts({"generated.yaml": as_yaml(recs)}, validate_shapes=False)
    df = KG.stances(source="property-source")
    assert len(df) == len(recs)
    got = {row["stance"].rsplit("/", 1)[-1]: row for row in df.to_dict("records")}
    for i, r in enumerate(recs):
        row = got[f"prop-{i}"]
        assert row["holder"] == f"{ID}actor/{r['holder']}"
        assert row["target"] == f"{ID}proposition/{r['target']}"
        assert row["polarity"] == r["polarity"]
        assert row["modality"] == r["modality"]
        assert row["speechAct"] == r["speech_act"]
        assert row["statedAt"].date() == r["stated"]
        assert row["summary"] == r["summary"]
        assert float(row["confidence"]) == float(r["confidence"])
        quotes = KG.select(
            "PREFIX sg: <https://w3id.org/stancegraph/ns#> PREFIX oa: <http://www.w3.org/ns/oa#>"
            " SELECT ?s ?q ?n WHERE { ?s sg:hasEvidence/oa:hasTarget ?t . ?t sg:paragraph ?n ;"
            " oa:hasSelector/oa:exact ?q }",
            s=row["stance"],
        )
        assert [(q["q"], q["n"]) for q in quotes] == [(r["quote"], r["paragraph"])]
        relays = KG.select(
            "PREFIX sg: <https://w3id.org/stancegraph/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>"
            " SELECT ?s ?a WHERE { ?s sg:relayedVia/prov:agent ?a }",
            s=row["stance"],
        )
        expected = [f"{ID}actor/{r['relay']}"] if r["modality"] == "reported" else []
        assert [x["a"] for x in relays] == expected

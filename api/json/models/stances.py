"""Stances, their conditions and evidence."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import (
    _FOMIN,
    _ONLY_IF,
    _SKEPTICAL,
    _SOURCE,
    _STANCE,
    ID,
    ApiModel,
    Concept,
    Ref,
    StanceRef,
    TargetRef,
    _examples,
)

# --------------------------------------------------------------------------- stances


class StanceSummary(ApiModel):
    """A stance: who (holder, voiced by a speaker) takes what position (polarity) on what
    (target), how firmly (modality), when, and from which source."""

    model_config = _examples(_STANCE)

    id: str = Field(examples=[_STANCE["id"]])
    """the stance's slug; GET /api/stances/{id} for the full stance"""
    iri: str = Field(examples=[_STANCE["iri"]])
    """the stance's IRI"""
    kind: Literal["stance", "guarantor-nomination"]
    """guarantor-nomination for stances that name a guarantor (they have a nominee)"""
    label: str
    """one-line description (the curator's summary)"""
    holder: Ref
    """the actor whose position it is"""
    speaker: Ref | None = None
    """the person who voiced it, when the source names one"""
    target: TargetRef
    """the proposition, or the stance (meta-stance), it is about"""
    polarity: Concept
    """support, conditional-support, commitment, neutral, skeptical, oppose, reject, deferred; unstated for expectations"""
    speech_act: Concept | None = None
    """demand, proposal, pledge, assessment, criticism, ..."""
    modality: Concept
    """the source's hedging: asserted, reported or possible"""
    stated_at: dt.date | None = Field(examples=["2022-03-29"])
    """the day it was stated (null only if the stored value is not an ISO date)"""
    source: Ref | None = None
    """the source document it is drawn from (label = its title)"""
    nominee: Ref | None = None
    """for guarantor nominations: the nominated guarantor"""
    summary: str | None = None
    """the stance in the curator's own words"""
    confidence: float | None = Field(None, ge=0, le=1)
    """the encoder's certainty (not the source's hedging)"""
    condition_count: int
    """number of conditions attached to it"""
    evidence_count: int
    """number of evidence passages"""
    dimension: Literal["preference", "expectation"] = "preference"
    """preference (what the holder wants: polarity) or expectation (a forecast or assessment: polarity 'unstated', with likelihood and horizon where given)"""
    likelihood: Concept | None = None
    """expectations: how likely"""
    horizon: Concept | None = None
    """expectations: short, medium, long term"""


class StancePage(ApiModel):
    """One page of stances, in (stated_at, iri) order."""

    model_config = _examples(
        {
            "items": [_STANCE],
            "next_cursor": "eyJ2IjoxLCJhdCI6IjIwMjItMDMtMjkiLCJpZCI6Ii4uLiJ9",
            "total": 48,
            "limit": 1,
        }
    )

    items: list[StanceListItem]
    """the stances of this page"""
    next_cursor: str | None
    """pass as ?cursor= for the next page (also in the Link header, rel=next); null on the last page"""
    total: int
    """number of stances matching the filters, over all pages"""
    limit: int
    """page size used"""


class ConditionBase(ApiModel):
    """A condition on a stance: the stance holds only if / only after / in exchange for /
    unless the required proposition."""

    model_config = _examples(
        {
            "id": "ukraine-agreement-only-with-security-guarantee/condition/1",
            "iri": f"{ID}stance/ukraine-agreement-only-with-security-guarantee/condition/1",
            "type": _ONLY_IF,
            "requires": {
                "id": "international-security-guarantee",
                "iri": f"{ID}proposition/international-security-guarantee",
                "label": "International security guarantee for Ukraine by guarantor states",
            },
            "note": "an international agreement in which several states guarantee Ukraine's security",
        }
    )

    id: str
    """<stance id>/condition/<n>"""
    iri: str
    """the condition's IRI"""
    type: Concept
    """only-if, only-after, in-exchange-for or unless"""
    requires: Ref
    """the proposition the stance depends on"""
    note: str | None = None
    """the condition as the curator phrased it"""


class Condition(ConditionBase):
    """A condition with the stance it belongs to."""

    stance: StanceRef
    """the conditional stance"""
    holder: Ref
    """the stance's holder"""
    target: TargetRef
    """what the conditional stance is about"""


class ConditionList(ApiModel):
    items: list[Condition]
    """conditions, by holder label then stance"""
    total: int
    """number of items"""


class EvidenceSource(ApiModel):
    """The document a piece of evidence is in."""

    id: str = Field(examples=[_SOURCE["id"]])
    """the source's slug"""
    iri: str
    """the source's IRI"""
    title: str
    """the source's title (in the curator's words)"""
    publisher: Ref | None = None
    """who published it"""
    published: dt.datetime | dt.date | None = Field(None, examples=["2022-03-30T00:12:00-04:00"])
    """publication date-time (or date)"""


class Evidence(ApiModel):
    """Where a stance is attested: a paragraph of a source, with the speaker's own words."""

    model_config = _examples(
        {
            "id": "russia-pledges-reduced-activity-kyiv-chernihiv/evidence/1",
            "iri": f"{ID}stance/russia-pledges-reduced-activity-kyiv-chernihiv/evidence/1",
            "source": {
                "id": _SOURCE["id"],
                "iri": _SOURCE["iri"],
                "title": _SOURCE["label"],
                "publisher": None,
                "published": "2022-03-30T00:12:00-04:00",
            },
            "paragraph": 3,
            "quote": "It was decided, in order to increase confidence, to drastically reduce military activity in the direction of Kyiv and Chernihiv",
            "speaker": _FOMIN,
        }
    )

    id: str
    """<stance id>/evidence/<n>"""
    iri: str
    """the annotation's IRI"""
    source: EvidenceSource | None = None
    """the document"""
    paragraph: int | None = None
    """1-based paragraph number in the source"""
    quote: str | None = None
    """the speaker's own words, verbatim (short); null when only paraphrased"""
    speaker: Ref | None = None
    """whose words the quote are"""


class StanceListItem(StanceSummary):
    """A stance in a list; ``include=evidence`` / ``include=conditions`` embed those."""

    evidence: list[Evidence] | None = Field(None, exclude_if=lambda v: v is None)
    """where it is attested (only with include=evidence)"""
    conditions: list[ConditionBase] | None = Field(None, exclude_if=lambda v: v is None)
    """its conditions (only with include=conditions)"""


class StanceDetail(StanceSummary):
    """A stance with its conditions, evidence, rationale and the reactions it drew."""

    model_config = _examples(
        {
            **_STANCE,
            "rationale": None,
            "negotiation": {
                "id": "istanbul-round-2022-03-29",
                "iri": f"{ID}negotiation/istanbul-round-2022-03-29",
                "label": "Istanbul round of the Russia–Ukraine talks, 29 March 2022",
            },
            "supersedes": None,
            "superseded_by": [],
            "conditions": [],
            "evidence": [Evidence.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
            "reactions": [
                {
                    **_STANCE,
                    "id": "united-states-doubts-russian-seriousness",
                    "iri": f"{ID}stance/united-states-doubts-russian-seriousness",
                    "polarity": _SKEPTICAL,
                    "target": {
                        "id": _STANCE["id"],
                        "iri": _STANCE["iri"],
                        "label": _STANCE["label"],
                        "kind": "stance",
                    },
                }
            ],
        }
    )

    rationale: str | None = None
    """why the curator encoded it this way"""
    negotiation: Ref | None = None
    """the negotiation process or round it belongs to"""
    supersedes: Ref | None = None
    """an earlier stance of the holder this one replaces"""
    superseded_by: list[Ref]
    """later stances that replace this one"""
    conditions: list[ConditionBase]
    """its conditions, in order"""
    evidence: list[Evidence]
    """where it is attested, in order"""
    reactions: list[StanceSummary]
    """meta-stances whose target is this stance (doubts, support...)"""

"""Stances, their conditions and evidence."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from .common import (
    _FOMIN,
    _ONLY_IF,
    _SKEPTICAL,
    _SOURCE,
    _STANCE,
    ID,
    Concept,
    Ref,
    StanceRef,
    TargetRef,
    _examples,
)

# --------------------------------------------------------------------------- stances


class StanceSummary(BaseModel):
    """A stance: who (holder, voiced by a speaker) takes what position (polarity) on what
    (target), how firmly (modality), when, and from which source."""

    model_config = _examples(_STANCE)

    id: str = Field(
        description="the stance's slug; GET /api/stances/{id} for the full stance",
        examples=[_STANCE["id"]],
    )
    iri: str = Field(description="the stance's IRI", examples=[_STANCE["iri"]])
    kind: Literal["stance", "guarantor-nomination"] = Field(
        description="guarantor-nomination for stances that name a guarantor (they have a nominee)"
    )
    label: str = Field(description="one-line description (the curator's summary)")
    holder: Ref = Field(description="the actor whose position it is")
    speaker: Ref | None = Field(
        None, description="the person who voiced it, when the source names one"
    )
    target: TargetRef = Field(
        description="the proposition, or the stance (meta-stance), it is about"
    )
    polarity: Concept = Field(
        description="support, conditional-support, commitment, neutral, skeptical, oppose, reject, deferred; unstated for expectations"
    )
    speech_act: Concept | None = Field(
        None, description="demand, proposal, pledge, assessment, criticism, ..."
    )
    modality: Concept = Field(description="the source's hedging: asserted, reported or possible")
    stated_at: dt.date | None = Field(
        description="the day it was stated (null only if the stored value is not an ISO date)",
        examples=["2022-03-29"],
    )
    source: Ref | None = Field(
        None, description="the source document it is drawn from (label = its title)"
    )
    nominee: Ref | None = Field(
        None, description="for guarantor nominations: the nominated guarantor"
    )
    summary: str | None = Field(None, description="the stance in the curator's own words")
    confidence: float | None = Field(
        None, ge=0, le=1, description="the encoder's certainty (not the source's hedging)"
    )
    condition_count: int = Field(description="number of conditions attached to it")
    evidence_count: int = Field(description="number of evidence passages")
    dimension: Literal["preference", "expectation"] = Field(
        "preference",
        description="preference (what the holder wants: polarity) or expectation (a forecast "
        "or assessment: polarity 'unstated', with likelihood and horizon where given)",
    )
    likelihood: Concept | None = Field(None, description="expectations: how likely")
    horizon: Concept | None = Field(None, description="expectations: short, medium, long term")


class StancePage(BaseModel):
    """One page of stances, in (stated_at, iri) order."""

    model_config = _examples(
        {
            "items": [_STANCE],
            "next_cursor": "eyJ2IjoxLCJhdCI6IjIwMjItMDMtMjkiLCJpZCI6Ii4uLiJ9",
            "total": 48,
            "limit": 1,
        }
    )

    items: list[StanceListItem] = Field(description="the stances of this page")
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page (also in the Link header, rel=next); null on the last page"
    )
    total: int = Field(description="number of stances matching the filters, over all pages")
    limit: int = Field(description="page size used")


class ConditionBase(BaseModel):
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

    id: str = Field(description="<stance id>/condition/<n>")
    iri: str = Field(description="the condition's IRI")
    type: Concept = Field(description="only-if, only-after, in-exchange-for or unless")
    requires: Ref = Field(description="the proposition the stance depends on")
    note: str | None = Field(None, description="the condition as the curator phrased it")


class Condition(ConditionBase):
    """A condition with the stance it belongs to."""

    stance: StanceRef = Field(description="the conditional stance")
    holder: Ref = Field(description="the stance's holder")
    target: TargetRef = Field(description="what the conditional stance is about")


class ConditionList(BaseModel):
    items: list[Condition] = Field(description="conditions, by holder label then stance")
    total: int = Field(description="number of items")


class EvidenceSource(BaseModel):
    """The document a piece of evidence is in."""

    id: str = Field(description="the source's slug", examples=[_SOURCE["id"]])
    iri: str = Field(description="the source's IRI")
    title: str = Field(description="the source's title (in the curator's words)")
    publisher: Ref | None = Field(None, description="who published it")
    published: dt.datetime | dt.date | None = Field(
        None, description="publication date-time (or date)", examples=["2022-03-30T00:12:00-04:00"]
    )


class Evidence(BaseModel):
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

    id: str = Field(description="<stance id>/evidence/<n>")
    iri: str = Field(description="the annotation's IRI")
    source: EvidenceSource | None = Field(None, description="the document")
    paragraph: int | None = Field(None, description="1-based paragraph number in the source")
    quote: str | None = Field(
        None, description="the speaker's own words, verbatim (short); null when only paraphrased"
    )
    speaker: Ref | None = Field(None, description="whose words the quote are")


class StanceListItem(StanceSummary):
    """A stance in a list; ``include=evidence`` / ``include=conditions`` embed those."""

    evidence: list[Evidence] | None = Field(
        None,
        description="where it is attested (only with include=evidence)",
        exclude_if=lambda v: v is None,
    )
    conditions: list[ConditionBase] | None = Field(
        None,
        description="its conditions (only with include=conditions)",
        exclude_if=lambda v: v is None,
    )


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

    rationale: str | None = Field(None, description="why the curator encoded it this way")
    negotiation: Ref | None = Field(
        None, description="the negotiation process or round it belongs to"
    )
    supersedes: Ref | None = Field(
        None, description="an earlier stance of the holder this one replaces"
    )
    superseded_by: list[Ref] = Field(description="later stances that replace this one")
    conditions: list[ConditionBase] = Field(description="its conditions, in order")
    evidence: list[Evidence] = Field(description="where it is attested, in order")
    reactions: list[StanceSummary] = Field(
        description="meta-stances whose target is this stance (doubts, support...)"
    )

"""Response (and request) models of the JSON API (``/api/...``).

Conventions, the same in every object:

- ``id`` is the record's slug (``russia``, ``peace-agreement``), the path segment of its
  detail route (``/api/actors/russia``); resources not minted by stancegraph use their full
  IRI as ``id``. ``iri`` is always the full IRI, the key to use with ``/sparql``.
- A reference to another resource is a ``Ref``: ``{id, iri, label}``.
- Controlled values (polarity, modality, speech act, condition type, demand type, role) are
  ``Concept`` objects: ``{key, iri, label, weight}``; ``key`` is what filters accept.
- Dates are ISO 8601 (``2022-03-29``), date-times ISO 8601 with offset; fields are snake_case;
  absent values are ``null``, absent lists ``[]``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ID = "https://w3id.org/stancegraph/id/"

# --------------------------------------------------------------------------- examples

_RUSSIA = {"id": "russia", "iri": f"{ID}actor/russia", "label": "Russia"}
_UKRAINE = {"id": "ukraine", "iri": f"{ID}actor/ukraine", "label": "Ukraine"}
_FOMIN = {"id": "alexander-fomin", "iri": f"{ID}actor/alexander-fomin", "label": "Alexander Fomin"}
_SOURCE = {
    "id": "2022-03-29-istanbul-talks-report",
    "iri": f"{ID}source/2022-03-29-istanbul-talks-report",
    "label": "Reactions to the Russia–Ukraine talks in Istanbul (29 March 2022)",
}
_PLEDGE_TARGET = {
    "id": "reduce-military-activity-kyiv-chernihiv",
    "iri": f"{ID}proposition/reduce-military-activity-kyiv-chernihiv",
    "label": "Drastic reduction of Russian military activity towards Kyiv and Chernihiv",
    "kind": "proposition",
}
_COMMITMENT = {
    "key": "commitment",
    "iri": "https://w3id.org/stancegraph/vocab/polarity/commitment",
    "label": "commitment",
    "weight": 1.0,
}
_SKEPTICAL = {
    "key": "skeptical",
    "iri": "https://w3id.org/stancegraph/vocab/polarity/skeptical",
    "label": "skeptical",
    "weight": -0.5,
}
_PLEDGE_ACT = {
    "key": "pledge",
    "iri": "https://w3id.org/stancegraph/vocab/speech-act/pledge",
    "label": "pledge",
    "weight": None,
}
_ASSERTED = {
    "key": "asserted",
    "iri": "https://w3id.org/stancegraph/vocab/modality/asserted",
    "label": "asserted",
    "weight": 1.0,
}
_POSSIBLE = {
    "key": "possible",
    "iri": "https://w3id.org/stancegraph/vocab/modality/possible",
    "label": "possible",
    "weight": 0.5,
}
_ONLY_IF = {
    "key": "only-if",
    "iri": "https://w3id.org/stancegraph/vocab/condition-type/only-if",
    "label": "only if",
    "weight": None,
}
_STANCE = {
    "id": "russia-pledges-reduced-activity-kyiv-chernihiv",
    "iri": f"{ID}stance/russia-pledges-reduced-activity-kyiv-chernihiv",
    "kind": "stance",
    "label": "Russia announces a decision to sharply scale down its military operations towards Kyiv and Chernihiv.",
    "holder": _RUSSIA,
    "speaker": _FOMIN,
    "target": _PLEDGE_TARGET,
    "polarity": _COMMITMENT,
    "speech_act": _PLEDGE_ACT,
    "modality": _ASSERTED,
    "stated_at": "2022-03-29",
    "source": _SOURCE,
    "nominee": None,
    "summary": "Russia announces a decision to sharply scale down its military operations towards Kyiv and Chernihiv.",
    "confidence": 0.95,
    "condition_count": 0,
    "evidence_count": 2,
}


def _examples(*examples: object) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


# --------------------------------------------------------------------------- building blocks


class Ref(BaseModel):
    """A reference to another resource of the graph."""

    model_config = _examples(_RUSSIA)

    id: str = Field(
        description="the record's slug (the full IRI for resources not minted by stancegraph)",
        examples=["russia"],
    )
    iri: str = Field(description="the resource's IRI", examples=[f"{ID}actor/russia"])
    label: str = Field(
        description="its English label (the id when it has none)", examples=["Russia"]
    )


class TargetRef(Ref):
    """What a stance is about: a proposition, or another stance (a meta-stance)."""

    model_config = _examples(_PLEDGE_TARGET)

    kind: Literal["proposition", "stance"] = Field(
        description="proposition, or stance when this is a meta-stance (a reaction to another stance)"
    )


class StanceRef(BaseModel):
    """A reference to a stance, by id and IRI."""

    id: str = Field(
        description="the stance's slug", examples=["russia-summit-only-after-agreement"]
    )
    iri: str = Field(
        description="the stance's IRI", examples=[f"{ID}stance/russia-summit-only-after-agreement"]
    )


class Concept(BaseModel):
    """A term of a controlled vocabulary (SKOS concept)."""

    model_config = _examples(_COMMITMENT)

    id: str = Field(
        description="the concept's short id: its key, as for every reference", examples=["support"]
    )
    key: str = Field(description="the notation, as accepted by filters", examples=["support"])
    iri: str = Field(
        description="the concept's IRI",
        examples=["https://w3id.org/stancegraph/vocab/polarity/support"],
    )
    label: str = Field(description="its English preferred label", examples=["support"])
    weight: float | None = Field(
        None,
        description="numeric value (rdf:value): polarity in [-1, 1], modality in [0, 1]; null for other vocabularies",
        examples=[1.0],
    )


class VocabularyConcept(Concept):
    definition: str | None = Field(None, description="the concept's definition (skos:definition)")


class VocabulariesResponse(BaseModel):
    """Every controlled vocabulary: the allowed values of the ``polarity``, ``modality``,
    ``speech_act``, ``type`` (condition type) and ``demand_type`` filters, and the roles."""

    model_config = _examples(
        {"schemes": {"modality": [{**_ASSERTED, "definition": "Stated as fact."}]}}
    )

    schemes: dict[str, list[VocabularyConcept]] = Field(
        description="concepts by scheme (polarity, speech-act, modality, condition-type, demand-type, role); "
        "polarity and modality by descending weight, the others by key"
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


# --------------------------------------------------------------------------- actors


class ActorSummary(BaseModel):
    """A state, organisation or person that holds or voices stances."""

    model_config = _examples(
        {
            **_UKRAINE,
            "type": "state-actor",
            "description": "Ukraine as a political actor (the Ukrainian state and its government).",
            "wikidata": "http://www.wikidata.org/entity/Q212",
            "state": None,
            "stances_held": 15,
            "stances_voiced": 0,
            "nominations_received": 0,
        }
    )

    id: str = Field(
        description="the actor's slug; GET /api/actors/{id} for details", examples=["ukraine"]
    )
    iri: str = Field(description="the actor's IRI")
    label: str = Field(description="its name")
    type: str = Field(
        description="the most specific class, kebab-case like every value: state-actor, "
        "intergovernmental-organization, organization, government-body, military-command, "
        "delegation, research-organization, news-organization or person",
        examples=["state-actor"],
    )
    description: str | None = Field(None, description="a short description")
    wikidata: str | None = Field(
        None,
        description="Wikidata entity IRI (verified links only)",
        examples=["http://www.wikidata.org/entity/Q212"],
    )
    state: Ref | None = Field(
        None, description="the state actor it belongs to or represents (organisations, persons)"
    )
    stances_held: int = Field(description="stances it holds")
    stances_voiced: int = Field(description="stances it voiced for a holder")
    nominations_received: int = Field(description="times it was nominated as a guarantor")


class ActorList(BaseModel):
    items: list[ActorSummary] = Field(description="actors, by label")
    total: int = Field(description="number of actors matching the filters, over all pages")
    next_cursor: str | None = Field(
        None, description="pass as cursor= for the next page; null on the last page"
    )
    limit: int = Field(description="page size used")


class Membership(BaseModel):
    """A person's (or organisation's) role in an organisation (W3C ORG membership)."""

    model_config = _examples(
        {
            "id": "volodymyr-zelensky/membership/1",
            "iri": f"{ID}actor/volodymyr-zelensky/membership/1",
            "member": {
                "id": "volodymyr-zelensky",
                "iri": f"{ID}actor/volodymyr-zelensky",
                "label": "Volodymyr Zelensky",
            },
            "organization": _UKRAINE,
            "role": {
                "key": "head-of-state",
                "iri": "https://w3id.org/stancegraph/vocab/role/head-of-state",
                "label": "head of state",
                "weight": None,
            },
            "title": "President of Ukraine",
            "attested_on": "2022-03-29",
        }
    )

    id: str = Field(description="<actor id>/membership/<n>")
    iri: str = Field(description="the membership's IRI")
    member: Ref = Field(description="who holds the role")
    organization: Ref = Field(description="where")
    role: Concept | None = Field(None, description="the role (vocabulary term)")
    title: str | None = Field(None, description="the title as the source gives it")
    attested_on: dt.date | None = Field(None, description="the day the role is attested")


class ActorDetail(ActorSummary):
    """An actor with its roles, affiliations, members and stances."""

    territory: Ref | None = Field(None, description="for state actors: the country (place)")
    member_of: list[Ref] = Field(
        description="alliances and bodies it is a member of (org:memberOf)"
    )
    members: list[Ref] = Field(
        description="actors that are members of it (org:memberOf), e.g. NATO's member states"
    )
    affiliated: list[Ref] = Field(
        description="organisations and persons that belong to or represent this state"
    )
    roles: list[Membership] = Field(
        description="its own roles (memberships where it is the member)"
    )
    people: list[Membership] = Field(
        description="roles held in it by others (memberships where it is the organisation)"
    )
    held: list[StanceSummary] = Field(
        description="stances it holds (all; /api/stances?holder= pages them)"
    )
    voiced: list[StanceSummary] = Field(
        description="stances it voiced (all; /api/stances?speaker= pages them)"
    )
    nominated: list[StanceSummary] = Field(description="guarantor nominations naming it")


# --------------------------------------------------------------------------- propositions


class PropositionSummary(BaseModel):
    """A demanded, proposed or asserted state of affairs stances are about."""

    model_config = _examples(
        {
            "id": "ukrainian-neutrality",
            "iri": f"{ID}proposition/ukrainian-neutrality",
            "label": "Agreement on the neutrality of Ukraine",
            "demand_type": {
                "key": "neutrality",
                "iri": "https://w3id.org/stancegraph/vocab/demand-type/neutrality",
                "label": "neutrality",
                "weight": None,
            },
            "description": "An agreement under which Ukraine adopts a neutral status.",
            "stance_count": 2,
            "polarity_counts": {"support": 2},
        }
    )

    id: str = Field(description="the proposition's slug; GET /api/propositions/{id} for details")
    iri: str = Field(description="the proposition's IRI")
    label: str = Field(description="what is proposed")
    demand_type: Concept | None = Field(
        None, description="its kind (neutrality, security-guarantee, ceasefire...)"
    )
    description: str | None = Field(None, description="a longer description")
    stance_count: int = Field(description="stances targeting it directly")
    polarity_counts: dict[str, int] = Field(
        description="those stances by polarity key", examples=[{"support": 2, "skeptical": 1}]
    )


class PropositionList(BaseModel):
    items: list[PropositionSummary] = Field(description="propositions, by label")
    total: int = Field(description="number of propositions matching the filters, over all pages")
    next_cursor: str | None = Field(
        None, description="pass as cursor= for the next page; null on the last page"
    )
    limit: int = Field(description="page size used")


class Reaction(BaseModel):
    """A meta-stance reacting to a position."""

    id: str = Field(description="the reacting stance's slug")
    iri: str = Field(description="its IRI")
    holder: Ref = Field(description="who reacts")
    polarity: Concept = Field(description="how (e.g. skeptical)")


class Position(StanceSummary):
    """A stance on the proposition, with its quotes and the reactions it drew."""

    quotes: list[str] = Field(description="verbatim evidence quotes, in order")
    reactions: list[Reaction] = Field(description="meta-stances that target this stance")


class PositionGroup(BaseModel):
    """The stances on a proposition that share one polarity."""

    polarity: Concept = Field(description="the shared polarity")
    count: int = Field(description="number of stances")
    stances: list[Position] = Field(description="the stances, by (stated_at, iri)")


class PropositionDetail(PropositionSummary):
    """A proposition with the positions on it and the conditions around it."""

    actors_to_act: list[Ref] = Field(description="who would have to act")
    beneficiaries: list[Ref] = Field(description="who would benefit")
    locations: list[Ref] = Field(description="places concerned")
    negotiation: Ref | None = Field(None, description="the negotiation it is on the table of")
    positions: list[PositionGroup] = Field(
        description="preferences grouped by polarity, from most positive to most negative"
    )
    expectations: list[Position] = Field(
        default_factory=list,
        description="expectations (forecasts, assessments) about it, not counted as positions",
    )
    conditions: list[Condition] = Field(
        description="conditions attached to stances on this proposition"
    )
    required_by: list[Condition] = Field(
        description="conditions (of any stance) that require this proposition"
    )


# --------------------------------------------------------------------------- nominations


class Nomination(BaseModel):
    """A guarantor nomination: the nominator names the nominee as a guarantor of the
    guarantee, with a modality (asserted, or only possible)."""

    model_config = _examples(
        {
            "id": "ukraine-nominates-turkey-as-guarantor",
            "iri": f"{ID}stance/ukraine-nominates-turkey-as-guarantor",
            "nominator": _UKRAINE,
            "nominee": {"id": "turkey", "iri": f"{ID}actor/turkey", "label": "Turkey"},
            "modality": _POSSIBLE,
            "polarity": {
                "key": "support",
                "iri": "https://w3id.org/stancegraph/vocab/polarity/support",
                "label": "support",
                "weight": 1.0,
            },
            "guarantee": {
                "id": "international-security-guarantee",
                "iri": f"{ID}proposition/international-security-guarantee",
                "label": "International security guarantee for Ukraine by guarantor states",
            },
            "speaker": None,
            "stated_at": "2022-03-29",
        }
    )

    id: str = Field(description="the nomination stance's slug (GET /api/stances/{id})")
    iri: str = Field(description="its IRI")
    nominator: Ref = Field(description="who nominates (the stance holder)")
    nominee: Ref = Field(description="the nominated guarantor")
    modality: Concept = Field(description="asserted, reported or possible")
    polarity: Concept = Field(
        description="support for a nomination; a negative polarity contests it"
    )
    guarantee: Ref = Field(description="the guarantee (proposition) the nominee would guarantee")
    speaker: Ref | None = Field(None, description="who voiced it")
    stated_at: dt.date = Field(description="the day it was stated")


class NominationList(BaseModel):
    items: list[Nomination] = Field(
        description="nominations, firmest modality first, then by nominee"
    )
    total: int = Field(description="number of items")


class MatrixCell(BaseModel):
    modality: Concept | None = Field(
        description="the firmest modality of the nominator's nominations of this nominee; null: none"
    )
    stances: list[str] = Field(description="ids of those nominations")


class MatrixRow(BaseModel):
    nominee: Ref = Field(description="the nominee")
    modality: Concept | None = Field(description="its firmest modality over all nominators")
    cells: list[MatrixCell] = Field(
        description="one cell per nominator, in the order of `nominators`"
    )


class NominationMatrix(BaseModel):
    """Nominees (rows) × nominators (columns), each cell the modality of the nomination."""

    model_config = _examples(
        {
            "nominators": [_UKRAINE],
            "rows": [
                {
                    "nominee": {"id": "turkey", "iri": f"{ID}actor/turkey", "label": "Turkey"},
                    "modality": _POSSIBLE,
                    "cells": [
                        {
                            "modality": _POSSIBLE,
                            "stances": ["ukraine-nominates-turkey-as-guarantor"],
                        }
                    ],
                }
            ],
        }
    )

    nominators: list[Ref] = Field(description="the columns, by label")
    rows: list[MatrixRow] = Field(description="the rows: nominees by firmest modality, then label")


# --------------------------------------------------------------------------- sources


class SourceSummary(BaseModel):
    """A source document stances are drawn from (one named graph per source)."""

    model_config = _examples(
        {
            "id": _SOURCE["id"],
            "iri": _SOURCE["iri"],
            "title": _SOURCE["label"],
            "type": "news-article",
            "publisher": {
                "id": "quebec-daily",
                "iri": f"{ID}actor/quebec-daily",
                "label": "Quebec daily newspaper",
            },
            "contributors": [
                {"id": "afp", "iri": f"{ID}actor/afp", "label": "Agence France-Presse"}
            ],
            "published": "2022-03-30T00:12:00-04:00",
            "language": "en",
            "original_language": "fr",
            "url": None,
            "paragraphs": 22,
            "description": "Quebec daily news report, written with Agence France-Presse...",
            "graph": f"{ID}graph/source/2022-03-29-istanbul-talks-report",
            "stance_count": 48,
        }
    )

    id: str = Field(description="the source's slug; GET /api/sources/{id} for its stances")
    iri: str = Field(description="its IRI")
    title: str = Field(description="descriptive title, in the curator's words")
    type: str | None = Field(
        None, description="the schema.org type, kebab-case: news-article, report, transcript..."
    )
    publisher: Ref | None = Field(None, description="who published it")
    contributors: list[Ref] = Field(description="contributors (e.g. a news agency)")
    published: dt.datetime | dt.date | None = Field(
        None, description="publication date-time (or date)"
    )
    language: str | None = Field(
        None, description="language of the text used (BCP 47)", examples=["en"]
    )
    original_language: str | None = Field(
        None, description="language of the original, when the text is a translation"
    )
    url: str | None = Field(None, description="where it was published")
    paragraphs: int | None = Field(
        None, description="number of paragraphs (evidence paragraph numbers refer to these)"
    )
    description: str | None = Field(None, description="what it covers")
    graph: str | None = Field(None, description="IRI of the named graph holding its stances")
    stance_count: int = Field(description="stances drawn from it")


class SourceList(BaseModel):
    items: list[SourceSummary] = Field(description="sources, by publication date")
    total: int = Field(description="number of items")


class SourceDetail(SourceSummary):
    stances: list[StanceSummary] = Field(
        description="its stances (all; /api/stances?source= pages them)"
    )


# --------------------------------------------------------------------------- named queries

Cell = str | int | float | bool | None


class QueryParam(BaseModel):
    name: str = Field(
        description="the parameter (a SPARQL variable of the query)", examples=["actor"]
    )
    default: str | None = Field(
        None, description="its default value", examples=[f"{ID}actor/russia"]
    )
    description: str = Field(description="what it means")


class NamedQuery(BaseModel):
    """A curated example query (``data/queries/<name>.rq``)."""

    model_config = _examples(
        {
            "name": "actor-stances",
            "title": "Stances of an actor",
            "description": "Every stance an actor holds or voices (by default Russia)...",
            "sparql": "PREFIX sg: <https://w3id.org/stancegraph/ns#>\nSELECT ...",
            "params": [
                {
                    "name": "actor",
                    "default": f"{ID}actor/russia",
                    "description": "the actor: a state, organisation or person",
                }
            ],
            "href": "/api/queries/actor-stances",
        }
    )

    name: str = Field(description="the query's name (path segment)", examples=["actor-stances"])
    title: str = Field(description="a short title")
    description: str = Field(description="what it answers")
    sparql: str = Field(
        description="the SPARQL text (parameters are variables bound by the engine)"
    )
    params: list[QueryParam] = Field(description="its parameters")
    href: str = Field(
        description="where to run it: GET with parameters as query parameters, or POST {params}"
    )


class NamedQueryList(BaseModel):
    items: list[NamedQuery] = Field(description="the named queries, by name")
    total: int = Field(description="number of items")


class QueryRunRequest(BaseModel):
    """Parameters for running a named query."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"params": {"actor": "ukraine"}}]}
    )

    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="parameter values: IRIs, or slugs where the default is a stancegraph IRI (ukraine → .../actor/ukraine), "
        "or literals",
    )


class QueryRunResponse(NamedQuery):
    """A named query and its results."""

    model_config = _examples(
        {
            **NamedQuery.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
            "bindings": {"actor": f"{ID}actor/ukraine"},
            "kind": "select",
            "columns": ["actor", "involvement", "stance"],
            "rows": [
                {
                    "actor": f"{ID}actor/ukraine",
                    "involvement": "holder",
                    "stance": f"{ID}stance/ukraine-doubts-de-escalation",
                }
            ],
            "row_count": 1,
            "truncated": False,
            "boolean": None,
        }
    )

    bindings: dict[str, Cell] = Field(
        description="the values the query ran with (defaults included)"
    )
    kind: Literal["select", "ask", "graph"] = Field(
        description="select (rows), ask (boolean) or graph (subject/predicate/object rows)"
    )
    columns: list[str] = Field(description="result columns, in order")
    rows: list[dict[str, Cell]] = Field(
        description="result rows: IRIs and strings as strings, numbers as numbers, dates ISO"
    )
    row_count: int = Field(description="rows returned")
    truncated: bool = Field(description="true when rows were cut at the server's row limit")
    boolean: bool | None = Field(None, description="the answer of an ASK query")


# --------------------------------------------------------------------------- search

SearchKind = Literal["actor", "place", "negotiation", "proposition", "stance", "source"]


class SearchHit(BaseModel):
    """A resource matching the query, with the best matching text."""

    model_config = _examples(
        {
            "kind": "proposition",
            "id": "reduce-military-activity-kyiv-chernihiv",
            "iri": f"{ID}proposition/reduce-military-activity-kyiv-chernihiv",
            "label": "Drastic reduction of Russian military activity towards Kyiv and Chernihiv",
            "href": "/api/propositions/reduce-military-activity-kyiv-chernihiv",
            "field": "label",
            "snippet": "Drastic reduction of Russian military activity towards Kyiv and Chernihiv",
            "highlights": [[55, 59]],
            "score": 0.66,
        }
    )

    kind: SearchKind = Field(description="what the resource is")
    id: str = Field(description="its slug")
    iri: str = Field(description="its IRI")
    label: str = Field(description="its label (for stances: the summary)")
    href: str | None = Field(
        None, description="its JSON API route; null for places and negotiations"
    )
    field: Literal["label", "alt_label", "summary", "quote", "role", "description", "rationale"] = (
        Field(
            description="the field that matched best (quote: a verbatim evidence quote of the stance; role: a membership title)"
        )
    )
    snippet: str = Field(description="the matching text, cut around the first match (… marks cuts)")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character ranges of the matches in the snippet"
    )
    score: float = Field(
        description="relevance, higher is better (1.0: the label is exactly the query)"
    )


class SearchResponse(BaseModel):
    model_config = _examples(
        {
            "query": "Kyiv",
            "total": 5,
            "items": [SearchHit.model_config["json_schema_extra"]["examples"][0]],
        }
    )  # type: ignore[index]

    query: str = Field(description="the query as given")
    total: int = Field(description="number of matching resources (items holds the best `limit`)")
    items: list[SearchHit] = Field(description="hits, best first")


StancePage.model_rebuild()  # its items are defined after it

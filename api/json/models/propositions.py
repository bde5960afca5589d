"""Propositions and the positions taken on them."""

from __future__ import annotations

from pydantic import Field

from .common import ID, ApiModel, Concept, LabelPage, Ref, _examples
from .stances import Condition, StanceSummary

# --------------------------------------------------------------------------- propositions


class PropositionSummary(ApiModel):
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

    id: str
    """the proposition's slug; GET /api/propositions/{id} for details"""
    iri: str
    """the proposition's IRI"""
    label: str
    """what is proposed"""
    demand_type: Concept | None = None
    """its kind (neutrality, security-guarantee, ceasefire...)"""
    description: str | None = None
    """a longer description"""
    stance_count: int
    """stances targeting it directly"""
    polarity_counts: dict[str, int] = Field(examples=[{"support": 2, "skeptical": 1}])
    """those stances by polarity key"""


class PropositionList(LabelPage[PropositionSummary]):
    items: list[PropositionSummary]
    """propositions, by label"""
    total: int
    """number of propositions matching the filters, over all pages"""


class Reaction(ApiModel):
    """A meta-stance reacting to a position."""

    id: str
    """the reacting stance's slug"""
    iri: str
    """its IRI"""
    holder: Ref
    """who reacts"""
    polarity: Concept
    """how (e.g. skeptical)"""


class Position(StanceSummary):
    """A stance on the proposition, with its quotes and the reactions it drew."""

    quotes: list[str]
    """verbatim evidence quotes, in order"""
    reactions: list[Reaction]
    """meta-stances that target this stance"""


class PositionGroup(ApiModel):
    """The stances on a proposition that share one polarity."""

    polarity: Concept
    """the shared polarity"""
    count: int
    """number of stances"""
    stances: list[Position]
    """the stances, by (stated_at, iri)"""


class PropositionDetail(PropositionSummary):
    """A proposition with the positions on it and the conditions around it."""

    actors_to_act: list[Ref]
    """who would have to act"""
    beneficiaries: list[Ref]
    """who would benefit"""
    locations: list[Ref]
    """places concerned"""
    negotiation: Ref | None = None
    """the negotiation it is on the table of"""
    positions: list[PositionGroup]
    """preferences grouped by polarity, from most positive to most negative"""
    expectations: list[Position] = Field(default_factory=list)
    """expectations (forecasts, assessments) about it, not counted as positions"""
    conditions: list[Condition]
    """conditions attached to stances on this proposition"""
    required_by: list[Condition]
    """conditions (of any stance) that require this proposition"""

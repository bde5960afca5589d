"""Propositions and the positions taken on them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .common import ID, Concept, LabelPage, Ref, _examples
from .stances import Condition, StanceSummary

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


class PropositionList(LabelPage[PropositionSummary]):
    items: list[PropositionSummary] = Field(description="propositions, by label")
    total: int = Field(description="number of propositions matching the filters, over all pages")


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

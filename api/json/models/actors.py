"""Actors and their memberships."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from .common import _UKRAINE, ID, Concept, LabelPage, Ref, _examples
from .stances import StanceSummary

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


class ActorList(LabelPage[ActorSummary]):
    items: list[ActorSummary] = Field(description="actors, by label")
    total: int = Field(description="number of actors matching the filters, over all pages")


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

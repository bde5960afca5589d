"""Actors and their memberships."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import _UKRAINE, ID, ApiModel, Concept, LabelPage, Ref, _examples
from .stances import StanceSummary

# --------------------------------------------------------------------------- actors


class ActorSummary(ApiModel):
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

    id: str = Field(examples=["ukraine"])
    """the actor's slug; GET /api/actors/{id} for details"""
    iri: str
    """the actor's IRI"""
    label: str
    """its name"""
    type: str = Field(examples=["state-actor"])
    """the most specific class, kebab-case like every value: state-actor, intergovernmental-organization, organization, government-body, military-command, delegation, research-organization, news-organization or person"""
    description: str | None = None
    """a short description"""
    wikidata: str | None = Field(None, examples=["http://www.wikidata.org/entity/Q212"])
    """Wikidata entity IRI (verified links only)"""
    state: Ref | None = None
    """the state actor it belongs to or represents (organisations, persons)"""
    stances_held: int
    """stances it holds"""
    stances_voiced: int
    """stances it voiced for a holder"""
    nominations_received: int
    """times it was nominated as a guarantor"""


class ActorList(LabelPage[ActorSummary]):
    items: list[ActorSummary]
    """actors, by label"""
    total: int
    """number of actors matching the filters, over all pages"""


class Membership(ApiModel):
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

    id: str
    """<actor id>/membership/<n>"""
    iri: str
    """the membership's IRI"""
    member: Ref
    """who holds the role"""
    organization: Ref
    """where"""
    role: Concept | None = None
    """the role (vocabulary term)"""
    title: str | None = None
    """the title as the source gives it"""
    attested_on: dt.date | None = None
    """the day the role is attested"""


class ActorDetail(ActorSummary):
    """An actor with its roles, affiliations, members and stances."""

    territory: Ref | None = None
    """for state actors: the country (place)"""
    member_of: list[Ref]
    """alliances and bodies it is a member of (org:memberOf)"""
    members: list[Ref]
    """actors that are members of it (org:memberOf), e.g. NATO's member states"""
    affiliated: list[Ref]
    """organisations and persons that belong to or represent this state"""
    roles: list[Membership]
    """its own roles (memberships where it is the member)"""
    people: list[Membership]
    """roles held in it by others (memberships where it is the organisation)"""
    held: list[StanceSummary]
    """stances it holds (all; /api/stances?holder= pages them)"""
    voiced: list[StanceSummary]
    """stances it voiced (all; /api/stances?speaker= pages them)"""
    nominated: list[StanceSummary]
    """guarantor nominations naming it"""

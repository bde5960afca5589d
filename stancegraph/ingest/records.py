"""The human-editable input format: pydantic models of one YAML dataset file.

A dataset file describes either shared *entities* (actors, places, negotiations,
propositions) or one *source* with the stances it evidences, or both. Every record has a
``id`` slug (lower-case letters, digits and hyphens) from which its IRI is minted, so the
compiled RDF is deterministic and loading a file twice never duplicates anything.

Controlled values (polarity, speech act, modality, condition type, demand type, role) are
the keys of the SKOS concepts in ``ontology/vocabularies.ttl``; they are checked against
the vocabulary at compile time, not here, so new concepts are added as data.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", max_length=120),
]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
QID = Annotated[str, StringConstraints(pattern=r"^Q[1-9][0-9]*$")]

ActorType = Literal[
    "StateActor",
    "IntergovernmentalOrganization",
    "Organization",
    "GovernmentBody",
    "MilitaryCommand",
    "Delegation",
    "ResearchOrganization",
    "NewsOrganization",
    "Person",
    "UnidentifiedActor",
]

# Facts the source does not state but the curator inferred: ``{field: basis}`` on a record
# marks the triples written for that field as sg:InferredFact with the basis (model v2).
Inferred = dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$")], Text]


def optional_list(description: str | None = None) -> Any:
    """A list field that is empty where the file leaves it out (``description``: its text
    in the JSON Schema)."""
    return Field(default_factory=list, description=description)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Membership(Record):
    """A role a person or body holds in an organisation, as attested on a date."""

    organization: Slug = Field(description="id of the organisation (an actor)")
    role: Key = Field(description="role concept key, e.g. head-of-delegation")
    label: Text | None = Field(None, description="free-text role title as the source gives it")
    as_of: dt.date | None = Field(None, description="date the source attests the role")


class Actor(Record):
    id: Slug
    type: ActorType
    label: Text
    description: Text | None = None
    wikidata: QID | None = Field(None, description="verified Wikidata QID only")
    country: Slug | None = Field(
        None, description="for states: the place id of the territory; for others: the state"
    )
    memberships: list[Membership] = optional_list()
    member_of: list[Slug] = optional_list("alliances or bodies this actor belongs to")
    alt_labels: list[Text] = optional_list("other spellings the sources use (skos:altLabel)")
    part_of: list[Slug] = optional_list("parent organisations (org:subOrganizationOf)")
    reports_to: Slug | None = Field(
        None, description="the person or body it speaks or works for (org:reportsTo)"
    )
    inferred: Inferred = Field(default_factory=dict)


class Place(Record):
    id: Slug
    label: Text
    type: Literal["City", "Region", "Country", "Sea", "Place"] = "Place"
    contained_in: Slug | None = None
    wikidata: QID | None = None
    alt_labels: list[Text] = optional_list()


class Negotiation(Record):
    """A negotiation process or one round of it."""

    id: Slug
    type: Literal["NegotiationProcess", "NegotiationRound"]
    label: Text
    parties: list[Slug] = Field(min_length=1)
    host: Slug | None = None
    place: Slug | None = None
    date: dt.date | None = None
    part_of: Slug | None = None
    description: Text | None = None
    inferred: Inferred = Field(default_factory=dict)


class Occasion(Record):
    """The event at which stances were expressed: a call, a press conference, a statement."""

    id: Slug
    type: Key = Field(description="occasion-type key: press-conference, phone-call, …")
    label: Text
    description: Text | None = None
    date: dt.date | None = Field(None, description="leave out when the source does not date it")
    place: Slug | None = None
    organizer: Slug | None = None
    participants: list[Slug] = optional_list()
    inferred: Inferred = Field(default_factory=dict)


class Proposition(Record):
    """A demanded, proposed or asserted state of affairs that stances target."""

    id: Slug
    label: Text
    demand_type: Key
    description: Text | None = None
    actor_to_act: list[Slug] = optional_list()
    beneficiary: list[Slug] = optional_list()
    locations: list[Slug] = optional_list()
    negotiation: Slug | None = None
    alt_labels: list[Text] = optional_list()
    broader: list[Slug] = optional_list("broader propositions (skos:broader)")
    step_towards: list[Slug] = optional_list("propositions this one is a step towards")
    same_as: list[Slug] = optional_list("the same proposition as minted for another source")
    inferred: Inferred = Field(default_factory=dict)


class Evidence(Record):
    """Where in the source a stance is attested (a Web Annotation on the document)."""

    paragraph: int = Field(ge=1, description="1-based paragraph number in the source")
    quote: Text | None = Field(
        None, max_length=600, description="the speaker's own words, verbatim"
    )
    speaker: Slug | None = Field(None, description="actor whose words the quote are")
    source: Slug | None = Field(None, description="defaults to the file's source")


class ConditionRecord(Record):
    type: Key = Field(
        description="condition-type key: only-if, only-after, in-exchange-for (necessary), "
        "if (sufficient), unless"
    )
    requires: Slug = Field(description="id of the proposition required")
    note: Text | None = None


class Stance(Record):
    """Who (holder, voiced by) takes what position (polarity) on what (target).

    ``kind: expectation`` records a forecast or assessment instead of a preference: its
    polarity is ``unstated`` (the default for expectations), with ``likelihood`` and
    ``horizon`` where the text gives them. ``relayed_by`` is the chain of reported speech
    from the source outwards (unnamed sources, an expert, another leader).
    """

    id: Slug
    kind: Literal["preference", "expectation"] = "preference"
    holder: Slug
    voiced_by: Slug | None = None
    relayed_by: list[Slug] = optional_list(
        "who relayed the stance to the source, nearest to the source first"
    )
    target: Slug | None = Field(None, description="id of a proposition")
    target_stance: Slug | None = Field(None, description="id of a stance (meta-stance)")
    polarity: Key | None = Field(None, description="required for preferences")
    likelihood: Key | None = Field(None, description="expectations: likelihood key")
    horizon: Key | None = Field(None, description="expectations: horizon key")
    occasion: Slug | None = None
    venue: Slug | None = Field(None, description="place where the stance was expressed")
    nominee_proposition: Slug | None = Field(
        None, description="nominations: the per-nominee proposition (X guarantees …)"
    )
    list_open: bool | None = Field(
        None, description="nominations: whether the guarantor list is open ('such as')"
    )
    inferred: Inferred = Field(default_factory=dict)
    speech_act: Key | None = None
    modality: Key = "asserted"
    stated: dt.date
    negotiation: Slug | None = None
    nominee: Slug | None = Field(None, description="makes this a guarantor nomination")
    conditions: list[ConditionRecord] = optional_list()
    evidence: list[Evidence] = Field(min_length=1)
    summary: Text | None = Field(None, description="the stance in the curator's own words")
    rationale: Text | None = None
    confidence: float | None = Field(None, ge=0, le=1)
    supersedes: Slug | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Stance:
        if (self.target is None) == (self.target_stance is None):
            raise ValueError("give exactly one of 'target' (a proposition) or 'target_stance'")
        if self.target_stance == self.id:
            raise ValueError("a stance cannot target itself")
        if self.kind == "preference":
            if self.polarity is None:
                raise ValueError("a preference needs a 'polarity'")
            if self.polarity == "unstated":
                raise ValueError("polarity 'unstated' is for expectations (kind: expectation)")
            if self.likelihood or self.horizon:
                raise ValueError("'likelihood' and 'horizon' need kind: expectation")
        elif self.polarity not in (None, "unstated"):
            raise ValueError(
                "an expectation states no preference (polarity unstated); code a stated"
                " preference as a separate stance"
            )
        if self.nominee is None and (self.nominee_proposition or self.list_open is not None):
            raise ValueError("'nominee_proposition' and 'list_open' need a 'nominee'")
        return self

    @property
    def polarity_key(self) -> str:
        return self.polarity or "unstated"


class Source(Record):
    """The document stances are drawn from, described in the curator's own words."""

    id: Slug
    type: Literal["NewsArticle", "Report", "Transcript", "Statement", "SocialMediaPosting"] = (
        "NewsArticle"
    )
    title: Text = Field(description="descriptive title in the curator's words")
    publisher: Slug = Field(description="actor id of the publisher")
    contributors: list[Slug] = optional_list()
    published: dt.datetime | dt.date
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]
    translation_of_language: str | None = None
    url: str | None = None
    paragraphs: int | None = Field(None, ge=1)
    description: Text | None = None
    inferred: Inferred = Field(default_factory=dict)

    @field_validator("published", mode="before")
    @classmethod
    def _day_stays_a_day(cls, value: object) -> object:
        """``2022-04-01`` is a date (xsd:date), not midnight of a date-time."""
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                return value
        return value


class Concept(Record):
    """An extra SKOS concept for a controlled field, added as data."""

    scheme: Literal[
        "polarity",
        "speech-act",
        "modality",
        "condition-type",
        "demand-type",
        "role",
        "likelihood",
        "horizon",
        "occasion-type",
        "list-openness",
    ]
    key: Key
    label: Text
    definition: Text | None = None
    weight: float | None = None
    close_match: list[str] = optional_list()


class Dataset(Record):
    """One YAML file."""

    source: Source | None = None
    concepts: list[Concept] = optional_list()
    actors: list[Actor] = optional_list()
    places: list[Place] = optional_list()
    negotiations: list[Negotiation] = optional_list()
    occasions: list[Occasion] = optional_list()
    propositions: list[Proposition] = optional_list()
    stances: list[Stance] = optional_list()

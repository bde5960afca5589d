"""Shared pieces of the JSON API models: references, concepts, the examples."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar, cast

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


class ApiModel(BaseModel):
    """The base of every JSON API model. A field is documented by the docstring under it
    (pydantic's ``use_attribute_docstrings``): that text is its description in /docs and
    the OpenAPI schema."""

    model_config = ConfigDict(use_attribute_docstrings=True)


def _examples(*examples: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


def _example_of(model: type[BaseModel]) -> dict[str, Any]:
    """The first example set by ``_examples`` on ``model`` (to build a bigger one from)."""
    extra = cast(dict[str, Any], model.model_config["json_schema_extra"])
    return cast(dict[str, Any], extra["examples"][0])


# --------------------------------------------------------------------------- building blocks


class Ref(ApiModel):
    """A reference to another resource of the graph."""

    model_config = _examples(_RUSSIA)

    id: str = Field(examples=["russia"])
    """the record's slug (the full IRI for resources not minted by stancegraph)"""
    iri: str = Field(examples=[f"{ID}actor/russia"])
    """the resource's IRI"""
    label: str = Field(examples=["Russia"])
    """its English label (the id when it has none)"""


class TargetRef(Ref):
    """What a stance is about: a proposition, or another stance (a meta-stance)."""

    model_config = _examples(_PLEDGE_TARGET)

    kind: Literal["proposition", "stance"]
    """proposition, or stance when this is a meta-stance (a reaction to another stance)"""


class StanceRef(ApiModel):
    """A reference to a stance, by id and IRI."""

    id: str = Field(examples=["russia-summit-only-after-agreement"])
    """the stance's slug"""
    iri: str = Field(examples=[f"{ID}stance/russia-summit-only-after-agreement"])
    """the stance's IRI"""


Item = TypeVar("Item")


class LabelPage(ApiModel, Generic[Item]):
    """One page of a list sorted by label, paged with ``?limit=`` and ``?cursor=`` (``page``
    in ``api/json/params.py`` fills it). A list model names its items and documents them
    and what ``total`` counts."""

    items: list[Item]
    total: int
    next_cursor: str | None = None
    """pass as cursor= for the next page; null on the last page"""
    limit: int
    """page size used"""


class Concept(ApiModel):
    """A term of a controlled vocabulary (SKOS concept)."""

    model_config = _examples(_COMMITMENT)

    id: str = Field(examples=["support"])
    """the concept's short id: its key, as for every reference"""
    key: str = Field(examples=["support"])
    """the notation, as accepted by filters"""
    iri: str = Field(examples=["https://w3id.org/stancegraph/vocab/polarity/support"])
    """the concept's IRI"""
    label: str = Field(examples=["support"])
    """its English preferred label"""
    weight: float | None = Field(None, examples=[1.0])
    """numeric value (rdf:value): polarity in [-1, 1], modality in [0, 1]; null for other vocabularies"""


class VocabularyConcept(Concept):
    definition: str | None = None
    """the concept's definition (skos:definition)"""


class VocabulariesResponse(ApiModel):
    """Every controlled vocabulary: the allowed values of the ``polarity``, ``modality``,
    ``speech_act``, ``type`` (condition type) and ``demand_type`` filters, and the roles."""

    model_config = _examples(
        {"schemes": {"modality": [{**_ASSERTED, "definition": "Stated as fact."}]}}
    )

    schemes: dict[str, list[VocabularyConcept]]
    """concepts by scheme (polarity, speech-act, modality, condition-type, demand-type, role); polarity and modality by descending weight, the others by key"""

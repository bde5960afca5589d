"""Search hits."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .common import ID, _example_of, _examples
from .stances import StancePage

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
            "items": [_example_of(SearchHit)],
        }
    )

    query: str = Field(description="the query as given")
    total: int = Field(description="number of matching resources (items holds the best `limit`)")
    items: list[SearchHit] = Field(description="hits, best first")


StancePage.model_rebuild()  # its items are defined after it

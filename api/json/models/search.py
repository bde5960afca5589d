"""Search hits."""

from __future__ import annotations

from typing import Literal

from .common import ID, ApiModel, _example_of, _examples
from .stances import StancePage

# --------------------------------------------------------------------------- search

SearchKind = Literal["actor", "place", "negotiation", "proposition", "stance", "source"]


class SearchHit(ApiModel):
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

    kind: SearchKind
    """what the resource is"""
    id: str
    """its slug"""
    iri: str
    """its IRI"""
    label: str
    """its label (for stances: the summary)"""
    href: str | None = None
    """its JSON API route; null for places and negotiations"""
    field: Literal["label", "alt_label", "summary", "quote", "role", "description", "rationale"]
    """the field that matched best (quote: a verbatim evidence quote of the stance; role: a membership title)"""
    snippet: str
    """the matching text, cut around the first match (… marks cuts)"""
    highlights: list[tuple[int, int]]
    """[start, end) character ranges of the matches in the snippet"""
    score: float
    """relevance, higher is better (1.0: the label is exactly the query)"""


class SearchResponse(ApiModel):
    model_config = _examples(
        {
            "query": "Kyiv",
            "total": 5,
            "items": [_example_of(SearchHit)],
        }
    )

    query: str
    """the query as given"""
    total: int
    """number of matching resources (items holds the best `limit`)"""
    items: list[SearchHit]
    """hits, best first"""


StancePage.model_rebuild()  # its items are defined after it

"""Sources (documents stances are coded from)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import _SOURCE, ID, ApiModel, Ref, _examples
from .stances import StanceSummary

# --------------------------------------------------------------------------- sources


class SourceSummary(ApiModel):
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

    id: str
    """the source's slug; GET /api/sources/{id} for its stances"""
    iri: str
    """its IRI"""
    title: str
    """descriptive title, in the curator's words"""
    type: str | None = None
    """the schema.org type, kebab-case: news-article, report, transcript..."""
    publisher: Ref | None = None
    """who published it"""
    contributors: list[Ref]
    """contributors (e.g. a news agency)"""
    published: dt.datetime | dt.date | None = None
    """publication date-time (or date)"""
    language: str | None = Field(None, examples=["en"])
    """language of the text used (BCP 47)"""
    original_language: str | None = None
    """language of the original, when the text is a translation"""
    url: str | None = None
    """where it was published"""
    paragraphs: int | None = None
    """number of paragraphs (evidence paragraph numbers refer to these)"""
    description: str | None = None
    """what it covers"""
    graph: str | None = None
    """IRI of the named graph holding its stances"""
    stance_count: int
    """stances drawn from it"""


class SourceList(ApiModel):
    items: list[SourceSummary]
    """sources, by publication date"""
    total: int
    """number of items"""


class SourceDetail(SourceSummary):
    stances: list[StanceSummary]
    """its stances (all; /api/stances?source= pages them)"""

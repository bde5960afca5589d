"""Sources (documents stances are coded from)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from .common import _SOURCE, ID, Ref, _examples
from .stances import StanceSummary

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

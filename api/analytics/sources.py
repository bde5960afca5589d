"""``/api/analytics/sources``: where two sources disagree."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, Field

from stancegraph.analytics.sources import SourceComparison

from .params import analysis, analytics, run
from .results import Ref, model_of


class SourceStanceDiffOut(BaseModel):
    holder: Ref
    occasion: Ref
    target: Ref
    difference: Literal["polarity", "only-in-a", "only-in-b"]
    a: list[str] = Field(description="polarities source a attributes")
    b: list[str]


class ModalityDiffOut(BaseModel):
    nominee: Ref
    a: str
    b: str


class GuarantorListDiffOut(BaseModel):
    holder: Ref
    occasion: Ref
    in_a: list[Ref]
    in_b: list[Ref]
    only_in_a: list[Ref]
    only_in_b: list[Ref]
    modality_differs: list[ModalityDiffOut]


class ConditionItemOut(BaseModel):
    type: str
    requires: Ref


class ConditionDiffOut(BaseModel):
    holder: Ref
    occasion: Ref
    target: Ref
    only_in_a: list[ConditionItemOut]
    only_in_b: list[ConditionItemOut]


_LABELLED = ("holder", "occasion", "target")


def _labelled(diffs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The differences, with holder, occasion and target as references labelled by their
    own ``..._label`` entries."""
    return [
        {**d, **{k: {"iri": d[k], "label": d[f"{k}_label"]} for k in _LABELLED if k in d}}
        for d in diffs
    ]


SourcesResponse = model_of(
    SourceComparison,
    "SourcesResponse",
    read={
        "stances": lambda c: _labelled(c.stances),
        "guarantor_lists": lambda c: _labelled(c.guarantor_lists),
        "conditions": lambda c: _labelled(c.conditions),
    },
    a=Ref,
    b=Ref,
    agree=(bool, Field(description="true when nothing both report differs")),
    aligned=Field(description="(holder, occasion) pairs both report"),
    stances=list[SourceStanceDiffOut],
    guarantor_lists=list[GuarantorListDiffOut],
    conditions=list[ConditionDiffOut],
    labels=None,
)


@analysis("/sources", SourcesResponse, "Where two sources disagree", stale=False)
def sources(
    request: Request,
    a: str = Query(description="first source: slug or IRI", min_length=1, max_length=500),
    b: str = Query(description="second source: slug or IRI", min_length=1, max_length=500),
) -> Any:
    """Lines up the stances two sources attribute to the same actor at the same occasion
    (or date) and lists the differences: polarities, guarantor lists (and nominee
    modalities), conditions. Propositions linked by skos:exactMatch count as the same."""
    rep = run(analytics(request).sources, a, b)
    return SourcesResponse.model_validate(rep, context={"labels": dict(rep.labels)})

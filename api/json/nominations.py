"""``/api/guarantor-nominations``: the list and the nominee × nominator matrix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from stancegraph import read as views

from . import models as m
from .params import _ACTOR_PARAM, Many, _concept, _existing
from .responses import _kg, _responses, respond, router

# --------------------------------------------------------------------------- nominations


def _nominations(
    request: Request, nominator: Many, nominee: Many, modality: Many
) -> list[dict[str, Any]]:
    kg = _kg(request)
    vocab = views.vocabulary(kg)
    return views.nominations(
        kg,
        nominator=_existing(kg, "actor", "nominator", nominator),
        nominee=_existing(kg, "actor", "nominee", nominee),
        modality=_concept(vocab, "modality", "modality", modality),
        vocab=vocab,
    )


NominatorQ = Annotated[
    Many,
    Query(description=f"only nominations by this actor ({_ACTOR_PARAM})", examples=["ukraine"]),
]
NomineeQ = Annotated[
    Many,
    Query(description=f"only nominations of this actor ({_ACTOR_PARAM})", examples=["turkey"]),
]
ModalityQ = Annotated[Many, Query(description="only this modality key", examples=["possible"])]


@router.get(
    "/guarantor-nominations",
    response_model=m.NominationList,
    responses=_responses(),
    summary="Guarantor nominations (nominee × nominator × modality)",
)
def list_nominations(
    request: Request,
    nominator: NominatorQ = None,
    nominee: NomineeQ = None,
    modality: ModalityQ = None,
) -> Response:
    def build() -> BaseModel:
        items = _nominations(request, nominator, nominee, modality)
        return m.NominationList(items=items, total=len(items))

    return respond(request, build)


@router.get(
    "/guarantor-nominations/matrix",
    response_model=m.NominationMatrix,
    responses=_responses(),
    summary="Guarantor nominations as a nominee × nominator matrix",
)
def nomination_matrix(
    request: Request,
    nominator: NominatorQ = None,
    nominee: NomineeQ = None,
    modality: ModalityQ = None,
) -> Response:
    def build() -> BaseModel:
        return m.NominationMatrix.model_validate(
            views.nomination_matrix(_nominations(request, nominator, nominee, modality))
        )

    return respond(request, build)

"""``/api/guarantor-nominations``: the list and the nominee × nominator matrix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from stancegraph import read as views

from . import models as m
from .params import _ACTOR_PARAM, Many, _concept, _existing
from .responses import Built, _kg, route

# --------------------------------------------------------------------------- nominations


NominatorQ = Annotated[
    Many,
    Query(description=f"only nominations by this actor ({_ACTOR_PARAM})", examples=["ukraine"]),
]
NomineeQ = Annotated[
    Many,
    Query(description=f"only nominations of this actor ({_ACTOR_PARAM})", examples=["turkey"]),
]
ModalityQ = Annotated[Many, Query(description="only this modality key", examples=["possible"])]


def _nominations(
    request: Request,
    nominator: NominatorQ = None,
    nominee: NomineeQ = None,
    modality: ModalityQ = None,
) -> Callable[[], list[dict[str, Any]]]:
    """The filtered nominations, read when called (after the ETag check)."""

    def read() -> list[dict[str, Any]]:
        kg = _kg(request)
        vocab = views.vocabulary(kg)
        return views.nominations(
            kg,
            nominator=_existing(kg, "actor", "nominator", nominator),
            nominee=_existing(kg, "actor", "nominee", nominee),
            modality=_concept(vocab, "modality", "modality", modality),
            vocab=vocab,
        )

    return read


# The query parameters both routes take, as one dependency.
Nominations = Annotated[Callable[[], list[dict[str, Any]]], Depends(_nominations)]


@route(
    "/guarantor-nominations",
    m.NominationList,
    "Guarantor nominations (nominee × nominator × modality)",
)
def list_nominations(request: Request, nominations: Nominations) -> Built:
    items = nominations()
    return m.NominationList(items=items, total=len(items))


@route(
    "/guarantor-nominations/matrix",
    m.NominationMatrix,
    "Guarantor nominations as a nominee × nominator matrix",
)
def nomination_matrix(request: Request, nominations: Nominations) -> Built:
    return m.NominationMatrix.model_validate(views.nomination_matrix(nominations()))

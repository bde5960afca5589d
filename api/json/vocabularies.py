"""``/api/vocabularies``: the controlled vocabularies."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from stancegraph import read as views

from . import models as m
from .responses import _kg, _responses, respond, router

# --------------------------------------------------------------------------- vocabularies


@router.get(
    "/vocabularies",
    response_model=m.VocabulariesResponse,
    responses=_responses(),
    summary="Controlled vocabularies",
)
def list_vocabularies(request: Request) -> Response:
    def build() -> BaseModel:
        vocab = views.vocabulary(_kg(request))
        schemes = {
            scheme: sorted(concepts.values(), key=lambda c: (-(c["weight"] or 0.0), c["key"]))
            for scheme, concepts in sorted(vocab.schemes.items())
        }
        return m.VocabulariesResponse.model_validate({"schemes": schemes})

    return respond(request, build)

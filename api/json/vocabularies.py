"""``/api/vocabularies``: the controlled vocabularies."""

from __future__ import annotations

from fastapi import Request

from stancegraph import read as views

from . import models as m
from .responses import Built, _kg, route

# --------------------------------------------------------------------------- vocabularies


@route("/vocabularies", m.VocabulariesResponse, "Controlled vocabularies")
def list_vocabularies(request: Request) -> Built:
    vocab = views.vocabulary(_kg(request))
    schemes = {
        scheme: sorted(concepts.values(), key=lambda c: (-(c["weight"] or 0.0), c["key"]))
        for scheme, concepts in sorted(vocab.schemes.items())
    }
    return m.VocabulariesResponse.model_validate({"schemes": schemes})

"""``/api/sources``: the source list and one source."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from stancegraph import read as views

from . import models as m
from .responses import _kg, detail_route, respond, route

# --------------------------------------------------------------------------- sources


@route("/sources", m.SourceList, "List sources")
def list_sources(request: Request) -> Response:
    def build() -> BaseModel:
        items = views.sources(_kg(request))
        return m.SourceList(items=items, total=len(items))

    return respond(request, build)


detail_route("source", views.source, m.SourceDetail, "One source, with its stances")

"""``/api/sources``: the source list and one source."""

from __future__ import annotations

from fastapi import Request

from stancegraph import read as views

from . import models as m
from .responses import Built, _kg, detail_route, route

# --------------------------------------------------------------------------- sources


@route("/sources", m.SourceList, "List sources")
def list_sources(request: Request) -> Built:
    items = views.sources(_kg(request))
    return m.SourceList(items=items, total=len(items))


detail_route("source", views.source, m.SourceDetail, "One source, with its stances")

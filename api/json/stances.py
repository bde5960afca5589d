"""``/api/stances``: the stance list (keyset pages over (stated_at, IRI)) and one stance."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query, Request

from stancegraph import read as views

from . import models as m
from .params import (
    _ACTOR_PARAM,
    Many,
    _concept,
    _existing,
    _invalid,
    _target,
    decode_cursor,
    encode_cursor,
)
from .responses import Built, _kg, detail_route, route

# --------------------------------------------------------------------------- stances


@route("/stances", m.StancePage, "List stances (filtered, cursor-paginated)", link=True)
def list_stances(
    request: Request,
    holder: Annotated[
        Many, Query(description=f"holder ({_ACTOR_PARAM})", examples=["ukraine"])
    ] = None,
    speaker: Annotated[
        Many,
        Query(description=f"the person who voiced it ({_ACTOR_PARAM})", examples=["joe-biden"]),
    ] = None,
    target: Annotated[
        Many,
        Query(
            description="what it is about: a proposition, or a stance for meta-stances (slug or IRI)"
        ),
    ] = None,
    polarity: Annotated[
        Many,
        Query(description="polarity key (see /api/vocabularies)", examples=["skeptical"]),
    ] = None,
    speech_act: Annotated[Many, Query(description="speech act key", examples=["pledge"])] = None,
    modality: Annotated[
        Many,
        Query(description="modality key: asserted, reported, possible", examples=["possible"]),
    ] = None,
    since: Annotated[
        dt.date | None, Query(description="stated on or after this day (ISO date)")
    ] = None,
    until: Annotated[
        dt.date | None, Query(description="stated on or before this day (ISO date)")
    ] = None,
    source: Annotated[Many, Query(description="drawn from this source (slug or IRI)")] = None,
    nominee: Annotated[
        Many, Query(description=f"guarantor nominations naming this actor ({_ACTOR_PARAM})")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="page size")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=4096, description="next_cursor of the previous page")
    ] = None,
    include: Annotated[
        list[Literal["evidence", "conditions"]] | None,
        Query(description="embed each stance's evidence and/or conditions (repeatable)"),
    ] = None,
) -> Built:
    kg = _kg(request)
    vocab = views.vocabulary(kg)
    flt = views.StanceFilter(
        holder=_existing(kg, "actor", "holder", holder),
        speaker=_existing(kg, "actor", "speaker", speaker),
        target=_target(kg, target),
        polarity=_concept(vocab, "polarity", "polarity", polarity),
        speech_act=_concept(vocab, "speech-act", "speech_act", speech_act),
        modality=_concept(vocab, "modality", "modality", modality),
        source=_existing(kg, "source", "source", source),
        nominee=_existing(kg, "actor", "nominee", nominee),
        since=since,
        until=until,
    )
    if since and until and since > until:
        raise _invalid("until", until.isoformat(), "until is before since")
    after = decode_cursor(cursor) if cursor else None
    rows, total = views.stance_page(kg, flt, after=after, limit=limit + 1, vocab=vocab)
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1]["sort_key"]) if len(rows) > limit else None
    views.embed(kg, items, include or ())
    page = m.StancePage(items=items, next_cursor=next_cursor, total=total, limit=limit)
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    return page, headers


detail_route(
    "stance", views.stance, m.StanceDetail, "One stance, with conditions, evidence and reactions"
)

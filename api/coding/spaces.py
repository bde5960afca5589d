"""A coder's own space: stances coded independently in a source, kept out of the record,
the analytics and the JSON read model until a merge promotes them. Only the coder the
token codes as may write there."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from stancegraph import agreement, coding, drafts
from stancegraph.terms import mint
from stancegraph.writes import WriteOutcome

from ..errors import ApiError
from ..http.auth import require_write
from ..sparql.engine import engine_of
from . import writes as w

router = APIRouter()


def _own(request: Request, coder: str) -> str:
    """The token's coder, who must be the owner of the space w.written to (``403``)."""
    me = require_write(request)
    if me != coder:
        raise ApiError(
            403,
            "not_your_space",
            f"this token codes as {me!r}; it cannot write in {coder!r}'s space",
            [{"location": "path.coder", "message": f"use your own coder id ({me})"}],
        )
    return me


@dataclass(frozen=True)
class _OwnDraft:
    """One of the caller's own stances, named by the path: ``coder`` is the token's coder."""

    source: str
    coder: str
    id: str
    dry_run: bool


async def _own_draft(
    request: Request,
    source: w.SourceId,
    coder: w.CoderId,
    id: w.StanceId,
    dry_run: w.DryRun = False,
) -> _OwnDraft:
    return _OwnDraft(source, _own(request, coder), id, dry_run)


# The path (and ``dry_run``) of a route that changes one of the caller's own stances, as
# one dependency that checks the space is the caller's (``403 not_your_space``).
OwnDraft = Annotated[_OwnDraft, Depends(_own_draft)]


def _draft_href(source: str, coder: str, sid: str) -> str:
    return f"/api/sources/{source}/coders/{coder}/stances/{sid}"


def _draft_result(
    source: str, coder: str, sid: str, outcome: WriteOutcome, **how: bool
) -> Response:
    iri = drafts.draft_iri(source, coder, sid)
    return w.written("draft", sid, iri, _draft_href(source, coder, sid), coder, outcome, **how)


class DraftOut(BaseModel):
    """One coder's unmerged version of a stance."""

    id: str
    coder: str
    iri: str
    coded_at: str | None
    record: dict[str, Any] = Field(description="the stance record (the YAML format as JSON)")
    merged_into: str | None = Field(
        None, description="the stance a merge promoted from this draft, if any"
    )


def _with_merged(store: Any, source: str, items: list[drafts.Draft]) -> list[dict[str, Any]]:
    done = agreement.promoted(store, source, [d.iri for d in items])
    return [{**d.as_dict(), "merged_into": done.get(d.iri)} for d in items]


@router.get(
    "/sources/{source}/coders",
    responses={404: w.error_doc("no such source")},
    summary="Who has coded a source in their own space",
)
def source_coders(request: Request, source: w.SourceId) -> Any:
    """The coders with unmerged work (a coding graph) on this source."""
    store = engine_of(request).kg.store
    if not coding.exists(store, mint("source", source)):
        raise ApiError(404, "not_found", f"no source {source!r}")
    return {
        "source": source,
        "coders": [
            {"coder": c, "stances": len(drafts.drafts(store, source, c))}
            for c in drafts.coders(store, source)
        ],
    }


@router.get(
    "/sources/{source}/coders/{coder}/stances",
    response_model=list[DraftOut],
    responses={404: w.error_doc("no such source")},
    summary="A coder's own (unmerged) stances on a source",
)
def coder_stances(request: Request, source: w.SourceId, coder: w.CoderId) -> Any:
    """What ``coder`` coded independently in this source, not yet in the record (and, for
    each, the stance a merge promoted from it)."""
    store = engine_of(request).kg.store
    if not coding.exists(store, mint("source", source)):
        raise ApiError(404, "not_found", f"no source {source!r}")
    return _with_merged(store, source, drafts.drafts(store, source, coder))


@router.get(
    "/sources/{source}/coders/{coder}/stances/{id}",
    response_model=DraftOut,
    responses={404: w.error_doc("no such draft")},
    summary="One of a coder's own stances",
)
def coder_stance(request: Request, source: w.SourceId, coder: w.CoderId, id: w.StanceId) -> Any:
    store = engine_of(request).kg.store
    found = drafts.draft(store, source, coder, id)
    if found is None:
        raise ApiError(404, "not_found", f"{coder} has no stance {id!r} in {source}")
    return _with_merged(store, source, [found])[0]


@w.creates(
    router,
    "/sources/{source}/coders/{coder}/stances",
    "stance",
    "Code a stance in your own space (independent coding)",
)
async def create_draft(
    request: Request,
    source: w.SourceId,
    coder: w.CoderId,
    dry_run: w.DryRun = False,
    idempotency_key: w.IdempotencyKey = None,
) -> Response:
    """Like ``POST /api/sources/{source}/stances``, but into the coder's own coding graph:
    checked as the stance it would become (``422`` with the same messages), kept out of
    the record, the analytics and the JSON read model until a merge promotes it. Only the
    coder the token codes as may write here (``403 not_your_space``)."""
    me = _own(request, coder)
    return await w.create_from_body(
        request,
        "stance",
        me,
        idempotency_key,
        dry_run,
        lambda writer, stance: drafts.save_draft(writer, source, stance, me, dry_run=dry_run),
        lambda sid, outcome: _draft_result(source, me, sid, outcome, dry_run=dry_run, created=True),
    )


@w.changes(
    router, "PUT", "/sources/{source}/coders/{coder}/stances/{id}", "Edit one of your own stances"
)
async def replace_draft(request: Request, draft: OwnDraft) -> Response:
    """Replace one of the coder's own stances by a new version of its record (same id)."""
    outcome = await w.replace_from_body(
        request,
        draft.id,
        lambda writer, stance: drafts.save_draft(
            writer, draft.source, stance, draft.coder, replace=True, dry_run=draft.dry_run
        ),
    )
    return _draft_result(draft.source, draft.coder, draft.id, outcome, dry_run=draft.dry_run)


@w.changes(
    router,
    "DELETE",
    "/sources/{source}/coders/{coder}/stances/{id}",
    "Delete one of your own stances",
)
async def delete_draft(request: Request, draft: OwnDraft) -> Response:
    """Remove one of the coder's own stances (a stance merged from it stays in the record)."""
    writer = engine_of(request).writer
    delete = functools.partial(
        drafts.delete_draft, writer, draft.source, draft.coder, draft.id, dry_run=draft.dry_run
    )
    outcome = await w.commit(request, delete)
    return _draft_result(
        draft.source, draft.coder, draft.id, outcome, dry_run=draft.dry_run, deleted=True
    )

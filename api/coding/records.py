"""The record's routes: who a token codes as; stances (create, read as a record, edit,
delete) in a source; sources, actors and propositions, so a coder can add what a stance
needs inline."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from stancegraph import coding

from ..errors import ApiError
from ..http.auth import require_write
from ..sparql.engine import engine_of
from . import writes as w

router = APIRouter()


class CoderInfo(BaseModel):
    coder: str = Field(description="the coder id the token writes as (operator: the shared token)")


@router.get(
    "/coder",
    response_model=CoderInfo,
    responses={401: w.error_doc("no or unknown token"), 403: w.error_doc("a read-only token")},
    summary="Who this token codes as",
)
def whoami(request: Request) -> Any:
    """The coder id of the bearer token (a write token), for clients that show it."""
    return {"coder": require_write(request)}


@w.creates(router, "/sources/{source}/stances", "stance", "Code a stance in a source")
async def create_stance(
    request: Request,
    source: w.SourceId,
    dry_run: w.DryRun = False,
    idempotency_key: w.IdempotencyKey = None,
) -> Response:
    """Create a stance from the YAML record format (as JSON). Evidence may carry
    ``prefix``/``suffix`` (a TextQuoteSelector with the quote) and ``start``/``end`` (a
    TextPositionSelector). ``201`` with ``Location``; ``409`` if the id exists."""
    coder = require_write(request)
    return await w.create_from_body(
        request,
        "stance",
        coder,
        idempotency_key,
        dry_run,
        lambda writer, stance: coding.create_stance(writer, source, stance, coder, dry_run=dry_run),
        lambda sid, outcome: w.record_written(
            "stance", sid, coder, outcome, dry_run=dry_run, created=True
        ),
    )


@router.get(
    "/stances/{id}/record",
    responses={404: w.error_doc("no such stance (not_found)")},
    summary="A stance as its record",
)
def stance_record(request: Request, id: w.StanceId) -> Any:
    """The stance in the record format the write routes take (selectors included): edit
    it and send it back with ``PUT /api/stances/{id}``."""
    record = coding.stance_record(engine_of(request).kg.store, id)
    if record is None:
        raise ApiError(404, "not_found", f"no stance {id!r}")
    return record


@w.changes(router, "PUT", "/stances/{id}", "Edit a stance")
async def replace_stance(request: Request, id: w.StanceId, dry_run: w.DryRun = False) -> Response:
    """Replace a stance by a new version of its record (same id), in its source."""
    coder = require_write(request)
    outcome = await w.replace_from_body(
        request,
        id,
        lambda writer, stance: coding.replace_stance(writer, id, stance, coder, dry_run=dry_run),
    )
    return w.record_written("stance", id, coder, outcome, dry_run=dry_run)


@w.changes(router, "DELETE", "/stances/{id}", "Delete a stance")
async def delete_stance(request: Request, id: w.StanceId, dry_run: w.DryRun = False) -> Response:
    """Remove a stance with its evidence and conditions (``422`` while other records,
    e.g. a meta-stance, still point at it)."""
    coder = require_write(request)
    writer = engine_of(request).writer
    outcome = await w.commit(
        request, functools.partial(coding.delete_stance, writer, id, dry_run=dry_run)
    )
    return w.record_written("stance", id, coder, outcome, dry_run=dry_run, deleted=True)


def _creator(kind: str, summary: str) -> None:
    async def create(
        request: Request, dry_run: w.DryRun = False, idempotency_key: w.IdempotencyKey = None
    ) -> Response:
        coder = require_write(request)
        return await w.create_from_body(
            request,
            kind,
            coder,
            idempotency_key,
            dry_run,
            lambda writer, record: coding.create_record(
                writer, kind, record, coder, dry_run=dry_run
            ),
            lambda rid, outcome: w.record_written(
                kind, rid, coder, outcome, dry_run=dry_run, created=True
            ),
        )

    create.__doc__ = (
        f"Create a {kind} from its YAML record (as JSON), so a coder can add what a stance "
        f"needs inline. ``201`` with ``Location``; ``409`` if the id exists."
    )
    create.__name__ = f"create_{kind}"
    w.creates(router, f"/{kind}s", kind, summary)(create)


_creator("source", "Create a source")
_creator("actor", "Create an actor")
_creator("proposition", "Create a proposition")

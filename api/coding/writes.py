"""What the coding routes share: path and query parameters, the write result, the
OpenAPI documentation of bodies and errors, reading and parsing a record, committing it,
and answering once per ``Idempotency-Key``."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from stancegraph import coding
from stancegraph.ingest.compiler import CompileError
from stancegraph.terms import mint
from stancegraph.writes import WriteOutcome

from ..errors import ApiError, ErrorEnvelope
from ..http.bodies import media_type, read_body
from ..sparql.engine import engine_of
from .idempotency import idempotency_of

SLUG = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
SourceId = Annotated[str, Path(pattern=SLUG, max_length=120, description="the source's id")]
StanceId = Annotated[str, Path(pattern=SLUG, max_length=120, description="the stance's id")]
DryRun = Annotated[
    bool,
    Query(description="run every check, write nothing: 200 with what would change"),
]
CoderId = Annotated[str, Path(pattern=SLUG, max_length=120, description="the coder's id")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="a client-chosen key (e.g. a UUID) that makes retrying this POST safe",
    ),
]


class WriteResult(BaseModel):
    """What a write did (or, with ``dry_run``, would do)."""

    kind: str = Field(description="stance, source, actor, proposition or draft (a coder's own)")
    id: str
    iri: str
    href: str = Field(description="the record in the JSON API")
    coder: str = Field(description="who wrote it (the coder id of the token)")
    dry_run: bool
    deleted: bool = False
    added: int = Field(description="quads added")
    removed: int = Field(description="quads removed")
    data_version: int


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with its ``$defs`` inlined (a request body in OpenAPI)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)


def record_body(kind: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(coding.MODELS[kind])}},
        }
    }


def error_doc(text: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": text}


def write_responses(*, created: bool, conflict: bool = True) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        200: {"model": WriteResult, "description": "done (or, with dry_run, what would change)"},
        400: error_doc("the body is not JSON (invalid_json)"),
        401: error_doc("no bearer token (unauthorized) or an unknown one (invalid_token)"),
        403: error_doc(
            "a read-only token (insufficient_scope), or writes are off (writes_disabled)"
        ),
        404: error_doc("no such record (not_found)"),
        413: error_doc("body over the limit (payload_too_large)"),
        415: error_doc("the body is not application/json (unsupported_media_type)"),
        422: error_doc(
            "invalid record (invalid_record: details list each field with its message), "
            "SHACL violation (shacl_violation), or an Idempotency-Key reused with another body"
        ),
        503: error_doc("busy; retry after Retry-After seconds"),
    }
    if created:
        out[201] = {
            "model": WriteResult,
            "description": "created",
            "headers": {
                "Location": {"description": "the new record", "schema": {"type": "string"}}
            },
        }
    if conflict:
        out[409] = error_doc(
            "the id exists (conflict), or a request with this Idempotency-Key is still running"
        )
    return out


async def read_json_body(request: Request) -> bytes:
    """The body, which must be JSON (``415`` otherwise), within the size limit."""
    media, _params = media_type(request)
    if media != "application/json" and not media.endswith("+json"):
        raise ApiError(
            415, "unsupported_media_type", "send the record as application/json", {"got": media}
        )
    return await read_body(request, engine_of(request).settings.max_body_bytes)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body nests too deeply to be a record") from None


def _problems(exc: CompileError) -> ApiError:
    details = [
        {
            "location": "body" if p.field == "-" else f"body.{p.field}",
            "field": p.field,
            "message": p.message,
        }
        for p in exc.problems
    ]
    text = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return ApiError(422, "invalid_record", f"invalid record, nothing written: {text}", details)


async def commit(request: Request, write: Callable[[], WriteOutcome]) -> WriteOutcome:
    try:
        return await engine_of(request).commit(write)
    except CompileError as exc:
        raise _problems(exc) from None
    except coding.Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except coding.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None


def parse_record(kind: str, data: Any) -> Any:
    try:
        return coding.parse(kind, data)
    except CompileError as exc:
        raise _problems(exc) from None


_HREF = {
    "stance": "/api/stances/{}",
    "source": "/api/sources/{}",
    "actor": "/api/actors/{}",
    "proposition": "/api/propositions/{}",
}


def written(
    kind: str,
    rid: str,
    iri: str,
    href: str,
    coder: str,
    outcome: WriteOutcome,
    *,
    dry_run: bool,
    created: bool = False,
    deleted: bool = False,
) -> Response:
    """The answer to a write: ``201`` with ``Location`` when it created ``href``."""
    body = WriteResult(
        kind=kind,
        id=rid,
        iri=iri,
        href=href,
        coder=coder,
        dry_run=dry_run,
        deleted=deleted and not dry_run,
        added=outcome.added,
        removed=outcome.removed,
        data_version=outcome.version,
    )
    status = 201 if created and not dry_run else 200
    headers = {"Location": href} if created and not dry_run else {}
    return Response(
        body.model_dump_json(), status_code=status, media_type="application/json", headers=headers
    )


def record_written(kind: str, rid: str, coder: str, outcome: WriteOutcome, **how: bool) -> Response:
    """:func:`written` for a record of the graph (``how``: dry_run, created, deleted)."""
    return written(kind, rid, mint(kind, rid), _HREF[kind].format(rid), coder, outcome, **how)


def with_path_id(data: Any, id: str) -> Any:
    """A PUT's body with the path's ``id`` (``422`` when the body names another one)."""
    if not isinstance(data, dict):
        return data
    if data.get("id", id) != id:
        raise ApiError(
            422,
            "invalid_record",
            f"the body's id {data.get('id')!r} differs from the path's {id!r}",
            [{"location": "body.id", "field": "id", "message": "must equal the id in the path"}],
        )
    return {**data, "id": id}


async def once_per_key(
    request: Request,
    coder: str,
    key: str | None,
    dry_run: bool,
    body: bytes,
    work: Callable[[], Awaitable[Response]],
) -> Response:
    """``work`` once per Idempotency-Key (dry runs and keyless requests just run)."""
    if key is None or dry_run:
        return await work()
    fingerprint = hashlib.sha256(
        request.url.path.encode() + b"?" + request.url.query.encode() + b"\n" + body
    ).hexdigest()
    return await idempotency_of(request).run(
        (coder, request.method, request.url.path, key), fingerprint, work
    )


Write = Callable[[Any, Any], WriteOutcome]  # (writer, parsed record) -> what it did


async def create_from_body(
    request: Request,
    kind: str,
    coder: str,
    key: str | None,
    dry_run: bool,
    write: Write,
    answer: Callable[[str, WriteOutcome], Response],
) -> Response:
    """A POST that creates a ``kind`` record from the body: parsed, written by ``write``,
    answered by ``answer(id, outcome)``, once per ``Idempotency-Key``."""
    body = await read_json_body(request)

    async def work() -> Response:
        record = parse_record(kind, parse_json(body))
        writer = engine_of(request).writer
        outcome = await commit(request, functools.partial(write, writer, record))
        return answer(record.id, outcome)

    return await once_per_key(request, coder, key, dry_run, body, work)


async def replace_from_body(request: Request, id: str, write: Write) -> WriteOutcome:
    """A PUT that replaces stance ``id`` by the body (which must not name another id)."""
    data = parse_json(await read_json_body(request))
    stance = parse_record("stance", with_path_id(data, id))
    return await commit(request, functools.partial(write, engine_of(request).writer, stance))


def creates(router: APIRouter, path: str, kind: str, summary: str) -> Callable[..., Any]:
    """``@router.post`` for a route that creates a ``kind`` record from its body."""
    return router.post(
        path,
        status_code=201,
        response_model=WriteResult,
        responses=write_responses(created=True),
        openapi_extra=record_body(kind),
        summary=summary,
    )


def changes(router: APIRouter, method: str, path: str, summary: str) -> Callable[..., Any]:
    """``@router.put`` (the new record in the body) or ``@router.delete`` for a stance."""
    return router.api_route(
        path,
        methods=[method],
        response_model=WriteResult,
        responses=write_responses(created=False, conflict=False),
        openapi_extra=record_body("stance") if method == "PUT" else None,
        summary=summary,
    )

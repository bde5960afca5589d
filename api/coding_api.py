"""JSON write routes for coding: stances, sources, actors and propositions, one record at
a time, through the library's one validated write path (``stancegraph.coding`` on
``engine.writer``, committed by ``engine.commit``).

- Bodies are the YAML record format as JSON (``stancegraph/ingest/records.py``): same field
  names, and a ``422 invalid_record`` lists each bad field with the message
  ``stancegraph validate`` gives; a record the SHACL shapes reject is ``422
  shacl_violation``. Nothing is written in either case.
- ``Authorization: Bearer``: none or an unknown token is ``401``, a read-only token
  ``403``. The token says who codes (``coders_file``); every write is attributed (PROV).
- ``?dry_run=true`` runs the same checks and writes nothing (``200``, what would change).
- ``Idempotency-Key`` on a POST: a retry with the same key and body gets the first answer
  again (``Idempotent-Replayed: true``) instead of a ``409``; the same key with another
  body is a ``422``; while the first is still running, a ``409``. Answers are kept for a
  day, within a bound in bytes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from stancegraph import agreement, coding, drafts
from stancegraph.ingest.compiler import CompileError
from stancegraph.terms import mint
from stancegraph.writes import WriteOutcome

from .errors import ApiError, ErrorEnvelope
from .http.auth import require_write
from .http.bodies import media_type, read_body
from .sparql.engine import engine_of

router = APIRouter(prefix="/api", tags=["coding"])

SLUG = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
SourceId = Annotated[str, Path(pattern=SLUG, max_length=120, description="the source's id")]
StanceId = Annotated[str, Path(pattern=SLUG, max_length=120, description="the stance's id")]
DryRun = Annotated[
    bool,
    Query(description="run every check, write nothing: 200 with what would change"),
]
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


# --------------------------------------------------------------------------- documentation


def _schema(model: type[BaseModel]) -> dict[str, Any]:
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


def _body(kind: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _schema(coding.MODELS[kind])}},
        }
    }


def _err(text: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": text}


def _responses(*, created: bool, conflict: bool = True) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        200: {"model": WriteResult, "description": "done (or, with dry_run, what would change)"},
        400: _err("the body is not JSON (invalid_json)"),
        401: _err("no bearer token (unauthorized) or an unknown one (invalid_token)"),
        403: _err("a read-only token (insufficient_scope), or writes are off (writes_disabled)"),
        404: _err("no such record (not_found)"),
        413: _err("body over the limit (payload_too_large)"),
        415: _err("the body is not application/json (unsupported_media_type)"),
        422: _err(
            "invalid record (invalid_record: details list each field with its message), "
            "SHACL violation (shacl_violation), or an Idempotency-Key reused with another body"
        ),
        503: _err("busy; retry after Retry-After seconds"),
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
        out[409] = _err(
            "the id exists (conflict), or a request with this Idempotency-Key is still running"
        )
    return out


# --------------------------------------------------------------------------- idempotency


class Idempotency:
    """Answers to POSTs by (coder, route, key), bounded in bytes and kept ``ttl_s``."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024, ttl_s: float = 24 * 3600):
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.size = 0
        self.entries: OrderedDict[tuple[str, ...], tuple[str, float, int, bytes, dict[str, str]]]
        self.entries = OrderedDict()
        self.running: set[tuple[str, ...]] = set()

    def _evict(self) -> None:
        now = time.monotonic()
        while self.entries:
            key, (_fp, at, _s, body, _h) = next(iter(self.entries.items()))
            if self.size <= self.max_bytes and now - at <= self.ttl_s:
                break
            del self.entries[key]
            self.size -= len(body) + 256

    async def run(
        self,
        key: tuple[str, ...],
        fingerprint: str,
        work: Callable[[], Awaitable[Response]],
    ) -> Response:
        self._evict()
        kept = self.entries.get(key)
        if kept is not None:
            fp, _at, status, body, headers = kept
            if fp != fingerprint:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with another request; use a new key",
                    details=[{"location": "header.Idempotency-Key", "message": "reused"}],
                )
            return Response(
                body,
                status_code=status,
                media_type="application/json",
                headers={**headers, "Idempotent-Replayed": "true"},
            )
        if key in self.running:
            raise ApiError(
                409,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; retry shortly",
                headers={"Retry-After": "1"},
            )
        self.running.add(key)
        try:
            try:
                response = await work()
            except ApiError as exc:
                if exc.status >= 500:
                    raise
                response = JSONResponse(
                    {
                        "error": {
                            "status": exc.status,
                            "code": exc.code,
                            "message": exc.message,
                            "details": exc.details,
                        }
                    },
                    status_code=exc.status,
                    headers=exc.headers,
                )
            if response.status_code < 500:
                body = bytes(response.body)
                headers = {k: v for k, v in response.headers.items() if k.lower() == "location"}
                self.entries[key] = (
                    fingerprint,
                    time.monotonic(),
                    response.status_code,
                    body,
                    headers,
                )
                self.size += len(body) + 256
                self._evict()
            return response
        finally:
            self.running.discard(key)


def _idempotency(request: Request) -> Idempotency:
    state = request.app.state
    cache = getattr(state, "idempotency", None)
    if cache is None:
        cache = state.idempotency = Idempotency()
    return cache


# --------------------------------------------------------------------------- plumbing


async def _raw(request: Request) -> bytes:
    """The body, which must be JSON (``415`` otherwise), within the size limit."""
    media, _params = media_type(request)
    if media != "application/json" and not media.endswith("+json"):
        raise ApiError(
            415, "unsupported_media_type", "send the record as application/json", {"got": media}
        )
    return await read_body(request, engine_of(request).settings.max_body_bytes)


def _json(body: bytes) -> Any:
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


async def _commit(request: Request, write: Callable[[], WriteOutcome]) -> WriteOutcome:
    try:
        return await engine_of(request).commit(write)
    except CompileError as exc:
        raise _problems(exc) from None
    except coding.Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except coding.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None


def _parse(kind: str, data: Any) -> Any:
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


def _result(
    kind: str,
    rid: str,
    coder: str,
    outcome: WriteOutcome,
    *,
    dry_run: bool,
    created: bool = False,
    deleted: bool = False,
) -> Response:
    href = _HREF[kind].format(rid)
    body = WriteResult(
        kind=kind,
        id=rid,
        iri=mint(kind, rid),
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


async def _once(
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
    return await _idempotency(request).run(
        (coder, request.method, request.url.path, key), fingerprint, work
    )


# --------------------------------------------------------------------------- stances


class CoderInfo(BaseModel):
    coder: str = Field(description="the coder id the token writes as (operator: the shared token)")


@router.get(
    "/coder",
    response_model=CoderInfo,
    responses={401: _err("no or unknown token"), 403: _err("a read-only token")},
    summary="Who this token codes as",
)
def whoami(request: Request) -> Any:
    """The coder id of the bearer token (a write token), for clients that show it."""
    return {"coder": require_write(request)}


@router.post(
    "/sources/{source}/stances",
    status_code=201,
    response_model=WriteResult,
    responses=_responses(created=True),
    openapi_extra=_body("stance"),
    summary="Code a stance in a source",
)
async def create_stance(
    request: Request,
    source: SourceId,
    dry_run: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create a stance from the YAML record format (as JSON). Evidence may carry
    ``prefix``/``suffix`` (a TextQuoteSelector with the quote) and ``start``/``end`` (a
    TextPositionSelector). ``201`` with ``Location``; ``409`` if the id exists."""
    coder = require_write(request)
    body = await _raw(request)

    async def work() -> Response:
        stance = _parse("stance", _json(body))
        writer = engine_of(request).writer
        outcome = await _commit(
            request,
            functools.partial(coding.create_stance, writer, source, stance, coder, dry_run=dry_run),
        )
        return _result("stance", stance.id, coder, outcome, dry_run=dry_run, created=True)

    return await _once(request, coder, idempotency_key, dry_run, body, work)


@router.get(
    "/stances/{id}/record",
    responses={404: _err("no such stance (not_found)")},
    summary="A stance as its record",
)
def stance_record(request: Request, id: StanceId) -> Any:
    """The stance in the record format the write routes take (selectors included): edit
    it and send it back with ``PUT /api/stances/{id}``."""
    record = coding.stance_record(engine_of(request).kg.store, id)
    if record is None:
        raise ApiError(404, "not_found", f"no stance {id!r}")
    return record


@router.put(
    "/stances/{id}",
    response_model=WriteResult,
    responses=_responses(created=False, conflict=False),
    openapi_extra=_body("stance"),
    summary="Edit a stance",
)
async def replace_stance(request: Request, id: StanceId, dry_run: DryRun = False) -> Response:
    """Replace a stance by a new version of its record (same id), in its source."""
    coder = require_write(request)
    data = _json(await _raw(request))
    if isinstance(data, dict) and data.get("id", id) != id:
        raise ApiError(
            422,
            "invalid_record",
            f"the body's id {data.get('id')!r} differs from the path's {id!r}",
            [{"location": "body.id", "field": "id", "message": "must equal the id in the path"}],
        )
    if isinstance(data, dict):
        data = {**data, "id": id}
    stance = _parse("stance", data)
    writer = engine_of(request).writer
    outcome = await _commit(
        request,
        functools.partial(coding.replace_stance, writer, id, stance, coder, dry_run=dry_run),
    )
    return _result("stance", id, coder, outcome, dry_run=dry_run)


@router.delete(
    "/stances/{id}",
    response_model=WriteResult,
    responses=_responses(created=False, conflict=False),
    summary="Delete a stance",
)
async def delete_stance(request: Request, id: StanceId, dry_run: DryRun = False) -> Response:
    """Remove a stance with its evidence and conditions (``422`` while other records,
    e.g. a meta-stance, still point at it)."""
    coder = require_write(request)
    writer = engine_of(request).writer
    outcome = await _commit(
        request, functools.partial(coding.delete_stance, writer, id, dry_run=dry_run)
    )
    return _result("stance", id, coder, outcome, dry_run=dry_run, deleted=True)


# --------------------------------------------------------------------------- what stances need


def _creator(kind: str, summary: str) -> None:
    async def create(
        request: Request, dry_run: DryRun = False, idempotency_key: IdempotencyKey = None
    ) -> Response:
        coder = require_write(request)
        body = await _raw(request)

        async def work() -> Response:
            record = _parse(kind, _json(body))
            writer = engine_of(request).writer
            outcome = await _commit(
                request,
                functools.partial(
                    coding.create_record, writer, kind, record, coder, dry_run=dry_run
                ),
            )
            return _result(kind, record.id, coder, outcome, dry_run=dry_run, created=True)

        return await _once(request, coder, idempotency_key, dry_run, body, work)

    create.__doc__ = (
        f"Create a {kind} from its YAML record (as JSON), so a coder can add what a stance "
        f"needs inline. ``201`` with ``Location``; ``409`` if the id exists."
    )
    router.add_api_route(
        f"/{kind}s",
        create,
        methods=["POST"],
        status_code=201,
        response_model=WriteResult,
        responses=_responses(created=True),
        openapi_extra=_body(kind),
        summary=summary,
        name=f"create_{kind}",
    )


_creator("source", "Create a source")
_creator("actor", "Create an actor")
_creator("proposition", "Create a proposition")


# --------------------------------------------------------------------------- a coder's own space

CoderId = Annotated[str, Path(pattern=SLUG, max_length=120, description="the coder's id")]


def _own(request: Request, coder: str) -> str:
    """The token's coder, who must be the owner of the space written to (``403``)."""
    me = require_write(request)
    if me != coder:
        raise ApiError(
            403,
            "not_your_space",
            f"this token codes as {me!r}; it cannot write in {coder!r}'s space",
            [{"location": "path.coder", "message": f"use your own coder id ({me})"}],
        )
    return me


def _draft_href(source: str, coder: str, sid: str) -> str:
    return f"/api/sources/{source}/coders/{coder}/stances/{sid}"


def _draft_result(
    source: str,
    coder: str,
    sid: str,
    outcome: WriteOutcome,
    *,
    dry_run: bool,
    created: bool = False,
    deleted: bool = False,
) -> Response:
    href = _draft_href(source, coder, sid)
    body = WriteResult(
        kind="draft",
        id=sid,
        iri=drafts.draft_iri(source, coder, sid),
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
    responses={404: _err("no such source")},
    summary="Who has coded a source in their own space",
)
def source_coders(request: Request, source: SourceId) -> Any:
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
    responses={404: _err("no such source")},
    summary="A coder's own (unmerged) stances on a source",
)
def coder_stances(request: Request, source: SourceId, coder: CoderId) -> Any:
    """What ``coder`` coded independently in this source, not yet in the record (and, for
    each, the stance a merge promoted from it)."""
    store = engine_of(request).kg.store
    if not coding.exists(store, mint("source", source)):
        raise ApiError(404, "not_found", f"no source {source!r}")
    return _with_merged(store, source, drafts.drafts(store, source, coder))


@router.get(
    "/sources/{source}/coders/{coder}/stances/{id}",
    response_model=DraftOut,
    responses={404: _err("no such draft")},
    summary="One of a coder's own stances",
)
def coder_stance(request: Request, source: SourceId, coder: CoderId, id: StanceId) -> Any:
    store = engine_of(request).kg.store
    found = drafts.draft(store, source, coder, id)
    if found is None:
        raise ApiError(404, "not_found", f"{coder} has no stance {id!r} in {source}")
    return _with_merged(store, source, [found])[0]


@router.post(
    "/sources/{source}/coders/{coder}/stances",
    status_code=201,
    response_model=WriteResult,
    responses=_responses(created=True),
    openapi_extra=_body("stance"),
    summary="Code a stance in your own space (independent coding)",
)
async def create_draft(
    request: Request,
    source: SourceId,
    coder: CoderId,
    dry_run: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Like ``POST /api/sources/{source}/stances``, but into the coder's own coding graph:
    checked as the stance it would become (``422`` with the same messages), kept out of
    the record, the analytics and the JSON read model until a merge promotes it. Only the
    coder the token codes as may write here (``403 not_your_space``)."""
    me = _own(request, coder)
    body = await _raw(request)

    async def work() -> Response:
        stance = _parse("stance", _json(body))
        writer = engine_of(request).writer
        outcome = await _commit(
            request,
            functools.partial(drafts.save_draft, writer, source, stance, me, dry_run=dry_run),
        )
        return _draft_result(source, me, stance.id, outcome, dry_run=dry_run, created=True)

    return await _once(request, me, idempotency_key, dry_run, body, work)


@router.put(
    "/sources/{source}/coders/{coder}/stances/{id}",
    response_model=WriteResult,
    responses=_responses(created=False, conflict=False),
    openapi_extra=_body("stance"),
    summary="Edit one of your own stances",
)
async def replace_draft(
    request: Request, source: SourceId, coder: CoderId, id: StanceId, dry_run: DryRun = False
) -> Response:
    """Replace one of the coder's own stances by a new version of its record (same id)."""
    me = _own(request, coder)
    data = _json(await _raw(request))
    if isinstance(data, dict) and data.get("id", id) != id:
        raise ApiError(
            422,
            "invalid_record",
            f"the body's id {data.get('id')!r} differs from the path's {id!r}",
            [{"location": "body.id", "field": "id", "message": "must equal the id in the path"}],
        )
    if isinstance(data, dict):
        data = {**data, "id": id}
    stance = _parse("stance", data)
    writer = engine_of(request).writer
    outcome = await _commit(
        request,
        functools.partial(
            drafts.save_draft, writer, source, stance, me, replace=True, dry_run=dry_run
        ),
    )
    return _draft_result(source, me, id, outcome, dry_run=dry_run)


@router.delete(
    "/sources/{source}/coders/{coder}/stances/{id}",
    response_model=WriteResult,
    responses=_responses(created=False, conflict=False),
    summary="Delete one of your own stances",
)
async def delete_draft(
    request: Request, source: SourceId, coder: CoderId, id: StanceId, dry_run: DryRun = False
) -> Response:
    """Remove one of the coder's own stances (a stance merged from it stays in the record)."""
    me = _own(request, coder)
    writer = engine_of(request).writer
    outcome = await _commit(
        request,
        functools.partial(drafts.delete_draft, writer, source, me, id, dry_run=dry_run),
    )
    return _draft_result(source, me, id, outcome, dry_run=dry_run, deleted=True)


# --------------------------------------------------------------------------- several coders

Coders = Annotated[
    str,
    Query(
        description="the two coder ids, comma-separated: A,B",
        pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?,[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
        examples=["alice,bob"],
    ),
]


def _two(request: Request, source: str, coders: str) -> tuple[str, str]:
    a, b = coders.split(",")
    if a == b:
        raise ApiError(
            422,
            "invalid_parameters",
            "agreement needs two different coders",
            [{"location": "query.coders", "message": "two different coder ids"}],
        )
    if not coding.exists(engine_of(request).kg.store, mint("source", source)):
        raise ApiError(404, "not_found", f"no source {source!r}")
    return a, b


class MatchedUnit(BaseModel):
    a: str = Field(description="the first coder's stance id")
    b: str = Field(description="the second coder's stance id")
    holder: str
    target: str
    polarity_a: str
    polarity_b: str
    agree: bool
    merged_into: str | None = Field(None, description="the stance a merge promoted from it")


class AgreementReport(BaseModel):
    """How two coders' units match, their agreement on polarity, what only one found."""

    source: str
    coders: list[str]
    matched: list[MatchedUnit]
    only: dict[str, list[str]] = Field(description="coder id -> stance ids only they coded")
    alpha: float | None = Field(
        description="Krippendorff's alpha on polarity (nominal) over matched units; null "
        "when undefined (no matched units, or one polarity throughout)"
    )
    observed_agreement: float | None
    units: dict[str, int]
    merged_only: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="coder -> {unit only they found: the stance a merge promoted from it}",
    )


class MergedStance(BaseModel):
    stance: str = Field(description="the id of the stance put into the record")
    coder: str = Field(description="whose record it is")
    drafts: dict[str, str] = Field(description="coder -> the draft it was promoted from")
    coders: list[str] = Field(description="who coded it (prov:wasAttributedTo)")
    how: str = Field(description="agreed (both coders) or accepted (adjudicated)")


class Disagreement(BaseModel):
    a: str
    b: str
    holder: str
    target: str
    polarity_a: str
    polarity_b: str
    merged_into: str | None = None


class MergeReport(BaseModel):
    source: str
    coders: list[str]
    merged: list[MergedStance]
    disagreements: list[Disagreement] = Field(
        description="matched units whose polarity the coders dispute: adjudicate with accept"
    )
    only: dict[str, list[str]] = Field(description="coder -> units only they found, unmerged")
    alpha: float | None
    activity: str | None = Field(description="the sg:CodingMerge (PROV activity), if any")
    dry_run: bool
    added: int
    removed: int
    data_version: int


class Accepted(BaseModel):
    coder: str = Field(pattern=SLUG, max_length=120)
    stance: str = Field(pattern=SLUG, max_length=120, description="the coder's stance id")


class MergeRequest(BaseModel):
    """Adjudication: whose version of a disputed unit (or of a unit only one coder found)
    to promote. An empty body merges only the agreed units."""

    model_config = {"extra": "forbid"}
    accept: list[Accepted] = Field(default_factory=list, max_length=10_000)


@router.get(
    "/sources/{source}/agreement",
    response_model=AgreementReport,
    responses={404: _err("no such source"), 422: _err("bad coders parameter")},
    summary="Agreement of two coders on a source",
)
def source_agreement(request: Request, source: SourceId, coders: Coders) -> Any:
    """Units match when they have the same holder and target and overlapping evidence;
    Krippendorff's alpha on polarity over the matched ones; units only one coder found."""
    a, b = _two(request, source, coders)
    return agreement.agreement(engine_of(request).kg.store, source, a, b).as_dict()


@router.post(
    "/sources/{source}/merge",
    response_model=MergeReport,
    responses=_responses(created=False),
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": _schema(MergeRequest)}},
        }
    },
    summary="Merge two coders' work into the record; list the disagreements",
)
async def merge_coders(
    request: Request, source: SourceId, coders: Coders, dry_run: DryRun = False
) -> Any:
    """Promote every unit both coders found with the same polarity (the first coder's
    record, attributed to both, ``sg:promotedFrom`` both drafts, generated by an
    ``sg:CodingMerge`` run by this token's coder) and the versions ``accept`` names, into
    the source's graph: one validated write, all or nothing (``409`` if a stance id is
    taken in the record, ``422`` if the record would reject one). Disputed units and
    units one coder found are listed for adjudication. A second merge promotes nothing
    twice."""
    merger = require_write(request)
    a, b = _two(request, source, coders)
    accept: list[tuple[str, str]] = []
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    raw = await _raw(request) if has_body else b""
    if raw.strip():
        data = _json(raw)
        try:
            req = MergeRequest.model_validate(data)
        except ValidationError as exc:
            details = [
                {
                    "location": "body." + ".".join(str(x) for x in e["loc"]),
                    "message": e["msg"],
                }
                for e in exc.errors()
            ]
            raise ApiError(422, "invalid_parameters", "invalid merge request", details) from None
        accept = [(x.coder, x.stance) for x in req.accept]
    engine = engine_of(request)
    holder: list[agreement.MergeResult] = []

    def run() -> WriteOutcome:
        result = agreement.merge(
            engine.writer, source, a, b, merger=merger, accept=accept, dry_run=dry_run
        )
        holder.append(result)
        return result.outcome

    try:
        outcome = await _commit(request, run)
    except agreement.AcceptError as exc:
        raise ApiError(
            422, "invalid_accept", str(exc), [{"location": "body.accept", "message": str(exc)}]
        ) from None
    body = holder[0].as_dict()
    return {**body, "dry_run": dry_run, "data_version": outcome.version}

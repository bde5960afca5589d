"""The JSON API: ``/api/...`` — actors, propositions, stances, conditions, guarantor
nominations, sources, vocabularies, named queries and search, for front ends.

- Typed: every route answers with a pydantic model of ``api/models.py`` (see /docs).
- Stable ids: ``id`` is the record's slug, ``iri`` the full IRI; detail routes take either.
- Strict: unknown query parameters are a 400 (typos surface at once), invalid vocabulary
  keys a 422 that lists the allowed values, unknown ids a 404, all in the common error
  envelope of ``api/errors.py``.
- Cacheable: every GET has a weak ETag derived from the data version, so
  ``If-None-Match`` gives ``304``; computed bodies are kept per data version in a bounded
  LRU (``api/etag.py``). ``Cache-Control: no-cache``: clients revalidate.
- Linked data: actor, proposition, stance and source details answer ``Accept:
  application/ld+json`` with the resource's own triples as JSON-LD; 406 when the client
  accepts neither JSON nor JSON-LD.
- Stances are paged with an opaque cursor over the stable order (stated_at, iri), with
  the next page in ``next_cursor`` and in a ``Link: <...>; rel="next"`` header.

Routes are plain ``def``: SPARQL runs in the threadpool, never on the event loop. User
values reach SPARQL only as bound variables (``stancegraph/read/__init__.py``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from stancegraph import ids
from stancegraph import queries as named
from stancegraph import read as views
from stancegraph.ids import UnknownValue
from stancegraph.terms import ID

from . import models as m
from . import search as search_index
from .errors import ApiError, ErrorEnvelope
from .etag import Entry, cached_response

JSON = "application/json"
JSONLD = "application/ld+json"
DEFAULT_MAX_ROWS = 10_000


# --------------------------------------------------------------------------- strict query parameters


def _declared_query_params(route: Any) -> frozenset[str]:
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        names.update(f.alias for f in dep.query_params)
        stack.extend(dep.dependencies)
    return frozenset(names)


# ``?_=1712345678``: the conventional cache-busting parameter (jQuery and others) is ignored.
CACHE_BUSTER = "_"


def reject_unknown_params(request: Request) -> None:
    """400 for query parameters the route does not declare (catches typos early)."""
    route = request.scope.get("route")
    if route is None or getattr(route.endpoint, "dynamic_query_params", False):
        return
    allowed = getattr(route, "_declared_query_params", None)
    if allowed is None:
        allowed = _declared_query_params(route)
        route._declared_query_params = allowed
    unknown = sorted(set(request.query_params.keys()) - allowed - {CACHE_BUSTER})
    if unknown:
        raise ApiError(
            400,
            "unknown_parameters",
            f"unknown query parameter(s): {', '.join(unknown)}"
            f" (this route accepts: {', '.join(sorted(allowed)) or 'none'})",
            {"unknown": unknown, "allowed": sorted(allowed)},
        )


router = APIRouter(prefix="/api", tags=["json-api"], dependencies=[Depends(reject_unknown_params)])


# --------------------------------------------------------------------------- documentation helpers

_CACHE_HEADERS = {
    "ETag": {
        "description": "weak validator of this representation; send it back in If-None-Match",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "no-cache: keep it, but revalidate",
        "schema": {"type": "string"},
    },
}


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


def _responses(
    *, detail: bool = False, jsonld: bool = False, link: bool = False, cacheable: bool = True
) -> dict[int | str, dict[str, Any]]:
    ok: dict[str, Any] = {"headers": dict(_CACHE_HEADERS) if cacheable else {}}
    if link:
        ok["headers"]["Link"] = {
            "description": 'the next page: <url>; rel="next" (absent on the last page)',
            "schema": {"type": "string"},
        }
    if jsonld:
        ok["content"] = {
            JSONLD: {
                "schema": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": True},
                    "description": "the resource's triples (and those of the nodes it owns: conditions, evidence, memberships) as expanded JSON-LD",
                }
            }
        }
    out: dict[int | str, dict[str, Any]] = {
        200: ok,
        304: {"description": "Not Modified: If-None-Match named the current ETag (no body)"},
        400: _err(
            "unknown query parameter (unknown_parameters) or invalid cursor (invalid_cursor)"
        ),
        406: _err("the Accept header allows none of the available media types"),
        422: _err("invalid parameter value (invalid_parameters); details list the allowed values"),
        503: _err("no graph loaded"),
    }
    if detail:
        out[404] = _err("no such resource (not_found)")
    if not cacheable:
        del out[304]
    return out


# --------------------------------------------------------------------------- plumbing


def _kg(request: Request) -> Any:
    kg = getattr(request.app.state, "kg", None)
    if kg is None:
        raise ApiError(503, "unavailable", "no graph loaded")
    return kg


def negotiate(accept: str | None, offers: list[str]) -> str:
    """The offer the Accept header prefers (ties go to the first offer); 406 if none."""
    if not accept or not accept.strip():
        return offers[0]
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        bits = [b.strip() for b in part.split(";")]
        media = bits[0].lower()
        if media == "*":
            media = "*/*"
        if "/" not in media:
            continue
        q: float | None = 1.0
        for b in bits[1:]:
            k, _, v = b.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = None
        if q is not None:
            ranges.append((media, q))
    best, best_q = None, 0.0
    for offer in offers:
        otype = offer.split("/", 1)[0]
        q_offer, specificity = None, -1
        for media, q in ranges:
            mtype, _, msub = media.partition("/")
            if media == offer:
                s = 2
            elif mtype == otype and msub == "*":
                s = 1
            elif media == "*/*":
                s = 0
            else:
                continue
            if s > specificity:
                specificity, q_offer = s, q
        if q_offer is not None and q_offer > best_q:
            best, best_q = offer, q_offer
    if best is None:
        raise ApiError(
            406,
            "not_acceptable",
            f"this resource is available as {' or '.join(offers)}, which the Accept header does not allow",
            {"available": offers},
        )
    return best


Built = BaseModel | tuple[BaseModel, dict[str, str]]


def respond(
    request: Request, build: Callable[[], Built], jsonld: Callable[[], bytes] | None = None
) -> Response:
    """Negotiate, then answer from the cache or by building (see ``api/etag.py``)."""
    kg = _kg(request)
    media = negotiate(request.headers.get("accept"), [JSON, JSONLD] if jsonld else [JSON])

    def produce() -> Entry:
        if media == JSONLD and jsonld is not None:
            return Entry(jsonld(), JSONLD)
        out = build()
        model, headers = out if isinstance(out, tuple) else (out, {})
        return Entry(model.model_dump_json().encode(), JSON, headers)

    return cached_response(request, kg, media, produce)


def _invalid(
    param: str, value: str, message: str, allowed: list[str] | None = None, where: str = "query"
) -> ApiError:
    location = f"{where}.{param}"
    detail: dict[str, Any] = {
        "location": location,
        "message": message,
        "type": "value_error",
        "input": value,
    }
    if allowed is not None:
        detail["allowed"] = allowed
    return ApiError(
        422, "invalid_parameters", f"invalid request parameters: {location}: {message}", [detail]
    )


def _unknown(exc: UnknownValue, param: str, where: str = "query") -> ApiError:
    """The library's "no such id / key" as a 422 naming the parameter, with suggestions."""
    location = f"{where}.{param}"
    detail = {**exc.detail(), "location": location}
    see = f" (see {ids.LISTS[exc.kind]} for ids)" if exc.kind in ids.LISTS else ""
    if exc.allowed is not None:
        see = f"; allowed values: {', '.join(exc.allowed)}"
    message = f"invalid request parameters: {location}: {exc.reason}{see}"
    return ApiError(422, "invalid_parameters", message, [detail])


# A filter parameter: repeated (``?holder=ukraine&holder=russia``) means any of them.
Many = list[str] | None


def _each(values: str | Many, param: str, resolve: Callable[[str], str]) -> list[str] | None:
    """Every value of a (possibly repeated) parameter, resolved; None when absent."""
    if values is None:
        return None
    try:
        return [resolve(v) for v in ([values] if isinstance(values, str) else values)]
    except UnknownValue as exc:
        raise _unknown(exc, param) from None


def _concept(vocab: views.Vocab, scheme: str, param: str, values: str | Many) -> list[str] | None:
    """Vocabulary keys (or concept IRIs) given as ``param``, as concept IRIs."""
    return _each(values, param, lambda v: ids.resolve_key_in(vocab, scheme, v, param))


def _existing(kg: Any, kind: str, param: str, values: str | Many) -> list[str] | None:
    """Slugs or IRIs given as ``param``, as the IRIs of existing resources of ``kind``."""
    return _each(values, param, lambda v: ids.resolve_id(kg, kind, v, param))


def _target(kg: Any, values: str | Many) -> list[str] | None:
    return _each(values, "target", lambda v: ids.resolve_target(kg, v))


def _detail_iri(kind: str, id: str) -> str:
    iri = views.resolve(kind, id)
    if iri is None:
        raise ApiError(404, "not_found", f"no {kind} {id!r}")
    return iri


def _jsonld(kg: Any, kind: str, id: str, iri: str) -> Callable[[], bytes]:
    def produce() -> bytes:
        body = views.jsonld(kg, iri) if views.exists(kg, kind, iri) else None
        if body is None:
            raise ApiError(404, "not_found", f"no {kind} {id!r}")
        return body

    return produce


# --------------------------------------------------------------------------- cursors

_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]{1,4096}$")
_AT_RE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}[0-9T:.+\-Z]{0,30}$")
_IRI_RE = re.compile(r'^https?://[^\s<>"{}|\\^`]{1,2000}$')


def encode_cursor(sort_key: tuple[str, str], first: str = "at") -> str:
    """A keyset cursor: ``first`` is the sort field (``at`` for stances, ``label`` else)."""
    at, iri = sort_key
    raw = json.dumps({"v": 1, first: at, "id": iri}, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, first: str = "at") -> tuple[str, str]:
    """The (stated_at, iri) keyset a cursor encodes; 400 ``invalid_cursor`` if it is not one
    this API made."""
    bad = ApiError(
        400,
        "invalid_cursor",
        "invalid cursor: pass back the next_cursor of a previous page unchanged",
    )
    if not _CURSOR_RE.match(cursor):
        raise bad
    try:
        obj = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(obj, dict) or set(obj) != {"v", first, "id"} or obj["v"] != 1:
        raise bad
    at, iri = obj[first], obj["id"]
    ok_first = isinstance(at, str) and (_AT_RE.match(at) if first == "at" else len(at) <= 2000)
    if not (ok_first and isinstance(iri, str) and _IRI_RE.match(iri)):
        raise bad
    return at, iri


# --------------------------------------------------------------------------- lists
# Every list pages the same way: limit (1–500), cursor (the next_cursor of the previous
# page, also in a Link rel="next" header) and q (words in the label or id, case- and
# accent-insensitive). Actors and propositions page by (label, IRI).

LimitQ = Annotated[int, Query(ge=1, le=500, description="page size")]
CursorQ = Annotated[
    str | None, Query(max_length=4096, description="next_cursor of the previous page")
]
TextQ = Annotated[
    str | None,
    Query(max_length=200, description="only items whose label or id contains these words"),
]


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()


def _label_key(item: dict[str, Any]) -> tuple[str, str]:
    return (item["label"].casefold(), item["iri"])


def page(
    request: Request, items: list[dict[str, Any]], q: str | None, limit: int, cursor: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """One page of a list sorted by (label, IRI): the model's fields, and the Link header."""
    if q is not None:
        words = _fold(q).split()
        items = [i for i in items if all(w in _fold(f"{i['label']} {i['id']}") for w in words)]
    total = len(items)
    if cursor:
        after = decode_cursor(cursor, "label")
        items = [i for i in items if _label_key(i) > after]
    shown = items[:limit]
    next_cursor = encode_cursor(_label_key(shown[-1]), "label") if len(items) > limit else None
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    fields = {"items": shown, "total": total, "next_cursor": next_cursor, "limit": limit}
    return fields, headers


def warm(kg: Any) -> None:
    """Build the per-version structures (vocabularies, stance table, search index) now, so
    that the first requests after startup or a write do not pay for them."""
    views.vocabulary(kg)
    views.stance_table(kg)
    search_index.index_for(kg)


# --------------------------------------------------------------------------- parameters

Slug = Annotated[str, Path(description="the record's slug (or its full IRI)", examples=["russia"])]
_ACTOR_PARAM = "actor slug or IRI; repeatable: any of them"


# --------------------------------------------------------------------------- actors


@router.get("/actors", response_model=m.ActorList, responses=_responses(), summary="List actors")
def list_actors(
    request: Request,
    actor_type: Annotated[
        Many,
        Query(
            alias="type",
            description="only actors of this type (state-actor, person, organization...; repeatable)",
            examples=["state-actor"],
        ),
    ] = None,
    q: TextQ = None,
    limit: LimitQ = 100,
    cursor: CursorQ = None,
) -> Response:
    def build() -> BaseModel:
        kg = _kg(request)
        types = views.actor_types(kg)
        for t in actor_type or ():
            if views.kebab(t) not in types:
                raise _invalid(
                    "type",
                    t,
                    f"{t!r} is not an actor type; allowed values: {', '.join(types)}",
                    types,
                )
        fields, headers = page(request, views.actors(kg, actor_type=actor_type), q, limit, cursor)
        return m.ActorList(**fields), headers

    return respond(request, build)


@router.get(
    "/actors/{id:path}",
    response_model=m.ActorDetail,
    responses=_responses(detail=True, jsonld=True),
    summary="One actor, with roles, affiliations and stances",
)
def get_actor(request: Request, id: Slug) -> Response:
    iri = _detail_iri("actor", id)
    kg = _kg(request)

    def build() -> BaseModel:
        a = views.actor(kg, iri)
        if a is None:
            raise ApiError(404, "not_found", f"no actor {id!r}")
        return m.ActorDetail.model_validate(a)

    return respond(request, build, _jsonld(kg, "actor", id, iri))


# --------------------------------------------------------------------------- propositions


@router.get(
    "/propositions",
    response_model=m.PropositionList,
    responses=_responses(),
    summary="List propositions",
)
def list_propositions(
    request: Request,
    demand_type: Annotated[
        Many,
        Query(
            description="only this demand type (key; repeatable)", examples=["security-guarantee"]
        ),
    ] = None,
    q: TextQ = None,
    limit: LimitQ = 100,
    cursor: CursorQ = None,
) -> Response:
    def build() -> BaseModel:
        kg = _kg(request)
        dt_iri = _concept(views.vocabulary(kg), "demand-type", "demand_type", demand_type)
        items = views.propositions(kg, demand_type=dt_iri)
        fields, headers = page(request, items, q, limit, cursor)
        return m.PropositionList(**fields), headers

    return respond(request, build)


@router.get(
    "/propositions/{id:path}",
    response_model=m.PropositionDetail,
    responses=_responses(detail=True, jsonld=True),
    summary="One proposition, with positions by polarity and conditions",
)
def get_proposition(request: Request, id: Slug) -> Response:
    iri = _detail_iri("proposition", id)
    kg = _kg(request)

    def build() -> BaseModel:
        p = views.proposition(kg, iri)
        if p is None:
            raise ApiError(404, "not_found", f"no proposition {id!r}")
        return m.PropositionDetail.model_validate(p)

    return respond(request, build, _jsonld(kg, "proposition", id, iri))


# --------------------------------------------------------------------------- stances


@router.get(
    "/stances",
    response_model=m.StancePage,
    responses=_responses(link=True),
    summary="List stances (filtered, cursor-paginated)",
)
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
) -> Response:
    def build() -> Built:
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
            headers["Link"] = (
                f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
            )
        return page, headers

    return respond(request, build)


@router.get(
    "/stances/{id:path}",
    response_model=m.StanceDetail,
    responses=_responses(detail=True, jsonld=True),
    summary="One stance, with conditions, evidence and reactions",
)
def get_stance(request: Request, id: Slug) -> Response:
    iri = _detail_iri("stance", id)
    kg = _kg(request)

    def build() -> BaseModel:
        s = views.stance(kg, iri)
        if s is None:
            raise ApiError(404, "not_found", f"no stance {id!r}")
        return m.StanceDetail.model_validate(s)

    return respond(request, build, _jsonld(kg, "stance", id, iri))


# --------------------------------------------------------------------------- nominations


def _nominations(
    request: Request, nominator: Many, nominee: Many, modality: Many
) -> list[dict[str, Any]]:
    kg = _kg(request)
    vocab = views.vocabulary(kg)
    return views.nominations(
        kg,
        nominator=_existing(kg, "actor", "nominator", nominator),
        nominee=_existing(kg, "actor", "nominee", nominee),
        modality=_concept(vocab, "modality", "modality", modality),
        vocab=vocab,
    )


NominatorQ = Annotated[
    Many,
    Query(description=f"only nominations by this actor ({_ACTOR_PARAM})", examples=["ukraine"]),
]
NomineeQ = Annotated[
    Many,
    Query(description=f"only nominations of this actor ({_ACTOR_PARAM})", examples=["turkey"]),
]
ModalityQ = Annotated[Many, Query(description="only this modality key", examples=["possible"])]


@router.get(
    "/guarantor-nominations",
    response_model=m.NominationList,
    responses=_responses(),
    summary="Guarantor nominations (nominee × nominator × modality)",
)
def list_nominations(
    request: Request,
    nominator: NominatorQ = None,
    nominee: NomineeQ = None,
    modality: ModalityQ = None,
) -> Response:
    def build() -> BaseModel:
        items = _nominations(request, nominator, nominee, modality)
        return m.NominationList(items=items, total=len(items))

    return respond(request, build)


@router.get(
    "/guarantor-nominations/matrix",
    response_model=m.NominationMatrix,
    responses=_responses(),
    summary="Guarantor nominations as a nominee × nominator matrix",
)
def nomination_matrix(
    request: Request,
    nominator: NominatorQ = None,
    nominee: NomineeQ = None,
    modality: ModalityQ = None,
) -> Response:
    def build() -> BaseModel:
        return m.NominationMatrix.model_validate(
            views.nomination_matrix(_nominations(request, nominator, nominee, modality))
        )

    return respond(request, build)


# --------------------------------------------------------------------------- conditions


@router.get(
    "/conditions",
    response_model=m.ConditionList,
    responses=_responses(),
    summary="Conditions on stances",
)
def list_conditions(
    request: Request,
    holder: Annotated[
        Many, Query(description=f"only on stances of this holder ({_ACTOR_PARAM})")
    ] = None,
    requires: Annotated[
        Many, Query(description="only conditions requiring this proposition (slug or IRI)")
    ] = None,
    condition_type: Annotated[
        Many, Query(alias="type", description="condition type key", examples=["only-if"])
    ] = None,
) -> Response:
    def build() -> BaseModel:
        kg = _kg(request)
        vocab = views.vocabulary(kg)
        items = views.conditions(
            kg,
            holder=_existing(kg, "actor", "holder", holder),
            requires=_existing(kg, "proposition", "requires", requires),
            condition_type=_concept(vocab, "condition-type", "type", condition_type),
            vocab=vocab,
        )
        return m.ConditionList(items=items, total=len(items))

    return respond(request, build)


def _nested_iri(kind: str, id: str) -> str:
    """A nested resource's IRI from its id (``<stance id>/condition/1``) or its IRI."""
    if id.startswith(("http://", "https://")):
        return id
    if not _NESTED_RE.match(id):
        raise ApiError(404, "not_found", f"no {kind} {id!r}")
    return f"{ID}{'stance' if kind == 'condition' else 'actor'}/{id}"


_NESTED_RE = re.compile(r"^[a-z0-9][a-z0-9-]*/(condition|membership)/[0-9]{1,6}$")
NestedId = Annotated[
    str,
    Path(description="the id as lists give it (it contains slashes)", examples=["x/condition/1"]),
]


@router.get(
    "/conditions/{id:path}",
    response_model=m.Condition,
    responses=_responses(detail=True),
    summary="One condition (its id as lists give it: <stance id>/condition/<n>)",
)
def get_condition(request: Request, id: NestedId) -> Response:
    iri = _nested_iri("condition", id)

    def build() -> BaseModel:
        c = views.condition(_kg(request), iri)
        if c is None:
            raise ApiError(404, "not_found", f"no condition {id!r}")
        return m.Condition.model_validate(c)

    return respond(request, build)


@router.get(
    "/memberships/{id:path}",
    response_model=m.Membership,
    responses=_responses(detail=True),
    summary="One membership (a role; its id as actor pages give it: <actor id>/membership/<n>)",
)
def get_membership(request: Request, id: NestedId) -> Response:
    iri = _nested_iri("membership", id)

    def build() -> BaseModel:
        found = views.membership(_kg(request), iri)
        if found is None:
            raise ApiError(404, "not_found", f"no membership {id!r}")
        return m.Membership.model_validate(found)

    return respond(request, build)


# --------------------------------------------------------------------------- sources


@router.get("/sources", response_model=m.SourceList, responses=_responses(), summary="List sources")
def list_sources(request: Request) -> Response:
    def build() -> BaseModel:
        items = views.sources(_kg(request))
        return m.SourceList(items=items, total=len(items))

    return respond(request, build)


@router.get(
    "/sources/{id:path}",
    response_model=m.SourceDetail,
    responses=_responses(detail=True, jsonld=True),
    summary="One source, with its stances",
)
def get_source(request: Request, id: Slug) -> Response:
    iri = _detail_iri("source", id)
    kg = _kg(request)

    def build() -> BaseModel:
        s = views.source(kg, iri)
        if s is None:
            raise ApiError(404, "not_found", f"no source {id!r}")
        return m.SourceDetail.model_validate(s)

    return respond(request, build, _jsonld(kg, "source", id, iri))


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


# --------------------------------------------------------------------------- named queries


def _query_info(q: named.NamedQuery) -> dict[str, Any]:
    return {
        "name": q.name,
        "title": q.title,
        "description": q.description,
        "sparql": q.sparql,
        "params": [
            {"name": p.name, "default": p.default, "description": p.description} for p in q.params
        ],
        "href": f"/api/queries/{q.name}",
    }


@router.get(
    "/queries",
    response_model=m.NamedQueryList,
    responses=_responses(),
    summary="List the named example queries",
)
def list_queries(request: Request) -> Response:
    def build() -> BaseModel:
        items = [_query_info(q) for _, q in sorted(named.named_queries().items())]
        return m.NamedQueryList.model_validate({"items": items, "total": len(items)})

    return respond(request, build)


def _param_value(kg: Any, param: named.Param, value: Any, where: str) -> Any:
    """A parameter value as bound: IRIs as IRIs, slugs expanded where the default is a
    stancegraph IRI, other strings as plain literals, numbers and booleans typed."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if not value or len(value) > 2000:
        raise _invalid(
            param.name, value[:100], "a value of 1 to 2000 characters is required", where=where
        )
    if value.startswith(("http://", "https://")) and not _IRI_RE.match(value):
        raise _invalid(param.name, value[:100], "not a valid IRI", where=where)
    try:
        return ids.bind_param(kg, param.name, param.default, value)
    except UnknownValue as exc:
        raise _unknown(exc, param.name, where) from None


def _cell(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, ox.NamedNode | ox.Literal):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``nomineeLabel`` -> ``nominee_label``: SPARQL variables as JSON field names."""
    return _CAMEL.sub(r"_\1", name).lower()


def run_named(
    request: Request, name: str, given: dict[str, Any], where: str = "query"
) -> m.QueryRunResponse:
    kg = _kg(request)
    queries = named.named_queries()
    q = queries.get(name)
    if q is None:
        raise ApiError(404, "not_found", f"no named query {name!r}", {"known": sorted(queries)})
    known = {p.name: p for p in q.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ApiError(
            400,
            "unknown_parameters",
            f"query {name!r} has no parameter(s) {', '.join(unknown)} (parameters: {', '.join(sorted(known)) or 'none'})",
            {"unknown": unknown, "allowed": sorted(known)},
        )
    bindings = q.bindings({k: _param_value(kg, known[k], v, where) for k, v in given.items()})
    try:
        result = kg.query(q.sparql, **bindings)
    except ValueError as exc:
        raise ApiError(500, "query_failed", f"named query {name!r} failed: {exc}") from None
    settings = getattr(request.app.state, "settings", None)
    max_rows = getattr(settings, "max_rows", DEFAULT_MAX_ROWS) or DEFAULT_MAX_ROWS
    if result.kind == "select":
        columns, raw = result.columns, result.rows
    elif result.kind == "graph":
        columns = ["subject", "predicate", "object"]
        raw = [dict(zip(columns, t, strict=True)) for t in result.triples]
    else:
        columns, raw = [], []
    names = {c: snake_case(c) for c in columns}  # the JSON API's one naming convention
    rows = [{names[c]: _cell(r.get(c)) for c in columns} for r in raw[:max_rows]]
    columns = list(names.values())
    return m.QueryRunResponse.model_validate(
        {
            **_query_info(q),
            "bindings": {k: _cell(v) for k, v in sorted(bindings.items())},
            "kind": result.kind,
            "columns": columns,
            "rows": rows,
            "row_count": len(rows),
            "truncated": len(raw) > max_rows,
            "boolean": result.boolean,
        }
    )


QueryName = Annotated[
    str, Path(description="the query's name (see /api/queries)", examples=["actor-stances"])
]


@router.get(
    "/queries/{name}",
    response_model=m.QueryRunResponse,
    responses=_responses(detail=True),
    summary="Run a named query (parameters as query parameters)",
    description="Any query parameter is a parameter of the named query (see its `params`); values are "
    "bound as SPARQL variables by the engine, never spliced into the text. Unknown names are a 400.",
)
def run_query_get(request: Request, name: QueryName) -> Response:
    given = {k: v for k, v in request.query_params.items() if k != CACHE_BUSTER}
    return respond(request, lambda: run_named(request, name, given))


run_query_get.dynamic_query_params = True  # type: ignore[attr-defined]


@router.post(
    "/queries/{name}",
    response_model=m.QueryRunResponse,
    responses=_responses(detail=True, cacheable=False),
    summary="Run a named query (parameters in a JSON body)",
)
def run_query_post(
    request: Request, name: QueryName, body: m.QueryRunRequest | None = None
) -> m.QueryRunResponse:
    negotiate(request.headers.get("accept"), [JSON])
    return run_named(request, name, dict(body.params) if body else {}, where="body.params")


# --------------------------------------------------------------------------- search


@router.get(
    "/search",
    response_model=m.SearchResponse,
    responses=_responses(),
    summary="Search labels, summaries, quotes and descriptions",
    description="Ranked full-text search (accent- and case-insensitive, the last word also as a prefix) over "
    "labels, stance summaries, membership titles, verbatim evidence quotes, descriptions and rationales. "
    "Each hit says what it is (`kind`), which field matched best, with a snippet and highlight ranges.",
)
def search(
    request: Request,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, description="the words to look for", examples=["Kyiv"]),
    ],
    limit: Annotated[int, Query(ge=1, le=100, description="most hits returned")] = 20,
    kind: Annotated[
        list[m.SearchKind] | None, Query(description="only these kinds (repeatable)")
    ] = None,
) -> Response:
    def build() -> BaseModel:
        if not search_index.tokens(q):
            raise _invalid("q", q, "the query has no word to search for")
        index = search_index.index_for(_kg(request))
        total, hits = index.search(q, limit=limit, kinds=set(kind) if kind else None)
        return m.SearchResponse.model_validate(
            {"query": q, "total": total, "items": [h.as_dict() for h in hits]}
        )

    return respond(request, build)

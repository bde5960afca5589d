"""``/api/queries``: the named example queries, listed and run."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import Path, Request

from stancegraph import ids
from stancegraph import queries as named
from stancegraph.ids import UnknownValue

from ..errors import ApiError
from . import models as m
from .params import _IRI_RE, CACHE_BUSTER, _invalid, _unknown
from .responses import DEFAULT_MAX_ROWS, JSON, Built, _kg, _responses, negotiate, route, router

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


@route("/queries", m.NamedQueryList, "List the named example queries")
def list_queries(request: Request) -> Built:
    items = [_query_info(q) for _, q in sorted(named.named_queries().items())]
    return m.NamedQueryList.model_validate({"items": items, "total": len(items)})


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


@route(
    "/queries/{name}",
    m.QueryRunResponse,
    "Run a named query (parameters as query parameters)",
    description="Any query parameter is a parameter of the named query (see its `params`); values are "
    "bound as SPARQL variables by the engine, never spliced into the text. Unknown names are a 400.",
    detail=True,
)
def run_query_get(request: Request, name: QueryName) -> Built:
    given = {k: v for k, v in request.query_params.items() if k != CACHE_BUSTER}
    return run_named(request, name, given)


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

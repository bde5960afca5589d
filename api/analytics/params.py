"""What every analytics route shares: the graph's :class:`~stancegraph.analytics.Analytics`,
the projection options as query parameters, the route declaration, and errors.

Routes are plain ``def``: the computation is CPU-bound and runs in the threadpool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from stancegraph.ids import UnknownValue

from ..errors import ApiError, ErrorEnvelope
from ..freshness import serve_stale
from .results import Holders

# The one router of ``/api/analytics``: every family module adds its routes to it.
router = APIRouter(prefix="/api/analytics", tags=["analytics"])

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorEnvelope, "description": "invalid parameters"},
    503: {"model": ErrorEnvelope, "description": "no graph loaded"},
}

AsOf = Query(None, description="only stances stated on or before this date (YYYY-MM-DD)")
Source = Query(None, description="only stances from this source: its slug or IRI", max_length=500)
HoldersQ = Query(
    "all", description="stance holders: states, actors (all but independent experts) or all"
)
Parties = Query(
    None, description="principal parties (slugs or IRIs; default: the negotiations' sg:party)"
)
Met = Query(None, description="propositions already met (slugs or IRIs)")
Expectations = Query(
    False, description="also read expectations (forecasts, assessments); default: preferences"
)


def analytics(request: Request) -> Any:
    """The app's graph's shared ``Analytics`` (503 while no graph is loaded)."""
    kg = getattr(request.app.state, "kg", None)
    if kg is None:
        raise ApiError(503, "unavailable", "no graph is loaded")
    from stancegraph.analytics import Analytics

    return Analytics.of(kg)


def _version(request: Request) -> int:
    return int(analytics(request).data_version)


def run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """``fn(*args, **kw)``, with bad values (an unknown slug, a date out of range) as 422."""
    try:
        return fn(*args, **kw)
    except UnknownValue as exc:
        detail = {**exc.detail(), "location": f"query.{exc.field}"}
        raise ApiError(
            422, "invalid_parameters", f"invalid request parameters: query.{exc}", [detail]
        ) from None
    except (ValueError, TypeError) as exc:
        raise ApiError(422, "invalid_parameters", str(exc)) from None


def projection_options(
    as_of: dt.date | None, source: str | None, holders: str, expectations: bool = False
) -> dict[str, Any]:
    """The keyword arguments of ``Analytics``' methods for these projection options."""
    if source is not None and not source.strip():
        raise ApiError(422, "invalid_parameters", "source must not be empty")
    return {"as_of": as_of, "source": source, "holders": holders, "expectations": expectations}


@dataclass(frozen=True)
class _Projection:
    options: dict[str, Any]  # its repr is part of the last results' key (api/freshness.py)


def _projection(
    as_of: dt.date | None = AsOf,
    source: str | None = Source,
    holders: Holders = HoldersQ,
    expectations: bool = Expectations,
) -> _Projection:
    return _Projection(projection_options(as_of, source, holders, expectations))


# The four projection options (as_of, source, holders, expectations) of every analysis.
Projection = Annotated[_Projection, Depends(_projection)]


def analysis(
    path: str,
    model: type[BaseModel],
    summary: str,
    *,
    stale: bool = True,
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a GET analysis route on :data:`router`: its response model and errors, its
    docstring as its description; with ``stale``, the last result is served while a fresh
    one is computed (``api/freshness.py``)."""

    def declare(route: Callable[..., Any]) -> Any:
        handler = serve_stale(_version)(route) if stale else route
        return router.get(path, response_model=model, summary=summary, responses=ERRORS)(handler)

    return declare

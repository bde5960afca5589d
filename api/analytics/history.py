"""``/api/analytics/position-history``: an actor's position over time."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import Query, Request
from pydantic import Field

from stancegraph.analytics.history import PositionChange, PositionHistory, PositionPoint

from .params import Expectations, analysis, analytics, run
from .results import Labelled, Ref, model_of

PositionPointOut = model_of(
    PositionPoint,
    "PositionPointOut",
    target=Labelled("target_label"),
    stated_at=dt.date,
    weight=Field(description="polarity weight × modality weight"),
    kind=Literal["preference", "expectation"],
    source=Labelled("source_label", optional=True),
    current=Field(description="false once a later stance supersedes it"),
)
PositionChangeOut = model_of(
    PositionChange,
    "PositionChangeOut",
    holder=None,
    target=Labelled("target_label"),
    before_stated_at=dt.date,
    after_stated_at=dt.date,
    shift=Field(description="after weight − before weight"),
)
PositionHistoryResponse = model_of(
    PositionHistory,
    "PositionHistoryResponse",
    holder=Ref,
    target=Ref | None,
    points=list[PositionPointOut],  # type: ignore[valid-type]
    changes=list[PositionChangeOut],  # type: ignore[valid-type]
    targets=None,
    holder_label=None,
)


@analysis(
    "/position-history", PositionHistoryResponse, "An actor's position over time", stale=False
)
def position_history(
    request: Request,
    actor: str = Query(description="the holder: actor slug or IRI", min_length=1, max_length=500),
    proposition: str | None = Query(
        None, description="only this target (proposition slug or IRI)", max_length=500
    ),
    expectations: bool = Expectations,
) -> Any:
    """Every stance of the actor (on one proposition, or on all), oldest first,
    superseded ones included, each marked current or not; and the position changes
    (sg:supersedes) with both polarities, dates and sources."""
    h = run(analytics(request).history, actor, proposition, expectations=expectations)
    labels = {**h.targets, h.holder: h.holder_label}
    return PositionHistoryResponse.model_validate(h, context={"labels": labels})

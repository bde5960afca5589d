"""``/api/analytics/conditions``: deadlocks, blocked propositions, sequencing, critical
preconditions."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, Field

from stancegraph.analytics.conditions import (
    Blocked,
    ConditionReport,
    Critical,
    Deadlock,
    Dependency,
)

from .params import Met, Projection, analysis, analytics, run
from .results import Labelled, Ref, model_of, refs, report_model

DependencyOut = model_of(
    Dependency,
    "DependencyOut",
    proposition=Ref,
    requires=Ref,
    holder=Labelled("holder_label"),
    precedence=Field(description="false for 'unless' (a blocker, not a prerequisite)"),
    necessity=(
        Literal["necessary", "sufficient", "blocker"],
        Field(description="necessary conditions order things; if / unless do not"),
    ),
    holder_role=(
        Literal["party", "third-party"],
        Field(description="whether the holder is a party to the negotiations"),
    ),
)


class DeadlockEdgeOut(BaseModel):
    source: Ref
    target: Ref
    holders: list[Ref]
    condition_types: list[str]


def _edges(d: Deadlock) -> list[dict[str, Any]]:
    return [{**e, "source": e["from"], "target": e["to"]} for e in d.edges]


DeadlockOut = model_of(
    Deadlock,
    "DeadlockOut",
    read={"edges": _edges},
    labels=None,
    **refs("cycle", "holders", "single_holders"),
    edges=list[DeadlockEdgeOut],
    cross_holder=bool,
)


class StageOut(BaseModel):
    stage: int
    propositions: list[Ref]
    deadlocked: bool


BlockedOut = model_of(
    Blocked,
    "BlockedOut",
    proposition=Labelled("label"),
    **refs("unmet", "unmet_transitive", "holders"),
)
CriticalOut = model_of(Critical, "CriticalOut", proposition=Labelled("label"), holders=list[Ref])


def _sequence(report: ConditionReport) -> list[dict[str, Any]]:
    stages = zip(report.sequence, report.sequence_deadlocked, strict=True)
    return [
        {"stage": i, "propositions": st, "deadlocked": flag} for i, (st, flag) in enumerate(stages)
    ]


ConditionsResponse = report_model(
    ConditionReport,
    "ConditionsResponse",
    read={"sequence": _sequence},
    acyclic=bool,
    dependencies=list[DependencyOut],  # type: ignore[valid-type]
    deadlocks=list[DeadlockOut],  # type: ignore[valid-type]
    deadlock_components=list[list[Ref]],
    blocked=list[BlockedOut],  # type: ignore[valid-type]
    sequence=list[StageOut],
    sequence_deadlocked=None,
    critical=list[CriticalOut],  # type: ignore[valid-type]
    graph=None,
)


@analysis(
    "/conditions",
    ConditionsResponse,
    "Preconditions: deadlocks, blocked propositions, sequencing, critical preconditions",
)
def conditions(request: Request, projection: Projection, met: list[str] | None = Met) -> Any:
    """The condition dependency graph (proposition → what it requires, with holder and
    condition type); its cycles (deadlocks); propositions blocked by unmet requirements
    (`met` lists those already realised); a feasible order (stages of what must happen
    first); and the preconditions most others depend on."""
    rep = run(analytics(request).conditions, met=tuple(met or ()), **projection.options)
    return ConditionsResponse.model_validate(rep, context={"labels": rep.labels})

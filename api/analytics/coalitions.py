"""``/api/analytics/coalitions``: communities and the structural-balance partition."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, Field

from stancegraph.analytics.balance import BalanceResult, ComponentBalance
from stancegraph.analytics.coalitions import Coalition, CoalitionReport

from .params import Projection, analysis, analytics, run
from .results import Ref, model_of, refs, report_model

CoalitionOut = model_of(
    Coalition,
    "CoalitionOut",
    **refs("members"),
    labels=None,
    internal_weight=Field(description="total congruence inside the coalition"),
    parties=(list[Ref], Field(description="principal parties in the coalition")),
)


class TieOut(BaseModel):
    source: Ref
    target: Ref
    congruence: float
    conflict: float
    weight: float = Field(description="congruence − conflict")
    sign: int
    agree: list[str] = Field(
        description="targets (propositions or stances) both hold the same sign on"
    )
    disagree: list[str] = Field(description="targets they hold opposite signs on")


ComponentOut = model_of(ComponentBalance, "ComponentOut", nodes=list[str], camps=list[list[str]])

BalanceOut = model_of(
    BalanceResult,
    "BalanceOut",
    read={"frustrated_ties": lambda b: b.frustrated_edges},
    method=Field(description="exact, heuristic, mixed or trivial"),
    objective=Field(description="count (frustration index) or weight"),
    frustration=Field(description="number of frustrated ties (the frustration index when exact)"),
    camps=(list[list[Ref]], Field(description="camp 0 holds the first principal party")),
    frustrated_edges=None,
    frustrated_ties=list[list[Ref]],
    isolated=(list[Ref], Field(description="actors with no signed tie")),
    components=list[ComponentOut],  # type: ignore[valid-type]
    edges=None,
)


class TrianglesOut(BaseModel):
    balanced: int
    unbalanced: int
    ratio: float | None


def _ties(report: CoalitionReport) -> list[dict[str, Any]]:
    return [{"source": u, "target": v, **d} for u, v, d in report.network.edges(data=True)]


CoalitionsResponse = report_model(
    CoalitionReport,
    "CoalitionsResponse",
    read={"ties": _ties},
    coalitions=list[CoalitionOut],  # type: ignore[valid-type]
    balance=BalanceOut,
    triangles=TrianglesOut,
    network=None,
    congruence=None,
    ties=list[TieOut],
)


@analysis("/coalitions", CoalitionsResponse, "Coalitions and the structural-balance partition")
def coalitions(
    request: Request,
    projection: Projection,
    seed: int = Query(0, ge=0, le=2**31 - 1, description="seed for Louvain and balance restarts"),
    objective: Literal["count", "weight"] = Query(
        "count", description="balance: minimise the number of frustrated ties, or their weight"
    ),
) -> Any:
    """Louvain communities (seeded) on the actor congruence network, the two camps of
    the signed actor network that minimise frustration (exact up to 20 actors per
    component, a seeded spectral + local-search heuristic beyond; `method` says which),
    the triangle census and every actor–actor tie."""
    rep = run(
        analytics(request).coalitions,
        seed=seed,
        balance_weight="weight" if objective == "weight" else None,
        **projection.options,
    )
    return CoalitionsResponse.model_validate(rep, context={"labels": rep.labels})

"""``/api/analytics/positions``: polarisation, consensus, pivotal actors and propositions."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from pydantic import BaseModel

from stancegraph.analytics.positions import (
    ConsensusItem,
    PivotalActor,
    PivotalProposition,
    Polarisation,
    PositionsReport,
)

from .params import Parties, Projection, analysis, analytics, run
from .results import Labelled, Ref, model_of, refs, report_model


class PositionOut(BaseModel):
    actor: Ref
    position: float


PolarisationOut = model_of(
    Polarisation,
    "PolarisationOut",
    read={"positions": lambda p: [{"actor": a, "position": w} for a, w in p.positions.items()]},
    proposition=Labelled("label"),
    positions=list[PositionOut],
)
ConsensusOut = model_of(
    ConsensusItem,
    "ConsensusOut",
    proposition=Labelled("label"),
    **refs("endorsed_by", "silent", "neutral"),
)
PivotalActorOut = model_of(PivotalActor, "PivotalActorOut", actor=Labelled("label"))
PivotalPropositionOut = model_of(
    PivotalProposition, "PivotalPropositionOut", proposition=Labelled("label")
)
PositionsResponse = report_model(
    PositionsReport,
    "PositionsResponse",
    **refs("parties"),
    polarisation=list[PolarisationOut],  # type: ignore[valid-type]
    consensus=list[ConsensusOut],  # type: ignore[valid-type]
    pivotal_actors=list[PivotalActorOut],  # type: ignore[valid-type]
    pivotal_propositions=list[PivotalPropositionOut],  # type: ignore[valid-type]
    methods=None,
    graph=None,
)


@analysis(
    "/positions", PositionsResponse, "Polarisation, consensus set, pivotal actors and propositions"
)
def positions(
    request: Request,
    projection: Projection,
    party: list[str] | None = Parties,
    oppose_below: float = Query(
        0.0, ge=-1.0, le=1.0, description="a party opposes when its position is below this"
    ),
    include_silent: bool = Query(
        False, description="consensus: also propositions no principal party spoke on"
    ),
) -> Any:
    """Polarisation per proposition (spread of signed positions), the consensus set
    (propositions no principal party opposes), pivotal actors (betweenness on the
    unsigned actor network: brokers; PageRank on the congruence network) and pivotal
    propositions (betweenness on the actor–proposition graph: bridges). `measures` says
    exactly what each number is."""
    rep = run(
        analytics(request).positions,
        parties=party,
        oppose_below=oppose_below,
        include_silent=include_silent,
        **projection.options,
    )
    return PositionsResponse.model_validate(rep, context={"labels": rep.labels})

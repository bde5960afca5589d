"""``/api/analytics/layout`` (node positions for drawing) and ``/api/analytics/graph/...``
(an analysis graph as GraphML, GEXF or node-link JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from stancegraph.analytics import Layout
from stancegraph.read import rid

from .params import (
    ERRORS,
    AsOf,
    HoldersQ,
    Projection,
    Source,
    analysis,
    analytics,
    projection_options,
    router,
    run,
)
from .results import Holders, report_model


class LayoutNode(BaseModel):
    id: str = Field(description="the short id, as everywhere in /api")
    iri: str
    kind: Literal["actor", "proposition", "stance"]
    label: str
    x: float
    y: float


class LayoutEdge(BaseModel):
    source: str = Field(description="the actor's IRI")
    target: str = Field(description="the proposition's IRI (or a stance's, for a meta-stance)")
    polarity: str = Field(description="polarity key, or 'mixed' for several stances")
    weight: float = Field(description="signed position: mean polarity × modality")
    sign: int
    kind: Literal["stance", "meta"]
    count: int


LayoutResponse = report_model(
    Layout,
    "LayoutResponse",
    read={"nodes": lambda lay: [{**n, "id": rid(n["id"]), "iri": n["id"]} for n in lay.nodes]},
    nodes=list[LayoutNode],
    edges=list[LayoutEdge],
    total_nodes=(int, Field(description="nodes in the whole graph")),
    total_edges=int,
    truncated=(
        bool,
        Field(description="true when only the max_nodes most engaged nodes are laid out"),
    ),
)


@analysis("/layout", LayoutResponse, "Node positions for the stance network (seeded spring layout)")
def layout(
    request: Request,
    projection: Projection,
    seed: int = Query(42, ge=0, le=2**31 - 1, description="layout seed"),
    iterations: int = Query(50, ge=1, le=500, description="spring-layout iterations"),
    max_nodes: int = Query(
        400, ge=1, le=499, description="lay out at most this many (most engaged) nodes"
    ),
) -> Any:
    """Actors and propositions (and stances that are targets of meta-stances) with x, y
    in [−1, 1] from NetworkX's spring layout (seeded: same data and seed, same picture);
    edges actor → target with polarity and signed weight."""
    lay = run(
        analytics(request).layout,
        seed=seed,
        iterations=iterations,
        max_nodes=max_nodes,
        **projection.options,
    )
    return LayoutResponse.model_validate(lay)


_MEDIA = {
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
    "json": "application/json",
}


@router.get(
    "/graph/{which}",
    summary="An analysis graph as GraphML, GEXF or node-link JSON",
    description=(
        "coalitions: the signed actor network (nodes with coalition and camp); guarantors: "
        "the nomination digraph; conditions: the dependency digraph; positions: the signed "
        "actor–target graph with polarisation and centralities; bipartite, congruence, "
        "conflict: the projections themselves."
    ),
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}, **ERRORS},
)
def graph_export(
    request: Request,
    which: Literal[
        "coalitions", "guarantors", "conditions", "positions", "bipartite", "congruence", "conflict"
    ] = Path(description="which graph"),
    format: Literal["graphml", "gexf", "json"] = Query("graphml", description="export format"),
    as_of: dt.date | None = AsOf,
    source: str | None = Source,
    holders: Holders = HoldersQ,
) -> Response:
    from stancegraph.analytics.export import export

    G = run(analytics(request).graph, which, **projection_options(as_of, source, holders))
    return Response(
        export(G, format),
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="stancegraph-{which}.{format}"'},
    )

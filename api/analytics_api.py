"""The analytics JSON API: ``/api/analytics/...`` (coalitions, guarantors, conditions,
positions, layout, graph exports).

Every route takes the projection options as query parameters — ``as_of`` (ISO date: only
stances stated by then), ``source`` (source slug or IRI), ``holders`` (``states``,
``actors`` = all but independent experts, ``all``) — and answers with a pydantic model
(see the OpenAPI docs). Results are computed by :class:`stancegraph.analytics.Analytics`,
shared per graph and cached per (data version, options), so repeated calls are cheap and a
write invalidates them. Errors use the common envelope (``api/errors.py``).

Routes are plain ``def``: the computation is CPU-bound and runs in the threadpool.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from stancegraph.ids import UnknownValue
from stancegraph.read import rid

from .errors import ApiError, ErrorEnvelope
from .freshness import Freshness, serve_stale

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

Holders = Literal["states", "actors", "all"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorEnvelope, "description": "invalid parameters"},
    503: {"model": ErrorEnvelope, "description": "no graph loaded"},
}


# --------------------------------------------------------------------------- models


class Ref(BaseModel):
    """A resource of the graph: its short id, IRI and label (as in every /api reference)."""

    id: str = Field("", description="the short id (the IRI for resources stancegraph did not mint)")
    iri: str
    label: str

    @model_validator(mode="after")
    def _short_id(self) -> Ref:
        self.id = self.id or rid(self.iri)
        return self


class OptionsOut(BaseModel):
    as_of: dt.date | None = Field(None, description="only stances stated on or before this date")
    source: str | None = Field(None, description="only stances from this source (IRI)")
    holders: Holders = Field("all", description="which stance holders were read")
    expectations: bool = Field(
        False, description="whether expectations (forecasts, assessments) were read too"
    )


class CoalitionOut(BaseModel):
    id: int
    members: list[Ref]
    internal_weight: float = Field(description="total congruence inside the coalition")
    parties: list[Ref] = Field(description="principal parties in the coalition")


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


class ComponentOut(BaseModel):
    nodes: list[str]
    camps: list[list[str]]
    frustration: int
    frustration_weight: float
    method: str


class BalanceOut(BaseModel):
    method: str = Field(description="exact, heuristic, mixed or trivial")
    objective: str = Field(description="count (frustration index) or weight")
    frustration: int = Field(
        description="number of frustrated ties (the frustration index when exact)"
    )
    frustration_weight: float
    balanced: bool
    camps: list[list[Ref]] = Field(description="camp 0 holds the first principal party")
    frustrated_ties: list[list[Ref]]
    isolated: list[Ref] = Field(description="actors with no signed tie")
    components: list[ComponentOut]


class TrianglesOut(BaseModel):
    balanced: int
    unbalanced: int
    ratio: float | None


class CoalitionsResponse(Freshness):
    options: OptionsOut
    seed: int
    modularity: float | None
    coalitions: list[CoalitionOut]
    balance: BalanceOut
    triangles: TrianglesOut
    ties: list[TieOut]


class NominationOut(BaseModel):
    stance: str
    nominator: Ref
    guarantee: Ref
    modality: str
    modality_weight: float
    polarity: str
    weight: float
    speaker: str | None = None
    stated_at: dt.date | None = None


class NomineeStanceOut(BaseModel):
    stance: str
    holder: Ref
    about: str = Field(description="guarantee, nomination or self-nomination")
    target: str
    polarity: str
    modality: str
    weight: float


class ContestOut(BaseModel):
    stance: str
    by: Ref
    how: str = Field(description="negative-nomination or meta-stance")
    polarity: str
    weight: float


class AcceptabilityOut(BaseModel):
    party: Ref
    status: Literal["accepts", "objects", "mixed", "neutral", "unknown"]
    stances: list[str] = Field(description="the stances the status rests on")


class NomineeOut(BaseModel):
    nominee: Ref
    modality: str = Field(description="firmest modality among its positive nominations")
    modality_weight: float
    nominated_by: list[Ref]
    nominations: list[NominationOut]
    own_stances: list[NomineeStanceOut]
    own_position: str = Field(description="silent, accepts, declines or mixed")
    contested_by: list[ContestOut]
    member_of: list[Ref]
    acceptable_to: list[Ref] = Field(description="principal parties that accept it")
    # model v2 (additive)
    acceptability: list[AcceptabilityOut] = Field(
        default_factory=list,
        description="per principal party: accepts, objects, mixed, neutral or unknown "
        "(no stance in the data: silence is not a veto)",
    )
    unknown_to: list[Ref] = Field(default_factory=list, description="parties with no stance")
    objected_by: list[Ref] = Field(default_factory=list, description="parties objecting")
    nominee_propositions: list[Ref] = Field(
        default_factory=list, description="per-nominee propositions ('X guarantees …')"
    )
    list_open: bool | None = Field(None, description="whether the guarantor list was open")


class AllianceOut(BaseModel):
    alliance: Ref
    nominees: list[Ref]
    count: int
    share: float


class GuarantorsResponse(Freshness):
    options: OptionsOut
    parties: list[Ref]
    nominees: list[NomineeOut]
    by_modality: dict[str, list[Ref]]
    acceptable_to_all_parties: list[Ref]
    uncontested: list[Ref]
    alliances: list[AllianceOut]
    guarantee_opponents: list[dict[str, Any]]


class DependencyOut(BaseModel):
    proposition: Ref
    requires: Ref
    holder: Ref
    condition_type: str
    precedence: bool = Field(description="false for 'unless' (a blocker, not a prerequisite)")
    condition: str
    stance: str
    necessity: Literal["necessary", "sufficient", "blocker"] = Field(
        "necessary", description="necessary conditions order things; if / unless do not"
    )
    holder_role: Literal["party", "third-party"] = Field(
        "third-party", description="whether the holder is a party to the negotiations"
    )


class DeadlockEdgeOut(BaseModel):
    source: Ref
    target: Ref
    holders: list[Ref]
    condition_types: list[str]


class DeadlockOut(BaseModel):
    cycle: list[Ref]
    holders: list[Ref]
    single_holders: list[Ref]
    cross_holder: bool
    edges: list[DeadlockEdgeOut]


class StageOut(BaseModel):
    stage: int
    propositions: list[Ref]
    deadlocked: bool


class BlockedOut(BaseModel):
    proposition: Ref
    unmet: list[Ref]
    unmet_transitive: list[Ref]
    holders: list[Ref]
    deadlocked: bool


class CriticalOut(BaseModel):
    proposition: Ref
    dependents: int
    direct_dependents: int
    holders: list[Ref]


class ConditionsResponse(Freshness):
    options: OptionsOut
    acyclic: bool
    dependencies: list[DependencyOut]
    deadlocks: list[DeadlockOut]
    deadlock_components: list[list[Ref]]
    blocked: list[BlockedOut]
    sequence: list[StageOut]
    critical: list[CriticalOut]
    met: list[str]


class PositionOut(BaseModel):
    actor: Ref
    position: float


class PolarisationOut(BaseModel):
    proposition: Ref
    actors: int
    n_for: int
    n_against: int
    n_neutral: int
    mean: float
    std: float
    spread: float
    contested: bool
    positions: list[PositionOut]


class ConsensusOut(BaseModel):
    proposition: Ref
    full: bool
    endorsed_by: list[Ref]
    silent: list[Ref]
    neutral: list[Ref]


class PivotalActorOut(BaseModel):
    actor: Ref
    betweenness: float
    pagerank: float
    positive_strength: float
    negative_strength: float
    degree: int
    reason: str


class PivotalPropositionOut(BaseModel):
    proposition: Ref
    betweenness: float
    actors: int
    polarisation: float
    contested: bool
    reason: str


class PositionsResponse(Freshness):
    options: OptionsOut
    parties: list[Ref]
    polarisation: list[PolarisationOut]
    consensus: list[ConsensusOut]
    pivotal_actors: list[PivotalActorOut]
    pivotal_propositions: list[PivotalPropositionOut]
    measures: dict[str, str]


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


class LayoutResponse(Freshness):
    options: OptionsOut
    seed: int
    nodes: list[LayoutNode]
    edges: list[LayoutEdge]
    total_nodes: int = Field(description="nodes in the whole graph")
    total_edges: int
    truncated: bool = Field(
        description="true when only the max_nodes most engaged nodes are laid out"
    )


# --------------------------------------------------------------------------- helpers


def _analytics(request: Request) -> Any:
    kg = getattr(request.app.state, "kg", None)
    if kg is None:
        raise ApiError(503, "unavailable", "no graph is loaded")
    from stancegraph.analytics import Analytics

    return Analytics.of(kg)


def _version(request: Request) -> int:
    return int(_analytics(request).data_version)


def _opts(
    as_of: dt.date | None, source: str | None, holders: str, expectations: bool = False
) -> dict[str, Any]:
    if source is not None and not source.strip():
        raise ApiError(422, "invalid_parameters", "source must not be empty")
    return {"as_of": as_of, "source": source, "holders": holders, "expectations": expectations}


def _run(fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except UnknownValue as exc:
        detail = {**exc.detail(), "location": f"query.{exc.field}"}
        raise ApiError(
            422, "invalid_parameters", f"invalid request parameters: query.{exc}", [detail]
        ) from None
    except (ValueError, TypeError) as exc:
        raise ApiError(422, "invalid_parameters", str(exc)) from None


class _Refs:
    def __init__(self, labels: dict[str, str]):
        self.labels = labels

    def __call__(self, iri: str) -> Ref:
        return Ref(
            id=rid(iri), iri=iri, label=self.labels.get(iri) or iri.rstrip("/").rsplit("/", 1)[-1]
        )

    def many(self, iris: Any) -> list[Ref]:
        return [self(i) for i in iris]


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


# --------------------------------------------------------------------------- routes


@router.get(
    "/coalitions",
    response_model=CoalitionsResponse,
    summary="Coalitions and the structural-balance partition",
    description=(
        "Louvain communities (seeded) on the actor congruence network, the two camps of the "
        "signed actor network that minimise frustration (exact up to 20 actors per "
        "component, a seeded spectral + local-search heuristic beyond; `method` says which), "
        "the triangle census and every actor–actor tie."
    ),
    responses=_ERRORS,
)
@serve_stale(_version)
def coalitions(
    request: Request,
    as_of: dt.date | None = AsOf,
    source: str | None = Source,
    holders: Holders = HoldersQ,
    expectations: bool = Expectations,
    seed: int = Query(0, ge=0, le=2**31 - 1, description="seed for Louvain and balance restarts"),
    objective: Literal["count", "weight"] = Query(
        "count", description="balance: minimise the number of frustrated ties, or their weight"
    ),
) -> CoalitionsResponse:
    an = _analytics(request)
    rep = _run(
        an.coalitions,
        seed=seed,
        balance_weight="weight" if objective == "weight" else None,
        **_opts(as_of, source, holders, expectations),
    )
    r = _Refs(rep.labels)
    b = rep.balance
    return CoalitionsResponse(
        options=OptionsOut(**rep.options),
        seed=rep.seed,
        modularity=rep.modularity,
        coalitions=[
            CoalitionOut(
                id=c.id,
                members=r.many(c.members),
                internal_weight=c.internal_weight,
                parties=r.many(c.parties),
            )
            for c in rep.coalitions
        ],
        balance=BalanceOut(
            method=b.method,
            objective=b.objective,
            frustration=b.frustration,
            frustration_weight=b.frustration_weight,
            balanced=b.balanced,
            camps=[r.many(c) for c in b.camps],
            frustrated_ties=[r.many(e) for e in b.frustrated_edges],
            isolated=r.many(b.isolated),
            components=[
                ComponentOut(
                    nodes=c.nodes,
                    camps=[list(x) for x in c.camps],
                    frustration=c.frustration,
                    frustration_weight=c.frustration_weight,
                    method=c.method,
                )
                for c in b.components
            ],
        ),
        triangles=TrianglesOut(**rep.triangles),
        ties=[
            TieOut(
                source=r(u),
                target=r(v),
                congruence=d["congruence"],
                conflict=d["conflict"],
                weight=d["weight"],
                sign=d["sign"],
                agree=list(d["agree"]),
                disagree=list(d["disagree"]),
            )
            for u, v, d in rep.network.edges(data=True)
        ],
    )


@router.get(
    "/guarantors",
    response_model=GuarantorsResponse,
    summary="Guarantor nominations, acceptability and alliance overlap",
    description=(
        "Per nominee: who nominated it with what modality, what it said itself about the "
        "guarantee, who contests it, its alliances (org:memberOf), and where each principal "
        "party stands on it (acceptability: accepts, objects, mixed, neutral or unknown: "
        "no stance in the data, which is not a veto). Then the nominees acceptable to every "
        "principal party, those no principal party contests, and the alliances the nominees "
        "share."
    ),
    responses=_ERRORS,
)
@serve_stale(_version)
def guarantors(
    request: Request,
    as_of: dt.date | None = AsOf,
    source: str | None = Source,
    holders: Holders = HoldersQ,
    expectations: bool = Expectations,
    party: list[str] | None = Parties,
) -> GuarantorsResponse:
    an = _analytics(request)
    rep = _run(an.guarantors, parties=party, **_opts(as_of, source, holders, expectations))
    r = _Refs(rep.labels)
    return GuarantorsResponse(
        options=OptionsOut(**rep.options),
        parties=r.many(rep.parties),
        nominees=[
            NomineeOut(
                nominee=Ref(iri=n.nominee, label=n.label),
                modality=n.modality,
                modality_weight=n.modality_weight,
                nominated_by=r.many(n.nominated_by),
                nominations=[
                    NominationOut(
                        stance=x.stance,
                        nominator=Ref(iri=x.nominator, label=x.nominator_label),
                        guarantee=Ref(iri=x.guarantee, label=x.guarantee_label),
                        modality=x.modality,
                        modality_weight=x.modality_weight,
                        polarity=x.polarity,
                        weight=x.weight,
                        speaker=x.speaker,
                        stated_at=x.stated_at,
                    )
                    for x in n.nominations
                ],
                own_stances=[
                    NomineeStanceOut(
                        stance=s.stance,
                        holder=r(s.holder),
                        about=s.about,
                        target=s.target,
                        polarity=s.polarity,
                        modality=s.modality,
                        weight=s.weight,
                    )
                    for s in n.own_stances
                ],
                own_position=n.own_position,
                contested_by=[
                    ContestOut(
                        stance=c.stance,
                        by=Ref(iri=c.by, label=c.by_label),
                        how=c.how,
                        polarity=c.polarity,
                        weight=c.weight,
                    )
                    for c in n.contested_by
                ],
                member_of=r.many(n.member_of),
                acceptable_to=r.many(n.acceptable_to),
                acceptability=[
                    AcceptabilityOut(
                        party=r(p), status=st, stances=n.acceptability_stances.get(p, [])
                    )
                    for p, st in n.acceptability.items()
                ],
                unknown_to=r.many(n.unknown_to),
                objected_by=r.many(n.objected_by),
                nominee_propositions=r.many(n.nominee_propositions),
                list_open=n.list_open,
            )
            for n in rep.nominees
        ],
        by_modality={k: r.many(v) for k, v in rep.by_modality.items()},
        acceptable_to_all_parties=r.many(rep.acceptable_to_all_parties),
        uncontested=r.many(rep.uncontested),
        alliances=[
            AllianceOut(
                alliance=Ref(iri=org, label=a["label"]),
                nominees=r.many(a["nominees"]),
                count=a["count"],
                share=a["share"],
            )
            for org, a in rep.alliances.items()
        ],
        guarantee_opponents=rep.guarantee_opponents,
    )


@router.get(
    "/conditions",
    response_model=ConditionsResponse,
    summary="Preconditions: deadlocks, blocked propositions, sequencing, critical preconditions",
    description=(
        "The condition dependency graph (proposition → what it requires, with holder and "
        "condition type); its cycles (deadlocks); propositions blocked by unmet "
        "requirements (`met` lists those already realised); a feasible order (stages of "
        "what must happen first); and the preconditions most others depend on."
    ),
    responses=_ERRORS,
)
@serve_stale(_version)
def conditions(
    request: Request,
    as_of: dt.date | None = AsOf,
    source: str | None = Source,
    holders: Holders = HoldersQ,
    expectations: bool = Expectations,
    met: list[str] | None = Met,
) -> ConditionsResponse:
    an = _analytics(request)
    rep = _run(an.conditions, met=tuple(met or ()), **_opts(as_of, source, holders, expectations))
    r = _Refs(rep.labels)
    return ConditionsResponse(
        options=OptionsOut(**rep.options),
        acyclic=rep.acyclic,
        dependencies=[
            DependencyOut(
                proposition=r(d.proposition),
                requires=r(d.requires),
                holder=Ref(iri=d.holder, label=d.holder_label),
                condition_type=d.condition_type,
                precedence=d.precedence,
                condition=d.condition,
                stance=d.stance,
                necessity=d.necessity,
                holder_role=d.holder_role,
            )
            for d in rep.dependencies
        ],
        deadlocks=[
            DeadlockOut(
                cycle=r.many(dl.cycle),
                holders=r.many(dl.holders),
                single_holders=r.many(dl.single_holders),
                cross_holder=dl.cross_holder,
                edges=[
                    DeadlockEdgeOut(
                        source=r(e["from"]),
                        target=r(e["to"]),
                        holders=r.many(e["holders"]),
                        condition_types=e["condition_types"],
                    )
                    for e in dl.edges
                ],
            )
            for dl in rep.deadlocks
        ],
        deadlock_components=[r.many(c) for c in rep.deadlock_components],
        blocked=[
            BlockedOut(
                proposition=Ref(iri=b.proposition, label=b.label),
                unmet=r.many(b.unmet),
                unmet_transitive=r.many(b.unmet_transitive),
                holders=r.many(b.holders),
                deadlocked=b.deadlocked,
            )
            for b in rep.blocked
        ],
        sequence=[
            StageOut(stage=i, propositions=r.many(st), deadlocked=flag)
            for i, (st, flag) in enumerate(zip(rep.sequence, rep.sequence_deadlocked, strict=True))
        ],
        critical=[
            CriticalOut(
                proposition=Ref(iri=c.proposition, label=c.label),
                dependents=c.dependents,
                direct_dependents=c.direct_dependents,
                holders=r.many(c.holders),
            )
            for c in rep.critical
        ],
        met=rep.met,
    )


@router.get(
    "/positions",
    response_model=PositionsResponse,
    summary="Polarisation, consensus set, pivotal actors and propositions",
    description=(
        "Polarisation per proposition (spread of signed positions), the consensus set "
        "(propositions no principal party opposes), pivotal actors (betweenness on the "
        "unsigned actor network: brokers; PageRank on the congruence network) and pivotal "
        "propositions (betweenness on the actor–proposition graph: bridges). `measures` "
        "says exactly what each number is."
    ),
    responses=_ERRORS,
)
@serve_stale(_version)
def positions(
    request: Request,
    as_of: dt.date | None = AsOf,
    source: str | None = Source,
    holders: Holders = HoldersQ,
    expectations: bool = Expectations,
    party: list[str] | None = Parties,
    oppose_below: float = Query(
        0.0, ge=-1.0, le=1.0, description="a party opposes when its position is below this"
    ),
    include_silent: bool = Query(
        False, description="consensus: also propositions no principal party spoke on"
    ),
) -> PositionsResponse:
    an = _analytics(request)
    rep = _run(
        an.positions,
        parties=party,
        oppose_below=oppose_below,
        include_silent=include_silent,
        **_opts(as_of, source, holders, expectations),
    )
    r = _Refs(rep.labels)
    return PositionsResponse(
        options=OptionsOut(**rep.options),
        parties=r.many(rep.parties),
        polarisation=[
            PolarisationOut(
                proposition=Ref(iri=p.proposition, label=p.label),
                actors=p.actors,
                n_for=p.n_for,
                n_against=p.n_against,
                n_neutral=p.n_neutral,
                mean=p.mean,
                std=p.std,
                spread=p.spread,
                contested=p.contested,
                positions=[PositionOut(actor=r(a), position=w) for a, w in p.positions.items()],
            )
            for p in rep.polarisation
        ],
        consensus=[
            ConsensusOut(
                proposition=Ref(iri=c.proposition, label=c.label),
                full=c.full,
                endorsed_by=r.many(c.endorsed_by),
                silent=r.many(c.silent),
                neutral=r.many(c.neutral),
            )
            for c in rep.consensus
        ],
        pivotal_actors=[
            PivotalActorOut(
                actor=Ref(iri=a.actor, label=a.label),
                betweenness=a.betweenness,
                pagerank=a.pagerank,
                positive_strength=a.positive_strength,
                negative_strength=a.negative_strength,
                degree=a.degree,
                reason=a.reason,
            )
            for a in rep.pivotal_actors
        ],
        pivotal_propositions=[
            PivotalPropositionOut(
                proposition=Ref(iri=p.proposition, label=p.label),
                betweenness=p.betweenness,
                actors=p.actors,
                polarisation=p.polarisation,
                contested=p.contested,
                reason=p.reason,
            )
            for p in rep.pivotal_propositions
        ],
        measures=rep.measures,
    )


@router.get(
    "/layout",
    response_model=LayoutResponse,
    summary="Node positions for the stance network (seeded spring layout)",
    description=(
        "Actors and propositions (and stances that are targets of meta-stances) with x, y "
        "in [−1, 1] from NetworkX's spring layout (seeded: same data and seed, same "
        "picture); edges actor → target with polarity and signed weight."
    ),
    responses=_ERRORS,
)
@serve_stale(_version)
def layout(
    request: Request,
    as_of: dt.date | None = AsOf,
    source: str | None = Source,
    holders: Holders = HoldersQ,
    expectations: bool = Expectations,
    seed: int = Query(42, ge=0, le=2**31 - 1, description="layout seed"),
    iterations: int = Query(50, ge=1, le=500, description="spring-layout iterations"),
    max_nodes: int = Query(
        400, ge=1, le=499, description="lay out at most this many (most engaged) nodes"
    ),
) -> LayoutResponse:
    an = _analytics(request)
    lay = _run(
        an.layout,
        seed=seed,
        iterations=iterations,
        max_nodes=max_nodes,
        **_opts(as_of, source, holders, expectations),
    )
    return LayoutResponse(
        options=OptionsOut(**lay.options),
        seed=lay.seed,
        nodes=[LayoutNode(**{**n, "id": rid(n["id"]), "iri": n["id"]}) for n in lay.nodes],
        edges=[LayoutEdge(**e) for e in lay.edges],
        total_nodes=lay.total_nodes,
        total_edges=lay.total_edges,
        truncated=lay.truncated,
    )


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
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}, **_ERRORS},
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

    an = _analytics(request)
    G = _run(an.graph, which, **_opts(as_of, source, holders))
    text = export(G, format)
    ext = "json" if format == "json" else format
    return Response(
        text,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="stancegraph-{which}.{ext}"'},
    )


# --------------------------------------------------------------------------- model v2


class PositionPointOut(BaseModel):
    stance: str
    target: Ref
    stated_at: dt.date
    polarity: str
    weight: float = Field(description="polarity weight × modality weight")
    modality: str
    kind: Literal["preference", "expectation"]
    source: Ref | None
    supersedes: str | None
    superseded_by: str | None
    current: bool = Field(description="false once a later stance supersedes it")
    label: str


class PositionChangeOut(BaseModel):
    target: Ref
    before: str
    after: str
    before_polarity: str
    after_polarity: str
    before_stated_at: dt.date
    after_stated_at: dt.date
    before_source: str | None
    after_source: str | None
    shift: float = Field(description="after weight − before weight")


class PositionHistoryResponse(BaseModel):
    holder: Ref
    target: Ref | None
    points: list[PositionPointOut]
    changes: list[PositionChangeOut]


@router.get(
    "/position-history",
    response_model=PositionHistoryResponse,
    summary="An actor's position over time",
    description=(
        "Every stance of the actor (on one proposition, or on all), oldest first, superseded "
        "ones included, each marked current or not; and the position changes "
        "(sg:supersedes) with both polarities, dates and sources."
    ),
    responses=_ERRORS,
)
def position_history(
    request: Request,
    actor: str = Query(description="the holder: actor slug or IRI", min_length=1, max_length=500),
    proposition: str | None = Query(
        None, description="only this target (proposition slug or IRI)", max_length=500
    ),
    expectations: bool = Expectations,
) -> PositionHistoryResponse:
    an = _analytics(request)
    h = _run(an.history, actor, proposition, expectations=expectations)
    labels = {**h.targets, h.holder: h.holder_label}
    r = _Refs(labels)
    return PositionHistoryResponse(
        holder=r(h.holder),
        target=r(h.target) if h.target else None,
        points=[
            PositionPointOut(
                stance=p.stance,
                target=Ref(iri=p.target, label=p.target_label),
                stated_at=p.stated_at,
                polarity=p.polarity,
                weight=p.weight,
                modality=p.modality,
                kind=p.kind,
                source=Ref(iri=p.source, label=p.source_label or p.source) if p.source else None,
                supersedes=p.supersedes,
                superseded_by=p.superseded_by,
                current=p.current,
                label=p.label,
            )
            for p in h.points
        ],
        changes=[
            PositionChangeOut(
                target=Ref(iri=c.target, label=c.target_label),
                before=c.before,
                after=c.after,
                before_polarity=c.before_polarity,
                after_polarity=c.after_polarity,
                before_stated_at=c.before_stated_at,
                after_stated_at=c.after_stated_at,
                before_source=c.before_source,
                after_source=c.after_source,
                shift=c.shift,
            )
            for c in h.changes
        ],
    )


class SourceStanceDiffOut(BaseModel):
    holder: Ref
    occasion: Ref
    target: Ref
    difference: Literal["polarity", "only-in-a", "only-in-b"]
    a: list[str] = Field(description="polarities source a attributes")
    b: list[str]


class ModalityDiffOut(BaseModel):
    nominee: Ref
    a: str
    b: str


class GuarantorListDiffOut(BaseModel):
    holder: Ref
    occasion: Ref
    in_a: list[Ref]
    in_b: list[Ref]
    only_in_a: list[Ref]
    only_in_b: list[Ref]
    modality_differs: list[ModalityDiffOut]


class ConditionItemOut(BaseModel):
    type: str
    requires: Ref


class ConditionDiffOut(BaseModel):
    holder: Ref
    occasion: Ref
    target: Ref
    only_in_a: list[ConditionItemOut]
    only_in_b: list[ConditionItemOut]


class SourcesResponse(BaseModel):
    a: Ref
    b: Ref
    agree: bool = Field(description="true when nothing both report differs")
    aligned: list[dict[str, Any]] = Field(description="(holder, occasion) pairs both report")
    only_in_a: list[dict[str, Any]]
    only_in_b: list[dict[str, Any]]
    stances: list[SourceStanceDiffOut]
    guarantor_lists: list[GuarantorListDiffOut]
    conditions: list[ConditionDiffOut]


@router.get(
    "/sources",
    response_model=SourcesResponse,
    summary="Where two sources disagree",
    description=(
        "Lines up the stances two sources attribute to the same actor at the same occasion "
        "(or date) and lists the differences: polarities, guarantor lists (and nominee "
        "modalities), conditions. Propositions linked by skos:exactMatch count as the same."
    ),
    responses=_ERRORS,
)
def sources(
    request: Request,
    a: str = Query(description="first source: slug or IRI", min_length=1, max_length=500),
    b: str = Query(description="second source: slug or IRI", min_length=1, max_length=500),
) -> SourcesResponse:
    an = _analytics(request)
    rep = _run(an.sources, a, b)
    labels = dict(rep.labels)
    r = _Refs(labels)

    def occ(d: dict[str, Any]) -> Ref:
        return Ref(iri=d["occasion"], label=d["occasion_label"])

    return SourcesResponse(
        a=r(rep.a),
        b=r(rep.b),
        agree=rep.agree,
        aligned=rep.aligned,
        only_in_a=rep.only_in_a,
        only_in_b=rep.only_in_b,
        stances=[
            SourceStanceDiffOut(
                holder=Ref(iri=d["holder"], label=d["holder_label"]),
                occasion=occ(d),
                target=Ref(iri=d["target"], label=d["target_label"]),
                difference=d["difference"],
                a=d["a"],
                b=d["b"],
            )
            for d in rep.stances
        ],
        guarantor_lists=[
            GuarantorListDiffOut(
                holder=Ref(iri=d["holder"], label=d["holder_label"]),
                occasion=occ(d),
                in_a=r.many(d["in_a"]),
                in_b=r.many(d["in_b"]),
                only_in_a=r.many(d["only_in_a"]),
                only_in_b=r.many(d["only_in_b"]),
                modality_differs=[
                    ModalityDiffOut(nominee=r(m["nominee"]), a=m["a"], b=m["b"])
                    for m in d["modality_differs"]
                ],
            )
            for d in rep.guarantor_lists
        ],
        conditions=[
            ConditionDiffOut(
                holder=Ref(iri=d["holder"], label=d["holder_label"]),
                occasion=occ(d),
                target=Ref(iri=d["target"], label=d["target_label"]),
                only_in_a=[
                    ConditionItemOut(type=c["type"], requires=r(c["requires"]))
                    for c in d["only_in_a"]
                ],
                only_in_b=[
                    ConditionItemOut(type=c["type"], requires=r(c["requires"]))
                    for c in d["only_in_b"]
                ],
            )
            for d in rep.conditions
        ],
    )

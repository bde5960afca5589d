"""Positions: polarisation per proposition, the consensus set, pivotal actors and propositions.

An actor's *position* on a proposition is the mean signed weight (polarity × modality) of
its current stances on it (see :mod:`stancegraph.analytics.networks`).

- **Polarisation**: the spread of positions on each proposition — population standard
  deviation (0 = everyone where the mean is; 1 = half at +1, half at −1), range, and
  counts for/against/neutral; a proposition is *contested* when it has both.
- **Consensus set**: propositions no principal party opposes (no principal party's
  position below ``oppose_below``, default 0, so scepticism counts as opposition), among
  those somebody took a stance on; *full consensus* when every principal party is for.
- **Pivotal actors**: betweenness centrality on the *unsigned* actor network
  (|congruence − conflict| as tie strength, distance = 1/strength) finds brokers — actors
  on the shortest paths between otherwise distant actors, whose defection would
  disconnect or lengthen the discourse; PageRank on the *congruence* network finds the
  actors most agreed with (by actors who are themselves agreed with); positive and
  negative strength on the *signed* network say how much support and conflict each draws.
  Actors are ranked by betweenness, then PageRank.
- **Pivotal propositions**: betweenness on the unsigned actor–target bipartite graph
  (|position| as strength) finds the issues that link otherwise separate groups of
  actors; engagement (degree) and polarisation say whether such a bridge unites or divides.

Betweenness and PageRank go through NetworkX's backend dispatch (``backend=``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx

from ..terms import iri_of
from .centrality import _unsigned_betweenness, pagerank
from .frame import frame_of
from .networks import positions, shared_networks, signed_bipartite
from .options import Options, plain


@dataclass
class Polarisation:
    proposition: str
    label: str
    actors: int
    n_for: int
    n_against: int
    n_neutral: int
    mean: float
    std: float
    spread: float
    contested: bool
    positions: dict[str, float]


@dataclass
class ConsensusItem:
    proposition: str
    label: str
    endorsed_by: list[str]  # principal parties for
    silent: list[str]  # principal parties without a position
    neutral: list[str]
    full: bool  # every principal party for


@dataclass
class PivotalActor:
    actor: str
    label: str
    betweenness: float
    pagerank: float
    positive_strength: float
    negative_strength: float
    degree: int
    reason: str


@dataclass
class PivotalProposition:
    proposition: str
    label: str
    betweenness: float
    actors: int
    polarisation: float
    contested: bool
    reason: str


@dataclass
class PositionsReport:
    options: dict[str, Any]
    parties: list[str]
    polarisation: list[Polarisation]
    consensus: list[ConsensusItem]
    pivotal_actors: list[PivotalActor]
    pivotal_propositions: list[PivotalProposition]
    measures: dict[str, str]
    methods: dict[str, str]
    labels: dict[str, str]
    graph: nx.Graph = field(repr=False)  # the signed bipartite graph, annotated

    @property
    def consensus_set(self) -> list[str]:
        return [c.proposition for c in self.consensus]

    @property
    def full_consensus(self) -> list[str]:
        return [c.proposition for c in self.consensus if c.full]

    def tables(self) -> dict[str, Any]:
        """The report as pandas DataFrames (polarisation, consensus, pivotal_*)."""
        import pandas as pd

        return {
            "polarisation": pd.DataFrame(
                [
                    {k: v for k, v in asdict(p).items() if k != "positions"}
                    for p in self.polarisation
                ]
            ),
            "consensus": pd.DataFrame([asdict(c) for c in self.consensus]),
            "pivotal_actors": pd.DataFrame([asdict(a) for a in self.pivotal_actors]),
            "pivotal_propositions": pd.DataFrame([asdict(p) for p in self.pivotal_propositions]),
        }

    def as_dict(self) -> dict[str, Any]:
        d = plain(self, exclude=("graph",))
        d["consensus_set"] = self.consensus_set
        d["full_consensus"] = self.full_consensus
        return d


def polarisation(kg: Any, options: Options | None = None, **opts: Any) -> list[Polarisation]:
    """Spread of signed positions per proposition, most polarised first.

    Output: one :class:`Polarisation` per proposition with at least one position (std,
    spread, mean, counts, the positions themselves), sorted by std descending, then label.
    Complexity: O(S).

    Example (seed): "Progress in the talks" is contested — Russia and Ukraine +1, Justin
    Massie −0.5, the United States and the European leaders neutral.
    """
    frame = frame_of(kg, options, **opts)
    by_prop: dict[str, dict[str, float]] = {}
    for (holder, target), pos in positions(frame, include_meta=False).items():
        by_prop.setdefault(target, {})[holder] = pos.weight
    out = []
    for p, held in by_prop.items():
        ws = list(held.values())
        n = len(ws)
        mean = sum(ws) / n
        std = math.sqrt(sum((w - mean) ** 2 for w in ws) / n)
        n_for = sum(1 for w in ws if w > 0)
        n_against = sum(1 for w in ws if w < 0)
        out.append(
            Polarisation(
                proposition=p,
                label=frame.label(p),
                actors=n,
                n_for=n_for,
                n_against=n_against,
                n_neutral=n - n_for - n_against,
                mean=round(mean, 6),
                std=round(std, 6),
                spread=round(max(ws) - min(ws), 6),
                contested=n_for > 0 and n_against > 0,
                positions=dict(sorted(held.items())),
            )
        )
    out.sort(key=lambda x: (-x.std, -x.spread, x.label, x.proposition))
    return out


def consensus_set(
    kg: Any,
    options: Options | None = None,
    *,
    parties: list[str] | None = None,
    oppose_below: float = 0.0,
    include_silent: bool = False,
    **opts: Any,
) -> list[ConsensusItem]:
    """Propositions no principal party opposes.

    Inputs: ``parties`` (slugs or IRIs; default the ``sg:party`` values of the
    negotiations); ``oppose_below``: a party opposes when its position is below this
    (default 0: skeptical −0.5 opposes); ``include_silent``: also list propositions on
    which no principal party took a position (by default at least one must have).
    Output: :class:`ConsensusItem` per proposition in the set, full consensus first, then
    by number of parties for, then label. Complexity: O(S).

    Example (seed, parties Russia and Ukraine): full consensus on progress in the talks,
    the peace agreement and the Putin–Zelensky summit (the latter two conditional); no
    party opposes Ukrainian neutrality, the Black Sea aim, the Kyiv–Chernihiv de-escalation
    or the review of Ukraine's proposals (Russia for), nor the international security
    guarantee or sanctions relief after the war (Ukraine for).
    """
    frame = frame_of(kg, options, **opts)
    parties = [iri_of("actor", p) for p in parties] if parties is not None else list(frame.parties)
    pos = positions(frame, include_meta=False)
    targets = sorted({t for (_, t) in pos})
    out = []
    for t in targets:
        stances = {p: pos[(p, t)].weight for p in parties if (p, t) in pos}
        if any(w < oppose_below for w in stances.values()):
            continue
        if not stances and not include_silent:
            continue
        endorsed = [p for p in parties if stances.get(p, 0) > 0]
        out.append(
            ConsensusItem(
                proposition=t,
                label=frame.label(t),
                endorsed_by=endorsed,
                silent=[p for p in parties if p not in stances],
                neutral=[p for p in parties if p in stances and stances[p] == 0],
                full=bool(parties) and len(endorsed) == len(parties),
            )
        )
    out.sort(key=lambda c: (not c.full, -len(c.endorsed_by), c.label, c.proposition))
    return out


def _pivotal_actors(
    frame: Any, S: nx.Graph, C: nx.Graph, backend: str | None, k: int | None, seed: int
) -> tuple[list[PivotalActor], str]:
    bc, method = _unsigned_betweenness(S, backend, k, seed)
    pr = (
        pagerank(C, weight="weight", backend=backend)
        if C.number_of_edges()
        else dict.fromkeys(C, 0.0)
    )
    out = []
    for n in S.nodes:
        ws = [d["weight"] for d in S.adj[n].values()]
        pos_s = float(sum(w for w in ws if w > 0))
        neg_s = float(sum(-w for w in ws if w < 0))
        b, p = round(bc.get(n, 0.0), 6), round(pr.get(n, 0.0), 6)
        if b > 0:
            reason = "broker: on shortest paths between other actors in the unsigned actor network"
        elif S.degree(n) == 0:
            reason = "isolated: shares no position with another actor"
        else:
            reason = "peripheral: tied to others but on no shortest path between them"
        if neg_s > pos_s:
            reason += "; draws more conflict than congruence"
        out.append(
            PivotalActor(
                n, frame.label(n), b, p, round(pos_s, 6), round(neg_s, 6), S.degree(n), reason
            )
        )
    out.sort(key=lambda a: (-a.betweenness, -a.pagerank, a.label, a.actor))
    return out, method


def _pivotal_propositions(
    frame: Any, B: nx.Graph, pol: list[Polarisation], backend: str | None, k: int | None, seed: int
) -> tuple[list[PivotalProposition], str]:
    bc, method = _unsigned_betweenness(B, backend, k, seed)
    by_prop = {p.proposition: p for p in pol}
    out = []
    for n, d in B.nodes(data=True):
        if d.get("kind") != "proposition":
            continue
        p = by_prop.get(n)
        b = round(bc.get(n, 0.0), 6)
        contested = bool(p and p.contested)
        if b > 0:
            reason = "bridge: links actors who share no other proposition" + (
                " (and divides them)" if contested else ""
            )
        else:
            reason = "no bridge: its actors are linked anyway, or it has one actor"
        out.append(
            PivotalProposition(
                n, frame.label(n), b, B.degree(n), p.std if p else 0.0, contested, reason
            )
        )
    out.sort(key=lambda x: (-x.betweenness, -x.actors, -x.polarisation, x.label, x.proposition))
    return out, method


def pivotal_actors(
    kg: Any,
    options: Options | None = None,
    *,
    backend: str | None = None,
    betweenness_k: int | None = None,
    seed: int = 0,
    **opts: Any,
) -> list[PivotalActor]:
    """Actors ranked by brokerage (betweenness), then PageRank on the congruence network.

    Betweenness on the unsigned actor network (distance 1/|congruence − conflict|), exact
    up to 500 actors, else sampled (``betweenness_k`` pivots, default 64; see
    :func:`betweenness`); PageRank on the congruence network (weight = congruence).

    Complexity: O(n·m + n² log n) exact, O(k·(m + n log n)) sampled, + O(m) per PageRank
    iteration, on the actor network (n actors, m ties).

    Example (seed): Russia first (the only actor tied both to the doubters of its pledge
    and to the experts), then Ekaterina Piskunova and Justin Massie.
    """
    frame = frame_of(kg, options, **opts)
    S, C = shared_networks(frame)
    return _pivotal_actors(frame, S, C, backend, betweenness_k, seed)[0]


def pivotal_propositions(
    kg: Any,
    options: Options | None = None,
    *,
    backend: str | None = None,
    betweenness_k: int | None = None,
    seed: int = 0,
    **opts: Any,
) -> list[PivotalProposition]:
    """Propositions ranked by betweenness in the unsigned actor–target graph, then engagement.

    Complexity: O(V·E + V² log V) exact (Brandes) up to 500 nodes, O(k·(E + V log V))
    sampled beyond, on the bipartite graph (V actors + targets, E positions).

    Example (seed): the end of the war first (it alone ties Canada to Justin Massie), then
    progress in the talks and the peace agreement.
    """
    frame = frame_of(kg, options, **opts)
    B = signed_bipartite(frame)
    return _pivotal_propositions(frame, B, polarisation(frame), backend, betweenness_k, seed)[0]


MEASURES = {
    "polarisation": "population standard deviation of actors' signed positions (polarity × modality, mean per actor) on the proposition",
    "consensus": "propositions on which at least one principal party took a position and none is below the threshold (default 0)",
    "pivotal_actors.betweenness": "normalised weighted betweenness on the unsigned actor network, distance = 1/|congruence − conflict|: brokers (exact up to 500 actors, else sampled; see methods)",
    "pivotal_actors.pagerank": "PageRank on the congruence network (weight = congruence): actors most agreed with",
    "pivotal_actors.strength": "sum of positive / negative signed tie weights on the signed actor network",
    "pivotal_propositions.betweenness": "normalised weighted betweenness on the unsigned actor–target graph, distance = 1/|position|: issues bridging actor groups",
}


def positions_analysis(
    kg: Any,
    options: Options | None = None,
    *,
    parties: list[str] | None = None,
    oppose_below: float = 0.0,
    include_silent: bool = False,
    backend: str | None = None,
    betweenness_k: int | None = None,
    seed: int = 0,
    **opts: Any,
) -> PositionsReport:
    """Polarisation, consensus set and pivotal actors and propositions, in one report.

    Output: :class:`PositionsReport`; its ``graph`` is the signed bipartite graph with
    ``polarisation`` on proposition nodes and ``betweenness``/``pagerank`` on actor nodes;
    ``methods`` says whether each betweenness was exact or sampled.

    Complexity: dominated by betweenness, O(V·E + V² log V) exact up to 500 nodes,
    O(k·(E + V log V)) sampled beyond.

    Example (seed): see the module docstring and ``Analytics(kg).positions()``.
    """
    frame = frame_of(kg, options, **opts)
    parties = [iri_of("actor", p) for p in parties] if parties is not None else list(frame.parties)
    S, C = shared_networks(frame)  # first: its positions (with meta) give polarisation's
    pol = polarisation(frame)
    cons = consensus_set(
        frame, parties=parties, oppose_below=oppose_below, include_silent=include_silent
    )
    B = signed_bipartite(frame)
    pa, actor_method = _pivotal_actors(frame, S, C, backend, betweenness_k, seed)
    pp, prop_method = _pivotal_propositions(frame, B, pol, backend, betweenness_k, seed)
    for p in pol:
        if p.proposition in B:
            B.nodes[p.proposition]["polarisation"] = p.std
    for a in pa:
        if a.actor in B:
            B.nodes[a.actor]["betweenness"] = a.betweenness
            B.nodes[a.actor]["pagerank"] = a.pagerank
    consensus_ids = {c.proposition for c in cons}
    for n, d in B.nodes(data=True):
        if d.get("kind") == "proposition":
            d["consensus"] = n in consensus_ids
    return PositionsReport(
        options=frame.options.as_dict(),
        parties=parties,
        polarisation=pol,
        consensus=cons,
        pivotal_actors=pa,
        pivotal_propositions=pp,
        measures=MEASURES,
        methods={
            "pivotal_actors.betweenness": actor_method,
            "pivotal_propositions.betweenness": prop_method,
        },
        labels=frame.labels(B.nodes, parties),
        graph=B,
    )

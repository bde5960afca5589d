"""Coalitions: communities on the congruence network, and the signed structural balance
of the actor network (:mod:`.balance`):

- :func:`communities` — seeded, deterministic Louvain on the congruence network, passing
  NetworkX's backend dispatch through;
- :func:`coalitions` — all of it for a stance graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import networkx as nx

from .balance import BalanceResult, Node, _balance_of_edges, _signed_edges
from .frame import frame_of
from .networks import own_copy, shared_networks
from .options import Options
from .triangles import _triangles_of_edges

# --------------------------------------------------------------------------- communities


def communities(
    G: nx.Graph,
    *,
    weight: str = "weight",
    resolution: float = 1.0,
    seed: int = 0,
    backend: str | None = None,
) -> list[list[Node]]:
    """Seeded, deterministic Louvain communities (modularity), largest first.

    A thin wrapper over ``nx.community.louvain_communities`` that fixes the seed, orders
    the result (size descending, then by the first member in graph order) and passes
    ``backend`` through NetworkX's dispatch (e.g. ``"parallel"`` with nx-parallel,
    ``"cugraph"`` with nx-cugraph; ``NETWORKX_BACKEND_PRIORITY`` applies when it is None).
    Isolated nodes are singleton communities.

    Complexity: Louvain is O(m) per pass in practice, O(m log n) overall.
    """
    if G.number_of_nodes() == 0:
        return []
    kw: dict[str, Any] = {"weight": weight, "resolution": resolution, "seed": seed}
    if backend is not None:
        kw["backend"] = backend
    parts = nx.community.louvain_communities(G, **kw)
    order = {n: i for i, n in enumerate(G.nodes)}
    out = [sorted(p, key=order.__getitem__) for p in parts]
    out.sort(key=lambda c: (-len(c), order[c[0]]))
    return out


@dataclass
class Coalition:
    id: int
    members: list[str]
    labels: list[str]
    internal_weight: float
    parties: list[str]  # principal parties in it


@dataclass
class CoalitionReport:
    """Communities on the congruence network plus the signed balance partition."""

    options: dict[str, Any]
    coalitions: list[Coalition]
    modularity: float | None
    balance: BalanceResult
    triangles: dict[str, Any]
    labels: dict[Node, str]  # actor IRI -> label
    seed: int
    network: nx.Graph  # the signed actor network, nodes annotated with coalition and camp
    congruence: nx.Graph

    def coalition_of(self, actor: str) -> Coalition | None:
        return next((c for c in self.coalitions if actor in c.members), None)

    def plot(self, ax: Any = None) -> Any:
        """A matplotlib figure of this report (see :mod:`.plots`)."""
        from .plots import plot_coalitions

        return plot_coalitions(self, ax)

    def tables(self) -> dict[str, Any]:
        """The report as pandas DataFrames: coalitions, camps, ties."""
        import pandas as pd

        b = self.balance
        bad = {frozenset(e) for e in b.frustrated_edges}
        return {
            "coalitions": pd.DataFrame(
                [
                    (c.id, m, lab)
                    for c in self.coalitions
                    for m, lab in zip(c.members, c.labels, strict=True)
                ],
                columns=["coalition", "actor", "label"],
            ),
            "camps": pd.DataFrame(
                [(i, n, self.labels.get(n, n)) for i, camp in enumerate(b.camps) for n in camp],
                columns=["camp", "actor", "label"],
            ),
            "ties": pd.DataFrame(
                [
                    (u, v, d["congruence"], d["conflict"], d["weight"], frozenset((u, v)) in bad)
                    for u, v, d in self.network.edges(data=True)
                ],
                columns=["actor", "other", "congruence", "conflict", "weight", "frustrated"],
            ),
        }

    def as_dict(self) -> dict[str, Any]:
        b = self.balance
        return {
            "options": self.options,
            "seed": self.seed,
            "modularity": self.modularity,
            "coalitions": [
                {
                    "id": c.id,
                    "members": [
                        {"iri": m, "label": lab} for m, lab in zip(c.members, c.labels, strict=True)
                    ],
                    "internal_weight": c.internal_weight,
                    "parties": c.parties,
                }
                for c in self.coalitions
            ],
            "balance": {
                **b.as_dict(),
                "camps": [
                    [{"iri": n, "label": self.labels.get(n, n)} for n in camp] for camp in b.camps
                ],
            },
            "triangles": self.triangles,
            "ties": [
                {
                    "source": u,
                    "target": v,
                    "congruence": d["congruence"],
                    "conflict": d["conflict"],
                    "weight": d["weight"],
                    "sign": d["sign"],
                }
                for u, v, d in self.network.edges(data=True)
            ],
        }


def coalitions(
    kg: Any,
    options: Options | None = None,
    *,
    seed: int = 0,
    resolution: float = 1.0,
    balance_weight: str | None = None,
    exact_limit: int = 20,
    restarts: int = 8,
    backend: str | None = None,
    **opts: Any,
) -> CoalitionReport:
    """Coalitions of a stance graph.

    1. Louvain communities (``seed``, ``resolution``, ``backend``) on
       :func:`~stancegraph.analytics.networks.congruence_network`;
    2. the structural-balance partition (:func:`balance_partition`) of
       :func:`~stancegraph.analytics.networks.signed_actor_network`, with the
       principal parties (``sg:party`` of the negotiations) as anchors, so camp 0 is the
       first principal party's camp (in label order);
    3. the triangle census (:func:`triangle_balance`).

    Output: :class:`CoalitionReport`; its ``network`` is the signed actor network with
    node attributes ``coalition`` (community id) and ``camp`` (0/1, None if isolated).

    Complexity: projection O(Σ_t d_t²) + Louvain O(m log n) + balance (see
    :func:`balance_partition`).

    Example (seed, all holders): see ``Analytics(kg).coalitions()``; with
    ``holders="states"`` the balance camps are {Russia} and {Ukraine, United States,
    United Kingdom}, frustration 1.
    """
    frame = frame_of(kg, options, **opts)
    shared, C = shared_networks(frame)
    S = own_copy(shared)  # nodes get annotated below
    found = communities(C, weight="weight", resolution=resolution, seed=seed, backend=backend)
    parts = cast(list[list[str]], found)  # the actor network's nodes are IRIs
    parts = [p for p in parts if len(p) > 1 or C.degree(p[0]) > 0] or []
    mod = None
    if C.number_of_edges():
        all_parts = [set(p) for p in parts]
        covered = set().union(*all_parts) if all_parts else set()
        all_parts += [{n} for n in C.nodes if n not in covered]
        mod = round(nx.community.modularity(C, all_parts, weight="weight"), 6)
    parties = set(frame.parties)
    coals = []
    for i, members in enumerate(parts, start=1):
        sub = C.subgraph(members)
        coals.append(
            Coalition(
                id=i,
                members=list(members),
                labels=[frame.label(m) for m in members],
                internal_weight=round(sub.size(weight="weight"), 9),
                parties=[m for m in members if m in parties],
            )
        )
    signed = _signed_edges(S, "weight", "sign")  # shared by the balance and the triangles
    by = balance_weight or "weight"
    bal_edges = signed if by == "weight" else _signed_edges(S, by, "sign")
    bal = _balance_of_edges(
        S, bal_edges, balance_weight, exact_limit, restarts, seed, frame.parties
    )
    coalition_of: dict[Node, int] = {}
    for x in coals:
        for m in x.members:
            coalition_of.setdefault(m, x.id)
    camp_of: dict[Node, int] = {}
    for i, camp in enumerate(bal.camps):
        for node in camp:
            camp_of.setdefault(node, i)
    for n in S.nodes:
        S.nodes[n]["coalition"] = coalition_of.get(n, 0)
        S.nodes[n]["camp"] = camp_of.get(n)
    return CoalitionReport(
        options=frame.options.as_dict(),
        coalitions=coals,
        modularity=mod,
        balance=bal,
        triangles=_triangles_of_edges(S, signed),
        labels={n: frame.label(n) for n in S.nodes},
        seed=seed,
        network=S,
        congruence=C,
    )

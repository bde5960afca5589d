"""A seeded spring layout of the stance network, for the web explorer."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx

from .frame import frame_of
from .networks import signed_bipartite
from .options import Options


@dataclass
class Layout:
    """Node positions for drawing the stance network (actors and propositions)."""

    seed: int
    options: dict[str, Any]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    total_nodes: int = 0
    total_edges: int = 0
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def layout(
    kg: Any,
    options: Options | None = None,
    *,
    seed: int = 42,
    iterations: int = 50,
    max_nodes: int = 400,
    **opts: Any,
) -> Layout:
    """Seeded spring layout of the signed actor–target graph (for the web explorer).

    Nodes: actors, propositions and stances that are targets of meta-stances, each with
    ``id``, ``kind`` (actor / proposition / stance), ``label``, ``x``, ``y`` in [−1, 1].
    Edges: ``source`` (actor), ``target``, ``polarity`` (key or "mixed"), ``weight``
    (signed position), ``sign``, ``kind`` (stance / meta), ``count``. Attraction grows with
    |weight| (neutral stances still attract a little). Same seed and data, same layout.
    Graphs over ``max_nodes`` (at most 499) keep their ``max_nodes`` most engaged nodes
    (by degree, then total |weight|) and say so (``truncated``, ``total_nodes``): a
    drawing of thousands of nodes is unreadable, and NetworkX's spring layout needs SciPy
    from 500 nodes on.

    Complexity: O(E + V log V) to select, O(iterations · V²) for the layout (dense
    Fruchterman–Reingold on at most ``max_nodes`` nodes).
    """
    frame = frame_of(kg, options, **opts)
    full = signed_bipartite(frame)
    max_nodes = max(1, min(int(max_nodes), 499))
    B = full
    if len(full) > max_nodes:
        strength = {n: 0.0 for n in full}
        for u, v, d in full.edges(data=True):
            strength[u] += d["abs_weight"]
            strength[v] += d["abs_weight"]
        keep = sorted(full, key=lambda n: (-full.degree(n), -strength[n], n))[:max_nodes]
        order = {n: i for i, n in enumerate(full)}
        B = full.subgraph(sorted(keep, key=order.__getitem__)).copy()
    for _, _, d in B.edges(data=True):
        d["layout_weight"] = 0.25 + d["abs_weight"]
    pos = (
        nx.spring_layout(B, seed=seed, weight="layout_weight", iterations=iterations)
        if len(B)
        else {}
    )
    nodes = [
        {
            "id": n,
            "kind": d.get("kind", "proposition"),
            "label": d.get("label", n),
            "x": round(float(pos[n][0]), 4),
            "y": round(float(pos[n][1]), 4),
        }
        for n, d in B.nodes(data=True)
    ]
    edges = [
        {
            "source": u if B.nodes[u].get("kind") == "actor" else v,
            "target": v if B.nodes[u].get("kind") == "actor" else u,
            "polarity": d["polarity"],
            "weight": d["weight"],
            "sign": d["sign"],
            "kind": d["kind"],
            "count": d["count"],
        }
        for u, v, d in B.edges(data=True)
    ]
    return Layout(
        seed,
        frame.options.as_dict(),
        nodes,
        edges,
        total_nodes=full.number_of_nodes(),
        total_edges=full.number_of_edges(),
        truncated=B is not full,
    )

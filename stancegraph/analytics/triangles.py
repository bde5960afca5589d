"""Balanced and unbalanced triangles of a signed graph (Cartwright–Harary): a triangle is
balanced when the product of its edge signs is positive."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from .balance import Node, _signed_edges


def triangle_balance(G: nx.Graph, *, sign: str = "sign", dense_limit: int = 2000) -> dict[str, Any]:
    """Balanced and unbalanced triangles (a triangle is balanced iff its sign product > 0).

    Output: ``{"balanced": int, "unbalanced": int, "ratio": balanced/total or None}``.
    Complexity: up to ``dense_limit`` nodes, O(n³) dense matrix products in numpy
    (trace(A³)/6 counts sign products, trace(|A|³)/6 triangles); beyond, O(m^1.5) by
    enumeration (each triangle found once from its lowest-ranked node).

    Example: (+,+,+) and (+,−,−) are balanced, (−,−,−) and (+,+,−) are not.
    """
    return _triangles_of_edges(G, _signed_edges(G, "weight", sign), dense_limit)


def _triangles_of_edges(
    G: nx.Graph, edges: list[tuple[Node, Node, int, float]], dense_limit: int = 2000
) -> dict[str, Any]:
    """:func:`triangle_balance` given ``_signed_edges(G, "weight", sign)``."""
    if 0 < len(G) <= dense_limit:
        index = {n: i for i, n in enumerate(G.nodes)}
        M = np.zeros((len(G), len(G)))
        for u, v, s, _ in edges:
            M[index[u], index[v]] = M[index[v], index[u]] = s
        Ab = np.abs(M)
        total = int(np.rint(np.trace(Ab @ Ab @ Ab) / 6))
        net = int(np.rint(np.trace(M @ M @ M) / 6))
        bal, unbal = (total + net) // 2, (total - net) // 2
        return {"balanced": bal, "unbalanced": unbal, "ratio": (bal / total) if total else None}
    sgn: dict[frozenset[Node], int] = {}
    adj: dict[Node, set[Node]] = {n: set() for n in G.nodes}
    for u, v, s, _ in edges:
        sgn[frozenset((u, v))] = s
        adj[u].add(v)
        adj[v].add(u)
    rank = {n: (len(adj[n]), i) for i, n in enumerate(G.nodes)}
    bal = unbal = 0
    for u in G.nodes:
        higher = [v for v in adj[u] if rank[v] > rank[u]]
        for i, v in enumerate(higher):
            for w in higher[i + 1 :]:
                if w in adj[v]:
                    p = sgn[frozenset((u, v))] * sgn[frozenset((v, w))] * sgn[frozenset((u, w))]
                    if p > 0:
                        bal += 1
                    else:
                        unbal += 1
    total = bal + unbal
    return {"balanced": bal, "unbalanced": unbal, "ratio": (bal / total) if total else None}

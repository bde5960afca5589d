"""Betweenness and PageRank, equal to NetworkX's, at a fraction of the cost.

Why not just NetworkX: its weighted Brandes looks every edge up through dictionaries and a
weight callback, which made betweenness 90% of the positions analysis on the 1M-triple
benchmark (two sampled runs of 64 Dijkstra searches on a dense actor network). Here the
graph is turned into integer adjacency lists once; on dense graphs the searches from 64
sources run in lockstep with their relaxations in numpy, sparse ones in a tight loop.

The algorithm is NetworkX's own, step for step (``_single_source_dijkstra_path_basic``,
``_accumulate_basic`` and ``_rescale`` of ``networkx.algorithms.centrality.betweenness``):
same heap order (distance, push counter), same exact float comparisons, same accumulation
order, same pivots (``random.Random(seed).sample``), so the scores are the same floats,
not just close ones (the tests compare them on generated graphs).
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Sequence
from heapq import heappop, heappush
from typing import Any

import networkx as nx
import numpy as np

# Graphs with this average degree search from BATCH sources at once, relaxing edges with
# numpy; sparser ones one source at a time in plain Python (less overhead per node).
DENSE_DEGREE = 48
BATCH = 64


def betweenness_centrality(
    G: nx.Graph, *, weight: str, k: int | None = None, seed: int = 0
) -> dict[Hashable, float]:
    """``nx.betweenness_centrality(G, k, normalized=True, weight=weight, seed=seed)``.

    For an undirected simple graph with positive edge weights (``weight``; missing: 1).
    Complexity: O(s·(m + n log n)) for s sources (n, or k pivots).
    """
    nodes = list(G)
    index = _index(nodes)
    nbrs = [[index[w] for w in G.adj[v]] for v in nodes]
    wts = [[d.get(weight, 1) for d in G.adj[v].values()] for v in nodes]
    return _betweenness(nodes, nbrs, wts, k, seed)


def betweenness_of_edges(
    nodes: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable, float]],
    *,
    k: int | None = None,
    seed: int = 0,
) -> dict[Hashable, float]:
    """:func:`betweenness_centrality` of the graph ``nodes`` + ``edges`` (u, v, length) would
    make, without making it (adjacency in the order ``nx.Graph.add_edges_from`` gives)."""
    nodes = list(nodes)
    index = _index(nodes)
    nbrs: list[list[int]] = [[] for _ in nodes]
    wts: list[list[float]] = [[] for _ in nodes]
    for u, v, w in edges:
        i, j = index[u], index[v]
        nbrs[i].append(j)
        wts[i].append(w)
        if i != j:
            nbrs[j].append(i)
            wts[j].append(w)
    return _betweenness(nodes, nbrs, wts, k, seed)


def _betweenness(
    nodes: list[Hashable], nbrs: list[list[int]], wts: list[list[float]], k: int | None, seed: int
) -> dict[Hashable, float]:
    n = len(nodes)
    if k is not None and k >= n:
        k = None
    index = _index(nodes)
    sources = (
        list(range(n)) if k is None else [index[x] for x in random.Random(seed).sample(nodes, k)]
    )
    bc = [0.0] * n
    if n and sum(map(len, nbrs)) >= DENSE_DEGREE * n:
        indptr = np.cumsum([0, *map(len, nbrs)])
        flat_nbrs = np.fromiter((w for x in nbrs for w in x), dtype=np.intp, count=int(indptr[-1]))
        flat_wts = np.fromiter((w for x in wts for w in x), dtype=float, count=int(indptr[-1]))
        for i in range(0, len(sources), BATCH):
            batch = sources[i : i + BATCH]
            for s, (order, preds, sigma) in zip(
                batch, _dijkstra_batch(n, indptr, flat_nbrs, flat_wts, batch), strict=True
            ):
                _accumulate(bc, order, preds, sigma, s)
    else:
        for s in sources:
            order, preds, sigma = _dijkstra_sparse(n, nbrs, wts, s)
            _accumulate(bc, order, preds, sigma, s)
    return _rescale(nodes, bc, k, sources)


def _index(nodes: Sequence[Hashable]) -> dict[Hashable, int]:
    return {x: i for i, x in enumerate(nodes)}


def _dijkstra_sparse(
    n: int, nbrs: list[list[int]], wts: list[list[float]], s: int
) -> tuple[list[int], list[list[int]], list[float]]:
    """Shortest-path DAG from ``s``: settle order, predecessors, path counts."""
    order: list[int] = []
    preds: list[list[int]] = [[]] * n  # every reached node gets its own list when first pushed
    preds[s] = []
    sigma = [0.0] * n
    sigma[s] = 1.0
    seen = [math.inf] * n
    seen[s] = 0
    done = [False] * n
    push, pop, append = heappush, heappop, order.append
    c = 1
    Q: list[tuple[float, int, int, int]] = [(0, 0, s, s)]
    while Q:
        dist, _, pred, v = pop(Q)
        if done[v]:
            continue
        sigma[v] += sigma[pred]
        append(v)
        done[v] = True
        sv = sigma[v]
        for w, wt in zip(nbrs[v], wts[v]):  # noqa: B905 (same lengths by construction)
            vw = dist + wt
            if vw < seen[w]:
                if done[w]:
                    continue
                seen[w] = vw
                push(Q, (vw, c, v, w))
                c += 1
                sigma[w] = 0.0
                preds[w] = [v]
            elif vw == seen[w]:
                sigma[w] += sv
                preds[w].append(v)
    return order, preds, sigma


def _dijkstra_batch(
    n: int, indptr: np.ndarray, nbrs: np.ndarray, wts: np.ndarray, sources: list[int]
) -> list[tuple[list[int], list[list[int]], list[float]]]:
    """:func:`_dijkstra_sparse` from several sources in lockstep, relaxations in numpy.

    Each step settles one node per source (its own heap, as in the loop) and relaxes the
    edges of all of them with one set of array operations; pushes then happen per source
    in adjacency order, so heaps, ties and predecessor lists are the loop's own.
    """
    R = len(sources)
    rows_all = np.arange(R)
    seen = np.full((R, n), np.inf)
    done = np.zeros((R, n), dtype=bool)
    sigma = np.zeros((R, n))
    seen[rows_all, sources] = 0.0
    sigma[rows_all, sources] = 1.0
    heaps: list[list[tuple[float, int, int, int]]] = [[(0, 0, s, s)] for s in sources]
    counters = [1] * R
    orders: list[list[int]] = [[] for _ in range(R)]
    preds: list[list[list[int]]] = [[[]] * n for _ in range(R)]
    for r, s in enumerate(sources):
        preds[r][s] = []
    alive = list(range(R))
    while alive:
        rows: list[int] = []
        settled: list[int] = []
        dists: list[float] = []
        for r in alive:
            q, d_r = heaps[r], done[r]
            while q:
                dist, _, pred, v = heappop(q)
                if d_r[v]:
                    continue
                sigma[r, v] += sigma[r, pred]
                d_r[v] = True
                orders[r].append(v)
                rows.append(r)
                settled.append(v)
                dists.append(dist)
                break
        alive = rows
        if not rows:
            break
        v_arr = np.asarray(settled, dtype=np.intp)
        starts = indptr[v_arr]
        lens = indptr[v_arr + 1] - starts
        total = int(lens.sum())
        if not total:
            continue
        k = np.repeat(np.arange(len(rows)), lens)  # which settled node each edge leaves
        pos = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens) + starts[k]
        r_arr = np.asarray(rows, dtype=np.intp)[k]
        w = nbrs[pos]
        vw = np.asarray(dists, dtype=float)[k] + wts[pos]
        sn = seen[r_arr, w]
        new = ~done[r_arr, w] & (vw < sn)
        eq = ~new & (vw == sn)
        if new.any():
            rn, wn = r_arr[new], w[new]
            seen[rn, wn] = vw[new]
            sigma[rn, wn] = 0.0
            for i, wi, d in zip(k[new].tolist(), wn.tolist(), vw[new].tolist(), strict=True):
                r, v = rows[i], settled[i]
                heappush(heaps[r], (d, counters[r], v, wi))
                counters[r] += 1
                preds[r][wi] = [v]
        if eq.any():
            re_, we = r_arr[eq], w[eq]
            sigma[re_, we] += sigma[re_, v_arr[k[eq]]]
            for i, wi in zip(k[eq].tolist(), we.tolist(), strict=True):
                preds[rows[i]][wi].append(settled[i])
    return [(orders[r], preds[r], sigma[r].tolist()) for r in range(R)]


def _accumulate(
    bc: list[float], order: list[int], preds: list[list[int]], sigma: list[float], s: int
) -> None:
    delta: dict[int, float] = dict.fromkeys(order, 0)
    while order:
        w = order.pop()
        coeff = (1 + delta[w]) / sigma[w]
        for v in preds[w]:
            delta[v] += sigma[v] * coeff
        if w != s:
            bc[w] += delta[w]


def _rescale(
    nodes: list[Hashable], bc: list[float], k: int | None, sources: list[int]
) -> dict[Hashable, float]:
    """NetworkX's normalisation without endpoints: over (s, t) pairs that could pass v."""
    out = dict(zip(nodes, bc, strict=True))
    N = len(nodes) - 1
    if N < 2:
        return out
    if k is None:
        scale = 1 / (N * (N - 1))
        if scale != 1:
            for v in out:
                out[v] *= scale
        return out
    scale_source = 1 / ((k - 1) * (N - 1)) if k > 1 else math.nan
    scale_nonsource = 1 / (k * (N - 1))
    sampled = {nodes[i] for i in sources}
    for v in out:
        out[v] *= scale_source if v in sampled else scale_nonsource
    return out


def pagerank_power(
    G: nx.Graph,
    *,
    weight: str = "weight",
    alpha: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> dict[Hashable, float]:
    """PageRank by power iteration (dangling nodes spread uniformly), vectorised.

    The textbook iteration NetworkX runs (its SciPy version), for when SciPy is missing;
    O(m) per iteration in numpy. Undirected graphs count each edge both ways.
    """
    nodes = list(G)
    n = len(nodes)
    if n == 0:
        return {}
    index = _index(nodes)
    src: list[int] = []
    dst: list[int] = []
    w: list[float] = []
    directed = G.is_directed()
    for u, v, d in G.edges(data=True):
        x = d.get(weight, 1.0)
        src.append(index[u])
        dst.append(index[v])
        w.append(x)
        if not directed and u != v:
            src.append(index[v])
            dst.append(index[u])
            w.append(x)
    s_arr = np.asarray(src, dtype=np.intp)
    d_arr = np.asarray(dst, dtype=np.intp)
    w_arr = np.asarray(w, dtype=float)
    out_w = np.bincount(s_arr, weights=w_arr, minlength=n)
    dangling = out_w == 0
    share_w = np.divide(w_arr, out_w[s_arr], out=np.zeros_like(w_arr), where=out_w[s_arr] != 0)
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        last = x
        base = (1.0 - alpha) / n + alpha * last[dangling].sum() / n
        x = base + alpha * np.bincount(d_arr, weights=last[s_arr] * share_w, minlength=n)
        if np.abs(x - last).sum() < n * tol:
            break
    return dict(zip(nodes, x.tolist(), strict=True))


# --------------------------------------------------------------------------- dispatch
# NetworkX's backend dispatch (``backend=``) where one is asked for, else the functions above.


def _kw(backend: str | None) -> dict[str, Any]:
    return {} if backend is None else {"backend": backend}


def pagerank(
    G: nx.Graph,
    *,
    weight: str = "weight",
    alpha: float = 0.85,
    backend: str | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> dict[Any, float]:
    """PageRank through NetworkX's dispatch; without SciPy, the same power iteration in numpy.

    ``nx.pagerank`` needs SciPy, which stancegraph does not require; with a ``backend`` (or
    SciPy installed) NetworkX computes it, otherwise this falls back to the textbook power
    iteration (dangling nodes spread uniformly), equal to NetworkX's result within ``tol``.
    Complexity: O(m) per iteration.
    """
    try:
        return nx.pagerank(
            G, alpha=alpha, weight=weight, tol=tol, max_iter=max_iter, **_kw(backend)
        )
    except ModuleNotFoundError:
        if backend not in (None, "networkx"):
            raise
    return pagerank_power(G, weight=weight, alpha=alpha, tol=tol, max_iter=max_iter)


EXACT_BETWEENNESS_NODES = 500
SAMPLED_PIVOTS = 64


def betweenness(
    G: nx.Graph,
    *,
    weight: str | None = "distance",
    k: int | None = None,
    seed: int = 0,
    exact_limit: int = EXACT_BETWEENNESS_NODES,
    backend: str | None = None,
) -> tuple[dict[Any, float], str]:
    """Normalised betweenness through NetworkX's dispatch, exact or pivot-sampled.

    Exact (Brandes, O(n·m + n² log n) weighted) up to ``exact_limit`` nodes; beyond, or
    when ``k`` is given, estimated from ``k`` (default 64) seeded source pivots (Brandes &
    Pich 2007), O(k·(m + n log n)): linear in the graph for a fixed k.
    Output: ``(scores, method)`` with method ``"exact"`` or ``"sampled k=…"``.
    """
    if len(G) == 0:
        return {}, "exact"
    k = _pivots(len(G), k, exact_limit)
    if (
        backend in (None, "networkx")
        and weight is not None
        and not G.is_directed()
        and not G.is_multigraph()
    ):
        scores = betweenness_centrality(G, weight=weight, k=k, seed=seed)  # NetworkX's, faster
        return scores, _method(k)
    kw: dict[str, Any] = {"weight": weight, "normalized": True, **_kw(backend)}
    if k is not None:
        kw.update(k=k, seed=seed)
    return nx.betweenness_centrality(G, **kw), _method(k)


def _pivots(n: int, k: int | None, exact_limit: int) -> int | None:
    """The pivot count for ``n`` nodes: ``k``, else 64 above ``exact_limit``; None = exact."""
    if k is None and n > exact_limit:
        k = SAMPLED_PIVOTS
    return None if k is not None and k >= n else k


def _method(k: int | None) -> str:
    return "exact" if k is None else f"sampled k={k}"


def _unsigned(G: nx.Graph) -> nx.Graph:
    U = nx.Graph()
    U.add_nodes_from(G.nodes)
    U.add_edges_from(
        (u, v, {"distance": 1.0 / d["abs_weight"]})
        for u, v, d in G.edges(data=True)
        if d["abs_weight"] > 0
    )
    return U


def _unsigned_betweenness(
    G: nx.Graph, backend: str | None, k: int | None, seed: int
) -> tuple[dict[Any, float], str]:
    """:func:`betweenness` of ``_unsigned(G)``; by default without building that graph."""
    if backend not in (None, "networkx"):
        return betweenness(_unsigned(G), k=k, seed=seed, backend=backend)
    if len(G) == 0:
        return {}, "exact"
    k = _pivots(len(G), k, EXACT_BETWEENNESS_NODES)
    edges = ((u, v, 1.0 / d["abs_weight"]) for u, v, d in G.edges(data=True) if d["abs_weight"] > 0)
    return betweenness_of_edges(list(G.nodes), edges, k=k, seed=seed), _method(k)

"""Projections: the stance graph as NetworkX graphs, each a pure function of a
:class:`~.frame.Frame`: the signed actor–target bipartite graph, actor positions, and the
actor–actor congruence / conflict / signed networks (Discourse Network Analysis).

Signed weights
    A stance's signed weight is ``polarity weight × modality weight`` (the ``rdf:value``
    of its two SKOS concepts): "support, asserted" is +1, "skeptical, asserted" −0.5,
    "support, possible" +0.5. An actor's *position* on a target is the mean signed weight
    of its current stances on it (stances superseded, via ``sg:supersedes``, by a stance
    in the frame are dropped first).

Worked example on the seed::

    >>> import stancegraph
    >>> from stancegraph.analytics.networks import signed_bipartite
    >>> B = signed_bipartite(stancegraph.open())
    >>> ID = "https://w3id.org/stancegraph/id/"
    >>> B.edges[ID + "actor/russia", ID + "proposition/ukrainian-neutrality"]["weight"]
    1.0
    >>> B.edges[ID + "actor/ukraine", ID + "stance/russia-pledges-reduced-activity-kyiv-chernihiv"]["kind"]
    'meta'
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .frame import Frame, StanceRow, frame_of, graph_meta
from .options import Options

# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class Position:
    """An actor's aggregated position on one target (a proposition or a stance)."""

    holder: str
    target: str
    kind: str  # "stance" (on a proposition) | "meta" (on a stance)
    weight: float  # mean signed weight of the stances
    stances: tuple[str, ...]
    polarities: tuple[str, ...]
    modalities: tuple[str, ...]

    @property
    def sign(self) -> int:
        return _sign(self.weight)


def _sign(w: float, eps: float = 1e-12) -> int:
    return 0 if abs(w) <= eps else (1 if w > 0 else -1)


def positions(
    frame: Frame, *, include_meta: bool = True, include_nominations: bool = False
) -> dict[tuple[str, str], Position]:
    """Each holder's position per target: the mean signed weight of its current stances.

    Guarantor nominations are left out by default: they support the guarantee *with a
    given guarantor* (see :func:`nomination_graph`), and counting each one as support for
    the guarantee would weigh the nominator's position by the number of names it gave.

    O(S) time for S stances in the frame; computed once per frame and options (the
    result is shared: do not mutate it).
    """
    key = ("positions", include_meta, include_nominations)
    if key not in frame.memo:
        with_meta = frame.memo.get(("positions", True, include_nominations))
        if not include_meta and with_meta is not None:  # the same groups, less the meta ones
            frame.memo[key] = {k: p for k, p in with_meta.items() if p.kind != "meta"}
        else:
            frame.memo[key] = _positions(frame, include_meta, include_nominations)
    return frame.memo[key]


def _positions(
    frame: Frame, include_meta: bool, include_nominations: bool
) -> dict[tuple[str, str], Position]:
    groups: dict[tuple[str, str], list[StanceRow]] = defaultdict(list)
    for row in frame.stances:
        if row.is_nomination and not include_nominations:
            continue
        if row.target_kind == "stance" and not include_meta:
            continue
        groups[(row.holder, row.target)].append(row)
    out: dict[tuple[str, str], Position] = {}
    for key, rows in sorted(groups.items()):
        w = sum(r.weight for r in rows) / len(rows)
        out[key] = Position(
            holder=key[0],
            target=key[1],
            kind="meta" if rows[0].target_kind == "stance" else "stance",
            weight=round(w, 12),
            stances=tuple(r.stance for r in rows),
            polarities=tuple(r.polarity for r in rows),
            modalities=tuple(r.modality for r in rows),
        )
    return out


def _one_or_mixed(values: Iterable[str]) -> str:
    vals = sorted(set(values))
    return vals[0] if len(vals) == 1 else "mixed"


def _actor_node(G: nx.Graph, frame: Frame, a: str, **extra: Any) -> None:
    info = frame.actors.get(a)
    G.add_node(
        a,
        kind="actor",
        label=frame.label(a),
        actor_type=info.type if info else "Actor",
        holder_kind=info.kind if info else "unknown",
        state=info.state if info else None,
        **extra,
    )


def _target_node(G: nx.Graph, frame: Frame, t: str, *, meta: bool) -> None:
    """A target of the bipartite graph: a proposition (with its demand type), or for a
    meta-stance the stance it is about (with that stance's holder, target and polarity)."""
    extra: dict[str, Any]
    if meta:
        row = frame.all_stances.get(t)
        kind = "stance"
        extra = {
            "holder": row.holder if row else None,
            "target": row.target if row else None,
            "polarity": row.polarity if row else None,
        }
    else:
        info = frame.propositions.get(t)
        kind = "proposition"
        extra = {"demand_type": info.demand_type if info else None}
    G.add_node(t, bipartite=1, kind=kind, label=frame.label(t), **extra)


# --------------------------------------------------------------------------- projections


def signed_bipartite(
    kg: Any,
    options: Options | None = None,
    *,
    include_meta: bool = True,
    include_nominations: bool = False,
    **opts: Any,
) -> nx.Graph:
    """Signed actor–target bipartite graph.

    Inputs: a graph (or a :class:`Frame`), :class:`Options` or the keyword options
    ``as_of``, ``source``, ``holders``; ``include_meta`` keeps stances on stances,
    ``include_nominations`` counts guarantor nominations as support for the guarantee.

    Output: an undirected ``nx.Graph``. Actor nodes have ``bipartite=0``,
    ``kind="actor"``; target nodes ``bipartite=1`` and ``kind="proposition"`` or
    ``kind="stance"`` (the target of a meta-stance, with its ``holder``). One edge per
    (holder, target) with ``weight`` (the position: mean of polarity × modality, in
    [−1, 1]), ``sign`` (+1/0/−1), ``abs_weight``, ``kind`` (``"stance"`` on a
    proposition, ``"meta"`` on a stance), ``polarity`` and ``modality`` (the key, or
    ``"mixed"``), ``count`` and ``stances`` (the stance IRIs).

    Complexity: O(S) for S stances in the frame.

    Example (seed): ``signed_bipartite(kg)`` links the four doubters of Russia's pledge
    (Ukraine, Ukraine's General Staff, the United States, the United Kingdom) to the
    pledge stance by ``kind="meta"`` edges of weight −0.5.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.Graph(kind="signed-bipartite", **graph_meta(frame))
    for (holder, target), pos in positions(
        frame, include_meta=include_meta, include_nominations=include_nominations
    ).items():
        if holder not in G:
            _actor_node(G, frame, holder, bipartite=0)
        if target not in G:
            _target_node(G, frame, target, meta=pos.kind == "meta")
        G.add_edge(
            holder,
            target,
            weight=pos.weight,
            sign=pos.sign,
            abs_weight=abs(pos.weight),
            kind=pos.kind,
            polarity=_one_or_mixed(pos.polarities),
            modality=_one_or_mixed(pos.modalities),
            count=len(pos.stances),
            stances=pos.stances,
        )
    return G


@dataclass(frozen=True)
class _Tie:
    a: str
    b: str
    congruence: float
    conflict: float
    agree: tuple[str, ...]
    disagree: tuple[str, ...]


def _ties(frame: Frame, include_meta: bool) -> list[_Tie]:
    """Pairwise congruence and conflict (the signed one-mode projection B·Bᵀ), by (a, b).

    Once per frame. The pairs are generated per target with numpy and grouped by a stable
    sort; each pair's sums are then accumulated target by target in label order, exactly
    as a loop would (same floats), and ``agree``/``disagree`` list those targets.
    """
    key = ("ties", include_meta)
    if key not in frame.memo:
        frame.memo[key] = _compute_ties(frame, include_meta)
    return frame.memo[key]


def _held_positions(frame: Frame, include_meta: bool) -> dict[str, dict[str, float]]:
    """Nonzero positions by target, then holder: what the actor ties multiply."""
    by_target: dict[str, dict[str, float]] = defaultdict(dict)
    for (holder, target), pos in positions(frame, include_meta=include_meta).items():
        if pos.sign != 0:
            by_target[target][holder] = pos.weight
    if include_meta:
        # The holder of a stance that others take a stance on endorses its own stance (+1)
        # unless it said otherwise: so a doubter is tied (negatively) to the doubted holder.
        for target, held in by_target.items():
            row = frame.all_stances.get(target)
            owner = row.holder if row else None
            if owner and owner not in held and frame.holder_ok(owner):
                held[owner] = 1.0
    return by_target


def _compute_ties(frame: Frame, include_meta: bool) -> list[_Tie]:
    by_target = _held_positions(frame, include_meta)
    holders = sorted({h for held in by_target.values() for h in held})
    index = {h: i for i, h in enumerate(holders)}
    targets = sorted(t for t, held in by_target.items() if len(held) > 1)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    triu: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for ti, target in enumerate(targets):
        held = sorted(by_target[target].items())
        d = len(held)
        if d not in triu:
            triu[d] = np.triu_indices(d, 1)  # (0,1), (0,2), …, (1,2), …: the nested-loop order
        iu, ju = triu[d]
        idx = np.fromiter((index[h] for h, _ in held), dtype=np.int64, count=d)
        w = np.fromiter((x for _, x in held), dtype=float, count=d)
        parts.append((idx[iu], idx[ju], np.full(len(iu), ti, dtype=np.int64), w[iu] * w[ju]))
    if not parts:
        return []
    a, b, t, prod = (np.concatenate(x) for x in zip(*parts, strict=True))
    pair = a * len(holders) + b
    order = np.argsort(pair, kind="stable")  # stable: targets stay in label order per pair
    pair, a, b, t, prod = pair[order], a[order], b[order], t[order], prod[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    lengths = np.diff(np.r_[starts, len(pair)])
    agree = prod > 0
    congruence = _segment_sums(np.where(agree, prod, 0.0), starts, lengths)
    conflict = _segment_sums(np.where(agree, 0.0, -prod), starts, lengths)
    names = np.array(targets, dtype=object)
    agree_names = names[t[agree]].tolist()
    disagree_names = names[t[~agree]].tolist()
    seg = np.repeat(np.arange(len(starts)), lengths)
    agree_end = np.cumsum(np.bincount(seg[agree], minlength=len(starts))).tolist()
    disagree_end = np.cumsum(np.bincount(seg[~agree], minlength=len(starts))).tolist()
    out: list[_Tie] = []
    a0 = d0 = 0
    for i, (ai, bi, c, f) in enumerate(
        zip(
            a[starts].tolist(),
            b[starts].tolist(),
            congruence.tolist(),
            conflict.tolist(),
            strict=True,
        )
    ):
        a1, d1 = agree_end[i], disagree_end[i]
        out.append(
            _Tie(
                holders[ai],
                holders[bi],
                c,
                f,
                tuple(agree_names[a0:a1]),
                tuple(disagree_names[d0:d1]),
            )
        )
        a0, d0 = a1, d1
    return out


def _segment_sums(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sum of each segment, added left to right from 0.0 (the floats a Python loop gives).

    Vectorised across segments: step k adds every segment's k-th value, so the cost is
    O(total + longest segment) numpy operations, and each sum keeps its own order.
    """
    by_len = np.argsort(-lengths, kind="stable")
    s_starts, s_lengths = starts[by_len], lengths[by_len]
    acc = np.zeros(len(starts))
    active = len(starts)
    for k in range(int(s_lengths[0]) if len(s_lengths) else 0):
        while active and s_lengths[active - 1] <= k:
            active -= 1
        acc[:active] += values[s_starts[:active] + k]
    out = np.empty_like(acc)
    out[by_len] = acc
    return out


def signed_actor_network(
    kg: Any, options: Options | None = None, *, include_meta: bool = True, **opts: Any
) -> nx.Graph:
    """Signed actor–actor network (the Discourse Network Analysis one-mode projection).

    For two actors a and b with positions w_a,t and w_b,t on a shared target t, the
    product w_a,t·w_b,t is *congruence* when positive (both for, or both against) and
    *conflict* when negative. Summed over shared targets: ``congruence`` ≥ 0,
    ``conflict`` ≥ 0, ``weight = congruence − conflict`` (signed), ``sign``,
    ``abs_weight``, ``distance = 1/abs_weight`` (for path-based centralities), and the
    targets behind them in ``agree`` and ``disagree``. Neutral positions tie nobody.

    Meta-stances (``include_meta``): a stance that others take a stance on is itself a
    target, on which its holder's position is +1 (it stands by what it said). So actors
    who doubt Russia's pledge are congruent with one another and in conflict with Russia.

    Output: ``nx.Graph`` over all holders in the frame (isolates included), node
    attributes ``label``, ``actor_type``, ``holder_kind``, ``state``.

    Complexity: O(Σ_t d_t²) for d_t actors with a position on target t: the size of the
    projection itself (linear in stances when few actors share each target).

    Example (seed, ``holders="states"``): Russia–United States has weight −0.5 (the US
    doubts Russia's pledge); Russia–Ukraine congruence 1.75 (progress in the talks 1×1,
    the peace agreement 0.5×0.5, the summit 0.5×1), conflict 0.5 (Ukraine doubts Russia's
    pledge), weight 1.25.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.Graph(kind="signed-actor-network", **graph_meta(frame))
    for row in frame.stances:
        if row.holder not in G:
            _actor_node(G, frame, row.holder)
    for t in _ties(frame, include_meta):
        for x in (t.a, t.b):
            if x not in G:
                _actor_node(G, frame, x)
        w = round(t.congruence - t.conflict, 12)
        G.add_edge(
            t.a,
            t.b,
            congruence=round(t.congruence, 12),
            conflict=round(t.conflict, 12),
            weight=w,
            sign=_sign(w),
            abs_weight=abs(w),
            distance=(1.0 / abs(w)) if w else math.inf,
            agree=tuple(t.agree),
            disagree=tuple(t.disagree),
        )
    return G


def shared_networks(frame: Frame, include_meta: bool = True) -> tuple[nx.Graph, nx.Graph]:
    """The signed actor network and its congruence network, built once per frame.

    For analyses that only read them (positions, and coalitions for the congruence side):
    building the actor network is a good part of their cost on large graphs. Do not mutate.
    """
    key = ("networks", include_meta)
    if key not in frame.memo:
        S = signed_actor_network(frame, include_meta=include_meta)
        frame.memo[key] = (S, _one_sided(S, "congruence"))
    return frame.memo[key]


def own_copy(G: nx.Graph) -> nx.Graph:
    """A copy of a shared graph to annotate: fresh graph, node and edge attribute dicts.

    Cheaper than ``G.copy()`` (one pass over the edges, not two) and it keeps the order of
    ``G.nodes`` and ``G.edges``, which the seeded heuristics depend on.
    """
    H = G.__class__()
    H.graph.update(G.graph)
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from(G.edges(data=True))
    return H


def congruence_network(
    kg: Any, options: Options | None = None, *, include_meta: bool = True, **opts: Any
) -> nx.Graph:
    """Actor–actor congruence network: ties weighted by agreement only.

    Same nodes as :func:`signed_actor_network`; an edge wherever ``congruence > 0``, with
    ``weight = congruence``, ``distance = 1/weight`` and the targets agreed on
    (``agree``). Complexity as :func:`signed_actor_network`.

    Example (seed): the United States and the United Kingdom are congruent (0.25: both
    doubt Russia's pledge).
    """
    return _one_sided(
        signed_actor_network(kg, options, include_meta=include_meta, **opts), "congruence"
    )


def conflict_network(
    kg: Any, options: Options | None = None, *, include_meta: bool = True, **opts: Any
) -> nx.Graph:
    """Actor–actor conflict network: ties weighted by disagreement only.

    An edge wherever ``conflict > 0``, with ``weight = conflict`` and the targets
    disagreed on (``disagree``). Complexity as :func:`signed_actor_network`.

    Example (seed): Ekaterina Piskunova and the United Kingdom conflict (1.0: she calls
    more lethal weapons for Ukraine counter-productive; the UK plans to send them), scaled
    by the UK stance's modality (reported, 0.75): weight 0.75.
    """
    return _one_sided(
        signed_actor_network(kg, options, include_meta=include_meta, **opts), "conflict"
    )


def _one_sided(S: nx.Graph, attr: str) -> nx.Graph:
    G = nx.Graph(**{**S.graph, "kind": f"{attr}-network"})
    G.add_nodes_from(S.nodes(data=True))
    keep = "agree" if attr == "congruence" else "disagree"
    for u, v, d in S.edges(data=True):
        w = d[attr]
        if w > 0:
            G.add_edge(u, v, weight=w, distance=1.0 / w, **{keep: d[keep]})
    return G

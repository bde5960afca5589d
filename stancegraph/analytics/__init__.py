"""Network analytics on the stance graph: coalitions, guarantees, sequencing and influence.

One module per family, modelled on NetworkX's ``algorithms/``; every function documents
its inputs, output, complexity and a worked example on the seed data:

- :mod:`.projections` — RDF → NetworkX: the signed actor–target bipartite graph, the
  actor–actor congruence / conflict / signed networks (Discourse Network Analysis), the
  condition dependency digraph and the guarantor nomination digraph;
- :mod:`.coalitions` — seeded Louvain communities on the congruence network; signed
  structural balance (frustration index; exact up to 20 nodes per component, a seeded
  spectral + local-search heuristic beyond);
- :mod:`.guarantors` — nominees, modality, own statements, contests, acceptability,
  alliance overlap;
- :mod:`.conditions` — deadlocks, blocked propositions, feasible sequencing, critical
  preconditions;
- :mod:`.positions` — polarisation, consensus set, pivotal actors and propositions;
- :mod:`.history` — an actor's position on a target over time, and its changes
  (``sg:supersedes``);
- :mod:`.sources` — where two sources attribute different stances, guarantor lists or
  conditions to the same actor at the same occasion;
- :mod:`.materialize` — results as RDF in the derived graph ``id/graph/analytics``;
- :mod:`.export` — GraphML, GEXF, node-link JSON.

Entry point: ``Analytics(kg)`` (or ``Analytics.of(kg)``, shared per graph), which caches
frames, graphs and reports per (data version, options)::

    >>> import stancegraph
    >>> from stancegraph.analytics import Analytics
    >>> an = Analytics.of(stancegraph.open())
    >>> an.guarantors().by_modality["possible"]      # Turkey, Germany, Poland, Israel
    >>> an.coalitions(holders="states").balance.frustration
    1
    >>> an.conditions().deadlocks
    []
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx

from ..memo import BoundedCache
from . import export as _export
from . import projections as _projections
from .coalitions import (
    BalanceResult,
    Coalition,
    CoalitionReport,
    balance_partition,
    coalitions,
    communities,
    frustration,
    triangle_balance,
)
from .conditions import (
    ConditionReport,
    condition_analysis,
    critical_preconditions,
    deadlocks,
    sequencing,
)
from .export import sanitize, to_gexf, to_graphml, to_node_link
from .gcpause import paused_gc
from .guarantors import GuarantorReport, guarantor_analysis
from .history import PositionChange, PositionHistory, PositionPoint, position_history
from .materialize import (
    ANALYTICS,
    MaterializeReport,
    data_version,
    ensure_materialized,
    is_current,
    materialize,
)
from .positions import (
    PositionsReport,
    consensus_set,
    pivotal_actors,
    pivotal_propositions,
    polarisation,
    positions_analysis,
)
from .projections import (
    Frame,
    Options,
    conflict_network,
    congruence_network,
    dependency_graph,
    load_frame,
    nomination_graph,
    signed_actor_network,
    signed_bipartite,
)
from .sources import SourceComparison, compare_sources

__all__ = [
    "ANALYTICS",
    "Analytics",
    "BalanceResult",
    "Coalition",
    "CoalitionReport",
    "ConditionReport",
    "Frame",
    "GuarantorReport",
    "Layout",
    "MaterializeReport",
    "Options",
    "PositionChange",
    "PositionHistory",
    "PositionPoint",
    "PositionsReport",
    "SourceComparison",
    "balance_partition",
    "coalitions",
    "communities",
    "compare_sources",
    "condition_analysis",
    "conflict_network",
    "congruence_network",
    "consensus_set",
    "critical_preconditions",
    "data_version",
    "deadlocks",
    "dependency_graph",
    "ensure_materialized",
    "frustration",
    "guarantor_analysis",
    "is_current",
    "layout",
    "load_frame",
    "materialize",
    "nomination_graph",
    "pivotal_actors",
    "pivotal_propositions",
    "polarisation",
    "position_history",
    "positions_analysis",
    "sanitize",
    "sequencing",
    "signed_actor_network",
    "signed_bipartite",
    "to_gexf",
    "to_graphml",
    "to_node_link",
    "triangle_balance",
]

# Which graph each analysis exports (CLI --export, Analytics.export).
GRAPHS = {
    "coalitions": "the signed actor network, nodes with coalition and camp",
    "guarantors": "the guarantor nomination digraph",
    "conditions": "the condition dependency digraph",
    "positions": "the signed actor–target bipartite graph, with polarisation and centralities",
    "bipartite": "the signed actor–target bipartite graph",
    "congruence": "the actor congruence network",
    "conflict": "the actor conflict network",
}


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
    frame = _projections.frame_of(kg, options, **opts)
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


_INSTANCES: weakref.WeakKeyDictionary[Any, Analytics] = weakref.WeakKeyDictionary()
_INSTANCES_LOCK = threading.Lock()


ANALYTICS_CACHE_BYTES = 512 * 1024 * 1024  # frames and graphs of one data version


class Analytics:
    """Analytics over one stance graph, cached per (data version, options).

    ``Analytics(kg)`` works on any object with ``.store`` (``version``, ``query``,
    ``replace``, ``named_graphs``) and ``.select``; ``Analytics.of(kg)`` returns the one
    shared instance for ``kg`` (what ``kg.analytics`` gives). Options everywhere:
    ``as_of`` (date or ISO string), ``source`` (slug or IRI), ``holders``
    ("states" / "actors" / "all"), or an :class:`Options`.

    Results are cached: a second call with the same data version and options costs a
    dictionary lookup. Returned graphs and reports are shared: copy before mutating.

    With ``auto_materialize`` (default), the first analysis after a data change also
    regenerates the derived RDF graph (:mod:`.materialize`), so SPARQL sees fresh results.
    ``seed`` and ``backend`` are the defaults for randomised and dispatchable algorithms.
    """

    def __init__(
        self, kg: Any, *, seed: int = 0, backend: str | None = None, auto_materialize: bool = True
    ):
        self.kg = kg
        self.seed = seed
        self.backend = backend
        self.auto_materialize = auto_materialize
        # Per (kind, options): options come from API requests, so the cache is bounded.
        self._cache: BoundedCache[tuple[Any]] = BoundedCache(ANALYTICS_CACHE_BYTES, 256)
        self._cache_version: int | None = None
        self._lock = threading.RLock()
        self._suspended = 0

    def __repr__(self) -> str:
        return f"<Analytics of {self.kg!r}, seed {self.seed}, data version {self.data_version}>"

    @classmethod
    def of(cls, kg: Any) -> Analytics:
        """The shared instance for ``kg`` (created on first use)."""
        with _INSTANCES_LOCK:
            try:
                an = _INSTANCES.get(kg)
                if an is None:
                    an = _INSTANCES[kg] = cls(kg)
                return an
            except TypeError:  # not weak-referenceable: no sharing
                return cls(kg)

    # -- versioning and caching
    @property
    def data_version(self) -> int:
        """The data version the caches are keyed on (own analytics writes excluded)."""
        return data_version(self.kg)

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        v = self.data_version
        with self._lock:
            if self._cache_version != v:
                self._cache.clear()
                self._cache_version = v
            hit = self._cache.get(key)
            if hit is not None:
                return hit[0]
        with paused_gc():
            value = compute()
        with self._lock:
            if self._cache_version == v:
                self._cache.put(key, (value,))
        return value

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    @contextlib.contextmanager
    def no_auto_materialize(self) -> Iterator[None]:
        with self._lock:
            self._suspended += 1
        try:
            yield
        finally:
            with self._lock:
                self._suspended -= 1

    def _auto(self) -> None:
        if self.auto_materialize and not self._suspended and not is_current(self.kg):
            ensure_materialized(self.kg)

    @staticmethod
    def options(options: Options | None = None, **opts: Any) -> Options:
        return Options.make(options, **opts)

    def frame(self, options: Options | None = None, **opts: Any) -> Frame:
        """The filtered source data for ``options`` (cached)."""
        o = self._checked(Options.make(options, **opts))
        return self._cached(("frame", o), lambda: load_frame(self.kg, o, version=self.data_version))

    def _checked(self, options: Options) -> Options:
        """Options whose source exists (a typo must not read as "no stances")."""
        if options.source is not None:
            from ..ids import resolve_id
            from ..terms import mint

            given = options.source.removeprefix(mint("source", ""))  # as the user typed it
            resolve_id(self.kg, "source", given, "source")
        return options

    def _ids(self, kind: str, field: str, values: Any) -> tuple[str, ...] | None:
        """User-given ids (short or IRIs) of existing resources, as IRIs."""
        if not values:
            return None
        from ..ids import resolve_ids

        return tuple(resolve_ids(self.kg, kind, values, field))

    def _graph(
        self, name: str, fn: Any, options: Options | None, opts: dict[str, Any], **kw: Any
    ) -> Any:
        o = self._checked(Options.make(options, **opts))
        key = (name, o, tuple(sorted(kw.items())))
        return self._cached(key, lambda: fn(self.frame(o), **kw))

    # -- projections (NetworkX graphs)
    def bipartite(
        self,
        options: Options | None = None,
        *,
        include_meta: bool = True,
        include_nominations: bool = False,
        **opts: Any,
    ) -> nx.Graph:
        """:func:`~.projections.signed_bipartite`."""
        return self._graph(
            "bipartite",
            signed_bipartite,
            options,
            opts,
            include_meta=include_meta,
            include_nominations=include_nominations,
        )

    def actor_network(
        self, options: Options | None = None, *, include_meta: bool = True, **opts: Any
    ) -> nx.Graph:
        """:func:`~.projections.signed_actor_network`."""
        return self._graph("signed", signed_actor_network, options, opts, include_meta=include_meta)

    def congruence(
        self, options: Options | None = None, *, include_meta: bool = True, **opts: Any
    ) -> nx.Graph:
        """:func:`~.projections.congruence_network`."""
        return self._graph(
            "congruence", congruence_network, options, opts, include_meta=include_meta
        )

    def conflict(
        self, options: Options | None = None, *, include_meta: bool = True, **opts: Any
    ) -> nx.Graph:
        """:func:`~.projections.conflict_network`."""
        return self._graph("conflict", conflict_network, options, opts, include_meta=include_meta)

    def dependencies(self, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
        """:func:`~.projections.dependency_graph`."""
        return self._graph("dependencies", dependency_graph, options, opts)

    def nominations(self, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
        """:func:`~.projections.nomination_graph`."""
        return self._graph("nominations", nomination_graph, options, opts)

    # -- analyses (reports)
    def coalitions(
        self,
        options: Options | None = None,
        *,
        seed: int | None = None,
        resolution: float = 1.0,
        balance_weight: str | None = None,
        backend: str | None = None,
        **opts: Any,
    ) -> CoalitionReport:
        """:func:`~.coalitions.coalitions`: communities and the balance partition."""
        self._auto()
        return self._graph(
            "coalitions",
            coalitions,
            options,
            opts,
            seed=self.seed if seed is None else seed,
            resolution=resolution,
            balance_weight=balance_weight,
            backend=backend or self.backend,
        )

    def balance(
        self, options: Options | None = None, *, weight: str | None = None, **opts: Any
    ) -> BalanceResult:
        """The structural-balance partition of the signed actor network."""
        return self.coalitions(options, balance_weight=weight, **opts).balance

    def guarantors(
        self, options: Options | None = None, *, parties: list[str] | None = None, **opts: Any
    ) -> GuarantorReport:
        """:func:`~.guarantors.guarantor_analysis`."""
        self._auto()
        return self._graph(
            "guarantors",
            guarantor_analysis,
            options,
            opts,
            parties=self._ids("actor", "party", parties),
        )

    def conditions(
        self, options: Options | None = None, *, met: list[str] | tuple[str, ...] = (), **opts: Any
    ) -> ConditionReport:
        """:func:`~.conditions.condition_analysis`."""
        self._auto()
        met_iris = sorted(self._ids("proposition", "met", met) or ())
        return self._graph("conditions", condition_analysis, options, opts, met=tuple(met_iris))

    def positions(
        self,
        options: Options | None = None,
        *,
        parties: list[str] | None = None,
        oppose_below: float = 0.0,
        include_silent: bool = False,
        backend: str | None = None,
        **opts: Any,
    ) -> PositionsReport:
        """:func:`~.positions.positions_analysis`."""
        self._auto()
        return self._graph(
            "positions",
            positions_analysis,
            options,
            opts,
            parties=self._ids("actor", "party", parties),
            oppose_below=oppose_below,
            include_silent=include_silent,
            backend=backend or self.backend,
            seed=self.seed,
        )

    def history(
        self, holder: str, target: str | None = None, *, expectations: bool = False
    ) -> PositionHistory:
        """:func:`~.history.position_history`: the holder's position over time."""
        return self._cached(
            ("history", holder, target, expectations),
            lambda: position_history(self.kg, holder, target, expectations=expectations),
        )

    def sources(self, a: str, b: str) -> SourceComparison:
        """:func:`~.sources.compare_sources`: where two sources disagree."""
        return self._cached(("sources", a, b), lambda: compare_sources(self.kg, a, b))

    def layout(
        self,
        options: Options | None = None,
        *,
        seed: int = 42,
        iterations: int = 50,
        max_nodes: int = 400,
        **opts: Any,
    ) -> Layout:
        """:func:`layout`: seeded spring layout for the web explorer."""
        return self._graph(
            "layout", layout, options, opts, seed=seed, iterations=iterations, max_nodes=max_nodes
        )

    # -- derived RDF and exports
    def materialize(self, *, force: bool = False) -> MaterializeReport:
        """Write the derived analytics graph (:func:`.materialize.materialize`)."""
        return materialize(self.kg, force=force, seed=self.seed, analytics=self)

    def ensure_materialized(self) -> bool:
        return ensure_materialized(self.kg)

    def graph(self, which: str, options: Options | None = None, **opts: Any) -> nx.Graph:
        """The NetworkX graph behind an analysis (see ``GRAPHS``)."""
        if which == "coalitions":
            return self.coalitions(options, **opts).network
        if which == "guarantors":
            return self.nominations(options, **opts)
        if which == "conditions":
            return self.dependencies(options, **opts)
        if which == "positions":
            return self.positions(options, **opts).graph
        if which == "bipartite":
            return self.bipartite(options, **opts)
        if which == "congruence":
            return self.congruence(options, **opts)
        if which == "conflict":
            return self.conflict(options, **opts)
        raise ValueError(f"unknown graph {which!r} (known: {', '.join(GRAPHS)})")

    def export(
        self, which: str, fmt: str, path: Any = None, options: Options | None = None, **opts: Any
    ) -> str:
        """Export an analysis graph as GraphML, GEXF or node-link JSON."""
        return _export.export(self.graph(which, options, **opts), fmt, path)

"""The entry point: ``Analytics(kg)`` (or ``Analytics.of(kg)``, shared per graph), every
analysis of one graph with its frames, graphs and reports cached per (data version,
options), and the derived RDF graph kept current."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import networkx as nx

from . import export as _export
from .balance import BalanceResult
from .coalitions import CoalitionReport, coalitions
from .conditions import (
    ConditionReport,
    condition_analysis,
)
from .digraphs import dependency_graph, nomination_graph
from .frame import Frame, cached, clear_cache, frame_of
from .guarantors import GuarantorReport, guarantor_analysis
from .history import PositionHistory, position_history
from .layout import Layout, layout
from .materialize import MaterializeReport, materialize_with
from .networks import conflict_network, congruence_network, signed_actor_network, signed_bipartite
from .options import Options
from .positions import (
    PositionsReport,
    positions_analysis,
)
from .sources import SourceComparison, compare_sources
from .state import data_version, is_current, writable

GRAPHS = {
    "coalitions": "the signed actor network, nodes with coalition and camp",
    "guarantors": "the guarantor nomination digraph",
    "conditions": "the condition dependency digraph",
    "positions": "the signed actor–target bipartite graph, with polarisation and centralities",
    "bipartite": "the signed actor–target bipartite graph",
    "congruence": "the actor congruence network",
    "conflict": "the actor conflict network",
}

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
        return cached(self.kg, key, compute)

    def clear_cache(self) -> None:
        clear_cache(self.kg)

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
        return frame_of(self.kg, options, **opts)

    def _ids(self, kind: str, field: str, values: Any) -> tuple[str, ...] | None:
        """User-given ids (short or IRIs) of existing resources, as IRIs."""
        if not values:
            return None
        from ..ids import resolve_ids

        return tuple(resolve_ids(self.kg, kind, values, field))

    def _graph(
        self, name: str, fn: Any, options: Options | None, opts: dict[str, Any], **kw: Any
    ) -> Any:
        frame = frame_of(self.kg, options, **opts)
        key = (name, frame.options, tuple(sorted(kw.items())))
        return self._cached(key, lambda: fn(frame, **kw))

    # -- projections (NetworkX graphs)
    def bipartite(
        self,
        options: Options | None = None,
        *,
        include_meta: bool = True,
        include_nominations: bool = False,
        **opts: Any,
    ) -> nx.Graph:
        """:func:`~.networks.signed_bipartite`."""
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
        """:func:`~.networks.signed_actor_network`."""
        return self._graph("signed", signed_actor_network, options, opts, include_meta=include_meta)

    def congruence(
        self, options: Options | None = None, *, include_meta: bool = True, **opts: Any
    ) -> nx.Graph:
        """:func:`~.networks.congruence_network`."""
        return self._graph(
            "congruence", congruence_network, options, opts, include_meta=include_meta
        )

    def conflict(
        self, options: Options | None = None, *, include_meta: bool = True, **opts: Any
    ) -> nx.Graph:
        """:func:`~.networks.conflict_network`."""
        return self._graph("conflict", conflict_network, options, opts, include_meta=include_meta)

    def dependencies(self, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
        """:func:`~.digraphs.dependency_graph`."""
        return self._graph("dependencies", dependency_graph, options, opts)

    def nominations(self, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
        """:func:`~.digraphs.nomination_graph`."""
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
        return materialize_with(self.kg, self, force=force, seed=self.seed)

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


def materialize(
    kg: Any, *, force: bool = False, seed: int = 0, analytics: Analytics | None = None
) -> MaterializeReport:
    """(Re)write the derived analytics graph of ``kg`` (:func:`.materialize.materialize_with`)."""
    return materialize_with(kg, analytics or Analytics.of(kg), force=force, seed=seed)


def ensure_materialized(kg: Any) -> bool:
    """Regenerate the analytics graph if the data changed since it was derived.

    Returns True when it wrote. Cheap when current (two integer comparisons).
    """
    if is_current(kg) or not writable(kg):
        return False
    return materialize(kg).written

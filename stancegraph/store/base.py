"""The ``Store`` protocol: what the rest of stancegraph needs from a quad store.

Two implementations: :class:`stancegraph.store.embedded.OxigraphStore` (pyoxigraph, in
memory or on disk) and :class:`stancegraph.store.remote.SparqlHttpStore` (any SPARQL 1.1
endpoint). Besides the protocol's methods, both offer what the write path reads and commits
(``graph_quads``, ``quads_matching``, ``quads_about``, ``existing``, ``commit``), ``flush``,
``bulk_load`` and a ``read_only`` flag.

Both subclass :class:`Store`, so the public signatures and what they normalise (unbound
values, the dataset, the graphs and subjects to drop) live here once; a store implements
the small hooks ``_query`` and ``_replace``, and may override the defaults.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import pyoxigraph as ox

from ..change import Change

GraphName = str | None  # None = the default graph


class Dataset(NamedTuple):
    """The RDF dataset a query runs on, in the SPARQL 1.1 Protocol's terms.

    ``default_graph``: the graphs merged into the default graph (``""``: the store's own
    default graph); when it is None, ``union`` makes the default graph the union of all
    graphs, else it is the store's own. ``named_graphs``: the graphs ``GRAPH`` may see
    (None: all of them).
    """

    union: bool = True
    default_graph: Sequence[str] | None = None
    named_graphs: Sequence[str] | None = None


@runtime_checkable
class Store(Protocol):
    """What the rest of stancegraph needs from a quad store.

    The stores subclass it for its defaults; code that only uses a store may take any
    object with these methods (a protocol: structural typing).
    """

    version: int

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        union_default_graph: bool = True,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> Any:
        """Run a query: pyoxigraph's ``QuerySolutions``, ``QueryBoolean`` or ``QueryTriples``.

        ``substitutions`` bind variables to values (a ``None`` value leaves its variable
        unbound); a bound variable must be in the SELECT projection, else ``ValueError``.
        The other arguments describe the dataset (:class:`Dataset`).
        """
        bound = {k: v for k, v in substitutions.items() if v is not None} if substitutions else {}
        return self._query(sparql, bound, Dataset(union_default_graph, default_graph, named_graphs))

    def _query(self, sparql: str, bound: Mapping[str, Any], dataset: Dataset) -> Any:
        """``query`` with its bound values (none ``None``) and its dataset in one value."""
        ...

    def update(self, sparql: str) -> None: ...

    def load(self, data: bytes | str, fmt: ox.RdfFormat, graph: GraphName = None) -> None: ...

    def replace(
        self,
        *,
        drop_graphs: Iterable[str] = (),
        drop_subjects: Mapping[str, Iterable[str]] | None = None,
        insert_nquads: str = "",
    ) -> None:
        """Drop graphs and subjects' triples (``{graph: subjects}``), then insert quads: all
        or nothing."""
        subjects = {g: sorted(set(s)) for g, s in (drop_subjects or {}).items() if s}
        self._replace(sorted(set(drop_graphs)), subjects, insert_nquads)

    def _replace(self, graphs: list[str], subjects: dict[str, list[str]], nquads: str) -> None:
        """``replace`` with each graph and subject once, in order, and no empty subject list."""
        ...

    def named_graphs(self) -> list[str]: ...

    def dump(self, fmt: ox.RdfFormat, graph: GraphName = None) -> bytes: ...

    def __len__(self) -> int: ...

    # -- what the write path reads and commits (``stancegraph.writes``)
    read_only: bool

    def flush(self) -> None: ...

    def graph_quads(self, graph: str) -> Iterable[ox.Quad]: ...

    def quads_matching(
        self, subject: Any = None, predicate: Any = None, obj: Any = None
    ) -> Iterable[ox.Quad]: ...

    def quads_about(
        self,
        nodes: Iterable[Any],
        predicate: Any = None,
        *,
        outgoing: bool = True,
        limit: int | None = None,
    ) -> Iterable[ox.Quad]:
        """Quads in any graph with one of ``nodes`` as subject (``outgoing``) or object (at
        most ``limit`` per node); one ``quads_matching`` per node."""
        for n in nodes:
            found = (
                self.quads_matching(n, predicate, None)
                if outgoing
                else self.quads_matching(None, predicate, n)
            )
            yield from (found if limit is None else itertools.islice(found, limit))

    def existing(self, quads: Iterable[ox.Quad]) -> set[ox.Quad]: ...

    def commit(self, change: Change) -> None: ...

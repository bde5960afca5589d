"""The ``Store`` protocol: what the rest of stancegraph needs from a quad store.

Two implementations: :class:`stancegraph.store.embedded.OxigraphStore` (pyoxigraph, in
memory or on disk) and :class:`stancegraph.store.remote.SparqlHttpStore` (any SPARQL 1.1
endpoint). Besides the protocol's methods, both offer what the write path reads and commits
(``graph_quads``, ``quads_matching``, ``quads_about``, ``existing``, ``commit``), ``flush``,
``bulk_load`` and a ``read_only`` flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox

from ..change import Change

GraphName = str | None  # None = the default graph


@runtime_checkable
class Store(Protocol):
    """What the rest of stancegraph needs from a quad store."""

    version: int

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        union_default_graph: bool = True,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> Any: ...

    def update(self, sparql: str) -> None: ...

    def load(self, data: bytes | str, fmt: ox.RdfFormat, graph: GraphName = None) -> None: ...

    def replace(
        self,
        *,
        drop_graphs: Iterable[str] = (),
        drop_subjects: Mapping[str, Iterable[str]] | None = None,
        insert_nquads: str = "",
    ) -> None: ...

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
    ) -> Iterable[ox.Quad]: ...

    def existing(self, quads: Iterable[ox.Quad]) -> set[ox.Quad]: ...

    def commit(self, change: Change) -> None: ...

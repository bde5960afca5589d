"""A change to a store: the quads it removes and adds, and the named graphs it creates or
drops. Every writer (SPARQL Update, the Graph Store, ``load``, the JSON write routes)
computes one of these first; it is validated, then committed exactly as validated.

Blank nodes: a blank node the change *introduces* (from an ``INSERT`` template, ``INSERT
DATA``, an uploaded file) is written as a fresh blank node; one that already exists in the
store is addressed by its identity, bound through a custom function, since SPARQL text can
only name fresh ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import pyoxigraph as ox

BNODE_FN = ox.NamedNode("urn:x-stancegraph:fn:bnode")


@dataclass
class Change:
    """A net change relative to a store's state: nothing in ``deletes`` is absent from the
    store and nothing in ``inserts`` is present in it."""

    deletes: set[ox.Quad] = field(default_factory=set)
    inserts: set[ox.Quad] = field(default_factory=set)
    created: set[str] = field(default_factory=set)  # named graphs that come into existence
    dropped: set[str] = field(default_factory=set)  # named graphs that stop existing
    new_bnodes: set[str] = field(default_factory=set)  # blank-node ids the change introduces

    def __bool__(self) -> bool:
        return bool(self.deletes or self.inserts or self.created or self.dropped)

    def __repr__(self) -> str:
        return (
            f"Change(-{len(self.deletes)} +{len(self.inserts)} quads, "
            f"graphs +{sorted(self.created)} -{sorted(self.dropped)})"
        )

    def graphs(self) -> set[str]:
        """Named graphs the change touches."""
        names = {q.graph_name.value for q in self.deletes | self.inserts if _named(q.graph_name)}
        return names | self.created | self.dropped

    def merge(
        self,
        deletes: Iterable[ox.Quad],
        inserts: Iterable[ox.Quad],
        in_base: Callable[[ox.Quad], bool],
        *,
        created: Iterable[str] = (),
        dropped: Iterable[str] = (),
    ) -> None:
        """Apply one operation's effect on top of this change (deletes first, then inserts,
        as SPARQL Update does), keeping it net against the base store (``in_base``)."""
        for q in deletes:
            if q in self.inserts:
                self.inserts.discard(q)
            elif in_base(q):
                self.deletes.add(q)
        for q in inserts:
            if q in self.deletes:
                self.deletes.discard(q)
            elif q not in self.inserts and not in_base(q):
                self.inserts.add(q)
        for g in dropped:
            if g in self.created:
                self.created.discard(g)
            else:
                self.dropped.add(g)
        for g in created:
            if g in self.dropped:
                self.dropped.discard(g)
            else:
                self.created.add(g)

    def contains_after(self, q: ox.Quad, in_base: Callable[[ox.Quad], bool]) -> bool:
        """Whether ``q`` is in the store once this change is applied."""
        return q in self.inserts or (q not in self.deletes and in_base(q))


def _named(g: Any) -> TypeGuard[ox.NamedNode]:
    return isinstance(g, ox.NamedNode)


def _graph_key(q: ox.Quad) -> str:
    return q.graph_name.value if _named(q.graph_name) else ""


def commit_update(change: Change) -> tuple[str, dict[ox.NamedNode, Any]]:
    """The change as one SPARQL Update (one transaction in the engine) and the custom
    functions it needs. Terms are written by pyoxigraph (``str(term)`` is N-Triples
    syntax), never spliced from raw input."""
    variables: dict[str, str] = {}

    def term(t: Any) -> str:
        if isinstance(t, ox.BlankNode) and t.value not in change.new_bnodes:
            return variables.setdefault(t.value, f"?_b{len(variables)}")
        return str(t)

    def block(quads: Iterable[ox.Quad]) -> str:
        by_graph: dict[str, list[str]] = {}
        for q in quads:
            line = f"{term(q.subject)} {term(q.predicate)} {term(q.object)} ."
            by_graph.setdefault(_graph_key(q), []).append(line)
        parts = [
            f"GRAPH <{g}> {{\n" + "\n".join(lines) + "\n}" if g else "\n".join(lines)
            for g, lines in sorted(by_graph.items())
        ]
        return "{\n" + "\n".join(parts) + "\n}"

    deletes, inserts = (
        block(sorted(change.deletes, key=str)),
        block(sorted(change.inserts, key=str)),
    )
    ops: list[str] = []
    if variables:
        binds = " ".join(
            f'BIND(<{BNODE_FN.value}>("{bid}") AS {var})' for bid, var in variables.items()
        )
        ops.append(f"DELETE {deletes} INSERT {inserts} WHERE {{ {binds} }}")
    else:
        if change.deletes:
            ops.append(f"DELETE DATA {deletes}")
        if change.inserts:
            ops.append(f"INSERT DATA {inserts}")
    ops += [f"DROP SILENT GRAPH <{g}>" for g in sorted(change.dropped)]
    ops += [f"CREATE SILENT GRAPH <{g}>" for g in sorted(change.created)]
    functions = {BNODE_FN: lambda lit: ox.BlankNode(lit.value)} if variables else {}
    return " ;\n".join(ops), functions

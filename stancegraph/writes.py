"""Validated writes on any store: compute the change, validate it, commit it atomically.

Every writer goes through :class:`Writer`: SPARQL Update (``/sparql``, the CLI), the Graph
Store Protocol, ``stancegraph load`` into a store that holds data, and the JSON write
routes. The cost of a write follows the change, not the store:

1. the change is computed without copying the store (``stancegraph.sparql.plan``);
2. only the focus nodes it can affect are validated, over the triples their shapes read
   (``stancegraph.validation.change``);
3. the change that was validated is committed, as it is, in one transaction
   (``Store.commit``). A rejected write changes nothing.

Writers are serialised by a lock (one writer at a time per store object), so two
concurrent writes never lose each other's changes: the second is computed against the
first one's result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .change import Change
from .sparql.plan import Evaluator, LocalEvaluator, Planner, UpdateError
from .validation.change import SUBCLASS, ChangeReport, forget_closures, validate_change
from .validation.reference import ValidationFailed, ValidationReport

__all__ = ["Change", "UpdateError", "ValidationFailed", "WriteOutcome", "Writer"]


@dataclass
class WriteOutcome:
    """What a write did: quads added and removed, and the store's data version after it."""

    added: int
    removed: int
    version: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    report: ValidationReport | None = None  # the SHACL verdict, when the write was validated

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "removed": self.removed, "version": self.version}


class Writer:
    """The one validated write path of a store.

    ``evaluator`` runs the engine on client text (default: in this process; the HTTP
    service passes sandboxed workers). ``on_commit`` is called after every commit (the
    service refreshes its readers and schedules analytics there)."""

    def __init__(
        self,
        store: Any,
        *,
        evaluator: Evaluator | None = None,
        validate: bool = True,
        allow_outbound: bool = False,
        on_commit: Callable[[Change], None] | None = None,
    ):
        self.store = store
        self.evaluator = evaluator or LocalEvaluator(_raw_query(store))
        self.validate = validate
        self.allow_outbound = allow_outbound
        self.on_commit = on_commit
        self.lock = threading.RLock()

    # -- entry points -------------------------------------------------------------------

    def update(
        self,
        text: str,
        *,
        base_iri: str | None = None,
        using: Sequence[str] = (),
        using_named: Sequence[str] = (),
        dry_run: bool = False,
    ) -> WriteOutcome:
        """Apply a SPARQL Update. Raises ``UpdateError`` (syntax, failure, refused) or
        ``ValidationFailed`` (nothing written)."""
        with self.lock:
            t0 = time.perf_counter()
            planner = Planner(
                self.store,
                self.evaluator,
                base_iri=base_iri,
                allow_outbound=self.allow_outbound,
                using=using,
                using_named=using_named,
            )
            try:
                change = planner.plan(text)
            except SyntaxError as exc:
                raise UpdateError("update_syntax", f"SPARQL update syntax error: {exc}") from None
            plan_ms = (time.perf_counter() - t0) * 1000
            outcome = self._commit(change, dry_run=dry_run)
            outcome.timings_ms["plan"] = plan_ms
            return outcome

    def apply(self, change: Change, *, dry_run: bool = False) -> WriteOutcome:
        """Validate and commit a change computed by the caller (Graph Store, loads, JSON)."""
        with self.lock:
            existing = self.store.existing(change.deletes | change.inserts)
            net = Change(
                deletes={q for q in change.deletes if q in existing},
                inserts={q for q in change.inserts if q not in existing},
                created=set(change.created),
                dropped=set(change.dropped),
                new_bnodes=set(change.new_bnodes),
            )
            return self._commit(net, dry_run=dry_run)

    def replace_graph(
        self, graph: str, quads: Iterable[ox.Quad], *, new_bnodes: Iterable[str] = ()
    ) -> WriteOutcome:
        """Make ``graph`` (``""``: the default graph) hold exactly ``quads``."""
        with self.lock:
            exists = not graph or graph in self.store.named_graphs()
            old = set(self.store.graph_quads(graph)) if exists else set()
            new = set(quads)
            change = Change(deletes=old - new, inserts=new - old, new_bnodes=set(new_bnodes))
            if not exists:
                change.created.add(graph)
            return self._commit(change)

    def drop_graph(self, graph: str) -> WriteOutcome:
        """Remove a graph and all its quads (``""``: empty the default graph)."""
        with self.lock:
            change = Change(deletes=set(self.store.graph_quads(graph)))
            if graph:
                change.dropped.add(graph)
            return self._commit(change)

    # -- the commit ---------------------------------------------------------------------

    def check(self, change: Change) -> ChangeReport:
        """The SHACL verdict on the store with ``change`` applied (nothing is written)."""
        return validate_change(self.store, change)

    def _commit(self, change: Change, *, dry_run: bool = False) -> WriteOutcome:
        timings: dict[str, float] = {}
        report = ValidationReport(True, checked_triples=0) if self.validate else None
        if not change:
            return WriteOutcome(0, 0, self.store.version, timings, report)
        if self.validate and (change.deletes or change.inserts):
            t0 = time.perf_counter()
            report = self.check(change).report
            timings["validate"] = (time.perf_counter() - t0) * 1000
            if not report.conforms:
                raise ValidationFailed(report)
        added, removed = len(change.inserts), len(change.deletes)
        if dry_run:
            return WriteOutcome(added, removed, self.store.version, timings, report)
        t0 = time.perf_counter()
        self.store.commit(change)
        timings["commit"] = (time.perf_counter() - t0) * 1000
        if any(q.predicate.value == SUBCLASS for q in change.deletes | change.inserts):
            forget_closures(self.store)
        if self.on_commit is not None:
            self.on_commit(change)
        return WriteOutcome(added, removed, self.store.version, timings, report)


def _raw_query(store: Any) -> Callable[..., Any]:
    """A query function taking pyoxigraph's keyword arguments (dataset as terms)."""
    raw = getattr(store, "raw", None)
    if raw is not None:
        return raw.query

    def query(sparql: str, **kwargs: Any) -> Any:
        default = kwargs.pop("default_graph", None)
        named = kwargs.pop("named_graphs", None)
        kwargs.pop("base_iri", None)
        return store.query(
            sparql,
            default_graph=None
            if default is None
            else ["" if isinstance(g, ox.DefaultGraph) else g.value for g in default],
            named_graphs=None if named is None else [g.value for g in named],
            union_default_graph=False,
        )

    return query

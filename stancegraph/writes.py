"""Validated writes on any store: compute the change, validate it, commit it atomically.

Every writer goes through :class:`Writer`: SPARQL Update (``/sparql``, the CLI), the Graph
Store Protocol, ``stancegraph load`` into a store that holds data, and the JSON write
routes. The cost of a write follows the change, not the store:

1. the change is computed without copying the store (``stancegraph.sparql.plan``);
2. only the focus nodes it can affect are validated, over the triples their shapes read
   (``stancegraph.validation.change``);
3. the change that was validated is committed, as it is, in one transaction
   (``Store.commit``). A rejected write changes nothing.

Concurrent writers never lose each other's changes. Writes whose change follows from
their own text (``INSERT DATA``, ``DELETE DATA``, a computed change) are planned and
validated *without* the lock, side by side, and take it only to commit: if another write
committed meanwhile, the commit goes ahead only when that write touched none of the edges
the validation looked up and none of the quads of the change (then the verdict and the net
change are the same on the new state); otherwise the write is planned and validated again.
Every other write (``DELETE/INSERT ... WHERE``, graph operations, a graph replaced) runs
whole under the lock, against the result of the writes before it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .change import Change
from .sparql.plan import Evaluator, LocalEvaluator, Planner, UpdateError
from .sparql.update import Operation, UpdateStructureError, operations
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
        # One lock and one log per store, shared by every Writer of it (the service and
        # the library's StanceGraph may each hold one).
        self.lock, self.recent = _shared(store)
        self.stats = {"optimistic": 0, "conflicts": 0, "serial": 0}

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

        ops = _operations(text)

        def plan() -> Change:
            planner = Planner(
                self.store,
                self.evaluator,
                base_iri=base_iri,
                allow_outbound=self.allow_outbound,
                using=using,
                using_named=using_named,
            )
            try:
                return planner.plan(text, ops)
            except SyntaxError as exc:
                raise UpdateError("update_syntax", f"SPARQL update syntax error: {exc}") from None

        data_only = ops is not None and all(o.kind in ("INSERT DATA", "DELETE DATA") for o in ops)
        if not using and not using_named and ops and data_only:
            return self._optimistic(plan, dry_run=dry_run)
        with self.lock:
            return self._serial(plan, dry_run=dry_run)

    def apply(self, change: Change, *, dry_run: bool = False) -> WriteOutcome:
        """Validate and commit a change computed by the caller (Graph Store, loads, JSON)."""

        def net() -> Change:
            existing = self.store.existing(change.deletes | change.inserts)
            return Change(
                deletes={q for q in change.deletes if q in existing},
                inserts={q for q in change.inserts if q not in existing},
                created=set(change.created),
                dropped=set(change.dropped),
                new_bnodes=set(change.new_bnodes),
            )

        return self._optimistic(net, dry_run=dry_run)

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
            return self._serial(lambda: change)

    def drop_graph(self, graph: str) -> WriteOutcome:
        """Remove a graph and all its quads (``""``: empty the default graph)."""
        with self.lock:
            change = Change(deletes=set(self.store.graph_quads(graph)))
            if graph:
                change.dropped.add(graph)
            return self._serial(lambda: change)

    # -- the commit ---------------------------------------------------------------------

    def check(self, change: Change) -> ChangeReport:
        """The SHACL verdict on the store with ``change`` applied (nothing is written)."""
        return validate_change(self.store, change)

    def _serial(self, plan: Callable[[], Change], *, dry_run: bool = False) -> WriteOutcome:
        """Plan, validate and commit under the lock (the caller holds it)."""
        self.stats["serial"] += 1
        t0 = time.perf_counter()
        change = plan()
        plan_ms = (time.perf_counter() - t0) * 1000
        version = self.store.version
        report, verdict_ms = self._verdict(change)
        outcome = self._finish(version, change, report, dry_run=dry_run)
        outcome.timings_ms.update(plan=plan_ms, **verdict_ms)
        return outcome

    def _optimistic(
        self, plan: Callable[[], Change], *, dry_run: bool = False, attempts: int = 3
    ) -> WriteOutcome:
        """Plan and validate without the lock; commit under it if no write in between
        touched what the verdict rests on (see the module docstring)."""
        if not self.validate:
            with self.lock:
                return self._serial(plan, dry_run=dry_run)
        for _ in range(attempts):
            version = self.store.version
            t0 = time.perf_counter()
            change = plan()
            plan_ms = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            verdict = self.check(change)
            validate_ms = (time.perf_counter() - t0) * 1000
            if not verdict.report.conforms or dry_run or not change:
                # Nothing is written: the verdict on the state it was computed on stands.
                outcome = self._finish(version, change, verdict.report, dry_run=True)
                outcome.timings_ms.update(plan=plan_ms, validate=validate_ms)
                return outcome
            with self.lock:
                since = self.recent.since(version, self.store.version)
                if since is not None and not _conflicts(since, change, verdict.lookups):
                    self.stats["optimistic"] += 1
                    outcome = self._finish(version, change, verdict.report)
                    outcome.timings_ms.update(plan=plan_ms, validate=validate_ms)
                    return outcome
                self.stats["conflicts"] += 1
        with self.lock:  # contended: validate and commit in one go
            return self._serial(plan, dry_run=dry_run)

    def _verdict(self, change: Change) -> tuple[ValidationReport | None, dict[str, float]]:
        if not self.validate:
            return None, {}
        t0 = time.perf_counter()
        report = self.check(change).report
        return report, {"validate": (time.perf_counter() - t0) * 1000}

    def _finish(
        self,
        version: int,
        change: Change,
        report: ValidationReport | None,
        *,
        dry_run: bool = False,
    ) -> WriteOutcome:
        """Refuse a rejected change, or commit an accepted one (unless ``dry_run``)."""
        if report is None and self.validate:
            report = ValidationReport(True, checked_triples=0)
        if report is not None and not report.conforms:
            raise ValidationFailed(report)
        added, removed = len(change.inserts), len(change.deletes)
        if dry_run or not change:
            return WriteOutcome(added, removed, self.store.version, {}, report)
        t0 = time.perf_counter()
        before = self.store.version
        self.store.commit(change)
        commit_ms = (time.perf_counter() - t0) * 1000
        self.recent.add(before, self.store.version, change)
        if any(q.predicate.value == SUBCLASS for q in change.deletes | change.inserts):
            forget_closures(self.store)
        if self.on_commit is not None:
            self.on_commit(change)
        return WriteOutcome(added, removed, self.store.version, {"commit": commit_ms}, report)


_SHARED: weakref.WeakKeyDictionary[Any, tuple[threading.RLock, RecentChanges]] = (
    weakref.WeakKeyDictionary()
)
_SHARED_LOCK = threading.Lock()


def _shared(store: Any) -> tuple[threading.RLock, RecentChanges]:
    with _SHARED_LOCK:
        found = _SHARED.get(store)
        if found is None:
            found = _SHARED[store] = (threading.RLock(), RecentChanges())
        return found


def changes_since(store: Any, version: int, now: int | None = None) -> list[Change] | None:
    """The changes that Writers committed to ``store`` between data versions ``version``
    and ``now`` (default: the current one), oldest first; None when some are not known
    (older than the bounded log, or made by something other than a Writer). Read models
    use it to update what they derived instead of deriving it again."""
    _lock, recent = _shared(store)
    return recent.since(version, store.version if now is None else now)


class RecentChanges:
    """The changes this writer committed lately, by the data versions they went between:
    what an optimistic write compares with when the store moved on while it validated.
    Bounded in bytes (about ``max_bytes``: a quad's N-Quads length); older changes drop
    off, and a write that needs them is validated again."""

    def __init__(self, max_bytes: int = 8 << 20):
        self.max_bytes = max_bytes
        self._log: deque[tuple[int, int, Change, int]] = deque()
        self._bytes = 0

    def add(self, before: int, after: int, change: Change) -> None:
        size = sum(len(str(q)) for q in change.inserts) + sum(len(str(q)) for q in change.deletes)
        self._log.append((before, after, change, size))
        self._bytes += size
        while self._log and self._bytes > self.max_bytes:
            self._bytes -= self._log.popleft()[3]

    def since(self, version: int, now: int) -> list[Change] | None:
        """The changes that took the store from ``version`` to ``now``; None when some
        are not known (dropped from the log, or written by something else)."""
        if version == now:
            return []
        out: list[Change] = []
        expect = version
        for before, after, change, _ in self._log:
            if after <= version:
                continue
            if before != expect:
                return None
            out.append(change)
            expect = after
        return out if expect == now else None


def _operations(text: str) -> list[Operation] | None:
    """The update's operations, read once for the planner and for choosing the path; None
    when they cannot be read (the planner then reports why, with the engine's message)."""
    try:
        return operations(text)
    except (UpdateStructureError, SyntaxError, ValueError):
        return None


def _conflicts(
    since: list[Change],
    change: Change,
    lookups: frozenset[tuple[Any, str | None, bool, bool]] | None,
) -> bool:
    """Whether the changes ``since`` could alter ``change``'s verdict (they add or remove an
    edge it read whole, remove an edge it read as a witness, or touch the class hierarchy)
    or its net effect (they touch one of its quads)."""
    if not since:
        return False
    if lookups is None or change.created or change.dropped:
        return True
    mine = change.inserts | change.deletes
    wanted: dict[Any, set[tuple[str | None, bool, bool]]] = defaultdict(set)
    for node, pred, outgoing, whole in lookups:
        wanted[node].add((pred, outgoing, whole))
    for other in since:
        if other.created or other.dropped:
            return True
        for deleted, quads in ((False, other.inserts), (True, other.deletes)):
            for q in quads:
                if q in mine or q.predicate.value == SUBCLASS:
                    return True
                p = q.predicate.value
                for node, outgoing in ((q.subject, True), (q.object, False)):
                    for pred, out, whole in wanted.get(node, ()):
                        if out == outgoing and (pred is None or pred == p) and (whole or deleted):
                            return True
    return False


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

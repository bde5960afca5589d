"""Over 500 lines because the four steps below share one hop-tree model of
what each compiled check reads; they are one algorithm, read top to bottom.

Validation of a change, not of the store: the compiled SHACL checks run only for the
focus nodes a change can affect, over exactly the triples those checks read.

How (all derived from the compiled checks, so it follows ``ontology/shapes.ttl``):

1. **What each check reads.** Each check's SPARQL is parsed once (rdflib's algebra, on our
   own trusted text) into triple patterns. Oriented outwards from ``?this`` they form a
   tree of *hops*: a predicate forwards or backwards, a sequence, or a closure (``p*``).
2. **Which focus nodes a change can affect.** A changed triple matters to a focus node when
   walking some hop from that node would read it. Walking the hop tree backwards from the
   changed triple (over the store plus the inserted triples) finds every such node: the
   subject of a changed ``rdf:type``, the stance whose evidence's source lost its
   publication date, the node whose value changed class, the nodes a new ``sg:target``
   edge closes a cycle for.
3. **The data those checks read.** Walking the hop trees forwards from the focus nodes over
   the store *after* the change collects every triple the checks can read; they go into a
   small in-memory store (blank nodes as skolem IRIs so they can be named in ``VALUES``).
   A hop that only tests that a target exists (``?_ts p ?this``) reads one *witness* edge
   per node, not all of them (a source cited a thousand times).
4. **The checks** run there with ``?this`` bound to the focus nodes; class closures
   (``rdfs:subClassOf``) come from the store's ontology. A check runs only if some focus
   node has the edges and classes its query requires of every answer (``_required``).

The verdict also says which of the store's edges it looked up (``ChangeReport.lookups``):
a write validated beside others commits only if none of them changed those
(``stancegraph.writes``).

Only checks of severity Violation decide a write, so only they run here; warnings (the
precondition-cycle finding, whose closure can span the whole dependency network) come
from full validation (``stancegraph validate``) and the conditions analysis. The verdict
equals full validation of the resulting store (``tests/test_change_validation.py``
checks it against the compiled checks on the whole store and against pyshacl, on random
changes). A change to ``rdfs:subClassOf`` or a shape the analysis cannot read falls back to
validating a full copy (correct, and as slow as it sounds).
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyoxigraph as ox

from ..change import Change
from .compiled import Check, Result, run_checks, shipped_checks
from .reference import RDFLIB_PARSE_LOCK, Finding, ValidationReport

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SKOLEM = "urn:x-stancegraph:vnode:"


class Unsupported(ValueError):
    """A check whose reads the analysis cannot bound (validated on a full copy instead)."""


# --------------------------------------------------------------------------- hops
# A hop is a tuple: ("p", iri | None, forward) one predicate (None: any predicate);
# ("seq", (hop, ...)); ("star", hop) zero or more times (also + and ?, read as *).

Hop = tuple[Any, ...]


def _hop(path: Any, forward: bool = True) -> Hop:
    from rdflib import URIRef, Variable
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

    if isinstance(path, URIRef):
        return ("p", str(path), forward)
    if isinstance(path, Variable):
        return ("p", None, forward)
    if isinstance(path, InvPath):
        return _hop(path.arg, not forward)
    if isinstance(path, SequencePath):
        hops = tuple(_hop(p, forward) for p in path.args)
        return ("seq", hops if forward else tuple(reversed(hops)))
    if isinstance(path, MulPath):
        return ("star", _hop(path.path, forward))
    if isinstance(path, AlternativePath) and all(isinstance(p, URIRef) for p in path.args):
        return ("alt", tuple(("p", str(p), forward) for p in path.args))
    raise Unsupported(f"property path {path!r}")


def _predicates(h: Hop) -> set[str | None]:
    if h[0] == "p":
        return {h[1]}
    if h[0] in ("seq", "alt"):
        return set().union(*(_predicates(x) for x in h[1]))
    return _predicates(h[1])


@dataclass
class _Node:
    """A node of the merged hop tree: how it is reached from its parent."""

    parent: int  # -1 for the root (?this)
    hop: Hop | None
    children: list[int] = field(default_factory=list)
    # Only whether the hop leads somewhere matters (a target such as ``?_ts p ?this``):
    # one edge per node is read, not all of them (a source cited a thousand times).
    witness: bool = False


@dataclass
class ReadPlan:
    """The merged hop trees of a set of checks (``nodes[0]`` is ``?this``)."""

    nodes: list[_Node]
    predicates: set[str | None]  # every predicate some hop reads (None: any)


def _patterns(check: Check) -> list[tuple[Any, Any, Any]]:
    text = re.sub(r"%%CLASSES (<[^>]*>)%%", r"\1", _query_for(check))
    found: list[tuple[Any, Any, Any]] = []
    _collect_bgps(_algebra(text), found)
    return found


def _algebra(text: str) -> Any:
    """rdflib's algebra of ``text``, parsed on a thread of its own.

    rdflib's parser (pyparsing) leaves reference cycles of exceptions whose tracebacks hold
    every frame of the stack that called it, and with them what those frames hold: a
    store parsed from stayed open (and locked) until the next garbage collection. A
    short-lived thread's stack holds nothing of the caller's."""
    from rdflib.plugins.sparql import prepareQuery

    def parse() -> Any:
        with RDFLIB_PARSE_LOCK:
            return prepareQuery(text).algebra

    with ThreadPoolExecutor(1, thread_name_prefix="stancegraph-parse") as pool:
        return pool.submit(parse).result()


def _collect_bgps(n: Any, found: list[tuple[Any, Any, Any]]) -> None:
    """Every triple pattern of the algebra ``n`` (EXISTS included) into ``found``."""
    from rdflib.plugins.sparql import algebra
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(n, CompValue):
        if n.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            g = n.get("graph")
            if isinstance(g, CompValue) and g.name == "GroupGraphPatternSub":
                _collect_bgps(algebra.translateGroupGraphPattern(g), found)
                return
        if n.name == "BGP":
            found.extend(n["triples"])
        for v in n.values():
            _collect_bgps(v, found)
    elif isinstance(n, list | tuple):
        for x in n:
            _collect_bgps(x, found)


def _query_for(check: Check) -> str:
    """The check as one query (a cycle check's edge query with its closure put back)."""
    if check.cycle_path is None:
        return check.query
    p = re.search(r"WHERE \{ \?a (.+) \?b \}", check.cycle_path, re.S)
    if p is None:
        raise Unsupported(f"cycle check of {check.shape}")
    path = p.group(1).strip()
    head, _, _ = check.query.rpartition("}")
    return f"{head} . ?value ({path})* ?this }}"


# Variables of the compiled targets that nothing else reads (``?_ts p ?this``, ``?this p ?_to``).
_TARGET_ONLY = frozenset({"_ts", "_to"})


@cache
def read_plan(checks: tuple[Check, ...]) -> ReadPlan:
    """The merged hop tree of ``checks`` (computed once per set of checks)."""
    from rdflib import Variable

    nodes = [_Node(-1, None)]
    index: dict[tuple[int, Hop, bool], int] = {}
    predicates: set[str | None] = set()
    for check in checks:
        patterns = _patterns(check)
        root = Variable("this")
        where: dict[Any, int] = {root: 0}
        pending = list(patterns)
        while pending:
            progressed = False
            for pat in list(pending):
                s, p, o = pat
                if s in where or o in where:
                    near, far, forward = (s, o, True) if s in where else (o, s, False)
                    hop = _hop(p, forward)
                    predicates |= _predicates(hop)
                    witness = str(far) in _TARGET_ONLY and hop[0] == "p"
                    key = (where[near], hop, witness)
                    if key not in index:
                        index[key] = len(nodes)
                        nodes.append(_Node(where[near], hop, witness=witness))
                        nodes[where[near]].children.append(index[key])
                    if far not in where:
                        where[far] = index[key]
                    pending.remove(pat)
                    progressed = True
            if not progressed:
                raise Unsupported(f"{check.shape}: a pattern not connected to ?this")
    return ReadPlan(nodes, predicates)


# --------------------------------------------------------------------------- the data


class After:
    """The store as it would be after ``change`` (graphs flattened, as validation reads it).

    ``union=True`` reads the store *and* the inserted triples without the deletions: the
    walk that finds affected focus nodes must see edges that exist before or after."""

    def __init__(
        self,
        store: Any,
        change: Change,
        *,
        union: bool = False,
        seen: dict[tuple[Any, ...], list[tuple[Any, Any, Any]]] | None = None,
    ):
        self.store, self.union = store, union
        # The store's answers, by (node, predicate, outgoing): the walks ask for the same
        # edges several times, and both views of one validation share them.
        self.seen = {} if seen is None else seen
        self.deleted = {_triple(q) for q in change.deletes}
        self.by_subject: dict[Any, set[tuple[Any, Any, Any]]] = defaultdict(set)
        self.by_object: dict[Any, set[tuple[Any, Any, Any]]] = defaultdict(set)
        for q in change.inserts:
            t = _triple(q)
            self.by_subject[t[0]].add(t)
            self.by_object[t[2]].add(t)

    def _keep(self, t: tuple[Any, Any, Any]) -> bool:
        return self.union or t not in self.deleted

    def witnesses(
        self, nodes: Iterable[Any], pred: str, outgoing: bool
    ) -> set[tuple[Any, Any, Any]]:
        """For each of ``nodes``, one edge with predicate ``pred`` after the change (if it has
        any): enough to know that it has one, without reading all of a hub's edges."""
        nodes = [n for n in nodes if outgoing is False or not isinstance(n, ox.Literal)]
        index = self.by_subject if outgoing else self.by_object
        found: set[tuple[Any, Any, Any]] = set()
        need: dict[int, list[Any]] = defaultdict(list)  # edges to read -> nodes
        for n in nodes:
            mine = [t for t in index.get(n, ()) if t[1].value == pred]
            if mine:
                found.add(mine[0])
                continue
            gone = (
                0
                if self.union
                else sum(
                    1
                    for t in self.deleted
                    if t[1].value == pred and (t[0] if outgoing else t[2]) == n
                )
            )
            need[gone + 1].append(n)
        p = ox.NamedNode(pred)
        for limit, group in need.items():
            key_nodes = [n for n in group if (n, pred, outgoing, limit) not in self.seen]
            for n in key_nodes:
                self.seen[(n, pred, outgoing, limit)] = []
            if key_nodes:
                for q in self.store.quads_about(key_nodes, p, outgoing=outgoing, limit=limit):
                    t = _triple(q)
                    self.seen[(t[0] if outgoing else t[2], pred, outgoing, limit)].append(t)
            for n in group:
                kept = [t for t in self.seen[(n, pred, outgoing, limit)] if self._keep(t)]
                found.update(kept[:1])
        return found

    def edges(
        self, nodes: Iterable[Any], pred: str | None, outgoing: bool
    ) -> set[tuple[Any, Any, Any]]:
        """Triples from (``outgoing``) or into ``nodes`` with predicate ``pred`` (None: any):
        one store call for all of them (one request on a remote store)."""
        nodes = [n for n in nodes if outgoing is False or not isinstance(n, ox.Literal)]
        if not nodes:
            return set()
        p = ox.NamedNode(pred) if pred is not None else None
        seen = self.seen
        missing = [n for n in nodes if (n, pred, outgoing) not in seen]
        if missing:
            for n in missing:
                seen[(n, pred, outgoing)] = []
            for q in self.store.quads_about(missing, p, outgoing=outgoing):
                t = _triple(q)
                seen[(t[0] if outgoing else t[2], pred, outgoing)].append(t)
        found = {t for n in nodes for t in seen[(n, pred, outgoing)]}
        index = self.by_subject if outgoing else self.by_object
        for n in nodes:
            for t in index.get(n, ()):
                if p is None or t[1] == p:
                    found.add(t)
        return {t for t in found if self._keep(t)}


def _triple(q: ox.Quad) -> tuple[Any, Any, Any]:
    return (q.subject, q.predicate, q.object)


def forward(h: Hop, nodes: set[Any], data: After, read: set[tuple[Any, Any, Any]]) -> set[Any]:
    """Where hop ``h`` leads from ``nodes``, adding every triple it reads to ``read``."""
    kind = h[0]
    if kind == "p":
        triples = data.edges(nodes, h[1], h[2])
        read |= triples
        return {t[2] if h[2] else t[0] for t in triples}
    if kind == "alt":
        return set().union(*(forward(x, nodes, data, read) for x in h[1]))
    if kind == "seq":
        for x in h[1]:
            nodes = forward(x, nodes, data, read)
        return nodes
    reached, frontier = set(nodes), set(nodes)  # star: to the fixpoint
    while frontier:
        frontier = forward(h[1], frontier, data, read) - reached
        reached |= frontier
    return reached


def _inverse(h: Hop) -> Hop:
    if h[0] == "p":
        return ("p", h[1], not h[2])
    if h[0] == "alt":
        return ("alt", tuple(_inverse(x) for x in h[1]))
    if h[0] == "seq":
        return ("seq", tuple(_inverse(x) for x in reversed(h[1])))
    return ("star", _inverse(h[1]))


def backward(h: Hop, nodes: set[Any], data: After) -> set[Any]:
    """The nodes from which hop ``h`` leads into ``nodes``."""
    return forward(_inverse(h), nodes, data, set())


def anchors(h: Hop, t: tuple[Any, Any, Any], data: After) -> set[Any]:
    """The nodes from which walking ``h`` reads triple ``t``."""
    kind = h[0]
    if kind == "p":
        if h[1] is not None and t[1].value != h[1]:
            return set()
        return {t[0]} if h[2] else {t[2]}
    if kind == "alt":
        return set().union(*(anchors(x, t, data) for x in h[1]))
    if kind == "seq":
        found: set[Any] = set()
        for k, x in enumerate(h[1]):
            hit = anchors(x, t, data)
            if hit:
                found |= backward(("seq", h[1][:k]), hit, data) if k else hit
        return found
    hit = anchors(h[1], t, data)
    return backward(h, hit, data) if hit else set()


# --------------------------------------------------------------------------- the checks


def affected(
    plan: ReadPlan,
    change: Change,
    store: Any,
    *,
    limit: int | None = None,
    seen: dict[tuple[Any, ...], list[tuple[Any, Any, Any]]] | None = None,
) -> set[Any]:
    """Focus nodes whose validation result ``change`` can alter."""
    data = After(store, change, union=True, seen=seen)
    triples = {_triple(q) for q in change.deletes | change.inserts}
    focus: set[Any] = set()
    for node in plan.nodes:
        if node.hop is None:
            continue
        preds = _predicates(node.hop)
        hits: set[Any] = set()
        for t in triples:
            if None in preds or t[1].value in preds:
                hits |= anchors(node.hop, t, data)
        j = node.parent
        while hits and j > 0:  # up the tree to ?this
            hits = backward(plan.nodes[j].hop, hits, data)  # type: ignore[arg-type]
            j = plan.nodes[j].parent
        focus |= hits
        if limit is not None and len(focus) > limit:
            break
    return focus  # literals too: a shape may target the objects of a property


def reads(plan: ReadPlan, focus: set[Any], data: After) -> set[tuple[Any, Any, Any]]:
    """Every triple the checks can read for ``focus`` (walking the hop tree forwards)."""
    read: set[tuple[Any, Any, Any]] = set()
    bindings: dict[int, set[Any]] = {0: set(focus)}
    for i, node in enumerate(plan.nodes):
        if i == 0 or node.hop is None:
            continue
        start = bindings.get(node.parent, set())
        if node.witness:
            found = data.witnesses(start, node.hop[1], node.hop[2])
            read |= found
            bindings[i] = {t[2] if node.hop[2] else t[0] for t in found}
        else:
            bindings[i] = forward(node.hop, start, data, read)
    return read


def _sk(t: Any) -> Any:
    return ox.NamedNode(SKOLEM + t.value) if isinstance(t, ox.BlankNode) else t


def _unsk(value: str | None) -> str | None:
    if value is not None and value.startswith(SKOLEM):
        return value[len(SKOLEM) :]
    return value


@dataclass
class ChangeReport:
    """The verdict on a change, with how much it took (for the write benchmarks)."""

    report: ValidationReport
    focus: int = 0
    triples_read: int = 0
    full: bool = False
    # What the verdict rests on: the store's edges it looked up, as (node, predicate or
    # None for any, outgoing, whole): all of them (whole) or only whether there is one (a
    # witness: only deleting such an edge can alter it). A change elsewhere cannot alter
    # the verdict. None: it read the whole store.
    lookups: frozenset[tuple[Any, str | None, bool, bool]] | None = frozenset()


# store -> closures; weak, so that a store object closes (and frees its lock) when dropped
_CLOSURES: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def forget_closures(store: Any) -> None:
    """Drop the cached class closures of ``store`` (after a change to rdfs:subClassOf)."""
    _CLOSURES.pop(store, None)
    _CLOSURE_SETS.pop(store, None)


def _closures(store: Any, checks: Iterable[Check]) -> dict[str, str]:
    """Each class the checks name with its subclasses, as a VALUES list. Cached per store:
    only a change to ``rdfs:subClassOf`` alters them (the Writer forgets them then)."""
    from .compiled import _CLASSES

    closures = _CLOSURES.get(store, {})
    for check in checks:
        for cls in _CLASSES.findall(check.query):
            if cls not in closures:
                rows = store.query(
                    f"SELECT DISTINCT ?c WHERE {{ ?c <{SUBCLASS}>* <{cls}> }}",
                    union_default_graph=True,
                )
                named = {r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)}
                closures[cls] = " ".join(f"<{c}>" for c in sorted(named | {cls}))
    _CLOSURES[store] = closures
    return closures


_CLOSURE_SETS: weakref.WeakKeyDictionary[Any, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def _closure_sets(store: Any, closures: dict[str, str]) -> dict[str, frozenset[str]]:
    """``closures`` as sets of IRIs (parsed again only when a class was added)."""
    sets = _CLOSURE_SETS.get(store)
    if sets is None or sets.keys() != closures.keys():
        sets = {c: frozenset(re.findall(r"<([^>]*)>", v)) for c, v in closures.items()}
        _CLOSURE_SETS[store] = sets
    return sets


_TARGET_CLASSES = re.compile(r"^[^{]*\{ \{ SELECT DISTINCT \?this WHERE \{ (.*?) \} \} \}", re.S)


@cache
def _target_classes(check: Check) -> frozenset[str] | None:
    """The classes whose instances are the check's only focus nodes (None: other targets)."""
    text = check.query[check.query.index("{ SELECT DISTINCT ?this WHERE {") :]
    head = text[: text.index("} } }") + 1]
    parts = re.findall(
        r"\{ VALUES \?_tc \{ %%CLASSES <([^>]*)>%% \} \?this <[^>]*> \?_tc \. \}", head
    )
    if not parts or head.count("{ VALUES ?_tc") != head.count("UNION") + 1:
        return None
    return frozenset(parts)


def _relevant(checks: Iterable[Check], types: set[str], closures: dict[str, str]) -> list[Check]:
    """The checks that can have one of the focus nodes (of ``types``) as focus."""
    out = []
    for c in checks:
        classes = _target_classes(c)
        if classes is None or any(
            t in closures.get(cls, f"<{cls}>") for cls in classes for t in types
        ):
            out.append(c)
    return out


# Algebra nodes whose every solution contains a solution of their operand ``p``.
_THROUGH = frozenset(
    {
        "SelectQuery",
        "Project",
        "Distinct",
        "Reduced",
        "Slice",
        "OrderBy",
        "Extend",
        "ToMultiSet",
        "Group",
        "AggregateJoin",
        "Filter",
    }
)


# What a focus node must have for a check to report it: edges (predicate, outgoing), and
# ("a", classes): a type that is one of ``classes`` or a subclass of one.
Need = frozenset[tuple[Any, Any]]


@cache
def _required(check: Check) -> tuple[Need, ...]:
    """What a focus node must have for ``check`` to report it: any one of these sets of
    needs (an empty tuple: nothing is known, always run the check).

    Read from the triple patterns on ``?this`` that every solution of the query matches:
    basic graph patterns reached through joins (all of them), unions (one of them),
    filters (not their expressions), projections that keep ``?this``, groups, and the left
    side of OPTIONAL and MINUS; never an OPTIONAL's right side or (NOT) EXISTS. A
    ``?this rdf:type ?c`` joined with ``VALUES ?c`` needs one of those classes. A focus node
    that meets none of the sets cannot be in the check's results."""
    text = re.sub(r"%%CLASSES (<[^>]*>)%%", r"\1", _query_for(check))
    alternatives = _needs(_algebra(text), {})
    return () if any(not a for a in alternatives) else tuple(alternatives)


# Module-level, not nested: a recursive closure is a reference cycle, and it held the
# caller's frame (and so the store) alive until the next garbage collection.
_ANYTHING: list[Need] = [frozenset()]


def _needs(n: Any, env: dict[Any, frozenset[str]]) -> list[Need]:
    """``_required``'s walk over the algebra (``env``: VALUES of the enclosing joins)."""
    from rdflib import URIRef, Variable
    from rdflib.plugins.sparql.parserutils import CompValue

    this = Variable("this")
    if not isinstance(n, CompValue):
        return _ANYTHING
    if n.name == "BGP":
        need: set[tuple[Any, Any]] = set()
        for s, p, o in n["triples"]:
            if not isinstance(p, URIRef):
                continue
            if s == this and str(p) == RDF_TYPE and (isinstance(o, URIRef) or o in env):
                need.add(("a", env.get(o) or frozenset({str(o)})))
            elif s == this:
                need.add((str(p), True))
            if o == this:
                need.add((str(p), False))
        return [frozenset(need)]
    if n.name == "Join":
        env = {**env, **_values(n.get("p1")), **_values(n.get("p2"))}
        left, right = _needs(n.get("p1"), env), _needs(n.get("p2"), env)
        alternatives = [a | b for a in left for b in right]
        return alternatives if len(alternatives) <= 32 else _ANYTHING
    if n.name == "Union":
        return _needs(n.get("p1"), env) + _needs(n.get("p2"), env)
    if n.name in ("LeftJoin", "Minus"):
        return _needs(n.get("p1"), env)
    if n.name == "Project" and this not in (n.get("PV") or ()):
        return _ANYTHING
    if n.name in _THROUGH:
        return _needs(n.get("p"), env)
    return _ANYTHING


def _values(n: Any) -> dict[Any, frozenset[str]]:
    """``VALUES ?v { <a> <b> }`` of one variable, as {?v: {a, b}}."""
    from rdflib import URIRef
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(n, CompValue) and n.name == "ToMultiSet":
        n = n.get("p")
    if not (isinstance(n, CompValue) and n.name == "values"):
        return {}
    rows = n.get("res") or []
    names = {v for row in rows for v in row}
    if len(names) != 1 or not all(isinstance(t, URIRef) for r in rows for t in r.values()):
        return {}
    return {names.pop(): frozenset(str(t) for r in rows for t in r.values())}


def _can_report(
    check: Check,
    focus: set[Any],
    edges: set[tuple[Any, str, bool]],
    types: dict[Any, set[str]],
    closures: dict[str, frozenset[str]],
) -> bool:
    """Whether some focus node has what ``check`` requires to report it (``_required``):
    ``edges`` are the focus nodes' edges after the change, ``types`` their classes and
    ``closures`` each class with its subclasses."""
    alternatives = _required(check)
    if not alternatives:
        return True
    for need in alternatives:
        for x in focus:
            if all(_meets(x, n, edges, types, closures) for n in need):
                return True
    return False


def _meets(
    x: Any,
    need: tuple[Any, Any],
    edges: set[tuple[Any, str, bool]],
    types: dict[Any, set[str]],
    closures: dict[str, frozenset[str]],
) -> bool:
    if need[0] == "a":
        return any(t in closures.get(c, frozenset((c,))) for c in need[1] for t in types[x])
    return (x, need[0], need[1]) in edges


def _report(results: Iterable[Result], checked: int) -> ValidationReport:
    violations: list[Finding] = []
    warnings: list[Finding] = []
    for r in results:
        f = Finding(r.severity, _unsk(r.focus) or "", r.path, r.message, _unsk(r.value), r.shape)
        (violations if r.severity == "Violation" else warnings).append(f)
    key = lambda f: (f.focus, f.path or "", f.message)  # noqa: E731
    v, w = sorted(set(violations), key=key), sorted(set(warnings), key=key)
    return ValidationReport(not v, v, w, checked)


def violation_checks() -> tuple[Check, ...]:
    return tuple(c for c in shipped_checks() if c.severity == "Violation")


def warm(store: Any) -> None:
    """Compile what validating a change needs (about a second), so the first write does not
    wait for it."""
    checks = violation_checks()
    read_plan(checks)
    for check in checks:
        _required(check)
    _closures(store, checks)


def validate_change(
    store: Any, change: Change, checks: tuple[Check, ...] | None = None
) -> ChangeReport:
    """SHACL verdict on ``store`` with ``change`` applied, reading only what it can affect."""
    checks = tuple(
        c for c in (shipped_checks() if checks is None else checks) if c.severity == "Violation"
    )
    if not change.deletes and not change.inserts:
        return ChangeReport(ValidationReport(True, checked_triples=0))
    touches_classes = any(q.predicate.value == SUBCLASS for q in change.deletes | change.inserts)
    try:
        if touches_classes:
            raise Unsupported("the change edits rdfs:subClassOf")
        plan = read_plan(checks)
    except Unsupported:
        return _validate_full(store, change, checks)
    seen: dict[tuple[Any, ...], list[tuple[Any, Any, Any]]] = {}
    focus = affected(plan, change, store, seen=seen)
    if not focus:
        return ChangeReport(ValidationReport(True, checked_triples=0), lookups=_lookups(seen))
    data = After(store, change, seen=seen)
    triples = reads(plan, focus, data)
    scratch = ox.Store()
    scratch.extend(ox.Quad(_sk(s), p, _sk(o)) for s, p, o in triples)
    values = " ".join(str(_sk(n)) for n in sorted(focus, key=str))
    closures = _closures(store, checks)
    types = {str(t[2]) for t in triples if t[0] in focus and t[1].value == RDF_TYPE}
    edges = {(t[0], t[1].value, True) for t in triples if t[0] in focus}
    edges |= {(t[2], t[1].value, False) for t in triples if t[2] in focus}
    node_types: dict[Any, set[str]] = {x: set() for x in focus}
    for t in triples:
        if t[0] in focus and t[1].value == RDF_TYPE and isinstance(t[2], ox.NamedNode):
            node_types[t[0]].add(t[2].value)
    class_sets = _closure_sets(store, closures)
    results = run_checks(
        scratch,
        [
            _incremental(c)
            for c in _relevant(checks, types, closures)
            if _can_report(c, focus, edges, node_types, class_sets)
        ],
        closures=closures,
        focus=values,
        threads=1,
    )
    return ChangeReport(
        _report(results, len(triples)), len(focus), len(triples), lookups=_lookups(seen)
    )


def _lookups(seen: dict[tuple[Any, ...], Any]) -> frozenset[tuple[Any, str | None, bool, bool]]:
    return frozenset((k[0], k[1], k[2], len(k) == 3) for k in seen)


def _incremental(check: Check) -> Check:
    """A cycle check as one query (the scratch store is small: the closure is cheap)."""
    if check.cycle_path is None:
        return check
    from dataclasses import replace

    return replace(check, query=_query_for(check), cycle_path=None)


def _validate_full(store: Any, change: Change, checks: tuple[Check, ...]) -> ChangeReport:
    scratch = ox.Store()
    scratch.extend(
        q for q in ox.parse(store.dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    )
    for q in change.deletes:
        scratch.remove(q)
    scratch.extend(change.inserts)
    results = run_checks(scratch, list(checks))
    return ChangeReport(_report(results, len(scratch)), full=True, lookups=None)

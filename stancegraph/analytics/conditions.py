"""Condition analysis: deadlocks, blocked propositions, sequencing, critical preconditions.

Works on the condition dependency digraph (:func:`dependency_graph`): an edge X → Y says a
holder accepts X only if / only after / in exchange for Y. ``unless`` conditions name a
blocker and ``if`` conditions a sufficient one, not a prerequisite, so they stay in the
graph but order nothing (``precedence`` is False). Every dependency says whether its
holder is a party to the negotiations or a third party (``holder_role``). Expectations'
conditions (forecasts) are read only with the ``expectations`` option. On the
*precedence graph* (the simple digraph of the necessary edges):

- a **deadlock** is a cycle: X waits for Y, which (through someone's conditions) waits
  for X; strongly connected components locate them in linear time, and the elementary
  cycles inside them are listed (up to ``max_cycles``);
- a proposition is **blocked** while one of its requirements (direct or transitive) is not
  met; which ones are met is the caller's knowledge (``met``), default none;
- a **feasible sequence** orders what must happen first: topological generations of the
  reversed precedence graph, with each deadlocked component collapsed into one step;
- the **critical preconditions** are those most others depend on: ranked by how many
  propositions transitively require them.

Example (seed, model v2): four precedence edges, three of them the parties' (Ukraine twice,
Russia) and one a third party's (Canada), and no deadlock; the sequence is (complete
Russian withdrawal, international security guarantee) → (end of the war, peace
agreement) → (Putin–Zelensky summit, sanctions relief).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from ..terms import iri_of
from .digraphs import dependency_graph
from .frame import frame_of
from .options import Options, plain


@dataclass
class Dependency:
    proposition: str
    requires: str
    holder: str
    holder_label: str
    condition_type: str
    precedence: bool
    condition: str
    stance: str
    necessity: str = "necessary"  # necessary | sufficient | blocker
    holder_role: str = "third-party"  # party | third-party


@dataclass
class Deadlock:
    """One elementary cycle of the precedence graph, with whose conditions form it."""

    cycle: list[str]  # X0 requires X1 … requires X0
    labels: list[str]
    holders: list[str]  # everyone whose conditions make an edge of it
    edges: list[dict[str, Any]]
    single_holders: list[str]  # holders whose own conditions make the whole cycle

    @property
    def cross_holder(self) -> bool:
        """True when no single holder's conditions close the cycle on their own."""
        return not self.single_holders


@dataclass
class Blocked:
    proposition: str
    label: str
    unmet: list[str]  # direct requirements not met
    unmet_transitive: list[str]  # every requirement reachable, not met
    holders: list[str]  # whose conditions block it (direct)
    deadlocked: bool


@dataclass
class Critical:
    proposition: str
    label: str
    dependents: int  # propositions that transitively require it
    direct_dependents: int
    holders: list[str]  # who made it a condition


@dataclass
class ConditionReport:
    options: dict[str, Any]
    dependencies: list[Dependency]
    deadlocks: list[Deadlock]
    deadlock_components: list[list[str]]
    blocked: list[Blocked]
    sequence: list[list[str]]  # stages; a deadlocked component appears as one entry per member
    sequence_deadlocked: list[bool]  # per stage: does it contain a deadlocked component
    critical: list[Critical]
    met: list[str]
    labels: dict[str, str]
    graph: nx.MultiDiGraph = field(repr=False)

    @property
    def acyclic(self) -> bool:
        return not self.deadlock_components

    def plot(self, ax: Any = None) -> Any:
        """A matplotlib figure of this report (see :mod:`.plots`)."""
        from .plots import plot_conditions

        return plot_conditions(self, ax)

    def tables(self) -> dict[str, Any]:
        """The report as pandas DataFrames: dependencies, blocked, sequence, critical."""
        import pandas as pd

        return {
            "dependencies": pd.DataFrame([plain(d) for d in self.dependencies]),
            "blocked": pd.DataFrame([plain(b) for b in self.blocked]),
            "sequence": pd.DataFrame(
                [(i, n, self.labels.get(n, n)) for i, st in enumerate(self.sequence) for n in st],
                columns=["stage", "proposition", "label"],
            ),
            "critical": pd.DataFrame([plain(c) for c in self.critical]),
        }

    def as_dict(self) -> dict[str, Any]:
        d = plain(self, exclude=("graph",))
        for dl, src in zip(d["deadlocks"], self.deadlocks, strict=True):
            dl["cross_holder"] = src.cross_holder
        d["acyclic"] = self.acyclic
        return d


def precedence_graph(G: nx.MultiDiGraph) -> nx.DiGraph:
    """The simple digraph of precedence edges (not ``unless``), holders merged per edge.

    Edge attributes: ``holders`` (sorted list), ``condition_types`` (sorted list).
    O(n + m).
    """
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes(data=True))
    for u, v, d in G.edges(data=True):
        if not d.get("precedence", True):
            continue
        if D.has_edge(u, v):
            e = D.edges[u, v]
            e["holders"] = sorted(set(e["holders"]) | {d["holder"]})
            e["condition_types"] = sorted(set(e["condition_types"]) | {d["condition_type"]})
        else:
            D.add_edge(u, v, holders=[d["holder"]], condition_types=[d["condition_type"]])
    return D


def deadlocks(D: nx.DiGraph, *, max_cycles: int = 100) -> tuple[list[list[str]], list[list[str]]]:
    """Deadlocked components and elementary cycles of a precedence digraph.

    Output: ``(components, cycles)``: the strongly connected components with a cycle
    (more than one node, or a self-loop), each sorted, and up to ``max_cycles`` elementary
    cycles, each rotated to start at its smallest node, in a stable order.

    Complexity: O(n + m) for the components (Tarjan); listing cycles is output-sensitive,
    O((n + m)(c + 1)) for c cycles (Johnson), cut off at ``max_cycles`` because a dense
    component can have exponentially many.

    Example: edges a→b, b→c, c→a give ``([["a", "b", "c"]], [["a", "b", "c"]])``.
    """
    comps = [
        sorted(c)
        for c in nx.strongly_connected_components(D)
        if len(c) > 1 or any(D.has_edge(n, n) for n in c)
    ]
    comps.sort()
    cycles: list[list[str]] = []
    for comp in comps:
        sub = D.subgraph(comp)
        for cyc in itertools.islice(nx.simple_cycles(sub), max(0, max_cycles - len(cycles))):
            i = cyc.index(min(cyc))
            cycles.append(cyc[i:] + cyc[:i])
        if len(cycles) >= max_cycles:
            break
    cycles.sort(key=lambda c: (len(c), c))
    return comps, cycles


def sequencing(D: nx.DiGraph) -> tuple[list[list[str]], list[bool]]:
    """A feasible order: what must happen first, stage by stage.

    Topological generations of the reversed precedence graph (requirements first) on its
    condensation, so each deadlocked component is one step (all its members share the
    stage, and the stage is flagged). Within a stage, nodes are sorted.

    Complexity: O(n + m).

    Example: a requires b, b requires c → ``[["c"], ["b"], ["a"]]``.
    """
    C = nx.condensation(D)
    R = C.reverse(copy=False)
    stages: list[list[str]] = []
    flags: list[bool] = []
    for gen in nx.topological_generations(R):
        members: list[str] = []
        flagged = False
        for c in gen:
            m = C.nodes[c]["members"]
            members.extend(m)
            if len(m) > 1 or any(D.has_edge(n, n) for n in m):
                flagged = True
        stages.append(sorted(members))
        flags.append(flagged)
    return stages, flags


def critical_preconditions(D: nx.DiGraph) -> list[tuple[str, int, int]]:
    """Preconditions ranked by how many propositions (transitively) require them.

    Output: ``(node, dependents, direct_dependents)`` for every node required by at least
    one other, by dependents, then direct dependents (both descending), then node.

    Complexity: O(n + m) unions of n-bit sets (see :func:`reachable`), plus the output.

    Example: a→c, b→c, c→d (a requires c …): d has 3 dependents (a, b, c), c has 2.
    """
    ancestors = reachable(D.reverse(copy=False))
    out = []
    for n in D.nodes:
        direct = sum(1 for u in D.predecessors(n) if u != n)
        if not direct:
            continue
        out.append((n, sum(1 for u in ancestors[n] if u != n), direct))
    out.sort(key=lambda t: (-t[1], -t[2], t[0]))
    return out


def reachable(D: nx.DiGraph, skip: frozenset[str] | set[str] = frozenset()) -> dict[str, list[str]]:
    """For each node not in ``skip``, the nodes reachable from it by one edge or more
    without passing through ``skip``, sorted (itself only if it lies on a cycle).

    One pass over the condensation in reverse topological order with the reachable sets as
    bitsets (Python integers): O(n + m) set unions of n bits, instead of one graph search
    per node (O(n·(n + m)), seconds on the 1M-triple benchmark's ~2,000 propositions).
    """
    H = D.subgraph([n for n in D if n not in skip]) if skip else D
    nodes = sorted(H)
    bit = {n: 1 << i for i, n in enumerate(nodes)}
    C = nx.condensation(H)
    reach: dict[int, int] = {}
    closed: dict[int, int] = {}  # members | reach
    for c in reversed(list(nx.topological_sort(C))):
        members = C.nodes[c]["members"]
        own = 0
        for n in members:
            own |= bit[n]
        r = own if len(members) > 1 or any(H.has_edge(n, n) for n in members) else 0
        for succ in C.successors(c):
            r |= closed[succ]
        reach[c] = r
        closed[c] = own | r
    names = np.array(nodes, dtype=object)
    nbytes = (len(nodes) + 7) // 8
    out: dict[str, list[str]] = {}
    for n, c in C.graph["mapping"].items():
        bits = np.unpackbits(
            np.frombuffer(reach[c].to_bytes(nbytes, "little"), dtype=np.uint8), bitorder="little"
        )
        out[n] = names[np.flatnonzero(bits[: len(nodes)])].tolist()
    return out


def condition_analysis(
    kg: Any,
    options: Options | None = None,
    *,
    met: list[str] | tuple[str, ...] = (),
    max_cycles: int = 100,
    **opts: Any,
) -> ConditionReport:
    """Deadlocks, blocked propositions, a feasible sequence and critical preconditions.

    Inputs: a graph (or frame), options; ``met``: propositions (slugs or IRIs) already
    realised, whose requirements are then satisfied (default: none); ``max_cycles``: cap
    on listed cycles.

    Output: :class:`ConditionReport`, with the dependency ``graph`` (a MultiDiGraph with
    one edge per condition) for further work.

    Complexity: O(C) projection + O(n + m) deadlocks and sequence + O(n + m) unions of
    n-bit sets for the transitive requirements and dependents (:func:`reachable`), plus
    the output; n, m the condition graph's nodes and edges.

    Example (seed): no deadlock; blocked (nothing met): end of the war (needs a complete
    Russian withdrawal, Canada), the peace agreement (Russia: progress in the talks and
    mutual compromises; Ukraine: an international security guarantee), the summit and
    sanctions relief (transitively); the most critical preconditions are those two
    levels below the summit and sanctions relief, each required by two propositions.
    """
    frame = frame_of(kg, options, **opts)
    G = dependency_graph(frame)
    D = precedence_graph(G)
    met_set = {iri_of("proposition", m) for m in met}
    comps, cycles = deadlocks(D, max_cycles=max_cycles)
    in_deadlock = {n for c in comps for n in c}
    deadlock_list = []
    for cyc in cycles:
        pairs = list(zip(cyc, cyc[1:] + cyc[:1], strict=True))
        edges = [
            {
                "from": u,
                "to": v,
                "holders": D.edges[u, v]["holders"],
                "condition_types": D.edges[u, v]["condition_types"],
            }
            for u, v in pairs
        ]
        holders = sorted({h for e in edges for h in e["holders"]})
        # a holder closes the cycle alone when its own conditions make every edge of it
        solo = [h for h in holders if all(h in e["holders"] for e in edges)]
        deadlock_list.append(Deadlock(cyc, [frame.label(n) for n in cyc], holders, edges, solo))
    stages, flags = sequencing(D)
    blocked = []
    requirements = reachable(D, met_set)  # transitive, not through met propositions
    for n in sorted(D.nodes, key=lambda x: (frame.label(x), x)):
        if n in met_set:
            continue
        direct = sorted({v for v in D.successors(n) if v not in met_set})
        if not direct:
            continue
        seen = [x for x in requirements[n] if x != n]
        holders = sorted({h for v in direct for h in D.edges[n, v]["holders"]})
        blocked.append(Blocked(n, frame.label(n), direct, seen, holders, n in in_deadlock))
    critical = []
    for n, dep, n_direct in critical_preconditions(D):
        holders = sorted({h for u in D.predecessors(n) for h in D.edges[u, n]["holders"]})
        critical.append(Critical(n, frame.label(n), dep, n_direct, holders))
    deps = [
        Dependency(
            proposition=u,
            requires=v,
            holder=d["holder"],
            holder_label=d["holder_label"],
            condition_type=d["condition_type"],
            precedence=d["precedence"],
            condition=k,
            stance=d["stance"],
            necessity=d.get("necessity", "necessary"),
            holder_role=d.get("holder_role", "third-party"),
        )
        for u, v, k, d in G.edges(keys=True, data=True)
    ]
    return ConditionReport(
        options=frame.options.as_dict(),
        dependencies=deps,
        deadlocks=deadlock_list,
        deadlock_components=comps,
        blocked=blocked,
        sequence=stages,
        sequence_deadlocked=flags,
        critical=critical,
        met=sorted(met_set),
        labels=frame.labels(G.nodes, (d.holder for d in deps)),
        graph=G,
    )

"""SHACL shapes compiled to SPARQL SELECT queries that pyoxigraph runs over a whole store.

Why: pyshacl evaluates shapes node by node in rdflib (0.8 s for the 48-stance seed), far
too slow for a million-triple load. Each constraint of ``ontology/shapes.ttl`` becomes one
SELECT returning the violating focus nodes (``?this``) and values, evaluated by the Rust
engine over the union of the store's graphs (the ontology graph included, so ``sh:class``
and ``sh:targetClass`` follow ``rdfs:subClassOf`` there, as pyshacl with ``inference="none"``
does). pyshacl stays the reference: ``tests/test_fast_shacl.py`` checks both give the same
results. A constraint component the compiler does not know is refused when compiling
(:class:`UnsupportedShape`), never skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, cast

import networkx as nx
import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from .. import resources
from ..terms import SH

SHACL = str(SH)
# Shape-level predicates that are not constraints (or are handled separately).
_NON_CONSTRAINTS = {
    RDF.type, RDFS.label, RDFS.comment, SH.path, SH.message, SH.severity, SH.name,
    SH.description, SH.order, SH.group, SH.property, SH.sparql, SH.targetClass,
    SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode, SH.deactivated, SH.defaultValue,
    SH.declare, SH.prefixes,
}  # fmt: skip
# Datatypes pyoxigraph can cast, so an ill-formed lexical form counts as a wrong datatype.
_CASTABLE = {
    XSD.date,
    XSD.dateTime,
    XSD.decimal,
    XSD.integer,
    XSD.double,
    XSD.float,
    XSD.boolean,
    XSD.string,
}
# Class membership follows rdfs:subClassOf in the data (SHACL instance semantics). The
# closure is computed once per run and inlined, because evaluating the property path
# rdf:type/rdfs:subClassOf* per node is ~50x slower in pyoxigraph on a million triples.
_CLASSES = re.compile(r"%%CLASSES <([^>]*)>%%")
_COMPARISONS = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}
_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


TARGET_OPEN = "{ SELECT DISTINCT ?this WHERE { "  # where focus nodes can be bound


class UnsupportedShape(ValueError):
    """The shapes use a SHACL feature this compiler cannot translate faithfully."""


@dataclass(frozen=True)
class Check:
    """One compiled constraint: ``query`` returns ``?this`` (+ ``?value``, ``?path``, …)."""

    shape: str  # sh:sourceShape
    component: str  # sh:sourceConstraintComponent
    severity: str  # Violation | Warning | Info
    path: str | None  # the property shape's path when it is an IRI
    messages: tuple[str, ...]
    query: str
    value_is_focus: bool = False  # node-shape SPARQL constraints: sh:value defaults to $this
    cycle_path: str | None = None  # "$this P ?value . ?value (P)* $this": solved by SCCs
    # An ASK that is false only when ``query`` cannot find anything in the whole store,
    # several times cheaper than ``query`` (see ``_max_count_screen``); None: no screen.
    screen: str | None = None


@dataclass(frozen=True)
class Result:
    """One validation result, in the terms of a pyshacl report."""

    focus: str
    path: str | None
    component: str
    severity: str
    shape: str
    message: str
    value: str | None


def _n3(node: Node) -> str:
    """A term from the shapes graph as SPARQL text (shapes are trusted, not user input)."""
    if isinstance(node, URIRef | Literal):
        return node.n3()
    raise UnsupportedShape(f"blank node {node} cannot appear as a constant in a query")


def _path(g: Graph, node: Node) -> str:
    """A SHACL property path as a SPARQL property path."""
    if isinstance(node, URIRef):
        return node.n3()
    if (node, RDF.first, None) in g:
        return "(" + "/".join(_path(g, n) for n in Collection(g, node)) + ")"
    for pred, fmt in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = g.value(node, pred)
        if inner is not None:
            return "(" + fmt.format(_path(g, inner)) + ")"
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(_path(g, n) for n in Collection(g, alt)) + ")"
    raise UnsupportedShape(f"unsupported sh:path {node}")


def _classes(c: Node) -> str:
    """A placeholder for ``c`` and its subclasses, filled in by :func:`run_checks`."""
    if not isinstance(c, URIRef):
        raise UnsupportedShape(f"class {c} must be an IRI")
    return f"%%CLASSES {c.n3()}%%"


def _targets(g: Graph, shape: Node) -> str | None:
    """A pattern binding ``?this`` to the shape's focus nodes (None: no targets)."""
    parts: list[str] = []
    for c in g.objects(shape, SH.targetClass):
        parts.append(f"VALUES ?_tc {{ {_classes(c)} }} ?this <{RDF.type}> ?_tc .")
    for p in g.objects(shape, SH.targetObjectsOf):
        parts.append(f"?_ts {_n3(p)} ?this .")
    for p in g.objects(shape, SH.targetSubjectsOf):
        parts.append(f"?this {_n3(p)} ?_to .")
    nodes = [_n3(n) for n in g.objects(shape, SH.targetNode)]
    if nodes:
        parts.append(f"VALUES ?this {{ {' '.join(nodes)} }}")
    if (shape, RDF.type, RDFS.Class) in g:
        raise UnsupportedShape(f"implicit class target of {shape} is not supported")
    if not parts:
        return None
    # DISTINCT: a node reached by two targets (or two types) is one focus node.
    union = " UNION ".join(f"{{ {p} }}" for p in parts)
    return f"{TARGET_OPEN}{union} }} }}"


def _value_condition(g: Graph, shape: Node, pred: URIRef, obj: Any, v: str = "?value") -> str:
    """A SPARQL expression true when value ``v`` satisfies one value-type constraint."""
    if pred == SH["class"]:
        return f"EXISTS {{ VALUES ?_vc {{ {_classes(obj)} }} {v} <{RDF.type}> ?_vc }}"
    if pred == SH.datatype:
        cond = f"(isLiteral({v}) && datatype({v}) = {_n3(obj)}"
        if obj in _CASTABLE:  # ill-formed lexical forms ("2024-13-45"^^xsd:date) fail
            cond += f" && COALESCE(sameTerm({_n3(obj)}({v}), {_n3(obj)}({v})), false)"
        return cond + ")"
    if pred == SH.nodeKind:
        if obj not in _KINDS:
            raise UnsupportedShape(f"unknown sh:nodeKind {obj}")
        return _KINDS[obj].format(v=v)
    if pred in _COMPARISONS:
        return f"COALESCE({v} {_COMPARISONS[pred]} {_n3(obj)}, false)"
    if pred == SH.pattern:
        flags = g.value(shape, SH.flags)
        args = f", {_n3(Literal(str(flags)))}" if flags is not None else ""
        return (
            f"(!isBlank({v}) && COALESCE(REGEX(STR({v}), {_n3(Literal(str(obj)))}{args}), false))"
        )
    if pred in (SH.minLength, SH.maxLength):
        op = ">=" if pred == SH.minLength else "<="
        return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {int(obj)})"
    if pred == SH["in"]:
        members = ", ".join(_n3(n) for n in Collection(g, obj))
        return f"({v} IN ({members}))"
    raise UnsupportedShape(f"unsupported constraint {pred}")


_VALUE_COMPONENTS = {
    SH["class"]: "ClassConstraintComponent",
    SH.datatype: "DatatypeConstraintComponent",
    SH.nodeKind: "NodeKindConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent",
    SH.maxExclusive: "MaxExclusiveConstraintComponent",
    SH.pattern: "PatternConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent",
    SH.maxLength: "MaxLengthConstraintComponent",
    SH["in"]: "InConstraintComponent",
}


def _or_condition(g: Graph, alternatives: Node) -> str:
    """``sh:or`` of shapes that each hold value-type constraints only."""
    ors: list[str] = []
    for alt in Collection(g, alternatives):
        ands = []
        for p, o in g.predicate_objects(alt):
            if p == RDF.type:
                continue
            if p not in _VALUE_COMPONENTS:
                raise UnsupportedShape(f"unsupported constraint {p} inside sh:or")
            ands.append(_value_condition(g, alt, p, o))  # type: ignore[arg-type]
        ors.append("(" + (" && ".join(ands) or "true") + ")")
    return " || ".join(ors) or "false"


def _severity(g: Graph, shape: Node) -> str:
    sev = g.value(shape, SH.severity)
    return str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation"


def _messages(g: Graph, node: Node) -> tuple[str, ...]:
    return tuple(str(m) for m in g.objects(node, SH.message))


def _prefixes(g: Graph, constraint: Node) -> str:
    lines = []
    for ontology in g.objects(constraint, SH.prefixes):
        for decl in g.objects(ontology, SH.declare):
            lines.append(f"PREFIX {g.value(decl, SH.prefix)}: <{g.value(decl, SH.namespace)}>")
    return "\n".join(sorted(set(lines)))


_CYCLE = re.compile(
    r"^SELECT\s+(DISTINCT\s+)?\?this\s+\?value\s+WHERE\s*\{\s*\?this\s+(?P<p>[^\s{}]+)\s+\?value\s*\.\s*"
    r"\?value\s+\((?P=p)\)\*\s+\?this\s*\.?\s*\}$",
    re.S | re.I,
)
_SELECT_WHERE = re.compile(r"^(?P<head>.*?\bSELECT\b.*?\bWHERE\s*)\{", re.S | re.I)


def _sparql_check(
    g: Graph,
    shape: Node,
    constraint: Node,
    target: str,
    path: str | None,
    path_iri: str | None = None,
) -> Check:
    """An sh:sparql SELECT with ``$this`` bound by joining the shape's targets first.

    Joining the targets ahead of the body gives the pre-binding semantics SHACL asks for
    as long as ``$this`` is not re-bound inside a sub-select, which is refused.
    """
    select = g.value(constraint, SH.select)
    if select is None or g.value(constraint, SH.ask) is not None:
        raise UnsupportedShape(f"SPARQL constraint {constraint}: only sh:select is supported")
    text = str(select)
    if path is not None:
        text = text.replace("$PATH", path)
    elif "$PATH" in text:
        raise UnsupportedShape(f"$PATH in {constraint} of node shape {shape}")
    if re.search(r"\{\s*SELECT", text, re.I) or re.search(r"\$(?!this\b)\w+", text):
        raise UnsupportedShape(
            f"SPARQL constraint {constraint}: sub-selects or pre-bound variables other than $this"
        )
    text = text.replace("$this", "?this")
    cycle = _CYCLE.match(text.strip())
    if cycle:
        # Reachability per (this, value) pair is quadratic in the engine; the same answer
        # is "this -> value is an edge and both lie in one strongly connected component".
        p = cycle.group("p")
        return Check(
            shape=str(shape),
            component=SHACL + "SPARQLConstraintComponent",
            severity=_severity(g, shape),
            path=path_iri,
            messages=_messages(g, shape) + _messages(g, constraint),
            query=f"{_prefixes(g, constraint)}\nSELECT DISTINCT ?this ?value WHERE {{ {target} ?this {p} ?value }}",
            value_is_focus=path is None,
            cycle_path=f"{_prefixes(g, constraint)}\nSELECT DISTINCT ?a ?b WHERE {{ ?a {p} ?b }}",
        )
    m = _SELECT_WHERE.match(text.strip())
    if not m:
        raise UnsupportedShape(f"SPARQL constraint {constraint}: cannot find SELECT … WHERE {{")
    body = text.strip()[m.end() :]
    query = f"{_prefixes(g, constraint)}\n{m.group('head')}{{ {target}\n{body}"
    messages = _messages(g, shape) + _messages(g, constraint)
    return Check(
        shape=str(shape),
        component=SHACL + "SPARQLConstraintComponent",
        severity=_severity(g, shape),
        path=path_iri,
        messages=messages,
        query=query,
        value_is_focus=path is None,
    )


def _property_checks(g: Graph, shape: Node, target: str) -> Iterator[Check]:
    path_node = g.value(shape, SH.path)
    if path_node is None:
        raise UnsupportedShape(f"property shape {shape} has no sh:path")
    path = _path(g, path_node)
    base = {
        "shape": str(shape),
        "severity": _severity(g, shape),
        "path": str(path_node) if isinstance(path_node, URIRef) else None,
        "messages": _messages(g, shape),
    }
    values = f"{target} ?this {path} ?value ."
    if any(g.value(path_node, p) is not None for p in (SH.zeroOrMorePath, SH.zeroOrOnePath)):
        # A zero-length path reaches the focus node even when the data does not mention it.
        values = f"{{ {target} ?this {path} ?value }} UNION {{ {target} BIND (?this AS ?value) }}"
    for pred, obj in sorted(cast(Iterable[tuple[URIRef, Any]], g.predicate_objects(shape))):
        if pred in _NON_CONSTRAINTS and pred not in (SH.sparql,):
            continue
        if pred == SH.sparql:
            yield _sparql_check(g, shape, obj, target, path, base["path"])  # type: ignore[arg-type]
            continue
        if pred in (SH.minCount, SH.maxCount):
            n = int(obj)
            name = (
                "MinCountConstraintComponent"
                if pred == SH.minCount
                else "MaxCountConstraintComponent"
            )
            if pred == SH.minCount and n == 1:
                q = f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} ?value }} }}"
            else:
                op = "<" if pred == SH.minCount else ">"
                q = (
                    f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {path} ?value }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {op} {n})"
                )
            screen = (
                _max_count_screen(path, n)
                if pred == SH.maxCount and isinstance(path_node, URIRef)
                else None
            )
            yield Check(component=SHACL + name, query=q, screen=screen, **base)  # type: ignore[arg-type]
            continue
        if pred == SH.hasValue:
            q = f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} {_n3(obj)} }} }}"
            yield Check(component=SHACL + "HasValueConstraintComponent", query=q, **base)  # type: ignore[arg-type]
            continue
        if pred == SH["or"]:
            cond, name = _or_condition(g, obj), "OrConstraintComponent"
        elif pred in _VALUE_COMPONENTS:
            cond, name = _value_condition(g, shape, pred, obj), _VALUE_COMPONENTS[pred]
        elif pred == SH.flags:
            continue  # read with sh:pattern
        else:
            raise UnsupportedShape(f"property shape {shape}: unsupported constraint {pred}")
        q = f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER (!({cond})) }}"
        yield Check(component=SHACL + name, query=q, **base)  # type: ignore[arg-type]


def _max_count_screen(path: str, n: int) -> str:
    """An ASK true when some node may have more than ``n`` values of the predicate ``path``.

    Over the whole store, ``pairs - subjects`` (distinct subject-value pairs less distinct
    subjects) bounds how many values beyond the first any one subject has, so when it is
    below ``n`` no node, focus node or not, has more than ``n``. Two hash passes over one
    predicate's edges: at 1M triples about 45 ms where the GROUP BY check takes 120-280 ms,
    and the shipped shapes have 31 such checks, nearly all of which hold.
    """
    return (
        "ASK { { SELECT (COUNT(DISTINCT ?this) AS ?subjects) (COUNT(*) AS ?pairs) WHERE { "
        f"SELECT DISTINCT ?this ?value WHERE {{ ?this {path} ?value }} }} }} "
        f"FILTER (?pairs - ?subjects >= {n}) }}"
    )


def compile_shapes(g: Graph) -> list[Check]:
    """Every constraint of every active, targeted shape in ``g`` as a :class:`Check`."""
    checks: list[Check] = []
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(SH.targetClass, None))
    for shape in sorted(cast(set[Any], shapes)):  # rdflib terms (IRIs, blank nodes) sort
        if g.value(shape, SH.deactivated) == Literal(True):
            continue
        target = _targets(g, shape)
        if target is None:
            continue
        for pred, obj in g.predicate_objects(shape):
            if pred == SH.property:
                if g.value(obj, SH.deactivated) != Literal(True):
                    checks.extend(_property_checks(g, obj, target))
            elif pred == SH.sparql:
                checks.append(_sparql_check(g, shape, obj, target, None))
            elif pred not in _NON_CONSTRAINTS:
                raise UnsupportedShape(
                    f"node shape {shape}: unsupported constraint {pred} on the node itself"
                )
    for shape in set(g.subjects(RDF.type, SH.PropertyShape)):
        if _targets(g, shape) is not None:
            raise UnsupportedShape(f"property shape {shape} with its own targets is not supported")
    return checks


@cache
def shipped_checks() -> tuple[Check, ...]:
    """The compiled ``ontology/shapes.ttl`` (compiled once per process)."""
    g = Graph()
    g.parse(resources.shapes_file(), format="turtle")
    return tuple(compile_shapes(g))


def _term(node: Any) -> str | None:
    return None if node is None else str(node.value)


def _format(message: str, row: dict[str, Any]) -> str:
    for var, val in row.items():
        if val is not None:
            literal = str(val.value).replace("\\", "\\\\")  # no group references
            message = re.sub(r"\{[?$]" + re.escape(var) + r"\}", literal, message)
    return message


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """A SELECT over the union of the graphs (the queries here are all SELECTs)."""
    return cast(ox.QuerySolutions, store.query(query, use_default_graph_as_union=True))


def _ask(store: ox.Store, query: str) -> bool:
    """An ASK over the union of the graphs."""
    return bool(store.query(query, use_default_graph_as_union=True))


def _in_cycles(
    store: ox.Store, edges_query: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The (this, value) edges whose value reaches back to this through the edge graph."""
    graph = nx.DiGraph()
    graph.add_edges_from((r["a"], r["b"]) for r in _select(store, edges_query))
    component = {n: i for i, scc in enumerate(nx.strongly_connected_components(graph)) for n in scc}
    return [
        r
        for r in rows
        if r["this"] == r["value"] or component.get(r["this"], -1) == component.get(r["value"], -2)
    ]


def run_checks(
    store: ox.Store,
    checks: Iterable[Check] | None = None,
    *,
    threads: int | None = None,
    closures: dict[str, str] | None = None,
    focus: str | None = None,
) -> list[Result]:
    """Evaluate ``checks`` over the union of ``store``'s graphs, several at a time.

    pyoxigraph releases the GIL while it evaluates, so ``threads`` queries (default: the
    CPU count, at most 4) run in parallel: 1.8-2.7x faster on two cores for the shipped
    shapes at 1M triples (``benchmarks/load.py``). The result does not depend on it.
    ``closures`` (class -> its subclasses, as written in a VALUES list) default to those
    in ``store``; ``focus`` (terms as written in a VALUES list) restricts the focus nodes.
    """
    checks = list(shipped_checks() if checks is None else checks)
    if closures is None:
        closures = _class_closures(store, checks)
    queries = [_CLASSES.sub(lambda m: closures[m.group(1)], c.query) for c in checks]
    if focus is not None:
        bound = f"{TARGET_OPEN}VALUES ?this {{ {focus} }} "
        queries = [q.replace(TARGET_OPEN, bound, 1) for q in queries]
    workers = max(1, min(len(checks), threads or min(4, os.cpu_count() or 1)))
    run = partial(_run_check, store, screened=focus is None)
    if workers == 1:
        found = [run(c, q) for c, q in zip(checks, queries, strict=True)]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="shacl") as pool:
            found = list(pool.map(run, checks, queries))
    results = set().union(*found)
    return sorted(results, key=lambda r: (r.focus, r.path or "", r.component, r.message))


def _class_closures(store: ox.Store, checks: Iterable[Check]) -> dict[str, str]:
    """Each class the checks name, with its subclasses in the store, as a VALUES list."""
    closures: dict[str, str] = {}
    for check in checks:
        for cls in _CLASSES.findall(check.query):
            if cls in closures:
                continue
            rows = _select(store, f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> }}")
            # Blank-node subclasses cannot be written in a query; no data is typed with one.
            named = {str(r["c"]) for r in rows if isinstance(r["c"], ox.NamedNode)}
            closures[cls] = " ".join(sorted(named | {f"<{cls}>"}))
    return closures


def _run_check(store: ox.Store, check: Check, query: str, *, screened: bool = False) -> set[Result]:
    """The check's results; ``screened``: first ask its screen, if it has one (worth it
    over a whole store, not for a few focus nodes)."""
    results: set[Result] = set()
    if screened and check.screen is not None and not _ask(store, check.screen):
        return results
    solutions = _select(store, query)
    names = [v.value for v in solutions.variables]
    rows: Iterable[dict[str, Any]] = ({n: sol[n] for n in names} for sol in solutions)
    if check.cycle_path is not None:
        rows = _in_cycles(store, check.cycle_path, list(rows))
    for row in rows:
        this = row.get("this")
        if this is None:
            continue
        value = row.get("value") or (this if check.value_is_focus else None)
        path = row.get("path")
        path_iri = path.value if isinstance(path, ox.NamedNode) else check.path
        message = "; ".join(sorted(_format(m, row) for m in check.messages))
        results.add(
            Result(
                focus=str(this.value),
                path=path_iri,
                component=check.component,
                severity=check.severity,
                shape=check.shape,
                message=message or f"{check.component.rsplit('#', 1)[-1]} not met",
                value=_term(value) if isinstance(value, ox.NamedNode | ox.Literal) else None,
            )
        )
    return results

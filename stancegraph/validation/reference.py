"""SHACL validation of stance data with pyshacl, reported in curator-friendly terms.

Why focus nodes: validating a new batch against a large store must not re-validate the
whole store. The batch is validated together with a one-hop context of what it refers to
(types, labels, source metadata), and only the batch's own subjects are focus nodes.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from typing import Any

import pyshacl
import rdflib.plugins.sparql
import rdflib.plugins.sparql.processor as _sparql_processor
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from .. import resources
from ..terms import SH


@dataclass(frozen=True)
class Finding:
    """One SHACL result: which node, which field, what is wrong."""

    severity: str  # Violation | Warning | Info
    focus: str
    path: str | None
    message: str
    value: str | None = None
    shape: str | None = None
    location: str | None = None  # FILE:LINE of the record, when it came from YAML

    def __str__(self) -> str:
        """Prefixed names (``stance:x``, ``sg:statedAt``) and the record's file:line."""
        from ..sparql.text import compact

        def short(text: str) -> str:
            return re.sub(
                r"https?://[^\s<>\"{}|^`]+[^\s<>\"{}|^`.,:;)]", lambda m: compact(m[0]), text
            )

        where = f"{self.location}: " if self.location else ""
        field_ = f" field {compact(self.path)}" if self.path else ""
        value = f" (value: {short(self.value)})" if self.value else ""
        return (
            f"{where}{self.severity}: {compact(self.focus)}{field_}: {short(self.message)}{value}"
        )


@dataclass
class ValidationReport:
    conforms: bool
    violations: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    checked_triples: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "violations": [asdict(f) for f in self.violations],
            "warnings": [asdict(f) for f in self.warnings],
            "checked_triples": self.checked_triples,
        }

    def __repr__(self) -> str:
        head = "conforms" if self.conforms else f"{len(self.violations)} violation(s)"
        return f"<ValidationReport {head}, {len(self.warnings)} warning(s); print() for the list>"

    def __str__(self) -> str:
        head = "conforms" if self.conforms else f"{len(self.violations)} violation(s)"
        lines = [f"SHACL: {head}, {len(self.warnings)} warning(s)"]
        lines += [f"  {f}" for f in self.violations + self.warnings]
        return "\n".join(lines)


class ValidationFailed(ValueError):
    """Data violates the SHACL shapes; nothing was written."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(str(report))


# rdflib's SPARQL parser (pyparsing) is not safe to run in two threads at once: parses
# that overlapped (the service compiling its write checks while a first write arrived)
# failed at random inside pyparsing. Every rdflib SPARQL parse in this package takes it.
RDFLIB_PARSE_LOCK = threading.RLock()


@lru_cache(maxsize=512)
def _translated(query: str, base: str | None, ns: tuple[tuple[str, Any], ...]) -> Any:
    with RDFLIB_PARSE_LOCK:
        parsed = _sparql_processor.parseQuery(query)
        return _sparql_processor.translateQuery(parsed, base, dict(ns))


def _cached_query(
    self: Any,
    strOrQuery: Any,
    initBindings: Any = None,
    initNs: Any = None,
    base: str | None = None,
    DEBUG: bool = False,
) -> Any:
    """rdflib's SPARQLProcessor.query with the parse+translate step memoised.

    pyshacl evaluates each SPARQL constraint once per focus node and rdflib re-parses the
    text every time: on the seed graph that was 5 of 6 seconds of validation. A translated
    query is immutable during evaluation (rdflib's own prepareQuery relies on that).
    """
    if isinstance(strOrQuery, str):
        # Unhashable namespace values fall back to rdflib's own path.
        with contextlib.suppress(TypeError):
            strOrQuery = _translated(strOrQuery, base, tuple(sorted((initNs or {}).items())))
    return _sparql_processor.evalQuery(self.graph, strOrQuery, initBindings, base)


_sparql_processor.SPARQLProcessor.query = _cached_query  # type: ignore[method-assign]
# Never let rdflib fetch FROM/default-graph IRIs from the web while validating.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False


@cache
def shapes_graph() -> Graph:
    g = Graph()
    g.parse(resources.shapes_file(), format="turtle")
    return g


@cache
def ontology_graph() -> Graph:
    """Ontology + vocabularies, parsed once per process."""
    g = Graph()
    for p in resources.ontology_files():
        g.parse(p, format="turtle")
    return g


def _str(node: Any) -> str | None:
    return None if node is None else str(node)


def _findings(results: Graph) -> tuple[list[Finding], list[Finding]]:
    violations: list[Finding] = []
    warnings: list[Finding] = []
    report = next(iter(results.subjects(RDF.type, SH.ValidationReport)), None)
    # Only top-level results: nested sh:detail results repeat them with other focus nodes.
    for r in results.objects(report, SH.result) if report is not None else ():
        sev = results.value(r, SH.resultSeverity)
        sev_name = str(sev).rsplit("#", 1)[-1] if sev else "Violation"
        msgs = [str(m) for m in results.objects(r, SH.resultMessage)]
        value = results.value(r, SH.value)
        f = Finding(
            severity=sev_name,
            focus=str(results.value(r, SH.focusNode)),
            path=_str(results.value(r, SH.resultPath))
            if isinstance(results.value(r, SH.resultPath), URIRef)
            else None,
            message="; ".join(sorted(msgs)) or "constraint not met",
            value=str(value) if isinstance(value, URIRef | Literal) else None,
            shape=_str(results.value(r, SH.sourceShape))
            if isinstance(results.value(r, SH.sourceShape), URIRef)
            else None,
        )
        (violations if sev_name == "Violation" else warnings).append(f)
    key = lambda f: (f.focus, f.path or "", f.message)  # noqa: E731
    return sorted(set(violations), key=key), sorted(set(warnings), key=key)


def validate(data: Graph, focus_nodes: Iterable[str] | None = None) -> ValidationReport:
    """Validate ``data`` (which must include the ontology and vocabularies) against the shapes."""
    focus = sorted(set(focus_nodes)) if focus_nodes is not None else None
    if focus is not None and not focus:
        return ValidationReport(True, checked_triples=len(data))
    # No inference: the ontology is part of ``data``, and sh:class / sh:targetClass follow
    # rdfs:subClassOf there by themselves. RDFS inference (owlrl) would cost more and, with
    # rdfs:range, would make "holder must be an sg:Actor" impossible to violate.
    conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        allow_warnings=True,
        focus_nodes=[URIRef(f) for f in focus] if focus else None,
    )
    violations, warnings = _findings(results)
    return ValidationReport(bool(conforms) and not violations, violations, warnings, len(data))


def validate_store(store: Any) -> ValidationReport:
    """Validate a whole ``pyoxigraph.Store`` (ontology graph included) with compiled SPARQL.

    The fast path for bulk loads: the same results as :func:`validate` on the store's union
    graph (``tests/test_fast_shacl.py`` checks that), evaluated by the store's own engine.
    """
    from .compiled import run_checks

    violations: list[Finding] = []
    warnings: list[Finding] = []
    for r in run_checks(store):
        f = Finding(r.severity, r.focus, r.path, r.message, r.value, r.shape)
        (violations if r.severity == "Violation" else warnings).append(f)
    key = lambda f: (f.focus, f.path or "", f.message)  # noqa: E731
    violations, warnings = sorted(set(violations), key=key), sorted(set(warnings), key=key)
    return ValidationReport(not violations, violations, warnings, len(store))

"""Reading only source data: the SELECTs a frame is built from, their rows streamed as
plain strings.

The SELECTs read stances, conditions, actors, propositions and memberships
(``READ_PREDICATES``, ``READ_TYPES``), which the derived analytics graph
(``id/graph/analytics``) never states: :mod:`.materialize` refuses to write a quad that
would. Materialising analytics therefore never feeds back into the analyses."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, cast

import pyoxigraph as ox

from ..sparql.shape import analyse, projection
from ..store.embedded import OxigraphStore
from ..terms import SPARQL_PREFIXES
from .options import _CLASS_ORDER, Options

_Q_ACTORS = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?actor ?cls ?label ?state WHERE {
  ?actor a ?cls . ?cls rdfs:subClassOf* sg:Actor .
  FILTER(STRSTARTS(STR(?cls), STR(sg:)))
  OPTIONAL { ?actor rdfs:label ?label }
  OPTIONAL { ?actor sg:state ?state }
}"""
)

_Q_MEMBER_OF = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?actor ?org WHERE { ?actor org:memberOf ?org }"""
)

_Q_PROPOSITIONS = (
    SPARQL_PREFIXES
    + """
SELECT ?p ?label ?demandType WHERE {
  ?p a sg:Proposition .
  OPTIONAL { ?p rdfs:label ?label }
  OPTIONAL { ?p sg:demandType/skos:notation ?demandType }
}"""
)

_Q_STANCES_HEAD = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?stance ?holder ?target ?targetIsStance ?targetHolder ?polarity ?pw
       ?modality ?mw ?statedAt ?nominee ?speaker ?label {extra} WHERE {{
  ?stance a sg:Stance ; sg:holder ?holder ; sg:target ?target ;
          sg:polarity ?pc ; sg:modality ?mc .
  ?pc skos:notation ?polarity .
  ?mc skos:notation ?modality .
  {filters}
  OPTIONAL {{ ?pc rdf:value ?pw }}
  OPTIONAL {{ ?mc rdf:value ?mw }}
  OPTIONAL {{ ?stance sg:statedAt ?statedAt }}
  BIND(EXISTS {{ ?target a sg:Stance }} AS ?targetIsStance)
  OPTIONAL {{ ?target a sg:Stance ; sg:holder ?targetHolder }}
  OPTIONAL {{ ?stance sg:nominee ?nominee }}
  OPTIONAL {{ ?stance sg:voicedBy ?speaker }}
  OPTIONAL {{ ?stance rdfs:label ?label }}
  {date_filter}
}}"""
)
# Required patterns come first: an OPTIONAL followed by required patterns makes the
# engine join in a poor order (seconds instead of milliseconds on the seed).

_Q_SUPERSEDES = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?new ?old WHERE { ?new sg:supersedes ?old }"""
)

_Q_CONDITIONS = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?condition ?stance ?conditionType ?requires ?note WHERE {
  ?stance sg:condition ?condition .
  ?condition sg:requires ?requires .
  OPTIONAL { ?condition sg:conditionType/skos:notation ?conditionType }
  OPTIONAL { ?condition rdfs:comment ?note }
}"""
)

_Q_NOMINEE_PROPOSITIONS = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?nomination ?proposition ?open WHERE {
  ?nomination sg:nominee ?nominee .
  OPTIONAL { ?nomination sg:nomineeProposition ?proposition }
  OPTIONAL { ?nomination sg:listOpenness/skos:notation ?open }
}"""
)

_Q_PARTIES = (
    SPARQL_PREFIXES
    + """
SELECT ?party (COUNT(DISTINCT ?n) AS ?n) WHERE { ?n sg:party ?party } GROUP BY ?party"""
)


def _stance_query(options: Options) -> str:
    extra, filters, date_filter = [], [], ""
    if options.as_of is not None:
        extra.append("?asOf")
        date_filter = "FILTER(BOUND(?statedAt) && ?statedAt <= ?asOf)"
    if options.source is not None:
        extra.append("?sourceFilter")
        filters.append("?stance prov:wasDerivedFrom ?sourceFilter .")
    if not options.expectations:
        # (OPTIONAL + !BOUND rather than FILTER NOT EXISTS / MINUS, which Virtuoso 7
        # ignores in this query)
        filters.append(
            "OPTIONAL { ?stance a ?expectationClass FILTER(?expectationClass = sg:Expectation) }"
            " FILTER(!BOUND(?expectationClass))"
        )
    return _Q_STANCES_HEAD.format(
        extra=" ".join(extra), filters="\n  ".join(filters), date_filter=date_filter
    )


# What the projections read. The derived analytics graph must never state any of it, so
# that materialising analytics cannot feed back into them (materialize.py checks this
# before every write, and the tests check it on the seed).
READ_PREDICATES = frozenset(
    f"https://w3id.org/stancegraph/ns#{p}"
    for p in (
        "holder", "target", "polarity", "modality", "statedAt", "nominee", "voicedBy",
        "supersedes", "condition", "conditionType", "requires", "party", "state", "demandType",
        "nomineeProposition", "listOpenness",
    )
) | {"http://www.w3.org/ns/org#memberOf"}  # fmt: skip
# (prov:wasDerivedFrom and rdfs:label are read too, but only of subjects typed as above.)
READ_TYPES_PREFIX = "https://w3id.org/stancegraph/ns#"
READ_TYPES = frozenset(
    READ_TYPES_PREFIX + c
    for c in (
        "Stance",
        "GuarantorNomination",
        "Expectation",
        "Proposition",
        "Condition",
        *_CLASS_ORDER,
    )
)


# A row of ``select``: str cells, None where unbound. Typed ``Any`` because each query's
# caller knows which of its columns are always bound (a subject, a required property).
Row = dict[str, Any]


def select(kg: Any, sparql: str, **bindings: Any) -> Iterator[Row]:
    """Run a SELECT over the union of the graphs; values bound as variables; rows stream.

    Cells are plain strings: an IRI, a literal's lexical form, ``_:id`` for a blank node,
    or None when unbound (callers convert numbers and dates). On the embedded store the
    rows cross from Rust to Python as one CSV document, not term by term (the per-cell
    ``to_python`` was most of the frame time at 1M triples); on a remote store they are
    fetched page by page (``iter_select``, the store's ``page_size`` rows a request), so
    memory holds one page of the response at a time.

    (Restricting the default graph to the source graphs by listing them is exact but
    ~30x slower with thousands of sources; instead the analytics graph is kept free of
    everything in ``READ_PREDICATES`` and ``READ_TYPES``.)
    """
    store = kg.store
    columns = _projected(sparql)
    if hasattr(store, "iter_select") and "GROUP BY" not in sparql:
        # (aggregates are few rows, and paging wraps them in an ORDER BY Virtuoso refuses)
        for sol in store.iter_select(sparql, substitutions=bindings or None):
            yield _plain_row(sol, columns)
        return
    raw = store.query(sparql, substitutions=bindings, union_default_graph=True)
    if not isinstance(raw, ox.QuerySolutions):
        raise TypeError("analytics queries must be SELECT queries")
    if not isinstance(store, OxigraphStore):  # a remote store's result: already in memory
        for sol in raw:
            yield _plain_row(sol, columns)
        return
    text = cast(bytes, raw.serialize(format=ox.QueryResultsFormat.CSV)).decode()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    for row in reader:
        yield {c: (v or None) for c, v in zip(header, row, strict=True)}


def _plain_row(sol: ox.QuerySolution, columns: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for var in columns:
        term = sol[var]
        if term is None:
            out[var] = None
        elif isinstance(term, ox.BlankNode):
            out[var] = f"_:{term.value}"
        else:
            out[var] = term.value or None
    return out


def _projected(sparql: str) -> list[str]:
    """The variables a SELECT projects (its head, up to WHERE), in order."""
    return projection(sparql, analyse(sparql)) or []

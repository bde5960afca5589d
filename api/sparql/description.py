"""The SPARQL service description (``GET /sparql`` without a query): what the endpoint
supports, in the negotiated RDF format, cached per data version."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import Response

from .engine import Engine, engine_of
from .formats import choose_formats, not_acceptable
from .screen import BAD_IRI
from .workers import (
    GRAPH_FORMATS,
)

SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_VOID_TRIPLES = ox.NamedNode("http://rdfs.org/ns/void#triples")
_FORMATS = "http://www.w3.org/ns/formats/"
_RESULT_FORMAT_IRIS = [
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "N-Quads",
    "TriG",
    "JSON-LD",
    "RDF_XML",
]
_INPUT_FORMAT_IRIS = ["Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML"]
SD_PREFIXES = {
    "sd": SD,
    "void": "http://rdfs.org/ns/void#",
    "formats": _FORMATS,
    "dcterms": "http://purl.org/dc/terms/",
}


def _sd_triples(engine: Engine, endpoint: str) -> list[ox.Triple]:
    s = engine.settings
    store = engine.kg.store
    counts = {
        row["g"].value: int(row["n"].value)
        for row in store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            union_default_graph=False,
        )
    }
    default_n = int(
        next(
            iter(
                store.query(
                    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                    union_default_graph=s.union_default_graph,
                )
            )
        )["n"].value
    )

    def sd(local: str) -> ox.NamedNode:
        return ox.NamedNode(SD + local)

    def lit(value: Any) -> ox.Literal:
        if isinstance(value, int):
            return ox.Literal(
                str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
            )
        return ox.Literal(str(value))

    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("defaultGraph")
    t = [
        ox.Triple(service, _RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(
            service,
            sd("defaultEntailmentRegime"),
            ox.NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(
            service,
            ox.NamedNode("http://purl.org/dc/terms/description"),
            lit(
                f"stancegraph SPARQL endpoint. Default graph: {s.default_graph}. Queries stop after "
                f"{s.query_timeout_s:g} s; results are capped at {s.max_rows} rows (header "
                "X-Stancegraph-Truncated). Graph Store Protocol at /store."
                + ("" if s.writes_enabled else " Writes are disabled.")
            ),
        ),
    ]
    if s.writes_enabled:
        t.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    for name in _RESULT_FORMAT_IRIS:
        t.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(_FORMATS + name)))
    if s.writes_enabled:
        for name in _INPUT_FORMAT_IRIS:
            t.append(ox.Triple(service, sd("inputFormat"), ox.NamedNode(_FORMATS + name)))
    if s.union_default_graph:
        t.append(ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")))
    if s.allow_outbound:
        t.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    t += [
        ox.Triple(dataset, _RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, _RDF_TYPE, sd("Graph")),
        ox.Triple(default, _VOID_TRIPLES, lit(default_n)),
    ]
    for i, g in enumerate(engine.kg.store.named_graphs()):
        ng, graph = ox.BlankNode(f"ng{i}"), ox.BlankNode(f"g{i}")
        t += [
            ox.Triple(dataset, sd("namedGraph"), ng),
            ox.Triple(ng, _RDF_TYPE, sd("NamedGraph")),
            ox.Triple(ng, sd("name"), ox.NamedNode(g)),
            ox.Triple(ng, sd("graph"), graph),
            ox.Triple(graph, _RDF_TYPE, sd("Graph")),
            ox.Triple(graph, _VOID_TRIPLES, lit(counts.get(g, 0))),
        ]
    return t


async def service_description(request: Request, fmt: str | None) -> Response:
    """W3C SPARQL 1.1 Service Description, current as of the store's latest write."""
    engine = engine_of(request)
    _sol, graph = choose_formats(request, fmt)
    if graph is None:
        raise not_acceptable("graph")
    endpoint = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    if BAD_IRI.search(endpoint):
        endpoint = "urn:stancegraph:sparql"
    key = (engine.kg.store.version, graph, endpoint)
    body = engine._sd_cache.get(key)
    if body is None:

        def build() -> bytes:
            triples = _sd_triples(engine, endpoint)
            kwargs: dict[str, Any] = {"format": GRAPH_FORMATS[graph][0]}
            if graph in ("turtle", "trig", "rdfxml"):
                kwargs["prefixes"] = SD_PREFIXES
            return cast(bytes, ox.serialize(triples, **kwargs))

        body = await asyncio.get_running_loop().run_in_executor(None, build)
        engine._sd_cache.put(key, body, len(body))
    return Response(body, media_type=GRAPH_FORMATS[graph][1], headers={"Vary": "Accept"})

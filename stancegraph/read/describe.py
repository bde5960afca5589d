"""The RDF of one resource: its triples, and JSON-LD."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..terms import SPARQL_PREFIXES

if TYPE_CHECKING:
    from ..graph import StanceGraph


# --------------------------------------------------------------------------- RDF of one resource

_Q_DESCRIBE = (
    SPARQL_PREFIXES
    + """
CONSTRUCT { ?s ?p ?o } WHERE {
  { ?r ?p ?o . BIND(?r AS ?s) }
  UNION { ?r sg:condition|sg:hasEvidence|(sg:hasEvidence/oa:hasTarget)|(sg:hasEvidence/oa:hasTarget/oa:hasSelector)|sg:relayedVia ?s .
          ?s ?p ?o }
  UNION { ?s org:member ?r ; a org:Membership . ?s ?p ?o }
  UNION { ?s rdf:subject ?r ; a sg:InferredFact . ?s ?p ?o }
}
"""
)


def describe(kg: StanceGraph, iri: str) -> list[ox.Triple]:
    """The resource's own triples and those of the nodes it owns (conditions, evidence,
    relays, memberships, the markers of its inferred facts), in a stable order."""
    raw = kg.store.query(_Q_DESCRIBE, substitutions={"r": ox.NamedNode(iri)})
    return sorted(set(raw), key=str)


def jsonld(kg: StanceGraph, iri: str) -> bytes | None:
    triples = describe(kg, iri)
    if not triples:
        return None
    return ox.serialize(triples, format=ox.RdfFormat.JSON_LD)

"""Whether a SPARQL query may read the derived analytics graph: the ``/sparql`` endpoint
regenerates that graph only for queries that do (on a large store it costs seconds, which
plain data queries must not pay).

A query reads it when its text names the graph (``…/graph/analytics``) or one of the terms
``ontology/analytics.ttl`` defines. A text match errs on the side of regenerating: a term
in a comment or a string counts too, which costs time, never a wrong answer.
"""

from __future__ import annotations

import functools

import rdflib

from .. import resources
from ..memo import memoize
from ..terms import SG


@functools.cache
def analytics_terms() -> frozenset[str]:
    """Local names of the terms defined for the derived analytics graph."""
    path = resources.ontology_dir() / "analytics.ttl"
    if not path.exists():
        return frozenset()
    g = rdflib.Graph().parse(path, format="turtle")
    ns = str(SG)
    return frozenset(str(s)[len(ns) :] for s in g.subjects() if str(s).startswith(ns))


# ~30 µs a query text: repeated queries skip it. The key is the text's digest: a 1 MB
# query text is not kept (2,100 of them held 2.7 GB in an lru_cache).
@memoize(max_bytes=1 << 20, max_entries=4096, size=lambda result: 0)
def mentions_analytics(text: str) -> bool:
    """Whether ``text`` names the derived analytics graph or one of its terms."""
    if "graph/analytics" in text:
        return True
    return any(term in text for term in analytics_terms())

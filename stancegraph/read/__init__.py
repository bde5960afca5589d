"""Read views of the stance graph as plain, JSON-ready dicts (the JSON API's data layer).

Each function runs a few SPARQL queries and shapes the rows for front ends: snake_case keys,
every resource as ``{"id", "iri", "label"}`` (``id`` is the record's slug for minted IRIs,
the full IRI otherwise), vocabulary terms as ``{"key", "iri", "label", "weight"}``.

Stance lists (filters, counts, keyset pages) are served from a *stance table* read in one
pass per data version (:func:`stance_table`, rebuilt after any write): on 11k stances a
filtered SPARQL page costs about a second, a table look-up a millisecond. Everything else
is SPARQL per call. User-supplied values reach SPARQL only as bound variables (pyoxigraph
substitutions, which must be projected by the query).

One module per resource (``actors``, ``memberships``, ``propositions``, ``stances``,
``sources``, ``nominations``, ``conditions``), ``search`` and ``describe``; ``frames`` flattens
them for ``StanceGraph``'s DataFrames; ``base`` holds what they share.
This package re-exports their public names: ``from stancegraph import read; read.stances(kg)``.
"""

from .actors import actor, actor_types, actors
from .base import Filter, Vocab, any_of, exists, kebab, per_version, ref, resolve, rid, vocabulary
from .conditions import condition, conditions
from .describe import describe, jsonld
from .memberships import membership
from .nominations import nomination_matrix, nominations
from .propositions import proposition, propositions
from .search import SearchDocument, search_documents
from .sources import source, sources
from .stances import (
    StanceFilter,
    StanceRecord,
    StanceTable,
    embed,
    evidence,
    stance,
    stance_page,
    stance_table,
    stances,
)

__all__ = [
    "Filter",
    "SearchDocument",
    "StanceFilter",
    "StanceRecord",
    "StanceTable",
    "Vocab",
    "actor",
    "actor_types",
    "actors",
    "any_of",
    "condition",
    "conditions",
    "describe",
    "embed",
    "evidence",
    "exists",
    "jsonld",
    "kebab",
    "membership",
    "nomination_matrix",
    "nominations",
    "per_version",
    "proposition",
    "propositions",
    "ref",
    "resolve",
    "rid",
    "search_documents",
    "source",
    "sources",
    "stance",
    "stance_page",
    "stance_table",
    "stances",
    "vocabulary",
]

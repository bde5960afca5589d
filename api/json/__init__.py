"""The JSON API: ``/api/...`` — actors, propositions, stances, conditions, guarantor
nominations, sources, vocabularies, named queries and search, for front ends.

- Typed: every route answers with a pydantic model of ``api/json/models/`` (see /docs).
- Stable ids: ``id`` is the record's slug, ``iri`` the full IRI; detail routes take either.
- Strict: unknown query parameters are a 400 (typos surface at once), invalid vocabulary
  keys a 422 that lists the allowed values, unknown ids a 404, all in the common error
  envelope of ``api/errors.py``.
- Cacheable: every GET has a weak ETag derived from the data version, so
  ``If-None-Match`` gives ``304``; computed bodies are kept per data version in a bounded
  LRU (``api/etag.py``). ``Cache-Control: no-cache``: clients revalidate.
- Linked data: actor, proposition, stance and source details answer ``Accept:
  application/ld+json`` with the resource's own triples as JSON-LD; 406 when the client
  accepts neither JSON nor JSON-LD.
- Stances are paged with an opaque cursor over the stable order (stated_at, iri), with
  the next page in ``next_cursor`` and in a ``Link: <...>; rel="next"`` header.

Routes are plain ``def``: SPARQL runs in the threadpool, never on the event loop. User
values reach SPARQL only as bound variables (``stancegraph.read``).

One module per resource, all on one router (``responses.router``); ``params`` holds the
strict parameters, value resolution and cursors.
"""

from __future__ import annotations

from typing import Any

from stancegraph import read as views

from .. import search as search_index

# Each module adds its routes to the one router; the order is the routes' order in /docs.
# isort: off
from . import actors, propositions, stances, nominations, conditions  # noqa: F401
from . import sources, vocabularies, queries, search  # noqa: F401

# isort: on
from .responses import router

__all__ = ["router", "warm"]


def warm(kg: Any) -> None:
    """Build the per-version structures (vocabularies, stance table, search index) now, so
    that the first requests after startup or a write do not pay for them."""
    views.vocabulary(kg)
    views.stance_table(kg)
    search_index.index_for(kg)

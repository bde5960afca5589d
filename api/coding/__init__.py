"""JSON write routes for coding: stances, sources, actors and propositions, one record at
a time, through the library's one validated write path (``stancegraph.coding`` on
``engine.writer``, committed by ``engine.commit``). :mod:`.records` writes the record,
:mod:`.spaces` a coder's own space, :mod:`.merge` compares two coders and merges their work;
:mod:`.writes` holds what they share, :mod:`.idempotency` the answers kept per key.

- Bodies are the YAML record format as JSON (``stancegraph/ingest/records.py``): same field
  names, and a ``422 invalid_record`` lists each bad field with the message
  ``stancegraph validate`` gives; a record the SHACL shapes reject is ``422
  shacl_violation``. Nothing is written in either case.
- ``Authorization: Bearer``: none or an unknown token is ``401``, a read-only token
  ``403``. The token says who codes (``coders_file``); every write is attributed (PROV).
- ``?dry_run=true`` runs the same checks and writes nothing (``200``, what would change).
- ``Idempotency-Key`` on a POST: a retry with the same key and body gets the first answer
  again (``Idempotent-Replayed: true``) instead of a ``409``; the same key with another
  body is a ``422``; while the first is still running, a ``409``. Answers are kept for a
  day, within a bound in bytes.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import merge, records, spaces
from .idempotency import Idempotency

__all__ = ["Idempotency", "router"]

router = APIRouter(prefix="/api", tags=["coding"])
for _part in (records, spaces, merge):
    router.include_router(_part.router)

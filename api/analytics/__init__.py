"""The analytics JSON API: ``/api/analytics/...`` (coalitions, guarantors, conditions,
positions, layout, graph exports, position history, source comparison), one module per
family.

Every analysis takes the projection options as query parameters — ``as_of`` (ISO date:
only stances stated by then), ``source`` (source slug or IRI), ``holders`` (``states``,
``actors`` = all but independent experts, ``all``), ``expectations`` — and answers with a
pydantic model built from the analytics result dataclass (:mod:`.results`; see the
OpenAPI docs). Results are computed by :class:`stancegraph.analytics.Analytics`, shared
per graph and cached per (data version, options), so repeated calls are cheap and a write
invalidates them. Errors use the common envelope (``api/errors.py``).
"""

from __future__ import annotations

# Each module adds its routes to the one router (params.router); the order is the routes'
# order in /docs.
# isort: off
from . import coalitions, guarantors, conditions, positions, layout, history, sources  # noqa: F401

# isort: on
from .params import router

__all__ = ["router"]

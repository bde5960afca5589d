"""Blank nodes as skolem IRIs for remote engines, and back (RDF 1.1 section 3.5).

Remote engines may rename or reject blank nodes, so everything written to one is skolemised
(``GENID`` + a per-write salt + the label) and Graph Store reads turn them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

from ...terms import GENID


def skolemise(quads: Iterable[ox.Quad], salt: str) -> Iterator[ox.Quad]:
    """Blank nodes as IRIs (``GENID`` + salt + label): remote engines may rename or reject them."""

    def sk(t: Any) -> Any:
        return ox.NamedNode(f"{GENID}{salt}-{t.value}") if isinstance(t, ox.BlankNode) else t

    for q in quads:
        if (
            isinstance(q.subject, ox.BlankNode)
            or isinstance(q.object, ox.BlankNode)
            or isinstance(q.graph_name, ox.BlankNode)
        ):
            yield ox.Quad(sk(q.subject), q.predicate, sk(q.object), sk(q.graph_name))
        else:
            yield q


def deskolemise(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """The inverse of :func:`skolemise` (RDF 1.1 §3.5): ``GENID`` IRIs back to blank nodes,
    for Graph Store reads, so that what a client PUT comes back as it was written."""

    def bn(t: Any) -> Any:
        if isinstance(t, ox.NamedNode) and t.value.startswith(GENID):
            return ox.BlankNode(
                "g" + "".join(c if c.isalnum() else "_" for c in t.value[len(GENID) :])
            )
        return t

    for q in quads:
        yield ox.Quad(bn(q.subject), q.predicate, bn(q.object), bn(q.graph_name))


# --------------------------------------------------------------------------- settings

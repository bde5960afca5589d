"""Memberships: a person's or an organisation's role in another organisation
(``org:Membership``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..terms import SPARQL_PREFIXES
from .base import Vocab, _date, _en, _first, _index, ref, rid, vocabulary

if TYPE_CHECKING:
    from ..graph import StanceGraph


_Q_MEMBERSHIPS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?m ?member ?memberLabel ?organization ?organizationLabel ?role ?title ?attested WHERE {{
  ?m org:member ?member ; org:organization ?organization .
  OPTIONAL {{ ?member rdfs:label ?memberLabel FILTER({_en("?memberLabel")}) }}
  OPTIONAL {{ ?organization rdfs:label ?organizationLabel FILTER({_en("?organizationLabel")}) }}
  OPTIONAL {{ ?m org:role ?role }}
  OPTIONAL {{ ?m rdfs:label ?title FILTER({_en("?title")}) }}
  OPTIONAL {{ ?m sg:attestedOn ?attested }}
}}
"""
)


def memberships(kg: StanceGraph, vocab: Vocab, **bound: str) -> list[dict[str, Any]]:
    """Memberships (``org:Membership``), those of ``member`` or ``organization`` where
    bound (IRIs), ordered by member, organisation and number."""
    bindings: dict[str, Any] = {k: ox.NamedNode(v) for k, v in bound.items()}
    rows = _first(kg.query(_Q_MEMBERSHIPS, **bindings).rows, "m")
    out = [
        {
            "id": rid(r["m"]),
            "iri": r["m"],
            "member": ref(r["member"], r["memberLabel"]),
            "organization": ref(r["organization"], r["organizationLabel"]),
            "role": vocab.concept(r["role"]),
            "title": r["title"],
            "attested_on": _date(r["attested"]),
        }
        for r in rows.values()
    ]
    out.sort(key=lambda m: (m["member"]["label"], m["organization"]["label"], _index(m["iri"])))
    return out


def membership(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One membership (``<actor id>/membership/<n>``), or None."""
    found = memberships(kg, vocabulary(kg), m=iri)
    return found[0] if found else None

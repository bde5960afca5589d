"""What a user types for a resource or a controlled value, resolved the same way everywhere.

The CLI, the Python API, the analytics and the HTTP API all accept a short id (``ukraine``)
or a full IRI for a resource, and a key (``skeptical``) or a concept IRI for a vocabulary
value. Anything that names nothing in the graph is an :class:`UnknownValue` with "did you
mean …" suggestions, never an empty answer: a typo must not look like "no data".
"""

from __future__ import annotations

import difflib
from typing import Any

import pyoxigraph as ox

from .terms import ID, KINDS, SCHEMES, SLUG_RE, SPARQL_PREFIXES, is_iri, mint, short_id

_ID = str(ID)

# How each kind of resource is recognised in the data.
_PATTERNS = {
    "actor": "?x a ?c . ?c rdfs:subClassOf* sg:Actor .",
    "proposition": "?x a sg:Proposition .",
    "stance": "?x a sg:Stance .",
    # a described source, or one that stances cite without describing it
    "source": "{ ?x schema:headline ?title } UNION { ?s a sg:Stance ; prov:wasDerivedFrom ?x }",
}

LISTS = {
    "actor": "/api/actors",
    "proposition": "/api/propositions",
    "stance": "/api/stances",
    "source": "/api/sources",
}


class UnknownValue(ValueError):
    """A value that names no resource or concept: the field, what was given, and near misses."""

    def __init__(
        self,
        field: str,
        value: str,
        kind: str,
        suggestions: list[str],
        allowed: list[str] | None = None,
        what: str | None = None,
    ):
        self.field, self.value, self.kind = field, value, kind
        self.suggestions, self.allowed = suggestions, allowed
        what = what or kind
        hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        listing = f" (allowed: {', '.join(allowed)})" if allowed is not None else ""
        self.reason = f"no {what} {value.strip()!r}{hint}"
        self.message = f"{field}: {self.reason}{listing}"
        super().__init__(self.message)

    def detail(self) -> dict[str, Any]:
        """The error detail the HTTP API returns (one entry of ``details``)."""
        d: dict[str, Any] = {
            "location": self.field,
            "message": self.message,
            "type": "unknown_value",
            "input": self.value,
            "suggestions": self.suggestions,
        }
        if self.allowed is not None:
            d["allowed"] = self.allowed
        return d


def suggest(value: str, candidates: list[str]) -> list[str]:
    """Up to three near misses of ``value`` among ``candidates`` ("did you mean …")."""
    v = value.strip().lower()
    near = difflib.get_close_matches(v, candidates, n=3, cutoff=0.6)
    starts = [c for c in candidates if v and c.startswith(v) and c not in near]
    return (near + starts)[:3]


def known_ids(kg: Any, kind: str) -> dict[str, str]:
    """Short id -> IRI of every resource of ``kind`` (memoized per data version)."""
    from .read import per_version

    def build(g: Any) -> dict[str, str]:
        q = SPARQL_PREFIXES + f"SELECT DISTINCT ?x WHERE {{ {_PATTERNS[kind]} }}"
        out: dict[str, str] = {}
        for row in g.select(q):
            iri = row["x"]
            if isinstance(iri, str):
                prefix = f"{_ID}{kind}/"
                out[iri[len(prefix) :] if iri.startswith(prefix) else iri] = iri
        return out

    return per_version(kg, f"ids:{kind}", build)


def resolve_id(kg: Any, kind: str, value: str, field: str | None = None) -> str:
    """The IRI of the existing ``kind`` that ``value`` (short id or IRI) names."""
    ids = known_ids(kg, kind)
    v = value.strip()
    if v in ids:
        return ids[v]
    if v in ids.values():
        return v
    raise UnknownValue(field or kind, value, kind, suggest(short_id(v), sorted(ids)))


def resolve_ids(kg: Any, kind: str, values: Any, field: str | None = None) -> list[str]:
    return [resolve_id(kg, kind, v, field) for v in values]


def resolve_target(kg: Any, value: str, field: str = "target") -> str:
    """A proposition or a stance (meta-stances target stances)."""
    props, stances = known_ids(kg, "proposition"), known_ids(kg, "stance")
    v = value.strip()
    for ids in (props, stances):
        if v in ids:
            return ids[v]
        if v in ids.values():
            return v
    candidates = sorted(set(props) | set(stances))
    raise UnknownValue(
        field, value, "target", suggest(short_id(v), candidates), what="proposition or stance"
    )


def resolve_key(kg: Any, scheme: str, value: str, field: str | None = None) -> str:
    """The concept IRI of a vocabulary key (or concept IRI) in ``scheme``."""
    from .read import vocabulary

    return resolve_key_in(vocabulary(kg), scheme, value, field)


def resolve_key_in(vocab: Any, scheme: str, value: str, field: str | None = None) -> str:
    """:func:`resolve_key` with the vocabularies already at hand (``views.Vocab``)."""
    v = value.strip()
    if v in vocab.by_iri and vocab.by_iri[v]["scheme"] == scheme:
        return v
    iri = vocab.iri(scheme, v)
    if iri is not None:
        return iri
    keys = vocab.keys(scheme)
    key = v[len(str(SCHEMES[scheme])) :] if v.startswith(str(SCHEMES[scheme])) else v
    raise UnknownValue(
        field or scheme, value, scheme, suggest(key, keys), keys, what=f"{scheme} key"
    )


def bind_param(kg: Any, name: str, default: str | None, value: Any) -> Any:
    """A named-query parameter value as the engine binds it: an IRI as an IRI; a short id
    where the default is a stancegraph IRI, as that kind's IRI (it must exist); other text
    as a plain literal; numbers and booleans typed."""
    if not isinstance(value, str):
        return value
    v = value.strip()
    default = default or ""
    if default.startswith(_ID):
        kind = default[len(_ID) :].split("/", 1)[0]
        if kind in _PATTERNS:
            return ox.NamedNode(resolve_id(kg, kind, v, name))
        if kind in KINDS and SLUG_RE.match(v):
            return ox.NamedNode(mint(kind, v))
    if is_iri(v):
        return ox.NamedNode(v)
    return ox.Literal(v)

"""What every read view shares: ids and refs, filters, the vocabularies, existence checks
and the per-data-version memo."""

from __future__ import annotations

import datetime as dt
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from .. import memo
from ..terms import ID, SCHEMES, SLUG_RE, SPARQL_PREFIXES, is_iri, mint
from ..terms import short_id as rid

if TYPE_CHECKING:
    from ..graph import StanceGraph


_ID = str(ID)
T = TypeVar("T")
_EN = '(LANG({v}) = "" || LANGMATCHES(LANG({v}), "en"))'


def _en(var: str) -> str:
    return _EN.format(v=var)


# --------------------------------------------------------------------------- filters

# A filter value: one IRI, several (any of them matches: repeated query parameters mean
# OR), or None (no filtering).
Filter = str | Iterable[str] | None


def any_of(value: Filter) -> frozenset[str] | None:
    """A filter value as the set of accepted values (None: no filtering)."""
    if value is None:
        return None
    values = frozenset([value]) if isinstance(value, str) else frozenset(value)
    return values or None


def _filtered(kg: StanceGraph, sparql: str, filters: dict[str, Filter]) -> list[dict[str, Any]]:
    """Rows of ``sparql`` whose filter variables hold one of the accepted IRIs; a single
    value is bound in the query (the engine narrows), several are checked per row."""
    sets = {k: any_of(v) for k, v in filters.items()}
    bound: dict[str, Any] = {
        k: ox.NamedNode(next(iter(v))) for k, v in sets.items() if v and len(v) == 1
    }
    rows = kg.query(sparql, **bound).rows
    return [r for r in rows if all(v is None or r.get(k) in v for k, v in sets.items())]


# --------------------------------------------------------------------------- ids and refs


def resolve(kind: str, value: str) -> str | None:
    """A slug or a full IRI given by a user as an IRI of ``kind``; None if it is neither."""
    value = value.strip()
    if is_iri(value):
        return value if _IRI_OK.match(value) else None
    if SLUG_RE.match(value):
        return mint(kind, value)
    return None


_IRI_OK = re.compile(r'^https?://[^\s<>"{}|\\^`]+$')


def ref(iri: str | None, label: str | None = None) -> dict[str, str] | None:
    if iri is None:
        return None
    return {"id": rid(iri), "iri": iri, "label": label or rid(iri)}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _index(iri: str) -> int:
    """Trailing number of a nested IRI (``.../evidence/10`` -> 10), for natural ordering."""
    tail = iri.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _first(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    """Rows by ``key``, keeping the first row of each (dedupes multi-valued OPTIONAL joins)."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(row[key], row)
    return out


# --------------------------------------------------------------------------- links


def links(kg: StanceGraph, iri: str, relations: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """The resources linked to ``iri`` by each of ``relations`` (a name and its triple
    pattern between ``?x``, the resource, and ``?other``), as refs ordered by label."""
    arms = " UNION ".join(
        f'{{ {pattern} BIND("{name}" AS ?rel) }}' for name, pattern in relations.items()
    )
    q = (
        SPARQL_PREFIXES
        + f"SELECT ?x ?rel ?other ?otherLabel WHERE {{ {arms} "
        + f"OPTIONAL {{ ?other rdfs:label ?otherLabel FILTER({_en('?otherLabel')}) }} }}"
    )
    found: dict[str, dict[str, dict[str, str]]] = {name: {} for name in relations}
    for r in kg.query(q, x=ox.NamedNode(iri)).rows:
        found[r["rel"]].setdefault(r["other"], ref(r["other"], r["otherLabel"]) or {})
    return {
        name: sorted(refs.values(), key=lambda x: (x["label"].casefold(), x["iri"]))
        for name, refs in found.items()
    }


# --------------------------------------------------------------------------- vocabularies

_Q_VOCAB = (
    SPARQL_PREFIXES
    + f"""
SELECT ?concept ?key ?label ?weight ?definition WHERE {{
  ?concept a skos:Concept ; skos:notation ?key .
  OPTIONAL {{ ?concept skos:prefLabel ?label FILTER({_en("?label")}) }}
  OPTIONAL {{ ?concept rdf:value ?weight }}
  OPTIONAL {{ ?concept skos:definition ?definition FILTER({_en("?definition")}) }}
}}
"""
)


@dataclass
class Vocab:
    """The SKOS concepts of the controlled fields, by scheme and key, and by IRI."""

    schemes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    by_iri: dict[str, dict[str, Any]] = field(default_factory=dict)

    def keys(self, scheme: str) -> list[str]:
        return sorted(self.schemes.get(scheme, {}))

    def iri(self, scheme: str, key: str) -> str | None:
        c = self.schemes.get(scheme, {}).get(key)
        return c["iri"] if c else None

    def concept(self, iri: str | None) -> dict[str, Any] | None:
        """``{id, key, iri, label, weight}`` of a concept IRI (a stub for unknown IRIs)."""
        if iri is None:
            return None
        c = self.by_iri.get(iri)
        if c is None:
            key = iri.rstrip("/").rsplit("/", 1)[-1]
            return {"id": key, "key": key, "iri": iri, "label": key, "weight": None}
        return {k: c[k] for k in ("id", "key", "iri", "label", "weight")}


def vocabulary(kg: StanceGraph) -> Vocab:
    """The vocabularies in the store (memoized per data version)."""
    return per_version(kg, "vocabulary", _build_vocabulary)


def _build_vocabulary(kg: StanceGraph) -> Vocab:
    v = Vocab()
    prefixes = {str(ns): scheme for scheme, ns in SCHEMES.items()}
    for row in kg.select(_Q_VOCAB):
        iri = row["concept"]
        base = iri[: iri.rfind("/") + 1]
        scheme = prefixes.get(base)
        if scheme is None or iri in v.by_iri:
            continue
        weight = row["weight"]
        c = {
            "id": str(row["key"]),  # references have an id everywhere; for a concept, its key
            "key": str(row["key"]),
            "iri": iri,
            "label": row["label"] or str(row["key"]),
            "weight": float(weight) if isinstance(weight, int | float) else None,
            "definition": row["definition"],
            "scheme": scheme,
        }
        v.by_iri[iri] = c
        v.schemes.setdefault(scheme, {})[c["key"]] = c
    for scheme in SCHEMES:
        v.schemes.setdefault(scheme, {})
    return v


# --------------------------------------------------------------------------- existence

_KIND_PATTERNS = {
    "actor": "?x a ?c . ?c rdfs:subClassOf* sg:Actor .",
    "proposition": "?x a sg:Proposition .",
    "stance": "?x a sg:Stance .",
    "source": "?x schema:headline ?title .",
}


def exists(kg: StanceGraph, kind: str, iri: str) -> bool:
    q = SPARQL_PREFIXES + f"ASK {{ {_KIND_PATTERNS[kind]} }}"
    return bool(kg.query(q, x=ox.NamedNode(iri)))


# --------------------------------------------------------------------------- per data version


def per_version(kg: StanceGraph, name: str, build: Callable[[StanceGraph], T]) -> T:
    """``build(kg)``, computed once per data version of ``kg.store`` (a write rebuilds it)."""
    return memo.per_version(kg.store, name, lambda: build(kg))


# A write changes a few resources, but a read model built again costs the whole store (at
# 1M triples 5-6 s each for the stance table and the search index): every read after every
# write paid it. When the Writers' log says what changed since the last value, ``update`` derives
# the new value from it and the changes (tests/test_read_incremental.py: equal to a build).
_LAST: weakref.WeakKeyDictionary[Any, dict[str, _Last]] = weakref.WeakKeyDictionary()
_LAST_LOCK = threading.Lock()
MAX_INCREMENTAL_QUADS = 20_000  # a larger change: build again
# Measuring a value's bytes walks it (``memo.approx_size``: ~0.3 s for the 1M search index,
# more than the update): an updated value is taken to weigh its predecessor's bytes plus
# ``_QUAD_BYTES`` a changed quad, and is measured again every ``_REMEASURE`` updates.
_QUAD_BYTES = 512
_REMEASURE = 64


@dataclass
class _Last:
    version: int
    value: Any
    bytes: int
    updates: int = 0


def following_writes(
    kg: StanceGraph,
    name: str,
    build: Callable[[StanceGraph], T],
    update: Callable[[StanceGraph, T, list[ox.Quad]], T | None],
) -> T:
    """Like :func:`per_version`, but a new version's value is ``update(kg, last value,
    changed quads)`` when the changes since the last value are known (``update`` returns
    None when it cannot tell: then, and otherwise, ``build(kg)``)."""
    sizes: dict[int, int] = {}

    def follow() -> T:
        value, size = _follow(kg, name, build, update)
        sizes[id(value)] = size
        return value

    return memo.per_version(kg.store, name, follow, lambda value: sizes[id(value)])


def _follow(
    kg: StanceGraph,
    name: str,
    build: Callable[[StanceGraph], T],
    update: Callable[[StanceGraph, T, list[ox.Quad]], T | None],
) -> tuple[T, int]:
    """The value at the current version, and its bytes."""
    store = kg.store
    version = int(store.version)
    try:
        with _LAST_LOCK:
            last = _LAST.setdefault(store, {}).get(name)
    except TypeError:  # a store that cannot be weakly referenced: build every time
        value = build(kg)
        return value, memo.approx_size(value)
    new: _Last | None = None
    if last is not None:
        from ..writes import changes_since

        changes = changes_since(store, last.version, version)
        if changes is not None:
            quads = [q for c in changes for q in (*c.deletes, *c.inserts)]
            if not quads:
                new = _Last(version, last.value, last.bytes, last.updates)
            elif len(quads) <= MAX_INCREMENTAL_QUADS:
                updated = update(kg, last.value, quads)
                if updated is not None:
                    value = updated
                    n = last.updates + 1
                    size = (
                        memo.approx_size(value)
                        if n % _REMEASURE == 0
                        else last.bytes + _QUAD_BYTES * len(quads)
                    )
                    new = _Last(version, value, size, n)
    if new is None:
        value = build(kg)
        new = _Last(version, value, memo.approx_size(value))
    with _LAST_LOCK:
        _LAST[store][name] = new
    return new.value, new.bytes


def last_version(kg: StanceGraph, name: str) -> int | None:
    """The data version of the last value :func:`following_writes` derived for ``name``."""
    with _LAST_LOCK:
        last = _LAST.get(kg.store, {}).get(name)
    return None if last is None else last.version


def restricted(query: str, var: str, iris: list[str]) -> str:
    """``query`` with ``?var`` bound to ``iris`` (an inline VALUES at the start of WHERE;
    the terms are serialised by pyoxigraph, so each is a valid IRI)."""
    values = " ".join(str(ox.NamedNode(i)) for i in iris)
    return query.replace("WHERE {", f"WHERE {{ VALUES ?{var} {{ {values} }}", 1)


def chunked(iris: set[str] | None, size: int = 500) -> list[list[str] | None]:
    """``iris`` in sorted chunks for :func:`restricted` (None: one unrestricted pass)."""
    if iris is None:
        return [None]
    ordered = sorted(iris)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


_SG = "https://w3id.org/stancegraph/ns#"
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def kebab(name: str) -> str:
    """A class name as an API value: ``StateActor`` -> ``state-actor`` (values are kebab-case
    everywhere, like vocabulary keys); kebab-case input is returned as it is."""
    return _WORD.sub("-", name).lower()

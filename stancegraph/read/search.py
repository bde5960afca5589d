"""Search: the documents (one per resource, the text the index reads) and the ranked
full-text index over them.

An in-memory inverted index is built once per data version (``index_for(kg)``, rebuilt
after any write) from :func:`search_documents`: one document per resource (actor, place,
negotiation, proposition, stance, source), with its texts by field.

Matching is accent- and case-insensitive, on word tokens; the last query word also matches
as a prefix ("Zelen" finds "Zelensky"), every other word must be a whole word or a prefix
of one. Ranking, per field, by how well the field matches, times the field's weight:

====================  =====  ==========================================
match                 score  e.g. for the query "kyiv"
====================  =====  ==========================================
exact                 1.0    the place "Kyiv"
prefix of the field   0.9    "Kyiv region"
phrase inside         0.75   "... towards Kyiv and Chernihiv"
all words             0.6    every query word, anywhere, in any order
all words as prefixes 0.5
some words            ≤0.35  share of the (non stop-) words matched
====================  =====  ==========================================

Field weights: label 1.0 > alternative label (skos:altLabel) 0.95 > summary 0.8 > role (membership titles) 0.7 > quote 0.6 >
description 0.4 > rationale 0.3. The product is divided by ``1 + 0.015 n`` for a field
``n`` words longer than the query (a short label naming the thing beats a long sentence
mentioning it). A resource scores its best field, plus 0.01 per other matching field (at
most 0.03). Each hit carries its best field, a snippet of it and the character ranges of
the matches in the snippet.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..memo import memoize
from ..terms import SPARQL_PREFIXES
from .base import _en, chunked, following_writes, restricted, rid

if TYPE_CHECKING:
    from ..graph import StanceGraph


# --------------------------------------------------------------------------- search documents

_Q_SEARCH_KINDS = (
    SPARQL_PREFIXES
    + """
SELECT ?x ?kind WHERE {
  { ?c rdfs:subClassOf* sg:Actor . ?x a ?c . FILTER(STRSTARTS(STR(?c), STR(sg:))) BIND("actor" AS ?kind) }
  UNION { ?x a schema:Place . BIND("place" AS ?kind) }
  UNION { VALUES ?c { sg:NegotiationProcess sg:NegotiationRound } ?x a ?c . BIND("negotiation" AS ?kind) }
  UNION { ?x a sg:Proposition . BIND("proposition" AS ?kind) }
  UNION { ?x a sg:Stance . BIND("stance" AS ?kind) }
  UNION { ?x schema:headline ?h . BIND("source" AS ?kind) }
}
"""
)

_Q_SEARCH_TEXTS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?x ?field ?text WHERE {{
  {{ ?x rdfs:label ?text BIND("label" AS ?field) }}
  UNION {{ ?x skos:altLabel ?text BIND("alt_label" AS ?field) }}
  UNION {{ ?x schema:description ?text BIND("description" AS ?field) }}
  UNION {{ ?x sg:rationale ?text BIND("rationale" AS ?field) }}
  UNION {{ ?x sg:hasEvidence/oa:hasTarget/oa:hasSelector/oa:exact ?text BIND("quote" AS ?field) }}
  UNION {{ ?m org:member ?x ; rdfs:label ?text BIND("role" AS ?field) }}
  FILTER(isIRI(?x) && isLiteral(?text) && {_en("?text")})
}}
"""
)


@dataclass
class SearchDocument:
    kind: str
    iri: str
    label: str
    fields: list[tuple[str, str]]


def search_documents(kg: StanceGraph) -> list[SearchDocument]:
    """Every searchable text, grouped by resource (actors, places, negotiations,
    propositions, stances, sources). A stance's label is its summary, so both are indexed
    once, as the field ``summary``."""
    return sorted(_documents(kg, None).values(), key=lambda d: d.iri)


def _documents(kg: StanceGraph, only: set[str] | None) -> dict[str, SearchDocument]:
    """The documents of every resource, or of those among ``only`` (by IRI). What a
    document holds does not depend on the order the engine returns rows in: a resource of
    several kinds takes the first in ``KINDS``, its fields are sorted, and its label is
    the first of its labels in that order (so a rebuild equals an update)."""
    kinds: dict[str, str] = {}
    for chunk in chunked(only):
        query = _Q_SEARCH_KINDS if chunk is None else restricted(_Q_SEARCH_KINDS, "x", chunk)
        for sol in kg.store.query(query):
            iri, kind = sol["x"].value, sol["kind"].value
            if iri not in kinds or _KIND_ORDER[kind] < _KIND_ORDER[kinds[iri]]:
                kinds[iri] = kind
    texts: dict[str, set[tuple[str, str]]] = {}
    for chunk in chunked(only):
        query = _Q_SEARCH_TEXTS if chunk is None else restricted(_Q_SEARCH_TEXTS, "x", chunk)
        for sol in kg.store.query(query):
            iri = sol["x"].value
            kind = kinds.get(iri)
            if kind is None:
                continue
            fld, text = sol["field"].value, sol["text"].value
            if kind == "stance" and fld in ("label", "description"):
                fld = "summary"
            texts.setdefault(iri, set()).add((fld, text))
    docs: dict[str, SearchDocument] = {}
    for iri, found in texts.items():
        kind = kinds[iri]
        fields = sorted(found, key=lambda f: (_FIELD_ORDER.get(f[0], 99), f[1]))
        name = "summary" if kind == "stance" else "label"
        label = next((text for fld, text in fields if fld == name), rid(iri))
        docs[iri] = SearchDocument(kind, iri, label, fields)
    return docs


# --------------------------------------------------------------------------- the index

FIELD_WEIGHTS = {
    "label": 1.0,
    "alt_label": 0.95,  # other spellings the sources use (skos:altLabel): Medinski, Donbass
    "summary": 0.8,
    "role": 0.7,
    "quote": 0.6,
    "description": 0.4,
    "rationale": 0.3,
}
LENGTH_PENALTY = 0.015  # per word of the field beyond the query's
FIELD_BONUS = 0.01  # per other matching field of the same resource, at most 3
KINDS = ("actor", "place", "negotiation", "proposition", "stance", "source")
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}
_FIELD_ORDER = {f: i for i, f in enumerate(FIELD_WEIGHTS)}
STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
        "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with",
    }
)  # fmt: skip
SNIPPET = 180
_TOKEN = re.compile(r"\w+")


@memoize(max_bytes=8 << 20, max_entries=65536, size=lambda result: 64)
def _fold_char(ch: str) -> str:
    base = "".join(
        c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
    ).lower()
    if len(base) == 1:
        return base
    low = ch.lower()
    return low if len(low) == 1 else ch


def fold(text: str) -> str:
    """Lower-case, accent-free form of ``text`` with the same length (offsets carry over)."""
    if text.isascii():
        return text.lower()
    return "".join(ch.lower() if ch.isascii() else _fold_char(ch) for ch in text)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) of each word of the folded ``text``."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(fold(text))]


@dataclass
class _Field:
    doc: int
    rank: int  # its place among its document's fields: breaks ties between them
    name: str
    text: str
    toks: list[tuple[str, int, int]]
    joined: str  # the folded tokens joined by single spaces


@dataclass
class Hit:
    kind: str
    id: str
    iri: str
    label: str
    field: str
    snippet: str
    highlights: list[tuple[int, int]]
    score: float

    def as_dict(self) -> dict[str, Any]:
        """The hit as JSON (highlights as ``[start, end]`` lists)."""
        return {**asdict(self), "highlights": [list(h) for h in self.highlights]}


class SearchIndex:
    """An inverted index from folded words to the fields that hold them.

    :meth:`updated` makes the index of the next data version from this one and the
    documents a write changed, sharing what did not change (this index stays as it is for
    the searches still using it): removed fields leave holes, and when holes outnumber the
    live fields the index is built again from its live documents.
    """

    def __init__(self, docs: Iterable[SearchDocument]):
        self.docs: list[SearchDocument | None] = []
        self.fields: list[_Field | None] = []
        self.doc_fields: list[list[int]] = []
        self.by_iri: dict[str, int] = {}
        self.postings: dict[str, set[int]] = {}
        self.live_fields = 0
        for d in docs:
            self._add(d, lambda t: self.postings.setdefault(t, set()))
        self.vocab = sorted(self.postings)

    def _add(self, d: SearchDocument, posting: Callable[[str], set[int]]) -> None:
        di = len(self.docs)
        self.docs.append(d)
        self.by_iri[d.iri] = di
        mine: list[int] = []
        for name, text in d.fields:
            if name not in FIELD_WEIGHTS:
                continue
            toks = tokens(text)
            fi = len(self.fields)
            joined = " ".join(t for t, _, _ in toks)
            self.fields.append(_Field(di, len(mine), name, text, toks, joined))
            mine.append(fi)
            for t, _, _ in toks:
                posting(t).add(fi)
        self.doc_fields.append(mine)
        self.live_fields += len(mine)

    def updated(self, changed: dict[str, SearchDocument | None]) -> SearchIndex:
        """A new index with the documents in ``changed`` replaced (None: removed).
        Costs what changed, plus copying the index's tables (C-speed, a few ms at 1M)."""
        holes = len(self.fields) - self.live_fields
        if holes > max(1000, self.live_fields):
            live: dict[str, SearchDocument | None] = {d.iri: d for d in self.docs if d}
            live.update(changed)
            return SearchIndex(sorted((d for d in live.values() if d), key=lambda d: d.iri))
        new = object.__new__(SearchIndex)
        new.docs, new.fields = list(self.docs), list(self.fields)
        new.doc_fields, new.by_iri = list(self.doc_fields), dict(self.by_iri)
        new.postings, new.live_fields = dict(self.postings), self.live_fields
        own: dict[str, set[int]] = {}  # the postings this update copied (the rest is shared)

        def posting(t: str) -> set[int]:
            if t not in own:
                own[t] = new.postings[t] = set(new.postings.get(t, ()))
            return own[t]

        for iri, doc in changed.items():
            di = new.by_iri.pop(iri, None)
            if di is not None:
                for fi in new.doc_fields[di]:
                    for t, _, _ in new.fields[fi].toks:  # type: ignore[union-attr]
                        posting(t).discard(fi)
                    new.fields[fi] = None
                new.live_fields -= len(new.doc_fields[di])
                new.docs[di], new.doc_fields[di] = None, []
            if doc is not None:
                new._add(doc, posting)
        gone = {t for t, fis in own.items() if not fis}
        for t in gone:
            del new.postings[t]
        added = [t for t in own if t not in self.postings and t not in gone]
        vocab = [t for t in self.vocab if t not in gone] if gone else list(self.vocab)
        for t in added:
            bisect.insort(vocab, t)
        new.vocab = vocab
        return new

    def _expand(self, token: str, prefix: bool) -> set[str]:
        """Index words equal to ``token`` or (when ``prefix``) starting with it."""
        if not prefix or len(token) < 2:
            return {token} if token in self.postings else set()
        i = bisect.bisect_left(self.vocab, token)
        out = set()
        while i < len(self.vocab) and self.vocab[i].startswith(token):
            out.add(self.vocab[i])
            i += 1
        return out

    def search(
        self, q: str, *, limit: int = 20, kinds: set[str] | None = None
    ) -> tuple[int, list[Hit]]:
        qtoks = [t for t, _, _ in tokens(q)]
        if not qtoks:
            return 0, []
        significant = [t for t in qtoks if t not in STOPWORDS] or qtoks
        # Every query word may match as a prefix; words (all but the last) also count whole.
        expansions = {t: self._expand(t, prefix=True) for t in set(qtoks)}
        candidates: set[int] = set()
        for t in significant:
            for w in expansions[t]:
                candidates |= self.postings[w]
        qjoined = " ".join(qtoks)
        best: dict[int, tuple[float, int]] = {}
        matched_fields: dict[int, int] = {}
        for fi in candidates:
            f = self.fields[fi]
            assert f is not None  # postings name live fields only
            doc = self.docs[f.doc]
            assert doc is not None
            if kinds and doc.kind not in kinds:
                continue
            quality = self._quality(f, qtoks, significant, qjoined, expansions)
            if quality <= 0:
                continue
            # Longer texts are less about any one of their words.
            extra = max(0, len(f.toks) - len(qtoks))
            score = FIELD_WEIGHTS[f.name] * quality / (1 + LENGTH_PENALTY * extra)
            matched_fields[f.doc] = matched_fields.get(f.doc, 0) + 1
            held = best.get(f.doc)
            if held is None or (score, -f.rank) > (held[0], -self.fields[held[1]].rank):  # type: ignore[union-attr]
                best[f.doc] = (score, fi)
        ranked = sorted(
            (
                (round(score + FIELD_BONUS * min(3, matched_fields[di] - 1), 4), di, fi)
                for di, (score, fi) in best.items()
            ),
            key=lambda x: (-x[0], *self._tiebreak(x[1])),
        )
        hits = []
        for score, di, fi in ranked[:limit]:  # snippets only for what is returned
            d = self.docs[di]
            f = self.fields[fi]
            assert f is not None and d is not None
            snippet, highlights = self._snippet(f, expansions)
            hits.append(
                Hit(
                    kind=d.kind,
                    id=rid(d.iri),
                    iri=d.iri,
                    label=d.label,
                    field=f.name,
                    snippet=snippet,
                    highlights=highlights,
                    score=score,
                )
            )
        return len(ranked), hits

    def _tiebreak(self, di: int) -> tuple[int, str, str]:
        d = self.docs[di]
        assert d is not None
        return (_KIND_ORDER.get(d.kind, 99), d.label.casefold(), d.iri)

    @staticmethod
    def _quality(
        f: _Field,
        qtoks: list[str],
        significant: list[str],
        qjoined: str,
        expansions: dict[str, set[str]],
    ) -> float:
        if f.joined == qjoined:
            return 1.0
        if f.joined.startswith(qjoined + " "):
            return 0.9
        if f.joined.startswith(qjoined):
            return 0.85  # the last word as a prefix: "zelen" for "zelensky"
        padded = " " + f.joined + " "
        if " " + qjoined + " " in padded:
            return 0.75
        if " " + qjoined in padded:
            return 0.7
        words = [t for t, _, _ in f.toks]
        wordset = set(words)
        if all(t in wordset for t in significant):
            return 0.6
        present = [t for t in significant if expansions[t] & wordset]
        if len(present) == len(significant):
            return 0.5
        if not present:
            return 0.0
        return 0.35 * len(present) / len(significant)

    @staticmethod
    def _snippet(f: _Field, expansions: dict[str, set[str]]) -> tuple[str, list[tuple[int, int]]]:
        spans = []
        for t, s, e in f.toks:
            for q, words in expansions.items():
                if t in words:
                    spans.append((s, s + len(q) if t != q else e))
                    break
        text = f.text
        start, end, prefix, suffix = 0, len(text), "", ""
        if len(text) > SNIPPET:
            first = spans[0][0] if spans else 0
            start = max(0, first - SNIPPET // 3)
            if start > 0:
                space = text.rfind(" ", 0, start)
                start = space + 1 if space >= 0 and start - space < 20 else start
                prefix = "…"
            end = min(len(text), start + SNIPPET)
            if end < len(text):
                space = text.find(" ", end)
                end = space if 0 <= space < end + 20 else end
                suffix = "…"
        snippet = prefix + text[start:end].strip() + suffix
        lead = len(prefix) - (len(text[start:end]) - len(text[start:end].lstrip()))
        highlights = [
            (s - start + lead, e - start + lead) for s, e in spans if s >= start and e <= end
        ]
        return snippet, highlights


# --------------------------------------------------------------------------- per data version


def _build(kg: StanceGraph) -> SearchIndex:
    return SearchIndex(search_documents(kg))


_MEMBER = "http://www.w3.org/ns/org#member"
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
# The quote field follows stance -sg:hasEvidence-> annotation -oa:hasTarget-> target
# -oa:hasSelector-> selector -oa:exact-> text: a change to any node on the way is a change
# to the stance's document.
_QUOTE_PATH = (
    "https://w3id.org/stancegraph/ns#hasEvidence",
    "http://www.w3.org/ns/oa#hasTarget",
    "http://www.w3.org/ns/oa#hasSelector",
)


def _updated_index(kg: StanceGraph, index: SearchIndex, quads: list[ox.Quad]) -> SearchIndex | None:
    """``index`` after the changed ``quads``: the documents of the resources they can
    touch are read again. None (build again) for a blank-node subject or a change to the
    class hierarchy (which decides what is an actor)."""
    if any(
        not isinstance(q.subject, ox.NamedNode) or q.predicate.value == _SUBCLASS for q in quads
    ):
        return None
    touched = {q.subject.value for q in quads}  # type: ignore[union-attr]  # named: above
    # A membership's label is its members' "role" field; an org:member edge, its object's.
    touched |= {
        q.object.value
        for q in quads
        if q.predicate.value == _MEMBER and isinstance(q.object, ox.NamedNode)
    }
    nodes = [ox.NamedNode(n) for n in touched]
    touched |= {
        q.object.value
        for q in kg.store.quads_about(nodes, ox.NamedNode(_MEMBER))
        if isinstance(q.object, ox.NamedNode)
    }
    frontier = nodes
    for _ in _QUOTE_PATH:  # the stances whose evidence chain reaches a changed node
        found = {
            q.subject
            for p in _QUOTE_PATH
            for q in kg.store.quads_about(frontier, ox.NamedNode(p), outgoing=False)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value not in touched
        }
        touched |= {n.value for n in found}
        frontier = list(found)
    docs = _documents(kg, touched)
    return index.updated({iri: docs.get(iri) for iri in touched})


def index_for(kg: StanceGraph) -> SearchIndex:
    """The search index of ``kg`` at its current data version: built once, then after a
    write derived from the last one (only the documents the write touched read again)."""
    return following_writes(kg, "search-index", _build, _updated_index)

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
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..memo import memoize
from ..terms import SPARQL_PREFIXES
from .base import _en, per_version, rid

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
    kinds: dict[str, str] = {}
    for sol in kg.store.query(_Q_SEARCH_KINDS):
        kinds.setdefault(sol["x"].value, sol["kind"].value)
    docs: dict[str, SearchDocument] = {}
    seen: set[tuple[str, str, str]] = set()
    for sol in kg.store.query(_Q_SEARCH_TEXTS):
        iri = sol["x"].value
        kind = kinds.get(iri)
        if kind is None:
            continue
        fld, text = sol["field"].value, sol["text"].value
        if kind == "stance" and fld in ("label", "description"):
            fld = "summary"
        d = docs.get(iri)
        if d is None:
            d = docs[iri] = SearchDocument(kind, iri, rid(iri), [])
        if (fld == "label" or (kind == "stance" and fld == "summary")) and d.label == rid(iri):
            d.label = text
        if (iri, fld, text) not in seen:
            seen.add((iri, fld, text))
            d.fields.append((fld, text))
    return sorted(docs.values(), key=lambda d: d.iri)


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
    def __init__(self, docs: list[SearchDocument]):
        self.docs = docs
        self.fields: list[_Field] = []
        postings: dict[str, set[int]] = {}
        for di, d in enumerate(docs):
            for name, text in d.fields:
                if name not in FIELD_WEIGHTS:
                    continue
                toks = tokens(text)
                fi = len(self.fields)
                self.fields.append(_Field(di, name, text, toks, " ".join(t for t, _, _ in toks)))
                for t, _, _ in toks:
                    postings.setdefault(t, set()).add(fi)
        self.vocab = sorted(postings)
        self.postings = postings

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
            doc = self.docs[f.doc]
            if kinds and doc.kind not in kinds:
                continue
            quality = self._quality(f, qtoks, significant, qjoined, expansions)
            if quality <= 0:
                continue
            # Longer texts are less about any one of their words.
            extra = max(0, len(f.toks) - len(qtoks))
            score = FIELD_WEIGHTS[f.name] * quality / (1 + LENGTH_PENALTY * extra)
            matched_fields[f.doc] = matched_fields.get(f.doc, 0) + 1
            if f.doc not in best or score > best[f.doc][0]:
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


def index_for(kg: StanceGraph) -> SearchIndex:
    """The search index of ``kg`` at its current data version (built once per version)."""
    return per_version(kg, "search-index", _build)

"""Screening a client's SPARQL text before the engine sees it, with the one lexer.

What the service needs to know early: the outbound keywords (``SERVICE``, ``LOAD``) for a
friendly 403, the dataset clauses (``FROM``, ``USING``, ``WITH``) and an update's
top-level ``WHERE``, and whether the engine's recursive parser could survive the text.
None of this is a security boundary (the engine's parser can always read a text
differently): query workers run with no network at all (``stancegraph.sandbox``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .lexer import tokens

# After one of these, "<" can only start an IRI; after anything else inside "( … )" it may
# also be the less-than operator (pyoxigraph's parser decides by context).
_NOT_OPERAND = frozenset("(,=!<>+-*/&|^")
_STATE_CHANGING = re.compile(r"['#]")  # inside "<…>" read as code, these start a string/comment
_OUTBOUND_QUERY_WORDS = re.compile("service", re.IGNORECASE)
_OUTBOUND_UPDATE_WORDS = re.compile("service|load", re.IGNORECASE)


@dataclass
class TextInfo:
    """What the lexer found in a query or update."""

    dataset: bool = False  # FROM / FROM NAMED
    outbound: list[tuple[str, int]] = field(default_factory=list)  # (keyword, offset)
    using: bool = False  # USING / WITH (updates)
    where_at: list[int] = field(default_factory=list)  # top-level WHERE of DELETE/INSERT


def scan(text: str, *, update: bool = False) -> TextInfo:
    """Keywords that matter before evaluation: outbound requests, dataset clauses, WHERE.

    Conservative where pyoxigraph's parser reads more than the grammar's tokens: a prefixed
    name whose prefix starts with ``service`` (or ``load``) counts where a pattern (or an
    operation) may start (``service:x { … }`` is read as ``SERVICE :x { … }``), and where a
    ``<…>`` holding ``'`` or ``#`` could be either an IRI or a less-than comparison, every
    later ``service``/``load`` counts."""
    info = TextInfo()
    brackets: list[str] = []
    depth = 0
    prev = ""
    ambiguous = -1
    for t in tokens(text):
        kind = t.kind
        if kind == "punct":
            c = t.text
            if c in ("{", "(", "["):
                brackets.append(c)
                depth += c == "{"
            elif c in ("}", ")", "]") and brackets:
                depth -= brackets.pop() == "{"
            prev = c[-1]  # "<=", "&&", "^^"…: what matters is the last character
            continue
        if kind == "iri":
            if (
                ambiguous < 0
                and brackets[-1:] == ["("]
                and prev not in _NOT_OPERAND
                and _STATE_CHANGING.search(t.text)
            ):
                ambiguous = t.start
            prev = kind
            continue
        if kind == "pname":
            # Where a pattern or an operation may start, ``service:x {`` is SERVICE :x {.
            keyword = _outbound_keyword(t.text.split(":", 1)[0], update)
            where = ["{"] if keyword == "SERVICE" else []  # LOAD: between operations only
            if keyword and prev != "PREFIX" and brackets[-1:] == where:
                info.outbound.append((keyword, t.start))
            prev = kind
            continue
        if kind != "word":
            prev = kind
            continue
        word = t.text.upper()
        keyword = _outbound_keyword(word.lstrip("_"), update)  # "_service": "_" then SERVICE
        if keyword:
            info.outbound.append((keyword, t.start))
        elif depth == 0:
            if word == "FROM":
                info.dataset = True
            elif update and word in ("USING", "WITH"):
                info.using = True
            elif update and word == "WHERE" and prev != "DELETE":
                info.where_at.append(t.start)
        prev = word
    if ambiguous >= 0:
        words = _OUTBOUND_UPDATE_WORDS if update else _OUTBOUND_QUERY_WORDS
        m = words.search(text, ambiguous)
        if m is not None:
            info.outbound.append((m.group().upper(), m.start()))
            info.outbound.sort(key=lambda kw: kw[1])
    return info


def _outbound_keyword(word: str, update: bool) -> str | None:
    """SERVICE / LOAD when pyoxigraph may read ``word`` (or a name starting with it) as one."""
    upper = word.upper()
    if upper.startswith("SERVICE"):
        return "SERVICE"
    if update and upper.startswith("LOAD"):
        return "LOAD"
    return None


def significant_tokens(text: str) -> Iterator[str]:
    """The lexer's terminals less whitespace and comments: the query as the parser reads it
    (the scheduler keys query costs on these, so a new comment is not a new query)."""
    for t in tokens(text):
        yield t.text


MAX_NESTING = 256
"""Deepest ``{``/``(``/``[`` nesting accepted (outside strings, IRIs and comments)."""
MAX_TERMS = 3000
"""Largest weighted count of what makes pyoxigraph's parser recurse, in one query or
update: operators, and ``,``/``;`` of object and predicate lists (weight 1), ``(``/``[``
and RDF collection items (2), ``{`` and the clauses ``MINUS`` ``OPTIONAL`` ``UNION``
``BIND`` ``FILTER`` ``GRAPH`` ``SERVICE`` ``VALUES`` ``EXISTS`` ``LATERAL`` ``AS`` (3)."""
_CLAUSE_WEIGHT = 3
_ITEM_WEIGHT = 2
_TERMS = frozenset(["var", "iri", "pname", "number", "string", "bnode"])
_OPERATORS = frozenset("+-*/!=<>&|^?")
_CLAUSES = frozenset(
    {"MINUS", "OPTIONAL", "UNION", "BIND", "FILTER", "GRAPH", "SERVICE", "VALUES"}
    | {"EXISTS", "LATERAL", "AS"}
)


class TooComplex(ValueError):
    """A text the engine's recursive parser might not survive: ``reason``, at ``offset``."""

    def __init__(self, offset: int, reason: str):
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def check_nesting(text: str) -> None:
    """Raise ``TooComplex`` before the engine sees a text its parser cannot survive.

    pyoxigraph's parser and algebra builder recurse once per nesting level, once per
    chained operator or pattern clause (``1+1+…``, ``!!!…``, ``?a||?a…``, ``MINUS {}``,
    chained ``BIND``s, ``SELECT (… AS ?v)`` projections), once per collection item and once
    per object or predicate in a list: measured on an 8 MiB stack (a worker's main thread
    and the server's threads alike), 2,600 chained ``MINUS``/``BIND``/projections, 3,500
    nested ``[``, 4,100 collection items, 4,700 nested ``(``, 6,900 ``+``, 8,100 path steps
    or list members, or 9,400 ``!`` overflow it and kill the process. ``MAX_NESTING`` and
    ``MAX_TERMS`` keep every accepted text under about half of that stack. Free for short
    texts: one with fewer characters (brackets counted twice) than ``MAX_TERMS`` cannot
    exceed it."""
    brackets = text.count("{") + text.count("(") + text.count("[")
    if brackets <= MAX_NESTING and len(text) + 2 * brackets <= MAX_TERMS:
        return
    stack: list[str] = []
    terms = 0
    after_term = False  # the previous token ends a term: a collection item follows it
    for t in tokens(text):
        kind = t.kind
        if (
            after_term
            and stack[-1:] == ["("]
            and (kind in _TERMS or (kind == "punct" and t.text in ("(", "[")))
        ):
            terms += _ITEM_WEIGHT  # ( a b c … ): an RDF collection, one level per item
        if kind == "punct":
            c = t.text
            if c in ("{", "(", "["):
                stack.append(c)
                if len(stack) > MAX_NESTING:
                    raise TooComplex(t.start, f"nested deeper than {MAX_NESTING} levels")
                terms += _CLAUSE_WEIGHT if c == "{" else _ITEM_WEIGHT
            elif c in ("}", ")", "]"):
                if stack:
                    stack.pop()
            elif all(ch in _OPERATORS for ch in c):
                terms += len(c)  # "&&", "<=": one level per character, like "&" "&"
            elif c in (",", ";") and stack[-1:] != ["("]:
                terms += 1  # object and predicate lists recurse too (not argument lists)
            after_term = c in (")", "]")
        else:
            if kind == "word" and t.text.upper() in _CLAUSES:
                terms += _CLAUSE_WEIGHT
            after_term = kind in _TERMS or (kind == "lang" and after_term)
        if terms > MAX_TERMS:
            raise TooComplex(t.start, f"more than {MAX_TERMS} operators, clauses and items")


def from_dataset(text: str) -> tuple[list[str], list[str]] | None:
    """The (FROM, FROM NAMED) graphs of a query, prefixed names resolved; None without FROM."""
    toks = list(tokens(text))
    prefixes: dict[str, str] = {}
    default: list[str] = []
    named: list[str] = []
    depth = 0
    seen = False
    for i, t in enumerate(toks):
        if t.kind == "punct":
            depth += {"{": 1, "}": -1}.get(t.text, 0)
            continue
        word = t.keyword()
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
        if depth or word != "FROM":
            continue
        seen = True
        j = i + 1
        into = default
        if j < len(toks) and toks[j].keyword() == "NAMED":
            into, j = named, j + 1
        if j < len(toks):
            target = toks[j]
            if target.kind == "iri":
                into.append(target.text[1:-1])
            elif target.kind == "pname":
                prefix, _, local = target.text.partition(":")
                if prefix in prefixes:
                    into.append(prefixes[prefix] + local)
    return (default, named) if seen else None

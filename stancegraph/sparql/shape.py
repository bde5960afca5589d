"""The shape of a query's text: its form, where its WHERE group and solution modifiers are,
and what a SELECT projects; read with the one lexer (``stancegraph.sparql.lexer``).

Used to bind parameters inline (``stancegraph.sparql.bindings``) and to page a remote
SELECT (``stancegraph.store.remote``); the engine stays the judge of syntax.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .lexer import tokens

_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")


@dataclass
class Shape:
    """Where things are in a query's text (character offsets), found by a small lexer."""

    form: str  # SELECT | CONSTRUCT | ASK | DESCRIBE | "" (not a query)
    body_start: int  # where the query form keyword starts (the prologue ends)
    where_open: int | None = None  # the "{" opening the top-level WHERE group
    where_close: int | None = None  # its matching "}"
    order_start: int | None = None  # the top-level ORDER keyword
    modifiers_end: int | None = None  # where ORDER BY ends (LIMIT/OFFSET/VALUES or the end)
    has_limit: bool = False
    has_offset: bool = False
    has_values: bool = False


def lexemes(text: str) -> Iterator[tuple[str, str, int]]:
    """The one lexer's terminals as (kind, text, offset)."""
    for t in tokens(text):
        yield t.kind, t.text, t.start


def analyse(text: str) -> Shape:
    """The query form and the positions of its WHERE group and solution modifiers."""
    toks = list(lexemes(text))
    i, n = 0, len(toks)
    while i < n and not (toks[i][0] == "word" and toks[i][1].upper() in _FORMS):
        i += 1
    if i == n:
        return Shape("", len(text))
    form, body_start = toks[i][1].upper(), toks[i][2]
    shape = Shape(form, body_start)
    j = i + 1

    def match(k: int) -> int:
        depth = 0
        while k < n:
            t = toks[k][1]
            if toks[k][0] == "punct" and t == "{":
                depth += 1
            elif toks[k][0] == "punct" and t == "}":
                depth -= 1
                if depth == 0:
                    return k
            k += 1
        return n - 1

    if form == "CONSTRUCT":
        if j < n and toks[j][1] == "{":
            j = match(j) + 1  # skip the template
        else:
            return shape  # CONSTRUCT WHERE { triples }: no group to inject into
    paren = 0
    while j < n:
        kind, t, _ = toks[j]
        if kind == "punct" and t == "(":
            paren += 1
        elif kind == "punct" and t == ")":
            paren -= 1
        elif kind == "punct" and t == "{" and paren == 0:
            break
        j += 1
    if j >= n:
        return shape
    close = match(j)
    shape.where_open, shape.where_close = toks[j][2], toks[close][2]
    paren = 0
    k = close + 1
    while k < n:
        kind, t, pos = toks[k]
        if kind == "punct" and t in "({":
            paren += 1
        elif kind == "punct" and t in ")}":
            paren -= 1
        elif kind == "word" and paren == 0:
            u = t.upper()
            if u == "ORDER" and shape.order_start is None:
                shape.order_start = pos
            elif u in ("LIMIT", "OFFSET", "VALUES"):
                shape.has_limit |= u == "LIMIT"
                shape.has_offset |= u == "OFFSET"
                shape.has_values |= u == "VALUES"
                if shape.modifiers_end is None:
                    shape.modifiers_end = pos
        k += 1
    return shape


def projection(text: str, shape: Shape) -> list[str] | None:
    """The variables a SELECT projects, in order (an ``(expr AS ?v)`` gives ``v``); None
    for ``SELECT *`` or other forms."""
    if shape.form != "SELECT" or shape.where_open is None:
        return None
    names: list[str] = []
    depth = 0
    prev = ""
    for kind, t, _pos in lexemes(text[shape.body_start : shape.where_open]):
        if kind == "punct" and t == "*" and depth == 0:
            return None
        if kind == "punct":
            depth += 1 if t == "(" else -1 if t == ")" else 0
        elif kind == "var" and (depth == 0 or prev.upper() == "AS") and t[1:] not in names:
            names.append(t[1:])
        prev = t
    return names


def projected(text: str, shape: Shape) -> set[str] | None:
    """The variables a SELECT projects, as a set (None for ``SELECT *`` or other forms)."""
    names = projection(text, shape)
    return None if names is None else set(names)

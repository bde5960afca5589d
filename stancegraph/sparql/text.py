"""SPARQL text for people: predeclared prefixes, compact IRIs, and syntax errors that say
what is wrong instead of listing Unicode ranges.

The engine's parser stays the judge; this only adds the standard prefixes before the text
and rewrites its error message for reading.
"""

from __future__ import annotations

import difflib
import re

from ..terms import QUERY_PREFIXES

# One line, so that the user's line numbers move by exactly one.
_PROLOGUE = " ".join(f"PREFIX {p}: <{iri}>" for p, iri in QUERY_PREFIXES.items()) + "\n"
_BY_LENGTH = sorted(QUERY_PREFIXES.items(), key=lambda kv: -len(kv[1]))
_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
_PROLOGUE_RE = re.compile(r"(?is)^\s*((PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*")


_DECLARED = re.compile(r"(?i)\bPREFIX\s+([\w.-]*):")
_USED = re.compile(r"(?<![\w.:/<-])([A-Za-z][\w.-]*):")


def with_prefixes(sparql: str) -> str:
    """The query with the standard prefixes it uses and does not declare declared first, on
    one line (so the user's line numbers move by exactly one). Only those: a remote engine
    (Virtuoso) is measurably slower with a long prologue on every query."""
    declared = set(_DECLARED.findall(sparql))
    used = set(_USED.findall(sparql)) - declared
    prologue = " ".join(f"PREFIX {p}: <{iri}>" for p, iri in QUERY_PREFIXES.items() if p in used)
    return prologue + "\n" + sparql


def compact(iri: str) -> str:
    """``https://w3id.org/stancegraph/id/actor/ukraine`` -> ``actor:ukraine`` when that is a
    valid prefixed name, else ``<iri>`` (either can be typed back into a query)."""
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns) and _LOCAL.match(iri[len(ns) :]):
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


def _expected(text: str) -> list[str]:
    """The keywords and punctuation of an 'expected one of …' list (no character classes)."""
    text = re.sub(r"\[[^\]]*\]", "", text)  # ['A' ..= 'Z' | …] ranges
    items = [t.strip() for t in text.split(",")]
    return [t for t in items if t and re.fullmatch(r'[A-Z][A-Za-z ]*|"[^"]+"', t)]


def explain(sparql: str, message: str, *, prefixed: bool = True) -> str:
    """A readable syntax error for ``sparql`` from the engine's ``message``."""
    body = _PROLOGUE_RE.sub("", re.sub(r"(?m)#.*$", "", sparql))
    word = re.match(r"\s*([A-Za-z]+)\b", body)
    first = word.group(1) if word else ""
    if first and first.upper() not in _FORMS:
        near = difflib.get_close_matches(first.upper(), _FORMS, n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]}?" if near else ""
        return (
            f"the query must start with SELECT, CONSTRUCT, ASK or DESCRIBE (after any "
            f"PREFIX or BASE), not {first!r}{hint}"
        )
    m = _ERROR.match(message)
    if not m:
        return message
    line, col, rest = int(m.group(1)) - (1 if prefixed else 0), int(m.group(2)), m.group(3)
    lines = sparql.splitlines() or [""]
    where = f"line {line}, column {col}"
    shown = ""
    if 1 <= line <= len(lines):
        text = lines[line - 1]
        shown = f"\n  {text}\n  {' ' * max(col - 1, 0)}^"
    unknown = re.search(r"(\w[\w-]*):\w*\s*$", lines[line - 1][: col - 1]) if shown else None
    if "Prefix not found" in rest and unknown:
        return (
            f"{where}: unknown prefix '{unknown.group(1)}:' (declare it with PREFIX; "
            f"'stancegraph prefixes' lists the predeclared ones){shown}"
        )
    expected = _expected(rest.removeprefix("expected one of ").removeprefix("expected "))
    what = f"expected {', '.join(expected[:8])}" if expected else "unexpected text"
    return f"{where}: {what}{shown}"

"""The one SPARQL 1.1 lexer: the grammar's terminals (SPARQL 1.1 Query, section 19.8).

Why a lexer and not a parser: pyoxigraph exposes no parse tree. The library needs the
*structure* of a text (where an update's operations, templates and WHERE groups are, which
keywords stand outside strings and IRIs), not its meaning; the engine stays the judge of
syntax and semantics. Security never rests on this lexer: the engine runs where it cannot
reach the network (``stancegraph.sandbox``), and what it reports here is a convenience.

Terminals follow the grammar exactly where a misreading would shift the structure:
prefixed names with ``PLX`` escapes (``ex:a\\#`` is one name, not a name and a comment),
the four string forms with ``ECHAR`` and ``UCHAR`` escapes, ``IRIREF`` (with ``UCHAR``),
blank-node labels, variables, language tags and comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})"
    rf"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_VARNAME = rf"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_ECHAR = r"\\[tbnrf\\\"']"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"  # the engine reads these in strings and IRIs

_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''
      |\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*\"\"\"
      |'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'
      |"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
  | (?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
  | (?P<var>[?$]{_VARNAME})
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One terminal: its kind, its text and where it starts in the source text."""

    kind: str  # iri pname bnode var string lang number word punct (comment/ws skipped)
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def keyword(self) -> str:
        """The upper-cased word for keywords (``""`` for anything else)."""
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str, *, comments: bool = False) -> Iterator[Token]:
    """The text's terminals in order; whitespace (and comments unless asked) skipped."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind == "ws" or (kind == "comment" and not comments):
            continue
        yield Token(kind, m.group(), m.start())


def normalised(text: str) -> str:
    """The text without comments and with single spaces between terminals: two texts that
    differ only there are the same query (a cache or classification key)."""
    return " ".join(t.text for t in tokens(text))


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def matching(toks: list[Token], i: int) -> int:
    """Index of the bracket closing ``toks[i]`` (``{``, ``(`` or ``[``); -1 when unclosed."""
    opening = toks[i].text
    closing = {"{": "}", "(": ")", "[": "]"}[opening]
    depth = 0
    for k in range(i, len(toks)):
        t = toks[k]
        if t.kind != "punct":
            continue
        if t.text == opening:
            depth += 1
        elif t.text == closing:
            depth -= 1
            if depth == 0:
                return k
    return -1

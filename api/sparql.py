"""SPARQL 1.1 Protocol at ``/sparql``: query, update, content negotiation, service description.

Queries run in killable worker processes (``workers.py``); this module parses requests,
negotiates formats, refuses outbound requests, and guards writes (auth, SHACL, atomicity).

Truncation signal: every query response carries ``X-Stancegraph-Truncated: true|false``
and ``X-Stancegraph-Rows``; when results were cut at ``max_rows``, SPARQL JSON also has a
top-level ``"truncated": true`` member and SPARQL XML a ``<link href="urn:stancegraph:truncated"/>``
in its head.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
import rdflib
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from stancegraph.analytics import ensure_materialized, is_current
from stancegraph.graph import StanceGraph
from stancegraph.store import OxigraphStore, StoreError

from . import etag as etags
from .errors import ApiError, store_error
from .remote_sparql import RemoteLane, commit_remote, fresh_version, is_remote
from .settings import Settings
from .workers import (
    GRAPH_FORMATS,
    SOLUTION_FORMATS,
    Job,
    PoolBusy,
    QueryCrashed,
    QueryTimeout,
    Reply,
    WorkerFailed,
    WorkerPool,
    _Slots,
)

router = APIRouter(tags=["sparql"])

# --------------------------------------------------------------------------- SPARQL text
# A lexer (not a parser) following the SPARQL 1.1 grammar's terminals (section 19.8), to
# find keywords outside strings, IRIs, comments, variables and prefixed names. It gives a
# friendly early 403 and early 400s; it is NOT the security boundary (the engine's own
# parser can always read a text differently): query workers run with no network at all
# (stancegraph/sandbox.py). pyoxigraph exposes no parser to Python; rdflib's is far too
# slow for every request and rejects some queries pyoxigraph accepts.

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME_CHARS = _PN_CHARS_U + "0-9\u00b7\u0300-\u036f\u203f-\u2040"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"  # pyoxigraph reads these in strings and IRIs
_ECHAR = r"""\\[tbnrf\\"']"""
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%]"  # PERCENT | PN_LOCAL_ESC
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_TOKEN = re.compile(
    rf"""
    (?P<ws>[\x20\t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<str>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''
           |\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*\"\"\"
           |'(?:[^'\\\r\n]|{_ECHAR}|{_UCHAR})*'
           |"(?:[^"\\\r\n]|{_ECHAR}|{_UCHAR})*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$][{_VARNAME_CHARS}]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
  | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
  | (?P<word>[A-Za-z][A-Za-z0-9_]*)
  | (?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# After one of these, "<" can only start an IRI; after anything else inside "( … )" it may
# also be the less-than operator (pyoxigraph's parser decides by context).
_NOT_OPERAND = frozenset("(,=!<>+-*/&|^")
_STATE_CHANGING = re.compile(r"['#]")  # inside "<…>" read as code, these start a string/comment


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
    operation) may start (``service:x { … }`` is read as ``SERVICE :x { … }``), and where a ``<…>`` holding ``'`` or ``#`` could be either
    an IRI or a less-than comparison, every later ``service``/``load`` counts."""
    info = TextInfo()
    brackets: list[str] = []
    depth = 0
    prev = ""
    ambiguous = -1
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        if kind == "punct":
            c = m.group()
            if c in "{([":
                brackets.append(c)
                depth += c == "{"
            elif c in "})]" and brackets:
                depth -= brackets.pop() == "{"
            prev = c
            continue
        if kind == "iri":
            if (
                ambiguous < 0
                and brackets[-1:] == ["("]
                and prev not in _NOT_OPERAND
                and _STATE_CHANGING.search(m.group())
            ):
                ambiguous = m.start()
            prev = kind
            continue
        if kind == "pname":
            # Where a pattern or an operation may start, ``service:x {`` is SERVICE :x {.
            keyword = _outbound_keyword(m.group().split(":", 1)[0], update)
            where = ["{"] if keyword == "SERVICE" else []  # LOAD: between operations only
            if keyword and prev != "PREFIX" and brackets[-1:] == where:
                info.outbound.append((keyword, m.start()))
            prev = kind
            continue
        if kind != "word":
            prev = kind or ""
            continue
        word = m.group().upper()
        keyword = _outbound_keyword(word, update)
        if keyword:
            info.outbound.append((keyword, m.start()))
        elif depth == 0:
            if word == "FROM":
                info.dataset = True
            elif update and word in ("USING", "WITH"):
                info.using = True
            elif update and word == "WHERE" and prev != "DELETE":
                info.where_at.append(m.start())
        prev = word
    if ambiguous >= 0:
        words = _OUTBOUND_UPDATE_WORDS if update else _OUTBOUND_QUERY_WORDS
        m = words.search(text, ambiguous)
        if m is not None:
            info.outbound.append((m.group().upper(), m.start()))
            info.outbound.sort(key=lambda kw: kw[1])
    return info


_OUTBOUND_QUERY_WORDS = re.compile("service", re.IGNORECASE)
_OUTBOUND_UPDATE_WORDS = re.compile("service|load", re.IGNORECASE)


def _outbound_keyword(word: str, update: bool) -> str | None:
    """SERVICE / LOAD when pyoxigraph may read ``word`` (or a name starting with it) as one."""
    upper = word.upper()
    if upper.startswith("SERVICE"):
        return "SERVICE"
    if update and upper.startswith("LOAD"):
        return "LOAD"
    return None


MAX_NESTING = 256
"""Deepest ``{``/``(``/``[`` nesting accepted (outside strings, IRIs and comments)."""
MAX_TERMS = 3000
"""Largest weighted count of what makes pyoxigraph's parser recurse, in one query or
update: operators, and ``,``/``;`` of object and predicate lists (weight 1), ``(``/``[``
and RDF collection items (2), ``{`` and the clauses ``MINUS`` ``OPTIONAL`` ``UNION``
``BIND`` ``FILTER`` ``GRAPH`` ``SERVICE`` ``VALUES`` ``EXISTS`` ``LATERAL`` ``AS`` (3)."""
_CLAUSE_WEIGHT = 3
_ITEM_WEIGHT = 2
_TERMS = frozenset(["var", "iri", "pname", "num", "str", "bnode"])
_OPERATORS = frozenset("+-*/!=<>&|^?")
_CLAUSES = frozenset(
    {"MINUS", "OPTIONAL", "UNION", "BIND", "FILTER", "GRAPH", "SERVICE", "VALUES"}
    | {"EXISTS", "LATERAL", "AS"}
)


def check_nesting(text: str, what: str) -> None:
    """400 ``{what}_too_complex`` before the engine sees a text its parser cannot survive.

    pyoxigraph's parser and algebra builder recurse once per nesting level, once per
    chained operator or pattern clause (``1+1+…``, ``!!!…``, ``?a||?a…``, ``MINUS {}``,
    chained ``BIND``s, ``SELECT (… AS ?v)`` projections), once per collection item and once
    per object or predicate in a list: measured on an 8 MiB stack (a worker's main thread
    and the server's threads alike), 2,600 chained ``MINUS``/``BIND``/projections, 3,500
    nested ``[``, 4,100 collection items, 4,700 nested ``(``, 6,900 ``+``, 8,100 path steps
    or list members, or 9,400 ``!`` overflow it and kill the process. ``MAX_NESTING`` and ``MAX_TERMS``
    keep every accepted text under about half of that stack. Free for short texts: one
    with fewer characters (brackets counted twice) than ``MAX_TERMS`` cannot exceed it."""
    brackets = text.count("{") + text.count("(") + text.count("[")
    if brackets <= MAX_NESTING and len(text) + 2 * brackets <= MAX_TERMS:
        return
    stack: list[str] = []
    terms = 0
    after_term = False  # the previous token ends a term: a collection item follows it
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        if (
            after_term
            and stack[-1:] == ["("]
            and (kind in _TERMS or (kind == "punct" and m.group() in "(["))
        ):
            terms += _ITEM_WEIGHT  # ( a b c … ): an RDF collection, one level per item
        if kind == "punct":
            c = m.group()
            if c in "{([":
                stack.append(c)
                if len(stack) > MAX_NESTING:
                    raise _too_complex(
                        text, m.start(), what, f"nested deeper than {MAX_NESTING} levels"
                    )
                terms += _CLAUSE_WEIGHT if c == "{" else _ITEM_WEIGHT
            elif c in "})]":
                if stack:
                    stack.pop()
            elif c in _OPERATORS or (c in ",;" and stack[-1:] != ["("]):
                terms += 1  # object and predicate lists recurse too (not argument lists)
            after_term = c in ")]"
        else:
            if kind == "word" and m.group().upper() in _CLAUSES:
                terms += _CLAUSE_WEIGHT
            after_term = kind in _TERMS or (kind == "lang" and after_term)
        if terms > MAX_TERMS:
            raise _too_complex(
                text, m.start(), what, f"more than {MAX_TERMS} operators, clauses and items"
            )


def _too_complex(text: str, offset: int, what: str, reason: str) -> ApiError:
    line, col = line_col(text, offset)
    return ApiError(
        400,
        f"{what}_too_complex",
        f"SPARQL {what} too complex: {reason} (at {line}:{col}); split or simplify it",
        details={
            "max_nesting": MAX_NESTING,
            "max_terms": MAX_TERMS,
            "line": line,
            "column": col,
        },
    )


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


_SYNTAX_AT = re.compile(r"error at (\d+):(\d+)")
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BASE_OK = re.compile(r"^https?://[A-Za-z0-9.\-:\[\]]+(/[A-Za-z0-9._~\-/]*)?$")


def _outbound_refused(text: str, info: TextInfo) -> ApiError:
    """403 naming the first SERVICE / LOAD <url> and where it is (queries and updates alike)."""
    keyword, offset = info.outbound[0]
    line, col = line_col(text, offset)
    return ApiError(
        403,
        "outbound_disabled",
        f"{keyword} at {line}:{col}: this server does not make outbound requests "
        "(an operator can allow them with --allow-outbound)",
        details={"keyword": keyword, "line": line, "column": col},
    )


def _check_iris(name: str, values: list[str]) -> None:
    for v in values:
        if not v or _BAD_IRI.search(v) or ":" not in v:
            raise ApiError(400, "bad_request", f"{name}: not an absolute IRI: {v!r}")


def base_iri(request: Request) -> str | None:
    """The endpoint URL as base IRI, when it is a plain IRI (the Host header is client data)."""
    url = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    return url if _BASE_OK.match(url) else None


# --------------------------------------------------------------------------- negotiation

SOLUTION_OFFERS: list[tuple[str, str]] = [
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
]
GRAPH_OFFERS: list[tuple[str, str]] = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
    ("application/x-turtle", "turtle"),
    ("text/plain", "ntriples"),
    ("application/json", "jsonld"),
    ("application/xml", "rdfxml"),
    ("text/xml", "rdfxml"),
]
_FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "srj": ("json", None),
    "srx": ("xml", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "ntriples": (None, "ntriples"),
    "n-triples": (None, "ntriples"),
    "nt": (None, "ntriples"),
    "nquads": (None, "nquads"),
    "n-quads": (None, "nquads"),
    "nq": (None, "nquads"),
    "trig": (None, "trig"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "rdfxml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
}


@lru_cache(maxsize=512)
def parse_accept(header: str) -> tuple[tuple[str, str, float], ...]:
    """``Accept`` as (type, subtype, q) ranges; malformed ranges are ignored."""
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        mt = fields[0].lower()
        if "/" not in mt:
            continue
        t, _, s = mt.partition("/")
        q = 1.0
        for param in fields[1:]:
            k, _, v = param.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(v)))
                except ValueError:
                    q = 0.0
        ranges.append((t, s, q))
    return tuple(ranges)


@lru_cache(maxsize=1024)
def negotiate(accept: str | None, offers: tuple[tuple[str, str], ...]) -> str | None:
    """Best offer for ``accept`` (q-values, most specific range wins, server order breaks ties)."""
    if not accept or not accept.strip():
        return offers[0][1]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0][1]
    refused: set[str] = set()
    best: str | None = None
    best_q = 0.0
    for mt, key in offers:
        t, _, s = mt.partition("/")
        spec, q = -1, 0.0
        for rt, rs, rq in ranges:
            if rt == t and rs == s:
                sp = 2
            elif rt == t and rs == "*":
                sp = 1
            elif rt == "*" and rs == "*":
                sp = 0
            else:
                continue
            if sp > spec:
                spec, q = sp, rq
        if spec == 2 and q == 0.0:
            refused.add(key)  # an explicit q=0 on a format refuses its aliases too
        if key not in refused and q > best_q:
            best, best_q = key, q
    return best if best not in refused else None


_SOL_OFFERS = tuple(SOLUTION_OFFERS)
_GRAPH_OFFERS = tuple(GRAPH_OFFERS)


def choose_formats(request: Request, fmt: str | None) -> tuple[str | None, str | None]:
    """(solutions key, graph key) for this request: ``format=`` wins over ``Accept``."""
    if fmt:
        name = fmt.strip().lower()
        if name in _FORMAT_NAMES:
            return _FORMAT_NAMES[name]
        mt = name.split(";")[0].strip()
        sol = next((k for m, k in SOLUTION_OFFERS if m == mt), None)
        graph = next((k for m, k in GRAPH_OFFERS if m == mt), None)
        if sol is None and graph is None:
            known = ", ".join(sorted(_FORMAT_NAMES))
            raise ApiError(
                400, "bad_request", f"unknown format {fmt!r} (known: {known}, or a media type)"
            )
        return sol, graph
    accept = request.headers.get("accept")
    return negotiate(accept, _SOL_OFFERS), negotiate(accept, _GRAPH_OFFERS)


def _not_acceptable(form: str) -> ApiError:
    offers = SOLUTION_OFFERS if form in ("select", "ask") else GRAPH_OFFERS
    types = sorted({m for m, _ in offers})
    what = {"select": "SELECT results", "ask": "ASK results"}.get(form, "graph results")
    return ApiError(
        406,
        "not_acceptable",
        f"none of the requested media types can carry {what}; available: {', '.join(types)} "
        "(or use format=)",
        details={"available": types},
    )


# --------------------------------------------------------------------------- request bodies


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes with 413 (before reading it all)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            too_big = int(declared) > limit
        except ValueError:
            raise ApiError(400, "bad_request", "invalid Content-Length") from None
        if too_big:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"request body over the limit of {limit} bytes")


def media_type(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    parts = [p.strip() for p in raw.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def decode_utf8(body: bytes, params: dict[str, str]) -> str:
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(
            415, "unsupported_media_type", f"only UTF-8 is accepted, not charset={charset}"
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "bad_request", f"request body is not valid UTF-8: {exc}") from None


# --------------------------------------------------------------------------- auth


def require_write(request: Request) -> None:
    """Writes need ``Authorization: Bearer <write token>``; off entirely without a token."""
    settings: Settings = request.app.state.settings
    if not settings.writes_enabled:
        raise ApiError(
            403,
            "writes_disabled",
            "writes are disabled on this server; an operator enables SPARQL Update and the "
            "Graph Store Protocol by setting a write token (STANCEGRAPH_WRITE_TOKEN)",
        )
    challenge = {"WWW-Authenticate": 'Bearer realm="stancegraph"'}
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "unauthorized", "writes need an Authorization: Bearer token", headers=challenge
        )
    given = token.strip().encode()
    assert settings.write_token is not None
    if hmac.compare_digest(given, settings.write_token.get_secret_value().encode()):
        return
    if any(hmac.compare_digest(given, t.get_secret_value().encode()) for t in settings.read_tokens):
        raise ApiError(
            403, "insufficient_scope", "this token is read-only; writes need the write token"
        )
    raise ApiError(401, "invalid_token", "the bearer token is not valid", headers=challenge)


# --------------------------------------------------------------------------- writes


@dataclass
class WriteOutcome:
    added: int
    removed: int
    version: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


_VALIDATION_HOPS = 4  # stance -> evidence -> target -> source -> datePublished


class WriteGate:
    """Validated, atomic writes: try on a scratch copy, SHACL-check the change, then commit.

    The update runs first on an in-memory copy of the store (bnode labels kept), the delta
    is computed from the two N-Quads dumps, the changed resources (and the resources that
    point at them) are validated with their neighbourhood, and only then is the store
    changed, in one transaction: as ``DELETE DATA``/``INSERT DATA`` of exactly the
    validated delta when it has no blank nodes, else by applying the same update. A
    rejected write never touches the store. Cost: O(store size) per write (a dump and a
    copy), fine for curated graphs of up to a few hundred thousand triples.
    """

    def __init__(self, kg: StanceGraph, pool: WorkerPool | None):
        self.kg = kg
        self.pool = pool
        self._lock = threading.Lock()

    def apply(self, update: str, base: str | None = None) -> WriteOutcome:
        with self._lock:
            for _attempt in range(3):
                store = self.kg.store
                version = fresh_version(store)
                before = store.dump(ox.RdfFormat.N_QUADS)
                scratch = ox.Store()
                scratch.extend(ox.parse(before, format=ox.RdfFormat.N_QUADS))
                try:
                    scratch.update(update, base_iri=base)
                except SyntaxError as exc:
                    raise _syntax_error(update, str(exc), "update") from None
                except OSError as exc:
                    raise ApiError(400, "update_failed", f"update failed: {exc}") from None
                except Exception as exc:
                    raise ApiError(
                        400, "update_failed", f"update failed: {type(exc).__name__}: {exc}"
                    ) from None
                after = scratch.dump(format=ox.RdfFormat.N_QUADS)
                old, new = set(before.splitlines()), set(after.splitlines())
                removed, added = old - new, new - old
                graphs_before = set(store.named_graphs())
                graphs_after = {
                    g.value for g in scratch.named_graphs() if isinstance(g, ox.NamedNode)
                }
                if not removed and not added and graphs_before == graphs_after:
                    return WriteOutcome(0, 0, store.version)
                if removed or added:
                    self._validate(scratch, removed, added)
                if fresh_version(store) != version:
                    continue  # another writer got in first: redo against its result
                dropped = graphs_before - graphs_after
                if is_remote(store) and commit_remote(store, scratch, removed, added, dropped):
                    return WriteOutcome(len(added), len(removed), store.version)
                delta = _delta_update(removed, added, graphs_before, graphs_after)
                if delta is None:
                    delta = f"BASE <{base}>\n{update}" if base else update
                store.update(delta)
                if self.pool is not None:
                    self.pool.refresh()  # the next query sees this write without waiting
                return WriteOutcome(len(added), len(removed), store.version)
            raise ApiError(409, "conflict", "the store kept changing during this write; retry")

    def _validate(self, scratch: ox.Store, removed: set[bytes], added: set[bytes]) -> None:
        import rdflib.plugins.sparql
        from rdflib import Graph

        from stancegraph.validation import ValidationFailed, ontology_graph, validate

        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # pyshacl's SPARQL must not fetch
        changed: set[Any] = set()
        for q in ox.parse(b"\n".join(removed | added), format=ox.RdfFormat.N_QUADS):
            changed.add(q.subject)
        # Focus: the changed IRIs, the IRIs pointing at a changed node (a deleted type can
        # break a reference), and for blank nodes the IRIs that own them.
        focus: set[ox.NamedNode] = set()
        seen: set[Any] = set()
        frontier = list(changed)
        for depth in range(3):
            nxt = []
            for node in frontier:
                if node in seen:
                    continue
                seen.add(node)
                if isinstance(node, ox.NamedNode):
                    focus.add(node)
                for q in scratch.quads_for_pattern(None, None, node):
                    if isinstance(q.subject, ox.NamedNode):
                        focus.add(q.subject)
                    elif depth < 2:
                        nxt.append(q.subject)
            frontier = nxt
        # Data: the focus nodes' neighbourhood, a few hops out (graphs flattened).
        triples: set[ox.Triple] = set()
        visited: set[Any] = set()
        frontier = list(focus | changed)
        for _ in range(_VALIDATION_HOPS):
            nxt = []
            for node in frontier:
                if node in visited or isinstance(node, ox.Literal):
                    continue
                visited.add(node)
                for q in scratch.quads_for_pattern(node, None, None):
                    triples.add(ox.Triple(q.subject, q.predicate, q.object))
                    nxt.append(q.object)
            frontier = nxt
        data = Graph()
        if triples:
            data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        data += ontology_graph()
        report = validate(data, {f.value for f in focus})
        if not report.conforms:
            raise ValidationFailed(report)


def _delta_update(
    removed: set[bytes], added: set[bytes], graphs_before: set[str], graphs_after: set[str]
) -> str | None:
    """The validated change as one update: ``DELETE DATA``/``INSERT DATA`` plus graph
    drops/creations (empty named graphs exist in pyoxigraph). None when blank nodes are
    involved: ``DELETE DATA`` cannot name them, so the caller re-applies the update."""
    if any(b"_:" in line for line in removed) or any(b"_:" in line for line in added):
        return None
    ops = [f"DROP SILENT GRAPH <{g}>" for g in sorted(graphs_before - graphs_after)]
    ops += [f"CREATE SILENT GRAPH <{g}>" for g in sorted(graphs_after - graphs_before)]
    for keyword, lines in (("DELETE DATA", removed), ("INSERT DATA", added)):
        if not lines:
            continue
        by_graph: dict[str, list[str]] = {}
        for q in ox.parse(b"\n".join(sorted(lines)), format=ox.RdfFormat.N_QUADS):
            g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            by_graph.setdefault(g, []).append(f"{q.subject} {q.predicate} {q.object} .")
        blocks = [
            f"GRAPH <{g}> {{\n" + "\n".join(ts) + "\n}" if g else "\n".join(ts)
            for g, ts in sorted(by_graph.items())
        ]
        ops.append(f"{keyword} {{\n" + "\n".join(blocks) + "\n}")
    return " ;\n".join(ops)


def _syntax_error(text: str, message: str, what: str) -> ApiError:
    details: dict[str, Any] = {"message": message}
    m = _SYNTAX_AT.search(message)
    if m:
        details["line"], details["column"] = int(m.group(1)), int(m.group(2))
    return ApiError(
        400, f"{what}_syntax", f"SPARQL {what} syntax error: {message}", details=details
    )


# --------------------------------------------------------------------------- the engine


# Pauses before each reopen of the workers' on-disk view after a storage error.
STORAGE_RETRY_PAUSES_S = (0.0, 0.2, 1.0)


class Engine:
    """What the routes share: the graph, the settings, the worker pool and the write gate."""

    def __init__(self, kg: StanceGraph, settings: Settings):
        self.kg = kg
        self.settings = settings
        # A remote store is queried directly, in threads (remote_sparql.py): no workers.
        self.remote: RemoteLane | None = None
        self.pool: WorkerPool | None = None
        if is_remote(kg.store):
            size = max(4, 4 * settings.workers)
            # The store's own read timeout must not cut a query the service still allows.
            remote = kg.store.settings
            remote.timeout_s = max(remote.timeout_s, settings.query_timeout_s + 1)
            self.remote = RemoteLane(kg.store, size, settings.max_queued_queries)
        else:
            self.pool = WorkerPool(
                self._source,
                lambda: kg.store.version,
                size=settings.workers,
                max_queued=settings.max_queued_queries,
                deny_network=not settings.allow_outbound,
                require_sandbox=settings.require_sandbox,
                worker_memory=settings.worker_memory_mb * 1024 * 1024,
            )
        self.writes = WriteGate(kg, self.pool)
        self._sd_cache: dict[tuple[Any, ...], bytes] = {}
        # Query results by (data version, query, formats, dataset…): repeated requests on
        # unchanged data skip the workers entirely; ETag/If-None-Match gives 304.
        self.cache = etags.ResponseCache()
        # Queries that recently ran into the timeout run in a narrower lane (at most
        # workers - 1 at once), so repeated pathological queries cannot hold every worker
        # and starve cheap ones.
        self.heavy_slots = _Slots(max(1, settings.workers - 1), settings.max_queued_queries)
        self._heavy: dict[int, None] = {}  # hashes of recently timed-out query texts (LRU)

    def is_heavy(self, text: str) -> bool:
        return hash(text) in self._heavy

    def mark_heavy(self, text: str) -> None:
        key = hash(text)
        self._heavy.pop(key, None)
        self._heavy[key] = None
        while len(self._heavy) > 1024:
            self._heavy.pop(next(iter(self._heavy)))

    def _source(self) -> tuple[str, Any]:
        store = self.kg.store
        if isinstance(store, OxigraphStore) and store.path is not None:
            return "path", str(store.path)
        return "load", store.dump(ox.RdfFormat.N_QUADS)

    def start(self) -> None:
        if self.pool is not None:
            self.pool.start()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self.remote is not None:
            self.remote.close()

    async def run(self, job: Job, timeout: float) -> Reply:
        if self.remote is not None:
            return await self.remote.run(job, timeout)
        assert self.pool is not None
        reply = await self.pool.run(job, timeout)
        # A storage error on a read-only view of the on-disk store (opened while the writer
        # flushed or compacted, e.g. during the background materialisation after start-up)
        # is transient: reopen the view and run the query again, a few times, backing off.
        for pause in STORAGE_RETRY_PAUSES_S:
            if reply.ok or reply.error != "storage":
                break
            await asyncio.sleep(pause)
            await asyncio.get_running_loop().run_in_executor(None, self.pool.reload)
            reply = await self.pool.run(job, timeout)
        return reply

    async def data_version(self) -> str:
        """``etag.data_version``; off the event loop for a remote store (it may ask it)."""
        if self.remote is not None:
            return await run_in_threadpool(etags.data_version, self.kg)
        return etags.data_version(self.kg)

    async def write(self, update: str, base: str | None) -> WriteOutcome:
        from stancegraph.validation import ValidationFailed

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.writes.apply, update, base)
        except ValidationFailed as exc:
            report = exc.report
            raise ApiError(
                422,
                "shacl_violation",
                f"write rejected, nothing changed: {len(report.violations)} SHACL violation(s)",
                details=[asdict(f) for f in report.violations],
            ) from None


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


# --------------------------------------------------------------------------- queries


@functools.cache
def _analytics_terms() -> frozenset[str]:
    """Local names of the terms defined for the derived analytics graph."""
    from stancegraph import resources

    path = resources.ontology_dir() / "analytics.ttl"
    if not path.exists():
        return frozenset()
    g = rdflib.Graph().parse(path, format="turtle")
    ns = "https://w3id.org/stancegraph/ns#"
    return frozenset(str(s)[len(ns) :] for s in g.subjects() if str(s).startswith(ns))


@lru_cache(maxsize=4096)  # ~30 µs a query text: repeated queries skip it
def _mentions_analytics(text: str) -> bool:
    if "graph/analytics" in text:
        return True
    return any(term in text for term in _analytics_terms())


# Queries whose answer may differ between two runs on the same data are never cached.
_NONDETERMINISTIC = re.compile(r"\b(rand|now|uuid|struuid|bnode)\s*\(", re.IGNORECASE)


async def run_query(
    request: Request,
    text: str,
    default_graphs: list[str],
    named_graphs: list[str],
    fmt: str | None,
) -> Response:
    engine = engine_of(request)
    settings = engine.settings
    sol, graph = choose_formats(request, fmt)
    if sol is None and graph is None:
        raise _not_acceptable("select")
    check_nesting(text, "query")
    union = settings.union_default_graph
    low = text.lower()
    if "service" in low or (union and "from" in low):
        info = scan(text)
        if info.outbound and not settings.allow_outbound:
            raise _outbound_refused(text, info)
        if info.dataset:
            union = False  # the query's own FROM / FROM NAMED define its dataset
    if _mentions_analytics(text) and not await run_in_threadpool(is_current, engine.kg):
        # Derived analytics graph is regenerated lazily, only for queries that read it:
        # on a large store it costs seconds, which plain data queries must not pay.
        await run_in_threadpool(ensure_materialized, engine.kg)
    protocol_dataset = bool(default_graphs or named_graphs)
    if protocol_dataset:
        _check_iris("default-graph-uri", default_graphs)
        _check_iris("named-graph-uri", named_graphs)
    version = await engine.data_version()
    base = base_iri(request)
    cache_key = (
        version,
        text,
        sol,
        graph,
        union,
        tuple(default_graphs),
        tuple(named_graphs),
        base,
        settings.max_rows,
    )
    cacheable = not _NONDETERMINISTIC.search(text)
    etag = etags.make_etag(
        version, "sparql", "/sparql", tuple((str(i), repr(k)) for i, k in enumerate(cache_key[1:]))
    )
    if cacheable:
        if etags.etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=etags.validator_headers(etag))
        hit = engine.cache.get(cache_key) if settings.sparql_cache else None
        if hit is not None:
            return Response(
                hit.body,
                media_type=hit.media_type,
                headers={**hit.headers, **etags.validator_headers(etag)},
            )
    job = Job(
        text,
        sol,
        graph,
        settings.max_rows,
        union,
        tuple(default_graphs) if protocol_dataset else None,
        tuple(named_graphs) if protocol_dataset else None,
        base,
    )
    heavy = engine.is_heavy(text)
    try:
        if heavy:
            await engine.heavy_slots.acquire(settings.query_timeout_s)
        try:
            reply = await engine.run(job, settings.query_timeout_s)
        finally:
            if heavy:
                engine.heavy_slots.release()
    except QueryTimeout:
        engine.mark_heavy(text)
        limit = f"{settings.query_timeout_s:g} s"
        raise ApiError(
            504,
            "query_timeout",
            f"the remote store did not answer within {limit}"
            if engine.remote
            else f"the query ran longer than {limit} and was stopped",
            details={"timeout_s": settings.query_timeout_s},
        ) from None
    except PoolBusy:
        raise ApiError(
            503, "busy", "all query workers are busy; retry shortly", headers={"Retry-After": "1"}
        ) from None
    except QueryCrashed as exc:
        raise _crashed(exc, settings) from None
    except WorkerFailed as exc:
        raise ApiError(503, "worker_failed", str(exc), headers={"Retry-After": "1"}) from None
    if not reply.ok and reply.error == "memory":
        raise _crashed(QueryCrashed("memory", reply.message), settings)
    if not reply.ok and reply.error == "network" and not settings.allow_outbound:
        # The text check missed a SERVICE the engine read; the sandbox stopped it.
        raise ApiError(
            403,
            "outbound_disabled",
            "the query tried to make an outbound request (SERVICE): this server does not "
            "make outbound requests (an operator can allow them with --allow-outbound)",
            details={"engine": reply.message},
        )
    if not reply.ok:
        if reply.error == "syntax":
            raise _syntax_error(text, reply.message, "query")
        if reply.error == "not_acceptable":
            raise _not_acceptable(reply.form)
        if reply.error in ("storage", "network"):
            raise ApiError(502, "query_failed", f"query failed: {reply.message}")
        raise ApiError(400, "query_failed", f"query failed: {reply.message}")
    media = (SOLUTION_FORMATS if reply.form != "graph" else GRAPH_FORMATS)[reply.format][1]
    headers = {
        "Vary": "Accept",
        "X-Stancegraph-Truncated": "true" if reply.truncated else "false",
        "X-Stancegraph-Rows": str(reply.rows),
    }
    if reply.truncated:
        headers["X-Stancegraph-Max-Rows"] = str(settings.max_rows)
    if cacheable and await engine.data_version() == version:
        # Results are cached per data version: any write makes every entry stale.
        if settings.sparql_cache:
            engine.cache.put(version, cache_key, etags.Entry(reply.body, media, headers))
        headers.update(etags.validator_headers(etag))
    return Response(reply.body, headers=headers, media_type=media)


def _crashed(exc: QueryCrashed, settings: Settings) -> ApiError:
    """A worker that died of this query: its input is to blame (the worker is replaced)."""
    if exc.cause == "memory":
        return ApiError(
            507,
            "query_memory_exceeded",
            f"the query needed more than {settings.worker_memory_mb} MiB of memory and was "
            "stopped; narrow it (fewer joined patterns, LIMIT, smaller strings)",
            details={"worker_memory_mb": settings.worker_memory_mb},
        )
    return ApiError(
        400, "query_crashed", f"{exc.report} and was stopped; simplify the query", details={}
    )


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise ApiError(400, "bad_request", f"more than one {name} parameter")
    return values[0] if values else None


def _multi(params: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in params:
        out.setdefault(k, []).append(v)
    return out


def _store_errors(
    route: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Store failures (a remote store down, a write conflict…) as ``ApiError``: the routes are
    also called outside FastAPI's exception handlers (``fastpath.py``)."""

    @functools.wraps(route)
    async def wrapper(request: Request) -> Response:
        try:
            return await route(request)
        except StoreError as exc:
            raise store_error(exc) from None

    return wrapper


@router.get("/sparql", summary="SPARQL query (GET) or the service description")
@_store_errors
async def sparql_get(request: Request) -> Response:
    params = _multi(request.query_params.multi_items())
    if "update" in params:
        raise ApiError(
            405,
            "method_not_allowed",
            "SPARQL Update must be sent with POST",
            headers={"Allow": "POST"},
        )
    query = _one(params, "query")
    fmt = _one(params, "format")
    if query is None:
        return await service_description(request, fmt)
    return await run_query(
        request, query, params.get("default-graph-uri", []), params.get("named-graph-uri", []), fmt
    )


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_other(request: Request) -> Response:
    raise ApiError(
        405,
        "method_not_allowed",
        f"{request.method} is not part of the SPARQL Protocol: use GET or POST",
        headers={"Allow": "GET, HEAD, POST"},
    )


@router.post("/sparql", summary="SPARQL query or update (POST form or direct)")
@_store_errors
async def sparql_post(request: Request) -> Response:
    engine = engine_of(request)
    mt, ctype_params = media_type(request)
    params = _multi(request.query_params.multi_items())
    if mt not in (
        "application/x-www-form-urlencoded",
        "application/sparql-query",
        "application/sparql-update",
    ):
        what = f"Content-Type {mt!r}" if mt else "a missing Content-Type"
        raise ApiError(
            415,
            "unsupported_media_type",
            f"{what} is not accepted: POST application/x-www-form-urlencoded "
            "(query= or update=), application/sparql-query or application/sparql-update",
        )
    if mt == "application/sparql-update":
        require_write(request)
    body = await read_body(request, engine.settings.max_body_bytes)
    if mt == "application/x-www-form-urlencoded":
        text = decode_utf8(body, ctype_params)
        try:
            form = _multi(
                parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "bad_request", f"malformed form body: {exc}") from None
        for k, v in form.items():
            params.setdefault(k, []).extend(v)
        query, update = _one(params, "query"), _one(params, "update")
        if query is not None and update is not None:
            raise ApiError(400, "bad_request", "give query= or update=, not both")
        if update is not None:
            require_write(request)
            return await run_update(request, update, params)
        if query is None:
            raise ApiError(400, "missing_query", "no query= (or update=) parameter in the form")
        return await run_query(
            request,
            query,
            params.get("default-graph-uri", []),
            params.get("named-graph-uri", []),
            _one(params, "format"),
        )
    text = decode_utf8(body, ctype_params)
    if mt == "application/sparql-update":
        return await run_update(request, text, params)
    if not text.strip():
        raise ApiError(400, "missing_query", "empty query body")
    return await run_query(
        request,
        text,
        params.get("default-graph-uri", []),
        params.get("named-graph-uri", []),
        _one(params, "format"),
    )


# --------------------------------------------------------------------------- updates


async def run_update(request: Request, text: str, params: dict[str, list[str]]) -> Response:
    engine = engine_of(request)
    if not text.strip():
        raise ApiError(400, "missing_update", "empty update")
    check_nesting(text, "update")
    info = scan(text, update=True)
    if info.outbound and not engine.settings.allow_outbound:
        raise _outbound_refused(text, info)
    using = params.get("using-graph-uri", [])
    using_named = params.get("using-named-graph-uri", [])
    if using or using_named:
        if info.using:
            raise ApiError(
                400,
                "dataset_conflict",
                "using-graph-uri/using-named-graph-uri cannot be combined with USING or WITH in the update",
            )
        _check_iris("using-graph-uri", using)
        _check_iris("using-named-graph-uri", using_named)
        clause = " ".join(
            [f"USING <{g}>" for g in using] + [f"USING NAMED <{g}>" for g in using_named]
        )
        for offset in reversed(info.where_at):
            text = f"{text[:offset]}{clause} {text[offset:]}"
    outcome = await engine.write(text, base_iri(request))
    return JSONResponse({"status": "ok", **outcome.as_dict()})


# --------------------------------------------------------------------------- service description

SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_VOID_TRIPLES = ox.NamedNode("http://rdfs.org/ns/void#triples")
_FORMATS = "http://www.w3.org/ns/formats/"
_RESULT_FORMAT_IRIS = [
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "N-Quads",
    "TriG",
    "JSON-LD",
    "RDF_XML",
]
_INPUT_FORMAT_IRIS = ["Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML"]
SD_PREFIXES = {
    "sd": SD,
    "void": "http://rdfs.org/ns/void#",
    "formats": _FORMATS,
    "dcterms": "http://purl.org/dc/terms/",
}


def _sd_triples(engine: Engine, endpoint: str) -> list[ox.Triple]:
    s = engine.settings
    store = engine.kg.store
    counts = {
        row["g"].value: int(row["n"].value)
        for row in store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            union_default_graph=False,
        )
    }
    default_n = int(
        next(
            iter(
                store.query(
                    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                    union_default_graph=s.union_default_graph,
                )
            )
        )["n"].value
    )

    def sd(local: str) -> ox.NamedNode:
        return ox.NamedNode(SD + local)

    def lit(value: Any) -> ox.Literal:
        if isinstance(value, int):
            return ox.Literal(
                str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
            )
        return ox.Literal(str(value))

    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("defaultGraph")
    t = [
        ox.Triple(service, _RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(
            service,
            sd("defaultEntailmentRegime"),
            ox.NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(
            service,
            ox.NamedNode("http://purl.org/dc/terms/description"),
            lit(
                f"stancegraph SPARQL endpoint. Default graph: {s.default_graph}. Queries stop after "
                f"{s.query_timeout_s:g} s; results are capped at {s.max_rows} rows (header "
                "X-Stancegraph-Truncated). Graph Store Protocol at /store."
                + ("" if s.writes_enabled else " Writes are disabled.")
            ),
        ),
    ]
    if s.writes_enabled:
        t.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    for name in _RESULT_FORMAT_IRIS:
        t.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(_FORMATS + name)))
    if s.writes_enabled:
        for name in _INPUT_FORMAT_IRIS:
            t.append(ox.Triple(service, sd("inputFormat"), ox.NamedNode(_FORMATS + name)))
    if s.union_default_graph:
        t.append(ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")))
    if s.allow_outbound:
        t.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    t += [
        ox.Triple(dataset, _RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, _RDF_TYPE, sd("Graph")),
        ox.Triple(default, _VOID_TRIPLES, lit(default_n)),
    ]
    for i, g in enumerate(engine.kg.store.named_graphs()):
        ng, graph = ox.BlankNode(f"ng{i}"), ox.BlankNode(f"g{i}")
        t += [
            ox.Triple(dataset, sd("namedGraph"), ng),
            ox.Triple(ng, _RDF_TYPE, sd("NamedGraph")),
            ox.Triple(ng, sd("name"), ox.NamedNode(g)),
            ox.Triple(ng, sd("graph"), graph),
            ox.Triple(graph, _RDF_TYPE, sd("Graph")),
            ox.Triple(graph, _VOID_TRIPLES, lit(counts.get(g, 0))),
        ]
    return t


async def service_description(request: Request, fmt: str | None) -> Response:
    """W3C SPARQL 1.1 Service Description, current as of the store's latest write."""
    engine = engine_of(request)
    _sol, graph = choose_formats(request, fmt)
    if graph is None:
        raise _not_acceptable("graph")
    endpoint = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    if _BAD_IRI.search(endpoint):
        endpoint = "urn:stancegraph:sparql"
    key = (engine.kg.store.version, graph, endpoint)
    body = engine._sd_cache.get(key)
    if body is None:

        def build() -> bytes:
            triples = _sd_triples(engine, endpoint)
            kwargs: dict[str, Any] = {"format": GRAPH_FORMATS[graph][0]}
            if graph in ("turtle", "trig", "rdfxml"):
                kwargs["prefixes"] = SD_PREFIXES
            return ox.serialize(triples, **kwargs)

        body = await asyncio.get_running_loop().run_in_executor(None, build)
        if len(engine._sd_cache) > 32:
            engine._sd_cache.clear()
        engine._sd_cache[key] = body
    return Response(body, media_type=GRAPH_FORMATS[graph][1], headers={"Vary": "Accept"})

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
import contextlib
import functools
import hmac
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
import rdflib
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from stancegraph.analytics import ensure_materialized, is_current
from stancegraph.analytics.materialize import ever_materialized
from stancegraph.change import Change
from stancegraph.errors import StoreError
from stancegraph.graph import StanceGraph
from stancegraph.memo import BoundedCache, memoize
from stancegraph.store import OxigraphStore
from stancegraph.store.snapshots import Snapshots
from stancegraph.validation.reference import ValidationFailed
from stancegraph.writes import UpdateError, WriteOutcome, Writer

from . import etag as etags
from .errors import ApiError, store_error
from .freshness import materialize_soon
from .remote_sparql import RemoteLane, is_remote
from .sandboxed import WorkerEvaluator
from .scheduling import (
    CHEAP,
    HEAVY,
    SUSPECT_LEASH,
    UNKNOWN,
    Busy,
    QueryCosts,
    Scheduler,
    Suspects,
    Ticket,
    client_key,
    cost_key,
)
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


def significant_tokens(text: str) -> Iterator[str]:
    """The lexer's tokens less whitespace and comments: the query as the parser reads it
    (the scheduler keys query costs on these, so a new comment is not a new query)."""
    for m in _TOKEN.finditer(text):
        if m.lastgroup not in ("ws", "comment"):
            yield m.group()


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
    "rdf+xml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
}


# Keyed by digests and bounded in bytes: a huge Accept header costs a hash, not memory.
@memoize(max_bytes=1 << 20, max_entries=512)
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


@memoize(max_bytes=1 << 20, max_entries=1024, size=lambda result: 64)
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


def format_keys(fmt: str) -> tuple[str | None, str | None]:
    """(solutions key, graph key) that a ``format=`` value names: a name, a media type, or
    a list of media types like an ``Accept`` header (SPARQLWrapper sends those)."""
    name = fmt.strip().lower()
    if "," in name:
        known = [format_keys(part) for part in name.split(",") if _known_format(part)]
        if known:
            return (
                next((sol for sol, _ in known if sol), None),
                next((graph for _, graph in known if graph), None),
            )
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


def _known_format(value: str) -> bool:
    try:
        return value.strip() != "" and format_keys(value) != (None, None)
    except ApiError:
        return False


def choose_formats(request: Request, fmt: str | None) -> tuple[str | None, str | None]:
    """(solutions key, graph key) for this request: ``format=`` wins over ``Accept``."""
    if fmt:
        return format_keys(fmt)
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


def require_write(request: Request) -> str:
    """Writes need ``Authorization: Bearer <write token>``; off entirely without a token.

    Returns who writes: the coder id the token belongs to (``coders_file``), or
    ``operator`` for the shared write token."""
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
    for coder, secret in settings.coders.items():
        if hmac.compare_digest(given, secret.get_secret_value().encode()):
            return coder
    write = settings.write_token
    if write is not None and hmac.compare_digest(given, write.get_secret_value().encode()):
        return "operator"
    if any(hmac.compare_digest(given, t.get_secret_value().encode()) for t in settings.read_tokens):
        raise ApiError(
            403, "insufficient_scope", "this token is read-only; writes need the write token"
        )
    raise ApiError(401, "invalid_token", "the bearer token is not valid", headers=challenge)


# --------------------------------------------------------------------------- writes


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
            self.remote = RemoteLane(
                kg.store, size, settings.max_queued_queries, check=self._check_syntax
            )
            lanes = size
        else:
            self.pool = WorkerPool(
                self._source,
                lambda: kg.store.version,
                size=settings.workers,
                max_queued=settings.max_queued_queries,
                deny_network=not settings.allow_outbound,
                require_sandbox=settings.require_sandbox,
                worker_memory=settings.worker_memory_mb * 1024 * 1024,
                max_staleness_s=settings.read_staleness_s,
            )
            lanes = settings.workers
        # Writes: one validated write path (stancegraph.writes); client text is parsed and
        # evaluated in sandboxed workers, the scratch ones holding no data.
        self.scratch_pool = WorkerPool(
            lambda: ("load", b""),
            lambda: 0,
            size=1,
            max_queued=settings.max_queued_queries,
            deny_network=not settings.allow_outbound,
            require_sandbox=settings.require_sandbox,
            worker_memory=settings.worker_memory_mb * 1024 * 1024,
        )
        self.writer = Writer(
            kg.store,
            evaluator=WorkerEvaluator(
                self.scratch_pool, self.pool, kg.store, timeout_s=settings.query_timeout_s
            ),
            allow_outbound=settings.allow_outbound,
            on_commit=self._committed,
        )
        self._snapshots: Snapshots | None = None
        self._sd_cache: BoundedCache[bytes] = BoundedCache(4 << 20, 32)
        # Query results by (data version, query, formats, dataset…): repeated requests on
        # unchanged data skip the workers entirely; ETag/If-None-Match gives 304.
        self.cache = etags.ResponseCache()
        # Who gets a worker, and when (scheduling.py): known-heavy and long-running queries
        # share at most workers - reserved_workers; the rest serve short queries, clients
        # take turns. Text that differs only in comments or layout counts as one query.
        self.costs = QueryCosts()
        self.suspects = Suspects()
        self.scheduler = Scheduler(
            lanes,
            settings.reserved_workers,
            settings.max_queued_queries,
            self.costs,
        )
        self._client_tokens = [
            t.get_secret_value()
            for t in [settings.write_token, *settings.read_tokens, *settings.coders.values()]
            if t is not None and t.get_secret_value()
        ]

    def cost_key(self, text: str) -> tuple[bytes, bool]:
        return cost_key(text, significant_tokens)

    def is_heavy(self, text: str) -> bool:
        return self.costs.kind(self.cost_key(text)[0]) == HEAVY

    def mark_heavy(self, text: str) -> None:
        self.costs.mark(self.cost_key(text)[0], HEAVY)

    def client_of(self, request: Request) -> str:
        """The client for fair shares: a valid bearer token, else the remote address."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else None
        host = request.client.host if request.client is not None else None
        return client_key(host, bearer, self._client_tokens)

    def _source(self) -> tuple[str, Any]:
        """What the query workers read: a checkpoint of an on-disk store (never the live
        store, see ``stancegraph.store.snapshots``), or a copy of an in-memory one."""
        store = self.kg.store
        if isinstance(store, OxigraphStore) and store.path is not None:
            if self._snapshots is None:
                linger = max(30.0, 3 * self.settings.query_timeout_s)
                self._snapshots = Snapshots(store, linger_s=linger)
            return "path", str(self._snapshots.current())
        return "load", store.dump(ox.RdfFormat.N_QUADS)

    async def _check_syntax(self, job: Job, timeout: float) -> Reply:
        """Parse a query for a remote store in a sandboxed scratch worker."""
        check = Job(job.query, None, None, 0, base_iri=job.base_iri, kind="check")
        try:
            return await self.scratch_pool.run(check, timeout)
        except QueryCrashed:
            raise  # the text crashed the parser: 400 query_crashed
        except (QueryTimeout, PoolBusy, WorkerFailed):
            return Reply(True, "check")  # not a syntax error: the remote engine decides

    def _committed(self, _change: Change) -> None:
        """After a commit: nothing to wait for. The query workers move to the new data
        version when the next query arrives (one refresh for a burst of writes)."""

    def start(self) -> None:
        self.scratch_pool.start()  # (refuses to start without its sandbox, as the pool does)
        if self.pool is not None:
            self.pool.start()

    def close(self) -> None:
        self.scratch_pool.close()
        if self.pool is not None:
            self.pool.close()
        if self._snapshots is not None:
            self._snapshots.close()
        if self.remote is not None:
            self.remote.close()

    async def run(self, job: Job, timeout: float, client: str = "") -> Reply:
        """Run ``job`` when the scheduler gives it a worker (policy: ``scheduling.py``).

        A query not known to be heavy is watched: past ``heavy_after_s`` it is demoted to
        the long lane, or, when that lane is full, stopped and queued again as heavy with
        the run time it has left. Raises ``Busy``, ``QueryTimeout`` or ``WorkerFailed``."""
        key, normalised = await self._cost_key(job.query)
        # Long texts are keyed as sent (not normalised): heavy until proven cheap.
        kind = self.costs.kind(key, UNKNOWN if normalised else HEAVY)
        threshold = self.settings.heavy_after_s
        # A client that recently ran a long query gets a shorter leash on new texts.
        leash = threshold * SUSPECT_LEASH if client in self.suspects else threshold
        loop = asyncio.get_running_loop()
        try:
            ticket = await self.scheduler.admit(client, kind, timeout, key)
            try:
                started = loop.time()
                if ticket.long:
                    reply = await self._execute(job, timeout)
                else:
                    reply = await self._watched(job, timeout, ticket, key, client, leash)
                ran = loop.time() - started
            finally:
                self.scheduler.release(ticket)
            if reply is None:  # stopped at the threshold: the rest runs in the long lane
                ticket = await self.scheduler.admit(client, HEAVY, timeout, key)
                try:
                    started = loop.time()
                    reply = await self._execute(job, max(0.001, timeout - ran))
                    ran += loop.time() - started
                finally:
                    self.scheduler.release(ticket)
        except (QueryTimeout, WorkerFailed):
            self.costs.mark(key, HEAVY)
            self.suspects.add(client)
            raise
        if ran <= threshold:
            self.costs.mark(key, CHEAP)
        else:
            self.costs.mark(key, HEAVY)
            self.suspects.add(client)
        return reply

    async def _watched(
        self, job: Job, timeout: float, ticket: Ticket, key: bytes, client: str, leash: float
    ) -> Reply | None:
        """``job`` run with an eye on the clock: None when it was stopped at ``leash``."""
        task = asyncio.ensure_future(self._execute(job, timeout))
        try:
            done, _ = await asyncio.wait({task}, timeout=leash)
            if not done:
                if leash >= self.settings.heavy_after_s:  # heavy now: same texts wait
                    self.costs.mark(key, HEAVY)
                    self.suspects.add(client)
                # A remote store's query cannot be stopped: it stays, over the lane's size.
                if not self.scheduler.demote(ticket, force=self.pool is None):
                    task.cancel()  # kills its worker
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise asyncio.CancelledError  # the request went away meanwhile
                    if not task.cancelled():
                        return task.result()  # it finished just before it was stopped
                    self.scheduler.stats["preempted"] += 1
                    return None
            return await task
        except BaseException:
            task.cancel()  # the request itself went away: stop the query too
            raise

    async def _cost_key(self, text: str) -> tuple[bytes, bool]:
        if len(text) <= 4096:
            return self.cost_key(text)
        return await run_in_threadpool(self.cost_key, text)  # ~0.2 µs a character

    async def _execute(self, job: Job, timeout: float) -> Reply:
        if self.remote is not None:
            return await self.remote.run(job, timeout)
        assert self.pool is not None
        return await self.pool.run(job, timeout)

    async def data_version(self) -> str:
        """``etag.data_version``; off the event loop for a remote store (it may ask it)."""
        if self.remote is not None:
            return await run_in_threadpool(etags.data_version, self.kg)
        return etags.data_version(self.kg)

    async def write(
        self,
        update: str,
        base: str | None,
        *,
        using: Sequence[str] = (),
        using_named: Sequence[str] = (),
    ) -> WriteOutcome:
        """A SPARQL Update through the validated write path (in a thread: it blocks)."""
        return await self.commit(
            functools.partial(
                self.writer.update, update, base_iri=base, using=using, using_named=using_named
            )
        )

    async def commit(self, write: Callable[[], WriteOutcome]) -> WriteOutcome:
        """Run one of the writer's calls in a thread, its errors as HTTP errors."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, write)
        except ValidationFailed as exc:
            report = exc.report
            raise ApiError(
                422,
                "shacl_violation",
                f"write rejected, nothing changed: {len(report.violations)} SHACL violation(s)",
                details=[asdict(f) for f in report.violations],
            ) from None
        except UpdateError as exc:
            status = {
                "outbound_disabled": 403,
                "busy": 503,
                "worker_failed": 503,
                "update_timeout": 504,
                "update_memory_exceeded": 507,
            }.get(exc.code, 400)
            headers = {"Retry-After": "1"} if status == 503 else None
            details: dict[str, Any] = dict(exc.details)
            m = _SYNTAX_AT.search(exc.message)
            if m:
                details["line"], details["column"] = int(m.group(1)), int(m.group(2))
            raise ApiError(
                status, exc.code, exc.message, details=details or None, headers=headers
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


# ~30 µs a query text: repeated queries skip it. The key is the text's digest: a 1 MB
# query text is not kept (2,100 of them held 2.7 GB in an lru_cache).
@memoize(max_bytes=1 << 20, max_entries=4096, size=lambda result: 0)
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
    stale = False
    if _mentions_analytics(text) and not await run_in_threadpool(is_current, engine.kg):
        # The derived analytics graph is regenerated only for queries that read it (on a
        # large store it costs seconds, which plain data queries must not pay), and in the
        # background once it exists: meanwhile the last one answers, marked stale.
        if ever_materialized(engine.kg):
            materialize_soon(engine.kg)
            stale = True
        else:
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
    cacheable = not _NONDETERMINISTIC.search(text) and not stale
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
    try:
        reply = await engine.run(job, settings.query_timeout_s, engine.client_of(request))
    except QueryTimeout:
        limit = f"{settings.query_timeout_s:g} s"
        raise ApiError(
            504,
            "query_timeout",
            f"the remote store did not answer within {limit}"
            if engine.remote
            else f"the query ran longer than {limit} and was stopped",
            details={"timeout_s": settings.query_timeout_s},
        ) from None
    except (PoolBusy, Busy):
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
    view = getattr(reply, "view_version", None)
    if view is not None and view != engine.kg.store.version:
        # Answered from the previous view of the data (--read-staleness): say so, and do
        # not cache it under the current data version.
        stale = True
        cacheable = False
    if stale:
        headers["X-Stancegraph-Stale"] = "true"
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


# Clients name the result format under several keys at once (SPARQLWrapper sends
# format=, output= and results=, each as a name and as a media type): one answer when
# they all agree, a 400 naming them when they do not.
FORMAT_PARAMS = ("format", "output", "results")


def _format(params: dict[str, list[str]]) -> str | None:
    """The one result format the request's format-style parameters ask for."""
    given = [(k, v) for k in FORMAT_PARAMS for v in params.get(k, []) if v.strip()]
    if not given:
        return None
    keys = [format_keys(v) for _, v in given]
    sols = {sol for sol, _ in keys if sol is not None}
    graphs = {graph for _, graph in keys if graph is not None}
    if len(sols) > 1 or len(graphs) > 1:
        listed = ", ".join(f"{k}={v}" for k, v in given)
        raise ApiError(
            400,
            "bad_request",
            f"the format parameters disagree ({listed}): give one format",
            details={"parameters": [{"name": k, "value": v} for k, v in given]},
        )
    merged = (next(iter(sols), None), next(iter(graphs), None))
    return next((v for (_, v), kv in zip(given, keys, strict=True) if kv == merged), given[0][1])


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
    fmt = _format(params)
    if query is None:
        dataset = [k for k in ("default-graph-uri", "named-graph-uri") if k in params]
        if dataset:  # the protocol: a dataset without a query is a malformed request
            raise ApiError(
                400,
                "missing_query",
                f"{' and '.join(dataset)} given without a query= parameter",
            )
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
            _format(params),
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
        _format(params),
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
    _check_iris("using-graph-uri", using)
    _check_iris("using-named-graph-uri", using_named)
    outcome = await engine.write(text, base_iri(request), using=using, using_named=using_named)
    timings = {k: round(v, 2) for k, v in outcome.timings_ms.items()}
    return JSONResponse({"status": "ok", **outcome.as_dict(), "timings_ms": timings})


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
        engine._sd_cache.put(key, body, len(body))
    return Response(body, media_type=GRAPH_FORMATS[graph][1], headers={"Vary": "Accept"})

"""Over 500 lines because the zygote loads this one file by path (stdlib and pyoxigraph
only), and the pool that talks to its workers shares the protocol defined here.

Query isolation: SPARQL runs in killable worker processes, never in the server process.

Why: pyoxigraph has no cancellation and holds the GIL while it evaluates, so a query run
in the server would block every other request and could never be stopped. Here:

- A *zygote* process (started once with ``python -I``, importing only this file and
  pyoxigraph) holds a copy of the data: an in-memory store rebuilt from an N-Quads dump,
  or, for a persistent store, just its path. It does nothing but fork.
- *Workers* are forked from the zygote, so a fresh one is ready in milliseconds with the
  data already loaded (copy-on-write). Each serves one query at a time over a Unix socket
  and answers with pyoxigraph's own serialisation bytes.
- On timeout the server kills the worker (``pidfd_send_signal`` where available, so a
  recycled pid can never be hit) and the next query gets a freshly forked one.
- Every job carries nothing about the data: the pool compares the store's ``version``
  with the version the zygote holds before dispatching; after a write it reloads the
  zygote (in a thread) and retires stale workers, so reads always see committed writes.
- The number of concurrent queries is bounded by the worker count; a bounded queue holds
  the rest; beyond it callers get ``PoolBusy`` (HTTP 503).

Row cap: SELECT results are first serialised as TSV (one row per line, so rows are
counted exactly while pyoxigraph streams them) into a writer that stops the evaluation
after ``max_rows + 1`` rows; the kept rows are converted to the requested format by
pyoxigraph (measured: as fast as serialising that format directly). CONSTRUCT/DESCRIBE
triples are cut with ``itertools.islice``.

This module must stay importable on its own (stdlib + pyoxigraph only): the zygote loads
it by file path so that worker start-up does not import FastAPI, rdflib or stancegraph.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, cast

import pyoxigraph as ox

_log = logging.getLogger("stancegraph.workers")

# --------------------------------------------------------------------------- formats

SOLUTION_FORMATS: dict[str, tuple[ox.QueryResultsFormat, str]] = {
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
    "csv": (ox.QueryResultsFormat.CSV, "text/csv; charset=utf-8"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values; charset=utf-8"),
}
GRAPH_FORMATS: dict[str, tuple[ox.RdfFormat, str]] = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle; charset=utf-8"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "nquads": (ox.RdfFormat.N_QUADS, "application/n-quads"),
    "trig": (ox.RdfFormat.TRIG, "application/trig"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json"),
    "rdfxml": (ox.RdfFormat.RDF_XML, "application/rdf+xml"),
}
_WITH_PREFIXES = {"turtle", "trig", "rdfxml"}
TRUNCATED_LINK = "urn:stancegraph:truncated"
_NETWORK_ERROR = re.compile(
    r"os error (?:101|111|113)\b|[Nn]etwork is unreachable|name resolution|not allowed for HTTP"
)
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)


@dataclass(frozen=True)
class Job:
    """One query for a worker. Plain data, pickled over the socket."""

    query: str
    solutions_format: str | None  # key of SOLUTION_FORMATS acceptable to the client, if any
    graph_format: str | None  # key of GRAPH_FORMATS acceptable to the client, if any
    max_rows: int
    union: bool = False
    default_graph: tuple[str, ...] | None = None  # protocol dataset (default-graph-uri)
    named_graphs: tuple[str, ...] | None = None  # protocol dataset (named-graph-uri)
    base_iri: str | None = None
    # "query" (the above), or for the write planner (``stancegraph.sparql.plan``):
    # "scratch" (run an update on a fresh store holding the frame's N-Quads body),
    # "select" (all rows as TSV; dataset: "" = the default graph, None = all named graphs),
    # "select-data" (the same over a fresh store holding the body), "check" (parse a query
    # on an empty store: the syntax check of a remote store's queries).
    kind: str = "query"
    max_bytes: int = 0  # write kinds: the most the reply may hold (0: MAX_WRITE_REPLY_BYTES)


@dataclass
class Reply:
    """A worker's answer: serialised bytes and what they are, or an error."""

    ok: bool
    form: str = ""  # select | ask | graph
    format: str = ""  # the key used
    rows: int = 0
    truncated: bool = False
    error: str = ""  # syntax | not_acceptable | evaluation | storage | memory | network
    message: str = ""
    body: bytes = b""


# --------------------------------------------------------------------------- execution


class _Capped(Exception):
    """Raised by the TSV writer to stop the evaluation once enough rows are seen."""


class _LineCapWriter:
    """Collects pyoxigraph's TSV output, counting lines; stops after ``limit`` lines."""

    __slots__ = ("chunks", "limit", "lines")

    def __init__(self, limit: int):
        self.chunks: list[bytes] = []
        self.lines = 0
        self.limit = limit

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _Capped
        return len(chunk)

    def flush(self) -> None:
        pass


def _dataset_kwargs(job: Job) -> dict[str, Any]:
    if job.default_graph is not None or job.named_graphs is not None:
        # SPARQL Protocol: the request's dataset replaces the query's and the store's.
        return {
            "default_graph": [ox.NamedNode(g) for g in job.default_graph or ()],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
        }
    return {"use_default_graph_as_union": True} if job.union else {}


def _solutions(results: ox.QuerySolutions, job: Job, fmt: str) -> Reply:
    header_and_rows = job.max_rows + 1
    writer = _LineCapWriter(header_and_rows)
    truncated = False
    try:
        results.serialize(cast(IO[bytes], writer), format=ox.QueryResultsFormat.TSV)
    except _Capped:
        truncated = True
    tsv = b"".join(writer.chunks)
    if truncated:
        tsv = b"\n".join(tsv.split(b"\n", header_and_rows)[:header_and_rows]) + b"\n"
        rows = job.max_rows
    else:
        rows = max(writer.lines - 1, 0)
    if fmt == "tsv":
        body = tsv
    else:
        parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        body = cast(bytes, parsed.serialize(format=SOLUTION_FORMATS[fmt][0]))
    if truncated:
        body = _mark_truncated(body, fmt)
    return Reply(True, "select", fmt, rows, truncated, body=body)


def _mark_truncated(body: bytes, fmt: str) -> bytes:
    """In-band truncation signal for the formats that can carry one (the header always does)."""
    if fmt == "json" and body.startswith(b"{"):
        return b'{"truncated":true,' + body[1:]
    if fmt == "xml":
        return body.replace(b"</head>", f'<link href="{TRUNCATED_LINK}"/></head>'.encode(), 1)
    return body


def _graph(results: ox.QueryTriples, job: Job, fmt: str) -> Reply:
    triples = list(itertools.islice(results, job.max_rows))
    truncated = next(results, None) is not None
    kwargs: dict[str, Any] = {"format": GRAPH_FORMATS[fmt][0]}
    if fmt in _WITH_PREFIXES:
        prefixes = {p or "": iri for p, iri in _PREFIX_DECL.findall(job.query) if iri}
        if prefixes:
            kwargs["prefixes"] = prefixes
    body = cast(bytes, ox.serialize(triples, **kwargs))
    return Reply(True, "graph", fmt, len(triples), truncated, body=body)


def _planner_job(store: ox.Store, job: Job, body: bytes) -> Reply:
    """The write planner's jobs: client text evaluated here, where it cannot reach the
    network or take the server down."""
    if job.kind == "scratch":
        scratch = ox.Store()
        if body:
            scratch.extend(ox.parse(body, format=ox.RdfFormat.N_QUADS))
        for g in job.named_graphs or ():
            scratch.add_graph(ox.NamedNode(g))
        scratch.update(job.query, base_iri=job.base_iri)
        graphs = sorted(g.value for g in scratch.named_graphs() if isinstance(g, ox.NamedNode))
        dump = cast(bytes, scratch.dump(format=ox.RdfFormat.N_QUADS))
        if len(dump) > (job.max_bytes or MAX_WRITE_REPLY_BYTES):
            return _too_large("the change", len(dump), job.max_bytes)
        return Reply(True, "scratch", message="\n".join(graphs), body=dump)
    if job.kind == "check":  # syntax only (for a remote store's queries): an empty store
        ox.Store().query(job.query, base_iri=job.base_iri)
        return Reply(True, "check")
    if job.kind == "select-data":
        store = ox.Store()
        if body:
            store.extend(ox.parse(body, format=ox.RdfFormat.N_QUADS))
    kwargs: dict[str, Any] = {}
    if job.default_graph is not None:
        kwargs["default_graph"] = [
            ox.DefaultGraph() if g == "" else ox.NamedNode(g) for g in job.default_graph
        ]
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    results = store.query(job.query, base_iri=job.base_iri, **kwargs)
    if not isinstance(results, ox.QuerySolutions):
        return Reply(False, error="evaluation", message="not a SELECT query")
    tsv = cast(bytes, results.serialize(format=ox.QueryResultsFormat.TSV))
    if len(tsv) > (job.max_bytes or MAX_WRITE_REPLY_BYTES):
        return _too_large("the WHERE clause's solutions", len(tsv), job.max_bytes)
    return Reply(True, "select", "tsv", body=tsv)


# What a write's planning may bring into the server from a worker (a WHERE's solutions,
# a computed change): the server holds it, and then its Python form, in memory.
MAX_WRITE_REPLY_BYTES = 128 << 20


def _too_large(what: str, size: int, limit: int) -> Reply:
    limit = limit or MAX_WRITE_REPLY_BYTES
    return Reply(
        False,
        error="too_large",
        message=f"{what} would be {size:,} bytes, over the write limit of {limit:,} bytes "
        "(serve --max-write-mb); split the update into smaller ones",
    )


def execute(store: ox.Store, job: Job, body: bytes = b"") -> Reply:
    """Run one job against ``store``; never raises for query problems."""
    try:
        if job.kind != "query":
            return _planner_job(store, job, body)
        results = store.query(job.query, base_iri=job.base_iri, **_dataset_kwargs(job))
        return serialise(results, job)
    except SyntaxError as exc:
        return Reply(False, error="syntax", message=str(exc))
    except MemoryError:
        return Reply(False, error="memory", message="the query needed more memory than allowed")
    except OSError as exc:
        if _NETWORK_ERROR.search(str(exc)):  # SERVICE tried the network (none in a sandbox)
            return Reply(False, error="network", message=str(exc))
        return Reply(False, error="storage", message=str(exc))
    except Exception as exc:  # evaluation errors surface as RuntimeError/ValueError/TypeError
        return Reply(False, error="evaluation", message=f"{type(exc).__name__}: {exc}")


def serialise(results: Any, job: Job) -> Reply:
    """A pyoxigraph result object as the job's format, cut at ``max_rows`` (also used for
    the results of a remote store, which are the same pyoxigraph objects)."""
    if isinstance(results, ox.QueryBoolean):
        if job.solutions_format is None:
            return Reply(False, "ask", error="not_acceptable")
        fmt = job.solutions_format
        body = cast(bytes, results.serialize(format=SOLUTION_FORMATS[fmt][0]))
        return Reply(True, "ask", fmt, 1, body=body)
    if isinstance(results, ox.QuerySolutions):
        if job.solutions_format is None:
            return Reply(False, "select", error="not_acceptable")
        return _solutions(results, job, job.solutions_format)
    if job.graph_format is None:
        return Reply(False, "graph", error="not_acceptable")
    return _graph(results, job, job.graph_format)


# --------------------------------------------------------------------------- wire format
# A frame is a 16-byte header (two big-endian lengths), a pickled head and raw bytes.

_HEAD = struct.Struct(">QQ")
_FAULT_BYTES = 64 * 1024
_SOCKET_BUFFER = 4 * 1024 * 1024
_FIRST_READ = 64 * 1024  # one read takes a whole job or a typical reply


def _send_frame(sock: socket.socket, head: Any, body: bytes = b"") -> None:
    meta = pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendmsg([_HEAD.pack(len(meta), len(body)), meta, body])


def _recv_exact_blocking(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise EOFError
        got += k
    return bytes(buf)


def _recv_frame_blocking(sock: socket.socket) -> tuple[Any, bytes]:
    meta_len, body_len = _HEAD.unpack(_recv_exact_blocking(sock, _HEAD.size))
    head = pickle.loads(_recv_exact_blocking(sock, meta_len))
    body = _recv_exact_blocking(sock, body_len) if body_len else b""
    return head, body


def _split_frame(buf: bytes | bytearray) -> tuple[Any, bytes]:
    """(head, body) of one whole frame in ``buf``."""
    meta_len, _body_len = _HEAD.unpack_from(buf)
    end = _HEAD.size + meta_len
    return pickle.loads(memoryview(buf)[_HEAD.size : end]), bytes(memoryview(buf)[end:])


def _recv_job_blocking(sock: socket.socket) -> tuple[Any, bytes]:
    """A frame read with as few system calls as possible (usually one: jobs are small)."""
    data = sock.recv(_FIRST_READ)
    if not data:
        raise EOFError
    if len(data) < _HEAD.size:
        data += _recv_exact_blocking(sock, _HEAD.size - len(data))
    meta_len, body_len = _HEAD.unpack_from(data)
    missing = _HEAD.size + meta_len + body_len - len(data)
    if missing > 0:
        data += _recv_exact_blocking(sock, missing)
    return _split_frame(data)


async def _recv_exact(loop: asyncio.AbstractEventLoop, sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = await loop.sock_recv_into(sock, view[got:])
        if k == 0:
            raise EOFError("worker closed the connection")
        got += k
    return buf


# --------------------------------------------------------------------------- worker side


def _fields(obj: Any) -> tuple[Any, ...]:
    """A dataclass as a plain tuple: the zygote loads this module under another name, so
    only builtin types cross the socket."""
    return tuple(getattr(obj, name) for name in obj.__dataclass_fields__)


def _worker_loop(sock: socket.socket, store: ox.Store) -> None:
    while True:
        try:
            job, body = _recv_job_blocking(sock)
        except (EOFError, OSError):
            return
        reply = execute(store, Job(*job), body)
        _send_frame(sock, _fields(reply)[:-1], reply.body)


_sandbox_module: Any = None


def _load_sandbox() -> Any:
    """``stancegraph/sandbox.py`` by file path (source tree or installed package); loaded
    once in the zygote, so forked workers find it ready."""
    global _sandbox_module
    if _sandbox_module is None:
        _sandbox_module = _import_sandbox()
    return _sandbox_module


def _import_sandbox() -> Any:
    import importlib.util

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # api/ (sparql/..)
    for path in (
        os.path.join(here, os.pardir, "sandbox.py"),  # installed: stancegraph/api/sparql/
        os.path.join(here, os.pardir, "stancegraph", "sandbox.py"),  # source tree: api/sparql/
    ):
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("_stancegraph_sandbox", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise ImportError("stancegraph/sandbox.py not found next to the worker module")


def _isolate(deny_net: bool) -> str:
    """Take the network away from this process (and every worker it forks): ``netns``,
    ``userns+netns``, ``off`` (the operator allowed outbound requests) or
    ``unavailable: reason``."""
    if not deny_net:
        return "off"
    try:
        sandbox = _load_sandbox()
    except ImportError as exc:
        return f"unavailable: {exc}"
    try:
        return str(sandbox.deny_network())
    except sandbox.SandboxUnavailable as exc:
        return f"unavailable: {exc}"


def _start_worker(fds: list[int], store: ox.Store | None, path: str | None, memory: int) -> None:
    """In the forked child: stderr to the fault channel, open the data, cap memory, serve.

    A native crash (stack overflow, a failed allocation) kills the process without a Python
    exception; ``faulthandler`` and the engine's own "memory allocation … failed" line go to
    the fault channel, which the server reads when the job socket reaches EOF."""
    import faulthandler

    if len(fds) > 1:
        os.dup2(fds[1], 2)
        os.close(fds[1])
        os.set_blocking(2, False)  # a full channel must never block the worker
        faulthandler.enable(file=2, all_threads=False)
    conn = socket.socket(fileno=fds[0])
    data = store if store is not None else ox.Store.read_only(cast(str, path))  # one is given
    if memory > 0:
        _load_sandbox().cap_memory(memory)
    _worker_loop(conn, data)


def _zygote_main(ctrl_fd: int, deny_net: bool = False, worker_memory: int = 0) -> None:
    """Hold the data and fork workers on request. Single-threaded, so forking is safe.

    With ``deny_net`` it first moves into a network namespace of its own (before any data is
    loaded), so no worker forked from it can open a connection, whatever the engine parsed.
    Each worker caps its address space at ``worker_memory`` bytes above its forked size."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server handles Ctrl-C; we follow EOF
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    ctrl = socket.socket(fileno=ctrl_fd)
    sandbox = _isolate(deny_net)
    if worker_memory > 0:
        _load_sandbox()  # before any fork: workers cap their memory with it
    store: ox.Store | None = None
    path: str | None = None
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctrl, 1 << 16, 4)
        except OSError:
            return
        if not msg:
            return
        if len(msg) < _HEAD.size:
            msg += _recv_exact_blocking(ctrl, _HEAD.size - len(msg))
        # The control message announces its payload size; the payload follows.
        (meta_len, body_len) = _HEAD.unpack(msg[: _HEAD.size])
        rest = msg[_HEAD.size :]
        need = meta_len + body_len - len(rest)
        if need > 0:
            rest += _recv_exact_blocking(ctrl, need)
        op = pickle.loads(rest[:meta_len])
        body = rest[meta_len:]
        try:
            if op[0] == "state":
                _send_frame(ctrl, ("ok", {"sandbox": sandbox, "worker_memory": worker_memory}))
            elif op[0] == "load":
                store, path = None, None
                fresh = ox.Store()
                fresh.extend(ox.parse(body, format=ox.RdfFormat.N_QUADS))  # keeps bnode labels
                store = fresh
                _send_frame(ctrl, ("ok", len(store)))
            elif op[0] == "path":
                store, path = None, op[1]
                ox.Store.read_only(path)  # fail here, not in every worker
                _send_frame(ctrl, ("ok", 0))
            elif op[0] == "fork":
                pid = os.fork()
                if pid == 0:  # the worker
                    code = 0
                    try:
                        ctrl.close()
                        _start_worker(fds, store, path, worker_memory)
                    except BaseException:
                        code = 1
                    finally:
                        os._exit(code)
                for fd in fds:
                    os.close(fd)
                _send_frame(ctrl, ("ok", pid))
            elif op[0] == "exit":
                return
        except Exception as exc:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            _send_frame(ctrl, ("error", f"{type(exc).__name__}: {exc}"))


# --------------------------------------------------------------------------- server side


class PoolBusy(Exception):
    """Every worker is busy and the queue is full (or the wait for a slot timed out)."""


class QueryTimeout(Exception):
    """The query ran past its time; its worker was killed."""


class WorkerFailed(Exception):
    """A worker died or the zygote failed."""


class QueryCrashed(WorkerFailed):
    """The worker died while evaluating this query, leaving a fault report: the input is to
    blame. ``cause`` is ``memory`` (past the worker's memory cap) or ``crash`` (a signal,
    e.g. a stack overflow)."""

    def __init__(self, cause: str, report: str):
        super().__init__(report)
        self.cause = cause
        self.report = report


class SandboxFailed(WorkerFailed):
    """The query engine could not be isolated from the network, and isolation is required."""


_MEMORY_FAULT = re.compile(rb"memory allocation of \d+ bytes failed|MemoryError|Cannot allocate")
_FATAL = re.compile(rb"Fatal Python error: ([^\n]+)")


def classify_fault(report: bytes) -> QueryCrashed | None:
    """What a dead worker's fault channel says about its death (None: it said nothing)."""
    if _MEMORY_FAULT.search(report):
        return QueryCrashed("memory", "the query needed more memory than a worker may use")
    m = _FATAL.search(report)
    if m:
        reason = m.group(1).decode("ascii", "replace").strip()
        return QueryCrashed("crash", f"the query crashed the query engine ({reason})")
    return None


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _Slots:
    """A semaphore with a bounded queue that works from any event loop (and none)."""

    def __init__(self, size: int, max_waiting: int):
        self._free = size
        self._max_waiting = max_waiting
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            if len(self._waiters) >= self._max_waiting:
                raise PoolBusy
            fut: asyncio.Future[None] = loop.create_future()
            entry = (loop, fut)
            self._waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                await fut
        except BaseException as exc:
            with self._lock:
                queued = entry in self._waiters
                if queued:
                    self._waiters.remove(entry)
            if not queued and fut.done() and not fut.cancelled():
                self.release()  # granted just as we gave up: pass it on
            # (not queued and cancelled: the pending grant sees that and passes it on)
            if isinstance(exc, TimeoutError):
                raise PoolBusy from None
            raise

    def release(self) -> None:
        with self._lock:
            while self._waiters:
                loop, fut = self._waiters.popleft()
                try:
                    if loop is _current_loop():
                        loop.call_soon(self._grant, fut)  # no self-pipe write, no extra wake-up
                    else:
                        loop.call_soon_threadsafe(self._grant, fut)
                    return
                except RuntimeError:  # that loop is closed; try the next waiter
                    continue
            self._free += 1

    def _grant(self, fut: asyncio.Future[None]) -> None:
        if fut.done():
            self.release()
        else:
            fut.set_result(None)


@dataclass(eq=False)
class _Worker:
    sock: socket.socket
    pid: int
    pidfd: int | None
    version: int
    faults: socket.socket | None = None  # the worker's stderr (fault reports)

    def fault_report(self) -> bytes:
        """What the worker wrote to stderr before it died (its job socket saw EOF first,
        so the report, written before death, is already in the buffer)."""
        if self.faults is None:
            return b""
        chunks: list[bytes] = []
        with contextlib.suppress(OSError):
            while sum(map(len, chunks)) < _FAULT_BYTES:
                chunk = self.faults.recv(_FAULT_BYTES)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)

    def close(self, *, kill: bool) -> None:
        if kill:
            with contextlib.suppress(OSError):
                if self.pidfd is not None:
                    signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
                else:
                    os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.faults is not None:
            with contextlib.suppress(OSError):
                self.faults.close()
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None


def _shutdown(proc: subprocess.Popen[bytes], ctrl: socket.socket) -> None:
    with contextlib.suppress(OSError):
        ctrl.close()
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=2)


DataSource = Callable[[], tuple[str, Any]]
"""Returns ("load", nquads_bytes) or ("path", store_path)."""


class WorkerPool:
    """A bounded set of killable query workers forked from a zygote that holds the data."""

    def __init__(
        self,
        source: DataSource,
        version: Callable[[], int],
        *,
        size: int = 2,
        max_queued: int = 64,
        deny_network: bool = False,
        require_sandbox: bool = False,
        worker_memory: int = 0,
        max_staleness_s: float = 0.0,
    ):
        """``deny_network``: run the zygote (so every worker) without network access;
        ``require_sandbox``: refuse to start (``SandboxFailed``) where that is impossible,
        else log a warning once and go on; ``worker_memory``: bytes each worker may add to
        its address space (0: no cap)."""
        self._deny_network = deny_network
        self._require_sandbox = require_sandbox
        self._worker_memory = worker_memory
        self.sandbox = "not started"
        self._source = source
        self._version = version
        self.size = size
        self._slots = _Slots(size, max_queued)
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()  # idle list, busy set
        self._ctrl_lock = threading.Lock()  # zygote conversation, start, refresh
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self.data_version: int | None = None
        self.closed = False
        self.max_staleness_s = max_staleness_s
        self._stale_since: float | None = None
        self._refreshing = False
        self._refreshed_at = float("-inf")  # when the last background refresh swapped in
        self.stats: dict[str, Any] = {
            "queries": 0,
            "timeouts": 0,
            "forks": 0,
            "reloads": 0,
            "crashes": 0,
            "memory_exceeded": 0,
            "sandbox": self.sandbox,
        }

    # -- zygote control (blocking; call from threads)
    def _start_zygote(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        code = (
            "import importlib.util as u, sys\n"
            f"s = u.spec_from_file_location('_stancegraph_worker', {os.path.abspath(__file__)!r})\n"
            "m = sys.modules[s.name] = u.module_from_spec(s); s.loader.exec_module(m)\n"
            f"m._zygote_main({child.fileno()}, {self._deny_network!r}, {self._worker_memory!r})\n"
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-c", code],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            close_fds=True,
        )
        child.close()
        self._ctrl = parent
        self._finalizer = weakref.finalize(self, _shutdown, self._proc, parent)
        self._set_sandbox(self._call(("state",))["sandbox"])

    def _set_sandbox(self, state: str) -> None:
        """Record the zygote's isolation; refuse or warn (once) where it failed."""
        first = self.sandbox == "not started"
        self.sandbox = self.stats["sandbox"] = state
        if not state.startswith("unavailable"):
            return
        if self._require_sandbox:
            raise SandboxFailed(
                f"query workers cannot be cut off from the network ({state}); SERVICE in a "
                "query could reach it. Allow user/network namespaces, or start with "
                "--no-require-sandbox to rely on the text check alone"
            )
        if first:
            _log.warning(
                "query workers run WITH network access (%s): outbound requests are refused "
                "only by the text check in front of the engine",
                state,
            )

    def _call(self, op: tuple[Any, ...], body: bytes = b"", fds: tuple[int, ...] = ()) -> Any:
        assert self._ctrl is not None
        meta = pickle.dumps(op, protocol=pickle.HIGHEST_PROTOCOL)
        header = _HEAD.pack(len(meta), len(body))
        # The first message carries the fds (SCM_RIGHTS) with the header and op.
        socket.send_fds(self._ctrl, [header + meta], list(fds))
        if body:
            self._ctrl.sendall(body)
        status, value = _recv_frame_blocking(self._ctrl)[0]
        if status != "ok":
            raise WorkerFailed(f"query engine: {value}")
        return value

    def _load(self) -> None:
        version = self._open_view()
        self.data_version = version
        self._stale_since = None
        with self._lock:
            stale, self._idle = self._idle, []
        for w in stale:
            w.close(kill=False)

    def _open_view(self) -> int:
        """Have the zygote open the data as it is now; returns the version it holds."""
        version = self._version()  # read before the dump: a later write triggers a reload
        kind, payload = self._source()
        if kind == "path":
            self._call(("path", str(payload)))
        else:
            self._call(("load",), payload)
        self.stats["reloads"] += 1
        return version

    def _refresh_behind(self) -> None:
        """For lagging readers: prepare the next view (the zygote opens it, a worker is
        forked on it) while queries go on with the last view's workers, then swap in one
        step, and fork the rest of the new set. No query waits for the reload, and at most
        one worker more than the pool's size is alive (each holds its own engine caches)."""
        with self._ctrl_lock:
            if self._proc is None or self._proc.poll() is not None or self.data_version is None:
                self._ensure_locked()
                return
            if self.data_version >= self._version():
                return
            version = self._open_view()
            first = self._fork_locked(version)
            with self._lock:
                stale, self._idle = self._idle, [first]
                self.data_version = version
                self._stale_since = None
            for w in stale:
                w.close(kill=False)
            for _ in range(self.size - 1):
                with self._lock:
                    current = len(self._idle) + sum(b.version == version for b in self._busy)
                    if current >= self.size or self.data_version != version:
                        break
                w = self._fork_locked(version)
                with self._lock:
                    self._idle.append(w)

    def _ensure_locked(self, at_least: int | None = None) -> None:
        """A live zygote holding data version ``at_least`` or newer (default: the current
        version; the caller holds ``_ctrl_lock``)."""
        if self.closed:
            raise WorkerFailed("the query engine is shut down")
        for attempt in (1, 2):
            try:
                if self._proc is None or self._proc.poll() is not None:
                    if self._finalizer is not None:
                        self._finalizer()
                    self._start_zygote()
                    self.data_version = None
                wanted = self._version() if at_least is None else at_least
                if self.data_version is None or self.data_version < wanted:
                    self._load()
                return
            except (OSError, EOFError) as exc:  # the zygote died: start over once
                if self._finalizer is not None:
                    self._finalizer()
                self._proc = None
                if attempt == 2:
                    raise WorkerFailed(f"query engine could not start: {exc}") from None

    def start(self) -> None:
        """Start the zygote with the current data and pre-fork the workers (blocking)."""
        with self._ctrl_lock:
            self._ensure_locked()
            with self._lock:
                missing = self.size - len(self._idle)
            for _ in range(missing):
                w = self._fork_locked()
                with self._lock:
                    self._idle.append(w)

    def reload(self) -> None:
        """Reopen the data even if the version did not change (blocking): a read-only view of
        an on-disk store opened while the writer was flushing can miss files, and a fresh
        one sees them."""
        with self._ctrl_lock:
            self.data_version = None
            self._ensure_locked()

    async def _catch_up(self, loop: asyncio.AbstractEventLoop, arrived_at: int) -> None:
        """The data changed since the workers' view was taken. By default a query waits for
        a fresh view (it sees every committed write). With ``max_staleness_s``, queries keep
        using the last view for at most that long after it went out of date while one
        background refresh (for a whole burst of writes) prepares the next.

        A query that waits needs a view of the version it arrived at (``arrived_at``), not
        of the newest one: under a stream of writes, one refresh serves every query that
        arrived before it began, instead of each starting its own."""
        now = time.monotonic()
        if self._stale_since is None:
            self._stale_since = now
        if self.max_staleness_s <= 0 or now - self._stale_since >= self.max_staleness_s:
            await loop.run_in_executor(None, self.refresh, arrived_at)
            return
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        # Under a stream of writes the view is stale again as soon as it is swapped in:
        # refreshing back to back spent a core on checkpoints and forks. The next refresh
        # starts half a window after the last one at the earliest, which keeps every view
        # younger than the window (a refresh that takes longer is caught by the wait above).
        delay = self._refreshed_at + self.max_staleness_s / 2 - now

        def run() -> None:
            try:
                if delay > 0:
                    time.sleep(delay)
                self._refresh_behind()
            except Exception:  # the next query that must wait refreshes (and reports) again
                pass
            finally:
                with self._lock:
                    self._refreshing = False
                    self._refreshed_at = time.monotonic()

        threading.Thread(target=run, name="worker-view-refresh", daemon=True).start()

    def refresh(self, at_least: int | None = None) -> None:
        """Make the zygote hold data version ``at_least`` or newer (default: the store's
        current version; blocking; cheap when it does)."""
        wanted = self._version() if at_least is None else at_least
        current = self.data_version
        if self._proc is not None and current is not None and current >= wanted:
            return
        with self._ctrl_lock:
            self._ensure_locked(wanted)

    def _fork_locked(self, version: int | None = None) -> _Worker:
        """A worker forked from the zygote, on its view (of ``version``, default: the
        pool's data version)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        faults, their_faults = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        for sock in (ours, theirs):  # fewer wake-ups for large results (capped by the kernel)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER)
        try:
            pid = self._call(("fork",), fds=(theirs.fileno(), their_faults.fileno()))
        except BaseException:
            faults.close()
            ours.close()
            raise
        finally:
            theirs.close()
            their_faults.close()
        faults.setblocking(False)
        pidfd = None
        if hasattr(os, "pidfd_open"):
            with contextlib.suppress(OSError):
                pidfd = os.pidfd_open(pid)
        ours.setblocking(False)
        self.stats["forks"] += 1
        version = self.data_version if version is None else version
        assert version is not None
        return _Worker(ours, pid, pidfd, version, faults)

    def _fork(self) -> _Worker:
        """A new worker on the zygote's view, whichever version it holds: the caller has
        decided how fresh a view it needs (a lagging reader must not reload here)."""
        with self._ctrl_lock:
            self._ensure_locked(self.data_version)
            try:
                return self._fork_locked()
            except (OSError, EOFError):  # the zygote died since: start over once
                self._proc = None
                self._ensure_locked()
                return self._fork_locked()

    # -- queries (async; any event loop)
    def _take_idle(self) -> _Worker | None:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.version == self.data_version:
                    return w
                w.close(kill=False)
        return None

    def _give_back(self, w: _Worker) -> None:
        with self._lock:
            if not self.closed and w.version == self.data_version and len(self._idle) < self.size:
                self._idle.append(w)
                return
        w.close(kill=False)

    async def run(self, job: Job, timeout: float, body: bytes = b"") -> Reply:
        """Run ``job`` in a worker; raises QueryTimeout, PoolBusy or WorkerFailed."""
        loop = asyncio.get_running_loop()
        await self._slots.acquire(timeout)
        try:
            if self._proc is None or self.data_version is None:
                await loop.run_in_executor(None, self.refresh)
            elif self.data_version != (arrived_at := self._version()):
                await self._catch_up(loop, arrived_at)
            w = self._take_idle()
            if w is None:
                w = await loop.run_in_executor(None, self._fork)
            meta = pickle.dumps(_fields(job), protocol=pickle.HIGHEST_PROTOCOL)
            frame = _HEAD.pack(len(meta), len(body)) + meta + body
            try:
                await loop.sock_sendall(w.sock, frame)
            except OSError:  # died while idle (the query never started): use a fresh one
                w.close(kill=True)
                w = await loop.run_in_executor(None, self._fork)
                try:
                    await loop.sock_sendall(w.sock, frame)
                except OSError as exc:
                    w.close(kill=True)
                    raise WorkerFailed(f"query worker failed: {exc}") from None
            self.stats["queries"] += 1
            with self._lock:
                self._busy.add(w)
            try:
                async with asyncio.timeout(timeout):
                    reply = await self._receive(loop, w)
            except TimeoutError:
                w.close(kill=True)
                self.stats["timeouts"] += 1
                raise QueryTimeout from None
            except (EOFError, OSError, pickle.UnpicklingError) as exc:
                crashed = classify_fault(w.fault_report())
                w.close(kill=True)
                if crashed is not None:  # it died of this query: the input is to blame
                    self.stats["memory_exceeded" if crashed.cause == "memory" else "crashes"] += 1
                    raise crashed from None
                raise WorkerFailed(f"query worker failed: {exc}") from None
            except BaseException:
                w.close(kill=True)
                raise
            finally:
                with self._lock:
                    self._busy.discard(w)
            if reply.error == "memory":  # a MemoryError may leave the worker half-broken
                self.stats["memory_exceeded"] += 1
                w.close(kill=True)
            else:
                self._give_back(w)
            reply.view_version = w.version  # type: ignore[attr-defined]  # the data it read
            return reply
        finally:
            self._slots.release()

    def pids(self) -> dict[str, list[int]]:
        """Process ids of the zygote and of the idle and busy workers (for tests and ops)."""
        with self._lock:
            return {
                "zygote": [self._proc.pid] if self._proc is not None else [],
                "idle": [w.pid for w in self._idle],
                "busy": [w.pid for w in self._busy],
            }

    @staticmethod
    async def _receive(loop: asyncio.AbstractEventLoop, w: _Worker) -> Reply:
        # One read usually holds the whole reply (small results): fewer wake-ups than
        # reading header, head and body apart.
        data = await loop.sock_recv(w.sock, _FIRST_READ)
        if not data:
            raise EOFError("worker closed the connection")
        if len(data) < _HEAD.size:
            data += await _recv_exact(loop, w.sock, _HEAD.size - len(data))
        meta_len, body_len = _HEAD.unpack_from(data)
        missing = _HEAD.size + meta_len + body_len - len(data)
        if missing > 0:  # a large result: read the rest straight into one buffer
            buf = bytearray(len(data) + missing)
            buf[: len(data)] = data
            view = memoryview(buf)
            got = len(data)
            while got < len(buf):
                k = await loop.sock_recv_into(w.sock, view[got:])
                if k == 0:
                    raise EOFError("worker closed the connection")
                got += k
            head, body = _split_frame(buf)
        else:
            head, body = _split_frame(data)
        reply = Reply(*head)
        reply.body = body
        return reply

    def close(self) -> None:
        with self._ctrl_lock:
            self.closed = True
            with self._lock:
                workers, self._idle = [*self._idle, *self._busy], []
            for w in workers:
                w.close(kill=True)
            if self._finalizer is not None:
                self._finalizer()
            self._proc = None
            self._ctrl = None

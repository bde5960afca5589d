"""Parse RDF a client sent in a child process, so that no input can take the server down.

pyoxigraph's parsers run native code on attacker-chosen bytes: its RDF/XML parser expands
internal DTD entities ("billion laughs": 579 bytes took 27 s and 6.3 GB), and its JSON-LD
parser recurses on nesting (tens of thousands of levels overflow the stack and kill the
process). ``parse_untrusted`` therefore parses in a separate ``python -I`` process that
imports only the standard library and pyoxigraph, has no network (``sandbox.deny_network``)
and a memory cap (``sandbox.cap_memory``), and is killed at a deadline. The server only
ever reads back N-Quads, whose parser is flat and linear.

In the child, before the engine sees the bytes:

- RDF/XML goes through expat first; any DTD with an internal subset or an entity
  declaration is refused (no entity is ever expanded), as is an external DTD.
- JSON-LD nesting deeper than ``JSONLD_MAX_DEPTH`` is refused (a linear byte scan).

Outcomes map to HTTP statuses: bad syntax, refused constructs, a parser crash or a parse
that spent its time limit on the CPU -> 400 (the input is to blame); over the memory cap
-> 413; a child that cannot start, or a deadline missed while the child was starved of
CPU (the server is busy) -> 503. At most ``MAX_PARSES`` children parse at once. Children are reused (warm, a small pool): starting one
costs ~100 ms (``python -I`` + importing pyoxigraph), a warm parse of a small body ~1 ms.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

log = logging.getLogger(__name__)

JSONLD_MAX_DEPTH = 256
DEFAULT_MAX_SECONDS = 10.0
DEFAULT_MAX_MEMORY_BYTES = 1024 * 1024 * 1024
POOL_SIZE = 2  # idle warm children kept per (memory cap, outbound) setting
MAX_PARSES = 4  # children parsing at once, in all: each may use max_memory_bytes
CHILD_MAX_USES = 200  # a child is replaced after this many parses (no slow growth)
START_TIMEOUT_S = 20.0


class UntrustedInputError(ValueError):
    """Why an upload was refused, with its HTTP status and the error envelope's fields."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def parse_untrusted(
    data: bytes,
    fmt: ox.RdfFormat,
    *,
    base_iri: str | None = None,
    default_graph: str | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES,
    allow_outbound: bool = False,
) -> bytes:
    """``data`` in ``fmt`` parsed in a confined child; the result as N-Quads bytes.

    ``default_graph`` (an IRI) renames the default graph of the parsed data. Raises
    ``UntrustedInputError`` for every failure (see the module docstring for statuses).
    """
    request = {
        "media_type": fmt.media_type,
        "base_iri": base_iri,
        "default_graph": default_graph,
        "jsonld_max_depth": JSONLD_MAX_DEPTH,
    }
    deadline = time.monotonic() + max_seconds
    if not _parsing.acquire(timeout=max_seconds):
        raise UntrustedInputError(
            503, "busy", f"{MAX_PARSES} uploads are being parsed; retry", {"timeout_s": max_seconds}
        )
    try:
        pool = _pool_for(max_memory_bytes, allow_outbound)
        child = pool.acquire()
        try:
            reply, body = child.call(request, data, deadline)
        except _ChildDied as died:
            pool.discard(child)
            raise died.error(max_seconds) from None
        pool.release(child)
    finally:
        _parsing.release()
    if reply.get("ok"):
        return body
    raise UntrustedInputError(400, reply["code"], reply["message"], reply.get("details") or {})


# --------------------------------------------------------------------------- parent side


class _ChildDied(Exception):
    """The child did not answer: killed at the deadline, crashed, or never started."""

    def __init__(self, kind: str, cpu_s: float = 0.0, stderr: str = "", detail: str = ""):
        super().__init__(kind)
        self.kind = kind
        self.cpu_s = cpu_s
        self.stderr = stderr
        self.detail = detail

    def error(self, max_seconds: float) -> UntrustedInputError:
        if self.kind == "start":
            return UntrustedInputError(
                503, "parser_unavailable", f"the upload parser could not start: {self.detail}"
            )
        if "memory allocation" in self.stderr or "MemoryError" in self.stderr:
            return UntrustedInputError(
                413,
                "rdf_too_large",
                "parsing the body needed more memory than an upload may use",
                {"limit": "max_memory_bytes"},
            )
        if self.kind == "timeout":
            if self.cpu_s >= max_seconds / 2:
                return UntrustedInputError(
                    400,
                    "rdf_too_complex",
                    f"parsing the body took longer than {max_seconds:g} s and was stopped",
                    {"timeout_s": max_seconds, "cpu_s": round(self.cpu_s, 2)},
                )
            return UntrustedInputError(
                503,
                "busy",
                f"the server was too busy to parse the body within {max_seconds:g} s; retry",
                {"timeout_s": max_seconds},
            )
        return UntrustedInputError(
            400,
            "rdf_parser_crashed",
            "the RDF parser crashed on this body (" + self.detail + "); nothing was written",
        )


def _read_exact(stream: IO[bytes], n: int, deadline: float) -> bytes:
    fd = stream.fileno()
    chunks: list[bytes] = []
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while n > 0:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
    return b"".join(chunks)


def _frame(header: dict[str, Any], body: bytes) -> bytes:
    head = json.dumps(header).encode()
    return struct.pack(">II", len(head), len(body)) + head + body


class _Child:
    """One warm parser process, talking length-prefixed frames over its stdin/stdout."""

    def __init__(self, max_memory_bytes: int, allow_outbound: bool):
        self.uses = 0
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the child)
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    str(Path(__file__).with_name("_parse_child.py")),
                    str(Path(__file__).parent.parent / "sandbox.py"),
                    str(max_memory_bytes),
                    "1" if allow_outbound else "0",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                close_fds=True,
            )
        except OSError as exc:
            raise _ChildDied("start", detail=str(exc)) from None
        try:
            hello, _ = self._read_frame(time.monotonic() + START_TIMEOUT_S)
        except _ChildDied as died:
            raise _ChildDied("start", detail=died.detail or died.stderr.strip()[-300:]) from None
        self.network, self.memory = hello.get("network"), hello.get("memory")
        if hello.get("network") != "denied" and not allow_outbound:
            log.warning("upload parser runs WITH network access: %s", hello.get("network"))
        if hello.get("memory") != "capped":
            log.warning("upload parser memory is %s", hello.get("memory"))

    def _read_frame(self, deadline: float) -> tuple[dict[str, Any], bytes]:
        assert self.proc.stdout is not None
        try:
            hlen, blen = struct.unpack(">II", _read_exact(self.proc.stdout, 8, deadline))
            header = json.loads(_read_exact(self.proc.stdout, hlen, deadline))
            body = _read_exact(self.proc.stdout, blen, deadline)
        except TimeoutError:
            raise self._died("timeout") from None
        except (EOFError, OSError, ValueError):
            raise self._died("crash") from None
        return header, body

    def call(
        self, request: dict[str, Any], data: bytes, deadline: float
    ) -> tuple[dict[str, Any], bytes]:
        assert self.proc.stdin is not None
        self.uses += 1
        try:
            self.proc.stdin.write(_frame(request, data))
            self.proc.stdin.flush()
        except OSError:
            raise self._died("crash") from None
        return self._read_frame(deadline)

    def _died(self, kind: str) -> _ChildDied:
        """Kill and reap the child; what it cost and what it said tell who is to blame."""
        if self.proc.poll() is None:
            self.proc.kill()
        cpu = 0.0
        status = None
        try:
            _pid, status, usage = os.wait4(self.proc.pid, 0)
            cpu = usage.ru_utime + usage.ru_stime
            self.proc.returncode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            self.proc.wait()
        self._stderr.seek(0)
        stderr = self._stderr.read()[-4000:].decode("utf-8", "replace")
        self._stderr.close()
        code = self.proc.returncode
        detail = f"signal {signal.Signals(-code).name}" if code and code < 0 else f"exit {code}"
        if kind == "timeout":
            detail = "deadline"
        log.warning("upload parser child %s (%s, %.2f s CPU)", kind, detail, cpu)
        return _ChildDied(kind, cpu, stderr, detail)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class _Pool:
    """Idle warm children for one setting; a busy caller never waits for another's parse."""

    def __init__(self, max_memory_bytes: int, allow_outbound: bool):
        self.settings = (max_memory_bytes, allow_outbound)
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def acquire(self) -> _Child:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        try:
            return _Child(*self.settings)
        except _ChildDied as died:
            raise died.error(0.0) from None

    def release(self, child: _Child) -> None:
        with self._lock:
            if child.uses < CHILD_MAX_USES and len(self._idle) < POOL_SIZE:
                self._idle.append(child)
                return
        child.close()

    def discard(self, child: _Child) -> None:
        child.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.close()


_parsing = threading.BoundedSemaphore(MAX_PARSES)
_pools: dict[tuple[int, bool], _Pool] = {}
_pools_lock = threading.Lock()


def _pool_for(max_memory_bytes: int, allow_outbound: bool) -> _Pool:
    key = (max_memory_bytes, allow_outbound)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            if len(_pools) >= 8:  # settings are the operator's, but keep this bounded too
                for old in _pools.values():
                    old.close()
                _pools.clear()
            pool = _pools[key] = _Pool(max_memory_bytes, allow_outbound)
        return pool


def close_all() -> None:
    """Stop every warm child (server shutdown, tests)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()

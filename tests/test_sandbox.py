"""The OS-level limits on query workers: no network (``stancegraph/sandbox.py``), a memory
cap, and a worker killed by its query answered as the query's fault.

Each check runs in a child process (``deny_network`` cannot be undone) or a real worker
pool, against a TCP listener on 127.0.0.1 that counts the connections it accepts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from stancegraph import sandbox
from stancegraph.api.sparql.workers import Job, QueryCrashed, WorkerFailed, WorkerPool

REPO = Path(__file__).resolve().parent.parent
SANDBOX = REPO / "stancegraph" / "sandbox.py"


class Listener:
    """Accepts on 127.0.0.1 and closes at once; counts before closing, so a client that
    saw its connection closed has already been counted."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def _child(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with ``sandbox`` loaded by file path."""
    prelude = (
        "import importlib.util as u\n"
        f"s = u.spec_from_file_location('sb', {str(SANDBOX)!r})\n"
        "sandbox = u.module_from_spec(s); s.loader.exec_module(sandbox)\n"
    )
    return subprocess.run(
        [sys.executable, "-I", "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _can_isolate() -> bool:
    probe = _child("print(sandbox.deny_network())")
    return probe.returncode == 0


needs_netns = pytest.mark.skipif(
    not _can_isolate(), reason="this host allows no new network namespace"
)


@needs_netns
def test_deny_network_blocks_connections_but_keeps_files_and_socketpairs(
    listener: Listener, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    store = ox.Store(str(store_dir))
    store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o")))
    store.flush()
    del store
    result = _child(
        f"""
        import errno, socket
        import pyoxigraph as ox
        a, b = socket.socketpair()
        kind = sandbox.deny_network()
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", {listener.port}))
            print("CONNECTED")
        except OSError as exc:
            print("refused", errno.errorcode[exc.errno])
        a.sendall(b"still")  # made before: keeps working
        print(b.recv(5).decode())
        print(len(ox.Store.read_only({str(store_dir)!r})))
        print(kind)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert lines[:2] == ["refused", "ENETUNREACH"], result.stdout
    assert lines[2:4] == ["still", "1"], result.stdout
    assert lines[4] in ("netns", "userns+netns")
    assert listener.connections == 0


@needs_netns
def test_deny_network_stops_the_engine_service_call(listener: Listener) -> None:
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?a ?b ?c }} }}"
    code = f"""
        import pyoxigraph as ox
        {{setup}}
        try:
            list(ox.Store().query({query!r}))
            print("ANSWERED")
        except OSError as exc:
            print("failed:", exc)
        """
    open_result = _child(code.replace("{setup}", "pass"))
    assert listener.connections == 1, open_result.stdout  # the probe itself can see one
    closed = _child(code.replace("{setup}", "sandbox.deny_network()"))
    assert "Network is unreachable" in closed.stdout, closed.stdout + closed.stderr
    assert listener.connections == 1


def test_deny_network_reports_why_it_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    with pytest.raises(sandbox.SandboxUnavailable, match="need Linux"):
        sandbox.deny_network()


def test_deny_network_without_any_namespace_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(flags: int) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(sandbox, "_unshare", refuse)
    with pytest.raises(sandbox.SandboxUnavailable, match="CLONE_NEWUSER"):
        sandbox.deny_network()


def test_cap_memory_bounds_new_allocations_only() -> None:
    result = _child(
        """
        big = bytearray(300 * 2**20)  # mapped before the cap: not counted against it
        sandbox.cap_memory(64 * 2**20)
        small = bytearray(16 * 2**20)
        try:
            bytearray(256 * 2**20)
            print("ALLOCATED")
        except MemoryError:
            print("capped")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["capped"]


def test_cap_memory_rejects_a_nonpositive_limit() -> None:
    with pytest.raises(ValueError):
        sandbox.cap_memory(0)


# --------------------------------------------------------------------------- worker pool


def _pool(**kwargs: object) -> WorkerPool:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o")))
    data = store.dump(format=ox.RdfFormat.N_QUADS)
    pool = WorkerPool(lambda: ("load", data), lambda: 1, size=1, **kwargs)  # type: ignore[arg-type]
    pool.start()
    return pool


def _run(pool: WorkerPool, query: str, timeout: float = 60) -> object:
    async def go() -> object:
        try:
            return await pool.run(Job(query, "json", "turtle", 100), timeout)
        except WorkerFailed as exc:
            return exc

    return asyncio.run(go())


@needs_netns
def test_pool_workers_have_no_network(listener: Listener) -> None:
    service = (
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?a ?b ?c }} }}"
    )
    pool = _pool(deny_network=True, require_sandbox=True)
    try:
        assert pool.sandbox in ("netns", "userns+netns")
        assert pool.stats["sandbox"] == pool.sandbox
        reply = _run(pool, service)
        assert getattr(reply, "error", None) == "network", reply
        assert getattr(_run(pool, "ASK { ?s ?p ?o }"), "ok", False)
    finally:
        pool.close()
    assert listener.connections == 0
    # The same query from a pool allowed outbound requests does connect (the check can fail).
    open_pool = _pool(deny_network=False)
    try:
        assert open_pool.sandbox == "off"
        _run(open_pool, service)
    finally:
        open_pool.close()
    assert listener.connections == 1


@needs_netns
def test_pool_opens_an_on_disk_store_inside_the_namespace(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "db"))
    store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o")))
    store.flush()
    pool = WorkerPool(lambda: ("path", str(tmp_path / "db")), lambda: 1, size=1, deny_network=True)
    try:
        pool.start()
        reply = _run(pool, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert getattr(reply, "ok", False), reply
        assert b'"1"' in reply.body  # type: ignore[attr-defined]
        assert pool.sandbox != "off"
    finally:
        pool.close()


def test_required_sandbox_that_is_unavailable_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The zygote loads sandbox.py by path; make that load fail through the environment-free
    # route: a pool asked to isolate, whose zygote reports "unavailable".
    pool = _pool(deny_network=False)
    try:
        with pytest.raises(WorkerFailed, match="cannot be cut off from the network"):
            pool._require_sandbox = True
            pool._set_sandbox("unavailable: test")
        pool._require_sandbox = False
        pool._set_sandbox("unavailable: test")  # warns, goes on
        assert pool.stats["sandbox"] == "unavailable: test"
    finally:
        pool.close()


def test_worker_killed_by_its_query_is_the_query_fault_and_is_replaced() -> None:
    deep = "SELECT * WHERE { BIND(" + "+".join(["1"] * 20_000) + " AS ?x) }"
    pool = _pool(worker_memory=256 * 2**20)
    try:
        first = pool.pids()["idle"]
        crashed = _run(pool, deep)
        assert isinstance(crashed, QueryCrashed) and crashed.cause == "crash", crashed
        concat = "SELECT ?x27 WHERE { BIND('ab' AS ?x0) " + " ".join(
            f"BIND(CONCAT(?x{i},?x{i}) AS ?x{i + 1})" for i in range(27)
        )
        memory = _run(pool, concat + " }")
        assert isinstance(memory, QueryCrashed) and memory.cause == "memory", memory
        assert getattr(_run(pool, "ASK { ?s ?p ?o }"), "ok", False)
        assert pool.pids()["idle"] != first
        assert pool.stats["crashes"] == 1 and pool.stats["memory_exceeded"] == 1
    finally:
        pool.close()


def test_worker_killed_from_outside_is_not_the_query_fault() -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
        f"VALUES ?v{i} {{ {' '.join(str(j) for j in range(40))} }}" for i in range(6)
    )
    pool = _pool()
    try:

        async def go() -> object:
            task = asyncio.ensure_future(pool.run(Job(slow + " }", "json", None, 10), 120))
            for _ in range(2000):  # until the job is running (polled, generous)
                if pool.pids()["busy"]:
                    break
                await asyncio.sleep(0.01)
            os.kill(pool.pids()["busy"][0], signal.SIGKILL)
            try:
                return await task
            except WorkerFailed as exc:
                return exc

        outcome = asyncio.run(go())
        assert isinstance(outcome, WorkerFailed) and not isinstance(outcome, QueryCrashed)
        assert getattr(_run(pool, "ASK { ?s ?p ?o }"), "ok", False)
    finally:
        pool.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_deny_network_as_an_unprivileged_user(listener: Listener) -> None:
    """Not root: a user namespace mapping only the caller's own uid, then the network one."""
    import shutil

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    code = (
        "import importlib.util as u, os, socket\n"
        f"s = u.spec_from_file_location('sb', {str(SANDBOX)!r})\n"
        "m = u.module_from_spec(s); s.loader.exec_module(m)\n"
        "kind = m.deny_network()\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {listener.port}), timeout=5)\n"
        "    print('CONNECTED')\n"
        "except OSError as exc:\n"
        "    print(kind, os.geteuid(), exc.errno)\n"
    )
    drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    result = subprocess.run(
        [*drop, sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "user namespaces" in result.stderr or result.returncode != 0:
        pytest.skip(f"unprivileged user namespaces are not allowed here: {result.stderr[-300:]}")
    assert result.stdout.split() == ["userns+netns", "65534", "101"], result.stdout
    assert listener.connections == 0


# --------------------------------------------------------------------------- a host without namespaces

_NO_NAMESPACES_MAIN = (
    "import sys; sys.path.insert(0, 'tests'); import no_namespaces; no_namespaces.run_main()"
)


@pytest.mark.slow  # starts a real server
@pytest.mark.embedded_only(reason="query workers run in this server")
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to set up the namespace limits")
def test_serve_without_a_possible_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuses to start by default; ``--no-require-sandbox`` starts, says so in the log and
    in /healthz, and still refuses SERVICE by the text check."""
    import harness  # where running_server reads _MAIN
    import httpx

    monkeypatch.setattr(harness, "_MAIN", _NO_NAMESPACES_MAIN)
    with (
        pytest.raises(RuntimeError, match="cannot be cut off from the network"),
        harness.running_server(tmp=tmp_path),
    ):
        pass
    with harness.running_server("--no-require-sandbox", tmp=tmp_path) as server:
        health = httpx.get(f"{server.url}/healthz", timeout=10).json()
        assert health["query_sandbox"].startswith("unavailable:"), health
        r = httpx.get(f"{server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert r.status_code == 200 and r.json()["boolean"] is True
        q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?a ?b ?c } }"
        r = httpx.get(f"{server.url}/sparql", params={"query": q}, timeout=30)
        assert r.status_code == 403
        assert "WITH network access" in server.output()

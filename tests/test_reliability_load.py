"""Expensive queries, outbound requests and sustained load against a real server process.

- Heavy + cheap: pathological queries (cartesian products, unbounded property paths) run
  together with a stream of cheap ones on ``--timeout 2 --workers 2`` and a short queue:
  heavy ones are stopped at the timeout (504) and their workers reclaimed, overflow gets 503
  with Retry-After, cheap ones are answered (200) or refused by design (503 + Retry-After).
- No outbound: SERVICE, LOAD <url> and remote JSON-LD contexts are refused, and a listening
  socket we own on 127.0.0.1 sees no connection.
- Mixed load: a second process (``python -c``, httpx) sends 90 % reads / 10 % writes for a
  bounded time; no request fails except by design, the server's RSS stays bounded, and
  every acknowledged write is readable afterwards.

Durations: CI mode is bounded (~15 s of load); ``STANCEGRAPH_SOAK=1`` runs longer
(``STANCEGRAPH_LOAD_SECONDS`` overrides).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import REPO, Server, running_server

pytestmark = pytest.mark.slow  # load and reliability: deselected by -m "not slow"

TOKEN = "load-test-write-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SOAK = os.environ.get("STANCEGRAPH_SOAK") == "1"

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
PATH_CLOSURE = "SELECT (COUNT(*) AS ?n) WHERE { ?x (!<urn:none:p>)* ?y . ?y (<urn:none:q>|!<urn:none:p>)* ?z . ?a ?b ?c }"
CARTESIAN_ORDER = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 5"
HEAVY = [CARTESIAN, PATH_CLOSURE, CARTESIAN_ORDER]
CHEAP = "ASK { ?s ?p ?o }"


def _descendants(pid: int) -> list[int]:
    """Live descendant processes of ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# --------------------------------------------------------------------------- heavy + cheap


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_heavy_queries_do_not_starve_cheap_ones(tmp_path: Path) -> None:
    timeout = 2.0
    workers = 2
    env = {"STANCEGRAPH_MAX_QUEUED_QUERIES": "4"}
    with running_server(
        "--timeout", str(timeout), "--workers", str(workers), env=env, tmp=tmp_path
    ) as server:
        url = f"{server.url}/sparql"
        heavy_status: dict[int, int] = {}
        cheap_lat: list[float] = []
        cheap_status: dict[int, int] = {}
        unexpected: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        # Never-seen pathological queries can hold every worker for one timeout; once they
        # have timed out they are confined to the heavy lane (workers - 1). Cheap queries are
        # measured after that warm-up.
        warmup = 2 * timeout + 0.5
        phase = warmup + (20.0 if SOAK else 6.0)
        measuring = threading.Event()

        def heavy(i: int) -> None:
            with httpx.Client(timeout=30) as c:
                while not stop.is_set():
                    r = c.get(url, params={"query": HEAVY[i % len(HEAVY)]})
                    with lock:
                        heavy_status[r.status_code] = heavy_status.get(r.status_code, 0) + 1
                    if r.status_code == 504:
                        assert r.json()["error"]["code"] == "query_timeout"
                    elif r.status_code == 507:  # past the worker memory cap first
                        assert r.json()["error"]["code"] == "query_memory_exceeded"
                    elif r.status_code == 503:
                        if "Retry-After" not in r.headers:
                            unexpected.append(f"heavy 503 without Retry-After: {r.text[:200]}")
                        time.sleep(0.1)
                    elif r.status_code != 200:
                        unexpected.append(f"heavy {r.status_code}: {r.text[:200]}")

        def cheap() -> None:
            with httpx.Client(timeout=30) as c:
                while not stop.is_set():
                    t = time.perf_counter()
                    r = c.get(url, params={"query": CHEAP})
                    elapsed = time.perf_counter() - t
                    if measuring.is_set():
                        with lock:
                            cheap_status[r.status_code] = cheap_status.get(r.status_code, 0) + 1
                            cheap_lat.append(elapsed)
                    if r.status_code == 200:
                        assert r.json()["boolean"] is True
                    elif r.status_code == 503 and "Retry-After" in r.headers:
                        pass  # refused by design: the queue is full
                    else:
                        unexpected.append(f"cheap {r.status_code}: {r.text[:200]}")
                    time.sleep(0.05)

        threads = [threading.Thread(target=heavy, args=(i,)) for i in range(6)]
        threads += [threading.Thread(target=cheap) for _ in range(2)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(warmup)
        measuring.set()
        time.sleep(phase - warmup)
        stop.set()
        for t in threads:
            t.join(timeout=3 * timeout + 10)
        wall = time.perf_counter() - started

        assert not unexpected, unexpected[:5]
        assert heavy_status.get(504, 0) >= 2, (
            f"heavy queries were not stopped at the timeout: {heavy_status}"
        )
        served = cheap_status.get(200, 0)
        assert served >= 0.8 * sum(cheap_status.values()), (
            f"cheap queries were starved: {cheap_status}"
        )
        p50, p99 = _p(cheap_lat, 0.5), _p(cheap_lat, 0.99)
        print(
            f"\nheavy+cheap ({wall:.1f} s incl. {warmup:g} s warm-up, timeout {timeout:g} s, {workers} workers, queue 4): "
            f"heavy {heavy_status}, cheap {cheap_status}, cheap p50 {p50 * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {max(cheap_lat) * 1000:.0f} ms"
        )
        assert p99 < 2 * timeout + 1, f"cheap p99 {p99:.2f} s"

        # Workers were reclaimed: no more than the pool size (+ the zygote) remain, and a
        # cheap query right after the storm is answered promptly.
        time.sleep(0.5)
        procs = _descendants(server.process.pid)
        assert len(procs) <= workers + 2, f"worker processes not reclaimed: {procs}"
        t = time.perf_counter()
        r = httpx.get(url, params={"query": CHEAP}, timeout=10)
        assert r.status_code == 200 and time.perf_counter() - t < timeout


# --------------------------------------------------------------------------- no outbound


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def test_no_outbound_requests(tmp_path: Path) -> None:
    listener = Listener()
    target = f"http://127.0.0.1:{listener.port}"
    try:
        with running_server(env={"STANCEGRAPH_WRITE_TOKEN": TOKEN}, tmp=tmp_path) as server:
            url = f"{server.url}/sparql"
            queries = [
                f"SELECT * WHERE {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}",
                f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ service silent <{target}/sparql> {{ ?s ?q ?r }} }} }}",
                f"PREFIX x: <{target}/>\nSELECT * WHERE {{ # comment\n  SeRvIcE x:sparql {{ ?s ?p ?o }} }}",
                f"SELECT * WHERE {{ VALUES ?e {{ <{target}/sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
            ]
            for q in queries:
                r = httpx.get(url, params={"query": q}, timeout=10)
                assert r.status_code == 403, (q, r.text)
                assert r.json()["error"]["code"] == "outbound_disabled"
                r = httpx.post(url, data={"query": q}, timeout=10)
                assert r.status_code == 403, (q, r.text)
            updates = [
                f"LOAD <{target}/data.ttl>",
                f"LOAD SILENT <{target}/data.ttl> INTO GRAPH <urn:x:g>",
                f"INSERT {{ GRAPH <urn:x:g> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}",
            ]
            for u in updates:
                r = httpx.post(
                    url,
                    content=u.encode(),
                    headers={**AUTH, "Content-Type": "application/sparql-update"},
                    timeout=10,
                )
                assert r.status_code == 403, (u, r.text)
                assert r.json()["error"]["code"] == "outbound_disabled"
            # A JSON-LD upload with a remote @context is refused without fetching it.
            doc = {"@context": f"{target}/context.jsonld", "@id": "urn:x:a", "name": "x"}
            r = httpx.post(
                f"{server.url}/store",
                params={"graph": "urn:x:g"},
                content=json.dumps(doc).encode(),
                headers={**AUTH, "Content-Type": "application/ld+json"},
                timeout=10,
            )
            assert r.status_code == 400, r.text
            assert r.json()["error"]["code"] == "rdf_syntax"
            assert "remote contexts" in r.json()["error"]["message"]
            # Nothing of the above was written.
            r = httpx.get(f"{server.url}/store", params={"graph": "urn:x:g"}, timeout=10)
            assert r.status_code == 404
            time.sleep(0.3)
            assert TOKEN not in server.output()
    finally:
        listener.close()
    assert listener.connections == 0, (
        f"the server opened {listener.connections} outbound connection(s)"
    )


# --------------------------------------------------------------------------- mixed load

_CLIENT = r"""
import json, random, sys, time
import httpx
url, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
rng = random.Random(7)
reads = [
    ("GET", "/sparql", {"query": "SELECT ?s WHERE { ?s a <https://w3id.org/stancegraph/ns#Stance> } LIMIT 20"}),
    ("GET", "/sparql", {"query": "ASK { ?s ?p ?o }"}),
    ("GET", "/api/actors", {}),
    ("GET", "/api/stances", {"limit": "10"}),
    ("GET", "/api/queries/guarantor-nominations", {}),
    ("GET", "/healthz", {}),
]
status, lat, acked, unexpected = {}, [], [], []
n = 0
deadline = time.monotonic() + seconds
with httpx.Client(base_url=url, timeout=30) as c:
    while time.monotonic() < deadline:
        n += 1
        t = time.perf_counter()
        if rng.random() < 0.1:
            body = ("INSERT DATA { GRAPH <urn:stancegraph:test:load> { <urn:stancegraph:test:load:%d> "
                    "<urn:stancegraph:test:p> %d } }" % (n, n))
            r = c.post("/sparql", content=body.encode(), headers={
                "Authorization": "Bearer " + token, "Content-Type": "application/sparql-update"})
            if r.status_code == 200:
                acked.append(n)
        else:
            method, path, params = rng.choice(reads)
            r = c.request(method, path, params=params)
        lat.append(time.perf_counter() - t)
        status[r.status_code] = status.get(r.status_code, 0) + 1
        by_design = r.status_code in (429, 503) and "retry-after" in r.headers
        if r.status_code != 200 and not by_design:
            unexpected.append("%s %s" % (r.status_code, r.text[:200]))
print(json.dumps({"requests": n, "status": status, "acked": acked, "unexpected": unexpected[:20],
                  "errors": len(unexpected), "latencies": lat}))
"""


def _run_client(server: Server, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CLIENT, server.url, TOKEN, str(seconds)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.embedded_only(reason="on-disk --store; bounds the local RSS")
def test_sustained_mixed_load(tmp_path: Path) -> None:
    seconds = float(os.environ.get("STANCEGRAPH_LOAD_SECONDS", "300" if SOAK else "15"))
    env = {"STANCEGRAPH_WRITE_TOKEN": TOKEN}
    with running_server(
        "--store", str(tmp_path / "store"), "--create", env=env, tmp=tmp_path
    ) as server:
        pids = [server.process.pid]
        rss: list[int] = []
        client = _run_client(server, seconds)
        while client.poll() is None:
            family = pids + _descendants(server.process.pid)
            rss.append(sum(_rss_kib(p) for p in family if Path(f"/proc/{p}").exists()))
            time.sleep(0.5)
        out, err = client.communicate(timeout=30)
        assert client.returncode == 0, err[-2000:]
        result = json.loads(out.strip().splitlines()[-1])
        lat = result["latencies"]
        print(
            f"\nmixed load ({seconds:g} s, 90/10 reads/writes, 1 client process): "
            f"{result['requests']} requests, status {result['status']}, {result['errors']} unexpected errors, "
            f"{len(result['acked'])} writes acknowledged, p50 {statistics.median(lat) * 1000:.0f} ms, "
            f"p99 {_p(lat, 0.99) * 1000:.0f} ms; server RSS (with workers) "
            f"first {rss[0] // 1024} MiB, max {max(rss) // 1024} MiB, last {rss[-1] // 1024} MiB"
        )
        assert result["errors"] == 0, result["unexpected"]
        assert result["requests"] >= 50
        assert result["acked"], "no write was acknowledged"
        # Memory stays bounded: the second half of the run grows no more than a margin
        # over the first half (no per-request leak), and stays under an absolute ceiling.
        half = len(rss) // 2
        if half >= 2:
            first, second = max(rss[:half]), max(rss[half:])
            assert second <= first * 1.5 + 64 * 1024, f"RSS kept growing: {first} -> {second} KiB"
        assert max(rss) < 2 * 1024 * 1024, f"RSS {max(rss)} KiB"
        # Every acknowledged write is readable.
        r = httpx.get(
            f"{server.url}/sparql",
            params={"query": "SELECT ?s WHERE { GRAPH <urn:stancegraph:test:load> { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert r.status_code == 200
        present = {int(b["s"]["value"].rsplit(":", 1)[1]) for b in r.json()["results"]["bindings"]}
        missing = set(result["acked"]) - present
        assert not missing, f"acknowledged writes not readable: {sorted(missing)[:20]}"
        assert TOKEN not in server.output(), "the write token appears in the server log"

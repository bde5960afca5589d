"""Crash safety: SIGKILL a real server in the middle of a stream of writes, many times.

Each write adds three triples about one uniquely numbered subject in a named graph, through
each of the write path's entry points in turn: SPARQL ``INSERT DATA``, SPARQL
``INSERT … WHERE`` (planned from a WHERE evaluated in a worker) and a Graph Store ``POST``. Writers record which writes were acknowledged (HTTP 200). After every
kill the server is restarted on the same ``--store`` directory and must:

- start without repair (it answers ``/healthz``; the store opens as it is);
- contain every acknowledged write;
- contain each write either completely (all three triples) or not at all;
- contain no write that was never sent.

Iterations: 5 in CI; ``STANCEGRAPH_KILL_ITERATIONS=N`` or ``STANCEGRAPH_SOAK=1`` (50) for more.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import running_server

pytestmark = [
    pytest.mark.slow,  # the kill loop
    pytest.mark.embedded_only(reason="SIGKILL of the local writer on an on-disk --store"),
]

TOKEN = "kill-loop-write-token-0123456789"
GRAPH = "urn:stancegraph:test:kill"
P = ("urn:stancegraph:test:p:a", "urn:stancegraph:test:p:b", "urn:stancegraph:test:p:c")
SUBJECT = "urn:stancegraph:test:write:"


def _iterations() -> int:
    if "STANCEGRAPH_KILL_ITERATIONS" in os.environ:
        return int(os.environ["STANCEGRAPH_KILL_ITERATIONS"])
    return 50 if os.environ.get("STANCEGRAPH_SOAK") == "1" else 5


def _triples(n: int) -> str:
    s = f"<{SUBJECT}{n}>"
    return " ".join(f"{s} <{p}> {n} ." for p in P)


def _request(n: int) -> tuple[str, bytes, str]:
    """(path, body, content type) of write ``n``: the three entry points in turn."""
    if n % 3 == 0:
        body = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {_triples(n)} }} }}"
        return "/sparql", body.encode(), "application/sparql-update"
    if n % 3 == 1:
        s = f"<{SUBJECT}{n}>"
        template = " ".join(f"{s} <{p}> ?n ." for p in P)
        body = f"INSERT {{ GRAPH <{GRAPH}> {{ {template} }} }} WHERE {{ BIND({n} AS ?n) }}"
        return "/sparql", body.encode(), "application/sparql-update"
    return f"/store?graph={GRAPH}", _triples(n).encode(), "text/turtle"


class Writers:
    """Threads sending numbered writes until stopped; what was sent and what was acked."""

    def __init__(self, url: str, start: int, threads: int = 2):
        self.url = url
        self.next = start
        self.sent: set[int] = set()
        self.acked: set[int] = set()
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _take(self) -> int:
        with self.lock:
            n = self.next
            self.next += 1
            self.sent.add(n)
            return n

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                n = self._take()
                path, body, ctype = _request(n)
                headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": ctype}
                try:
                    r = client.post(f"{self.url}{path}", content=body, headers=headers)
                except httpx.HTTPError:
                    return  # the server died under us: this write is unacknowledged
                if r.status_code in (200, 201, 204):
                    with self.lock:
                        self.acked.add(n)
                else:
                    self.errors.append(f"write {n}: {r.status_code} {r.text[:200]}")

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)


def _present(url: str) -> dict[int, int]:
    """Write number -> how many of its triples the server has."""
    q = f"SELECT ?s ?p WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    r = httpx.get(
        f"{url}/sparql",
        params={"query": q},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.headers["X-Stancegraph-Truncated"] == "false"
    counts: dict[int, int] = {}
    for b in r.json()["results"]["bindings"]:
        n = int(b["s"]["value"].removeprefix(SUBJECT))
        counts[n] = counts.get(n, 0) + 1
    return counts


def _check(counts: dict[int, int], sent: set[int], acked: set[int]) -> None:
    half = {n: c for n, c in counts.items() if c != len(P)}
    assert not half, f"writes half-applied after SIGKILL: {sorted(half.items())[:10]}"
    lost = acked - counts.keys()
    assert not lost, f"acknowledged writes lost after SIGKILL: {sorted(lost)[:20]}"
    phantom = counts.keys() - sent
    assert not phantom, f"writes present that were never sent: {sorted(phantom)[:20]}"


def test_sigkill_during_writes_loses_nothing(tmp_path: Path) -> None:
    iterations = _iterations()
    rng = random.Random(int(os.environ.get("STANCEGRAPH_KILL_SEED", "20260329")))
    store = tmp_path / "store"
    args = ("--store", str(store), "--create", "--max-rows", "1000000", "--workers", "1")
    env = {"STANCEGRAPH_WRITE_TOKEN": TOKEN}
    sent: set[int] = set()
    acked: set[int] = set()
    unacked_present = 0
    for i in range(iterations):
        with running_server(*args, env=env, tmp=tmp_path) as server:
            counts = _present(server.url)  # the previous iteration's writes, after its kill
            _check(counts, sent, acked)
            unacked_present = len(counts.keys() - acked)
            with Writers(server.url, start=len(sent) + 1) as writers:
                deadline = time.monotonic() + 10
                while len(writers.acked) < 3 and time.monotonic() < deadline:
                    time.sleep(0.01)  # at least a few writes in before the kill
                time.sleep(rng.uniform(0.1, 1.5))
                os.kill(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=10)
            assert not writers.errors, writers.errors[:5]
            assert writers.acked, f"iteration {i}: no write was acknowledged before the kill"
            sent |= writers.sent
            acked |= writers.acked
    with running_server(*args, env=env, tmp=tmp_path) as server:
        counts = _present(server.url)
        _check(counts, sent, acked)
        unacked_present = len(counts.keys() - acked)
        assert httpx.get(f"{server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()[
            "boolean"
        ]
    # The store directory opens directly (no repair step) and agrees with the server.
    raw = ox.Store(str(store))
    direct = {q.subject.value for q in raw.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH))}
    assert {int(s.removeprefix(SUBJECT)) for s in direct} == set(counts)
    del raw
    print(
        f"\nkill loop: {iterations} SIGKILLs, {len(sent)} writes sent, {len(acked)} acknowledged, "
        f"{len(counts)} present ({unacked_present} unacknowledged but complete), "
        f"{len(counts) * len(P)} triples checked, 0 half-applied"
    )

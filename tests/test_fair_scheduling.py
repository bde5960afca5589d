"""Cheap queries against a real server while clients flood it with varied heavy queries.

Issue #12: heavy queries whose text changes every time (a random comment) used to take
every worker, so cheap queries waited for the timeout. Here four attackers, each from its
own loopback address, keep the heavy lane full with such queries (they run into a long
timeout), and a cheap query, itself with a fresh comment each time (so the result cache
never answers it), must be answered again and again *before any heavy query has been
answered*. No timing assertion: the order of events is the evidence (the latency figures
are ``benchmarks/fairness.py``'s).
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import running_server

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "ASK { ?s ?p ?o }"
ATTACKERS = 4


@pytest.mark.embedded_only(reason="schedules the local query workers")
def test_cheap_queries_are_answered_while_varied_heavy_ones_hold_the_workers(
    tmp_path: Path,
) -> None:
    with running_server("--timeout", "600", "--workers", "2", tmp=tmp_path) as server:
        port = int(server.url.rsplit(":", 1)[1])
        heavy_answers: list[int] = []
        started = threading.Semaphore(0)
        lock = threading.Lock()

        def attacker(i: int) -> None:
            conn = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=900, source_address=(f"127.0.0.{i + 2}", 0)
            )
            text = f"{HEAVY}\n# {uuid.uuid4()}"
            conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": text}))
            started.release()
            try:
                status = conn.getresponse().status
            except (OSError, http.client.HTTPException):
                return  # the server was stopped at the end of the test
            with lock:
                heavy_answers.append(status)

        threads = [
            threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(ATTACKERS)
        ]
        for t in threads:
            t.start()
        for _ in threads:
            assert started.acquire(timeout=60)
        with httpx.Client(timeout=120) as c:
            for i in range(20):
                r = c.get(f"{server.url}/sparql", params={"query": f"{CHEAP} # {uuid.uuid4()}"})
                assert r.status_code == 200, (i, r.status_code, r.text[:300])
                assert r.json()["boolean"] is True
        with lock:
            assert heavy_answers == [], f"heavy queries finished first: {heavy_answers}"

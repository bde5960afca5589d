"""Cheap queries against a real server while clients flood it with varied heavy queries.

Issue #12: heavy queries whose text changes every time (a random comment) used to take
every worker, so cheap queries waited for the timeout. Here four attackers, each from its
own loopback address, keep the heavy lane full with such queries (they run into a long
timeout), and a cheap query, itself with a fresh comment each time (so the result cache
never answers it), must be answered again and again *before any heavy query has been
answered*. No timing assertion: the order of events is the evidence (the latency figures
are ``benchmarks/fairness.py``'s). A second test follows the observed-cost path inside the
engine: a query past the threshold is moved to the long lane, or stopped and requeued.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import app_client, running_server

import stancegraph

pytestmark = pytest.mark.slow  # heavy queries hold the workers by design

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


@pytest.mark.embedded_only(reason="inspects the local scheduler")
def test_a_query_past_the_threshold_is_moved_to_the_long_lane_or_stopped_and_requeued() -> None:
    # Two different heavy texts on two workers (one reserved): once both have run past the
    # threshold, one holds the long lane and the other was stopped and queued as heavy.
    texts = [HEAVY, HEAVY.replace("?l", "?m")]
    kg = stancegraph.open()
    with app_client(kg, workers=2, query_timeout_s=3, heavy_after_s=1.0) as c:
        engine = c.app.state.engine  # type: ignore[attr-defined]
        answers: list[int] = []

        def heavy(text: str) -> None:
            answers.append(c.get("/sparql", params={"query": text}).status_code)

        threads = [threading.Thread(target=heavy, args=(t,)) for t in texts]
        for t in threads:
            t.start()
        stats = engine.scheduler.stats
        deadline = time.monotonic() + 60
        while stats["demoted"] + stats["preempted"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (stats["demoted"], stats["preempted"]) == (1, 1), stats
        assert engine.scheduler.long <= engine.scheduler.long_capacity == 1
        r = c.get("/sparql", params={"query": f"{CHEAP} # {uuid.uuid4()}"})
        assert r.status_code == 200 and r.json()["boolean"] is True
        for t in threads:
            t.join(timeout=120)
        assert sorted(answers)[0] == 504 and set(answers) <= {503, 504}, answers
        # Both texts are known heavy now, whatever their comments; the client is a suspect.
        assert all(engine.is_heavy(f"# again\n{t}  # {uuid.uuid4()}") for t in texts)
        assert "testclient" in engine.suspects
        assert engine.scheduler.running == engine.scheduler.long == engine.scheduler.waiting == 0

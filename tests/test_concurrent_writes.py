"""Concurrent writers lose nothing (issue #13).

Eight clients increment one counter with ``DELETE … INSERT … WHERE`` (read, then write)
ten times each, against a real server on an on-disk store: the counter ends at 80, which
it cannot if two writes ever planned against the same state.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from conftest import running_server

pytestmark = [
    pytest.mark.slow,  # many writers against a live server: deselected by -m "not slow"
    pytest.mark.embedded_only(reason="several writers on one local store"),
]

TOKEN = "concurrent-writes-token"
G = "http://example.org/counter-graph"
INCREMENT = (
    f"DELETE {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> ?n }} }} "
    f"INSERT {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> ?m }} }} "
    f"WHERE {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> ?n }} BIND(?n + 1 AS ?m) }}"
)


def test_concurrent_increments_lose_nothing(tmp_path) -> None:
    env = {"STANCEGRAPH_WRITE_TOKEN": TOKEN}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    with running_server(
        "--store", str(tmp_path / "store"), "--create", env=env, tmp=tmp_path
    ) as server:
        start = (
            f"INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> 0 }} }}"
        )
        assert (
            httpx.post(
                f"{server.url}/sparql", content=start, headers=headers, timeout=60
            ).status_code
            == 200
        )
        errors: list[str] = []

        def client() -> None:
            with httpx.Client(timeout=60) as c:
                for _ in range(10):
                    r = c.post(f"{server.url}/sparql", content=INCREMENT, headers=headers)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        r = httpx.get(
            f"{server.url}/sparql",
            params={"query": f"SELECT ?n WHERE {{ GRAPH <{G}> {{ ?c ?v ?n }} }}"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        values = [b["n"]["value"] for b in r.json()["results"]["bindings"]]
        assert values == ["80"]


def test_reads_with_staleness_catch_up_without_further_writes(tmp_path) -> None:
    """``--read-staleness``: queries may use the previous view for a while after a write,
    while one background refresh prepares the next; it arrives without another write."""
    env = {"STANCEGRAPH_WRITE_TOKEN": TOKEN}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    args = ("--store", str(tmp_path / "store"), "--create", "--read-staleness", "30")
    with running_server(*args, env=env, tmp=tmp_path) as server:
        ask = {"query": f"ASK {{ GRAPH <{G}> {{ ?s ?p 7 }} }}"}
        assert httpx.get(f"{server.url}/sparql", params=ask, timeout=60).json()["boolean"] is False
        insert = (
            f"INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/c> <http://example.org/v> 7 }} }}"
        )
        assert (
            httpx.post(
                f"{server.url}/sparql", content=insert, headers=headers, timeout=60
            ).status_code
            == 200
        )
        deadline = time.monotonic() + 60
        seen = False
        while not seen and time.monotonic() < deadline:
            r = httpx.get(f"{server.url}/sparql", params=ask, timeout=60)
            assert r.status_code == 200
            seen = r.json()["boolean"]
            time.sleep(0.05)
        assert seen


# --------------------------------------------------------------------------- optimistic writes
# A data-only write is planned and validated without the writer's lock and commits only if
# no write in between touched what its verdict read. These tests put another write exactly
# in that window (from inside the first one's validation) and check the outcome is the one
# the two writes would have had one after the other.

SG = "https://w3id.org/stancegraph/ns#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _seed_writer() -> tuple[Any, Any]:
    import stancegraph
    from stancegraph.writes import Writer

    kg = stancegraph.open()
    return kg, Writer(kg.store)


def _copy_of(store: Any, node: Any, fresh: str, **swap: Any) -> list[Any]:
    """``node``'s outgoing quads as ``fresh`` (objects in ``swap`` replaced by IRI)."""
    import pyoxigraph as ox

    out = []
    for q in store.raw.quads_for_pattern(node, None, None):
        obj = swap.get(q.predicate.value, q.object)
        out.append(ox.Quad(ox.NamedNode(fresh), q.predicate, obj, q.graph_name))
    return out


def _insert(quads: list[Any]) -> str:
    return (
        "INSERT DATA { "
        + " ".join(
            f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in quads
        )
        + " }"
    )


def _between_validation_and_commit(writer: Any, other: str) -> list[str]:
    """Make ``writer``'s next validation commit ``other`` right after it."""
    original = writer.check
    fired: list[str] = []

    def check(change: Any) -> Any:
        verdict = original(change)
        if not fired:
            fired.append(other)
            writer.update(other)
        return verdict

    writer.check = check
    return fired


def test_a_write_whose_reads_changed_meanwhile_is_validated_again() -> None:
    import pyoxigraph as ox

    from stancegraph.validation.reference import ValidationFailed

    kg, writer = _seed_writer()
    store = kg.store
    holder_iri = f"{SG}holder"
    stance = next(
        q.subject
        for q in store.raw.quads_for_pattern(
            None, ox.NamedNode(RDF_TYPE), ox.NamedNode(SG + "Stance")
        )
    )
    holder = next(store.raw.quads_for_pattern(stance, ox.NamedNode(holder_iri), None)).object
    # A new actor, then a stance held by it; in the window, the actor loses its types.
    actor = _copy_of(store, holder, "http://example.org/new-actor")
    writer.update(_insert(actor))
    new_stance = _copy_of(
        store,
        stance,
        "http://example.org/new-stance",
        **{holder_iri: ox.NamedNode("http://example.org/new-actor")},
    )
    untype = (
        "DELETE DATA { "
        + " ".join(
            f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}"
            for q in actor
            if q.predicate.value == RDF_TYPE
        )
        + " }"
    )
    fired = _between_validation_and_commit(writer, untype)
    before = dict(writer.stats)
    with pytest.raises(ValidationFailed) as failed:
        writer.update(_insert(new_stance))
    assert fired, "the other write did not run in the window"
    assert writer.stats["conflicts"] == before["conflicts"] + 1
    assert any(f.focus == "http://example.org/new-stance" for f in failed.value.report.violations)
    assert not list(
        store.raw.quads_for_pattern(ox.NamedNode("http://example.org/new-stance"), None, None)
    )


def test_a_write_untouched_by_the_one_in_between_commits_without_revalidation() -> None:
    import pyoxigraph as ox

    kg, writer = _seed_writer()
    store = kg.store
    stances = [
        q.subject
        for q in store.raw.quads_for_pattern(
            None, ox.NamedNode(RDF_TYPE), ox.NamedNode(SG + "Stance")
        )
    ][:2]
    first = _copy_of(store, stances[0], "http://example.org/copy-a")
    second = _copy_of(store, stances[1], "http://example.org/copy-b")
    fired = _between_validation_and_commit(writer, _insert(second))
    before = dict(writer.stats)
    outcome = writer.update(_insert(first))
    assert fired and outcome.added == len(first)
    assert writer.stats["conflicts"] == before["conflicts"]
    assert writer.stats["optimistic"] == before["optimistic"] + 2
    for iri in ("http://example.org/copy-a", "http://example.org/copy-b"):
        assert list(store.raw.quads_for_pattern(ox.NamedNode(iri), None, None))


def test_recent_changes_are_bounded_and_say_when_they_cannot_tell() -> None:
    import pyoxigraph as ox

    from stancegraph.change import Change
    from stancegraph.writes import RecentChanges

    log = RecentChanges(max_bytes=400)
    quad = ox.Quad(
        ox.NamedNode("http://example.org/s"),
        ox.NamedNode("http://example.org/p"),
        ox.Literal("x" * 100),
    )
    for v in range(5):
        log.add(v, v + 1, Change(inserts={quad}))
    assert log.since(5, 5) == []
    assert log.since(3, 5) is not None and len(log.since(3, 5)) == 2
    assert log.since(0, 5) is None  # dropped off: the caller validates again
    assert log.since(3, 6) is None  # a commit the log never saw


# --------------------------------------------------------------------------- readers


def test_lagging_readers_never_reload_to_fork_a_worker() -> None:
    """With ``max_staleness_s``, a query that may use the last view and finds no idle
    worker forks one on that view: it must not take a fresh view (a checkpoint) on the
    way, which made every lagging read that needed a worker as slow as a fresh one."""
    import asyncio

    import pyoxigraph as ox

    from stancegraph.api.sparql.workers import Job, WorkerPool

    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o")))
    data = store.dump(format=ox.RdfFormat.N_QUADS)
    version = [1]
    pool = WorkerPool(lambda: ("load", data), lambda: version[0], size=2, max_staleness_s=600)
    try:
        pool.start()
        loads = pool.stats["reloads"]
        version[0] = 2  # a write happened: the view is out of date, but may still be used
        pool._refreshing = True  # as if the background refresh were under way
        with pool._lock:  # and the idle workers were all busy elsewhere
            idle, pool._idle = pool._idle, []
        for w in idle:
            w.close(kill=False)
        reply = asyncio.run(pool.run(Job("ASK { ?s ?p ?o }", "json", "turtle", 100), 60))
        assert reply.ok
        assert pool.stats["reloads"] == loads  # served on the last view, on a new worker
        assert pool.data_version == 1
    finally:
        pool.close()

"""``stancegraph.ingest.safeparse``: uploads parsed in a confined child; every failure has a status.

The child is real (``python -I`` + pyoxigraph, no network, capped memory); these tests
make it fail each way it can (refused input, crash, memory cap, deadline) and check the
status the server would answer with, and that the next parse works.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from stancegraph import sandbox
from stancegraph.ingest import safeparse
from stancegraph.ingest.safeparse import UntrustedInputError, parse_untrusted

SANDBOX = Path(sandbox.__file__)


@pytest.fixture(autouse=True)
def _fresh_children() -> Iterator[None]:
    safeparse.close_all()
    yield
    safeparse.close_all()


def _quads(nq: bytes) -> list[ox.Quad]:
    return list(ox.parse(nq, format=ox.RdfFormat.N_QUADS))


def _refusal(data: bytes, fmt: ox.RdfFormat, **kw: object) -> UntrustedInputError:
    with pytest.raises(UntrustedInputError) as info:
        parse_untrusted(data, fmt, **kw)  # type: ignore[arg-type]
    return info.value


def test_parses_each_format_to_nquads() -> None:
    ttl = b"@prefix ex: <http://e/> . ex:a ex:p [ ex:q 1 ] ; ex:r <rel> ."
    quads = _quads(parse_untrusted(ttl, ox.RdfFormat.TURTLE, base_iri="http://b/"))
    assert len(quads) == 3
    assert ox.NamedNode("http://b/rel") in {q.object for q in quads}
    named = _quads(
        parse_untrusted(ttl, ox.RdfFormat.TURTLE, base_iri="http://b/", default_graph="http://g/")
    )
    assert {q.graph_name for q in named} == {ox.NamedNode("http://g/")}
    jsonld = b'{"@id": "http://e/a", "http://e/p": {"@id": "http://e/b"}}'
    assert len(_quads(parse_untrusted(jsonld, ox.RdfFormat.JSON_LD))) == 1


def test_billion_laughs_and_dtds_are_refused_before_the_engine() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a;" * 10) for i in range(9))
        + b']><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    )
    err = _refusal(laughs, ox.RdfFormat.RDF_XML)
    assert (err.status, err.code) == (400, "rdf_dtd_refused")
    assert err.details["line"] == 1
    # an empty internal subset, an external DTD, a parameter entity: all refused
    for doc in (
        b"<!DOCTYPE r []><r/>",
        b'<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>',
        b'<!DOCTYPE r [<!ENTITY % p "x">]><r/>',
    ):
        assert _refusal(doc, ox.RdfFormat.RDF_XML).code == "rdf_dtd_refused"
    bad_xml = _refusal(b"<rdf:RDF><unclosed></rdf:RDF>", ox.RdfFormat.RDF_XML)
    assert (bad_xml.status, bad_xml.code) == (400, "rdf_syntax")


def test_jsonld_depth_is_bounded_outside_strings() -> None:
    deep = b'{"http://e/p": ' * 300 + b"1" + b"}" * 300
    err = _refusal(deep, ox.RdfFormat.JSON_LD)
    assert (err.status, err.code) == (400, "rdf_too_deep")
    assert err.details["max_depth"] == safeparse.JSONLD_MAX_DEPTH
    # brackets inside strings (escaped quotes included) do not count
    text = b'{"@id": "http://e/a", "http://e/p": "' + b'[{\\"' * 1000 + b'"}'
    assert len(_quads(parse_untrusted(text, ox.RdfFormat.JSON_LD))) == 1


def test_a_parser_crash_is_a_400_and_the_next_parse_works(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the depth bound, 60,000 nested objects kill the engine (it recurses: stack
    overflow, or over the memory cap first): the child dies, the caller gets a 4xx naming
    the cause (never a dead server), and a fresh child takes over."""
    monkeypatch.setattr(safeparse, "JSONLD_MAX_DEPTH", 10**9)
    deep = b'{"@id": "http://e/r", "http://e/p": ' + b'{"http://e/p": ' * 60_000
    deep += b"1" + b"}" * 60_001
    err = _refusal(deep, ox.RdfFormat.JSON_LD)
    assert (err.status, err.code) in {(400, "rdf_parser_crashed"), (413, "rdf_too_large")}
    assert len(_quads(parse_untrusted(b'<http://e/a> <http://e/b> "1" .', ox.RdfFormat.N_TRIPLES)))


def test_over_the_memory_cap_is_a_413() -> None:
    body = b"".join(b'<http://e/s%d> <http://e/p> "%s" .\n' % (i, b"x" * 200) for i in range(4000))
    err = _refusal(body, ox.RdfFormat.N_TRIPLES, max_memory_bytes=2 * 1024 * 1024)
    assert (err.status, err.code) == (413, "rdf_too_large")
    assert len(_quads(parse_untrusted(body, ox.RdfFormat.N_TRIPLES))) == 4000


def test_a_missed_deadline_is_blamed_by_cpu_time() -> None:
    """A child killed at the deadline: 400 if it was busy parsing, 503 if it was starved."""
    body = b"".join(b"<http://e/s%d> <http://e/p> %d .\n" % (i, i) for i in range(20_000))
    err = _refusal(body, ox.RdfFormat.N_TRIPLES, max_seconds=1e-6)
    assert err.status in (400, 503)
    assert err.code == ("rdf_too_complex" if err.status == 400 else "busy")
    died = safeparse._ChildDied("timeout", cpu_s=5.0)
    assert died.error(max_seconds=4.0).status == 400
    died = safeparse._ChildDied("timeout", cpu_s=0.1)
    assert died.error(max_seconds=4.0).status == 503
    assert safeparse._ChildDied("start", detail="x").error(1.0).status == 503


def test_sandbox_denies_connect_to_loopback() -> None:
    """``deny_network`` in a fresh process: connecting to a live loopback listener fails."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    script = (
        "import importlib.util, socket, sys\n"
        f"spec = importlib.util.spec_from_file_location('sb', {str(SANDBOX)!r})\n"
        "sb = importlib.util.module_from_spec(spec); spec.loader.exec_module(sb)\n"
        "how = sb.deny_network()\n"
        "s = socket.socket()\n"
        "try:\n"
        f"    s.connect(('127.0.0.1', {port}))\n"
        "    print('CONNECTED')\n"
        "except OSError as exc:\n"
        "    print('refused', how, exc.errno)\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60
    )
    listener.close()
    if "SandboxUnavailable" in out.stderr:
        pytest.skip("this OS allows no network namespace: " + out.stderr.strip()[-200:])
    assert out.stdout.startswith("refused"), out
    assert "CONNECTED" not in out.stdout


def test_parser_children_run_without_network_and_with_a_memory_cap() -> None:
    parse_untrusted(b"<http://e/a> <http://e/b> <http://e/c> .", ox.RdfFormat.N_TRIPLES)
    (child,) = safeparse._pool_for(safeparse.DEFAULT_MAX_MEMORY_BYTES, False)._idle
    assert child.network == "denied" and child.memory == "capped"


def test_the_child_has_no_network() -> None:
    """A listener on loopback sees no connection from the child (JSON-LD remote context)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    seen: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            seen.append(listener.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    doc = b'{"@context": "http://127.0.0.1:%d/ctx", "@id": "http://e/a", "p": 1}' % port
    with pytest.raises(UntrustedInputError):
        parse_untrusted(doc, ox.RdfFormat.JSON_LD)
    thread.join()
    listener.close()
    assert seen == []


def test_warm_children_are_reused() -> None:
    nt = b"<http://e/a> <http://e/b> <http://e/c> ."
    parse_untrusted(nt, ox.RdfFormat.N_TRIPLES)
    pool = safeparse._pool_for(safeparse.DEFAULT_MAX_MEMORY_BYTES, False)
    (child,) = pool._idle
    for _ in range(5):
        parse_untrusted(nt, ox.RdfFormat.N_TRIPLES)
    assert pool._idle == [child] and child.uses == 6

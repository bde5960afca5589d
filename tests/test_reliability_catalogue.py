"""Bad-input catalogue: every hostile or malformed request gets a precise 4xx in the common
envelope, never a 500, and changes nothing.

One row per case: the request, the expected status, envelope ``code`` and a substring of
the message. After every row the store's N-Quads dump is compared with the one taken
before it: a refused request must not have written anything (not even partly).
"""

from __future__ import annotations

import base64
import json
import resource
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from conftest import WRITE_TOKEN, app_client, running_server
from fastapi.testclient import TestClient

import stancegraph

SG = "https://w3id.org/stancegraph/ns#"
ID = "https://w3id.org/stancegraph/id/"
STANCE = f"{ID}stance/russia-pledges-review-of-ukrainian-proposals"
TOKEN = WRITE_TOKEN
READ_TOKEN = "catalogue-read-token-0123456789"
W = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 64 * 1024
Q = {"Content-Type": "application/sparql-query"}
U = {"Content-Type": "application/sparql-update", **W}
# A 1 KB "billion laughs": ten levels of ten entity references (10^9 "lol"s if expanded).
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol0 "lol">\n'
    + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns:ex="http://e/"><rdf:Description rdf:about="http://e/a"><ex:p>&lol9;</ex:p>'
    b"</rdf:Description></rdf:RDF>\n"
)
NESTED = 2000  # deep enough to overflow pyoxigraph's recursive parser if it got there


@dataclass
class Case:
    id: str
    method: str
    path: str
    status: int
    code: str
    message: str  # substring of error.message
    params: dict[str, Any] | list[tuple[str, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: Any = None
    data: dict[str, str] | None = None


def _cursor(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        sent += 8192
        yield b"#" * 8192


CASES: list[Case] = [
    # ---- SPARQL query text
    Case(
        "malformed-query",
        "GET",
        "/sparql",
        400,
        "query_syntax",
        "syntax error",
        params={"query": "SELEC ?s WHERE { ?s ?p ?o }"},
    ),
    Case(
        "unclosed-brace",
        "GET",
        "/sparql",
        400,
        "query_syntax",
        "syntax error",
        params={"query": "SELECT * WHERE { ?s ?p ?o"},
    ),
    Case(
        "unknown-prefix",
        "GET",
        "/sparql",
        400,
        "query_syntax",
        "Prefix not found",
        params={"query": "SELECT * WHERE { ?s nope:thing ?o }"},
    ),
    Case(
        "deep-braces-query",
        "POST",
        "/sparql",
        400,
        "query_too_complex",
        "nested deeper than",
        headers=Q,
        content="SELECT * WHERE " + "{" * NESTED + "}" * NESTED,
    ),
    Case(
        "deep-parens-query",
        "GET",
        "/sparql",
        400,
        "query_too_complex",
        "nested deeper than",
        params={"query": "SELECT * WHERE { FILTER(" + "(" * NESTED + "1" + ")" * NESTED + ") }"},
    ),
    Case(
        "huge-query-declared",
        "POST",
        "/sparql",
        413,
        "payload_too_large",
        "over the limit",
        headers=Q,
        content="SELECT * WHERE { ?s ?p ?o } #" + "x" * LIMIT,
    ),
    Case(
        "huge-query-chunked",
        "POST",
        "/sparql",
        413,
        "payload_too_large",
        "over the limit",
        headers=Q,
        content=_chunks(LIMIT * 2),
    ),
    Case(
        "invalid-utf8-query",
        "POST",
        "/sparql",
        400,
        "bad_request",
        "not valid UTF-8",
        headers=Q,
        content=b'SELECT * WHERE { ?s ?p "\xff\xfe" }',
    ),
    Case(
        "latin1-charset",
        "POST",
        "/sparql",
        415,
        "unsupported_media_type",
        "only UTF-8",
        headers={"Content-Type": "application/sparql-query; charset=latin-1"},
        content=b"ASK {}",
    ),
    Case(
        "empty-query",
        "POST",
        "/sparql",
        400,
        "missing_query",
        "empty query",
        headers=Q,
        content=b"   ",
    ),
    Case(
        "form-without-query",
        "POST",
        "/sparql",
        400,
        "missing_query",
        "no query=",
        data={"format": "json"},
    ),
    Case(
        "two-queries",
        "GET",
        "/sparql",
        400,
        "bad_request",
        "more than one query",
        params=[("query", "ASK {}"), ("query", "ASK {}")],
    ),
    Case(
        "query-and-update",
        "POST",
        "/sparql",
        400,
        "bad_request",
        "not both",
        data={"query": "ASK {}", "update": "CLEAR ALL"},
        headers=W,
    ),
    Case(
        "unknown-format",
        "GET",
        "/sparql",
        400,
        "bad_request",
        "unknown format",
        params={"query": "ASK {}", "format": "pdf"},
    ),
    Case(
        "not-acceptable",
        "GET",
        "/sparql",
        406,
        "not_acceptable",
        "none of the requested media types",
        params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "image/png"},
    ),
    Case(
        "bad-default-graph-uri",
        "GET",
        "/sparql",
        400,
        "bad_request",
        "not an absolute IRI",
        params={"query": "ASK {}", "default-graph-uri": "not an iri"},
    ),
    # ---- content types and methods
    Case(
        "wrong-content-type",
        "POST",
        "/sparql",
        415,
        "unsupported_media_type",
        "is not accepted",
        headers={"Content-Type": "text/plain"},
        content=b"ASK {}",
    ),
    Case(
        "missing-content-type",
        "POST",
        "/sparql",
        415,
        "unsupported_media_type",
        "missing Content-Type",
        content=b"ASK {}",
    ),
    Case(
        "update-via-get",
        "GET",
        "/sparql",
        405,
        "method_not_allowed",
        "must be sent with POST",
        params={"update": "CLEAR ALL"},
    ),
    Case(
        "put-sparql",
        "PUT",
        "/sparql",
        405,
        "method_not_allowed",
        "not part of the SPARQL Protocol",
        content=b"x",
    ),
    # ---- outbound
    Case(
        "service-refused",
        "GET",
        "/sparql",
        403,
        "outbound_disabled",
        "does not make outbound requests",
        params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"},
    ),
    Case(
        "load-refused",
        "POST",
        "/sparql",
        403,
        "outbound_disabled",
        "LOAD at 1:1",
        headers=U,
        content=b"LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:x:g>",
    ),
    # ---- auth and scopes
    Case(
        "update-no-token",
        "POST",
        "/sparql",
        401,
        "unauthorized",
        "Bearer token",
        headers={"Content-Type": "application/sparql-update"},
        content=b"CLEAR ALL",
    ),
    Case(
        "update-wrong-token",
        "POST",
        "/sparql",
        401,
        "invalid_token",
        "not valid",
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer guess"},
        content=b"CLEAR ALL",
    ),
    Case(
        "update-read-token",
        "POST",
        "/sparql",
        403,
        "insufficient_scope",
        "read-only",
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {READ_TOKEN}",
        },
        content=b"CLEAR ALL",
    ),
    Case(
        "update-basic-auth",
        "POST",
        "/sparql",
        401,
        "unauthorized",
        "Bearer token",
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": "Basic dXNlcjpwYXNz",
        },
        content=b"CLEAR ALL",
    ),
    Case(
        "form-update-no-token",
        "POST",
        "/sparql",
        401,
        "unauthorized",
        "Bearer token",
        data={"update": "CLEAR ALL"},
    ),
    Case(
        "gsp-put-no-token",
        "PUT",
        "/store",
        401,
        "unauthorized",
        "Bearer token",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "text/turtle"},
        content=b"<urn:a> <urn:b> <urn:c> .",
    ),
    # ---- updates
    Case(
        "malformed-update",
        "POST",
        "/sparql",
        400,
        "update_syntax",
        "syntax error",
        headers=U,
        content=b"INSERT DATA { <urn:a> <urn:b> }",
    ),
    Case(
        "invalid-utf8-update",
        "POST",
        "/sparql",
        400,
        "bad_request",
        "not valid UTF-8",
        headers=U,
        content=b'INSERT DATA { <urn:a> <urn:b> "\xc3\x28" }',
    ),
    Case(
        "empty-update",
        "POST",
        "/sparql",
        400,
        "missing_update",
        "empty update",
        headers=U,
        content=b" ",
    ),
    Case(
        "deep-update",
        "POST",
        "/sparql",
        400,
        "update_too_complex",
        "nested deeper than",
        headers=U,
        content="INSERT { <urn:a> <urn:b> 1 } WHERE " + "{" * NESTED + "}" * NESTED,
    ),
    Case(
        "partly-bad-update",
        "POST",
        "/sparql",
        400,
        "update_syntax",
        "syntax error",
        headers=U,
        content=b"INSERT DATA { GRAPH <urn:x:g> { <urn:a> <urn:b> 1 } } ; DELETE nonsense",
    ),
    Case(
        "using-conflict",
        "POST",
        "/sparql",
        400,
        "dataset_conflict",
        "cannot be combined",
        params={"using-graph-uri": "urn:x:g"},
        headers=U,
        content=b"DELETE { ?s ?p ?o } USING <urn:x:h> WHERE { ?s ?p ?o }",
    ),
    Case(
        "shacl-second-holder",
        "POST",
        "/sparql",
        422,
        "shacl_violation",
        "SHACL violation",
        headers=U,
        content=f"INSERT DATA {{ GRAPH <{ID}graph/x> {{ <{STANCE}> <{SG}holder> <{ID}actor/nobody> }} }}",
    ),
    Case(
        "shacl-polarity-not-concept",
        "POST",
        "/sparql",
        422,
        "shacl_violation",
        "nothing changed",
        headers=U,
        content=f"INSERT DATA {{ <{STANCE}> <{SG}polarity> <{ID}actor/russia> }}",
    ),
    Case(
        "shacl-bare-stance",
        "POST",
        "/sparql",
        422,
        "shacl_violation",
        "SHACL violation",
        headers=U,
        content=f"INSERT DATA {{ <{ID}stance/bare> a <{SG}Stance> }}",
    ),
    Case(
        "shacl-violation-after-good-part",
        "POST",
        "/sparql",
        422,
        "shacl_violation",
        "nothing changed",
        headers=U,
        content=(
            f"INSERT DATA {{ GRAPH <urn:x:ok> {{ <urn:x:s> <urn:x:p> 1 }} }} ; "
            f"INSERT DATA {{ <{ID}stance/bare2> a <{SG}Stance> }}"
        ),
    ),
    Case(
        "duplicate-iri-stance-reused",
        "POST",
        "/sparql",
        422,
        "shacl_violation",
        "SHACL violation",
        headers=U,
        content=f"INSERT DATA {{ <{ID}actor/russia> a <{SG}Stance> }}",
    ),
    # ---- Graph Store uploads
    Case(
        "gsp-invalid-turtle",
        "PUT",
        "/store",
        400,
        "rdf_syntax",
        "cannot parse the text/turtle body",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "text/turtle", **W},
        content=b"<urn:a> <urn:b> .",
    ),
    # uploads are parsed in a confined child (stancegraph.ingest.safeparse, issue #12)
    Case(
        "gsp-billion-laughs",
        "PUT",
        "/store",
        400,
        "rdf_dtd_refused",
        "entities are not expanded",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/rdf+xml", **W},
        content=BILLION_LAUGHS,
    ),
    Case(
        "gsp-rdfxml-external-dtd",
        "PUT",
        "/store",
        400,
        "rdf_dtd_refused",
        "document type declaration",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/rdf+xml", **W},
        content=b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r/>',
    ),
    Case(
        "gsp-jsonld-3500-levels",
        "PUT",
        "/store",
        400,
        "rdf_too_deep",
        "nested deeper than 256 levels",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/ld+json", **W},
        content=b'{"@id": "urn:r", "urn:p": ' + b'{"urn:p": ' * 3500 + b"1" + b"}" * 3501,
    ),
    Case(
        "gsp-json-30000-arrays",
        "POST",
        "/store",
        400,
        "rdf_too_deep",
        "nested deeper than",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/ld+json", **W},
        content=b"[" * 30_000 + b"]" * 30_000,
    ),
    Case(
        "gsp-invalid-jsonld",
        "POST",
        "/store",
        400,
        "rdf_syntax",
        "cannot parse the application/ld+json body",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/ld+json", **W},
        content=b'{"@id": ',
    ),
    Case(
        "gsp-half-valid-ntriples",
        "POST",
        "/store",
        400,
        "rdf_syntax",
        "cannot parse",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/n-triples", **W},
        content=b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> .\n",
    ),
    Case(
        "gsp-yaml",
        "POST",
        "/store",
        415,
        "unsupported_media_type",
        "cannot read application/yaml",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/yaml", **W},
        content=b"stances:\n  - id: x\n",
    ),
    Case(
        "gsp-invalid-utf8-turtle",
        "POST",
        "/store",
        400,
        "rdf_syntax",
        "cannot parse",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "text/turtle", **W},
        content=b'<urn:a> <urn:b> "\xff" .',
    ),
    Case(
        "gsp-body-names-graphs",
        "POST",
        "/store",
        400,
        "bad_request",
        "the body names graphs",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "application/n-quads", **W},
        content=b"<urn:a> <urn:b> <urn:c> <urn:x:other> .\n",
    ),
    Case(
        "gsp-no-target",
        "POST",
        "/store",
        400,
        "bad_request",
        "needs ?graph=IRI or ?default",
        headers={"Content-Type": "text/turtle", **W},
        content=b"<urn:a> <urn:b> <urn:c> .",
    ),
    Case(
        "gsp-two-targets",
        "GET",
        "/store",
        400,
        "bad_request",
        "not several",
        params=[("graph", "urn:x:a"), ("graph", "urn:x:b")],
    ),
    Case(
        "gsp-graph-not-iri",
        "GET",
        "/store",
        400,
        "bad_request",
        "not an absolute IRI",
        params={"graph": "no spaces <allowed>"},
    ),
    Case(
        "gsp-missing-graph",
        "GET",
        "/store",
        404,
        "not_found",
        "no graph",
        params={"graph": "urn:x:none"},
    ),
    Case(
        "gsp-delete-missing-graph",
        "DELETE",
        "/store",
        404,
        "not_found",
        "no graph",
        params={"graph": "urn:x:none"},
        headers=W,
    ),
    Case(
        "gsp-shacl-violation",
        "POST",
        "/store",
        422,
        "shacl_violation",
        "SHACL violation",
        params={"graph": f"{ID}graph/x"},
        headers={"Content-Type": "text/turtle", **W},
        content=f"<{ID}stance/bare3> a <{SG}Stance> .".encode(),
    ),
    Case(
        "gsp-huge-body",
        "PUT",
        "/store",
        413,
        "payload_too_large",
        "over the limit",
        params={"graph": "urn:x:g"},
        headers={"Content-Type": "text/turtle", **W},
        content=_chunks(LIMIT * 2),
    ),
    # ---- JSON API parameters and cursors
    Case(
        "unknown-parameter",
        "GET",
        "/api/actors",
        400,
        "unknown_parameters",
        "unknown query parameter(s): colour",
        params={"colour": "red"},
    ),
    Case(
        "bad-limit",
        "GET",
        "/api/stances",
        422,
        "invalid_parameters",
        "limit",
        params={"limit": "0"},
    ),
    Case(
        "bad-vocabulary-key",
        "GET",
        "/api/stances",
        422,
        "invalid_parameters",
        "polarity",
        params={"polarity": "lukewarm"},
    ),
    Case(
        "cursor-garbage",
        "GET",
        "/api/stances",
        400,
        "invalid_cursor",
        "invalid cursor",
        params={"cursor": "abc$%"},
    ),
    Case(
        "cursor-tampered-fields",
        "GET",
        "/api/stances",
        400,
        "invalid_cursor",
        "invalid cursor",
        params={"cursor": _cursor({"v": 1, "at": "2022-03-29", "id": "x", "admin": True})},
    ),
    Case(
        "cursor-tampered-iri",
        "GET",
        "/api/stances",
        400,
        "invalid_cursor",
        "invalid cursor",
        params={"cursor": _cursor({"v": 1, "at": "2022-03-29", "id": "} DELETE WHERE { ?s ?p ?o"})},
    ),
    Case(
        "cursor-too-long",
        "GET",
        "/api/stances",
        422,
        "invalid_parameters",
        "cursor",
        params={"cursor": "A" * 5000},
    ),
    Case("unknown-actor", "GET", "/api/actors/nobody-at-all", 404, "not_found", "no actor"),
    Case(
        "unknown-named-query",
        "GET",
        "/api/queries/no-such-query",
        404,
        "not_found",
        "no named query",
    ),
    Case(
        "named-query-bad-json",
        "POST",
        "/api/queries/actor-stances",
        422,
        "invalid_parameters",
        "invalid request parameters",
        headers={"Content-Type": "application/json"},
        content=b"{not json",
    ),
]


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[TestClient, Any]]:
    kg = stancegraph.open()
    with app_client(
        kg,
        raise_server_exceptions=False,
        write_token=TOKEN,
        read_tokens=[READ_TOKEN],
        max_body_bytes=LIMIT,
        query_timeout_s=5,
    ) as client:
        yield client, kg


def _snapshot(kg: Any) -> list[bytes]:
    return sorted(kg.store.dump(ox.RdfFormat.N_QUADS).splitlines())


def test_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(service: tuple[TestClient, Any], case: Case) -> None:
    client, kg = service
    before = _snapshot(kg)
    version = kg.store.version
    response = client.request(
        case.method,
        case.path,
        params=case.params,
        headers=case.headers,
        content=case.content,
        data=case.data,
    )
    assert response.status_code == case.status, response.text[:500]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == case.status
    assert error["code"] == case.code, error
    assert case.message in error["message"], error["message"]
    if case.status == 401:
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert TOKEN not in response.text and READ_TOKEN not in response.text
    assert kg.store.version == version, "a refused request changed the store version"
    assert _snapshot(kg) == before, "a refused request changed the store"


def test_service_still_healthy_after_catalogue(service: tuple[TestClient, Any]) -> None:
    client, _kg = service
    r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    good = client.post(
        "/sparql",
        headers=U,
        content=b"INSERT DATA { GRAPH <urn:x:after> { <urn:x:s> <urn:x:p> 1 } }",
    )
    assert good.status_code == 200, good.text


# --------------------------------------------------------------------------- against a real server
# Issue 12's attacks, each against a real ``stancegraph serve`` process: what must hold is
# that the server answers (never a dropped connection), refuses with the right code, opens
# no connection, and stays up.


class _Listener:
    """Accepts on 127.0.0.1 and closes at once, counting first."""

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


def _ssrf_texts(target: str) -> tuple[list[str], list[str]]:
    service = f"SERVICE <{target}/sparql> {{ ?a ?b ?c }}"
    queries = [
        f"PREFIX ex: <http://e/> SELECT ?a WHERE {{ BIND(ex:a\\# AS ?x) {service} }}",
        f"PREFIX ex: <http://e/> SELECT ?a WHERE {{ BIND(ex:a\\' AS ?x) {service} }} #'",
        f"PREFIX ex: <http://e/> ASK {{ BIND(ex:a\\# AS ?x) {service} }}",
        f"PREFIX ex: <http://e/> CONSTRUCT {{ ?a ?b ?c }} WHERE {{ BIND(ex:a%41\\# AS ?x) {service} }}",
        f"PREFIX ex: <http://e/> SELECT * WHERE {{ BIND(ex:a\\# AS ?x) SERVICE SILENT <{target}/> {{ ?a ?b ?c }} }}",
        f"PREFIX : <{target}/> SELECT * WHERE {{ service:sparql {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ FILTER(1<2&&3#>'''\n) {service} #'''\n}}",
    ]
    updates = [
        f"PREFIX ex: <http://e/> INSERT DATA {{ ex:a\\# ex:p 1 }} ; LOAD <{target}/data.ttl>",
        f"PREFIX ex: <http://e/> INSERT DATA {{ ex:a\\' ex:p 1 }} ; LOAD <{target}/d.ttl> # '",
        f"PREFIX : <{target}/> LOAD:data.ttl",
        f"PREFIX ex: <http://e/> INSERT {{ ?a ?b ?c }} WHERE {{ BIND(ex:a\\# AS ?x) {service} }}",
    ]
    return queries, updates


@pytest.mark.slow  # real servers and real attacks
def test_real_ssrf_through_escaped_names_is_refused_without_a_connection(
    writable_server: Any,
) -> None:
    listener = _Listener()
    try:
        queries, updates = _ssrf_texts(f"http://127.0.0.1:{listener.port}")
        url = f"{writable_server.url}/sparql"
        for q in queries:
            for r in (
                httpx.get(url, params={"query": q}, timeout=30),
                httpx.post(url, data={"query": q}, timeout=30),
            ):
                assert r.status_code == 403, (q, r.text)
                assert r.json()["error"]["code"] == "outbound_disabled"
        for u in updates:
            r = httpx.post(url, content=u.encode(), headers=U, timeout=30)
            assert r.status_code == 403, (u, r.text)
            assert r.json()["error"]["code"] == "outbound_disabled"
        health = httpx.get(f"{writable_server.url}/healthz", timeout=10).json()
        assert health["query_sandbox"] in ("netns", "userns+netns"), health
    finally:
        listener.sock.close()
    assert listener.connections == 0


_PLUS = "+".join(["1"] * 20_000)
EXPRESSION_BOMBS = {
    "plus-chain": f"SELECT * WHERE {{ BIND({_PLUS} AS ?x) }}",
    "not-chain": "SELECT * WHERE { BIND(" + "!" * 20_000 + "true AS ?x) }",
    "or-chain": "SELECT * WHERE { ?s ?p ?o FILTER(" + "||".join(["?s"] * 20_000) + ") }",
    "minus-5000": "SELECT * WHERE { ?s ?p ?o " + "MINUS {} " * 5_000 + "}",
    "bind-chain-5000": "SELECT * WHERE { BIND(1 AS ?x0) "
    + " ".join(f"BIND(?x{i} AS ?x{i + 1})" for i in range(5_000))
    + " }",
    "deep-parens": "SELECT * WHERE { FILTER(" + "(" * 5_000 + "1" + ")" * 5_000 + ") }",
    "optional-5000": "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o } " * 5_000 + "}",
    "union-5000": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 5_000) + " }",
    "projections-5000": "SELECT " + " ".join(f"(1 AS ?v{i})" for i in range(5_000)) + " WHERE {}",
    "collection-5000": "SELECT * WHERE { ?s ?p (" + " 1" * 5_000 + " ) }",
    "object-list-10000": "SELECT * WHERE { ?s ?p " + ", ".join(["1"] * 10_000) + " }",
    "path-10000": "SELECT * WHERE { ?s " + "/".join(["<urn:x:p>"] * 10_000) + " ?o }",
}


@pytest.mark.slow  # real servers and real attacks
@pytest.mark.parametrize("name", sorted(EXPRESSION_BOMBS))
def test_real_expression_bombs_are_refused_before_the_engine(
    writable_server: Any, name: str
) -> None:
    before = writable_server.process.pid
    r = httpx.post(
        f"{writable_server.url}/sparql",
        content=EXPRESSION_BOMBS[name].encode(),
        headers=Q,
        timeout=60,
    )
    assert r.status_code == 400, r.text[:300]
    error = r.json()["error"]
    assert error["code"] == "query_too_complex", error
    assert error["details"][0]["line"] == 1 and error["details"][0]["column"] > 1, error
    assert writable_server.process.poll() is None and writable_server.process.pid == before
    ok = httpx.get(
        f"{writable_server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30
    )
    assert ok.status_code == 200


@pytest.mark.slow  # real servers and real attacks
def test_real_update_bomb_cannot_crash_the_server(writable_server: Any) -> None:
    update = f"INSERT {{ <urn:x:s> <urn:x:p> ?x }} WHERE {{ BIND({_PLUS} AS ?x) }}"
    assert len(update) > 40_000
    r = httpx.post(f"{writable_server.url}/sparql", content=update.encode(), headers=U, timeout=60)
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"]["code"] == "update_too_complex"
    assert writable_server.process.poll() is None
    assert httpx.get(f"{writable_server.url}/healthz", timeout=10).status_code == 200


@pytest.mark.slow  # real servers and real attacks
def test_real_worker_crash_is_the_query_fault_and_the_worker_is_replaced(tmp_path: Path) -> None:
    # Below the text limits, but a worker with a 1 MiB stack still overflows: the backstop.
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    resource.setrlimit(resource.RLIMIT_STACK, (1024 * 1024, hard))
    try:
        server_cm = running_server(tmp=tmp_path)
        server = server_cm.__enter__()
    finally:
        resource.setrlimit(resource.RLIMIT_STACK, (soft, hard))
    try:
        chain = (
            "SELECT * WHERE { BIND(" + "+".join(["1"] * 2_900) + " AS ?x) }"
        )  # 2,900 < MAX_TERMS
        r = httpx.post(f"{server.url}/sparql", content=chain.encode(), headers=Q, timeout=60)
        assert r.status_code == 400, r.text[:300]
        assert r.json()["error"]["code"] == "query_crashed", r.text
        ok = httpx.get(f"{server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert ok.status_code == 200 and ok.json()["boolean"] is True
        assert server.process.poll() is None
    finally:
        server_cm.__exit__(None, None, None)


MEMORY_BOMBS = {
    "cartesian-order-by": "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c",
    "concat-doubling": "SELECT ?x27 WHERE { BIND('ab' AS ?x0) "
    + " ".join(f"BIND(CONCAT(?x{i},?x{i}) AS ?x{i + 1})" for i in range(27))
    + " }",
}


@pytest.mark.slow  # real servers and real attacks
@pytest.mark.embedded_only(
    reason="the memory cap is the local query workers'; a remote store has its own"
)
def test_real_worker_memory_is_capped(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    with running_server("--worker-memory", "256", "--timeout", "120", tmp=tmp_path) as server:
        url = f"{server.url}/sparql"
        assert httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30).status_code == 200
        rss = psutil.Process(server.process.pid).memory_info().rss
        for name, query in MEMORY_BOMBS.items():
            assert len(query) < 1000 or name != "concat-doubling"
            r = httpx.post(url, content=query.encode(), headers=Q, timeout=150)
            assert r.status_code == 507, (name, r.text[:300])
            error = r.json()["error"]
            assert error["code"] == "query_memory_exceeded", error
            assert error["details"][0]["worker_memory_mb"] == 256
            ok = httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
            assert ok.status_code == 200, ok.text
        grown = psutil.Process(server.process.pid).memory_info().rss - rss
        assert grown < 64 * 1024 * 1024, f"server RSS grew by {grown / 2**20:.0f} MiB"


# The text check blinded (it finds nothing), so every SERVICE reaches the engine: only the
# sandbox stands between it and the network.
_BLIND_MAIN = (
    "import sys, stancegraph.api.sparql.query as q\n"
    "from stancegraph.sparql.screening import TextInfo\n"
    "q.scan = lambda text, update=False: TextInfo()\n"
    "from stancegraph.cli.main import main; sys.exit(main())"
)


@pytest.mark.slow  # real servers and real attacks
@pytest.mark.embedded_only(reason="query workers run in this server")
def test_real_service_past_the_text_check_makes_no_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness  # where running_server reads _MAIN

    monkeypatch.setattr(harness, "_MAIN", _BLIND_MAIN)
    listener = _Listener()
    target = f"http://127.0.0.1:{listener.port}/sparql"
    service = f"SELECT * WHERE {{ SERVICE <{target}> {{ ?a ?b ?c }} }}"
    silent = f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?a ?b ?c }} }}"
    try:
        with running_server(tmp=tmp_path) as server:
            url = f"{server.url}/sparql"
            r = httpx.get(url, params={"query": service}, timeout=60)
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] == "outbound_disabled"
            assert "unreachable" in r.json()["error"]["details"][0]["engine"]
            r = httpx.get(url, params={"query": silent}, timeout=60)
            assert r.status_code == 200, r.text  # SILENT: the failure is swallowed
        assert listener.connections == 0
        # Control: the same blinded server allowed outbound requests does connect.
        with running_server("--allow-outbound", tmp=tmp_path) as server:
            httpx.get(f"{server.url}/sparql", params={"query": silent}, timeout=60)
        assert listener.connections >= 1
    finally:
        listener.sock.close()

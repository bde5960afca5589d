"""The lean ASGI path (``api/fastpath.py``) answers exactly as the FastAPI routes do.

Every request goes to two apps over the same graph: the real one and one built the same
way with the fast path taken out; status, body and headers must match. Also: the
``sparql_cache`` setting turns the /sparql result cache off but keeps ETag/304.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import app_client
from fastapi.testclient import TestClient

import stancegraph
from stancegraph.api import create_app
from stancegraph.api.fastpath import FastPath
from stancegraph.api.settings import Settings

ORIGIN = "https://explorer.example"
SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/stancegraph/ns#Stance> } ORDER BY ?s LIMIT 3"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
IGNORED = {"date", "server", "content-length"}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[TestClient, TestClient]]:
    kg = stancegraph.open()
    settings = Settings(cors_origins=[ORIGIN])
    fast = create_app(kg, settings)
    slow = create_app(kg, settings)
    kept = [m for m in slow.user_middleware if m.cls is not FastPath]
    assert len(kept) == len(slow.user_middleware) - 1  # the fast path was mounted
    slow.user_middleware[:] = kept
    with TestClient(fast) as f, TestClient(slow) as s:
        yield f, s


def _same(pair: tuple[TestClient, TestClient], method: str, url: str, **kw: Any) -> Any:
    fast, slow = pair
    a = fast.request(method, url, **kw)
    b = slow.request(method, url, **kw)
    assert (a.status_code, a.content) == (b.status_code, b.content), url
    ha = {k: v for k, v in a.headers.items() if k not in IGNORED}
    hb = {k: v for k, v in b.headers.items() if k not in IGNORED}
    assert ha == hb, url
    return a


SPARQL_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/sparql", {"params": {"query": SELECT}, "headers": JSON_RESULTS}),
    ("GET", "/sparql", {"params": {"query": SELECT, "format": "csv"}}),
    ("GET", "/sparql", {"params": {"query": "ASK {}"}, "headers": {"Accept": "text/turtle"}}),
    ("GET", "/sparql", {"params": {"query": "SELEC oops"}}),
    ("GET", "/sparql", {"params": {"query": SELECT, "format": "nope"}}),
    ("GET", "/sparql", {"params": {"update": "CLEAR ALL"}}),
    ("GET", "/sparql", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}),
    (
        "GET",
        "/sparql",
        {"params": {"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"}},
    ),
    ("GET", "/sparql", {"headers": {"Accept": "text/turtle"}}),  # service description
    ("POST", "/sparql", {"data": {"query": SELECT}, "headers": JSON_RESULTS}),
    (
        "POST",
        "/sparql",
        {"content": SELECT, "headers": {"Content-Type": "application/sparql-query"}},
    ),
    ("POST", "/sparql", {"content": SELECT, "headers": {"Content-Type": "text/plain"}}),
    ("POST", "/sparql", {"data": {"update": "CLEAR ALL"}}),
    ("POST", "/sparql", {"content": b"", "headers": {"Content-Type": "application/sparql-query"}}),
    (
        "POST",
        "/sparql",
        {"content": b"x" * (2 << 20), "headers": {"Content-Type": "application/sparql-query"}},
    ),
    ("PUT", "/sparql", {"content": SELECT}),
    (
        "GET",
        "/sparql",
        {"params": {"query": SELECT}, "headers": {**JSON_RESULTS, "Origin": ORIGIN}},
    ),
]


@pytest.mark.parametrize(("method", "url", "kw"), SPARQL_CASES)
def test_sparql_answers_match_the_routes(
    pair: tuple[TestClient, TestClient], method: str, url: str, kw: dict[str, Any]
) -> None:
    _same(pair, method, url, **kw)
    _same(pair, method, url, **kw)  # the second answer comes from the result cache


def test_sparql_conditional_and_cors(pair: tuple[TestClient, TestClient]) -> None:
    first = _same(pair, "GET", "/sparql", params={"query": SELECT}, headers=JSON_RESULTS)
    etag = first.headers["etag"]
    again = _same(
        pair,
        "GET",
        "/sparql",
        params={"query": SELECT},
        headers={**JSON_RESULTS, "If-None-Match": etag},
    )
    assert again.status_code == 304
    cors = _same(
        pair, "GET", "/sparql", params={"query": SELECT}, headers={**JSON_RESULTS, "Origin": ORIGIN}
    )
    assert cors.headers["access-control-allow-origin"] == ORIGIN


API_URLS = [
    "/api/stances?holder=ukraine&limit=2",
    "/api/guarantor-nominations",
    "/api/actors",
]


def _not_the_route(key: Any) -> None:
    raise AssertionError(f"the route answered a cached request: {key}")


@pytest.mark.parametrize("url", API_URLS)
def test_cached_api_answers_match_the_routes(pair: tuple[TestClient, TestClient], url: str) -> None:
    fast, _slow = pair
    first = _same(pair, "GET", url)
    cache = fast.app.state.json_api_cache
    hits = cache.hits
    route_lookup = cache.get
    cache.get = _not_the_route  # a repeat must not reach the route (it would answer 500)
    try:
        again = _same(pair, "GET", url)  # served by the fast path from the response cache
    finally:
        cache.get = route_lookup
    assert cache.hits == hits + 1 and again.content == first.content
    etag = first.headers["etag"]
    assert _same(pair, "GET", url, headers={"If-None-Match": etag}).status_code == 304
    assert _same(pair, "GET", url, headers={"If-None-Match": "*"}).status_code == 304
    assert _same(pair, "GET", url, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    assert _same(pair, "GET", url, headers={"Accept": "text/csv"}).status_code == 406
    cors = _same(pair, "GET", url, headers={"Origin": ORIGIN})
    assert cors.headers["access-control-allow-origin"] == ORIGIN
    # A cached URL with one more (unknown) parameter is still the route's 400.
    assert _same(pair, "GET", url + ("&" if "?" in url else "?") + "bogus=1").status_code == 400


def test_cached_api_detail_negotiation_matches(pair: tuple[TestClient, TestClient]) -> None:
    url = "/api/actors/ukraine"
    for accept in (
        "application/json",
        "application/ld+json",
        "application/ld+json, application/json;q=0.5",
        "application/json;q=0.2, application/ld+json;q=0.9",
        "*/*",
    ):
        _same(pair, "GET", url, headers={"Accept": accept})
        _same(pair, "GET", url, headers={"Accept": accept})


def test_sparql_cache_setting_off_runs_every_query_but_keeps_etags() -> None:
    with app_client(stancegraph.open(), sparql_cache=False) as c:
        app = c.app
        engine = app.state.engine
        first = c.get("/sparql", params={"query": SELECT}, headers=JSON_RESULTS)
        again = c.get("/sparql", params={"query": SELECT}, headers=JSON_RESULTS)
        assert first.status_code == again.status_code == 200 and again.content == first.content
        assert len(engine.cache) == 0 and engine.cache.hits == 0
        assert engine.pool.stats["queries"] >= 2
        etag = first.headers["etag"]
        assert again.headers["etag"] == etag
        assert (
            c.get(
                "/sparql", params={"query": SELECT}, headers={**JSON_RESULTS, "If-None-Match": etag}
            ).status_code
            == 304
        )


def test_sparql_cache_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANCEGRAPH_SPARQL_CACHE", "false")
    assert Settings().sparql_cache is False
    monkeypatch.setenv("STANCEGRAPH_SPARQL_CACHE", "true")
    assert Settings().sparql_cache is True

"""The analytics JSON API (``/api/analytics/...``), in process, on the seed graph."""

from __future__ import annotations

import importlib.util
import json

import networkx as nx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import stancegraph
from stancegraph.api import analytics_api
from stancegraph.api.errors import install_error_handlers

A = "https://w3id.org/stancegraph/id/actor/"
P = "https://w3id.org/stancegraph/id/proposition/"
PLEDGE = "https://w3id.org/stancegraph/id/stance/russia-pledges-reduced-activity-kyiv-chernihiv"


def slugs(refs) -> set[str]:
    return {(r["iri"] if isinstance(r, dict) else r).rsplit("/", 1)[-1] for r in refs}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.state.kg = stancegraph.open()
    install_error_handlers(app)
    app.include_router(analytics_api.router)
    return TestClient(app)


def test_coalitions(client):
    r = client.get("/api/analytics/coalitions", params={"holders": "states"})
    assert r.status_code == 200
    body = r.json()
    assert body["options"] == {
        "as_of": None,
        "source": None,
        "holders": "states",
        "expectations": False,
    }
    assert [slugs(c["members"]) for c in body["coalitions"]] == [
        {"russia", "ukraine"},
        {"united-kingdom", "united-states"},
    ]
    b = body["balance"]
    assert (b["frustration"], b["frustration_weight"], b["method"], b["objective"]) == (
        1,
        1.5625,
        "exact",
        "count",
    )
    assert [slugs(c) for c in b["camps"]] == [
        {"russia"},
        {"ukraine", "united-states", "united-kingdom"},
    ]
    assert b["camps"][0][0]["label"] == "Russia"
    tie = next(
        t
        for t in body["ties"]
        if {t["source"]["iri"], t["target"]["iri"]} == {f"{A}russia", f"{A}united-states"}
    )
    assert tie["weight"] == -0.5 and PLEDGE in tie["disagree"]
    w = client.get(
        "/api/analytics/coalitions", params={"holders": "states", "objective": "weight"}
    ).json()
    assert w["balance"]["frustration_weight"] == 0.5


def test_guarantors(client):
    body = client.get("/api/analytics/guarantors").json()
    assert slugs(body["by_modality"]["asserted"]) == {
        "united-states",
        "canada",
        "china",
        "france",
        "united-kingdom",
    }
    assert slugs(body["by_modality"]["possible"]) == {"turkey", "germany", "poland", "israel"}
    assert slugs(body["parties"]) == {"russia", "ukraine"}
    assert body["acceptable_to_all_parties"] == []
    (nato,) = body["alliances"]
    assert nato["alliance"]["label"] == "NATO" and nato["count"] == 7
    turkey = next(n for n in body["nominees"] if n["nominee"]["iri"] == f"{A}turkey")
    assert turkey["modality"] == "possible" and turkey["own_position"] == "silent"
    assert turkey["nominations"][0]["nominator"]["label"] == "Ukraine"
    # v2: per-nominee acceptability from data; Russia's view is unknown, not an objection
    assert {(a["party"]["label"], a["status"]) for a in turkey["acceptability"]} == {
        ("Russia", "unknown"),
        ("Ukraine", "accepts"),
    }
    assert slugs(turkey["unknown_to"]) == {"russia"} and turkey["objected_by"] == []
    assert slugs(turkey["nominee_propositions"]) == {"turkey-guarantees-ukraine-security"}
    assert turkey["list_open"] is True
    # only Ukraine as principal party: everyone is acceptable
    only = client.get("/api/analytics/guarantors", params={"party": ["ukraine"]}).json()
    assert len(only["acceptable_to_all_parties"]) == 9


def test_conditions(client):
    body = client.get("/api/analytics/conditions").json()
    assert body["acyclic"] is True and body["deadlocks"] == []
    # v2: preferences only (Massie's and Medinsky's forecasts are expectations)
    assert len(body["dependencies"]) == 4
    holders = {
        (slugs([d["proposition"]]).pop(), d["holder"]["label"], d["holder_role"])
        for d in body["dependencies"]
    }
    assert ("peace-agreement", "Ukraine", "party") in holders
    assert ("end-of-war", "Canada", "third-party") in holders
    both = client.get("/api/analytics/conditions", params={"expectations": "true"}).json()
    assert both["options"]["expectations"] is True and len(both["dependencies"]) == 8
    assert {d["necessity"] for d in both["dependencies"]} == {"necessary", "sufficient"}
    assert [s["stage"] for s in body["sequence"]] == [0, 1, 2]
    met = client.get(
        "/api/analytics/conditions", params={"met": ["complete-russian-withdrawal", "end-of-war"]}
    ).json()
    assert {"end-of-war", "sanctions-relief"}.isdisjoint(
        slugs(b["proposition"] for b in met["blocked"])
    )
    assert len(met["met"]) == 2


def test_positions(client):
    body = client.get("/api/analytics/positions").json()
    full = [c["proposition"] for c in body["consensus"] if c["full"]]
    assert slugs(full) == {"progress-in-talks", "mutual-compromises", "putin-zelensky-summit"}
    assert body["polarisation"][0]["proposition"]["iri"] == f"{P}progress-in-talks"
    assert body["pivotal_actors"][0]["actor"]["label"] == "Russia"
    assert "pivotal_actors.betweenness" in body["measures"]
    early = client.get("/api/analytics/positions", params={"as_of": "2022-03-28"}).json()
    assert early["polarisation"] == [] and early["options"]["as_of"] == "2022-03-28"


def test_layout(client):
    body = client.get("/api/analytics/layout").json()
    kinds = {n["kind"] for n in body["nodes"]}
    assert kinds == {"actor", "proposition", "stance"}
    iris = {n["iri"] for n in body["nodes"]}
    assert all(e["source"] in iris and e["target"] in iris for e in body["edges"])
    assert {n["id"] for n in body["nodes"]} >= {"ukraine", PLEDGE.rsplit("/", 1)[-1]}
    meta = [e for e in body["edges"] if e["target"] == PLEDGE]
    assert len(meta) == 4 and {e["polarity"] for e in meta} == {"skeptical"}
    assert client.get("/api/analytics/layout").json() == body  # seeded
    other = client.get("/api/analytics/layout", params={"seed": 7}).json()
    assert other["nodes"] != body["nodes"] and other["seed"] == 7


def test_graph_exports(client):
    r = client.get("/api/analytics/graph/guarantors", params={"format": "json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    g = nx.node_link_graph(json.loads(r.text), edges="edges")
    assert g.number_of_edges() == 9
    r = client.get("/api/analytics/graph/coalitions", params={"format": "graphml"})
    assert r.status_code == 200 and "<graphml" in r.text
    assert client.get("/api/analytics/graph/nonsense").status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/coalitions?holders=everyone",
        "/api/analytics/positions?as_of=yesterday",
        "/api/analytics/layout?iterations=0",
        "/api/analytics/conditions?source=",
    ],
)
def test_bad_parameters_use_the_error_envelope(client, path):
    r = client.get(path)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_parameters" and err["status"] == 422


def test_no_graph_is_503():
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(analytics_api.router)
    r = TestClient(app).get("/api/analytics/coalitions")
    assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"


def test_openapi_documents_the_routes(client):
    spec = client.get("/openapi.json").json()
    paths = {p for p in spec["paths"] if p.startswith("/api/analytics")}
    assert {"/api/analytics/coalitions", "/api/analytics/guarantors", "/api/analytics/conditions",
            "/api/analytics/positions", "/api/analytics/layout"} <= paths  # fmt: skip
    assert "CoalitionsResponse" in spec["components"]["schemas"]
    params = {p["name"] for p in spec["paths"]["/api/analytics/positions"]["get"]["parameters"]}
    assert {"as_of", "source", "holders"} <= params


@pytest.mark.skipif(
    importlib.util.find_spec("stancegraph.api.app") is None, reason="api/app.py not present"
)
def test_the_app_factory_mounts_the_router():
    from stancegraph.api.app import create_app

    app = create_app(stancegraph.open())
    assert "/api/analytics/coalitions" in app.openapi()["paths"]
    r = TestClient(app).get("/api/analytics/guarantors")  # no lifespan: no query workers
    assert r.status_code == 200 and len(r.json()["nominees"]) == 9

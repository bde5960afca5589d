"""The JSON API (``/api/...``), in process, on the seed graph: exact seed facts, paging,
strict parameters, error envelopes, ETags, JSON-LD negotiation, search and named queries."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import pytest
from conftest import make_client
from rdflib import Dataset

import stancegraph
from stancegraph.api import json as json_api

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ID = "https://w3id.org/stancegraph/id/"
A, P, S = f"{ID}actor/", f"{ID}proposition/", f"{ID}stance/"
PLEDGE = "russia-pledges-reduced-activity-kyiv-chernihiv"
SOURCE = "2022-03-29-istanbul-talks-report"
POLARITIES = [
    "commitment",
    "conditional-support",
    "deferred",
    "neutral",
    "oppose",
    "reject",
    "skeptical",
    "support",
    "unstated",
]


def get(client: TestClient, url: str, status: int = 200, **kw: Any) -> Any:
    r = client.get(url, **kw)
    assert r.status_code == status, r.text
    return r.json()


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


def error(client: TestClient, url: str, status: int, code: str, **kw: Any) -> dict[str, Any]:
    body = get(client, url, status, **kw)
    assert set(body) == {"error"}
    err = body["error"]
    assert (err["status"], err["code"]) == (status, code), err
    assert err["message"]
    return err


# --------------------------------------------------------------------------- OpenAPI


def test_router_is_mounted_by_the_app_factory(client):
    paths = set(get(client, "/openapi.json")["paths"])
    assert {"/api/stances", "/api/stances/{id}", "/api/search", "/api/queries/{name}"} <= paths
    assert get(client, "/api/stances?limit=1")["total"] == 60


def test_every_field_of_every_model_is_described():
    """Fields are documented by the docstring under them (``ApiModel``): pydantic reads
    those from the source, so a field without a description would mean lost docs."""
    from pydantic import BaseModel

    from stancegraph.api.json import models

    found = [getattr(models, n) for n in models.__all__]
    found = [c for c in found if isinstance(c, type) and issubclass(c, BaseModel)]
    assert len(found) >= 30
    for model in found:
        schema = model.model_json_schema()
        for name, node in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
            assert node.get("properties"), name
            for field, prop in node["properties"].items():
                assert prop.get("description"), f"{name}.{field} has no description"
    members = models.ActorDetail.model_json_schema()["properties"]["members"]
    assert members["description"] == (
        "actors that are members of it (org:memberOf), e.g. NATO's member states"
    )


def test_openapi_documents_every_route_with_a_model(client):
    spec = get(client, "/openapi.json")
    ours = {
        (m, f"/api{r.path.removeprefix('/api')}".replace(":path", ""))
        for r in json_api.router.routes
        for m in r.methods
    }
    assert len(ours) == 18
    schemas = spec["components"]["schemas"]
    reachable: set[str] = set()

    def refs(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                if name not in reachable:
                    reachable.add(name)
                    refs(schemas[name])
            for k, v in node.items():
                if k not in ("examples", "example"):
                    refs(v)
        elif isinstance(node, list):
            for v in node:
                refs(v)

    for method, path in ours:
        op = spec["paths"][path][method.lower()]
        ok = op["responses"]["200"]
        schema = ok["content"]["application/json"]["schema"]
        assert schema.get("$ref", "").startswith("#/components/schemas/"), (method, path)
        assert op["summary"]
        if method == "GET":
            assert "ETag" in ok["headers"] and "304" in op["responses"]
        for code in ("400", "406", "422"):
            assert op["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ErrorEnvelope"
            )
        for p in op.get("parameters", []):
            assert p.get("description"), (path, p["name"])
        refs(op)
    for path in (
        "/api/actors/{id}",
        "/api/propositions/{id}",
        "/api/stances/{id}",
        "/api/sources/{id}",
    ):
        assert "application/ld+json" in spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert "404" in spec["paths"][path]["get"]["responses"]
    assert "Link" in spec["paths"]["/api/stances"]["get"]["responses"]["200"]["headers"]
    params = {p["name"]: p for p in spec["paths"]["/api/stances"]["get"]["parameters"]}
    assert set(params) == {
        "holder",
        "speaker",
        "target",
        "polarity",
        "speech_act",
        "modality",
        "since",
        "until",
        "source",
        "nominee",
        "limit",
        "cursor",
        "include",
    }
    assert params["limit"]["schema"]["maximum"] == 500

    ours_models = reachable - {
        "ErrorEnvelope",
        "ErrorBody",
    }  # the envelope belongs to api/errors.py
    assert {
        "StanceDetail",
        "StancePage",
        "PropositionDetail",
        "ActorDetail",
        "NominationMatrix",
        "SearchResponse",
        "QueryRunResponse",
    } <= ours_models

    def no_empty(node: Any, where: str) -> None:
        if isinstance(node, dict):
            assert node != {}, f"empty schema at {where}"
            for k, v in node.items():
                if k not in ("examples", "example", "default"):
                    no_empty(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                no_empty(v, f"{where}[{i}]")

    for name in ours_models:
        no_empty(schemas[name], name)
        for prop, s in schemas[name].get("properties", {}).items():
            assert s.get("description"), f"{name}.{prop} has no description"
    top = (
        "StancePage",
        "StanceDetail",
        "ActorSummary",
        "PropositionSummary",
        "Nomination",
        "SearchHit",
        "NamedQuery",
    )
    for name in top:
        assert schemas[name].get("examples"), name


# --------------------------------------------------------------------------- actors


def test_actors(client):
    body = get(client, "/api/actors")
    assert body["total"] == len(body["items"]) == 41  # v2: two unidentified actors
    ukraine = next(a for a in body["items"] if a["id"] == "ukraine")
    assert ukraine == {
        "id": "ukraine",
        "iri": f"{A}ukraine",
        "label": "Ukraine",
        "type": "state-actor",
        "description": "Ukraine as a political actor (the Ukrainian state and its government).",
        "wikidata": "http://www.wikidata.org/entity/Q212",
        "state": None,
        "stances_held": 18,
        "stances_voiced": 0,
        "nominations_received": 0,
    }
    assert get(client, "/api/actors", params={"type": "person"})["total"] == 14
    assert get(client, "/api/actors", params={"type": "state-actor"})["total"] == 12
    err = error(client, "/api/actors?type=Country", 422, "invalid_parameters")
    assert (
        "state-actor" in err["details"][0]["allowed"]
        and err["details"][0]["location"] == "query.type"
    )


def test_actor_detail_roles_affiliations_and_stances(client):
    biden = get(client, "/api/actors/joe-biden")
    assert biden["type"] == "person" and biden["state"]["id"] == "united-states"
    (role,) = biden["roles"]
    assert role["organization"]["id"] == "united-states"
    assert (
        role["role"]["key"] == "head-of-state" and role["title"] == "President of the United States"
    )
    assert role["attested_on"] == "2022-03-29"
    # v2: Biden relays the European leaders' consensus; he does not voice it for them
    assert ids(biden["voiced"]) == [
        "united-states-wait-to-see-russian-offer",
        "united-states-will-see-if-russia-keeps-word",
    ]
    assert biden["held"] == [] and biden["stances_voiced"] == 2

    ukraine = get(client, "/api/actors/ukraine")
    assert len(ukraine["held"]) == 18 and ukraine["territory"]["id"] == "ukraine-territory"
    assert [(m["member"]["id"], m["role"]["key"]) for m in ukraine["people"]] == [
        ("volodymyr-zelensky", "head-of-state")
    ]
    assert ids(ukraine["affiliated"]) == [
        "armed-forces-of-ukraine",
        "david-arakhamia",
        "general-staff-ukraine",
        "ukrainian-delegation",
        "volodymyr-zelensky",
    ]

    nato = get(client, "/api/actors/nato")
    assert ids(nato["members"]) == [
        "canada",
        "france",
        "germany",
        "poland",
        "romania",
        "turkey",
        "united-kingdom",
        "united-states",
    ]
    assert ids(get(client, "/api/actors/canada")["member_of"]) == ["nato"]

    massie = get(client, "/api/actors/justin-massie")
    assert sorted((m["organization"]["id"], m["role"]["key"]) for m in massie["roles"]) == [
        ("network-for-strategic-analysis", "co-director"),
        ("uqam", "professor"),
    ]
    assert massie["stances_held"] == len(massie["held"]) == 10

    turkey = get(client, "/api/actors/turkey")
    assert ids(turkey["nominated"]) == ["ukraine-nominates-turkey-as-guarantor"]
    # a full IRI works as the id too
    assert get(client, f"/api/actors/{A}russia")["id"] == "russia"


def test_404_envelopes(client):
    assert error(client, "/api/actors/xyz", 404, "not_found")["message"] == "no actor 'xyz'"
    assert (
        error(client, "/api/propositions/xyz", 404, "not_found")["message"]
        == "no proposition 'xyz'"
    )
    assert error(client, "/api/stances/xyz", 404, "not_found")["message"] == "no stance 'xyz'"
    assert error(client, "/api/sources/xyz", 404, "not_found")["message"] == "no source 'xyz'"
    # exists, but is not an actor
    error(client, "/api/actors/peace-agreement", 404, "not_found")
    error(
        client,
        "/api/stances/peace-agreement",
        404,
        "not_found",
        headers={"Accept": "application/ld+json"},
    )
    error(client, "/api/actors/Not A Slug!", 404, "not_found")
    error(client, f"/api/stances/{PLEDGE}/evidence/1", 404, "not_found")
    assert (
        error(client, "/api/queries/nope", 404, "not_found")["details"][0]["known"][0]
        == "actor-stances"
    )
    error(client, "/api/nothing-here", 404, "not_found")


# --------------------------------------------------------------------------- propositions


def test_propositions(client):
    body = get(client, "/api/propositions")
    assert body["total"] == 38  # v2: 9 per-nominee guarantees, 8 propositions from the re-audit
    guarantee = next(p for p in body["items"] if p["id"] == "international-security-guarantee")
    assert guarantee["demand_type"]["key"] == "security-guarantee"
    assert guarantee["stance_count"] == 10 and guarantee["polarity_counts"] == {"support": 10}
    sg = get(client, "/api/propositions", params={"demand_type": "security-guarantee"})
    assert ids(sg["items"]) == [
        "canada-guarantees-ukraine-security",
        "china-guarantees-ukraine-security",
        "france-guarantees-ukraine-security",
        "germany-guarantees-ukraine-security",
        "international-security-guarantee",
        "israel-guarantees-ukraine-security",
        "nato-article-5-style-guarantee",
        "poland-guarantees-ukraine-security",
        "united-kingdom-guarantees-ukraine-security",  # "The United Kingdom as …"
        "united-states-guarantees-ukraine-security",
        "turkey-guarantees-ukraine-security",
    ]
    error(client, "/api/propositions?demand_type=world-peace", 422, "invalid_parameters")


def test_proposition_positions_by_polarity_with_evidence(client):
    p = get(client, "/api/propositions/reduce-military-activity-kyiv-chernihiv")
    assert p["iri"] == f"{P}reduce-military-activity-kyiv-chernihiv"
    assert ids(p["locations"]) == ["chernihiv", "kyiv"] and ids(p["actors_to_act"]) == [
        "russia",
        "russian-armed-forces",
    ]
    assert p["negotiation"]["id"] == "istanbul-round-2022-03-29"
    (group,) = p["positions"]
    assert group["polarity"] == {
        "id": "commitment",
        "key": "commitment",
        "iri": "https://w3id.org/stancegraph/vocab/polarity/commitment",
        "label": "commitment",
        "weight": 1.0,
    }
    (pledge,) = group["stances"]
    assert (
        pledge["id"] == PLEDGE
        and pledge["holder"]["id"] == "russia"
        and pledge["speaker"]["id"] == "alexander-fomin"
    )
    assert pledge["quotes"] == [
        "It was decided, in order to increase confidence, to drastically reduce military activity in the direction of Kyiv and Chernihiv",
        "radically",
    ]
    assert sorted((r["holder"]["id"], r["polarity"]["key"]) for r in pledge["reactions"]) == [
        ("general-staff-ukraine", "skeptical"),
        ("ukraine", "skeptical"),
        ("united-kingdom", "skeptical"),
        ("united-states", "skeptical"),
        ("united-states", "skeptical"),
    ]

    peace = get(client, "/api/propositions/peace-agreement")
    # v2: positions are preferences; forecasts (Massie's optimism, Piskunova's "a lot more
    # time", Medinsky's "peace will come closer") are expectations, listed apart
    assert [(g["polarity"]["key"], g["count"], ids(g["stances"])) for g in peace["positions"]] == [
        ("conditional-support", 1, ["ukraine-agreement-only-with-security-guarantee"]),
    ]
    assert ids(peace["expectations"]) == [
        "massie-longer-term-optimism",
        "piskunova-settlement-will-take-longer",
        "russia-expects-agreement-close-per-massie",
        "russia-peace-closer-with-quick-work-and-compromises",
        "ukraine-expects-agreement-close-per-massie",
    ]
    assert {x["dimension"] for x in peace["expectations"]} == {"expectation"}
    piskunova = next(
        x for x in peace["expectations"] if x["id"] == "piskunova-settlement-will-take-longer"
    )
    assert (piskunova["likelihood"]["key"], piskunova["horizon"]["key"]) == (
        "unlikely",
        "short-term",
    )
    assert [(c["holder"]["id"], c["requires"]["id"]) for c in peace["conditions"]] == [
        ("russia", "progress-in-talks"),
        ("russia", "mutual-compromises"),
        ("ukraine", "international-security-guarantee"),
    ]
    assert [
        (c["stance"]["id"], c["type"]["key"], c["target"]["id"]) for c in peace["required_by"]
    ] == [
        ("massie-summit-requires-signature", "only-after", "putin-zelensky-summit"),
        ("russia-summit-only-after-agreement", "only-after", "putin-zelensky-summit"),
    ]


# --------------------------------------------------------------------------- stances


def test_one_stance_with_conditions_and_evidence(client):
    s = get(client, "/api/stances/russia-peace-closer-with-quick-work-and-compromises")
    assert (s["holder"]["id"], s["speaker"]["id"], s["target"]["id"], s["target"]["kind"]) == (
        "russia",
        "vladimir-medinsky",
        "peace-agreement",
        "proposition",
    )
    assert (
        s["polarity"]["key"],
        s["polarity"]["weight"],
        s["speech_act"]["key"],
        s["modality"]["key"],
    ) == (
        "unstated",  # v2: an expectation ("peace will come closer"), not a preference
        0.0,
        "assessment",
        "asserted",
    )
    assert (s["dimension"], s["likelihood"]["key"], s["horizon"]) == (
        "expectation",
        "increasing",
        None,
    )
    assert (s["stated_at"], s["confidence"], s["kind"], s["nominee"]) == (
        "2022-03-29",
        0.9,
        "stance",
        None,
    )
    assert s["negotiation"]["id"] == "istanbul-round-2022-03-29" and s["source"]["id"] == SOURCE
    assert [
        (c["type"]["key"], c["requires"]["id"], c["requires"]["label"]) for c in s["conditions"]
    ] == [
        (
            "if",  # v2: "provided …" states sufficient conditions
            "progress-in-talks",
            "Substantive and rapid progress in the Russia–Ukraine talks",
        ),
        ("if", "mutual-compromises", "Necessary compromises by both parties"),
    ]
    (ev,) = s["evidence"]
    assert ev["paragraph"] == 4 and ev["speaker"]["id"] == "vladimir-medinsky"
    assert ev["quote"].startswith("Provided we work quickly on the agreement")
    assert ev["source"]["id"] == SOURCE and ev["source"]["publisher"]["id"] == "quebec-daily"
    assert ev["source"]["published"] == "2022-03-30T00:12:00-04:00"
    assert s["summary"] and s["condition_count"] == 2 and s["evidence_count"] == 1

    doubt = get(client, "/api/stances/ukraine-doubts-de-escalation")
    assert doubt["target"]["kind"] == "stance" and doubt["target"]["id"] == PLEDGE
    assert (
        doubt["polarity"]["key"] == "skeptical" and doubt["speaker"]["id"] == "volodymyr-zelensky"
    )
    pledge = get(client, f"/api/stances/{PLEDGE}")
    assert sorted(ids(pledge["reactions"])) == [
        "general-staff-doubts-troop-withdrawal",
        "ukraine-doubts-de-escalation",
        "united-kingdom-judges-by-actions-not-words",
        "united-states-doubts-russian-seriousness",
        "united-states-will-see-if-russia-keeps-word",
    ]
    assert [e["paragraph"] for e in pledge["evidence"]] == [3, 1]
    practical = get(client, "/api/stances/russia-neutrality-talks-practical-phase")
    assert practical["rationale"].startswith('"A practical dimension" is the translation')
    assert practical["evidence"][0]["quote"] == "a practical dimension"
    nomination = get(client, "/api/stances/ukraine-nominates-israel-as-guarantor")
    assert nomination["kind"] == "guarantor-nomination" and nomination["nominee"]["id"] == "israel"
    assert nomination["modality"] == {
        "id": "possible",
        "key": "possible",
        "iri": "https://w3id.org/stancegraph/vocab/modality/possible",
        "label": "possible",
        "weight": 0.5,
    }


def test_pagination_covers_every_stance_once(client):
    seen: list[str] = []
    keys: list[tuple[str, str]] = []
    url: str | None = "/api/stances?limit=7"
    pages = 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 60 and body["limit"] == 7
        seen += ids(body["items"])
        keys += [(i["stated_at"], i["iri"]) for i in body["items"]]
        pages += 1
        link = r.headers.get("link")
        if body["next_cursor"]:
            assert (
                link
                == f'<http://testserver/api/stances?limit=7&cursor={body["next_cursor"]}>; rel="next"'
            )
            url = link[1 : link.index(">")]  # follow the Link header itself
        else:
            assert link is None and len(body["items"]) == 60 - 8 * 7
            url = None
    assert pages == 9
    assert len(seen) == len(set(seen)) == 60
    assert keys == sorted(keys)
    # one big page gives the same order
    assert ids(get(client, "/api/stances", params={"limit": 500})["items"]) == seen
    # filters are kept across pages
    first = get(client, "/api/stances", params={"holder": "ukraine", "limit": 10})
    rest = get(
        client,
        "/api/stances",
        params={"holder": "ukraine", "limit": 10, "cursor": first["next_cursor"]},
    )
    assert (
        len(first["items"]) + len(rest["items"]) == first["total"] == 18
        and rest["next_cursor"] is None
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"holder": "russia"}, 12),
        ({"holder": f"{A}russia"}, 12),
        ({"speaker": "joe-biden"}, 2),
        ({"speaker": "alexander-fomin"}, 2),
        ({"polarity": "skeptical"}, 5),  # v2: the experts' forecasts are expectations
        ({"modality": "possible"}, 4),
        ({"modality": "reported"}, 10),
        ({"speech_act": "pledge"}, 2),
        ({"target": PLEDGE}, 5),
        ({"target": "peace-agreement"}, 6),
        ({"nominee": "turkey"}, 1),
        ({"source": SOURCE}, 60),
        ({"holder": "ukraine", "modality": "possible"}, 4),
        ({"since": "2022-03-29", "until": "2022-03-29"}, 60),
        ({"since": "2022-03-30"}, 0),
        ({"until": "2022-03-28"}, 0),
    ],
)
def test_stance_filters(client, params, expected):
    body = get(client, "/api/stances", params={**params, "limit": 100})
    assert body["total"] == len(body["items"]) == expected


def test_stance_filter_values(client):
    body = get(client, "/api/stances", params={"modality": "possible"})
    assert ids(body["items"]) == [
        f"ukraine-nominates-{c}-as-guarantor" for c in ("germany", "israel", "poland", "turkey")
    ]
    assert all(
        i["kind"] == "guarantor-nomination" and i["holder"]["id"] == "ukraine"
        for i in body["items"]
    )
    metas = get(client, "/api/stances", params={"target": PLEDGE})["items"]
    assert {i["target"]["kind"] for i in metas} == {"stance"}


def test_invalid_parameters_are_422_with_allowed_values(client):
    err = error(client, "/api/stances?polarity=bogus", 422, "invalid_parameters")
    (d,) = err["details"]
    assert (
        d["location"] == "query.polarity" and d["input"] == "bogus" and d["allowed"] == POLARITIES
    )
    assert "polarity" in err["message"] and "skeptical" in err["message"]
    assert error(client, "/api/stances?modality=certain", 422, "invalid_parameters")["details"][0][
        "allowed"
    ] == ["asserted", "implied", "possible", "reported"]
    assert (
        "pledge"
        in error(client, "/api/stances?speech_act=x", 422, "invalid_parameters")["details"][0][
            "allowed"
        ]
    )
    assert error(client, "/api/stances?holder=nobody", 422, "invalid_parameters")[
        "message"
    ].endswith("no actor 'nobody' (see /api/actors for ids)")
    error(client, "/api/stances?target=nothing", 422, "invalid_parameters")
    error(client, "/api/stances?source=nope", 422, "invalid_parameters")
    error(client, "/api/stances?since=2022-04-01&until=2022-03-01", 422, "invalid_parameters")
    for bad in ("limit=0", "limit=501", "limit=x", "since=yesterday"):
        err = error(client, f"/api/stances?{bad}", 422, "invalid_parameters")
        assert err["details"][0]["location"] == f"query.{bad.split('=')[0]}"
    error(client, "/api/guarantor-nominations?modality=bogus", 422, "invalid_parameters")
    error(client, "/api/conditions?type=whenever", 422, "invalid_parameters")


def test_unknown_query_parameters_are_400(client):
    err = error(client, "/api/stances?holdr=ukraine&limit=3", 400, "unknown_parameters")
    assert err["details"][0]["unknown"] == ["holdr"] and "holder" in err["details"][0]["allowed"]
    assert "holdr" in err["message"]
    assert error(client, "/api/actors?page=2", 400, "unknown_parameters")["details"] == [
        {"unknown": ["page"], "allowed": ["cursor", "limit", "q", "type"]}
    ]
    error(client, "/api/search?q=kyiv&lmit=3", 400, "unknown_parameters")
    error(client, "/api/sources?page=2", 400, "unknown_parameters")
    error(client, "/api/stances/ukraine-doubts-de-escalation?fields=id", 400, "unknown_parameters")
    assert client.post("/api/queries/actor-stances?x=1", json={}).status_code == 400


def _cursor(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_tampered_cursor_is_400(client):
    good = get(client, "/api/stances", params={"limit": 5})["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    assert set(decoded) == {"v", "at", "id"}
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    for bad in (
        "abc",
        "!!!",
        good + "$",
        flipped,
        _cursor(["2022-03-29", f"{S}x"]),
        _cursor({**decoded, "v": 2}),
        _cursor({**decoded, "extra": 1}),
        _cursor({**decoded, "at": "yesterday"}),
        _cursor({**decoded, "id": "} DROP ALL"}),
        _cursor({**decoded, "at": 20220329}),
    ):
        err = error(client, "/api/stances", 400, "invalid_cursor", params={"cursor": bad})
        assert err["message"].startswith("invalid cursor")


# --------------------------------------------------------------------------- nominations, conditions, sources


def test_guarantor_nominations(client):
    body = get(client, "/api/guarantor-nominations")
    assert body["total"] == len(body["items"]) == 9
    by = {i["nominee"]["id"]: i["modality"]["key"] for i in body["items"]}
    assert by == {
        "united-states": "asserted",
        "canada": "asserted",
        "china": "asserted",
        "france": "asserted",
        "united-kingdom": "asserted",
        "turkey": "possible",
        "germany": "possible",
        "poland": "possible",
        "israel": "possible",
    }
    assert [i["modality"]["key"] for i in body["items"]] == ["asserted"] * 5 + ["possible"] * 4
    assert {i["nominator"]["id"] for i in body["items"]} == {"ukraine"}
    assert {i["guarantee"]["id"] for i in body["items"]} == {"international-security-guarantee"}
    assert ids(body["items"])[0] == "ukraine-nominates-canada-as-guarantor"
    possible = get(client, "/api/guarantor-nominations", params={"modality": "possible"})
    assert [i["nominee"]["id"] for i in possible["items"]] == [
        "germany",
        "israel",
        "poland",
        "turkey",
    ]
    assert get(client, "/api/guarantor-nominations", params={"nominee": "turkey"})["total"] == 1
    assert get(client, "/api/guarantor-nominations", params={"nominator": "russia"})["total"] == 0

    matrix = get(client, "/api/guarantor-nominations/matrix")
    assert ids(matrix["nominators"]) == ["ukraine"]
    assert [
        (r["nominee"]["id"], r["modality"]["key"], r["cells"][0]["modality"]["key"])
        for r in matrix["rows"]
    ] == [
        ("canada", "asserted", "asserted"),
        ("china", "asserted", "asserted"),
        ("france", "asserted", "asserted"),
        ("united-kingdom", "asserted", "asserted"),
        ("united-states", "asserted", "asserted"),
        ("germany", "possible", "possible"),
        ("israel", "possible", "possible"),
        ("poland", "possible", "possible"),
        ("turkey", "possible", "possible"),
    ]
    assert matrix["rows"][-1]["cells"][0]["stances"] == ["ukraine-nominates-turkey-as-guarantor"]


def test_conditions(client):
    body = get(client, "/api/conditions")
    assert body["total"] == 8  # v2: Piskunova's "step towards" is a sufficient condition
    assert sorted(
        (c["stance"]["id"], c["type"]["key"], c["requires"]["id"]) for c in body["items"]
    ) == [
        ("canada-end-of-hostilities-requires-withdrawal", "only-if", "complete-russian-withdrawal"),
        ("massie-summit-requires-signature", "only-after", "peace-agreement"),
        ("piskunova-neutrality-step-to-ceasefire", "if", "ukrainian-neutrality"),
        ("russia-peace-closer-with-quick-work-and-compromises", "if", "mutual-compromises"),
        ("russia-peace-closer-with-quick-work-and-compromises", "if", "progress-in-talks"),
        ("russia-summit-only-after-agreement", "only-after", "peace-agreement"),
        (
            "ukraine-agreement-only-with-security-guarantee",
            "only-if",
            "international-security-guarantee",
        ),
        ("ukraine-sanctions-relief-only-after-war", "only-after", "end-of-war"),
    ]
    assert get(client, "/api/conditions", params={"type": "only-after"})["total"] == 3
    assert get(client, "/api/conditions", params={"holder": "russia"})["total"] == 3
    assert get(client, "/api/conditions", params={"requires": "peace-agreement"})["total"] == 2


def test_sources_and_vocabularies(client):
    (src,) = get(client, "/api/sources")["items"]
    assert src["id"] == SOURCE and src["stance_count"] == 60 and src["paragraphs"] == 22
    assert (src["type"], src["language"], src["original_language"]) == ("news-article", "en", "fr")
    assert src["published"] == "2022-03-30T00:12:00-04:00" and ids(src["contributors"]) == ["afp"]
    assert src["publisher"]["id"] == "quebec-daily" and src["graph"] == f"{ID}graph/source/{SOURCE}"
    assert len(get(client, f"/api/sources/{SOURCE}")["stances"]) == 60

    schemes = get(client, "/api/vocabularies")["schemes"]
    assert sorted(c["key"] for c in schemes["polarity"]) == POLARITIES
    assert [(c["key"], c["weight"]) for c in schemes["modality"]] == [
        ("asserted", 1.0),
        ("implied", 0.75),
        ("reported", 0.75),
        ("possible", 0.5),
    ]
    assert {"compromise", "negotiation-progress", "territorial-control"} <= {
        c["key"] for c in schemes["demand-type"]
    }


# --------------------------------------------------------------------------- caching


def test_etag_and_304(client):
    url = "/api/stances/ukraine-doubts-de-escalation"
    r = client.get(url)
    etag = r.headers["etag"]
    assert (
        etag.startswith('W/"')
        and r.headers["cache-control"] == "no-cache"
        and r.headers["vary"] == "Accept"
    )
    r304 = client.get(url, headers={"If-None-Match": etag})
    assert r304.status_code == 304 and r304.content == b"" and r304.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'W/"nope", {etag}'}).status_code == 304
    assert (
        client.get(url, headers={"If-None-Match": etag.removeprefix("W/")}).status_code == 304
    )  # weak comparison
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    assert client.get("/api/stances/xyz", headers={"If-None-Match": "*"}).status_code == 404
    # the query is part of the validator, its order is not
    a = client.get("/api/stances?holder=ukraine&limit=3").headers["etag"]
    b = client.get("/api/stances?limit=3&holder=ukraine").headers["etag"]
    assert a == b != client.get("/api/stances?holder=ukraine&limit=4").headers["etag"]
    # each representation has its own
    assert client.get(url, headers={"Accept": "application/ld+json"}).headers["etag"] != etag
    # errors carry none
    assert "etag" not in client.get("/api/stances/xyz").headers


def test_cache_serves_repeats_and_a_write_invalidates():
    kg = stancegraph.open()
    client = make_client(kg)
    url = "/api/guarantor-nominations"
    first = client.get(url)
    cache = client.app.state.json_api_cache
    hits = cache.hits
    again = client.get(url)
    assert cache.hits == hits + 1 and again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]

    kg.store.update(
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> INSERT DATA { GRAPH <urn:test> { "
        f"<{S}ukraine-nominates-germany-as-guarantor> sg:modality <https://w3id.org/stancegraph/vocab/modality/reported> }} }}"
    )
    after = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert len(cache) == 1  # the old version's entries are gone
    # so do the stance list and the search index
    kg.store.update(
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        f"INSERT DATA {{ <{S}late> a sg:Stance ; sg:holder <{A}canada> ; sg:target <{P}ceasefire> ; "
        "sg:polarity <https://w3id.org/stancegraph/vocab/polarity/support> ; "
        'sg:modality <https://w3id.org/stancegraph/vocab/modality/asserted> ; sg:statedAt "2022-04-02"^^xsd:date }'
    )
    page = get(client, "/api/stances", params={"since": "2022-04-01"})
    assert page["total"] == 1 and page["items"][0]["holder"]["label"] == "Canada"
    assert get(client, "/api/stances?limit=1")["total"] == 61
    kg.store.update(
        f'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> INSERT DATA {{ <{P}peace-agreement> rdfs:label "Zyzzyva accord"@en }}'
    )
    hits = get(client, "/api/search", params={"q": "zyzzyva"})["items"]
    assert [(h["kind"], h["id"]) for h in hits] == [("proposition", "peace-agreement")]


# --------------------------------------------------------------------------- JSON-LD


def test_jsonld_negotiation(client, seed):
    stance = "russia-peace-closer-with-quick-work-and-compromises"
    r = client.get(f"/api/stances/{stance}", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    doc = r.json()
    node = next(n for n in doc if n["@id"] == f"{S}{stance}")
    assert node["https://w3id.org/stancegraph/ns#holder"] == [{"@id": f"{A}russia"}]
    nodes = {n["@id"] for n in doc}
    assert {
        f"{S}{stance}/condition/1",
        f"{S}{stance}/condition/2",
        f"{S}{stance}/evidence/1/quote",
    } <= nodes
    ds = Dataset()
    ds.parse(data=r.text, format="json-ld")
    # the stance (19: v2 adds its sg:Expectation type, likelihood and rationale), 2
    # conditions (8), the annotation (5), its target (4), the quote (2), and (v2) the
    # marker of its inferred date (6: two types, subject, predicate, object, basis)
    assert len(ds) == 44
    assert f"{S}{stance}/inferred/stated" in nodes

    actor = client.get(
        "/api/actors/justin-massie", headers={"Accept": "application/ld+json"}
    ).json()
    assert {n["@id"] for n in actor} == {
        f"{A}justin-massie",
        f"{A}justin-massie/membership/1",
        f"{A}justin-massie/membership/2",
    }
    prop = client.get(
        "/api/propositions/peace-agreement", headers={"Accept": "application/ld+json"}
    ).json()
    assert [n["@id"] for n in prop] == [f"{P}peace-agreement"]
    assert (
        client.get(f"/api/sources/{SOURCE}", headers={"Accept": "application/ld+json"}).status_code
        == 200
    )

    url = f"/api/stances/{stance}"
    for accept, expected in [
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
        ("application/ld+json;q=0.5, application/json", "application/json"),
        ("application/json;q=0.1, application/ld+json", "application/ld+json"),
        ("application/json;q=0, */*", "application/ld+json"),
    ]:
        assert client.get(url, headers={"Accept": accept}).headers["content-type"] == expected, (
            accept
        )
    err = error(client, url, 406, "not_acceptable", headers={"Accept": "text/turtle"})
    assert err["details"] == [{"available": ["application/json", "application/ld+json"]}]
    error(client, "/api/stances", 406, "not_acceptable", headers={"Accept": "application/ld+json"})


# --------------------------------------------------------------------------- search


def test_search_kyiv(client):
    body = get(client, "/api/search", params={"q": "Kyiv"})
    hits = body["items"]
    assert body["query"] == "Kyiv" and body["total"] == len(hits) == 5
    assert (hits[0]["kind"], hits[0]["id"], hits[0]["field"], hits[0]["score"]) == (
        "place",
        "kyiv",
        "label",
        1.0,
    )
    assert hits[0]["href"] is None and hits[0]["highlights"] == [[0, 4]]
    assert (hits[1]["kind"], hits[1]["id"], hits[1]["field"]) == (
        "proposition",
        "reduce-military-activity-kyiv-chernihiv",
        "label",
    )
    assert hits[1]["href"] == "/api/propositions/reduce-military-activity-kyiv-chernihiv"
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    for h in hits:
        (start, end), *_ = h["highlights"]
        assert h["snippet"][start:end].lower() == "kyiv"
    stances = [h["id"] for h in hits if h["kind"] == "stance"]
    assert PLEDGE in stances and "russia-pledges-review-of-ukrainian-proposals" in stances
    only = get(client, "/api/search", params={"q": "kyiv", "kind": ["stance", "place"], "limit": 2})
    assert only["total"] == 3 and [h["kind"] for h in only["items"]] == ["place", "stance"]


def test_search_quotes_names_and_roles(client):
    (hit,) = get(client, "/api/search", params={"q": "radically"})["items"]
    assert (hit["kind"], hit["id"], hit["field"], hit["snippet"]) == (
        "stance",
        PLEDGE,
        "quote",
        "radically",
    )
    assert hit["href"] == f"/api/stances/{PLEDGE}"
    # v2: the quote is evidence of the doubt and of Zelensky's forecast alike
    two = get(client, "/api/search", params={"q": "significant potential"})["items"][:2]
    assert {(t["id"], t["field"]) for t in two} == {
        ("ukraine-doubts-de-escalation", "quote"),
        ("ukraine-expects-russia-can-keep-attacking", "quote"),
    }
    assert (
        get(client, "/api/search", params={"q": "melanie"})["items"][0]["id"] == "melanie-joly"
    )  # accents folded
    assert get(client, "/api/search", params={"q": "MÉLANIE JOLY"})["items"][0]["score"] == 1.0
    zelen = get(client, "/api/search", params={"q": "zelen"})["items"]  # prefix
    assert (zelen[0]["kind"], zelen[0]["id"]) == ("actor", "volodymyr-zelensky")
    sec = get(client, "/api/search", params={"q": "secretary of state"})["items"][0]
    assert (sec["id"], sec["field"]) == ("antony-blinken", "role")
    assert get(client, "/api/search", params={"q": "xylophone"}) == {
        "query": "xylophone",
        "total": 0,
        "items": [],
    }
    error(client, "/api/search", 422, "invalid_parameters")
    error(client, "/api/search?q=", 422, "invalid_parameters")
    error(client, "/api/search", 422, "invalid_parameters", params={"q": "x" * 201})
    error(client, "/api/search", 422, "invalid_parameters", params={"q": "?!"})
    error(client, "/api/search", 422, "invalid_parameters", params={"q": "kyiv", "kind": "planet"})


# --------------------------------------------------------------------------- named queries


def test_named_queries(client, seed):
    body = get(client, "/api/queries")
    names = [q["name"] for q in body["items"]]
    assert names == sorted(names) and body["total"] == 17
    assert {"actor-stances", "guarantor-nominations", "doubts-about-pledge"} <= set(names)
    q = next(q for q in body["items"] if q["name"] == "actor-stances")
    assert q["params"] == [
        {
            "name": "actor",
            "default": f"{A}russia",
            "description": "the actor: a state, organisation or person",
        }
    ]
    assert q["sparql"].lstrip().startswith("# title:") and q["href"] == "/api/queries/actor-stances"

    default = get(client, "/api/queries/actor-stances")
    assert default["bindings"] == {"actor": f"{A}russia"} and default["kind"] == "select"
    assert default["row_count"] == 12 and {r["holder"] for r in default["rows"]} == {f"{A}russia"}
    ukraine = get(client, "/api/queries/actor-stances", params={"actor": "ukraine"})
    assert ukraine["bindings"] == {"actor": f"{A}ukraine"} and ukraine["row_count"] == 18
    assert (
        all(r["stated_at"] == "2022-03-29" for r in ukraine["rows"])
        and "stance" in ukraine["columns"]
    )
    assert (
        get(client, "/api/queries/actor-stances", params={"actor": f"{A}ukraine"})["rows"]
        == ukraine["rows"]
    )
    posted = client.post("/api/queries/actor-stances", json={"params": {"actor": "joe-biden"}})
    assert posted.status_code == 200 and posted.json()["row_count"] == 2
    assert {r["involvement"] for r in posted.json()["rows"]} == {"speaker"}
    nominations = get(client, "/api/queries/guarantor-nominations", params={"nominator": "ukraine"})
    assert nominations["row_count"] == 9
    assert {r["modality_key"] for r in nominations["rows"]} == {"asserted", "possible"}

    err = error(client, "/api/queries/actor-stances?actr=ukraine", 400, "unknown_parameters")
    assert err["details"] == [{"unknown": ["actr"], "allowed": ["actor"]}]
    assert (
        client.post("/api/queries/actor-stances", json={"params": {"nope": "x"}}).status_code == 400
    )
    assert client.post("/api/queries/actor-stances", json={"param": {}}).status_code == 422
    # values are bound, never spliced: an "injection" is just an id that names no actor
    before = len(seed.store)
    evil = error(
        client,
        "/api/queries/actor-stances",
        422,
        "invalid_parameters",
        params={"actor": "x> } ; DROP ALL ; SELECT * { ?s ?p ?o"},
    )
    assert "no actor" in evil["message"] and len(seed.store) == before
    bad = error(
        client,
        "/api/queries/actor-stances",
        422,
        "invalid_parameters",
        params={"actor": "http://bad iri"},
    )
    assert bad["details"][0]["location"] == "query.actor"
    r = client.post("/api/queries/actor-stances", json={"params": {"actor": "http://bad iri"}})
    assert (
        r.status_code == 422 and r.json()["error"]["details"][0]["location"] == "body.params.actor"
    )
    assert "etag" not in r.headers


# --------------------------------------------------------------------------- CORS


def test_cors_off_by_default_and_on_for_listed_origins(seed):
    preflight = {"Origin": "https://ui.example", "Access-Control-Request-Method": "GET"}
    off = make_client(seed, cors_origins=[])
    assert (
        "access-control-allow-origin"
        not in off.get("/api/actors", headers={"Origin": "https://ui.example"}).headers
    )
    on = make_client(seed, cors_origins=["https://ui.example"])
    r = on.options("/api/stances", headers=preflight)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://ui.example"
    assert (
        on.get("/api/actors", headers={"Origin": "https://ui.example"}).headers[
            "access-control-allow-origin"
        ]
        == "https://ui.example"
    )
    assert (
        "access-control-allow-origin"
        not in on.get("/api/actors", headers={"Origin": "https://evil.example"}).headers
    )

"""The JSON write routes for coding, against a real server on 127.0.0.1: auth (none,
read-only, write, coder), 201/409/422, dry runs, idempotent retries, PUT/DELETE, inline
creation of sources, actors and propositions, PROV attribution, and OpenAPI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import running_server

import stancegraph
from stancegraph.ingest.compiler import CompileError

WRITE = "coding-write-token-0123456789"
READ = "coding-read-token-0123456789"
ALICE = "coding-alice-token-0123456789"
BOB = "coding-bob-token-0123456789"
SOURCE = "2022-03-29-istanbul-talks-report"
STANCES = f"/api/sources/{SOURCE}/stances"
SG = "https://w3id.org/stancegraph/id/"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stance(sid: str, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": sid,
        "holder": "ukraine",
        "voiced_by": "volodymyr-zelensky",
        "target": "ceasefire",
        "polarity": "support",
        "speech_act": "demand",
        "stated": "2022-03-29",
        "evidence": [
            {
                "paragraph": 3,
                "quote": "we want peace",
                "prefix": "he said ",
                "suffix": " today",
                "start": 120,
                "end": 133,
                "speaker": "volodymyr-zelensky",
            }
        ],
    }
    record.update(fields)
    return record


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("coding")
    coders = tmp / "coders.toml"
    coders.write_text(f'[coders]\nalice = "{ALICE}"\nbob = "{BOB}"\n')
    env = {
        "STANCEGRAPH_WRITE_TOKEN": WRITE,
        "STANCEGRAPH_READ_TOKENS": READ,
        "STANCEGRAPH_CODERS_FILE": str(coders),
        "STANCEGRAPH_WORKERS": "1",
    }
    with running_server(env=env, tmp=tmp) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


def ask(client: httpx.Client, query: str) -> bool:
    r = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text
    return bool(r.json()["boolean"])


@pytest.mark.slow
def test_auth_none_read_only_unknown_and_write(client: httpx.Client) -> None:
    body = stance("auth-check")
    none = client.post(STANCES, json=body)
    assert none.status_code == 401 and none.json()["error"]["code"] == "unauthorized"
    assert none.headers["www-authenticate"].startswith("Bearer")
    read = client.post(STANCES, json=body, headers=auth(READ))
    assert read.status_code == 403 and read.json()["error"]["code"] == "insufficient_scope"
    bad = client.post(STANCES, json=body, headers=auth("not-a-token-at-all"))
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_token"
    for method, path in [("PUT", "/api/stances/auth-check"), ("DELETE", "/api/stances/auth-check")]:
        assert client.request(method, path, json=body).status_code == 401
        assert client.request(method, path, json=body, headers=auth(READ)).status_code == 403
    for path in ("/api/sources", "/api/actors", "/api/propositions"):
        assert client.post(path, json={}).status_code == 401
        assert client.post(path, json={}, headers=auth(READ)).status_code == 403
    assert not ask(client, f"ASK {{ <{SG}stance/auth-check> ?p ?o }}")
    assert client.get("/api/coder").status_code == 401
    assert client.get("/api/coder", headers=auth(READ)).status_code == 403
    assert client.get("/api/coder", headers=auth(ALICE)).json() == {"coder": "alice"}
    assert client.get("/api/coder", headers=auth(WRITE)).json() == {"coder": "operator"}
    ok = client.post(STANCES, json=body, headers=auth(WRITE))
    assert ok.status_code == 201, ok.text
    assert ok.json()["coder"] == "operator"


def test_create_201_location_visible_everywhere_with_coder_and_selectors(
    client: httpx.Client,
) -> None:
    r = client.post(STANCES, json=stance("alice-ceasefire"), headers=auth(ALICE))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/api/stances/alice-ceasefire"
    body = r.json()
    assert body["coder"] == "alice" and body["dry_run"] is False and body["added"] > 20
    detail = client.get(r.headers["location"])
    assert detail.status_code == 200
    assert detail.json()["polarity"]["key"] == "support"
    s = f"<{SG}stance/alice-ceasefire>"
    assert ask(
        client,
        f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX oa: <http://www.w3.org/ns/oa#>
        ASK {{ GRAPH <{SG}graph/source/{SOURCE}> {{
          {s} prov:wasAttributedTo <{SG}coder/alice> ; prov:generatedAtTime ?t ;
              <https://w3id.org/stancegraph/ns#hasEvidence>/oa:hasTarget ?tg .
          ?tg oa:hasSelector ?q, ?p .
          ?q oa:exact "we want peace"@en ; oa:prefix "he said " ; oa:suffix " today" .
          ?p a oa:TextPositionSelector ; oa:start 120 ; oa:end 133 . }} }}""",
    )
    record = client.get("/api/stances/alice-ceasefire/record")
    assert record.status_code == 200
    sent = stance("alice-ceasefire")
    assert record.json() == {**sent, "modality": "asserted", "conditions": []}
    assert client.get("/api/stances/nothing-here/record").status_code == 404
    actor = client.get("/api/stances", params={"holder": "ukraine"}).json()
    assert "alice-ceasefire" in {s["id"] for s in actor["items"]}


def test_duplicate_id_is_409_and_nothing_changes(client: httpx.Client) -> None:
    assert client.post(STANCES, json=stance("dup-check"), headers=auth(ALICE)).status_code == 201
    again = client.post(STANCES, json=stance("dup-check", polarity="oppose"), headers=auth(BOB))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    dry = client.post(
        STANCES, json=stance("dup-check"), headers=auth(BOB), params={"dry_run": "true"}
    )
    assert dry.status_code == 409
    assert client.get("/api/stances/dup-check").json()["polarity"]["key"] == "support"


def _validate_messages(tmp_path: Path, record: dict[str, Any]) -> dict[str, str]:
    """What ``stancegraph validate`` says about the same record in a YAML file."""
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"stances": [record]}))
    with pytest.raises(CompileError) as err:
        stancegraph.open().compile([path])
    return {p.field: p.message for p in err.value.problems}


def test_invalid_fields_422_with_validate_messages_and_nothing_written(
    client: httpx.Client, tmp_path: Path
) -> None:
    evidence = [{"paragraph": 2, "source": SOURCE}]
    # Unknown references and vocabulary keys (checked against the graph) ...
    refs = stance("bad-refs", holder="nobody-known", polarity="lukewarm", evidence=evidence)
    r = client.post(STANCES, json=refs, headers=auth(ALICE))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_record"
    got = {d["field"]: d["message"] for d in r.json()["error"]["details"]}
    assert got == _validate_messages(tmp_path, refs)
    assert set(got) == {"holder", "polarity"}
    assert r.json()["error"]["details"][0]["location"].startswith("body.")
    # ... and type errors and unknown fields (checked by the record format).
    typed = {**stance("bad-types", stated="yesterday", evidence=evidence), "colour": "red"}
    r = client.post(STANCES, json=typed, headers=auth(ALICE))
    assert r.status_code == 422
    got = {d["field"]: d["message"] for d in r.json()["error"]["details"]}
    assert got == _validate_messages(tmp_path, typed)
    assert set(got) == {"stated", "colour"}
    # Selectors are checked too, and not JSON is a 400, not JSON at all a 415.
    span = stance("bad-span")
    span["evidence"][0]["end"] = 5
    r = client.post(STANCES, json=span, headers=auth(ALICE))
    assert r.status_code == 422
    assert "'end' must be greater than 'start'" in r.json()["error"]["details"][0]["message"]
    r = client.post(
        STANCES,
        content=b"{not json",
        headers={**auth(ALICE), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    deep = b"[" * 200_000 + b"]" * 200_000
    r = client.post(
        STANCES, content=deep, headers={**auth(ALICE), "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = client.post(STANCES, content=b"id: x", headers={**auth(ALICE), "Content-Type": "text/yaml"})
    assert r.status_code == 415
    for sid in ("bad-refs", "bad-types", "bad-span"):
        assert not ask(client, f"ASK {{ <{SG}stance/{sid}> ?p ?o }}")


def test_unknown_source_404(client: httpx.Client) -> None:
    r = client.post("/api/sources/no-such-source/stances", json=stance("lost"), headers=auth(ALICE))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_dry_run_validates_and_writes_nothing(client: httpx.Client) -> None:
    ok = client.post(
        STANCES, json=stance("dry-one"), headers=auth(ALICE), params={"dry_run": "true"}
    )
    assert ok.status_code == 200 and ok.json()["dry_run"] is True and ok.json()["added"] > 0
    assert "location" not in ok.headers
    assert client.get("/api/stances/dry-one").status_code == 404
    assert not ask(client, f"ASK {{ <{SG}stance/dry-one> ?p ?o }}")
    bad = client.post(
        STANCES,
        json=stance("dry-two", polarity="lukewarm"),
        headers=auth(ALICE),
        params={"dry_run": "true"},
    )
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["error"]["details"]] == ["polarity"]


def test_idempotent_retry(client: httpx.Client) -> None:
    key = str(uuid.uuid4())
    headers = {**auth(BOB), "Idempotency-Key": key}
    first = client.post(STANCES, json=stance("idem-one"), headers=headers)
    assert first.status_code == 201, first.text
    retry = client.post(STANCES, json=stance("idem-one"), headers=headers)
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json() and retry.headers["location"] == first.headers["location"]
    # Without the key, the same POST is a duplicate.
    assert client.post(STANCES, json=stance("idem-one"), headers=auth(BOB)).status_code == 409
    # The same key with another body is refused; another coder's key is their own.
    other = client.post(STANCES, json=stance("idem-two"), headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert client.get("/api/stances/idem-two").status_code == 404
    alice = client.post(
        STANCES, json=stance("idem-two"), headers={**auth(ALICE), "Idempotency-Key": key}
    )
    assert alice.status_code == 201
    # Idempotent creation of an actor too.
    actor = {"id": "idem-actor", "type": "Person", "label": "Idem Person"}
    h = {**auth(ALICE), "Idempotency-Key": str(uuid.uuid4())}
    a1, a2 = (
        client.post("/api/actors", json=actor, headers=h),
        client.post("/api/actors", json=actor, headers=h),
    )
    assert a1.status_code == a2.status_code == 201 and a2.headers["idempotent-replayed"] == "true"


def test_put_edits_and_delete_removes(client: httpx.Client) -> None:
    assert client.post(STANCES, json=stance("edit-me"), headers=auth(ALICE)).status_code == 201
    put = client.put(
        "/api/stances/edit-me",
        json=stance("edit-me", polarity="oppose", speech_act=None),
        headers=auth(BOB),
    )
    assert put.status_code == 200, put.text
    assert put.json()["coder"] == "bob"
    detail = client.get("/api/stances/edit-me").json()
    assert detail["polarity"]["key"] == "oppose" and detail["speech_act"] is None
    assert ask(
        client,
        f"ASK {{ <{SG}stance/edit-me> <http://www.w3.org/ns/prov#wasAttributedTo> <{SG}coder/bob> "
        f"FILTER NOT EXISTS {{ <{SG}stance/edit-me> ?p <{SG}coder/alice> }} }}",
    )
    # An invalid edit changes nothing; an edit of a missing stance is a 404; ids must agree.
    bad = client.put(
        "/api/stances/edit-me", json=stance("edit-me", polarity="meh"), headers=auth(BOB)
    )
    assert bad.status_code == 422
    assert client.get("/api/stances/edit-me").json()["polarity"]["key"] == "oppose"
    assert (
        client.put("/api/stances/nowhere", json=stance("nowhere"), headers=auth(BOB)).status_code
        == 404
    )
    assert (
        client.put("/api/stances/edit-me", json=stance("other-id"), headers=auth(BOB)).status_code
        == 422
    )
    # Delete: a dry run keeps it, then it goes with its evidence, then a 404.
    dry = client.delete("/api/stances/edit-me", headers=auth(BOB), params={"dry_run": "true"})
    assert dry.status_code == 200 and dry.json()["removed"] > 0
    assert client.get("/api/stances/edit-me").status_code == 200
    gone = client.delete("/api/stances/edit-me", headers=auth(BOB))
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert client.get("/api/stances/edit-me").status_code == 404
    assert not ask(client, f'ASK {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{SG}stance/edit-me")) }}')
    assert client.delete("/api/stances/edit-me", headers=auth(BOB)).status_code == 404


def test_delete_refused_while_a_meta_stance_points_at_it(client: httpx.Client) -> None:
    target = "russia-pledges-reduced-activity-kyiv-chernihiv"
    r = client.delete(f"/api/stances/{target}", headers=auth(WRITE))
    assert r.status_code == 422 and r.json()["error"]["code"] == "shacl_violation"
    assert client.get(f"/api/stances/{target}").status_code == 200


def test_create_source_actor_proposition_inline_then_code_with_them(
    client: httpx.Client,
) -> None:
    source = {
        "id": "coded-interview",
        "type": "Transcript",
        "title": "An interview coded in the workbench",
        "publisher": "afp",
        "published": "2022-04-02",
        "language": "en",
    }
    actor = {"id": "coded-envoy", "type": "Person", "label": "A coded envoy"}
    prop = {"id": "coded-corridor", "label": "A humanitarian corridor", "demand_type": "ceasefire"}
    for path, record in (
        ("/api/sources", source),
        ("/api/actors", actor),
        ("/api/propositions", prop),
    ):
        dry = client.post(path, json=record, headers=auth(ALICE), params={"dry_run": "true"})
        assert dry.status_code == 200, dry.text
        r = client.post(path, json=record, headers=auth(ALICE))
        assert r.status_code == 201, r.text
        assert client.get(r.headers["location"]).status_code == 200
        assert client.post(path, json=record, headers=auth(ALICE)).status_code == 409
    bad = client.post(
        "/api/propositions",
        json={**prop, "id": "x-prop", "demand_type": "nope"},
        headers=auth(ALICE),
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "demand_type"
    r = client.post(
        "/api/sources/coded-interview/stances",
        json=stance(
            "envoy-wants-corridor",
            holder="coded-envoy",
            voiced_by=None,
            target="coded-corridor",
            evidence=[{"paragraph": 1, "quote": "a corridor now"}],
        ),
        headers=auth(ALICE),
    )
    assert r.status_code == 201, r.text
    assert ask(
        client,
        f"ASK {{ GRAPH <{SG}graph/source/coded-interview> {{ <{SG}stance/envoy-wants-corridor> "
        f"<https://w3id.org/stancegraph/ns#holder> <{SG}actor/coded-envoy> }} }}",
    )


def test_openapi_documents_the_write_routes(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    post = paths["/api/sources/{source}/stances"]["post"]
    assert {"201", "401", "403", "409", "422"} <= set(post["responses"])
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"holder", "target", "polarity", "evidence"} <= set(schema["properties"])
    assert "prefix" in schema["properties"]["evidence"]["items"]["properties"]
    assert "$ref" not in str(schema)
    params = {p["name"] for p in post["parameters"]}
    assert {"dry_run", "Idempotency-Key"} <= params
    assert {"put", "delete"} <= set(paths["/api/stances/{id}"])
    for path in ("/api/sources", "/api/actors", "/api/propositions"):
        assert "post" in paths[path] and "requestBody" in paths[path]["post"]
    own_post = paths["/api/sources/{source}/coders/{coder}/stances"]["post"]
    assert {"201", "401", "403", "409", "422"} <= set(own_post["responses"])
    assert {"dry_run", "Idempotency-Key"} <= {p["name"] for p in own_post["parameters"]}
    assert {"get", "put", "delete"} <= set(
        paths["/api/sources/{source}/coders/{coder}/stances/{id}"]
    )
    merge = paths["/api/sources/{source}/merge"]["post"]
    assert "accept" in merge["requestBody"]["content"]["application/json"]["schema"]["properties"]


def own(coder: str) -> str:
    return f"/api/sources/{SOURCE}/coders/{coder}/stances"


def unit(sid: str, polarity: str, paragraph: int, start: int) -> dict[str, Any]:
    span = {"paragraph": paragraph, "quote": "q" * 10, "start": start, "end": start + 10}
    return stance(sid, holder="russia", voiced_by=None, polarity=polarity, evidence=[span])


def read_model(client: httpx.Client) -> tuple[int, int]:
    """What the JSON read model says about Russia on the ceasefire (the analytics are
    checked in test_agreement, on the library, where no answer can be stale)."""
    page = client.get("/api/stances", params={"holder": "russia", "target": "ceasefire"})
    prop = client.get("/api/propositions/ceasefire")
    assert page.status_code == prop.status_code == 200, prop.text
    return page.json()["total"], prop.json()["stance_count"]


def test_own_space_auth_201_409_422_dry_run_and_idempotent_retry(client: httpx.Client) -> None:
    url = own("alice")
    body = unit("own-1", "support", 11, 0)
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=auth(READ)).status_code == 403
    other = client.post(url, json=body, headers=auth(BOB))
    assert other.status_code == 403 and other.json()["error"]["code"] == "not_your_space"
    bad = client.post(url, json={**body, "polarity": "sideways"}, headers=auth(ALICE))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_record"
    assert any(d["field"] == "polarity" for d in bad.json()["error"]["details"])
    ghost = client.post(url, json={**body, "holder": "no-such-actor"}, headers=auth(ALICE))
    assert ghost.status_code == 422
    dry = client.post(url, params={"dry_run": "true"}, json=body, headers=auth(ALICE))
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["added"] > 0
    assert client.get(f"{url}/own-1").status_code == 404
    key = {"Idempotency-Key": str(uuid.uuid4()), **auth(ALICE)}
    first = client.post(url, json=body, headers=key)
    assert first.status_code == 201, first.text
    assert first.headers["Location"] == f"{url}/own-1"
    again = client.post(url, json=body, headers=key)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert client.post(url, json=body, headers=auth(ALICE)).status_code == 409
    got = client.get(f"{url}/own-1")
    assert got.status_code == 200 and got.json()["record"]["polarity"] == "support"
    assert got.json()["coder"] == "alice" and got.json()["merged_into"] is None
    # Bob may code the same id in his own space: the spaces are independent.
    assert client.post(own("bob"), json=body, headers=auth(BOB)).status_code == 201
    # Edit and delete, own space only; the record never saw any of it.
    put = client.put(f"{url}/own-1", json={**body, "polarity": "oppose"}, headers=auth(ALICE))
    assert put.status_code == 200, put.text
    assert client.get(f"{url}/own-1").json()["record"]["polarity"] == "oppose"
    assert client.put(f"{url}/own-1", json=body, headers=auth(BOB)).status_code == 403
    assert client.delete(f"{url}/own-1", headers=auth(BOB)).status_code == 403
    assert client.delete(f"{url}/own-1", headers=auth(ALICE)).status_code == 200
    assert client.get(f"{url}/own-1").status_code == 404
    assert client.delete(f"{url}/own-1", headers=auth(ALICE)).status_code == 404
    assert client.delete(f"{own('bob')}/own-1", headers=auth(BOB)).status_code == 200
    assert client.get("/api/stances/own-1").status_code == 404


def test_two_coders_agreement_merge_adjudication_and_no_double_count(
    client: httpx.Client,
) -> None:
    before = read_model(client)
    for sid, pol, par, start, who, coder in [
        ("ag-1", "support", 7, 0, ALICE, "alice"),
        ("ag-1", "support", 7, 4, BOB, "bob"),  # the same unit, the same polarity
        ("ag-a2", "oppose", 8, 0, ALICE, "alice"),
        ("ag-b2", "support", 8, 0, BOB, "bob"),  # the same unit, disputed
        ("ag-a3", "reject", 10, 0, ALICE, "alice"),  # only Alice
    ]:
        r = client.post(own(coder), json=unit(sid, pol, par, start), headers=auth(who))
        assert r.status_code == 201, r.text
    # Unmerged work is in SPARQL (its coding graph) but not in the read model or analytics.
    assert ask(
        client,
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> ASK { GRAPH ?g { ?g a sg:CodingGraph . "
        f"?d a sg:CodedStance }} FILTER(?d = <{SG}coding/{SOURCE}/bob/ag-b2>) }}",
    )
    assert read_model(client) == before
    listed = client.get(f"/api/sources/{SOURCE}/coders").json()["coders"]
    assert {c["coder"] for c in listed} >= {"alice", "bob"}

    url = f"/api/sources/{SOURCE}/agreement"
    r = client.get(url, params={"coders": "alice,bob"})
    assert r.status_code == 200, r.text
    body = r.json()
    pairs = {(m["a"], m["b"], m["agree"]) for m in body["matched"]}
    assert {("ag-1", "ag-1", True), ("ag-a2", "ag-b2", False)} <= pairs
    assert "ag-a3" in body["only"]["alice"]
    assert client.get(url, params={"coders": "alice,alice"}).status_code == 422
    assert client.get(url, params={"coders": "alice"}).status_code == 422
    assert (
        client.get("/api/sources/nope/agreement", params={"coders": "alice,bob"}).status_code == 404
    )

    merge = f"/api/sources/{SOURCE}/merge"
    assert client.post(merge, params={"coders": "alice,bob"}).status_code == 401
    assert client.post(merge, params={"coders": "alice,bob"}, headers=auth(READ)).status_code == 403
    dry = client.post(merge, params={"coders": "alice,bob", "dry_run": "true"}, headers=auth(BOB))
    assert dry.status_code == 200 and dry.json()["dry_run"] is True, dry.text
    assert [m["stance"] for m in dry.json()["merged"]] == ["ag-1"]
    assert client.get("/api/stances/ag-1").status_code == 404 and read_model(client) == before
    bad = client.post(
        merge,
        params={"coders": "alice,bob"},
        json={"accept": [{"coder": "carol", "stance": "x"}]},
        headers=auth(WRITE),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_accept"

    r = client.post(merge, params={"coders": "alice,bob"}, headers=auth(WRITE))
    assert r.status_code == 200, r.text
    done = r.json()
    assert [(m["stance"], m["how"], m["coders"]) for m in done["merged"]] == [
        ("ag-1", "agreed", ["alice", "bob"])
    ]
    assert [(d["a"], d["b"]) for d in done["disagreements"]] == [("ag-a2", "ag-b2")]
    assert "ag-a3" in done["only"]["alice"] and done["activity"]
    # The merged stance counts once, with who coded and who merged it (PROV).
    assert read_model(client) == (before[0] + 1, before[1] + 1)
    assert ask(
        client,
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX sg: <https://w3id.org/stancegraph/ns#> "
        f"ASK {{ <{SG}stance/ag-1> prov:wasAttributedTo <{SG}coder/alice>, <{SG}coder/bob> ; "
        f"sg:promotedFrom <{SG}coding/{SOURCE}/alice/ag-1>, <{SG}coding/{SOURCE}/bob/ag-1> ; "
        f"prov:wasGeneratedBy [ prov:wasAssociatedWith <{SG}coder/operator> ] }}",
    )
    assert client.get(f"{own('bob')}/ag-1").json()["merged_into"] == "ag-1"
    # An edit of the merged stance keeps where it came from.
    record = client.get("/api/stances/ag-1/record").json()
    edit = client.put(
        "/api/stances/ag-1", json={**record, "summary": "edited"}, headers=auth(WRITE)
    )
    assert edit.status_code == 200, edit.text
    assert ask(
        client,
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> "
        f"ASK {{ <{SG}stance/ag-1> sg:promotedFrom <{SG}coding/{SOURCE}/bob/ag-1> }}",
    )
    # Adjudication: accept Bob's version of the disputed unit; a retry promotes nothing twice.
    adj = client.post(
        merge,
        params={"coders": "alice,bob"},
        json={"accept": [{"coder": "bob", "stance": "ag-b2"}]},
        headers=auth(ALICE),
    )
    assert adj.status_code == 200, adj.text
    assert [(m["stance"], m["how"]) for m in adj.json()["merged"]] == [("ag-b2", "accepted")]
    assert adj.json()["disagreements"] == []
    assert client.get("/api/stances/ag-b2").json()["polarity"]["key"] == "support"
    assert client.get("/api/stances/ag-a2").status_code == 404
    again = client.post(merge, params={"coders": "alice,bob"}, headers=auth(WRITE))
    assert again.status_code == 200 and again.json()["merged"] == [] and again.json()["added"] == 0
    twice = client.post(
        merge,
        params={"coders": "alice,bob"},
        json={"accept": [{"coder": "alice", "stance": "ag-a2"}]},
        headers=auth(WRITE),
    )
    assert twice.status_code == 422  # that unit is adjudicated already
    # All or nothing: an id taken in the record refuses the whole merge, with a 409.
    for sid, par in (("ag-a3", 20), ("ag-b4", 21)):  # ag-a3 is Alice's, and a stance already
        r = client.post(own("bob"), json=unit(sid, "reject", par, 0), headers=auth(BOB))
        assert r.status_code == 201, r.text
    client.post(
        merge,
        params={"coders": "alice,bob"},
        json={"accept": [{"coder": "alice", "stance": "ag-a3"}]},
        headers=auth(WRITE),
    ).raise_for_status()
    conflict = client.post(
        merge,
        params={"coders": "alice,bob"},
        json={"accept": [{"coder": "bob", "stance": "ag-b4"}, {"coder": "bob", "stance": "ag-a3"}]},
        headers=auth(WRITE),
    )
    assert conflict.status_code == 409 and "ag-a3" in conflict.json()["error"]["message"]
    assert client.get("/api/stances/ag-b4").status_code == 404


def test_idempotency_in_flight_conflict_and_byte_bound() -> None:
    """A second request with a key still running is a 409; answers kept stay within
    the byte bound, oldest evicted first."""
    import asyncio

    from fastapi.responses import JSONResponse

    from stancegraph.api.coding import Idempotency
    from stancegraph.api.errors import ApiError

    async def scenario() -> None:
        cache = Idempotency(max_bytes=2000)
        release = asyncio.Event()

        async def slow() -> JSONResponse:
            await release.wait()
            return JSONResponse({"ok": 1}, status_code=201)

        first = asyncio.create_task(cache.run(("alice", "POST", "/p", "k"), "fp", slow))
        await asyncio.sleep(0)
        with pytest.raises(ApiError) as err:
            await cache.run(("alice", "POST", "/p", "k"), "fp", slow)
        assert err.value.status == 409 and err.value.code == "idempotency_key_in_use"
        release.set()
        assert (await first).status_code == 201
        for i in range(20):

            async def body(i: int = i) -> JSONResponse:
                return JSONResponse({"pad": "x" * 200, "i": i}, status_code=201)

            await cache.run(("alice", "POST", "/p", f"key-{i}"), "fp", body)
        assert cache.size <= cache.max_bytes
        assert ("alice", "POST", "/p", "key-19") in cache.entries
        assert ("alice", "POST", "/p", "key-0") not in cache.entries

    asyncio.run(scenario())

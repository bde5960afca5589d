"""Issue #15: nothing surprises a user. Each test drives what a user does: the CLI through a
subprocess, HTTP through a real ``stancegraph serve``, the Python API as a notebook would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import stancegraph

pytestmark = [
    pytest.mark.slow,  # end-to-end CLI and server runs
    pytest.mark.embedded_only(reason="on-disk stores and local CLI runs"),
]

DUP_SOURCE = """\
source:
  id: my-press-review
  title: A second report that reuses a seed stance id
  publisher: quebec-daily
  published: 2022-04-01
  language: en
stances:
  - id: ukraine-nominates-canada-as-guarantor
    holder: ukraine
    target: ceasefire
    polarity: support
    speech_act: demand
    modality: asserted
    stated: 2022-04-01
    evidence:
      - paragraph: 1
"""

MY_ENTITIES = """\
actors:
  - id: my-ngo
    type: Organization
    label: My NGO
"""

MY_SOURCE = """\
source:
  id: my-source
  title: My own report
  publisher: my-ngo
  published: 2022-04-02
  language: en
stances:
  - id: my-ngo-supports-ceasefire
    holder: ukraine
    target: ceasefire
    polarity: support
    speech_act: demand
    modality: asserted
    stated: 2022-04-01
    evidence:
      - paragraph: 1
"""


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stancegraph", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("seeded") / "store"
    r = cli("load", "--store", str(store), "--seed")
    assert r.returncode == 0, r.stderr
    return store


# --------------------------------------------------------------------------- item 1


def test_reused_stance_id_is_refused_and_nothing_written(
    seeded_store: Path, tmp_path: Path
) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text(DUP_SOURCE)
    before = cli("export", "--store", str(seeded_store), "--format", "nquads").stdout
    r = cli("load", "--store", str(seeded_store), str(dup))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "SHACL conforms" not in r.stdout
    # the id, the file and line, and the source that owns it
    assert f"{dup}:8:" in r.stderr, r.stderr
    assert "ukraine-nominates-canada-as-guarantor" in r.stderr
    assert "source '2022-03-29-istanbul-talks-report'" in r.stderr
    after = cli("export", "--store", str(seeded_store), "--format", "nquads").stdout
    assert after == before
    v = cli("validate", "--store", str(seeded_store))
    assert v.returncode == 0, v.stdout


def test_reused_stance_id_is_refused_by_validate(tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text(DUP_SOURCE)
    r = cli("validate", "--seed", str(dup))
    assert r.returncode == 1
    assert "duplicate stance id 'ukraine-nominates-canada-as-guarantor'" in r.stderr, r.stderr


def test_reloading_a_source_keeps_its_own_ids(seeded_store: Path) -> None:
    """Idempotence still holds: a source may redefine the stances it owns."""
    r = cli("load", "--store", str(seeded_store), "--seed")
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------- item 2


@pytest.mark.parametrize(
    "command",
    [
        ["info"],
        ["query", "ASK {}"],
        ["validate"],
        ["export"],
        ["analyze", "guarantors"],
        ["dump", "out.nq"],
    ],
)
def test_a_mistyped_store_path_is_an_error(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "typo"
    r = cli(*command[:1], "--store", str(typo), *command[1:], cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    assert f"no store at {typo}" in r.stderr
    assert not typo.exists()


def test_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    typo = tmp_path / "typo"
    r = subprocess.run(
        [sys.executable, "-m", "stancegraph", "serve", "--store", str(typo), "--port", "9"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 1
    assert f"no store at {typo}" in r.stderr
    assert not typo.exists()


def test_create_makes_an_empty_store_on_request(tmp_path: Path) -> None:
    new = tmp_path / "new"
    r = cli("info", "--store", str(new), "--create")
    assert r.returncode == 0, r.stderr
    assert "stances: 0" in r.stdout
    assert cli("info", "--store", str(new)).returncode == 0


# --------------------------------------------------------------------------- item 5


def _my_files(tmp_path: Path) -> list[str]:
    ent, src = tmp_path / "my-entities.yaml", tmp_path / "my-source.yaml"
    ent.write_text(MY_ENTITIES)
    src.write_text(MY_SOURCE)
    return [str(ent), str(src)]


def test_files_alone_or_with_seed_behave_the_same_everywhere(tmp_path: Path, serve) -> None:
    files = _my_files(tmp_path)
    # Alone: 'ukraine' and 'ceasefire' are the seed's, so every entry point says so.
    alone = cli("validate", *files)
    assert alone.returncode == 1
    assert "unknown actor 'ukraine'" in alone.stderr
    served = cli("serve", "--port", "9", *files)
    assert served.returncode == 1
    assert "unknown actor 'ukraine'" in served.stderr
    with pytest.raises(ValueError, match="unknown actor 'ukraine'"):
        stancegraph.open(files=files)
    # With the seed: the same files pass everywhere.
    ok = cli("validate", "--seed", *files)
    assert ok.returncode == 0, ok.stderr
    kg = stancegraph.open(files=files, seed=True)
    holders = set(kg.stances(source="my-source")["holder"])
    assert holders == {"https://w3id.org/stancegraph/id/actor/ukraine"}
    assert len(kg.stances()) == len(stancegraph.open().stances()) + 1
    server = serve("--seed", *files)
    r = httpx.get(f"{server.url}/api/stances", params={"source": "my-source"}, timeout=30)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["items"]] == ["my-ngo-supports-ceasefire"]


def test_open_with_a_list_says_how_to_pass_files() -> None:
    with pytest.raises(TypeError, match=r"open\(files=\[...\]\)"):
        stancegraph.open(["a.yaml"])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- item 4


def test_short_ids_and_iris_resolve_in_cli_named_queries() -> None:
    short = cli("query", "--example", "actor-stances", "-p", "actor=russia", "--format", "csv")
    iri = cli(
        "query",
        "--example",
        "actor-stances",
        "-p",
        "actor=https://w3id.org/stancegraph/id/actor/russia",
        "--format",
        "csv",
    )
    assert short.returncode == iri.returncode == 0, short.stderr + iri.stderr
    assert len(short.stdout.strip().splitlines()) > 1  # header + rows
    assert short.stdout == iri.stdout
    typo = cli("query", "--example", "actor-stances", "-p", "actor=rusia")
    assert typo.returncode == 1
    assert "no actor 'rusia'; did you mean 'russia'" in typo.stderr


def test_unknown_ids_and_values_are_the_same_error_everywhere(live_server: str) -> None:
    kg = stancegraph.open()
    cases = [
        ("holder", "ukrain", "did you mean 'ukraine'"),
        ("polarity", "lukewarm", "no polarity key 'lukewarm'"),
        ("target", "ceasfire", "did you mean 'ceasefire'"),
        ("source", "nope", "no source 'nope'"),
    ]
    for field, value, said in cases:
        with pytest.raises(ValueError, match=said):
            kg.stances(**{field: value})
        r = httpx.get(f"{live_server}/api/stances", params={field: value}, timeout=30)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert said in err["message"]
        assert err["details"][0]["location"] == f"query.{field}"
        assert err["details"][0]["input"] == value
    assert err["details"][0]["suggestions"] == []  # 'nope' is near nothing
    r = httpx.get(f"{live_server}/api/stances", params={"holder": "ukrain"}, timeout=30)
    assert r.json()["error"]["details"][0]["suggestions"][0] == "ukraine"
    assert len(kg.stances(holder="ukraine")) > 0


@pytest.mark.parametrize(
    ("args", "route", "params", "said"),
    [
        (
            ["guarantors", "--party", "nobody"],
            "guarantors",
            {"party": "nobody"},
            "no actor 'nobody'",
        ),
        (["coalitions", "--source", "nope"], "coalitions", {"source": "nope"}, "no source 'nope'"),
        (
            ["conditions", "--met", "ceasfire"],
            "conditions",
            {"met": "ceasfire"},
            "did you mean 'ceasefire'",
        ),
    ],
)
def test_analytics_refuse_unknown_ids(
    live_server: str, args: list[str], route: str, params: dict[str, str], said: str
) -> None:
    r = cli("analyze", *args)
    assert r.returncode == 1
    assert said in r.stderr
    h = httpx.get(f"{live_server}/api/analytics/{route}", params=params, timeout=60)
    assert h.status_code == 422, h.text
    assert said in h.json()["error"]["message"]


def test_analyze_options_of_other_analyses_are_refused() -> None:
    r = cli("analyze", "guarantors", "--met", "ceasefire")
    assert r.returncode == 2
    assert "--met is for 'analyze conditions' only" in r.stderr


# --------------------------------------------------------------------------- item 6

_SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/stancegraph/ns#Actor> } LIMIT 3"
_CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"


@pytest.mark.parametrize(
    ("fmt", "query", "media"),
    [
        ("TSV", _SELECT, "text/tab-separated-values"),
        ("RDFXML", _CONSTRUCT, "application/rdf+xml"),
        ("JSONLD", _CONSTRUCT, "application/ld+json"),
        ("CSV", _SELECT, "text/csv"),
        ("XML", _SELECT, "application/sparql-results+xml"),
    ],
)
def test_sparqlwrapper_formats(live_server: str, fmt: str, query: str, media: str) -> None:
    import SPARQLWrapper

    sw = SPARQLWrapper.SPARQLWrapper(f"{live_server}/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(getattr(SPARQLWrapper, fmt))
    res = sw.query()
    assert res.response.status == 200
    assert res.response.headers["Content-Type"].startswith(media)
    assert res.convert()


def test_disagreeing_format_parameters_are_a_400(live_server: str) -> None:
    r = httpx.get(
        f"{live_server}/sparql",
        params={"query": _SELECT, "format": "csv", "output": "json"},
        timeout=30,
    )
    assert r.status_code == 400
    assert "format=csv, output=json" in r.json()["error"]["message"]


def test_a_dataset_without_a_query_is_a_400(live_server: str) -> None:
    r = httpx.get(
        f"{live_server}/sparql", params={"default-graph-uri": "http://example.org/g"}, timeout=30
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "missing_query"
    plain = httpx.get(f"{live_server}/sparql", timeout=30)  # the service description
    assert plain.status_code == 200


# --------------------------------------------------------------------------- item 8

ORIGIN = "https://ui.example"


def test_cross_origin_revalidation_and_refusals_in_the_envelope(serve) -> None:
    server = serve("--cors-origin", ORIGIN)
    url = f"{server.url}/api/actors"
    pre = httpx.options(
        url,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match, cache-control",
        },
        timeout=30,
    )
    assert pre.status_code == 200, pre.text
    assert "if-none-match" in pre.headers["access-control-allow-headers"].lower()
    first = httpx.get(url, headers={"Origin": ORIGIN}, timeout=30)
    assert "etag" in first.headers["access-control-expose-headers"].lower()
    again = httpx.get(
        url, headers={"Origin": ORIGIN, "If-None-Match": first.headers["etag"]}, timeout=30
    )
    assert again.status_code == 304
    bad = httpx.options(
        url,
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-secret",
        },
        timeout=30,
    )
    assert bad.status_code == 400
    err = bad.json()["error"]
    assert err["code"] == "cors_refused"
    assert "origin 'https://evil.example' is not allowed" in err["message"]
    assert "headers 'x-secret' is not allowed" in err["message"]
    assert {d["location"] for d in err["details"]} == {"header.origin", "header.headers"}


# --------------------------------------------------------------------------- item 9


def _all_pages(url: str, params: list[tuple[str, str]]) -> list[dict]:
    items: list[dict] = []
    r = httpx.get(url, params=params, timeout=30)
    while True:
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if "next" not in r.links:
            return items
        r = httpx.get(r.links["next"]["url"], timeout=30)


def test_repeated_filters_mean_or_on_every_list(live_server: str) -> None:
    api = f"{live_server}/api"

    def ids(path: str, params: list[tuple[str, str]]) -> set[str]:
        r = httpx.get(f"{api}/{path}", params=params, timeout=30)
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    ua = _all_pages(f"{api}/stances", [("holder", "ukraine"), ("limit", "4")])
    ru = _all_pages(f"{api}/stances", [("holder", "russia"), ("limit", "4")])
    both = _all_pages(
        f"{api}/stances", [("holder", "ukraine"), ("holder", "russia"), ("limit", "4")]
    )
    assert ua and ru
    assert {s["id"] for s in both} == {s["id"] for s in ua} | {s["id"] for s in ru}
    assert len(both) == len(ua) + len(ru)  # the Link pages keep both values
    for path, name, a, b in [
        ("actors", "type", "StateActor", "Person"),
        ("propositions", "demand_type", "security-guarantee", "ceasefire"),
        ("conditions", "holder", "ukraine", "russia"),
        ("guarantor-nominations", "modality", "asserted", "possible"),
        ("stances", "polarity", "skeptical", "commitment"),
    ]:
        one, two = ids(path, [(name, a)]), ids(path, [(name, b)])
        assert one and two, (path, one, two)
        assert ids(path, [(name, a), (name, b)]) == one | two, path
    r = httpx.get(f"{api}/stances", params=[("holder", "ukraine"), ("holder", "nobody")])
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["input"] == "nobody"


# --------------------------------------------------------------------------- item 10


def _refs(obj: object) -> list[dict]:
    """Every object with an ``iri`` inside a JSON document."""
    found: list[dict] = []
    if isinstance(obj, dict):
        if "iri" in obj:
            found.append(obj)
        for v in obj.values():
            found += _refs(v)
    elif isinstance(obj, list):
        for v in obj:
            found += _refs(v)
    return found


def test_one_shape_for_the_json_api(live_server: str) -> None:
    api = f"{live_server}/api"

    def get(path: str, **params: object) -> dict:
        r = httpx.get(f"{api}/{path}", params=params, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    docs = [
        get("stances", holder="ukraine", include=["evidence", "conditions"]),
        get("actors/volodymyr-zelensky"),
        get("analytics/guarantors"),
        get("analytics/layout"),
        get("guarantor-nominations"),
        get("vocabularies"),
    ]
    # Every reference: a short id, the full IRI and a label, wherever it appears.
    for doc in docs:
        for ref in _refs(doc):
            assert "id" in ref, ref
            assert not ref["id"].startswith("https://w3id.org/stancegraph/id/"), ref
    layout = docs[3]
    ukraine = next(n for n in layout["nodes"] if n["id"] == "ukraine")
    assert ukraine["iri"] == "https://w3id.org/stancegraph/id/actor/ukraine"
    # Named-query rows are snake_case like every other field.
    rows = get("queries/guarantor-nominations")
    assert "nominee_label" in rows["columns"] and "nominee_label" in rows["rows"][0]
    # Values are kebab-case; PascalCase is still understood on input.
    biden = get("actors/joe-biden")
    assert biden["type"] == "person"
    assert get("actors", type="Person")["total"] == get("actors", type="person")["total"] > 0
    # Ids with slashes answer at their natural routes.
    for role in docs[1]["roles"]:
        assert get(f"memberships/{role['id']}")["iri"] == role["iri"]
    cond = get("conditions")["items"][0]
    assert get(f"conditions/{cond['id']}")["iri"] == cond["iri"]
    # Lists page, filter by text and ignore the cache buster.
    for path in ("actors", "propositions"):
        first = get(path, limit=3, _=123)
        assert len(first["items"]) == 3 and first["next_cursor"]
        rest = get(path, limit=500, cursor=first["next_cursor"])
        assert len(first["items"]) + len(rest["items"]) == first["total"]
    assert {a["id"] for a in get("actors", q="UKRAINE")["items"]} >= {"ukraine"}
    # One request gives a page of stances with their evidence.
    page = docs[0]
    assert page["items"] and all("evidence" in s and "conditions" in s for s in page["items"])
    assert sum(len(s["evidence"]) for s in page["items"]) == sum(
        s["evidence_count"] for s in page["items"]
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/stances", {"holder": "nobody"}),
        ("/api/stances", {"holdr": "x"}),
        ("/api/queries/nope", {}),
        ("/api/stances/nope", {}),
        ("/sparql", {"query": "SELEC ?s"}),
        ("/api/analytics/guarantors", {"party": "nobody"}),
        ("/sparql", {"query": "SELECT * {}", "format": "nope"}),
    ],
)
def test_error_details_are_always_a_list(live_server: str, path: str, params: dict) -> None:
    r = httpx.get(f"{live_server}{path}", params=params, timeout=30)
    assert r.status_code >= 400
    err = r.json()["error"]
    assert set(err) == {"status", "code", "message", "details"}
    assert isinstance(err["details"], list)
    assert all(isinstance(d, dict) for d in err["details"])


# --------------------------------------------------------------------------- item 11


def test_predeclared_prefixes_and_tables_that_can_be_typed_back() -> None:
    listed = cli("prefixes")
    assert listed.returncode == 0
    for p in ("sg", "id", "rdf", "rdfs", "skos", "xsd", "schema", "prov", "oa", "org", "dcterms"):
        assert any(line.startswith(f"{p}:") for line in listed.stdout.splitlines()), p
    table = cli(
        "query", "SELECT ?s ?p WHERE { ?s ?p sg:GuarantorNomination ; sg:holder actor:ukraine }"
    )
    assert table.returncode == 0, table.stderr
    first = table.stdout.splitlines()[2].split()
    assert first[1] == "rdf:type"
    assert first[0].startswith("stance:")
    # What the table shows can be typed back into a query.
    again = cli("query", f"ASK {{ {first[0]} {first[1]} sg:GuarantorNomination }}")
    assert again.stdout.strip() == "true", again.stderr
    kg = stancegraph.open()
    assert kg.query(f"ASK {{ {first[0]} a sg:Stance }}").boolean is True


def test_a_keyword_typo_says_what_is_wrong() -> None:
    r = cli("query", "SELEC ?s WHERE { ?s ?p ?o }")
    assert r.returncode == 2
    assert "did you mean SELECT?" in r.stderr
    assert "\\u{" not in r.stderr
    r = cli("query", "SELECT ?s WHERE { ?s nope:x ?o }")
    assert "unknown prefix 'nope:'" in r.stderr and "\\u{" not in r.stderr
    with pytest.raises(SyntaxError, match="line 2, column"):
        stancegraph.open().query("SELECT ?s\nWHERE { ?s ?p ?o")


# --------------------------------------------------------------------------- items 12, 13

LATE_SOURCE = """\
source:
  id: late-source
  title: A report
  publisher: quebec-daily
  published: 2022-04-01
  language: en
stances:
  - id: ukraine-late-stance
    holder: ukraine
    target: ceasefire
    polarity: support
    speech_act: demand
    modality: asserted
    stated: 2022-04-05
    evidence:
      - paragraph: 1
"""


def test_validate_json_reports_every_kind_of_finding(tmp_path: Path) -> None:
    import json

    bad = tmp_path / "bad.yaml"
    bad.write_text("stances:\n  - id: x\n    holder: nobody\n")
    r = cli("validate", "--json", str(bad))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["conforms"] is False and doc["violations"] == []
    assert {p["field"] for p in doc["problems"]} >= {"evidence", "stated"}
    assert all(p["file"] == str(bad) and p["line"] == 2 for p in doc["problems"])
    late = tmp_path / "late.yaml"
    late.write_text(LATE_SOURCE)
    r = cli("validate", "--json", "--seed", str(late))
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["problems"] == []
    (finding,) = doc["violations"]
    assert finding["location"] == f"{late}:8"
    ok = json.loads(cli("validate", "--json").stdout)
    assert ok["conforms"] is True and ok["problems"] == []


def test_shacl_findings_read_like_the_input(tmp_path: Path) -> None:
    late = tmp_path / "late.yaml"
    late.write_text(LATE_SOURCE)
    r = cli("validate", "--seed", str(late))
    assert r.returncode == 1
    line = next(x for x in r.stdout.splitlines() if "Violation" in x)
    assert line.strip().startswith(f"{late}:8: Violation: stance:ukraine-late-stance")
    assert "field sg:statedAt" in line
    assert "(2022-04-01)" in line and "T00:00" not in line
    assert "https://" not in line


def test_cli_rough_edges(tmp_path: Path) -> None:
    # A closed pipe ends the command quietly.
    p = subprocess.Popen(
        [sys.executable, "-m", "stancegraph", "export", "--format", "nquads"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdout is not None and p.stderr is not None
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(timeout=120)
    assert "Broken pipe" not in err and "Traceback" not in err
    # Wide cells can be shown whole.
    # (the longest description: the store's row order varies between runs, and a short
    # one would fit the default width)
    q = "SELECT ?d WHERE { ?s a sg:Stance ; schema:description ?d } ORDER BY DESC(STRLEN(?d)) LIMIT 1"
    cut = cli("query", q).stdout.splitlines()[2]
    whole = cli("query", "--max-width", "0", q).stdout.splitlines()[2]
    assert cut.endswith("…") and len(whole) > len(cut) and not whole.endswith("…")
    # Turtle exports declare prefixes and group by subject.
    ttl = cli("export", "--format", "turtle").stdout
    assert "@prefix sg: <https://w3id.org/stancegraph/ns#> ." in ttl
    assert "\nstance:russia-pledges-reduced-activity-kyiv-chernihiv " in ttl
    assert ttl.count(" ;\n") > ttl.count("\nstance:")  # one subject, several lines
    # An unknown graph is an error, not an empty file.
    nope = cli("export", "--graph", "http://nope/")
    assert nope.returncode == 1 and "no graph <http://nope/>" in nope.stderr
    # A missing file is named, and no store is made for it.
    store = tmp_path / "s"
    miss = cli("load", "--store", str(store), "missing.ttl", cwd=tmp_path)
    assert miss.returncode == 2 and "no such file: missing.ttl" in miss.stderr
    assert not store.exists()
    # --seed means the seed dataset; analyze's random seed is --random-seed.
    assert cli("analyze", "coalitions", "--random-seed", "3").returncode == 0


# --------------------------------------------------------------------------- item 14


def test_python_api_reads_well_in_a_notebook() -> None:
    import pandas as pd

    kg = stancegraph.open()
    r = kg.example("guarantor-nominations")
    assert repr(r).startswith("<Result select: 9 rows") and len(repr(r)) < 300
    assert repr(kg) == f"<StanceGraph in memory: {len(kg.store)} quads>"
    assert repr(kg.validate()).startswith("<ValidationReport conforms")
    assert repr(kg.analytics).startswith("<Analytics of <StanceGraph")
    assert repr(kg.examples()["actor-stances"]).startswith("<NamedQuery actor-stances")
    df = kg.stances(holder="ukraine")
    assert pd.api.types.is_datetime64_any_dtype(df["statedAt"])
    assert set(df["holder_id"]) == {"ukraine"}
    assert set(kg.example("actor-stances", actor="ukraine").df()["statedAt"].map(type)) == {
        pd.Timestamp
    }
    possible = kg.guarantor_nominations(modality="possible")
    assert set(possible["nominee_id"]) == {"turkey", "germany", "poland", "israel"}
    two = kg.guarantor_nominations(nominee=["turkey", "canada"])
    assert set(two["nominee_id"]) == {"turkey", "canada"}
    assert set(kg.actors(type="state-actor")["type"]) == {"StateActor"}
    with pytest.raises(ValueError, match="did you mean 'person'"):
        kg.actors(type="persn")


def test_readme_python_and_findings_hold() -> None:
    import json
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    kg = stancegraph.open()
    a = kg.analytics
    assert "a.coalitions().tables()  # DataFrames; .network gives the NetworkX graph" in readme
    assert a.coalitions().network.number_of_nodes() > 0
    states, every = re.search(
        r"frustration index of (\d+) \(over every holder, the default, it is (\d+)\)", readme
    ).groups()
    for args, expected in ((["--holders", "states"], states), ([], every)):
        out = cli("analyze", "coalitions", "--format", "json", *args)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["balance"]["frustration"] == int(expected)


# --------------------------------------------------------------------------- item 7


@pytest.fixture(scope="module")
def chromium() -> object:
    import importlib.util
    import shutil

    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed (pip install playwright)")
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("chromium is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.mark.browser
def test_docs_render_offline_in_a_browser(live_server: str, chromium: object) -> None:
    outside: list[str] = []

    def only_loopback(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(live_server):
            route.continue_()  # type: ignore[attr-defined]
        else:  # offline: nothing outside this server answers
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    page = chromium.new_page()  # type: ignore[attr-defined]
    try:
        page.route("**/*", only_loopback)
        page.goto(f"{live_server}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        assert page.locator(".opblock").count() > 20
        assert "stancegraph" in page.locator(".title").first.inner_text()
    finally:
        page.close()
    assert outside == []
    asset = httpx.get(f"{live_server}/docs/assets/swagger-ui.css", timeout=30)
    assert asset.status_code == 200 and asset.headers["content-type"].startswith("text/css")
    redoc = httpx.get(f"{live_server}/redoc", timeout=30).text
    assert "/docs/assets/redoc.standalone.js?v=" in redoc and "cdn" not in redoc.lower()


# --------------------------------------------------------------------------- item 15

NOMINEES = {
    "Canada",
    "China",
    "France",
    "Germany",
    "Israel",
    "Poland",
    "Turkey",
    "United Kingdom",
    "United States",
}


@pytest.mark.browser
def test_explorer_search_source_overview_and_query_page(live_server: str, chromium: object) -> None:
    context = chromium.new_context(  # type: ignore[attr-defined]
        base_url=live_server, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        # Every actor, the nine nominees included, is on the overview.
        page.goto("/#/")
        actors = page.locator("ul[aria-label='All actors'] li")
        actors.first.wait_for()
        listed = set(actors.locator("a").all_inner_texts())
        assert listed >= NOMINEES
        total = httpx.get(f"{live_server}/api/actors", params={"limit": 500}).json()["total"]
        assert actors.count() == total
        # The search box finds the source, whose page groups stances by paragraph.
        page.fill("#site-search", "Istanbul talks")
        page.press("#site-search", "Enter")
        page.wait_for_selector("#search-count")
        assert "#/search?q=Istanbul" in page.url
        page.locator(".search-results a[href^='#/source/']").first.click()
        page.wait_for_selector(".paragraph-group")
        assert page.locator("h1").inner_text().startswith("Reactions to the Russia")
        groups = page.locator(".paragraph-group h3").all_inner_texts()
        assert "Paragraph 5" in groups
        numbers = [int(g.split()[-1]) for g in groups if g.startswith("Paragraph ")]
        assert numbers == sorted(numbers)
        shown = page.locator(".paragraph-group li > a").count()
        assert shown >= 48  # every stance of the source, some under several paragraphs
        # The query page declares missing prefixes, sorts results and downloads CSV.
        page.goto("/#/query")
        page.fill("#sparql-text", "SELECT ?a ?n WHERE { ?a rdfs:label ?n ; a sg:StateActor }")
        button = page.locator(".prefix-button")
        button.wait_for()
        assert "rdfs:" in button.inner_text() and "sg:" in button.inner_text()
        button.click()
        text = page.input_value("#sparql-text")
        assert text.startswith("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>")
        assert "PREFIX sg: <https://w3id.org/stancegraph/ns#>" in text
        page.click("button[type=submit].primary")
        page.wait_for_selector("table.results tbody tr")
        page.locator("table.results th button", has_text="?n").click()
        names = page.locator("table.results tbody tr td:nth-child(2)").all_inner_texts()
        assert names == sorted(names, key=str.lower) and len(names) >= 9
        page.locator("table.results th button", has_text="?n").click()
        again = page.locator("table.results tbody tr td:nth-child(2)").all_inner_texts()
        assert again == list(reversed(names))
        assert page.locator("th[aria-sort=descending]").count() == 1
        with page.expect_download() as dl:
            page.click("text=Download CSV")
        csv_text = Path(dl.value.path()).read_text()
        assert csv_text.splitlines()[0].strip() == "a,n"
    finally:
        context.close()
    assert errors == []


_LABELS = """() => {
  const boxes = [...document.querySelectorAll('svg.network .labels text')]
    .map((t) => t.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, b] = [boxes[i], boxes[j]];
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) overlaps++;
  }
  return { shown: boxes.length, nodes: document.querySelectorAll('svg.network .node').length, overlaps };
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_network_labels_neither_overlap_nor_vanish(
    live_server: str, chromium: object, width: int
) -> None:
    context = chromium.new_context(  # type: ignore[attr-defined]
        base_url=live_server, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("/#/")
        page.locator("svg.network .labels text").first.wait_for()
        got = page.evaluate(_LABELS)
    finally:
        context.close()
    assert got["overlaps"] == 0, got
    assert got["shown"] == got["nodes"], got  # every node keeps its label
    assert errors == []


# --------------------------------------------------------------------------- item 16


def test_plot_helpers_draw_each_analysis(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    code = (
        "import matplotlib; matplotlib.use('Agg')\n"
        "import stancegraph, sys\n"
        "an = stancegraph.open().analytics\n"
        "for name, rep in [('c', an.coalitions()), ('g', an.guarantors()), ('d', an.conditions())]:\n"
        "    fig = rep.plot()\n"
        "    fig.savefig(f'{sys.argv[1]}/{name}.png')\n"
        "    print(name, len(fig.axes[0].collections), fig.axes[0].get_title())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert "frustration index" in lines["c"]
    assert "Guarantor nominations" in lines["g"]
    assert "Condition dependencies" in lines["d"]
    for name in "cgd":
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    # one marker per nomination on the guarantor plot: the nine of the seed
    assert int(lines["g"].split(" ", 1)[0]) == 9


def test_reading_commands_never_write_and_dumps_leave_derived_graphs_out(tmp_path: Path) -> None:
    """Issue #15 item 3: `analyze` on a store changes nothing in it; the derived analytics
    graph (written by the service for SPARQL) is regenerated, so dumps leave it out."""
    import pyoxigraph as ox

    store = tmp_path / "store"
    assert cli("load", "--store", str(store), "--seed").returncode == 0

    def count() -> int:
        return len(ox.Store.read_only(str(store)))

    before = count()
    for analysis in ("coalitions", "guarantors", "conditions", "positions"):
        r = cli("analyze", analysis, "--store", str(store))
        assert r.returncode == 0, r.stderr
    assert count() == before
    kg = stancegraph.open(store)
    kg.analytics.materialize()  # what the service does for SPARQL over the derived graph
    derived = "https://w3id.org/stancegraph/id/graph/analytics"
    assert derived in kg.store.named_graphs()
    del kg
    dump = tmp_path / "backup.nq"
    assert cli("dump", "--store", str(store), str(dump)).returncode == 0
    assert derived not in dump.read_text()
    assert len(dump.read_text().splitlines()) == before

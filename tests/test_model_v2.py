"""Model v2 (issue #16): expectations, reported speech, per-nominee guarantees, proposition
relations, sufficient conditions, context of a statement, inferred facts, position change
and source disagreement — on the recoded seed and on the synthetic datasets of
``tests/data`` (position-change: two reports a month apart; source-disagreement: two
reports of one briefing)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml
from conftest import make_client, shared_dir

import stancegraph
from stancegraph.analytics import Analytics, compare_sources, position_history
from stancegraph.cli.main import main as cli
from stancegraph.ingest.compiler import CompileError, Known, compile_texts, vocabulary_keys
from stancegraph.terms import ID, SG

with warnings.catch_warnings():
    warnings.simplefilter("ignore")


A, P, S = f"{ID}actor/", f"{ID}proposition/", f"{ID}stance/"
DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
SEED_SOURCE = REPO / "data/seed/sources/2022-03-29-istanbul-talks-report.yaml"


def slug(iri: str | None) -> str | None:
    return None if iri is None else iri.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def changes() -> stancegraph.StanceGraph:
    return stancegraph.open(seed=False, files=sorted((DATA / "position-change").glob("*.yaml")))


@pytest.fixture(scope="module")
def reports() -> stancegraph.StanceGraph:
    return stancegraph.open(seed=False, files=sorted((DATA / "source-disagreement").glob("*.yaml")))


# --------------------------------------------------------------------------- the seed


@pytest.mark.slow  # full pyshacl validation of every fixture
def test_fixtures_and_seed_conform_to_the_shapes(seed, changes, reports):
    for kg in (seed, changes, reports):
        report = kg.validate()
        assert report.conforms, str(report)


def test_seed_quotes_are_verbatim_in_their_paragraph():
    shared = shared_dir()
    if shared is None or not (shared / "sources/000_1b3c55e8fc4875cf.txt").exists():
        pytest.skip("../shared/sources not available")
    text = (shared / "sources/000_1b3c55e8fc4875cf.txt").read_text(encoding="utf-8")
    paragraphs = [line for line in text.split("\n") if line.strip()]
    data = yaml.safe_load(SEED_SOURCE.read_text(encoding="utf-8"))
    quotes = [
        (s["id"], e["paragraph"], e["quote"])
        for s in data["stances"]
        for e in s["evidence"]
        if e.get("quote")
    ]
    assert len(quotes) == 52
    for sid, para, quote in quotes:
        assert quote in paragraphs[para - 1], (sid, para, quote)


def test_who_opposes_a_peace_agreement_is_nobody(seed):
    """v1 listed Piskunova, who only forecast that a settlement could take long."""
    rows = seed.example("positions-by-proposition").rows
    on_peace = {r["polarityKey"] for r in rows if slug(r["proposition"]) == "peace-agreement"}
    assert on_peace == {"conditional-support"}
    forecasts = [
        r for r in seed.example("expectations-by-proposition").rows
        if slug(r["proposition"]) == "peace-agreement"
    ]  # fmt: skip
    pisk = next(r for r in forecasts if slug(r["holder"]) == "ekaterina-piskunova")
    assert (pisk["likelihoodKey"], pisk["horizonKey"]) == ("unlikely", "short-term")


def test_listed_coding_errors_are_fixed(seed):
    def one(sid: str) -> dict:
        (row,) = seed.select(
            "PREFIX sg: <https://w3id.org/stancegraph/ns#> SELECT ?stance ?h ?t ?p WHERE {"
            " ?stance sg:holder ?h ; sg:target ?t ; sg:polarity ?p }",
            stance=f"{S}{sid}",
        )
        return row

    sanctions = one("ukraine-sanctions-relief-only-after-war")
    assert slug(sanctions["p"]) == "deferred"
    arms = one("arms-press-conference-reported-by-unnamed-sources")
    assert slug(arms["h"]) == "arms-press-conference-organiser"
    assert seed.select(
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> SELECT ?s ?uk WHERE { ?s sg:holder ?uk }",
        uk=f"{A}united-kingdom",
    )  # the UK still holds its spokesperson's doubt …
    uk_on_arms = seed.select(
        "PREFIX sg: <https://w3id.org/stancegraph/ns#> SELECT ?s ?uk ?d WHERE {"
        " ?s sg:holder ?uk ; sg:target ?t . ?t sg:demandType ?d }",
        uk=f"{A}united-kingdom",
        d="https://w3id.org/stancegraph/vocab/demand-type/arms-supply",
    )
    assert uk_on_arms == []  # … but no arms commitment
    massie = one("massie-summit-requires-signature")
    assert slug(massie["p"]) == "unstated"
    deps = seed.example("condition-dependencies").rows
    summit = [r for r in deps if slug(r["from"]) == "putin-zelensky-summit"]
    assert [slug(r["holder"]) for r in summit] == ["russia"]  # Massie is no second holder
    neutrality = one("piskunova-talks-turn-on-neutrality")
    assert slug(neutrality["p"]) == "unstated" and slug(neutrality["t"]) == "ukrainian-neutrality"
    ceasefire = one("piskunova-ceasefire-feasible-short-term")
    assert slug(ceasefire["t"]) == "ceasefire"


def test_inferred_facts_are_marked_with_their_basis(seed):
    rows = seed.example("inferred-facts").rows
    by = {(slug(r["subject"]), slug(r["predicate"].replace("#", "/"))) for r in rows}
    assert ("istanbul-round-2022-03-29", "location") in by
    assert ("istanbul-round-2022-03-29", "host") in by
    assert ("istanbul-round-2022-03-29", "startDate") in by
    assert ("2022-03-29-istanbul-talks-report", "datePublished") in by
    # every stance's date is inferred ("Tuesday", or undated), with a basis
    stated = {slug(r["subject"]) for r in rows if r["predicate"] == f"{SG}statedAt"}
    assert len(stated) == seed.info()["stances"] == 60
    assert all(r["basis"] for r in rows)
    # the call with the European leaders is not dated
    (call,) = seed.select(
        "PREFIX schema: <https://schema.org/> PREFIX sg: <https://w3id.org/stancegraph/ns#>"
        " SELECT ?c ?d WHERE { ?c a sg:Occasion OPTIONAL { ?c schema:startDate ?d } }",
        c=f"{ID}occasion/biden-call-with-european-leaders",
    )
    assert call["d"] is None


def test_reported_speech_chains(seed):
    rows = {slug(r["stance"]): r for r in seed.example("reported-speech").rows}
    assert rows["russia-aims-to-cut-ukraine-off-black-sea"]["chain"] == (
        "source → Ekaterina Piskunova → Vladimir Putin → Russia"
    )
    europe = rows["european-leaders-wait-to-see-russian-offer"]
    assert slug(europe["relays"]) == "joe-biden" and europe["speaker"] is None
    arms = rows["arms-press-conference-reported-by-unnamed-sources"]
    assert slug(arms["relays"]) == "unnamed-sources-arms-press-conference"
    assert {slug(r["holder"]) for r in rows.values() if slug(r["relays"]) == "justin-massie"} == {
        "russia",
        "ukraine",
    }
    assert all(r["modalityKey"] == "reported" for r in rows.values())


def test_guarantor_acceptability_unknown_is_not_objection(seed):
    rows = seed.example("guarantor-acceptability").rows
    assert len(rows) == 27  # 9 nominees × (Russia, Ukraine, the nominee itself)
    status = {(slug(r["nominee"]), slug(r["actor"])): r["status"] for r in rows}
    nominees = {n for n, _ in status}
    assert len(nominees) == 9
    for n in nominees:
        assert status[(n, "russia")] == "unknown"
        assert status[(n, "ukraine")] == "accepts"
        assert status[(n, n)] == "unknown"  # no nominee has answered
    nominations = seed.example("guarantor-nominations").rows
    assert {r["listOpenness"] for r in nominations} == {"open"}
    assert {slug(r["nomineeProposition"]) for r in nominations} == {
        f"{n}-guarantees-ukraine-security" for n in nominees
    }


def test_a_veto_and_an_answer_change_acceptability():
    extra = """
source:
  id: synthetic-veto
  title: Synthetic report of a Russian veto
  publisher: quebec-daily
  published: 2022-04-02
  language: en
stances:
  - id: russia-vetoes-turkey-guarantee
    holder: russia
    target: turkey-guarantees-ukraine-security
    polarity: reject
    stated: 2022-04-02
    evidence: [{paragraph: 1}]
  - id: turkey-offers-guarantee
    holder: turkey
    target: turkey-guarantees-ukraine-security
    polarity: commitment
    stated: 2022-04-02
    evidence: [{paragraph: 1}]
"""
    kg = stancegraph.open()
    kg.load_texts({"veto.yaml": extra})
    status = {
        (slug(r["nominee"]), slug(r["actor"])): r["status"]
        for r in kg.example("guarantor-acceptability").rows
    }
    assert status[("turkey", "russia")] == "objects"
    assert status[("turkey", "turkey")] == "accepts"
    assert status[("israel", "russia")] == "unknown"
    rep = Analytics(kg).guarantors()
    turkey = rep.nominee(f"{A}turkey")
    assert turkey.acceptability[f"{A}russia"] == "objects" and turkey.objected_by == [f"{A}russia"]
    assert turkey.own_position == "accepts"
    assert rep.nominee(f"{A}israel").acceptability[f"{A}russia"] == "unknown"


def test_context_nesting_and_relations(seed):
    ctx = {slug(r["stance"]): r for r in seed.example("statement-context").rows}
    trudeau = ctx["canada-appeals-for-restored-sovereignty"]
    assert slug(trudeau["venue"]) == "vancouver" and trudeau["occasionTypeKey"] == "public-remarks"
    assert ctx["european-leaders-wait-to-see-russian-offer"]["occasionTypeKey"] == "phone-call"
    org = "http://www.w3.org/ns/org#"
    assert seed.select(
        f"SELECT ?gs ?af WHERE {{ ?gs <{org}subOrganizationOf> ?af }} LIMIT 1",
        gs=f"{A}general-staff-ukraine",
        af=f"{A}armed-forces-of-ukraine",
    )
    assert seed.select(
        f"SELECT ?sp ?bj WHERE {{ ?sp <{org}reportsTo> ?bj }} LIMIT 1",
        sp=f"{A}uk-pm-spokesperson",
        bj=f"{A}boris-johnson",
    )
    rel = seed.example("proposition-relations").rows
    kinds = {}
    for r in rel:
        kinds.setdefault(r["relation"], set()).add((slug(r["proposition"]), slug(r["other"])))
    assert ("ukrainian-neutrality", "ceasefire") in kinds["step-towards"]
    assert len(kinds["broader"]) == 10  # nine per-nominee guarantees and the Article 5 model


def test_alternative_spellings_are_found_by_search(seed):
    client = make_client(seed)
    for q, kind, sid in (
        ("Medinski", "actor", "vladimir-medinsky"),
        ("Donbass", "place", "donbas"),
        ("Odessa", "place", "odesa"),
        ("Kiev", "place", "kyiv"),
    ):
        top = client.get("/api/search", params={"q": q}).json()["items"][0]
        assert (top["kind"], top["id"], top["field"]) == (kind, sid, "alt_label")


# --------------------------------------------------------------------------- input format


def _known() -> Known:
    from rdflib import Graph

    from stancegraph import resources

    g = Graph().parse(resources.ontology_dir() / "vocabularies.ttl")
    known = Known(concepts=vocabulary_keys(g))
    for kind, ids in (
        ("actor", ["ukraine", "russia", "wire"]),
        ("proposition", ["p", "q"]),
    ):
        for i in ids:
            known.add(kind, i)
    return known


HEAD = """
source: {id: src, title: T, publisher: wire, published: 2022-03-29, language: en}
stances:
"""


@pytest.mark.parametrize(
    ("stance", "words"),
    [
        ("{id: s, kind: expectation, holder: ukraine, target: p, polarity: support,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "states no preference"),
        ("{id: s, holder: ukraine, target: p, polarity: support, likelihood: likely,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "need kind: expectation"),
        ("{id: s, holder: ukraine, target: p, polarity: unstated,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "for expectations"),
        ("{id: s, holder: ukraine, target: p, polarity: support, modality: reported,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "relayed_by"),
        ("{id: s, holder: ukraine, target: p, polarity: deferred,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "deferred needs at least one"),
        ("{id: s, holder: ukraine, target: p, nominee: russia, polarity: support,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "nominee_proposition"),
        ("{id: s, holder: ukraine, target: p, polarity: support, inferred: {colour: x},"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "cannot be marked"),
        ("{id: s, holder: ukraine, target: p, polarity: support, inferred: {venue: x},"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "does not give"),
        ("{id: s, holder: ukraine, target: p, polarity: support, occasion: nowhere,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "unknown occasion"),
        ("{id: s, kind: expectation, holder: ukraine, target: p, likelihood: sure,"
         " stated: 2022-03-29, evidence: [{paragraph: 1}]}", "is not a likelihood"),
    ],
)  # fmt: skip
def test_input_format_rejects_v2_mistakes(stance, words):
    with pytest.raises(CompileError) as exc:
        compile_texts({"x.yaml": HEAD + "  - " + stance + "\n"}, _known())
    assert words in str(exc.value)


def test_input_format_accepts_an_expectation_with_relays_and_sufficient_condition():
    text = HEAD + (
        "  - {id: s, kind: expectation, holder: russia, relayed_by: [ukraine], target: p,"
        " likelihood: increasing, horizon: long-term, modality: reported,"
        " conditions: [{type: if, requires: q}], stated: 2022-03-29,"
        " inferred: {stated: read from 'Tuesday'}, evidence: [{paragraph: 1}]}\n"
    )
    out = compile_texts({"x.yaml": text}, _known())
    (g,) = [g for g in out.graphs.values() if len(g)]
    st = f"{S}s"
    triples = {(str(s), str(p), str(o)) for s, p, o in g}
    assert (st, str(SG.polarity), "https://w3id.org/stancegraph/vocab/polarity/unstated") in triples
    assert (f"{st}/relay/1", "http://www.w3.org/ns/prov#agent", f"{A}ukraine") in triples
    assert (f"{st}/inferred/stated", str(SG.basis), "read from 'Tuesday'") in triples


# --------------------------------------------------------------------------- position change


def test_position_changes_query_and_history(changes):
    rows = changes.example("position-changes").rows
    assert [(slug(r["holder"]), r["beforePolarityKey"], r["afterPolarityKey"]) for r in rows] == [
        ("state-a", "oppose", "conditional-support"),
        ("state-b", "support", "oppose"),
    ]
    only_b = changes.example("position-changes", holder=f"{A}state-b").rows
    assert [slug(r["holder"]) for r in only_b] == ["state-b"]
    hist = position_history(changes, "state-a", "test-ceasefire")
    assert [(p.stated_at, p.polarity, p.current) for p in hist.points] == [
        ("2022-03-01", "oppose", False),
        ("2022-04-01", "conditional-support", True),
    ]
    (change,) = hist.changes
    assert change.shift == 1.5 and slug(change.before_source) == "test-report-march"
    df = changes.position_history("state-b")  # every target, by target then date
    assert list(zip(df["target_label"], df["polarity"], df["current"], strict=True)) == [
        ("Neutrality of State B", "support", False),
        ("Neutrality of State B", "oppose", True),
        ("Withdrawal of State A's troops", "support", True),
    ]
    # analytics read the current positions only
    B = Analytics(changes).bipartite()
    assert B.edges[f"{A}state-b", f"{P}test-neutrality"]["polarity"] == "oppose"


def test_position_history_api(changes):
    client = make_client(changes)
    body = client.get(
        "/api/analytics/position-history",
        params={"actor": "state-a", "proposition": "test-ceasefire"},
    ).json()
    assert body["holder"]["label"] == "State A"
    assert [(p["stated_at"], p["polarity"], p["current"]) for p in body["points"]] == [
        ("2022-03-01", "oppose", False),
        ("2022-04-01", "conditional-support", True),
    ]
    assert body["changes"][0]["after_polarity"] == "conditional-support"
    err = client.get("/api/analytics/position-history").json()["error"]
    assert err["status"] == 422


# --------------------------------------------------------------------------- source disagreement


def test_compare_sources_finds_the_differences(reports):
    rep = compare_sources(reports, "briefing-report-a", "briefing-report-b")
    assert not rep.agree and len(rep.aligned) == 1
    (lists,) = rep.guarantor_lists
    assert {slug(x) for x in lists["only_in_a"]} == {"turkey"}
    assert {slug(x) for x in lists["only_in_b"]} == {"italy", "russia"}
    assert [(slug(m["nominee"]), m["a"], m["b"]) for m in lists["modality_differs"]] == [
        ("germany", "possible", "asserted")
    ]
    (stance,) = rep.stances  # skos:exactMatch makes the two neutrality propositions one
    assert (stance["difference"], stance["a"], stance["b"]) == (
        "polarity",
        ["support"],
        ["conditional-support"],
    )
    (cond,) = rep.conditions
    assert cond["only_in_a"] == [] and [
        (c["type"], slug(c["requires"])) for c in cond["only_in_b"]
    ] == [("in-exchange-for", "test-guarantee")]
    same = compare_sources(reports, "briefing-report-b", "briefing-report-a")
    assert {slug(x) for x in same.guarantor_lists[0]["only_in_a"]} == {"italy", "russia"}
    with pytest.raises(ValueError, match="no stances"):
        compare_sources(reports, "briefing-report-a", "no-such-report")


def test_compare_sources_cli_and_api(reports, tmp_path, capsys):
    store = tmp_path / "store"
    files = [str(p) for p in sorted((DATA / "source-disagreement").glob("*.yaml"))]
    assert cli(["load", "--store", str(store), *files]) == 0
    capsys.readouterr()
    assert (
        cli(["analyze", "sources", "briefing-report-a", "briefing-report-b", "--store", str(store)])
        == 0
    )
    out = capsys.readouterr().out
    assert "only in A: Turkey" in out and "only in B: Italy, Russia" in out
    assert "Germany: A possible, B asserted" in out
    assert cli(["analyze", "sources", "briefing-report-a", "--store", str(store)]) != 0
    client = make_client(reports)
    body = client.get(
        "/api/analytics/sources", params={"a": "briefing-report-a", "b": "briefing-report-b"}
    ).json()
    assert body["agree"] is False
    (lists,) = body["guarantor_lists"]
    assert [r["label"] for r in lists["only_in_b"]] == ["Italy", "Russia"]
    bad = client.get("/api/analytics/sources", params={"a": "briefing-report-a", "b": "nope"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_parameters"


def test_source_comparison_with_the_seed_alone_needs_two_sources(seed):
    with pytest.raises(ValueError):
        compare_sources(
            seed, "2022-03-29-istanbul-talks-report", "2022-03-29-istanbul-talks-report"
        )

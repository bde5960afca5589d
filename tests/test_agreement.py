"""Agreement between two coders who coded a source independently (each in their own
coding graph), on a fixture whose Krippendorff's alpha is computed by hand; unit matching
(holder, target, overlapping evidence); the merge step (exactly the agreed units, PROV,
adjudication, all or nothing); no double counting in the analytics and the JSON read model;
and the ``stancegraph agreement`` / ``merge`` commands on a store on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

import stancegraph
from stancegraph import agreement, coding, drafts
from stancegraph import read as views
from stancegraph.agreement import Span, overlap
from stancegraph.analytics.frame import frame_of

SOURCE = "2022-03-29-istanbul-talks-report"
ID = "https://w3id.org/stancegraph/id/"
REPO = Path(__file__).resolve().parents[1]
PROV_BY = ox.NamedNode("http://www.w3.org/ns/prov#wasAttributedTo")
PROMOTED = ox.NamedNode("https://w3id.org/stancegraph/ns#promotedFrom")
GENERATED_BY = ox.NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy")
ASSOCIATED = ox.NamedNode("http://www.w3.org/ns/prov#wasAssociatedWith")


def record(sid: str, polarity: str, paragraph: int, start: int, end: int, **fields: Any) -> Any:
    data = {
        "id": sid,
        "holder": "ukraine",
        "target": "ceasefire",
        "polarity": polarity,
        "stated": "2022-03-29",
        "evidence": [
            {"paragraph": paragraph, "quote": "q" * (end - start), "start": start, "end": end}
        ],
    }
    data.update(fields)
    return coding.parse("stance", data)


# Five units both coders found (overlapping spans in the same paragraph), one only Alice
# found (paragraph 6), one only Bob found (paragraph 9), one Bob coded on another target.
ALICE = [
    ("support", 1, 0, 10),
    ("support", 2, 0, 10),
    ("oppose", 3, 0, 10),
    ("oppose", 4, 0, 10),
    ("support", 5, 0, 10),
    ("support", 6, 0, 10),
]
BOB = [
    ("support", 1, 5, 15),
    ("oppose", 2, 2, 8),
    ("oppose", 3, 0, 10),
    ("oppose", 4, 9, 20),
    ("support", 5, 0, 3),
    ("support", 9, 0, 5),
]


def code_fixture(kg: Any) -> None:
    for i, (pol, par, start, end) in enumerate(ALICE):
        drafts.save_draft(kg.writer, SOURCE, record(f"a-{i}", pol, par, start, end), "alice")
    for i, (pol, par, start, end) in enumerate(BOB):
        drafts.save_draft(kg.writer, SOURCE, record(f"b-{i}", pol, par, start, end), "bob")
    other = record("b-other", "support", 1, 0, 10, target="international-security-guarantee")
    drafts.save_draft(kg.writer, SOURCE, other, "bob")


def hand_alpha() -> float:
    """Krippendorff's alpha, nominal, for the five matched units, by hand.

    Values per unit (Alice, Bob): (s,s) (s,o) (o,o) (o,o) (s,s); n = 10 pairable values.
    Coincidences: o_ss = 4, o_oo = 4 (two per agreeing unit), o_so = o_os = 1 (the one
    disagreeing unit); n_s = 5, n_o = 5.
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k
          = 1 - 9 * (1 + 1) / (5*5 + 5*5) = 1 - 18/50 = 0.64
    """
    n, disagreeing, expected = 10, 1 + 1, 5 * 5 + 5 * 5
    return 1 - (n - 1) * disagreeing / expected


@pytest.fixture
def kg() -> Any:
    graph = stancegraph.open()
    code_fixture(graph)
    return graph


def test_alpha_matches_the_hand_computation_and_units_match(kg: Any) -> None:
    report = agreement.agreement(kg.store, SOURCE, "alice", "bob")
    assert [(p.a, p.b) for p in report.pairs] == [(f"a-{i}", f"b-{i}") for i in range(5)]
    assert [p.agree for p in report.pairs] == [True, False, True, True, True]
    assert report.alpha == pytest.approx(hand_alpha()) and hand_alpha() == pytest.approx(0.64)
    assert report.observed == pytest.approx(4 / 5)
    assert report.only_a == ["a-5"] and report.only_b == ["b-5", "b-other"]
    body = report.as_dict()
    assert body["units"] == {"matched": 5, "alice": 1, "bob": 2}
    assert "0.640" in str(report)


def test_overlap_rules() -> None:
    assert overlap(Span(1, None, 0, 10), Span(1, None, 5, 15)) == 5
    assert overlap(Span(1, None, 0, 10), Span(1, None, 10, 15)) == 0  # touching, not overlapping
    assert overlap(Span(1, None, 0, 10), Span(2, None, 0, 10)) == 0  # another paragraph
    assert overlap(Span(1, "We Want peace"), Span(1, "said: we want  peace now")) > 0
    assert overlap(Span(1, "war"), Span(1, "peace")) == 0
    assert overlap(Span(3), Span(3)) == 1  # same paragraph, nothing finer


def test_alpha_undefined_without_variation() -> None:
    assert agreement.alpha([], []) is None
    assert agreement.alpha(["support", "support"], ["support", "support"]) is None
    assert agreement.alpha(["support", "oppose"], ["support", "oppose"]) == pytest.approx(1.0)


def counts(kg: Any) -> tuple[int, int, int]:
    """Stances the analytics frame, the JSON read model's stance table and the holder's
    stance list see (Ukraine on the ceasefire)."""
    frame = frame_of(kg)
    target = f"{ID}proposition/ceasefire"
    in_frame = sum(1 for s in frame.all_stances.values() if s.target == target)
    table = views.stance_table(kg)
    _rows, total = table.select(views.StanceFilter(holder=f"{ID}actor/ukraine", target=target))
    return in_frame, total, len(table.rows)


def test_drafts_are_not_counted_until_merged() -> None:
    kg = stancegraph.open()
    before = counts(kg)
    code_fixture(kg)
    assert counts(kg) == before  # twelve drafts, nothing in the record
    assert len(agreement.units(kg.store, SOURCE, "alice")) == 6
    result = agreement.merge(kg.writer, SOURCE, "alice", "bob", merger="carol")
    assert len(result.merged) == 4
    in_frame, total, rows = counts(kg)
    assert (in_frame, total, rows) == (before[0] + 4, before[1] + 4, before[2] + 4)
    assert kg.validate().conforms


def test_merge_promotes_exactly_the_agreed_units_and_lists_disagreements(kg: Any) -> None:
    before = len(kg.store)
    dry = agreement.merge(kg.writer, SOURCE, "alice", "bob", merger="carol", dry_run=True)
    assert len(kg.store) == before and dry.outcome.added > 0
    assert not list(kg.store.quads_matching(ox.NamedNode(f"{ID}stance/a-0"), None, None))
    result = agreement.merge(kg.writer, SOURCE, "alice", "bob", merger="carol")
    assert [(m.stance, m.drafts, m.how) for m in result.merged] == [
        (f"a-{i}", {"alice": f"a-{i}", "bob": f"b-{i}"}, "agreed") for i in (0, 2, 3, 4)
    ]
    assert [(p.a, p.b) for p in result.disagreements] == [("a-1", "b-1")]
    assert result.only == {"alice": ["a-5"], "bob": ["b-5", "b-other"]}
    for i in (0, 2, 3, 4):
        st = ox.NamedNode(f"{ID}stance/a-{i}")
        coders = kg.store.quads_matching(st, PROV_BY, None)
        assert {q.object.value for q in coders} == {f"{ID}coder/alice", f"{ID}coder/bob"}
        origin = {q.object.value for q in kg.store.quads_matching(st, PROMOTED, None)}
        assert origin == {f"{ID}coding/{SOURCE}/alice/a-{i}", f"{ID}coding/{SOURCE}/bob/b-{i}"}
        (made,) = kg.store.quads_matching(st, GENERATED_BY, None)
        (who,) = kg.store.quads_matching(made.object, ASSOCIATED, None)
        assert who.object.value == f"{ID}coder/carol"
    for sid in ("a-1", "b-1", "a-5", "b-5", "b-0"):  # disputed, single, the kept duplicate
        assert not list(kg.store.quads_matching(ox.NamedNode(f"{ID}stance/{sid}"), None, None))
    # The drafts stay, each pointing at what they became; a second merge does nothing.
    report = agreement.agreement(kg.store, SOURCE, "alice", "bob")
    assert [p.merged_into for p in report.pairs] == ["a-0", None, "a-2", "a-3", "a-4"]
    again = agreement.merge(kg.writer, SOURCE, "alice", "bob", merger="carol")
    assert again.merged == [] and again.outcome.added == again.outcome.removed == 0
    # Adjudication: Bob's version of the disputed unit, and Alice's lone unit.
    adj = agreement.merge(
        kg.writer, SOURCE, "alice", "bob", merger="carol", accept=[("bob", "b-1"), ("alice", "a-5")]
    )
    assert [(m.stance, m.drafts, m.how) for m in adj.merged] == [
        ("a-5", {"alice": "a-5"}, "accepted"),
        ("b-1", {"bob": "b-1"}, "accepted"),
    ]
    assert adj.disagreements == [] and adj.only == {"alice": [], "bob": ["b-5", "b-other"]}
    with pytest.raises(agreement.AcceptError):
        agreement.merge(
            kg.writer, SOURCE, "alice", "bob", merger="carol", accept=[("alice", "a-1")]
        )
    assert kg.validate().conforms


def test_merge_is_all_or_nothing(kg: Any) -> None:
    # Bob's lone unit b-5 would take an id the record already has: nothing is merged.
    coding.create_stance(kg.writer, SOURCE, record("b-5", "support", 12, 0, 5), "dave")
    before = len(kg.store)
    with pytest.raises(coding.Conflict, match="b-5"):
        agreement.merge(kg.writer, SOURCE, "alice", "bob", merger="carol", accept=[("bob", "b-5")])
    assert len(kg.store) == before
    assert not list(kg.store.quads_matching(ox.NamedNode(f"{ID}stance/a-0"), None, None))


def test_a_draft_is_checked_as_the_stance_it_would_become() -> None:
    from stancegraph.writes import ValidationFailed

    kg = stancegraph.open()
    before = len(kg.store)
    with pytest.raises(ValidationFailed, match="paragraphCount"):
        drafts.save_draft(kg.writer, SOURCE, record("far", "support", 99, 0, 5), "alice")
    assert len(kg.store) == before
    drafts.save_draft(kg.writer, SOURCE, record("x", "support", 1, 0, 5), "alice")
    with pytest.raises(coding.Conflict):
        drafts.save_draft(kg.writer, SOURCE, record("x", "oppose", 1, 0, 5), "alice")
    drafts.save_draft(kg.writer, SOURCE, record("x", "support", 1, 0, 5), "bob")  # own space
    drafts.save_draft(kg.writer, SOURCE, record("x", "oppose", 1, 0, 5), "alice", replace=True)
    assert drafts.draft(kg.store, SOURCE, "alice", "x").record["polarity"] == "oppose"  # type: ignore[union-attr]
    assert drafts.coders(kg.store, SOURCE) == ["alice", "bob"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stancegraph", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # CLI runs in subprocesses
def test_agreement_and_merge_commands(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert _cli("load", "--store", str(store), "--seed").returncode == 0
    code = (
        "import stancegraph, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from test_agreement import code_fixture\n"
        f"kg = stancegraph.open({str(store)!r})\n"
        "code_fixture(kg)\n"
        "kg.store.flush()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = _cli("agreement", SOURCE, "--coders", "alice", "bob", "--store", str(store), "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["alpha"] == pytest.approx(hand_alpha())
    assert body["only"] == {"alice": ["a-5"], "bob": ["b-5", "b-other"]}
    text = _cli("agreement", SOURCE, "--coders", "alice", "bob", "--store", str(store))
    assert "alpha (polarity, nominal) = 0.640" in text.stdout
    merged = _cli("merge", SOURCE, "--coders", "alice", "bob", "--store", str(store))
    assert merged.returncode == 0, merged.stderr
    assert "merged 4 agreed and 0 accepted stance(s)" in merged.stdout, merged.stdout
    assert "to adjudicate" in merged.stdout and "a-1" in merged.stdout
    adj = _cli(
        "merge",
        SOURCE,
        "--coders",
        "alice",
        "bob",
        "--store",
        str(store),
        "--accept",
        "bob:b-1",
        "--json",
    )
    assert adj.returncode == 0, adj.stderr
    assert [m["stance"] for m in json.loads(adj.stdout)["merged"]] == ["b-1"]
    bad = _cli("merge", SOURCE, "--coders", "alice", "bob", "--store", str(store), "--accept", "x")
    assert bad.returncode != 0
    nowhere = _cli("agreement", "no-such-source", "--coders", "alice", "bob", "--store", str(store))
    assert nowhere.returncode != 0 and "no source" in nowhere.stderr
    same = _cli("agreement", SOURCE, "--coders", "alice", "alice", "--store", str(store))
    assert same.returncode == 1 and "two different coders" in same.stderr


def test_every_seed_stance_reads_back_as_its_record() -> None:
    """``coding.stance_record`` inverts the compiler (what the workbench edits)."""
    from stancegraph.ingest.compiler import parse_file

    kg = stancegraph.open()
    (path,) = (REPO / "data" / "seed" / "sources").glob("*.yaml")
    parsed = parse_file(path)
    assert parsed.dataset.source is not None
    for st in parsed.dataset.stances:
        want = st.model_dump(mode="json", exclude_none=True)
        for key, default in (("kind", "preference"), ("relayed_by", []), ("inferred", {})):
            if want.get(key) == default:
                del want[key]  # the read-back leaves out what is the default
        for e in want["evidence"]:
            if e.get("source") == parsed.dataset.source.id:
                del e["source"]
        if not want["conditions"]:
            del want["conditions"]
        got = coding.stance_record(kg.store, st.id)
        assert got is not None
        if not got["conditions"]:
            del got["conditions"]
        assert got == want, st.id
    assert coding.stance_record(kg.store, "no-such-stance") is None


def test_a_malformed_draft_is_refused_by_the_shapes() -> None:
    """Any writer (here SPARQL Update) meets the draft's shape: one rdf:JSON record."""
    from stancegraph.writes import ValidationFailed

    kg = stancegraph.open()
    drafts.save_draft(kg.writer, SOURCE, record("x", "support", 1, 0, 5), "alice")
    graph = drafts.coding_graph(SOURCE, "alice")
    node = drafts.draft_iri(SOURCE, "alice", "x")
    before = len(kg.store)
    with pytest.raises(ValidationFailed, match="codedRecord"):
        kg.writer.update(
            "PREFIX sg: <https://w3id.org/stancegraph/ns#> "
            f'INSERT DATA {{ GRAPH <{graph}> {{ <{node}> sg:codedRecord "not json" }} }}'
        )
    assert len(kg.store) == before and kg.validate().conforms

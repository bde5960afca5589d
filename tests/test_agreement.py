"""Agreement between two coders on a fixture whose Krippendorff's alpha is computed by
hand, unit matching (holder, target, overlapping evidence), the merge step, and the
``stancegraph agreement`` / ``merge`` commands on a store on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

import stancegraph
from stancegraph import agreement, coding
from stancegraph.agreement import Span, overlap

SOURCE = "2022-03-29-istanbul-talks-report"
ID = "https://w3id.org/stancegraph/id/"
REPO = Path(__file__).resolve().parents[1]
PROV_BY = ox.NamedNode("http://www.w3.org/ns/prov#wasAttributedTo")
SG_TARGET = ox.NamedNode("https://w3id.org/stancegraph/ns#target")


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
        coding.create_stance(kg.writer, SOURCE, record(f"a-{i}", pol, par, start, end), "alice")
    for i, (pol, par, start, end) in enumerate(BOB):
        coding.create_stance(kg.writer, SOURCE, record(f"b-{i}", pol, par, start, end), "bob")
    other = record("b-other", "support", 1, 0, 10, target="international-security-guarantee")
    coding.create_stance(kg.writer, SOURCE, other, "bob")


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


def test_merge_promotes_agreed_and_lists_disagreements(kg: Any) -> None:
    # A meta-stance by Bob about one of his stances that will be merged away.
    meta = record("b-doubt", "skeptical", 4, 0, 5, target=None, target_stance="b-2")
    coding.create_stance(kg.writer, SOURCE, meta, "bob")
    before = len(kg.store)
    dry = agreement.merge(kg.writer, SOURCE, "alice", "bob", dry_run=True)
    assert len(kg.store) == before and dry.outcome.removed > 0
    result = agreement.merge(kg.writer, SOURCE, "alice", "bob")
    assert [(p.a, p.b) for p in result.merged] == [
        ("a-0", "b-0"),
        ("a-2", "b-2"),
        ("a-3", "b-3"),
        ("a-4", "b-4"),
    ]
    assert [(p.a, p.b) for p in result.disagreements] == [("a-1", "b-1")]
    for i in (0, 2, 3, 4):
        gone = ox.NamedNode(f"{ID}stance/b-{i}")
        assert not list(kg.store.quads_matching(gone, None, None))
        assert not list(kg.store.quads_matching(None, None, gone))
        coders = kg.store.quads_matching(ox.NamedNode(f"{ID}stance/a-{i}"), PROV_BY, None)
        assert {q.object.value for q in coders} == {f"{ID}coder/alice", f"{ID}coder/bob"}
    target = kg.store.quads_matching(ox.NamedNode(f"{ID}stance/b-doubt"), SG_TARGET, None)
    assert [q.object.value for q in target] == [f"{ID}stance/a-2"]
    # The disagreement stays for adjudication; a second merge has nothing left to do.
    assert list(kg.store.quads_matching(ox.NamedNode(f"{ID}stance/b-1"), None, None))
    again = agreement.merge(kg.writer, SOURCE, "alice", "bob")
    assert again.merged == [] and again.outcome.added == again.outcome.removed == 0
    assert kg.validate().conforms


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
    assert "merged 4 agreed stance(s)" in merged.stdout and "a-1" in merged.stdout
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

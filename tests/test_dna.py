"""DNA interchange: ``export --format dna-csv`` writes statements DNA/rDNA users can import,
``load FILE.csv --format dna-csv`` reads them back into stances with a report of what
could not be mapped."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

import stancegraph
from stancegraph import dna

REPO = Path(__file__).resolve().parents[1]
SOURCE = "2022-03-29-istanbul-talks-report"
SG = "https://w3id.org/stancegraph/ns#"
ID = "https://w3id.org/stancegraph/id/"


def test_export_maps_polarity_to_agreement_and_reports_the_rest() -> None:
    kg = stancegraph.open()
    buf = io.StringIO()
    report = dna.export_csv(kg, buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(rows[0]) == dna.COLUMNS
    stances = kg.stances()
    assert len(rows) == report.rows and len(rows) + len(report.skipped) == len(stances)
    reasons = {why.split(" ")[0] for _sid, why in report.skipped}
    assert reasons <= {"a", "polarity"} and report.skipped
    # One row checked field by field: Russia's pledge, voiced by Fomin.
    pledge = [r for r in rows if r["actor"] == "Russia" and "Kyiv and Chernihiv" in r["concept"]]
    assert pledge and pledge[0]["agreement"] == "1" and pledge[0]["date"] == "2022-03-29"
    assert pledge[0]["document"] == SOURCE
    for r in rows:
        assert r["agreement"] in {"0", "1"}
    other = io.StringIO()
    assert dna.export_csv(kg, other, f"{ID}graph/source/nothing").rows == 0
    assert other.getvalue() == ",".join(dna.COLUMNS) + "\n"


def test_round_trip_import_twice_changes_nothing_and_reports_unmapped(tmp_path: Path) -> None:
    kg = stancegraph.open()
    buf = io.StringIO()
    exported = dna.export_csv(kg, buf)
    path = tmp_path / "statements.csv"
    extra = (
        f"{SOURCE},Nobody Known,Ceasefire between Russia and Ukraine,1,2022-03-29,x\n"
        f"{SOURCE},Ukraine,Ceasefire between Russia and Ukraine,maybe,2022-03-29,x\n"
        f"no-such-doc,Ukraine,Ceasefire between Russia and Ukraine,1,29.03.2022,x\n"
        f"{SOURCE},ukraine,ceasefire,0,30.03.2022 10:00:00,we refuse\n"
        f"{SOURCE},Ukraine,ceasefire,1,March 29,x\n"
    )
    path.write_text(buf.getvalue() + extra, encoding="utf-8")
    before = len(kg.stances())
    report = dna.import_csv(kg.writer, kg, path, coder="dna-test")
    assert report.rows == exported.rows + 5
    # Identical statements (same actor, concept, agreement, date, quote) are one stance.
    assert len(kg.stances()) == before + len(report.stances)
    lines = {line: why for line, why in report.unmapped}
    assert len(lines) == 4
    assert "no actor 'Nobody Known'" in lines[exported.rows + 2]
    assert "agreement 'maybe'" in lines[exported.rows + 3]
    assert "no source 'no-such-doc'" in lines[exported.rows + 4]
    assert "date 'March 29'" in lines[exported.rows + 6]
    # Agreement became polarity; ids and labels both map; DNA dates parse.
    refused = report.stances[-1]  # the last row that maps: "ukraine,ceasefire,0"
    node = ox.NamedNode(f"{ID}stance/{refused}")
    pol = {
        q.object.value for q in kg.store.quads_matching(node, ox.NamedNode(SG + "polarity"), None)
    }
    assert pol == {"https://w3id.org/stancegraph/vocab/polarity/oppose"}
    by = {
        q.object.value
        for q in kg.store.quads_matching(
            node, ox.NamedNode("http://www.w3.org/ns/prov#wasAttributedTo"), None
        )
    }
    assert by == {f"{ID}coder/dna-test"}
    assert kg.validate().conforms
    again = dna.import_csv(kg.writer, kg, path, coder="dna-test")
    assert again.outcome is not None and again.outcome.added == again.outcome.removed == 0


def test_not_a_dna_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    kg = stancegraph.open()
    try:
        dna.import_csv(kg.writer, kg, path)
    except ValueError as exc:
        assert "missing column(s) document, actor, concept, agreement, date, text" in str(exc)
    else:
        raise AssertionError("accepted a file without DNA columns")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stancegraph", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # CLI runs in subprocesses
def test_cli_export_and_load_dna_csv(tmp_path: Path) -> None:
    out = tmp_path / "dna.csv"
    done = _cli("export", "--format", "dna-csv", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "statement(s) written" in done.stderr and "not exported:" in done.stderr
    assert out.read_text().startswith("document,actor,concept,agreement,date,text\n")
    store = tmp_path / "store"
    assert _cli("load", "--store", str(store), "--seed").returncode == 0
    loaded = _cli("load", "--store", str(store), "--format", "dna-csv", str(out))
    assert loaded.returncode == 0, loaded.stderr
    rows = out.read_text().count("\n") - 1
    assert f"of {rows} row(s) mapped to stances" in loaded.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"document,actor,concept,agreement,date,text\n{SOURCE},Nobody,x,1,2022-01-01,t\n"
    )
    report = _cli("load", "--store", str(store), "--format", "dna-csv", str(bad))
    assert report.returncode == 0 and "line 2: no actor 'Nobody'" in report.stdout

"""Keep the benchmark scripts from rotting: a tiny generated graph, every engine once.

No timing assertions: the figures themselves are measured by ``benchmarks/run.py``.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs every benchmark family once: deselected by -m "not slow"

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import common, engine, generate  # noqa: E402

SG = "https://w3id.org/stancegraph/ns#"
ID = "https://w3id.org/stancegraph/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "tiny.nq"
    generate.write_file(path, 2000, seed=7)
    return path


def test_generator_writes_valid_nquads_in_source_graphs(tiny: Path) -> None:
    import pyoxigraph as ox
    from rdflib import Dataset

    quads = list(ox.parse(path=str(tiny), format=ox.RdfFormat.N_QUADS))
    assert 1800 <= len(quads) <= 2600
    assert all(isinstance(q.graph_name, ox.NamedNode) for q in quads)  # no default graph
    ds = Dataset()
    ds.parse(tiny, format="nquads")
    assert sum(1 for _ in ds.quads((None, None, None, None))) == len(quads)

    def objects(pred: str, graph_prefix: str = "") -> list[tuple[str, str, str]]:
        return [
            (
                q.subject.value,
                q.object.value if hasattr(q.object, "value") else str(q.object),
                q.graph_name.value,
            )
            for q in quads
            if q.predicate.value == pred and q.graph_name.value.startswith(graph_prefix)
        ]

    graphs = {q.graph_name.value for q in quads}
    source_graphs = {g for g in graphs if g.startswith(f"{ID}graph/source/")}
    assert graphs == source_graphs | {f"{ID}graph/entities"}
    typed = {s for s, o, g in objects(RDF_TYPE) if o == f"{SG}SourceGraph" and s == g}
    derived = {s for s, _o, g in objects("http://www.w3.org/ns/prov#wasDerivedFrom") if s == g}
    assert typed == derived == source_graphs
    stances = {s for s, o, _g in objects(RDF_TYPE) if o == f"{SG}Stance"}
    targets = dict((s, o) for s, o, _g in objects(f"{SG}target"))
    assert any(targets[s] in stances for s in stances), "no meta-stance"
    assert any(o == f"{SG}GuarantorNomination" for _s, o, _g in objects(RDF_TYPE))
    assert objects(f"{SG}requires") and objects(f"{SG}nominee")


def test_generator_is_deterministic_for_a_seed() -> None:
    def text(seed: int) -> str:
        buf = io.StringIO()
        generate.generate(buf, 3000, seed)
        return buf.getvalue()

    assert text(3) == text(3)
    assert text(3) != text(4)


def test_generated_stances_conform_to_the_shapes(tiny: Path) -> None:
    if not (ROOT / "ontology" / "shapes.ttl").exists():
        pytest.skip("ontology/shapes.ttl absent")
    from rdflib import Dataset, Graph

    from stancegraph.validation.reference import ontology_graph, validate

    ds = Dataset()
    ds.parse(tiny, format="nquads")
    data = Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        data.add((s, p, o))
    data += ontology_graph()  # ontology + vocabularies: scheme membership is checked on them
    report = validate(data)
    assert report.conforms, str(report)


def test_every_engine_runs_every_query_with_the_same_answers(tiny: Path) -> None:
    params = engine.pick_params(tiny)
    assert params["actor"].startswith(f"{ID}actor/")
    assert params["proposition"].startswith(f"{ID}proposition/")
    queries = engine.load_queries()
    assert set(engine.QUERIES) <= set(queries)
    results = {e: engine.worker(e, tiny, 1, 60.0, 60.0, params) for e in engine.ENGINES}
    for name in queries:
        counts = {e: r["queries"][name]["rows"] for e, r in results.items()}
        statuses = {e: r["queries"][name]["status"] for e, r in results.items()}
        assert set(statuses.values()) == {"ok"}, (name, statuses)
        assert len(set(counts.values())) == 1, (name, counts)
        assert results["stancegraph-api"]["queries"][name]["direct_rows"] == counts["oxigraph"]
    assert len({r["quads"] for r in results.values()}) == 1
    rows = engine.rows_for("tiny", results, params)
    assert all(set(r) == set(common.ROW_KEYS) for r in rows)
    assert any(r["engine"] == "rdflib" and r["ratio"] for r in rows)
    table = common.markdown_table(rows, common.machine())
    assert "| family |" in table and "pyoxigraph" in table


def test_forked_runs_time_out_instead_of_hanging() -> None:
    import time

    res = engine.time_forked(lambda: time.sleep(5) or 0, k=3, timeout_s=0.3, budget_s=10)
    assert res["status"] == "timeout" and res["times"] == []
    res = engine.time_forked(lambda: 7, k=3, timeout_s=5, budget_s=10)
    assert res["status"] == "ok" and len(res["times"]) == 3 and res["rows"] == 7


def test_run_py_end_to_end_in_subprocesses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import run

    rc = run.main(
        [
            "--sizes",
            "2k",
            "--repeats",
            "1",
            "--families",
            "engine",
            "--engines",
            "oxigraph,rdflib",
            "--data-dir",
            str(tmp_path),
            "--out-dir",
            str(tmp_path),
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "| engine | 2k | load | oxigraph |" in out
    assert list(tmp_path.glob("*.json")) and list(tmp_path.glob("sg-2k-seed1-*.nq"))


def test_http_family_serves_and_loads_every_kind_of_target(tiny: Path) -> None:
    import importlib.util

    from benchmarks import http

    assert "VALUES ?actor" in http.actor_query(f"{ID}actor/x")
    targets = ("sparql", "sparql-same", "api", "api-304", "minimal", "ceiling", "raw-asgi")
    if importlib.util.find_spec("rdflib_endpoint"):
        targets += ("rdflib-endpoint",)
    res = http.measure(tiny, duration=1, client="python", targets=targets, rounds=1)
    assert set(res) == set(targets)
    for name, r in res.items():
        assert "error" not in r, (name, r.get("error"))
        assert r["n"] > 0 and r["errors"] == 0, (name, r)
    rows_counts = {
        r["rows"] for name, r in res.items() if name in ("sparql", "minimal", "rdflib-endpoint")
    }
    assert len(rows_counts) == 1 and rows_counts != {None}  # same answer from every engine
    rows = http.rows_for("tiny", res)
    assert all(set(r) == set(common.ROW_KEYS) for r in rows)
    assert any(r["name"] == "sparql" and r["ratio"] for r in rows)


def test_startup_family_times_serve_and_a_persisted_store(tmp_path: Path) -> None:
    import argparse

    from benchmarks import startup

    times = startup.time_serve([])
    assert 0 < times["healthz_s"] <= times["sparql_s"]
    args = argparse.Namespace(seed=1, data_dir=str(tmp_path))
    path, built = startup.build_store("2k", args)
    assert built is not None and startup.build_store("2k", args) == (path, None)  # built once
    params = engine.pick_params(common.dataset("2k", args))
    out = startup.time_open(
        path, (engine.QUERY_DIR / "actor-stances.rq").read_text(), params["actor"]
    )
    assert out["rows"] == params["actor_stances"] and out["quads"] >= 1800


def test_analytics_family_runs_every_analysis(tiny: Path) -> None:
    from benchmarks import analytics

    res = analytics.worker(str(tiny), 1)
    assert set(res["analyses"]) == set(analytics.ANALYSES)
    rows = analytics.rows_for("tiny", res)
    assert all(set(r) == set(common.ROW_KEYS) for r in rows)
    assert [r["name"] for r in rows] == ["load", *analytics.ANALYSES]
    assert all(r["median_ms"] is not None for r in rows)


def test_fairness_family_measures_idle_and_attack_side_by_side(tiny: Path) -> None:
    import shutil

    from benchmarks import fairness

    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    (res,) = fairness.measure([common.ROOT], tiny, duration=1, warmup=0.5, attackers=2, timeout=2)
    assert res["rows"] and res["rows"] > 0
    for phase in ("idle", "attack"):
        r = res[phase]
        assert r["n"] > 0 and r["socket_errors"] == 0 and r["timeouts"] == 0, (phase, r)
        assert 0 < r["p50_ms"] <= r["p99_ms"] <= r["max_ms"], (phase, r)
    assert res["heavy_sent"] >= 2
    assert res["ratio"] == res["attack"]["p99_ms"] / res["idle"]["p99_ms"]
    rows = fairness.rows_for("tiny", [res])
    assert [r["name"] for r in rows] == ["cheap-idle", "cheap-attack"]
    assert all(set(r) == set(common.ROW_KEYS) for r in rows)
    assert "| this checkout | attack |" in fairness.table([res])


def test_coding_family_times_saves_side_by_side(tmp_path: Path) -> None:
    import argparse

    from benchmarks import coding

    args = argparse.Namespace(
        sizes=["2k"],
        saves=3,
        browser=False,
        seed=7,
        data_dir=tmp_path,
        quick=True,
        repeats=None,
        timeout=60.0,
    )
    rows = coding.run(args)
    assert [r["name"] for r in rows] == [
        "save-dry-run",
        "save-write",
        "own-dry-run",
        "own-write",
        "sparql-insert",
    ]
    assert all(r["n"] == 3 and r["median_ms"] > 0 for r in rows)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the burst reads with wrk")
def test_writes_family_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The writes benchmark runs through: engine and validated writes, the burst with and
    without lagging readers, every write accepted."""
    from benchmarks import writes

    rc = writes.main(
        [
            "--sizes",
            "2k",
            "--writes",
            "3",
            "--duration",
            "2",
            "--read-staleness",
            "0.5",
            "--data-dir",
            str(tmp_path),
            "--json",
        ]
    )
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    names = {(r["name"], r["engine"]) for r in rows}
    assert ("stance-write", "stancegraph-serve-disk") in names
    assert ("burst-writes", "stancegraph-serve-disk --read-staleness 0.5") in names
    bursts = [r for r in rows if r["name"] == "burst-writes"]
    assert len(bursts) == 2 and all("; 0 errors" in r["note"] and r["n"] > 0 for r in bursts)

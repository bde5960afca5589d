"""Remote-store benchmark: the embedded store vs Oxigraph server vs Virtuoso, in one run.

For each size, the generated N-Quads (``benchmarks/generate.py``) are loaded into

- ``embedded``: ``OxigraphStore()`` in memory, ``bulk_load`` (the baseline);
- ``oxigraph-server``: ``oxigraph serve`` on a loopback port (RocksDB on disk), through
  ``SparqlHttpStore.bulk_load`` (Graph Store POSTs of ``gsp_chunk_triples`` quads);
- ``virtuoso``: ``virtuoso-t`` with a private ``virtuoso.ini`` on loopback ports, same path;
  measured twice on the same data: ``virtuoso (list)`` (the default: every data graph
  listed as ``default-graph-uri``, exact) and ``virtuoso (all)`` (``union="all"``: the
  engine's own default graph, system graphs included);

then every query of ``benchmarks/queries/*.rq`` runs ``k`` times through the store's
``query`` and ``graph.to_result`` (what ``StanceGraph.query`` does: parameters bound,
union default graph, rows converted to Python), plus ``analytics-frame`` (the seven
SELECTs behind every analysis) and ``graph-list`` (the named-graph list, uncached). Rows:
``load`` (median of one load: wall time), one per query (median over ``k``), with the result
size in ``note``; ``ratio`` is the engine's time over the embedded store's in the same run.

Servers start and stop inside the family (by PID); a missing binary skips its engine with a
note. Standalone: ``python benchmarks/remote.py --sizes 100k`` (``--engines`` to choose).
Virtuoso at 1m takes a few minutes to load here; the default sizes are ``10k,100k``
(``--sizes 1m`` to include it).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: keep benchmarks/ (http.py) off sys.path
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import argparse
import importlib.util
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from benchmarks import common

ENGINES = ("embedded", "oxigraph-server", "virtuoso")
FAMILY = "remote"
DEFAULT_SIZES = ("10k", "100k")


def _servers() -> Any:
    """``tests/remote/servers.py`` (the launchers the test suite uses), loaded by path."""
    path = common.ROOT / "tests" / "remote" / "servers.py"
    spec = importlib.util.spec_from_file_location("_sg_remote_servers", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _timed(fn: Callable[[], Any], k: int) -> tuple[float | None, Any]:
    times, out = [], None
    for _ in range(k):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return (statistics.median(times) * 1000 if times else None), out


def _measure(engine: str, store: Any, size: str, k: int, params: dict[str, Any], load_s: float, note: str) -> list[dict[str, Any]]:
    from benchmarks.engine import bindings_for, load_queries
    from stancegraph.analytics.projections import load_frame
    from stancegraph.graph import StanceGraph, to_result

    rows = [common.row(FAMILY, "load", engine, size, load_s * 1000, n=1, note=note)]
    for name, text in load_queries().items():
        b = bindings_for(name, params)

        def run(text: str = text, b: dict[str, Any] = b) -> Any:
            return to_result(store.query(text, substitutions=b, union_default_graph=True))

        try:
            run()  # warm-up (and graph-list cache for Virtuoso)
            ms, res = _timed(run, k)
            rows.append(common.row(FAMILY, name, engine, size, ms, n=k, note=f"rows={len(res)}"))
        except Exception as exc:  # one failing query must not lose the others
            rows.append(common.row(FAMILY, name, engine, size, None, note=f"{type(exc).__name__}: {str(exc)[:120]}"))
    kg = StanceGraph(store)
    ms, frame = _timed(lambda: load_frame(kg), max(1, k // 2))
    rows.append(common.row(FAMILY, "analytics-frame", engine, size, ms, n=max(1, k // 2), note=f"stances={len(frame.stances)}"))
    if hasattr(store, "_all_graphs"):
        def graphs() -> list[str]:
            store._graphs = None
            return store.named_graphs()

        ms, gs = _timed(graphs, k)
        rows.append(common.row(FAMILY, "graph-list", engine, size, ms, n=k, note=f"graphs={len(gs)}"))
    return rows


def args_timeout(args: Any) -> float:
    """Seconds before one remote query is given up (``--timeout``; default 120)."""
    t = getattr(args, "timeout", None)
    return float(t) if t and t > 30 else 120.0


def run_size(size: str, args: Any, engines: tuple[str, ...]) -> list[dict[str, Any]]:
    from benchmarks.engine import pick_params
    from stancegraph.config import open_store
    from stancegraph.graph import load_ontology
    from stancegraph.store import OxigraphStore

    servers = _servers()
    path = common.dataset(size, args)
    params = pick_params(path)
    k = common.repeats_for(size, args)
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        quads = sum(1 for _ in f)
    for engine in engines:
        common.log(f"remote {size}: {engine}")
        if engine == "embedded":
            store = OxigraphStore()
            t = time.perf_counter()
            store.bulk_load(path, ox.RdfFormat.N_QUADS)
            load_ontology(store)
            rows += _measure(engine, store, size, k, params, time.perf_counter() - t, f"quads={quads}, bulk_load + ontology")
            continue
        tmp = Path(tempfile.mkdtemp(prefix=f"sg-bench-{engine}-"))
        try:
            if engine == "oxigraph-server":
                if not servers.oxigraph_binary():
                    rows.append(common.row(FAMILY, "load", engine, size, None, note="skipped: no oxigraph binary"))
                    continue
                server = servers.OxigraphServer(tmp)
            else:
                if not servers.virtuoso_binaries():
                    rows.append(common.row(FAMILY, "load", engine, size, None, note="skipped: no virtuoso-t"))
                    continue
                server = servers.VirtuosoServer(tmp, max_rows=100_000, memory_mb=2000)
            try:
                server.start()
                store = open_store(server.spec, timeout_s=args_timeout(args), write_timeout_s=1200)
                t = time.perf_counter()
                sent = store.bulk_load(path, ox.RdfFormat.N_QUADS)
                load_ontology(store)  # the analytics need the class hierarchy
                load_s = time.perf_counter() - t
                note = f"quads={sent}, graph store, {store.settings.gsp_chunk_triples}/request, + ontology"
                label = "virtuoso (list)" if engine == "virtuoso" else engine
                rows += _measure(label, store, size, k, params, load_s, note)
                if engine == "virtuoso":  # the same server, union default graph = all graphs
                    fast = open_store(server.spec, timeout_s=args_timeout(args), union="all")
                    rows += _measure("virtuoso (all)", fast, size, k, params, load_s, "same server; " + note)[1:]
            finally:
                server.stop()
        finally:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    base = {r["name"]: r["median_ms"] for r in rows if r["engine"] == "embedded"}
    for r in rows:
        b = base.get(r["name"])
        if r["engine"] != "embedded" and b and r["median_ms"]:
            r["ratio"] = round(r["median_ms"] / b, 2)
    return rows


def run(args: Any) -> list[dict[str, Any]]:
    sizes = getattr(args, "remote_sizes", None) or [s for s in args.sizes if s.lower() != "1m"] or list(DEFAULT_SIZES)
    engines = tuple(e for e in (getattr(args, "engines", None) or ENGINES) if e in ENGINES) or ENGINES
    rows: list[dict[str, Any]] = []
    for size in sizes:
        rows += run_size(size, args, engines)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(DEFAULT_SIZES), help="dataset sizes (10k, 100k, 1m)")
    ap.add_argument("--engines", help=f"subset of {','.join(ENGINES)}")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--timeout", type=float, help="seconds per remote query (default 120)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    args = ap.parse_args(argv)
    args.remote_sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.sizes = args.remote_sizes
    args.engines = args.engines.split(",") if args.engines else None
    machine = common.machine()
    rows = run(args)
    print(common.markdown_table(rows, machine))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Analytics benchmark: every analysis of ``stancegraph.analytics`` on the generated graphs.

Each size runs in its own subprocess (so its peak RSS, ``ru_maxrss``, is its own): it
bulk-loads the N-Quads into ``StanceGraph(OxigraphStore())`` (with the ontology and
vocabularies, ``load_ontology``, as ``stancegraph.open`` does for a new store), then for each analysis, k
times on a fresh ``Analytics(kg, auto_materialize=False)`` (empty caches):

- ``projection``: ``an.frame()`` (SPARQL → the filtered rows: RDF to Python) plus the
  NetworkX graph the analysis works on (``actor_network`` for coalitions and balance,
  ``nominations`` for guarantors, ``dependencies`` for conditions, ``bipartite`` for
  positions and layout), timed separately;
- ``algorithm``: the analysis call once the frame is cached (coalitions, guarantors,
  conditions, positions and layout build their own graph from the frame, so this includes
  that build; balance is ``balance_partition`` on the prebuilt signed actor network);
- ``second call``: the same call again (the per-(version, options) cache);
- ``materialize``: ``an.materialize(force=True)`` (every analysis + writing the derived
  graph), then ``an.materialize()`` again (current: a no-op).

Rows: ``median_ms`` = projection + algorithm (first call, cold caches), breakdown in the
note; ``rss_mb`` = the process's peak RSS after that analysis (cumulative: analyses run in
the order of the table). Standalone: ``python benchmarks/analytics.py --sizes 10k,100k,1m``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: keep benchmarks/ (http.py) off sys.path
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import argparse
import json
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any

from benchmarks import common
from benchmarks.engine import maxrss_mb

ANALYSES = (
    "coalitions",
    "balance",
    "guarantors",
    "conditions",
    "positions",
    "layout",
    "materialize",
)


def _steps(name: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any]]:
    """(graph projection, algorithm, second call) for one analysis, each taking an Analytics."""
    from stancegraph.analytics import balance_partition

    if name == "coalitions":
        return (
            lambda an: an.actor_network(),
            lambda an: an.coalitions(),
            lambda an: an.coalitions(),
        )
    if name == "balance":
        return (
            lambda an: an.actor_network(),
            lambda an: balance_partition(an.actor_network(), seed=an.seed),
            lambda an: an.balance(),
        )
    if name == "guarantors":
        return (lambda an: an.nominations(), lambda an: an.guarantors(), lambda an: an.guarantors())
    if name == "conditions":
        return (
            lambda an: an.dependencies(),
            lambda an: an.conditions(),
            lambda an: an.conditions(),
        )
    if name == "positions":
        return (lambda an: an.bipartite(), lambda an: an.positions(), lambda an: an.positions())
    if name == "layout":
        return (lambda an: an.bipartite(), lambda an: an.layout(), lambda an: an.layout())
    if name == "materialize":
        return (lambda an: None, lambda an: an.materialize(force=True), lambda an: an.materialize())
    raise ValueError(f"unknown analysis {name!r}")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def _describe(name: str, value: Any) -> str:
    try:
        if name == "coalitions":
            return f"{len(value.coalitions)} coalitions, {value.network.number_of_nodes()} actors"
        if name == "balance":
            return f"frustration {value.frustration if hasattr(value, 'frustration') else '?'}"
        if name == "materialize":
            return f"{value.triples} triples written"
        if name == "layout":
            return f"{len(value.nodes)} of {value.total_nodes} nodes"
    except AttributeError:
        pass
    return ""


def worker(data: str, k: int, analyses: tuple[str, ...] = ANALYSES) -> dict[str, Any]:
    """Load ``data`` and time every analysis k times (this process's RSS is the figure)."""
    import pyoxigraph as ox

    import stancegraph
    from stancegraph.analytics import Analytics
    from stancegraph.ingest.bootstrap import load_ontology

    rss_base = maxrss_mb()
    store = stancegraph.OxigraphStore()
    load_ontology(store)  # actor classes and vocabulary weights: the analytics need them
    load_s, _ = _timed(lambda: store.bulk_load(data, ox.RdfFormat.N_QUADS))
    kg = stancegraph.StanceGraph(store)
    out: dict[str, Any] = {
        "load_s": load_s,
        "quads": len(store),
        "rss_base_mb": rss_base,
        "rss_load_mb": maxrss_mb(),
        "analyses": {},
    }
    for name in analyses:
        project, algorithm, again = _steps(name)
        res: dict[str, list[float]] = {"frame": [], "graph": [], "algorithm": [], "second": []}
        what = ""
        for _ in range(max(1, k)):
            an = Analytics(kg, auto_materialize=False)
            res["frame"].append(_timed(an.frame)[0])
            if name not in ("balance", "materialize"):  # the analysis rebuilds its graph itself
                res["graph"].append(_timed(lambda an=an, f=project: f(an))[0])
                an = Analytics(kg, auto_materialize=False)
                an.frame()
            else:
                res["graph"].append(_timed(lambda an=an, f=project: f(an))[0])
            dt, value = _timed(lambda an=an, f=algorithm: f(an))
            res["algorithm"].append(dt)
            if name == "balance":
                an.balance()  # fill the cache (it computes the coalitions report)
            res["second"].append(_timed(lambda an=an, f=again: f(an))[0])
            what = _describe(name, value)
        out["analyses"][name] = {**res, "rss_mb": maxrss_mb(), "what": what}
        med = {key: common.median_ms(v) for key, v in res.items()}
        common.log(
            f"  analytics {name:12s} frame {med['frame']:8.1f} ms  graph {med['graph']:8.1f} ms  "
            f"algorithm {med['algorithm']:9.1f} ms  second {med['second']:.3f} ms  {what}"
        )
    out["rss_peak_mb"] = maxrss_mb()
    return out


def spawn(
    data: Path, k: int, timeout: float = 1800.0, analyses: tuple[str, ...] = ANALYSES
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.analytics",
        "--worker",
        "--data",
        str(data),
        "--k",
        str(k),
        "--analyses",
        ",".join(analyses),
    ]
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=None, text=True, cwd=str(common.ROOT), timeout=timeout
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"worker exited with {proc.returncode}"}
    return json.loads(lines[-1])


def rows_for(size: str, res: dict[str, Any]) -> list[dict[str, Any]]:
    R = common.row
    if "error" in res:
        return [R("analytics", "load", "stancegraph", size, note=res["error"])]
    rows = [
        R(
            "analytics",
            "load",
            "stancegraph",
            size,
            res["load_s"] * 1000,
            rss_mb=res["rss_load_mb"],
            n=1,
            note=f"{res['quads']:,} quads, OxigraphStore.bulk_load; RSS after imports {res['rss_base_mb']:.0f} MB",
        )
    ]
    for name, a in res["analyses"].items():
        med = {
            key: statistics.median(v) * 1000 for key, v in a.items() if isinstance(v, list) and v
        }
        proj = med["frame"] + (med["graph"] if name == "balance" else 0.0)
        first = proj + med["algorithm"]
        if name == "materialize":
            parts = [
                f"frame {med['frame']:.0f} ms + materialize(force) {med['algorithm']:.0f} ms "
                "(every analysis + write)"
            ]
        elif name == "balance":
            parts = [
                f"projection {proj:.0f} ms (frame {med['frame']:.0f} + signed actor network "
                f"{med['graph']:.0f}) + balance_partition {med['algorithm']:.0f} ms"
            ]
        else:
            parts = [
                f"projection: frame {med['frame']:.0f} ms, graph {med['graph']:.0f} ms; "
                f"algorithm {med['algorithm']:.0f} ms (incl. its graph build)"
            ]
        parts.append(f"second call {med['second'] * 1000:.0f} µs")
        if a.get("what"):
            parts.append(a["what"])
        rows.append(
            R(
                "analytics",
                name,
                "networkx",
                size,
                first,
                rss_mb=a["rss_mb"],
                n=len(a["algorithm"]),
                note="; ".join(parts),
            )
        )
    return rows


def k_for(size: str, args: Any) -> int:
    if getattr(args, "repeats", None):
        return int(args.repeats)
    n = common.size_triples(size)
    return 1 if getattr(args, "quick", False) or n > 200_000 else 2 if n > 20_000 else 3


def run(args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        data = common.dataset(size, args)
        k = k_for(size, args)
        common.log(f"analytics: {size} ({data}), k={k}")
        t = time.perf_counter()
        rows.extend(
            rows_for(size, spawn(data, k, analyses=getattr(args, "analyses", None) or ANALYSES))
        )
        common.log(f"analytics: {size} took {time.perf_counter() - t:.0f} s")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="stancegraph analytics timings")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data", help="an N-Quads file (worker; or standalone instead of --sizes)")
    ap.add_argument("--k", type=int, help="repeats per analysis")
    ap.add_argument("--sizes", default="10k,100k")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    ap.add_argument(
        "--analyses",
        default=",".join(ANALYSES),
        help=f"comma-separated subset of {', '.join(ANALYSES)}",
    )
    args = ap.parse_args(argv)
    analyses = tuple(a.strip() for a in args.analyses.split(",") if a.strip())
    unknown = set(analyses) - set(ANALYSES)
    if unknown:
        ap.error(f"unknown analyses: {', '.join(sorted(unknown))}")
    if args.worker:
        print(json.dumps(worker(args.data, args.k or 1, analyses)))
        return 0
    if args.data:
        rows = rows_for(
            Path(args.data).name, spawn(Path(args.data), args.k or 1, analyses=analyses)
        )
    else:
        ns = argparse.Namespace(
            sizes=[s.strip() for s in args.sizes.split(",") if s.strip()],
            repeats=args.k,
            quick=False,
            seed=args.seed,
            data_dir=args.data_dir,
            analyses=analyses,
        )
        rows = run(ns)
    print(common.markdown_table(rows, common.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

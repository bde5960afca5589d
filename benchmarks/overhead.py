"""Overhead benchmark: each benchmark query on a persisted store, three ways, plus server memory.

For the persisted store of ``--size`` (default 1m; built once by ``startup.build_store``):

1. *direct* vs *API*, alternating in one process on the same read-only store: pyoxigraph
   ``Store.query`` with the values inline (solutions or triples counted, terms untouched)
   and ``StanceGraph.query`` (every value converted to Python), as ``engine.py`` does;
2. *HTTP*: ``stancegraph serve --store … --no-sparql-cache`` on the same store, each query
   sent as ``GET /sparql`` (parameters bound by a ``VALUES`` block at the start of the
   ``WHERE``), answer read in full (SPARQL-JSON, or N-Triples for CONSTRUCT), from a fresh
   connection. The query text carries a counter comment, so no cache can answer it.
   Ratios: API / direct and HTTP / direct (targets ≤ 1.3).
3. *memory under load*: the same server, ``--clients`` client threads for ``--load-s``
   seconds mixing ``/sparql`` (rotating actors) and JSON API routes; the RSS of the server
   and all its descendants (query zygote and workers) is summed every 0.2 s; the row has
   the peak (target < 1.5 GB) and the note the breakdown at the peak.

``python benchmarks/overhead.py`` (``--size 10k --k 3`` for a quick look) or
``python benchmarks/run.py --families overhead --sizes 1m``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: keep benchmarks/ (http.py) off sys.path
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import argparse
import gc
import itertools
import json
import re
import subprocess
import threading
import time
import urllib.parse
from typing import Any

from benchmarks import common
from benchmarks.engine import bindings_for, load_queries, pick_params, time_api_vs_direct
from benchmarks.http import fetch, free_port, spawn, stop, wait_ready
from benchmarks.startup import build_store

JSON = "application/sparql-results+json"


def params_for(size: str, args: Any) -> dict[str, Any]:
    """``pick_params`` of the dataset, cached next to it (parsing 1M quads takes a while)."""
    data = common.dataset(size, args)
    cached = data.with_suffix(".params.json")
    if cached.exists() and cached.stat().st_mtime >= data.stat().st_mtime:
        return json.loads(cached.read_text())
    params = pick_params(data)
    cached.write_text(json.dumps(params))
    return params


def with_values(text: str, bindings: dict[str, str]) -> str:
    """The query with each parameter bound by a VALUES block opening its WHERE."""
    values = " ".join(f"VALUES ?{k} {{ <{v}> }}" for k, v in bindings.items())
    return re.sub(
        r"WHERE\s*\{", lambda _m: f"WHERE {{ {values}", text, count=1, flags=re.IGNORECASE
    )


def time_in_process(path: Path, params: dict[str, Any], k: int, budget_s: float) -> dict[str, Any]:
    import stancegraph

    kg = stancegraph.open(path, read_only=True)
    out = {}
    for name, sparql in load_queries().items():
        out[name] = time_api_vs_direct(kg, sparql, bindings_for(name, params), k, budget_s)
        common.log(
            f"  overhead {name:26s} direct {common.median_ms(out[name]['direct_times']):9.2f} ms "
            f"API {common.median_ms(out[name]['times']):9.2f} ms rows={out[name]['rows']}"
        )
    del kg
    gc.collect()
    return out


def start_server(path: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "stancegraph",
        "serve",
        "--store",
        str(path),
        "--no-sparql-cache",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--timeout",
        "600",
        "--max-rows",
        "10000000",
    ]
    proc = spawn(cmd)
    wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def time_http(base: str, params: dict[str, Any], k: int, budget_s: float) -> dict[str, Any]:
    counter = itertools.count()
    out = {}
    for name, sparql in load_queries().items():
        text = with_values(sparql, bindings_for(name, params))
        accept = "application/n-triples" if "CONSTRUCT" in sparql.upper() else JSON
        times: list[float] = []
        status = None
        for _ in range(max(1, k)):
            url = (
                base
                + "/sparql?"
                + urllib.parse.urlencode({"query": f"# run {next(counter)}\n{text}"})
            )
            t = time.perf_counter()
            status, _body = fetch(url, {"Accept": accept}, timeout=900)[:2]
            times.append(time.perf_counter() - t)
            if status != 200 or sum(times) > budget_s:
                break
        out[name] = {"times": times, "status": status}
        common.log(f"  overhead {name:26s} HTTP {common.median_ms(times):9.2f} ms status={status}")
    return out


def tree_rss(pid: int) -> dict[str, float]:
    """RSS in MB of ``pid`` and each of its descendants, by ``name:pid``."""
    import psutil

    out: dict[str, float] = {}
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return out
    for p in procs:
        try:
            out[f"{'server' if p.pid == pid else 'worker'}:{p.pid}"] = p.memory_info().rss / 1e6
        except psutil.Error:
            continue
    return out


def memory_under_load(
    base: str, pid: int, params: dict[str, Any], seconds: float, clients: int
) -> dict[str, Any]:
    """Peak summed RSS of the server tree while ``clients`` threads hit /sparql and /api."""
    actors = [params["actor"], *params.get("actors", [])]
    stance_q = load_queries()["actor-stances"]
    slug = params["actor"].rstrip("/").rsplit("/", 1)[-1]
    routes = [
        "/api/actors",
        "/api/propositions",
        f"/api/stances?holder={slug}",
        "/api/sources",
        "/api/conditions",
        "/healthz",
    ]
    stop_at = time.monotonic() + seconds
    counter = itertools.count()
    done = {"sparql": 0, "api": 0, "errors": 0}
    lock = threading.Lock()

    def client(i: int) -> None:
        while time.monotonic() < stop_at:
            n = next(counter)
            if n % 2 == 0:
                q = f"# load {n}\n" + with_values(stance_q, {"actor": actors[n % len(actors)]})
                url, kind, accept = (
                    base + "/sparql?" + urllib.parse.urlencode({"query": q}),
                    "sparql",
                    JSON,
                )
            else:
                url, kind, accept = base + routes[n % len(routes)], "api", "application/json"
            try:
                status = fetch(url, {"Accept": accept}, timeout=120)[0]
            except OSError:
                status = 0
            with lock:
                done[kind if status == 200 else "errors"] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    peak: dict[str, float] = {}
    samples = 0
    while any(t.is_alive() for t in threads):
        now = tree_rss(pid)
        samples += 1
        if sum(now.values()) > sum(peak.values()):
            peak = now
        time.sleep(0.2)
    for t in threads:
        t.join()
    return {"peak": peak, "total_mb": sum(peak.values()), "samples": samples, **done}


def run(args: Any) -> list[dict[str, Any]]:
    R = common.row
    rows: list[dict[str, Any]] = []
    k = getattr(args, "repeats", None) or 5
    budget = 60.0
    for size in args.sizes:
        path, _built = build_store(size, args)
        params = params_for(size, args)
        common.log(f"overhead: {size} store {path}, k={k}")
        inproc = time_in_process(path, params, k, budget)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(path, port)
        try:
            http = time_http(base, params, k, budget)
            mem = memory_under_load(
                base, proc.pid, params, getattr(args, "load_s", 30.0), getattr(args, "clients", 8)
            )
        finally:
            stop(proc)
        for name, q in inproc.items():
            direct = common.median_ms(q["direct_times"])
            api = common.median_ms(q["times"])
            h = http.get(name, {})
            hm = common.median_ms(h.get("times") or []) if h.get("status") == 200 else None
            rows.append(
                R(
                    "overhead",
                    name,
                    "pyoxigraph direct",
                    size,
                    direct,
                    n=len(q["direct_times"]),
                    note=f"rows={q['direct_rows']}",
                )
            )
            rows.append(
                R(
                    "overhead",
                    name,
                    "Python API",
                    size,
                    api,
                    n=len(q["times"]),
                    ratio=api / direct if api and direct else None,
                    note="ratio = API / direct",
                )
            )
            rows.append(
                R(
                    "overhead",
                    name,
                    "/sparql HTTP",
                    size,
                    hm,
                    n=len(h.get("times") or []) or None,
                    ratio=hm / direct if hm and direct else None,
                    note="ratio = HTTP / direct" if hm else f"status {h.get('status')}",
                )
            )
        breakdown = ", ".join(f"{k_}={v:.0f}" for k_, v in sorted(mem["peak"].items()))
        rows.append(
            R(
                "overhead",
                "server RSS under load",
                "stancegraph serve --store",
                size,
                rss_mb=mem["total_mb"],
                note=f"peak of the process tree (MB: {breakdown}); {mem['sparql']} /sparql + "
                f"{mem['api']} /api answers, {mem['errors']} errors in "
                f"{getattr(args, 'load_s', 30.0):g} s, {getattr(args, 'clients', 8)} clients",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="API and HTTP overhead over pyoxigraph; server memory")
    ap.add_argument("--size", default="1m")
    ap.add_argument("--k", type=int, default=5, help="timed repeats per query and way")
    ap.add_argument(
        "--load-s", type=float, default=30.0, help="seconds of load for the memory measurement"
    )
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    args = ap.parse_args(argv)
    ns = argparse.Namespace(
        sizes=[args.size],
        repeats=args.k,
        quick=False,
        seed=args.seed,
        data_dir=args.data_dir,
        load_s=args.load_s,
        clients=args.clients,
    )
    rows = run(ns)
    print(common.markdown_table(rows, common.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Engine benchmark: rdflib vs pyoxigraph (in memory and on disk) vs stancegraph's API.

For each dataset size, each engine runs in its own subprocess (so its peak RSS,
``resource.getrusage().ru_maxrss``, is its own): it loads the generated N-Quads, then runs
the query set of ``benchmarks/queries/*.rq`` k times each with the default graph as the
union of all graphs. Engines:

- ``oxigraph``: ``pyoxigraph.Store()`` in memory, ``Store.load(path=...)``;
- ``oxigraph-disk``: ``pyoxigraph.Store(tmpdir)`` (RocksDB) filled with ``bulk_load``;
- ``stancegraph-api``: ``StanceGraph(OxigraphStore())`` filled with
  ``OxigraphStore.bulk_load``; each query is timed through ``kg.query(...)`` (rows
  converted to Python values) and, interleaved in the same process, through the
  underlying pyoxigraph store directly, giving the API overhead ratio;
- ``rdflib``: ``rdflib.Dataset(default_union=True)``; every query runs in a forked child
  that is killed when one repeat exceeds ``--timeout`` seconds (marked ``timeout``), and
  repeats stop once they have used ``--budget`` seconds.

Results are fully consumed in every engine (pyoxigraph and rdflib results are lazy).
Parameters are bound with an inline ``VALUES`` block (pyoxigraph) and ``initBindings`` (rdflib),
picked deterministically from the data by :func:`pick_params`.

Standalone: ``python benchmarks/engine.py --size 10k`` (or ``--data FILE``); normally run
through ``benchmarks/run.py``.
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
import os
import resource
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks import common

QUERY_DIR = Path(__file__).resolve().parent / "queries"
SG = "https://w3id.org/stancegraph/ns#"
ID = "https://w3id.org/stancegraph/id/"

# Query order in reports, and which picked parameter each query variable gets.
QUERIES: dict[str, dict[str, str]] = {
    "actor-stances": {"actor": "actor"},
    "proposition-sides": {"proposition": "proposition"},
    "coalition-partners": {"actor": "actor"},
    "coalition-all-pairs": {},
    "polarity-counts": {},
    "transitive-preconditions": {"proposition": "deep_proposition"},
    "actor-neighbourhood": {"actor": "actor"},
}
ENGINES = ("oxigraph", "oxigraph-disk", "stancegraph-api", "rdflib")


def load_queries() -> dict[str, str]:
    """The benchmark queries by name (file stem), in report order."""
    texts = {p.stem: p.read_text() for p in sorted(QUERY_DIR.glob("*.rq"))}
    ordered = {name: texts.pop(name) for name in QUERIES if name in texts}
    ordered.update(texts)  # queries added later without a parameter entry
    return ordered


def bindings_for(name: str, params: dict[str, str]) -> dict[str, str]:
    return {var: params[key] for var, key in QUERIES.get(name, {}).items()}


# --------------------------------------------------------------------------- parameters


def pick_params(path: str | Path) -> dict[str, Any]:
    """Deterministic query parameters from an N-Quads file (plain text scan, no engine).

    - ``actor``: the holder with the most stances (ties: smallest IRI);
    - ``proposition``: the proposition targeted by the most stances;
    - ``deep_proposition``: the proposition with the most transitive preconditions
      (through stances' sg:condition/sg:requires).
    """
    holder_p = f"<{SG}holder>"
    target_p = f"<{SG}target>"
    cond_p = f"<{SG}condition>"
    req_p = f"<{SG}requires>"
    holders: dict[str, int] = {}
    targets: dict[str, int] = {}
    target_of: dict[str, str] = {}
    conds: dict[str, list[str]] = {}
    requires: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if f"{SG}" not in line:
                continue
            parts = line.split(" ", 3)
            if len(parts) < 3:
                continue
            s, p, o = parts[0], parts[1], parts[2]
            if p == holder_p:
                holders[o] = holders.get(o, 0) + 1
            elif p == target_p:
                target_of[s] = o
                if "/proposition/" in o:
                    targets[o] = targets.get(o, 0) + 1
            elif p == cond_p:
                conds.setdefault(s, []).append(o)
            elif p == req_p:
                requires[s] = o
    if not holders or not targets:
        raise ValueError(f"{path}: no stances found")
    deps: dict[str, set[str]] = {}
    for stance, cs in conds.items():
        t = target_of.get(stance)
        for c in cs:
            if t and c in requires:
                deps.setdefault(t, set()).add(requires[c])

    def closure(start: str) -> int:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in deps.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return len(seen)

    def best(counts: dict[str, int]) -> str:
        return min(counts, key=lambda k: (-counts[k], k))

    depth = {p: closure(p) for p in sorted(deps)}
    deep = best(depth) if depth else best(targets)
    strip = lambda t: t.strip()[1:-1]  # noqa: E731  <iri> -> iri
    return {
        "actor": strip(best(holders)),
        "actor_stances": max(holders.values()),
        "proposition": strip(best(targets)),
        "proposition_stances": max(targets.values()),
        "deep_proposition": strip(deep),
        "deep_preconditions": depth.get(deep, 0),
    }


# --------------------------------------------------------------------------- engines


def maxrss_mb() -> float:
    """Peak RSS of this process so far (Linux reports KiB, macOS bytes)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 / 1024 if sys.platform == "darwin" else r / 1024


def prepare(engine: str) -> None:
    """Import what ``engine`` needs (before timing the load and reading the RSS baseline)."""
    import importlib

    for mod in {
        "rdflib": ["rdflib", "rdflib.plugins.sparql"],
        "stancegraph-api": ["pyoxigraph", "stancegraph"],
    }.get(engine, ["pyoxigraph"]):
        importlib.import_module(mod)


def load(engine: str, path: str | Path, workdir: str | Path | None = None) -> Any:
    """Load the N-Quads file into ``engine``; returns the engine handle."""
    path = str(path)
    if engine == "rdflib":
        import rdflib.plugins.sparql
        from rdflib import Dataset

        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # never fetch graphs from the web
        ds = Dataset(default_union=True)
        ds.parse(path, format="nquads")
        return ds
    if engine == "oxigraph":
        import pyoxigraph as ox

        store = ox.Store()
        store.load(path=path, format=ox.RdfFormat.N_QUADS)
        return store
    if engine == "oxigraph-disk":
        import pyoxigraph as ox

        if workdir is None:
            raise ValueError("oxigraph-disk needs a working directory")
        store = ox.Store(str(workdir))
        store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
        store.flush()
        return store
    if engine == "stancegraph-api":
        import pyoxigraph as ox

        import stancegraph

        store = stancegraph.OxigraphStore()
        store.bulk_load(path, ox.RdfFormat.N_QUADS)
        return stancegraph.StanceGraph(store)
    raise ValueError(f"unknown engine {engine!r}")


def size_of(engine: str, handle: Any) -> int:
    if engine == "rdflib":
        return sum(1 for _ in handle.quads((None, None, None, None)))
    if engine == "stancegraph-api":
        return len(handle.store)
    return len(handle)


def executor(engine: str, handle: Any, sparql: str, bindings: dict[str, str]) -> Callable[[], int]:
    """A function running the query once, consuming every result; returns the result size."""
    if engine == "rdflib":
        from rdflib import URIRef

        init = {k: URIRef(v) for k, v in bindings.items()}
        return lambda: sum(1 for _ in handle.query(sparql, initBindings=init))
    if engine in ("oxigraph", "oxigraph-disk", "direct"):
        import pyoxigraph as ox

        from stancegraph.sparql.bindings import inline_bindings

        store = handle.store.raw if engine == "direct" else handle
        # The fastest way to bind values in pyoxigraph: an inline VALUES block (what
        # StanceGraph.query sends too); ``substitutions`` bind after planning (up to 12x
        # slower at 1M), so they would flatter every ratio against "direct".
        bound = {k: ox.NamedNode(v) for k, v in bindings.items()}
        text = inline_bindings(sparql, bound)
        if text is None:
            subs = {ox.Variable(k): v for k, v in bound.items()}
            return lambda: sum(
                1 for _ in store.query(sparql, substitutions=subs, use_default_graph_as_union=True)
            )
        return lambda: sum(1 for _ in store.query(text, use_default_graph_as_union=True))
    if engine == "stancegraph-api":
        return lambda: len(handle.query(sparql, **bindings))
    raise ValueError(f"unknown engine {engine!r}")


def time_inline(run_once: Callable[[], int], k: int, budget_s: float) -> dict[str, Any]:
    """k timed runs in this process (at least one; stops once ``budget_s`` is spent)."""
    times: list[float] = []
    rows = None
    for _ in range(max(1, k)):
        t = time.perf_counter()
        rows = run_once()
        times.append(time.perf_counter() - t)
        if sum(times) > budget_s:
            break
    return {"status": "ok", "times": times, "rows": rows}


def time_forked(
    run_once: Callable[[], int], k: int, timeout_s: float, budget_s: float
) -> dict[str, Any]:
    """Like :func:`time_inline` but in a forked child, killed when one run exceeds
    ``timeout_s`` (the loaded data is shared copy-on-write, nothing is reloaded)."""
    if not hasattr(os, "fork"):
        return time_inline(run_once, k, budget_s)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            spent = 0.0
            for _ in range(max(1, k)):
                t = time.perf_counter()
                n = run_once()
                dt = time.perf_counter() - t
                os.write(w, f"{dt!r} {n}\n".encode())
                spent += dt
                if spent > budget_s:
                    break
        except BaseException as exc:
            msg = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:500]
            os.write(w, f"error {msg}\n".encode())
        finally:
            os._exit(0)
    os.close(w)
    times: list[float] = []
    rows = None
    status = "ok"
    note = ""
    buf = b""
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                if not times:
                    status = "timeout"
                note = f"a run exceeded {timeout_s:g} s"
                break
            ready, _, _ = select.select([r], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(r, 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode()
                if text.startswith("error "):
                    status, note = "error", text[6:]
                else:
                    dt, n = text.split()
                    times.append(float(dt))
                    rows = int(n)
                deadline = time.monotonic() + timeout_s
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    return {"status": status, "times": times, "rows": rows, "note": note}


def worker(
    engine: str,
    data: str | Path,
    k: int,
    timeout_s: float,
    budget_s: float,
    params: dict[str, Any],
    queries: dict[str, str] | None = None,
    fork: bool = True,
) -> dict[str, Any]:
    """Load ``data`` into ``engine`` and time every query (one process: RSS is ours)."""
    queries = queries if queries is not None else load_queries()
    workdir = tempfile.mkdtemp(prefix="sg-bench-") if engine == "oxigraph-disk" else None
    try:
        prepare(engine)
        rss_base = maxrss_mb()
        t = time.perf_counter()
        handle = load(engine, data, workdir)
        load_s = time.perf_counter() - t
        rss_load = maxrss_mb()
        out: dict[str, Any] = {
            "engine": engine,
            "load_s": load_s,
            "rss_base_mb": rss_base,
            "rss_load_mb": rss_load,
            "quads": size_of(engine, handle),
            "queries": {},
        }
        if workdir is not None:
            out["disk_mb"] = (
                sum(f.stat().st_size for f in Path(workdir).rglob("*") if f.is_file()) / 1e6
            )
        for name, sparql in queries.items():
            b = bindings_for(name, params)
            if engine == "stancegraph-api":
                out["queries"][name] = time_api_vs_direct(handle, sparql, b, k, budget_s)
            elif engine == "rdflib" and fork:
                out["queries"][name] = time_forked(
                    executor(engine, handle, sparql, b), k, timeout_s, budget_s
                )
            else:
                out["queries"][name] = time_inline(executor(engine, handle, sparql, b), k, budget_s)
            q = out["queries"][name]
            med = common.median_ms(q["times"])
            common.log(
                f"  {engine:16s} {name:26s} {q['status']:7s} "
                f"{'' if med is None else f'{med:10.2f} ms'} rows={q.get('rows')}"
            )
        out["rss_peak_mb"] = maxrss_mb()
        return out
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def time_api_vs_direct(
    kg: Any, sparql: str, bindings: dict[str, str], k: int, budget_s: float
) -> dict[str, Any]:
    """The API and pyoxigraph direct on the same store, alternating, k times each."""
    api = executor("stancegraph-api", kg, sparql, bindings)
    direct = executor("direct", kg, sparql, bindings)
    t_api: list[float] = []
    t_direct: list[float] = []
    rows = rows_direct = None
    for i in range(max(1, k)):
        pair = [(direct, t_direct), (api, t_api)]
        for fn, times in pair if i % 2 == 0 else reversed(pair):  # alternate the order
            t = time.perf_counter()
            n = fn()
            times.append(time.perf_counter() - t)
            if fn is api:
                rows = n
            else:
                rows_direct = n
        if sum(t_api) + sum(t_direct) > budget_s:
            break
    return {
        "status": "ok",
        "times": t_api,
        "rows": rows,
        "direct_times": t_direct,
        "direct_rows": rows_direct,
    }


# --------------------------------------------------------------------------- driver


def spawn(
    engine: str, data: Path, k: int, timeout_s: float, budget_s: float, params: dict[str, Any]
) -> dict[str, Any]:
    """Run :func:`worker` in a fresh interpreter and return its JSON result."""
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.engine",
        "--worker",
        engine,
        "--data",
        str(data),
        "--k",
        str(k),
        "--timeout",
        str(timeout_s),
        "--budget",
        str(budget_s),
        "--params",
        json.dumps(params),
    ]
    proc = subprocess.run(cmd, cwd=common.ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"engine": engine, "error": f"worker exited with {proc.returncode}"}
    return json.loads(lines[-1])


def rows_for(
    size: str, results: dict[str, dict[str, Any]], params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Result rows of one size from the workers' outputs."""
    R = common.row
    rows: list[dict[str, Any]] = []
    ox_load = results.get("oxigraph", {}).get("load_s")
    for engine in ENGINES:
        res = results.get(engine)
        if res is None:
            continue
        if "error" in res:
            rows.append(R("engine", "load", engine, size, note=res["error"]))
            continue
        ratio = res["load_s"] / ox_load if engine == "rdflib" and ox_load else None
        note = f"{res['quads']:,} quads; RSS after imports, before load {res['rss_base_mb']:.0f} MB"
        if "disk_mb" in res:
            note += f"; on disk {res['disk_mb']:.0f} MB"
        if ratio:
            note += "; ratio = rdflib/oxigraph load time"
        rows.append(
            R(
                "engine",
                "load",
                engine,
                size,
                res["load_s"] * 1000,
                rss_mb=res["rss_load_mb"],
                ratio=ratio,
                n=1,
                note=note,
            )
        )
    for name in load_queries():
        ox_q = results.get("oxigraph", {}).get("queries", {}).get(name)
        ox_med = common.median_ms(ox_q["times"]) if ox_q else None
        for engine in ENGINES:
            res = results.get(engine)
            if res is None or "error" in res:
                continue
            q = res["queries"][name]
            med = common.median_ms(q["times"])
            parts = [f"rows={q['rows']}"] if q.get("rows") is not None else []
            ratio = None
            if q["status"] == "timeout":
                parts = ["timeout"]
            elif q["status"] == "error":
                parts.append("error: " + q.get("note", ""))
            elif q.get("note"):
                parts.append(q["note"])
            if engine == "rdflib" and med and ox_med:
                ratio = med / ox_med
                parts.append("ratio = rdflib/oxigraph")
            if engine == "stancegraph-api":
                direct = common.median_ms(q["direct_times"])
                if med and direct:
                    ratio = med / direct
                    parts.append(f"ratio = API/pyoxigraph direct ({direct:.2f} ms, same process)")
            rows.append(
                R(
                    "engine",
                    name,
                    engine,
                    size,
                    med,
                    ratio=ratio,
                    n=len(q["times"]) or None,
                    note="; ".join(parts),
                )
            )
    return rows


def param_note(params: dict[str, Any]) -> str:
    short = lambda iri: iri.replace(ID, "id:")  # noqa: E731
    return (
        f"actor={short(params['actor'])} ({params['actor_stances']} stances), "
        f"proposition={short(params['proposition'])} ({params['proposition_stances']} stances), "
        f"deep proposition={short(params['deep_proposition'])} "
        f"({params['deep_preconditions']} transitive preconditions)"
    )


def run(args: Any) -> list[dict[str, Any]]:
    """The engine family for ``run.py``: every size, every engine, every query."""
    engines = [e for e in (getattr(args, "engines", None) or ENGINES) if e in ENGINES]
    timeout_s = float(getattr(args, "timeout", 30) or 30)
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        data = common.dataset(size, args)
        params = pick_params(data)
        k = common.repeats_for(size, args)
        common.log(f"engine: {size} ({data}), k={k}; {param_note(params)}")
        results = {}
        for engine in engines:
            common.log(f" {engine}: loading {data.name}")
            results[engine] = spawn(engine, data, k, timeout_s, max(timeout_s, 30.0), params)
        rows.extend(rows_for(size, results, params))
        rows.append(common.row("engine", "parameters", "-", size, note=param_note(params)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="rdflib vs pyoxigraph vs stancegraph API")
    ap.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    ap.add_argument("--data", help="an N-Quads file (default: generated for --size)")
    ap.add_argument("--size", default="10k", help="dataset size label when --data is not given")
    ap.add_argument("--k", type=int, default=None, help="timed repeats per query")
    ap.add_argument(
        "--timeout", type=float, default=30.0, help="rdflib: seconds per run before giving up"
    )
    ap.add_argument(
        "--budget", type=float, default=30.0, help="stop repeating after this many seconds"
    )
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.worker:
        out = worker(
            args.worker, args.data, args.k or 3, args.timeout, args.budget, json.loads(args.params)
        )
        print(json.dumps(out))
        return 0
    ns = argparse.Namespace(
        sizes=[args.size],
        repeats=args.k,
        quick=False,
        seed=args.seed,
        data_dir=None,
        timeout=args.timeout,
        engines=args.engines.split(","),
    )
    if args.data:
        data = Path(args.data)
        params = pick_params(data)
        k = args.k or 3
        results = {e: spawn(e, data, k, args.timeout, args.budget, params) for e in ns.engines}
        rows = rows_for(data.name, results, params)
    else:
        rows = run(ns)
    print(common.markdown_table(rows, common.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

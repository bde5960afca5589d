"""Remote-store benchmark: the embedded store vs Oxigraph server vs Virtuoso, in one run.

For each size, the generated N-Quads (``benchmarks/generate.py``) go into each backend,
then the same things are timed on each (``ratio`` = backend / embedded, same run):

- ``load (loader)``: the fastest way in. ``embedded``: ``OxigraphStore(dir).bulk_load`` +
  the ontology + ``flush`` (a persisted store, as ``serve --store DIR`` needs);
  ``oxigraph-server``: ``oxigraph load --location`` with the server stopped, start,
  ontology; ``virtuoso``: ``SparqlHttpStore.bulk_load(loader=VirtuosoLoader)`` (``ld_dir``
  + ``rdf_loader_run()`` + ``checkpoint`` through ``isql``) + ontology.
  ``load (graph store)``: the same file through ``SparqlHttpStore.bulk_load``'s Graph Store
  POSTs (works from any host), into a second, throwaway server.
- ``serve start``: launching ``stancegraph serve --store …`` until ``/healthz`` answers;
- ``/sparql <query>``: every ``queries/*.rq`` (parameters bound in the text by
  ``stancegraph.sparql.bindings.inject_values``; ``coalition-all-pairs`` only with ``--all-queries``)
  as ``GET /sparql`` through that service (``--no-sparql-cache``: every request runs);
  median of ``k`` after one warm-up;
- ``api …``: JSON routes through the same service, each URL requested once (the API's
  response cache is keyed by URL: these are cold requests): ``/api/actors``;
  ``/api/actors/{id}``, ``/api/stances?holder={id}`` over the ``k`` most active actors;
  ``/api/propositions/{id}`` over the ``k`` most targeted propositions; medians;
- ``analytics …``: in the benchmark process, a fresh ``Analytics(kg,
  auto_materialize=False)`` on the store: ``frame`` (the projection SELECTs), then
  ``coalitions`` and ``guarantors`` (frame cached);
- ``direct <query>`` (``--direct``): the queries through ``store.query`` + ``to_result``
  in this process, without the service (the store's own latency).

Virtuoso is read with ``union=all`` (the engine's default graph: the practical setting past
~100 graphs, docs/remote-store.md); ``--virtuoso-union list`` for the exact listing.
Servers start and stop inside the run (by PID); a missing binary skips its backend with a
note. ``python benchmarks/remote.py --sizes 1m`` (~25 min on 2 cores);
``--engines`` and ``--parts`` choose.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: keep benchmarks/ (http.py) off sys.path
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import argparse
import contextlib
import gc
import importlib.util
import shutil
import statistics
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks import common

ENGINES = ("embedded", "oxigraph-server", "virtuoso")
PARTS = ("load", "graph-store", "service", "analytics", "direct")
DEFAULT_PARTS = ("load", "graph-store", "service", "analytics")
FAMILY = "remote"
DEFAULT_SIZES = ("10k", "100k")
HEAVY = ("coalition-all-pairs",)  # seconds per run at 1m: only with --all-queries
ID = "https://w3id.org/stancegraph/id/"
SG = "https://w3id.org/stancegraph/ns#"


def _servers() -> Any:
    """``tests/remote/servers.py`` (the launchers the test suite uses), loaded by path."""
    path = common.ROOT / "tests" / "remote" / "servers.py"
    spec = importlib.util.spec_from_file_location("_sg_remote_servers", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _ms(times: list[float]) -> float | None:
    return statistics.median(times) * 1000 if times else None


def top_targets(path: Path, n: int) -> tuple[list[str], list[str]]:
    """The ``n`` most active holders and most targeted propositions (plain text scan)."""
    holders: dict[str, int] = {}
    props: dict[str, int] = {}
    holder_p, target_p = f"<{SG}holder>", f"<{SG}target>"
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split(" ", 3)
            if len(parts) < 3:
                continue
            if parts[1] == holder_p:
                holders[parts[2]] = holders.get(parts[2], 0) + 1
            elif parts[1] == target_p and "/proposition/" in parts[2]:
                props[parts[2]] = props.get(parts[2], 0) + 1

    def top(c: dict[str, int]) -> list[str]:
        return [x[1:-1] for x in sorted(c, key=lambda x: (-c[x], x))[:n]]

    return top(holders), top(props)


# --------------------------------------------------------------------------- backends


class Backend:
    """One store holding the dataset: ``spec`` for ``--store``, ``open()`` for in-process use."""

    def __init__(self, engine: str, spec: str, load_s: float, note: str, opener: Callable[[], Any]):
        self.engine, self.spec, self.load_s, self.note, self.open = (
            engine,
            spec,
            load_s,
            note,
            opener,
        )


@contextlib.contextmanager
def backend(engine: str, data: Path, tmp: Path, args: Any) -> Iterator[Backend]:
    import pyoxigraph as ox

    from stancegraph.ingest.bootstrap import load_ontology
    from stancegraph.store import OxigraphStore
    from stancegraph.store.open import open_store

    servers = _servers()
    timeout = args_timeout(args)
    if engine == "embedded":
        directory = tmp / "store"
        t = time.perf_counter()
        store = OxigraphStore(str(directory))
        store.bulk_load(data, ox.RdfFormat.N_QUADS)
        load_ontology(store)
        store.flush()
        load_s = time.perf_counter() - t
        del store
        gc.collect()  # release RocksDB's lock: `serve --store` opens the directory itself
        yield Backend(
            engine,
            str(directory),
            load_s,
            "OxigraphStore(dir).bulk_load + ontology + flush",
            lambda: OxigraphStore(str(directory), read_only=True),
        )
        return
    if engine == "oxigraph-server":
        server = servers.OxigraphServer(tmp / "oxigraph")
        t = time.perf_counter()
        server.load_offline(data)
        server.start()
        try:
            load_ontology(open_store(server.spec, timeout_s=timeout))
            load_s = time.perf_counter() - t
            yield Backend(
                engine,
                server.spec,
                load_s,
                "oxigraph load --location (server stopped) + start + ontology",
                lambda: open_store(server.spec, timeout_s=timeout),
            )
        finally:
            server.stop()
        return
    server = servers.VirtuosoServer(
        tmp / "virtuoso", max_rows=100_000, memory_mb=2000, dirs_allowed=[data.parent]
    )
    server.start()
    try:
        spec = f"{server.spec}?union={args.virtuoso_union}"
        store = open_store(spec, timeout_s=timeout)
        t = time.perf_counter()
        store.bulk_load(data, ox.RdfFormat.N_QUADS, loader=server.loader())
        load_ontology(store)
        load_s = time.perf_counter() - t
        yield Backend(
            engine,
            spec,
            load_s,
            f"VirtuosoLoader (ld_dir + rdf_loader_run + checkpoint) + ontology; "
            f"union={args.virtuoso_union}",
            lambda: open_store(spec, timeout_s=timeout),
        )
    finally:
        server.stop()


def graph_store_load(engine: str, data: Path, tmp: Path, args: Any) -> tuple[float | None, str]:
    """Seconds to load ``data`` through Graph Store POSTs into a throwaway server."""
    import pyoxigraph as ox

    from stancegraph.store.open import open_store

    servers = _servers()
    server = (
        servers.OxigraphServer(tmp / "gsp-oxigraph")
        if engine == "oxigraph-server"
        else servers.VirtuosoServer(tmp / "gsp-virtuoso", max_rows=100_000, memory_mb=2000)
    )
    server.start()
    try:
        store = open_store(
            server.spec, timeout_s=args_timeout(args), write_timeout_s=args.write_timeout
        )
        t = time.perf_counter()
        try:
            sent = store.bulk_load(data, ox.RdfFormat.N_QUADS)
        except Exception as exc:  # a stalled server is a timeout error, reported in the row
            return None, f"{type(exc).__name__}: {str(exc)[:160]}"
        return (
            time.perf_counter() - t,
            f"quads={sent}, {store.settings.gsp_chunk_triples}/chunk, one POST per graph and chunk",
        )
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


# --------------------------------------------------------------------------- measurements


def _queries(args: Any) -> dict[str, str]:
    from benchmarks.engine import load_queries

    return {n: t for n, t in load_queries().items() if args.all_queries or n not in HEAVY}


def direct_rows(
    b: Backend, size: str, k: int, params: dict[str, Any], args: Any
) -> list[dict[str, Any]]:
    from benchmarks.engine import bindings_for
    from stancegraph.graph import to_result

    store = b.open()
    rows = []
    for name, text in _queries(args).items():
        bound = bindings_for(name, params)

        def run(text: str = text, bound: dict[str, Any] = bound) -> Any:
            return to_result(store.query(text, substitutions=bound, union_default_graph=True))

        try:
            run()
            times = []
            for _ in range(k):
                t = time.perf_counter()
                res = run()
                times.append(time.perf_counter() - t)
            rows.append(
                common.row(
                    FAMILY,
                    f"direct {name}",
                    b.engine,
                    size,
                    _ms(times),
                    n=k,
                    note=f"rows={len(res)}",
                )
            )
        except Exception as exc:  # one failing query must not lose the others
            rows.append(common.row(FAMILY, f"direct {name}", b.engine, size, None, note=_err(exc)))
    return rows


def analytics_rows(b: Backend, size: str) -> list[dict[str, Any]]:
    from stancegraph.analytics import Analytics
    from stancegraph.graph import StanceGraph

    an = Analytics(StanceGraph(b.open()), auto_materialize=False)
    rows = []
    for name, fn in (
        ("frame", an.frame),
        ("coalitions", an.coalitions),
        ("guarantors", an.guarantors),
    ):
        t = time.perf_counter()
        try:
            out = fn()
        except Exception as exc:
            rows.append(
                common.row(FAMILY, f"analytics {name}", b.engine, size, None, note=_err(exc))
            )
            continue
        ms = (time.perf_counter() - t) * 1000
        note = f"stances={len(out.stances)}" if name == "frame" else "frame cached"
        rows.append(common.row(FAMILY, f"analytics {name}", b.engine, size, ms, n=1, note=note))
    del an
    gc.collect()
    return rows


def _err(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:140]}"


def service_rows(
    b: Backend, data: Path, size: str, k: int, params: dict[str, Any], args: Any
) -> list[dict[str, Any]]:
    """Latency through ``stancegraph serve --store``: /sparql and the JSON routes."""
    from benchmarks import http
    from benchmarks.engine import bindings_for
    from stancegraph.sparql.bindings import inject_values

    port = http.free_port()
    cmd = [
        sys.executable,
        "-m",
        "stancegraph",
        "serve",
        "--store",
        b.spec,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-sparql-cache",
        "--workers",
        "1",
        "--timeout",
        str(args_timeout(args)),
    ]
    if b.engine == "virtuoso":  # LIMIT max_rows + 1 must stay within its MaxSortedTopRows (10000)
        cmd += ["--max-rows", "9999"]
    base = f"http://127.0.0.1:{port}"
    rows: list[dict[str, Any]] = []
    proc = http.spawn(cmd)
    try:
        try:
            started = http.wait_ready(f"{base}/healthz", proc, timeout=900)
        except Exception as exc:
            err = (
                proc.stderr.read().decode(errors="replace")[-300:]
                if proc.poll() is not None and proc.stderr
                else ""
            )
            return [
                common.row(FAMILY, "serve start", b.engine, size, None, note=f"{_err(exc)} {err}")
            ]
        rows.append(
            common.row(
                FAMILY,
                "serve start",
                b.engine,
                size,
                started * 1000,
                n=1,
                note="launch → /healthz 200" + ("; --max-rows 9999" if "--max-rows" in cmd else ""),
            )
        )
        timeout = args_timeout(args) + 10

        def get(path: str, accept: str) -> tuple[float, int, bytes]:
            t = time.perf_counter()
            status, body, _ = http.fetch(base + path, {"Accept": accept}, timeout=timeout)
            return time.perf_counter() - t, status, body

        for name, text in _queries(args).items():
            query = inject_values(text, bindings_for(name, params))
            accept = "application/n-triples" if "CONSTRUCT" in text else http.JSON_RESULTS
            path = "/sparql?" + urllib.parse.urlencode({"query": query})
            rows.append(
                _timed_row(
                    f"/sparql {name}", b.engine, size, [path] * (k + 1), accept, get, warm=True
                )
            )
        actors, props = top_targets(data, k)
        slug = lambda iri: urllib.parse.quote(iri.rsplit("/", 1)[-1], safe="")  # noqa: E731
        for name, paths in (
            ("api /actors", ["/api/actors"]),
            ("api /actors/{id}", [f"/api/actors/{slug(a)}" for a in actors]),
            ("api /stances?holder=", [f"/api/stances?holder={slug(a)}" for a in actors]),
            ("api /propositions/{id}", [f"/api/propositions/{slug(p)}" for p in props]),
        ):
            rows.append(
                _timed_row(name, b.engine, size, paths, "application/json", get, warm=False)
            )
    finally:
        http.stop(proc)
    return rows


def _timed_row(
    name: str,
    engine: str,
    size: str,
    paths: list[str],
    accept: str,
    get: Callable[[str, str], tuple[float, int, bytes]],
    warm: bool,
) -> dict[str, Any]:
    times, statuses, sizes = [], set(), []
    for i, path in enumerate(paths):
        try:
            s, status, body = get(path, accept)
        except OSError as exc:
            return common.row(FAMILY, name, engine, size, None, note=_err(exc))
        statuses.add(status)
        if status != 200:
            return common.row(
                FAMILY, name, engine, size, None, note=f"HTTP {status}: {body[:160]!r}"
            )
        if not (warm and i == 0):
            times.append(s)
            sizes.append(len(body))
    note = f"{'warm, same query' if warm else 'cold, distinct URLs'}; ~{int(statistics.median(sizes)) // 1024} KiB"
    return common.row(FAMILY, name, engine, size, _ms(times), n=len(times), note=note)


# --------------------------------------------------------------------------- the run


def args_timeout(args: Any) -> float:
    """Seconds before one remote query is given up (``--timeout``; default 120)."""
    t = getattr(args, "timeout", None)
    return float(t) if t and t > 30 else 120.0


def run_size(size: str, args: Any, engines: tuple[str, ...]) -> list[dict[str, Any]]:
    from benchmarks.engine import pick_params

    servers = _servers()
    data = common.dataset(size, args)
    params = pick_params(data)
    k = min(common.repeats_for(size, args), 5)
    parts = set(getattr(args, "parts", None) or DEFAULT_PARTS)
    rows: list[dict[str, Any]] = []
    for engine in engines:
        missing = (engine == "oxigraph-server" and not servers.oxigraph_binary()) or (
            engine == "virtuoso" and not servers.virtuoso_binaries()
        )
        if missing:
            rows.append(
                common.row(
                    FAMILY,
                    "load (loader)",
                    engine,
                    size,
                    None,
                    note="skipped: server binary not found",
                )
            )
            continue
        tmp = Path(
            tempfile.mkdtemp(prefix=f"sg-bench-{engine}-", dir=getattr(args, "work_dir", None))
        )
        try:
            common.log(f"remote {size}: {engine}: load")
            with backend(engine, data, tmp, args) as b:
                rows.append(
                    common.row(
                        FAMILY, "load (loader)", engine, size, b.load_s * 1000, n=1, note=b.note
                    )
                )
                if "analytics" in parts:
                    common.log(f"remote {size}: {engine}: analytics")
                    rows += analytics_rows(b, size)
                if "direct" in parts:
                    rows += direct_rows(b, size, k, params, args)
                if "service" in parts:
                    common.log(f"remote {size}: {engine}: stancegraph serve")
                    rows += service_rows(b, data, size, k, params, args)
            if "graph-store" in parts and engine != "embedded":
                common.log(f"remote {size}: {engine}: graph store load")
                s, note = graph_store_load(engine, data, tmp, args)
                rows.append(
                    common.row(
                        FAMILY,
                        "load (graph store)",
                        engine,
                        size,
                        s * 1000 if s else None,
                        n=1 if s else None,
                        note=note,
                    )
                )
        except Exception as exc:  # one broken backend must not lose the others
            rows.append(common.row(FAMILY, "error", engine, size, None, note=_err(exc)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    base = {r["name"]: r["median_ms"] for r in rows if r["engine"] == "embedded"}
    base.setdefault("load (graph store)", base.get("load (loader)"))
    for r in rows:
        b = base.get(r["name"])
        if r["engine"] != "embedded" and b and r["median_ms"]:
            r["ratio"] = round(r["median_ms"] / b, 2)
    return rows


def run(args: Any) -> list[dict[str, Any]]:
    sizes = (
        getattr(args, "remote_sizes", None)
        or [s for s in args.sizes if s.lower() != "1m"]
        or list(DEFAULT_SIZES)
    )
    engines = (
        tuple(e for e in (getattr(args, "engines", None) or ENGINES) if e in ENGINES) or ENGINES
    )
    for key, default in (
        ("virtuoso_union", "all"),
        ("all_queries", False),
        ("write_timeout", 300.0),
    ):
        if not hasattr(args, key):
            setattr(args, key, default)
    rows: list[dict[str, Any]] = []
    for size in sizes:
        rows += run_size(size, args, engines)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--sizes", default=",".join(DEFAULT_SIZES), help="dataset sizes (10k, 100k, 1m)"
    )
    ap.add_argument("--engines", help=f"subset of {','.join(ENGINES)}")
    ap.add_argument("--parts", default=",".join(DEFAULT_PARTS), help=f"subset of {','.join(PARTS)}")
    ap.add_argument(
        "--repeats", type=int, help="k: query repeats and distinct API URLs (at most 5)"
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--all-queries",
        action="store_true",
        help=f"also {', '.join(HEAVY)} (seconds per run at 1m)",
    )
    ap.add_argument(
        "--virtuoso-union", choices=["all", "list"], default="all", help="how Virtuoso is read"
    )
    ap.add_argument("--timeout", type=float, help="seconds per remote query (default 120)")
    ap.add_argument(
        "--write-timeout", type=float, default=300.0, help="seconds per Graph Store request"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    args = ap.parse_args(argv)
    args.remote_sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.sizes = args.remote_sizes
    args.engines = args.engines.split(",") if args.engines else None
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown parts: {', '.join(sorted(unknown))}")
    machine = common.machine()
    rows = run(args)
    print(common.markdown_table(rows, machine))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

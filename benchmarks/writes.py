"""Writes: what a validated stance write costs as the store grows (issue #13's targets).

Side by side in one run, per size (synthetic stance graphs, ``benchmarks/generate.py``):

- ``stance-write``: one new stance (~20 triples: the stance, its evidence annotation, target
  and selector, copied from an existing stance with fresh IRIs) sent as ``INSERT DATA`` to
  ``POST /sparql`` of ``stancegraph serve --store DIR`` (on-disk), with the write token:
  planned, validated for what it affects, committed. Sequential, ``--writes`` of them;
  median and p99.
- ``engine-write``: the same updates sent unvalidated to an Oxigraph server
  (``oxigraph serve``) over HTTP, holding a copy of the same store: the engine's own cost.
  ``ratio`` = stance-write p50 / engine-write p50.
- ``json-stances-after-write``, ``json-search-after-write``: a JSON read right after each
  of 10 writes (one holder's stances; a search): the read models follow the write instead
  of being built again.
- ``burst``: ``--writers`` concurrent writers for ``--duration`` seconds while ``wrk``
  reads one actor's stances through ``/sparql`` (different data versions, so uncached):
  writes/s sustained, the read's p50/p99, and the server's RSS (workers included) idle
  and at the peak of the burst.
- ``remote-write`` (``--remote``): the same stance writes through the library's Writer on
  a remote Oxigraph server (``SparqlHttpStore``), with the bytes the write read from the
  store (every response body counted): what a write reads is its neighbourhood.

    python -m benchmarks.writes --sizes 10k,100k,1m --writes 50 --duration 10 --remote --read-staleness 1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from benchmarks import common
from benchmarks.http import free_port, run_wrk, spawn, stop, wait_ready

FAMILY = "writes"
TOKEN = "bench-write-token"
SG = "https://w3id.org/stancegraph/ns#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
HAS_EVIDENCE = ox.NamedNode(SG + "hasEvidence")
OA_TARGET = ox.NamedNode("http://www.w3.org/ns/oa#hasTarget")
OA_SELECTOR = ox.NamedNode("http://www.w3.org/ns/oa#hasSelector")


def make_store(size: str, args: Any, where: Path) -> Path:
    """An on-disk store holding the generated graph of ``size`` (with its ontology)."""
    data = common.dataset(size, args)
    path = where / f"store-{size}"
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "stancegraph",
                "load",
                "--store",
                str(path),
                str(data),
                "--no-validate",
            ],
            check=True,
            cwd=str(common.ROOT),
            stdout=subprocess.DEVNULL,
        )
    return path


class StanceTemplate:
    """An existing stance and its evidence chain, re-minted with fresh IRIs per write."""

    def __init__(self, store_path: Path):
        store = ox.Store.read_only(str(store_path))
        stance = next(iter(store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(SG + "Stance"))))
        nodes = [stance.subject]
        quads: list[ox.Quad] = []
        frontier = [stance.subject]
        while frontier:
            node = frontier.pop()
            for q in store.quads_for_pattern(node, None, None):
                quads.append(q)
                if q.predicate in (HAS_EVIDENCE, OA_TARGET, OA_SELECTOR) and q.object not in nodes:
                    nodes.append(q.object)
                    frontier.append(q.object)
        self.nodes = {n for n in nodes if isinstance(n, ox.NamedNode)}
        self.quads = quads
        self.holder = next(q.object for q in quads if q.predicate.value == SG + "holder")
        del store

    def update(self, i: int, tag: str = "w") -> str:
        def fresh(t: Any) -> Any:
            return ox.NamedNode(f"{t.value}-{tag}{i}") if t in self.nodes else t

        by_graph: dict[str, list[str]] = {}
        for q in self.quads:
            g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            by_graph.setdefault(g, []).append(
                f"{fresh(q.subject)} {q.predicate} {fresh(q.object)} ."
            )
        blocks = [f"GRAPH <{g}> {{ {' '.join(lines)} }}" for g, lines in by_graph.items()]
        return "INSERT DATA { " + " ".join(blocks) + " }"


def _timed_posts(
    client: httpx.Client, url: str, updates: list[str], headers: dict[str, str], form: bool
) -> list[float]:
    times = []
    for u in updates:
        t = time.perf_counter()
        if form:
            r = client.post(url, data={"update": u}, headers=headers)
        else:
            r = client.post(
                url,
                content=u.encode(),
                headers={**headers, "Content-Type": "application/sparql-update"},
            )
        times.append(time.perf_counter() - t)
        if r.status_code >= 300:
            raise RuntimeError(f"{url}: HTTP {r.status_code}: {r.text[:300]}")
    return times


def _memory_tree_mb(pid: int) -> tuple[float, float]:
    """The memory of the server and its workers, as (the sum of their RSS, of their PSS).
    The RSS sum counts the pages forked workers share with their zygote once per process;
    PSS splits each shared page among its sharers, so its sum is what they use."""
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [x for x in (p, *p.children(recursive=True)) if x.is_running()]
        infos = [x.memory_full_info() for x in procs]
        return sum(i.rss for i in infos) / 2**20, sum(i.pss for i in infos) / 2**20
    except psutil.Error:
        return float("nan"), float("nan")


@contextlib.contextmanager
def _serving(cmd: list[str], ready: str, env: dict[str, str] | None = None) -> Any:
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        proc = spawn(cmd)
    finally:
        os.environ.clear()
        os.environ.update(old)
    try:
        wait_ready(ready, proc)
        yield proc
    finally:
        stop(proc)


def measure_size(size: str, args: Any, tmp: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    store_path = make_store(size, args, tmp)
    template = StanceTemplate(store_path)
    n = args.writes
    # The engine alone: an Oxigraph server on a copy of the same store.
    copy = tmp / f"copy-{size}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store_path, copy)
    oport = free_port()
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    with (
        _serving(
            [oxigraph, "serve", "--location", str(copy), "--bind", f"127.0.0.1:{oport}"],
            f"http://127.0.0.1:{oport}/query?query=ASK%7B%7D",
        ),
        httpx.Client(timeout=60) as client,
    ):
        updates = [template.update(i, "e") for i in range(n)]
        engine = _timed_posts(client, f"http://127.0.0.1:{oport}/update", updates, {}, form=False)
    rows.append(
        common.row(
            FAMILY,
            "engine-write",
            "oxigraph-server",
            size,
            common.median_ms(engine),
            p99_ms=common.p99_ms(engine),
            n=n,
            note="INSERT DATA over HTTP, unvalidated",
        )
    )
    # stancegraph serve on the on-disk store, with the write token.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "stancegraph",
        "serve",
        "--store",
        str(store_path),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with (
        _serving(cmd, base + "/healthz", {"STANCEGRAPH_WRITE_TOKEN": TOKEN}) as proc,
        httpx.Client(timeout=120) as client,
    ):
        _warmed(client, base)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        _timed_posts(
            client,
            base + "/sparql",
            [template.update(10**6 + i) for i in range(3)],
            auth,
            form=False,
        )
        updates = [template.update(i) for i in range(n)]
        ours = _timed_posts(client, base + "/sparql", updates, auth, form=False)
        p50 = common.median_ms(ours)
        rows.append(
            common.row(
                FAMILY,
                "stance-write",
                "stancegraph-serve-disk",
                size,
                p50,
                p99_ms=common.p99_ms(ours),
                n=n,
                ratio=round(p50 / common.median_ms(engine), 2) if p50 else None,
                note=f"{len(template.quads)} quads each; ratio = / engine-write p50",
            )
        )
        rows.extend(_json_after_write(size, client, base, template, auth))
        rows.extend(_burst(size, args, base, template, proc.pid, tag="b"))
    # The same burst against a server whose readers may lag (``--read-staleness S``): reads
    # keep the last view for up to S seconds while one refresh prepares the next.
    for staleness in [s for s in args.read_staleness if s > 0]:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        lagging = [*cmd[:-4], "--port", str(port), *cmd[-2:], "--read-staleness", str(staleness)]
        with _serving(lagging, base + "/healthz", {"STANCEGRAPH_WRITE_TOKEN": TOKEN}) as proc:
            with httpx.Client(timeout=120) as client:
                _warmed(client, base)
            burst = _burst(size, args, base, template, proc.pid, tag=f"s{staleness:g}")
            for row in burst:
                row["engine"] = f"stancegraph-serve-disk --read-staleness {staleness:g}"
            rows.extend(burst)
    return rows


def _warmed(client: httpx.Client, base: str) -> None:
    """Wait until the server's start-up work is done: it builds the JSON API's tables and
    search index in the background (over 10 s at 1M), and measuring writes meanwhile
    measures that. A request for each waits for the build under way."""
    for path in ("/api/stances?limit=1", "/api/search?q=a", "/api/vocabularies"):
        client.get(base + path, timeout=600)


def _json_after_write(
    size: str, client: httpx.Client, base: str, template: StanceTemplate, auth: dict[str, str]
) -> list[dict[str, Any]]:
    """The first JSON reads after a write: the stance list (one holder's) and a search, both
    served from read models that follow the write (``read.base.following_writes``) instead
    of being built again (over 5 s each at 1M)."""
    holder = template.holder.value.rsplit("/", 1)[-1]
    reads = {
        "stances": f"/api/stances?holder={holder}&limit=5",
        "search": "/api/search?q=state&limit=5",
    }
    times: dict[str, list[float]] = {k: [] for k in reads}
    for i in range(10):
        _timed_posts(client, base + "/sparql", [template.update(2 * 10**6 + i, "j")], auth, False)
        for name, path in reads.items():
            t = time.perf_counter()
            r = client.get(base + path)
            times[name].append(time.perf_counter() - t)
            if r.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {r.status_code}: {r.text[:300]}")
    return [
        common.row(
            FAMILY,
            f"json-{name}-after-write",
            "stancegraph-serve-disk",
            size,
            common.median_ms(ts),
            n=len(ts),
            note=f"GET {reads[name]} right after each of {len(ts)} writes",
        )
        for name, ts in times.items()
    ]


def _burst(
    size: str, args: Any, base: str, template: StanceTemplate, pid: int, tag: str
) -> list[dict[str, Any]]:
    """Concurrent writers while wrk reads one actor's stances."""
    query = f"SELECT ?s WHERE {{ ?s <{SG}holder> {template.holder} }} LIMIT 100"
    path = "/sparql?" + httpx.QueryParams({"query": query}).__str__()
    idle_rss, idle_pss = _memory_tree_mb(pid)
    idle_read = run_wrk(
        base, [path], {"Accept": "application/sparql-results+json"}, min(5, args.duration), 1
    )
    stop_at = time.perf_counter() + args.duration
    done = [0] * args.writers
    errors: list[str] = []
    peak = [idle_rss, idle_pss]

    def writer(k: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = 0
            while time.perf_counter() < stop_at:
                r = client.post(
                    base + "/sparql",
                    content=template.update(i, f"{tag}{k}-").encode(),
                    headers={
                        "Authorization": f"Bearer {TOKEN}",
                        "Content-Type": "application/sparql-update",
                    },
                )
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                else:
                    done[k] += 1
                i += 1

    def sampler() -> None:
        while time.perf_counter() < stop_at:
            peak[:] = map(max, peak, _memory_tree_mb(pid))
            time.sleep(0.2)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(args.writers)]
    threads.append(threading.Thread(target=sampler))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    read = run_wrk(base, [path], {"Accept": "application/sparql-results+json"}, args.duration, 1)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    rate = sum(done) / elapsed
    return [
        common.row(
            FAMILY,
            "burst-writes",
            "stancegraph-serve-disk",
            size,
            None,
            n=sum(done),
            note=f"{args.writers} writers: {rate:.0f} validated stance writes/s; {len(errors)} errors"
            + (f" (first: {errors[0]})" if errors else ""),
        ),
        common.row(
            FAMILY,
            "read-idle",
            "stancegraph-serve-disk",
            size,
            idle_read.get("p50_ms"),
            p99_ms=idle_read.get("p99_ms"),
            n=idle_read.get("n"),
            note="one actor's stances, wrk -c1, no writes",
        ),
        common.row(
            FAMILY,
            "read-during-burst",
            "stancegraph-serve-disk",
            size,
            read.get("p50_ms"),
            p99_ms=read.get("p99_ms"),
            n=read.get("n"),
            note=f"the same read while {args.writers} writers write",
        ),
        *(
            common.row(
                FAMILY,
                f"{kind}-burst",
                "stancegraph-serve-disk",
                size,
                None,
                rss_mb=round(top, 1),
                ratio=round(top / idle, 3) if idle else None,
                note=f"server+workers {what}: idle {idle:.0f} MB, peak during the burst "
                "(ratio = peak / idle)",
            )
            for kind, what, idle, top in (
                ("rss", "RSS", idle_rss, peak[0]),
                ("pss", "PSS (shared pages counted once)", idle_pss, peak[1]),
            )
        ),
    ]


def measure_remote(size: str, args: Any, tmp: Path) -> list[dict[str, Any]]:
    """The library's Writer on a remote Oxigraph server: latency and bytes read per write."""
    from stancegraph.store.remote import RemoteSettings, SparqlHttpStore
    from stancegraph.writes import Writer

    store_path = make_store(size, args, tmp)
    template = StanceTemplate(store_path)
    copy = tmp / f"remote-{size}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store_path, copy)
    port = free_port()
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    url = f"http://127.0.0.1:{port}"
    with _serving(
        [oxigraph, "serve", "--location", str(copy), "--bind", f"127.0.0.1:{port}"],
        url + "/query?query=ASK%7B%7D",
    ):
        store = SparqlHttpStore(
            RemoteSettings(
                query_url=url + "/query", update_url=url + "/update", gsp_url=url + "/store"
            )
        )
        received = [0]

        def count(response: httpx.Response) -> None:
            response.read()
            received[0] += len(response.content)

        store._client.event_hooks["response"].append(count)  # type: ignore[attr-defined]
        writer = Writer(store)
        for i in range(3):
            writer.update(template.update(10**6 + i, "r"))
        times, sizes = [], []
        for i in range(args.writes):
            received[0] = 0
            t = time.perf_counter()
            writer.update(template.update(i, "r"))
            times.append(time.perf_counter() - t)
            sizes.append(received[0])
        store.close()
    sizes.sort()
    return [
        common.row(
            FAMILY,
            "remote-write",
            "writer-on-oxigraph-server",
            size,
            common.median_ms(times),
            p99_ms=common.p99_ms(times),
            n=len(times),
            note=f"bytes read from the store per write: median {sizes[len(sizes) // 2]}, max {sizes[-1]}",
        )
    ]


def run(args: Any) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="sg-writes-"))
    rows: list[dict[str, Any]] = []
    try:
        for size in args.sizes:
            rows.extend(measure_size(size, args, tmp))
            if getattr(args, "remote", False):
                rows.extend(measure_remote(size, args, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10k,100k,1m", type=lambda s: s.split(","))
    p.add_argument("--writes", type=int, default=50)
    p.add_argument("--writers", type=int, default=8)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--remote", action="store_true")
    p.add_argument(
        "--read-staleness",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[],
        help="also burst against `serve --read-staleness S` for each S (comma-separated)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", type=Path, default=common.DEFAULT_DATA_DIR)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = p.parse_args(argv)
    args.quick, args.repeats, args.timeout = False, None, 60.0
    rows = run(args)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

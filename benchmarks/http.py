"""HTTP benchmark: requests/s and latency of a small SELECT through the service, side by side.

Every server is a separate uvicorn process on a free 127.0.0.1 port, started and stopped
here; the load comes from another process (``wrk`` when installed: ``-t1 -c10``, else an
asyncio httpx client, :func:`client_main`), for ``--duration`` seconds per target, one
target after the other in the same run. Targets, on the same generated dataset (10k):

- ``sparql-uncached``: ``stancegraph serve FILE --no-sparql-cache`` ``GET /sparql`` — the
  actor-stances query for the 20 most active actors in turn, every one run by a query worker
  (the engine path: compared with ``minimal`` and ``rdflib-endpoint``);
- ``sparql``: the same rotation on a default server (result cache on: every request after
  the first of each of the 20 queries is a cache hit);
- ``sparql-same``: the same server, one identical request repeated: the most active
  actor, the largest answer of the rotation, served by the result cache (ETag per data
  version); the ceiling serves these bytes;
- ``api``: ``GET /api/stances?holder=<slug>`` rotating over the same actors (the JSON API's
  ETag-keyed response LRU serves every request after the first of each URL), and
  ``api-304``: the same with ``If-None-Match`` (no body);
- ``minimal``: a minimal FastAPI route (``def`` endpoint, thread pool) wrapping
  ``pyoxigraph.Store.query`` on the same data, same rotating queries;
- ``ceiling``: a FastAPI route returning the precomputed bytes of the /sparql answer;
- ``raw-asgi``: a bare ASGI callable returning the same bytes;
- ``rdflib-endpoint``: rdflib-endpoint's ``SparqlEndpoint`` over an rdflib ``Dataset``
  (default union), same rotating queries.

Rows: ``median_ms`` / ``p99_ms`` are the client-side latency percentiles, ``n`` the
requests completed, ``rss_mb`` the server process's peak RSS (VmHWM; for stancegraph the
main process, not its query workers), requests/s in the note. Servers log at ``warning``
(no access log), all with uvicorn's default loop and HTTP parser.

Standalone: ``python benchmarks/http.py --size 10k --duration 10``.
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
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from benchmarks import common
from benchmarks.engine import QUERY_DIR, SG

JSON_RESULTS = "application/sparql-results+json"
ACTORS = 20  # distinct actors rotated through by the "uncached" targets


# --------------------------------------------------------------------------- requests


def actor_query(actor: str) -> str:
    """``queries/actor-stances.rq`` with ``?actor`` bound by a VALUES block."""
    text = (QUERY_DIR / "actor-stances.rq").read_text()
    return re.sub(
        r"WHERE\s*\{", f"WHERE {{ VALUES ?actor {{ <{actor}> }}", text, count=1, flags=re.IGNORECASE
    )


def top_actors(path: str | Path, n: int = ACTORS) -> list[str]:
    """The ``n`` holders with the most stances (ties by IRI), from a plain text scan."""
    counts: dict[str, int] = {}
    holder = f"<{SG}holder>"
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split(" ", 3)
            if len(parts) > 2 and parts[1] == holder:
                counts[parts[2]] = counts.get(parts[2], 0) + 1
    return [a[1:-1] for a in sorted(counts, key=lambda a: (-counts[a], a))[:n]]


def sparql_path(actor: str, prefix: str = "/sparql") -> str:
    return f"{prefix}?{urllib.parse.urlencode({'query': actor_query(actor)})}"


def fetch(
    url: str, headers: dict[str, str] | None = None, timeout: float = 30.0
) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def solutions(body: bytes) -> int | None:
    try:
        return len(json.loads(body)["results"]["bindings"])
    except (ValueError, KeyError, TypeError):
        return None


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 180.0) -> float:
    """Poll ``url`` until it answers 200; returns the seconds waited."""
    t = time.perf_counter()
    while time.perf_counter() - t < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        with contextlib.suppress(OSError):
            if fetch(url, timeout=5)[0] == 200:
                return time.perf_counter() - t
        time.sleep(0.02)
    raise TimeoutError(f"{url} not ready after {timeout:g} s")


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def spawn(cmd: list[str]) -> subprocess.Popen[bytes]:
    """Start a server process in its own process group (:func:`stop` ends the group),
    stderr kept for the error report."""
    return subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=str(common.ROOT),
        start_new_session=True,
    )


@contextlib.contextmanager
def server(cmd: list[str], ready_path: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process (own process group), wait for it, stop it afterwards."""
    proc = spawn(cmd)
    try:
        wait_ready(f"http://127.0.0.1:{port}{ready_path}", proc)
        yield proc
    except BaseException:
        if proc.poll() is not None and proc.stderr is not None:
            common.log(proc.stderr.read().decode(errors="replace")[-2000:])
        raise
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


ONTOLOGY = [common.ROOT / "ontology" / name for name in ("stancegraph.ttl", "vocabularies.ttl")]


def stancegraph_cmd(data: Path, port: int, *extra_args: str) -> list[str]:
    """``stancegraph serve`` of the data plus the ontology and vocabularies (the JSON API
    resolves actors through ``rdfs:subClassOf*`` and labels through the vocabularies)."""
    extra = [str(p) for p in ONTOLOGY if p.exists()]
    return [
        sys.executable,
        "-m",
        "stancegraph",
        "serve",
        str(data),
        *extra,
        "--port",
        str(port),
        "--log-level",
        "warning",
        *extra_args,
    ]


def baseline_cmd(kind: str, data: Path, port: int, body_file: Path | None = None) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.http",
        "--serve",
        kind,
        "--data",
        str(data),
        "--port",
        str(port),
    ]
    if body_file is not None:
        cmd += ["--body", str(body_file)]
    return cmd


def serve_main(kind: str, data: str, port: int, body_file: str | None) -> None:
    """The comparison servers (run in their own process by :func:`baseline_cmd`)."""
    import uvicorn

    app: Any
    if kind == "minimal":
        import pyoxigraph as ox
        from fastapi import FastAPI
        from fastapi.responses import Response

        store = ox.Store()
        store.load(path=data, format=ox.RdfFormat.N_QUADS)
        app = FastAPI()

        @app.get("/sparql")
        def sparql(query: str) -> Response:
            res = store.query(query, use_default_graph_as_union=True)
            return Response(
                res.serialize(format=ox.QueryResultsFormat.JSON), media_type=JSON_RESULTS
            )

        @app.get("/healthz")
        def healthz() -> dict[str, str]:
            return {"status": "ok"}

    elif kind == "ceiling":
        from fastapi import FastAPI
        from fastapi.responses import Response

        body = Path(body_file or "").read_bytes()
        app = FastAPI()

        @app.get("/sparql")
        async def sparql() -> Response:
            return Response(body, media_type=JSON_RESULTS)

        @app.get("/healthz")
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

    elif kind == "raw-asgi":
        body = Path(body_file or "").read_bytes()
        headers = [
            (b"content-type", JSON_RESULTS.encode()),
            (b"content-length", str(len(body)).encode()),
        ]

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:  # type: ignore[no-redef]
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
                return
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    elif kind == "rdflib-endpoint":
        import rdflib.plugins.sparql
        from rdflib import Dataset
        from rdflib_endpoint import SparqlEndpoint

        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        ds = Dataset(default_union=True)
        ds.parse(data, format="nquads")
        app = SparqlEndpoint(graph=ds, path="/sparql", cors_enabled=False)
    else:
        raise SystemExit(f"unknown server kind {kind!r}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", server_header=False)


# --------------------------------------------------------------------------- load


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


LUA = """
local paths = %s
local hdrs = %s
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], hdrs)
end
"""


def _lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for ASCII


def run_wrk(
    base: str, paths: list[str], headers: dict[str, str], duration: float, concurrency: int
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        hdrs = "{" + ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in headers.items()) + "}"
        f.write(LUA % ("{" + ", ".join(_lua_str(p) for p in paths) + "}", hdrs))
        script = f.name
    try:
        cmd = [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            script,
            base,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    finally:
        os.unlink(script)
    res: dict[str, Any] = {"client": f"wrk -t1 -c{concurrency} -d{max(1, round(duration))}s"}
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["n"] = int(m.group(1)) if m else None
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s*{pct}(?:\.000)?%\s+(\S+)", out, re.MULTILINE)
        res[key] = _ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    res["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:.*", out)
    if m:
        res["socket_errors"] = m.group(0)
    if res["rps"] is None:
        res["raw"] = out[-500:]
    return res


def run_python_client(
    base: str, paths: list[str], headers: dict[str, str], duration: float, concurrency: int
) -> dict[str, Any]:
    """The asyncio httpx client in its own process (:func:`client_main`)."""
    spec = json.dumps(
        {
            "base": base,
            "paths": paths,
            "headers": headers,
            "duration": duration,
            "concurrency": concurrency,
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.http", "--client", spec],
        capture_output=True,
        text=True,
        cwd=str(common.ROOT),
        timeout=duration + 60,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"client failed: {proc.stderr[-1000:]}")
    return json.loads(lines[-1])


def client_main(spec: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    import httpx

    paths, headers = spec["paths"], spec["headers"]
    lat: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient, start: int, end: float) -> None:
        nonlocal errors
        i = start
        while time.perf_counter() < end:
            t = time.perf_counter()
            r = await client.get(paths[i % len(paths)], headers=headers)
            lat.append(time.perf_counter() - t)
            if r.status_code >= 400:
                errors += 1
            i += 1

    async def main() -> float:
        limits = httpx.Limits(
            max_connections=spec["concurrency"], max_keepalive_connections=spec["concurrency"]
        )
        async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=30) as client:
            t = time.perf_counter()
            end = t + spec["duration"]
            await asyncio.gather(*(worker(client, i, end) for i in range(spec["concurrency"])))
            return time.perf_counter() - t

    elapsed = asyncio.run(main())
    return {
        "client": f"httpx asyncio c={spec['concurrency']} {spec['duration']:g}s",
        "rps": len(lat) / elapsed,
        "n": len(lat),
        "p50_ms": common.median_ms(lat),
        "p99_ms": common.p99_ms(lat),
        "errors": errors,
    }


def load(
    base: str,
    paths: list[str],
    headers: dict[str, str],
    duration: float,
    concurrency: int,
    client: str,
) -> dict[str, Any]:
    if client == "wrk":
        return run_wrk(base, paths, headers, duration, concurrency)
    return run_python_client(base, paths, headers, duration, concurrency)


# --------------------------------------------------------------------------- family


TARGETS = (
    "sparql-uncached",
    "sparql",
    "sparql-same",
    "api",
    "api-304",
    "minimal",
    "ceiling",
    "raw-asgi",
    "rdflib-endpoint",
)


def measure(
    data: Path,
    duration: float,
    concurrency: int = 10,
    client: str | None = None,
    targets: tuple[str, ...] = TARGETS,
    rounds: int = 2,
) -> dict[str, dict[str, Any]]:
    """Every target, ``duration`` seconds each, split into ``rounds`` interleaved rounds.

    All servers are up at once (idle ones cost nothing) and the targets take turns, round
    after round (odd rounds in reverse order), so a change in the machine's load is shared
    across targets rather than landing on one. Returns {target: result}, where result has
    the summed requests, mean requests/s, the median of the rounds' p50 and p99, the
    per-round requests/s, and server/what/rows/bytes.
    """
    client = client or ("wrk" if shutil.which("wrk") else "python")
    rounds = max(1, min(rounds, int(duration)))
    per_round = duration / rounds
    actors = top_actors(data)
    rotating = [sparql_path(a) for a in actors]
    accept = {"Accept": JSON_RESULTS}
    out: dict[str, dict[str, Any]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="sg-http-"))
    body_file = tmp / "body.json"
    plan: list[tuple[str, int, subprocess.Popen[bytes], list[str], dict[str, str]]] = []

    def add(
        name: str,
        port: int,
        proc: subprocess.Popen[bytes],
        paths: list[str],
        headers: dict[str, str],
        engine: str,
        what: str,
    ) -> None:
        if name not in targets:
            return
        status, body, _h = fetch(f"http://127.0.0.1:{port}{paths[0]}", headers)
        out[name] = {
            "engine": engine,
            "what": what,
            "status": status,
            "bytes": len(body),
            "rows": solutions(body),
            "rounds": [],
        }
        if status >= 400:
            out[name]["error"] = f"HTTP {status}: {body[:300]!r}"
            return
        plan.append((name, port, proc, paths, headers))

    try:
        with contextlib.ExitStack() as stack:
            port = free_port()
            proc = stack.enter_context(server(stancegraph_cmd(data, port), "/healthz", port))
            base = f"http://127.0.0.1:{port}"
            status, body, _ = fetch(base + rotating[0], accept)
            if status != 200:
                raise RuntimeError(f"/sparql answered {status}: {body[:300]!r}")
            body_file.write_bytes(body)
            add(
                "sparql",
                port,
                proc,
                rotating,
                accept,
                "stancegraph serve",
                f"/sparql actor-stances, {len(rotating)} actors in turn (result cache)",
            )
            add(
                "sparql-same",
                port,
                proc,
                rotating[:1],
                accept,
                "stancegraph serve",
                "/sparql one identical request, the most active actor (the largest answer of the "
                "rotation); result cache",
            )
            api_paths = [f"/api/stances?holder={a.rsplit('/', 1)[1]}" for a in actors]
            add(
                "api",
                port,
                proc,
                api_paths,
                {"Accept": "application/json"},
                "stancegraph serve",
                f"/api/stances?holder=…, {len(api_paths)} actors in turn (ETag response LRU)",
            )
            _s, _b, h = fetch(base + api_paths[0], {"Accept": "application/json"})
            etag = {k.lower(): v for k, v in h.items()}.get("etag")
            if etag:
                add(
                    "api-304",
                    port,
                    proc,
                    api_paths[:1],
                    {"Accept": "application/json", "If-None-Match": etag},
                    "stancegraph serve",
                    "/api/stances?holder=… with If-None-Match → 304",
                )
            if "sparql-uncached" in targets:
                port = free_port()
                proc = stack.enter_context(
                    server(stancegraph_cmd(data, port, "--no-sparql-cache"), "/healthz", port)
                )
                add(
                    "sparql-uncached",
                    port,
                    proc,
                    rotating,
                    accept,
                    "stancegraph serve --no-sparql-cache",
                    f"/sparql actor-stances, {len(rotating)} actors in turn, every query run by a worker",
                )
            for name, engine, what, paths, ready in (
                (
                    "minimal",
                    "fastapi+pyoxigraph",
                    "minimal def route: Store.query + serialize(JSON)",
                    rotating,
                    "/sparql?query=ASK%7B%7D",
                ),
                (
                    "ceiling",
                    "fastapi",
                    "precomputed bytes of the /sparql answer",
                    rotating[:1],
                    "/healthz",
                ),
                ("raw-asgi", "asgi", "bare ASGI app, same bytes", rotating[:1], "/"),
                (
                    "rdflib-endpoint",
                    "rdflib-endpoint",
                    "SparqlEndpoint over rdflib Dataset",
                    rotating,
                    "/sparql?query=ASK%7B%7D",
                ),
            ):
                if name not in targets:
                    continue
                port = free_port()
                try:
                    proc = stack.enter_context(
                        server(baseline_cmd(name, data, port, body_file), ready, port)
                    )
                except Exception as exc:  # one broken server must not lose the others
                    out[name] = {
                        "engine": engine,
                        "what": what,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                    continue
                add(name, port, proc, paths, accept, engine, what)
            common.log(
                f"  http: {len(plan)} targets, {rounds} round(s) of {per_round:g} s each, {client}"
            )
            for r in range(rounds):
                for name, port, proc, paths, headers in plan if r % 2 == 0 else plan[::-1]:
                    res = load(
                        f"http://127.0.0.1:{port}", paths, headers, per_round, concurrency, client
                    )
                    res["rss_mb"] = peak_rss_mb(proc.pid)
                    out[name]["rounds"].append(res)
                    common.log(
                        f"    round {r + 1} {name:16s} {res.get('rps') or 0:9.0f} req/s  "
                        f"p50 {res.get('p50_ms') or 0:.2f} ms  p99 {res.get('p99_ms') or 0:.2f} ms  "
                        f"errors {res.get('errors')}"
                    )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for info in out.values():
        done = [r for r in info.get("rounds", []) if r.get("rps")]
        if not done:
            if info.get("rounds") and "error" not in info:
                info["error"] = info["rounds"][0].get("raw", "no result")
            continue

        def med(key: str, done: list[dict[str, Any]] = done) -> float | None:
            vals = [r[key] for r in done if r.get(key) is not None]
            return statistics.median(vals) if vals else None

        info.update(
            rps=statistics.mean(r["rps"] for r in done),
            n=sum(r.get("n") or 0 for r in done),
            p50_ms=med("p50_ms"),
            p99_ms=med("p99_ms"),
            rss_mb=max(r.get("rss_mb") or 0 for r in done),
            errors=sum(r.get("errors") or 0 for r in done),
            client=done[0]["client"],
            round_rps=[r["rps"] for r in done],
        )
        if any(r.get("socket_errors") for r in done):
            info["socket_errors"] = next(r["socket_errors"] for r in done if r.get("socket_errors"))
    return out


def rows_for(size: str, res: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    R = common.row
    rows: list[dict[str, Any]] = []

    def rps(name: str) -> float | None:
        return res.get(name, {}).get("rps")

    for name in TARGETS:
        r = res.get(name)
        if r is None:
            continue
        if "error" in r or not r.get("rps"):
            rows.append(
                R(
                    "http",
                    name,
                    r.get("engine", "-"),
                    size,
                    note=f"{r.get('what', '')}: {r.get('error') or r.get('raw', 'no result')}",
                )
            )
            continue
        parts = [f"{r['rps']:,.0f} req/s", r["what"]]
        if r.get("rows") is not None:
            parts.append(f"rows={r['rows']}")
        parts.append(f"{r['bytes']:,} B")
        if r.get("errors"):
            parts.append(f"{r['errors']} non-2xx/3xx")
        if r.get("socket_errors"):
            parts.append(r["socket_errors"])
        parts.append(
            f"{r['client']} × {len(r['round_rps'])} rounds ("
            + "/".join(f"{x:,.0f}" for x in r["round_rps"])
            + " req/s)"
        )
        ratio = None
        if name == "sparql-uncached" and rps("minimal"):
            ratio = r["rps"] / rps("minimal")
            parts.append("ratio = req/s ÷ minimal pyoxigraph route (target ≥ 0.9)")
            if rps("rdflib-endpoint"):
                parts.append(
                    f"{r['rps'] / rps('rdflib-endpoint'):.1f}× rdflib-endpoint (target ≥ 25×)"
                )
        elif name in ("sparql", "sparql-same", "api", "api-304") and rps("ceiling"):
            ratio = r["rps"] / rps("ceiling")
            parts.append(
                "ratio = req/s ÷ FastAPI precomputed-bytes ceiling (target ≥ 0.5; cached path)"
            )
        elif name == "rdflib-endpoint" and (rps("sparql-uncached") or rps("sparql")):
            ours = "sparql-uncached" if rps("sparql-uncached") else "sparql"
            ratio = rps(ours) / r["rps"]
            parts.append(f"ratio = stancegraph {ours} req/s ÷ rdflib-endpoint req/s (target ≥ 25×)")
        elif name in ("minimal", "raw-asgi") and rps("ceiling"):
            ratio = r["rps"] / rps("ceiling")
            parts.append("ratio = req/s ÷ FastAPI ceiling")
        rows.append(
            R(
                "http",
                name,
                r["engine"],
                size,
                r.get("p50_ms"),
                p99_ms=r.get("p99_ms"),
                rss_mb=r.get("rss_mb"),
                ratio=ratio,
                n=r.get("n"),
                note="; ".join(parts),
            )
        )
    return rows


def run(args: Any) -> list[dict[str, Any]]:
    """The http family for ``run.py``: the smallest requested size (a small SELECT)."""
    size = min(args.sizes, key=common.size_triples)
    duration = float(
        getattr(args, "duration", None) or (3.0 if getattr(args, "quick", False) else 10.0)
    )
    data = common.dataset(size, args)
    common.log(f"http: {size} ({data}), {duration:g} s per target")
    return rows_for(size, measure(data, duration, client=getattr(args, "client", None)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="stancegraph HTTP throughput and latency")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--client", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--body", help=argparse.SUPPRESS)
    ap.add_argument("--data", help="an N-Quads file (default: generated for --size)")
    ap.add_argument("--size", default="10k")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per target")
    ap.add_argument("--load-client", choices=["wrk", "python"], help="default: wrk if installed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help="comma-separated subset of: " + ", ".join(TARGETS),
    )
    args = ap.parse_args(argv)
    if args.serve:
        serve_main(args.serve, args.data, args.port, args.body)
        return 0
    if args.client:
        print(json.dumps(client_main(json.loads(args.client))))
        return 0
    data = Path(args.data) if args.data else common.dataset(args.size, args)
    targets = tuple(t.strip() for t in args.targets.split(",") if t.strip())
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        ap.error(f"unknown targets: {', '.join(unknown)}")
    res = measure(data, args.duration, client=args.load_client, targets=targets)
    rows = rows_for(args.size if not args.data else data.name, res)
    print(common.markdown_table(rows, common.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

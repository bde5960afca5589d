"""Fairness benchmark: cheap-query latency idle and under a varied-heavy-query attack.

Issue #12 ("Cheap queries starve"): eight clients sending heavy queries whose text changes
every time (a random comment) drove uncached cheap queries from milliseconds to 9–10 s.
Target: cheap p99 under attack <= 10x idle p99, measured side by side in one run.

For each code checkout given (``--code``; by default this one), one real
``stancegraph serve`` of the generated dataset (``--size``, 100k by default; server
defaults otherwise: 2 workers, 10 s timeout, result cache on) on a free 127.0.0.1 port:

1. **idle**: ``wrk -t1 -c1`` sends the cheap query (one actor's stances, the most active
   actor) for ``--duration`` seconds, each request with a new random comment, so the
   result cache never answers it and every request runs in a query worker;
2. **attack**: ``--attackers`` client threads (8), each from its own loopback address
   (127.0.0.2, 127.0.0.3, ...: distinct clients for the server), send a heavy query (a
   counted three-way cartesian product: CPU-bound, constant memory, runs into the
   timeout) with a new random comment every time, again as soon as each answer arrives
   (hostile: no Retry-After honoured); after ``--warmup`` seconds the same ``wrk`` run is
   repeated while the attack goes on.

Rows: cheap p50/p99/max (wrk's own latency histogram), requests, non-2xx answers; the
attackers' status counts; ``ratio`` = p99 under attack / p99 idle. With two checkouts
(``--code /work/main --code .``) the "before" and "after" run one after the other in the
same invocation, on the same data and machine.

    python benchmarks/fairness.py                       # this checkout, 100k, 15 s phases
    python benchmarks/fairness.py --code /work/main --code . --duration 20
    python benchmarks/fairness.py --vary structure     # new variable names and constants too
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
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from benchmarks import common
from benchmarks import http as bench_http

FAMILY = "fairness"
JSON_RESULTS = "application/sparql-results+json"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

# wrk: the cheap query with a random comment per request; the summary as one JSON line.
LUA = """
math.randomseed(%(seed)d)
local path = %(path)s
local headers = { ["Accept"] = %(accept)s }
request = function()
  return wrk.format("GET", path .. "%%0A%%23" .. math.random(1, 2000000000), headers)
end
done = function(summary, latency, requests)
  io.write(string.format(
    'FAIRNESS {"n": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, "non2xx": %%d, ' ..
    '"timeouts": %%d, "socket_errors": %%d}\\n',
    summary.requests, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.timeout,
    summary.errors.connect + summary.errors.read + summary.errors.write))
end
"""


def cheap_query(data: Path) -> str:
    return bench_http.actor_query(bench_http.top_actors(data, 1)[0])


def run_wrk(port: int, query: str, duration: float, seed: int) -> dict[str, Any]:
    """One ``wrk -t1 -c1`` run of the cheap query; wrk's own percentiles, in ms."""
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % {"seed": seed, "path": json.dumps(path), "accept": json.dumps(JSON_RESULTS)})
        script = f.name
    seconds = max(1, round(duration))
    cmd = ["wrk", "-t1", "-c1", f"-d{seconds}s", "--timeout", "30s", "-s", script]
    try:
        out = subprocess.run(
            [*cmd, f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=seconds + 90,
        ).stdout
    finally:
        os.unlink(script)
    m = re.search(r"^FAIRNESS (\{.*\})$", out, re.MULTILINE)
    if not m:
        raise RuntimeError(f"no summary from wrk: {out[-500:]}")
    raw = json.loads(m.group(1))
    return {
        "n": raw["n"],
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non2xx": raw["non2xx"],
        "timeouts": raw["timeouts"],
        "socket_errors": raw["socket_errors"],
    }


def heavy_text(rng: random.Random, vary: str) -> str:
    """The heavy query, new every time: a random comment, or (``structure``) a random
    variable name and filter constant, so that even normalised texts differ."""
    r = rng.getrandbits(48)
    if vary == "structure":
        return f"SELECT (COUNT(*) AS ?n{r}) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?i != {r}) }}"
    return f"{HEAVY}\n# {r:x}"


class Attack:
    """``n`` hostile clients, each on its own loopback address, sending the heavy query
    with a fresh random comment (or structure) as soon as the previous answer is in."""

    def __init__(self, port: int, n: int, timeout: float, vary: str = "comment"):
        self.port, self.n, self.timeout, self.vary = port, n, timeout, vary
        self.status: dict[str, int] = {}  # answers by status (or exception) code
        self.sent = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[http.client.HTTPConnection] = []
        self._threads = [threading.Thread(target=self._client, args=(i,)) for i in range(n)]

    def _client(self, i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.timeout, source_address=(f"127.0.0.{i + 2}", 0)
        )
        with self._lock:
            self._conns.append(conn)
        while not self._stop.is_set():
            text = heavy_text(rng, self.vary)
            with self._lock:
                self.sent += 1
            try:
                conn.request(
                    "GET",
                    "/sparql?" + urllib.parse.urlencode({"query": text}),
                    headers={"Accept": JSON_RESULTS},
                )
                resp = conn.getresponse()
                resp.read()
                key = str(resp.status)
            except (OSError, http.client.HTTPException) as exc:
                if self._stop.is_set():
                    return
                key = type(exc).__name__
                conn.close()
                time.sleep(0.05)  # a refused connection is not a reason to spin
            with self._lock:
                self.status[key] = self.status.get(key, 0) + 1

    def __enter__(self) -> Attack:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    if conn.sock is not None:
                        conn.sock.shutdown(2)  # unblock a thread waiting for its answer
        for t in self._threads:
            t.join(timeout=self.timeout + 5)


@contextlib.contextmanager
def serve(code: Path, data: Path, port: int, extra: list[str]) -> Iterator[None]:
    """``stancegraph serve`` from the checkout ``code`` (its package first on the path)."""
    cmd = bench_http.stancegraph_cmd(data, port, *extra)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=str(code),
        env=env,
        start_new_session=True,
    )
    try:
        bench_http.wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        yield
    except BaseException:
        if proc.poll() is not None and proc.stderr is not None:
            common.log(proc.stderr.read().decode(errors="replace")[-2000:])
        raise
    finally:
        bench_http.stop(proc)


def measure_one(
    code: Path,
    data: Path,
    *,
    duration: float,
    warmup: float,
    attackers: int,
    timeout: float,
    extra: list[str],
    vary: str = "comment",
) -> dict[str, Any]:
    """Idle, then under attack, against one server of the checkout ``code``."""
    port = bench_http.free_port()
    query = cheap_query(data)
    with serve(code, data, port, ["--timeout", f"{timeout:g}", *extra]):
        status, body, _ = bench_http.fetch(
            f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": query}),
            {"Accept": JSON_RESULTS},
        )
        rows = bench_http.solutions(body)
        if status != 200 or not rows:
            raise RuntimeError(f"cheap query answered {status}: {body[:300]!r}")
        common.log(f"fairness: {code}: idle {duration:g} s")
        idle = run_wrk(port, query, duration, seed=1)
        common.log(f"fairness: {code}: attack by {attackers} clients, {duration:g} s measured")
        with Attack(port, attackers, timeout + 30, vary) as attack:
            time.sleep(warmup)
            busy = run_wrk(port, query, duration, seed=2)
        heavy = dict(attack.status)
        sent = attack.sent
    ratio = busy["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] else None
    return {
        "code": str(code),
        "vary": vary,
        "rows": rows,
        "idle": idle,
        "attack": busy,
        "heavy": heavy,
        "heavy_sent": sent,
        "ratio": ratio,
    }


def measure(
    codes: list[Path],
    data: Path,
    *,
    duration: float = 15.0,
    warmup: float = 3.0,
    attackers: int = 8,
    timeout: float = 10.0,
    extra: list[str] | None = None,
    vary: str = "comment",
) -> list[dict[str, Any]]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    return [
        measure_one(
            code,
            data,
            duration=duration,
            warmup=warmup,
            attackers=attackers,
            timeout=timeout,
            extra=extra or [],
            vary=vary,
        )
        for code in codes
    ]


def label(code: str) -> str:
    here = common.ROOT.resolve()
    return "this checkout" if Path(code).resolve() == here else code


def rows_for(size: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for res in results:
        for phase in ("idle", "attack"):
            r = res[phase]
            note = (
                f"{label(res['code'])}; n={r['n']}, max {r['max_ms']:.0f} ms, non-2xx {r['non2xx']}"
            )
            if phase == "attack":
                note += f"; heavy answers {res['heavy']}"
            out.append(
                common.row(
                    FAMILY,
                    f"cheap-{phase}",
                    "stancegraph-api",
                    size,
                    median_ms=r["p50_ms"],
                    p99_ms=r["p99_ms"],
                    ratio=res["ratio"] if phase == "attack" else None,
                    n=r["n"],
                    note=note,
                )
            )
    return out


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| code | phase | cheap requests | p50 ms | p99 ms | max ms | non-2xx | heavy answers | p99 attack / idle |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for res in results:
        for phase in ("idle", "attack"):
            r = res[phase]
            heavy = json.dumps(res["heavy"], sort_keys=True) if phase == "attack" else ""
            ratio = f"{res['ratio']:.1f}x" if phase == "attack" and res["ratio"] else ""
            lines.append(
                f"| {label(res['code'])} | {phase} | {r['n']} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {r['max_ms']:.0f} | {r['non2xx']} | {heavy} | {ratio} |"
            )
    return "\n".join(lines)


def run(args: Any) -> list[dict[str, Any]]:
    """``run.py`` entry: this checkout only, per size."""
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        results = measure([common.ROOT], common.dataset(size, args), duration=10.0)
        rows += rows_for(size, results)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="100k", help="generated dataset size (default 100k)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", default=None)
    p.add_argument(
        "--code",
        action="append",
        type=Path,
        help="checkout whose server to measure (repeatable, in order; default: this one)",
    )
    p.add_argument("--duration", type=float, default=15.0, help="seconds per wrk run")
    p.add_argument("--warmup", type=float, default=3.0, help="attack seconds before measuring")
    p.add_argument("--attackers", type=int, default=8)
    p.add_argument("--timeout", type=float, default=10.0, help="server query timeout (s)")
    p.add_argument(
        "--vary",
        choices=["comment", "structure"],
        default="comment",
        help="what changes in each heavy query: a comment (issue 12) or its structure",
    )
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args(argv)
    data = common.dataset(args.size, args)
    codes = [c.resolve() for c in (args.code or [common.ROOT])]
    results = measure(
        codes,
        data,
        duration=args.duration,
        warmup=args.warmup,
        attackers=args.attackers,
        timeout=args.timeout,
        vary=args.vary,
    )
    m = common.machine()
    print(
        f"\nfairness, {args.size} triples, {args.attackers} attackers varying the "
        f"{args.vary}; {common.machine_line(m)}"
    )
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": m, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

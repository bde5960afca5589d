"""Start-up benchmark: ``stancegraph serve`` until it answers, and opening a persisted store.

- ``serve seed``: wall time from launching ``python -m stancegraph serve`` (the seed graph,
  ``--log-level warning``) to the first 200 on ``/healthz``, then to the first 200 on
  ``/sparql`` (an ``ASK {}`` sent right after /healthz answered; both measured from the
  launch), polled every 10 ms from this process; median of 5 launches.
- ``serve --store``: the same for the persisted 1M-triple store below (median of 3).
- ``open store``: a fresh interpreter times ``import stancegraph``,
  ``stancegraph.open(path)`` on a persisted store of the 1M-triple dataset and a first
  query (the actor-stances query of the most active actor, through ``kg.query``); median of
  3 processes. The store is built once with ``pyoxigraph.Store.bulk_load`` into
  ``<data-dir>/store-<size>-seed<seed>/`` and reused by later runs (delete it to rebuild).

Not in ``run.py``'s default families: ``python benchmarks/run.py --families startup`` (or
``engine,http,analytics,startup``). Standalone: ``python benchmarks/startup.py``.
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
import shutil
import statistics
import subprocess
import time
from typing import Any

from benchmarks import common
from benchmarks.engine import pick_params
from benchmarks.http import fetch, free_port, spawn, stop

STORE_SIZE = "1m"
OPEN_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import stancegraph
t1 = time.perf_counter()
kg = stancegraph.open(sys.argv[1])
t2 = time.perf_counter()
rows = kg.query(sys.argv[2], actor=sys.argv[3])
t3 = time.perf_counter()
n = len(kg.store)
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "query_s": t3 - t2, "rows": len(rows), "quads": n}))
"""


def time_serve(extra: list[str], timeout: float = 180.0) -> dict[str, float]:
    """Launch ``stancegraph serve``; seconds to the first 200 on /healthz and on /sparql."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "stancegraph",
        "serve",
        *extra,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    t0 = time.perf_counter()
    proc = spawn(cmd)
    out: dict[str, float] = {}
    try:
        for key, path in (("healthz_s", "/healthz"), ("sparql_s", "/sparql?query=ASK%7B%7D")):
            while True:
                if time.perf_counter() - t0 > timeout:
                    raise TimeoutError(f"{path} not ready after {timeout:g} s")
                if proc.poll() is not None:
                    err = proc.stderr.read().decode(errors="replace")[-1500:] if proc.stderr else ""
                    raise RuntimeError(f"serve exited with {proc.returncode}: {err}")
                with contextlib.suppress(OSError):
                    if (
                        fetch(
                            base + path, {"Accept": "application/sparql-results+json"}, timeout=10
                        )[0]
                        == 200
                    ):
                        out[key] = time.perf_counter() - t0
                        break
                time.sleep(0.01)
    finally:
        stop(proc)
    return out


def build_store(size: str, args: Any) -> tuple[Path, float | None]:
    """The persisted store of ``size`` (bulk-loaded once); (path, seconds spent building or None)."""
    import pyoxigraph as ox

    data = common.dataset(size, args)
    path = data.parent / f"store-{size.lower()}-seed{getattr(args, 'seed', 1)}"
    marker = path / ".complete"
    if marker.exists():
        return path, None
    shutil.rmtree(path, ignore_errors=True)
    common.log(f"startup: bulk-loading {data.name} into {path}")
    t = time.perf_counter()
    store = ox.Store(str(path))
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    built = time.perf_counter() - t
    marker.write_text(f"{built:.1f} s\n")
    return path, built


def time_open(path: Path, query: str, actor: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", OPEN_SCRIPT, str(path), query, actor],
        capture_output=True,
        text=True,
        cwd=str(common.ROOT),
        timeout=600,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"open failed: {proc.stderr[-1500:]}")
    return json.loads(lines[-1])


def _med(values: list[float]) -> float:
    return statistics.median(values) * 1000


def run(args: Any) -> list[dict[str, Any]]:
    from benchmarks.engine import QUERY_DIR

    R = common.row
    quick = getattr(args, "quick", False)
    rows: list[dict[str, Any]] = []
    n_seed = 2 if quick else 5
    runs = [time_serve([]) for _ in range(n_seed)]
    common.log(f"startup: serve seed {runs}")
    for key, what in (("healthz_s", "/healthz"), ("sparql_s", "/sparql ASK {}")):
        vals = [r[key] for r in runs]
        rows.append(
            R(
                "startup",
                f"serve → {what}",
                "stancegraph serve",
                "seed",
                _med(vals),
                n=len(vals),
                note=f"launch to first 200 on {what}; min {min(vals) * 1000:.0f} ms, "
                f"max {max(vals) * 1000:.0f} ms",
            )
        )
    size = getattr(args, "store_size", None) or ("10k" if quick else STORE_SIZE)
    path, built = build_store(size, args)
    params = pick_params(common.dataset(size, args))
    query = (QUERY_DIR / "actor-stances.rq").read_text()
    n_open = 2 if quick else 3
    opens = [time_open(path, query, params["actor"]) for _ in range(n_open)]
    common.log(f"startup: open {opens}")
    disk = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    build_note = (
        f"built by bulk_load in {built:.1f} s this run"
        if built
        else "store reused from an earlier run"
    )
    total = [o["open_s"] + o["query_s"] for o in opens]
    rows.append(
        R(
            "startup",
            "open store + first query",
            "stancegraph.open",
            size,
            _med(total),
            n=len(total),
            note=f"open {_med([o['open_s'] for o in opens]):.0f} ms + first query "
            f"{_med([o['query_s'] for o in opens]):.0f} ms ({opens[0]['rows']} rows); "
            f"import stancegraph {_med([o['import_s'] for o in opens]):.0f} ms (not included); "
            f"{opens[0]['quads']:,} quads, {disk:.0f} MB on disk; {build_note}",
        )
    )
    store_runs = []
    try:
        store_runs = [time_serve(["--store", str(path)]) for _ in range(n_open)]
    except Exception as exc:  # recorded in the row
        rows.append(
            R(
                "startup",
                "serve --store → /healthz",
                "stancegraph serve",
                size,
                note=f"{type(exc).__name__}: {exc}"[:400],
            )
        )
    common.log(f"startup: serve --store {store_runs}")
    for key, what in (("healthz_s", "/healthz"), ("sparql_s", "/sparql ASK {}")):
        vals = [r[key] for r in store_runs]
        if vals:
            rows.append(
                R(
                    "startup",
                    f"serve --store → {what}",
                    "stancegraph serve",
                    size,
                    _med(vals),
                    n=len(vals),
                    note=f"persisted store; launch to first 200 on {what}",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="stancegraph start-up times")
    ap.add_argument("--store-size", default=STORE_SIZE, help="dataset size of the persisted store")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    args = ap.parse_args(argv)
    print(common.markdown_table(run(args), common.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

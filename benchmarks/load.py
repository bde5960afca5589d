"""Load family: a generated N-Quads file into a fresh on-disk store, with and without SHACL.

    python benchmarks/load.py --sizes 1m            # validated + plain bulk load, pyshacl on 10k
    python benchmarks/run.py --families load --sizes 10k

Rows (one load each, in its own subprocess so that ``rss_mb`` is that load's peak RSS,
imports included):

- ``validated``: ``StanceGraph.load_rdf`` on a fresh store (the file and the store's
  ontology validated in memory with the SHACL shapes compiled to SPARQL while the engine
  bulk-loads the file into the store, provisionally; see ``stancegraph/ingest/rdfload.py``);
  the note gives how long the in-memory validation took, side by side with the load;
- ``bulk``: ``OxigraphStore.bulk_load`` alone (validation off); ``ratio`` on the validated
  row is validated / bulk time;
- ``pyshacl``: pyshacl (the reference validator) on the 10k dataset with the ontology,
  validation only, for comparison.

``note`` gives triples per second. Issue #8 target: >= 250k triples/s validated, < 1 GB.
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
import resource
import subprocess
import tempfile
import time
from typing import Any

from benchmarks import common

FAMILY = "load"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _worker(mode: str, path: str) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import pyoxigraph as ox

    import stancegraph
    from stancegraph.store import OxigraphStore

    with open(path, "rb") as f:
        triples = sum(1 for _ in f)  # one quad per line in generated files
    with tempfile.TemporaryDirectory(prefix="sg-load-") as d:
        if mode == "pyshacl":
            from rdflib import Dataset, Graph

            from stancegraph.validation.reference import ontology_graph, validate

            ds = Dataset()
            ds.parse(path, format="nquads")
            data = Graph()
            for s, p, o, _g in ds.quads((None, None, None, None)):
                data.add((s, p, o))
            data += ontology_graph()
            t = time.perf_counter()
            report = validate(data)
            seconds = time.perf_counter() - t
            note = f"{len(report.violations)} violations, {len(report.warnings)} warnings"
        elif mode == "validated":
            import stancegraph.ingest.rdfload as rdfload

            kg = stancegraph.open(Path(d) / "store")
            spent: list[float] = []
            staged = rdfload._validate_alone

            def timed_staged(*a: Any, **kw: Any) -> Any:  # the SHACL part: staging + checks
                t0 = time.perf_counter()
                try:
                    return staged(*a, **kw)
                finally:
                    spent.append(time.perf_counter() - t0)

            rdfload._validate_alone = timed_staged  # type: ignore[assignment]
            t = time.perf_counter()
            report = kg.load_rdf(path)
            kg.store.flush()
            seconds = time.perf_counter() - t
            note = (
                f"{len(report.violations)} violations, {len(report.warnings)} warnings"
                if report
                else ""
            )
            note += f"; in-memory validation (staging + SHACL) {sum(spent):.1f} s, alongside"
            return {"seconds": seconds, "rss_mb": _peak_rss_mb(), "triples": triples, "note": note}
        else:
            store = OxigraphStore(Path(d) / "store")
            t = time.perf_counter()
            store.bulk_load(path, ox.RdfFormat.N_QUADS)
            store.flush()
            seconds = time.perf_counter() - t
            note = ""
    return {"seconds": seconds, "rss_mb": _peak_rss_mb(), "triples": triples, "note": note}


def measure(mode: str, path: Path, timeout: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--worker", mode, str(path)],
        capture_output=True, text=True, timeout=timeout, check=True, cwd=common.ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    timeout = max(600.0, float(getattr(args, "timeout", 30.0)))
    for size in args.sizes:
        path = common.dataset(size, args)
        got = {mode: measure(mode, path, timeout) for mode in ("validated", "bulk")}
        for mode, r in got.items():
            rate = r["triples"] / r["seconds"]
            ratio = (
                got["validated"]["seconds"] / got["bulk"]["seconds"]
                if mode == "validated"
                else None
            )
            note = f"{rate:,.0f} triples/s" + (f"; {r['note']}" if r["note"] else "")
            if ratio is not None:
                note += "; ratio = validated / bulk time"
            rows.append(
                common.row(
                    FAMILY,
                    "load",
                    mode,
                    size,
                    r["seconds"] * 1000,
                    rss_mb=r["rss_mb"],
                    ratio=ratio,
                    n=1,
                    note=note,
                )
            )
    sample = common.dataset("10k", args)
    r = measure("pyshacl", sample, timeout)
    rows.append(
        common.row(
            FAMILY, "validate", "pyshacl", "10k", r["seconds"] * 1000, rss_mb=r["rss_mb"], n=1,
            note=f"{r['triples'] / r['seconds']:,.0f} triples/s, validation only; {r['note']}",
        )
    )  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default="1m")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(*args.worker)))
        return 0
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    rows = run(args)
    print(common.markdown_table(rows, common.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the benchmark families and print one markdown table.

    python benchmarks/run.py                      # sizes 10k,100k,1m, every family present
    python benchmarks/run.py --quick              # 10k only, 2 repeats
    python benchmarks/run.py --sizes 10k,100k --families engine --repeats 5
    python benchmarks/run.py --families overhead,startup --sizes 1m   # not in the defaults

A family is a module ``benchmarks/<family>.py`` with ``run(args) -> list[dict]`` returning
rows made with ``benchmarks.common.row`` (see ``benchmarks/common.py``). Families that do
not exist yet are skipped. Results go to ``benchmarks/out/<timestamp>.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: keep benchmarks/ (http.py) off sys.path
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import argparse
import datetime as dt
import importlib
import time
import traceback
from typing import Any

from benchmarks import common

FAMILIES = ("engine", "http", "analytics", "load")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="stancegraph benchmarks")
    ap.add_argument(
        "--sizes", help="comma-separated dataset sizes (default 10k,100k,1m; --quick: 10k)"
    )
    ap.add_argument("--quick", action="store_true", help="smallest size, 2 repeats, short timeouts")
    ap.add_argument(
        "--repeats", type=int, help="timed repeats per measurement (default 7/5/3 by size)"
    )
    ap.add_argument("--families", default=",".join(FAMILIES), help="which families to run")
    ap.add_argument(
        "--engines", help="engine family: subset of oxigraph,oxigraph-disk,stancegraph-api,rdflib"
    )
    ap.add_argument(
        "--timeout",
        type=float,
        help="seconds before a single run is given up (default 30; --quick 10)",
    )
    ap.add_argument("--seed", type=int, default=1, help="generator seed")
    ap.add_argument(
        "--data-dir",
        default=str(common.DEFAULT_DATA_DIR),
        help="where generated datasets are cached",
    )
    ap.add_argument("--out-dir", default=str(common.ROOT / "benchmarks" / "out"))
    args = ap.parse_args(argv)
    args.sizes = [
        s.strip()
        for s in (args.sizes or ("10k" if args.quick else "10k,100k,1m")).split(",")
        if s.strip()
    ]
    args.families = [f.strip() for f in args.families.split(",") if f.strip()]
    args.engines = args.engines.split(",") if args.engines else None
    if args.timeout is None:
        args.timeout = 10.0 if args.quick else 30.0
    return args


def load_family(name: str) -> Any | None:
    try:
        return importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"benchmarks.{name}":
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = common.machine()
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in args.families:
        module = load_family(name)
        if module is None:
            common.log(f"family {name}: benchmarks/{name}.py not present, skipped")
            continue
        common.log(f"family {name}: running")
        t = time.perf_counter()
        try:
            rows.extend(module.run(args))
        except Exception as exc:  # one broken family must not lose the others' results
            traceback.print_exc()
            rows.append(common.row(name, "error", "-", "-", note=f"{type(exc).__name__}: {exc}"))
        common.log(f"family {name}: {time.perf_counter() - t:.0f} s")
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    out = Path(args.out_dir) / f"{stamp}.json"
    common.write_json(out, rows, machine, args)
    print(common.markdown_table(rows, machine))
    print(f"\n{len(rows)} rows in {time.perf_counter() - started:.0f} s; written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

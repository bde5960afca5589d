"""Cost of parsing uploads in a confined child (``stancegraph.ingest.safeparse``), side by side.

For a small Turtle body and a ~1 MB N-Triples body, alternating in one run: pyoxigraph in
this process (what the Graph Store did before), a warm child (reused, the default), and a
cold child (a fresh ``python -I`` + pyoxigraph per parse). Prints medians and the ratios
to in-process. ``python benchmarks/safeparse.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: keep benchmarks/ (http.py) off sys.path
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import pyoxigraph as ox

from stancegraph.ingest import safeparse

SMALL = b"@prefix ex: <http://e/> . ex:a ex:p [ ex:q 1 ] ; ex:r ex:b ."
LARGE = b"".join(b'<http://e/s%d> <http://e/p> "value %d" .\n' % (i, i) for i in range(22_000))


def _time(fn: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def _in_process(body: bytes, fmt: ox.RdfFormat) -> None:
    list(ox.parse(body, format=fmt))


def _cold(body: bytes, fmt: ox.RdfFormat) -> None:
    safeparse.close_all()
    safeparse.parse_untrusted(body, fmt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=21)
    args = ap.parse_args()
    print(f"large body: {len(LARGE) / 1e6:.2f} MB")
    for name, body, fmt in (
        ("small turtle", SMALL, ox.RdfFormat.TURTLE),
        ("1 MB n-triples", LARGE, ox.RdfFormat.N_TRIPLES),
    ):
        times: dict[str, list[float]] = {"in-process": [], "warm child": [], "cold child": []}
        safeparse.parse_untrusted(body, fmt)  # start the warm child
        for _ in range(args.repeats):
            times["in-process"].append(_time(_in_process, body, fmt))
            times["warm child"].append(_time(safeparse.parse_untrusted, body, fmt))
            times["cold child"].append(_time(_cold, body, fmt))
        base = statistics.median(times["in-process"])
        for how, ts in times.items():
            med = statistics.median(ts)
            print(f"{name:15s} {how:11s} median {med * 1000:8.2f} ms  ratio {med / base:6.1f}")
    safeparse.close_all()


if __name__ == "__main__":
    main()

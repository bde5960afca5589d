"""What every benchmark family shares: the result row, the datasets, the machine, the table.

A family is a module ``benchmarks/<family>.py`` exposing ``run(args) -> list[dict]``; each
dict is a result row made with :func:`row`::

    {"family": "engine", "name": "actor-stances", "engine": "oxigraph", "size": "100k",
     "median_ms": 1.9, "p99_ms": None, "rss_mb": None, "ratio": None, "n": 5,
     "note": "rows=97"}

- ``family``: the module (engine, http, analytics);
- ``name``: what was measured (a query, a route, an algorithm, or ``load``);
- ``engine``: what ran it (rdflib, oxigraph, oxigraph-disk, stancegraph-api, fastapi...);
- ``size``: the dataset label (``10k``, ``100k``, ``1m``: target triple counts);
- ``median_ms``: median wall time of the repeats, in milliseconds (None: not measured);
- ``p99_ms``: 99th percentile where enough samples exist (HTTP load tests), else None;
- ``rss_mb``: peak resident memory of the measuring process, where it means something;
- ``ratio``: a dimensionless comparison measured in the same run, explained in ``note``
  (engine family: rdflib / oxigraph, and stancegraph-api / pyoxigraph direct);
- ``n``: number of timed repeats behind the median;
- ``note``: anything needed to read the figure (result size, timeouts, baselines).

``args`` (an ``argparse.Namespace`` from ``run.py``) carries ``sizes`` (labels),
``quick``, ``repeats`` (None: per-size default, see :func:`repeats_for`), ``seed``,
``data_dir`` and ``timeout``; :func:`dataset` returns (and generates once) the N-Quads file
for a size label.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROW_KEYS = (
    "family",
    "name",
    "engine",
    "size",
    "median_ms",
    "p99_ms",
    "rss_mb",
    "ratio",
    "n",
    "note",
)
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "stancegraph-bench"


def row(
    family: str,
    name: str,
    engine: str,
    size: str,
    median_ms: float | None = None,
    *,
    p99_ms: float | None = None,
    rss_mb: float | None = None,
    ratio: float | None = None,
    n: int | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One result row (see the module docstring)."""
    return {
        "family": family,
        "name": name,
        "engine": engine,
        "size": size,
        "median_ms": median_ms,
        "p99_ms": p99_ms,
        "rss_mb": rss_mb,
        "ratio": ratio,
        "n": n,
        "note": note,
    }


def median_ms(seconds: Sequence[float]) -> float | None:
    return statistics.median(seconds) * 1000 if seconds else None


def p99_ms(seconds: Sequence[float]) -> float | None:
    """99th percentile (nearest rank); None below 20 samples, where it means nothing."""
    if len(seconds) < 20:
        return None
    s = sorted(seconds)
    return s[min(len(s) - 1, max(0, round(0.99 * len(s)) - 1))] * 1000


# --------------------------------------------------------------------------- datasets


def size_triples(label: str) -> int:
    """``10k`` -> 10000, ``1m`` -> 1000000."""
    from benchmarks.generate import parse_size

    return parse_size(label)


def repeats_for(size: str, args: Any) -> int:
    """Timed repeats per measurement: --repeats, else 7 / 5 / 3 by size (2 with --quick)."""
    if getattr(args, "repeats", None):
        return int(args.repeats)
    if getattr(args, "quick", False):
        return 2
    n = size_triples(size)
    return 7 if n <= 20_000 else 5 if n <= 200_000 else 3


def dataset(size: str, args: Any = None) -> Path:
    """The generated N-Quads file for a size label, generated once per (size, seed, version
    of the generator): a file from an older generator (an older data model) is not reused."""
    import hashlib

    from benchmarks import generate
    from benchmarks.generate import write_file

    seed = getattr(args, "seed", 1) if args is not None else 1
    data_dir = Path(getattr(args, "data_dir", None) or DEFAULT_DATA_DIR)
    code = hashlib.blake2b(Path(generate.__file__).read_bytes(), digest_size=4).hexdigest()
    path = data_dir / f"sg-{size.lower()}-seed{seed}-{code}.nq"
    if not path.exists():
        write_file(path, size_triples(size), seed, progress=log)
    return path


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "pyoxigraph": version("pyoxigraph"),
        "rdflib": version("rdflib"),
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def machine_line(m: dict[str, Any]) -> str:
    load = "/".join(str(x) for x in m.get("loadavg") or [])
    return (
        f"Machine: {m['cpu']}, {m['usable_cores']} of {m['cores']} cores, "
        f"{m['memory_gb']} GB RAM; Python {m['python']} ({m['platform']}); "
        f"pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}; load average at start {load}"
    )


# --------------------------------------------------------------------------- output


def _num(x: float | None, unit: str = "") -> str:
    if x is None:
        return ""
    if x >= 100:
        return f"{x:,.0f}{unit}"
    if x >= 10:
        return f"{x:.1f}{unit}"
    return f"{x:.2f}{unit}"


COLUMNS = (
    ("family", "family", str),
    ("size", "size", str),
    ("name", "name", str),
    ("engine", "engine", str),
    ("median_ms", "median ms", _num),
    ("p99_ms", "p99 ms", _num),
    ("rss_mb", "RSS MB", lambda x: _num(x)),
    ("ratio", "ratio", lambda x: _num(x, "×")),
    ("n", "n", lambda x: "" if x is None else str(x)),
    ("note", "note", str),
)


def markdown_table(rows: Iterable[dict[str, Any]], m: dict[str, Any] | None = None) -> str:
    """Rows as a markdown table (columns empty in every row are left out)."""
    rows = list(rows)
    cols = [c for c in COLUMNS if any(r.get(c[0]) not in (None, "") for r in rows)]
    lines = []
    if m is not None:
        lines += [machine_line(m), ""]
    lines.append("| " + " | ".join(c[1] for c in cols) + " |")
    lines.append(
        "|"
        + "|".join(
            "---:" if c[0] in ("median_ms", "p99_ms", "rss_mb", "ratio", "n") else "---"
            for c in cols
        )
        + "|"
    )
    for r in rows:
        cells = []
        for key, _title, fmt in cols:
            v = r.get(key)
            cells.append("" if v is None else fmt(v).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: Path, rows: list[dict[str, Any]], m: dict[str, Any], args: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": m,
        "args": {k: v for k, v in vars(args).items() if _jsonable(v)},
        "rows": rows,
    }
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v, default=str)
    except (TypeError, ValueError):
        return False
    return True


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)

"""How results look on a terminal: aligned tables with IRIs as prefixed names."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from ..graph import Result


def _cell(v: Any) -> str:
    """A value as a table shows it: IRIs as prefixed names (or <IRI>) that can be typed
    back into a query; dates in ISO form."""
    if v is None:
        return ""
    s = str(v)
    if s.startswith(("http://", "https://")):
        from ..sparql.text import compact

        return compact(s)
    return s


def print_table(result: Result, out: Any = None, max_width: int = 60) -> None:
    """Aligned columns; cells longer than ``max_width`` are cut with "…" (0: never)."""
    out = out or sys.stdout
    if result.kind == "ask":
        print("true" if result.boolean else "false", file=out)
        return
    if result.kind == "graph":
        cols, rows = (
            ["subject", "predicate", "object"],
            [dict(zip(["subject", "predicate", "object"], t, strict=True)) for t in result.triples],
        )
    else:
        cols, rows = result.columns, result.rows
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    if max_width > 0:
        widths = [min(max_width, w) for w in widths]

    def fmt(vals: Sequence[str]) -> str:
        return "  ".join(
            (v if len(v) <= w else v[: w - 1] + "…").ljust(w)
            for v, w in zip(vals, widths, strict=True)
        ).rstrip()

    print(fmt(cols), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print(fmt(row), file=out)
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=out)


_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "xml": ox.QueryResultsFormat.XML,
}

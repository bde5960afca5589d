"""Named example queries: SPARQL files under ``data/queries/`` with a comment header.

Header lines (before the query) name and document the query::

    # title: Guarantor nominations
    # description: Which states Ukraine nominated as guarantors, and with what modality.
    # param: pledge = https://w3id.org/stancegraph/id/stance/...  (the pledge stance)

Parameters are SPARQL variables bound by the engine (pyoxigraph substitutions), never
spliced into the text, so user-supplied values cannot change the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import resources

_HEADER = re.compile(r"^#\s*(title|description|param)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*(?:=\s*(\S+))?\s*(?:\((.*)\))?\s*$")


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None
    description: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    sparql: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        params = ", ".join(p.name for p in self.params) or "none"
        return f"<NamedQuery {self.name}: {self.title} (parameters: {params})>"

    def bindings(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``given``; unknown parameter names are an error."""
        given = dict(given or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise KeyError(
                f"query {self.name!r} has no parameter(s) {', '.join(unknown)}"
                f" (parameters: {', '.join(sorted(known)) or 'none'})"
            )
        out: dict[str, Any] = {p.name: p.default for p in self.params if p.default is not None}
        out.update({k: v for k, v in given.items() if v is not None})
        return out


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    title, description, params = path.stem, "", []
    for line in text.splitlines():
        m = _HEADER.match(line.strip())
        if not m:
            if line.strip() and not line.lstrip().startswith("#"):
                break
            continue
        key, value = m.groups()
        if key == "title":
            title = value.strip()
        elif key == "description":
            description = (description + " " + value.strip()).strip()
        else:
            pm = _PARAM.match(value.strip())
            if pm:
                params.append(Param(pm.group(1), pm.group(2), (pm.group(3) or "").strip()))
    return NamedQuery(path.stem, title, description, text, tuple(params))


@cache
def _load(directory: str) -> dict[str, NamedQuery]:
    d = Path(directory)
    return {p.stem: parse_query_file(p) for p in sorted(d.glob("*.rq"))}


def named_queries(directory: Path | None = None) -> dict[str, NamedQuery]:
    """All named queries, by name (the file stem)."""
    return _load(str(directory or resources.queries_dir()))


def get(name: str) -> NamedQuery:
    queries = named_queries()
    try:
        return queries[name]
    except KeyError:
        raise KeyError(f"no named query {name!r} (known: {', '.join(sorted(queries))})") from None

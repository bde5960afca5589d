"""Interchange with the Discourse Network Analyzer (DNA) and rDNA: statements as CSV.

One row per statement, the columns DNA users import and export:

    document, actor, concept, agreement, date, text

- ``document`` is the source's id (on import: its id or its exact title);
- ``actor`` the holder's label (on import: an actor id or label, case-insensitive);
- ``concept`` the target proposition's label (on import: a proposition id or label);
- ``agreement`` is DNA's binary qualifier: ``1`` for support, conditional support and
  commitment, ``0`` for oppose, reject and skeptical; ``neutral`` and meta-stances (whose
  target is another stance) have no DNA equivalent and are reported, not written;
- ``date`` the date stated (ISO ``YYYY-MM-DD``; on import also ``DD.MM.YYYY`` and DNA's
  ``DD.MM.YYYY HH:MM:SS``);
- ``text`` the first verbatim quote (on import: the evidence quote).

An optional ``paragraph`` column sets the evidence paragraph on import (default 1: DNA
does not number paragraphs). Imported stances get stable ids derived from the row, so
importing a file twice changes nothing, and are attributed to a coder; rows that cannot
be mapped are listed with the reason, and the rest are written as one validated change.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .change import Change
from .coding import P_GENERATED_AT, CodedStance, owned_quads, parse, stance_quads
from .ingest.compiler import CompileError
from .terms import ENTITIES_GRAPH, SPARQL_PREFIXES, mint, slug_of
from .writes import WriteOutcome, Writer

ENTITIES = str(ENTITIES_GRAPH)

COLUMNS = ["document", "actor", "concept", "agreement", "date", "text"]
AGREE = {"support", "conditional-support", "commitment"}
DISAGREE = {"oppose", "reject", "skeptical"}
_YES = {"1", "yes", "true", "agree", "y"}
_NO = {"0", "no", "false", "disagree", "n"}

_Q_STATEMENTS = (
    SPARQL_PREFIXES
    + """
SELECT ?s ?g ?holderLabel ?target ?targetLabel ?pol ?date (MIN(?q) AS ?quote) WHERE {
  GRAPH ?g { ?s a sg:Stance ; sg:holder ?holder ; sg:target ?target ; sg:polarity ?pol ;
                sg:statedAt ?date .
    OPTIONAL { ?s sg:hasEvidence/oa:hasTarget/oa:hasSelector/oa:exact ?q } }
  OPTIONAL { ?holder rdfs:label ?holderLabel }
  OPTIONAL { ?target a sg:Proposition ; rdfs:label ?targetLabel }
}
GROUP BY ?s ?g ?holderLabel ?target ?targetLabel ?pol ?date
ORDER BY ?date ?s
"""
)


@dataclass
class ExportReport:
    rows: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (stance id, why)

    def __str__(self) -> str:
        lines = [f"{self.rows} statement(s) written"]
        lines += [f"  not exported: {sid}: {why}" for sid, why in self.skipped]
        return "\n".join(lines)


def export_csv(kg: Any, out: io.TextIOBase | Any, graph: str | None = None) -> ExportReport:
    """Write every stance DNA can represent as a statement row (of one source graph when
    ``graph`` is given); report the others."""
    from .terms import source_graph

    prefix = source_graph("")
    report = ExportReport()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in kg.select(_Q_STATEMENTS):
        if graph is not None and row["g"] != graph:
            continue
        sid = slug_of(row["s"])
        polarity = slug_of(row["pol"])
        if row.get("targetLabel") is None:
            report.skipped.append((sid, "a meta-stance (its target is a stance): no DNA concept"))
            continue
        if polarity in AGREE:
            agreement = "1"
        elif polarity in DISAGREE:
            agreement = "0"
        else:
            report.skipped.append((sid, f"polarity {polarity!r} has no DNA agreement value"))
            continue
        graph = row["g"]
        document = graph[len(prefix) :] if graph.startswith(prefix) else graph
        date = row["date"]
        writer.writerow(
            [
                document,
                row.get("holderLabel") or slug_of(row["s"]),
                row["targetLabel"],
                agreement,
                date.isoformat()[:10] if hasattr(date, "isoformat") else str(date)[:10],
                row.get("quote") or "",
            ]
        )
        report.rows += 1
    return report


# --------------------------------------------------------------------------- import


@dataclass
class ImportReport:
    rows: int = 0
    stances: list[str] = field(default_factory=list)
    unmapped: list[tuple[int, str]] = field(default_factory=list)  # (CSV line, why)
    outcome: WriteOutcome | None = None

    def __str__(self) -> str:
        done = self.outcome.as_dict() if self.outcome else {"added": 0, "removed": 0}
        lines = [
            f"{len(self.stances)} of {self.rows} row(s) mapped to stances "
            f"(+{done['added']} −{done['removed']} quads)"
        ]
        lines += [f"  line {line}: {why}" for line, why in self.unmapped]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "stances": self.stances,
            "unmapped": [{"line": line, "reason": why} for line, why in self.unmapped],
            **(self.outcome.as_dict() if self.outcome else {}),
        }


def _lookup(kg: Any, kind: str) -> dict[str, str]:
    """Lower-cased id, label and alternative labels -> slug, for one kind of record."""
    cls = {"actor": "sg:Actor", "proposition": "sg:Proposition", "source": "prov:Entity"}[kind]
    query = (
        SPARQL_PREFIXES
        + f"""SELECT ?x ?label WHERE {{ ?x a/rdfs:subClassOf* {cls} .
          OPTIONAL {{ ?x rdfs:label|skos:altLabel|foaf:name|schema:name ?label }} }}"""
    )
    base = mint(kind, "")
    out: dict[str, str] = {}
    for row in kg.select(query):
        iri = row["x"]
        if not iri.startswith(base):
            continue
        slug = iri[len(base) :]
        out.setdefault(slug.lower(), slug)
        if row.get("label"):
            out.setdefault(" ".join(str(row["label"]).lower().split()), slug)
    return out


def _date(text: str) -> str:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        raise ValueError(f"date {text!r} is not YYYY-MM-DD or DD.MM.YYYY") from None


def _unstamped(quads: set[Any]) -> set[Any]:
    return {q for q in quads if q.predicate != P_GENERATED_AT and q.graph_name.value != ENTITIES}


def read_rows(text: str) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(
            f"not a DNA statements file: missing column(s) {', '.join(missing)} "
            f"(expected {', '.join(COLUMNS)})"
        )
    for row in reader:
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def import_csv(
    writer: Writer, kg: Any, path: str | Path, *, coder: str = "dna-import", dry_run: bool = False
) -> ImportReport:
    """Read DNA statements into stances, as one validated write; report unmapped rows."""
    text = Path(path).read_text(encoding="utf-8-sig")
    actors, props, sources = (_lookup(kg, k) for k in ("actor", "proposition", "source"))
    report = ImportReport()
    records: list[tuple[str, CodedStance]] = []
    for line, row in read_rows(text):
        report.rows += 1
        key = " ".join(row["document"].lower().split())
        source = sources.get(key)
        actor = actors.get(" ".join(row["actor"].lower().split()))
        concept = props.get(" ".join(row["concept"].lower().split()))
        value = row["agreement"].lower()
        polarity = "support" if value in _YES else "oppose" if value in _NO else None
        problems = []
        if source is None:
            problems.append(f"no source {row['document']!r} (create it first)")
        if actor is None:
            problems.append(f"no actor {row['actor']!r} (by id or label)")
        if concept is None:
            problems.append(f"no proposition {row['concept']!r} (by id or label)")
        if polarity is None:
            problems.append(f"agreement {row['agreement']!r} is not 1/0 (yes/no)")
        try:
            date = _date(row["date"])
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            report.unmapped.append((line, "; ".join(problems)))
            continue
        digest = hashlib.sha1(
            "\x1f".join(row[c] for c in COLUMNS).encode(), usedforsecurity=False
        ).hexdigest()[:12]
        paragraph = row.get("paragraph") or "1"
        if not paragraph.isdigit():
            report.unmapped.append((line, f"paragraph {paragraph!r} is not a number"))
            continue
        evidence: dict[str, Any] = {"paragraph": int(paragraph)}
        if row["text"]:
            evidence["quote"] = row["text"][:600]
        data = {
            "id": f"dna-{digest}",
            "holder": actor,
            "target": concept,
            "polarity": polarity,
            "stated": date,
            "evidence": [evidence],
        }
        try:
            records.append((source, parse("stance", data)))  # type: ignore[arg-type]
        except CompileError as exc:
            report.unmapped.append(
                (line, "; ".join(f"{p.field}: {p.message}" for p in exc.problems))
            )
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with writer.lock:
        change = Change()
        done: set[str] = set()
        for source, stance in records:
            if stance.id in done:
                continue
            done.add(stance.id)
            try:
                new = stance_quads(writer.store, source, stance, coder, stamp)
            except CompileError as exc:
                report.unmapped.append(
                    (0, f"{stance.id}: " + "; ".join(p.message for p in exc.problems))
                )
                continue
            _g, old = owned_quads(writer.store, mint("stance", stance.id))
            report.stances.append(stance.id)
            if _unstamped(old) == _unstamped(new):
                continue  # imported before: unchanged, keep its first date
            change.deletes |= old - new
            change.inserts |= new - old
        report.outcome = writer.apply(change, dry_run=dry_run)
    return report

"""Agreement between coders who coded the same source, and the merge of their work.

Each coder's stances in a source are those attributed to them (``prov:wasAttributedTo``,
written by ``stancegraph.coding``). Two stances are the same *unit* when they have the same
holder and target and their evidence overlaps: the same paragraph and, where both give
them, overlapping character spans (``TextPositionSelector``) or quotes one of which
contains the other. Units are paired one to one, largest overlap first.

On the paired units, Krippendorff's alpha on polarity (nominal) is computed by the
``krippendorff`` package; units only one coder found are listed, not counted.

:func:`merge` turns each agreed pair into one stance of the source, attributed to both
coders (the second coder's duplicate is removed and whatever pointed at it, e.g. a
meta-stance, points at the kept one), as one validated write; disagreements are left as
they are and listed for adjudication.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from .change import Change
from .coding import P_ATTRIBUTED, coder_iri, owned_quads
from .terms import SPARQL_PREFIXES, mint, slug_of, source_graph
from .writes import WriteOutcome, Writer

_Q_UNITS = (
    SPARQL_PREFIXES
    + """
SELECT ?g ?coder ?s ?holder ?target ?pol ?ev ?par ?exact ?start ?end WHERE {
  GRAPH ?g {
    ?s a sg:Stance ; prov:wasAttributedTo ?coder ; sg:holder ?holder ; sg:target ?target ;
       sg:polarity ?pol .
    OPTIONAL {
      ?s sg:hasEvidence ?ev . ?ev oa:hasTarget ?t . ?t sg:paragraph ?par .
      OPTIONAL { ?t oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact }
      OPTIONAL { ?t oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }
    }
  }
}"""
)


@dataclass
class Span:
    paragraph: int
    quote: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass
class Unit:
    """One coder's stance, as agreement sees it."""

    id: str
    holder: str
    target: str
    polarity: str
    evidence: list[Span] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def overlap(a: Span, b: Span) -> int:
    """How much two pieces of evidence overlap (0: not at all)."""
    if a.paragraph != b.paragraph:
        return 0
    if a.start is not None and a.end is not None and b.start is not None and b.end is not None:
        return max(0, min(a.end, b.end) - max(a.start, b.start))
    if a.quote and b.quote:
        qa, qb = _norm(a.quote), _norm(b.quote)
        return min(len(qa), len(qb)) if qa in qb or qb in qa else 0
    return 1  # the same paragraph, nothing finer to compare


def units(store: Any, source: str, coder: str) -> list[Unit]:
    """The stances ``coder`` coded in ``source``."""
    from .graph import to_result

    raw = store.query(
        _Q_UNITS,
        substitutions={
            "g": ox.NamedNode(source_graph(source)),
            "coder": ox.NamedNode(coder_iri(coder)),
        },
    )
    out: dict[str, Unit] = {}
    seen: set[tuple[str, str]] = set()
    for row in to_result(raw).rows:
        sid = slug_of(row["s"])
        unit = out.setdefault(
            sid, Unit(sid, slug_of(row["holder"]), slug_of(row["target"]), slug_of(row["pol"]))
        )
        ev = row.get("ev")
        if ev is None or (sid, ev) in seen:
            continue
        seen.add((sid, ev))
        start, end = row.get("start"), row.get("end")
        unit.evidence.append(
            Span(
                int(row["par"]),
                row.get("exact"),
                None if start is None else int(start),
                None if end is None else int(end),
            )
        )
    return sorted(out.values(), key=lambda u: u.id)


@dataclass
class Pair:
    a: str
    b: str
    holder: str
    target: str
    polarity_a: str
    polarity_b: str

    @property
    def agree(self) -> bool:
        return self.polarity_a == self.polarity_b


@dataclass
class Agreement:
    source: str
    coders: tuple[str, str]
    pairs: list[Pair]
    only_a: list[str]
    only_b: list[str]
    alpha: float | None  # None when undefined (no pairs, or a single polarity throughout)
    observed: float | None  # share of paired units on which the coders agree

    def as_dict(self) -> dict[str, Any]:
        a, b = self.coders
        return {
            "source": self.source,
            "coders": list(self.coders),
            "matched": [{**asdict(p), "agree": p.agree} for p in self.pairs],
            "only": {a: self.only_a, b: self.only_b},
            "alpha": self.alpha,
            "observed_agreement": self.observed,
            "units": {"matched": len(self.pairs), a: len(self.only_a), b: len(self.only_b)},
        }

    def __str__(self) -> str:
        a, b = self.coders
        alpha = "undefined" if self.alpha is None else f"{self.alpha:.3f}"
        lines = [
            f"source {self.source}: {a} vs {b}: {len(self.pairs)} matched unit(s), "
            f"Krippendorff's alpha (polarity, nominal) = {alpha}",
        ]
        for p in self.pairs:
            mark = "=" if p.agree else "≠"
            lines.append(
                f"  {mark} {p.holder} → {p.target}: {a} {p.polarity_a} ({p.a}) / "
                f"{b} {p.polarity_b} ({p.b})"
            )
        lines.append(f"  only {a}: {', '.join(self.only_a) or '—'}")
        lines.append(f"  only {b}: {', '.join(self.only_b) or '—'}")
        return "\n".join(lines)


def match(a: list[Unit], b: list[Unit]) -> tuple[list[tuple[Unit, Unit]], list[Unit], list[Unit]]:
    """One-to-one pairs of units with the same holder and target and overlapping evidence."""
    candidates = []
    for ua in a:
        for ub in b:
            if (ua.holder, ua.target) != (ub.holder, ub.target):
                continue
            score = max((overlap(x, y) for x in ua.evidence for y in ub.evidence), default=0)
            if score > 0:
                candidates.append((-score, ua.id, ub.id, ua, ub))
    candidates.sort(key=lambda c: c[:3])
    used_a: set[str] = set()
    used_b: set[str] = set()
    pairs = []
    for _score, ida, idb, ua, ub in candidates:
        if ida in used_a or idb in used_b:
            continue
        used_a.add(ida)
        used_b.add(idb)
        pairs.append((ua, ub))
    return pairs, [u for u in a if u.id not in used_a], [u for u in b if u.id not in used_b]


def alpha(values_a: list[str], values_b: list[str]) -> float | None:
    """Krippendorff's alpha (nominal) for two coders' values on the same units."""
    import krippendorff
    import numpy as np

    domain = sorted(set(values_a) | set(values_b))
    if len(values_a) < 1 or len(domain) < 2:
        return None
    index = {v: i for i, v in enumerate(domain)}
    data = np.array([[index[v] for v in values_a], [index[v] for v in values_b]], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def agreement(store: Any, source: str, coder_a: str, coder_b: str) -> Agreement:
    """How two coders' work on ``source`` matches, and their agreement on polarity."""
    if coder_a == coder_b:
        raise ValueError("agreement needs two different coders")
    pairs, only_a, only_b = match(units(store, source, coder_a), units(store, source, coder_b))
    listed = sorted(
        (Pair(ua.id, ub.id, ua.holder, ua.target, ua.polarity, ub.polarity) for ua, ub in pairs),
        key=lambda p: (p.a, p.b),
    )
    observed = sum(p.agree for p in listed) / len(listed) if listed else None
    return Agreement(
        source,
        (coder_a, coder_b),
        listed,
        [u.id for u in only_a],
        [u.id for u in only_b],
        alpha([p.polarity_a for p in listed], [p.polarity_b for p in listed]),
        observed,
    )


@dataclass
class MergeResult:
    agreement: Agreement
    merged: list[Pair]
    disagreements: list[Pair]
    outcome: WriteOutcome

    def as_dict(self) -> dict[str, Any]:
        return {
            "merged": [asdict(p) for p in self.merged],
            "disagreements": [asdict(p) for p in self.disagreements],
            "only": self.agreement.as_dict()["only"],
            **self.outcome.as_dict(),
        }


def merge(
    writer: Writer, source: str, coder_a: str, coder_b: str, *, dry_run: bool = False
) -> MergeResult:
    """Each agreed pair becomes one stance (the first coder's), attributed to both coders;
    one validated write. Disagreements and units only one coder found stay for adjudication."""
    store = writer.store
    with writer.lock:
        report = agreement(store, source, coder_a, coder_b)
        agreed = [p for p in report.pairs if p.agree and p.a != p.b]  # a != b: not yet merged
        change = Change()
        graph = ox.NamedNode(source_graph(source))
        for p in agreed:
            kept, dropped = ox.NamedNode(mint("stance", p.a)), mint("stance", p.b)
            _g, old = owned_quads(store, dropped)
            change.deletes |= old
            change.inserts.add(ox.Quad(kept, P_ATTRIBUTED, ox.NamedNode(coder_iri(coder_b)), graph))
            for q in store.quads_matching(None, None, ox.NamedNode(dropped)):
                if q not in old:
                    change.deletes.add(q)
                    change.inserts.add(ox.Quad(q.subject, q.predicate, kept, q.graph_name))
        outcome = writer.apply(change, dry_run=dry_run)
    return MergeResult(report, agreed, [p for p in report.pairs if not p.agree], outcome)

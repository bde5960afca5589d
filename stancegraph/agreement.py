"""Agreement between two coders who coded the same source independently, and the merge
of their work into the record.

Each coder's units are their drafts in their own coding graph (:mod:`stancegraph.drafts`).
Two drafts are the same *unit* when they have the same holder and target and their
evidence overlaps: the same paragraph and, where both give them, overlapping character
spans (``TextPositionSelector``) or quotes one of which contains the other. Units are
paired one to one, largest overlap first.

On the paired units, Krippendorff's alpha on polarity (nominal) is computed by the
``krippendorff`` package; units only one coder found are listed, not counted.

:func:`merge` promotes each agreed unit (same polarity) into the source's graph as one
stance (the first coder's record), attributed to both coders, ``sg:promotedFrom`` both
drafts and ``prov:wasGeneratedBy`` an ``sg:CodingMerge`` run by the merger; disputed
units and units one coder found are listed for adjudication, and an adjudicator promotes
one coder's version of a unit with ``accept``. Everything a merge promotes is one
validated write through the store's ``Writer``: all of it, or (a conflict, a stance the
shapes reject) nothing.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from .change import Change
from .coding import (
    P_ATTRIBUTED,
    RDF_TYPE,
    XSD_DATETIME,
    CodedStance,
    Conflict,
    NotFound,
    _now,
    coder_iri,
    exists,
    stance_quads,
)
from .drafts import Draft, draft_iri, drafts
from .terms import ENTITIES_GRAPH, ID, SG, mint, source_graph
from .writes import WriteOutcome, Writer

P_PROMOTED = ox.NamedNode(str(SG.promotedFrom))
P_GENERATED_BY = ox.NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy")
P_USED = ox.NamedNode("http://www.w3.org/ns/prov#used")
P_ASSOCIATED = ox.NamedNode("http://www.w3.org/ns/prov#wasAssociatedWith")
P_ENDED = ox.NamedNode("http://www.w3.org/ns/prov#endedAtTime")
CODING_MERGE = ox.NamedNode(str(SG.CodingMerge))


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


def unit_of(d: Draft) -> Unit:
    """A draft as agreement sees it (its record's holder, target, polarity, evidence)."""
    rec = d.record
    target = rec.get("target") or rec.get("target_stance") or ""
    polarity = rec.get("polarity") or ("unstated" if rec.get("kind") == "expectation" else "")
    spans = [
        Span(int(e.get("paragraph") or 0), e.get("quote"), e.get("start"), e.get("end"))
        for e in rec.get("evidence", [])
        if e.get("source") in (None, d.source)
    ]
    return Unit(d.id, rec.get("holder", ""), target, polarity, spans)


def units(store: Any, source: str, coder: str) -> list[Unit]:
    """The stances ``coder`` coded in their own space on ``source``."""
    return [unit_of(d) for d in drafts(store, source, coder)]


@dataclass
class Pair:
    a: str
    b: str
    holder: str
    target: str
    polarity_a: str
    polarity_b: str
    merged_into: str | None = None  # the stance a merge promoted from this unit, if any

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
    # coder -> {id of a unit only they found: the stance a merge promoted from it}
    merged_only: dict[str, dict[str, str]] = field(default_factory=dict)

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
            "merged_only": self.merged_only,
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
                + (f" — merged as {p.merged_into}" if p.merged_into else "")
            )
        for coder, only in ((a, self.only_a), (b, self.only_b)):
            done = self.merged_only.get(coder, {})
            shown = [f"{u} (merged as {done[u]})" if u in done else u for u in only]
            lines.append(f"  only {coder}: {', '.join(shown) or '—'}")
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


def promoted(store: Any, source: str, draft_iris: list[str]) -> dict[str, str]:
    """Draft IRI -> the id of the stance a merge promoted from it (for those promoted)."""
    graph = ox.NamedNode(source_graph(source))
    out: dict[str, str] = {}
    for iri in draft_iris:
        for q in store.quads_matching(None, P_PROMOTED, ox.NamedNode(iri)):
            if q.graph_name == graph:
                out[iri] = q.subject.value.rsplit("/", 1)[-1]
    return out


def agreement(store: Any, source: str, coder_a: str, coder_b: str) -> Agreement:
    """How two coders' work on ``source`` matches, and their agreement on polarity."""
    if coder_a == coder_b:
        raise ValueError("agreement needs two different coders")
    pairs, only_a, only_b = match(units(store, source, coder_a), units(store, source, coder_b))
    done = promoted(
        store,
        source,
        [draft_iri(source, coder_a, ua.id) for ua, _ in pairs]
        + [draft_iri(source, coder_b, ub.id) for _, ub in pairs],
    )
    listed = sorted(
        (
            Pair(
                ua.id,
                ub.id,
                ua.holder,
                ua.target,
                ua.polarity,
                ub.polarity,
                done.get(draft_iri(source, coder_a, ua.id))
                or done.get(draft_iri(source, coder_b, ub.id)),
            )
            for ua, ub in pairs
        ),
        key=lambda p: (p.a, p.b),
    )
    observed = sum(p.agree for p in listed) / len(listed) if listed else None
    merged_only = {}
    for coder, only in ((coder_a, only_a), (coder_b, only_b)):
        iris = {draft_iri(source, coder, u.id): u.id for u in only}
        merged_only[coder] = {iris[i]: st for i, st in promoted(store, source, list(iris)).items()}
    return Agreement(
        source,
        (coder_a, coder_b),
        listed,
        [u.id for u in only_a],
        [u.id for u in only_b],
        alpha([p.polarity_a for p in listed], [p.polarity_b for p in listed]),
        observed,
        merged_only,
    )


@dataclass
class Promotion:
    """One stance a merge puts into the record."""

    stance: str  # its id (the id of the record it is promoted from)
    coder: str  # whose record it is
    drafts: dict[str, str]  # coder -> their draft's id, for each draft it is promoted from
    how: str  # "agreed" (both coders, same polarity) or "accepted" (an adjudicator's choice)

    @property
    def coders(self) -> list[str]:
        return sorted(self.drafts)


@dataclass
class MergeResult:
    agreement: Agreement
    merged: list[Promotion]
    disagreements: list[Pair]  # matched units the coders dispute and no one has adjudicated
    only: dict[str, list[str]]  # coder -> units only they found, not merged
    outcome: WriteOutcome
    activity: str | None  # the sg:CodingMerge that promoted them (None: nothing to do)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.agreement.source,
            "coders": list(self.agreement.coders),
            "merged": [{**asdict(p), "coders": p.coders} for p in self.merged],
            "disagreements": [asdict(p) for p in self.disagreements],
            "only": self.only,
            "alpha": self.agreement.alpha,
            "activity": self.activity,
            **self.outcome.as_dict(),
        }


class AcceptError(ValueError):
    """An adjudication names something a merge cannot accept; nothing was written."""


def _plan(
    report: Agreement,
    have: dict[str, dict[str, Draft]],
    accept: list[tuple[str, str]],
) -> list[Promotion]:
    a, b = report.coders
    pair_of: dict[tuple[str, str], Pair] = {}
    for p in report.pairs:
        pair_of[(a, p.a)] = pair_of[(b, p.b)] = p
    chosen: dict[int, tuple[str, str]] = {}  # id(pair) -> accepted (coder, draft id)
    plans: list[Promotion] = []
    for coder, sid in accept:
        if coder not in (a, b):
            raise AcceptError(f"accept {coder}:{sid}: {coder!r} is not one of the coders {a}, {b}")
        if sid not in have[coder]:
            raise AcceptError(f"accept {coder}:{sid}: {coder} has no stance {sid!r} in this source")
        pair = pair_of.get((coder, sid))
        if pair is None:  # a unit only this coder found
            if sid in report.merged_only.get(coder, {}):
                raise AcceptError(f"accept {coder}:{sid}: already merged")
            plans.append(Promotion(sid, coder, {coder: sid}, "accepted"))
            continue
        if pair.merged_into is not None:
            raise AcceptError(
                f"accept {coder}:{sid}: its unit is already merged (stance {pair.merged_into!r})"
            )
        if id(pair) in chosen:
            raise AcceptError(f"accept {coder}:{sid}: the unit is accepted twice")
        chosen[id(pair)] = (coder, sid)
        both = {a: pair.a, b: pair.b}
        plans.append(Promotion(sid, coder, both if pair.agree else {coder: sid}, "accepted"))
    for p in report.pairs:
        if p.agree and p.merged_into is None and id(p) not in chosen:
            plans.append(Promotion(p.a, a, {a: p.a, b: p.b}, "agreed"))
    return sorted(plans, key=lambda x: x.stance)


def merge(
    writer: Writer,
    source: str,
    coder_a: str,
    coder_b: str,
    *,
    merger: str,
    accept: list[tuple[str, str]] | tuple[()] = (),
    dry_run: bool = False,
) -> MergeResult:
    """Promote the agreed units (and the versions ``accept`` names, as (coder, stance id))
    of two coders' work on ``source`` into the source's graph, as one validated write.

    Raises :class:`NotFound` (no such source), :class:`AcceptError`, :class:`Conflict` (a
    stance id to promote is taken in the record), ``CompileError`` or ``ValidationFailed``
    (a stance the record would not accept): nothing is written in each case."""
    store = writer.store
    with writer.lock:
        if not exists(store, mint("source", source)):
            raise NotFound(f"no source {source!r}")
        report = agreement(store, source, coder_a, coder_b)
        have = {c: {d.id: d for d in drafts(store, source, c)} for c in (coder_a, coder_b)}
        singles = {coder_a: report.only_a, coder_b: report.only_b}
        plans = _plan(report, have, list(accept))
        taken = sorted({p.stance for p in plans if exists(store, mint("stance", p.stance))})
        twice = sorted(sid for sid, n in Counter(p.stance for p in plans).items() if n > 1)
        if taken or twice:
            problems = []
            if taken:
                problems.append(f"stance id(s) already in the record: {', '.join(taken)}")
            if twice:
                problems.append(f"two units would become the same stance: {', '.join(twice)}")
            raise Conflict(
                f"nothing merged: {'; '.join(problems)} (rename a draft, or delete the "
                "stance, then merge again)"
            )
        activity = None
        change = Change()
        if plans:
            at = _now()
            activity = f"{ID}coding/{source}/merge/{at.replace(':', '').replace('.', '')}-{secrets.token_hex(3)}"
            change.inserts |= _activity(source, activity, merger, at, plans)
            for plan in plans:
                record = CodedStance.model_validate(have[plan.coder][plan.stance].record)
                quads = stance_quads(store, source, record, plan.coder, at)
                change.inserts |= quads | _provenance(source, activity, plan)
        outcome = writer.apply(change, dry_run=dry_run)
    in_plan = {(c, sid) for p in plans for c, sid in p.drafts.items()}
    disputes = [
        p
        for p in report.pairs
        if not p.agree
        and p.merged_into is None
        and (coder_a, p.a) not in in_plan
        and (coder_b, p.b) not in in_plan
    ]
    only = {
        c: [
            sid
            for sid in ids
            if sid not in report.merged_only.get(c, {}) and (c, sid) not in in_plan
        ]
        for c, ids in singles.items()
    }
    return MergeResult(report, plans, disputes, only, outcome, activity)


def _agent(coder: str) -> set[ox.Quad]:
    entities = ox.NamedNode(str(ENTITIES_GRAPH))
    agent = ox.NamedNode(coder_iri(coder))
    return {
        ox.Quad(agent, RDF_TYPE, ox.NamedNode("http://www.w3.org/ns/prov#Agent"), entities),
        ox.Quad(
            agent,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal(coder),
            entities,
        ),
    }


def _activity(
    source: str, activity: str, merger: str, at: str, plans: list[Promotion]
) -> set[ox.Quad]:
    g = ox.NamedNode(source_graph(source))
    act = ox.NamedNode(activity)
    out = {
        ox.Quad(act, RDF_TYPE, CODING_MERGE, g),
        ox.Quad(act, P_ASSOCIATED, ox.NamedNode(coder_iri(merger)), g),
        ox.Quad(act, P_ENDED, ox.Literal(at, datatype=XSD_DATETIME), g),
    } | _agent(merger)
    for plan in plans:
        for coder, sid in plan.drafts.items():
            out.add(ox.Quad(act, P_USED, ox.NamedNode(draft_iri(source, coder, sid)), g))
    return out


def _provenance(source: str, activity: str, plan: Promotion) -> set[ox.Quad]:
    g = ox.NamedNode(source_graph(source))
    st = ox.NamedNode(mint("stance", plan.stance))
    out = {ox.Quad(st, P_GENERATED_BY, ox.NamedNode(activity), g)}
    for coder, sid in plan.drafts.items():
        out.add(ox.Quad(st, P_ATTRIBUTED, ox.NamedNode(coder_iri(coder)), g))
        out.add(ox.Quad(st, P_PROMOTED, ox.NamedNode(draft_iri(source, coder, sid)), g))
    return out

"""Position over time: an actor's stances on a target, oldest first, and the changes.

A position change is data: a later stance ``sg:supersedes`` the one it replaces (same
holder; SHACL checks it). This module reads every stance of a holder, superseded ones
included (the analytics frame keeps only current stances), so the explorer and the Python
API can draw a position as a step line and list each change with its sources.

Example (the synthetic dataset of ``tests/data/position-change``)::

    >>> hist = position_history(kg, "state-a", "ceasefire")
    >>> [(p.stated_at, p.polarity, p.current) for p in hist.points]
    [('2022-03-01', 'oppose', False), ('2022-04-01', 'conditional-support', True)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..terms import SPARQL_PREFIXES, iri_of
from .options import plain
from .reading import select

# Every stance of one holder (superseded ones too), with what it supersedes. Fixed text:
# the holder and target reach the engine as bound variables only.
_Q_HISTORY = (
    SPARQL_PREFIXES
    + """
SELECT ?stance ?holder ?target ?targetLabel ?statedAt ?polarity ?pw ?modality ?mw ?source
       ?sourceLabel ?supersedes ?expectation ?label WHERE {
  ?stance a sg:Stance ; sg:holder ?holder ; sg:target ?target ; sg:polarity ?pc ;
          sg:modality ?mc ; sg:statedAt ?statedAt .
  ?pc skos:notation ?polarity .
  ?mc skos:notation ?modality .
  OPTIONAL { ?pc rdf:value ?pw }
  OPTIONAL { ?mc rdf:value ?mw }
  OPTIONAL { ?target rdfs:label ?targetLabel }
  OPTIONAL { ?stance prov:wasDerivedFrom ?source . OPTIONAL { ?source rdfs:label ?sourceLabel } }
  OPTIONAL { ?stance sg:supersedes ?supersedes }
  OPTIONAL { ?stance rdfs:label ?label }
  BIND (EXISTS { ?stance a sg:Expectation } AS ?expectation)
}"""
)


# (No LIMIT: a remote store pages every SELECT, and a LIMIT cannot be paged; the first
# label is taken.)
_Q_LABEL = SPARQL_PREFIXES + "SELECT ?x ?label WHERE { ?x rdfs:label ?label }"


@dataclass
class PositionPoint:
    """One stance of the holder on the target, in time order."""

    stance: str
    target: str
    target_label: str
    stated_at: str
    polarity: str
    weight: float  # polarity weight × modality weight
    modality: str
    kind: str  # preference | expectation
    source: str | None
    source_label: str | None
    supersedes: str | None
    superseded_by: str | None
    current: bool
    label: str = ""


@dataclass
class PositionChange:
    """A stance that replaced an earlier one of the same holder (``sg:supersedes``)."""

    holder: str
    target: str
    target_label: str
    before: str
    after: str
    before_polarity: str
    after_polarity: str
    before_stated_at: str
    after_stated_at: str
    before_source: str | None
    after_source: str | None
    shift: float  # after weight − before weight


@dataclass
class PositionHistory:
    holder: str
    target: str | None
    points: list[PositionPoint]
    changes: list[PositionChange]
    targets: dict[str, str] = field(default_factory=dict)  # target -> label
    holder_label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return plain(self)

    def table(self) -> Any:
        """The points as a pandas DataFrame (one row per stance, time order)."""
        import pandas as pd

        return pd.DataFrame([plain(p) for p in self.points])


def _f(v: str | None, default: float) -> float:
    try:
        return default if v is None else float(v)
    except ValueError:
        return default


def position_history(
    kg: Any, holder: str, target: str | None = None, *, expectations: bool = False
) -> PositionHistory:
    """The holder's stances (on ``target``, or on every target), oldest first, with changes.

    Inputs: a graph; ``holder`` (actor slug or IRI); ``target`` (proposition or stance,
    slug or IRI; a slug is read as a proposition); ``expectations``: include forecasts and
    assessments (default: preferences only, as the other analytics).

    Output: :class:`PositionHistory`: ``points`` sorted by (target, date, stance), each
    marked ``current`` unless a later stance supersedes it; ``changes``, one per
    ``sg:supersedes`` link between the points.

    Complexity: O(S_h) for the holder's S_h stances (one SELECT with bound variables).
    """
    h = iri_of("actor", holder)
    bindings: dict[str, Any] = {"holder": h}
    if target is not None:
        bindings["target"] = iri_of("proposition", target)
    rows: dict[str, dict[str, Any]] = {}
    for r in select(kg, _Q_HISTORY, **bindings):
        if r["stance"] in rows:
            continue
        if r.get("expectation") in ("true", "1") and not expectations:
            continue
        rows[r["stance"]] = r
    superseded_by = {r["supersedes"]: s for s, r in rows.items() if r.get("supersedes")}
    points = [
        PositionPoint(
            stance=s,
            target=r["target"],
            target_label=r.get("targetLabel") or r["target"].rsplit("/", 1)[-1],
            stated_at=str(r["statedAt"])[:10],
            polarity=str(r["polarity"]),
            weight=round(_f(r.get("pw"), 0.0) * _f(r.get("mw"), 1.0), 6),
            modality=str(r["modality"]),
            kind="expectation" if r.get("expectation") in ("true", "1") else "preference",
            source=r.get("source"),
            source_label=r.get("sourceLabel"),
            supersedes=r.get("supersedes"),
            superseded_by=superseded_by.get(s),
            current=s not in superseded_by,
            label=r.get("label") or "",
        )
        for s, r in rows.items()
    ]
    points.sort(key=lambda p: (p.target_label, p.target, p.stated_at, p.stance))
    by_id = {p.stance: p for p in points}
    changes = [
        PositionChange(
            holder=h,
            target=p.target,
            target_label=p.target_label,
            before=old.stance,
            after=p.stance,
            before_polarity=old.polarity,
            after_polarity=p.polarity,
            before_stated_at=old.stated_at,
            after_stated_at=p.stated_at,
            before_source=old.source,
            after_source=p.source,
            shift=round(p.weight - old.weight, 6),
        )
        for p in points
        if p.supersedes and (old := by_id.get(p.supersedes)) is not None
    ]
    changes.sort(key=lambda c: (c.after_stated_at, c.target_label, c.after))
    return PositionHistory(
        holder=h,
        target=bindings.get("target"),
        points=points,
        changes=changes,
        targets={p.target: p.target_label for p in points},
        holder_label=next(
            (r["label"] or "" for r in select(kg, _Q_LABEL, x=h)), h.rsplit("/", 1)[-1]
        ),
    )

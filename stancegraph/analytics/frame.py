"""The frame: the stances (and their conditions) that pass the options, read in a handful
of compact SELECTs and cached per data version; every analysis is a pure function of it."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..memo import VersionedCache
from ..terms import mint, slug_of
from .gcpause import paused_gc
from .options import _CLASS_KIND, _CLASS_ORDER, _PRECEDENCE_TYPES, _SUFFICIENT_TYPES, Options
from .reading import (
    _Q_ACTORS,
    _Q_CONDITIONS,
    _Q_MEMBER_OF,
    _Q_NOMINEE_PROPOSITIONS,
    _Q_PARTIES,
    _Q_PROPOSITIONS,
    _Q_SUPERSEDES,
    _stance_query,
    select,
)
from .state import data_version

# --------------------------------------------------------------------------- the frame

T = TypeVar("T")


@dataclass(frozen=True)
class ActorInfo:
    iri: str
    label: str
    type: str  # most specific sg: class, local name
    kind: str  # state | organisation | person | expert
    state: str | None = None
    member_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class PropositionInfo:
    iri: str
    label: str
    demand_type: str | None = None


@dataclass(frozen=True)
class StanceRow:
    """One stance, flattened: everything the projections need, nothing else."""

    stance: str
    holder: str
    target: str
    target_kind: str  # "proposition" | "stance"
    polarity: str
    polarity_weight: float
    modality: str
    modality_weight: float
    stated_at: dt.date | None
    label: str = ""
    nominee: str | None = None
    speaker: str | None = None
    target_holder: str | None = None  # for meta-stances: who holds the target stance

    @property
    def weight(self) -> float:
        """Signed weight: polarity weight scaled by modality."""
        return self.polarity_weight * self.modality_weight

    @property
    def is_nomination(self) -> bool:
        return self.nominee is not None


@dataclass(frozen=True)
class ConditionRow:
    condition: str
    stance: str
    holder: str
    target: str  # what the conditional stance is about
    condition_type: str
    requires: str
    note: str | None = None

    @property
    def necessity(self) -> str:
        """necessary (orders things), sufficient ("if") or blocker ("unless")."""
        if self.condition_type in _PRECEDENCE_TYPES:
            return "necessary"
        return "sufficient" if self.condition_type in _SUFFICIENT_TYPES else "blocker"

    @property
    def precedence(self) -> bool:
        """Whether ``requires`` must come first (only-if, only-after, in-exchange-for).

        ``unless`` names a blocker, not a prerequisite, and ``if`` a sufficient condition,
        so neither orders anything.
        """
        return self.condition_type in _PRECEDENCE_TYPES


@dataclass
class Frame:
    """The source data a set of projections reads, already filtered by ``options``."""

    options: Options
    version: int
    stances: list[StanceRow]
    conditions: list[ConditionRow]
    actors: dict[str, ActorInfo]
    propositions: dict[str, PropositionInfo]
    stance_labels: dict[str, str]
    parties: list[str]
    superseded: set[str] = field(default_factory=set)
    all_stances: dict[str, StanceRow] = field(default_factory=dict)
    # nomination stance -> its per-nominee proposition ("X guarantees …", model v2)
    nominee_propositions: dict[str, str] = field(default_factory=dict)
    # nomination stance -> whether its guarantor list is open ("such as"), where stated
    list_open: dict[str, bool] = field(default_factory=dict)
    # Intermediate results shared by the projections built from this frame (positions,
    # actor ties): computed once per frame, read-only for callers.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def label(self, iri: str | None) -> str:
        if iri is None:
            return ""
        if iri in self.actors:
            return self.actors[iri].label
        if iri in self.propositions:
            return self.propositions[iri].label
        if iri in self.stance_labels:
            return self.stance_labels[iri]
        return slug_of(iri)

    def labels(self, *groups: Iterable[str]) -> dict[str, str]:
        """The label of every IRI in ``groups`` (a report's graph nodes, its parties…): the
        ``labels`` a report carries for what it names."""
        return {iri: self.label(iri) for group in groups for iri in group}

    def kind_of(self, iri: str) -> str:
        if iri in self.actors:
            return "actor"
        if iri in self.stance_labels or iri in self.all_stances:
            return "stance"
        return "proposition"

    def holder_role(self, iri: str) -> str:
        """``party`` for a party to a negotiation (or a body or official of one), else
        ``third-party``."""
        info = self.actors.get(iri)
        state = info.state if info is not None else None
        return "party" if iri in self.parties or state in self.parties else "third-party"

    def holder_ok(self, iri: str | None) -> bool:
        return iri is not None and _holder_passes(self.actors.get(iri), self.options.holders)


def _holder_passes(info: ActorInfo | None, holders: str) -> bool:
    if holders == "all":
        return True
    if info is None:
        return False
    if holders == "states":
        return info.kind == "state"
    return info.kind != "expert"


# Every query below is fixed text; option values reach SPARQL as bound variables only.
def _as_date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _f(v: Any, default: float) -> float:
    try:
        return default if v is None else float(v)
    except (TypeError, ValueError):
        return default


def load_frame(kg: Any, options: Options | None = None, *, version: int | None = None) -> Frame:
    """Fetch and filter the data for ``options`` (a :class:`Frame`).

    Seven SELECTs, each returning one compact row per stance, condition, actor, …;
    O(S + C + A + P) rows and time for S stances, C conditions, A actors, P propositions.
    """
    options = options or Options()
    # actors
    classes: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    states: dict[str, str] = {}
    for r in select(kg, _Q_ACTORS):
        a = r["actor"]
        classes[a].add(r["cls"].rsplit("#", 1)[-1])
        if r.get("label") and a not in labels:
            labels[a] = r["label"]
        if r.get("state"):
            states.setdefault(a, r["state"])
    member_of: dict[str, set[str]] = defaultdict(set)
    for r in select(kg, _Q_MEMBER_OF):
        member_of[r["actor"]].add(r["org"])
    actors: dict[str, ActorInfo] = {}
    for a, cls in classes.items():
        typ = next((c for c in _CLASS_ORDER if c in cls), sorted(cls)[0])
        kind = _CLASS_KIND.get(typ, "organisation")
        if kind == "person":
            kind = "person" if a in states else "expert"
        actors[a] = ActorInfo(
            a,
            labels.get(a, slug_of(a)),
            typ,
            kind,
            states.get(a),
            tuple(sorted(member_of.get(a, ()))),
        )
    # propositions
    props: dict[str, PropositionInfo] = {}
    for r in select(kg, _Q_PROPOSITIONS):
        p = r["p"]
        if p not in props or (r.get("label") and props[p].label == slug_of(p)):
            props[p] = PropositionInfo(p, r.get("label") or slug_of(p), r.get("demandType"))
    # stances
    bindings: dict[str, Any] = {}
    if options.as_of is not None:
        bindings["asOf"] = options.as_of
    if options.source is not None:
        bindings["sourceFilter"] = options.source
    rows: dict[str, StanceRow] = {}
    stance_labels: dict[str, str] = {}
    for r in select(kg, _stance_query(options), **bindings):
        s = r["stance"]
        if s in rows:
            continue
        stance_labels[s] = r.get("label") or slug_of(s)
        rows[s] = StanceRow(
            stance=s,
            holder=r["holder"],
            target=r["target"],
            target_kind="stance" if r.get("targetIsStance") in ("true", "1") else "proposition",
            polarity=str(r["polarity"]),
            polarity_weight=_f(r.get("pw"), 0.0),
            modality=str(r["modality"]),
            modality_weight=_f(r.get("mw"), 1.0),
            stated_at=_as_date(r.get("statedAt")),
            label=r.get("label") or "",
            nominee=r.get("nominee"),
            speaker=r.get("speaker"),
            target_holder=r.get("targetHolder"),
        )
    # position changes: a stance superseded by a stance in the frame is no longer current
    superseded = {r["old"] for r in select(kg, _Q_SUPERSEDES) if r["new"] in rows}
    all_rows = dict(rows)
    stances = [
        row
        for s, row in sorted(rows.items())
        if s not in superseded and _holder_passes(actors.get(row.holder), options.holders)
    ]
    kept = {row.stance: row for row in stances}
    # meta-stance targets outside the frame still need labels
    for row in stances:
        if row.target_kind == "stance" and row.target not in stance_labels:
            stance_labels[row.target] = slug_of(row.target)
    conditions: list[ConditionRow] = []
    for r in select(kg, _Q_CONDITIONS):
        owner = kept.get(r["stance"])
        if owner is None:
            continue
        conditions.append(
            ConditionRow(
                condition=r["condition"],
                stance=owner.stance,
                holder=owner.holder,
                target=owner.target,
                condition_type=str(r.get("conditionType") or "only-if"),
                requires=r["requires"],
                note=r.get("note"),
            )
        )
    conditions.sort(key=lambda c: (c.stance, c.condition))
    party_rows = sorted(select(kg, _Q_PARTIES), key=lambda r: (-int(r["n"] or 0), r["party"]))
    parties = [r["party"] for r in party_rows]
    nominee_rows = list(select(kg, _Q_NOMINEE_PROPOSITIONS))
    return Frame(
        options=options,
        version=kg.store.version if version is None else version,
        stances=stances,
        conditions=conditions,
        actors=actors,
        propositions=props,
        stance_labels=stance_labels,
        parties=sorted(parties, key=lambda p: labels.get(p, p)),
        superseded=superseded,
        all_stances=all_rows,
        nominee_propositions={
            r["nomination"]: r["proposition"]
            for r in nominee_rows
            if r["nomination"] in all_rows and r.get("proposition")
        },
        list_open={
            r["nomination"]: r["open"] == "open"
            for r in nominee_rows
            if r["nomination"] in all_rows and r.get("open")
        },
    )


def frame_of(kg: Any, options: Options | None = None, **opts: Any) -> Frame:
    """The (cached) frame for a graph and options; a :class:`Frame` is returned as is.

    A ``source`` option must name an existing source (a typo must not read as "no
    stances": :class:`~stancegraph.ids.UnknownValue`).
    """
    if isinstance(kg, Frame):
        return kg
    o = Options.make(options, **opts)
    if o.source is not None:
        from ..ids import resolve_id  # the read model, loaded when a source is named

        resolve_id(kg, "source", o.source.removeprefix(mint("source", "")), "source")
    return cached(kg, ("frame", o), lambda: load_frame(kg, o, version=data_version(kg)))


# --------------------------------------------------------------------------- the cache

ANALYTICS_CACHE_BYTES = 512 * 1024 * 1024  # frames, graphs and reports of one data version
_caches: weakref.WeakKeyDictionary[Any, VersionedCache[Any]] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cached(kg: Any, key: Any, compute: Callable[[], T]) -> T:
    """``compute()`` once per analytics data version of ``kg`` (:func:`.state.data_version`)
    and ``key``: frames here, graphs and reports in :class:`~.analyses.Analytics`. Options
    come from API requests, so the cache is bounded (``ANALYTICS_CACHE_BYTES``)."""

    def build() -> T:
        with paused_gc():
            return compute()

    with _caches_lock:
        try:
            cache = _caches.get(kg)
            if cache is None:
                cache = _caches[kg] = VersionedCache(ANALYTICS_CACHE_BYTES, 256)
        except TypeError:  # not weak-referenceable: no cache
            cache = None
    if cache is None:
        return build()
    return cache.get(key, build, lambda: data_version(kg))


def clear_cache(kg: Any) -> None:
    with _caches_lock:
        cache = _caches.get(kg)
    if cache is not None:
        cache.clear()


def graph_meta(frame: Frame) -> dict[str, Any]:
    """The graph attributes every projection carries: data version and options."""
    return {
        "data_version": frame.version,
        **{k: v for k, v in frame.options.as_dict().items() if v},
    }

"""Projections: the stance graph (RDF) as NetworkX graphs.

Everything starts from one :class:`Frame`: the stances (and their conditions) that pass
the options (as-of date, source, holder kinds), fetched with a handful of compact SELECTs
and cached per data version by :class:`stancegraph.analytics.Analytics`. Every projection
below is then a pure function of the frame.

Reading only source data
    The SELECTs here read stances, conditions, actors, propositions and memberships
    (``READ_PREDICATES``, ``READ_TYPES``), which the derived analytics graph
    (``id/graph/analytics``) never states: :mod:`.materialize` refuses to write a quad
    that would. Materialising analytics therefore never feeds back into the projections.

Signed weights
    A stance's signed weight is ``polarity weight × modality weight`` (the ``rdf:value``
    of its two SKOS concepts): "support, asserted" is +1, "skeptical, asserted" −0.5,
    "support, possible" +0.5. An actor's *position* on a target is the mean signed weight
    of its current stances on it (stances superseded, via ``sg:supersedes``, by a stance
    in the frame are dropped first).

Worked example on the seed::

    >>> import stancegraph
    >>> from stancegraph.analytics.projections import signed_bipartite
    >>> B = signed_bipartite(stancegraph.open())
    >>> ID = "https://w3id.org/stancegraph/id/"
    >>> B.edges[ID + "actor/russia", ID + "proposition/ukrainian-neutrality"]["weight"]
    1.0
    >>> B.edges[ID + "actor/ukraine", ID + "stance/russia-pledges-reduced-activity-kyiv-chernihiv"]["kind"]
    'meta'
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import networkx as nx
import numpy as np
import pyoxigraph as ox

from ..store import OxigraphStore
from ..terms import ID, SPARQL_PREFIXES, mint, slug_of

HolderKinds = Literal["states", "actors", "all"]
HOLDER_KINDS: tuple[str, ...] = ("states", "actors", "all")

# Kinds of holder, from the most specific sg: class of an actor.
_CLASS_KIND = {
    "StateActor": "state",
    "IntergovernmentalOrganization": "organisation",
    "GovernmentBody": "organisation",
    "MilitaryCommand": "organisation",
    "Delegation": "organisation",
    "NewsOrganization": "organisation",
    "Organization": "organisation",
    "ResearchOrganization": "expert",
    "Person": "person",
    "UnidentifiedActor": "organisation",
}
# Most specific first: the first of these an actor has is its type.
_CLASS_ORDER = (
    "StateActor",
    "IntergovernmentalOrganization",
    "GovernmentBody",
    "MilitaryCommand",
    "Delegation",
    "ResearchOrganization",
    "NewsOrganization",
    "Organization",
    "Person",
    "UnidentifiedActor",
    "Actor",
)
# Necessary conditions order things; sufficient ones ("if") and blockers ("unless") do not.
_PRECEDENCE_TYPES = frozenset({"only-if", "only-after", "in-exchange-for", "necessary"})
_SUFFICIENT_TYPES = frozenset({"if", "sufficient"})


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    """Which stances a projection reads.

    - ``as_of``: only stances stated on or before this date (``sg:statedAt``).
    - ``source``: only stances derived from this source (a slug or a full IRI).
    - ``holders``: ``"states"`` (holders typed ``sg:StateActor``), ``"actors"`` (every
      holder except experts) or ``"all"`` (experts included). An *expert* is a
      ``sg:ResearchOrganization`` or a ``sg:Person`` with no ``sg:state`` (an independent
      analyst rather than an official).
    - ``expectations``: also read expectations (``sg:Expectation``: forecasts and
      assessments, polarity ``unstated``, weight 0). Default False: analytics, coalitions
      and positions read preferences only (model v2).
    """

    as_of: dt.date | None = None
    source: str | None = None
    holders: str = "all"
    expectations: bool = False

    def __post_init__(self) -> None:
        if self.holders not in HOLDER_KINDS:
            raise ValueError(
                f"holders must be one of {', '.join(HOLDER_KINDS)}, not {self.holders!r}"
            )
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", dt.date.fromisoformat(self.as_of))
        if isinstance(self.as_of, dt.datetime):
            object.__setattr__(self, "as_of", self.as_of.date())
        if self.source is not None and not self.source.startswith(("http://", "https://")):
            object.__setattr__(self, "source", mint("source", self.source))

    @classmethod
    def make(cls, options: Options | None = None, **opts: Any) -> Options:
        """``options`` updated with keyword options (``as_of``, ``source``, ``holders``)."""
        base = options or cls()
        opts = {k: v for k, v in opts.items() if v is not None}
        unknown = set(opts) - {"as_of", "source", "holders", "expectations"}
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        if not opts:
            return base
        return cls(
            **{
                "as_of": base.as_of,
                "source": base.source,
                "holders": base.holders,
                "expectations": base.expectations,
                **opts,
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "source": self.source,
            "holders": self.holders,
            "expectations": self.expectations,
        }


# --------------------------------------------------------------------------- the frame


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
_Q_ACTORS = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?actor ?cls ?label ?state WHERE {
  ?actor a ?cls . ?cls rdfs:subClassOf* sg:Actor .
  FILTER(STRSTARTS(STR(?cls), STR(sg:)))
  OPTIONAL { ?actor rdfs:label ?label }
  OPTIONAL { ?actor sg:state ?state }
}"""
)

_Q_MEMBER_OF = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?actor ?org WHERE { ?actor org:memberOf ?org }"""
)

_Q_PROPOSITIONS = (
    SPARQL_PREFIXES
    + """
SELECT ?p ?label ?demandType WHERE {
  ?p a sg:Proposition .
  OPTIONAL { ?p rdfs:label ?label }
  OPTIONAL { ?p sg:demandType/skos:notation ?demandType }
}"""
)

_Q_STANCES_HEAD = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?stance ?holder ?target ?targetIsStance ?targetHolder ?polarity ?pw
       ?modality ?mw ?statedAt ?nominee ?speaker ?label {extra} WHERE {{
  ?stance a sg:Stance ; sg:holder ?holder ; sg:target ?target ;
          sg:polarity ?pc ; sg:modality ?mc .
  ?pc skos:notation ?polarity .
  ?mc skos:notation ?modality .
  {filters}
  OPTIONAL {{ ?pc rdf:value ?pw }}
  OPTIONAL {{ ?mc rdf:value ?mw }}
  OPTIONAL {{ ?stance sg:statedAt ?statedAt }}
  BIND(EXISTS {{ ?target a sg:Stance }} AS ?targetIsStance)
  OPTIONAL {{ ?target a sg:Stance ; sg:holder ?targetHolder }}
  OPTIONAL {{ ?stance sg:nominee ?nominee }}
  OPTIONAL {{ ?stance sg:voicedBy ?speaker }}
  OPTIONAL {{ ?stance rdfs:label ?label }}
  {date_filter}
}}"""
)
# Required patterns come first: an OPTIONAL followed by required patterns makes the
# engine join in a poor order (seconds instead of milliseconds on the seed).

_Q_SUPERSEDES = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?new ?old WHERE { ?new sg:supersedes ?old }"""
)

_Q_CONDITIONS = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?condition ?stance ?conditionType ?requires ?note WHERE {
  ?stance sg:condition ?condition .
  ?condition sg:requires ?requires .
  OPTIONAL { ?condition sg:conditionType/skos:notation ?conditionType }
  OPTIONAL { ?condition rdfs:comment ?note }
}"""
)

_Q_NOMINEE_PROPOSITIONS = (
    SPARQL_PREFIXES
    + """
SELECT DISTINCT ?nomination ?proposition ?open WHERE {
  ?nomination sg:nominee ?nominee .
  OPTIONAL { ?nomination sg:nomineeProposition ?proposition }
  OPTIONAL { ?nomination sg:listOpenness/skos:notation ?open }
}"""
)

_Q_PARTIES = (
    SPARQL_PREFIXES
    + """
SELECT ?party (COUNT(DISTINCT ?n) AS ?n) WHERE { ?n sg:party ?party } GROUP BY ?party"""
)


def _stance_query(options: Options) -> str:
    extra, filters, date_filter = [], [], ""
    if options.as_of is not None:
        extra.append("?asOf")
        date_filter = "FILTER(BOUND(?statedAt) && ?statedAt <= ?asOf)"
    if options.source is not None:
        extra.append("?sourceFilter")
        filters.append("?stance prov:wasDerivedFrom ?sourceFilter .")
    if not options.expectations:
        # (OPTIONAL + !BOUND rather than FILTER NOT EXISTS / MINUS, which Virtuoso 7
        # ignores in this query)
        filters.append(
            "OPTIONAL { ?stance a ?expectationClass FILTER(?expectationClass = sg:Expectation) }"
            " FILTER(!BOUND(?expectationClass))"
        )
    return _Q_STANCES_HEAD.format(
        extra=" ".join(extra), filters="\n  ".join(filters), date_filter=date_filter
    )


# What the projections read. The derived analytics graph must never state any of it, so
# that materialising analytics cannot feed back into them (materialize.py checks this
# before every write, and the tests check it on the seed).
READ_PREDICATES = frozenset(
    f"https://w3id.org/stancegraph/ns#{p}"
    for p in (
        "holder", "target", "polarity", "modality", "statedAt", "nominee", "voicedBy",
        "supersedes", "condition", "conditionType", "requires", "party", "state", "demandType",
        "nomineeProposition", "listOpenness",
    )
) | {"http://www.w3.org/ns/org#memberOf"}  # fmt: skip
# (prov:wasDerivedFrom and rdfs:label are read too, but only of subjects typed as above.)
READ_TYPES_PREFIX = "https://w3id.org/stancegraph/ns#"
READ_TYPES = frozenset(
    READ_TYPES_PREFIX + c
    for c in (
        "Stance",
        "GuarantorNomination",
        "Expectation",
        "Proposition",
        "Condition",
        *_CLASS_ORDER,
    )
)


# A row of ``select``: str cells, None where unbound. Typed ``Any`` because each query's
# caller knows which of its columns are always bound (a subject, a required property).
Row = dict[str, Any]


def select(kg: Any, sparql: str, **bindings: Any) -> Iterator[Row]:
    """Run a SELECT over the union of the graphs; values bound as variables; rows stream.

    Cells are plain strings: an IRI, a literal's lexical form, ``_:id`` for a blank node,
    or None when unbound (callers convert numbers and dates). On the embedded store the
    rows cross from Rust to Python as one CSV document, not term by term (the per-cell
    ``to_python`` was most of the frame time at 1M triples); on a remote store they are
    fetched page by page (``iter_select``, the store's ``page_size`` rows a request), so
    memory holds one page of the response at a time.

    (Restricting the default graph to the source graphs by listing them is exact but
    ~30x slower with thousands of sources; instead the analytics graph is kept free of
    everything in ``READ_PREDICATES`` and ``READ_TYPES``.)
    """
    store = kg.store
    columns = _projected(sparql)
    if hasattr(store, "iter_select") and "GROUP BY" not in sparql:
        # (aggregates are few rows, and paging wraps them in an ORDER BY Virtuoso refuses)
        for sol in store.iter_select(sparql, substitutions=bindings or None):
            yield _plain_row(sol, columns)
        return
    raw = store.query(sparql, substitutions=bindings, union_default_graph=True)
    if not isinstance(raw, ox.QuerySolutions):
        raise TypeError("analytics queries must be SELECT queries")
    if not isinstance(store, OxigraphStore):  # a remote store's result: already in memory
        for sol in raw:
            yield _plain_row(sol, columns)
        return
    text = cast(bytes, raw.serialize(format=ox.QueryResultsFormat.CSV)).decode()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    for row in reader:
        yield {c: (v or None) for c, v in zip(header, row, strict=True)}


def _plain_row(sol: ox.QuerySolution, columns: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for var in columns:
        term = sol[var]
        if term is None:
            out[var] = None
        elif isinstance(term, ox.BlankNode):
            out[var] = f"_:{term.value}"
        else:
            out[var] = term.value or None
    return out


def _projected(sparql: str) -> list[str]:
    """The variables a SELECT projects (its head, up to WHERE), in order."""
    head = sparql[sparql.index("SELECT") : sparql.index("WHERE")]
    head = re.sub(r"\(.*?\bAS\s+\?(\w+)\s*\)", r" ?\1 ", head)  # (expr AS ?x): the alias
    return list(dict.fromkeys(re.findall(r"\?(\w+)", head)))


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
    """The (cached) frame for a graph and options; a :class:`Frame` is returned as is."""
    if isinstance(kg, Frame):
        return kg
    from . import Analytics

    return Analytics.of(kg).frame(Options.make(options, **opts))


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class Position:
    """An actor's aggregated position on one target (a proposition or a stance)."""

    holder: str
    target: str
    kind: str  # "stance" (on a proposition) | "meta" (on a stance)
    weight: float  # mean signed weight of the stances
    stances: tuple[str, ...]
    polarities: tuple[str, ...]
    modalities: tuple[str, ...]

    @property
    def sign(self) -> int:
        return _sign(self.weight)


def _sign(w: float, eps: float = 1e-12) -> int:
    return 0 if abs(w) <= eps else (1 if w > 0 else -1)


def positions(
    frame: Frame, *, include_meta: bool = True, include_nominations: bool = False
) -> dict[tuple[str, str], Position]:
    """Each holder's position per target: the mean signed weight of its current stances.

    Guarantor nominations are left out by default: they support the guarantee *with a
    given guarantor* (see :func:`nomination_graph`), and counting each one as support for
    the guarantee would weigh the nominator's position by the number of names it gave.

    O(S) time for S stances in the frame; computed once per frame and options (the
    result is shared: do not mutate it).
    """
    key = ("positions", include_meta, include_nominations)
    if key not in frame.memo:
        with_meta = frame.memo.get(("positions", True, include_nominations))
        if not include_meta and with_meta is not None:  # the same groups, less the meta ones
            frame.memo[key] = {k: p for k, p in with_meta.items() if p.kind != "meta"}
        else:
            frame.memo[key] = _positions(frame, include_meta, include_nominations)
    return frame.memo[key]


def _positions(
    frame: Frame, include_meta: bool, include_nominations: bool
) -> dict[tuple[str, str], Position]:
    groups: dict[tuple[str, str], list[StanceRow]] = defaultdict(list)
    for row in frame.stances:
        if row.is_nomination and not include_nominations:
            continue
        if row.target_kind == "stance" and not include_meta:
            continue
        groups[(row.holder, row.target)].append(row)
    out: dict[tuple[str, str], Position] = {}
    for key, rows in sorted(groups.items()):
        w = sum(r.weight for r in rows) / len(rows)
        out[key] = Position(
            holder=key[0],
            target=key[1],
            kind="meta" if rows[0].target_kind == "stance" else "stance",
            weight=round(w, 12),
            stances=tuple(r.stance for r in rows),
            polarities=tuple(r.polarity for r in rows),
            modalities=tuple(r.modality for r in rows),
        )
    return out


def _one_or_mixed(values: Iterable[str]) -> str:
    vals = sorted(set(values))
    return vals[0] if len(vals) == 1 else "mixed"


def _actor_node(G: nx.Graph, frame: Frame, a: str, **extra: Any) -> None:
    info = frame.actors.get(a)
    G.add_node(
        a,
        kind="actor",
        label=frame.label(a),
        actor_type=info.type if info else "Actor",
        holder_kind=info.kind if info else "unknown",
        state=info.state if info else None,
        **extra,
    )


# --------------------------------------------------------------------------- projections


def signed_bipartite(
    kg: Any,
    options: Options | None = None,
    *,
    include_meta: bool = True,
    include_nominations: bool = False,
    **opts: Any,
) -> nx.Graph:
    """Signed actor–target bipartite graph.

    Inputs: a graph (or a :class:`Frame`), :class:`Options` or the keyword options
    ``as_of``, ``source``, ``holders``; ``include_meta`` keeps stances on stances,
    ``include_nominations`` counts guarantor nominations as support for the guarantee.

    Output: an undirected ``nx.Graph``. Actor nodes have ``bipartite=0``,
    ``kind="actor"``; target nodes ``bipartite=1`` and ``kind="proposition"`` or
    ``kind="stance"`` (the target of a meta-stance, with its ``holder``). One edge per
    (holder, target) with ``weight`` (the position: mean of polarity × modality, in
    [−1, 1]), ``sign`` (+1/0/−1), ``abs_weight``, ``kind`` (``"stance"`` on a
    proposition, ``"meta"`` on a stance), ``polarity`` and ``modality`` (the key, or
    ``"mixed"``), ``count`` and ``stances`` (the stance IRIs).

    Complexity: O(S) for S stances in the frame.

    Example (seed): ``signed_bipartite(kg)`` links the four doubters of Russia's pledge
    (Ukraine, Ukraine's General Staff, the United States, the United Kingdom) to the
    pledge stance by ``kind="meta"`` edges of weight −0.5.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.Graph(kind="signed-bipartite", **_graph_meta(frame))
    for (holder, target), pos in positions(
        frame, include_meta=include_meta, include_nominations=include_nominations
    ).items():
        if holder not in G:
            _actor_node(G, frame, holder, bipartite=0)
        if target not in G:
            if pos.kind == "meta":
                row = frame.all_stances.get(target)
                G.add_node(
                    target,
                    bipartite=1,
                    kind="stance",
                    label=frame.label(target),
                    holder=row.holder if row else None,
                    target=row.target if row else None,
                    polarity=row.polarity if row else None,
                )
            else:
                info = frame.propositions.get(target)
                G.add_node(
                    target,
                    bipartite=1,
                    kind="proposition",
                    label=frame.label(target),
                    demand_type=info.demand_type if info else None,
                )
        G.add_edge(
            holder,
            target,
            weight=pos.weight,
            sign=pos.sign,
            abs_weight=abs(pos.weight),
            kind=pos.kind,
            polarity=_one_or_mixed(pos.polarities),
            modality=_one_or_mixed(pos.modalities),
            count=len(pos.stances),
            stances=pos.stances,
        )
    return G


@dataclass(frozen=True)
class _Tie:
    a: str
    b: str
    congruence: float
    conflict: float
    agree: tuple[str, ...]
    disagree: tuple[str, ...]


def _ties(frame: Frame, include_meta: bool) -> list[_Tie]:
    """Pairwise congruence and conflict (the signed one-mode projection B·Bᵀ), by (a, b).

    Once per frame. The pairs are generated per target with numpy and grouped by a stable
    sort; each pair's sums are then accumulated target by target in label order, exactly
    as a loop would (same floats), and ``agree``/``disagree`` list those targets.
    """
    key = ("ties", include_meta)
    if key not in frame.memo:
        frame.memo[key] = _compute_ties(frame, include_meta)
    return frame.memo[key]


def _held_positions(frame: Frame, include_meta: bool) -> dict[str, dict[str, float]]:
    """Nonzero positions by target, then holder: what the actor ties multiply."""
    by_target: dict[str, dict[str, float]] = defaultdict(dict)
    for (holder, target), pos in positions(frame, include_meta=include_meta).items():
        if pos.sign != 0:
            by_target[target][holder] = pos.weight
    if include_meta:
        # The holder of a stance that others take a stance on endorses its own stance (+1)
        # unless it said otherwise: so a doubter is tied (negatively) to the doubted holder.
        for target, held in by_target.items():
            row = frame.all_stances.get(target)
            owner = row.holder if row else None
            if owner and owner not in held and frame.holder_ok(owner):
                held[owner] = 1.0
    return by_target


def _compute_ties(frame: Frame, include_meta: bool) -> list[_Tie]:
    by_target = _held_positions(frame, include_meta)
    holders = sorted({h for held in by_target.values() for h in held})
    index = {h: i for i, h in enumerate(holders)}
    targets = sorted(t for t, held in by_target.items() if len(held) > 1)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    triu: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for ti, target in enumerate(targets):
        held = sorted(by_target[target].items())
        d = len(held)
        if d not in triu:
            triu[d] = np.triu_indices(d, 1)  # (0,1), (0,2), …, (1,2), …: the nested-loop order
        iu, ju = triu[d]
        idx = np.fromiter((index[h] for h, _ in held), dtype=np.int64, count=d)
        w = np.fromiter((x for _, x in held), dtype=float, count=d)
        parts.append((idx[iu], idx[ju], np.full(len(iu), ti, dtype=np.int64), w[iu] * w[ju]))
    if not parts:
        return []
    a, b, t, prod = (np.concatenate(x) for x in zip(*parts, strict=True))
    pair = a * len(holders) + b
    order = np.argsort(pair, kind="stable")  # stable: targets stay in label order per pair
    pair, a, b, t, prod = pair[order], a[order], b[order], t[order], prod[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    lengths = np.diff(np.r_[starts, len(pair)])
    agree = prod > 0
    congruence = _segment_sums(np.where(agree, prod, 0.0), starts, lengths)
    conflict = _segment_sums(np.where(agree, 0.0, -prod), starts, lengths)
    names = np.array(targets, dtype=object)
    agree_names = names[t[agree]].tolist()
    disagree_names = names[t[~agree]].tolist()
    seg = np.repeat(np.arange(len(starts)), lengths)
    agree_end = np.cumsum(np.bincount(seg[agree], minlength=len(starts))).tolist()
    disagree_end = np.cumsum(np.bincount(seg[~agree], minlength=len(starts))).tolist()
    out: list[_Tie] = []
    a0 = d0 = 0
    for i, (ai, bi, c, f) in enumerate(
        zip(
            a[starts].tolist(),
            b[starts].tolist(),
            congruence.tolist(),
            conflict.tolist(),
            strict=True,
        )
    ):
        a1, d1 = agree_end[i], disagree_end[i]
        out.append(
            _Tie(
                holders[ai],
                holders[bi],
                c,
                f,
                tuple(agree_names[a0:a1]),
                tuple(disagree_names[d0:d1]),
            )
        )
        a0, d0 = a1, d1
    return out


def _segment_sums(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sum of each segment, added left to right from 0.0 (the floats a Python loop gives).

    Vectorised across segments: step k adds every segment's k-th value, so the cost is
    O(total + longest segment) numpy operations, and each sum keeps its own order.
    """
    by_len = np.argsort(-lengths, kind="stable")
    s_starts, s_lengths = starts[by_len], lengths[by_len]
    acc = np.zeros(len(starts))
    active = len(starts)
    for k in range(int(s_lengths[0]) if len(s_lengths) else 0):
        while active and s_lengths[active - 1] <= k:
            active -= 1
        acc[:active] += values[s_starts[:active] + k]
    out = np.empty_like(acc)
    out[by_len] = acc
    return out


def signed_actor_network(
    kg: Any, options: Options | None = None, *, include_meta: bool = True, **opts: Any
) -> nx.Graph:
    """Signed actor–actor network (the Discourse Network Analysis one-mode projection).

    For two actors a and b with positions w_a,t and w_b,t on a shared target t, the
    product w_a,t·w_b,t is *congruence* when positive (both for, or both against) and
    *conflict* when negative. Summed over shared targets: ``congruence`` ≥ 0,
    ``conflict`` ≥ 0, ``weight = congruence − conflict`` (signed), ``sign``,
    ``abs_weight``, ``distance = 1/abs_weight`` (for path-based centralities), and the
    targets behind them in ``agree`` and ``disagree``. Neutral positions tie nobody.

    Meta-stances (``include_meta``): a stance that others take a stance on is itself a
    target, on which its holder's position is +1 (it stands by what it said). So actors
    who doubt Russia's pledge are congruent with one another and in conflict with Russia.

    Output: ``nx.Graph`` over all holders in the frame (isolates included), node
    attributes ``label``, ``actor_type``, ``holder_kind``, ``state``.

    Complexity: O(Σ_t d_t²) for d_t actors with a position on target t: the size of the
    projection itself (linear in stances when few actors share each target).

    Example (seed, ``holders="states"``): Russia–United States has weight −0.5 (the US
    doubts Russia's pledge); Russia–Ukraine congruence 1.75 (progress in the talks 1×1,
    the peace agreement 0.5×0.5, the summit 0.5×1), conflict 0.5 (Ukraine doubts Russia's
    pledge), weight 1.25.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.Graph(kind="signed-actor-network", **_graph_meta(frame))
    for row in frame.stances:
        if row.holder not in G:
            _actor_node(G, frame, row.holder)
    for t in _ties(frame, include_meta):
        for x in (t.a, t.b):
            if x not in G:
                _actor_node(G, frame, x)
        w = round(t.congruence - t.conflict, 12)
        G.add_edge(
            t.a,
            t.b,
            congruence=round(t.congruence, 12),
            conflict=round(t.conflict, 12),
            weight=w,
            sign=_sign(w),
            abs_weight=abs(w),
            distance=(1.0 / abs(w)) if w else math.inf,
            agree=tuple(t.agree),
            disagree=tuple(t.disagree),
        )
    return G


def shared_networks(frame: Frame, include_meta: bool = True) -> tuple[nx.Graph, nx.Graph]:
    """The signed actor network and its congruence network, built once per frame.

    For analyses that only read them (positions, and coalitions for the congruence side):
    building the actor network is a good part of their cost on large graphs. Do not mutate.
    """
    key = ("networks", include_meta)
    if key not in frame.memo:
        S = signed_actor_network(frame, include_meta=include_meta)
        frame.memo[key] = (S, _one_sided(S, "congruence"))
    return frame.memo[key]


def own_copy(G: nx.Graph) -> nx.Graph:
    """A copy of a shared graph to annotate: fresh graph, node and edge attribute dicts.

    Cheaper than ``G.copy()`` (one pass over the edges, not two) and it keeps the order of
    ``G.nodes`` and ``G.edges``, which the seeded heuristics depend on.
    """
    H = G.__class__()
    H.graph.update(G.graph)
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from(G.edges(data=True))
    return H


def congruence_network(
    kg: Any, options: Options | None = None, *, include_meta: bool = True, **opts: Any
) -> nx.Graph:
    """Actor–actor congruence network: ties weighted by agreement only.

    Same nodes as :func:`signed_actor_network`; an edge wherever ``congruence > 0``, with
    ``weight = congruence``, ``distance = 1/weight`` and the targets agreed on
    (``agree``). Complexity as :func:`signed_actor_network`.

    Example (seed): the United States and the United Kingdom are congruent (0.25: both
    doubt Russia's pledge).
    """
    return _one_sided(
        signed_actor_network(kg, options, include_meta=include_meta, **opts), "congruence"
    )


def conflict_network(
    kg: Any, options: Options | None = None, *, include_meta: bool = True, **opts: Any
) -> nx.Graph:
    """Actor–actor conflict network: ties weighted by disagreement only.

    An edge wherever ``conflict > 0``, with ``weight = conflict`` and the targets
    disagreed on (``disagree``). Complexity as :func:`signed_actor_network`.

    Example (seed): Ekaterina Piskunova and the United Kingdom conflict (1.0: she calls
    more lethal weapons for Ukraine counter-productive; the UK plans to send them), scaled
    by the UK stance's modality (reported, 0.75): weight 0.75.
    """
    return _one_sided(
        signed_actor_network(kg, options, include_meta=include_meta, **opts), "conflict"
    )


def _one_sided(S: nx.Graph, attr: str) -> nx.Graph:
    G = nx.Graph(**{**S.graph, "kind": f"{attr}-network"})
    G.add_nodes_from(S.nodes(data=True))
    keep = "agree" if attr == "congruence" else "disagree"
    for u, v, d in S.edges(data=True):
        w = d[attr]
        if w > 0:
            G.add_edge(u, v, weight=w, distance=1.0 / w, **{keep: d[keep]})
    return G


def dependency_graph(kg: Any, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
    """Condition dependency digraph: proposition → proposition it requires.

    One edge per condition (key: the condition IRI) from the target of the conditional
    stance to the required proposition, with ``holder``, ``holder_label``,
    ``condition_type`` (only-if, only-after, in-exchange-for, if, unless), ``precedence``
    (False for ``unless``, a blocker, and ``if``, a sufficient condition), ``necessity``
    (necessary / sufficient / blocker), ``holder_role`` (party / third-party), ``stance``
    and ``note``. Nodes: ``kind`` (proposition, or stance for a condition on a
    meta-stance) and ``label``.

    Complexity: O(C) for C conditions.

    Example (seed): ``peace-agreement → international-security-guarantee`` (Ukraine,
    only-if, party) and ``end-of-war → complete-russian-withdrawal`` (Canada, only-if,
    third-party). Expectations' conditions appear only with ``expectations=True``.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.MultiDiGraph(kind="condition-dependencies", **_graph_meta(frame))
    for c in frame.conditions:
        for n in (c.target, c.requires):
            if n not in G:
                G.add_node(n, kind=frame.kind_of(n), label=frame.label(n))
        G.add_edge(
            c.target,
            c.requires,
            key=c.condition,
            holder=c.holder,
            holder_label=frame.label(c.holder),
            condition_type=c.condition_type,
            precedence=c.precedence,
            necessity=c.necessity,
            holder_role=frame.holder_role(c.holder),
            stance=c.stance,
            note=c.note,
        )
    return G


def nomination_graph(kg: Any, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
    """Guarantor nomination digraph: nominator → nominee.

    One edge per nomination (key: the nomination stance IRI) with ``modality`` and
    ``modality_weight``, ``polarity`` and signed ``weight`` (a negative nomination contests
    the nominee), ``guarantee`` (the proposition nominated for) and ``speaker``. Nodes are
    actors (``label``, ``actor_type``, ``member_of``).

    Complexity: O(N) for N nominations.

    Example (seed): nine edges out of Ukraine; United States, Canada, China, France and the
    United Kingdom with modality ``asserted``, Turkey, Germany, Poland and Israel with
    ``possible``.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.MultiDiGraph(kind="guarantor-nominations", **_graph_meta(frame))
    for row in frame.stances:
        if not row.is_nomination:
            continue
        for a in (row.holder, cast(str, row.nominee)):  # a nomination names its nominee
            if a not in G:
                info = frame.actors.get(a)
                _actor_node(G, frame, a, member_of=info.member_of if info else ())
        G.add_edge(
            row.holder,
            row.nominee,
            key=row.stance,
            modality=row.modality,
            modality_weight=row.modality_weight,
            polarity=row.polarity,
            weight=row.weight,
            guarantee=row.target,
            guarantee_label=frame.label(row.target),
            speaker=row.speaker,
        )
    return G


def _graph_meta(frame: Frame) -> dict[str, Any]:
    return {
        "data_version": frame.version,
        **{k: v for k, v in frame.options.as_dict().items() if v},
    }


def plain(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass as a dict of plain values, skipping ``exclude`` (e.g. NetworkX graphs)."""
    import dataclasses

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    return {
        f.name: conv(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in exclude
    }


def iri_or_slug(value: str, kind: str = "actor") -> str:
    """A full IRI as is; a slug minted as ``id/<kind>/<slug>``."""
    return value if value.startswith(("http://", "https://")) else f"{ID}{kind}/{value}"

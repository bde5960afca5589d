"""The derived analytics graph: analytics results as RDF, joinable with the data in SPARQL.

:func:`materialize` computes the analyses with default options (all holders, no date or
source filter) and writes them, atomically, into the named graph
``https://w3id.org/stancegraph/id/graph/analytics`` (terms: ``ontology/analytics.ttl``):
one ``kg.store.replace(drop_graphs=[ANALYTICS_GRAPH], insert_nquads=...)`` call, so readers
see the old graph or the new one, never a mix.

The graph says what it is: ``a sg:DerivedGraph`` (never ``sg:SourceGraph``),
``sg:derivedFromVersion`` (the data version it was computed from),
``prov:wasGeneratedBy`` an ``sg:AnalyticsRun`` (with ``sg:holderScope``, ``sg:randomSeed``,
``sg:modularity``), ``prov:generatedAtTime``, ``prov:wasDerivedFrom`` each source graph.

Staleness: the store's ``version`` grows with every write. Writing the analytics graph is
itself a write, so this module remembers, per store, the data version it derived from and
the store version its own write produced; :func:`data_version` is the store version
*ignoring* that write, and :func:`is_current` tells whether the derived graph matches the
data. :func:`ensure_materialized` regenerates lazily, on first use after a change (the
SPARQL endpoint should call it before answering; :class:`~stancegraph.analytics.Analytics`
calls it before its analyses).

Example (SPARQL, after ``ensure_materialized(kg)``): actors in Ukraine's balance camp who doubt
Russia's pledge::

    SELECT ?actor WHERE {
      <https://w3id.org/stancegraph/id/actor/ukraine> sg:inCamp ?c . ?actor sg:inCamp ?c .
      ?doubt sg:holder ?actor ; sg:polarity polarity:skeptical ;
             sg:target <https://w3id.org/stancegraph/id/stance/russia-pledges-reduced-activity-kyiv-chernihiv> . }

Complexity: the analyses' own, plus O(output) triples (actor ties capped at ``MAX_TIES``,
the strongest; on the 1M-triple synthetic benchmark about 60k derived triples).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, cast

import pyoxigraph as ox

from ..sparql.bindings import to_ox
from ..terms import ANALYTICS_GRAPH, ID, MODALITY, PREFIXES, SG
from .gcpause import paused_gc
from .reading import READ_PREDICATES, READ_TYPES
from .state import _LOCK, _set_state, data_version, is_current, writable

ANALYTICS = str(ANALYTICS_GRAPH)
# Actor ties written as sg:ActorTie: the strongest (by |congruence − conflict|). Dense actor
# networks have ~n²/2 ties; all of them stay available from Python and the JSON API.
MAX_TIES = 10_000
_RDF = PREFIXES["rdf"]
_RDFS = PREFIXES["rdfs"]
_PROV = PREFIXES["prov"]
_DCT = PREFIXES["dcterms"]


@dataclass
class MaterializeReport:
    graph: str
    written: bool
    data_version: int
    triples: int
    reason: str = ""


# --------------------------------------------------------------------------- terms


def _iri(v: str) -> ox.NamedNode:
    """Cached: the same predicates and nodes recur thousands of times in one build. Only
    IRIs up to 512 characters are cached, so the cache holds at most ~40 MB (65,536
    entries); a plain ``lru_cache``, since this is the materializer's hottest call and
    ``memo`` costs ~1 µs a lookup."""
    return _short_iri(v) if len(v) <= 512 else ox.NamedNode(v)


@functools.lru_cache(maxsize=65536)
def _short_iri(v: str) -> ox.NamedNode:
    return ox.NamedNode(v)


@functools.cache
def _sg(name: str) -> str:
    """``_sg("name")`` without rdflib's Namespace lookup on every call."""
    return str(SG[name])


def _lit(v: Any) -> ox.Literal:
    """A value as a literal: ``to_ox``'s typing (floats as ``xsd:decimal``), rounded to 9
    digits so that re-materializing the same results writes the same text."""
    if isinstance(v, _En):
        return ox.Literal(str(v), language="en")
    if isinstance(v, str):
        return ox.Literal(v)
    term = to_ox(round(v, 9) if isinstance(v, float) else v)
    assert isinstance(term, ox.Literal)
    return term


class _En(str):
    """A string to write as an English-tagged literal."""


def derived(kind: str, name: str | int) -> str:
    """IRI of a derived node: ``id/analytics/<kind>/<name>``."""
    return f"{ID}analytics/{kind}/{name}"


# --------------------------------------------------------------------------- build


def build_quads(kg: Any, an: Any, *, seed: int = 0) -> list[ox.Quad]:
    """The analytics graph's quads for the current data (default options), computed with
    ``an``, an :class:`~.analyses.Analytics` of ``kg`` (whose caches they fill)."""
    with an.no_auto_materialize(), paused_gc():
        return _build(kg, an, seed)


def _build(kg: Any, an: Any, seed: int) -> list[ox.Quad]:
    g = ox.NamedNode(ANALYTICS)
    quads: list[ox.Quad] = []
    typ = _iri(_RDF + "type")
    label = _iri(_RDFS + "label")

    def add(s: str, p: str, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = _lit(o) if isinstance(o, _En) else _iri(o) if isinstance(o, str) else o
        quads.append(ox.Quad(_iri(s), _iri(p), obj, g))

    version = an.data_version
    started = dt.datetime.now(dt.UTC)
    frame = an.frame()
    coal = an.coalitions(seed=seed)
    pos = an.positions()
    cond = an.conditions()
    guar = an.guarantors()
    run = derived("run", f"v{version}")
    props = frame.propositions

    # -- graph and run provenance
    add(ANALYTICS, str(typ.value), _sg("DerivedGraph"))
    quads.append(ox.Quad(g, label, _lit(_En("Derived analytics graph")), g))
    quads.append(ox.Quad(g, _iri(_sg("derivedFromVersion")), _lit(version), g))
    add(ANALYTICS, _PROV + "wasGeneratedBy", run)
    quads.append(ox.Quad(g, _iri(_PROV + "generatedAtTime"), _lit(started), g))
    sources = [
        r["g"]
        for r in kg.select(
            "PREFIX sg: <https://w3id.org/stancegraph/ns#> SELECT DISTINCT ?g WHERE { ?g a sg:SourceGraph }"
        )
    ]
    for s in sorted(sources):
        add(ANALYTICS, _PROV + "wasDerivedFrom", s)
        add(run, _PROV + "used", s)
    add(run, str(typ.value), _sg("AnalyticsRun"))
    add(run, _RDFS + "label", _En(f"stancegraph analytics run on data version {version}"))
    add(run, _PROV + "startedAtTime", _lit(started))
    add(run, _sg("holderScope"), _lit(frame.options.holders))
    add(run, _sg("randomSeed"), _lit(seed))
    if coal.modularity is not None:
        add(run, _sg("modularity"), _lit(float(coal.modularity)))

    # -- coalitions
    for c in coal.coalitions:
        ci = derived("coalition", c.id)
        add(ci, str(typ.value), _sg("Coalition"))
        head = ", ".join(c.labels[:3]) + ("…" if len(c.labels) > 3 else "")
        add(ci, _RDFS + "label", _En(f"Coalition {c.id} ({head})"))
        add(ci, _PROV + "wasGeneratedBy", run)
        add(ci, _sg("internalWeight"), _lit(float(c.internal_weight)))
        for m in c.members:
            add(ci, _sg("hasMember"), m)
            add(m, _sg("inCoalition"), ci)

    # -- balance
    b = coal.balance
    part = derived("balance", "partition")
    add(part, str(typ.value), _sg("BalancePartition"))
    add(part, _RDFS + "label", _En("Structural-balance partition of the signed actor network"))
    add(part, _PROV + "wasGeneratedBy", run)
    add(part, _sg("frustrationIndex"), _lit(int(b.frustration)))
    add(part, _sg("frustrationWeight"), _lit(float(b.frustration_weight)))
    add(part, _sg("partitionMethod"), _lit(b.method))
    for i, camp in enumerate(b.camps):
        if not camp:
            continue
        ci = derived("camp", i)
        add(ci, str(typ.value), _sg("BalanceCamp"))
        add(ci, _DCT + "isPartOf", part)
        add(
            ci,
            _RDFS + "label",
            _En(
                f"Camp {i} ({', '.join(frame.label(n) for n in camp[:3])}{'…' if len(camp) > 3 else ''})"
            ),
        )
        for m in camp:
            add(ci, _sg("hasMember"), m)
            add(m, _sg("inCamp"), ci)

    # -- ties: the strongest MAX_TIES (all of them on graphs of a few hundred actors)
    ties = sorted(coal.network.edges(data=True), key=lambda e: (-abs(e[2]["weight"]), e[0], e[1]))
    ties = sorted(ties[:MAX_TIES], key=lambda e: (e[0], e[1]))
    for i, (u, v, d) in enumerate(ties, 1):
        ti = derived("tie", i)
        add(ti, str(typ.value), _sg("ActorTie"))
        add(ti, _sg("tieEnd"), u)
        add(ti, _sg("tieEnd"), v)
        add(ti, _sg("congruenceWeight"), _lit(float(d["congruence"])))
        add(ti, _sg("conflictWeight"), _lit(float(d["conflict"])))
        add(ti, _sg("signedWeight"), _lit(float(d["weight"])))

    # -- positions
    for p in pos.polarisation:
        if p.proposition in props:
            add(p.proposition, _sg("polarisation"), _lit(float(p.std)))
            add(p.proposition, _sg("meanPosition"), _lit(float(p.mean)))
    for c in pos.consensus:
        if c.proposition in props:
            add(c.proposition, _sg("inConsensusSet"), _lit(True))
            add(c.proposition, _sg("fullConsensus"), _lit(bool(c.full)))
    for a in pos.pivotal_actors:
        if a.actor in frame.actors:
            add(a.actor, _sg("actorBetweenness"), _lit(float(a.betweenness)))
            add(a.actor, _sg("pageRank"), _lit(float(a.pagerank)))
    for p in pos.pivotal_propositions:
        if p.proposition in props:
            add(p.proposition, _sg("propositionBetweenness"), _lit(float(p.betweenness)))

    # -- conditions
    for i, dl in enumerate(cond.deadlocks, 1):
        di = derived("deadlock", i)
        add(di, str(typ.value), _sg("Deadlock"))
        add(di, _RDFS + "label", _En("Precondition cycle: " + " → ".join(dl.labels)))
        for n in dl.cycle:
            if n in props:
                add(di, _sg("deadlockMember"), n)
        for h in dl.holders:
            add(di, _sg("deadlockHolder"), h)
    for stage, members in enumerate(cond.sequence):
        for n in members:
            if n in props:
                add(n, _sg("sequenceStage"), _lit(stage))
    for c in cond.critical:
        if c.proposition in props:
            add(c.proposition, _sg("dependentCount"), _lit(int(c.dependents)))
    for bl in cond.blocked:
        if bl.proposition in props:
            for r in bl.unmet:
                if r in props:
                    add(bl.proposition, _sg("blockedBy"), r)

    # -- guarantors
    for n in guar.nominees:
        if n.nominated_by:
            add(n.nominee, _sg("nominationModality"), f"{MODALITY}{n.modality}")
        add(
            n.nominee,
            _sg("acceptableToAllParties"),
            _lit(n.nominee in guar.acceptable_to_all_parties),
        )
        add(n.nominee, _sg("contestedGuarantor"), _lit(bool(n.contested_by_party)))

    ended = dt.datetime.now(dt.UTC)
    add(run, _PROV + "endedAtTime", _lit(ended))
    return quads


def check_derived(quads: list[ox.Quad]) -> None:
    """Refuse quads that projections would read back as source data (see projections)."""
    rdf_type = _RDF + "type"
    for q in quads:
        p = q.predicate.value
        o = q.object
        if p in READ_PREDICATES or (
            p == rdf_type and not isinstance(o, ox.Triple) and o.value in READ_TYPES
        ):
            raise RuntimeError(f"derived graph would state source data: {q}")


def materialize_with(
    kg: Any, analytics: Any, *, force: bool = False, seed: int = 0
) -> MaterializeReport:
    """(Re)write the analytics graph atomically; a no-op if it is current (unless ``force``).

    Output: :class:`MaterializeReport` (``written`` False when current or the store is
    read-only). Thread-safe: one materialisation at a time.
    """
    with _LOCK:
        version = data_version(kg)
        if not force and is_current(kg):
            return MaterializeReport(ANALYTICS, False, version, 0, "current")
        if not writable(kg):
            return MaterializeReport(ANALYTICS, False, version, 0, "read-only store")
        quads = build_quads(kg, analytics, seed=seed)
        check_derived(quads)
        if data_version(kg) != version:  # data changed while computing: try again later
            return MaterializeReport(
                ANALYTICS, False, version, 0, "data changed during computation"
            )
        nq = cast(bytes, ox.serialize(quads, format=ox.RdfFormat.N_QUADS)).decode()
        kg.store.replace(drop_graphs=[ANALYTICS], insert_nquads=nq)
        _set_state(kg.store, (version, int(kg.store.version)))
        return MaterializeReport(ANALYTICS, True, version, len(quads))

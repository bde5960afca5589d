"""Network analytics: exact answers on hand-built graphs (signed balance, communities,
projections, conditions, guarantors, positions) and on the seed; the derived RDF graph;
exports; CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random

import networkx as nx
import pyoxigraph as ox
import pytest

import stancegraph
from stancegraph.analytics import Analytics, Options
from stancegraph.analytics.analyses import ensure_materialized
from stancegraph.analytics.balance import balance_partition, frustration
from stancegraph.analytics.centrality import betweenness, pagerank
from stancegraph.analytics.coalitions import communities
from stancegraph.analytics.conditions import critical_preconditions, deadlocks, sequencing
from stancegraph.analytics.export import sanitize, to_gexf, to_graphml, to_node_link
from stancegraph.analytics.frame import load_frame
from stancegraph.analytics.materialize import ANALYTICS, check_derived
from stancegraph.analytics.reading import READ_PREDICATES, READ_TYPES
from stancegraph.analytics.state import data_version, is_current
from stancegraph.analytics.triangles import triangle_balance
from stancegraph.cli.main import main as cli
from stancegraph.terms import ID, SPARQL_PREFIXES

A = f"{ID}actor/"
P = f"{ID}proposition/"
S = f"{ID}stance/"
SG = "https://w3id.org/stancegraph/ns#"


def slugs(values) -> set[str]:
    return {v.rsplit("/", 1)[-1] for v in values}


def signed(edges: list[tuple[str, str, int]], weights: dict | None = None) -> nx.Graph:
    G = nx.Graph()
    for u, v, s in edges:
        G.add_edge(u, v, sign=s, weight=s * (weights or {}).get((u, v), 1.0))
    return G


# =========================================================================== signed balance


TRIADS = {
    "+++": ((1, 1, 1), 0),
    "+--": ((1, -1, -1), 0),
    "---": ((-1, -1, -1), 1),
    "++-": ((1, 1, -1), 1),
}


@pytest.mark.parametrize("name", TRIADS)
def test_triads(name):
    signs, expected = TRIADS[name]
    G = signed([("a", "b", signs[0]), ("b", "c", signs[1]), ("a", "c", signs[2])])
    res = balance_partition(G)
    assert res.frustration == expected
    assert res.balanced is (expected == 0)
    assert res.method == "exact"
    assert frustration(G, res.camps)[0] == expected
    tri = triangle_balance(G)
    assert (tri["balanced"], tri["unbalanced"]) == ((1, 0) if expected == 0 else (0, 1))
    # the heuristic agrees on these
    assert balance_partition(G, exact_limit=0).frustration == expected


def test_balanced_triad_camps_are_the_obvious_ones():
    G = signed([("a", "b", 1), ("b", "c", -1), ("a", "c", -1)])
    res = balance_partition(G, anchors=["a"])
    assert res.camps == (["a", "b"], ["c"])


def planted(n: int, *, p: float = 0.5, noise: int = 0, seed: int = 1):
    rng = random.Random(seed)
    camp = set(range(n // 2))
    G = nx.Graph()
    G.add_nodes_from(range(n))
    for i, j in itertools.combinations(range(n), 2):
        if rng.random() < p:
            G.add_edge(i, j, sign=1 if (i in camp) == (j in camp) else -1)
    edges = sorted(G.edges())
    rng.shuffle(edges)
    for u, v in edges[:noise]:
        G.edges[u, v]["sign"] *= -1
    return G, camp


def test_two_camp_graph_recovered_exactly():
    G, camp = planted(10, p=1.0)
    res = balance_partition(G, anchors=[0])
    assert res.method == "exact"
    assert res.frustration == 0
    assert set(res.camps[0]) == camp and set(res.camps[1]) == set(range(10)) - camp
    # one flipped tie: still the planted camps, frustration 1
    G.edges[0, 9]["sign"] = 1
    res = balance_partition(G, anchors=[0])
    assert res.frustration == 1 and res.frustrated_edges == [(0, 9)]
    assert set(res.camps[0]) == camp


def test_exact_matches_brute_force_on_random_graphs():
    rng = random.Random(7)
    for trial in range(25):
        n = rng.randint(3, 8)
        G = nx.gnp_random_graph(n, 0.6, seed=trial)
        for u, v in G.edges:
            G.edges[u, v]["sign"] = rng.choice((1, -1))
        best = min(
            frustration(G, {i: (mask >> i) & 1 for i in range(n)})[0] for mask in range(1 << n)
        )
        res = balance_partition(G)
        assert res.frustration == best, (trial, res.frustration, best)
        heur = balance_partition(G, exact_limit=0, restarts=4)
        assert heur.method in ("heuristic", "trivial")
        assert heur.frustration >= best


def test_heuristic_finds_planted_partition_on_a_large_graph():
    G, camp = planted(60, p=0.3, noise=12, seed=3)
    res = balance_partition(G, anchors=[0], seed=0)
    assert res.method == "heuristic"
    assert set(res.camps[0]) == camp
    assert res.frustration == 12
    # deterministic for a seed
    again = balance_partition(G, anchors=[0], seed=0)
    assert again.camps == res.camps


def test_heuristic_without_noise_is_balanced():
    G, camp = planted(200, p=0.1, seed=5)
    res = balance_partition(G, anchors=[0])
    assert res.method == "heuristic" and res.frustration == 0
    assert set(res.camps[0]) == camp


def test_count_and_weight_objectives_differ():
    # the seed's state actors: Russia–Ukraine congruent, the US and UK doubt Russia
    w = {
        ("R", "U"): 1.25,
        ("R", "US"): 0.5,
        ("R", "UK"): 0.5,
        ("US", "UK"): 0.25,
        ("US", "U"): 0.25,
        ("UK", "U"): 0.25,
    }
    G = signed(
        [
            ("R", "U", 1),
            ("R", "US", -1),
            ("R", "UK", -1),
            ("US", "UK", 1),
            ("US", "U", 1),
            ("UK", "U", 1),
        ],
        w,
    )
    by_count = balance_partition(G, anchors=["R"])
    assert by_count.objective == "count"
    assert (by_count.frustration, by_count.frustration_weight) == (1, 1.25)
    assert by_count.camps == (["R"], ["U", "US", "UK"])
    by_weight = balance_partition(G, weight="weight", anchors=["R"])
    assert (by_weight.frustration, by_weight.frustration_weight) == (2, 0.5)
    assert by_weight.camps == (["R", "U"], ["US", "UK"])


def test_components_isolates_and_zero_ties():
    G = signed([("a", "b", -1), ("c", "d", 1)])
    G.add_node("z")
    G.add_edge("x", "y", sign=0)
    res = balance_partition(G, anchors=["d"])
    assert res.frustration == 0 and len(res.components) == 2
    assert res.isolated == ["z", "x", "y"]
    assert "d" in res.camps[0] and "c" in res.camps[0]
    assert frustration(nx.Graph(), [[], []]) == (0, 0.0, [])
    assert balance_partition(nx.Graph()).method == "trivial"


def test_communities_are_seeded_and_deterministic():
    G = nx.Graph()
    G.add_edges_from(itertools.combinations("abcde", 2), weight=1.0)
    G.add_edges_from(itertools.combinations("vwxyz", 2), weight=1.0)
    G.add_edge("e", "v", weight=0.1)
    parts = communities(G, seed=0)
    assert parts == [list("abcde"), list("vwxyz")]
    assert communities(G, seed=0, backend="networkx") == parts


def test_triangle_census_dense_and_sparse_agree():
    rng = random.Random(2)
    for trial in range(10):
        G = nx.gnp_random_graph(15, 0.5, seed=trial)
        for u, v in G.edges:
            G.edges[u, v]["sign"] = rng.choice((1, -1))
        assert triangle_balance(G) == triangle_balance(G, dense_limit=0)


def test_betweenness_exact_or_sampled():
    G = nx.path_graph(6)
    exact, how = betweenness(G, weight=None)
    assert how == "exact" and exact[2] == pytest.approx(nx.betweenness_centrality(G)[2])
    _, how = betweenness(G, weight=None, k=3)
    assert how == "sampled k=3"
    _, how = betweenness(G, weight=None, exact_limit=4)
    assert how == "exact"  # 64 pivots >= 6 nodes: exact anyway


def test_pagerank_fallback_matches_definition():
    G = nx.path_graph(3)
    pr = pagerank(G)
    assert pytest.approx(sum(pr.values()), abs=1e-9) == 1.0
    assert pr[1] > pr[0] == pytest.approx(pr[2])


# =========================================================================== hand-built KG

VOC = "https://w3id.org/stancegraph/vocab/"


def _entities() -> str:
    lines = []
    for slug, cls, extra in [
        ("a", "StateActor", ""),
        ("b", "StateActor", ""),
        ("c", "StateActor", ""),
        ("d", "StateActor", f"; <http://www.w3.org/ns/org#memberOf> <{A}alliance>"),
        ("alliance", "IntergovernmentalOrganization", ""),
        ("e", "Person", ""),
        ("f", "Person", f"; sg:state <{A}a>"),
        ("c-ministry", "GovernmentBody", f"; sg:state <{A}c>"),
    ]:
        lines.append(f'<{A}{slug}> a sg:{cls} ; rdfs:label "{slug.upper()}"@en {extra} .')
    for p in ("p1", "p2", "p3", "p4", "g"):
        lines.append(f'<{P}{p}> a sg:Proposition ; rdfs:label "{p.upper()}"@en .')
    lines.append(f"<{ID}negotiation/n> sg:party <{A}a>, <{A}b> .")
    return "\n".join(lines)


def _stance(slug, holder, target, pol, mod="asserted", date="2024-01-01", source="s1", extra=""):
    tgt = target if target.startswith("http") else f"{P}{target}"
    kind = "sg:GuarantorNomination, sg:Stance" if "nominee" in extra else "sg:Stance"
    body = (
        f'<{S}{slug}> a {kind} ; rdfs:label "{slug}"@en ; sg:holder <{A}{holder}> ; sg:target <{tgt}> ; '
        f"sg:polarity <{VOC}polarity/{pol}> ; sg:modality <{VOC}modality/{mod}> ; "
        f'sg:statedAt "{date}"^^xsd:date ; prov:wasDerivedFrom <{ID}source/{source}> {extra} .'
    )
    return source, body


def _condition(stance, n, ctype, requires):
    c = f"{S}{stance}/condition/{n}"
    return (
        f"<{S}{stance}> sg:condition <{c}> . <{c}> a sg:Condition ; "
        f"sg:conditionType <{VOC}condition-type/{ctype}> ; sg:requires <{P}{requires}> ."
    )


def hand_built_trig() -> str:
    stances = [
        _stance("a-p1", "a", "p1", "support"),
        _stance("b-p1", "b", "p1", "oppose"),
        _stance("e-p1", "e", "p1", "support", "possible"),
        _stance("a-p2", "a", "p2", "support", "reported"),
        _stance("b-p2", "b", "p2", "support"),
        _stance("b-p3", "b", "p3", "skeptical", date="2024-02-01"),
        _stance("a-p3", "a", "p3", "support"),
        _stance("c-p4-old", "c", "p4", "support"),
        _stance(
            "c-p4-new",
            "c",
            "p4",
            "oppose",
            date="2024-03-01",
            extra=f"; sg:supersedes <{S}c-p4-old>",
        ),
        _stance("b-doubts-a-p1", "b", f"{S}a-p1", "skeptical"),
        _stance("a-nominates-c", "a", "g", "support", extra=f"; sg:nominee <{A}c>"),
        _stance("a-nominates-d", "a", "g", "support", "possible", extra=f"; sg:nominee <{A}d>"),
        _stance("b-nominates-c", "b", "g", "support", extra=f"; sg:nominee <{A}c>"),
        _stance("b-rejects-d", "b", "g", "reject", extra=f"; sg:nominee <{A}d>"),
        _stance("e-doubts-a-nominates-c", "e", f"{S}a-nominates-c", "skeptical"),
        _stance("c-ministry-accepts-g", "c-ministry", "g", "support", source="s2"),
    ]
    conditions = [
        _condition("a-p1", 1, "only-if", "p2"),
        _condition("b-p2", 1, "only-after", "p3"),
        _condition("a-p3", 1, "in-exchange-for", "p1"),
        _condition("e-p1", 1, "unless", "p4"),
    ]
    by_source: dict[str, list[str]] = {}
    for src, body in stances:
        by_source.setdefault(src, []).append(body)
    by_source["s1"] += conditions
    out = [SPARQL_PREFIXES.replace("PREFIX ", "@prefix ").replace(">\n", "> .\n")]
    out.append(f"<{ID}graph/entities> {{\n{_entities()}\n}}")
    for src, bodies in by_source.items():
        out.append(f"<{ID}graph/source/{src}> {{\n" + "\n".join(bodies) + "\n}")
    return "\n".join(out)


@pytest.fixture(scope="module")
def hb() -> stancegraph.StanceGraph:
    kg = stancegraph.open(seed=False)
    kg.store.load(hand_built_trig(), ox.RdfFormat.TRIG)
    return kg


@pytest.fixture
def hba(hb) -> Analytics:
    return Analytics(hb, auto_materialize=False)


def test_frame_holder_kinds_and_supersedes(hba):
    f = hba.frame()
    assert f.actors[f"{A}e"].kind == "expert"
    assert f.actors[f"{A}f"].kind == "person"
    assert f.actors[f"{A}c-ministry"].kind == "organisation"
    assert f.actors[f"{A}d"].member_of == (f"{A}alliance",)
    assert f"{S}c-p4-old" in f.superseded
    assert f"{S}c-p4-old" not in {r.stance for r in f.stances}
    assert f.parties == [f"{A}a", f"{A}b"]
    states = {r.holder for r in hba.frame(holders="states").stances}
    assert slugs(states) == {"a", "b", "c"}
    actors = {r.holder for r in hba.frame(holders="actors").stances}
    assert slugs(actors) == {"a", "b", "c", "c-ministry"}


def test_signed_bipartite(hba):
    B = hba.bipartite()
    assert nx.is_bipartite(B)
    e = B.edges[f"{A}e", f"{P}p1"]
    assert (e["weight"], e["sign"], e["kind"], e["modality"]) == (0.5, 1, "stance", "possible")
    assert B.edges[f"{A}a", f"{P}p2"]["weight"] == 0.75
    assert B.edges[f"{A}c", f"{P}p4"]["weight"] == -1.0  # the superseding stance
    meta = B.edges[f"{A}b", f"{S}a-p1"]
    assert (meta["kind"], meta["weight"]) == ("meta", -0.5)
    assert B.nodes[f"{S}a-p1"]["kind"] == "stance" and B.nodes[f"{S}a-p1"]["holder"] == f"{A}a"
    # nominations are not support for the guarantee unless asked
    assert not B.has_edge(f"{A}a", f"{P}g")
    assert hba.bipartite(include_nominations=True).edges[f"{A}a", f"{P}g"]["count"] == 2
    assert not hba.bipartite(include_meta=False).has_node(f"{S}a-p1")


def test_actor_networks(hba):
    S_ = hba.actor_network()
    ab = S_.edges[f"{A}a", f"{A}b"]
    # p1: 1×−1, p2: .75×1, p3: 1×−.5, meta on a's stance: +1×−.5
    assert (ab["congruence"], ab["conflict"], ab["weight"], ab["sign"]) == (0.75, 2.0, -1.25, -1)
    assert set(ab["agree"]) == {f"{P}p2"} and set(ab["disagree"]) == {
        f"{P}p1",
        f"{P}p3",
        f"{S}a-p1",
    }
    ae = S_.edges[f"{A}a", f"{A}e"]  # agree on p1 (.5), e doubts a's nomination (−.5)
    assert (ae["congruence"], ae["conflict"], ae["sign"]) == (0.5, 0.5, 0)
    assert S_.edges[f"{A}b", f"{A}e"]["weight"] == -0.5
    assert S_.degree(f"{A}c") == 0  # holds a stance, shares none
    C = hba.congruence()
    assert {frozenset(e) for e in C.edges} == {
        frozenset((f"{A}a", f"{A}b")),
        frozenset((f"{A}a", f"{A}e")),
    }
    X = hba.conflict()
    assert X.edges[f"{A}a", f"{A}b"]["weight"] == 2.0
    assert hba.actor_network(include_meta=False).edges[f"{A}a", f"{A}b"]["conflict"] == 1.5


def test_coalitions_on_hand_built(hba):
    rep = hba.coalitions()
    b = rep.balance
    assert b.frustration == 0 and b.method == "exact"
    assert b.camps == ([f"{A}a", f"{A}e"], [f"{A}b"])  # camp 0: the first principal party
    assert set(b.isolated) == {f"{A}c", f"{A}c-ministry"}
    assert rep.network.nodes[f"{A}b"]["camp"] == 1


def test_dependency_graph_and_deadlock(hba):
    G = hba.dependencies()
    edges = {(u.rsplit("/", 1)[-1], v.rsplit("/", 1)[-1], d["holder"].rsplit("/", 1)[-1], d["condition_type"], d["precedence"])
             for u, v, d in G.edges(data=True)}  # fmt: skip
    assert edges == {
        ("p1", "p2", "a", "only-if", True),
        ("p2", "p3", "b", "only-after", True),
        ("p3", "p1", "a", "in-exchange-for", True),
        ("p1", "p4", "e", "unless", False),
    }
    rep = hba.conditions()
    assert not rep.acyclic
    assert rep.deadlock_components == [[f"{P}p1", f"{P}p2", f"{P}p3"]]
    (dl,) = rep.deadlocks
    assert dl.cycle == [f"{P}p1", f"{P}p2", f"{P}p3"]
    assert dl.holders == [f"{A}a", f"{A}b"] and dl.cross_holder
    assert [slugs(b.unmet) for b in rep.blocked] == [{"p2"}, {"p3"}, {"p1"}]
    assert all(b.deadlocked for b in rep.blocked)
    assert rep.sequence_deadlocked == [True]
    assert [(c.proposition.rsplit("/", 1)[-1], c.dependents) for c in rep.critical] == [
        ("p1", 2),
        ("p2", 2),
        ("p3", 2),
    ]
    met = hba.conditions(met=["p2"])
    assert {b.proposition.rsplit("/", 1)[-1]: slugs(b.unmet_transitive) for b in met.blocked} == {
        "p3": {"p1"}
    }
    # the expert's "unless" disappears with states only
    assert hba.dependencies(holders="states").number_of_edges() == 3


def test_condition_algorithms_on_plain_digraphs():
    D = nx.DiGraph([("a", "b"), ("b", "c")])
    assert sequencing(D) == ([["c"], ["b"], ["a"]], [False, False, False])
    assert deadlocks(D) == ([], [])
    D2 = nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d")])
    assert critical_preconditions(D2) == [("d", 3, 1), ("c", 2, 2)]
    D3 = nx.DiGraph([("x", "y"), ("y", "z"), ("z", "x"), ("y", "x")])
    comps, cycles = deadlocks(D3)
    assert comps == [["x", "y", "z"]] and cycles == [["x", "y"], ["x", "y", "z"]]


def test_guarantors_on_hand_built(hba):
    rep = hba.guarantors()
    assert rep.by_modality == {"asserted": [f"{A}c"], "possible": [f"{A}d"]}
    c, d = rep.nominee(f"{A}c"), rep.nominee(f"{A}d")
    assert c.nominated_by == [f"{A}a", f"{A}b"] and c.acceptable_to == [f"{A}a", f"{A}b"]
    assert c.own_position == "accepts" and c.own_stances[0].holder == f"{A}c-ministry"
    assert [(x.by, x.how) for x in c.contested_by] == [(f"{A}e", "meta-stance")]
    assert d.contested_by_party == [f"{A}b"] and d.contested_by[0].how == "negative-nomination"
    assert rep.acceptable_to_all_parties == [f"{A}c"]
    assert rep.uncontested == [f"{A}c"]
    assert rep.alliances[f"{A}alliance"]["nominees"] == [f"{A}d"]
    assert rep.graph.number_of_edges() == 4
    # with source s1 only, C's ministry has said nothing
    assert hba.guarantors(source="s1").nominee(f"{A}c").own_position == "silent"


def test_positions_on_hand_built(hba):
    rep = hba.positions()
    p1 = next(p for p in rep.polarisation if p.proposition == f"{P}p1")
    assert p1.contested and p1.actors == 3
    assert p1.std == pytest.approx(0.849837, abs=1e-6)
    assert rep.consensus_set == [f"{P}p2"] and rep.full_consensus == [f"{P}p2"]
    silent = hba.positions(include_silent=True).consensus_set
    assert set(silent) == {f"{P}p2", f"{P}p4", f"{P}g"}
    # unsigned ties a–b and b–e (a–e nets to zero): b is the only broker
    # one pair (a, e) of the 6 among 4 other actors goes through b: normalised 1/6
    assert rep.pivotal_actors[0].actor == f"{A}b"
    assert rep.pivotal_actors[0].betweenness == pytest.approx(1 / 6, abs=1e-6)
    assert rep.pivotal_actors[0].reason.startswith("broker")
    assert rep.measures["pivotal_actors.betweenness"].startswith("normalised")
    assert set(rep.tables()) == {
        "polarisation",
        "consensus",
        "pivotal_actors",
        "pivotal_propositions",
    }


def test_as_of_and_source_options(hba):
    early = hba.frame(as_of=dt.date(2024, 1, 15))
    held = {r.stance.rsplit("/", 1)[-1] for r in early.stances}
    assert "b-p3" not in held and "c-p4-new" not in held
    assert "c-p4-old" in held  # its successor is later: still current then
    assert hba.bipartite(as_of="2024-01-15").edges[f"{A}c", f"{P}p4"]["weight"] == 1.0
    assert {r.stance for r in hba.frame(source="s2").stances} == {f"{S}c-ministry-accepts-g"}
    assert hba.frame(source=f"{ID}source/s2").stances == hba.frame(source="s2").stances
    with pytest.raises(ValueError):
        Options(holders="everyone")
    with pytest.raises(TypeError):
        hba.frame(colour="red")


def test_cache_is_keyed_on_data_version(hb):
    an = Analytics(hb, auto_materialize=False)
    first = an.coalitions()
    assert an.coalitions() is first
    assert an.coalitions(holders="states") is not first
    hb.store.load(
        f'<{A}zz> a <{SG}StateActor> ; <http://www.w3.org/2000/01/rdf-schema#label> "ZZ" .',
        ox.RdfFormat.TURTLE,
        f"{ID}graph/entities",
    )
    again = an.coalitions()
    assert again is not first and again.balance.camps == first.balance.camps


# =========================================================================== the seed


@pytest.fixture(scope="module")
def an(seed) -> Analytics:
    return Analytics.of(seed)


def test_seed_conditional_stances_are_dependency_edges_with_holders(an):
    G = an.dependencies()
    edges = {(u.rsplit("/", 1)[-1], v.rsplit("/", 1)[-1], d["holder"].rsplit("/", 1)[-1], d["condition_type"])
             for u, v, d in G.edges(data=True)}  # fmt: skip
    # model v2: preferences only. Massie's summit remark and Medinsky's "peace will come
    # closer" are expectations, so they are not demands in the dependency graph.
    assert edges == {
        ("peace-agreement", "international-security-guarantee", "ukraine", "only-if"),
        ("putin-zelensky-summit", "peace-agreement", "russia", "only-after"),
        ("sanctions-relief", "end-of-war", "ukraine", "only-after"),
        ("end-of-war", "complete-russian-withdrawal", "canada", "only-if"),
    }
    assert G.number_of_edges() == 4
    roles = {d["holder"].rsplit("/", 1)[-1]: d["holder_role"] for *_, d in G.edges(data=True)}
    assert roles == {"ukraine": "party", "russia": "party", "canada": "third-party"}
    # asked for, the expectations' conditions come back, sufficient ones ordering nothing
    E = an.dependencies(expectations=True)
    extra = {(u.rsplit("/", 1)[-1], v.rsplit("/", 1)[-1], d["holder"].rsplit("/", 1)[-1],
              d["necessity"], d["precedence"])
             for u, v, d in E.edges(data=True)} - {
        (u.rsplit("/", 1)[-1], v.rsplit("/", 1)[-1], d["holder"].rsplit("/", 1)[-1],
         d["necessity"], d["precedence"])
        for u, v, d in G.edges(data=True)}  # fmt: skip
    assert extra == {
        ("peace-agreement", "progress-in-talks", "russia", "sufficient", False),
        ("peace-agreement", "mutual-compromises", "russia", "sufficient", False),
        ("putin-zelensky-summit", "peace-agreement", "justin-massie", "necessary", True),
        ("ceasefire", "ukrainian-neutrality", "ekaterina-piskunova", "sufficient", False),
    }


def test_seed_guarantors_asserted_and_possible(an):
    rep = an.guarantors()
    assert slugs(rep.by_modality["asserted"]) == {
        "united-states",
        "canada",
        "china",
        "france",
        "united-kingdom",
    }
    assert slugs(rep.by_modality["possible"]) == {"turkey", "germany", "poland", "israel"}
    assert set(rep.by_modality) == {"asserted", "possible"}
    assert all(n.nominated_by == [f"{A}ukraine"] for n in rep.nominees)
    assert all(n.own_position == "silent" and not n.contested_by for n in rep.nominees)
    assert rep.acceptable_to_all_parties == []  # Russia named no guarantor
    # model v2: Russia's view of each nominee is unknown, which is not an objection
    for n in rep.nominees:
        assert n.acceptability == {f"{A}russia": "unknown", f"{A}ukraine": "accepts"}
        assert n.unknown_to == [f"{A}russia"] and n.objected_by == [] and n.list_open is True
        assert n.contested_by_party == []
        assert slugs(n.nominee_propositions) == {
            n.nominee.rsplit("/", 1)[-1] + "-guarantees-ukraine-security"
        }
    assert len(rep.uncontested) == 9
    nato = rep.alliances[f"{A}nato"]
    assert slugs(nato["nominees"]) == {
        "united-states",
        "canada",
        "france",
        "united-kingdom",
        "turkey",
        "germany",
        "poland",
    }
    G = an.nominations()
    assert G.number_of_edges() == 9 and {d["modality"] for *_, d in G.edges(data=True)} == {
        "asserted",
        "possible",
    }


PLEDGE = f"{S}russia-pledges-reduced-activity-kyiv-chernihiv"
DOUBTERS = {"ukraine", "general-staff-ukraine", "united-states", "united-kingdom"}


def test_seed_doubt_links_doubters_to_russias_pledge(an):
    B = an.bipartite()
    linked = {u for u in B.neighbors(PLEDGE)}
    assert slugs(linked) == DOUBTERS
    for u in linked:
        d = B.edges[u, PLEDGE]
        assert (d["kind"], d["polarity"], d["weight"]) == ("meta", "skeptical", -0.5)
    assert B.nodes[PLEDGE]["holder"] == f"{A}russia"
    S_ = an.actor_network()
    for d in DOUBTERS:
        assert PLEDGE in S_.edges[f"{A}{d}", f"{A}russia"]["disagree"]


def test_seed_coalitions_and_balance(an):
    rep = an.coalitions()
    members = [slugs(c.members) for c in rep.coalitions]
    assert {"general-staff-ukraine", "united-kingdom", "united-states"} in members
    assert rep.balance.method == "exact"
    states = an.coalitions(holders="states")
    assert [slugs(c.members) for c in states.coalitions] == [
        {"russia", "ukraine"},
        {"united-kingdom", "united-states"},
    ]
    b = states.balance
    assert (b.frustration, b.frustration_weight) == (1, 1.5625)
    assert [slugs(c) for c in b.camps] == [
        {"russia"},
        {"ukraine", "united-states", "united-kingdom"},
    ]
    assert slugs(b.isolated) == {"canada", "romania"}
    bw = an.balance(holders="states", weight="weight")
    assert [slugs(c) for c in bw.camps] == [
        {"russia", "ukraine"},
        {"united-states", "united-kingdom"},
    ]
    tie = states.network.edges[f"{A}russia", f"{A}ukraine"]
    # v2: both parties want a compromise (as Massie reports them: reported, 0.75 each)
    assert (tie["congruence"], tie["conflict"], tie["weight"]) == (2.0625, 0.5, 1.5625)


def test_seed_conditions_findings(an):
    rep = an.conditions()
    assert rep.acyclic and rep.deadlocks == []
    assert [slugs(s) for s in rep.sequence] == [
        {"complete-russian-withdrawal", "international-security-guarantee"},
        {"end-of-war", "peace-agreement"},
        {"putin-zelensky-summit", "sanctions-relief"},
    ]
    assert slugs(b.proposition for b in rep.blocked) == {
        "end-of-war",
        "peace-agreement",
        "putin-zelensky-summit",
        "sanctions-relief",
    }
    top = {c.proposition.rsplit("/", 1)[-1] for c in rep.critical if c.dependents == 2}
    assert top == {"complete-russian-withdrawal", "international-security-guarantee"}


def test_seed_positions(an):
    rep = an.positions()
    assert slugs(rep.parties) == {"russia", "ukraine"}
    # v2: Russia's "peace will come closer" is an expectation, so the peace agreement is
    # no longer common ground; both parties want a compromise (as Massie reports them)
    assert slugs(rep.full_consensus) == {
        "progress-in-talks",
        "mutual-compromises",
        "putin-zelensky-summit",
    }
    assert slugs(rep.consensus_set) == {
        "progress-in-talks", "peace-agreement", "putin-zelensky-summit", "ukrainian-neutrality",
        "cut-ukraine-off-black-sea", "reduce-military-activity-kyiv-chernihiv",
        "international-security-guarantee", "sanctions-relief", "review-of-ukrainian-proposals",
        "mutual-compromises", "russian-territorial-gains", "russian-capture-of-mariupol",
        "mislead-ukrainian-military-command",
    }  # fmt: skip
    # v2: no actor supports the arms supply any more (the UK was a coding error), and the
    # experts' forecasts are not preferences: nothing is contested between the parties
    assert not any(p.contested for p in rep.polarisation)
    talks = next(p for p in rep.polarisation if p.proposition == f"{P}progress-in-talks")
    # Massie's "means nothing in the short term" is an expectation now, not opposition
    assert (talks.n_for, talks.n_against, talks.n_neutral) == (2, 0, 2)
    assert rep.pivotal_actors[0].actor == f"{A}russia" and rep.pivotal_actors[0].betweenness > 0
    assert rep.pivotal_propositions[0].betweenness > 0
    assert an.positions(backend="networkx").pivotal_actors == rep.pivotal_actors
    assert rep.methods == {
        "pivotal_actors.betweenness": "exact",
        "pivotal_propositions.betweenness": "exact",
    }


def test_seed_reports_as_dataframes_and_json(an):
    for rep in (an.coalitions(), an.guarantors(), an.conditions(), an.positions()):
        tables = rep.tables()
        assert tables and all(len(df) for df in tables.values())
        json.dumps(rep.as_dict(), default=str)
    ties = an.coalitions().tables()["ties"]
    assert ties["frustrated"].sum() == an.coalitions().balance.frustration


def test_kg_analytics_property_when_wired(seed):
    if not hasattr(type(seed), "analytics"):
        pytest.skip("StanceGraph.analytics not added to graph.py yet")
    assert seed.analytics is Analytics.of(seed)


def test_seed_as_of_before_the_talks_is_empty(an):
    assert an.bipartite(as_of=dt.date(2022, 3, 28)).number_of_edges() == 0
    assert an.conditions(as_of=dt.date(2022, 3, 28)).dependencies == []


def test_seed_layout_truncates_big_graphs(an):
    lay = an.layout(max_nodes=5)
    assert lay.truncated and len(lay.nodes) == 5 and lay.total_nodes == 33
    assert f"{A}ukraine" in {n["id"] for n in lay.nodes}  # the most engaged actor


def test_seed_layout_is_seeded(an):
    lay = an.layout()
    kinds = {n["kind"] for n in lay.nodes}
    assert kinds == {"actor", "proposition", "stance"}
    assert all(-1.0 <= n["x"] <= 1.0 and -1.0 <= n["y"] <= 1.0 for n in lay.nodes)
    assert Analytics(an.kg, auto_materialize=False).layout().nodes == lay.nodes
    assert {e["polarity"] for e in lay.edges} >= {"support", "skeptical"}


# =========================================================================== derived RDF


def test_materialized_graph_is_derived_and_current():
    kg = stancegraph.open()
    an = Analytics(kg)
    before = load_frame(kg).stances
    assert not is_current(kg)
    an.coalitions()  # first use materialises
    assert is_current(kg) and ANALYTICS in kg.store.named_graphs()
    written = kg.select("SELECT ?g ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", g=ANALYTICS)
    assert written and not {r["p"] for r in written} & READ_PREDICATES
    assert not {r["o"] for r in written if r["p"].endswith("#type")} & READ_TYPES
    v = data_version(kg)
    rows = kg.select(
        SPARQL_PREFIXES
        + "SELECT ?g ?v ?run WHERE { ?g a sg:DerivedGraph ; sg:derivedFromVersion ?v ; prov:wasGeneratedBy ?run . "
        "?run a sg:AnalyticsRun . FILTER NOT EXISTS { ?g a sg:SourceGraph } }",
        g=ANALYTICS,
    )
    assert [r["v"] for r in rows] == [v]
    assert load_frame(kg).stances == before  # never read back
    assert not ensure_materialized(kg)  # current: nothing to do
    # a data change makes it stale; the next use regenerates it
    kg.store.load(f"<{A}zz> a <{SG}StateActor> .", ox.RdfFormat.TURTLE, f"{ID}graph/entities")
    assert not is_current(kg)
    assert ensure_materialized(kg) and is_current(kg)
    q = SPARQL_PREFIXES + "SELECT ?g ?v WHERE { ?g sg:derivedFromVersion ?v }"
    assert kg.select(q, g=ANALYTICS)[0]["v"] == data_version(kg)


def test_derived_graph_refuses_source_data():
    g = ox.NamedNode(ANALYTICS)
    bad = ox.Quad(ox.NamedNode(f"{S}x"), ox.NamedNode(f"{SG}holder"), ox.NamedNode(f"{A}a"), g)
    with pytest.raises(RuntimeError):
        check_derived([bad])
    typed = ox.Quad(
        ox.NamedNode(f"{S}x"),
        ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode(f"{SG}Stance"),
        g,
    )
    with pytest.raises(RuntimeError):
        check_derived([typed])


def test_sparql_joins_analytics_with_data(seed, an):
    an.ensure_materialized()
    q = (
        SPARQL_PREFIXES
        + """
    SELECT DISTINCT ?actor ?ukraine ?pledge WHERE {
      ?ukraine sg:inCamp ?camp . ?actor sg:inCamp ?camp .
      ?doubt sg:holder ?actor ; sg:polarity polarity:skeptical ; sg:target ?pledge .
    } ORDER BY ?actor"""
    )
    rows = seed.select(q, ukraine=f"{A}ukraine", pledge=PLEDGE)
    assert slugs(r["actor"] for r in rows) == DOUBTERS
    q2 = (
        SPARQL_PREFIXES
        + """
    SELECT ?p WHERE { ?p sg:fullConsensus true } ORDER BY ?p"""
    )
    assert slugs(r["p"] for r in seed.select(q2)) == {
        "progress-in-talks",
        "mutual-compromises",
        "putin-zelensky-summit",
    }
    q3 = SPARQL_PREFIXES + "SELECT ?n ?m WHERE { ?n sg:nominationModality ?m }"
    assert len(seed.select(q3, m="https://w3id.org/stancegraph/vocab/modality/possible")) == 4


def test_materialized_seed_still_validates(seed, an):
    an.ensure_materialized()
    assert seed.validate().conforms


def test_ontology_declares_every_analytics_term():
    from rdflib import Graph, Namespace
    from rdflib.namespace import OWL, RDF, RDFS

    from stancegraph import resources

    g = Graph().parse(resources.ontology_dir() / "analytics.ttl")
    sg = Namespace(SG)
    terms = {
        s
        for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in g.subjects(RDF.type, t)
    }
    for t in terms:
        assert g.value(t, RDFS.label) and g.value(t, RDFS.comment), t
        if (t, RDF.type, OWL.Class) not in g:
            assert g.value(t, RDFS.domain) and g.value(t, RDFS.range), t
    kg = stancegraph.open()
    Analytics(kg).materialize()
    written = kg.select(
        "SELECT DISTINCT ?g ?t WHERE { GRAPH ?g { { ?s ?t ?o } UNION { ?s a ?t } } }", g=ANALYTICS
    )
    mine = {r["t"] for r in written if r["t"].startswith(SG)}
    assert len(mine) > 20
    assert mine <= {str(t) for t in terms}
    assert (sg.DerivedGraph, OWL.disjointWith, sg.SourceGraph) in g


# =========================================================================== exports


def test_exports_round_trip(an, tmp_path):
    G = an.coalitions().network
    to_graphml(G, tmp_path / "g.graphml")
    H = nx.read_graphml(tmp_path / "g.graphml")
    assert H.number_of_nodes() == G.number_of_nodes() and H.number_of_edges() == G.number_of_edges()
    u, v = f"{A}russia", f"{A}ukraine"
    assert H.edges[u, v]["weight"] == G.edges[u, v]["weight"]
    assert isinstance(H.edges[u, v]["agree"], str)  # lists joined
    to_gexf(an.dependencies(), tmp_path / "d.gexf")
    D = nx.read_gexf(tmp_path / "d.gexf")
    assert D.number_of_edges() == 4
    data = to_node_link(an.nominations())
    json.dumps(data)
    back = nx.node_link_graph(data, edges="edges")
    assert back.number_of_edges() == 9
    clean = sanitize(
        nx.Graph([(1, 2, {"x": None, "d": dt.date(2022, 3, 29), "l": (1, 2), "inf": float("inf")})])
    )
    assert clean.edges["1", "2"] == {"d": "2022-03-29", "l": "1; 2"}
    assert "graphml" in an.export("positions", "graphml")


# =========================================================================== CLI


def test_cli_analyze(capsys, tmp_path):
    assert cli(["analyze", "guarantors", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert slugs(out["by_modality"]["possible"]) == {"turkey", "germany", "poland", "israel"}
    assert cli(["analyze", "conditions"]) == 0
    text = capsys.readouterr().out
    assert "Deadlocks: none" in text and "Feasible sequence" in text
    assert (
        cli(
            [
                "analyze",
                "coalitions",
                "--holders",
                "states",
                "--export",
                "gexf",
                "--output",
                str(tmp_path / "c.gexf"),
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "frustration index 1" in captured.out and "wrote gexf" in captured.err
    assert nx.read_gexf(tmp_path / "c.gexf").number_of_nodes() == 6
    assert cli(["analyze", "positions", "--as-of", "2022-03-29", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["options"]["as_of"] == "2022-03-29"
    assert cli(["analyze", "coalitions", "--export", "graphml"]) == 2
    with pytest.raises(SystemExit):
        cli(["analyze", "coalitions", "--as-of", "yesterday"])


# =========================================================================== optimised = reference
# The analytics compute some things faster than the obvious way (frame rows as CSV,
# numpy pair generation for the actor ties, bitset reachability, a leaner Brandes). On a
# generated ~10k-triple graph they must give what the obvious way gives, float for float.


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> stancegraph.StanceGraph:
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks.generate import write_file
    from stancegraph.ingest.bootstrap import load_ontology

    path = tmp_path_factory.mktemp("gen") / "sg-10k.nq"
    write_file(path, 10_000, seed=3)
    store = stancegraph.OxigraphStore()
    load_ontology(store)
    store.bulk_load(path, ox.RdfFormat.N_QUADS)
    return stancegraph.StanceGraph(store)


def _reference_select(kg, sparql, **bindings):
    """Rows the slow, obvious way: every term through ``to_python``, then as plain text."""
    from stancegraph.graph import to_result

    for row in to_result(
        kg.store.query(sparql, substitutions=bindings, union_default_graph=True)
    ).rows:
        yield {
            k: (None if v is None else ("true" if v is True else "false" if v is False else str(v)))
            for k, v in row.items()
        }


def test_frame_rows_equal_the_term_by_term_conversion(generated, monkeypatch):
    from stancegraph.analytics import frame

    for opts in ({}, {"holders": "states"}, {"as_of": "2024-06-01"}):
        fast = load_frame(generated, Options(**opts))
        with monkeypatch.context() as m:
            m.setattr(frame, "select", _reference_select)
            slow = load_frame(generated, Options(**opts))
        assert fast.stances and fast.stances == slow.stances, opts
        assert fast.conditions == slow.conditions and fast.actors == slow.actors
        assert fast.propositions == slow.propositions and fast.parties == slow.parties
        assert fast.stance_labels == slow.stance_labels and fast.superseded == slow.superseded


def _reference_ties(frame, include_meta=True):
    """The pairwise loop that the vectorised accumulation of ties must equal."""
    from stancegraph.analytics.networks import _held_positions

    by_target = _held_positions(frame, include_meta)
    ties = {}
    for target in sorted(by_target):
        held = sorted(by_target[target].items())
        for i, (a, wa) in enumerate(held):
            for b, wb in held[i + 1 :]:
                t = ties.setdefault((a, b), [0.0, 0.0, [], []])
                prod = wa * wb
                if prod > 0:
                    t[0] += prod
                    t[2].append(target)
                else:
                    t[1] += -prod
                    t[3].append(target)
    return sorted(ties.items())


def test_actor_ties_equal_the_pairwise_loop(generated):
    from stancegraph.analytics.networks import signed_actor_network

    frame = load_frame(generated)
    for meta in (True, False):
        want = _reference_ties(frame, meta)
        G = signed_actor_network(frame, include_meta=meta)
        got = [((u, v) if u < v else (v, u), d) for u, v, d in G.edges(data=True)]
        assert len(got) == len(want) > 100
        for ((a, b), d), ((ra, rb), (cong, conf, agree, disagree)) in zip(
            sorted(got, key=lambda e: e[0]), want, strict=True
        ):
            assert (a, b) == (ra, rb)
            assert d["congruence"] == round(cong, 12) and d["conflict"] == round(conf, 12)
            assert d["agree"] == tuple(agree) and d["disagree"] == tuple(disagree)


def test_betweenness_equals_networkx_float_for_float(generated):
    from stancegraph.analytics.centrality import _unsigned, _unsigned_betweenness

    an = Analytics(generated, auto_materialize=False)
    for G in (an.actor_network(), an.bipartite()):
        U = _unsigned(G)
        for k in (None, 16):
            want = nx.betweenness_centrality(U, k=k, seed=5, weight="distance", normalized=True)
            assert betweenness(U, k=k, seed=5)[0] == want
            assert _unsigned_betweenness(G, None, k, 5)[0] == want
    from stancegraph.analytics.centrality import DENSE_DEGREE

    dense = nx.gnp_random_graph(100, 0.7, seed=2)  # the batched numpy searches
    assert 2 * dense.number_of_edges() >= DENSE_DEGREE * len(dense)
    for u, v in dense.edges:
        dense.edges[u, v]["distance"] = 1 / random.Random(u * 101 + v).choice(
            [0.25, 0.5, 1 / 3, 1.0]
        )
    for k in (None, 70):
        want = nx.betweenness_centrality(dense, k=k, seed=1, weight="distance")
        assert betweenness(dense, k=k, seed=1)[0] == want


def test_pagerank_equals_the_textbook_iteration(generated):
    C = Analytics(generated, auto_materialize=False).congruence()
    nodes, alpha = list(C), 0.85
    out_w = {u: sum(d["weight"] for d in C.adj[u].values()) for u in nodes}
    x = dict.fromkeys(nodes, 1 / len(nodes))
    for _ in range(1000):
        last = x
        dangling = alpha * sum(last[u] for u in nodes if out_w[u] == 0) / len(nodes)
        x = dict.fromkeys(nodes, (1 - alpha) / len(nodes) + dangling)
        for u in nodes:
            for v, d in C.adj[u].items():
                x[v] += alpha * last[u] * d["weight"] / out_w[u]
        if sum(abs(x[u] - last[u]) for u in nodes) < len(nodes) * 1e-10:
            break
    got = pagerank(C)
    assert got.keys() == x.keys()
    assert all(abs(got[n] - x[n]) < 1e-9 for n in nodes)


def test_reachability_equals_graph_searches(generated):
    from stancegraph.analytics.conditions import precedence_graph, reachable

    D = precedence_graph(Analytics(generated, auto_materialize=False).dependencies())
    assert D.number_of_nodes() > 10 and not nx.is_directed_acyclic_graph(D)  # with a deadlock
    met = set(sorted(D)[::5])
    for skip in (set(), met):
        H = D.subgraph([n for n in D if n not in skip])
        got = reachable(D, skip)
        for n in H:
            want = set().union(*(nx.descendants(H, s) | {s} for s in H.successors(n)))
            assert got[n] == sorted(want), n
    counts = {n: dep for n, dep, _ in critical_preconditions(D)}
    for n, dep in counts.items():
        assert dep == len(nx.ancestors(D, n) - {n})


# --------------------------------------------------------------------------- collector pause


def test_paused_gc_nests_and_restores_the_collector() -> None:
    import gc
    import threading

    from stancegraph.analytics.gcpause import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer computation is still running
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    # Overlapping pauses from two threads: back on only when the last one ends.
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with paused_gc():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(10)
    with paused_gc():
        pass
    assert not gc.isenabled()
    release.set()
    t.join(10)
    assert gc.isenabled()


def test_analyses_leave_the_collector_on() -> None:
    import gc

    an = Analytics(stancegraph.open(), auto_materialize=False)
    an.coalitions()
    an.positions()
    an.materialize(force=True)
    assert gc.isenabled()


def test_own_copy_keeps_order_and_shares_nothing() -> None:
    from stancegraph.analytics.networks import own_copy

    rng = random.Random(3)
    G = nx.Graph(kind="test")
    G.add_nodes_from((n, {"label": f"n{n}"}) for n in rng.sample(range(60), 60))
    for _ in range(300):
        u, v = rng.sample(range(60), 2)
        G.add_edge(u, v, weight=rng.random())
    H = own_copy(G)
    assert list(H.nodes(data=True)) == list(G.nodes(data=True))
    assert list(H.edges(data=True)) == list(G.edges(data=True))
    assert H.graph == G.graph
    u, v = next(iter(H.edges))
    H.nodes[u]["camp"] = 1
    H.edges[u, v]["weight"] = -1.0
    H.graph["kind"] = "changed"
    assert "camp" not in G.nodes[u] and G.edges[u, v]["weight"] != -1.0
    assert G.graph["kind"] == "test"


def test_coalition_network_is_the_signed_actor_network(seed) -> None:
    from stancegraph.analytics.networks import signed_actor_network

    report = Analytics(seed, auto_materialize=False).coalitions()
    S = signed_actor_network(seed)
    assert list(report.network.edges(data=True)) == list(S.edges(data=True))
    assert list(report.network.nodes) == list(S.nodes)


def test_positions_without_meta_are_the_same_computed_or_derived(seed) -> None:
    from stancegraph.analytics.networks import positions

    fresh = load_frame(seed, Options.make())
    computed = positions(fresh, include_meta=False)
    derived_from = load_frame(seed, Options.make())
    with_meta = positions(derived_from, include_meta=True)
    derived = positions(derived_from, include_meta=False)
    assert any(p.kind == "meta" for p in with_meta.values())
    assert list(derived.items()) == list(computed.items())


def test_plot_helpers_draw_each_analysis_in_process(an: Analytics, tmp_path) -> None:
    """The plots of the fast subset (test_user_consistency draws them in a fresh process)."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reports = {"c": an.coalitions(), "g": an.guarantors(), "d": an.conditions()}
    titles = {"c": "frustration index", "g": "Guarantor nominations", "d": "Condition dependencies"}
    for name, report in reports.items():
        fig = report.plot()
        try:
            assert titles[name] in fig.axes[0].get_title()
            fig.savefig(tmp_path / f"{name}.png")
            assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
            if name == "g":  # one marker per nomination: the nine of the seed
                assert len(fig.axes[0].collections) == 9
        finally:
            plt.close(fig)

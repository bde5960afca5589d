"""Synthetic stance graphs for benchmarks, in the stancegraph data model.

Writes N-Quads lines directly (no RDF library), deterministically for a ``--seed``:

- entities graph (``id/graph/entities``): state actors with territories, persons with
  ``org:Membership`` records, intergovernmental, research and news organisations,
  negotiation rounds, propositions with demand types;
- one named graph per source (``id/graph/source/<slug>``, typed ``sg:SourceGraph``,
  ``prov:wasDerivedFrom`` the source) holding the source's metadata and its stances: each
  stance with holder, optional speaker, target, polarity, speech act, modality, date,
  confidence and 1-2 evidence annotations (annotation -> specific resource -> source,
  paragraph, quote selector);
- conditions whose ``sg:requires`` form a DAG between propositions (a stance on proposition
  *i* requires one of the ~30 propositions before it) plus a few back edges (cycles);
- meta-stances (skeptical / oppose stances targeting earlier stances of other actors) and
  guarantor nominations (``sg:GuarantorNomination`` with an ``sg:nominee`` and, model v2, a
  per-nominee ``sg:nomineeProposition`` narrower than the guarantee); reported stances name
  a relay (``sg:relayedVia``, model v2).

Scale with ``--triples N`` (approximate: sources are added until N is reached; ~26
triples per stance). Example::

    python benchmarks/generate.py --triples 1000000 --out /tmp/sg-1m.nq
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

SG = "https://w3id.org/stancegraph/ns#"
ID = "https://w3id.org/stancegraph/id/"
VOCAB = "https://w3id.org/stancegraph/vocab/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"

ENTITIES_GRAPH = f"<{ID}graph/entities>"
ONTOLOGY_GRAPH = f"<{ID}graph/ontology>"

POLARITIES = [
    "support",
    "conditional-support",
    "commitment",
    "neutral",
    "skeptical",
    "oppose",
    "reject",
]
# Polarity weights when the holder's bloc favours / does not favour the proposition.
POLARITY_AGREE = [45, 20, 10, 10, 5, 7, 3]
POLARITY_DISAGREE = [8, 10, 2, 10, 20, 35, 15]
SPEECH_ACTS = {
    "support": ["demand", "proposal", "assessment", "appeal"],
    "conditional-support": ["demand", "proposal", "warning"],
    "commitment": ["pledge", "announcement"],
    "neutral": ["assessment", "announcement"],
    "skeptical": ["assessment", "criticism"],
    "oppose": ["rejection", "criticism", "warning"],
    "reject": ["rejection", "criticism"],
}
MODALITIES = ["asserted", "reported", "possible"]
MODALITY_WEIGHTS = [70, 20, 10]
CONDITION_TYPES = ["only-if", "only-after", "in-exchange-for", "unless"]
DEMAND_TYPES = [
    "security-guarantee",
    "neutrality",
    "troop-withdrawal",
    "de-escalation",
    "ceasefire",
    "sanctions-relief",
    "new-sanctions",
    "arms-supply",
    "leaders-summit",
    "agreement",
    "end-of-war",
    "peace-settlement",
    "sovereignty",
    "civil-protection",
    "military-operations",
    "prisoner-exchange",
    "humanitarian-corridor",
    "nuclear-safety",
    "territorial-status",
    "diplomatic-talks",
]
PERSON_ROLES = [
    "head-of-state",
    "foreign-minister",
    "head-of-delegation",
    "spokesperson",
    "defence-minister",
    "chief-negotiator",
    "ambassador",
    "adviser",
]
WORDS = [
    "talks",
    "progress",
    "security",
    "guarantee",
    "neutrality",
    "withdrawal",
    "troops",
    "ceasefire",
    "sanctions",
    "relief",
    "summit",
    "leaders",
    "agreement",
    "peace",
    "settlement",
    "sovereignty",
    "territory",
    "forces",
    "border",
    "negotiators",
    "delegation",
    "proposal",
    "demand",
    "condition",
    "only",
    "after",
    "before",
    "unless",
    "exchange",
    "we",
    "will",
    "not",
    "accept",
    "cannot",
    "support",
    "the",
    "of",
    "in",
    "and",
    "for",
    "our",
    "their",
    "any",
    "must",
    "should",
    "would",
]

BASE_DATE = dt.date(2022, 2, 24)
SPAN_DAYS = 1000


def iri(path: str) -> str:
    return f"<{ID}{path}>"


def sg(name: str) -> str:
    return f"<{SG}{name}>"


def concept(scheme: str, key: str) -> str:
    return f"<{VOCAB}{scheme}/{key}>"


def en(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"@en'


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


class Writer:
    """Counts and writes quads as N-Quads lines."""

    def __init__(self, out):
        self.out = out
        self.count = 0
        self._buf: list[str] = []

    def add(self, s: str, p: str, o: str, g: str) -> None:
        self._buf.append(f"{s} {p} {o} {g} .\n")
        self.count += 1
        if len(self._buf) >= 20000:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self._buf))
        self._buf.clear()


def ontology_nquads() -> str:
    """Ontology + vocabularies as N-Quads in the ontology graph (for --with-ontology)."""
    import pyoxigraph as ox

    root = Path(__file__).resolve().parent.parent / "ontology"
    store = ox.Store()
    graph = ox.NamedNode(ONTOLOGY_GRAPH[1:-1])
    for name in ("stancegraph.ttl", "vocabularies.ttl"):
        store.load(path=str(root / name), format=ox.RdfFormat.TURTLE, to_graph=graph)
    quads = sorted(store, key=str)
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode()


def sizes_for(triples: int) -> dict[str, int]:
    """Entity counts for a target size (stances are added until the target is reached)."""
    est_stances = max(10, triples // 27)
    states = min(190, max(8, est_stances // 120))
    return {
        "states": states,
        "persons_per_state": 2,
        "igos": 3 + states // 20,
        "research": 2 + states // 10,
        "news": max(4, states // 5),
        "propositions": min(5000, max(20, est_stances // 20)),
        "rounds": max(3, est_stances // 2000),
    }


def generate(out, triples: int, seed: int = 1, with_ontology: bool = False) -> dict[str, int]:
    """Write a synthetic stance graph of about ``triples`` quads to ``out`` (text stream)."""
    rng = random.Random(seed)
    w = Writer(out)
    if with_ontology:
        text = ontology_nquads()
        out.write(text)
        w.count += text.count("\n")
    n = sizes_for(triples)
    E = ENTITIES_GRAPH
    a = RDF_TYPE
    label = f"<{RDFS}label>"

    # ------------------------------------------------------------------ actors
    # Each actor belongs to a "bloc" (0..2); propositions are favoured by one bloc, which
    # makes agreement structure (coalitions) non-random.
    actors: list[str] = []
    weights: list[float] = []
    bloc: dict[str, int] = {}
    persons_of: dict[str, list[str]] = {}
    states: list[str] = []
    process = iri("negotiation/synthetic-process")
    w.add(process, a, sg("NegotiationProcess"), E)
    w.add(process, label, en("Synthetic negotiation process"), E)

    for i in range(n["states"]):
        slug = f"state-{i:03d}"
        s = iri(f"actor/{slug}")
        place = iri(f"place/{slug}-territory")
        states.append(s)
        bloc[s] = i % 3
        actors.append(s)
        weights.append(1.0 / (i + 3) ** 0.9)
        w.add(s, a, sg("StateActor"), E)
        w.add(s, label, en(f"State {i}"), E)
        w.add(s, sg("territory"), place, E)
        w.add(s, f"<{SCHEMA}description>", en(f"Synthetic state actor {i}."), E)
        w.add(place, a, f"<{SCHEMA}Country>", E)
        w.add(place, label, en(f"Territory of state {i}"), E)
        persons_of[s] = []
        for j in range(n["persons_per_state"]):
            pslug = f"person-{i:03d}-{j}"
            p = iri(f"actor/{pslug}")
            m = iri(f"actor/{pslug}/membership/1")
            persons_of[s].append(p)
            bloc[p] = bloc[s]
            actors.append(p)
            weights.append(0.3 / (i + 3) ** 0.9)
            role = PERSON_ROLES[(i + j) % len(PERSON_ROLES)]
            w.add(p, a, sg("Person"), E)
            w.add(p, label, en(f"Person {i}-{j}"), E)
            w.add(p, f"<{SCHEMA}name>", en(f"Person {i}-{j}"), E)
            w.add(p, sg("state"), s, E)
            w.add(m, a, f"<{ORG}Membership>", E)
            w.add(m, f"<{ORG}member>", p, E)
            w.add(m, f"<{ORG}organization>", s, E)
            w.add(m, f"<{ORG}role>", concept("role", role), E)
            w.add(m, label, en(f"{role.replace('-', ' ').title()} of State {i}"), E)
            w.add(m, sg("attestedOn"), typed(BASE_DATE.isoformat(), "date"), E)

    for i in range(n["igos"]):
        s = iri(f"actor/igo-{i:02d}")
        bloc[s] = i % 3
        actors.append(s)
        weights.append(0.2 / (i + 3))
        w.add(s, a, sg("IntergovernmentalOrganization"), E)
        w.add(s, label, en(f"Intergovernmental organisation {i}"), E)
        for k in range(3):
            member = states[(i * 7 + k * 5) % len(states)]
            w.add(member, f"<{ORG}memberOf>", s, E)
    for i in range(n["research"]):
        s = iri(f"actor/research-{i:02d}")
        bloc[s] = rng.randrange(3)
        actors.append(s)
        weights.append(0.1 / (i + 3))
        w.add(s, a, sg("ResearchOrganization"), E)
        w.add(s, label, en(f"Research centre {i}"), E)
        w.add(s, sg("state"), states[i % len(states)], E)
    news: list[str] = []
    for i in range(n["news"]):
        s = iri(f"actor/news-{i:02d}")
        news.append(s)
        w.add(s, a, sg("NewsOrganization"), E)
        w.add(s, label, en(f"News outlet {i}"), E)

    rounds: list[str] = []
    for i in range(n["rounds"]):
        r = iri(f"negotiation/round-{i:03d}")
        rounds.append(r)
        w.add(r, a, sg("NegotiationRound"), E)
        w.add(r, label, en(f"Negotiation round {i}"), E)
        w.add(r, f"<{DCTERMS}isPartOf>", process, E)
        w.add(r, sg("party"), states[i % len(states)], E)
        w.add(r, sg("party"), states[(i + 1) % len(states)], E)
        day = BASE_DATE + dt.timedelta(days=i * SPAN_DAYS // n["rounds"])
        w.add(r, f"<{SCHEMA}startDate>", typed(day.isoformat(), "date"), E)

    # ------------------------------------------------------------------ propositions
    props: list[str] = []
    prop_bloc: list[int] = []
    guarantee_props: list[int] = []
    for i in range(n["propositions"]):
        p = iri(f"proposition/prop-{i:04d}")
        props.append(p)
        prop_bloc.append(rng.randrange(3))
        dtype = DEMAND_TYPES[0] if i % 25 == 0 else rng.choice(DEMAND_TYPES)
        if dtype == "security-guarantee":
            guarantee_props.append(i)
        w.add(p, a, sg("Proposition"), E)
        w.add(p, label, en(f"Proposition {i} ({dtype.replace('-', ' ')})"), E)
        w.add(p, sg("demandType"), concept("demand-type", dtype), E)
        if rng.random() < 0.5:
            w.add(p, sg("actorToAct"), rng.choice(states), E)
        if rng.random() < 0.4:
            w.add(p, sg("beneficiary"), rng.choice(states), E)
        if rng.random() < 0.5:
            w.add(p, sg("inNegotiation"), process, E)
    # Popularity of propositions: a mild power law, so a few are hot.
    prop_weights = [1.0 / (i % 97 + 5) ** 0.8 for i in range(len(props))]
    rng.shuffle(prop_weights)

    cum_actor = _cumulative(weights)
    cum_prop = _cumulative(prop_weights)
    all_stances: list[tuple[str, str]] = []  # (stance, holder), for meta-stances
    nominee_props: set[str] = set()  # per-nominee propositions written so far
    stats = {
        "stances": 0,
        "meta_stances": 0,
        "nominations": 0,
        "conditions": 0,
        "back_edges": 0,
        "sources": 0,
    }
    max_back_edges = max(2, len(props) // 150)
    # Expected conditions ~ 0.24 per stance; aim to place all back edges early enough.
    p_back = min(0.3, 3 * max_back_edges / max(1.0, 0.24 * triples / 27))
    deps: dict[int, set[int]] = {}  # proposition -> propositions its stances require
    back: list[tuple[int, int]] = []

    # ------------------------------------------------------------------ sources
    # Sources are spread over SPAN_DAYS; the number of sources is not known in advance,
    # so the date advances by the expected share of the target size each source takes.
    src = 0
    est_sources = max(1, (triples - w.count) // 520)
    while w.count < triples:
        day = BASE_DATE + dt.timedelta(days=min(SPAN_DAYS, src * SPAN_DAYS // est_sources))
        slug = f"{day.isoformat()}-report-{src:05d}"
        source = iri(f"source/{slug}")
        G = iri(f"graph/source/{slug}")
        paragraphs = rng.randint(10, 40)
        title = f"Synthetic report {src} on the negotiations"
        w.add(G, a, sg("SourceGraph"), G)
        w.add(G, f"<{PROV}wasDerivedFrom>", source, G)
        w.add(G, label, en(f"Stances drawn from: {title}"), G)
        w.add(source, a, f"<{SCHEMA}NewsArticle>", G)
        w.add(source, a, f"<{PROV}Entity>", G)
        w.add(source, f"<{SCHEMA}headline>", en(title), G)
        w.add(source, label, en(title), G)
        w.add(source, f"<{SCHEMA}publisher>", news[src % len(news)], G)
        if src % 2:
            published = typed(
                f"{day.isoformat()}T{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}:00Z",
                "dateTime",
            )
        else:
            published = typed(day.isoformat(), "date")
        w.add(source, f"<{SCHEMA}datePublished>", published, G)
        w.add(source, f"<{SCHEMA}inLanguage>", '"en"', G)
        w.add(source, sg("paragraphCount"), typed(paragraphs, "integer"), G)
        w.add(source, f"<{SCHEMA}url>", f'"https://example.org/news/{slug}"', G)

        for k in range(rng.randint(8, 30)):
            if w.count >= triples and k > 0:
                break
            st = f"stance/{slug}-{k:02d}"
            s = iri(st)
            holder = rng.choices(actors, cum_weights=cum_actor)[0]
            r = rng.random()
            nominee = None
            pidx = None
            if r < 0.04 and all_stances:
                kind = "meta"
                target, other = all_stances[rng.randrange(len(all_stances))]
                if other == holder:
                    target, other = all_stances[rng.randrange(len(all_stances))]
                polarity = "skeptical" if rng.random() < 0.7 else "oppose"
            elif r < 0.06 and guarantee_props:
                kind = "nomination"
                holder = rng.choice(states)
                nominee = rng.choice(states)
                while nominee == holder:
                    nominee = rng.choice(states)
                pidx = rng.choice(guarantee_props)
                target = props[pidx]
                polarity = "support"
            else:
                kind = "stance"
                pidx = rng.choices(range(len(props)), cum_weights=cum_prop)[0]
                target = props[pidx]
                agree = bloc[holder] == prop_bloc[pidx]
                polarity = rng.choices(POLARITIES, POLARITY_AGREE if agree else POLARITY_DISAGREE)[
                    0
                ]
                if polarity == "conditional-support" and pidx == 0:
                    polarity = "support"  # nothing precedes proposition 0 in the DAG
            stated = day - dt.timedelta(days=rng.choice((0, 0, 0, 1, 2)))
            speaker = None
            if holder in persons_of and rng.random() < 0.6:
                speaker = rng.choice(persons_of[holder])

            w.add(s, a, sg("Stance"), G)
            if kind == "nomination":
                w.add(s, a, sg("GuarantorNomination"), G)
                w.add(s, sg("nominee"), nominee, G)
                # model v2: the per-nominee proposition ("X guarantees …"), once per pair
                pp = iri(f"proposition/prop-{pidx:04d}-by-{nominee.rsplit('/', 1)[-1][:-1]}")
                if pp not in nominee_props:
                    nominee_props.add(pp)
                    w.add(pp, a, sg("Proposition"), E)
                    w.add(pp, label, en(f"Proposition {pidx} guaranteed by a nominee"), E)
                    w.add(pp, sg("demandType"), concept("demand-type", "security-guarantee"), E)
                    w.add(pp, sg("actorToAct"), nominee, E)
                    w.add(pp, f"<{SKOS}broader>", target, E)
                w.add(s, sg("nomineeProposition"), pp, G)
                stats["nominations"] += 1
            elif kind == "meta":
                stats["meta_stances"] += 1
            w.add(s, label, en(f"Synthetic {kind} {slug}-{k:02d} ({polarity})"), G)
            w.add(s, sg("holder"), holder, G)
            if speaker:
                w.add(s, sg("voicedBy"), speaker, G)
            w.add(s, sg("target"), target, G)
            w.add(s, sg("polarity"), concept("polarity", polarity), G)
            if kind == "nomination":
                w.add(s, sg("speechAct"), concept("speech-act", "proposal"), G)
            elif rng.random() < 0.9:
                w.add(
                    s, sg("speechAct"), concept("speech-act", rng.choice(SPEECH_ACTS[polarity])), G
                )
            modality = rng.choices(MODALITIES, MODALITY_WEIGHTS)[0]
            w.add(s, sg("modality"), concept("modality", modality), G)
            if modality == "reported":  # model v2: who relayed it (here: the publisher)
                relay = iri(f"{st}/relay/1")
                w.add(s, sg("relayedVia"), relay, G)
                w.add(relay, a, sg("Relay"), G)
                w.add(relay, f"<{PROV}agent>", news[src % len(news)], G)
                w.add(relay, sg("relayOrder"), typed(1, "integer"), G)
            w.add(s, sg("statedAt"), typed(stated.isoformat(), "date"), G)
            if rng.random() < 0.5:
                w.add(
                    s,
                    sg("inNegotiation"),
                    rounds[min(len(rounds) - 1, src * len(rounds) // est_sources)],
                    G,
                )
            w.add(s, sg("confidence"), typed(f"{rng.uniform(0.5, 0.99):.2f}", "decimal"), G)
            w.add(s, f"<{PROV}wasDerivedFrom>", source, G)
            if rng.random() < 0.1:
                w.add(
                    s,
                    sg("rationale"),
                    en("Encoded from the report's paraphrase of the speaker."),
                    G,
                )

            # Conditions: always for conditional support, sometimes otherwise.
            n_cond = 0
            if kind == "stance" and pidx:
                if polarity == "conditional-support":
                    n_cond = 1 if rng.random() < 0.6 else 2
                elif rng.random() < 0.08:
                    n_cond = 1
            for c in range(1, n_cond + 1):
                cond = iri(f"{st}/condition/{c}")
                req = rng.randrange(max(0, pidx - 30), pidx)
                if stats["back_edges"] < max_back_edges and rng.random() < p_back:
                    # A back edge to a later proposition that already depends on this
                    # one closes a precondition cycle (a sequencing deadlock).
                    later = [
                        q
                        for q in range(pidx + 1, min(len(props), pidx + 31))
                        if _reaches(deps, q, pidx)
                    ]
                    if later:
                        req = later[0]
                        stats["back_edges"] += 1
                        back.append((pidx, req))
                deps.setdefault(pidx, set()).add(req)
                ctype = rng.choice(CONDITION_TYPES)
                w.add(s, sg("condition"), cond, G)
                w.add(cond, a, sg("Condition"), G)
                w.add(cond, sg("conditionType"), concept("condition-type", ctype), G)
                w.add(cond, sg("requires"), props[req], G)
                w.add(
                    cond, f"<{RDFS}comment>", en(f"{ctype.replace('-', ' ')} proposition {req}"), G
                )
                stats["conditions"] += 1

            # Evidence: annotation -> specific resource (source, paragraph) -> quote.
            for e in range(1, 2 if rng.random() < 0.75 else 3):
                ann = iri(f"{st}/evidence/{e}")
                tgt = iri(f"{st}/evidence/{e}/target")
                w.add(s, sg("hasEvidence"), ann, G)
                w.add(ann, a, f"<{OA}Annotation>", G)
                w.add(ann, f"<{OA}motivatedBy>", f"<{OA}describing>", G)
                w.add(ann, f"<{OA}hasBody>", s, G)
                w.add(ann, f"<{OA}hasTarget>", tgt, G)
                if speaker:
                    w.add(ann, sg("quotedSpeaker"), speaker, G)
                w.add(tgt, a, f"<{OA}SpecificResource>", G)
                w.add(tgt, f"<{OA}hasSource>", source, G)
                w.add(tgt, sg("paragraph"), typed(rng.randint(1, paragraphs), "integer"), G)
                if rng.random() < 0.85:
                    quote = iri(f"{st}/evidence/{e}/quote")
                    w.add(tgt, f"<{OA}hasSelector>", quote, G)
                    w.add(quote, a, f"<{OA}TextQuoteSelector>", G)
                    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
                    w.add(quote, f"<{OA}exact>", en(words), G)

            all_stances.append((s, holder))
            stats["stances"] += 1
        src += 1
    w.flush()
    stats["sources"] = src
    stats["cycles"] = sum(1 for p, req in back if _reaches(deps, req, p))
    stats.update(triples=w.count, actors=len(actors) + len(news), propositions=len(props))
    return stats


def _reaches(deps: dict[int, set[int]], start: int, goal: int) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for nxt in deps.get(todo.pop(), ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for x in weights:
        total += x
        out.append(total)
    return out


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1m`` -> 1000000, ``2500`` -> 2500."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def write_file(
    path: str | Path,
    triples: int,
    seed: int = 1,
    with_ontology: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        stats = generate(f, triples, seed, with_ontology)
    tmp.replace(path)
    if progress:
        progress(f"generated {path} ({stats['triples']:,} quads)")
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", default="10k", help="target size, e.g. 10000, 100k, 1m")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="output N-Quads file ('-' for stdout)")
    ap.add_argument(
        "--with-ontology",
        action="store_true",
        help="also write the ontology and vocabularies into id/graph/ontology",
    )
    args = ap.parse_args(argv)
    n = parse_size(args.triples)
    if args.out == "-":
        stats = generate(sys.stdout, n, args.seed, args.with_ontology)
    else:
        stats = write_file(args.out, n, args.seed, args.with_ontology)
    print(json.dumps(stats), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

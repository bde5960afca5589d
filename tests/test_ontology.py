"""The ontology, vocabularies and SHACL shapes: they parse, are documented, agree with
docs/data-model.md, and the shapes accept a hand-built valid graph and reject each kind of
error with a message that names the field."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS

from stancegraph import resources
from stancegraph.terms import CAMEO, ID, PAX, SG, SPARQL_PREFIXES, VOCAB, concept

SH = Namespace("http://www.w3.org/ns/shacl#")
# plain IRIs: pytest introspects module globals, and rdflib warns on unknown XSD attributes
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = resources.ontology_dir() / "stancegraph.ttl"
VOCABULARIES = resources.ontology_dir() / "vocabularies.ttl"
SHAPES = resources.shapes_file()
DATA_MODEL = ROOT / "docs" / "data-model.md"

PREFIXES = SPARQL_PREFIXES + "".join(
    f"PREFIX {p}: <{iri}>\n"
    for p, iri in {
        "cameo": str(CAMEO),
        "pax": str(PAX),
        "sgsh": "https://w3id.org/stancegraph/shapes#",
        **{
            kind: f"{ID}{kind}/"
            for kind in ("actor", "place", "negotiation", "proposition", "source", "stance")
        },
    }.items()
)
TURTLE_PREFIXES = PREFIXES.replace("PREFIX ", "@prefix ").replace(">\n", "> .\n")

SCHEME_NAMES = ("polarity", "speech-act", "modality", "condition-type", "demand-type", "role")


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


@cache
def vocabularies() -> Graph:
    return Graph().parse(VOCABULARIES)


@cache
def shapes() -> Graph:
    return Graph().parse(SHAPES)


@cache
def ont_graph() -> Graph:
    """What the project passes to pyshacl as ont_graph: ontology plus vocabularies."""
    g = Graph()
    for path in resources.ontology_files():
        g.parse(path)
    return g


def data_graph(data: Graph) -> Graph:
    """The data graph as the project validates it: the data plus the vocabularies (and the
    ontology), so that skos:inScheme of every concept used is visible to the shapes."""
    g = Graph()
    g += data
    g += ont_graph()
    return g


def scheme_iri(name: str) -> URIRef:
    return URIRef(f"{VOCAB}{name}")


def concepts_in(name: str) -> set[URIRef]:
    return set(vocabularies().subjects(SKOS.inScheme, scheme_iri(name)))


def sg_terms(g: Graph, kinds: tuple[URIRef, ...]) -> set[URIRef]:
    return {
        s
        for kind in kinds
        for s in g.subjects(RDF.type, kind)
        if isinstance(s, URIRef) and str(s).startswith(str(SG))
    }


# --------------------------------------------------------------------------------------
# The three files
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY, VOCABULARIES, SHAPES], ids=lambda p: p.name)
def test_file_parses_as_turtle(path):
    g = Graph().parse(path, format="turtle")
    assert len(g) > 50
    assert "<<" not in path.read_text(encoding="utf-8"), "no RDF-star in canonical files"


def test_ontology_header():
    onto = URIRef("https://w3id.org/stancegraph/ns")
    g = ontology()
    assert (onto, RDF.type, OWL.Ontology) in g
    assert g.value(onto, OWL.versionInfo) == Literal("0.2.0")
    dcterms = Namespace("http://purl.org/dc/terms/")
    for p in (dcterms.title, dcterms.description, dcterms.license, dcterms.created):
        assert g.value(onto, p) is not None, p


def test_every_sg_term_has_label_and_comment():
    g = ontology()
    terms = sg_terms(g, (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty))
    assert len(terms) >= 45
    for term in terms:
        assert g.value(term, RDFS.label) is not None, f"{term} lacks rdfs:label"
        assert g.value(term, RDFS.comment) is not None, f"{term} lacks rdfs:comment"


def test_every_sg_term_in_the_data_model_is_declared():
    if not DATA_MODEL.exists():
        pytest.skip("docs/data-model.md not in this distribution")
    used = set(re.findall(r"\bsg:([A-Za-z][A-Za-z0-9]*)", DATA_MODEL.read_text(encoding="utf-8")))
    declared = {
        str(t).removeprefix(str(SG))
        for t in sg_terms(ontology(), (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty))
    }
    assert used, "no sg: terms found in docs/data-model.md"
    assert used <= declared, f"undeclared: {sorted(used - declared)}"


def test_extra_terms_requested_for_the_model_are_declared():
    g = ontology()
    classes = {"SourceGraph"}
    props = {
        "paragraph", "quotedSpeaker", "attestedOn", "state", "territory", "originalLanguage",
        "paragraphCount", "beneficiary", "confidence", "rationale",
    }  # fmt: skip
    for name in classes:
        assert (SG[name], RDF.type, OWL.Class) in g
    for name in props:
        assert any(
            (SG[name], RDF.type, kind) in g for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        ), name
    assert (SG.GuarantorNomination, RDFS.subClassOf, SG.Stance) in g
    assert g.value(SG.confidence, RDFS.range) == XSD_DECIMAL
    assert (SG.SourceGraph, RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Entity")) in g


def test_functional_properties():
    g = ontology()
    for name in ("holder", "polarity", "modality", "statedAt", "target"):
        assert (SG[name], RDF.type, OWL.FunctionalProperty) in g, name


def test_target_range_is_proposition_or_stance():
    g = ontology()
    rng = g.value(SG.target, RDFS.range)
    members = set(g.items(g.value(rng, OWL.unionOf)))
    assert members == {SG.Proposition, SG.Stance}


def test_actor_classes_align_with_reused_vocabularies():
    g = ontology()
    prov = Namespace("http://www.w3.org/ns/prov#")
    foaf = Namespace("http://xmlns.com/foaf/0.1/")
    schema = Namespace("https://schema.org/")
    assert {prov.Agent, foaf.Agent} <= set(g.objects(SG.Actor, RDFS.subClassOf))
    assert {SG.Actor, schema.Person, foaf.Person} <= set(g.objects(SG.Person, RDFS.subClassOf))
    for cls in (SG.Proposition, SG.Stance):
        assert prov.Entity in set(g.objects(cls, RDFS.subClassOf))


# --------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------


def documented_vocabulary_keys() -> dict[str, set[str]]:
    """Keys listed per scheme in the 'Vocabularies' section of docs/data-model.md."""
    text = DATA_MODEL.read_text(encoding="utf-8")
    section = text.split("## Vocabularies", 1)[1].split("\n## ", 1)[0]
    keys: dict[str, set[str]] = {}
    current = None
    for line in section.splitlines():
        bullet = re.match(r"^- ([a-z ]+?)(?: \([^)]*\))?:", line)
        if bullet:
            current = bullet.group(1).replace(" ", "-")
            keys[current] = set()
        elif not line.startswith("  "):
            current = None
        if current:
            keys[current] |= set(re.findall(r"`([a-z0-9-]+)`", line))
    return keys


def test_documented_keys_are_parsed():
    if not DATA_MODEL.exists():
        pytest.skip("docs/data-model.md not in this distribution")
    keys = documented_vocabulary_keys()
    assert set(keys) == set(SCHEME_NAMES)
    assert {"support", "conditional-support", "reject"} <= keys["polarity"]
    assert len(keys["demand-type"]) >= 15
    assert len(keys["role"]) >= 12


@pytest.mark.parametrize("scheme", SCHEME_NAMES)
def test_every_documented_key_exists(scheme):
    if not DATA_MODEL.exists():
        pytest.skip("docs/data-model.md not in this distribution")
    documented = documented_vocabulary_keys()[scheme]
    present = concepts_in(scheme)
    missing = {k for k in documented if URIRef(concept(scheme, k)) not in present}
    assert not missing, f"{scheme}: missing {sorted(missing)}"


@pytest.mark.parametrize("scheme", (*SCHEME_NAMES, "cameo", "pa-x"))
def test_scheme_and_concepts_are_complete(scheme):
    g = vocabularies()
    iri = scheme_iri(scheme)
    assert not str(iri).endswith("/")
    assert (iri, RDF.type, SKOS.ConceptScheme) in g
    members = concepts_in(scheme)
    assert members
    for c in members:
        assert str(c).startswith(f"{iri}/"), c
        assert (c, RDF.type, SKOS.Concept) in g
        label = g.value(c, SKOS.prefLabel)
        assert isinstance(label, Literal) and label.language == "en", c
        notation = g.value(c, SKOS.notation)
        assert notation is not None and str(notation) == str(c).rsplit("/", 1)[1], c
        if scheme in SCHEME_NAMES:
            definition = g.value(c, SKOS.definition)
            assert isinstance(definition, Literal) and definition.language == "en", c
        top = g.value(c, SKOS.topConceptOf)
        assert top in (None, iri)
        if top is None:
            assert g.value(c, SKOS.broader) in members, f"{c}: neither top concept nor broader"


@pytest.mark.parametrize(
    ("scheme", "weights"),
    [
        ("polarity", {"support": 1, "conditional-support": 0.5, "commitment": 1,
                      "neutral": 0, "skeptical": -0.5, "oppose": -1, "reject": -1}),
        ("modality", {"asserted": 1.0, "reported": 0.75, "possible": 0.5}),
    ],
)  # fmt: skip
def test_weights_are_decimal_rdf_values(scheme, weights):
    g = vocabularies()
    for c in concepts_in(scheme):
        value = g.value(c, RDF.value)
        assert isinstance(value, Literal) and value.datatype == XSD_DECIMAL, c
    for key, weight in weights.items():
        assert float(g.value(URIRef(concept(scheme, key)), RDF.value)) == weight, key


def test_every_speech_act_has_a_cameo_close_match():
    g = vocabularies()
    cameo = concepts_in("cameo")
    for c in concepts_in("speech-act"):
        matches = set(g.objects(c, SKOS.closeMatch))
        assert matches & cameo, f"{c} has no CAMEO skos:closeMatch"


def test_mappings_point_at_defined_cameo_and_pax_concepts():
    g = vocabularies()
    defined = concepts_in("cameo") | concepts_in("pa-x")
    for p in (SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch, SKOS.exactMatch):
        for _, target in g.subject_objects(p):
            if str(target).startswith((str(CAMEO), str(PAX))):
                assert target in defined, target
    # the headline mappings
    assert (URIRef(concept("demand-type", "ceasefire")), SKOS.closeMatch, CAMEO["0871"]) in g
    assert (URIRef(concept("demand-type", "ceasefire")), SKOS.closeMatch, PAX.Ce) in g
    assert (URIRef(concept("demand-type", "new-sanctions")), SKOS.closeMatch, CAMEO["163"]) in g


def test_cameo_notations_are_official_codes():
    g = vocabularies()
    for c in concepts_in("cameo"):
        code = str(g.value(c, SKOS.notation))
        assert re.fullmatch(r"\d{2,4}", code), code
        broader = g.value(c, SKOS.broader)
        if broader is not None:
            assert code.startswith(str(g.value(broader, SKOS.notation))), code


def test_role_concepts_are_org_roles():
    g = vocabularies()
    org_role = URIRef("http://www.w3.org/ns/org#Role")
    roles = concepts_in("role")
    assert len(roles) >= 20
    for c in roles:
        assert (c, RDF.type, org_role) in g, c


# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------

STANCE = ID["stance/ua-neutrality-for-guarantees"]
CONDITION = URIRef(f"{STANCE}/condition/1")
EVIDENCE = URIRef(f"{STANCE}/evidence/1")
EVIDENCE_TARGET = URIRef(f"{EVIDENCE}/target")
NOMINATION = ID["stance/ua-nominates-turkey"]
META = ID["stance/ru-doubts-neutrality-offer"]
NEUTRALITY = ID["proposition/ukraine-neutrality"]
GUARANTEES = ID["proposition/security-guarantees-for-ukraine"]
SOURCE = ID["source/istanbul-talks-report"]
UKRAINE = ID["actor/ukraine"]

VALID_TTL = """
actor:ukraine a sg:StateActor ; rdfs:label "Ukraine"@en ;
    owl:sameAs wd:Q212 ; sg:territory place:ukraine .
actor:russia a sg:StateActor ; rdfs:label "Russia"@en ; owl:sameAs wd:Q159 .
actor:turkey a sg:StateActor ; rdfs:label "Turkey"@en ; owl:sameAs wd:Q43 .
actor:nato a sg:IntergovernmentalOrganization ; rdfs:label "NATO"@en .
actor:ukraine-delegation a sg:Delegation ; rdfs:label "Ukrainian delegation"@en ;
    sg:state actor:ukraine .
actor:david-arakhamia a sg:Person ; rdfs:label "David Arakhamia"@en ;
    sg:state actor:ukraine .
<https://w3id.org/stancegraph/id/actor/david-arakhamia/membership/1> a org:Membership ;
    org:member actor:david-arakhamia ; org:organization actor:ukraine-delegation ;
    org:role role:head-of-delegation ; rdfs:label "head of the Ukrainian delegation"@en ;
    sg:attestedOn "2022-03-29"^^xsd:date .
actor:example-wire a sg:NewsOrganization ; rdfs:label "Example Wire"@en .
place:ukraine a schema:Country ; rdfs:label "Ukraine"@en .
place:istanbul a schema:City ; rdfs:label "Istanbul"@en .

negotiation:istanbul-round a sg:NegotiationRound ; rdfs:label "Istanbul round"@en ;
    sg:party actor:russia , actor:ukraine ; sg:host actor:turkey ;
    schema:location place:istanbul ; schema:startDate "2022-03-29"^^xsd:date .

proposition:ukraine-neutrality a sg:Proposition ;
    rdfs:label "Ukraine is a neutral, non-nuclear state"@en ;
    sg:demandType demandtype:neutrality ; sg:actorToAct actor:ukraine ;
    sg:inNegotiation negotiation:istanbul-round .
proposition:security-guarantees-for-ukraine a sg:Proposition ;
    rdfs:label "Guarantor states give Ukraine binding security guarantees"@en ;
    sg:demandType demandtype:security-guarantee ; sg:beneficiary actor:ukraine .
proposition:turkey-guarantees-ukraine a sg:Proposition ;
    rdfs:label "Turkey guarantees Ukraine's security"@en ;
    sg:demandType demandtype:security-guarantee ; sg:beneficiary actor:ukraine ;
    sg:actorToAct actor:turkey ; skos:broader proposition:security-guarantees-for-ukraine .

source:istanbul-talks-report a schema:NewsArticle , prov:Entity ;
    schema:headline "Report on the Istanbul round"@en ;
    schema:publisher actor:example-wire ;
    schema:datePublished "2022-03-29T21:30:00+03:00"^^xsd:dateTime ;
    schema:inLanguage "en" ; sg:paragraphCount 12 .
<https://w3id.org/stancegraph/id/graph/source/istanbul-talks-report> a sg:SourceGraph ;
    prov:wasDerivedFrom source:istanbul-talks-report .

stance:ua-neutrality-for-guarantees a sg:Stance ;
    sg:holder actor:ukraine ; sg:voicedBy actor:david-arakhamia ;
    sg:target proposition:ukraine-neutrality ;
    sg:polarity polarity:conditional-support ; sg:speechAct speechact:proposal ;
    sg:modality modality:asserted ; sg:statedAt "2022-03-29"^^xsd:date ;
    sg:inNegotiation negotiation:istanbul-round ;
    sg:condition <https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/condition/1> ;
    sg:hasEvidence <https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1> ;
    sg:confidence 0.9 ; sg:rationale "Neutrality only with guarantees."@en ;
    prov:wasDerivedFrom source:istanbul-talks-report .
<https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/condition/1> a sg:Condition ;
    sg:conditionType conditiontype:in-exchange-for ;
    sg:requires proposition:security-guarantees-for-ukraine .
<https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1> a oa:Annotation ;
    oa:motivatedBy oa:describing ;
    oa:hasBody stance:ua-neutrality-for-guarantees ;
    oa:hasTarget <https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1/target> ;
    sg:quotedSpeaker actor:david-arakhamia .
<https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1/target> a oa:SpecificResource ;
    oa:hasSource source:istanbul-talks-report ; sg:paragraph 3 ;
    oa:hasSelector <https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1/quote> .
<https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1/quote> a oa:TextQuoteSelector ;
    oa:exact "neutral status in exchange for security guarantees"@en .

stance:ua-nominates-turkey a sg:GuarantorNomination ;
    sg:holder actor:ukraine ; sg:target proposition:security-guarantees-for-ukraine ;
    sg:nominee actor:turkey ; sg:polarity polarity:support ;
    sg:nomineeProposition proposition:turkey-guarantees-ukraine ;
    sg:listOpenness listopenness:open ;
    sg:modality modality:possible ; sg:statedAt "2022-03-29"^^xsd:date ;
    sg:hasEvidence <https://w3id.org/stancegraph/id/stance/ua-nominates-turkey/evidence/1> .
<https://w3id.org/stancegraph/id/stance/ua-nominates-turkey/evidence/1> a oa:Annotation ;
    oa:hasBody stance:ua-nominates-turkey ;
    oa:hasTarget <https://w3id.org/stancegraph/id/stance/ua-nominates-turkey/evidence/1/target> .
<https://w3id.org/stancegraph/id/stance/ua-nominates-turkey/evidence/1/target> a oa:SpecificResource ;
    oa:hasSource source:istanbul-talks-report ; sg:paragraph 4 .

stance:ru-doubts-neutrality-offer a sg:Stance ;
    sg:holder actor:russia ; sg:target stance:ua-neutrality-for-guarantees ;
    sg:polarity polarity:skeptical ; sg:speechAct speechact:assessment ;
    sg:modality modality:reported ; sg:statedAt "2022-03-28"^^xsd:date ;
    sg:relayedVia <https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/relay/1> ;
    sg:hasEvidence <https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/evidence/1> .
<https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/relay/1> a sg:Relay ;
    prov:agent actor:example-wire ; sg:relayOrder 1 .
<https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/inferred/stated> a sg:InferredFact ;
    rdf:subject stance:ru-doubts-neutrality-offer ; rdf:predicate sg:statedAt ;
    rdf:object "2022-03-28"^^xsd:date ; sg:basis "The report says 'Monday'."@en .
<https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/evidence/1> a oa:Annotation ;
    oa:hasBody stance:ru-doubts-neutrality-offer ;
    oa:hasTarget <https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/evidence/1/target> .
<https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/evidence/1/target> a oa:SpecificResource ;
    oa:hasSource source:istanbul-talks-report ; sg:paragraph 7 .
"""


@cache
def valid_data() -> Graph:
    return Graph().parse(data=TURTLE_PREFIXES + VALID_TTL, format="turtle")


@dataclass(frozen=True)
class Result:
    focus: URIRef
    path: URIRef | None
    severity: URIRef
    message: str
    shape: URIRef | None


def run_shacl(data: Graph, inference: str = "rdfs") -> tuple[bool, list[Result]]:
    conforms, report, _ = validate(
        data_graph(data),
        shacl_graph=shapes(),
        ont_graph=ont_graph(),
        inference=inference,
        allow_warnings=True,
    )
    results = [
        Result(
            focus=report.value(r, SH.focusNode),
            path=report.value(r, SH.resultPath),
            severity=report.value(r, SH.resultSeverity),
            message=" ".join(str(m) for m in report.objects(r, SH.resultMessage)),
            shape=report.value(r, SH.sourceShape),
        )
        # every result, nested ones too (as stancegraph.validation.reference reads them): the shapes
        # avoid sh:node, so no sh:detail results add noise for curators
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]
    return conforms, results


def mutated(update: str) -> Graph:
    g = Graph()
    g += valid_data()
    g.update(PREFIXES + update)
    return g


@pytest.mark.parametrize("inference", ["rdfs", "none"])
def test_valid_graph_conforms_without_findings(inference):
    conforms, results = run_shacl(valid_data(), inference)
    assert conforms, results
    assert results == []


def test_validation_is_fast():
    start = time.perf_counter()
    run_shacl(valid_data())
    assert time.perf_counter() - start < 10


S = "stance:ua-neutrality-for-guarantees"
C = "<https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/condition/1>"
E = "<https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1>"
T = "<https://w3id.org/stancegraph/id/stance/ua-neutrality-for-guarantees/evidence/1/target>"
SRC = "source:istanbul-talks-report"
N = "stance:ua-nominates-turkey"
P = "proposition:ukraine-neutrality"
M = "stance:ru-doubts-neutrality-offer"
RELAY = URIRef(f"{META}/relay/1")
R = f"<{RELAY}>"
INFERRED = URIRef(f"{META}/inferred/stated")
INF = f"<{INFERRED}>"
OCCASION = ID["occasion/a-call"]
OCC = f"<{OCCASION}>"

BROKEN = {
    # name: (SPARQL update, focus node, path, words the message must contain)
    "missing holder": (
        f"DELETE WHERE {{ {S} sg:holder ?x }}", STANCE, SG.holder, "exactly one sg:holder"),
    "two holders": (
        f"INSERT DATA {{ {S} sg:holder actor:russia }}", STANCE, SG.holder, "sg:holder"),
    "holder not an actor": (
        f"DELETE {{ {S} sg:holder ?x }} INSERT {{ {S} sg:holder {P} }} WHERE {{ {S} sg:holder ?x }}",
        STANCE, SG.holder, "sg:Actor"),
    "missing target": (
        f"DELETE WHERE {{ {S} sg:target ?x }}", STANCE, SG.target, "exactly one sg:target"),
    "target is an actor": (
        f"DELETE {{ {S} sg:target ?x }} INSERT {{ {S} sg:target actor:russia }} "
        f"WHERE {{ {S} sg:target ?x }}",
        STANCE, SG.target, "sg:Proposition or an sg:Stance"),
    "self-target": (
        f"DELETE {{ {S} sg:target ?x }} INSERT {{ {S} sg:target {S} }} WHERE {{ {S} sg:target ?x }}",
        STANCE, SG.target, "own sg:target"),
    "two polarities": (
        f"INSERT DATA {{ {S} sg:polarity polarity:oppose }}", STANCE, SG.polarity,
        "exactly one sg:polarity"),
    "polarity not in scheme": (
        f"DELETE {{ {S} sg:polarity ?x }} INSERT {{ {S} sg:polarity modality:asserted }} "
        f"WHERE {{ {S} sg:polarity ?x }}",
        STANCE, SG.polarity, "polarity scheme"),
    "missing polarity": (
        f"DELETE WHERE {{ {S} sg:polarity ?x }}", STANCE, SG.polarity, "sg:polarity"),
    "two speech acts": (
        f"INSERT DATA {{ {S} sg:speechAct speechact:demand }}", STANCE, SG.speechAct,
        "at most one sg:speechAct"),
    "speech act not in scheme": (
        f"DELETE {{ {S} sg:speechAct ?x }} INSERT {{ {S} sg:speechAct polarity:support }} "
        f"WHERE {{ {S} sg:speechAct ?x }}",
        STANCE, SG.speechAct, "speech-act scheme"),
    "missing modality": (
        f"DELETE WHERE {{ {S} sg:modality ?x }}", STANCE, SG.modality, "sg:modality"),
    "modality not in scheme": (
        f"DELETE {{ {S} sg:modality ?x }} INSERT {{ {S} sg:modality speechact:demand }} "
        f"WHERE {{ {S} sg:modality ?x }}",
        STANCE, SG.modality, "modality scheme"),
    "missing statedAt": (
        f"DELETE WHERE {{ {S} sg:statedAt ?x }}", STANCE, SG.statedAt, "sg:statedAt"),
    "statedAt as string": (
        f"DELETE {{ {S} sg:statedAt ?x }} INSERT {{ {S} sg:statedAt \"2022-03-29\" }} "
        f"WHERE {{ {S} sg:statedAt ?x }}",
        STANCE, SG.statedAt, "xsd:date"),
    "stated after publication": (
        f"DELETE {{ {S} sg:statedAt ?x }} INSERT {{ {S} sg:statedAt \"2022-03-30\"^^xsd:date }} "
        f"WHERE {{ {S} sg:statedAt ?x }}",
        STANCE, SG.statedAt, "schema:datePublished"),
    "two speakers": (
        f"INSERT DATA {{ {S} sg:voicedBy actor:ukraine-delegation }}", STANCE, SG.voicedBy,
        "at most one sg:voicedBy"),
    "speaker not an actor": (
        f"DELETE {{ {S} sg:voicedBy ?x }} INSERT {{ {S} sg:voicedBy {P} }} "
        f"WHERE {{ {S} sg:voicedBy ?x }}",
        STANCE, SG.voicedBy, "sg:Actor"),
    "confidence 1.5": (
        f"DELETE {{ {S} sg:confidence ?x }} INSERT {{ {S} sg:confidence 1.5 }} "
        f"WHERE {{ {S} sg:confidence ?x }}",
        STANCE, SG.confidence, "between 0 and 1"),
    "confidence as string": (
        f"DELETE {{ {S} sg:confidence ?x }} INSERT {{ {S} sg:confidence \"high\" }} "
        f"WHERE {{ {S} sg:confidence ?x }}",
        STANCE, SG.confidence, "xsd:decimal"),
    "no evidence": (
        f"DELETE WHERE {{ {S} sg:hasEvidence ?x }}", STANCE, SG.hasEvidence, "sg:hasEvidence"),
    "evidence not an annotation": (
        f"INSERT DATA {{ {S} sg:hasEvidence {SRC} }}", STANCE, SG.hasEvidence, "oa:Annotation"),
    "conditional support without condition": (
        f"DELETE WHERE {{ {S} sg:condition ?x }}", STANCE, SG.condition, "conditional-support"),
    "condition without requires": (
        f"DELETE WHERE {{ {C} sg:requires ?x }}", CONDITION, SG.requires, "sg:requires"),
    "condition requires an actor": (
        f"DELETE {{ {C} sg:requires ?x }} INSERT {{ {C} sg:requires actor:turkey }} "
        f"WHERE {{ {C} sg:requires ?x }}",
        CONDITION, SG.requires, "sg:Proposition"),
    "condition without type": (
        f"DELETE WHERE {{ {C} sg:conditionType ?x }}", CONDITION, SG.conditionType,
        "sg:conditionType"),
    "condition type not in scheme": (
        f"DELETE {{ {C} sg:conditionType ?x }} INSERT {{ {C} sg:conditionType polarity:support }} "
        f"WHERE {{ {C} sg:conditionType ?x }}",
        CONDITION, SG.conditionType, "condition-type scheme"),
    "nomination without holder": (
        f"DELETE WHERE {{ {N} sg:holder ?x }}", NOMINATION, SG.holder, "exactly one sg:holder"),
    "nomination without nominee": (
        f"DELETE WHERE {{ {N} sg:nominee ?x }}", NOMINATION, SG.nominee, "sg:nominee"),
    "nominee not an actor": (
        f"DELETE {{ {N} sg:nominee ?x }} INSERT {{ {N} sg:nominee {P} }} "
        f"WHERE {{ {N} sg:nominee ?x }}",
        NOMINATION, SG.nominee, "sg:Actor"),
    "evidence without paragraph": (
        f"DELETE WHERE {{ {T} sg:paragraph ?x }}", EVIDENCE_TARGET, SG.paragraph, "sg:paragraph"),
    "paragraph zero": (
        f"DELETE {{ {T} sg:paragraph ?x }} INSERT {{ {T} sg:paragraph 0 }} "
        f"WHERE {{ {T} sg:paragraph ?x }}",
        EVIDENCE_TARGET, SG.paragraph, "1 or more"),
    "paragraph as string": (
        f"DELETE {{ {T} sg:paragraph ?x }} INSERT {{ {T} sg:paragraph \"3\" }} "
        f"WHERE {{ {T} sg:paragraph ?x }}",
        EVIDENCE_TARGET, SG.paragraph, "xsd:integer"),
    "paragraph beyond source": (
        f"DELETE {{ {T} sg:paragraph ?x }} INSERT {{ {T} sg:paragraph 13 }} "
        f"WHERE {{ {T} sg:paragraph ?x }}",
        EVIDENCE_TARGET, SG.paragraph, "sg:paragraphCount"),
    "evidence target without source": (
        f"DELETE WHERE {{ {T} oa:hasSource ?x }}", EVIDENCE_TARGET,
        URIRef("http://www.w3.org/ns/oa#hasSource"), "oa:hasSource"),
    "annotation without target": (
        f"DELETE WHERE {{ {E} oa:hasTarget ?x }}", EVIDENCE,
        URIRef("http://www.w3.org/ns/oa#hasTarget"), "oa:hasTarget"),
    "source without publisher": (
        f"DELETE WHERE {{ {SRC} schema:publisher ?x }}", SOURCE,
        URIRef("https://schema.org/publisher"), "schema:publisher"),
    "source without datePublished": (
        f"DELETE WHERE {{ {SRC} schema:datePublished ?x }}", SOURCE,
        URIRef("https://schema.org/datePublished"), "schema:datePublished"),
    "datePublished as string": (
        f"DELETE {{ {SRC} schema:datePublished ?x }} INSERT {{ {SRC} schema:datePublished "
        f"\"29 March 2022\" }} WHERE {{ {SRC} schema:datePublished ?x }}",
        SOURCE, URIRef("https://schema.org/datePublished"), "xsd:date"),
    "proposition without demand type": (
        f"DELETE WHERE {{ {P} sg:demandType ?x }}", NEUTRALITY, SG.demandType, "sg:demandType"),
    "demand type not in scheme": (
        f"DELETE {{ {P} sg:demandType ?x }} INSERT {{ {P} sg:demandType role:professor }} "
        f"WHERE {{ {P} sg:demandType ?x }}",
        NEUTRALITY, SG.demandType, "demand-type scheme"),
    "proposition without label": (
        f"DELETE WHERE {{ {P} rdfs:label ?x }}", NEUTRALITY, RDFS.label, "rdfs:label"),
    "actor without label": (
        "DELETE WHERE { actor:ukraine rdfs:label ?x }", UKRAINE, RDFS.label, "rdfs:label"),
    # model v2
    "nomination without nominee proposition": (
        f"DELETE WHERE {{ {N} sg:nomineeProposition ?x }}", NOMINATION, SG.nomineeProposition,
        "exactly one sg:nomineeProposition"),
    "nominee proposition not narrower than the guarantee": (
        "DELETE WHERE { proposition:turkey-guarantees-ukraine skos:broader ?x }", NOMINATION,
        SG.nomineeProposition, "narrower"),
    "nominee proposition about another actor": (
        "DELETE WHERE { proposition:turkey-guarantees-ukraine sg:actorToAct ?x }", NOMINATION,
        SG.nomineeProposition, "sg:actorToAct"),
    "list openness not in scheme": (
        f"DELETE {{ {N} sg:listOpenness ?x }} INSERT {{ {N} sg:listOpenness polarity:support }} "
        f"WHERE {{ {N} sg:listOpenness ?x }}", NOMINATION, SG.listOpenness, "list-openness scheme"),
    "reported without relay": (
        f"DELETE WHERE {{ {M} sg:relayedVia ?x }}", META, SG.relayedVia, "sg:relayedVia"),
    "relay without agent": (
        f"DELETE WHERE {{ {R} prov:agent ?x }}", RELAY, PROV.agent, "exactly one prov:agent"),
    "relay agent not an actor": (
        f"DELETE {{ {R} prov:agent ?x }} INSERT {{ {R} prov:agent {P} }} "
        f"WHERE {{ {R} prov:agent ?x }}", RELAY, PROV.agent, "sg:Actor"),
    "relay order zero": (
        f"DELETE {{ {R} sg:relayOrder ?x }} INSERT {{ {R} sg:relayOrder 0 }} "
        f"WHERE {{ {R} sg:relayOrder ?x }}", RELAY, SG.relayOrder, "1 or more"),
    "expectation with a preference polarity": (
        f"INSERT DATA {{ {S} a sg:Expectation }}", STANCE, SG.polarity, "unstated"),
    "unstated polarity on a preference": (
        f"DELETE {{ {S} sg:polarity ?x }} INSERT {{ {S} sg:polarity polarity:unstated }} "
        f"WHERE {{ {S} sg:polarity ?x }}", STANCE, SG.polarity, "unstated"),
    "two likelihoods": (
        f"INSERT DATA {{ {S} a sg:Expectation . {S} sg:likelihood likelihood:likely , "
        f"likelihood:possible }} ; DELETE {{ {S} sg:polarity ?x }} "
        f"INSERT {{ {S} sg:polarity polarity:unstated }} WHERE {{ {S} sg:polarity ?x }}",
        STANCE, SG.likelihood, "at most one sg:likelihood"),
    "horizon not in scheme": (
        f"INSERT DATA {{ {S} a sg:Expectation . {S} sg:horizon likelihood:likely }} ; "
        f"DELETE {{ {S} sg:polarity ?x }} INSERT {{ {S} sg:polarity polarity:unstated }} "
        f"WHERE {{ {S} sg:polarity ?x }}",
        STANCE, SG.horizon, "horizon scheme"),
    "deferred without condition": (
        f"DELETE {{ {S} sg:polarity ?x . {S} sg:condition ?c }} "
        f"INSERT {{ {S} sg:polarity polarity:deferred }} "
        f"WHERE {{ {S} sg:polarity ?x ; sg:condition ?c }}", STANCE, SG.condition, "deferred"),
    "supersedes another holder's stance": (
        f"INSERT DATA {{ {S} sg:supersedes {M} }}", STANCE, SG.supersedes, "another holder"),
    "occasion not an occasion": (
        f"INSERT DATA {{ {S} sg:occasion {P} }}", STANCE, SG.occasion, "sg:Occasion"),
    "occasion without type": (
        f"INSERT DATA {{ {S} sg:occasion {OCC} . {OCC} a sg:Occasion ; rdfs:label \"Call\"@en }}",
        OCCASION, SG.occasionType, "exactly one sg:occasionType"),
    "venue not a place": (
        f"INSERT DATA {{ {S} sg:venue actor:turkey }}", STANCE, SG.venue, "schema:Place"),
    "inferred fact about an absent triple": (
        f"DELETE {{ {INF} rdf:object ?x }} INSERT {{ {INF} rdf:object \"2022-03-27\"^^xsd:date }} "
        f"WHERE {{ {INF} rdf:object ?x }}", INFERRED, RDF.object, "not in the data"),
    "inferred fact without basis": (
        f"DELETE WHERE {{ {INF} sg:basis ?x }}", INFERRED, SG.basis, "sg:basis"),
}  # fmt: skip


def _sample(names: list[str], every: int) -> list[Any]:
    """Every ``every``-th case runs in the fast subset, the others are marked slow."""
    return [
        pytest.param(n, marks=() if i % every == 0 else pytest.mark.slow)
        for i, n in enumerate(names)
    ]


@pytest.mark.parametrize("name", _sample(list(BROKEN), 8))
def test_each_broken_thing_is_reported(name):
    update, focus, path, words = BROKEN[name]
    conforms, results = run_shacl(mutated(update))
    assert not conforms
    violations = [r for r in results if r.severity == SH.Violation]
    assert violations
    # exactly one thing is broken, so every violation is about the same node
    assert {r.focus for r in violations} == {focus}, violations
    assert any(r.path == path and words in r.message for r in violations), violations
    # the message names the field
    field = path.n3(valid_data().namespace_manager)
    assert any(field in r.message for r in violations), violations


SUBCLASS_SENSITIVE = [
    "holder not an actor", "speaker not an actor", "nominee not an actor",
    "condition requires an actor", "target is an actor", "evidence not an annotation",
    "nomination without holder",
]  # fmt: skip


@pytest.mark.parametrize("name", _sample(SUBCLASS_SENSITIVE, len(SUBCLASS_SENSITIVE)))
def test_results_do_not_depend_on_rdfs_inference(name):
    """sh:class and sh:targetClass follow rdfs:subClassOf in the mixed-in ontology, so
    validating without inference (faster) gives the same report."""
    data = mutated(BROKEN[name][0])
    with_rdfs = {(r.focus, r.path, r.shape, r.severity) for r in run_shacl(data, "rdfs")[1]}
    without = {(r.focus, r.path, r.shape, r.severity) for r in run_shacl(data, "none")[1]}
    assert with_rdfs == without
    assert with_rdfs


def test_date_only_publication_also_bounds_statement_date():
    g = mutated(
        f"DELETE {{ {SRC} schema:datePublished ?x }} "
        f'INSERT {{ {SRC} schema:datePublished "2022-03-28"^^xsd:date }} '
        f"WHERE {{ {SRC} schema:datePublished ?x }}"
    )
    conforms, results = run_shacl(g)
    assert not conforms
    # both stances dated 2022-03-29 cite the source, now dated the day before
    assert {r.focus for r in results} == {STANCE, NOMINATION}
    assert all("2022-03-28" in r.message and "2022-03-29" in r.message for r in results)


def test_meta_stance_cycle_counts_as_self_target():
    meta = "stance:ru-doubts-neutrality-offer"
    g = mutated(
        f"DELETE {{ {S} sg:target ?x }} INSERT {{ {S} sg:target {meta} }} "
        f"WHERE {{ {S} sg:target ?x }}"
    )
    conforms, results = run_shacl(g)
    assert not conforms
    assert {r.focus for r in results} == {STANCE, META}
    assert all("own sg:target" in r.message for r in results)


CYCLE_STANCE = """
stance:ru-guarantees-after-neutrality a sg:Stance ;
    sg:holder actor:russia ; sg:target proposition:security-guarantees-for-ukraine ;
    sg:polarity polarity:conditional-support ; sg:modality modality:asserted ;
    sg:statedAt "2022-03-29"^^xsd:date ;
    sg:condition <https://w3id.org/stancegraph/id/stance/ru-guarantees-after-neutrality/condition/1> ;
    sg:hasEvidence <https://w3id.org/stancegraph/id/stance/ru-doubts-neutrality-offer/evidence/1> .
<https://w3id.org/stancegraph/id/stance/ru-guarantees-after-neutrality/condition/1> a sg:Condition ;
    sg:conditionType conditiontype:only-after ; sg:requires proposition:ukraine-neutrality .
"""


def test_two_proposition_condition_cycle_is_only_a_warning():
    g = mutated(f"INSERT DATA {{ {CYCLE_STANCE} }}")
    conforms, results = run_shacl(g)
    assert conforms, results
    assert results, "the cycle must be reported"
    assert all(r.severity == SH.Warning for r in results)
    assert {r.focus for r in results} == {NEUTRALITY, GUARANTEES}
    assert all("Precondition cycle" in r.message for r in results)
    assert {r.shape for r in results} == {
        URIRef("https://w3id.org/stancegraph/shapes#PropositionDependencyCycleShape")
    }


def test_three_proposition_cycle_is_a_warning_too():
    ceasefire = "proposition:ceasefire"
    three = f"""
    {ceasefire} a sg:Proposition ; rdfs:label "Ceasefire"@en ; sg:demandType demandtype:ceasefire .
    stance:a a sg:Stance ; sg:holder actor:russia ;
        sg:target proposition:security-guarantees-for-ukraine ;
        sg:polarity polarity:conditional-support ; sg:modality modality:asserted ;
        sg:statedAt "2022-03-29"^^xsd:date ; sg:condition <https://w3id.org/stancegraph/id/stance/a/condition/1> ;
        sg:hasEvidence {E} .
    <https://w3id.org/stancegraph/id/stance/a/condition/1> a sg:Condition ; sg:conditionType conditiontype:only-after ;
        sg:requires {ceasefire} .
    stance:b a sg:Stance ; sg:holder actor:turkey ; sg:target {ceasefire} ;
        sg:polarity polarity:conditional-support ; sg:modality modality:asserted ;
        sg:statedAt "2022-03-29"^^xsd:date ; sg:condition <https://w3id.org/stancegraph/id/stance/b/condition/1> ;
        sg:hasEvidence {E} .
    <https://w3id.org/stancegraph/id/stance/b/condition/1> a sg:Condition ; sg:conditionType conditiontype:only-if ;
        sg:requires {P} .
    """
    conforms, results = run_shacl(mutated(f"INSERT DATA {{ {three} }}"))
    assert conforms, results
    assert {r.focus for r in results} == {NEUTRALITY, GUARANTEES, ID["proposition/ceasefire"]}
    assert all(r.severity == SH.Warning for r in results)


def test_acyclic_dependencies_give_no_warning():
    # the valid graph already has neutrality -> guarantees; add guarantees -> a third proposition
    extra = f"""
    proposition:nato-no a sg:Proposition ; rdfs:label "No NATO veto"@en ;
        sg:demandType demandtype:nato-membership .
    stance:c a sg:Stance ; sg:holder actor:ukraine ;
        sg:target proposition:security-guarantees-for-ukraine ;
        sg:polarity polarity:conditional-support ; sg:modality modality:asserted ;
        sg:statedAt "2022-03-29"^^xsd:date ; sg:condition <https://w3id.org/stancegraph/id/stance/c/condition/1> ;
        sg:hasEvidence {E} .
    <https://w3id.org/stancegraph/id/stance/c/condition/1> a sg:Condition ; sg:conditionType conditiontype:unless ;
        sg:requires proposition:nato-no .
    """
    conforms, results = run_shacl(mutated(f"INSERT DATA {{ {extra} }}"))
    assert conforms and results == []

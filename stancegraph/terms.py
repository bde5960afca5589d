"""Namespaces and IRI minting: the one home for every IRI the code writes or reads.

The ontology itself lives in ``ontology/*.ttl``; this module only names it, so that
queries, the compiler and the analytics agree on spelling.
"""

from __future__ import annotations

import re

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

SG = Namespace("https://w3id.org/stancegraph/ns#")
ID = Namespace("https://w3id.org/stancegraph/id/")
_ID = str(ID)
VOCAB = "https://w3id.org/stancegraph/vocab/"

ORG = Namespace("http://www.w3.org/ns/org#")
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
WD = Namespace("http://www.wikidata.org/entity/")
SH = Namespace("http://www.w3.org/ns/shacl#")
CAMEO = Namespace("https://w3id.org/stancegraph/vocab/cameo/")
PAX = Namespace("https://w3id.org/stancegraph/vocab/pa-x/")

# One SKOS concept scheme per controlled field; concept IRIs are VOCAB/<scheme>/<key>.
SCHEMES = {
    "polarity": Namespace(VOCAB + "polarity/"),
    "speech-act": Namespace(VOCAB + "speech-act/"),
    "modality": Namespace(VOCAB + "modality/"),
    "condition-type": Namespace(VOCAB + "condition-type/"),
    "demand-type": Namespace(VOCAB + "demand-type/"),
    "role": Namespace(VOCAB + "role/"),
    # model v2: expectations and the context of a statement
    "likelihood": Namespace(VOCAB + "likelihood/"),
    "horizon": Namespace(VOCAB + "horizon/"),
    "occasion-type": Namespace(VOCAB + "occasion-type/"),
    "list-openness": Namespace(VOCAB + "list-openness/"),
}
MODALITY = SCHEMES["modality"]  # (analytics/materialize.py writes nomination modalities)

# Named graphs that are not per-source.
ENTITIES_GRAPH = ID["graph/entities"]
ANALYTICS_GRAPH = ID["graph/analytics"]
ONTOLOGY_GRAPH = ID["graph/ontology"]

# Graphs a remote store keeps for itself (``stancegraph.store.remote``): the data-version
# marker and the write journal, staging graphs of multi-request writes, the stand-in for
# the default graph on engines without one, and skolem IRIs for blank nodes.
META_GRAPH = f"{ID}graph/meta"
TX_PREFIX = META_GRAPH + "/tx/"
STAGING_PREFIX = f"{ID}graph/staging/"
DEFAULT_GRAPH_IRI = f"{ID}graph/default"
GENID = "https://w3id.org/stancegraph/.well-known/genid/"

PREFIXES: dict[str, str] = {
    "sg": str(SG),
    "id": str(ID),
    # one per concept scheme, named as the scheme without its hyphens (``speechact:``)
    **{scheme.replace("-", ""): str(ns) for scheme, ns in SCHEMES.items()},
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "org": str(ORG),
    "oa": str(OA),
    "schema": str(SCHEMA),
    "foaf": str(FOAF),
    "wd": str(WD),
}

SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())

# Predeclared in CLI and Python queries and used to show IRIs in tables (``stancegraph
# prefixes`` lists them): the standard ones plus one per kind of minted resource, so that
# ``actor:ukraine`` is both what a table shows and what a query may say.
QUERY_PREFIXES: dict[str, str] = {
    **PREFIXES,
    **{kind: f"{ID}{kind}/" for kind in ("actor", "proposition", "stance", "source", "place")},
    "negotiation": f"{ID}negotiation/",
}

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$")

# Kinds of minted resources: ID/<kind>/<slug>.
KINDS = ("actor", "place", "proposition", "stance", "source", "negotiation", "occasion", "graph")


def mint(kind: str, slug: str) -> str:
    """IRI for a curated resource of ``kind`` with the record's ``slug``."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r}")
    return f"{ID}{kind}/{slug}"


def source_graph(source_slug: str) -> str:
    """Named graph holding one source's stances."""
    return f"{ID}graph/source/{source_slug}"


def concept(scheme: str, key: str) -> str:
    """IRI of the SKOS concept ``key`` in ``scheme`` (e.g. ``polarity``, ``support``)."""
    return f"{SCHEMES[scheme]}{key}"


def slug_of(iri: str) -> str:
    """Last path segment of a minted IRI (the record's slug)."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


# --------------------------------------------------------------------------- ids <-> IRIs
# What users type for a resource: a short id (``ukraine``: the record's slug) or a full IRI.


def is_iri(value: str) -> bool:
    """Whether a user's value is a full http(s) IRI rather than a short id."""
    return value.startswith(("http://", "https://"))


def iri_of(kind: str, value: str) -> str:
    """A full IRI as is; a short id minted as ``id/<kind>/<id>`` (no check that it exists)."""
    return value if is_iri(value) else f"{ID}{kind}/{value}"


def short_id(iri: str) -> str:
    """The short id of a resource: the slug for minted IRIs (``id/<kind>/<slug>``), else
    the IRI. Nested minted resources keep their path: ``<stance-slug>/condition/1``."""
    if iri.startswith(_ID):
        kind, sep, local = iri[len(_ID) :].partition("/")
        if sep and local and kind in KINDS:
            return local
    return iri

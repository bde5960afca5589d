"""RDF formats and media types: by name, by file extension, and the ones the remote store speaks."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
N_QUADS = "application/n-quads"

# Formats by common name, used by CLI, API and export.
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "n-triples": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "nquads": ox.RdfFormat.N_QUADS,
    "n-quads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json-ld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
    "rdf": ox.RdfFormat.RDF_XML,
}

EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def rdf_format(name: str) -> ox.RdfFormat:
    try:
        return RDF_FORMATS[name.lower()]
    except KeyError:
        known = ", ".join(sorted(set(RDF_FORMATS)))
        raise ValueError(f"unknown RDF format {name!r} (known: {known})") from None


def format_for_path(path: str | Path) -> ox.RdfFormat:
    ext = Path(path).suffix.lower()
    try:
        return EXTENSIONS[ext]
    except KeyError:
        raise ValueError(
            f"{path}: cannot tell the RDF format from extension {ext!r} "
            f"(known: {', '.join(sorted(EXTENSIONS))})"
        ) from None

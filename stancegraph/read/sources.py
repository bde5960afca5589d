"""Sources (documents) and one source with its stances."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..terms import SPARQL_PREFIXES
from .base import _en, _first, kebab, ref, rid
from .stances import StanceFilter, stances

if TYPE_CHECKING:
    from ..graph import StanceGraph


# --------------------------------------------------------------------------- sources

_Q_SOURCES = (
    SPARQL_PREFIXES
    + f"""
SELECT ?src ?title ?cls ?publisher ?publisherLabel ?published ?language ?original ?url
       ?paragraphs ?description ?graph WHERE {{
  ?src schema:headline ?title .
  OPTIONAL {{ ?src a ?cls FILTER(STRSTARTS(STR(?cls), STR(schema:))) }}
  OPTIONAL {{ ?src schema:publisher ?publisher .
              OPTIONAL {{ ?publisher rdfs:label ?publisherLabel FILTER({_en("?publisherLabel")}) }} }}
  OPTIONAL {{ ?src schema:datePublished ?published }}
  OPTIONAL {{ ?src schema:inLanguage ?language }}
  OPTIONAL {{ ?src sg:originalLanguage ?original }}
  OPTIONAL {{ ?src schema:url ?url }}
  OPTIONAL {{ ?src sg:paragraphCount ?paragraphs }}
  OPTIONAL {{ ?src schema:description ?description FILTER({_en("?description")}) }}
  OPTIONAL {{ ?graph prov:wasDerivedFrom ?src ; a sg:SourceGraph }}
}}
"""
)

_Q_SOURCE_EXTRA = (
    SPARQL_PREFIXES
    + f"""
SELECT ?src ?rel ?other ?otherLabel ?n WHERE {{
  {{ ?src schema:headline ?title ; schema:contributor ?other BIND("contributor" AS ?rel)
     OPTIONAL {{ ?other rdfs:label ?otherLabel FILTER({_en("?otherLabel")}) }} }}
  UNION {{ SELECT ?src ("stances" AS ?rel) (COUNT(DISTINCT ?s) AS ?n) WHERE {{
             ?src schema:headline ?title . ?s a sg:Stance ; prov:wasDerivedFrom ?src }} GROUP BY ?src }}
}}
"""
)


def sources(kg: StanceGraph, iri: str | None = None) -> list[dict[str, Any]]:
    b: dict[str, Any] = {"src": ox.NamedNode(iri)} if iri else {}
    rows = _first(kg.query(_Q_SOURCES, **b).rows, "src")
    extra = kg.query(_Q_SOURCE_EXTRA, **b).rows
    out = []
    for s, r in rows.items():
        contributors = {
            x["other"]: ref(x["other"], x["otherLabel"])
            for x in extra
            if x["src"] == s and x["rel"] == "contributor"
        }
        count = next((int(x["n"]) for x in extra if x["src"] == s and x["rel"] == "stances"), 0)
        out.append(
            {
                "id": rid(s),
                "iri": s,
                "title": r["title"],
                "type": kebab(r["cls"].rsplit("/", 1)[-1]) if r["cls"] else None,
                "publisher": ref(r["publisher"], r["publisherLabel"]),
                "contributors": sorted(
                    (c for c in contributors.values() if c), key=lambda c: c["label"].casefold()
                ),
                "published": r["published"],
                "language": r["language"],
                "original_language": r["original"],
                "url": r["url"],
                "paragraphs": r["paragraphs"],
                "description": r["description"],
                "graph": r["graph"],
                "stance_count": count,
            }
        )
    out.sort(key=lambda s: (str(s["published"] or ""), s["iri"]))
    return out


def source(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    found = sources(kg, iri)
    if not found:
        return None
    s = found[0]
    s["stances"] = stances(kg, StanceFilter(source=iri))
    return s

"""SPARQL result formats: the media types offered, the names ``format=`` accepts, and
the choice between them (``format=`` wins over ``Accept``)."""

from __future__ import annotations

from fastapi import Request

from ..errors import ApiError
from ..http.negotiation import negotiate

SOLUTION_OFFERS: list[tuple[str, str]] = [
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
]
GRAPH_OFFERS: list[tuple[str, str]] = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
    ("application/x-turtle", "turtle"),
    ("text/plain", "ntriples"),
    ("application/json", "jsonld"),
    ("application/xml", "rdfxml"),
    ("text/xml", "rdfxml"),
]
_FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "srj": ("json", None),
    "srx": ("xml", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "ntriples": (None, "ntriples"),
    "n-triples": (None, "ntriples"),
    "nt": (None, "ntriples"),
    "nquads": (None, "nquads"),
    "n-quads": (None, "nquads"),
    "nq": (None, "nquads"),
    "trig": (None, "trig"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "rdfxml": (None, "rdfxml"),
    "rdf+xml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
}


_SOL_OFFERS = tuple(SOLUTION_OFFERS)
_GRAPH_OFFERS = tuple(GRAPH_OFFERS)


def format_keys(fmt: str) -> tuple[str | None, str | None]:
    """(solutions key, graph key) that a ``format=`` value names: a name, a media type, or
    a list of media types like an ``Accept`` header (SPARQLWrapper sends those)."""
    name = fmt.strip().lower()
    if "," in name:
        keys = [format_keys(part) for part in name.split(",") if _known_format(part)]
        if keys:
            return (
                next((sol for sol, _ in keys if sol), None),
                next((graph for _, graph in keys if graph), None),
            )
    if name in _FORMAT_NAMES:
        return _FORMAT_NAMES[name]
    mt = name.split(";")[0].strip()
    sol = next((k for m, k in SOLUTION_OFFERS if m == mt), None)
    graph = next((k for m, k in GRAPH_OFFERS if m == mt), None)
    if sol is None and graph is None:
        known = ", ".join(sorted(_FORMAT_NAMES))
        raise ApiError(
            400, "bad_request", f"unknown format {fmt!r} (known: {known}, or a media type)"
        )
    return sol, graph


def _known_format(value: str) -> bool:
    try:
        return value.strip() != "" and format_keys(value) != (None, None)
    except ApiError:
        return False


def choose_formats(request: Request, fmt: str | None) -> tuple[str | None, str | None]:
    """(solutions key, graph key) for this request: ``format=`` wins over ``Accept``."""
    if fmt:
        return format_keys(fmt)
    accept = request.headers.get("accept")
    return negotiate(accept, _SOL_OFFERS), negotiate(accept, _GRAPH_OFFERS)


def not_acceptable(form: str) -> ApiError:
    offers = SOLUTION_OFFERS if form in ("select", "ask") else GRAPH_OFFERS
    types = sorted({m for m, _ in offers})
    what = {"select": "SELECT results", "ask": "ASK results"}.get(form, "graph results")
    return ApiError(
        406,
        "not_acceptable",
        f"none of the requested media types can carry {what}; available: {', '.join(types)} "
        "(or use format=)",
        details={"available": types},
    )


# Clients name the result format under several keys at once (SPARQLWrapper sends
# format=, output= and results=, each as a name and as a media type): one answer when
# they all agree, a 400 naming them when they do not.
FORMAT_PARAMS = ("format", "output", "results")


def format_param(params: dict[str, list[str]]) -> str | None:
    """The one result format the request's format-style parameters ask for."""
    given = [(k, v) for k in FORMAT_PARAMS for v in params.get(k, []) if v.strip()]
    if not given:
        return None
    keys = [format_keys(v) for _, v in given]
    sols = {sol for sol, _ in keys if sol is not None}
    graphs = {graph for _, graph in keys if graph is not None}
    if len(sols) > 1 or len(graphs) > 1:
        listed = ", ".join(f"{k}={v}" for k, v in given)
        raise ApiError(
            400,
            "bad_request",
            f"the format parameters disagree ({listed}): give one format",
            details={"parameters": [{"name": k, "value": v} for k, v in given]},
        )
    merged = (next(iter(sols), None), next(iter(graphs), None))
    return next((v for (_, v), kv in zip(given, keys, strict=True) if kv == merged), given[0][1])

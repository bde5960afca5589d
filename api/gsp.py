"""SPARQL 1.1 Graph Store HTTP Protocol at ``/store`` (indirect identification).

``?graph=IRI`` names a graph, ``?default`` the store's own default graph (in union mode
too: the Graph Store addresses storage, not the query view); no parameter means the whole
dataset (GET only). GET and HEAD are open; PUT, POST and DELETE need the write token and
go through the same validated, atomic write path as SPARQL Update.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable
from typing import Any, cast

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from stancegraph.change import Change
from stancegraph.ingest.safeparse import UntrustedInputError, parse_untrusted
from stancegraph.store.remote.skolem import deskolemise

from .errors import ApiError
from .http.auth import require_write
from .http.bodies import media_type, read_body
from .http.negotiation import negotiate
from .sparql.engine import engine_of
from .sparql.formats import _GRAPH_OFFERS, not_acceptable
from .sparql.remote import is_remote
from .sparql.screen import check_iris
from .sparql.workers import GRAPH_FORMATS

router = APIRouter(tags=["graph store"])

INPUT_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
_DATASET_OFFERS = (
    ("application/trig", "trig"),
    ("application/n-quads", "nquads"),
    ("application/ld+json", "jsonld"),
)

DEFAULT = ""  # the default graph as a target


def _target(request: Request) -> str | None:
    """The addressed graph: an IRI, DEFAULT, or None for the whole dataset."""
    params = request.query_params
    graphs = params.getlist("graph")
    has_default = "default" in params
    if len(graphs) > 1 or (graphs and has_default):
        raise ApiError(400, "bad_request", "give one ?graph=IRI or ?default, not several")
    if graphs:
        check_iris("graph", graphs)
        return graphs[0]
    return DEFAULT if has_default else None


def _exists(request: Request, target: str) -> bool:
    return target == DEFAULT or target in engine_of(request).kg.store.named_graphs()


def _graph_bytes(request: Request, target: str | None, fmt: str) -> bytes:
    store = engine_of(request).kg.store
    rdf_format = GRAPH_FORMATS[fmt][0]
    if is_remote(store):
        return _remote_graph_bytes(store, target, rdf_format)
    if target is None:
        return store.dump(rdf_format)
    if target == DEFAULT:
        triples = list(store.query("CONSTRUCT WHERE { ?s ?p ?o }", union_default_graph=False))
        return cast(bytes, ox.serialize(triples, format=rdf_format))
    return store.dump(rdf_format, target)


def _remote_graph_bytes(store: Any, target: str | None, rdf_format: ox.RdfFormat) -> bytes:
    """A remote store holds blank nodes as skolem IRIs: they go back out as blank nodes,
    so that a graph PUT through the Graph Store comes back as it was written."""
    quads: Iterable[ox.Quad]
    if target is None:
        quads = store.quads()
    elif target == DEFAULT:
        quads = (
            ox.Quad(t.subject, t.predicate, t.object)
            for t in store.query("CONSTRUCT WHERE { ?s ?p ?o }", union_default_graph=False)
        )
    else:
        nt = store.dump(ox.RdfFormat.N_TRIPLES, target)
        quads = (
            ox.Quad(t.subject, t.predicate, t.object)
            for t in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
        )
    out = list(deskolemise(quads))
    if target is None and rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        return cast(bytes, ox.serialize(out, format=rdf_format))
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in out}
    return cast(bytes, ox.serialize(sorted(triples, key=str), format=rdf_format))


@router.get("/store", summary="Graph Store: read a graph (or the dataset)")
async def gsp_get(request: Request) -> Response:
    return await _read(request)


@router.head("/store", include_in_schema=False)
async def gsp_head(request: Request) -> Response:
    return await _read(request)


async def _read(request: Request) -> Response:
    target = _target(request)
    accept = request.headers.get("accept")
    if target is None:
        fmt = negotiate(accept, _DATASET_OFFERS)
        if fmt is None:
            raise ApiError(
                406,
                "not_acceptable",
                "the whole dataset is served as application/trig, application/n-quads or "
                "application/ld+json; add ?graph=IRI or ?default for one graph",
            )
    else:
        fmt = negotiate(accept, _GRAPH_OFFERS)
        if fmt is None:
            raise not_acceptable("graph")
    loop = asyncio.get_running_loop()
    if target is not None and not await loop.run_in_executor(None, _exists, request, target):
        raise ApiError(404, "not_found", f"no graph <{target}> in the store")
    body = await loop.run_in_executor(None, _graph_bytes, request, target, fmt)
    headers = {"Vary": "Accept"}
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(b"", media_type=GRAPH_FORMATS[fmt][1], headers=headers)
    return Response(body, media_type=GRAPH_FORMATS[fmt][1], headers=headers)


async def _parse_body(request: Request, target: str) -> tuple[list[ox.Quad], set[str]]:
    """The request's triples as quads in the target graph, and the blank nodes they bring."""
    engine = engine_of(request)
    mt, _params = media_type(request)
    if mt not in INPUT_FORMATS:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"cannot read {mt or 'a body without Content-Type'}; send one of: "
            + ", ".join(sorted(INPUT_FORMATS)),
        )
    settings = engine.settings
    body = await read_body(request, settings.max_body_bytes)
    base = target if target else None
    try:
        # Parsed in a confined child process (safeparse): no upload can crash the server.
        nquads = await run_in_threadpool(
            parse_untrusted,
            body,
            INPUT_FORMATS[mt],
            base_iri=base,
            max_seconds=settings.upload_parse_timeout_s,
            max_memory_bytes=settings.upload_max_memory_bytes,
            allow_outbound=settings.allow_outbound,
        )
    except UntrustedInputError as exc:
        retry = {"Retry-After": "1"} if exc.status == 503 else None
        raise ApiError(exc.status, exc.code, exc.message, exc.details or None, retry) from None
    items = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    graph = ox.NamedNode(target) if target else ox.DefaultGraph()
    quads: list[ox.Quad] = []
    bnodes: set[str] = set()
    for item in items:
        if isinstance(item, ox.Quad) and not isinstance(item.graph_name, ox.DefaultGraph):
            raise ApiError(
                400,
                "bad_request",
                "the body names graphs; the target graph comes from ?graph= or ?default",
            )
        for t in (item.subject, item.object):
            if isinstance(t, ox.BlankNode):
                bnodes.add(t.value)
        quads.append(ox.Quad(item.subject, item.predicate, item.object, graph))
    return quads, bnodes


def _need_target(request: Request, verb: str) -> str:
    target = _target(request)
    if target is None:
        raise ApiError(400, "bad_request", f"{verb} needs ?graph=IRI or ?default")
    return target


async def _incoming(request: Request, verb: str) -> tuple[str, list[ox.Quad], set[str], bool]:
    """A PUT's or POST's target graph, the body's quads in it, their blank nodes, and
    whether the graph existed (written by a write-token holder only)."""
    require_write(request)
    target = _need_target(request, verb)
    quads, bnodes = await _parse_body(request, target)
    existed = await asyncio.get_running_loop().run_in_executor(None, _exists, request, target)
    return target, quads, bnodes, existed


@router.put("/store", summary="Graph Store: replace a graph")
async def gsp_put(request: Request) -> Response:
    target, quads, bnodes, existed = await _incoming(request, "PUT")
    engine = engine_of(request)
    await engine.commit(
        functools.partial(engine.writer.replace_graph, target, quads, new_bnodes=bnodes)
    )
    return Response(status_code=204 if existed else 201)


@router.post("/store", summary="Graph Store: add triples to a graph")
async def gsp_post(request: Request) -> Response:
    target, quads, bnodes, existed = await _incoming(request, "POST")
    engine = engine_of(request)
    change = Change(inserts=set(quads), new_bnodes=bnodes)
    if target and not existed:
        change.created.add(target)
    if change:
        await engine.commit(functools.partial(engine.writer.apply, change))
    return Response(status_code=204 if existed else 201)


@router.delete("/store", summary="Graph Store: delete a graph")
async def gsp_delete(request: Request) -> Response:
    require_write(request)
    target = _need_target(request, "DELETE")
    if not await asyncio.get_running_loop().run_in_executor(None, _exists, request, target):
        raise ApiError(404, "not_found", f"no graph <{target}> in the store")
    engine = engine_of(request)
    await engine.commit(functools.partial(engine.writer.drop_graph, target))
    return Response(status_code=204)

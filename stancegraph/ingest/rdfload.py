"""Validated bulk loading of RDF files: all or nothing, at bulk-loader speed.

A store that holds nothing but its ontology (the usual first, big load) gets the file
validated in memory with that ontology first (the same data the store would then hold,
queried 3-4x faster than on disk) and bulk-loaded only if it conforms.

Into a store that holds data (and into a remote store) the file is a change like any
other write (``stancegraph.writes``): validated for the focus nodes it can affect, with the
store's data, and committed in one transaction.

The bulk load into a fresh store runs while the file is validated, as a provisional change
(``OxigraphStore.provisional``): a file that fails, or a process killed before the verdict,
leaves the store as it was (the next open undoes an interrupted load).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from ..formats import format_for_path
from ..store.base import Store
from ..store.embedded import OxigraphStore
from ..terms import ONTOLOGY_GRAPH
from ..validation.reference import ValidationFailed, ValidationReport, validate_store

_TRIPLE_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


def _graph_sizes(raw: ox.Store) -> dict[str, int]:
    """Quads per graph ("" is the default graph)."""
    per_graph = raw.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    sizes = {
        str(r["g"].value): int(r["n"].value)
        for r in cast(ox.QuerySolutions, per_graph)
        if isinstance(r["g"], ox.NamedNode)
    }
    total = raw.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    default = next(iter(cast(ox.QuerySolutions, total)))
    sizes[""] = int(default["n"].value)
    return sizes


def _graph_key(q: ox.Quad) -> str:
    return q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""


def _quads(path: Path, fmt: ox.RdfFormat, graph: str | None) -> Iterator[ox.Quad]:
    to_graph = ox.NamedNode(graph) if graph and fmt not in _TRIPLE_FORMATS else None
    for q in ox.parse(path=str(path), format=fmt):
        yield ox.Quad(q.subject, q.predicate, q.object, to_graph) if to_graph is not None else q


def load_validated(
    store: Store, path: str | Path, graph: str | None = None, *, validate_shapes: bool = True
) -> ValidationReport | None:
    """Load an RDF file; with ``validate_shapes``, keep it only if the store then conforms.

    Raises :class:`ValidationFailed` (after removing what was loaded) on a SHACL violation.
    Stores other than the embedded one get the file validated on its own first (in memory,
    with the ontology), then loaded in one request.
    """
    path = Path(path)
    try:
        return _load(store, path, format_for_path(path), graph, validate_shapes)
    except SyntaxError as exc:  # the parsers' error: a clear message, not a traceback
        raise ValueError(f"cannot parse {path}: {exc.msg} (line {exc.lineno})") from None


def _load(
    store: Store, path: Path, fmt: ox.RdfFormat, graph: str | None, validate_shapes: bool
) -> ValidationReport | None:
    if not validate_shapes:
        store.load(path.read_bytes(), fmt, graph)
        return None
    if not isinstance(store, OxigraphStore):
        return _load_as_change(store, path, fmt, graph)
    raw = store.raw
    before = _graph_sizes(raw)
    filled = {g for g, n in before.items() if n}
    fresh = filled <= {str(ONTOLOGY_GRAPH)}
    if not fresh:
        return _load_as_change(store, path, fmt, graph)
    # The store holds only its ontology: that plus the file, validated in memory, is exactly
    # what the store will hold (and 3-4x faster to query than the on-disk store). The engine
    # bulk-loads the file into the store meanwhile, on a thread of its own (both release
    # the GIL): provisionally, so a file that fails, or a crash before the verdict, leaves
    # the store as it was.
    onto = ox.NamedNode(str(ONTOLOGY_GRAPH))
    ontology = list(raw.quads_for_pattern(None, None, None, onto))  # before the load adds any
    with store.provisional(), ThreadPoolExecutor(1, thread_name_prefix="bulk-load") as pool:
        loading = pool.submit(store.bulk_load, path, fmt, graph)
        try:
            report = _validate_alone(path, fmt, graph, ontology=ontology)
        finally:
            loading.result()  # the engine's bulk load cannot be stopped: wait (and re-raise)
        if not report.conforms:
            raise ValidationFailed(report)
    return report


def _load_as_change(
    store: Store, path: Path, fmt: ox.RdfFormat, graph: str | None
) -> ValidationReport | None:
    """Into a store that holds data, a file is a change like any other write: validated for
    what it can affect (with the store's data) and committed in one transaction."""
    from ..change import Change
    from ..writes import Writer

    quads = set(_quads(path, fmt, graph))
    named = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    change = Change(
        inserts=quads,
        created=named - set(store.named_graphs()),
        new_bnodes={
            t.value for q in quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)
        },
    )
    return Writer(store).apply(change).report


def _validate_alone(
    path: Path, fmt: ox.RdfFormat, graph: str | None, ontology: list[ox.Quad] | None = None
) -> ValidationReport:
    """Validate the file in an in-memory store with the ontology graph's quads ``ontology``
    (default: the shipped ontology)."""
    from .. import resources

    staged = ox.Store()
    to_graph = ox.NamedNode(graph) if graph and fmt not in _TRIPLE_FORMATS else None
    staged.bulk_load(path=str(path), format=fmt, to_graph=to_graph)
    onto = ox.NamedNode(str(ONTOLOGY_GRAPH))
    if ontology is not None:
        staged.extend(ontology)
    else:
        for p in resources.ontology_files():
            staged.load(path=str(p), format=ox.RdfFormat.TURTLE, to_graph=onto)
    return validate_store(staged)

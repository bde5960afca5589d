"""``SparqlHttpStore``: the ``Store`` protocol over SPARQL 1.1 Query, Update and the Graph
Store Protocol (see ``stancegraph.store.remote`` for the engine profiles and the journal).

Built in layers, one module each: transport and data version (``http``), dataset and
queries (``reads``), journalled writes (``journal``); this module adds size and export,
what the write path reads and commits, and loads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox

from ...change import Change, commit_update
from ...errors import StoreError
from ...formats import JSON_RESULTS, N_QUADS, N_TRIPLES
from ...terms import DEFAULT_GRAPH_IRI, META_GRAPH
from ..base import GraphName, Store
from .journal import RemoteJournal
from .skolem import skolemise
from .virtuoso import VirtuosoLoader, count_quads


class SparqlHttpStore(RemoteJournal, Store):
    """A remote SPARQL 1.1 store (query, update and Graph Store Protocol) as a ``Store``."""

    # -- size and export
    def __len__(self) -> int:
        if self.engine == "oxigraph":
            q = (
                "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION "
                f"{{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{META_GRAPH}>) }} }}"
            )
            dataset: list[tuple[str, str]] = []
        else:
            # Counted per graph and summed here: listing thousands of graphs as dataset
            # parameters makes Virtuoso's answer unreadable (h11: receive buffer too long).
            wanted = set(self._data_graphs())
            q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
            rows = self._select_all(q, dataset=[], what="count")
            return sum(
                int(r["n"].value)
                for r in rows
                if isinstance(r["g"], ox.NamedNode) and r["g"].value in wanted
            )
        rows = self._select_all(q, dataset=dataset, what="count")
        return int(rows[0]["n"].value) if rows else 0

    def _graph_triples(self, graph: str) -> list[ox.Triple]:
        if self.engine == "oxigraph" and self.settings.gsp_url:
            r = self._send(
                "GET", self.settings.gsp_url, "export", params={"graph": graph}, accept=N_TRIPLES
            )
            return [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)
            ]
        # Virtuoso caps Graph Store GETs and CONSTRUCTs silently: page a SELECT instead.
        rows = self._select_all(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", dataset=[], what="export"
        )
        return [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]

    def quads(self) -> Iterator[ox.Quad]:
        """Every quad of the dataset (internal graphs left out; the default-graph stand-in as the default graph)."""
        if self.engine == "oxigraph" and self.settings.gsp_url:
            r = self._send("GET", self.settings.gsp_url, "export", accept=N_QUADS)
            for q in ox.parse(r.content, format=ox.RdfFormat.N_QUADS):
                if not (
                    isinstance(q.graph_name, ox.NamedNode) and self._internal(q.graph_name.value)
                ):
                    yield q
            return
        if self.engine == "oxigraph":
            yield from (
                ox.Quad(t.subject, t.predicate, t.object) for t in self._graph_triples_default()
            )
        for g in self._data_graphs():
            name = (
                ox.DefaultGraph()
                if g == DEFAULT_GRAPH_IRI and self.engine != "oxigraph"
                else ox.NamedNode(g)
            )
            for t in self._graph_triples(g):
                yield ox.Quad(t.subject, t.predicate, t.object, name)

    def _graph_triples_default(self) -> list[ox.Triple]:
        rows = self._select_all("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", dataset=[], what="export")
        return [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]

    def dump(self, fmt: ox.RdfFormat, graph: GraphName = None) -> bytes:
        if graph is not None:
            return cast(bytes, ox.serialize(self._graph_triples(graph), format=fmt))
        quads = list(self.quads())
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            return cast(bytes, ox.serialize(quads, format=fmt))
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        return cast(bytes, ox.serialize(sorted(triples, key=str), format=fmt))

    def flush(self) -> None:
        """Nothing to do: every write is committed by the server before it returns."""

    # -- what the write path reads and commits (``stancegraph.writes``)
    def graph_quads(self, graph: str) -> list[ox.Quad]:
        """The quads of one graph (``""``: the default graph)."""
        if graph == "":
            triples = (
                self._graph_triples_default()
                if self.engine == "oxigraph"
                else self._graph_triples(DEFAULT_GRAPH_IRI)
            )
            return [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        if graph not in self._data_graphs():
            return []
        name = ox.NamedNode(graph)
        return [ox.Quad(t.subject, t.predicate, t.object, name) for t in self._graph_triples(graph)]

    def quads_matching(
        self, subject: Any = None, predicate: Any = None, obj: Any = None
    ) -> list[ox.Quad]:
        """Quads of the data graphs matching a pattern (``None`` matches anything)."""
        terms = " ".join(
            str(t) if t is not None else v
            for t, v in ((subject, "?s"), (predicate, "?p"), (obj, "?o"))
        )

        def quad(r: Any, graph: Any) -> ox.Quad:
            return ox.Quad(
                subject if subject is not None else r["s"],
                predicate if predicate is not None else r["p"],
                obj if obj is not None else r["o"],
                graph,
            )

        default = "" if self.engine == "oxigraph" else None
        out = [
            quad(r, ox.DefaultGraph())
            for r in self.query(
                f"SELECT * WHERE {{ {terms} }}", default_graph=[""], union_default_graph=False
            )
        ]
        for r in self.query(
            f"SELECT * WHERE {{ GRAPH ?g {{ {terms} }} }}", union_default_graph=False
        ):
            g = r["g"]
            if isinstance(g, ox.NamedNode) and not self._internal(g.value):
                if g.value == DEFAULT_GRAPH_IRI and default is None:
                    continue  # Virtuoso's stand-in was read as the default graph above
                out.append(quad(r, g))
        return out

    def quads_about(
        self,
        nodes: Iterable[Any],
        predicate: Any = None,
        *,
        outgoing: bool = True,
        limit: int | None = None,
    ) -> list[ox.Quad]:
        """Triples of the data graphs (as default-graph quads: validation reads the union)
        with one of ``nodes`` as subject (``outgoing``) or object: one query per 200 nodes.
        ``limit=1`` with a predicate reads one such triple per node (``SAMPLE``); other
        limits read them all."""
        nodes = [n for n in nodes if not isinstance(n, ox.BlankNode)]
        p = str(predicate) if predicate is not None else "?p"
        out: list[ox.Quad] = []
        for i in range(0, len(nodes), 200):
            chunk = nodes[i : i + 200]
            var = "?s" if outgoing else "?o"
            far = "?o" if outgoing else "?s"
            values = " ".join(str(n) for n in chunk)
            if limit == 1 and predicate is not None:
                text = (
                    f"SELECT {var} (SAMPLE({far}) AS {far}_) WHERE {{ VALUES {var} {{ {values} }} "
                    f"?s {p} ?o }} GROUP BY {var}"
                )
                rows = self.query(text, union_default_graph=True)
                out.extend(
                    ox.Quad(r["s"], predicate, r["o_"])
                    if outgoing
                    else ox.Quad(r["s_"], predicate, r["o"])
                    for r in rows
                )
                continue
            rows = self.query(
                f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES {var} {{ {values} }} ?s {p} ?o }}",
                union_default_graph=True,
            )
            out.extend(
                ox.Quad(r["s"], predicate if predicate is not None else r["p"], r["o"])
                for r in rows
            )
        return out

    def existing(self, quads: Iterable[ox.Quad]) -> set[ox.Quad]:
        """Those of ``quads`` the store holds (one query per graph and 200 quads)."""
        by_graph: dict[str, list[ox.Quad]] = {}
        for q in quads:
            if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
                continue  # the store holds skolem IRIs, never blank nodes
            key = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            by_graph.setdefault(key, []).append(q)
        found: set[ox.Quad] = set()
        for graph, items in by_graph.items():
            for i in range(0, len(items), 200):
                chunk = items[i : i + 200]
                values = " ".join(f"({q.subject} {q.predicate} {q.object})" for q in chunk)
                where = "?s ?p ?o" if graph == "" else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
                rows = self.query(
                    f"SELECT ?s ?p ?o WHERE {{ VALUES (?s ?p ?o) {{ {values} }} {where} }}",
                    default_graph=[""] if graph == "" else None,
                    union_default_graph=False,
                )
                hits = {(r["s"], r["p"], r["o"]) for r in rows}
                found.update(q for q in chunk if (q.subject, q.predicate, q.object) in hits)
        return found

    def commit(self, change: Any) -> None:
        """Apply a validated change in one update request (new blank nodes skolemised)."""

        inserts: Iterable[ox.Quad] = change.inserts
        if change.new_bnodes:
            inserts = skolemise(inserts, uuid.uuid4().hex[:12])
        deletes: Iterable[ox.Quad] = change.deletes
        if self.engine != "oxigraph":  # Virtuoso's default graph is a stand-in named graph
            stand_in = ox.NamedNode(DEFAULT_GRAPH_IRI)

            def named(q: ox.Quad) -> ox.Quad:
                if isinstance(q.graph_name, ox.DefaultGraph):
                    return ox.Quad(q.subject, q.predicate, q.object, stand_in)
                return q

            inserts, deletes = map(named, inserts), map(named, deletes)
        text, functions = commit_update(
            Change(set(deletes), set(inserts), set(change.created), set(change.dropped))
        )
        if functions:
            raise StoreError("a remote store cannot address blank nodes (they are skolemised)")
        if text:
            self.update(text)

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update as given (atomic where the engine applies one request atomically)."""
        self._check_writable()
        with self._write_lock:
            self._recover_once()
            token = self._new_token()
            if self.engine == "oxigraph":
                body = sparql.rstrip()
                body = body[:-1] if body.endswith(";") else body
                self._post_update(f"{body}\n;\n" + " ;\n".join(self._marker_ops(token)), "update")
            elif self.engine == "virtuoso":  # no default graph of its own: the stand-in is it
                self._hook("update")
                form = {"update": sparql, "using-graph-uri": DEFAULT_GRAPH_IRI}
                self._send(
                    "POST", self.update_url, "update", data=form, accept=JSON_RESULTS, write=True
                )
                self._set_marker(token)
            else:
                self._post_update(sparql, "update")
                self._set_marker(token)
            self._wrote(token)

    def load(self, data: bytes | str, fmt: ox.RdfFormat, graph: GraphName = None) -> None:
        """Add RDF (any format pyoxigraph parses); blank nodes are skolemised (``GENID`` IRIs)."""
        self._check_writable()
        to_graph = graph if graph and fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) else None
        self._write(
            drop_graphs=(),
            drop_subjects={},
            inserts=self._prepare(data, fmt, to_graph),
            what="load",
        )

    def bulk_load(
        self,
        path: str | Path,
        fmt: ox.RdfFormat,
        graph: GraphName = None,
        *,
        loader: VirtuosoLoader | None = None,
    ) -> int:
        """Load a big file without staging: fast, not atomic (like ``OxigraphStore.bulk_load``).

        By default in Graph Store chunks (from any host); with ``loader``, by the engine's
        own bulk loader on the server's host (:mod:`stancegraph.store.remote.virtuoso`), several times
        faster for initial loads. Returns the number of quads sent (or in the file).
        """
        self._check_writable()
        if loader is not None:
            return self._local_bulk_load(Path(path), fmt, graph, loader)
        if not self.settings.gsp_url:
            raise StoreError("bulk_load needs a Graph Store Protocol URL (--gsp-url)")
        to_graph = (
            ox.NamedNode(graph)
            if graph and fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
            else None
        )
        size = self.settings.gsp_chunk_triples
        sent = 0
        salt = uuid.uuid4().hex[:12]
        with self._write_lock:
            self._recover_once()
            token = self._new_token()
            try:
                batch: list[ox.Quad] = []
                for q in skolemise(ox.parse(path=str(path), format=fmt), salt):
                    batch.append(
                        ox.Quad(q.subject, q.predicate, q.object, to_graph) if to_graph else q
                    )
                    if len(batch) >= size:
                        sent += self._bulk_batch(batch)
                        batch = []
                if batch:
                    sent += self._bulk_batch(batch)
                self._set_marker(token)
            finally:
                self._wrote(token)
        return sent

    def _local_bulk_load(
        self, path: Path, fmt: ox.RdfFormat, graph: GraphName, loader: VirtuosoLoader
    ) -> int:
        if self.engine != "virtuoso":
            raise StoreError(f"a VirtuosoLoader needs a Virtuoso server, not {self.engine}")
        target = (
            graph
            if graph and fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
            else DEFAULT_GRAPH_IRI
        )
        n = count_quads(path, fmt)
        with self._write_lock:
            self._recover_once()
            token = self._new_token()
            try:
                loader.load(path, target)
                self._set_marker(token)
            finally:
                self._wrote(token)
        return n

    def _bulk_batch(self, quads: list[ox.Quad]) -> int:
        if self.engine == "oxigraph":
            body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
            self._send(
                "POST",
                self.settings.gsp_url or "",
                "bulk load",
                content=body,
                content_type=N_QUADS,
                write=True,
            )
            return len(quads)
        tmp = ox.Store()
        tmp.extend(quads)
        for g, nt in self._by_graph(tmp).items():
            self._send(
                "POST",
                self.settings.gsp_url or "",
                "bulk load",
                params={"graph": g},
                content=nt,
                content_type=N_TRIPLES,
                write=True,
            )
        return len(quads)

    def _replace(self, graphs: list[str], subjects: dict[str, list[str]], nquads: str) -> None:
        """Journalled: all or nothing (see the module doc)."""
        self._check_writable()
        inserts = self._prepare(nquads, ox.RdfFormat.N_QUADS, None) if nquads else {}
        self._write(drop_graphs=graphs, drop_subjects=subjects, inserts=inserts, what="replace")

    def _prepare(self, data: bytes | str, fmt: ox.RdfFormat, graph: str | None) -> dict[str, bytes]:
        """Parsed, deduplicated and skolemised data as N-Triples per target graph (in Rust)."""
        tmp = ox.Store()
        if graph is not None:
            tmp.load(data, format=fmt, to_graph=ox.NamedNode(graph))
        else:
            tmp.load(data, format=fmt)
        if tmp.query(
            "ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } FILTER(isBlank(?s) || isBlank(?o)) }"
        ):
            sk = list(skolemise(tmp, uuid.uuid4().hex[:12]))
            tmp = ox.Store()
            tmp.extend(sk)
        return self._by_graph(tmp)

    def _by_graph(self, tmp: ox.Store) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        default = "" if self.engine == "oxigraph" else DEFAULT_GRAPH_IRI
        nt = ox.RdfFormat.N_TRIPLES
        if tmp.query("ASK { ?s ?p ?o }", use_default_graph_as_union=False):
            out[default] = cast(bytes, tmp.dump(format=nt, from_graph=ox.DefaultGraph()))
        for g in tmp.named_graphs():
            if isinstance(g, ox.NamedNode):
                body = cast(bytes, tmp.dump(format=nt, from_graph=g))
                out[g.value] = out.get(g.value, b"") + body
        return {g: b for g, b in out.items() if b.strip()}

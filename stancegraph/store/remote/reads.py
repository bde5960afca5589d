"""Reading a remote store: the dataset each query runs on (engine profiles differ in how
a union default graph is asked for), queries with bound parameters, and SELECTs paged past
a server's row cap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import httpx
import pyoxigraph as ox

from ...errors import RemoteStoreError, ResultTruncated
from ...formats import JSON_RESULTS, N_TRIPLES
from ...sparql.bindings import inject_values
from ...sparql.shape import Shape, analyse, projected
from ...terms import DEFAULT_GRAPH_IRI, META_GRAPH, STAGING_PREFIX, TX_PREFIX
from ..base import Dataset
from .http import RemoteHttp

# Graphs an engine creates for itself (Virtuoso's schema, service description, LDP).
SYSTEM_GRAPH_PREFIXES = (
    "http://www.openlinksw.com/",
    "http://localuriqaserver/",
    "http://www.w3.org/ns/ldp#",
    "http://www.w3.org/2002/07/owl#",
    "urn:virtuoso:",
    "virtrdf:",
)


def paged_query(
    text: str, shape: Shape, variables: Sequence[str], offset: int, limit: int
) -> str | None:
    """One page of a SELECT, with a total order, or None when it cannot be paged.

    The query becomes a subquery ordered by its own ORDER BY keys and then every projected
    variable (a total order: ties are identical rows); the page is cut by the outer
    OFFSET/LIMIT, the form Virtuoso documents for scrolling beyond its sort limit.
    """
    if (
        shape.form != "SELECT"
        or shape.where_close is None
        or shape.has_limit
        or shape.has_offset
        or shape.has_values
    ):
        return None
    keys = " ".join("?" + v for v in variables)
    end = shape.modifiers_end if shape.modifiers_end is not None else len(text)
    inner = text[shape.body_start : end].rstrip()
    if keys:  # (none for the probe: ORDER BY an unknown variable fails on grouped queries)
        inner += f" {keys}" if shape.order_start is not None else f"\nORDER BY {keys}"
    return f"{text[: shape.body_start]}SELECT * WHERE {{ {{\n{inner}\n}} }}\nOFFSET {offset} LIMIT {limit}"


# --------------------------------------------------------------------------- results


def _ask_result(value: bool) -> ox.QueryBoolean:
    doc = '{"head":{},"boolean":%s}' % ("true" if value else "false")
    return cast(ox.QueryBoolean, ox.parse_query_results(doc, format=ox.QueryResultsFormat.JSON))


def _triples_result(nt: bytes) -> ox.QueryTriples:
    """N-Triples as a genuine ``QueryTriples`` (via a throwaway in-memory store)."""
    tmp = ox.Store()
    if nt.strip():
        tmp.load(nt, format=ox.RdfFormat.N_TRIPLES)
    return cast(ox.QueryTriples, tmp.query("CONSTRUCT WHERE { ?s ?p ?o }"))


def _solutions(doc: dict[str, Any]) -> ox.QuerySolutions:
    parsed = ox.parse_query_results(json.dumps(doc), format=ox.QueryResultsFormat.JSON)
    return cast(ox.QuerySolutions, parsed)


def _not_pageable() -> str:
    raise ValueError("the query cannot be paged: it has LIMIT, OFFSET or a trailing VALUES clause")


class RemoteReads(RemoteHttp):
    """Dataset parameters, queries and paging of a :class:`~.store.SparqlHttpStore`."""

    # -- graphs and the dataset
    def _internal(self, g: str) -> bool:
        if g == META_GRAPH or g.startswith(STAGING_PREFIX) or g.startswith(TX_PREFIX):
            return True
        return self.engine == "virtuoso" and g.startswith(SYSTEM_GRAPH_PREFIXES)

    def _all_graphs(self) -> list[str]:
        version = self.version
        cached = self._graphs
        if cached is not None and cached[0] == version:
            return cached[1]
        # (Virtuoso takes seconds for SELECT DISTINCT here, and answers GRAPH ?g {} wrongly.)
        q = (
            "SELECT ?g WHERE { GRAPH ?g { } }"
            if self.engine == "oxigraph"
            else "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        rows = self._select_all(q, dataset=[], what="graph list")
        graphs = sorted({r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode)})
        self._graphs = (version, graphs)
        return graphs

    def _data_graphs(self) -> list[str]:
        """Every graph of the dataset (the default-graph stand-in included), none internal."""
        prefix = self.settings.graph_prefix
        return [
            g
            for g in self._all_graphs()
            if not self._internal(g)
            and (prefix is None or g.startswith(prefix) or g == DEFAULT_GRAPH_IRI)
        ]

    def named_graphs(self) -> list[str]:
        default = DEFAULT_GRAPH_IRI if self.engine != "oxigraph" else None
        return [g for g in self._data_graphs() if g != default]

    def _union_dataset(self) -> list[tuple[str, str]]:
        graphs = self._data_graphs()
        if DEFAULT_GRAPH_IRI not in graphs:
            graphs = [*graphs, DEFAULT_GRAPH_IRI]  # never an empty list: that means "all graphs"
        return [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]

    def _dataset(self, dataset: Dataset) -> list[tuple[str, str]]:
        """The protocol's dataset parameters for this engine."""
        default_graph, named_graphs = dataset.default_graph, dataset.named_graphs
        oxi = self.engine == "oxigraph"
        params: list[tuple[str, str]] = []
        if default_graph is not None:
            for g in default_graph:
                if g == "":
                    if oxi:
                        if len(default_graph) > 1:
                            raise ValueError(
                                "Oxigraph server cannot mix its default graph with named graphs"
                            )
                        continue
                    g = DEFAULT_GRAPH_IRI
                params.append(("default-graph-uri", g))
            if not params and not oxi:
                params.append(("default-graph-uri", DEFAULT_GRAPH_IRI))
        elif dataset.union:
            if oxi:
                params.append(("union-default-graph", ""))
            elif self.settings.union != "all":
                params.extend(p for p in self._union_dataset() if p[0] == "default-graph-uri")
        elif not oxi:
            params.append(("default-graph-uri", DEFAULT_GRAPH_IRI))
        if named_graphs is not None:
            params.extend(("named-graph-uri", g) for g in named_graphs)
        elif not oxi and self.settings.union != "all":  # GRAPH ?g must not see system graphs
            params.extend(p for p in self._union_dataset() if p[0] == "named-graph-uri")
        return params

    # -- queries
    def _query(self, sparql: str, bound: Mapping[str, Any], dataset: Dataset) -> Any:
        shape = analyse(sparql)
        if not shape.form:
            raise SyntaxError("not a SPARQL query (no SELECT, CONSTRUCT, ASK or DESCRIBE)")
        text = sparql
        if bound:
            names = projected(sparql, shape)
            missing = set(bound) - names if names is not None else set()
            if missing:  # as the embedded store (pyoxigraph substitutions) does
                raise ValueError(
                    f"variables {', '.join(sorted(missing))} are not in the SELECT projection: "
                    "a bound parameter must be listed in the query's SELECT clause"
                )
            text = inject_values(sparql, bound, shape)
            shape = analyse(text)
        params = self._dataset(dataset)
        if shape.form in ("CONSTRUCT", "DESCRIBE"):
            r = self._post_query(text, params, N_TRIPLES, "query")
            nt = self._as_ntriples(r)
            n = nt.count(b"\n")
            if n >= 1000 and self._capped_at(n, r):
                raise ResultTruncated(
                    f"the remote store returned {n} triples, its row cap: the graph result is probably "
                    "cut (narrow the query, or raise the server's ResultSetMaxRows)"
                )
            return _triples_result(nt)
        r = self._post_query(text, params, JSON_RESULTS, "query")
        doc = self._json(r)
        if shape.form == "ASK":
            return _ask_result(self._boolean(doc))
        rows = doc.get("results", {}).get("bindings", [])
        if self._truncated(r, len(rows)):
            doc["results"]["bindings"] = self._pages(
                text, shape, params, doc["head"].get("vars", []), len(rows)
            )
        return _solutions(doc)

    def _post_query(
        self, text: str, dataset: list[tuple[str, str]], accept: str, what: str
    ) -> httpx.Response:
        return self._send(
            "POST", self.settings.query_url, what, data=[("query", text), *dataset], accept=accept
        )

    def _cap(self, r: httpx.Response) -> int | None:
        header = r.headers.get("x-sparql-maxrows")
        if header and header.strip().isdigit():
            self._max_rows = int(header)
        return self._max_rows

    def _truncated(self, r: httpx.Response, rows: int) -> bool:
        """Whether a SELECT answer was cut at the server's row cap (``X-SPARQL-MaxRows``)."""
        cap = self._cap(r)
        return cap is not None and rows >= cap

    def _capped_at(self, n: int, r: httpx.Response) -> bool:
        """Whether a graph result of ``n`` triples hit the row cap (Virtuoso cuts them silently)."""
        cap = self._cap(r)
        if cap is None and self.engine != "oxigraph" and n > self._cap_above:
            # Learn the cap once: does the server return n + 1 rows of anything?
            probe = self._send(
                "POST",
                self.settings.query_url,
                "row cap probe",
                data={"query": f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n + 1}"},
                accept=JSON_RESULTS,
            )
            got = len(self._json(probe).get("results", {}).get("bindings", []))
            cap = self._cap(probe)
            if cap is None:
                self._cap_above = max(self._cap_above, got - 1 if got > n else n)
        return cap is not None and n >= cap

    @staticmethod
    def _json(r: httpx.Response) -> dict[str, Any]:
        try:
            doc = r.json()
        except ValueError:
            raise RemoteStoreError(
                f"the remote store did not return SPARQL JSON results: {r.text[:200]!r}"
            ) from None
        doc.setdefault("head", {})
        doc["head"].pop("link", None)
        if "results" in doc:
            doc["results"] = {"bindings": doc["results"].get("bindings", [])}
        return doc

    @staticmethod
    def _boolean(doc: dict[str, Any]) -> bool:
        if "boolean" in doc:
            return bool(doc["boolean"])
        # Virtuoso answers ASK in JSON as a one-column SELECT (__ASK_RETVAL 1, or no row).
        rows = doc.get("results", {}).get("bindings", [])
        return any(
            str((next(iter(b.values()), None) or {}).get("value")) in ("1", "true") for b in rows
        )

    @staticmethod
    def _as_ntriples(r: httpx.Response) -> bytes:
        ctype = r.headers.get("content-type", "").split(";")[0].strip()
        if ctype in (N_TRIPLES, "text/plain", ""):
            return r.content
        fmt = ox.RdfFormat.from_media_type(ctype)
        if fmt is None:
            raise RemoteStoreError(f"the remote store answered a graph query with {ctype!r}")
        return cast(
            bytes, ox.serialize(ox.parse(r.content, format=fmt), format=ox.RdfFormat.N_QUADS)
        )

    def _pages(
        self,
        text: str,
        shape: Shape,
        dataset: list[tuple[str, str]],
        variables: Sequence[str],
        got: int,
    ) -> list[dict[str, Any]]:
        """All rows of a SELECT the server capped, fetched page by page."""
        size = min(self._max_rows or self.settings.page_size, self.settings.page_size)
        if paged_query(text, shape, variables or ["_"], 0, size) is None or not variables:
            raise ResultTruncated(
                f"the remote store cut the result at {got} rows (its row cap) and the query cannot be "
                "paged (it has LIMIT/OFFSET/VALUES): narrow it, or raise the server's ResultSetMaxRows"
            )
        rows: list[dict[str, Any]] = []
        for page in self._page_iter(text, shape, dataset, variables, size):
            rows.extend(page)
        return rows

    def _page_iter(
        self,
        text: str,
        shape: Shape,
        dataset: list[tuple[str, str]],
        variables: Sequence[str],
        size: int,
    ) -> Iterator[list[dict[str, Any]]]:
        offset = 0
        while True:
            q = paged_query(text, shape, variables, offset, size)
            assert q is not None
            r = self._post_query(q, dataset, JSON_RESULTS, f"page at {offset}")
            page = self._json(r).get("results", {}).get("bindings", [])
            if page:
                yield page
            if self._truncated(r, len(page)):  # the server's cap is below the page size
                size = min(size, self._max_rows or size)
            elif len(page) < size:
                return
            offset += len(page)

    def iter_select(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        union_default_graph: bool = True,
        page_size: int | None = None,
    ) -> Iterator[ox.QuerySolution]:
        """A SELECT's rows, fetched ``page_size`` at a time (memory bounded by one page).

        The query must be pageable: no LIMIT, OFFSET or trailing VALUES; pages are ordered
        by the query's ORDER BY keys, then every projected variable.
        """
        shape = analyse(sparql)
        if shape.form != "SELECT":
            raise ValueError("iter_select needs a SELECT query")
        text = inject_values(sparql, substitutions, shape) if substitutions else sparql
        shape = analyse(text)
        dataset = self._dataset(Dataset(union_default_graph))
        probe = self._post_query(
            paged_query(text, shape, [], 0, 1) or _not_pageable(),
            dataset,
            JSON_RESULTS,
            "variables",
        )
        variables = [v for v in self._json(probe)["head"].get("vars", []) if v != "_"]
        size = min(page_size or self.settings.page_size, self._max_rows or 10**9)
        for page in self._page_iter(text, shape, dataset, variables, size):
            yield from _solutions({"head": {"vars": variables}, "results": {"bindings": page}})

    def _select_all(
        self, text: str, *, dataset: list[tuple[str, str]], what: str
    ) -> list[ox.QuerySolution]:
        shape = analyse(text)
        r = self._post_query(text, dataset, JSON_RESULTS, what)
        doc = self._json(r)
        rows = doc.get("results", {}).get("bindings", [])
        if self._truncated(r, len(rows)):
            doc["results"]["bindings"] = self._pages(
                text, shape, dataset, doc["head"].get("vars", []), len(rows)
            )
        return list(_solutions(doc))

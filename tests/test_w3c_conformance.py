"""W3C SPARQL 1.1 test suite through the HTTP endpoint (skipped when ../shared is absent).

Query evaluation: one app per dataset with ``default_graph="separate"``, the test data in
the store's default graph and ``qt:graphData`` in named graphs named by their file IRI;
queries are sent over the SPARQL Protocol with ``BASE <query file>`` prepended so relative
IRIs resolve as the suite expects. Results are compared as multisets (as sequences when the
query has ORDER BY) with blank nodes matched up to renaming and numeric literals of the
same datatype compared by value. Syntax tests: negative ones must get 400. Protocol tests:
the manifest's HTTP requests are replayed (with the write token added).

Known deviations of the engine (pyoxigraph), not of the endpoint, are xfail with a reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import unquote

import pyoxigraph as ox
import pytest
from conftest import shared_dir
from fastapi.testclient import TestClient
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from stancegraph.api import create_app
from stancegraph.api.settings import Settings
from stancegraph.formats import format_for_path
from stancegraph.graph import StanceGraph
from stancegraph.sparql.bindings import to_ox
from stancegraph.store import OxigraphStore

SHARED = shared_dir()
W3C = SHARED / "conformance" / "w3c-sparql11" if SHARED else None
pytestmark = [
    pytest.mark.slow,  # W3C conformance: deselected by -m "not slow"
    pytest.mark.skipif(
        W3C is None or not W3C.is_dir(),
        reason="W3C test data not found (../shared/conformance/w3c-sparql11)",
    ),
    pytest.mark.embedded_only(reason="loads each case's data into its own embedded store"),
]

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
XSD = "http://www.w3.org/2001/XMLSchema#"
TOKEN = "w3c-test-token"
DIRS = [
    "aggregates", "bind", "bindings", "cast", "construct", "exists", "functions", "grouping",
    "negation", "project-expression", "property-path", "subquery", "json-res", "csv-tsv-res",
]  # fmt: skip

# Engine deviations (pyoxigraph 0.5), each checked by hand; the endpoint passes the results through.
_CANONICAL = (
    "pyoxigraph stores typed literals by value, so the data's lexical forms come back "
    'canonical ("1E0"^^xsd:double as "1", "0"^^xsd:boolean as "false")'
)
_EMPTY_PATH = "pyoxigraph: a zero-length path from a constant not in the (empty) data yields no row"
_GRAPH_VAR = "pyoxigraph: GRAPH ?g around a subquery/VALUES does not bind ?g in the results"
_LANG_CONCAT = 'pyoxigraph keeps a common language tag in GROUP_CONCAT ("1 2"@en), SPARQL 1.1 gives a simple literal'
KNOWN: dict[str, str] = {
    **{
        f"cast/cast-{t}": _CANONICAL
        for t in ("bool", "decimal", "double", "float", "int", "string")
    },
    **{
        f"property-path/zero_or_{n}_set_{e}": _EMPTY_PATH
        for n in ("more", "one")
        for e in ("start", "end")
    },
    **{
        f"csv-tsv-res/{t}03": _CANONICAL + '; "1.0E6"^^xsd:double comes back as "1000000"'
        for t in ("csv", "tsv")
    },
    "aggregates/agg-empty-group-count-graph": _GRAPH_VAR,
    "bindings/graph": _GRAPH_VAR,
    "aggregates/agg-groupconcat-04": _LANG_CONCAT,
    "aggregates/agg-groupconcat-06": _LANG_CONCAT,
    "negation/graph-minus": "pyoxigraph: an outer GRAPH ?g makes MINUS without shared variables remove rows",
    "functions/bnode01": "pyoxigraph: BNODE(str) returns the same blank node for equal strings in different rows",
}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # eval | negative-syntax | positive-syntax | csv | protocol
    query: Path | None
    data: tuple[Path, ...]
    graph_data: tuple[tuple[str, Path], ...]  # (graph IRI, file)
    result: Path | None
    node: Any = None  # protocol: the manifest graph and test node

    @property
    def dataset(self) -> tuple[Any, ...]:
        return (self.data, self.graph_data)


def _path(uri: Any) -> Path:
    return Path(unquote(str(uri).removeprefix("file://")))


def load_cases() -> list[Case]:
    if W3C is None or not W3C.is_dir():
        return []
    cases: list[Case] = []
    for d in [*DIRS, "protocol"]:
        manifest = W3C / d / "manifest.ttl"
        if not manifest.exists():
            continue
        g = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
        entries = g.value(URIRef(manifest.as_uri()), MF.entries)
        for test in Collection(g, entries) if entries is not None else []:
            kind_iri = g.value(test, RDF.type)
            kind = str(kind_iri).rsplit("#", 1)[-1]
            tid = f"{d}/{str(test).rsplit('#', 1)[-1]}"
            if kind == "ProtocolTest":
                gd = tuple(
                    (str(g.value(x, RDFS_LABEL)), _path(g.value(x, UT.graph)))
                    for x in g.objects(test, UT.graphData)
                )
                cases.append(Case(tid, "protocol", None, (), tuple(sorted(gd)), None, (g, test)))
                continue
            action = g.value(test, MF.action)
            result = g.value(test, MF.result)
            if kind in ("NegativeSyntaxTest11", "PositiveSyntaxTest11"):
                q = _path(action)
                cases.append(
                    Case(
                        tid,
                        "negative-syntax" if kind.startswith("Neg") else "positive-syntax",
                        q,
                        (),
                        (),
                        None,
                    )
                )
                continue
            if kind not in ("QueryEvaluationTest", "CSVResultFormatTest"):
                continue
            data = tuple(sorted(_path(x) for x in g.objects(action, QT.data)))
            gdata = tuple(
                sorted((_path(x).as_uri(), _path(x)) for x in g.objects(action, QT.graphData))
            )
            cases.append(
                Case(
                    tid,
                    "csv" if kind == "CSVResultFormatTest" else "eval",
                    _path(g.value(action, QT.query)),
                    data,
                    gdata,
                    _path(result) if result else None,
                )
            )
    return cases


CASES = load_cases()
QUERY_CASES = sorted(
    (c for c in CASES if c.kind != "protocol"), key=lambda c: (repr(c.dataset), c.id)
)
PROTOCOL_CASES = [c for c in CASES if c.kind == "protocol"]


def _settings(**values: Any) -> Settings:
    with mock.patch.dict("os.environ", {}, clear=True):
        return Settings(**values)


def _graph_for(data: tuple[Path, ...], graph_data: tuple[tuple[str, Path], ...]) -> StanceGraph:
    kg = StanceGraph(OxigraphStore())
    raw = kg.store.raw  # type: ignore[attr-defined]
    for f in data:
        raw.load(path=str(f), format=format_for_path(f), base_iri=f.as_uri())
    for name, f in graph_data:
        raw.load(
            path=str(f), format=format_for_path(f), base_iri=f.as_uri(), to_graph=ox.NamedNode(name)
        )
    return kg


class Apps:
    """One app at a time: cases are sorted by dataset, so each dataset is loaded once."""

    def __init__(self) -> None:
        self.key: Any = None
        self.stack = ExitStack()
        self.client: TestClient | None = None

    def get(self, case: Case, **settings: Any) -> TestClient:
        key = (case.dataset, tuple(sorted(settings.items())))
        if key != self.key or self.client is None:
            self.close()
            app = create_app(
                _graph_for(case.data, case.graph_data),
                _settings(default_graph="separate", workers=1, **settings),
            )
            self.client = self.stack.enter_context(TestClient(app))
            self.key = key
        return self.client

    def close(self) -> None:
        self.stack.close()
        self.stack = ExitStack()
        self.client, self.key = None, None


@pytest.fixture(scope="module")
def apps() -> Iterator[Apps]:
    a = Apps()
    yield a
    a.close()


# --------------------------------------------------------------------------- comparison


def _num(term: Any) -> Any:
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(XSD):
        kind = term.datatype.value[len(XSD) :]
        if kind in ("integer", "decimal", "int", "long", "short", "byte", "nonNegativeInteger"):
            try:
                return (term.datatype.value, Decimal(term.value))
            except InvalidOperation:
                return None
        if kind in ("double", "float"):
            try:
                return (term.datatype.value, float(term.value))
            except ValueError:
                return None
    return None


def _term_eq(a: Any, b: Any, bmap: dict[str, str], rmap: dict[str, str]) -> bool:
    if isinstance(a, ox.BlankNode) or isinstance(b, ox.BlankNode):
        if not (isinstance(a, ox.BlankNode) and isinstance(b, ox.BlankNode)):
            return False
        if a.value in bmap:
            return bmap[a.value] == b.value
        if b.value in rmap:
            return False
        bmap[a.value], rmap[b.value] = b.value, a.value
        return True
    if isinstance(a, ox.Triple) and isinstance(b, ox.Triple):
        return all(_term_eq(x, y, bmap, rmap) for x, y in zip(a, b, strict=True))
    if a == b:
        return True
    na, nb = _num(a), _num(b)
    return na is not None and na == nb


def _row_eq(
    a: dict[str, Any], b: dict[str, Any], bmap: dict[str, str], rmap: dict[str, str]
) -> bool:
    if a.keys() != b.keys():
        return False
    trial_b, trial_r = dict(bmap), dict(rmap)
    if all(_term_eq(a[k], b[k], trial_b, trial_r) for k in a):
        bmap.clear(), bmap.update(trial_b), rmap.clear(), rmap.update(trial_r)
        return True
    return False


def same_solutions(
    expected: list[dict[str, Any]], actual: list[dict[str, Any]], ordered: bool
) -> bool:
    if len(expected) != len(actual):
        return False

    def match(i: int, used: frozenset[int], bmap: dict[str, str], rmap: dict[str, str]) -> bool:
        if i == len(expected):
            return True
        candidates = [i] if ordered else [j for j in range(len(actual)) if j not in used]
        for j in candidates:
            b, r = dict(bmap), dict(rmap)
            if _row_eq(expected[i], actual[j], b, r) and match(i + 1, used | {j}, b, r):
                return True
        return False

    return match(0, frozenset(), {}, {})


def rows_of(results: Any) -> list[dict[str, Any]]:
    names = [v.value for v in results.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in results]


def expected_results(path: Path) -> tuple[str, Any]:
    """("boolean", bool) | ("solutions", rows) | ("graph", rdflib.Graph)."""
    suffix = path.suffix
    if suffix in (".srx", ".srj", ".tsv"):
        fmt = {
            ".srx": ox.QueryResultsFormat.XML,
            ".srj": ox.QueryResultsFormat.JSON,
            ".tsv": ox.QueryResultsFormat.TSV,
        }[suffix]
        parsed = ox.parse_query_results(path=str(path), format=fmt)
        if isinstance(parsed, ox.QueryBoolean):
            return "boolean", bool(parsed)
        return "solutions", rows_of(parsed)
    g = Graph().parse(path, format="turtle" if suffix == ".ttl" else "xml", publicID=path.as_uri())
    rs = next(iter(g.subjects(RDF.type, RS.ResultSet)), None)
    if rs is None:
        return "graph", g
    boolean = g.value(rs, RS.boolean)
    if boolean is not None:
        return "boolean", bool(boolean.toPython())
    rows = []
    for sol in g.objects(rs, RS.solution):
        row = {}
        for binding in g.objects(sol, RS.binding):
            var, value = g.value(binding, RS.variable), g.value(binding, RS.value)
            row[str(var)] = (
                to_ox(value) if not isinstance(value, BNode) else ox.BlankNode(str(value))
            )
        rows.append(row)
    return "solutions", rows


def _isomorphic(expected: Graph, nt: bytes) -> bool:
    from rdflib.compare import to_isomorphic

    actual = Graph().parse(data=nt, format="nt")

    def norm(g: Graph) -> Graph:  # numeric literals by value, as for solutions
        out = Graph()
        for s, p, o in g:
            if (
                isinstance(o, Literal)
                and o.datatype
                and str(o.datatype) in (XSD + "integer", XSD + "decimal")
            ):
                o = Literal(
                    str(Decimal(str(o))).rstrip("0").rstrip(".")
                    if "." in str(o)
                    else str(int(Decimal(str(o)))),
                    datatype=o.datatype,
                )
            out.add((s, p, o))
        return out

    return to_isomorphic(norm(expected)) == to_isomorphic(norm(actual))


def _csv_rows(text: str) -> list[tuple[str, ...]]:
    """CSV rows keyed by column name (SELECT * column order is not fixed), bnodes anonymised."""
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    order = sorted(range(len(header)), key=lambda i: header[i])
    anon = lambda v: "_:b" if v.startswith("_:") else v  # noqa: E731
    return sorted(
        [tuple(header[i] for i in order)] + [tuple(anon(row[i]) for i in order) for row in body]
    )


ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


def _query_text(case: Case) -> str:
    assert case.query is not None
    return f"BASE <{case.query.as_uri()}>\n" + case.query.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- query tests


def _mark(case: Case) -> Any:
    reason = KNOWN.get(case.id)
    return (
        pytest.param(case, id=case.id, marks=pytest.mark.xfail(reason=reason, strict=True))
        if reason
        else pytest.param(case, id=case.id)
    )


@pytest.mark.parametrize("case", [_mark(c) for c in QUERY_CASES])
def test_query(case: Case, apps: Apps) -> None:
    client = apps.get(case)
    text = _query_text(case)
    if case.kind in ("negative-syntax", "positive-syntax"):
        r = client.post(
            "/sparql", content=text, headers={"Content-Type": "application/sparql-query"}
        )
        if case.kind == "negative-syntax":
            assert r.status_code == 400, r.text
            assert r.json()["error"]["code"] == "query_syntax"
        else:
            assert r.status_code == 200, r.text
        return
    assert case.result is not None
    if case.result.suffix in (".csv", ".tsv"):
        accept = "text/csv" if case.result.suffix == ".csv" else "text/tab-separated-values"
        r = client.post(
            "/sparql",
            content=text,
            headers={"Content-Type": "application/sparql-query", "Accept": accept},
        )
        assert r.status_code == 200, r.text
        if case.result.suffix == ".tsv":
            actual = rows_of(ox.parse_query_results(r.content, format=ox.QueryResultsFormat.TSV))
            assert same_solutions(
                expected_results(case.result)[1], actual, bool(ORDER_BY.search(text))
            )
        else:
            assert _csv_rows(r.text) == _csv_rows(case.result.read_text(encoding="utf-8"))
        return
    kind, expected = expected_results(case.result)
    accept = "application/n-triples" if kind == "graph" else "application/sparql-results+json"
    r = client.post(
        "/sparql",
        content=text,
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
    )
    assert r.status_code == 200, r.text
    if kind == "graph":
        assert _isomorphic(expected, r.content), r.text
        return
    parsed = ox.parse_query_results(r.content, format=ox.QueryResultsFormat.JSON)
    if kind == "boolean":
        assert isinstance(parsed, ox.QueryBoolean) and bool(parsed) == expected
        return
    actual = rows_of(parsed)
    assert same_solutions(expected, actual, bool(ORDER_BY.search(text))), (
        f"expected {len(expected)} rows: {expected[:5]}\nactual {len(actual)} rows: {actual[:5]}"
    )


# --------------------------------------------------------------------------- protocol tests

PROTOCOL_KNOWN: dict[str, str] = {}
_STATUS = {
    "StatusCode2xx": range(200, 300),
    "StatusCode3xx": range(300, 400),
    "StatusCode4xx": range(400, 500),
}
_FORMATS = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ),
    "RDF": ("application/rdf+xml", "text/turtle", "application/n-triples"),
}


def _pmark(case: Case) -> Any:
    reason = PROTOCOL_KNOWN.get(case.id)
    return (
        pytest.param(case, id=case.id, marks=pytest.mark.xfail(reason=reason, strict=True))
        if reason
        else pytest.param(case, id=case.id)
    )


@pytest.mark.parametrize("case", [_pmark(c) for c in PROTOCOL_CASES])
def test_protocol(case: Case, apps: Apps) -> None:
    g, test = case.node
    client = apps.get(case, write_token=TOKEN)
    action = g.value(test, MF.action)
    for req in Collection(g, g.value(action, HT.requests)):
        method = str(g.value(req, HT.methodName))
        path = str(g.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        hlist = g.value(req, HT.headers)
        for h in Collection(g, hlist) if hlist is not None else []:
            headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
        body_node = g.value(req, HT.body)
        body = str(g.value(body_node, CNT.chars)).encode() if body_node is not None else None
        r = client.request(method, path, content=body, headers=headers)
        resp = g.value(req, HT.resp)
        allowed = [
            s
            for code in g.objects(resp, MF.expectedStatus)
            for s in _STATUS[str(code).rsplit("#", 1)[-1]]
        ]
        assert r.status_code in allowed, f"{method} {path}: {r.status_code} {r.text[:300]}"
        fmt = g.value(resp, MF.expectedFormat)
        if fmt is not None:
            ctype = r.headers["content-type"].split(";")[0]
            assert ctype in _FORMATS[str(fmt)], ctype
        boolean = g.value(resp, MF.expectedBoolean)
        if boolean is not None:
            ctype = r.headers["content-type"].split(";")[0]
            if ctype.endswith("json"):
                assert json.loads(r.text)["boolean"] is boolean.toPython()
            else:
                assert f"<boolean>{str(boolean.toPython()).lower()}</boolean>" in r.text


def test_lexer_agrees_with_rdflib_on_the_suite() -> None:
    """The keyword scanner that guards SERVICE and FROM agrees with a real parser."""
    from rdflib.plugins.sparql.parser import parseQuery

    from stancegraph.sparql.screening import scan

    checked = 0
    for case in QUERY_CASES:
        if case.query is None or case.kind == "negative-syntax":
            continue
        text = case.query.read_text(encoding="utf-8")
        try:
            tree = parseQuery(text)
        except Exception:
            continue
        dumped = repr(tree)
        info = scan(text)
        assert bool(info.outbound) == ("ServiceGraphPattern" in dumped), case.id
        assert info.dataset == ("datasetClause" in dumped), case.id
        checked += 1
    assert checked > 150

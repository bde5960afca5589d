"""The SPARQL text checks in ``stancegraph/sparql/screening.py`` (answered by ``api/sparql/screen.py``): the lexer follows the grammar's terminals
(so the early 403 agrees with the engine), and the complexity limits refuse what would
overflow the engine's parser, with the line and column.

Each lexer case is checked against pyoxigraph too: a text the test calls valid must parse.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from stancegraph.api.errors import ApiError
from stancegraph.api.sparql.screen import check_nesting
from stancegraph.sparql.lexer import _TOKEN
from stancegraph.sparql.screening import MAX_NESTING, MAX_TERMS, scan

P = "PREFIX ex: <http://e/>\nPREFIX : <http://127.0.0.1:9/>\n"
S = "SERVICE <http://127.0.0.1:9/sparql> { ?a ?b ?c }"

# Valid queries in which SERVICE hides behind something a naive lexer misreads.
HIDDEN = {
    "escaped-hash": rf"SELECT * WHERE {{ BIND(ex:a\# AS ?x) {S} }}",
    "escaped-quote": rf"SELECT * WHERE {{ BIND(ex:a\' AS ?x) {S} }} #'",
    "escaped-tilde-amp": rf"SELECT * WHERE {{ BIND(ex:a\~\& AS ?x) {S} }} #'",
    "percent": rf"SELECT * WHERE {{ BIND(ex:a%41\# AS ?x) {S} }}",
    "escape-first": rf"SELECT * WHERE {{ BIND(ex:\#a AS ?x) {S} }}",
    "string-escaped-quote": rf"SELECT * WHERE {{ BIND('it\'s' AS ?x) {S} }}",
    "string-escaped-backslash": rf"SELECT * WHERE {{ BIND('a\\' AS ?x) {S} }} #'",
    "long-string-quotes": f"SELECT * WHERE {{ BIND('''a''b' AS ?x) {S} }}".replace(
        "'''a''b'", "'''a''b'''"
    ),
    "comment-ends-at-cr": f"SELECT * WHERE {{ #'\r {S} }}",
    "prefix-glued": "SELECT * WHERE { service:sparql { ?a ?b ?c } }",
    "less-than-not-iri": f"SELECT * WHERE {{ FILTER(1<2&&3#>'''\n) {S} #'''\n}}",
    "glued-after-paren": f"SELECT * WHERE {{ BIND(1 AS ?x){S} }}",
    "number-dot": f"SELECT * WHERE {{ ?s ?p 1.{S} }}",
}

# Valid queries that mention service only as data: no 403.
HARMLESS = {
    "string": "SELECT * WHERE { ?s ?p 'SERVICE <http://x/> { }' }",
    "long-string": "SELECT * WHERE { ?s ?p '''\nSERVICE <http://x/> {}\n''' }",
    "comment": "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> {}",
    "iri": "SELECT * WHERE { ?s ?p <http://e/SERVICE> }",
    "iri-with-hash-after-var": "SELECT * WHERE { ?s <http://e/x#service> 'civil service' }",
    "local-name": "SELECT * WHERE { ?s ?p ex:SERVICE }",
    "escaped-local-name": r"SELECT * WHERE { ?s ?p ex:a\#SERVICE }",
    "variable": "SELECT ?service WHERE { ?service ?p ?o }",
    "prefix-in-expression": "PREFIX service: <http://x/> SELECT * WHERE { BIND(service:x AS ?v) }",
    "blank-node": "SELECT * WHERE { _:service ?p ?o }",
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_service_the_engine_sees_is_found(name: str) -> None:
    text = P + HIDDEN[name]
    ox.Store().query(text)  # the engine parses it (lazy: the SERVICE is never run here)
    outbound = scan(text).outbound
    assert outbound and outbound[0][0] == "SERVICE", name


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_service_as_data_is_not_refused(name: str) -> None:
    text = P + HARMLESS[name]
    ox.Store().query(text)
    assert scan(text).outbound == [], name


def test_load_after_escaped_names_in_updates() -> None:
    for text in (
        r"INSERT DATA { ex:a\# ex:p 1 } ; LOAD <http://127.0.0.1:9/x>",
        r"INSERT DATA { ex:a\' ex:p 1 } ; LOAD <http://127.0.0.1:9/x> # '",
        "LOAD:x",
    ):
        info = scan(P + text, update=True)
        assert [k for k, _ in info.outbound] == ["LOAD"], text
    assert scan(P + "INSERT DATA { ex:load ex:p 'LOAD <x>' }", update=True).outbound == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (r"ex:a\#b", "pname"),
        (r"ex:a%4Fb", "pname"),
        ("ex:a.b", "pname"),
        (":", "pname"),
        (r"'a\'b'", "string"),
        ('"""a""b"""', "string"),
        (r"'\u0041'", "string"),
        ("<http://e/a#b>", "iri"),
        (r"<http://e/\u0041>", "iri"),
        ("_:b.c", "bnode"),
        ("?x1", "var"),
        ("$x", "var"),
        ("@en-GB", "lang"),
        ("1.5e3", "number"),
        (".5", "number"),
        ("# c", "comment"),
    ],
)
def test_whole_terminals(text: str, kind: str) -> None:
    m = _TOKEN.match(text)
    assert m is not None and m.lastgroup == kind and m.group() == text


def test_name_stops_where_the_grammar_does() -> None:
    assert _TOKEN.match("ex:a.").group() == "ex:a"  # type: ignore[union-attr]
    assert _TOKEN.match(r"ex:a\"").group() == "ex:a"  # type: ignore[union-attr]
    assert _TOKEN.match("ex:a%4").group() == "ex:a"  # type: ignore[union-attr]
    assert _TOKEN.match("#a\rb").group() == "#a"  # type: ignore[union-attr]


def _refused(text: str, what: str = "query") -> ApiError:
    with pytest.raises(ApiError) as info:
        check_nesting(text, what)
    return info.value


def test_limits_report_where_they_were_crossed() -> None:
    err = _refused("SELECT * WHERE {\n  BIND(" + "+".join(["1"] * 5_000) + " AS ?x) }")
    assert err.status == 400 and err.code == "query_too_complex"
    assert err.details["line"] == 2 and err.details["column"] > MAX_TERMS
    err = _refused("INSERT { <a> <b> 1 } WHERE " + "{" * (MAX_NESTING + 1), "update")
    assert err.code == "update_too_complex" and err.details["column"] == 28 + MAX_NESTING
    assert "nested deeper than" in err.message


def test_limits_leave_ordinary_large_texts_alone() -> None:
    check_nesting("SELECT * WHERE { VALUES ?x { " + " 1" * 50_000 + " } }", "query")
    check_nesting("SELECT * WHERE { FILTER(?x IN (" + ",".join(["1"] * 10_000) + ")) }", "query")
    triples = " ".join(f"<urn:s{i}> <urn:p> 'x'@en ." for i in range(20_000))
    check_nesting(f"INSERT DATA {{ {triples} }}", "update")
    check_nesting("SELECT * WHERE { BIND(" + "+".join(["1"] * 2_900) + " AS ?x) }", "query")
    check_nesting("SELECT * WHERE {" + " OPTIONAL { ?s ?p ?o }" * 400 + " }", "query")

"""The one Accept negotiator (api/http/negotiation.py) follows RFC 9110, section 12.5.1."""

from __future__ import annotations

import pytest

from stancegraph.api.http.negotiation import negotiate, offers, parse_accept

SPARQL_JSON = (
    ("application/sparql-results+json", "json"),
    ("text/csv", "csv"),
    ("application/json", "json"),
)
JSON_API = offers("application/json", "application/ld+json")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),  # absent: the first offer
        ("", "application/json"),
        ("application/ld+json", "application/ld+json"),
        ("application/ld+json, application/json", "application/json"),  # tie: server order
        ("application/json;q=0.5, application/ld+json", "application/ld+json"),
        ("*/*;q=0.1, application/ld+json;q=0.2", "application/ld+json"),
        ("application/*", "application/json"),
        ("*", "application/json"),  # a lone "*" (old clients) reads as */*
        ("text/html", None),  # nothing acceptable: the route answers 406
        ("application/json;q=0, application/ld+json;q=0", None),
        ("*/*, application/json;q=0", "application/ld+json"),  # the specific range wins
        ("application/*;q=0, application/ld+json", "application/ld+json"),
        ("garbage", "application/json"),  # no usable range: as if absent
    ],
)
def test_json_api_offers(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, JSON_API) == expected


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        ("a/b;q=0.5", (("a", "b", 0.5),)),
        ("a/b;q=1.000", (("a", "b", 1.0),)),
        ("a/b;q=1.5", ()),  # not a qvalue: the range is malformed and left out
        ("a/b;q=0.0001", ()),  # more than three decimals
        ("a/b;q=x, c/d", (("c", "d", 1.0),)),
        ("A/B ; Q=0.2", (("a", "b", 0.2),)),  # case-insensitive names and parameter
        ("a/b;level=1", (("a", "b", 1.0),)),  # other parameters do not change the weight
        ("/b, a/", ()),
    ],
)
def test_weights_are_qvalues(header: str, ranges: tuple[tuple[str, str, float], ...]) -> None:
    assert parse_accept(header) == ranges


def test_explicit_refusal_covers_a_format_s_aliases() -> None:
    # application/json carries the same format as application/sparql-results+json: refusing
    # one by name refuses the format, whatever a wildcard says of the other.
    assert negotiate("application/json;q=0, */*", SPARQL_JSON) == "csv"
    assert negotiate("application/sparql-results+json;q=0.1, text/csv;q=0.5", SPARQL_JSON) == "csv"
    assert negotiate("text/*, application/json;q=0.9", SPARQL_JSON) == "csv"


def test_a_malformed_weight_does_not_refuse() -> None:
    # RFC 9110 gives a malformed range no meaning: it is ignored, not read as q=0.
    assert negotiate("text/csv;q=abc, application/json;q=0.5", SPARQL_JSON) == "json"
    assert negotiate("text/csv;q=abc", SPARQL_JSON) == "json"

"""Named queries: their descriptions, run requests and results."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .common import ID, ApiModel, _example_of, _examples

# --------------------------------------------------------------------------- named queries

Cell = str | int | float | bool | None


class QueryParam(ApiModel):
    name: str = Field(examples=["actor"])
    """the parameter (a SPARQL variable of the query)"""
    default: str | None = Field(None, examples=[f"{ID}actor/russia"])
    """its default value"""
    description: str
    """what it means"""


class NamedQuery(ApiModel):
    """A curated example query (``data/queries/<name>.rq``)."""

    model_config = _examples(
        {
            "name": "actor-stances",
            "title": "Stances of an actor",
            "description": "Every stance an actor holds or voices (by default Russia)...",
            "sparql": "PREFIX sg: <https://w3id.org/stancegraph/ns#>\nSELECT ...",
            "params": [
                {
                    "name": "actor",
                    "default": f"{ID}actor/russia",
                    "description": "the actor: a state, organisation or person",
                }
            ],
            "href": "/api/queries/actor-stances",
        }
    )

    name: str = Field(examples=["actor-stances"])
    """the query's name (path segment)"""
    title: str
    """a short title"""
    description: str
    """what it answers"""
    sparql: str
    """the SPARQL text (parameters are variables bound by the engine)"""
    params: list[QueryParam]
    """its parameters"""
    href: str
    """where to run it: GET with parameters as query parameters, or POST {params}"""


class NamedQueryList(ApiModel):
    items: list[NamedQuery]
    """the named queries, by name"""
    total: int
    """number of items"""


class QueryRunRequest(ApiModel):
    """Parameters for running a named query."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"params": {"actor": "ukraine"}}]}
    )

    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    """parameter values: IRIs, or slugs where the default is a stancegraph IRI (ukraine → .../actor/ukraine), or literals"""


class QueryRunResponse(NamedQuery):
    """A named query and its results."""

    model_config = _examples(
        {
            **_example_of(NamedQuery),
            "bindings": {"actor": f"{ID}actor/ukraine"},
            "kind": "select",
            "columns": ["actor", "involvement", "stance"],
            "rows": [
                {
                    "actor": f"{ID}actor/ukraine",
                    "involvement": "holder",
                    "stance": f"{ID}stance/ukraine-doubts-de-escalation",
                }
            ],
            "row_count": 1,
            "truncated": False,
            "boolean": None,
        }
    )

    bindings: dict[str, Cell]
    """the values the query ran with (defaults included)"""
    kind: Literal["select", "ask", "graph"]
    """select (rows), ask (boolean) or graph (subject/predicate/object rows)"""
    columns: list[str]
    """result columns, in order"""
    rows: list[dict[str, Cell]]
    """result rows: IRIs and strings as strings, numbers as numbers, dates ISO"""
    row_count: int
    """rows returned"""
    truncated: bool
    """true when rows were cut at the server's row limit"""
    boolean: bool | None = None
    """the answer of an ASK query"""

"""Named queries: their descriptions, run requests and results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import ID, _example_of, _examples

# --------------------------------------------------------------------------- named queries

Cell = str | int | float | bool | None


class QueryParam(BaseModel):
    name: str = Field(
        description="the parameter (a SPARQL variable of the query)", examples=["actor"]
    )
    default: str | None = Field(
        None, description="its default value", examples=[f"{ID}actor/russia"]
    )
    description: str = Field(description="what it means")


class NamedQuery(BaseModel):
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

    name: str = Field(description="the query's name (path segment)", examples=["actor-stances"])
    title: str = Field(description="a short title")
    description: str = Field(description="what it answers")
    sparql: str = Field(
        description="the SPARQL text (parameters are variables bound by the engine)"
    )
    params: list[QueryParam] = Field(description="its parameters")
    href: str = Field(
        description="where to run it: GET with parameters as query parameters, or POST {params}"
    )


class NamedQueryList(BaseModel):
    items: list[NamedQuery] = Field(description="the named queries, by name")
    total: int = Field(description="number of items")


class QueryRunRequest(BaseModel):
    """Parameters for running a named query."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"params": {"actor": "ukraine"}}]}
    )

    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="parameter values: IRIs, or slugs where the default is a stancegraph IRI (ukraine → .../actor/ukraine), "
        "or literals",
    )


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

    bindings: dict[str, Cell] = Field(
        description="the values the query ran with (defaults included)"
    )
    kind: Literal["select", "ask", "graph"] = Field(
        description="select (rows), ask (boolean) or graph (subject/predicate/object rows)"
    )
    columns: list[str] = Field(description="result columns, in order")
    rows: list[dict[str, Cell]] = Field(
        description="result rows: IRIs and strings as strings, numbers as numbers, dates ISO"
    )
    row_count: int = Field(description="rows returned")
    truncated: bool = Field(description="true when rows were cut at the server's row limit")
    boolean: bool | None = Field(None, description="the answer of an ASK query")

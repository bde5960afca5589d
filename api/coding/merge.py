"""Several coders on one source: their agreement (matched units, Krippendorff's alpha)
and the merge of their work into the record, with the disagreements to adjudicate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, ValidationError

from stancegraph import agreement, coding
from stancegraph.terms import mint
from stancegraph.writes import WriteOutcome

from ..errors import ApiError
from ..http.auth import require_write
from ..sparql.engine import engine_of
from .writes import (
    SLUG,
    DryRun,
    SourceId,
    commit,
    error_doc,
    inline_schema,
    parse_json,
    read_json_body,
    write_responses,
)

router = APIRouter()

Coders = Annotated[
    str,
    Query(
        description="the two coder ids, comma-separated: A,B",
        pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?,[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
        examples=["alice,bob"],
    ),
]


def _two(request: Request, source: str, coders: str) -> tuple[str, str]:
    a, b = coders.split(",")
    if a == b:
        raise ApiError(
            422,
            "invalid_parameters",
            "agreement needs two different coders",
            [{"location": "query.coders", "message": "two different coder ids"}],
        )
    if not coding.exists(engine_of(request).kg.store, mint("source", source)):
        raise ApiError(404, "not_found", f"no source {source!r}")
    return a, b


class MatchedUnit(BaseModel):
    a: str = Field(description="the first coder's stance id")
    b: str = Field(description="the second coder's stance id")
    holder: str
    target: str
    polarity_a: str
    polarity_b: str
    agree: bool
    merged_into: str | None = Field(None, description="the stance a merge promoted from it")


class AgreementReport(BaseModel):
    """How two coders' units match, their agreement on polarity, what only one found."""

    source: str
    coders: list[str]
    matched: list[MatchedUnit]
    only: dict[str, list[str]] = Field(description="coder id -> stance ids only they coded")
    alpha: float | None = Field(
        description="Krippendorff's alpha on polarity (nominal) over matched units; null "
        "when undefined (no matched units, or one polarity throughout)"
    )
    observed_agreement: float | None
    units: dict[str, int]
    merged_only: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="coder -> {unit only they found: the stance a merge promoted from it}",
    )


class MergedStance(BaseModel):
    stance: str = Field(description="the id of the stance put into the record")
    coder: str = Field(description="whose record it is")
    drafts: dict[str, str] = Field(description="coder -> the draft it was promoted from")
    coders: list[str] = Field(description="who coded it (prov:wasAttributedTo)")
    how: str = Field(description="agreed (both coders) or accepted (adjudicated)")


class Disagreement(BaseModel):
    a: str
    b: str
    holder: str
    target: str
    polarity_a: str
    polarity_b: str
    merged_into: str | None = None


class MergeReport(BaseModel):
    source: str
    coders: list[str]
    merged: list[MergedStance]
    disagreements: list[Disagreement] = Field(
        description="matched units whose polarity the coders dispute: adjudicate with accept"
    )
    only: dict[str, list[str]] = Field(description="coder -> units only they found, unmerged")
    alpha: float | None
    activity: str | None = Field(description="the sg:CodingMerge (PROV activity), if any")
    dry_run: bool
    added: int
    removed: int
    data_version: int


class Accepted(BaseModel):
    coder: str = Field(pattern=SLUG, max_length=120)
    stance: str = Field(pattern=SLUG, max_length=120, description="the coder's stance id")


class MergeRequest(BaseModel):
    """Adjudication: whose version of a disputed unit (or of a unit only one coder found)
    to promote. An empty body merges only the agreed units."""

    model_config = {"extra": "forbid"}
    accept: list[Accepted] = Field(default_factory=list, max_length=10_000)


@router.get(
    "/sources/{source}/agreement",
    response_model=AgreementReport,
    responses={404: error_doc("no such source"), 422: error_doc("bad coders parameter")},
    summary="Agreement of two coders on a source",
)
def source_agreement(request: Request, source: SourceId, coders: Coders) -> Any:
    """Units match when they have the same holder and target and overlapping evidence;
    Krippendorff's alpha on polarity over the matched ones; units only one coder found."""
    a, b = _two(request, source, coders)
    return agreement.agreement(engine_of(request).kg.store, source, a, b).as_dict()


@router.post(
    "/sources/{source}/merge",
    response_model=MergeReport,
    responses=write_responses(created=False),
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": inline_schema(MergeRequest)}},
        }
    },
    summary="Merge two coders' work into the record; list the disagreements",
)
async def merge_coders(
    request: Request, source: SourceId, coders: Coders, dry_run: DryRun = False
) -> Any:
    """Promote every unit both coders found with the same polarity (the first coder's
    record, attributed to both, ``sg:promotedFrom`` both drafts, generated by an
    ``sg:CodingMerge`` run by this token's coder) and the versions ``accept`` names, into
    the source's graph: one validated write, all or nothing (``409`` if a stance id is
    taken in the record, ``422`` if the record would reject one). Disputed units and
    units one coder found are listed for adjudication. A second merge promotes nothing
    twice."""
    merger = require_write(request)
    a, b = _two(request, source, coders)
    accept: list[tuple[str, str]] = []
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    raw = await read_json_body(request) if has_body else b""
    if raw.strip():
        data = parse_json(raw)
        try:
            req = MergeRequest.model_validate(data)
        except ValidationError as exc:
            details = [
                {
                    "location": "body." + ".".join(str(x) for x in e["loc"]),
                    "message": e["msg"],
                }
                for e in exc.errors()
            ]
            raise ApiError(422, "invalid_parameters", "invalid merge request", details) from None
        accept = [(x.coder, x.stance) for x in req.accept]
    engine = engine_of(request)
    holder: list[agreement.MergeResult] = []

    def run() -> WriteOutcome:
        result = agreement.merge(
            engine.writer, source, a, b, merger=merger, accept=accept, dry_run=dry_run
        )
        holder.append(result)
        return result.outcome

    try:
        outcome = await commit(request, run)
    except agreement.AcceptError as exc:
        raise ApiError(
            422, "invalid_accept", str(exc), [{"location": "body.accept", "message": str(exc)}]
        ) from None
    body = holder[0].as_dict()
    return {**body, "dry_run": dry_run, "data_version": outcome.version}

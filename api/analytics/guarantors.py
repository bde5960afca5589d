"""``/api/analytics/guarantors``: nominations, acceptability and alliance overlap."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, Field

from stancegraph.analytics.guarantors import (
    Contest,
    GuarantorReport,
    Nomination,
    NomineeReport,
    NomineeStance,
)

from .params import Parties, Projection, analysis, analytics, run
from .results import Labelled, Ref, model_of, refs, report_model

NominationOut = model_of(
    Nomination,
    "NominationOut",
    nominator=Labelled("nominator_label"),
    guarantee=Labelled("guarantee_label"),
    stated_at=dt.date | None,
)
NomineeStanceOut = model_of(
    NomineeStance,
    "NomineeStanceOut",
    holder=Ref,
    about=Field(description="guarantee, nomination or self-nomination"),
)
ContestOut = model_of(
    Contest,
    "ContestOut",
    by=Labelled("by_label"),
    how=Field(description="negative-nomination or meta-stance"),
)


class AcceptabilityOut(BaseModel):
    party: Ref
    status: Literal["accepts", "objects", "mixed", "neutral", "unknown"]
    stances: list[str] = Field(description="the stances the status rests on")


def _acceptability(n: NomineeReport) -> list[dict[str, Any]]:
    return [
        {"party": p, "status": st, "stances": n.acceptability_stances.get(p, [])}
        for p, st in n.acceptability.items()
    ]


NomineeOut = model_of(
    NomineeReport,
    "NomineeOut",
    read={"acceptability": _acceptability},
    nominee=Labelled("label"),
    modality=Field(description="firmest modality among its positive nominations"),
    **refs("nominated_by"),
    nominations=list[NominationOut],  # type: ignore[valid-type]
    own_stances=list[NomineeStanceOut],  # type: ignore[valid-type]
    own_position=Field(description="silent, accepts, declines or mixed"),
    contested_by=list[ContestOut],  # type: ignore[valid-type]
    **refs("member_of"),
    acceptable_to=(list[Ref], Field(description="principal parties that accept it")),
    contested_by_party=None,
    nominee_propositions=(
        list[Ref],
        Field(description="per-nominee propositions ('X guarantees …')"),
    ),
    acceptability=(
        list[AcceptabilityOut],
        Field(
            description="per principal party: accepts, objects, mixed, neutral or unknown "
            "(no stance in the data: silence is not a veto)"
        ),
    ),
    acceptability_stances=None,
    unknown_to=(list[Ref], Field(description="parties with no stance")),
    objected_by=(list[Ref], Field(description="parties objecting")),
    list_open=Field(description="whether the guarantor list was open"),
)


class AllianceOut(BaseModel):
    alliance: Ref
    nominees: list[Ref]
    count: int
    share: float


def _alliances(report: GuarantorReport) -> list[dict[str, Any]]:
    return [
        {**a, "alliance": {"iri": org, "label": a["label"]}} for org, a in report.alliances.items()
    ]


GuarantorsResponse = report_model(
    GuarantorReport,
    "GuarantorsResponse",
    read={"alliances": _alliances},
    **refs("parties"),
    nominees=list[NomineeOut],  # type: ignore[valid-type]
    by_modality=dict[str, list[Ref]],
    **refs("acceptable_to_all_parties", "uncontested"),
    alliances=list[AllianceOut],
    graph=None,
)


@analysis(
    "/guarantors", GuarantorsResponse, "Guarantor nominations, acceptability and alliance overlap"
)
def guarantors(request: Request, projection: Projection, party: list[str] | None = Parties) -> Any:
    """Per nominee: who nominated it with what modality, what it said itself about the
    guarantee, who contests it, its alliances (org:memberOf), and where each principal
    party stands on it (acceptability: accepts, objects, mixed, neutral or unknown: no
    stance in the data, which is not a veto). Then the nominees acceptable to every
    principal party, those no principal party contests, and the alliances the nominees
    share."""
    rep = run(analytics(request).guarantors, parties=party, **projection.options)
    return GuarantorsResponse.model_validate(rep, context={"labels": rep.labels})

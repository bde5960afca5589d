"""Guarantor nominations, as a list and as a matrix."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from .common import _POSSIBLE, _UKRAINE, ID, Concept, Ref, _examples

# --------------------------------------------------------------------------- nominations


class Nomination(BaseModel):
    """A guarantor nomination: the nominator names the nominee as a guarantor of the
    guarantee, with a modality (asserted, or only possible)."""

    model_config = _examples(
        {
            "id": "ukraine-nominates-turkey-as-guarantor",
            "iri": f"{ID}stance/ukraine-nominates-turkey-as-guarantor",
            "nominator": _UKRAINE,
            "nominee": {"id": "turkey", "iri": f"{ID}actor/turkey", "label": "Turkey"},
            "modality": _POSSIBLE,
            "polarity": {
                "key": "support",
                "iri": "https://w3id.org/stancegraph/vocab/polarity/support",
                "label": "support",
                "weight": 1.0,
            },
            "guarantee": {
                "id": "international-security-guarantee",
                "iri": f"{ID}proposition/international-security-guarantee",
                "label": "International security guarantee for Ukraine by guarantor states",
            },
            "speaker": None,
            "stated_at": "2022-03-29",
        }
    )

    id: str = Field(description="the nomination stance's slug (GET /api/stances/{id})")
    iri: str = Field(description="its IRI")
    nominator: Ref = Field(description="who nominates (the stance holder)")
    nominee: Ref = Field(description="the nominated guarantor")
    modality: Concept = Field(description="asserted, reported or possible")
    polarity: Concept = Field(
        description="support for a nomination; a negative polarity contests it"
    )
    guarantee: Ref = Field(description="the guarantee (proposition) the nominee would guarantee")
    speaker: Ref | None = Field(None, description="who voiced it")
    stated_at: dt.date = Field(description="the day it was stated")


class NominationList(BaseModel):
    items: list[Nomination] = Field(
        description="nominations, firmest modality first, then by nominee"
    )
    total: int = Field(description="number of items")


class MatrixCell(BaseModel):
    modality: Concept | None = Field(
        description="the firmest modality of the nominator's nominations of this nominee; null: none"
    )
    stances: list[str] = Field(description="ids of those nominations")


class MatrixRow(BaseModel):
    nominee: Ref = Field(description="the nominee")
    modality: Concept | None = Field(description="its firmest modality over all nominators")
    cells: list[MatrixCell] = Field(
        description="one cell per nominator, in the order of `nominators`"
    )


class NominationMatrix(BaseModel):
    """Nominees (rows) × nominators (columns), each cell the modality of the nomination."""

    model_config = _examples(
        {
            "nominators": [_UKRAINE],
            "rows": [
                {
                    "nominee": {"id": "turkey", "iri": f"{ID}actor/turkey", "label": "Turkey"},
                    "modality": _POSSIBLE,
                    "cells": [
                        {
                            "modality": _POSSIBLE,
                            "stances": ["ukraine-nominates-turkey-as-guarantor"],
                        }
                    ],
                }
            ],
        }
    )

    nominators: list[Ref] = Field(description="the columns, by label")
    rows: list[MatrixRow] = Field(description="the rows: nominees by firmest modality, then label")

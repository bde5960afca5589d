"""Guarantor nominations, as a list and as a matrix."""

from __future__ import annotations

import datetime as dt

from .common import _POSSIBLE, _UKRAINE, ID, ApiModel, Concept, Ref, _examples

# --------------------------------------------------------------------------- nominations


class Nomination(ApiModel):
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

    id: str
    """the nomination stance's slug (GET /api/stances/{id})"""
    iri: str
    """its IRI"""
    nominator: Ref
    """who nominates (the stance holder)"""
    nominee: Ref
    """the nominated guarantor"""
    modality: Concept
    """asserted, reported or possible"""
    polarity: Concept
    """support for a nomination; a negative polarity contests it"""
    guarantee: Ref
    """the guarantee (proposition) the nominee would guarantee"""
    speaker: Ref | None = None
    """who voiced it"""
    stated_at: dt.date
    """the day it was stated"""


class NominationList(ApiModel):
    items: list[Nomination]
    """nominations, firmest modality first, then by nominee"""
    total: int
    """number of items"""


class MatrixCell(ApiModel):
    modality: Concept | None
    """the firmest modality of the nominator's nominations of this nominee; null: none"""
    stances: list[str]
    """ids of those nominations"""


class MatrixRow(ApiModel):
    nominee: Ref
    """the nominee"""
    modality: Concept | None
    """its firmest modality over all nominators"""
    cells: list[MatrixCell]
    """one cell per nominator, in the order of `nominators`"""


class NominationMatrix(ApiModel):
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

    nominators: list[Ref]
    """the columns, by label"""
    rows: list[MatrixRow]
    """the rows: nominees by firmest modality, then label"""

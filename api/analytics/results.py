"""Response models built from the analytics result dataclasses, not restated.

``model_of(Result, **changes)`` makes a pydantic model with ``Result``'s fields, in order,
with their types (``dataclasses.fields``, ``typing.get_type_hints``). ``changes`` say only where the API
differs from the result, in ``create_model``'s terms: a type (or ``(type, Field(...))``)
replaces a field's type or adds a field; a bare ``Field(description=...)`` documents a
field and keeps its type; ``None`` leaves a field out. ``read`` gives, for a field the API
computes, how to compute it from the result.

IRIs become :class:`Ref` objects: a field typed ``Ref`` (or ``list[Ref]``, ``dict[str,
list[Ref]]``...) takes IRIs and labels them from the ``labels`` of the validation context;
``Labelled("x_label")`` takes the label from the result's own ``x_label`` field (left out of
the model). A model validates a result object itself::

    CoalitionsResponse.model_validate(report, context={"labels": report.labels})
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, Field, ValidationInfo, create_model, model_validator
from pydantic.fields import FieldInfo

from stancegraph.read import rid

from ..freshness import Freshness

Holders = Literal["states", "actors", "all"]


class Ref(BaseModel):
    """A resource of the graph: its short id, IRI and label (as in every /api reference)."""

    id: str = Field("", description="the short id (the IRI for resources stancegraph did not mint)")
    iri: str
    label: str

    @model_validator(mode="before")
    @classmethod
    def _from_iri(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        labels = (info.context or {}).get("labels", {})
        return {"iri": value, "label": labels.get(value) or value.rstrip("/").rsplit("/", 1)[-1]}

    @model_validator(mode="after")
    def _short_id(self) -> Ref:
        self.id = self.id or rid(self.iri)
        return self


class OptionsOut(BaseModel):
    as_of: dt.date | None = Field(None, description="only stances stated on or before this date")
    source: str | None = Field(None, description="only stances from this source (IRI)")
    holders: Holders = Field("all", description="which stance holders were read")
    expectations: bool = Field(
        False, description="whether expectations (forecasts, assessments) were read too"
    )


@dataclasses.dataclass(frozen=True)
class Labelled:
    """A reference whose label is the result's field ``label_field`` (``Ref | None`` when
    ``optional``: no IRI, no reference)."""

    label_field: str
    optional: bool = False


def _get(result: Any, name: str) -> Any:
    return result[name] if isinstance(result, Mapping) else getattr(result, name)


def _labelled(name: str, how: Labelled) -> Callable[[Any], Any]:
    def read(result: Any) -> Any:
        iri = _get(result, name)
        if iri is None:
            return None
        label = _get(result, how.label_field)
        return {"iri": iri, "label": iri if label is None else label}

    return read


def model_of(
    result: type,
    name: str,
    *,
    base: type[BaseModel] = BaseModel,
    read: Mapping[str, Callable[[Any], Any]] | None = None,
    **changes: Any,
) -> type[BaseModel]:
    """The response model ``name`` for the dataclass ``result`` (see the module docstring)."""
    fields: dict[str, Any] = {}
    readers: dict[str, Callable[[Any], Any]] = dict(read or {})
    consumed = {c.label_field for c in changes.values() if isinstance(c, Labelled)}
    hints = get_type_hints(result)
    declared = [f.name for f in dataclasses.fields(result)]
    for field_name in [*declared, *(n for n in changes if n not in declared)]:
        change = changes.get(field_name, ...)
        if change is None or (field_name in consumed and field_name not in changes):
            continue
        # No default: a response always carries every field, so each is required.
        kind, info = hints.get(field_name, Any), Field()
        if isinstance(change, Labelled):
            kind = Ref | None if change.optional else Ref
            readers.setdefault(field_name, _labelled(field_name, change))
        elif isinstance(change, FieldInfo):  # documents the field, keeps its type
            info = change
        elif isinstance(change, tuple):
            kind, info = change
        elif change is not ...:
            kind = change
        fields[field_name] = (kind, info)
        readers.setdefault(field_name, functools.partial(_get, name=field_name))

    def from_result(cls: type[BaseModel], value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {n: reader(value) for n, reader in readers.items()}
        return value

    # create_model's annotation says plain callables; pydantic takes its validators here.
    validators: dict[str, Any] = {"_from_result": model_validator(mode="before")(from_result)}
    return create_model(
        name, __base__=base, __module__=__name__, __validators__=validators, **fields
    )


def refs(*names: str) -> dict[str, Any]:
    """``name=list[Ref]`` for each of ``names``: result fields that list IRIs."""
    return dict.fromkeys(names, list[Ref])


def report_model(result: type, name: str, **changes: Any) -> type[BaseModel]:
    """:func:`model_of` for an analysis report: the freshness fields first, the options it
    was computed with, and not its labels (they label the references)."""
    return model_of(result, name, base=Freshness, options=OptionsOut, labels=None, **changes)

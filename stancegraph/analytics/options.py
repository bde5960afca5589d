"""Options of every analysis (as-of date, source, holder kinds), the actor classes and
condition types they sort by, and reports as plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from ..terms import is_iri, mint

HolderKinds = Literal["states", "actors", "all"]
HOLDER_KINDS: tuple[str, ...] = ("states", "actors", "all")

# Kinds of holder, from the most specific sg: class of an actor.
_CLASS_KIND = {
    "StateActor": "state",
    "IntergovernmentalOrganization": "organisation",
    "GovernmentBody": "organisation",
    "MilitaryCommand": "organisation",
    "Delegation": "organisation",
    "NewsOrganization": "organisation",
    "Organization": "organisation",
    "ResearchOrganization": "expert",
    "Person": "person",
    "UnidentifiedActor": "organisation",
}
# Most specific first: the first of these an actor has is its type.
_CLASS_ORDER = (
    "StateActor",
    "IntergovernmentalOrganization",
    "GovernmentBody",
    "MilitaryCommand",
    "Delegation",
    "ResearchOrganization",
    "NewsOrganization",
    "Organization",
    "Person",
    "UnidentifiedActor",
    "Actor",
)
# Necessary conditions order things; sufficient ones ("if") and blockers ("unless") do not.
_PRECEDENCE_TYPES = frozenset({"only-if", "only-after", "in-exchange-for", "necessary"})
_SUFFICIENT_TYPES = frozenset({"if", "sufficient"})


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    """Which stances a projection reads.

    - ``as_of``: only stances stated on or before this date (``sg:statedAt``).
    - ``source``: only stances derived from this source (a slug or a full IRI).
    - ``holders``: ``"states"`` (holders typed ``sg:StateActor``), ``"actors"`` (every
      holder except experts) or ``"all"`` (experts included). An *expert* is a
      ``sg:ResearchOrganization`` or a ``sg:Person`` with no ``sg:state`` (an independent
      analyst rather than an official).
    - ``expectations``: also read expectations (``sg:Expectation``: forecasts and
      assessments, polarity ``unstated``, weight 0). Default False: analytics, coalitions
      and positions read preferences only (model v2).
    """

    as_of: dt.date | None = None
    source: str | None = None
    holders: str = "all"
    expectations: bool = False

    def __post_init__(self) -> None:
        if self.holders not in HOLDER_KINDS:
            raise ValueError(
                f"holders must be one of {', '.join(HOLDER_KINDS)}, not {self.holders!r}"
            )
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", dt.date.fromisoformat(self.as_of))
        if isinstance(self.as_of, dt.datetime):
            object.__setattr__(self, "as_of", self.as_of.date())
        if self.source is not None and not is_iri(self.source):
            object.__setattr__(self, "source", mint("source", self.source))

    @classmethod
    def make(cls, options: Options | None = None, **opts: Any) -> Options:
        """``options`` updated with keyword options (``as_of``, ``source``, ``holders``)."""
        base = options or cls()
        opts = {k: v for k, v in opts.items() if v is not None}
        unknown = set(opts) - {"as_of", "source", "holders", "expectations"}
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        if not opts:
            return base
        return cls(
            **{
                "as_of": base.as_of,
                "source": base.source,
                "holders": base.holders,
                "expectations": base.expectations,
                **opts,
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "source": self.source,
            "holders": self.holders,
            "expectations": self.expectations,
        }


def plain(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass as a dict of plain values, skipping ``exclude`` (e.g. NetworkX graphs)."""
    import dataclasses

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    return {
        f.name: conv(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in exclude
    }

"""Guarantor analysis: who is nominated to guarantee what, how firmly, and with whose assent.

For each nominee: who nominated it and with what modality (the source's own hedging:
asserted, reported, possible); what the nominee itself has said about the guarantee or
about its nomination; who contests it (a nomination with negative polarity, or a negative
meta-stance on a nomination); its alliance memberships (``org:memberOf``, e.g. NATO).
Then the guarantors acceptable to every principal party (``sg:party`` of the
negotiations) and the alliances the nominees share.

Example (seed)::

    >>> rep = guarantor_analysis(stancegraph.open())
    >>> rep.by_modality["asserted"]     # IRIs of United States, Canada, China, France, UK
    >>> rep.by_modality["possible"]     # Turkey, Germany, Poland, Israel
    >>> rep.alliances["https://w3id.org/stancegraph/id/actor/nato"]["count"]
    7
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

import networkx as nx

from ..terms import iri_of
from .digraphs import nomination_graph
from .frame import frame_of
from .options import Options, plain


@dataclass
class Nomination:
    stance: str
    nominator: str
    nominator_label: str
    guarantee: str
    guarantee_label: str
    modality: str
    modality_weight: float
    polarity: str
    weight: float
    speaker: str | None = None
    stated_at: str | None = None


@dataclass
class NomineeStance:
    """Something the nominee (or a body of its state) said about the guarantee or its nomination."""

    stance: str
    holder: str
    about: str  # "guarantee" | "nomination" | "self-nomination"
    target: str
    polarity: str
    modality: str
    weight: float


@dataclass
class Contest:
    stance: str
    by: str
    by_label: str
    how: str  # "negative-nomination" | "meta-stance"
    polarity: str
    weight: float


@dataclass
class NomineeReport:
    nominee: str
    label: str
    modality: str  # the firmest modality among its positive nominations
    modality_weight: float
    nominated_by: list[str]
    nominations: list[Nomination]
    own_stances: list[NomineeStance]
    own_position: str  # "silent" | "accepts" | "declines" | "mixed"
    contested_by: list[Contest]
    member_of: list[str]
    acceptable_to: list[str]  # principal parties that accept it (nomination or stance)
    contested_by_party: list[str]
    # model v2: where each principal party stands on this nominee, from data
    nominee_propositions: list[str] = field(default_factory=list)  # "X guarantees …"
    acceptability: dict[str, str] = field(default_factory=dict)  # party -> status
    acceptability_stances: dict[str, list[str]] = field(default_factory=dict)
    unknown_to: list[str] = field(default_factory=list)  # parties with no stance at all
    objected_by: list[str] = field(default_factory=list)  # parties with a negative stance
    list_open: bool | None = None


@dataclass
class GuarantorReport:
    options: dict[str, Any]
    parties: list[str]
    nominees: list[NomineeReport]
    by_modality: dict[str, list[str]]
    acceptable_to_all_parties: list[str]
    uncontested: list[str]
    alliances: dict[str, dict[str, Any]]
    guarantee_opponents: list[dict[str, Any]]
    labels: dict[str, str]
    graph: nx.MultiDiGraph = field(repr=False)

    def nominee(self, iri: str) -> NomineeReport | None:
        return next((n for n in self.nominees if n.nominee == iri), None)

    def plot(self, ax: Any = None) -> Any:
        """A matplotlib figure of this report (see :mod:`.plots`)."""
        from .plots import plot_guarantors

        return plot_guarantors(self, ax)

    def tables(self) -> dict[str, Any]:
        """The report as pandas DataFrames: nominees, nominations."""
        import pandas as pd

        return {
            "nominees": pd.DataFrame(
                [
                    {
                        "nominee": n.nominee,
                        "label": n.label,
                        "modality": n.modality,
                        "nominated_by": n.nominated_by,
                        "own_position": n.own_position,
                        "contested_by": [c.by for c in n.contested_by],
                        "member_of": n.member_of,
                        "acceptable_to_all_parties": n.nominee in self.acceptable_to_all_parties,
                        **{f"acceptability[{p}]": n.acceptability.get(p) for p in self.parties},
                    }
                    for n in self.nominees
                ]
            ),
            "nominations": pd.DataFrame(
                [{"nominee": n.nominee, **plain(x)} for n in self.nominees for x in n.nominations]
            ),
        }

    def as_dict(self) -> dict[str, Any]:
        return plain(self, exclude=("graph",))


def guarantor_analysis(
    kg: Any, options: Options | None = None, *, parties: list[str] | None = None, **opts: Any
) -> GuarantorReport:
    """Guarantor nominations, per nominee, with acceptability and alliance overlap.

    Inputs: a graph (or frame) and options; ``parties``: the principal parties (default:
    every ``sg:party`` of the negotiations in the data).

    Output: :class:`GuarantorReport`:

    - ``nominees``: one :class:`NomineeReport` each, ordered by firmest modality then
      label — nominations, the nominee's own stances on the guarantee or on its
      nomination (``own_position`` silent/accepts/declines/mixed), contests;
    - ``by_modality``: nominee IRIs per firmest modality (``asserted``, ``reported``,
      ``possible``…);
    - ``acceptable_to_all_parties``: nominees positively nominated by every principal party
      and contested by none; ``uncontested``: nominated by someone, contested by no
      principal party (the weaker reading of "acceptable to both");
    - ``alliances``: for each organisation a nominee is ``org:memberOf``, its nominees;
    - ``guarantee_opponents``: negative stances on a guarantee proposition itself;
    - ``graph``: the nomination digraph (:func:`nomination_graph`).

    Complexity: O(S) in stances.

    Model v2: ``acceptability`` says, per principal party, ``accepts`` / ``objects`` /
    ``mixed`` / ``neutral`` or ``unknown`` (no stance at all: silence is not a veto), from
    its nominations, its stances on the nominee's per-nominee proposition ("X guarantees
    …") and its reactions to the nominations; ``unknown_to`` and ``objected_by`` list the
    parties concerned.

    Example (seed): asserted = United States, Canada, China, France, United Kingdom;
    possible = Turkey, Germany, Poland, Israel; all nine silent and uncontested; Ukraine
    accepts all nine, Russia's view of each is unknown (not an objection), so
    ``acceptable_to_all_parties`` is empty and ``unknown_to`` is [Russia]; NATO covers seven.
    """
    frame = frame_of(kg, options, **opts)
    G = nomination_graph(frame)
    parties = [iri_of("actor", p) for p in parties] if parties is not None else list(frame.parties)
    noms = [r for r in frame.stances if r.is_nomination]
    guarantees = {r.target for r in noms}
    nominations_of: dict[str, list[Any]] = defaultdict(list)
    for r in noms:
        nominations_of[cast(str, r.nominee)].append(r)  # a nomination names its nominee
    nomination_ids = {r.stance: r for r in noms}
    meta_on: dict[str, list[Any]] = defaultdict(list)
    for r in frame.stances:
        if r.target_kind == "stance" and r.target in nomination_ids:
            meta_on[cast(str, nomination_ids[r.target].nominee)].append(r)

    def speaks_for(holder: str, nominee: str) -> bool:
        info = frame.actors.get(holder)
        return holder == nominee or (info is not None and info.state == nominee)

    # Stances each actor speaks through (its own, and its officials'), in frame order: one
    # pass instead of a scan of every stance per nominee.
    spoken: dict[str, list[Any]] = defaultdict(list)
    for r in frame.stances:
        spoken[r.holder].append(r)
        info = frame.actors.get(r.holder)
        if info is not None and info.state and info.state != r.holder:
            spoken[info.state].append(r)

    reports: list[NomineeReport] = []
    for nominee, rows in nominations_of.items():
        positive = [r for r in rows if r.weight > 0]
        firm = max(positive or rows, key=lambda r: (r.modality_weight, r.modality))
        own: list[NomineeStance] = []
        for r in spoken.get(nominee, ()):
            if r.is_nomination:
                if r.nominee == nominee:  # offering itself
                    own.append(
                        NomineeStance(
                            r.stance,
                            r.holder,
                            "self-nomination",
                            r.target,
                            r.polarity,
                            r.modality,
                            r.weight,
                        )
                    )
                continue
            if r.target in guarantees:
                own.append(
                    NomineeStance(
                        r.stance, r.holder, "guarantee", r.target, r.polarity, r.modality, r.weight
                    )
                )
            elif r.target in nomination_ids and nomination_ids[r.target].nominee == nominee:
                own.append(
                    NomineeStance(
                        r.stance, r.holder, "nomination", r.target, r.polarity, r.modality, r.weight
                    )
                )
        signs = {(1 if s.weight > 0 else -1) for s in own if s.weight != 0}
        own_position = (
            "silent"
            if not own
            else "mixed"
            if len(signs) != 1
            else "accepts"
            if 1 in signs
            else "declines"
        )
        contests = [
            Contest(
                r.stance,
                r.holder,
                frame.label(r.holder),
                "negative-nomination",
                r.polarity,
                r.weight,
            )
            for r in rows
            if r.weight < 0
        ]
        contests += [
            Contest(r.stance, r.holder, frame.label(r.holder), "meta-stance", r.polarity, r.weight)
            for r in meta_on.get(nominee, [])
            if r.weight < 0 and not speaks_for(r.holder, nominee)
        ]
        props = sorted(
            {
                frame.nominee_propositions[r.stance]
                for r in rows
                if r.stance in frame.nominee_propositions
            }
        )
        on_props = [r for r in frame.stances if r.target in props and not r.is_nomination]
        for r in on_props:
            if speaks_for(r.holder, nominee):
                own.append(
                    NomineeStance(
                        r.stance,
                        r.holder,
                        "nominee-proposition",
                        r.target,
                        r.polarity,
                        r.modality,
                        r.weight,
                    )
                )
            elif r.weight < 0:
                contests.append(
                    Contest(
                        r.stance,
                        r.holder,
                        frame.label(r.holder),
                        "nominee-proposition",
                        r.polarity,
                        r.weight,
                    )
                )
        if any(s.about == "nominee-proposition" for s in own):
            signs = {(1 if s.weight > 0 else -1) for s in own if s.weight != 0}
            own_position = (
                "mixed"
                if len(signs) > 1
                else "accepts"
                if 1 in signs
                else "declines"
                if signs
                else "silent"
            )
        # where each principal party stands: its (or its officials') nominations of this
        # nominee, stances on the nominee's proposition, reactions to its nominations
        about = rows + on_props + meta_on.get(nominee, [])
        acceptability: dict[str, str] = {}
        evidence: dict[str, list[str]] = {}
        for p in parties:
            mine = [r for r in about if speaks_for(r.holder, p)]
            evidence[p] = sorted({r.stance for r in mine})
            pos = any(r.weight > 0 for r in mine)
            neg = any(r.weight < 0 for r in mine)
            acceptability[p] = (
                "unknown"
                if not mine
                else "mixed"
                if pos and neg
                else "accepts"
                if pos
                else "objects"
                if neg
                else "neutral"
            )
        contested_parties = sorted(
            {c.by for c in contests if c.by in parties}
            | {p for p, st in acceptability.items() if st in ("objects", "mixed")}
        )
        info = frame.actors.get(nominee)
        reports.append(
            NomineeReport(
                nominee=nominee,
                label=frame.label(nominee),
                modality=firm.modality,
                modality_weight=firm.modality_weight,
                nominated_by=sorted({r.holder for r in positive}, key=frame.label),
                nominations=[
                    Nomination(
                        stance=r.stance,
                        nominator=r.holder,
                        nominator_label=frame.label(r.holder),
                        guarantee=r.target,
                        guarantee_label=frame.label(r.target),
                        modality=r.modality,
                        modality_weight=r.modality_weight,
                        polarity=r.polarity,
                        weight=r.weight,
                        speaker=r.speaker,
                        stated_at=r.stated_at.isoformat() if r.stated_at else None,
                    )
                    for r in sorted(rows, key=lambda r: r.stance)
                ],
                own_stances=own,
                own_position=own_position,
                contested_by=contests,
                member_of=list(info.member_of) if info else [],
                acceptable_to=sorted(p for p, st in acceptability.items() if st == "accepts"),
                contested_by_party=contested_parties,
                nominee_propositions=props,
                acceptability=acceptability,
                acceptability_stances=evidence,
                unknown_to=sorted(p for p, st in acceptability.items() if st == "unknown"),
                objected_by=sorted(
                    p for p, st in acceptability.items() if st in ("objects", "mixed")
                ),
                list_open=(
                    any(frame.list_open[r.stance] for r in rows if r.stance in frame.list_open)
                    if any(r.stance in frame.list_open for r in rows)
                    else None
                ),
            )
        )
    reports.sort(key=lambda n: (-n.modality_weight, n.label))
    by_modality: dict[str, list[str]] = {}
    for n in reports:
        by_modality.setdefault(n.modality, []).append(n.nominee)
    acceptable = [
        n.nominee
        for n in reports
        if parties and set(parties) <= set(n.acceptable_to) and not n.contested_by_party
    ]
    uncontested = [n.nominee for n in reports if n.nominated_by and not n.contested_by_party]
    alliances: dict[str, dict[str, Any]] = {}
    for n in reports:
        for org in n.member_of:
            a = alliances.setdefault(org, {"label": frame.label(org), "nominees": []})
            a["nominees"].append(n.nominee)
    for a in alliances.values():
        a["count"] = len(a["nominees"])
        a["share"] = round(a["count"] / len(reports), 6) if reports else 0.0
    opponents = [
        {
            "stance": r.stance,
            "holder": r.holder,
            "holder_label": frame.label(r.holder),
            "guarantee": r.target,
            "polarity": r.polarity,
            "weight": r.weight,
        }
        for r in frame.stances
        if r.target in guarantees and r.weight < 0 and not r.is_nomination
    ]
    named = (p for n in reports for p in n.nominee_propositions)
    return GuarantorReport(
        options=frame.options.as_dict(),
        parties=parties,
        nominees=reports,
        by_modality=by_modality,
        acceptable_to_all_parties=acceptable,
        uncontested=uncontested,
        alliances=dict(sorted(alliances.items(), key=lambda kv: (-kv[1]["count"], kv[1]["label"]))),
        guarantee_opponents=opponents,
        labels=frame.labels(G.nodes, guarantees, parties, alliances, named),
        graph=G,
    )

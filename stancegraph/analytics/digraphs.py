"""The directed projections: the condition dependency digraph and the guarantor
nomination digraph."""

from __future__ import annotations

from typing import Any, cast

import networkx as nx

from .frame import frame_of, graph_meta
from .networks import _actor_node
from .options import Options


def dependency_graph(kg: Any, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
    """Condition dependency digraph: proposition → proposition it requires.

    One edge per condition (key: the condition IRI) from the target of the conditional
    stance to the required proposition, with ``holder``, ``holder_label``,
    ``condition_type`` (only-if, only-after, in-exchange-for, if, unless), ``precedence``
    (False for ``unless``, a blocker, and ``if``, a sufficient condition), ``necessity``
    (necessary / sufficient / blocker), ``holder_role`` (party / third-party), ``stance``
    and ``note``. Nodes: ``kind`` (proposition, or stance for a condition on a
    meta-stance) and ``label``.

    Complexity: O(C) for C conditions.

    Example (seed): ``peace-agreement → international-security-guarantee`` (Ukraine,
    only-if, party) and ``end-of-war → complete-russian-withdrawal`` (Canada, only-if,
    third-party). Expectations' conditions appear only with ``expectations=True``.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.MultiDiGraph(kind="condition-dependencies", **graph_meta(frame))
    for c in frame.conditions:
        for n in (c.target, c.requires):
            if n not in G:
                G.add_node(n, kind=frame.kind_of(n), label=frame.label(n))
        G.add_edge(
            c.target,
            c.requires,
            key=c.condition,
            holder=c.holder,
            holder_label=frame.label(c.holder),
            condition_type=c.condition_type,
            precedence=c.precedence,
            necessity=c.necessity,
            holder_role=frame.holder_role(c.holder),
            stance=c.stance,
            note=c.note,
        )
    return G


def nomination_graph(kg: Any, options: Options | None = None, **opts: Any) -> nx.MultiDiGraph:
    """Guarantor nomination digraph: nominator → nominee.

    One edge per nomination (key: the nomination stance IRI) with ``modality`` and
    ``modality_weight``, ``polarity`` and signed ``weight`` (a negative nomination contests
    the nominee), ``guarantee`` (the proposition nominated for) and ``speaker``. Nodes are
    actors (``label``, ``actor_type``, ``member_of``).

    Complexity: O(N) for N nominations.

    Example (seed): nine edges out of Ukraine; United States, Canada, China, France and the
    United Kingdom with modality ``asserted``, Turkey, Germany, Poland and Israel with
    ``possible``.
    """
    frame = frame_of(kg, options, **opts)
    G = nx.MultiDiGraph(kind="guarantor-nominations", **graph_meta(frame))
    for row in frame.stances:
        if not row.is_nomination:
            continue
        for a in (row.holder, cast(str, row.nominee)):  # a nomination names its nominee
            if a not in G:
                info = frame.actors.get(a)
                _actor_node(G, frame, a, member_of=info.member_of if info else ())
        G.add_edge(
            row.holder,
            row.nominee,
            key=row.stance,
            modality=row.modality,
            modality_weight=row.modality_weight,
            polarity=row.polarity,
            weight=row.weight,
            guarantee=row.target,
            guarantee_label=frame.label(row.target),
            speaker=row.speaker,
        )
    return G

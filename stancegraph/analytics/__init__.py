"""Network analytics on the stance graph: coalitions, guarantees, sequencing and influence.

One module per family, modelled on NetworkX's ``algorithms/``; every function documents
its inputs, output, complexity and a worked example on the seed data:

- :mod:`.frame` — the source data an analysis reads (:mod:`.reading`), filtered by
  :mod:`.options` and cached per data version (:mod:`.state`);
- :mod:`.networks` — RDF → NetworkX: the signed actor–target bipartite graph, positions,
  the actor–actor congruence / conflict / signed networks (Discourse Network Analysis);
  :mod:`.digraphs` — the condition dependency and guarantor nomination digraphs;
- :mod:`.coalitions` — seeded Louvain communities on the congruence network; signed
  structural balance (frustration index; exact up to 20 nodes per component, a seeded
  spectral + local-search heuristic beyond);
- :mod:`.guarantors` — nominees, modality, own statements, contests, acceptability,
  alliance overlap;
- :mod:`.conditions` — deadlocks, blocked propositions, feasible sequencing, critical
  preconditions;
- :mod:`.positions` — polarisation, consensus set, pivotal actors and propositions;
- :mod:`.history` — an actor's position on a target over time, and its changes
  (``sg:supersedes``);
- :mod:`.sources` — where two sources attribute different stances, guarantor lists or
  conditions to the same actor at the same occasion;
- :mod:`.materialize` — results as RDF in the derived graph ``id/graph/analytics``;
- :mod:`.export` — GraphML, GEXF, node-link JSON; :mod:`.layout` — a seeded drawing.

Entry point (:mod:`.analyses`): ``Analytics(kg)`` (or ``Analytics.of(kg)``, shared per graph), which caches
frames, graphs and reports per (data version, options)::

    >>> import stancegraph
    >>> from stancegraph.analytics import Analytics
    >>> an = Analytics.of(stancegraph.open())
    >>> an.guarantors().by_modality["possible"]      # Turkey, Germany, Poland, Israel
    >>> an.coalitions(holders="states").balance.frustration
    1
    >>> an.conditions().deadlocks
    []
This package only re-exports; the code lives in the modules above.
"""

from .analyses import GRAPHS, Analytics, ensure_materialized, materialize
from .balance import BalanceResult, balance_partition, frustration
from .coalitions import Coalition, CoalitionReport, coalitions, communities
from .conditions import (
    ConditionReport,
    condition_analysis,
    critical_preconditions,
    deadlocks,
    sequencing,
)
from .digraphs import dependency_graph, nomination_graph
from .export import sanitize, to_gexf, to_graphml, to_node_link
from .frame import Frame, load_frame
from .guarantors import GuarantorReport, guarantor_analysis
from .history import PositionChange, PositionHistory, PositionPoint, position_history
from .layout import Layout, layout
from .materialize import ANALYTICS, MaterializeReport
from .networks import conflict_network, congruence_network, signed_actor_network, signed_bipartite
from .options import Options
from .positions import (
    PositionsReport,
    consensus_set,
    pivotal_actors,
    pivotal_propositions,
    polarisation,
    positions_analysis,
)
from .sources import SourceComparison, compare_sources
from .state import data_version, is_current
from .triangles import triangle_balance

__all__ = [
    "ANALYTICS",
    "GRAPHS",
    "Analytics",
    "BalanceResult",
    "Coalition",
    "CoalitionReport",
    "ConditionReport",
    "Frame",
    "GuarantorReport",
    "Layout",
    "MaterializeReport",
    "Options",
    "PositionChange",
    "PositionHistory",
    "PositionPoint",
    "PositionsReport",
    "SourceComparison",
    "balance_partition",
    "coalitions",
    "communities",
    "compare_sources",
    "condition_analysis",
    "conflict_network",
    "congruence_network",
    "consensus_set",
    "critical_preconditions",
    "data_version",
    "deadlocks",
    "dependency_graph",
    "ensure_materialized",
    "frustration",
    "guarantor_analysis",
    "is_current",
    "layout",
    "load_frame",
    "materialize",
    "nomination_graph",
    "pivotal_actors",
    "pivotal_propositions",
    "polarisation",
    "position_history",
    "positions_analysis",
    "sanitize",
    "sequencing",
    "signed_actor_network",
    "signed_bipartite",
    "to_gexf",
    "to_graphml",
    "to_node_link",
    "triangle_balance",
]

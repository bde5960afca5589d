"""Response (and request) models of the JSON API (``/api/...``).

Conventions, the same in every object:

- ``id`` is the record's slug (``russia``, ``peace-agreement``), the path segment of its
  detail route (``/api/actors/russia``); resources not minted by stancegraph use their full
  IRI as ``id``. ``iri`` is always the full IRI, the key to use with ``/sparql``.
- A reference to another resource is a ``Ref``: ``{id, iri, label}``.
- Controlled values (polarity, modality, speech act, condition type, demand type, role) are
  ``Concept`` objects: ``{key, iri, label, weight}``; ``key`` is what filters accept.
- Dates are ISO 8601 (``2022-03-29``), date-times ISO 8601 with offset; fields are snake_case;
  absent values are ``null``, absent lists ``[]``.

Every model is an ``ApiModel`` (``common.py``): a field is documented by the docstring
under it, which is its description in /docs.

One module per resource; this package re-exports every model.
"""

from __future__ import annotations

from .actors import ActorDetail, ActorList, ActorSummary, Membership
from .common import (
    Concept,
    Ref,
    StanceRef,
    TargetRef,
    VocabulariesResponse,
    VocabularyConcept,
)
from .nominations import MatrixCell, MatrixRow, Nomination, NominationList, NominationMatrix
from .propositions import (
    Position,
    PositionGroup,
    PropositionDetail,
    PropositionList,
    PropositionSummary,
    Reaction,
)
from .queries import (
    Cell,
    NamedQuery,
    NamedQueryList,
    QueryParam,
    QueryRunRequest,
    QueryRunResponse,
)
from .search import SearchHit, SearchKind, SearchResponse
from .sources import SourceDetail, SourceList, SourceSummary
from .stances import (
    Condition,
    ConditionBase,
    ConditionList,
    Evidence,
    EvidenceSource,
    StanceDetail,
    StanceListItem,
    StancePage,
    StanceSummary,
)

__all__ = [
    "ActorDetail",
    "ActorList",
    "ActorSummary",
    "Cell",
    "Concept",
    "Condition",
    "ConditionBase",
    "ConditionList",
    "Evidence",
    "EvidenceSource",
    "MatrixCell",
    "MatrixRow",
    "Membership",
    "NamedQuery",
    "NamedQueryList",
    "Nomination",
    "NominationList",
    "NominationMatrix",
    "Position",
    "PositionGroup",
    "PropositionDetail",
    "PropositionList",
    "PropositionSummary",
    "QueryParam",
    "QueryRunRequest",
    "QueryRunResponse",
    "Reaction",
    "Ref",
    "SearchHit",
    "SearchKind",
    "SearchResponse",
    "SourceDetail",
    "SourceList",
    "SourceSummary",
    "StanceDetail",
    "StanceListItem",
    "StancePage",
    "StanceRef",
    "StanceSummary",
    "TargetRef",
    "VocabulariesResponse",
    "VocabularyConcept",
]

"""A ``Store`` over the SPARQL 1.1 Protocol: an operated triplestore as stancegraph's backend.

``SparqlHttpStore`` implements the ``Store`` protocol of ``stancegraph.store.base`` with three URLs (query,
update, Graph Store Protocol) of an existing engine (Oxigraph server, Virtuoso, or any
SPARQL 1.1 endpoint), so ``StanceGraph``, the analytics and the API run unchanged on it.
Results come back as pyoxigraph objects (``QuerySolutions``, ``QueryBoolean``,
``QueryTriples``), exactly what the embedded store returns.

What the engine profiles change (``engine="auto"`` reads the ``Server`` header):

========================  ==============================  =================================
                          ``oxigraph``                    ``virtuoso`` / ``generic``
========================  ==============================  =================================
union default graph       ``union-default-graph`` param   ``default-graph-uri`` +
                                                          ``named-graph-uri`` for every data
                                                          graph (cached per data version)
the default graph         the engine's own                ``id/graph/default`` (Virtuoso has
                                                          no separate default graph)
multi-graph writes        one SPARQL Update request       staged + journalled (see below)
                          (atomic in Oxigraph)
bulk loads                one Graph Store POST            Graph Store POSTs into staging
                                                          graphs, then ``ADD`` server-side
row caps                  none                            ``X-SPARQL-MaxRows`` -> paging
                                                          or :class:`ResultTruncated`
========================  ==============================  =================================

Multi-request writes (Virtuoso, generic engines) are made atomic by *roll forward*:

1. a journal entry ``<meta/tx/ID> sg:state "prepare"`` lists its staging graphs;
2. the new triples go into staging graphs ``id/graph/staging/ID/N`` (Graph Store POST in
   chunks, or ``INSERT DATA`` of at most ``chunk_triples`` triples per request);
3. the commit plan (``DROP SILENT GRAPH``, subject ``DELETE``\\ s, ``ADD staging TO target``,
   the data-version marker) is written into the journal, then the state flips to
   ``"commit"`` in one single-operation request: the point of no return;
4. the plan runs, one request per step; then the state flips to ``"done"``, the staging
   graphs are dropped and the journal entry deleted.

The plan is idempotent as a whole (it starts by dropping/deleting what it then re-adds from
the staging graphs), so recovery (:meth:`SparqlHttpStore.recover`, run before every write
and at open) rolls a ``"commit"`` transaction forward from its first step and rolls a
``"prepare"`` one back by dropping its staging graphs. A write that fails before the flip
is therefore never visible; one that fails after it is completed by the next writer (or
``stancegraph`` process) that opens the store. Readers may see a committed transaction
half-applied for the duration of its plan (a few requests); single writer assumed (a fresh
journal entry of another writer makes writes wait, then fail with a clear error).

Data version (``version``): a local counter, bumped on own writes and whenever the marker
triple ``<id/graph/meta> sg:dataVersion "token"`` changes; the marker is read at most once
every ``version_ttl_s`` seconds (default 1), so another process' write is seen within that
window.
"""

from .settings import RemoteSettings, redact
from .store import SparqlHttpStore

__all__ = ["RemoteSettings", "SparqlHttpStore", "redact"]

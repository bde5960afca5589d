"""``/sparql`` on a remote store: queries pass straight through, no worker processes.

In remote mode (``serve --store sparql+http://…``) the data live in the remote engine, and
other clients write there too: copying them into local workers would serve a stale
snapshot and could not scale. Each query runs instead as ``store.query(...)`` in a thread
of a bounded lane (the remote store returns pyoxigraph result objects) and is serialised
as the workers do (``workers.serialise``): same formats, same ``max_rows`` truncation.

- Syntax is checked locally first (pyoxigraph on an empty store, in a sandboxed worker of
  the scratch pool: client text is never parsed in the server), so errors are the embedded
  mode's 400s with line and column, and nothing malformed is sent.
- A SELECT without its own LIMIT/OFFSET asks for ``max_rows + 1`` rows only; if the
  server's row cap is lower (Virtuoso's ``X-SPARQL-MaxRows``), the store pages the result
  instead. A capped result that cannot be paged raises ``ResultTruncated``: a clear error,
  never silently missing rows.
- Writes go through the library's one write path (``stancegraph.writes``): the change is
  computed with the WHERE evaluated by the remote store, validated locally, and committed
  as one update request (``SparqlHttpStore.commit``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeGuard

from stancegraph.errors import RemoteStoreError, ResultTruncated
from stancegraph.sparql.screening import from_dataset
from stancegraph.sparql.shape import analyse
from stancegraph.store.remote import SparqlHttpStore

from .workers import Job, QueryTimeout, Reply, _Slots, serialise

_CLIENT_ERROR = re.compile(r"\(HTTP 4(?!01|03)\d\d\b")


def is_remote(store: Any) -> TypeGuard[SparqlHttpStore]:
    return isinstance(store, SparqlHttpStore)


class RemoteLane:
    """At most ``size`` queries at the remote store at once, ``max_queued`` waiting, then 503."""

    def __init__(
        self,
        store: SparqlHttpStore,
        size: int,
        max_queued: int,
        check: Callable[[Job, float], Awaitable[Reply]] | None = None,
    ):
        self.store = store
        self.check = check  # the syntax check, in a sandboxed worker (client text)
        self.slots = _Slots(size, max_queued)
        self.executor = ThreadPoolExecutor(size, thread_name_prefix="sparql-remote")

    async def run(self, job: Job, timeout: float) -> Reply:
        """The reply, or ``QueryTimeout`` after ``timeout`` s (the request then finishes in
        its thread, bounded by the store's own timeout, and holds its slot until then)."""
        if self.check is not None and "service" not in job.query.lower():
            checked = await self.check(job, timeout)
            if not checked.ok and checked.error == "syntax":
                return checked
        await self.slots.acquire(timeout)  # PoolBusy when the lane and its queue are full
        try:
            cf: Future[Reply] = self.executor.submit(execute_remote, self.store, job)
        except BaseException:
            self.slots.release()
            raise
        cf.add_done_callback(self._done)
        fut = asyncio.wrap_future(cf)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except BaseException as exc:  # timed out, or the client went away
            fut.add_done_callback(_retrieve)
            if isinstance(exc, TimeoutError):
                raise QueryTimeout from None
            raise

    def _done(self, cf: Future[Reply]) -> None:
        self.slots.release()

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _retrieve(fut: asyncio.Future[Any]) -> None:
    """Mark an abandoned request's outcome as seen (no "exception never retrieved")."""
    if not fut.cancelled():
        fut.exception()


def execute_remote(store: SparqlHttpStore, job: Job) -> Reply:
    """Run one job on the remote store. Query problems become a ``Reply``; store problems
    (``StoreUnavailable``, ``ResultTruncated``…) propagate to the error handlers."""
    text = f"BASE <{job.base_iri}>\n{job.query}" if job.base_iri else job.query
    kwargs = _dataset(store, job)
    try:
        shape = analyse(text)
        pageable = not (shape.has_limit or shape.has_offset or shape.has_values)
        # (Virtuoso refuses ORDER BY with a LIMIT above its MaxSortedTopRows: no LIMIT there.)
        sortable = shape.order_start is None or store.engine == "oxigraph"
        if shape.form == "SELECT" and shape.where_close is not None and pageable and sortable:
            try:
                results = store.query(f"{text}\nLIMIT {job.max_rows + 1}", **kwargs)
            except ResultTruncated:  # the server's row cap is below max_rows: let the store page
                results = store.query(text, **kwargs)
        else:
            results = store.query(text, **kwargs)
    except SyntaxError as exc:
        return Reply(False, error="syntax", message=str(exc))
    except (ValueError, TypeError) as exc:
        return Reply(False, error="evaluation", message=str(exc))
    except RemoteStoreError as exc:
        if type(exc) is RemoteStoreError and _CLIENT_ERROR.search(str(exc)):
            return Reply(False, error="evaluation", message=str(exc))  # the query's fault
        raise
    return serialise(results, job)


def _dataset(store: SparqlHttpStore, job: Job) -> dict[str, Any]:
    if job.default_graph is not None or job.named_graphs is not None:
        return {
            "default_graph": list(job.default_graph or ()),
            "named_graphs": list(job.named_graphs or ()),
        }
    if not job.union and store.engine != "oxigraph":
        # The store sends its own dataset on these engines, which would override the
        # query's FROM: send the FROM graphs as the protocol dataset (same meaning).
        found = from_dataset(job.query)
        if found is not None:
            return {"default_graph": found[0], "named_graphs": found[1]}
    return {"union_default_graph": job.union}


def fresh_version(store: Any) -> int:
    """The store's data version now (a remote store reads its marker: no TTL window)."""
    if is_remote(store):
        return store.refresh_version()
    return store.version

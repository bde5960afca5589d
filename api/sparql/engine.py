"""The SPARQL engine the routes share: the graph, the settings, the query workers (or the
remote lane), the scheduler, the result cache and the one write gate."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

import pyoxigraph as ox
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from stancegraph.change import Change
from stancegraph.graph import StanceGraph
from stancegraph.memo import BoundedCache
from stancegraph.sparql.screening import significant_tokens
from stancegraph.store import OxigraphStore
from stancegraph.store.snapshots import Snapshots
from stancegraph.validation.reference import ValidationFailed
from stancegraph.writes import UpdateError, WriteOutcome, Writer

from .. import etag as etags
from ..errors import ApiError
from ..settings import Settings
from .remote import RemoteLane, is_remote
from .sandboxed import WorkerEvaluator
from .scheduling import (
    CHEAP,
    HEAVY,
    SUSPECT_LEASH,
    UNKNOWN,
    QueryCosts,
    Scheduler,
    Suspects,
    Ticket,
    client_key,
    cost_key,
)
from .workers import (
    Job,
    PoolBusy,
    QueryCrashed,
    QueryTimeout,
    Reply,
    WorkerFailed,
    WorkerPool,
)

_SYNTAX_AT = re.compile(r"error at (\d+):(\d+)")


def syntax_error(text: str, message: str, what: str) -> ApiError:
    details: dict[str, Any] = {"message": message}
    m = _SYNTAX_AT.search(message)
    if m:
        details["line"], details["column"] = int(m.group(1)), int(m.group(2))
    return ApiError(
        400, f"{what}_syntax", f"SPARQL {what} syntax error: {message}", details=details
    )


# --------------------------------------------------------------------------- the engine


# Pauses before each reopen of the workers' on-disk view after a storage error.


class Engine:
    """What the routes share: the graph, the settings, the worker pool and the write gate."""

    def __init__(self, kg: StanceGraph, settings: Settings):
        self.kg = kg
        self.settings = settings
        # A remote store is queried directly, in threads (remote_sparql.py): no workers.
        self.remote: RemoteLane | None = None
        self.pool: WorkerPool | None = None
        if is_remote(kg.store):
            size = max(4, 4 * settings.workers)
            # The store's own read timeout must not cut a query the service still allows.
            remote = kg.store.settings
            remote.timeout_s = max(remote.timeout_s, settings.query_timeout_s + 1)
            self.remote = RemoteLane(
                kg.store, size, settings.max_queued_queries, check=self._check_syntax
            )
            lanes = size
        else:
            self.pool = WorkerPool(
                self._source,
                lambda: kg.store.version,
                size=settings.workers,
                max_queued=settings.max_queued_queries,
                deny_network=not settings.allow_outbound,
                require_sandbox=settings.require_sandbox,
                worker_memory=settings.worker_memory_mb * 1024 * 1024,
                max_staleness_s=settings.read_staleness_s,
            )
            lanes = settings.workers
        # Writes: one validated write path (stancegraph.writes); client text is parsed and
        # evaluated in sandboxed workers, the scratch ones holding no data.
        self.scratch_pool = WorkerPool(
            lambda: ("load", b""),
            lambda: 0,
            size=1,
            max_queued=settings.max_queued_queries,
            deny_network=not settings.allow_outbound,
            require_sandbox=settings.require_sandbox,
            worker_memory=settings.worker_memory_mb * 1024 * 1024,
        )
        # Writes block (planning, validation, the commit): they get threads of their own,
        # so that a burst of them never queues the readers' blocking steps (a view's refresh,
        # a worker's fork) behind it in the shared default pool.
        self._write_threads = ThreadPoolExecutor(2, thread_name_prefix="stancegraph-write")
        self.writer = Writer(
            kg.store,
            evaluator=WorkerEvaluator(
                self.scratch_pool,
                self.pool,
                kg.store,
                timeout_s=settings.query_timeout_s,
                max_bytes=settings.max_write_mb << 20,
            ),
            allow_outbound=settings.allow_outbound,
            on_commit=self._committed,
        )
        self._snapshots: Snapshots | None = None
        self._sd_cache: BoundedCache[bytes] = BoundedCache(4 << 20, 32)
        # Query results by (data version, query, formats, dataset…): repeated requests on
        # unchanged data skip the workers entirely; ETag/If-None-Match gives 304.
        self.cache = etags.ResponseCache()
        # Who gets a worker, and when (scheduling.py): known-heavy and long-running queries
        # share at most workers - reserved_workers; the rest serve short queries, clients
        # take turns. Text that differs only in comments or layout counts as one query.
        self.costs = QueryCosts()
        self.suspects = Suspects()
        self.scheduler = Scheduler(
            lanes,
            settings.reserved_workers,
            settings.max_queued_queries,
            self.costs,
        )
        self._client_tokens = [
            t.get_secret_value()
            for t in [settings.write_token, *settings.read_tokens, *settings.coders.values()]
            if t is not None and t.get_secret_value()
        ]

    def cost_key(self, text: str) -> tuple[bytes, bool]:
        return cost_key(text, significant_tokens)

    def is_heavy(self, text: str) -> bool:
        return self.costs.kind(self.cost_key(text)[0]) == HEAVY

    def mark_heavy(self, text: str) -> None:
        self.costs.mark(self.cost_key(text)[0], HEAVY)

    def client_of(self, request: Request) -> str:
        """The client for fair shares: a valid bearer token, else the remote address."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else None
        host = request.client.host if request.client is not None else None
        return client_key(host, bearer, self._client_tokens)

    def _source(self) -> tuple[str, Any]:
        """What the query workers read: a checkpoint of an on-disk store (never the live
        store, see ``stancegraph.snapshots``), or a copy of an in-memory one."""
        store = self.kg.store
        if isinstance(store, OxigraphStore) and store.path is not None:
            if self._snapshots is None:
                linger = max(30.0, 3 * self.settings.query_timeout_s)
                self._snapshots = Snapshots(store, linger_s=linger)
            return "path", str(self._snapshots.current())
        return "load", store.dump(ox.RdfFormat.N_QUADS)

    async def _check_syntax(self, job: Job, timeout: float) -> Reply:
        """Parse a query for a remote store in a sandboxed scratch worker."""
        check = Job(job.query, None, None, 0, base_iri=job.base_iri, kind="check")
        try:
            return await self.scratch_pool.run(check, timeout)
        except QueryCrashed:
            raise  # the text crashed the parser: 400 query_crashed
        except (QueryTimeout, PoolBusy, WorkerFailed):
            return Reply(True, "check")  # not a syntax error: the remote engine decides

    def _committed(self, _change: Change) -> None:
        """After a commit: nothing to wait for. The query workers move to the new data
        version when the next query arrives (one refresh for a burst of writes)."""

    def start(self) -> None:
        self.scratch_pool.start()  # (refuses to start without its sandbox, as the pool does)
        if self.pool is not None:
            self.pool.start()

    def close(self) -> None:
        self._write_threads.shutdown(wait=False, cancel_futures=True)
        self.scratch_pool.close()
        if self.pool is not None:
            self.pool.close()
        if self._snapshots is not None:
            self._snapshots.close()
        if self.remote is not None:
            self.remote.close()

    async def run(self, job: Job, timeout: float, client: str = "") -> Reply:
        """Run ``job`` when the scheduler gives it a worker (policy: ``scheduling.py``).

        A query not known to be heavy is watched: past ``heavy_after_s`` it is demoted to
        the long lane, or, when that lane is full, stopped and queued again as heavy with
        the run time it has left. Raises ``Busy``, ``QueryTimeout`` or ``WorkerFailed``."""
        key, normalised = await self._cost_key(job.query)
        # Long texts are keyed as sent (not normalised): heavy until proven cheap.
        kind = self.costs.kind(key, UNKNOWN if normalised else HEAVY)
        threshold = self.settings.heavy_after_s
        # A client that recently ran a long query gets a shorter leash on new texts.
        leash = threshold * SUSPECT_LEASH if client in self.suspects else threshold
        loop = asyncio.get_running_loop()
        try:
            ticket = await self.scheduler.admit(client, kind, timeout, key)
            try:
                started = loop.time()
                reply: Reply | None
                if ticket.long:
                    reply = await self._execute(job, timeout)
                else:
                    reply = await self._watched(job, timeout, ticket, key, client, leash)
                ran = loop.time() - started
            finally:
                self.scheduler.release(ticket)
            if reply is None:  # stopped at the threshold: the rest runs in the long lane
                ticket = await self.scheduler.admit(client, HEAVY, timeout, key)
                try:
                    started = loop.time()
                    reply = await self._execute(job, max(0.001, timeout - ran))
                    ran += loop.time() - started
                finally:
                    self.scheduler.release(ticket)
        except (QueryTimeout, WorkerFailed):
            self.costs.mark(key, HEAVY)
            self.suspects.add(client)
            raise
        if ran <= threshold:
            self.costs.mark(key, CHEAP)
        else:
            self.costs.mark(key, HEAVY)
            self.suspects.add(client)
        return reply

    async def _watched(
        self, job: Job, timeout: float, ticket: Ticket, key: bytes, client: str, leash: float
    ) -> Reply | None:
        """``job`` run with an eye on the clock: None when it was stopped at ``leash``."""
        task = asyncio.ensure_future(self._execute(job, timeout))
        try:
            done, _ = await asyncio.wait({task}, timeout=leash)
            if not done:
                if leash >= self.settings.heavy_after_s:  # heavy now: same texts wait
                    self.costs.mark(key, HEAVY)
                    self.suspects.add(client)
                # A remote store's query cannot be stopped: it stays, over the lane's size.
                if not self.scheduler.demote(ticket, force=self.pool is None):
                    task.cancel()  # kills its worker
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise asyncio.CancelledError  # the request went away meanwhile
                    if not task.cancelled():
                        return task.result()  # it finished just before it was stopped
                    self.scheduler.stats["preempted"] += 1
                    return None
            return await task
        except BaseException:
            task.cancel()  # the request itself went away: stop the query too
            raise

    async def _cost_key(self, text: str) -> tuple[bytes, bool]:
        if len(text) <= 4096:
            return self.cost_key(text)
        return await run_in_threadpool(self.cost_key, text)  # ~0.2 µs a character

    async def _execute(self, job: Job, timeout: float) -> Reply:
        if self.remote is not None:
            return await self.remote.run(job, timeout)
        assert self.pool is not None
        return await self.pool.run(job, timeout)

    async def data_version(self) -> str:
        """``etag.data_version``; off the event loop for a remote store (it may ask it)."""
        if self.remote is not None:
            return await run_in_threadpool(etags.data_version, self.kg)
        return etags.data_version(self.kg)

    async def write(
        self,
        update: str,
        base: str | None,
        *,
        using: Sequence[str] = (),
        using_named: Sequence[str] = (),
    ) -> WriteOutcome:
        """A SPARQL Update through the validated write path (in a thread: it blocks)."""
        return await self.commit(
            functools.partial(
                self.writer.update, update, base_iri=base, using=using, using_named=using_named
            )
        )

    async def commit(self, write: Callable[[], WriteOutcome]) -> WriteOutcome:
        """Run one of the writer's calls in a thread, its errors as HTTP errors."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._write_threads, write)
        except ValidationFailed as exc:
            report = exc.report
            raise ApiError(
                422,
                "shacl_violation",
                f"write rejected, nothing changed: {len(report.violations)} SHACL violation(s)",
                details=[asdict(f) for f in report.violations],
            ) from None
        except UpdateError as exc:
            status = {
                "outbound_disabled": 403,
                "busy": 503,
                "worker_failed": 503,
                "update_timeout": 504,
                "update_too_large": 413,
                "update_memory_exceeded": 507,
            }.get(exc.code, 400)
            headers = {"Retry-After": "1"} if status == 503 else None
            details: dict[str, Any] = dict(exc.details)
            m = _SYNTAX_AT.search(exc.message)
            if m:
                details["line"], details["column"] = int(m.group(1)), int(m.group(2))
            raise ApiError(
                status, exc.code, exc.message, details=details or None, headers=headers
            ) from None


def engine_of(request: Request) -> Engine:
    return request.app.state.engine

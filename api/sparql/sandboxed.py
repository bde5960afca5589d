"""The write planner's engine calls for the service: in sandboxed, killable workers.

An update's text is client input: the engine parses and evaluates it in worker processes
(``workers.py``) that cannot reach the network and whose crash costs the request, not the
server. Scratch work (syntax check, template instantiation, graph operations) runs in a
small pool of its own whose zygote holds no data; WHERE groups run on the query workers
(embedded store) or on the remote store itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from stancegraph.sparql.plan import Scratch, UpdateError, solution_rows

from . import workers

_loops = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    """This thread's own event loop, kept for the thread's life (the planner calls from the
    write threads; ``asyncio.run`` built and closed a loop per call, a quarter of what a
    sandboxed planning step cost in a write burst)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    return loop


class WorkerEvaluator:
    """``stancegraph.sparql.plan.Evaluator`` over worker pools (called from threads)."""

    def __init__(
        self,
        scratch: workers.WorkerPool,
        reads: workers.WorkerPool | None,
        store: Any,
        *,
        timeout_s: float,
        max_bytes: int = 0,
    ):
        """``max_bytes``: the most a worker may send back for one planning step (a WHERE's
        solutions, a computed change; 0: the workers' default)."""
        self.scratch_pool, self.reads, self.store = scratch, reads, store
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes

    def _run(self, pool: workers.WorkerPool, job: workers.Job, body: bytes = b"") -> workers.Reply:
        try:
            reply = _thread_loop().run_until_complete(pool.run(job, self.timeout_s, body))
        except workers.QueryTimeout:
            raise UpdateError(
                "update_timeout",
                f"the update ran longer than {self.timeout_s:g} s and was stopped; nothing changed",
            ) from None
        except workers.PoolBusy:
            raise UpdateError("busy", "the update workers are busy; retry shortly") from None
        except workers.QueryCrashed as exc:
            if exc.cause == "memory":
                raise UpdateError(
                    "update_memory_exceeded",
                    "the update needed more memory than a worker may use; nothing changed",
                ) from None
            raise UpdateError(
                "update_crashed", f"{exc.report} and was stopped; nothing changed"
            ) from None
        except workers.WorkerFailed as exc:
            raise UpdateError("worker_failed", f"update worker failed: {exc}") from None
        if not reply.ok:
            if reply.error == "memory":
                raise UpdateError(
                    "update_memory_exceeded",
                    "the update needed more memory than a worker may use; nothing changed",
                )
            if reply.error == "syntax":
                raise SyntaxError(reply.message)
            if reply.error == "too_large":
                raise UpdateError(
                    "update_too_large", f"update refused, nothing changed: {reply.message}"
                )
            raise UpdateError("update_failed", f"update failed: {reply.message}")
        return reply

    def scratch(
        self,
        update: str,
        *,
        data: bytes = b"",
        graphs: Sequence[str] = (),
        base_iri: str | None = None,
        outbound: bool = False,
    ) -> Scratch:
        job = workers.Job(
            update,
            None,
            None,
            0,
            named_graphs=tuple(graphs),
            base_iri=base_iri,
            kind="scratch",
            max_bytes=self.max_bytes,
        )
        reply = self._run(self.scratch_pool, job, data)
        return Scratch(reply.body, [g for g in reply.message.split("\n") if g])

    def select(
        self,
        query: str,
        *,
        default_graph: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        base_iri: str | None = None,
        data: bytes | None = None,
    ) -> tuple[list[str], list[list[Any]]]:
        dataset = (
            None if default_graph is None else tuple(default_graph),
            None if named_graphs is None else tuple(named_graphs),
        )
        if data is None and self.reads is None:  # a remote store evaluates its own WHERE
            try:
                results = self.store.query(
                    query,
                    default_graph=dataset[0],
                    named_graphs=dataset[1],
                    union_default_graph=False,
                )
            except SyntaxError:
                raise
            except Exception as exc:
                raise UpdateError("update_failed", f"update failed: {exc}") from None
            return solution_rows(results, self.max_bytes or workers.MAX_WRITE_REPLY_BYTES)
        kind = "select" if data is None else "select-data"
        job = workers.Job(
            query,
            "tsv",
            None,
            0,
            False,
            dataset[0],
            dataset[1],
            base_iri,
            kind=kind,
            max_bytes=self.max_bytes,
        )
        reply = self._run(self.reads if data is None else self.scratch_pool, job, data or b"")  # type: ignore[arg-type]
        return solution_rows(ox.parse_query_results(reply.body, format=ox.QueryResultsFormat.TSV))

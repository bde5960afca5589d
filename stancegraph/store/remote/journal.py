"""Multi-request writes made atomic by roll forward: staging graphs and a journal in the
store itself (the protocol is described in ``stancegraph.store.remote``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from ...errors import StoreError, WriteConflict
from ...formats import N_TRIPLES
from ...sparql.build import drop_ops, insert_data
from ...terms import META_GRAPH, STAGING_PREFIX, TX_PREFIX
from .reads import RemoteReads
from .settings import redact

log = logging.getLogger("stancegraph.store.remote")
SG = "https://w3id.org/stancegraph/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Write:
    """One write: graphs to drop, subjects to delete per graph, N-Triples to insert per graph."""

    drop_graphs: Sequence[str]
    drop_subjects: Mapping[str, Sequence[str]]
    inserts: dict[str, bytes]
    what: str  # for messages: "load", "replace", ...


class RemoteJournal(RemoteReads):
    """Writes of a :class:`~.store.SparqlHttpStore`: one request, or staged and journalled."""

    def _write(
        self,
        *,
        drop_graphs: Sequence[str],
        drop_subjects: Mapping[str, Sequence[str]],
        inserts: dict[str, bytes],
        what: str,
    ) -> None:
        if not drop_graphs and not any(drop_subjects.values()) and not inserts:
            return
        with self._write_lock:
            self._recover_once()
            token = self._new_token()
            try:
                w = Write(drop_graphs, drop_subjects, inserts, what)
                if self.staged:
                    self._staged_write(w, token)
                else:
                    self._single_request_write(w, token)
            finally:
                self._wrote(token)  # even a failed write may have changed something

    def _single_request_write(
        self,
        w: Write,
        token: str,
    ) -> None:
        """Oxigraph server: one SPARQL Update request is one transaction."""
        ops = drop_ops(w.drop_graphs, w.drop_subjects, 500)
        ops += [insert_data(g, nt.decode()) for g, nt in sorted(w.inserts.items())]
        ops += self._marker_ops(token)
        self._post_update(" ;\n".join(ops), w.what)

    # -- the journal (staged writes)
    def _staged_write(
        self,
        w: Write,
        token: str,
    ) -> None:
        tx_id = uuid.uuid4().hex
        tx = TX_PREFIX + tx_id
        self._failed.add(tx)
        try:
            self._staged_steps(tx, tx_id, w, token)
        except (StoreError, OSError) as exc:
            # The journal says how far it got: finish or undo now if the server answers,
            # else the next write (or process) does.
            try:
                outcome = "; ".join(self.recover(only=tx)) or "nothing to undo"
            except (StoreError, OSError):
                outcome = "it will be rolled back or completed when the store is reachable again"
            raise type(exc)(f"{exc} [multi-request {w.what}: {outcome}]") from exc
        self._failed.discard(tx)

    def _staged_steps(
        self,
        tx: str,
        tx_id: str,
        w: Write,
        token: str,
    ) -> None:
        staging = {g: f"{STAGING_PREFIX}{tx_id}/{i}" for i, g in enumerate(sorted(w.inserts))}
        now = dt.datetime.now(dt.UTC).isoformat()
        journal = [
            f'<{tx}> <{SG}state> "prepare" .',
            f'<{tx}> <{SG}startedAt> "{now}"^^<{XSD}dateTime> .',
            *(f"<{tx}> <{SG}stagingGraph> <{s}> ." for s in staging.values()),
        ]
        self._insert_triples(META_GRAPH, "\n".join(journal).encode(), f"{w.what}: journal")
        # 1. stage the new triples
        for g, s in staging.items():
            self._insert_triples(s, w.inserts[g], f"{w.what}: staging {g}")
        # 2. the plan, then the point of no return
        plan = drop_ops(w.drop_graphs, w.drop_subjects, 200)
        plan += [f"ADD SILENT <{s}> TO <{g}>" for g, s in staging.items()]
        plan += self._marker_ops(token)
        integer = ox.NamedNode(XSD + "integer")
        steps = [
            f"<{tx}> <{SG}step> <{tx}/step/{i}> .\n"
            f"<{tx}/step/{i}> <{SG}index> {ox.Literal(str(i), datatype=integer)} .\n"
            f"<{tx}/step/{i}> <{SG}operation> {ox.Literal(op)} ."
            for i, op in enumerate(plan)
        ]
        self._insert_triples(META_GRAPH, "\n".join(steps).encode(), f"{w.what}: plan")
        self._set_state(tx, "prepare", "commit", f"{w.what}: commit")
        # 3. apply, 4. clean up
        self._apply(tx, plan, staging.values(), w.what)

    def _insert_triples(self, graph: str, nt: bytes, what: str) -> None:
        """Add N-Triples to a graph in safe chunks (Graph Store POSTs when available, else
        INSERT DATA of at most ``chunk_triples`` triples per request)."""
        lines = [line for line in nt.split(b"\n") if line.strip()]
        if self.settings.gsp_url:
            size = self.settings.gsp_chunk_triples
            for i in range(0, len(lines), size):
                self._hook(what)
                self._send(
                    "POST",
                    self.settings.gsp_url,
                    what,
                    params={"graph": graph},
                    content=b"\n".join(lines[i : i + size]) + b"\n",
                    content_type=N_TRIPLES,
                    write=True,
                )
            return
        size = self.settings.chunk_triples
        for i in range(0, len(lines), size):
            body = b"\n".join(lines[i : i + size]).decode()
            self._post_update(insert_data(graph, body), what)

    def _set_state(self, tx: str, old: str, new: str, what: str) -> None:
        self._post_update(
            f'DELETE {{ GRAPH <{META_GRAPH}> {{ <{tx}> <{SG}state> "{old}" }} }} '
            f'INSERT {{ GRAPH <{META_GRAPH}> {{ <{tx}> <{SG}state> "{new}" }} }} '
            f'WHERE {{ GRAPH <{META_GRAPH}> {{ <{tx}> <{SG}state> "{old}" }} }}',
            what,
        )

    def _apply(self, tx: str, plan: Sequence[str], staging: Iterable[str], what: str) -> None:
        for i, op in enumerate(plan):
            self._post_update(op, f"{what}: apply {i + 1}/{len(plan)}")
        self._set_state(tx, "commit", "done", f"{what}: done")
        self._cleanup(tx, staging, what)

    def _cleanup(self, tx: str, staging: Iterable[str], what: str) -> None:
        for s in staging:
            self._post_update(f"DROP SILENT GRAPH <{s}>", f"{what}: drop staging")
        self._post_update(
            f"DELETE {{ GRAPH <{META_GRAPH}> {{ ?step ?p ?o }} }} WHERE "
            f"{{ GRAPH <{META_GRAPH}> {{ <{tx}> <{SG}step> ?step . ?step ?p ?o }} }}",
            f"{what}: forget plan",
        )
        self._post_update(
            f"DELETE {{ GRAPH <{META_GRAPH}> {{ <{tx}> ?p ?o }} }} WHERE {{ GRAPH <{META_GRAPH}> {{ <{tx}> ?p ?o }} }}",
            f"{what}: forget transaction",
        )

    def pending(self) -> list[dict[str, Any]]:
        """Journal entries: unfinished multi-request writes (id, state, start, staging graphs)."""
        rows = self._select_all(
            f"SELECT ?tx ?state ?at ?staging WHERE {{ GRAPH <{META_GRAPH}> {{ ?tx <{SG}state> ?state . "
            f"OPTIONAL {{ ?tx <{SG}startedAt> ?at }} OPTIONAL {{ ?tx <{SG}stagingGraph> ?staging }} }} }}",
            dataset=[],
            what="journal",
        )
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            e = out.setdefault(
                r["tx"].value,
                {"tx": r["tx"].value, "state": r["state"].value, "started": None, "staging": []},
            )
            if r["at"] is not None:
                with contextlib.suppress(ValueError):
                    e["started"] = dt.datetime.fromisoformat(r["at"].value.replace("Z", "+00:00"))
            if r["staging"] is not None and r["staging"].value not in e["staging"]:
                e["staging"].append(r["staging"].value)
        return sorted(out.values(), key=lambda e: e["tx"])

    def recover(self, *, force: bool = False, only: str | None = None) -> list[str]:
        """Finish (roll forward) or undo (roll back) interrupted writes; returns what was done.

        Entries younger than ``stale_after_s`` may belong to a live writer and are left
        alone unless ``force``.
        """
        if not self.staged:
            return []
        done: list[str] = []
        now = dt.datetime.now(dt.UTC)
        for e in self.pending():
            if only is not None and e["tx"] != only:
                continue
            started = e["started"]
            if started is not None and started.tzinfo is None:
                started = started.replace(tzinfo=dt.UTC)
            age = (now - started).total_seconds() if started else float("inf")
            if not force and e["tx"] not in self._failed and age < self.settings.stale_after_s:
                raise WriteConflict(
                    f"another write ({e['tx'].rsplit('/', 1)[-1]}, {e['state']}) started {age:.0f} s ago is "
                    f"in progress; retry later (entries older than {self.settings.stale_after_s:g} s are recovered)"
                )
            tx = e["tx"]
            if e["state"] == "commit":
                plan = [
                    r["op"].value
                    for r in self._select_all(
                        f"SELECT ?i ?op WHERE {{ GRAPH <{META_GRAPH}> {{ <{tx}> <{SG}step> ?s . "
                        f"?s <{SG}index> ?i ; <{SG}operation> ?op }} }} ORDER BY ?i",
                        dataset=[],
                        what="journal plan",
                    )
                ]
                self._apply(tx, plan, e["staging"], "recover")
                done.append(f"rolled forward {tx} ({len(plan)} steps)")
            else:
                self._cleanup(tx, e["staging"], "recover")
                done.append(f"{'rolled back' if e['state'] == 'prepare' else 'cleaned up'} {tx}")
            self._failed.discard(tx)
            self._wrote(None)
        for line in done:
            log.warning("remote store %s: %s", redact(self.settings.query_url), line)
        return done

    def _recover_once(self) -> None:
        """Before a write: recover stale or own failed transactions; refuse on a live one."""
        if self.staged:
            self.recover()

"""What a SPARQL Update would change, computed without copying the store or running it there.

Per operation (``stancegraph.sparql.update`` finds them):

- ``INSERT DATA`` / ``DELETE DATA`` are their own change: the engine instantiates the data
  block in an empty scratch store (so its syntax, prefixes and base are the engine's).
- ``DELETE/INSERT … WHERE`` and ``DELETE WHERE``: the WHERE group is evaluated **once** as
  a SELECT on the store; the engine then instantiates the templates from those solutions
  in an empty scratch store (``INSERT {template} WHERE { VALUES … }``). Whatever the WHERE
  computes (``RAND()``, ``NOW()``, ``BNODE()``) is fixed in the solutions, so the change that
  is validated is the change that is committed.
- ``LOAD``, ``CLEAR``, ``DROP``, ``CREATE``, ``ADD``, ``MOVE``, ``COPY``: the graphs they
  name are copied into a scratch store, the operation runs there, and the difference is
  the change: the cost is the size of those graphs, which is the work the operation does.

Operations see the effect of the ones before them. A WHERE after an operation that changed
something is evaluated on a scratch copy of the store with that change applied (the one
case that costs the store's size; documented in the README).

An :class:`Evaluator` runs all of it: in-process for the library, in sandboxed, killable
worker processes for the HTTP service, where client text must not reach the network or
take the server down.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import pyoxigraph as ox

from ..change import Change
from .update import GraphRef, Operation, UpdateStructureError, operations

SKOLEM = "urn:x-stancegraph:bnode:"  # stands for a store blank node inside VALUES
DEFAULT = ""  # the default graph, as a graph key


class UpdateError(ValueError):
    """An update the engine refused, or one that failed; ``code`` says which."""

    def __init__(self, code: str, message: str, **details: Any):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


@dataclass
class Scratch:
    """What a scratch store holds after running an update: N-Quads and its named graphs."""

    nquads: bytes
    graphs: list[str]


class Evaluator(Protocol):
    """Runs the engine on the planner's behalf (in-process, or in a sandboxed worker)."""

    def scratch(
        self,
        update: str,
        *,
        data: bytes = b"",
        graphs: Sequence[str] = (),
        base_iri: str | None = None,
        outbound: bool = False,
    ) -> Scratch:
        """Run ``update`` on a fresh in-memory store holding ``data`` (N-Quads) and the
        empty named ``graphs``. Raises ``SyntaxError`` or ``UpdateError``."""
        ...

    def select(
        self,
        query: str,
        *,
        default_graph: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        base_iri: str | None = None,
        data: bytes | None = None,
    ) -> tuple[list[str], list[list[Any]]]:
        """Variables and rows (pyoxigraph terms or None) of a SELECT over the store, or over
        a fresh store holding ``data`` when given. Raises ``SyntaxError`` or ``UpdateError``."""
        ...


class StoreView(Protocol):
    """What the planner reads from a store (``stancegraph.store.Store`` provides it)."""

    def named_graphs(self) -> list[str]: ...

    def graph_quads(self, graph: str) -> Iterable[ox.Quad]: ...

    def existing(self, quads: Iterable[ox.Quad]) -> set[ox.Quad]: ...

    def dump(self, fmt: ox.RdfFormat, graph: str | None = None) -> bytes: ...

    def __len__(self) -> int: ...


def nquads(quads: Iterable[ox.Quad]) -> bytes:
    return cast(bytes, ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS))


def parse_nquads(data: bytes) -> list[ox.Quad]:
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)) if data else []


def _skolem(t: Any) -> Any:
    return ox.NamedNode(SKOLEM + t.value) if isinstance(t, ox.BlankNode) else t


def _unskolem(t: Any) -> Any:
    if isinstance(t, ox.NamedNode) and t.value.startswith(SKOLEM):
        return ox.BlankNode(t.value[len(SKOLEM) :])
    return t


def _quad_unskolem(q: ox.Quad) -> ox.Quad:
    return ox.Quad(_unskolem(q.subject), q.predicate, _unskolem(q.object), q.graph_name)


# A multi-operation update whose later WHERE must see the earlier operations' effect is
# evaluated on a copy of the store: allowed up to this size (the copy is held in memory).
MAX_COPIED_QUADS = 200_000


class Planner:
    """Computes the :class:`Change` of one update against ``store``."""

    def __init__(
        self,
        store: StoreView,
        evaluator: Evaluator,
        *,
        base_iri: str | None = None,
        allow_outbound: bool = False,
        using: Sequence[str] = (),
        using_named: Sequence[str] = (),
    ):
        self.store, self.ev = store, evaluator
        self.base_iri, self.allow_outbound = base_iri, allow_outbound
        self.protocol_dataset = (list(using), list(using_named)) if using or using_named else None
        self.change = Change()
        self._exists_cache: dict[ox.Quad, bool] = {}
        self._graphs: set[str] | None = None
        self._whole: str | None = None

    # -- reading the base store ---------------------------------------------------------

    def in_base(self, q: ox.Quad) -> bool:
        hit = self._exists_cache.get(q)
        if hit is None:
            hit = self._exists_cache[q] = q in self.store.existing([q])
        return hit

    def _prefetch(self, quads: Iterable[ox.Quad]) -> None:
        todo = [q for q in quads if q not in self._exists_cache]
        if todo:
            found = self.store.existing(todo)
            for q in todo:
                self._exists_cache[q] = q in found

    def graphs_now(self) -> set[str]:
        """Named graphs as they are with the change so far."""
        if self._graphs is None:
            self._graphs = set(self.store.named_graphs())
        return (
            (self._graphs - self.change.dropped)
            | self.change.created
            | {
                q.graph_name.value
                for q in self.change.inserts
                if isinstance(q.graph_name, ox.NamedNode)
            }
        )

    def graph_now(self, graph: str) -> list[ox.Quad]:
        """A graph's quads with the change so far."""
        base = [q for q in self.store.graph_quads(graph) if q not in self.change.deletes]
        key = ox.DefaultGraph() if graph == DEFAULT else ox.NamedNode(graph)
        return base + [q for q in self.change.inserts if q.graph_name == key]

    # -- the plan -----------------------------------------------------------------------

    def plan(self, text: str, ops: list[Operation] | None = None) -> Change:
        """The change ``text`` makes (``ops``: its operations, when the caller already
        read them with ``operations(text)``)."""
        if ops is None:
            try:
                ops = operations(text)
            except UpdateStructureError:
                self._check_syntax(text)  # the engine's own message when it is a syntax error
                raise
        for op in ops:
            if op.kind == "LOAD" and not self.allow_outbound:
                raise UpdateError(
                    "outbound_disabled",
                    "LOAD: this server does not make outbound requests (an operator can "
                    "allow them with --allow-outbound)",
                    keyword="LOAD",
                )
            if self.protocol_dataset and (op.using or op.using_named or op.with_iri):
                raise UpdateError(
                    "dataset_conflict",
                    "using-graph-uri/using-named-graph-uri cannot be combined with USING or "
                    "WITH in the update",
                )
        # One INSERT DATA is parsed (and instantiated) by the engine as it is, just below.
        self._whole = text if len(ops) == 1 and ops[0].kind == "INSERT DATA" else None
        if self._whole is None:
            self._check_syntax(text)
        for op in ops:
            self._apply(op)
        return self.change

    def _check_syntax(self, text: str) -> None:
        # Evaluation on an empty store may fail; only the syntax matters here.
        with contextlib.suppress(UpdateError):
            self.ev.scratch(text, base_iri=self.base_iri)

    def _resolve(self, op: Operation, tokens: list[str]) -> list[str]:
        """IRI tokens (prefixed names, relative IRIs) resolved by the engine itself."""
        if not tokens:
            return []
        names = [f"?_g{i}" for i in range(len(tokens))]
        query = (
            f"{op.prologue}\nSELECT * WHERE {{ VALUES ({' '.join(names)}) "
            f"{{ ({' '.join(tokens)}) }} }}"
        )
        _vars, rows = self.ev.select(
            query, default_graph=None, named_graphs=None, base_iri=self.base_iri, data=b""
        )
        return [t.value for t in rows[0]]

    def _apply(self, op: Operation) -> None:
        if op.kind in ("INSERT DATA", "DELETE DATA"):
            quads = self._instantiate_data(op)
            if op.kind == "INSERT DATA":
                self._merge((), quads)
            else:
                self._merge(quads, ())
        elif op.kind in ("DELETE WHERE", "MODIFY"):
            self._modify(op)
        else:
            self._graph_op(op)

    def _merge(self, deletes: Iterable[ox.Quad], inserts: Iterable[ox.Quad], **graphs: Any) -> None:
        deletes, inserts = list(deletes), list(inserts)
        self._prefetch([*deletes, *inserts])
        self.change.merge(deletes, inserts, self.in_base, **graphs)

    def _instantiate_data(self, op: Operation) -> list[ox.Quad]:
        text = self._whole or f"{op.prologue}\nINSERT DATA {op.data}"
        result = self.ev.scratch(text, base_iri=self.base_iri)
        quads = parse_nquads(result.nquads)
        if op.kind == "INSERT DATA":
            self.change.new_bnodes.update(_bnode_ids(quads))
        return quads

    def _modify(self, op: Operation) -> None:
        where = op.data if op.kind == "DELETE WHERE" else op.where
        default_graph: list[str] | None = [DEFAULT]  # updates read the real default graph
        named_graphs: list[str] | None = None
        if self.protocol_dataset is not None:
            default_graph, named_graphs = self.protocol_dataset
        elif op.using or op.using_named:
            resolved = self._resolve(op, op.using + op.using_named)
            default_graph = resolved[: len(op.using)]
            named_graphs = resolved[len(op.using) :]
        elif op.with_iri:
            default_graph = self._resolve(op, [op.with_iri])
        data = None
        if self.change:  # later operations see the earlier ones' effect
            if len(self.store) > MAX_COPIED_QUADS:
                raise UpdateError(
                    "update_too_large",
                    "update refused, nothing changed: an operation whose WHERE follows "
                    "another that already changed something is evaluated on a copy of the "
                    f"store, and this store holds over {MAX_COPIED_QUADS:,} quads; send the "
                    "operations as separate updates",
                )
            data = self.store.dump(ox.RdfFormat.N_QUADS)
            data = nquads(_apply_change(parse_nquads(data), self.change))
        variables, rows = self.ev.select(
            f"{op.prologue}\nSELECT * WHERE {where}",
            default_graph=default_graph,
            named_graphs=named_graphs,
            base_iri=self.base_iri,
            data=data,
        )
        if not rows:
            return
        with_clause = f"WITH {op.with_iri} " if op.with_iri else ""
        deletes: list[ox.Quad] = []
        inserts: list[ox.Quad] = []
        delete_template = op.data if op.kind == "DELETE WHERE" else op.delete
        if delete_template:
            deletes = self._instantiate(op, with_clause, delete_template, variables, rows)
        if op.insert:
            inserts = self._instantiate(op, with_clause, op.insert, variables, rows)
            known = _bnode_ids(_solution_terms(rows))
            self.change.new_bnodes.update(_bnode_ids(inserts) - known)
        self._merge(deletes, inserts)

    def _instantiate(
        self,
        op: Operation,
        with_clause: str,
        template: str,
        variables: list[str],
        rows: list[list[Any]],
    ) -> list[ox.Quad]:
        """The template's quads for every solution, instantiated by the engine."""
        if variables:
            head = " ".join(f"?{v}" for v in variables)
            body = "\n".join(
                "(" + " ".join("UNDEF" if t is None else str(_skolem(t)) for t in row) + ")"
                for row in rows
            )
            where = f"VALUES ({head}) {{\n{body}\n}}"
        else:
            where = ""
        result = self.ev.scratch(
            f"{op.prologue}\n{with_clause}INSERT {template} WHERE {{ {where} }}",
            base_iri=self.base_iri,
        )
        return [_quad_unskolem(q) for q in parse_nquads(result.nquads)]

    def _graph_keys(self, refs: Iterable[GraphRef | None], resolved: list[str]) -> list[str]:
        keys: list[str] = []
        it = iter(resolved)
        for ref in refs:
            if ref is None:
                continue
            if ref.kind == "IRI":
                keys.append(next(it))
            elif ref.kind == "DEFAULT":
                keys.append(DEFAULT)
            elif ref.kind == "NAMED":
                keys.extend(sorted(self.graphs_now()))
            else:  # ALL
                keys.extend([DEFAULT, *sorted(self.graphs_now())])
        return keys

    def _graph_op(self, op: Operation) -> None:
        refs = [op.source, op.target] if op.kind != "LOAD" else [op.target]
        iri_refs = [r.iri for r in refs if r is not None and r.kind == "IRI"]
        keys = set(self._graph_keys(refs, self._resolve(op, iri_refs)))
        if op.kind == "LOAD" and op.target is None:
            keys.add(DEFAULT)
        existing = self.graphs_now()
        before: list[ox.Quad] = []
        for key in sorted(keys):
            if key == DEFAULT or key in existing:
                before.extend(self.graph_now(key))
        named_before = {k for k in keys if k and k in existing}
        result = self.ev.scratch(
            f"{op.prologue}\n{op.text}",
            data=nquads(before),
            graphs=sorted(named_before),
            base_iri=self.base_iri,
            outbound=op.kind == "LOAD",
        )
        after = parse_nquads(result.nquads)
        before_set, after_set = set(before), set(after)
        if op.kind == "LOAD":
            self.change.new_bnodes.update(_bnode_ids(after_set - before_set))
        named_after = set(result.graphs)
        self._merge(
            before_set - after_set,
            after_set - before_set,
            created=named_after - named_before,
            dropped=named_before - named_after,
        )


def _solution_terms(rows: list[list[Any]]) -> list[Any]:
    return [t for row in rows for t in row if t is not None]


def _bnode_ids(items: Iterable[Any]) -> set[str]:
    out: set[str] = set()
    for item in items:
        terms = (item.subject, item.object) if isinstance(item, ox.Quad) else (item,)
        out.update(t.value for t in terms if isinstance(t, ox.BlankNode))
    return out


def _apply_change(quads: list[ox.Quad], change: Change) -> list[ox.Quad]:
    return [q for q in quads if q not in change.deletes] + list(change.inserts)


def plan_update(
    text: str,
    store: StoreView,
    evaluator: Evaluator,
    **options: Any,
) -> Change:
    """The :class:`Change` that ``text`` would make to ``store`` (see the module doc)."""
    return Planner(store, evaluator, **options).plan(text)


# --------------------------------------------------------------------------- in-process


def solution_rows(results: Any, max_bytes: int = 0) -> tuple[list[str], list[list[Any]]]:
    """Variable names and rows of terms (None when unbound) of pyoxigraph solutions; with
    ``max_bytes``, ``UpdateError("update_too_large")`` once their text passes it."""
    variables = [v.value for v in results.variables]
    rows: list[list[Any]] = []
    size = 0
    for sol in results:
        row = [sol[v] for v in variables]
        if max_bytes:
            size += sum(len(t.value) + 8 for t in row if t is not None)
            if size > max_bytes:
                raise UpdateError(
                    "update_too_large",
                    "update refused, nothing changed: the WHERE clause's solutions are over "
                    f"the write limit of {max_bytes:,} bytes; split the update into smaller ones",
                )
        rows.append(row)
    return variables, rows


class LocalEvaluator:
    """The engine in this process: for the library and the CLI (trusted callers)."""

    def __init__(self, query: Callable[..., Any]):
        self._query = query  # the store's query function (pyoxigraph keyword arguments)

    def scratch(
        self,
        update: str,
        *,
        data: bytes = b"",
        graphs: Sequence[str] = (),
        base_iri: str | None = None,
        outbound: bool = False,
    ) -> Scratch:
        return run_scratch(update, data, graphs, base_iri)

    def select(
        self,
        query: str,
        *,
        default_graph: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        base_iri: str | None = None,
        data: bytes | None = None,
    ) -> tuple[list[str], list[list[Any]]]:
        kwargs = dataset_kwargs(default_graph, named_graphs)
        try:
            if data is not None:
                scratch = ox.Store()
                if data:
                    scratch.extend(ox.parse(data, format=ox.RdfFormat.N_QUADS))
                return solution_rows(scratch.query(query, base_iri=base_iri, **kwargs))
            return solution_rows(self._query(query, base_iri=base_iri, **kwargs))
        except SyntaxError:
            raise
        except (RuntimeError, ValueError, OSError) as exc:
            raise UpdateError("update_failed", f"update failed: {exc}") from None


def dataset_kwargs(
    default_graph: Sequence[str] | None, named_graphs: Sequence[str] | None
) -> dict[str, Any]:
    """pyoxigraph ``query`` arguments for a dataset given as graph keys ("" = default)."""
    kwargs: dict[str, Any] = {}
    if default_graph is not None:
        kwargs["default_graph"] = [
            ox.DefaultGraph() if g == DEFAULT else ox.NamedNode(g) for g in default_graph
        ]
    if named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    return kwargs


def run_scratch(update: str, data: bytes, graphs: Sequence[str], base_iri: str | None) -> Scratch:
    """``update`` on a fresh in-memory store (what every evaluator's ``scratch`` does)."""
    store = ox.Store()
    if data:
        store.extend(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    for g in graphs:
        store.add_graph(ox.NamedNode(g))
    try:
        store.update(update, base_iri=base_iri)
    except SyntaxError:
        raise
    except (RuntimeError, ValueError, OSError) as exc:
        raise UpdateError("update_failed", f"update failed: {exc}") from None
    return Scratch(
        cast(bytes, store.dump(format=ox.RdfFormat.N_QUADS)),
        sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)),
    )

"""The structure of a SPARQL 1.1 Update: its operations, their templates and WHERE groups.

Used by the write planner (``stancegraph.sparql.plan``) to compute what an update changes
without running it on the store. The engine checks the syntax first; this module only
finds where things are, following the grammar's ``Update`` production::

    Update  ::= Prologue ( Update1 ( ';' Update )? )?
    Update1 ::= Load | Clear | Drop | Add | Move | Copy | Create
              | InsertData | DeleteData | DeleteWhere | Modify
    Modify  ::= ( 'WITH' iri )? ( DeleteClause InsertClause? | InsertClause )
                UsingClause* 'WHERE' GroupGraphPattern
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .lexer import Token, line_col, matching, tokens

GRAPH_OPS = frozenset({"LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"})


class UpdateStructureError(ValueError):
    """The text does not have the shape of a SPARQL Update operation sequence."""

    def __init__(self, message: str, text: str, offset: int):
        line, col = line_col(text, offset)
        super().__init__(f"{message} at {line}:{col}")
        self.line, self.column = line, col


@dataclass(frozen=True)
class GraphRef:
    """A graph an operation names: ``DEFAULT``, ``NAMED``, ``ALL`` or an IRI token's text."""

    kind: str  # DEFAULT | NAMED | ALL | IRI
    iri: str = ""  # the IRI token as written (IRIREF or prefixed name), for kind IRI


@dataclass
class Operation:
    """One operation of an update, with the prologue in effect and its parts as text."""

    kind: str  # LOAD … COPY, INSERT DATA, DELETE DATA, DELETE WHERE, MODIFY
    text: str  # the operation as written
    prologue: str  # every BASE / PREFIX declared before it
    start: int  # offset in the whole update text
    silent: bool = False
    source: GraphRef | None = None  # LOAD's document, ADD/MOVE/COPY's from
    target: GraphRef | None = None  # LOAD INTO, CLEAR/DROP/CREATE's graph, ADD/MOVE/COPY's to
    data: str = ""  # INSERT DATA / DELETE DATA / DELETE WHERE block, braces included
    with_iri: str = ""
    delete: str = ""  # DELETE template, braces included
    insert: str = ""  # INSERT template, braces included
    using: list[str] = field(default_factory=list)
    using_named: list[str] = field(default_factory=list)
    where: str = ""  # the WHERE group, braces included

    @property
    def iris(self) -> list[str]:
        """Every IRI token the operation names as a graph (to resolve through the prologue)."""
        refs = [r.iri for r in (self.source, self.target) if r is not None and r.kind == "IRI"]
        return refs + ([self.with_iri] if self.with_iri else []) + self.using + self.using_named


def _is_iri(t: Token) -> bool:
    return t.kind in ("iri", "pname")


class _Reader:
    def __init__(self, text: str, toks: list[Token]):
        self.text, self.toks, self.i = text, toks, 0

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def fail(self, message: str) -> UpdateStructureError:
        t = self.peek()
        offset = t.start if t is not None else len(self.text)
        return UpdateStructureError(message, self.text, offset)

    def keyword(self, *words: str) -> str:
        t = self.peek()
        if t is None or t.keyword() not in words:
            raise self.fail(f"expected {' or '.join(words)}")
        self.i += 1
        return t.keyword()

    def maybe(self, word: str) -> bool:
        t = self.peek()
        if t is not None and t.keyword() == word:
            self.i += 1
            return True
        return False

    def iri(self) -> str:
        t = self.peek()
        if t is None or not _is_iri(t):
            raise self.fail("expected an IRI")
        self.i += 1
        return t.text

    def block(self) -> str:
        t = self.peek()
        if t is None or t.text != "{" or t.kind != "punct":
            raise self.fail("expected {")
        end = matching(self.toks, self.i)
        if end < 0:
            raise self.fail("unclosed {")
        text = self.text[t.start : self.toks[end].end]
        self.i = end + 1
        return text

    def graph_ref(self, *, graph_keyword: str) -> GraphRef:
        """``GRAPH iri | DEFAULT | NAMED | ALL``; ``graph_keyword``: required|optional|none."""
        t = self.peek()
        if t is None:
            raise self.fail("expected a graph")
        kw = t.keyword()
        if kw in ("DEFAULT", "NAMED", "ALL"):
            self.i += 1
            return GraphRef(kw)
        if kw == "GRAPH":
            self.i += 1
        elif graph_keyword == "required":
            raise self.fail("expected GRAPH, DEFAULT, NAMED or ALL")
        return GraphRef("IRI", self.iri())


def _operation(text: str, toks: list[Token], prologue: str) -> Operation:
    r = _Reader(text, toks)
    start, end = toks[0].start, toks[-1].end
    first = r.keyword(
        "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "INSERT", "DELETE", "WITH"
    )
    op = Operation(first, text[start:end], prologue, start)
    if first in GRAPH_OPS:
        op.silent = r.maybe("SILENT")
        if first == "LOAD":
            op.source = GraphRef("IRI", r.iri())
            if r.maybe("INTO"):
                r.keyword("GRAPH")
                op.target = GraphRef("IRI", r.iri())
        elif first in ("CLEAR", "DROP"):
            op.target = r.graph_ref(graph_keyword="required")
        elif first == "CREATE":
            r.keyword("GRAPH")
            op.target = GraphRef("IRI", r.iri())
        else:
            op.source = r.graph_ref(graph_keyword="optional")
            r.keyword("TO")
            op.target = r.graph_ref(graph_keyword="optional")
            if "NAMED" in (op.source.kind, op.target.kind) or "ALL" in (
                op.source.kind,
                op.target.kind,
            ):
                raise r.fail(f"{first} takes DEFAULT or a graph IRI")
    elif first == "INSERT" and r.maybe("DATA"):
        op.kind, op.data = "INSERT DATA", r.block()
    elif first == "DELETE" and r.maybe("DATA"):
        op.kind, op.data = "DELETE DATA", r.block()
    elif first == "DELETE" and r.maybe("WHERE"):
        op.kind, op.data = "DELETE WHERE", r.block()
    else:
        op.kind = "MODIFY"
        r.i = 0
        if r.maybe("WITH"):
            op.with_iri = r.iri()
        if r.maybe("DELETE"):
            op.delete = r.block()
        if r.maybe("INSERT"):
            op.insert = r.block()
        if not op.delete and not op.insert:
            raise r.fail("expected DELETE or INSERT")
        while r.maybe("USING"):
            (op.using_named if r.maybe("NAMED") else op.using).append(r.iri())
        r.keyword("WHERE")
        op.where = r.block()
    if r.peek() is not None:
        raise r.fail(f"unexpected {r.peek().text!r} after the {op.kind} operation")  # type: ignore[union-attr]
    return op


def operations(text: str) -> list[Operation]:
    """The update's operations in order, each with the prologue in effect before it."""
    toks = list(tokens(text))
    ops: list[Operation] = []
    prologue: list[str] = []
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        kw = t.keyword()
        if kw == "BASE" and i + 1 < n:
            prologue.append(text[t.start : toks[i + 1].end])
            i += 2
            continue
        if kw == "PREFIX" and i + 2 < n:
            prologue.append(text[t.start : toks[i + 2].end])
            i += 3
            continue
        if t.kind == "punct" and t.text == ";":
            i += 1
            continue
        depth, j = 0, i
        while j < n:
            u = toks[j]
            if u.kind == "punct":
                if u.text in "{([":
                    depth += 1
                elif u.text in "})]":
                    depth -= 1
                elif u.text == ";" and depth == 0:
                    break
            j += 1
        ops.append(_operation(text, toks[i:j], "\n".join(prologue)))
        i = j
    return ops

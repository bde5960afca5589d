"""SPARQL Update text built from terms and quads: the one home of ``INSERT DATA`` and of
the drop-graphs / drop-subjects operations every backend writes.

Terms come from pyoxigraph (``str(term)`` is N-Triples syntax: IRIs validated, literals
escaped) or from N-Triples an RDF library wrote, never from raw user strings, so building
text here is serialisation, not interpolation of input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pyoxigraph as ox


def insert_data(graph: str, body: str) -> str:
    """``INSERT DATA`` of N-Triples lines into ``graph`` (``""``: the default graph)."""
    return (
        f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}"
        if graph
        else f"INSERT DATA {{\n{body}\n}}"
    )


def drop_ops(
    drop_graphs: Iterable[str], drop_subjects: Mapping[str, Sequence[str]], chunk: int
) -> list[str]:
    """``DROP SILENT GRAPH`` per graph, then one ``DELETE`` per graph and ``chunk`` subjects
    removing those subjects' triples from it."""
    ops = [f"DROP SILENT GRAPH <{g}>" for g in drop_graphs]
    for g, subs in sorted(drop_subjects.items()):
        for i in range(0, len(subs), chunk):
            values = " ".join(f"<{ox.NamedNode(s).value}>" for s in subs[i : i + chunk])
            ops.append(
                f"DELETE {{ GRAPH <{g}> {{ ?s ?p ?o }} }} WHERE "
                f"{{ VALUES ?s {{ {values} }} GRAPH <{g}> {{ ?s ?p ?o }} }}"
            )
    return ops


def by_graph(quads: Iterable[ox.Quad]) -> dict[str, str]:
    """N-Triples lines per graph (``""``: the default graph)."""
    out: dict[str, list[str]] = {}
    for q in quads:
        g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        out.setdefault(g, []).append(f"{q.subject} {q.predicate} {q.object} .")
    return {g: "\n".join(lines) for g, lines in out.items()}


def replace_update(
    drop_graphs: Iterable[str], drop_subjects: Mapping[str, Iterable[str]], insert_nquads: str
) -> str:
    """One SPARQL Update doing drop-then-insert, so the store applies it atomically."""
    subjects = {g: sorted(set(s)) for g, s in drop_subjects.items()}
    ops = drop_ops(sorted(drop_graphs), subjects, 500)
    quads = ox.parse(insert_nquads, format=ox.RdfFormat.N_QUADS) if insert_nquads else ()
    ops += [insert_data(g, body) for g, body in sorted(by_graph(quads).items())]
    return " ;\n".join(ops)

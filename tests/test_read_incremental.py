"""The read model follows writes incrementally, and the result equals a full rebuild.

After each validated write (through the library's Writer), the stance table behind
``/api/stances`` is updated from the changes the Writers logged (only the stances and
labels they touch are read again); it must equal a table built from scratch.
"""

from __future__ import annotations

import importlib
from typing import Any

import pyoxigraph as ox
import pytest

import stancegraph

# The module (``stancegraph.read.stances`` is also the name of a function there).
st = importlib.import_module("stancegraph.read.stances")

pytestmark = pytest.mark.embedded_only(reason="compares against the embedded store's rebuild")

SG = "https://w3id.org/stancegraph/ns#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def _snapshot(table: Any) -> tuple[list[tuple[Any, ...]], dict[str, str]]:
    rows = [
        tuple(getattr(r, f) for f in r.__slots__)
        for r in table.rows  # every field, in order
    ]
    return rows, dict(table.labels)


def _stances(kg: Any) -> list[ox.NamedNode]:
    return sorted(
        (
            q.subject
            for q in kg.store.raw.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(SG + "Stance"))
        ),
        key=str,
    )


def _data(quads: list[ox.Quad], op: str) -> str:
    body = " ".join(
        f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in quads
    )
    return f"{op} {{ {body} }}"


def test_the_stance_table_follows_writes_and_equals_a_rebuild() -> None:
    kg = stancegraph.open()
    writer = kg.writer
    built = st.stance_table(kg)  # the first table: a full build
    first, second = _stances(kg)[:2]
    steps: list[tuple[str, str]] = []
    # 1. a new stance: a copy of the first one under a new IRI
    copy = [
        ox.Quad(
            ox.NamedNode("http://example.org/incremental-copy"), q.predicate, q.object, q.graph_name
        )
        for q in kg.store.raw.quads_for_pattern(first, None, None)
    ]
    steps.append(("a new stance", _data(copy, "INSERT DATA")))
    # 2. a stance's polarity changes
    pol = next(kg.store.raw.quads_for_pattern(second, ox.NamedNode(SG + "polarity"), None))
    other = ox.NamedNode(
        "https://w3id.org/stancegraph/vocab/polarity/"
        + ("oppose" if pol.object.value.endswith("/support") else "support")
    )
    steps.append(
        (
            "a polarity",
            _data([pol], "DELETE DATA")
            + " ; "
            + _data([ox.Quad(pol.subject, pol.predicate, other, pol.graph_name)], "INSERT DATA"),
        )
    )
    # 3. a holder's label changes (every stance it holds shows the new label)
    holder = next(kg.store.raw.quads_for_pattern(first, ox.NamedNode(SG + "holder"), None)).object
    label = next(
        q
        for q in kg.store.raw.quads_for_pattern(holder, LABEL, None)
        if isinstance(q.object, ox.Literal) and q.object.language == "en"
    )
    renamed = ox.Quad(
        holder, LABEL, ox.Literal("Renamed for the test", language="en"), label.graph_name
    )
    steps.append(
        ("a label", _data([label], "DELETE DATA") + " ; " + _data([renamed], "INSERT DATA"))
    )
    # 4. the copy goes away again
    steps.append(("a stance deleted", _data(copy, "DELETE DATA")))
    for what, update in steps:
        writer.update(update)
        incremental = st.stance_table(kg)
        assert incremental is not built, what
        assert _snapshot(incremental) == _snapshot(st._build_stance_table(kg)), what
        built = incremental
    assert st._LAST[kg.store][0] == kg.store.version


def test_changes_the_log_cannot_account_for_rebuild_the_table() -> None:
    """A write that did not go through a Writer (``store.update`` directly) leaves a gap in
    the log: the table is built again, and is still right."""
    kg = stancegraph.open()
    st.stance_table(kg)
    stance = _stances(kg)[0]
    kg.store.update(f"DELETE WHERE {{ GRAPH ?g {{ {stance} ?p ?o }} }}")
    table = st.stance_table(kg)
    assert table.get(stance.value) is None
    assert _snapshot(table) == _snapshot(st._build_stance_table(kg))

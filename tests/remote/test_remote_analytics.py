"""Analytics in remote mode: projections read page by page, the derived graph written back.

Against real servers (see conftest): the frame and every report computed over a remote
store equal the embedded ones, also when the store's page size forces many small SELECT
pages; ``materialize`` writes the same derived graph into the remote store.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import pyoxigraph as ox
import pytest

from stancegraph.analytics import ANALYTICS, Analytics
from stancegraph.graph import StanceGraph
from stancegraph.store.open import open_store

from .conftest import Backend, seed_store

pytestmark = pytest.mark.slow  # real triplestore servers: deselected by -m "not slow"

ANALYSES = ("coalitions", "guarantors", "conditions", "positions")
SG = "https://w3id.org/stancegraph/ns#"
PROV = "http://www.w3.org/ns/prov#"


def _count_pages(store: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record what each query request the store sends is for ("page at 0", …)."""
    sent: list[str] = []
    post = store._post_query

    def counting(text: str, dataset: Any, accept: str, what: str) -> Any:
        sent.append(what)
        return post(text, dataset, accept, what)

    monkeypatch.setattr(store, "_post_query", counting)
    return sent


def _frame_rows(an: Analytics) -> tuple[Any, ...]:
    f = an.frame()
    return (
        [astuple(r) for r in f.stances],
        [astuple(c) for c in f.conditions],
        sorted(astuple(a) for a in f.actors.values()),
        sorted(astuple(p) for p in f.propositions.values()),
        f.parties,
        sorted(f.superseded),
        f.stance_labels,
    )


@pytest.mark.parametrize("page_size", [10_000, 7])
def test_remote_analytics_equal_embedded_at_any_page_size(
    backend: Backend, embedded: StanceGraph, page_size: int, monkeypatch: pytest.MonkeyPatch
):
    store = open_store(backend.spec, union=backend.store.settings.union, page_size=page_size)
    sent = _count_pages(store, monkeypatch)
    remote = Analytics(StanceGraph(store), auto_materialize=False)
    local = Analytics(embedded, auto_materialize=False)
    assert _frame_rows(remote) == _frame_rows(local)
    pages = [w for w in sent if w.startswith("page at")]
    stances = len(local.frame().all_stances)
    # every stance row came through a page of at most page_size rows
    assert len(pages) >= stances // page_size + 1
    if page_size == 7:
        assert len(pages) > 20
    for name in ANALYSES:
        assert getattr(remote, name)().as_dict() == getattr(local, name)().as_dict(), name
    for name in ("bipartite", "actor_network", "dependencies", "nominations"):
        got, want = getattr(remote, name)(), getattr(local, name)()
        assert list(got.nodes(data=True)) == list(want.nodes(data=True)), name
        assert list(got.edges(data=True)) == list(want.edges(data=True)), name


def _derived(triples: Any, run: str) -> set[tuple[str, str, str]]:
    """The derived graph's triples, less what depends on the run (times, data version)."""
    skip = {
        PROV + "generatedAtTime",
        PROV + "startedAtTime",
        PROV + "endedAtTime",
        SG + "derivedFromVersion",
    }
    out = set()
    for t in triples:
        s, p, o = (str(x.value) for x in (t.subject, t.predicate, t.object))
        if p in skip or (s == run and p.endswith("#label")):  # "… on data version N"
            continue
        out.add((s if s != run else "RUN", p, o if o != run else "RUN"))
    return out


def _run_iri(triples: Any) -> str:
    return next(
        str(t.object.value)
        for t in triples
        if t.predicate.value == PROV + "wasGeneratedBy" and t.subject.value == ANALYTICS
    )


def test_materialize_writes_the_derived_graph_back(
    fresh, embedded: StanceGraph, monkeypatch: pytest.MonkeyPatch
):
    server = fresh("oxigraph")
    kg = seed_store(open_store(server.spec, page_size=50))
    sent = _count_pages(kg.store, monkeypatch)
    rep = Analytics(kg).materialize(force=True)
    assert rep.written and rep.triples > 0
    assert any(w.startswith("page at") for w in sent)
    assert ANALYTICS in kg.store.named_graphs()
    remote = list(
        ox.parse(
            kg.store.dump(ox.RdfFormat.N_TRIPLES, graph=ANALYTICS), format=ox.RdfFormat.N_TRIPLES
        )
    )
    assert len(remote) == rep.triples
    local_kg = StanceGraph(embedded.store.__class__())
    local_kg.store.load(embedded.store.dump(ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS)
    local_rep = Analytics(local_kg).materialize(force=True)
    local = list(
        ox.parse(
            local_kg.store.dump(ox.RdfFormat.N_TRIPLES, graph=ANALYTICS),
            format=ox.RdfFormat.N_TRIPLES,
        )
    )
    assert local_rep.triples == rep.triples
    assert _derived(remote, _run_iri(remote)) == _derived(local, _run_iri(local))
    # current now: a second call writes nothing
    assert not Analytics(kg).materialize().written

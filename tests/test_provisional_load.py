"""The validated bulk load into a new store runs while its file is validated, as a
provisional change (``OxigraphStore.provisional``): whatever ends it early, the store is left
exactly as it was, blank-node labels included, even when the process is killed mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest

import stancegraph
from stancegraph.errors import StoreError
from stancegraph.store.embedded import UNDO_FILE, OxigraphStore
from stancegraph.terms import ONTOLOGY_GRAPH

pytestmark = pytest.mark.embedded_only(reason="the embedded store's own bulk load")

EXTRA = ox.Quad(
    ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"), ox.NamedNode("urn:x:g")
)


def quads(store: OxigraphStore) -> set[str]:
    return {str(q) for q in store.raw}


@pytest.fixture
def new_store(tmp_path: Path) -> Path:
    """A new on-disk store: its ontology only (with blank nodes: OWL lists, restrictions)."""
    path = tmp_path / "store"
    stancegraph.open(path, seed=False).store.flush()
    return path


def test_an_exception_in_the_block_puts_the_store_back(new_store: Path) -> None:
    store = OxigraphStore(new_store)
    before = quads(store)
    assert any(s.startswith("_:") for s in before)  # the case a reload would get wrong
    version = store.version
    with pytest.raises(RuntimeError, match="refused"), store.provisional():
        store.raw.add(EXTRA)
        store.raw.remove(next(iter(store.raw)))
        raise RuntimeError("refused")
    assert quads(store) == before
    assert store.version > version  # caches keyed on the version see the undo
    assert not (new_store / UNDO_FILE).exists()


def test_a_finished_block_keeps_its_changes(new_store: Path) -> None:
    store = OxigraphStore(new_store)
    with store.provisional():
        store.raw.add(EXTRA)
    assert str(EXTRA) in quads(store)
    assert not (new_store / UNDO_FILE).exists()
    del store
    assert str(EXTRA) in quads(OxigraphStore(new_store))


def test_in_memory_store_is_put_back_too() -> None:
    store = OxigraphStore()
    store.raw.add(ox.Quad(ox.BlankNode("b1"), ox.NamedNode("urn:x:p"), ox.BlankNode("b2")))
    before = quads(store)
    with pytest.raises(KeyError), store.provisional():
        store.raw.add(EXTRA)
        raise KeyError("x")
    assert quads(store) == before


KILLED_MID_LOAD = textwrap.dedent(
    """
    import os, signal, sys
    from stancegraph.store.embedded import OxigraphStore
    import pyoxigraph as ox
    store = OxigraphStore(sys.argv[1])
    with store.provisional():
        store.bulk_load(sys.argv[2], ox.RdfFormat.N_QUADS)
        os.kill(os.getpid(), signal.SIGKILL)  # before the verdict: no cleanup runs
    """
)


def test_a_load_killed_before_its_verdict_is_undone_on_the_next_open(
    new_store: Path, tmp_path: Path
) -> None:
    before = quads(OxigraphStore(new_store))
    data = tmp_path / "data.nq"
    data.write_text("".join(f'<urn:x:s{i}> <urn:x:p> "{i}" <urn:x:g> .\n' for i in range(2000)))
    run = subprocess.run([sys.executable, "-c", KILLED_MID_LOAD, str(new_store), str(data)])
    assert run.returncode == -signal.SIGKILL
    assert (new_store / UNDO_FILE).exists()
    # A read-only open (a query worker, `stancegraph dump`) must not read the half load.
    with pytest.raises(StoreError, match="interrupted"):
        OxigraphStore(new_store, read_only=True)
    reopened = OxigraphStore(new_store)
    assert quads(reopened) == before
    assert not (new_store / UNDO_FILE).exists()


def test_cli_load_of_a_new_store_loads_and_leaves_no_undo_file(
    new_store: Path, tmp_path: Path
) -> None:
    seed = stancegraph.open()  # the seed, in memory: a file that conforms
    data = tmp_path / "seed.nq"
    data.write_bytes(seed.store.raw.dump(format=ox.RdfFormat.N_QUADS))
    out = subprocess.run(
        [sys.executable, "-m", "stancegraph", "load", str(data), "--store", str(new_store)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert out.returncode == 0, out.stderr
    assert not (new_store / UNDO_FILE).exists()
    loaded = stancegraph.open(new_store, read_only=True)
    onto = str(ONTOLOGY_GRAPH)
    data_quads = lambda st: {str(q) for q in st.raw if q.graph_name.value != onto}  # noqa: E731
    assert data_quads(loaded.store) == data_quads(seed.store)
    assert len(loaded.stances()) == len(seed.stances()) > 0

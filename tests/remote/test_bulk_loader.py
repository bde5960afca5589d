"""Server-side bulk loads (``stancegraph.store.remote.virtuoso``) against a real Virtuoso and Oxigraph server."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from stancegraph.errors import StoreError, StoreUnavailable
from stancegraph.graph import StanceGraph
from stancegraph.store.open import open_store
from stancegraph.store.remote import SparqlHttpStore
from stancegraph.store.remote.virtuoso import VirtuosoLoader

pytestmark = pytest.mark.slow  # real triplestore servers: deselected by -m "not slow"

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _counts(kg: StanceGraph) -> dict[str, int]:
    return {r["g"].value: int(r["n"].value) for r in kg.store.query(PER_GRAPH)}


def _seed_file(embedded: StanceGraph, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "seed.nq"
    path.write_bytes(embedded.store.dump(ox.RdfFormat.N_QUADS))
    return path


def test_virtuoso_loader_gives_the_embedded_graphs_and_bumps_the_version(
    fresh: Callable[..., Any], embedded: StanceGraph, tmp_path: Path
) -> None:
    path = _seed_file(embedded, tmp_path / "import")
    server = fresh("virtuoso", dirs_allowed=[path.parent], max_rows=100_000)
    other = open_store(server.spec, version_ttl_s=0)  # another client, opened before the load
    before = other.version
    store = open_store(server.spec)
    sent = store.bulk_load(path, ox.RdfFormat.N_QUADS, loader=server.loader())
    assert sent == len(embedded.store)
    assert _counts(StanceGraph(store)) == _counts(embedded)
    assert other.version > before  # the data-version marker was set: caches elsewhere see it
    assert len(
        StanceGraph(other).query(
            "SELECT ?s WHERE { ?s a <https://w3id.org/stancegraph/ns#Stance> }"
        )
    ) == len(embedded.query("SELECT ?s WHERE { ?s a <https://w3id.org/stancegraph/ns#Stance> }"))


def test_virtuoso_loader_reports_a_broken_file(fresh: Callable[..., Any], tmp_path: Path) -> None:
    bad = tmp_path / "import" / "bad.nq"
    bad.parent.mkdir()
    line = "<https://e.org/s> <https://e.org/p> <https://e.org/o> <https://e.org/g> .\n"
    bad.write_text(
        line + line.replace(" .", " <https://e.org/extra> .") + line
    )  # line 2: five terms
    server = fresh("virtuoso", dirs_allowed=[bad.parent])
    store = open_store(server.spec)
    with pytest.raises(StoreError, match=r"bulk loader failed on bad\.nq.*line 2"):
        store.bulk_load(bad, ox.RdfFormat.N_QUADS, loader=server.loader())


def test_virtuoso_loader_refuses_unsafe_names_and_other_engines(
    fresh: Callable[..., Any], tmp_path: Path
) -> None:
    odd = tmp_path / "it's.nq"
    odd.write_text("")
    with pytest.raises(ValueError, match="quote"):
        VirtuosoLoader(password="x").script(odd, "https://e.org/g")
    with pytest.raises(ValueError, match="quote"):
        VirtuosoLoader(password="x").script(tmp_path / "a.nq", "https://e.org/g'); checkpoint; --")
    server = fresh("oxigraph")
    with pytest.raises(StoreError, match="needs a Virtuoso server"):
        open_store(server.spec).bulk_load(
            odd, ox.RdfFormat.N_QUADS, loader=VirtuosoLoader(password="x")
        )


def test_a_server_that_stops_reading_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """The Graph Store path: a server that accepts the connection and never reads nor answers."""
    path = tmp_path / "big.nq"
    with path.open("w") as f:
        for i in range(60_000):  # ~6 MB: more than the socket buffers hold
            f.write(f'<https://e.org/s{i}> <https://e.org/p> "{"x" * 40}" <https://e.org/g> .\n')
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = SparqlHttpStore(
            query_url=f"{base}/query",
            update_url=f"{base}/update",
            gsp_url=f"{base}/store",
            engine="oxigraph",
            write_timeout_s=1,
            timeout_s=1,
        )
        with pytest.raises(StoreUnavailable, match="within 1 s"):
            store.bulk_load(path, ox.RdfFormat.N_QUADS)


def test_oxigraph_offline_load_then_serve(
    fresh: Callable[..., Any], embedded: StanceGraph, tmp_path: Path
) -> None:
    path = _seed_file(embedded, tmp_path / "import")
    server = fresh("oxigraph")
    server.stop()
    server.load_offline(path)
    server.start()
    assert _counts(StanceGraph(open_store(server.spec))) == _counts(embedded)

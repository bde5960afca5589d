"""Fixtures for the remote-store suite: real Oxigraph and Virtuoso servers on 127.0.0.1.

- ``backend`` (parametrised ``oxigraph`` / ``virtuoso``, session scope): a running server
  holding the ontology and the seed dataset, loaded through ``SparqlHttpStore`` exactly as
  ``stancegraph load --seed`` does; tests must not change its data (use ``fresh``).
- ``fresh``: a factory of throwaway servers (own directory and ports) for tests that write,
  crash or reconfigure a server; stopped by PID at the end of the test.
- ``embedded``: the seed graph in the embedded store, the reference for comparisons.

A missing binary skips the tests that need it, with the reason (``pip install oxigraph``;
``apt-get install virtuoso-opensource-7-bin``, or run ``.ci/remote-stores.sh``).
``STANCEGRAPH_REMOTE_BACKENDS=oxigraph`` (comma-separated) restricts the backends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stancegraph import resources
from stancegraph.graph import StanceGraph, load_ontology
from stancegraph.graph import open as open_graph

from .servers import OxigraphServer, VirtuosoServer, oxigraph_binary, virtuoso_binaries

BACKENDS = ("oxigraph", "virtuoso")


def _wanted() -> tuple[str, ...]:
    env = os.environ.get("STANCEGRAPH_REMOTE_BACKENDS")
    return tuple(b.strip() for b in env.split(",") if b.strip()) if env else BACKENDS


def missing(kind: str) -> str | None:
    """Why a backend cannot run here (None when it can)."""
    if kind not in _wanted():
        return f"{kind} not in STANCEGRAPH_REMOTE_BACKENDS"
    if kind == "oxigraph" and not oxigraph_binary():
        return "oxigraph binary not found: pip install oxigraph (or run .ci/remote-stores.sh)"
    if kind == "virtuoso" and not virtuoso_binaries():
        return "virtuoso-t/isql-vt not found: apt-get install virtuoso-opensource-7-bin (or run .ci/remote-stores.sh)"
    return None


def make_server(kind: str, directory: Path, **kw: Any) -> OxigraphServer | VirtuosoServer:
    reason = missing(kind)
    if reason:
        pytest.skip(reason)
    if kind == "oxigraph":
        return OxigraphServer(directory)
    return VirtuosoServer(directory, **kw)


def seed_store(store: Any) -> StanceGraph:
    """The ontology and the seed dataset, as ``stancegraph load --seed`` writes them."""
    kg = StanceGraph(store)
    load_ontology(store)
    kg.load(resources.seed_files(), validate_shapes=False)
    return kg


@dataclass
class Backend:
    kind: str
    server: OxigraphServer | VirtuosoServer
    kg: StanceGraph

    @property
    def spec(self) -> str:
        return self.server.spec

    @property
    def store(self) -> Any:
        return self.kg.store


@pytest.fixture(scope="session")
def embedded() -> StanceGraph:
    return open_graph()


_started: dict[str, Backend] = {}


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    from stancegraph.config import open_store

    kind = request.param
    reason = missing(kind)
    if reason:
        pytest.skip(reason)
    server = make_server(kind, tmp_path_factory.mktemp(f"{kind}-seed"))
    server.start()
    try:
        kg = seed_store(open_store(server.spec, version_ttl_s=0.2))
        yield Backend(kind, server, kg)
    finally:
        server.stop()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Callable[..., OxigraphServer | VirtuosoServer]]:
    servers: list[OxigraphServer | VirtuosoServer] = []

    def start(kind: str, **kw: Any) -> OxigraphServer | VirtuosoServer:
        server = make_server(kind, tmp_path / f"{kind}-{len(servers)}", **kw)
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for s in servers:
            s.stop()

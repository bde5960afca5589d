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
from stancegraph.graph import StanceGraph
from stancegraph.graph import open as open_graph
from stancegraph.ingest.bootstrap import load_ontology

from .servers import (
    OxigraphServer,
    VirtuosoServer,
    make_virtuoso_template,
    oxigraph_binary,
    virtuoso_binaries,
)

ENGINES = ("oxigraph", "virtuoso")
BACKENDS = ("oxigraph", "virtuoso", "virtuoso-all")


def _wanted() -> tuple[str, ...]:
    env = os.environ.get("STANCEGRAPH_REMOTE_BACKENDS")
    return tuple(b.strip() for b in env.split(",") if b.strip()) if env else ENGINES


def missing(kind: str) -> str | None:
    """Why a backend cannot run here (None when it can)."""
    if kind not in _wanted():
        return f"{kind} not in STANCEGRAPH_REMOTE_BACKENDS"
    if kind == "oxigraph" and not oxigraph_binary():
        return "oxigraph binary not found: pip install oxigraph (or run .ci/remote-stores.sh)"
    if kind == "virtuoso" and not virtuoso_binaries():
        return "virtuoso-t/isql-vt not found: apt-get install virtuoso-opensource-7-bin (or run .ci/remote-stores.sh)"
    return None


_template: list[Path] = []


def make_server(kind: str, directory: Path, **kw: Any) -> OxigraphServer | VirtuosoServer:
    reason = missing(kind)
    if reason:
        pytest.skip(reason)
    if kind == "oxigraph":
        return OxigraphServer(directory)
    if not _template:
        _template.append(make_virtuoso_template(directory.parent / "virtuoso-template"))
    return VirtuosoServer(directory, template=_template[0], **kw)


def seed_store(store: Any) -> StanceGraph:
    """The ontology and the seed dataset, as ``stancegraph load --seed`` writes them."""
    kg = StanceGraph(store)
    load_ontology(store)
    kg.load(resources.seed_files(), validate_shapes=False)
    return kg


@dataclass
class Backend:
    kind: str  # oxigraph | virtuoso | virtuoso-all
    server: OxigraphServer | VirtuosoServer
    kg: StanceGraph

    @property
    def engine(self) -> str:
        return self.kind.split("-")[0]

    @property
    def spec(self) -> str:
        return self.server.spec

    @property
    def store(self) -> Any:
        return self.kg.store


@pytest.fixture(scope="session")
def embedded() -> StanceGraph:
    return open_graph()


_servers: dict[str, OxigraphServer | VirtuosoServer] = {}


@pytest.fixture(scope="session")
def _running(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], OxigraphServer | VirtuosoServer]]:
    """One seeded server per engine for the whole session (shared by the backends)."""
    from stancegraph.store.open import open_store

    def get(kind: str) -> OxigraphServer | VirtuosoServer:
        if kind not in _servers:
            server = make_server(kind, tmp_path_factory.mktemp(f"{kind}-seed"))
            _servers[kind] = server
            server.start()
            seed_store(open_store(server.spec))
        return _servers[kind]

    try:
        yield get
    finally:
        while _servers:
            _servers.popitem()[1].stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, _running: Callable[[str], Any]) -> Backend:
    """The seeded store of one backend: ``virtuoso-all`` is Virtuoso with ``union="all"``."""
    from stancegraph.store.open import open_store

    kind = request.param
    engine = kind.split("-")[0]
    reason = missing(engine)
    if reason:
        pytest.skip(reason)
    server = _running(engine)
    opts: dict[str, Any] = {"union": "all"} if kind == "virtuoso-all" else {}
    return Backend(kind, server, StanceGraph(open_store(server.spec, version_ttl_s=0.2, **opts)))


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Callable[..., OxigraphServer | VirtuosoServer]]:
    servers: list[OxigraphServer | VirtuosoServer] = []

    def start(kind: str, **kw: Any) -> OxigraphServer | VirtuosoServer:
        server = make_server(kind, tmp_path / f"{kind}-{len(servers)}", **kw)
        servers.append(server)  # stopped at the end even if start() fails half-way
        server.start()
        return server

    try:
        yield start
    finally:
        for s in servers:
            s.stop()

"""The shared fixtures and helpers (``tests/conftest.py`` loads them): real servers on 127.0.0.1, the location of ../shared, and remote mode.

``live_server`` is the seed graph served by ``stancegraph serve`` in a subprocess (module
scope), ``writable_server`` the same taking writes with ``WRITE_TOKEN``; ``serve`` starts servers with other arguments (``serve("--write-token", ...)``)
and stops them after the test.

In-process service: ``seed`` is the seed graph (module scope, read by the module's tests,
never written); ``client`` is the service on it in a ``TestClient`` (module scope, query
workers running); ``app_client(kg, **settings)`` makes one with other settings or another
graph (``make_client``: the same, not started), and ``clean_settings(**values)`` gives
``Settings`` from these values only.

Remote mode (issue #7): ``STANCEGRAPH_TEST_STORE=oxigraph`` (or ``virtuoso``) runs the same
tests against a real triplestore through ``SparqlHttpStore`` instead of the embedded store:

- every ``stancegraph.open()`` made by a test without a path or store (the seed graph,
  ``seed=False``, ``files=[...]``) gets a fresh server on a loopback port, loaded with the
  ontology and the seed as ``stancegraph load --store URL --seed`` does; a fresh server per
  call keeps writes isolated (an Oxigraph server starts in ~0.2 s, seeding takes ~1 s). Servers are
  stopped by PID when the test module that started them ends (session end for those
  started at collection);
- ``live_server``, ``serve`` and ``running_server`` start ``stancegraph serve --store
  sparql+http://…`` on a fresh seeded server, unless the test serves its own ``--store``,
  files or ``STANCEGRAPH_STORE``;
- tests marked ``@pytest.mark.embedded_only(reason=...)`` (on-disk stores, local workers,
  the embedded engine's own behaviour) are skipped with that reason; deselect them with
  ``-m "not embedded_only"``. Opens with a path stay embedded.

Unset (or ``embedded``) is the ordinary embedded run. A missing server binary is a usage
error in remote mode (run ``.ci/remote-stores.sh``)::

    STANCEGRAPH_TEST_STORE=oxigraph python -m pytest -m "not embedded_only" tests --ignore=tests/remote

The compiled seed cache (``STANCEGRAPH_CACHE_DIR``) lives in a temporary directory for the
whole session, inherited by every server and CLI the tests start: tests never write the
user's ``~/.cache``. ``wait_until`` polls a condition with a generous deadline; use it
instead of fixed sleeps.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from stancegraph.cli.main import main; sys.exit(main())"
TEST_STORE = os.environ.get("STANCEGRAPH_TEST_STORE", "").strip().lower() or "embedded"
REMOTE = TEST_STORE != "embedded"


T = TypeVar("T")

# The seed cache of this session (set in os.environ before any graph is opened, so every
# subprocess inherits it; children started with a hand-made env get it from ``CACHE_ENV``).
SEED_CACHE = Path(tempfile.mkdtemp(prefix="stancegraph-test-cache-"))
os.environ["STANCEGRAPH_CACHE_DIR"] = str(SEED_CACHE)
CACHE_ENV = {"STANCEGRAPH_CACHE_DIR": str(SEED_CACHE)}
atexit.register(shutil.rmtree, SEED_CACHE, ignore_errors=True)


def wait_until(
    predicate: Callable[[], T], timeout: float = 60, interval: float = 0.02, what: str = ""
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that.

    The deadline is generous on purpose (a loaded 2-core CI machine is slow, never wrong):
    it only bounds how long a broken test hangs, it is no speed assertion.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {what or predicate}")
        time.sleep(interval)


def shared_dir() -> Path | None:
    """``../shared`` next to the checkout (or ``$STANCEGRAPH_SHARED``), if present."""
    for candidate in (os.environ.get("STANCEGRAPH_SHARED"), REPO.parent / "shared"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- remote mode


class _Stores:
    """Fresh triplestore servers for remote mode, each in its own directory, stopped by PID."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.root = Path(tempfile.mkdtemp(prefix=f"stancegraph-test-{engine}-"))
        self.running: list[Any] = []
        self._template: Path | None = None
        self.started = 0

    def start(self, *, seed: bool = True, files: Sequence[str | Path] = ()) -> tuple[Any, Any]:
        """A new server holding the ontology (and the seed, or ``files``), and its graph."""
        from remote.servers import OxigraphServer, VirtuosoServer, make_virtuoso_template

        self.started += 1
        directory = self.root / f"{self.engine}-{self.started}"
        server: Any
        if self.engine == "oxigraph":
            server = OxigraphServer(directory)
        else:
            if self._template is None:
                self._template = make_virtuoso_template(self.root / "virtuoso-template")
            server = VirtuosoServer(directory, template=self._template)
        self.running.append(server)  # stopped at the end even if start() fails half-way
        server.start()
        return server, _open_embedded(store=server.spec, seed=seed, files=files)

    def stop(self, server: Any) -> None:
        if server in self.running:
            self.running.remove(server)
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)

    def stop_from(self, mark: int) -> None:
        while len(self.running) > mark:
            self.stop(self.running[-1])

    def close(self) -> None:
        self.stop_from(0)
        shutil.rmtree(self.root, ignore_errors=True)


_stores: _Stores | None = None
_open_embedded: Any = None  # stancegraph.graph.open, before remote mode replaces stancegraph.open


def _remote_open(
    path: Any = None,
    *,
    store: Any = None,
    seed: bool | None = None,
    files: Sequence[str | Path] = (),
    read_only: bool = False,
    **kw: Any,
) -> Any:
    """``stancegraph.open`` in remote mode: graphs without a path or store get a fresh server."""
    if (
        path is not None
        or store is not None
        or read_only
        or any(v is not None for v in kw.values())
    ):
        return _open_embedded(path, store=store, seed=seed, files=files, read_only=read_only, **kw)
    assert _stores is not None
    return _stores.start(seed=not files if seed is None else seed, files=files)[1]


def _start_remote_mode() -> None:
    global _stores, _open_embedded
    import stancegraph
    import stancegraph.graph

    if TEST_STORE not in ("oxigraph", "virtuoso"):
        raise pytest.UsageError(
            f"STANCEGRAPH_TEST_STORE={TEST_STORE!r}: expected oxigraph, virtuoso or embedded"
        )
    from remote.servers import oxigraph_binary, virtuoso_binaries

    if not (oxigraph_binary() if TEST_STORE == "oxigraph" else virtuoso_binaries()):
        raise pytest.UsageError(
            f"STANCEGRAPH_TEST_STORE={TEST_STORE}: server not installed (run .ci/remote-stores.sh)"
        )
    _open_embedded = stancegraph.graph.open
    _remote_open.__doc__ = f"{_remote_open.__doc__}\n\n{_open_embedded.__doc__}"
    stancegraph.open = _remote_open  # type: ignore[assignment]
    _stores = _Stores(TEST_STORE)
    atexit.register(_stores.close)  # also when pytest is interrupted


def pytest_configure(config: pytest.Config) -> None:
    if REMOTE:
        _start_remote_mode()


def pytest_report_header(config: pytest.Config) -> str:
    return f"stancegraph test store: {TEST_STORE}" + (" (remote mode)" if REMOTE else "")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _stores is not None:
        terminalreporter.write_line(
            f"remote mode: {_stores.started} {TEST_STORE} server(s) started"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _stores is not None:
        _stores.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:  # every browser test is slow: the fast subset (-m "not slow") skips them
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)
    if not REMOTE:
        return
    for item in items:
        mark = item.get_closest_marker("embedded_only")
        if mark is not None:
            why = mark.kwargs.get("reason") or (
                mark.args[0] if mark.args else "embedded store only"
            )
            item.add_marker(pytest.mark.skip(reason=f"embedded only ({TEST_STORE} mode): {why}"))


@pytest.fixture(scope="module", autouse=True)
def _remote_servers_per_module() -> Iterator[None]:
    """Remote mode: stop the servers a test module started when the module ends."""
    mark = len(_stores.running) if _stores else 0
    yield
    if _stores is not None:
        _stores.stop_from(mark)


_SERVE_FLAGS = {
    "--allow-outbound",
    "--no-sparql-cache",
    "--require-sandbox",
    "--no-require-sandbox",
}


def _serves_own_data(args: Sequence[str], env: dict[str, str] | None) -> bool:
    """Whether ``serve`` arguments name their own store or files (kept as given in remote mode)."""
    if env and env.get("STANCEGRAPH_STORE"):
        return True
    it = iter(args)
    for a in it:
        if a == "--store" or a.startswith("--store=") or not a.startswith("-"):
            return True
        if "=" not in a and a not in _SERVE_FLAGS:
            next(it, None)  # the option's value
    return False


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]
    log: Path
    startup_s: float  # process start to first /healthz answer
    store: str | None = None  # remote mode: the triplestore it serves

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_server(
    *args: str, env: dict[str, str] | None = None, tmp: Path | None = None, timeout: float = 60
) -> Iterator[Server]:
    """``stancegraph serve --port N *args`` in a subprocess, until the block ends.

    In remote mode it serves a fresh seeded triplestore (``--store sparql+http://…``) unless
    ``args`` or ``env`` name their own store or files.
    """
    store_server = None
    if _stores is not None and not _serves_own_data(args, env):
        store_server = _stores.start()[0]
        args = (*args, "--store", store_server.spec)
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEGRAPH_")}
    full_env.update(CACHE_ENV)
    full_env.update(env or {})
    log = (tmp or Path(os.environ.get("TMPDIR", "/tmp"))) / f"stancegraph-serve-{port}.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _MAIN,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *args,
            ],
            cwd=REPO,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = started + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"server did not answer within {timeout} s:\n{log.read_text()}")
            time.sleep(0.02)
        yield Server(
            url, proc, log, time.perf_counter() - started, store_server and store_server.spec
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if store_server is not None and _stores is not None:
            _stores.stop(store_server)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real server on the seed graph (read-only, default settings)."""
    with running_server(tmp=tmp_path_factory.mktemp("live")) as server:
        yield server.url


WRITE_TOKEN = "test-write-token-0123456789"  # what ``writable_server`` takes for writes


@pytest.fixture(scope="module")
def writable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on the seed graph taking writes with ``WRITE_TOKEN`` (module scope)."""
    env = {"STANCEGRAPH_WRITE_TOKEN": WRITE_TOKEN}
    with running_server(env=env, tmp=tmp_path_factory.mktemp("writable")) as server:
        yield server


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """Start servers with custom arguments: ``server = serve("--timeout", "1")``."""
    stack: list[Any] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Server:
        cm = running_server(*args, env=env, tmp=tmp_path)
        server = cm.__enter__()
        stack.append(cm)
        return server

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


# --------------------------------------------------------------------------- in-process service


def clean_settings(**values: Any) -> Any:
    """``stancegraph.api.settings.Settings`` from these values only (the environment's STANCEGRAPH_*
    ignored, so a developer's shell cannot change what a test sees)."""
    from stancegraph.api.settings import Settings

    clean = {k: v for k, v in os.environ.items() if not k.startswith("STANCEGRAPH_")}
    with mock.patch.dict(os.environ, clean, clear=True):
        return Settings(**values)


def make_client(kg: Any, *, raise_server_exceptions: bool = True, **values: Any) -> Any:
    """The service on ``kg`` in a ``TestClient`` with ``clean_settings(**values)`` (one query
    worker unless ``workers`` says otherwise), not started: use it as it is for routes that
    need no query workers, or enter it (``with``, or ``app_client``) to run the lifespan."""
    from fastapi.testclient import TestClient

    from stancegraph.api import create_app

    values.setdefault("workers", 1)
    app = create_app(kg, clean_settings(**values))
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


@contextmanager
def app_client(kg: Any, **kwargs: Any) -> Iterator[Any]:
    """``make_client(kg, **kwargs)``, started (query workers running) for the block."""
    with make_client(kg, **kwargs) as client:
        yield client


@pytest.fixture(scope="module")
def seed() -> Any:
    """The seed graph, shared by one module's tests: read it, never write to it."""
    import stancegraph

    return stancegraph.open()


@pytest.fixture(scope="module")
def client(seed: Any) -> Iterator[Any]:
    """The service on ``seed`` (default settings, two query workers), in-process."""
    with app_client(seed, workers=2) as c:
        yield c

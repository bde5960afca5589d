"""Shared fixtures: real servers on 127.0.0.1 and the location of ../shared.

``live_server`` is the seed graph served by ``stancegraph serve`` in a subprocess (module
scope); ``serve`` starts servers with other arguments (``serve("--write-token", ...)``)
and stops them after the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from stancegraph.cli import main; sys.exit(main())"


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


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]
    log: Path
    startup_s: float  # process start to first /healthz answer

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_server(
    *args: str, env: dict[str, str] | None = None, tmp: Path | None = None, timeout: float = 60
) -> Iterator[Server]:
    """``stancegraph serve --port N *args`` in a subprocess, until the block ends."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEGRAPH_")}
    full_env.update(env or {})
    log = (tmp or Path(os.environ.get("TMPDIR", "/tmp"))) / f"stancegraph-serve-{port}.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _MAIN, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
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
        yield Server(url, proc, log, time.perf_counter() - started)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real server on the seed graph (read-only, default settings)."""
    with running_server(tmp=tmp_path_factory.mktemp("live")) as server:
        yield server.url


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

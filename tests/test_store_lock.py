"""CLI commands against a store another process holds, and restoring a truncated dump
(issue #12): clear one-line errors, no traceback, the store left untouched. Subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CACHE_ENV, REPO

pytestmark = [
    pytest.mark.slow,  # CLI runs against real servers
    pytest.mark.embedded_only(reason="on-disk store locking"),
]

MAIN = "import sys; from stancegraph.cli.main import main; sys.exit(main())"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        cwd=cwd,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", **CACHE_ENV},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    result = _cli("load", "--store", str(path), "--seed", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return path


def _dump(store: Path, name: str) -> Path:
    out = store.parent / name
    result = _cli("dump", "--store", str(store), str(out), cwd=store.parent)
    assert result.returncode == 0, result.stderr
    return out


def test_commands_on_a_store_a_server_holds_say_so(store: Path, serve: Any) -> None:
    dump = _dump(store, "backup.nq.gz")
    server = serve("--store", str(store))
    before = httpx.get(f"{server.url}/healthz").json()["data_version"]
    restore = _cli("restore", "--store", str(store), str(dump), cwd=store.parent)
    assert restore.returncode == 1
    assert "another process" in restore.stderr and "holds the store" in restore.stderr
    assert "Traceback" not in restore.stderr
    assert not list(store.parent.glob("store.before-restore-*"))  # nothing was swapped
    assert not list(store.parent.glob("store.restoring-*"))
    for args in (("info", "--store", str(store)), ("load", "--store", str(store), "--seed")):
        result = _cli(*args, cwd=store.parent)
        assert result.returncode == 1, result
        assert "another process" in result.stderr and "holds it" in result.stderr
        assert "While lock file" not in result.stderr and "Traceback" not in result.stderr
    # the server still serves the same store, and writes still work there
    assert httpx.get(f"{server.url}/healthz").json()["data_version"] == before
    r = httpx.get(f"{server.url}/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 1"})
    assert r.status_code == 200


def test_restore_works_once_the_server_is_gone(store: Path) -> None:
    dump = _dump(store, "backup.nq")
    result = _cli("restore", "--store", str(store), str(dump), cwd=store.parent)
    assert result.returncode == 0, result.stderr
    assert len(list(store.parent.glob("store.before-restore-*"))) == 1


def test_restoring_a_truncated_gzip_is_a_clear_error(store: Path) -> None:
    dump = _dump(store, "backup.nq.gz")
    truncated = store.parent / "truncated.nq.gz"
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    files_before = sorted(p.name for p in store.iterdir())
    result = _cli("restore", "--store", str(store), str(truncated), cwd=store.parent)
    assert result.returncode == 1
    assert "truncated or corrupt gzip file" in result.stderr
    assert "Traceback" not in result.stderr and "EOFError" not in result.stderr
    assert sorted(p.name for p in store.iterdir()) == files_before
    assert not list(store.parent.glob("store.before-restore-*"))
    info = _cli("info", "--store", str(store), cwd=store.parent)
    assert info.returncode == 0, info.stderr

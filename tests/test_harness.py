"""The test harness itself: the seed cache stays out of the user's home, ``wait_until`` polls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SEED_CACHE, wait_until

import stancegraph
from stancegraph.ingest import bootstrap

MAIN = "import sys; from stancegraph.cli.main import main; sys.exit(main())"


def _fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of our own, so anything written under ``~/.cache`` would show up in it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert Path.home() == home
    return home


def test_seed_cache_is_the_session_temp_dir() -> None:
    assert os.environ["STANCEGRAPH_CACHE_DIR"] == str(SEED_CACHE)
    path = bootstrap.seed_cache_file()
    assert path is not None and path.parent == SEED_CACHE
    assert not SEED_CACHE.is_relative_to(Path.home() / ".cache")


@pytest.mark.embedded_only(reason="the seed cache is the embedded store's")
def test_opening_the_seed_writes_nothing_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _fake_home(tmp_path, monkeypatch)
    kg = stancegraph.open(tmp_path / "store", seed=True)  # compiles or restores, then caches
    assert len(kg.store) > 1000
    assert list(SEED_CACHE.glob("seed-*.nq")), "the seed was not cached in the session dir"
    assert list(home.rglob("*")) == []


@pytest.mark.slow  # a CLI run in a subprocess
@pytest.mark.embedded_only(reason="the seed cache is the embedded store's")
def test_cli_children_inherit_the_temp_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _fake_home(tmp_path, monkeypatch)
    r = subprocess.run(
        [sys.executable, "-c", MAIN, "load", "--store", str(tmp_path / "store"), "--seed"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert list(SEED_CACHE.glob("seed-*.nq"))
    assert list(home.rglob("*")) == []


def test_wait_until_returns_the_first_truthy_value() -> None:
    calls = iter([0, None, "", "ready", "later"])
    assert wait_until(lambda: next(calls), timeout=30, interval=0) == "ready"


def test_wait_until_fails_after_its_deadline() -> None:
    with pytest.raises(AssertionError, match=r"not true within 0\.05 s: never"):
        wait_until(lambda: False, timeout=0.05, what="never")

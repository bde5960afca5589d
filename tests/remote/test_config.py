"""Store selection (``stancegraph.store.open``): specs, environment, config file, credentials.

No server needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stancegraph.errors import StoreError
from stancegraph.store import OxigraphStore
from stancegraph.store.open import guess_urls, is_remote, open_store, remote_settings, resolve_spec
from stancegraph.store.remote import SparqlHttpStore, redact


def test_specs():
    assert is_remote("sparql+http://localhost:7878/query")
    assert is_remote("SPARQL+HTTPS://kg.example.org/sparql")
    assert not is_remote("/var/lib/sg")
    assert not is_remote("http://localhost:7878/query")  # a plain URL is not a store spec
    assert not is_remote(None)


def test_urls_are_guessed_per_engine():
    assert guess_urls("http://h:7878/query") == ("http://h:7878/update", "http://h:7878/store")
    assert guess_urls("http://h:8890/sparql") == (
        "http://h:8890/sparql",
        "http://h:8890/sparql-graph-crud",
    )
    assert guess_urls("http://h:8890/sparql-auth") == (
        "http://h:8890/sparql-auth",
        "http://h:8890/sparql-graph-crud-auth",
    )
    assert guess_urls("https://h/repositories/sg") == ("https://h/repositories/sg", None)


def test_arguments_beat_environment_beat_config_file(tmp_path: Path):
    cfg = tmp_path / "stancegraph.toml"
    cfg.write_text(
        '[store]\nurl = "sparql+http://cfg:1/query"\nupdate_url = "http://cfg:1/update"\n'
        'gsp_url = "http://cfg:1/store"\ntimeout_s = 7\nuser = "cfg-user"\n'
    )
    env = {
        "STANCEGRAPH_CONFIG": str(cfg),
        "STANCEGRAPH_GSP_URL": "http://env:2/store",
        "STANCEGRAPH_STORE_TIMEOUT": "9",
    }
    assert resolve_spec(None, env=env) == "sparql+http://cfg:1/query"
    assert (
        resolve_spec(None, env={**env, "STANCEGRAPH_STORE": "sparql+http://env:2/query"})
        == "sparql+http://env:2/query"
    )
    s = remote_settings("sparql+http://arg:3/query", update_url="http://arg:3/update", env=env)
    assert s.query_url == "http://arg:3/query"
    assert s.update_url == "http://arg:3/update"  # argument
    assert s.gsp_url == "http://env:2/store"  # environment over the file
    assert s.timeout_s == 9.0
    assert s.user == "cfg-user"


def test_url_options_and_overrides():
    s = remote_settings(
        "sparql+http://h:8890/sparql?engine=virtuoso&max-rows=10000&gsp_url=off", env={}
    )
    assert s.query_url == "http://h:8890/sparql"  # options are not sent to the server
    assert s.engine == "virtuoso" and s.max_rows == 10000 and s.gsp_url is None
    assert remote_settings("sparql+http://h/q", env={}, page_size=50).page_size == 50
    with pytest.raises(StoreError, match="unknown store setting"):
        remote_settings("sparql+http://h/q?colour=blue", env={})


def test_passwords_from_env_or_file_only(tmp_path: Path):
    pw = tmp_path / "pw"
    pw.write_text("s3cret\n")
    s = remote_settings(
        "sparql+https://kg.example.org/sparql",
        env={"STANCEGRAPH_STORE_USER": "u", "STANCEGRAPH_STORE_PASSWORD_FILE": str(pw)},
    )
    assert (s.user, s.password) == ("u", "s3cret")
    assert "s3cret" not in repr(s)
    s = remote_settings(
        "sparql+https://kg.example.org/sparql",
        env={"STANCEGRAPH_STORE_PASSWORD": "e", "STANCEGRAPH_STORE_PASSWORD_FILE": str(pw)},
    )
    assert s.password == "e"
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[store]\npassword = "nope"\n')
    with pytest.raises(StoreError, match="password in the config file is refused"):
        remote_settings("sparql+http://h/q", config=cfg, env={})
    with pytest.raises(StoreError, match="password file"):
        remote_settings(
            "sparql+http://h/q", env={"STANCEGRAPH_STORE_PASSWORD_FILE": str(tmp_path / "missing")}
        )


def test_credentials_in_urls_are_moved_out_and_redacted():
    s = remote_settings("sparql+https://alice:pa%40ss@kg.example.org/sparql", env={})
    assert s.query_url == "https://kg.example.org/sparql"
    assert (s.user, s.password) == ("alice", "pa@ss")
    store = SparqlHttpStore(s)
    assert "pa@ss" not in repr(store) and "alice" not in repr(store)
    assert (
        redact("https://alice:x@kg.example.org/sparql?q=1") == "https://***@kg.example.org/sparql"
    )


def test_open_store_picks_the_backend(tmp_path: Path):
    assert isinstance(open_store(None, env={}), OxigraphStore)
    disk = open_store(str(tmp_path / "db"), env={})
    assert isinstance(disk, OxigraphStore) and disk.path == tmp_path / "db"
    remote = open_store(
        "sparql+http://127.0.0.1:9/query", env={}, read_only=True
    )  # no I/O when read-only
    assert isinstance(remote, SparqlHttpStore) and remote.read_only
    with pytest.raises(StoreError, match="need a remote store"):
        open_store(str(tmp_path / "db2"), update_url="http://x/update", env={})
    with pytest.raises(StoreError, match="no such config file"):
        open_store(None, config=tmp_path / "missing.toml", env={})

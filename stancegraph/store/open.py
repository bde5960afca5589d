"""Store selection: an embedded store on disk or in memory, or a remote SPARQL 1.1 store.

    open_store(None)                                   # in memory (embedded)
    open_store("/data/sg")                             # embedded, persistent (RocksDB)
    open_store("sparql+http://localhost:7878/query")   # Oxigraph server
    open_store("sparql+http://localhost:8890/sparql")  # Virtuoso
    open_store("sparql+https://kg.example.org/sparql", update_url=..., gsp_url=...)

Where settings come from, first match wins: arguments; environment variables; the
``[store]`` table of a TOML config file (``--config FILE``, ``$STANCEGRAPH_CONFIG``, or
``./stancegraph.toml``); defaults.

========================================  ==========================  ===========================
environment                               config file ``[store]``     what
========================================  ==========================  ===========================
``STANCEGRAPH_STORE``                     ``url``                     path, or ``sparql+http(s)://…``
                                                                      (the query URL)
``STANCEGRAPH_UPDATE_URL``                ``update_url``              SPARQL Update URL
``STANCEGRAPH_GSP_URL``                   ``gsp_url``                 Graph Store Protocol URL
``STANCEGRAPH_STORE_USER``                ``user``                    user name
``STANCEGRAPH_STORE_PASSWORD``            —                           password (env only)
``STANCEGRAPH_STORE_PASSWORD_FILE``       ``password_file``           file holding the password
``STANCEGRAPH_STORE_AUTH``                ``auth``                    ``basic`` (default) or ``digest``
``STANCEGRAPH_STORE_ENGINE``              ``engine``                  ``auto``, ``oxigraph``,
                                                                      ``virtuoso``, ``generic``
``STANCEGRAPH_STORE_TIMEOUT``             ``timeout_s``               seconds per request
========================================  ==========================  ===========================

Other ``[store]`` keys (and ``?key=value`` options on the ``sparql+http`` URL, which are not
sent to the server): ``connect_timeout_s``, ``write_timeout_s``, ``chunk_triples``,
``gsp_chunk_triples``, ``max_rows``, ``page_size``, ``version_ttl_s``, ``stale_after_s``,
``graph_prefix``, ``union`` (``list`` or ``all``), ``retries``. Passwords are read from the environment or a file only
(never from the command line or the config file itself) and never logged or shown.

When only the query URL is given, the others are guessed: ``…/query`` (Oxigraph server) ->
``…/update`` and ``…/store``; ``…/sparql`` (Virtuoso) -> the same URL for updates and
``…/sparql-graph-crud`` for the Graph Store (``…/sparql-auth`` -> ``…/sparql-graph-crud-auth``).
"""

from __future__ import annotations

import contextlib
import os
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from . import OxigraphStore, Store, StoreError

SCHEMES = ("sparql+http://", "sparql+https://")
CONFIG_NAME = "stancegraph.toml"

_ENV = {
    "STANCEGRAPH_UPDATE_URL": "update_url",
    "STANCEGRAPH_GSP_URL": "gsp_url",
    "STANCEGRAPH_STORE_USER": "user",
    "STANCEGRAPH_STORE_PASSWORD_FILE": "password_file",
    "STANCEGRAPH_STORE_AUTH": "auth",
    "STANCEGRAPH_STORE_ENGINE": "engine",
    "STANCEGRAPH_STORE_TIMEOUT": "timeout_s",
}


def is_remote(spec: str | os.PathLike[str] | None) -> bool:
    return isinstance(spec, str) and spec.lower().startswith(SCHEMES)


def find_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path | None:
    """The config file to read: ``path``, ``$STANCEGRAPH_CONFIG`` or ``./stancegraph.toml``."""
    env = os.environ if env is None else env
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise StoreError(f"no such config file: {p}")
        return p
    if env.get("STANCEGRAPH_CONFIG"):
        p = Path(env["STANCEGRAPH_CONFIG"])
        if not p.is_file():
            raise StoreError(f"no such config file: {p} (STANCEGRAPH_CONFIG)")
        return p
    p = Path.cwd() / CONFIG_NAME
    return p if p.is_file() else None


def read_config(path: Path | None) -> dict[str, Any]:
    """The ``[store]`` table of a TOML config file (empty without a file)."""
    if path is None:
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StoreError(f"{path}: cannot read the config file: {exc}") from None
    table = doc.get("store", {})
    if not isinstance(table, dict):
        raise StoreError(f"{path}: [store] must be a table")
    if "password" in table:
        raise StoreError(
            f"{path}: a password in the config file is refused; use password_file or "
            "STANCEGRAPH_STORE_PASSWORD / STANCEGRAPH_STORE_PASSWORD_FILE"
        )
    return dict(table)


def guess_urls(query_url: str) -> tuple[str, str | None]:
    """(update URL, Graph Store URL) for a query URL, by the engines' usual routes."""
    parts = urllib.parse.urlsplit(query_url)
    path = parts.path.rstrip("/")

    def at(p: str) -> str:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, p, "", ""))

    if path.endswith("/query"):
        base = path[: -len("/query")]
        return at(base + "/update"), at(base + "/store")
    if path.endswith("/sparql-auth"):
        return query_url, at(path[: -len("/sparql-auth")] + "/sparql-graph-crud-auth")
    if path.endswith("/sparql"):
        return query_url, at(path[: -len("/sparql")] + "/sparql-graph-crud")
    return query_url, None


def _coerce(name: str, value: Any) -> Any:
    from .remote import RemoteSettings

    types = {f.name: f.type for f in fields(RemoteSettings)}
    if name not in types:
        raise StoreError(f"unknown store setting {name!r} (known: {', '.join(sorted(types))})")
    t = str(types[name])
    if value is None or not isinstance(value, str):
        return value
    try:
        if t.startswith("int"):
            return int(value)
        if t.startswith("float"):
            return float(value)
        if t.startswith("bool"):
            return value.lower() in ("1", "true", "yes", "on")
    except ValueError:
        raise StoreError(f"store setting {name}: not a number: {value!r}") from None
    return value


def remote_settings(
    spec: str,
    update_url: str | None = None,
    gsp_url: str | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Any:
    """``RemoteSettings`` for a ``sparql+http(s)://`` spec, from args, env and config file."""
    from .remote import RemoteSettings

    env = os.environ if env is None else env
    if not is_remote(spec):
        raise ValueError(f"not a remote store spec (sparql+http://… or sparql+https://…): {spec!r}")
    values: dict[str, Any] = {}
    values.update(read_config(find_config(config, env)))
    values.pop("url", None)
    for var, key in _ENV.items():
        if env.get(var):
            values[key] = env[var]
    url = spec.split("+", 1)[1]
    parts = urllib.parse.urlsplit(url)
    for key, value in urllib.parse.parse_qsl(parts.query):
        values[key.replace("-", "_")] = value
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    if update_url:
        values["update_url"] = update_url
    if gsp_url:
        values["gsp_url"] = gsp_url
    values.update({k: v for k, v in overrides.items() if v is not None})
    password = env.get("STANCEGRAPH_STORE_PASSWORD")
    password_file = values.pop("password_file", None)
    if not password and password_file:
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise StoreError(
                f"cannot read the store password file {password_file}: {exc.strerror}"
            ) from None
    values.pop("password", None)
    guessed_update, guessed_gsp = guess_urls(url)
    values.setdefault("update_url", guessed_update)
    if "gsp_url" not in values:
        values["gsp_url"] = guessed_gsp
    elif values["gsp_url"] in ("", "none", "off"):
        values["gsp_url"] = None
    settings = {k: _coerce(k, v) for k, v in values.items()}
    return RemoteSettings(query_url=url, password=password, **settings)


def resolve_spec(
    spec: str | os.PathLike[str] | None,
    *,
    config: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """The store to open: ``spec``, else ``$STANCEGRAPH_STORE``, else the config file's ``url``."""
    env = os.environ if env is None else env
    if spec:
        return str(spec)
    if env.get("STANCEGRAPH_STORE"):
        return env["STANCEGRAPH_STORE"]
    url = read_config(find_config(config, env)).get("url")
    return str(url) if url else None


def require_existing(spec: str | os.PathLike[str] | None) -> None:
    """Refuse a store path that holds no store: a mistyped ``--store`` must not become a new,
    empty store that then answers "0 stances". Only ``load`` and ``--create`` make stores."""
    if spec is None or is_remote(str(spec)):
        return
    if not (Path(spec) / "CURRENT").is_file():  # RocksDB's marker of an existing database
        raise StoreError(
            f"no store at {spec} (create one with 'stancegraph load --store {spec} FILE…', "
            "or pass --create)"
        )


def open_store(
    spec: str | os.PathLike[str] | None = None,
    update_url: str | None = None,
    gsp_url: str | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    read_only: bool = False,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Store:
    """Open the store a spec names (see the module doc); remote stores recover interrupted writes."""
    spec = resolve_spec(spec, config=config, env=env)
    if spec is not None and is_remote(spec):
        from .remote import SparqlHttpStore, WriteConflict

        settings = remote_settings(
            spec, update_url, gsp_url, config=config, env=env, read_only=read_only, **overrides
        )
        store = SparqlHttpStore(settings)
        if not read_only:
            with contextlib.suppress(WriteConflict):  # a live writer's: it finishes it
                store.recover()
        return store
    if update_url or gsp_url:
        raise StoreError("--update-url and --gsp-url need a remote store (--store sparql+http://…)")
    return OxigraphStore(spec, read_only=read_only)


def add_store_options(p: Any) -> None:
    """``--update-url``, ``--gsp-url`` and ``--config`` for a command that has ``--store``."""
    p.add_argument(
        "--update-url",
        metavar="URL",
        help="remote store: SPARQL Update URL (env STANCEGRAPH_UPDATE_URL)",
    )
    p.add_argument(
        "--gsp-url",
        metavar="URL",
        help="remote store: Graph Store Protocol URL (env STANCEGRAPH_GSP_URL)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help=f"settings file (TOML, [store] table; default ./{CONFIG_NAME})",
    )


def store_from_args(args: Any, *, read_only: bool = False) -> Store:
    return open_store(
        getattr(args, "store", None),
        getattr(args, "update_url", None),
        getattr(args, "gsp_url", None),
        config=getattr(args, "config", None),
        read_only=read_only,
    )

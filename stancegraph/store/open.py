"""Store selection: an embedded store on disk or in memory, or a remote SPARQL 1.1 store.

    open_store(None)                                   # in memory (embedded)
    open_store("/data/sg")                             # embedded, persistent (RocksDB)
    open_store("sparql+http://localhost:7878/query")   # Oxigraph server
    open_store("sparql+http://localhost:8890/sparql")  # Virtuoso
    open_store("sparql+https://kg.example.org/sparql", update_url=..., gsp_url=...)

Where settings come from, first match wins: arguments; environment variables; the
``[store]`` table of a TOML config file (``--config FILE``, ``$STANCEGRAPH_CONFIG``, or
``./stancegraph.toml``); defaults. pydantic-settings reads them (an environment source
limited to the variables below, ``TomlConfigSettingsSource`` for the file) and validates and
converts every value.

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
import dataclasses
import os
import tomllib
import urllib.parse
from collections.abc import Mapping
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import ValidationError, create_model
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ..errors import StoreError
from .base import Store
from .embedded import OxigraphStore

SCHEMES = ("sparql+http://", "sparql+https://")
CONFIG_NAME = "stancegraph.toml"

# The environment variables read, and the setting each one gives (no other is read).
ENV_VARS = {
    "STANCEGRAPH_STORE": "url",
    "STANCEGRAPH_UPDATE_URL": "update_url",
    "STANCEGRAPH_GSP_URL": "gsp_url",
    "STANCEGRAPH_STORE_USER": "user",
    "STANCEGRAPH_STORE_PASSWORD": "password",
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


class _StoreTable(TomlConfigSettingsSource):
    """The ``[store]`` table of the config file; a password there is refused."""

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        try:
            doc = super()._read_file(file_path)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise StoreError(f"{file_path}: cannot read the config file: {exc}") from None
        table = doc.get("store", {})
        if not isinstance(table, dict):
            raise StoreError(f"{file_path}: [store] must be a table")
        if "password" in table:
            raise StoreError(
                f"{file_path}: a password in the config file is refused; use password_file or "
                "STANCEGRAPH_STORE_PASSWORD / STANCEGRAPH_STORE_PASSWORD_FILE"
            )
        return {"store": table}


class _Environment(EnvSettingsSource):
    """``ENV_VARS`` of the given environment (``os.environ`` unless a test passes one)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]):
        self._given = env
        super().__init__(settings_cls, case_sensitive=True, env_prefix="")

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {ENV_VARS[k]: v for k, v in self._given.items() if k in ENV_VARS and v}


@cache
def _config_model() -> type[BaseSettings]:
    """The settings a config file and the environment may give: every ``RemoteSettings``
    field but the query URL, plus ``url`` (the store) and ``password_file``."""
    from .remote.settings import RemoteSettings

    hints = get_type_hints(RemoteSettings)
    fields: dict[str, Any] = {
        f.name: (hints[f.name], f.default)
        for f in dataclasses.fields(RemoteSettings)
        if f.name != "query_url"
    }
    fields.update(url=(str | None, None), password_file=(str | None, None))
    return create_model(
        "StoreConfig",
        __base__=BaseSettings,
        __config__=None,
        **fields,
    )


def _config_sources(path: Path | None, env: Mapping[str, str]) -> type[BaseSettings]:
    """The config model reading, in this order: arguments, ``env``, the file at ``path``."""
    base = _config_model()

    class StoreConfig(base):  # type: ignore[valid-type,misc]
        model_config = SettingsConfigDict(extra="forbid")

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            **_: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            table = (
                (_StoreTable(settings_cls, toml_file=path, toml_table_header=("store",)),)
                if path is not None
                else ()
            )
            return (init_settings, _Environment(settings_cls, env), *table)

    return StoreConfig


def read_settings(
    config: str | os.PathLike[str] | None,
    env: Mapping[str, str],
    **given: Any,
) -> dict[str, Any]:
    """The settings given by ``given`` (arguments), the environment and the config file,
    first match wins, validated and converted by pydantic; only those set anywhere."""
    model = _config_sources(find_config(config, env), env)
    try:
        settings = model(**given)
    except ValidationError as exc:
        raise StoreError(_settings_error(exc)) from None
    return {k: getattr(settings, k) for k in settings.model_fields_set}


def _settings_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    name = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        known = ", ".join(sorted(_config_model().model_fields))
        return f"unknown store setting {name!r} (known: {known})"
    if "parsing" in err["type"] and err["type"].split("_")[0] in ("int", "float"):
        return f"store setting {name}: not a number: {err['input']!r}"
    return f"store setting {name}: {err['msg']}: {err['input']!r}"


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
    from .remote.settings import RemoteSettings

    env = os.environ if env is None else env
    if not is_remote(spec):
        raise ValueError(f"not a remote store spec (sparql+http://… or sparql+https://…): {spec!r}")
    url = spec.split("+", 1)[1]
    parts = urllib.parse.urlsplit(url)
    given: dict[str, Any] = {
        key.replace("-", "_"): value for key, value in urllib.parse.parse_qsl(parts.query)
    }
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    if update_url:
        given["update_url"] = update_url
    if gsp_url:
        given["gsp_url"] = gsp_url
    given.update({k: v for k, v in overrides.items() if v is not None})
    values = read_settings(config, env, **given)
    values.pop("url", None)
    password = values.pop("password", None)
    password_file = values.pop("password_file", None)
    if not password and password_file:
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise StoreError(
                f"cannot read the store password file {password_file}: {exc.strerror}"
            ) from None
    guessed_update, guessed_gsp = guess_urls(url)
    values.setdefault("update_url", guessed_update)
    if "gsp_url" not in values:
        values["gsp_url"] = guessed_gsp
    elif values["gsp_url"] in ("", "none", "off"):
        values["gsp_url"] = None
    return RemoteSettings(query_url=url, password=password, **values)


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
    url = read_settings(config, env).get("url")
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
        from ..errors import WriteConflict
        from .remote.store import SparqlHttpStore

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

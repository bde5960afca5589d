"""Service settings: environment variables ``STANCEGRAPH_*``, overridable by ``stancegraph serve``.

Tokens are ``SecretStr`` so they never appear in reprs or logs. Lists (``cors_origins``,
``read_tokens``) accept JSON (``'["a","b"]'``) or a comma-separated string in the
environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PositiveFloat, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MiB = 1024 * 1024


def _split(value: Any) -> Any:
    """Comma-separated or JSON list from the environment; lists pass through."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def read_coders_file(path: Path) -> dict[str, SecretStr]:
    """``[coders]`` of a TOML file: coder id (a slug) -> write token. Refuses a token shared
    by two coders, or one that is empty, so every write can be attributed."""
    import re
    import tomllib

    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("coders", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"coders file {path}: {exc}") from None
    if not isinstance(table, dict):
        raise ValueError(f"coders file {path}: [coders] must be a table of id = token")
    out: dict[str, SecretStr] = {}
    seen: set[str] = set()
    for coder, token in table.items():
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", coder):
            raise ValueError(f"coders file {path}: coder id {coder!r} is not a slug (a-z, 0-9, -)")
        if not isinstance(token, str) or len(token.strip()) < 8:
            raise ValueError(f"coders file {path}: coder {coder!r} needs a token of 8+ characters")
        if token in seen:
            raise ValueError(
                f"coders file {path}: coder {coder!r} shares a token with another coder"
            )
        seen.add(token)
        out[coder] = SecretStr(token.strip())
    return out


class Settings(BaseSettings):
    """What an operator can tune. Defaults are safe: local bind, no writes, no outbound."""

    model_config = SettingsConfigDict(env_prefix="STANCEGRAPH_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    store: str | None = Field(
        None,
        description="store served when no graph is given: a directory or sparql+http(s)://… (a remote store)",
    )
    default_graph: Literal["union", "separate"] = Field(
        "union",
        description="query default graph: the union of all graphs, or the store's own default graph",
    )
    query_timeout_s: PositiveFloat = Field(10.0, description="wall-clock limit of one query")
    max_rows: int = Field(10_000, ge=1, description="rows (or triples) returned before truncation")
    max_body_bytes: int = Field(MiB, ge=1024, description="largest accepted request body")
    # Transport limits (enforced by stancegraph serve's HTTP protocol, api/limits.py).
    max_header_bytes: int = Field(
        64 * 1024,
        ge=4096,
        description="largest request line plus headers; over it: 431 and the connection closes",
    )
    header_timeout_s: PositiveFloat = Field(
        10.0, description="time to send the request line and headers; over it: 408, closed"
    )
    body_timeout_s: PositiveFloat = Field(
        30.0, description="time to send the whole body once headers are in; over it: 408"
    )
    max_connections: int = Field(
        1000,
        ge=1,
        description="open connections; a new one over it evicts the oldest still sending headers",
    )
    limit_concurrency: int = Field(
        256, ge=1, description="requests in progress (uvicorn); over it: 503 at once"
    )
    keep_alive_s: PositiveFloat = Field(
        5.0, description="idle keep-alive before the connection closes"
    )
    backlog: int = Field(2048, ge=1, description="listen backlog (connections not yet accepted)")
    upload_parse_timeout_s: PositiveFloat = Field(
        10.0, description="wall-clock limit to parse one Graph Store upload (child process)"
    )
    upload_max_memory_bytes: int = Field(
        1024 * MiB, ge=16 * MiB, description="memory one upload's parser child may add"
    )
    write_token: SecretStr | None = Field(
        None, description="bearer token with read-write scope; writes are off without one"
    )
    read_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="bearer tokens with read-only scope (accepted, but refused for writes)",
    )
    coders_file: Path | None = Field(
        None,
        description='TOML file mapping coder ids to their write tokens ([coders] alice = "token"); '
        "each coder's writes are attributed to them (tokens never go on a command line)",
    )
    _coders: dict[str, SecretStr] = PrivateAttr(default_factory=dict)
    workers: int = Field(2, ge=1, le=64, description="query worker processes")
    max_queued_queries: int = Field(64, ge=0, description="queries waiting for a worker before 503")
    reserved_workers: int = Field(
        1,
        ge=0,
        le=63,
        description="workers kept for queries not known to be heavy (at most workers - 1)",
    )
    heavy_after_s: PositiveFloat = Field(
        0.5,
        description="run time after which a query counts as heavy (moved to, or stopped and queued in, the heavy lane)",
    )
    allow_outbound: bool = Field(False, description="let SERVICE and LOAD <url> reach the network")
    require_sandbox: bool = Field(
        True,
        description="refuse to start when query workers cannot be put in a network namespace "
        "without network (off: warn and rely on the text check); moot with allow_outbound",
    )
    worker_memory_mb: int = Field(
        1024,
        ge=0,
        description="memory (address space, MiB) one query worker may add to what it starts "
        "with; a query past it gets 507 query_memory_exceeded (0: no cap)",
    )
    max_write_mb: int = Field(
        128,
        ge=1,
        description="the most a write's planning may bring into the server from a worker "
        "(a WHERE's solutions, a computed change), in MiB; past it: 413 update_too_large",
    )
    read_staleness_s: float = Field(
        0.0,
        ge=0,
        description="how long after a write queries may still be answered from the previous "
        "view of the data while a fresh one is prepared in the background (0: every query "
        "sees every committed write; more: cheaper reads during bursts of writes)",
    )
    sparql_cache: bool = Field(
        True,
        description="keep /sparql results per data version (off: every query runs; ETag/304 still answer)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("cors_origins", "read_tokens", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("write_token", mode="before")
    @classmethod
    def _empty_token(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _read_coders(self) -> Settings:
        if self.coders_file is not None:
            self._coders = read_coders_file(self.coders_file)
        return self

    @property
    def coders(self) -> dict[str, SecretStr]:
        """Coder id -> write token, from ``coders_file``."""
        return self._coders

    @property
    def union_default_graph(self) -> bool:
        return self.default_graph == "union"

    @property
    def writes_enabled(self) -> bool:
        token = self.write_token is not None and bool(self.write_token.get_secret_value())
        return token or bool(self._coders)

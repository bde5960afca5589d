"""Service settings: environment variables ``STANCEGRAPH_*``, overridable by ``stancegraph serve``.

Tokens are ``SecretStr`` so they never appear in reprs or logs. Lists (``cors_origins``,
``read_tokens``) accept JSON (``'["a","b"]'``) or a comma-separated string in the
environment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
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
    query_timeout_s: float = Field(10.0, gt=0, description="wall-clock limit of one query")
    max_rows: int = Field(10_000, ge=1, description="rows (or triples) returned before truncation")
    max_body_bytes: int = Field(MiB, ge=1024, description="largest accepted request body")
    # Transport limits (enforced by stancegraph serve's HTTP protocol, api/limits.py).
    max_header_bytes: int = Field(
        64 * 1024,
        ge=4096,
        description="largest request line plus headers; over it: 431 and the connection closes",
    )
    header_timeout_s: float = Field(
        10.0, gt=0, description="time to send the request line and headers; over it: 408, closed"
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="time to send the whole body once headers are in; over it: 408"
    )
    max_connections: int = Field(
        1000,
        ge=1,
        description="open connections; a new one over it evicts the oldest still sending headers",
    )
    limit_concurrency: int = Field(
        256, ge=1, description="requests in progress (uvicorn); over it: 503 at once"
    )
    keep_alive_s: float = Field(
        5.0, gt=0, description="idle keep-alive before the connection closes"
    )
    backlog: int = Field(2048, ge=1, description="listen backlog (connections not yet accepted)")
    upload_parse_timeout_s: float = Field(
        10.0, gt=0, description="wall-clock limit to parse one Graph Store upload (child process)"
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
    workers: int = Field(2, ge=1, le=64, description="query worker processes")
    max_queued_queries: int = Field(64, ge=0, description="queries waiting for a worker before 503")
    reserved_workers: int = Field(
        1,
        ge=0,
        le=63,
        description="workers kept for queries not known to be heavy (at most workers - 1)",
    )
    heavy_after_s: float = Field(
        0.5,
        gt=0,
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

    @property
    def union_default_graph(self) -> bool:
        return self.default_graph == "union"

    @property
    def writes_enabled(self) -> bool:
        return self.write_token is not None and bool(self.write_token.get_secret_value())

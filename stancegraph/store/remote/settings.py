"""How to reach and treat one remote store, and URLs that never show their credentials."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field


@dataclass
class RemoteSettings:
    """How to reach and treat one remote store (see ``config.open_store`` for the sources)."""

    query_url: str
    update_url: str | None = None
    gsp_url: str | None = None
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    auth: str = "basic"  # basic | digest
    engine: str = "auto"  # auto | oxigraph | virtuoso | generic
    timeout_s: float = 30.0  # read/write timeout per request
    connect_timeout_s: float = 5.0
    write_timeout_s: float = 300.0  # per request of a write (bulk loads)
    chunk_triples: int = 1000  # INSERT DATA triples per request (Virtuoso fails above ~1-2k)
    gsp_chunk_triples: int = 100_000  # triples per Graph Store POST
    max_rows: int | None = None  # the server's row cap if known (learned from X-SPARQL-MaxRows)
    page_size: int = 10_000  # rows per page when a result must be paged
    version_ttl_s: float = 1.0  # how long the data-version marker is trusted
    stale_after_s: float = 300.0  # a journal entry older than this is recovered by others
    graph_prefix: str | None = None  # restrict the dataset to graphs under this prefix
    # How the union default graph is made on engines without a union switch: "list" every
    # data graph (exact, portable; slow on Virtuoso beyond ~100 graphs), or "all": the
    # engine's own default (Virtuoso: every graph, its system graphs included; fast).
    union: str = "list"
    read_only: bool = False
    retries: int = 1  # retries of idempotent reads after a connection failure

    def __post_init__(self) -> None:
        if self.union not in ("list", "all"):
            raise ValueError(f"union must be 'list' or 'all', not {self.union!r}")
        self.query_url, user, password = _split_userinfo(self.query_url)
        self.user = self.user or user
        self.password = self.password or password
        if self.update_url:
            self.update_url = _split_userinfo(self.update_url)[0]
        if self.gsp_url:
            self.gsp_url = _split_userinfo(self.gsp_url)[0]


def _split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``http://user:pw@host/x`` -> (``http://host/x``, user, pw): credentials never stay in URLs."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {redact(url)}")
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, pw = userinfo.partition(":")
    clean = urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, urllib.parse.unquote(user) or None, urllib.parse.unquote(pw) or None


def redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urllib.parse.urlunsplit((parts.scheme, "***@" + host, parts.path, "", ""))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# --------------------------------------------------------------------------- the store

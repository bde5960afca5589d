"""Server-side bulk loads: a store's own loader, for initial loads of millions of triples.

``SparqlHttpStore.bulk_load`` streams a file through the Graph Store Protocol, which works
from any host but costs one HTTP request per graph and chunk. When stancegraph runs on the
store's host (or can put the file where the server reads it), the engine's own loader is
several times faster; :class:`VirtuosoLoader` drives Virtuoso's (``ld_dir`` +
``rdf_loader_run()`` + ``checkpoint``, through ``isql``). Pass it as
``store.bulk_load(path, fmt, loader=VirtuosoLoader(...))``: the store then sets its
data-version marker, so caches of every client see the new data.

For Oxigraph server the equivalent is offline: ``oxigraph load --location DIR --file F``
with the server stopped, then ``oxigraph serve --location DIR`` (see
``docs/remote-store.md``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ...errors import StoreError

# Extensions Virtuoso's loader recognises (it picks the parser by the file name).
LOADER_SUFFIXES = (".nq", ".nt", ".ttl", ".trig", ".owl", ".rdf", ".xml")
_SAFE = re.compile(r"[^'\\\x00-\x1f\x7f]+")  # what may go into a Virtuoso SQL string literal


def _sql_string(value: str, what: str) -> str:
    """A single-quoted SQL literal; values with quotes, backslashes or control characters are refused."""
    if not _SAFE.fullmatch(value):
        raise ValueError(f"{what} {value!r} contains a quote, backslash or control character")
    return f"'{value}'"


@dataclass
class VirtuosoLoader:
    """Virtuoso's bulk loader, run through ``isql`` over the server's SQL port.

    The file must be readable by the Virtuoso process, in a directory listed under
    ``DirsAllowed`` in its ``virtuoso.ini``. ``server_dir`` is that directory as the server
    sees it (e.g. a volume mounted in a container); by default the file's own directory.
    The password comes from ``password``, else ``$STANCEGRAPH_VIRTUOSO_PASSWORD`` or the
    file named by ``$STANCEGRAPH_VIRTUOSO_PASSWORD_FILE``; ``isql`` takes it on its command
    line, so run this on a host whose process list is not shared with untrusted users.
    Blank nodes become Virtuoso's own blank nodes (not stancegraph's skolem IRIs).
    """

    host: str = "127.0.0.1"
    sql_port: int = 1111
    user: str = "dba"
    password: str | None = field(default=None, repr=False)
    isql: str | None = None  # default: isql-vt (Debian) or isql on PATH
    server_dir: str | None = None
    timeout_s: float = 3600.0  # the whole load, checkpoint included

    def _password(self) -> str:
        if self.password is not None:
            return self.password
        if os.environ.get("STANCEGRAPH_VIRTUOSO_PASSWORD"):
            return os.environ["STANCEGRAPH_VIRTUOSO_PASSWORD"]
        file = os.environ.get("STANCEGRAPH_VIRTUOSO_PASSWORD_FILE")
        if file:
            try:
                return Path(file).read_text(encoding="utf-8").strip("\r\n")
            except OSError as exc:
                raise StoreError(
                    f"cannot read the Virtuoso password file {file}: {exc.strerror}"
                ) from None
        raise StoreError(
            "VirtuosoLoader needs the SQL password (password=, or $STANCEGRAPH_VIRTUOSO_PASSWORD[_FILE])"
        )

    def _binary(self) -> str:
        found = self.isql or shutil.which("isql-vt") or shutil.which("isql")
        if not found:
            raise StoreError("Virtuoso's isql (isql-vt) is not installed on this host")
        return found

    def script(self, path: Path, graph: str) -> str:
        """The SQL the load runs (``LOAD_LIST`` entry reset first, so a file can be loaded again)."""
        directory = self.server_dir.rstrip("/") if self.server_dir else str(path.parent)
        full = _sql_string(f"{directory}/{path.name}", "path")
        d = _sql_string(directory, "directory")
        f = _sql_string(path.name, "file name")
        g = _sql_string(graph, "graph")
        return (
            f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = {full};\n"
            f"ld_dir({d}, {f}, {g});\n"
            "rdf_loader_run();\n"
            "checkpoint;\n"
            f"SELECT 'LOADERROR', ll_error FROM DB.DBA.LOAD_LIST WHERE ll_file = {full}"
            " AND ll_error IS NOT NULL;\n"
            f"SELECT 'LOADSTATE', ll_state FROM DB.DBA.LOAD_LIST WHERE ll_file = {full};\n"
        )

    def load(self, path: str | Path, graph: str) -> None:
        """Load one file; triples without a graph go to ``graph``. Raises ``StoreError`` on failure."""
        path = Path(path).resolve()
        if not path.is_file() and self.server_dir is None:
            raise StoreError(f"no such file: {path}")
        if not path.name.lower().removesuffix(".gz").endswith(LOADER_SUFFIXES):
            raise StoreError(
                f"Virtuoso's loader picks the format by extension: {path.name} has none of {LOADER_SUFFIXES}"
            )
        ox.NamedNode(graph)  # a valid IRI
        sql = self.script(path, graph)
        cmd = [self._binary(), f"{self.host}:{self.sql_port}", self.user, self._password()]
        try:
            r = subprocess.run(
                cmd, input=sql, capture_output=True, text=True, timeout=self.timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise StoreError(
                f"Virtuoso's bulk loader did not finish within {self.timeout_s:g} s ({path.name})"
            ) from None
        out = r.stdout + r.stderr
        if r.returncode != 0 or "*** Error" in out or "LOADSTATE" not in out:
            raise StoreError(f"Virtuoso's bulk loader failed on {path.name}: {_excerpt(out)}")
        errors = [line for line in out.splitlines() if line.startswith("LOADERROR")]
        if errors:
            raise StoreError(
                f"Virtuoso's bulk loader failed on {path.name}: {_excerpt(chr(10).join(errors))}"
            )


def _excerpt(text: str) -> str:
    text = text.strip()
    return text[-800:] if len(text) > 800 else text


def count_quads(path: str | Path, fmt: ox.RdfFormat) -> int:
    """Statements in a file: lines for N-Triples/N-Quads (cheap), else a streaming parse."""
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES) and not str(path).endswith(".gz"):
        with open(path, "rb") as f:
            return sum(1 for line in f if line.strip() and not line.lstrip().startswith(b"#"))
    return sum(1 for _ in ox.parse(path=str(path), format=fmt))

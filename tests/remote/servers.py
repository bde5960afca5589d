"""Real triplestores on loopback ports, for the remote-store tests and benchmarks/remote.py.

- :class:`OxigraphServer`: ``oxigraph serve --location DIR --bind 127.0.0.1:PORT`` (the
  ``oxigraph`` binary from PyPI; routes ``/query``, ``/update``, ``/store``);
- :class:`VirtuosoServer`: Debian's ``virtuoso-t`` with a private ``virtuoso.ini`` (own
  database directory, SQL and HTTP ports bound to 127.0.0.1), ``dba``/``dba``, and
  ``GRANT SPARQL_UPDATE TO "SPARQL"`` (through ``isql-vt``) so the anonymous ``/sparql``
  and ``/sparql-graph-crud`` endpoints can write; ``/sparql-auth`` takes Digest auth.

Both run in the foreground as a child process and are stopped by PID (SIGTERM, then
SIGKILL); :meth:`kill` is SIGKILL (for crash tests) and :meth:`start` restarts on the same
directory and ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from stancegraph.store.remote.virtuoso import VirtuosoLoader


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str | None:
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("oxigraph")


def virtuoso_binaries() -> tuple[str, str] | None:
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    return (server, isql) if server and isql else None


class _Server:
    name = "server"

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.dir / f"{self.name}.log"

    # subclasses: command(), probe_url, spec
    def command(self) -> list[str]:
        raise NotImplementedError

    probe_url = ""

    def ready(self) -> bool:
        try:
            r = httpx.post(self.probe_url, data={"query": "ASK { }"}, timeout=2)
        except httpx.HTTPError:
            return False
        return r.status_code == 200

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.dir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.output()[-3000:]}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.name} not ready after {timeout} s:\n{self.output()[-3000:]}"
                )
            time.sleep(0.2)
        try:
            self.after_start()
        except BaseException:
            self.stop()
            raise

    def after_start(self) -> None:
        pass

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> _Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class OxigraphServer(_Server):
    name = "oxigraph"

    def __init__(self, directory: Path, port: int | None = None, binary: str | None = None):
        super().__init__(directory)
        self.binary = binary or oxigraph_binary()
        if not self.binary:
            raise FileNotFoundError("oxigraph binary not found (pip install oxigraph)")
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.probe_url = f"{self.base}/query"
        self.spec = f"sparql+http://127.0.0.1:{self.port}/query"

    def command(self) -> list[str]:
        return [
            self.binary,
            "serve",
            "--location",
            str(self.dir / "db"),
            "--bind",
            f"127.0.0.1:{self.port}",
        ]

    def load_offline(self, path: Path, timeout: float = 3600) -> None:
        """``oxigraph load --location DIR --file F``: the server's own bulk loader (server stopped)."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("stop the server before an offline load (the database is locked)")
        cmd = [self.binary, "load", "--location", str(self.dir / "db"), "--file", str(path)]
        with self.log.open("ab") as out:
            subprocess.run(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=True,
            )


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 0
DirsAllowed = ., {d}{dirs}
ThreadCleanupInterval = 0
ResourcesCleanupInterval = 0
DefaultIsolation = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
MaxClientConnections = 10
ServerThreads = 10
KeepAliveTimeout = 10
EnabledDavVSP = 0
EnabledGzipContent = 1

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxSortedTopRows = 10000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 120
DefaultQuery = ASK {{ }}
DeferInferenceRulesInit = 0
"""

GRANTS = (
    'GRANT SPARQL_UPDATE TO "SPARQL";',
    'GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO "SPARQL";',
    'GRANT EXECUTE ON DB.DBA.SPARQL_DELETE_DICT_CONTENT TO "SPARQL";',
    'GRANT EXECUTE ON DB.DBA.L_O_LOOK TO "SPARQL";',
    'GRANT EXECUTE ON DB.DBA.SPARUL_RUN TO "SPARQL";',
    'GRANT EXECUTE ON DB.DBA.RL_I2ID_NP TO "SPARQL";',
    'GRANT EXECUTE ON DB.DBA.RL_I2ID TO "SPARQL";',
)


class VirtuosoServer(_Server):
    name = "virtuoso"

    def __init__(
        self,
        directory: Path,
        *,
        max_rows: int = 1000,
        memory_mb: int = 1000,
        template: Path | None = None,
        dirs_allowed: Sequence[Path] = (),
    ):
        super().__init__(directory)
        bins = virtuoso_binaries()
        if not bins:
            raise FileNotFoundError(
                "virtuoso-t / isql-vt not found (apt-get install virtuoso-opensource-7-bin)"
            )
        self.binary, self.isql_bin = bins
        self.sql_port, self.http_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.probe_url = f"{self.base}/sparql"
        self.spec = f"sparql+http://127.0.0.1:{self.http_port}/sparql"
        buffers = max(10_000, memory_mb * 1024 * 1024 // 8192 * 2 // 3)
        (self.dir / "virtuoso.ini").write_text(
            VIRTUOSO_INI.format(
                d=self.dir,
                sql_port=self.sql_port,
                http_port=self.http_port,
                max_rows=max_rows,
                buffers=buffers,
                dirty=buffers * 3 // 4,
                dirs="".join(f", {Path(p).resolve()}" for p in dirs_allowed),
            )
        )
        self._granted = False
        if template is not None and (template / "virtuoso.db").is_file():
            shutil.copy(template / "virtuoso.db", self.dir / "virtuoso.db")  # grants included
            self._granted = True

    def command(self) -> list[str]:
        return [self.binary, "-f", "-c", str(self.dir / "virtuoso.ini")]

    def isql(self, *statements: str) -> str:
        r = subprocess.run(
            [
                self.isql_bin,
                f"127.0.0.1:{self.sql_port}",
                "dba",
                "dba",
                "exec=" + " ".join(statements),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if r.returncode != 0:
            raise RuntimeError(f"isql-vt failed: {r.stdout}\n{r.stderr}")
        return r.stdout

    def after_start(self) -> None:
        if not self._granted:  # grants persist in the database
            self.isql(*GRANTS)
            self._granted = True

    def checkpoint(self) -> None:
        self.isql("checkpoint;")

    def loader(self) -> VirtuosoLoader:
        """Virtuoso's own bulk loader for this server (files under ``dirs_allowed`` or the database directory)."""
        return VirtuosoLoader(sql_port=self.sql_port, password="dba", isql=self.isql_bin)


def make_virtuoso_template(directory: Path) -> Path:
    """A checkpointed empty database with the grants, copied by later servers (starts ~2x faster)."""
    server = VirtuosoServer(directory)
    server.start()
    try:
        server.checkpoint()
    finally:
        server.stop()
    return server.dir

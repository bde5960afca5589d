"""``stancegraph serve``: the SPARQL endpoint, Graph Store and JSON API on uvicorn.

``stancegraph serve`` serves the seed graph; ``stancegraph serve FILE...`` serves those RDF
files (named graphs kept) instead; ``--store PATH`` serves a persistent store. Options
override the ``STANCEGRAPH_*`` environment (see ``api/settings.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..formats import format_for_path
from ..graph import StanceGraph
from ..graph import open as open_graph
from ..store.embedded import OxigraphStore
from .args import UsageError, add_store_args, register

# The connection limits: flag, type, metavar, help (SECURITY.md lists each with its
# STANCEGRAPH_* variable; ``serve`` passes them on as service settings).
_CONNECTION_LIMITS: list[tuple[str, type, str, str]] = [
    ("--max-header-bytes", int, "N", "request line + headers (default 65536)"),
    ("--header-timeout", float, "S", "to send line + headers (default 10)"),
    ("--body-timeout", float, "S", "to send the body (default 30)"),
    ("--max-connections", int, "N", "open connections (default 1000)"),
    ("--limit-concurrency", int, "N", "requests in progress (default 256)"),
    ("--max-body-bytes", int, "N", "request body (default 1048576)"),
]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="RDF files to serve instead of the seed graph (.ttl .trig .nt .nq .jsonld .rdf; "
        "YAML datasets are compiled with the ontology)",
    )
    add_store_args(p)
    p.add_argument(
        "--seed",
        action="store_true",
        help="serve the FILEs together with the shipped seed (to use its actors and propositions)",
    )
    p.add_argument("--host", help="interface to bind (default 127.0.0.1, env STANCEGRAPH_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000, env STANCEGRAPH_PORT)")
    p.add_argument(
        "--default-graph",
        choices=["union", "separate"],
        help="query default graph: union of all graphs (default) or the store's own default graph",
    )
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="query time limit (default 10)")
    p.add_argument(
        "--max-rows", type=int, metavar="N", help="result rows before truncation (default 10000)"
    )
    p.add_argument("--workers", type=int, metavar="N", help="query worker processes (default 2)")
    p.add_argument(
        "--reserved-workers",
        type=int,
        metavar="N",
        help="workers kept for queries not known to be heavy (default 1, at most workers - 1)",
    )
    p.add_argument(
        "--heavy-after",
        type=float,
        metavar="SECONDS",
        help="run time after which a query counts as heavy and leaves the reserved workers "
        "(default 0.5)",
    )
    p.add_argument(
        "--write-token",
        metavar="TOKEN",
        help="enable writes for this bearer token (prefer env STANCEGRAPH_WRITE_TOKEN: "
        "command lines are visible to other users)",
    )
    p.add_argument(
        "--coders",
        metavar="FILE",
        help='TOML file mapping coder ids to write tokens ([coders] alice = "token"; '
        "env STANCEGRAPH_CODERS_FILE): each coder's writes are attributed to them",
    )
    p.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow browser requests from ORIGIN (repeatable)",
    )
    p.add_argument(
        "--allow-outbound",
        action="store_true",
        default=None,
        help="let SERVICE and LOAD <url> make network requests (off by default)",
    )
    p.add_argument(
        "--require-sandbox",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="refuse to start when query workers cannot be cut off from the network "
        "(default on; env STANCEGRAPH_REQUIRE_SANDBOX)",
    )
    p.add_argument(
        "--worker-memory",
        type=int,
        metavar="MIB",
        help="memory one query worker may use beyond its start, in MiB (default 1024; 0: no cap)",
    )
    p.add_argument(
        "--max-write-mb",
        type=int,
        metavar="MIB",
        help="the most a write's planning may bring into the server (a WHERE's solutions, "
        "a computed change), in MiB (default 128; past it: 413 update_too_large)",
    )
    p.add_argument(
        "--read-staleness",
        type=float,
        metavar="SECONDS",
        help="after a write, queries may be answered from the previous view for this long "
        "while a fresh one is prepared (default 0: every query sees every committed write)",
    )
    p.add_argument(
        "--no-sparql-cache",
        dest="sparql_cache",
        action="store_false",
        default=None,
        help="run every /sparql query (no result cache; env STANCEGRAPH_SPARQL_CACHE=false)",
    )
    limits = p.add_argument_group(
        "connection limits (SECURITY.md lists each with its STANCEGRAPH_* variable)"
    )
    for flag, kind, metavar, text in _CONNECTION_LIMITS:
        limits.add_argument(flag, type=kind, metavar=metavar, help=text)
    p.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="log one line per request at info level (default on; off saves CPU under heavy load)",
    )
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )


def load_files(files: list[str], seed: bool = False) -> StanceGraph:
    """A graph of exactly these RDF files (YAML datasets bring the ontology with them), plus
    the seed's files with ``seed`` (the rule ``load`` and ``validate`` follow too)."""
    for f in files:
        if not Path(f).is_file():
            raise UsageError(f"no such file: {f}")
    if seed or any(Path(f).suffix.lower() in (".yaml", ".yml") for f in files):
        return open_graph(files=files, seed=seed)
    kg = StanceGraph(OxigraphStore())
    for f in files:
        try:
            kg.store.load(Path(f).read_bytes(), format_for_path(f))
        except SyntaxError as exc:
            raise ValueError(f"{f}: {exc}") from None
    return kg


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """uvicorn's arguments for these settings: transport limits included (SECURITY.md)."""
    from stancegraph.api.limits import limited_protocol

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "workers": None,
        "server_header": False,
        "timeout_graceful_shutdown": 5,
        "timeout_keep_alive": settings.keep_alive_s,
        "backlog": settings.backlog,
    }
    try:
        # httptools with our header size, header/body deadlines, connection cap and
        # concurrency limit (not uvicorn's: it counts open connections too)
        options["http"] = limited_protocol(
            max_header_bytes=settings.max_header_bytes,
            header_timeout_s=settings.header_timeout_s,
            body_timeout_s=settings.body_timeout_s,
            max_connections=settings.max_connections,
            limit_concurrency=settings.limit_concurrency,
        )
    except ImportError:
        print(
            "stancegraph serve: WARNING: httptools is not installed; h11 bounds the headers "
            "(answered 400) but no header/body deadline or connection cap applies: "
            "put a reverse proxy in front (SECURITY.md)",
            file=sys.stderr,
        )
        options["http"] = "h11"
        options["h11_max_incomplete_event_size"] = settings.max_header_bytes
        options["limit_concurrency"] = settings.max_connections
    return options


def handle(args: argparse.Namespace) -> int:
    import uvicorn

    from stancegraph.api import create_app
    from stancegraph.api.settings import Settings

    if args.files and args.store:
        raise UsageError("give FILEs or --store, not both")
    if args.write_token:
        print(
            "stancegraph serve: note: prefer STANCEGRAPH_WRITE_TOKEN to --write-token",
            file=sys.stderr,
        )
    overrides = {
        "host": args.host,
        "port": args.port,
        "default_graph": args.default_graph,
        "query_timeout_s": args.timeout,
        "max_rows": args.max_rows,
        "workers": args.workers,
        "reserved_workers": args.reserved_workers,
        "heavy_after_s": args.heavy_after,
        "write_token": args.write_token,
        "coders_file": args.coders,
        "cors_origins": args.cors_origin,
        "allow_outbound": args.allow_outbound,
        "store": args.store,
        "sparql_cache": args.sparql_cache,
        "require_sandbox": args.require_sandbox,
        "worker_memory_mb": args.worker_memory,
        "max_write_mb": args.max_write_mb,
        "read_staleness_s": args.read_staleness,
        "max_header_bytes": args.max_header_bytes,
        "header_timeout_s": args.header_timeout,
        "body_timeout_s": args.body_timeout,
        "max_connections": args.max_connections,
        "limit_concurrency": args.limit_concurrency,
        "max_body_bytes": args.max_body_bytes,
    }
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    started = time.perf_counter()
    if args.files:
        kg = load_files(args.files, args.seed)
        what = f"{len(args.files)} file(s)" + (" and the seed" if args.seed else "")
    elif settings.store:
        from ..store.open import require_existing
        from ..store.remote.settings import redact

        if not args.create:
            require_existing(settings.store)

        kg = open_graph(
            store=settings.store,
            update_url=args.update_url,
            gsp_url=args.gsp_url,
            config=args.config,
        )
        what = f"store {redact(settings.store.split('+', 1)[-1]) if '://' in settings.store else settings.store}"
    else:
        kg, what = open_graph(), "the seed graph"
    app = create_app(kg, settings)
    app.state.owns_process = True  # the process is the server's alone (api/app.py: gc.freeze)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = f"http://{host}:{settings.port}"
    writes = "writes enabled (bearer token)" if settings.writes_enabled else "read-only"
    print(
        f"stancegraph: serving {what}, {len(kg.store)} quads, default graph {settings.default_graph}, "
        f"{writes}, loaded in {time.perf_counter() - started:.2f} s\n"
        f"  SPARQL endpoint  {base}/sparql\n"
        f"  Graph Store      {base}/store\n"
        f"  API docs         {base}/docs",
        flush=True,
    )
    uvicorn.run(
        app, log_level=args.log_level, access_log=args.access_log, **uvicorn_options(settings)
    )
    return 0


register(
    "serve",
    "serve SPARQL 1.1 (query, update, graph store) and the JSON API over HTTP",
    configure,
    handle,
)

"""The ``stancegraph`` command: one entry point, subcommands, ``--help`` everywhere.

Subcommands register themselves in ``COMMANDS`` so later features (serve, analyze, dump)
add a function and a parser without touching dispatch.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox

from .. import __version__
from .. import queries as named
from ..graph import Result, StanceGraph
from ..graph import open as open_graph
from ..store import StoreError, rdf_format

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]
# name -> (help, configure the parser, handler); other modules add commands here.
COMMANDS: dict[str, tuple[str, Configure, Handler]] = {}


class UsageError(Exception):
    """Bad command-line input: printed without a traceback, exit status 2."""


def register(name: str, help_: str, configure: Configure, handler: Handler) -> None:
    """Add a subcommand (used by serve, analyze, dump/restore)."""
    COMMANDS[name] = (help_, configure, handler)


def add_store_args(p: argparse.ArgumentParser) -> None:
    from ..store.open import add_store_options

    p.add_argument(
        "--store",
        metavar="PATH|URL",
        default=os.environ.get("STANCEGRAPH_STORE"),
        help="persistent store directory, or a remote SPARQL store sparql+http(s)://HOST:PORT/PATH "
        "(its query URL) (env STANCEGRAPH_STORE); default: the seed graph in memory",
    )
    add_store_options(p)
    p.add_argument(
        "--create",
        action="store_true",
        help="create the store when PATH holds none (otherwise only 'load' creates stores)",
    )


def _store_spec(args: argparse.Namespace) -> str | None:
    """--store, else STANCEGRAPH_STORE (the default), else the config file's url."""
    from ..store.open import resolve_spec

    return resolve_spec(args.store, config=getattr(args, "config", None))


def open_from_args(
    args: argparse.Namespace, *, seed_new: bool = False, create: bool = False
) -> StanceGraph:
    """The graph the command works on; a ``--store`` path must hold a store unless ``create``."""
    from ..store.open import require_existing

    spec = _store_spec(args)
    if spec:
        if not (create or getattr(args, "create", False)):
            require_existing(spec)
        return open_graph(
            store=spec,
            seed=seed_new,
            update_url=getattr(args, "update_url", None),
            gsp_url=getattr(args, "gsp_url", None),
            config=getattr(args, "config", None),
        )
    return open_graph()


# --------------------------------------------------------------------------- output


def _cell(v: Any) -> str:
    """A value as a table shows it: IRIs as prefixed names (or <IRI>) that can be typed
    back into a query; dates in ISO form."""
    if v is None:
        return ""
    s = str(v)
    if s.startswith(("http://", "https://")):
        from ..sparql.text import compact

        return compact(s)
    return s


def print_table(result: Result, out: Any = None, max_width: int = 60) -> None:
    """Aligned columns; cells longer than ``max_width`` are cut with "…" (0: never)."""
    out = out or sys.stdout
    if result.kind == "ask":
        print("true" if result.boolean else "false", file=out)
        return
    if result.kind == "graph":
        cols, rows = (
            ["subject", "predicate", "object"],
            [dict(zip(["subject", "predicate", "object"], t, strict=True)) for t in result.triples],
        )
    else:
        cols, rows = result.columns, result.rows
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    if max_width > 0:
        widths = [min(max_width, w) for w in widths]

    def fmt(vals: Sequence[str]) -> str:
        return "  ".join(
            (v if len(v) <= w else v[: w - 1] + "…").ljust(w)
            for v, w in zip(vals, widths, strict=True)
        ).rstrip()

    print(fmt(cols), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print(fmt(row), file=out)
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=out)


_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "xml": ox.QueryResultsFormat.XML,
}


# --------------------------------------------------------------------------- commands


def cmd_info(args: argparse.Namespace) -> int:
    kg = open_from_args(args)
    info = kg.info()
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    for k, v in info.items():
        if k == "graphs":
            print(f"graphs ({len(v)}):")
            for g in v:
                print(f"  {g}")
        else:
            print(f"{k}: {v}")
    return 0


def _read_query(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    for item in args.param or []:
        if "=" not in item:
            raise UsageError(f"--param expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        params[k] = v
    if args.example:
        try:
            q = named.get(args.example)
            q.bindings(params)  # unknown parameter names
            return q.sparql, params
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
    if args.file:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    elif args.sparql == "-" or (args.sparql is None and not sys.stdin.isatty()):
        text = sys.stdin.read()
    elif args.sparql:
        text = args.sparql
    else:
        raise UsageError("give a query: an argument, --file FILE, --example NAME, or stdin")
    return text, params


def cmd_query(args: argparse.Namespace) -> int:
    sparql, params = _read_query(args)
    kg = open_from_args(args)
    if args.example:  # short ids and IRIs bound as the resources they name, as over HTTP
        params = kg.example_bindings(args.example, params)
    from ..sparql.text import explain, with_prefixes

    try:
        raw = kg.store.query(
            with_prefixes(sparql), substitutions=params, union_default_graph=not args.separate
        )
    except SyntaxError as exc:
        raise UsageError(f"SPARQL syntax error: {explain(sparql, str(exc))}") from None
    if args.format == "table":
        from ..graph import to_result

        print_table(to_result(raw), max_width=args.max_width)
        return 0
    if isinstance(raw, ox.QueryTriples):
        fmt = {"json": "jsonld", "csv": "nt", "tsv": "nt", "xml": "rdfxml"}.get(
            args.format, "turtle"
        )
        sys.stdout.write(cast(bytes, ox.serialize(list(raw), format=rdf_format(fmt))).decode())
        return 0
    sys.stdout.write(raw.serialize(format=_RESULT_FORMATS[args.format]).decode())
    if args.format == "json":
        sys.stdout.write("\n")
    return 0


def with_seed(files: Sequence[str], seed: bool) -> list[str]:
    """The one rule for mixing your files with the seed: ``--seed`` adds the seed's files to
    yours (the same in ``load``, ``validate``, ``serve`` and ``stancegraph.open``)."""
    from .. import resources

    seed_files = [str(p) for p in resources.seed_files()] if seed else []
    return seed_files + list(files)


def cmd_validate(args: argparse.Namespace) -> int:
    files = with_seed(args.files, args.seed) if args.files else []
    # Files without a store are checked as they are (with the ontology), like serve FILE...
    kg = open_graph(seed=False) if files and not _store_spec(args) else open_from_args(args)
    if files:
        from ..ingest.compiler import CompileError

        try:
            compiled = kg.compile(files)
        except CompileError as exc:
            if not args.json:
                raise
            # One JSON document for every kind of finding: record problems too.
            doc = {"conforms": False, "problems": [p.as_dict() for p in exc.problems]}
            print(json.dumps({**doc, "violations": [], "warnings": []}, indent=2))
            return 1
        report = kg.validate_compiled(compiled)
        what = f"{len(files)} file(s), {compiled.stance_count} stances"
    else:
        report = kg.validate()
        what = "the store" if args.store else "the seed graph"
    if args.json:
        print(json.dumps({"problems": [], **report.as_dict()}, indent=2))
    else:
        print(f"{what}: {report}")
    return 0 if report.conforms else 1


def cmd_load(args: argparse.Namespace) -> int:
    if not _store_spec(args):
        raise UsageError(
            "load needs a persistent store: --store PATH or sparql+http(s)://… (or STANCEGRAPH_STORE)"
        )
    files = with_seed(args.files, args.seed)
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    if not files:
        raise UsageError("nothing to load: give YAML files, RDF files, or --seed")
    kg = open_from_args(args, create=True)
    if args.format == "dna-csv":
        from ..dna import import_csv

        for f in files:
            dna = import_csv(kg.writer, kg, f, coder=args.coder)
            print(f"{f}: {dna}")
        kg.store.flush()
        return 0
    yaml_files = [f for f in files if Path(f).suffix.lower() in (".yaml", ".yml")]
    rdf_files = [f for f in files if f not in yaml_files]
    if yaml_files:
        report = kg.load(yaml_files, validate_shapes=not args.no_validate)
        print(report)
    for f in rdf_files:
        rdf_report = kg.load_rdf(f, graph=args.graph, validate_shapes=not args.no_validate)
        print(f"loaded {f}" + (f"; {rdf_report}" if rdf_report is not None else ""))
    kg.store.flush()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    kg = open_from_args(args)
    if args.format == "dna-csv":
        from ..dna import export_csv

        buf = io.StringIO()
        print(export_csv(kg, buf, args.graph), file=sys.stderr)
        data = buf.getvalue().encode()
    else:
        data = kg.export(args.format, args.graph)
    if args.output and args.output != "-":
        Path(args.output).write_bytes(data)
        print(f"wrote {len(data)} bytes to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_prefixes(args: argparse.Namespace) -> int:
    from ..terms import QUERY_PREFIXES

    if args.sparql:
        print("".join(f"PREFIX {p}: <{iri}>\n" for p, iri in QUERY_PREFIXES.items()), end="")
        return 0
    width = max(len(p) for p in QUERY_PREFIXES) + 1
    for p, iri in QUERY_PREFIXES.items():
        print(f"{p + ':':<{width}}  {iri}")
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stancegraph",
        description="Negotiation-stance knowledge graph: query, validate, load, export and serve.",
    )
    parser.add_argument("--version", action="version", version=f"stancegraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "info", help="counts of actors, stances, graphs", description="Show what the graph holds."
    )
    add_store_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "query",
        help="run SPARQL (argument, file, stdin or a named example)",
        description="Run a SPARQL query. The default graph is the union of all named graphs.",
    )
    add_store_args(p)
    p.add_argument("sparql", nargs="?", help="the query text, or - for stdin")
    p.add_argument("-f", "--file", help="read the query from FILE (- for stdin)")
    p.add_argument(
        "-e",
        "--example",
        metavar="NAME",
        help=f"a named example query: {', '.join(sorted(named.named_queries()))}",
    )
    p.add_argument(
        "-p", "--param", action="append", metavar="NAME=VALUE", help="bind a variable (repeatable)"
    )
    p.add_argument("--format", choices=["table", "csv", "tsv", "json", "xml"], default="table")
    p.add_argument(
        "--max-width",
        type=int,
        default=60,
        metavar="N",
        help="table cells longer than N characters are cut with … (default 60; 0: never)",
    )
    p.add_argument(
        "--separate", action="store_true", help="use the store's own default graph, not the union"
    )
    p.set_defaults(func=cmd_query)

    p = sub.add_parser(
        "prefixes",
        help="the prefixes predeclared in queries (and used in tables)",
        description="List the prefixes every CLI and Python query may use without declaring "
        "them; tables show IRIs with them.",
    )
    p.add_argument("--sparql", action="store_true", help="as PREFIX lines to paste elsewhere")
    p.set_defaults(func=cmd_prefixes)

    p = sub.add_parser(
        "validate",
        help="check YAML datasets (or the store) against the model and SHACL shapes",
        description="Validate YAML dataset files, or the whole store when no file is given. Exit 1 on violations.",
    )
    add_store_args(p)
    p.add_argument("files", nargs="*", help="YAML dataset files")
    p.add_argument(
        "--seed",
        action="store_true",
        help="check the files together with the shipped seed (to use its actors and propositions)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "load",
        help="add YAML datasets or RDF files to a store, atomically",
        description="Compile, validate and load files into a persistent store: all or nothing. "
        "RDF files are bulk-loaded and the store is SHACL-checked afterwards; on a violation "
        "what the file added is removed again.",
    )
    add_store_args(p)
    p.add_argument(
        "files", nargs="*", help="YAML datasets, or RDF (.ttl .trig .nt .nq .jsonld .rdf)"
    )
    p.add_argument("--seed", action="store_true", help="also load the shipped seed dataset")
    p.add_argument(
        "--format",
        choices=["auto", "dna-csv"],
        default="auto",
        help="auto: by extension (YAML or RDF); dna-csv: DNA/rDNA statements "
        "(document, actor, concept, agreement, date, text) into stances",
    )
    p.add_argument(
        "--coder",
        default="dna-import",
        help="coder id the imported DNA statements are attributed to (default dna-import)",
    )
    p.add_argument("--graph", help="named graph for RDF files without graphs")
    p.add_argument(
        "--no-validate",
        action="store_true",
        help="skip SHACL (YAML references are still checked; RDF files are then loaded as is)",
    )
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "export", help="serialise the data", description="Export the dataset or one named graph."
    )
    add_store_args(p)
    p.add_argument(
        "--format",
        default="trig",
        help="trig, nquads, turtle, nt, jsonld, rdfxml, or dna-csv (statements for DNA/rDNA)",
    )
    p.add_argument("--graph", help="one named graph IRI")
    p.add_argument("-o", "--output", help="file to write (default stdout)")
    p.set_defaults(func=cmd_export)

    for name, (help_, configure, fn) in sorted(COMMANDS.items()):
        sp = sub.add_parser(name, help=help_, description=help_)
        configure(sp)
        sp.set_defaults(func=fn)
    return parser


def _register_optional_commands() -> None:
    """Commands that live in other modules (serve, analyze…) register on import."""
    import importlib

    for mod in (
        "stancegraph.cli.serve",
        "stancegraph.cli.analyze",
        "stancegraph.cli.admin",
        "stancegraph.cli.coding",
    ):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    _register_optional_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"stancegraph {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader left (``| head``): stop quietly, like other command-line tools, and
        # keep the interpreter's final flush from complaining about the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by the pipe
    except Exception as exc:
        message = _failure(exc)
        if message is None:
            raise
        print(f"stancegraph {args.command}: {message}", file=sys.stderr)
        return 1


def _failure(exc: Exception) -> str | None:
    """The message for an expected failure (None: a bug, shown with its traceback).

    The compiler and SHACL modules are looked up, not imported: commands that never load
    them (``serve``, ``query``) start faster, and their errors cannot occur without them.
    """
    compiler = sys.modules.get("stancegraph.ingest.compiler")
    if compiler is not None and isinstance(exc, compiler.CompileError):
        return str(exc)
    validation = sys.modules.get("stancegraph.validation.reference")
    if validation is not None and isinstance(exc, validation.ValidationFailed):
        return f"nothing written; {exc}"
    if isinstance(exc, StoreError | ValueError | OSError):
        return f"error: {exc}"
    return None


if __name__ == "__main__":
    sys.exit(main())

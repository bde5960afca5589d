"""The data commands: ``info``, ``query``, ``prefixes``, ``validate``, ``load``, ``export``."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox

from .. import queries as named
from ..formats import rdf_format
from ..graph import open as open_graph
from .args import UsageError, add_store_args, open_from_args, register, store_spec
from .output import _RESULT_FORMATS, print_table


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
    kg = open_graph(seed=False) if files and not store_spec(args) else open_from_args(args)
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
    if not store_spec(args):
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


# --------------------------------------------------------------------------- parsers


def _configure_info(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _configure_query(p: argparse.ArgumentParser) -> None:
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


def _configure_prefixes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sparql", action="store_true", help="as PREFIX lines to paste elsewhere")


def _configure_validate(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("files", nargs="*", help="YAML dataset files")
    p.add_argument(
        "--seed",
        action="store_true",
        help="check the files together with the shipped seed (to use its actors and propositions)",
    )
    p.add_argument("--json", action="store_true")


def _configure_load(p: argparse.ArgumentParser) -> None:
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


def _configure_export(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument(
        "--format",
        default="trig",
        help="trig, nquads, turtle, nt, jsonld, rdfxml, or dna-csv (statements for DNA/rDNA)",
    )
    p.add_argument("--graph", help="one named graph IRI")
    p.add_argument("-o", "--output", help="file to write (default stdout)")


register(
    "info",
    "counts of actors, stances, graphs",
    _configure_info,
    cmd_info,
    description="Show what the graph holds.",
)

register(
    "query",
    "run SPARQL (argument, file, stdin or a named example)",
    _configure_query,
    cmd_query,
    description="Run a SPARQL query. The default graph is the union of all named graphs.",
)

register(
    "prefixes",
    "the prefixes predeclared in queries (and used in tables)",
    _configure_prefixes,
    cmd_prefixes,
    description="List the prefixes every CLI and Python query may use without declaring "
    "them; tables show IRIs with them.",
)

register(
    "validate",
    "check YAML datasets (or the store) against the model and SHACL shapes",
    _configure_validate,
    cmd_validate,
    description="Validate YAML dataset files, or the whole store when no file is given. Exit 1 on violations.",
)

register(
    "load",
    "add YAML datasets or RDF files to a store, atomically",
    _configure_load,
    cmd_load,
    description="Compile, validate and load files into a persistent store: all or nothing. "
    "RDF files are bulk-loaded and the store is SHACL-checked afterwards; on a violation "
    "what the file added is removed again.",
)

register(
    "export",
    "serialise the data",
    _configure_export,
    cmd_export,
    description="Export the dataset or one named graph.",
)

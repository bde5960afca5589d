"""The ``stancegraph`` command: one entry point, subcommands, ``--help`` everywhere.

The subcommands live in one module per family, each registering its commands
(``args.register``): ``query`` (info, query, prefixes, validate, load, export), ``serve``,
``analyze``, ``admin`` (dump, restore) and ``coding`` (agreement, merge). This module
imports them all, builds the parser and maps failures to exit statuses.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import StoreError
from . import admin, analyze, coding, query, serve  # noqa: F401  (each registers its commands)
from .args import COMMANDS, UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stancegraph",
        description="Negotiation-stance knowledge graph: query, validate, load, export and serve.",
    )
    parser.add_argument("--version", action="version", version=f"stancegraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # The data commands first, in the order one learns them; then the others by name.
    first = [
        n for n in ("info", "query", "prefixes", "validate", "load", "export") if n in COMMANDS
    ]
    for name in [*first, *sorted(set(COMMANDS) - set(first))]:
        help_, description, configure, handler = COMMANDS[name]
        p = sub.add_parser(name, help=help_, description=description)
        configure(p)
        p.set_defaults(func=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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

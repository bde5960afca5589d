"""What every command shares: the registry of subcommands, ``--store`` and its options,
the graph a command works on, and usage errors."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from ..graph import StanceGraph
from ..graph import open as open_graph

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]
# name -> (help, description, configure the parser, handler), in registration order.
COMMANDS: dict[str, tuple[str, str, Configure, Handler]] = {}


class UsageError(Exception):
    """Bad command-line input: printed without a traceback, exit status 2."""


def register(
    name: str, help_: str, configure: Configure, handler: Handler, *, description: str = ""
) -> None:
    """Add a subcommand (each command module registers its own; ``main`` imports them)."""
    COMMANDS[name] = (help_, description or help_, configure, handler)


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


def store_spec(args: argparse.Namespace) -> str | None:
    """--store, else STANCEGRAPH_STORE (the default), else the config file's url."""
    from ..store.open import resolve_spec

    return resolve_spec(args.store, config=getattr(args, "config", None))


def open_from_args(
    args: argparse.Namespace, *, seed_new: bool = False, create: bool = False
) -> StanceGraph:
    """The graph the command works on; a ``--store`` path must hold a store unless ``create``."""
    from ..store.open import require_existing

    spec = store_spec(args)
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

"""``stancegraph dump`` and ``stancegraph restore``: whole-store backups."""

from __future__ import annotations

import argparse
import sys

from ..store import backup
from ..store.embedded import OxigraphStore
from .args import UsageError, add_store_args, register


def _configure_dump(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("file", help="output: .nq or .trig, optionally .gz (written atomically)")


def _dump(args: argparse.Namespace) -> int:
    if args.store:
        from ..store.open import require_existing

        require_existing(args.store)
        store = OxigraphStore(args.store, read_only=True)
    else:
        from ..graph import open as open_graph

        store = open_graph().store  # type: ignore[assignment]
    n = backup.dump(store, args.file)
    print(f"dumped {n} quads to {args.file}", file=sys.stderr)
    return 0


def _configure_restore(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("file", help="a dump made by 'stancegraph dump' (.nq/.trig, optionally .gz)")


def _restore(args: argparse.Namespace) -> int:
    if not args.store:
        raise UsageError("restore needs the store directory: --store PATH")
    n, previous = backup.restore(args.file, args.store)
    kept = f"; previous store kept at {previous}" if previous else ""
    print(f"restored {n} quads into {args.store}{kept}", file=sys.stderr)
    return 0


register("dump", "write the whole store (all named graphs) to a file", _configure_dump, _dump)
register(
    "restore",
    "replace a store with a dump (the old store is kept beside it)",
    _configure_restore,
    _restore,
)

"""Dump and restore a whole store, named graphs included, without ever losing data.

``dump`` writes N-Quads (or TriG), gzip-compressed when the file name ends in ``.gz``,
through a temporary file renamed into place, so a crash never leaves a truncated dump.
``restore`` builds a complete new store beside the old one and swaps the directories;
the old store is kept as ``<path>.before-restore-<timestamp>`` until the operator removes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import os
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from ..errors import StoreError
from ..formats import format_for_path
from ..terms import ANALYTICS_GRAPH
from .embedded import OxigraphStore

_DUMP_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


def _format_for(path: Path) -> ox.RdfFormat:
    try:
        fmt = format_for_path(path.name.removesuffix(".gz"))
    except ValueError:
        fmt = None
    if fmt not in _DUMP_FORMATS:
        raise ValueError(f"{path}: dumps are N-Quads (.nq) or TriG (.trig), optionally .gz")
    return fmt


def dump(store: OxigraphStore, path: str | Path) -> int:
    """Write every quad of ``store`` to ``path``; return the number of quads."""
    path = Path(path)
    fmt = _format_for(path)
    tmp = path.with_name(path.name + ".partial")
    # The derived analytics graph is left out: it is regenerated from the data.
    derived = ox.NamedNode(str(ANALYTICS_GRAPH))
    if store.raw.contains_named_graph(derived):
        quads = [q for q in store.raw if q.graph_name != derived]
        data, count = cast(bytes, ox.serialize(quads, format=fmt)), len(quads)
    else:
        data, count = cast(bytes, store.raw.dump(format=fmt)), len(store)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
    os.replace(tmp, path)
    return count


def _read(path: Path) -> bytes:
    if not path.name.endswith(".gz"):
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise StoreError(
            f"{path}: truncated or corrupt gzip file ({exc}); nothing was restored"
        ) from None


@contextlib.contextmanager
def _exclusive(store_path: Path) -> Iterator[None]:
    """Hold the store's ``LOCK`` file as RocksDB does (``fcntl``), so that no server or CLI
    command opens the store while it is swapped, and refuse while another process has it."""
    lock_file = store_path / "LOCK"
    if not lock_file.exists():
        yield
        return
    with open(lock_file, "rb+") as fh:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreError(
                f"cannot restore into {store_path}: another process (a running "
                "`stancegraph serve`?) holds the store; stop it first, nothing was changed"
            ) from None
        try:
            yield
        finally:
            fcntl.lockf(fh, fcntl.LOCK_UN)


def restore(path: str | Path, store_path: str | Path) -> tuple[int, Path | None]:
    """Restore a dump into the store directory ``store_path``.

    Returns the number of quads restored and where the previous store was moved (or None).
    The dump is parsed completely into the new store before anything is swapped, so a bad
    dump leaves the existing store untouched.
    """
    path, store_path = Path(path), Path(store_path)
    fmt = _format_for(path)
    with _exclusive(store_path):
        data = _read(path)
        return _restore(data, path, fmt, store_path)


def _restore(
    data: bytes, path: Path, fmt: ox.RdfFormat, store_path: Path
) -> tuple[int, Path | None]:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = store_path.with_name(f"{store_path.name}.restoring-{stamp}")
    try:
        new = OxigraphStore(staging)
        try:
            new.raw.load(data, format=fmt)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"{path}: not a valid {fmt.name} dump: {exc}") from None
        count = len(new)
        new.flush()
        del new
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous: Path | None = None
    if store_path.exists():
        previous = store_path.with_name(f"{store_path.name}.before-restore-{stamp}")
        os.replace(store_path, previous)
    os.replace(staging, store_path)
    return count, previous

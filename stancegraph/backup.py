"""Dump and restore a whole store, named graphs included, without ever losing data.

``dump`` writes N-Quads (or TriG), gzip-compressed when the file name ends in ``.gz``,
through a temporary file renamed into place, so a crash never leaves a truncated dump.
``restore`` builds a complete new store beside the old one and swaps the directories;
the old store is kept as ``<path>.before-restore-<timestamp>`` until the operator removes it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from .store import OxigraphStore, StoreError

_FORMATS = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}


def _format_for(path: Path) -> ox.RdfFormat:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    ext = Path(name).suffix.lower()
    try:
        return _FORMATS[ext]
    except KeyError:
        raise ValueError(
            f"{path}: dumps are N-Quads (.nq) or TriG (.trig), optionally .gz"
        ) from None


def dump(store: OxigraphStore, path: str | Path) -> int:
    """Write every quad of ``store`` to ``path``; return the number of quads."""
    path = Path(path)
    fmt = _format_for(path)
    tmp = path.with_name(path.name + ".partial")
    data = store.raw.dump(format=fmt)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(tmp, "wb") as fh:  # type: ignore[operator]
        fh.write(data)
        fh.flush()
    os.replace(tmp, path)
    return len(store)


def _read(path: Path) -> bytes:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return path.read_bytes()


def restore(path: str | Path, store_path: str | Path) -> tuple[int, Path | None]:
    """Restore a dump into the store directory ``store_path``.

    Returns the number of quads restored and where the previous store was moved (or None).
    The dump is parsed completely into the new store before anything is swapped, so a bad
    dump leaves the existing store untouched.
    """
    path, store_path = Path(path), Path(store_path)
    fmt = _format_for(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = store_path.with_name(f"{store_path.name}.restoring-{stamp}")
    try:
        new = OxigraphStore(staging)
        try:
            new.raw.load(_read(path), format=fmt)
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

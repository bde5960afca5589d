"""What a new store starts with: the ontology graph, and the compiled seed, cached.

Compiling the seed YAML (PyYAML, pydantic, rdflib) is most of ``stancegraph serve``'s
start-up; its result only changes with the seed, the ontology or this package's code, so
the compiled store is kept as N-Quads under a key hashing all three
(``STANCEGRAPH_CACHE_DIR``, default ``~/.cache/stancegraph``; ``off`` turns it off).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import pyoxigraph as ox

from .. import resources
from ..store.base import Store
from ..terms import ONTOLOGY_GRAPH


def load_ontology(store: Store) -> None:
    """(Re)load the ontology and vocabularies into their own named graph."""
    store.replace(drop_graphs=[str(ONTOLOGY_GRAPH)])
    for p in resources.ontology_files():
        store.load(p.read_bytes(), ox.RdfFormat.TURTLE, str(ONTOLOGY_GRAPH))


def seed_cache_file() -> Path | None:
    """Where the compiled seed lives (None: caching off, ``STANCEGRAPH_CACHE_DIR=off``)."""
    root = os.environ.get("STANCEGRAPH_CACHE_DIR")
    if root is not None and root.strip().lower() in ("", "0", "off", "false", "none"):
        return None
    if root is None:
        root = os.path.join(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "stancegraph"
        )
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]  # stancegraph/
    inputs = [*resources.seed_files(), *resources.ontology_files(), *sorted(package.rglob("*.py"))]
    for f in inputs:
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return Path(root) / f"seed-{digest.hexdigest()[:24]}.nq"


def restore_seed(store: Store) -> bool:
    """Fill a fresh store from the cached compiled seed; False when there is none."""
    try:
        path = seed_cache_file()
        data = path.read_bytes() if path is not None else b""
    except OSError:
        return False
    if not data:
        return False
    try:
        store.load(data, ox.RdfFormat.N_QUADS)
    except (SyntaxError, ValueError, OSError):  # a damaged cache file: compile instead
        store.replace(drop_graphs=store.named_graphs())
        store.update("DROP SILENT DEFAULT")
        return False
    return True


def save_seed(store: Store) -> None:
    """Best effort: an unwritable cache only costs the next start-up its compile time."""
    with contextlib.suppress(OSError):
        path = seed_cache_file()
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(store.dump(ox.RdfFormat.N_QUADS))
        os.replace(tmp, path)
        for stale in path.parent.glob("seed-*.nq"):  # earlier versions' seeds
            if stale != path:
                stale.unlink(missing_ok=True)

"""Where the shipped ontology, seed data and example queries live.

In a wheel they are inside the package (``stancegraph/_resources``); in a source checkout
they are the top-level ``ontology/`` and ``data/`` folders. Callers never care which.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def _root() -> Path:
    packaged = _PKG / "_resources"
    if (packaged / "ontology").is_dir():
        return packaged
    checkout = _PKG.parent
    if (checkout / "ontology").is_dir():
        return checkout
    raise FileNotFoundError("stancegraph resources (ontology/, data/) not found")


def ontology_dir() -> Path:
    return _root() / "ontology"


def data_dir() -> Path:
    return _root() / "data"


def seed_files() -> list[Path]:
    """The seed dataset's YAML files, entities first, in a stable order."""
    seed = data_dir() / "seed"
    files = sorted(seed.glob("*.yaml")) + sorted((seed / "sources").glob("*.yaml"))
    return files


def queries_dir() -> Path:
    return data_dir() / "queries"


def ontology_files() -> list[Path]:
    """Ontology and vocabularies (not the shapes, nor analytics terms if absent)."""
    return sorted(p for p in ontology_dir().glob("*.ttl") if p.name != "shapes.ttl")


def shapes_file() -> Path:
    return ontology_dir() / "shapes.ttl"

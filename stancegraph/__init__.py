"""stancegraph: a negotiation-stance knowledge graph.

>>> import stancegraph
>>> kg = stancegraph.open()            # the seed dataset, in memory
>>> kg.guarantor_nominations()         # a pandas DataFrame
>>> kg.query("SELECT ...", actor=...)  # SPARQL, values bound safely
"""

from typing import Any

from .errors import StoreError
from .graph import LoadReport, Result, StanceGraph, open
from .store.base import Store
from .store.embedded import OxigraphStore

# Imported on first use: the compiler (PyYAML, pydantic) and SHACL (pyshacl) are not needed
# to open a store or serve it, and importing them is a large part of start-up.
_LAZY = {
    "CompileError": "ingest.compiler",
    "Problem": "ingest.compiler",
    "ValidationFailed": "validation.reference",
    "ValidationReport": "validation.reference",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "LoadReport",
    "OxigraphStore",
    "Problem",
    "Result",
    "StanceGraph",
    "Store",
    "StoreError",
    "ValidationFailed",
    "ValidationReport",
    "__version__",
    "open",
]

"""stancegraph: a negotiation-stance knowledge graph.

>>> import stancegraph
>>> kg = stancegraph.open()            # the seed dataset, in memory
>>> kg.guarantor_nominations()         # a pandas DataFrame
>>> kg.query("SELECT ...", actor=...)  # SPARQL, values bound safely
"""

from .compiler import CompileError, Problem
from .graph import LoadReport, Result, StanceGraph, open
from .store import OxigraphStore, Store, StoreError
from .validation import ValidationFailed, ValidationReport

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

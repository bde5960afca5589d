"""Storage: one small interface (``base.Store``), two implementations.

- ``embedded``: pyoxigraph, in memory or on disk. Why pyoxigraph: on the synthetic
  1M-triple stance graph it loads ~10x faster and answers typical queries 15-800x faster
  than rdflib's pure-Python SPARQL, with a third of the memory (see ``benchmarks/``).
- ``remote``: any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso, ...).
- ``open``: which one a spec (path, URL, config) names; ``backup``: dump and restore;
  ``snapshots``: read-only checkpoints of an on-disk store for other processes.

This package re-exports the public names of ``base`` and ``embedded`` for users; modules
inside stancegraph import them from where they live.
"""

from .base import GraphName, Store
from .embedded import OxigraphStore

__all__ = ["GraphName", "OxigraphStore", "Store"]

"""Pause Python's cyclic garbage collector while an analysis allocates.

Why: the analyses allocate millions of small containers (rows, predecessor lists, edge
dicts) that reference counting frees on its own, yet each allocation burst triggers
collections that scan every live object, the frame included. On the 1M-triple benchmark
that was 25–35% of coalitions, balance and positions (``benchmarks/analytics.py``).
Pausing is process-wide, so pauses nest across threads by a counter: the collector comes
back, on its usual thresholds, when the last computation ends (if it was on at the first).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic collector off; nested and concurrent uses are safe."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()

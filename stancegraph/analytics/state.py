"""Which data the derived analytics graph was computed from, and the data version the
analytics' caches are keyed on (the store's, not counting the analytics' own writes)."""

from __future__ import annotations

import threading
import weakref
from typing import Any

# store -> (data version derived from, store version right after our write)
_STATE: weakref.WeakKeyDictionary[Any, tuple[int, int]] = weakref.WeakKeyDictionary()
_STATE_BY_ID: dict[int, tuple[int, int]] = {}  # for stores that refuse weak references
_LOCK = threading.RLock()


def _get_state(store: Any) -> tuple[int, int] | None:
    try:
        return _STATE.get(store)
    except TypeError:
        return _STATE_BY_ID.get(id(store))


def _set_state(store: Any, value: tuple[int, int]) -> None:
    try:
        _STATE[store] = value
    except TypeError:
        _STATE_BY_ID[id(store)] = value


def data_version(kg: Any) -> int:
    """The store's version, not counting this module's own write of the analytics graph."""
    store = kg.store
    st = _get_state(store)
    if st is not None and store.version == st[1]:
        return st[0]
    return int(store.version)


def ever_materialized(kg: Any) -> bool:
    """Whether this process has derived the analytics graph of ``kg`` at least once."""
    return _get_state(kg.store) is not None


def is_current(kg: Any) -> bool:
    """Whether the analytics graph was derived from the data as they are now."""
    st = _get_state(kg.store)
    return st is not None and kg.store.version == st[1]


def writable(kg: Any) -> bool:
    return not getattr(kg.store, "read_only", False)

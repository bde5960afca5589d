"""The library's exceptions that more than one layer raises or catches.

Each carries a message fit for users; the remote ones also the HTTP status the service
answers with (``status_code``), so the API maps them without knowing where they came from.
"""

from __future__ import annotations


class StoreError(Exception):
    """A storage-level failure with a message fit for users."""


class RemoteStoreError(StoreError):
    """The remote store answered with an error."""

    status_code = 502


class StoreUnavailable(RemoteStoreError):
    """The remote store is down, unreachable or too slow: retry later (HTTP 503)."""

    status_code = 503


class ResultTruncated(RemoteStoreError):
    """The server cut a result at its row cap and the query cannot be paged."""

    status_code = 502


class WriteConflict(RemoteStoreError):
    """Another writer's transaction is in progress."""

    status_code = 503

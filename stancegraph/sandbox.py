"""Confinement for processes that handle untrusted input: no network, capped memory.

Minimal version (issue #12, safe parsing); the worker-sandbox helper owns this module and
the lead reconciles the two at merge. Both functions act on the *calling* process, so call
them in a child right after it starts, before it reads any untrusted byte.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


class SandboxUnavailable(RuntimeError):
    """The OS refused to confine this process (no namespaces, no permission)."""


def deny_network() -> str:
    """Move this process into a new, empty network namespace (only a down loopback).

    Afterwards ``connect()`` to any address fails with ``ENETUNREACH``; pipes and socket
    pairs created before keep working. Root needs only ``CLONE_NEWNET``; other users need
    an unprivileged user namespace as well. Returns how it was done, for the log.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    attempts = [(CLONE_NEWNET, "netns")] if os.geteuid() == 0 else []
    attempts.append((CLONE_NEWUSER | CLONE_NEWNET, "userns+netns"))
    errors = []
    for flags, how in attempts:
        if libc.unshare(flags) == 0:
            return how
        err = ctypes.get_errno()
        errors.append(f"{how}: {os.strerror(err)}")
    raise SandboxUnavailable("cannot unshare the network namespace (" + "; ".join(errors) + ")")


def _address_space() -> int:
    """Bytes of virtual address space this process maps now (``/proc/self/statm``)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def cap_memory(limit_bytes: int) -> None:
    """Let this process map at most ``limit_bytes`` more than it maps now (``RLIMIT_AS``).

    Over the cap, allocations fail: Python raises ``MemoryError``, native code usually
    aborts. Either way only this process dies.
    """
    cap = _address_space() + limit_bytes
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))

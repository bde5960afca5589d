"""OS-level limits for processes that parse or evaluate what clients send.

Why: the SPARQL engine follows ``SERVICE`` and ``LOAD <url>`` with its own HTTP client and
has no option to turn that off, and a text check in front of it can always disagree with
its parser. A process in a new, empty network namespace has no interface but a downed
loopback, so every ``connect()`` fails (``ENETUNREACH``) whatever the engine parsed.
Sockets and pipes created before the call (e.g. a socketpair to the server) keep working,
and files (an on-disk store) open as before.

Stdlib only and free of stancegraph imports: worker processes load this file by path.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import sys

__all__ = ["SandboxUnavailable", "cap_memory", "deny_network"]

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000


class SandboxUnavailable(RuntimeError):
    """The operating system does not let this process give up its network access."""


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _net_ns() -> str:
    return os.readlink("/proc/self/ns/net")


def deny_network() -> str:
    """Move the calling process into a new network namespace with no usable interface.

    Returns ``"netns"`` (enough privilege for ``CLONE_NEWNET`` alone) or ``"userns+netns"``
    (an unprivileged process: a user namespace mapping only its own uid/gid, then the
    network namespace). Raises ``SandboxUnavailable`` with the reason where neither works
    (not Linux, no libc ``unshare``, user namespaces disabled, a seccomp filter, or a
    multi-threaded caller, which the kernel refuses a new user namespace). Irreversible;
    children forked afterwards inherit it.
    """
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"network namespaces need Linux (this is {sys.platform})")
    try:
        before = _net_ns()
    except OSError as exc:
        raise SandboxUnavailable(f"cannot read /proc/self/ns/net: {exc}") from None
    try:
        _unshare(CLONE_NEWNET)
        kind = "netns"
    except (OSError, AttributeError) as first:
        if isinstance(first, OSError) and first.errno not in (errno.EPERM, errno.EACCES):
            raise SandboxUnavailable(f"unshare(CLONE_NEWNET) failed: {first}") from None
        uid, gid = os.geteuid(), os.getegid()
        try:
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
            _write("/proc/self/gid_map", f"{gid} {gid} 1\n")
        except (OSError, AttributeError) as second:
            raise SandboxUnavailable(
                f"unshare(CLONE_NEWNET) failed ({first}) and "
                f"unshare(CLONE_NEWUSER|CLONE_NEWNET) failed ({second})"
            ) from None
        kind = "userns+netns"
    if _net_ns() == before:  # never trust a call that reports success but did nothing
        raise SandboxUnavailable("unshare returned success but the network namespace is unchanged")
    return kind


def _address_space() -> int:
    """The calling process's current virtual memory size in bytes."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def cap_memory(limit_bytes: int) -> None:
    """Let the calling process grow its address space by at most ``limit_bytes`` more.

    Sets ``RLIMIT_AS`` (soft) to the current size plus ``limit_bytes`` (never above the hard
    limit): data already mapped (a forked copy of a loaded store) is not counted against
    the allowance. An allocation past it fails: Python raises ``MemoryError``, native code
    (the engine) aborts the process, which the caller must expect and replace.
    """
    if limit_bytes <= 0:
        raise ValueError("limit_bytes must be positive")
    soft = _address_space() + limit_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

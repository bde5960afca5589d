"""Test helper: run ``stancegraph`` where no network namespace can be created.

The process forks; the child enters a new user namespace (root mapped to root, so files
stay readable) whose limits allow no further user or network namespaces, and runs the
CLI there; the parent forwards SIGTERM/SIGINT and exits with the child's status. Needs
root (to write the child's uid/gid maps); callers skip otherwise.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

CLONE_NEWUSER = 0x10000000


def run_main() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if libc.unshare(CLONE_NEWUSER) != 0:
            os._exit(90)
        os.write(ready_w, b"u")
        os.read(go_r, 1)
        for limit in ("max_user_namespaces", "max_net_namespaces"):
            with open(f"/proc/sys/user/{limit}", "w") as f:
                f.write("0")
        from stancegraph.cli.main import main

        sys.exit(main())
    os.read(ready_r, 1)
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write("0 0 65536\n")
    os.write(go_w, b"g")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: os.kill(pid, s))
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))

"""Loads the shared fixtures and helpers (``tests/harness.py``, whose docstring says what
they are), or, where the project's dependencies are missing, runs the suite in a virtual
environment that has them (``tests/_bootstrap.py``).

Test modules import helpers from here (``from conftest import running_server``)."""

from __future__ import annotations

from importlib.util import find_spec

if all(find_spec(m) for m in ("httpx", "pyoxigraph", "rdflib", "fastapi", "stancegraph")):
    from harness import *  # noqa: F403  (fixtures, hooks and helpers)
    from harness import _remote_servers_per_module  # noqa: F401  (autouse; not in *)
else:
    from _bootstrap import pytest_cmdline_main  # noqa: F401

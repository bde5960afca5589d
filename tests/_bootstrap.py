"""Run bare, from a Python that lacks the project's dependencies (``python -m pytest`` on a
fresh machine), the suite installs the project with its test dependencies into the
checkout's ``.venv`` (once; git-ignored) and runs itself there, with the same arguments.

Standard library only: this module is loaded exactly when the dependencies are missing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
NEEDED = ("httpx", "pyoxigraph", "rdflib", "fastapi", "stancegraph", "pytest")
_AGAIN = "STANCEGRAPH_TESTS_BOOTSTRAPPED"  # set in the run inside the venv: no second round


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ready(python: Path) -> bool:
    probe = f"import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in {NEEDED!r}))"
    return python.exists() and subprocess.run([str(python), "-c", probe]).returncode == 0


def _say(text: str) -> None:
    print(f"stancegraph tests: {text}", file=sys.stderr, flush=True)


def pytest_cmdline_main(config: Any) -> int:
    """Instead of this run: the same run inside ``.venv``, with the project installed."""
    missing = ", ".join(m for m in NEEDED if importlib.util.find_spec(m) is None)
    if os.environ.get(_AGAIN):
        _say(
            f"still missing after installing into {VENV}: {missing}; "
            "run: python -m pip install -e '.[test]'"
        )
        return 4
    python = _python()
    if not _ready(python):
        _say(
            f"{missing} not installed for {sys.executable}; installing the project with its "
            f"test dependencies into {VENV} (once), then running the tests there"
        )
        steps = [
            [sys.executable, "-m", "venv", str(VENV)],
            [str(python), "-m", "pip", "install", "-q", "-e", f"{REPO}[test]"],
        ]
        for step in steps if not python.exists() else steps[1:]:
            if subprocess.run(step).returncode != 0:
                _say(
                    f"could not install the test dependencies ({' '.join(step)} failed); "
                    "run: python -m pip install -e '.[test]'"
                )
                return 4
    args = [str(python), "-m", "pytest", *config.invocation_params.args]
    env = {**os.environ, _AGAIN: "1"}
    return subprocess.run(args, cwd=config.invocation_params.dir, env=env).returncode

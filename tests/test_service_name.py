"""One import name for the service: ``stancegraph.api``, in the checkout and in the wheel.

In the checkout ``stancegraph/api`` is a symbolic link to the top-level ``api/`` folder (the
wheel build follows it), so no code needs a fallback to a bare ``api`` package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREES = ("api", "stancegraph", "tests", "benchmarks")


def _modules() -> list[Path]:
    found = []
    for tree in TREES:
        for path in (ROOT / tree).rglob("*.py"):
            if "stancegraph/api" not in path.relative_to(ROOT).as_posix():
                found.append(path)
    return found


def test_nothing_imports_a_bare_api_package() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno}: {name}"
                for name in names
                if name == "api" or name.startswith("api.")
            ]
    assert offenders == [], "import the service as stancegraph.api:\n" + "\n".join(offenders)


def test_the_checkout_link_is_the_service_folder() -> None:
    link = ROOT / "stancegraph" / "api"
    assert link.is_symlink() and link.resolve() == (ROOT / "api").resolve()

    import stancegraph.api.app as app

    assert Path(app.__file__).resolve() == (ROOT / "api" / "app.py").resolve()

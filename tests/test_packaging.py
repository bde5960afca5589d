"""The built wheel carries the ontology, the seed data, the queries and the HTTP service
(as ``stancegraph.api``, never a bare top-level ``api``), so ``pip install`` alone works."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import CACHE_ENV

pytestmark = [
    pytest.mark.slow,  # builds and installs a wheel
    pytest.mark.embedded_only(reason="builds and installs the wheel; no store under test"),
]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 and "hatchling" in proc.stderr:
        pytest.skip("hatchling not installed in this environment")
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("stancegraph-*.whl")
    return whl


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "stancegraph/_resources/ontology/stancegraph.ttl" in names
    assert "stancegraph/_resources/ontology/shapes.ttl" in names
    assert "stancegraph/_resources/ontology/vocabularies.ttl" in names
    assert "stancegraph/_resources/data/seed/entities.yaml" in names
    assert any(
        n.startswith("stancegraph/_resources/data/queries/") and n.endswith(".rq") for n in names
    )
    assert "stancegraph/api/__init__.py" in names
    assert "stancegraph/py.typed" in names  # PEP 561: type checkers read our hints
    assert not any(n.startswith("api/") for n in names), (
        "a bare top-level 'api' package would clash"
    )
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_installed_wheel_opens_seed_and_answers(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    assert not (target / "api").exists()
    code = (
        "import stancegraph, sys\n"
        f"assert stancegraph.__file__.startswith({str(target)!r}), stancegraph.__file__\n"
        "kg = stancegraph.open()\n"
        "print(len(kg.example('guarantor-nominations').rows), kg.validate().conforms)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", **CACHE_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["9", "True"]

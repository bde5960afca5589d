"""Issue #15: nothing surprises a user. Each test drives what a user does: the CLI through a
subprocess, HTTP through a real ``stancegraph serve``, the Python API as a notebook would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import stancegraph

pytestmark = pytest.mark.embedded_only(reason="on-disk stores and local CLI runs")

DUP_SOURCE = """\
source:
  id: my-press-review
  title: A second report that reuses a seed stance id
  publisher: quebec-daily
  published: 2022-04-01
  language: en
stances:
  - id: ukraine-nominates-canada-as-guarantor
    holder: ukraine
    target: ceasefire
    polarity: support
    speech_act: demand
    modality: asserted
    stated: 2022-04-01
    evidence:
      - paragraph: 1
"""

MY_ENTITIES = """\
actors:
  - id: my-ngo
    type: Organization
    label: My NGO
"""

MY_SOURCE = """\
source:
  id: my-source
  title: My own report
  publisher: my-ngo
  published: 2022-04-02
  language: en
stances:
  - id: my-ngo-supports-ceasefire
    holder: ukraine
    target: ceasefire
    polarity: support
    speech_act: demand
    modality: asserted
    stated: 2022-04-01
    evidence:
      - paragraph: 1
"""


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stancegraph", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("seeded") / "store"
    r = cli("load", "--store", str(store), "--seed")
    assert r.returncode == 0, r.stderr
    return store


# --------------------------------------------------------------------------- item 1


def test_reused_stance_id_is_refused_and_nothing_written(
    seeded_store: Path, tmp_path: Path
) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text(DUP_SOURCE)
    before = cli("export", "--store", str(seeded_store), "--format", "nquads").stdout
    r = cli("load", "--store", str(seeded_store), str(dup))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "SHACL conforms" not in r.stdout
    # the id, the file and line, and the source that owns it
    assert f"{dup}:8:" in r.stderr, r.stderr
    assert "ukraine-nominates-canada-as-guarantor" in r.stderr
    assert "source '2022-03-29-istanbul-talks-report'" in r.stderr
    after = cli("export", "--store", str(seeded_store), "--format", "nquads").stdout
    assert after == before
    v = cli("validate", "--store", str(seeded_store))
    assert v.returncode == 0, v.stdout


def test_reused_stance_id_is_refused_by_validate(tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text(DUP_SOURCE)
    r = cli("validate", "--seed", str(dup))
    assert r.returncode == 1
    assert "duplicate stance id 'ukraine-nominates-canada-as-guarantor'" in r.stderr, r.stderr


def test_reloading_a_source_keeps_its_own_ids(seeded_store: Path) -> None:
    """Idempotence still holds: a source may redefine the stances it owns."""
    r = cli("load", "--store", str(seeded_store), "--seed")
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------- item 2


@pytest.mark.parametrize(
    "command",
    [
        ["info"],
        ["query", "ASK {}"],
        ["validate"],
        ["export"],
        ["analyze", "guarantors"],
        ["dump", "out.nq"],
    ],
)
def test_a_mistyped_store_path_is_an_error(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "typo"
    r = cli(*command[:1], "--store", str(typo), *command[1:], cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    assert f"no store at {typo}" in r.stderr
    assert not typo.exists()


def test_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    typo = tmp_path / "typo"
    r = subprocess.run(
        [sys.executable, "-m", "stancegraph", "serve", "--store", str(typo), "--port", "9"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 1
    assert f"no store at {typo}" in r.stderr
    assert not typo.exists()


def test_create_makes_an_empty_store_on_request(tmp_path: Path) -> None:
    new = tmp_path / "new"
    r = cli("info", "--store", str(new), "--create")
    assert r.returncode == 0, r.stderr
    assert "stances: 0" in r.stdout
    assert cli("info", "--store", str(new)).returncode == 0


# --------------------------------------------------------------------------- item 5


def _my_files(tmp_path: Path) -> list[str]:
    ent, src = tmp_path / "my-entities.yaml", tmp_path / "my-source.yaml"
    ent.write_text(MY_ENTITIES)
    src.write_text(MY_SOURCE)
    return [str(ent), str(src)]


def test_files_alone_or_with_seed_behave_the_same_everywhere(tmp_path: Path, serve) -> None:
    files = _my_files(tmp_path)
    # Alone: 'ukraine' and 'ceasefire' are the seed's, so every entry point says so.
    alone = cli("validate", *files)
    assert alone.returncode == 1
    assert "unknown actor 'ukraine'" in alone.stderr
    served = cli("serve", "--port", "9", *files)
    assert served.returncode == 1
    assert "unknown actor 'ukraine'" in served.stderr
    with pytest.raises(ValueError, match="unknown actor 'ukraine'"):
        stancegraph.open(files=files)
    # With the seed: the same files pass everywhere.
    ok = cli("validate", "--seed", *files)
    assert ok.returncode == 0, ok.stderr
    kg = stancegraph.open(files=files, seed=True)
    holders = set(kg.stances(source="my-source")["holder"])
    assert holders == {"https://w3id.org/stancegraph/id/actor/ukraine"}
    assert len(kg.stances()) == len(stancegraph.open().stances()) + 1
    server = serve("--seed", *files)
    r = httpx.get(f"{server.url}/api/stances", params={"source": "my-source"}, timeout=30)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["items"]] == ["my-ngo-supports-ceasefire"]


def test_open_with_a_list_says_how_to_pass_files() -> None:
    with pytest.raises(TypeError, match=r"open\(files=\[...\]\)"):
        stancegraph.open(["a.yaml"])  # type: ignore[arg-type]

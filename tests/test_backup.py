"""dump/restore round-trip the whole dataset exactly (isomorphic, named graphs included)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

import stancegraph
from stancegraph.cli.main import main as cli
from stancegraph.store import OxigraphStore, backup

pytestmark = pytest.mark.embedded_only(reason="dump/restore of local store directories")


def canonical(store: OxigraphStore) -> list[str]:
    ds = ox.Dataset(store.raw)
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in ds)


@pytest.mark.parametrize("name", ["backup.nq", "backup.trig.gz"])
def test_dump_restore_roundtrip_is_isomorphic(tmp_path, name):
    src = stancegraph.open(tmp_path / "src", seed=True)
    # A blank node and the default graph must survive too.
    src.store.update('INSERT DATA { _:b <http://example.org/p> "x"@en . }')
    expected = canonical(src.store)
    graphs = src.store.named_graphs()
    out = tmp_path / name
    assert backup.dump(src.store, out) == len(src.store)
    src.store.flush()
    n, previous = backup.restore(out, tmp_path / "restored")
    assert previous is None
    restored = OxigraphStore(tmp_path / "restored")
    assert n == len(restored) == len(expected)
    assert restored.named_graphs() == graphs
    assert canonical(restored) == expected


def test_restore_keeps_previous_store_and_rejects_bad_dump(tmp_path):
    kg = stancegraph.open(tmp_path / "s", seed=True)
    before = canonical(kg.store)
    kg.store.flush()
    del kg
    bad = tmp_path / "bad.nq"
    bad.write_text("<http://a> <http://b> .\n")
    with pytest.raises(stancegraph.StoreError, match="not a valid"):
        backup.restore(bad, tmp_path / "s")
    assert canonical(OxigraphStore(tmp_path / "s", read_only=True)) == before
    assert not list(tmp_path.glob("s.restoring-*")), "staging store must be cleaned up"


@pytest.mark.slow  # CLI runs in subprocesses
def test_cli_dump_restore(tmp_path, capsys):
    store = str(tmp_path / "cli")
    assert cli(["load", "--store", store, "--seed"]) == 0
    out = tmp_path / "d.nq.gz"
    assert cli(["dump", "--store", store, str(out)]) == 0
    assert cli(["restore", "--store", str(tmp_path / "other"), str(out)]) == 0
    assert "restored" in capsys.readouterr().err
    assert cli(["restore", str(out)]) == 2
    assert cli(["dump", "--store", store, str(tmp_path / "x.txt")]) == 1

"""Tables and checkpoints record their provenance, deterministically; unreadable inputs are named."""

import os
import stat
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
import torch

import ghostlearn
from ghostlearn.io import atomic_path, provenance_path, read_table, table_metadata, write_table
from ghostlearn.rnn.training import save_checkpoints

TABLE = pd.DataFrame({"lr": [1e-10, 1e-9], "loss": [0.017, 1.0]})
META = {"params": {"experiment": {"seeds": [40], "epochs": 3000}}, "config": {"figures": ["fig2"]}}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_table_records_versions_device_and_config_and_is_written_identically_twice(tmp_path, suffix):
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    write_table(TABLE, first, **META)
    write_table(TABLE, second, **META)
    info = table_metadata(first)
    assert info["ghostlearn"] == ghostlearn.__version__ and info["numpy"] == np.__version__
    assert info["torch"] == torch.__version__ and info["device"] == "cpu"
    assert info["params"]["experiment"]["seeds"] == [40] and info["config"] == {"figures": ["fig2"]}
    assert first.read_bytes() == second.read_bytes()
    if suffix == ".csv":
        assert provenance_path(first).name == "a.csv.provenance.json"
        assert provenance_path(first).read_bytes() == provenance_path(second).read_bytes()
        assert first.read_text().splitlines()[0] == "lr,loss"  # the CSV itself stays a plain table
    pd.testing.assert_frame_equal(read_table(first, ["lr", "loss"]), TABLE)


def test_a_checkpoint_records_its_provenance(tmp_path):
    save_checkpoints({"final": {"m": torch.zeros(1, 3)}}, tmp_path / "c.pt", device="cuda:0", seeds=[3])
    saved = torch.load(tmp_path / "c.pt", weights_only=False)
    assert saved["provenance"]["device"] == "cuda:0" and saved["provenance"]["seeds"] == [3]
    assert saved["provenance"]["torch"] == torch.__version__


def test_a_table_missing_a_column_is_named(tmp_path):
    write_table(TABLE, tmp_path / "t.csv")
    with pytest.raises(ValueError, match=r"t.csv: missing column\(s\) \['r'\]"):
        read_table(tmp_path / "t.csv", ["lr", "r"])


@contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tables_and_checkpoints_get_the_permissions_the_umask_gives(tmp_path, mask, expected, suffix):
    with umask(mask):
        write_table(TABLE, tmp_path / f"t{suffix}")
        save_checkpoints({"final": {"m": torch.zeros(1)}}, tmp_path / "c.pt")
        write_table(TABLE, tmp_path / f"t{suffix}")  # a rewrite keeps them too
    written = [tmp_path / f"t{suffix}", tmp_path / "c.pt"]
    if suffix == ".csv":
        written.append(provenance_path(tmp_path / "t.csv"))
    assert {path.name: oct(mode(path)) for path in written} == {path.name: oct(expected) for path in written}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temporaries


def test_a_failed_write_leaves_neither_a_file_nor_a_temporary(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "t.csv") as tmp:
        assert os.path.exists(tmp) and os.path.dirname(tmp) == str(tmp_path)
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []

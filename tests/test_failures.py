"""Failure-proof runs, at the workflow level: a killed training job resumes and ends with the tables of an
uninterrupted run; a corrupted checkpoint is named and training resumes from the last good one; bad configs
stop before any job with the key named; a figure notebook given a table without a column fails loudly and
is kept; the same config gives byte-identical tables; every table and checkpoint records its provenance.

(The engine-level versions of the first two are in test_engine.py; check_config's messages in
test_config.py.)  One small config, FAILURE_CONFIG, is run once uninterrupted (``reference``) and once
killed and resumed (``resumed``); the other tests work on copies of the reference run.
"""

import copy
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch
import yaml
from conftest import ROOT, copy_workflow, run, snakemake_cmd

from ghostlearn.io import provenance_path, table_metadata

pytestmark = pytest.mark.workflow

BASE = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
EPOCHS = 800
#: Figure 1 and one rank-one experiment whose job takes several seconds (checkpoints every 50 epochs), so
#: it can be killed half-way; its checkpoints are analysed.
FAILURE_CONFIG = {
    "figures": ["fig1"],
    "canonical": {
        "vector_field": BASE["canonical"]["vector_field"],
        "landscape": BASE["canonical"]["landscape"],
        "gd": {"fig2_pair": BASE["canonical"]["gd"]["fig2_pair"]},
        "theory_check": BASE["canonical"]["theory_check"],
    },
    "rnn": {
        "experiments": {
            "rank_one": {
                "model": {"family": "rank_one"},
                "task": {"kind": "delayed_activation", "T": 20},
                "learning_rates": [0.02, 0.05],
                "seeds": [40],
                "epochs": EPOCHS,
                "checkpoint_epochs": [0, EPOCHS // 2],
                "checkpoint_every": 50,
                "networks_per_job": 2,
            }
        }
    },
    "analysis": BASE["analysis"],
}
CONFIG = "config/failures.yaml"
JOB = Path("results/runs/rnn/rank_one/job0")
STATE = JOB / "state" / "checkpoints"
TRAIN_LOG = Path("results/logs/train/rnn_rank_one_job0.log")


def _setup(workdir: Path, config: dict = FAILURE_CONFIG) -> Path:
    copy_workflow(workdir)
    (workdir / CONFIG).write_text(yaml.safe_dump(config))
    return workdir


#: The experiment's own tables: what the resume tests rebuild (training, analysis, aggregation).
RNN_TABLES = ("results/tables/rnn_rank_one_networks.csv", "results/tables/rnn_rank_one_ghost_vs_drop.csv")


def _command(*args: str, targets=()) -> list[str]:
    # targets first: --configfile and --forcerun take every argument after them
    return snakemake_cmd("--cores", "2", *targets, "--configfile", CONFIG, *args)


def _snakemake(workdir: Path, *args: str, targets=(), timeout: int = 600):
    return run(_command(*args, targets=targets), workdir, timeout=timeout)


def _tables(workdir: Path) -> dict[str, bytes]:
    """Every table under results/tables and every run output under results/runs/*/job*/ (not the resume
    state), by path."""
    files = [*(workdir / "results/tables").iterdir(), *(workdir / "results/runs").rglob("job*/*.parquet")]
    return {str(p.relative_to(workdir)): p.read_bytes() for p in files if p.is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    workdir = _setup(tmp_path_factory.mktemp("reference"))
    result = _snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


@pytest.fixture(scope="module")
def resumed(tmp_path_factory) -> tuple[Path, bool]:
    """The same config's experiment tables, the training job SIGKILLed (snakemake and all its children)
    half-way, then rerun the way a user recovers: --unlock, then --rerun-incomplete."""
    workdir = _setup(tmp_path_factory.mktemp("resumed"))
    process = subprocess.Popen(
        _command(targets=RNN_TABLES),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        saved = [int(p.stem.split("_")[1]) for p in (workdir / STATE).glob("epoch_*.pt")]
        if any(100 <= e < EPOCHS for e in saved):
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_midway = not (workdir / JOB / "history.parquet").exists()
    assert _snakemake(workdir, "--unlock").returncode == 0
    result = _snakemake(workdir, "--rerun-incomplete", targets=RNN_TABLES)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir, killed_midway


def test_a_killed_training_job_resumes_from_its_checkpoint(resumed):
    workdir, killed_midway = resumed
    assert killed_midway, "the training job finished before it could be killed"
    log = (workdir / TRAIN_LOG).read_text()
    assert "resumed from" in log and f"epoch {EPOCHS}/{EPOCHS}" in log, log


def test_the_same_config_gives_byte_identical_tables(reference, resumed):
    """Two runs from scratch of one config on CPU, one of them killed and resumed: every table the second
    built (the experiment's), its provenance and every run output are the same bytes as the first's."""
    expected, got = _tables(reference), _tables(resumed[0])
    assert set(RNN_TABLES) <= set(got) and any(".provenance.json" in name for name in got)
    assert len(got) >= 8 and set(got) <= set(expected)
    assert [name for name in got if got[name] != expected[name]] == []
    final = torch.load(reference / JOB / "checkpoints.pt", weights_only=False)
    again = torch.load(resumed[0] / JOB / "checkpoints.pt", weights_only=False)
    for key in (0, EPOCHS // 2, "final"):
        for name, value in final[key].items():
            torch.testing.assert_close(again[key][name], value, rtol=0, atol=0)


def test_a_corrupted_checkpoint_is_named_and_training_resumes_from_the_last_good_one(reference, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(reference, workdir, symlinks=True)
    last = STATE / f"epoch_{EPOCHS:09d}.pt"
    (workdir / last).write_bytes((workdir / last).read_bytes()[:200])
    result = _snakemake(workdir, "--forcerun", "train_rnn", targets=RNN_TABLES[:1])
    assert result.returncode == 0, result.stderr[-4000:]
    log = (workdir / TRAIN_LOG).read_text()
    assert f"{last}: unreadable checkpoint" in log, log
    assert f"resumed from {STATE / f'epoch_{EPOCHS // 2:09d}.pt'} at epoch {EPOCHS // 2}" in log, log
    expected, got = _tables(reference), _tables(workdir)
    assert [name for name in expected if got[name] != expected[name]] == []
    assert "train_rnn" in result.stderr, "the training job did not rerun"


def _bad(tmp_path: Path, mutate) -> str:
    config = copy.deepcopy(FAILURE_CONFIG)
    mutate(config)
    workdir = _setup(tmp_path, config)
    result = _snakemake(workdir, timeout=120)
    assert result.returncode != 0
    assert not (workdir / "results").exists(), "a job ran despite the bad config"
    return result.stdout + result.stderr


def test_bad_values_stop_the_workflow_before_any_job_naming_every_key(tmp_path):
    def mutate(config):
        experiments = config["rnn"]["experiments"]
        rank_one = experiments["rank_one"]
        experiments["typed"] = {**rank_one, "epochs": "many"}
        experiments["negative"] = {**rank_one, "epochs": -5, "checkpoint_epochs": []}
        experiments["task"] = {**rank_one, "task": {"kind": "xor", "T": 20}}
        experiments["family"] = {**rank_one, "model": {"family": "lstm"}}

    message = _bad(tmp_path, mutate)
    for key in ("typed.epochs", "negative.epochs", "task.task.kind", "family.model.family"):
        assert f"rnn.experiments.{key}" in message, message


def test_a_checkpoint_epoch_beyond_the_run_stops_the_workflow_naming_the_key(tmp_path):
    message = _bad(
        tmp_path,
        lambda c: c["rnn"]["experiments"]["rank_one"].update(checkpoint_epochs=[0, EPOCHS + 1]),
    )
    assert (
        f"rnn.experiments.rank_one.checkpoint_epochs: epoch {EPOCHS + 1} is beyond epochs = {EPOCHS}"
        in message
    )


def test_a_notebook_given_a_table_without_a_column_fails_and_is_kept(reference, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(reference, workdir, symlinks=True)
    table = workdir / "results/tables/fig1_vector_field.csv"
    pd.read_csv(table).drop(columns="dxdt").to_csv(table, index=False)
    result = _snakemake(workdir, "--forcerun", "fig1", targets=["results/figures/fig1.png"])
    assert result.returncode != 0
    notebook = workdir / "results/notebooks/fig1.ipynb"
    assert notebook.exists(), "the executed notebook was not kept"
    text = notebook.read_text()
    assert "missing column(s) ['dxdt']" in text and "fig1_vector_field.csv" in text
    assert not (workdir / "results/figures/fig1.png").exists()


def test_every_table_and_checkpoint_records_its_provenance(reference):
    versions = {"ghostlearn", "torch", "numpy", "pandas", "python", "device"}
    csvs = sorted((reference / "results/tables").glob("*.csv"))
    assert len(csvs) >= 8
    for path in csvs:
        info = table_metadata(path)
        assert versions <= set(info) and {"rule", "params", "config"} <= set(info), path
        assert info["config"]["rnn"]["experiments"]["rank_one"]["seeds"] == [40], path
        assert json.loads(provenance_path(path).read_text()) == info
    for path in [*(reference / "results/runs").rglob("*.parquet"), *(reference / "results/tasks").glob("*")]:
        assert versions <= set(table_metadata(path)), path
    history = table_metadata(reference / JOB / "history.parquet")
    assert history["device"] == "cpu" and history["seeds"] == [40]
    assert history["params"]["experiment"]["epochs"] == EPOCHS
    assert history["torch"] == torch.__version__
    saved = torch.load(reference / JOB / "checkpoints.pt", weights_only=False)["provenance"]
    assert saved["device"] == "cpu" and saved["seeds"] == [40] and saved["torch"] == torch.__version__
    assert saved["config"]["rnn"]["experiments"]["rank_one"]["epochs"] == EPOCHS
    state = torch.load(reference / STATE / f"epoch_{EPOCHS:09d}.pt", weights_only=False)["provenance"]
    assert state["seeds"] == [40, 40] and state["spec"]["epochs"] == EPOCHS and versions <= set(state)
    assert pq.read_schema(reference / JOB / "networks.parquet").metadata[b"ghostlearn"]

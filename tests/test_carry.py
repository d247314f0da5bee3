"""Training carried between results directories (ghostlearn.carry): finished jobs and resume states."""

import json
import os

import pandas as pd
import pytest
import torch

from ghostlearn.carry import JOB_FILES, restore_runs, resume_epoch, save_runs
from ghostlearn.rnn.engine import TaskData, TrainSpec, train
from ghostlearn.rnn.models import make_family
from ghostlearn.tasks import delayed_activation


def _finished(results, name="exp", jobs=2, task="tasks/t.parquet"):
    """A results directory with ``jobs`` finished training jobs of ``name`` and its stored plan."""
    (results / "runs/rnn").mkdir(parents=True)
    plan = {name: {"sizes": [3] * jobs, "cores": 2, "fingerprint": "entry-a"}}
    (results / "runs/rnn/job_plan.json").write_text(json.dumps(plan))
    for k in range(jobs):
        for f in JOB_FILES:
            path = results / f"runs/rnn/{name}/job{k}/{f}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{name} {k} {f}")
        (results / "benchmarks/train").mkdir(parents=True, exist_ok=True)
        (results / f"benchmarks/train/rnn_{name}_job{k}.tsv").write_text("s\tcpu_time\n1\t1\n")
    (results / task).parent.mkdir(parents=True, exist_ok=True)
    (results / task).write_text("task")
    return {name: task}


def test_a_kept_experiment_comes_back_with_its_plan_and_newer_than_its_task(tmp_path):
    tasks = _finished(tmp_path / "old")
    assert save_runs(tmp_path / "old", tmp_path / "kept", tasks) == {"exp": "2 of 2 jobs finished"}
    fresh = tmp_path / "new"
    (fresh / "runs/rnn").mkdir(parents=True)
    (fresh / "runs/rnn/job_plan.json").write_text(json.dumps({"other": {"sizes": [1]}}))
    assert restore_runs(tmp_path / "kept", tmp_path / "changed", {"exp": "entry-b"}) == ({}, ["exp"])
    assert not (tmp_path / "changed").exists()  # a changed config entry trains anew
    assert restore_runs(tmp_path / "kept", fresh, {"exp": "entry-a"}) == ({"exp": "2 of 2 jobs finished"}, [])
    for k in range(2):
        for f in JOB_FILES:
            assert (fresh / f"runs/rnn/exp/job{k}/{f}").read_text() == f"exp {k} {f}"
            assert os.path.getmtime(fresh / f"runs/rnn/exp/job{k}/{f}") > os.path.getmtime(
                fresh / tasks["exp"]
            )
        assert (fresh / f"benchmarks/train/rnn_exp_job{k}.tsv").exists()
    plan = json.loads((fresh / "runs/rnn/job_plan.json").read_text())
    assert plan["other"] == {"sizes": [1]} and plan["exp"] == {
        "sizes": [3, 3],
        "cores": 2,
        "fingerprint": "entry-a",
    }
    assert not (fresh / "carried.json").exists() and not (fresh / "exp").exists()


def _state(results, name="exp", job=1, checkpoints=(10, 20), parts=(10, 20, 30)):
    """An unfinished job's resume state: checkpoints and history parts (one written after the newest
    checkpoint, as a job killed between the two writes leaves it)."""
    state = results / f"runs/rnn/{name}/job{job}/state"
    for epoch in checkpoints:
        (state / "checkpoints").mkdir(parents=True, exist_ok=True)
        (state / f"checkpoints/epoch_{epoch:09d}.pt").write_text(f"ckpt {epoch}")
    for epoch in parts:
        (state / "history").mkdir(parents=True, exist_ok=True)
        (state / f"history/part_{epoch:09d}.parquet").write_text(f"part {epoch}")
    return state


def test_an_unfinished_job_is_kept_as_its_resume_state(tmp_path):
    tasks = _finished(tmp_path / "old", jobs=3)
    for k in (1, 2):
        for f in JOB_FILES:
            (tmp_path / f"old/runs/rnn/exp/job{k}/{f}").unlink()
    _state(tmp_path / "old")  # job 1 got to epoch 20; job 2 has not started
    assert save_runs(tmp_path / "old", tmp_path / "kept", tasks) == {
        "exp": "1 of 3 jobs finished, job 1 resumes at epoch 20"
    }
    kept = tmp_path / "kept/exp/runs/rnn/exp/job1/state"
    assert sorted(p.name for p in kept.rglob("*.*")) == [
        "epoch_000000010.pt",
        "epoch_000000020.pt",
        "part_000000010.parquet",
        "part_000000020.parquet",
    ]
    assert not (tmp_path / "kept/exp/runs/rnn/exp/job1/history.parquet").exists()
    fresh = tmp_path / "new"
    restored = restore_runs(tmp_path / "kept", fresh, {"exp": "entry-a"})
    assert restored == ({"exp": "1 of 3 jobs finished, job 1 resumes at epoch 20"}, [])
    assert (fresh / "runs/rnn/exp/job0/networks.parquet").exists()
    assert not (fresh / "runs/rnn/exp/job1/networks.parquet").exists()
    assert resume_epoch(fresh / "runs/rnn/exp/job1/state") == 20
    assert json.loads((fresh / "runs/rnn/job_plan.json").read_text())["exp"]["sizes"] == [3, 3, 3]
    # a results directory further along keeps its own state
    ahead = tmp_path / "ahead"
    _state(ahead, checkpoints=(10, 40), parts=(10, 40))
    restore_runs(tmp_path / "kept", ahead, {"exp": "entry-a"})
    assert resume_epoch(ahead / "runs/rnn/exp/job1/state") == 40
    assert (ahead / "runs/rnn/exp/job1/state/history/part_000000040.parquet").exists()
    # and one that has the job finished takes no state for it
    done = tmp_path / "done"
    for f in JOB_FILES:
        (done / f"runs/rnn/exp/job1/{f}").parent.mkdir(parents=True, exist_ok=True)
        (done / f"runs/rnn/exp/job1/{f}").write_text("finished here")
    restore_runs(tmp_path / "kept", done, {"exp": "entry-a"})
    assert not (done / "runs/rnn/exp/job1/state").exists()
    assert (done / "runs/rnn/exp/job1/networks.parquet").read_text() == "finished here"


def test_only_planned_experiments_with_something_trained_are_kept(tmp_path):
    tasks = _finished(tmp_path / "old")
    for k in (0, 1):
        (tmp_path / f"old/runs/rnn/exp/job{k}/checkpoints.pt").unlink()
    with pytest.raises(ValueError, match="exp: no training job has finished or reached a checkpoint"):
        save_runs(tmp_path / "old", tmp_path / "kept", tasks)
    with pytest.raises(ValueError, match="nope: no stored job plan"):
        save_runs(tmp_path / "old", tmp_path / "kept", {"nope": "tasks/t.parquet"})
    (tmp_path / "old/tasks/t.parquet").unlink()
    _state(tmp_path / "old")
    with pytest.raises(ValueError, match="exp: its task table .*t.parquet is missing"):
        save_runs(tmp_path / "old", tmp_path / "kept", tasks)
    assert not (tmp_path / "kept").exists()
    assert restore_runs(tmp_path / "kept", tmp_path / "new", {}) == ({}, [])


def test_a_job_resumed_from_a_carried_state_ends_as_an_uninterrupted_run(tmp_path):
    """The engine's resume (docs/engine.md) from a state that went through save_runs and restore_runs."""
    family, task = make_family("rank_one"), TaskData.from_table(delayed_activation(20))

    def spec(epochs):
        return TrainSpec(seeds=[1, 2], lrs=[0.02, 0.05], epochs=epochs, checkpoint_every=20, fingerprint="f")

    whole, whole_trainer = train(family, task, spec(60), tmp_path / "whole")
    old = tmp_path / "old"
    tasks = _finished(old, jobs=1)
    for f in JOB_FILES:
        (old / f"runs/rnn/exp/job0/{f}").unlink()
    train(family, task, spec(40), old / "runs/rnn/exp/job0/state")  # a job stopped after epoch 40
    assert save_runs(old, tmp_path / "kept", tasks) == {
        "exp": "0 of 1 jobs finished, job 0 resumes at epoch 40"
    }
    restore_runs(tmp_path / "kept", tmp_path / "new", {"exp": "entry-a"})
    log = tmp_path / "log.txt"
    with open(log, "w") as handle:
        again, trainer = train(family, task, spec(60), tmp_path / "new/runs/rnn/exp/job0/state", log=handle)
    assert "at epoch 40" in log.read_text()  # resumed, not trained again from the start
    pd.testing.assert_frame_equal(again, whole)
    for name, value in whole_trainer.params.items():
        torch.testing.assert_close(trainer.params[name], value, rtol=0, atol=0)

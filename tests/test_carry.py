"""Finished training jobs carried between results directories (ghostlearn.carry)."""

import json
import os

import pytest

from ghostlearn.carry import JOB_FILES, restore_runs, save_runs


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
    assert save_runs(tmp_path / "old", tmp_path / "kept", tasks) == ["exp"]
    fresh = tmp_path / "new"
    (fresh / "runs/rnn").mkdir(parents=True)
    (fresh / "runs/rnn/job_plan.json").write_text(json.dumps({"other": {"sizes": [1]}}))
    assert restore_runs(tmp_path / "kept", tmp_path / "changed", {"exp": "entry-b"}) == ([], ["exp"])
    assert not (tmp_path / "changed").exists()  # a changed config entry trains anew
    assert restore_runs(tmp_path / "kept", fresh, {"exp": "entry-a"}) == (["exp"], [])
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


def test_only_finished_and_planned_experiments_are_kept(tmp_path):
    tasks = _finished(tmp_path / "old")
    (tmp_path / "old/runs/rnn/exp/job1/checkpoints.pt").unlink()
    with pytest.raises(ValueError, match="exp: training has not finished .*job1/checkpoints.pt"):
        save_runs(tmp_path / "old", tmp_path / "kept", tasks)
    with pytest.raises(ValueError, match="nope: no stored job plan"):
        save_runs(tmp_path / "old", tmp_path / "kept", {"nope": "tasks/t.parquet"})
    assert not (tmp_path / "kept").exists()
    assert restore_runs(tmp_path / "kept", tmp_path / "new", {}) == ([], [])

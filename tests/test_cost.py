"""The cost model, the automatic split of experiments into jobs and the predicted wall time."""

import json

import pytest
from conftest import ROOT

from ghostlearn.config import load_config, rnn_experiments, rnn_jobs, rnn_networks
from ghostlearn.rnn.cost import (
    THROUGHPUT,
    CostModel,
    describe_plan,
    fit_kernel,
    job_shape,
    plan_jobs,
    split,
    stored_plan,
    task_steps,
    task_trials,
    wall_time,
)

MODEL = CostModel(
    {("rank_one", "fused"): (1e-5, 1e-9), ("task_full", "autograd"): (3e-5, 2e-10)}, 7e-9, 3e-9, "test"
)


def _exp(epochs=1000, seeds=10, lrs=10, **extra):
    return {
        "model": {"family": "rank_one", "N": 100, "alpha": 0.5, "c": 10.0},
        "task": {"kind": "delayed_activation", "T": 20},
        "learning_rates": {"logspace": [-3, -1, lrs]},
        "seeds": {"range": [0, seeds - 1]},
        "epochs": epochs,
        "kernel": "fused",
        **extra,
    }


def test_task_sizes():
    assert task_steps({"kind": "delayed_activation", "T": 20}) == 40
    dmts = {"kind": "dmts", "n_in": 6, "n_delay": 16, "n_response": 10, "trials_per_class": 500}
    assert task_steps(dmts) == 38 and task_trials(dmts) == 2000
    dcdt = {"kind": "dcdt", "n_in": 2, "n_delay": 10, "n_response": 10, "trials_per_class": 1}
    assert task_steps(dcdt) == 22 and task_trials(dcdt) == 2


def test_epoch_cost_is_call_overhead_plus_work_plus_draws():
    exp = {
        "model": {"family": "task_full", "N": 100, "sigma_rec": 0.01, "sigma_init": 0.1},
        "task": {"kind": "dcdt", "n_in": 2, "n_delay": 10, "n_response": 10, "trials_per_class": 1},
        "epochs": 10,
    }
    shape = job_shape(exp, 3)
    assert shape.draws_per_network == 22 * 2 * 100 + 2 * 100 and shape.work == 100 * 100
    expected = 3e-5 * 22 + 2e-10 * 3 * 22 * 2 * 100 * 100 + 7e-9 * 3 * shape.draws_per_network
    assert MODEL.epoch_seconds(shape) == pytest.approx(expected)
    with pytest.raises(KeyError, match="rank_k"):
        MODEL.epoch_seconds(job_shape({**exp, "model": {"family": "rank_k", "K": 2}}, 1))


def test_fit_recovers_the_coefficients_of_exact_points():
    exp = _exp()
    points = [(job_shape(exp, E), 2e-5 * 40 + 3e-9 * E * 40 * 100) for E in (1, 2, 64, 300)]
    per_step, per_unit = fit_kernel(points, 0.0, 0.0)
    assert per_step == pytest.approx(2e-5, rel=1e-6) and per_unit == pytest.approx(3e-9, rel=1e-6)


def test_split_and_wall_time():
    assert split(10, 3) == [10] and split(5, 1) == [5]  # jobs of at least JOB_QUANTUM = 32 networks
    assert (
        split(100, 3) == [64, 36] and split(100, 4) == [32, 32, 32, 4] and split(3000, 3) == [1024, 1024, 952]
    )
    assert wall_time([("a", 5.0, None), ("b", 3.0, None), ("c", 3.0, None)], 2) == 6.0
    # a continuation waits for every job of its parent
    assert wall_time([("a", 5.0, None), ("a", 1.0, None), ("b", 2.0, "a")], 2) == 7.0
    assert wall_time([("b", 2.0, "a")], 2) == 2.0  # a parent outside the list has run already


def test_plan_splits_the_long_experiments_so_no_job_exceeds_the_run_over_the_cores():
    experiments = {
        "big": _exp(epochs=2_000_000),  # 100 networks, about 20 h unsplit
        "small": _exp(epochs=1000),
        "one": _exp(epochs=1_000_000, seeds=1, lrs=1),  # one network: never split
        "fixed": _exp(epochs=2_000_000, networks_per_job=50),
    }
    counts = {name: len(rnn_networks(exp)) for name, exp in experiments.items()}
    for cores in (1, 2, 8, 64):
        sizes = plan_jobs(experiments, counts, cores, MODEL, min_job_s=60)
        total = sum(MODEL.job_seconds(experiments[n], s) for n, js in sizes.items() for s in js)
        assert sizes["fixed"] == [50, 50] and sizes["one"] == [1] and sizes["small"] == [100]
        assert all(s % 32 == 0 for s in sizes["big"][:-1]) and sum(sizes["big"]) == 100
        longest = max(MODEL.job_seconds(experiments["big"], s) for s in sizes["big"])
        assert longest <= max(total / cores, 60) or len(sizes["big"]) == 4
    assert len(plan_jobs(experiments, counts, 1, MODEL)["big"]) == 1
    assert len(plan_jobs(experiments, counts, 8, MODEL)["big"]) > 1


def test_a_run_of_some_experiments_is_planned_against_their_own_total(tmp_path):
    experiments = {"big": _exp(epochs=2_000_000), "mid": _exp(epochs=400_000), "small": _exp(epochs=1000)}
    counts = {name: len(rnn_networks(exp)) for name, exp in experiments.items()}
    whole = plan_jobs(experiments, counts, 2, MODEL, min_job_s=60)
    assert whole["mid"] == [100]  # beside "big" it is short enough unsplit
    scoped = plan_jobs(experiments, counts, 2, MODEL, min_job_s=60, scope=["mid"])
    assert len(scoped["mid"]) > 1 and sum(scoped["mid"]) == 100  # alone, unsplit, it would leave a core idle
    assert scoped["big"] == whole["big"] and scoped["small"] == whole["small"]
    sizes, _ = stored_plan(tmp_path / "plan.json", experiments, counts, 2, MODEL, scope=["mid"])
    assert sizes["mid"] == plan_jobs(experiments, counts, 2, MODEL, scope=["mid"])["mid"]
    assert sizes["big"] == plan_jobs(experiments, counts, 2, MODEL)["big"]


def test_jobs_follow_the_plan_and_reject_a_plan_of_another_size():
    exp = _exp()
    jobs = rnn_jobs(exp, sizes=[40, 40, 20])
    assert [len(j) for j in jobs] == [40, 40, 20]
    assert [n["network"] for j in jobs for n in j] == list(range(100))
    with pytest.raises(ValueError, match="job plan of 90 networks"):
        rnn_jobs(exp, sizes=[45, 45])


def test_a_stored_plan_survives_a_restart_with_other_cores(tmp_path):
    experiments = {"big": _exp(epochs=2_000_000), "small": _exp(epochs=1000)}
    counts = {name: len(rnn_networks(exp)) for name, exp in experiments.items()}
    path = tmp_path / "plan.json"
    first, kept = stored_plan(path, experiments, counts, 8, MODEL)
    assert kept == [] and len(first["big"]) > 1
    again, kept = stored_plan(path, experiments, counts, 1, MODEL)
    assert again == first and kept == ["big", "small"]
    # a changed experiment is planned anew (for the cores now given); the others keep their sizes
    changed = {**experiments, "small": _exp(epochs=2000)}
    sizes, kept = stored_plan(path, changed, counts, 1, MODEL)
    assert kept == ["big"] and sizes["big"] == first["big"]
    assert json.loads(path.read_text())["small"]["cores"] == 1
    # a remote job (no cores known) reads the plan and refuses an experiment it does not hold
    with pytest.raises(ValueError, match="no stored job plan for new"):
        stored_plan(path, {**changed, "new": _exp()}, {**counts, "new": 100}, None, MODEL)
    unwritten = tmp_path / "dry.json"
    stored_plan(unwritten, experiments, counts, 2, MODEL, write=False)
    assert not unwritten.exists()


def test_the_shipped_model_covers_every_family_and_kernel_of_the_paper_config():
    model = CostModel.load(THROUGHPUT)
    experiments = rnn_experiments(load_config(ROOT / "config" / "config.yaml")["rnn"])
    for name, exp in experiments.items():
        key = (exp["model"]["family"], exp.get("kernel", "autograd"))
        assert key in model.kernels, f"{name}: no measured throughput for {key}"
    counts = {name: len(rnn_networks(exp, experiments)) for name, exp in experiments.items()}
    text = describe_plan(experiments, plan_jobs(experiments, counts, 2, model), model, 2)
    assert text.startswith("estimated RNN training") and "fig6b_K100" in text


def test_an_unset_job_size_is_left_to_the_plan():
    experiments = load_config(ROOT / "config" / "test.yaml")["rnn"]["experiments"]
    assert "networks_per_job" not in experiments["fig3_small_lr"]
    assert experiments["rank_one_sweep"]["networks_per_job"] == 2

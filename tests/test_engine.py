"""The batched engine: grouping invariance, divergence, optimisers, resume after SIGKILL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ghostlearn.rnn.engine import HistoryBuffer, TaskData, Trainer, TrainSpec, load_checkpoint, train
from ghostlearn.rnn.models import make_family
from ghostlearn.tasks import dcdt, delayed_activation, dmts

RANK_ONE = make_family("rank_one")
DCDT_FULL = make_family("task_full", readout="tanh", sigma_rec=0.01, sigma_init=0.1)
CANONICAL_TASK = TaskData.from_table(delayed_activation(20))
DCDT_TASK = TaskData.from_table(dcdt(2, 10, 10, 1))
DMTS_TASK = TaskData.from_table(dmts(2, 5, 4, 2))


def run(family, task, seeds, lrs, epochs, **kw):
    trainer = Trainer(family, task, TrainSpec(seeds=seeds, lrs=lrs, epochs=epochs, **kw))
    records = [trainer.step() for _ in range(epochs)]
    if not records:
        return {}, trainer
    return {k: torch.stack([r[k] for r in records]) for k in records[0]}, trainer


def assert_split_changes_no_bit(family, task, seeds, lrs, epochs, at, keys=("loss",), **kw):
    """One job of ``seeds`` against two jobs split at ``at``: every history key and parameter bitwise."""
    together, t_all = run(family, task, seeds, lrs, epochs, **kw)
    first, t_a = run(family, task, seeds[:at], lrs[:at], epochs, **kw)
    second, t_b = run(family, task, seeds[at:], lrs[at:], epochs, **kw)
    for key in keys:
        torch.testing.assert_close(together[key], torch.cat([first[key], second[key]], 1), rtol=0, atol=0)
    for name in t_all.params:
        torch.testing.assert_close(
            t_all.params[name], torch.cat([t_a.params[name], t_b.params[name]]), rtol=0, atol=0
        )


GROUPED = [
    (RANK_ONE, CANONICAL_TASK),
    (make_family("rank_k", K=3), CANONICAL_TASK),
    (make_family("full_canonical"), CANONICAL_TASK),
    (make_family("task_low_rank", K=2, readout="sigmoid", sigma_rec=0.01, sigma_init=0.3), DMTS_TASK),
    (DCDT_FULL, DCDT_TASK),
]


@pytest.mark.parametrize("kernel", ["autograd", "fused"])
@pytest.mark.parametrize(("family", "task"), GROUPED, ids=lambda v: getattr(v, "name", ""))
def test_results_do_not_depend_on_how_networks_are_grouped(family, task, kernel):
    """Bitwise, for every family and kernel, for jobs of two or more networks (a lone network may take
    other BLAS/vector paths)."""
    seeds, lrs = [0, 1, 2, 3], [0.02, 0.05, 0.01, 0.03]
    keys = ("loss", "grad_norm", "accuracy")
    assert_split_changes_no_bit(family, task, seeds, lrs, 15, 2, keys, kernel=kernel)


def test_a_job_larger_than_one_backward_chunk_rounds_like_smaller_jobs():
    """rank_one's fused backward takes BACKWARD_CHUNK networks at a time: a job of more networks (the
    paper's jobs of 256) gives each network the bits it gets in a job of at most that many (a split by
    the planner, or another --cores, must not change a chaotic run's fate)."""
    size = RANK_ONE.BACKWARD_CHUNK
    seeds = list(range(size + 6))
    lrs = [0.02 + 0.001 * (s % 5) for s in seeds]
    assert_split_changes_no_bit(RANK_ONE, CANONICAL_TASK, seeds, lrs, 15, size, kernel="fused")


def test_low_rank_backward_chunks_do_not_depend_on_the_job_size(monkeypatch):
    """task_low_rank's fused backward takes the time steps in chunks: their length is set per network,
    so a job of 4 networks rounds each network as jobs of 2 do (the chunks group the sums over time)."""
    from ghostlearn.rnn import kernels_task

    family, task = GROUPED[3]
    B, N = task.targets.shape[0], family.N
    monkeypatch.setattr(kernels_task, "LOW_RANK_CHUNK_ELEMENTS", 12 * B * N)  # chunks of 12 steps
    kernels_task.clear_workspace()
    seeds, lrs = [0, 1, 2, 3], [0.02, 0.05, 0.01, 0.03]
    assert_split_changes_no_bit(family, task, seeds, lrs, 10, 2, kernel="fused")


def test_a_diverging_network_is_frozen_and_marked_while_the_others_go_on():
    family = make_family("full_canonical")
    healthy, _ = run(family, CANONICAL_TASK, [0, 1], [0.05, 0.05], 12)
    _, mixed = run(family, CANONICAL_TASK, [0, 1], [0.05, 0.05], 0)
    records = []
    for epoch in range(12):
        if epoch == 4:
            mixed.params["b"][1, 0] = float("nan")  # network 1 blows up
        records.append(mixed.step())
    assert records[-1]["diverged"].tolist() == [False, True]
    assert mixed.diverged_epoch.tolist() == [-1, 5]
    assert torch.isnan(records[4]["loss"][1])
    losses = torch.stack([r["loss"][0] for r in records])
    torch.testing.assert_close(losses, healthy["loss"][:, 0], rtol=0, atol=0)
    frozen = {k: v[1].clone() for k, v in mixed.params.items()}
    mixed.step()
    for name, value in frozen.items():
        torch.testing.assert_close(mixed.params[name][1], value, rtol=0, atol=0, equal_nan=True)


def test_sgd_is_plain_gradient_descent_with_per_network_rates():
    _, slow = run(RANK_ONE, CANONICAL_TASK, [5], [0.0], 3)
    _, init = run(RANK_ONE, CANONICAL_TASK, [5], [0.0], 0)
    for name in slow.params:
        torch.testing.assert_close(slow.params[name], init.params[name], rtol=0, atol=0)


def test_adam_matches_torch_adam():
    family = make_family("task_full", readout="sigmoid")
    task = TaskData.from_table(dcdt(2, 10, 10, 2))
    _, trainer = run(family, task, [7], [0.01], 0, optimizer="adam")
    params = {k: v[0].clone().requires_grad_(True) for k, v in trainer.params.items()}
    reference = torch.optim.Adam(params.values(), lr=0.01)
    for _ in range(5):
        reference.zero_grad()
        stacked = {k: v[None] for k, v in params.items()}
        outputs, loss = trainer.evaluate(stacked)
        loss.sum().backward()
        reference.step()
        trainer.step()
    for name, value in params.items():
        torch.testing.assert_close(trainer.params[name][0], value.detach(), rtol=1e-5, atol=1e-7)


SCRIPT = """
import sys, time
from ghostlearn.rnn.engine import TaskData, TrainSpec, train
from ghostlearn.rnn.models import make_family
from ghostlearn.tasks import dcdt
family = make_family("task_full", readout="tanh", sigma_rec=0.01, sigma_init=0.1)
spec = TrainSpec(seeds=[3, 4], lrs=[0.01, 0.02], epochs=int(sys.argv[2]), checkpoint_epochs=[0, 10],
                 checkpoint_every=int(sys.argv[3]), history_every=2)
history, trainer = train(family, TaskData.from_table(dcdt(2, 10, 10, 1)), spec, sys.argv[1])
history.to_parquet(sys.argv[1] + "/final_history.parquet")
import torch
torch.save(trainer.params, sys.argv[1] + "/final_params.pt")
"""


def _train_subprocess(workdir: Path, epochs: int, every: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(workdir), str(epochs), str(every)])


def test_sigkill_and_rerun_equals_an_uninterrupted_run(tmp_path):
    epochs = 400
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    reference.mkdir()
    killed.mkdir()
    assert _train_subprocess(reference, epochs, 50).wait(timeout=300) == 0
    process = _train_subprocess(killed, epochs, 50)
    deadline = time.time() + 120
    while not list((killed / "checkpoints").glob("epoch_0000001[5-9]0.pt")) and time.time() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "final_params.pt").exists(), "the run finished before it could be killed"
    assert _train_subprocess(killed, epochs, 50).wait(timeout=300) == 0
    import pandas as pd

    pd.testing.assert_frame_equal(
        pd.read_parquet(reference / "final_history.parquet"),
        pd.read_parquet(killed / "final_history.parquet"),
    )
    ref_params = torch.load(reference / "final_params.pt")
    new_params = torch.load(killed / "final_params.pt")
    for name in ref_params:
        torch.testing.assert_close(new_params[name], ref_params[name], rtol=0, atol=0)
    assert sorted(p.name for p in (killed / "checkpoints").glob("*.pt")) == [
        "epoch_000000000.pt",
        "epoch_000000010.pt",
        f"epoch_{epochs:09d}.pt",
    ]


def test_corrupted_checkpoint_is_named_and_skipped(tmp_path):
    spec = TrainSpec(seeds=[1], lrs=[0.02], epochs=20, checkpoint_epochs=[10])
    history, trainer = train(RANK_ONE, CANONICAL_TASK, spec, tmp_path)
    final = tmp_path / "checkpoints" / f"epoch_{20:09d}.pt"
    final.write_bytes(final.read_bytes()[:100])
    with pytest.raises(ValueError, match=str(final)):
        load_checkpoint(final)
    log = tmp_path / "log.txt"
    with open(log, "w") as handle:
        again, retrained = train(RANK_ONE, CANONICAL_TASK, spec, tmp_path, log=handle)
    assert "not resuming from epoch_000000020.pt" in log.read_text()
    assert "epoch_000000010.pt at epoch 10" in log.read_text()
    np.testing.assert_array_equal(again["loss"].to_numpy(), history["loss"].to_numpy())
    torch.testing.assert_close(retrained.params["m"], trainer.params["m"], rtol=0, atol=0)


def test_checkpoint_of_another_experiment_is_not_resumed(tmp_path):
    spec = TrainSpec(seeds=[1], lrs=[0.02], epochs=10, fingerprint="a")
    train(RANK_ONE, CANONICAL_TASK, spec, tmp_path)
    other = TrainSpec(seeds=[1], lrs=[0.02], epochs=10, fingerprint="b")
    history, trainer = train(RANK_ONE, CANONICAL_TASK, other, tmp_path)
    assert trainer.epoch == 10 and len(history) == 10


def test_history_thinning_keeps_report_epochs_first_and_last(tmp_path):
    spec = TrainSpec(seeds=[1, 2], lrs=[0.02, 0.02], epochs=50, history_every=20, keep_epochs=[7])
    history, _ = train(RANK_ONE, CANONICAL_TASK, spec, tmp_path)
    assert sorted(history["epoch"].unique()) == [1, 7, 20, 40, 50]
    assert set(history["network"]) == {0, 1}
    assert history["loss"].dtype == np.float32


def test_bad_specs_are_rejected():
    with pytest.raises(ValueError, match="optimizer"):
        TrainSpec(seeds=[1], lrs=[0.1], epochs=5, optimizer="rmsprop")
    with pytest.raises(ValueError, match="checkpoint_epochs"):
        TrainSpec(seeds=[1], lrs=[0.1], epochs=5, checkpoint_epochs=[9])
    with pytest.raises(ValueError, match="one entry per network"):
        TrainSpec(seeds=[1, 2], lrs=[0.1], epochs=5)
    with pytest.raises(ValueError, match="unknown family"):
        make_family("lstm")


def test_float64_is_selectable():
    records, trainer = run(RANK_ONE, CANONICAL_TASK, [40], [0.02], 3, dtype="float64")
    assert trainer.params["m"].dtype == torch.float64
    assert records["loss"].dtype == torch.float64


@pytest.mark.parametrize("kernel", ["autograd", "fused"])
def test_compiled_kernels_train_like_eager_ones(kernel):
    task = TaskData.from_table(delayed_activation(3))
    family = make_family("rank_one", N=8)
    losses = {}
    for compiled in (False, True):
        trainer = Trainer(family, task, TrainSpec([0, 1], [0.1, 0.2], 5, kernel=kernel, compile=compiled))
        losses[compiled] = torch.stack([trainer.step()["loss"] for _ in range(5)])
    torch.testing.assert_close(losses[True], losses[False], rtol=1e-5, atol=1e-6)


def test_fixed_points_are_counted_on_the_fly():
    from ghostlearn.dynamics.fixedpoints import count_sign_changes, flow_curve

    trainer = Trainer(RANK_ONE, CANONICAL_TASK, TrainSpec([0, 40], [0.02, 0.02], 3, count_fixed_points=True))
    params = {k: v.clone() for k, v in trainer.params.items()}
    record = trainer.step()
    grid = np.linspace(-15, 15, 1000)
    for i in range(2):
        m, n, b = (params[k][i].double().numpy() for k in ("m", "n", "b"))
        assert record["fixed_points"][i].item() == count_sign_changes(flow_curve(m, n, b, grid))
        assert record["kappa0"][i].item() == pytest.approx(-0.3 * n.sum(), rel=1e-5)
    with pytest.raises(ValueError, match="count_fixed_points"):
        Trainer(DCDT_FULL, DCDT_TASK, TrainSpec([0], [0.1], 1, count_fixed_points=True))


# -- jobs of stacked networks, continuations (start_from) and per-network model values ----------------


def _run_jobs(exp, experiments, task_table, workdir, size, parents=()):
    """Train an experiment in jobs of ``size`` networks through run_job; return its history and end."""
    import pandas as pd

    from ghostlearn.config import rnn_jobs
    from ghostlearn.rnn.training import run_job

    exp = {**exp, "networks_per_job": size}
    histories, ends = [], []
    for j, networks in enumerate(rnn_jobs(exp, {**experiments, "this": exp})):
        history, _, checkpoints = run_job(
            exp, networks, task_table, workdir / f"job{j}", device="cpu", parent_checkpoints=list(parents)
        )
        histories.append(history)
        ends.append(checkpoints)
    return pd.concat(histories).sort_values(["network", "epoch"], ignore_index=True), ends


RANK_ONE_EXP = {
    "model": {"family": "rank_one", "N": 100, "alpha": 0.5, "c": 10.0},
    "task": {"kind": "delayed_activation", "T": 20},
    "learning_rates": [0.02, 0.05, 0.1, 0.3],
    "seeds": list(range(10)),
    "epochs": 12,
}


def test_one_job_of_40_networks_equals_four_jobs_of_10(tmp_path):
    import pandas as pd

    table = delayed_activation(20)
    one, _ = _run_jobs(RANK_ONE_EXP, {}, table, tmp_path / "one", 40)
    four, ends = _run_jobs(RANK_ONE_EXP, {}, table, tmp_path / "four", 10)
    assert len(ends) == 4 and one["network"].nunique() == 40
    pd.testing.assert_frame_equal(one, four)
    # the continuation of a grid over c (4 confidences x 10 seeds) is grouping-invariant too
    parent = {**RANK_ONE_EXP, "learning_rates": [0.05]}
    _, parent_ends = _run_jobs(parent, {}, table, tmp_path / "parent", 3)
    child = {
        **parent,
        "start_from": {"experiment": "parent", "optimizer_state": "fresh"},
        "grid": {"c": [0.01, 0.1, 1.0, 10.0]},
        "epochs": 6,
    }
    runs = [
        _run_jobs(child, {"parent": parent}, table, tmp_path / f"child{size}", size, parent_ends)[0]
        for size in (40, 10)
    ]
    assert runs[0]["network"].nunique() == 40
    pd.testing.assert_frame_equal(*runs)


def test_a_kept_optimiser_continuation_equals_an_uninterrupted_run(tmp_path):
    """Adam moments, step count and each network's noise stream carry over (Fig. 8C's switch)."""
    import pandas as pd

    table = dcdt(2, 10, 10, 2)
    whole = {
        "model": {"family": "task_full", "sigma_rec": 0.01, "sigma_init": 0.1, "readout": "tanh"},
        "task": {"kind": "dcdt", "n_in": 2, "n_delay": 10, "n_response": 10, "trials_per_class": 2},
        "optimizer": "adam",
        "learning_rates": [0.01],
        "seeds": [3, 4],
        "epochs": 16,
    }
    reference, _ = _run_jobs(whole, {}, table, tmp_path / "whole", 2)
    first = {**whole, "epochs": 10}
    _, first_ends = _run_jobs(first, {}, table, tmp_path / "first", 2)
    second = {**whole, "epochs": 6, "start_from": {"experiment": "first", "optimizer_state": "keep"}}
    rest, _ = _run_jobs(second, {"first": first}, table, tmp_path / "second", 2, first_ends)
    rest["epoch"] += 10
    tail = reference[reference["epoch"] > 10].reset_index(drop=True)
    pd.testing.assert_frame_equal(rest.reset_index(drop=True), tail)
    fresh = {**second, "start_from": {"experiment": "first", "optimizer_state": "fresh"}}
    restarted, _ = _run_jobs(fresh, {"first": first}, table, tmp_path / "fresh", 2, first_ends)
    assert not np.allclose(restarted["loss"].iloc[2:], rest["loss"].iloc[2:])  # new Adam moments differ


def test_a_grid_confidence_is_fixed_and_equals_the_model_value():
    c10, plain = (
        Trainer(RANK_ONE, CANONICAL_TASK, TrainSpec([0, 1], [0.02, 0.02], 5, network_values=values))
        for values in ({"c": [10.0, 10.0]}, {})
    )
    low = Trainer(
        RANK_ONE, CANONICAL_TASK, TrainSpec([0, 1], [0.02, 0.02], 5, network_values={"c": [0.01, 10.0]})
    )
    for _ in range(5):
        a, b = c10.step(), plain.step()
        low.step()
        torch.testing.assert_close(a["loss"], b["loss"], rtol=0, atol=0)
        torch.testing.assert_close(a["grad_norm"], b["grad_norm"], rtol=0, atol=0)
    assert c10.params["c"].tolist() == [10.0, 10.0] and "c" not in c10.moments
    assert low.params["c"][0].item() == pytest.approx(0.01)
    assert not torch.equal(low.params["m"][0], plain.params["m"][0])
    torch.testing.assert_close(low.params["m"][1], plain.params["m"][1], rtol=0, atol=0)
    learnable = make_family("rank_one", trainable_c=True)
    trained = Trainer(learnable, CANONICAL_TASK, TrainSpec([40], [0.5], 3, network_values={"c": [1.0]}))
    for _ in range(3):
        trained.step()
    assert trained.params["c"].item() != 1.0  # trainable_c: the grid value is where c starts


def test_infinite_output_norm_is_no_normalisation_and_finite_sets_the_l1_norm():
    task = TaskData.from_table(dcdt(2, 10, 10, 2))
    spec = {"seeds": [0, 1], "lrs": [0.01, 0.01], "epochs": 3, "optimizer": "adam"}
    inf = Trainer(DCDT_FULL, task, TrainSpec(**spec, network_values={"output_l1_norm": [np.inf, 0.5]}))
    plain = Trainer(DCDT_FULL, task, TrainSpec(**spec))
    for _ in range(3):
        a, b = inf.step(), plain.step()
        torch.testing.assert_close(a["loss"][0], b["loss"][0], rtol=0, atol=0)
    inf._normalise_output()
    assert inf.params["w_out"][1].abs().sum().item() == pytest.approx(0.5, rel=1e-5)


def test_time_averages_are_the_mean_over_every_epoch(tmp_path):
    spec = TrainSpec(seeds=[1, 2], lrs=[0.02, 0.05], epochs=30, checkpoint_every=10)
    history, trainer = train(DCDT_FULL, DCDT_TASK, spec, tmp_path)
    means = trainer.time_averages()
    expected = history.groupby("network")["loss"].mean().to_numpy()
    np.testing.assert_allclose(means["mean_loss"], expected, rtol=1e-5)
    assert means["mean_weight_norm"].shape == (2,)
    _, resumed = train(DCDT_FULL, DCDT_TASK, spec, tmp_path)  # resumed at the end: same averages
    np.testing.assert_array_equal(resumed.time_averages()["mean_loss"], means["mean_loss"])


def test_history_buffer_grows_past_its_capacity_and_keeps_every_row():
    rows = HistoryBuffer(capacity=3)
    for epoch in range(1, 8):
        rows.append(
            {
                "loss": torch.tensor([epoch, -epoch], dtype=torch.float32),
                "diverged": torch.tensor([False, epoch > 5]),
            },
            epoch,
        )
    frame = rows.frame()
    assert len(rows) == 0 and rows.frame().empty
    assert frame["epoch"].tolist() == [e for e in range(1, 8) for _ in range(2)]
    assert frame["network"].tolist() == [0, 1] * 7
    assert frame["loss"].tolist() == [v for e in range(1, 8) for v in (e, -e)]
    assert frame["loss"].dtype == np.float32 and frame["diverged"].dtype == bool
    assert frame["diverged"].tolist() == [v for e in range(1, 8) for v in (False, e > 5)]


@pytest.mark.parametrize(("B", "N"), [(2, 100), (4, 100), (3, 7)])
def test_recurrent_noise_is_drawn_as_the_authors_one_step_at_a_time(B, N):
    """torch fills normal tensors in blocks of 16: one (S, B, N) draw differs from S draws of (B, N)
    unless B·N is a multiple of 16 (Fig. 5 DCDT: B·N = 200 differed from its first epoch)."""
    from ghostlearn.rnn.engine import recurrent_noise

    g = torch.Generator().manual_seed(3)
    drawn = recurrent_noise(22, B, N, g)
    g = torch.Generator().manual_seed(3)
    authors = torch.stack([torch.randn((B, N), generator=g) for _ in range(22)])
    assert torch.equal(drawn, authors)


def test_fig5_dcdt_follows_the_authors_run_from_its_first_epoch():
    """Seed 3, SGD 0.01, B = 2 (Fig. 5 A-C): the authors' class gives 0.82848 at the first epoch and
    0.45223 at the 101st on this CPU (with one (S, B, N) noise draw the engine gave 0.8281 and 0.367)."""
    family = make_family("task_full", readout="tanh", sigma_rec=0.01, sigma_init=0.1)
    records, _ = run(family, DCDT_TASK, [3], [0.01], 101)
    assert records["loss"][0, 0].item() == pytest.approx(0.8284771, rel=1e-6)
    assert records["loss"][100, 0].item() == pytest.approx(0.4522290, rel=1e-5)


@pytest.mark.parametrize(("family", "task"), GROUPED, ids=lambda v: getattr(v, "name", ""))
def test_a_diverging_network_is_frozen_with_the_fused_kernels_too(family, task):
    """A NaN in one network leaves its neighbours' numbers untouched (the kernels mix no networks)."""
    healthy, _ = run(family, task, [0, 1], [0.05, 0.05], 8, kernel="fused")
    _, mixed = run(family, task, [0, 1], [0.05, 0.05], 0, kernel="fused")
    records = []
    for epoch in range(8):
        if epoch == 3:
            mixed.params["b"][1, 0] = float("nan")
        records.append(mixed.step())
    assert records[-1]["diverged"].tolist() == [False, True] and mixed.diverged_epoch.tolist() == [-1, 4]
    losses = torch.stack([r["loss"][0] for r in records])
    torch.testing.assert_close(losses, healthy["loss"][:, 0], rtol=0, atol=0)

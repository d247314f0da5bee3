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

from ghostlearn.engine import TaskData, Trainer, TrainSpec, load_checkpoint, train
from ghostlearn.models import make_family
from ghostlearn.tasks import dcdt, delayed_activation

RANK_ONE = make_family("rank_one")
DCDT_FULL = make_family("task_full", readout="tanh", sigma_rec=0.01, sigma_init=0.1)
CANONICAL_TASK = TaskData.from_table(delayed_activation(20))
DCDT_TASK = TaskData.from_table(dcdt(2, 10, 10, 1))


def run(family, task, seeds, lrs, epochs, **kw):
    trainer = Trainer(family, task, TrainSpec(seeds=seeds, lrs=lrs, epochs=epochs, **kw))
    records = [trainer.step() for _ in range(epochs)]
    if not records:
        return {}, trainer
    return {k: torch.stack([r[k] for r in records]) for k in records[0]}, trainer


@pytest.mark.parametrize(("family", "task"), [(RANK_ONE, CANONICAL_TASK), (DCDT_FULL, DCDT_TASK)])
def test_results_do_not_depend_on_how_networks_are_grouped(family, task):
    """Bitwise, for jobs of two or more networks (a lone network may take other BLAS/vector paths)."""
    seeds, lrs = [0, 1, 2, 3], [0.02, 0.05, 0.01, 0.03]
    together, t_all = run(family, task, seeds, lrs, 15)
    first, t_a = run(family, task, seeds[:2], lrs[:2], 15)
    second, t_b = run(family, task, seeds[2:], lrs[2:], 15)
    for key in ("loss", "grad_norm", "accuracy"):
        torch.testing.assert_close(together[key], torch.cat([first[key], second[key]], 1), rtol=0, atol=0)
    for name in t_all.params:
        torch.testing.assert_close(
            t_all.params[name], torch.cat([t_a.params[name], t_b.params[name]]), rtol=0, atol=0
        )


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
from ghostlearn.engine import TaskData, TrainSpec, train
from ghostlearn.models import make_family
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
    from ghostlearn.fixedpoints import count_sign_changes, flow_curve

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

"""Experiment tables of the 1-D model, including the Fig. 2d reference landmarks."""

import numpy as np
import pandas as pd
import pytest

from ghostlearn.oned import canonical
from ghostlearn.oned.tables import (
    cliff_table,
    critical_lr_table,
    fixed_point_table,
    landscape_table,
    loss_per_start,
    loss_vs_lr,
    power_law_table,
    run_gd,
    vector_field_table,
)
from ghostlearn.tasks import delayed_activation_1d

TASK = delayed_activation_1d(100, 0.1).assign(T=100.0, dt=0.1)
SWEEP = {
    "learning_rates": {"logspace": [-11, -8, 100]},
    "init": {"distribution": "normal", "mean": 10.0, "sd": 0.1, "seed": "lr_index"},
    "starts": 10,
    "epochs": 10000,
    "record_every": 1000,
    "report_epochs": [1000, 10000],
}


@pytest.fixture(scope="module")
def sweep():
    runs, history = run_gd(SWEEP, TASK)
    return runs, history, loss_vs_lr(runs, history, [1000, 10000])


def test_run_gd_tables(sweep):
    runs, history, _ = sweep
    assert len(runs) == 1000
    assert set(history["epoch"]) == set(range(0, 10001, 1000))
    assert len(history) == 1000 * 11
    assert runs["lr_index"].max() == 99 and runs["start"].max() == 9
    np.testing.assert_allclose(runs["lr_over_critical"] * canonical.critical_lr(100), runs["lr"])


def test_fig2d_reference_landmarks(sweep):
    """docs/methods.md §3 Fig. 2d: floor 0.035 at 2.0e-10 (epoch 1000), 0.0034 at 1.6e-11 (epoch 10000), and
    every curve jumps to L = 1 at eta = 1e-9 = 1.1 eta_c."""
    _, _, summary = sweep
    cliffs = cliff_table(summary).set_index("epoch")
    assert cliffs.loc[1000, "floor_mean_loss"] == pytest.approx(0.035, abs=1e-3)
    assert cliffs.loc[1000, "floor_lr"] == pytest.approx(2.0e-10, rel=0.02)
    assert cliffs.loc[10000, "floor_mean_loss"] == pytest.approx(0.0034, abs=2e-4)
    assert cliffs.loc[10000, "floor_lr"] == pytest.approx(1.6e-11, rel=0.03)
    np.testing.assert_allclose(cliffs["all_fail_over_critical"], 1.095, atol=0.01)
    assert (cliffs["cliff_over_critical"] > 1.0).all() and (cliffs["cliff_over_critical"] < 1.1).all()
    smallest = summary[summary["lr"] == summary["lr"].min()].set_index("epoch")["mean_loss"]
    assert smallest[1000] == pytest.approx(0.68, abs=0.01)
    assert smallest[10000] == pytest.approx(0.61, abs=0.01)


def test_loss_per_start_gives_the_mean_and_population_sem(sweep):
    """Fig. 2d is drawn from every start's loss: its mean and population SEM per (lr, epoch) are the
    summary's."""
    runs, history, summary = sweep
    starts = loss_per_start(runs, history, [1000, 10000])
    assert len(starts) == len(runs) * 2 and set(starts["start"]) == set(range(10))
    grouped = starts.groupby(["lr_index", "epoch"])["loss"]
    drawn = pd.DataFrame({"mean": grouped.mean(), "sem": grouped.std(ddof=0) / np.sqrt(grouped.size())})
    table = summary.merge(drawn.reset_index(), on=["lr_index", "epoch"], validate="one_to_one")
    assert len(table) == len(summary)
    np.testing.assert_allclose(table["mean"], table["mean_loss"], rtol=1e-12)
    np.testing.assert_allclose(table["sem"], table["sem_loss"], rtol=1e-12, atol=1e-18)


def test_loss_vs_lr_rejects_unstored_epochs(sweep):
    runs, history, _ = sweep
    with pytest.raises(ValueError, match="not stored"):
        loss_vs_lr(runs, history, [1500])


def test_landscape_table():
    table = landscape_table(TASK, [0.1, 1.0], [-1.0, 2.0], 100, 10.0, 1e6)
    assert set(table["confidence"]) == {np.inf, 0.1, 1.0}
    closed = table[np.isinf(table["confidence"])]
    assert len(closed) == 100
    np.testing.assert_allclose(closed["loss"], canonical.closed_form_loss(closed["r"], 100))
    low = table[(table["confidence"] == 0.1) & (table["r_over_ropt"] < 0.2)]
    np.testing.assert_allclose(low["loss"], 0.607, atol=2e-3)


def test_critical_lr_table_and_fit():
    tables = []
    for T in (50.0, 100.0, 200.0):
        exp = {
            "learning_rates": {"critical_multiples": [0.98, 1.02, 9]},
            "init": {"distribution": "uniform", "low": 1.0001, "high": 3.0, "seed": 0},
            "starts": 300,
            "epochs": 100,
            "record_every": 100,
        }
        task = delayed_activation_1d(T, 0.1).assign(T=T, dt=0.1)
        tables.append(run_gd(exp, task)[0])
    table = critical_lr_table(tables)
    np.testing.assert_allclose(table["failing_over_critical"], 1.005, rtol=1e-9)
    fit = power_law_table(table).set_index("quantity")
    assert fit.loc["smallest_failing_lr", "slope"] == pytest.approx(-5.0, rel=0.01)


def test_vector_field_tables():
    field = vector_field_table([0.5, -0.5], [-1, 1], 11)
    assert len(field) == 22
    points = fixed_point_table([0.5, -0.5])
    assert points["r"].tolist() == [-0.5, -0.5]
    assert isinstance(points, pd.DataFrame)

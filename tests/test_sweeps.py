"""Landmark rules of the RNN sweeps (ghostlearn.tables.sweeps) on hand-made tables with known answers."""

import numpy as np
import pandas as pd
import pytest

from ghostlearn.tables import sweeps
from ghostlearn.tables.landmarks import landmark_frame


def sweep_tables(losses_at_end, first=1.0, seeds=2):
    """Networks and a two-epoch history: every seed of learning rate i ends at losses_at_end[i]."""
    lrs = np.logspace(-3, 0, len(losses_at_end))
    rows, nets = [], []
    for i, (lr, end) in enumerate(zip(lrs, losses_at_end, strict=True)):
        for s in range(seeds):
            k = i * seeds + s
            nets.append(
                {"network": k, "lr": lr, "seed": s, "first_loss": first, "final_loss": end, "diverged": False}
            )
            rows += [{"network": k, "epoch": 1, "loss": first}, {"network": k, "epoch": 10, "loss": end}]
    return pd.DataFrame(nets), pd.DataFrame(rows), lrs


def test_cliff_per_epoch_finds_the_right_wall_of_the_valley():
    networks, history, lrs = sweep_tables([1.0, 0.6, 0.01, 0.02, 1.0, 1.0])
    summary = sweeps.loss_vs_lr(networks, history, [1, 10])
    cliff = sweeps.cliff_per_epoch(summary, 0.5).set_index("epoch")
    assert cliff.loc[10, "cliff_lr"] == pytest.approx(lrs[4])
    assert cliff.loc[10, "floor_lr"] == pytest.approx(lrs[2])
    assert np.isnan(cliff.loc[1, "cliff_lr"])  # no valley yet: every rate still at the plateau
    with pytest.raises(ValueError, match="not stored"):
        sweeps.loss_vs_lr(networks, history, [5])


def test_a_diverged_network_counts_with_its_first_loss():
    networks, history, _ = sweep_tables([0.01, 0.01], seeds=2)
    history.loc[history["network"].eq(1) & history["epoch"].eq(10), "loss"] = np.nan
    summary = sweeps.loss_vs_lr(networks, history, [10])
    assert summary["mean_loss"].iloc[0] == pytest.approx((0.01 + 1.0) / 2)
    assert summary["sem_loss"].iloc[0] == pytest.approx(np.std([0.01, 1.0]) / np.sqrt(2))


def test_fraction_learned_and_low_ranks_failing_first():
    def networks(final_losses):
        n = len(final_losses)
        return pd.DataFrame(
            {
                "network": range(n),
                "lr": np.repeat([0.01, 0.1, 1.0], n // 3),
                "first_loss": 0.5,
                "final_loss": final_losses,
                "diverged": False,
            }
        )

    low = networks([1e-4, 1e-4, 0.4, 1e-4, 0.5, 0.5])  # K = 1: fails from 0.1
    high = networks([1e-4, 1e-4, 1e-4, 1e-4, 0.5, 1e-4])  # K = 50: half still learns at 1.0
    fractions = sweeps.fraction_learned({1: low, 50: high}, 1e-2)
    table = fractions.set_index(["K", "lr"])["fraction_learned"]
    assert table[(1, 0.01)] == 1.0 and table[(1, 0.1)] == 0.5 and table[(1, 1.0)] == 0.0
    assert table[(50, 1.0)] == 0.5
    order = sweeps.rank_order_of_failure(fractions).set_index("K")["failure_lr"]
    assert order[1] == 1.0 and np.isnan(order[50])


def test_stuck_networks_have_a_vanishing_gradient_and_a_high_loss():
    networks = pd.DataFrame(
        {
            "network": [0, 1, 2, 3],
            "lr": [1.0, 1.0, 1.0, 0.1],
            "final_loss": [0.1316, 0.01, 0.1316, 0.3],
            "final_accuracy": [0.868, 1.0, 0.868, 0.5],
            "diverged": [False, False, False, False],
        }
    )
    epochs = np.arange(1, 201)
    history = pd.concat(
        [
            pd.DataFrame({"network": k, "epoch": epochs, "grad_norm": g})
            for k, g in enumerate([1e-7, 1e-8, np.where(epochs > 150, 1e-2, 1e-7), 1e-1])
        ]
    )
    flagged = sweeps.stuck_networks(networks, history, grad_tol=1e-3, min_loss=0.05, window=100)
    assert flagged["stuck"].tolist() == [True, False, False, False]
    table = sweeps.stuck_fraction(flagged).set_index("lr")
    assert table.loc[1.0, "stuck_fraction"] == pytest.approx(1 / 3)
    assert table.loc[1.0, "stuck_median_accuracy"] == pytest.approx(0.868)
    assert sweeps.nearest_lr([0.336, 1.4384, 6.15], 1.44) == 1.4384


def test_saturation_epoch_is_the_largest_gradient_spike_in_the_window():
    history = pd.DataFrame({"epoch": np.arange(1, 101), "grad_norm": 1e-5})
    history.loc[history["epoch"] == 5, "grad_norm"] = 1.0  # outside the window: ignored
    history.loc[history["epoch"] == 77, "grad_norm"] = 4.5e-2
    history.loc[history["epoch"] == 100, "grad_norm"] = 1e-4  # the end of a slow drift is not a spike
    history.loc[history["epoch"].between(90, 99), "grad_norm"] = 9e-5
    epoch, ratio = sweeps.saturation_epoch(history, [50, 100])
    assert epoch == 77 and ratio == pytest.approx(4.5e3)
    with pytest.raises(ValueError, match="search window"):
        sweeps.saturation_epoch(history, [200, 300])


def test_ablation_selects_runs_that_learned_and_fell_back():
    epochs = np.arange(1, 101)
    accuracies = {
        0: np.where((epochs > 40) & (epochs < 70), 0.95, 0.5),  # learned, fell back: selected
        1: np.full(100, 0.5),  # never learned
        2: np.where(epochs > 40, 0.95, 0.5),  # still learned at the end
    }
    phase1 = pd.concat(
        [
            pd.DataFrame({"network": k, "epoch": epochs, "accuracy": a, "grad_norm": 0.0, "loss": 1.0})
            for k, a in accuracies.items()
        ]
    )
    selection = sweeps.ablation_selection(phase1, 100, window=20)
    assert selection.set_index("network")["selected"].to_dict() == {0: True, 1: False, 2: False}
    nets = pd.DataFrame({"network": [0, 1], "parent": [0, 0], "c": [0.01, 10.0], "start_epoch": 100})
    continuation = pd.DataFrame(
        {
            "network": [0, 0, 1, 1],
            "epoch": [1, 5, 1, 5],
            "accuracy": [0.5, 1.0, 0.5, 0.5],
            "grad_norm": 0.1,
            "loss": 0.5,
        }
    )
    curves = sweeps.ablation_curves(phase1, continuation, nets, selection)
    assert set(curves["epoch"][curves["c"].notna()]) == {101, 105}
    result = sweeps.before_after(curves, 100).set_index("c")
    assert result.loc[0.01, "accuracy_before"] == 0.5 and result.loc[0.01, "accuracy_after"] == 1.0
    assert result.loc[10.0, "accuracy_after"] == 0.5 and result.loc[10.0, "epoch_before"] == 100
    # the per-run rows the panels draw: the selected run from ABLATION_LEAD epochs before the switch
    phase1_nets = pd.DataFrame({"network": [0, 1, 2], "seed": [7, 8, 9]})
    runs = sweeps.ablation_runs(phase1, continuation, nets.assign(seed=7), selection, phase1_nets, 100, 3)
    assert set(runs["seed"]) == {7} and runs["epoch"].min() == max(1, 100 - sweeps.ABLATION_LEAD)
    assert_per_seed_rows_give_the_curves(runs, curves, "c", ["accuracy", "grad_norm"])


def assert_per_seed_rows_give_the_curves(runs, curves, axis, columns):
    """Grouped per (axis value, epoch), the per-seed rows give the mean/sem columns of ``curves``."""
    for column in columns:
        grouped = runs.groupby([axis, "epoch"], dropna=False)[column]
        drawn = pd.DataFrame({"mean": grouped.mean(), "sem": grouped.apply(sweeps._sem)}).reset_index()
        table = curves.merge(drawn, on=[axis, "epoch"], validate="one_to_one")
        assert len(table) == len(drawn)
        np.testing.assert_allclose(table["mean"], table[f"mean_{column}"], rtol=1e-12, atol=0)
        np.testing.assert_allclose(table["sem"], table[f"sem_{column}"], rtol=1e-12, atol=1e-15)


def test_shown_values_are_every_nth_from_the_third():
    grid = np.logspace(-3, 1, 30)
    np.testing.assert_array_equal(sweeps.shown_values([np.nan, *grid[::-1]], 3), grid[2::3])
    np.testing.assert_array_equal(sweeps.shown_values([2.0, 1.0, np.nan], 3), [1.0, 2.0])


def test_phase_runs_give_the_phase_curves():
    rng = np.random.default_rng(1)
    phase1 = pd.DataFrame(
        {"network": np.repeat([0, 1, 2], 3), "epoch": np.tile([1, 2, 3], 3), "accuracy": rng.uniform(size=9)}
    ).assign(grad_norm=1.0, loss=1.0)
    nets = pd.DataFrame(
        {
            "network": range(6),
            "seed": [0, 1, 2] * 2,
            "start_epoch": 3,
            "output_l1_norm": [1.0] * 3 + [np.inf] * 3,
        }
    )
    continuation = pd.DataFrame(
        {"network": np.repeat(range(6), 2), "epoch": np.tile([1, 2], 6), "accuracy": rng.uniform(size=12)}
    ).assign(grad_norm=1.0, loss=1.0)
    curves = sweeps.phase_curves(phase1, continuation, nets, "output_l1_norm")
    runs = sweeps.phase_runs(phase1, continuation, nets.iloc[:3], nets, "output_l1_norm")
    assert list(runs.columns) == ["output_l1_norm", "epoch", "network", "seed", "accuracy"]
    assert set(runs.loc[runs["output_l1_norm"].notna(), "epoch"]) == {4, 5}
    assert_per_seed_rows_give_the_curves(runs, curves, "output_l1_norm", ["accuracy"])


def test_seaborn_draws_the_authors_sem_from_the_per_network_losses():
    """With population_sem_interval, sns.lineplot draws loss_vs_lr's mean ± SEM (population std / sqrt(n)),
    not seaborn's errorbar="se" (ddof=1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    networks, history, _ = sweep_tables([1.0, 0.6, 0.01, 0.02], seeds=3)
    history["loss"] *= np.random.default_rng(0).uniform(0.5, 1.5, len(history))
    history.loc[5, "loss"] = np.inf  # diverged: counts with its first loss in both
    summary = sweeps.loss_vs_lr(networks, history, [10]).sort_values("lr")
    per_network = sweeps.losses_at(networks, history, [10])
    assert len(per_network) == summary["n"].sum() and np.isfinite(per_network["loss"]).all()
    fig, ax = plt.subplots()
    for errorbar in (sweeps.population_sem_interval, "se"):
        sns.lineplot(per_network, x="lr", y="loss", errorbar=errorbar, err_style="bars", ax=ax)
    mean, (bars, sample_bars) = ax.lines[0].get_ydata(), ax.collections
    plt.close(fig)
    np.testing.assert_allclose(mean, summary["mean_loss"], rtol=1e-12)
    segments = np.array(bars.get_segments())  # per lr: (x, low), (x, high)
    np.testing.assert_allclose(segments[:, 0, 1], summary["mean_loss"] - summary["sem_loss"], rtol=1e-12)
    np.testing.assert_allclose(segments[:, 1, 1], summary["mean_loss"] + summary["sem_loss"], rtol=1e-12)
    assert not np.allclose(np.array(sample_bars.get_segments())[:, 1, 1], segments[:, 1, 1])


def test_power_law_fit_recovers_the_exponent_beside_the_theory():
    T = np.array([5, 10, 20, 40])
    table = pd.DataFrame({"T": T, "cliff_lr": 2.0 * T**-4.0})
    fit = sweeps.power_law_fit(table).iloc[0]
    assert fit["slope"] == pytest.approx(-4.0)
    assert fit["theory_exponent_error"] == -5.0 and fit["theory_exponent_normalised_loss"] == -4.0
    table.loc[1:, "cliff_lr"] = np.nan
    assert np.isnan(sweeps.power_law_fit(table).iloc[0]["slope"])


def test_landmark_table_has_the_scorecard_columns():
    table = landmark_frame("fig7", [("fig7_dmts", "stuck_loss", 0.1316, "median")])
    assert list(table.columns) == ["figure", "experiment", "landmark", "value", "detail"]
    assert table["value"].dtype == float and table["figure"].iloc[0] == "fig7"

"""Landmark detection on hand-made curves."""

import numpy as np
import pandas as pd
import pytest

from ghostlearn.tables.landmarks import cliff_lr, loglog_slope, smallest_failing_lr
from ghostlearn.tables.runs import experiment_landmarks, network_landmarks, panel_seed, panel_seed_landmarks


def test_cliff_is_searched_right_of_the_floor():
    lrs = np.logspace(-3, 0, 7)
    loss = np.array([0.9, 0.6, 0.05, 0.01, 0.08, 1.0, 1.0])
    assert cliff_lr(lrs, loss, 0.5) == pytest.approx(lrs[5])
    assert cliff_lr(lrs[::-1], loss[::-1], 0.5) == pytest.approx(lrs[5])
    assert np.isnan(cliff_lr(lrs[:5], loss[:5], 0.5))
    fraction = np.array([0, 0, 0, 0, 0.3, 0.7, 1.0])
    assert cliff_lr(lrs, loss, 1.0, indicator=fraction) == pytest.approx(lrs[6])


def test_smallest_failing_lr():
    lrs = np.repeat([1.0, 2.0, 3.0], 2)
    failed = np.array([False, False, False, True, True, True])
    assert smallest_failing_lr(lrs, failed) == 2.0
    assert np.isnan(smallest_failing_lr(lrs, np.zeros(6, bool)))
    with pytest.raises(ValueError):
        smallest_failing_lr(lrs, failed[:3])


def test_loglog_slope_of_a_power_law():
    T = np.array([25.0, 50, 100, 200, 400])
    slope, intercept = loglog_slope(T, 3.0 * T**-5)
    assert slope == pytest.approx(-5.0)
    assert intercept == pytest.approx(np.log10(3.0))
    with pytest.raises(ValueError):
        loglog_slope([1.0], [1.0])


def test_drop_epoch_of_a_plateau_then_abrupt_drop():
    from ghostlearn.tables.landmarks import drop_epoch, ghost_before_drop, plateau_level

    epochs = np.arange(1, 201)
    loss = np.where(epochs < 120, 1.0 - 1e-4 * epochs / 200, 0.05)
    assert plateau_level(loss) == pytest.approx(1.0, abs=1e-3)
    assert drop_epoch(epochs, loss) == 120
    assert np.isnan(drop_epoch(epochs, np.ones(200)))
    assert ghost_before_drop([100, 40], 120.0) == {
        "first_ghost_epoch": 40.0,
        "drop_epoch": 120.0,
        "ghost_precedes_drop": True,
    }
    assert ghost_before_drop([], 120.0)["ghost_precedes_drop"] is None


def test_plateau_length_counts_the_stretch_at_the_pre_drop_level():
    from ghostlearn.tables.landmarks import plateau_length

    epochs = np.arange(1, 301)
    # Fig. 5 DCDT shape: 0.83 falling to a plateau at 0.45 by epoch 20, abrupt drop at epoch 120
    loss = np.where(epochs < 20, 0.83 - (0.83 - 0.45) * epochs / 20, 0.45)
    loss = np.where(epochs >= 120, 0.05, loss)
    assert plateau_length(epochs, loss) == pytest.approx(120 - 14, abs=2)  # within 25 % of 0.45 from epoch 14
    flat = np.where(epochs >= 120, 0.05, 0.9999)  # Fig. 3c shape: on the plateau from the first epoch
    assert plateau_length(epochs, flat) == 119
    assert np.isnan(plateau_length(epochs, np.full(300, 0.5)))


def test_abrupt_drop_is_the_steepest_fall_not_an_early_slow_decrease():
    from ghostlearn.tables.landmarks import abrupt_drop, drop_epoch

    # Fig. 4 DCDT shape (history every 10 epochs): 0.47 -> 0.2 over the first 500 epochs, a plateau, then
    # the abrupt fall 0.15 -> 0.05 between epochs 6000 and 6600
    epochs = np.arange(10, 10001, 10)
    loss = np.interp(epochs, [0, 500, 6000, 6600, 10000], [0.47, 0.2, 0.15, 0.05, 0.03])
    drop, before, after = abrupt_drop(epochs, loss)
    assert 6000 < drop < 6600 and before > 0.1 and after < 0.08
    # Fig. 3c shape: a plateau at 0.9999, the first loss < 0.5 at epoch 5052, then oscillation 0.02-0.4
    epochs = np.arange(1, 6001)
    loss = np.where(epochs < 5052, 0.9999, 0.2 + 0.18 * np.sin(epochs))
    loss[5051] = 0.45
    assert drop_epoch(epochs, loss) == 5052
    assert abrupt_drop(epochs, np.full(6000, 0.9)) is None  # never learned


def test_first_epoch_at_least():
    from ghostlearn.tables.landmarks import first_epoch_at_least

    assert first_epoch_at_least([1, 2, 3, 4], [0.5, 0.98, 0.99, 1.0], 0.99) == 3
    assert np.isnan(first_epoch_at_least([1, 2], [0.1, 0.2], 0.99))


def test_unstable_epochs_prefers_the_authors_then_the_largest_swings():
    from ghostlearn.tables.landmarks import unstable_epochs

    epochs = np.arange(1, 401)
    loss = np.where(epochs < 100, 1.0, 0.1)
    loss[150], loss[170], loss[180] = 0.5, 0.9, 0.7  # swings after updates 150/151, 170/171, 180/181
    kept = range(90, 260)
    chosen, rule = unstable_epochs(epochs, loss, kept, 100.0, preferred=(120, 130, 140))
    assert chosen == [120, 130, 140] and "authors" in rule
    chosen, rule = unstable_epochs(epochs, loss, kept, 100.0, preferred=(120, 130, 999))
    assert chosen == [170, 171, 180] and "swings" in rule  # |Δloss| 0.8, 0.8, 0.6 beat 0.4
    flat = np.ones(400)
    flat[[200, 230, 240]] = 0.9
    chosen, rule = unstable_epochs(epochs, flat, kept, float("nan"))  # no drop: every kept epoch competes
    assert chosen == [200, 201, 230] and "no drop" in rule  # loss 0.9 at epochs 201, 231, 241
    with pytest.raises(ValueError, match="fewer than 3"):
        unstable_epochs(epochs, loss, [100, 101], 100.0)


def _run(network, loss, accuracy=None):
    epochs = np.arange(1, len(loss) + 1)
    table = pd.DataFrame({"network": network, "epoch": epochs, "loss": loss})
    if accuracy is not None:
        table["accuracy"] = accuracy
    return table


def _plateau_then(after, plateau=1500):
    return np.concatenate([np.full(plateau, 1.0), after])


def test_crossing_landmarks_survive_a_relapse_that_the_drop_rule_does_not():
    """A drop, then a relapse to the plateau: the drop rule finds no drop (the loss ends high), but the
    first crossing, the relapse and the peak accuracy are all read off."""
    loss = _plateau_then(np.r_[np.full(100, 0.1), np.full(100, 1.0)])
    accuracy = np.where(loss < 0.5, 0.975, 0.5)
    found = network_landmarks(_run(0, loss, accuracy))
    assert np.isnan(found["drop_epoch"][0])
    assert found["first_crossing_epoch"][0] == 1501
    assert found["crossed_fraction"][0] == 1.0
    assert found["relapsed_fraction"][0] == 1.0
    assert found["learned_at_end_fraction"][0] == 0.0
    assert found["peak_accuracy_after_crossing"][0] == pytest.approx(0.975)
    never = network_landmarks(_run(1, np.full(300, 1.0)))
    assert np.isnan(never["first_crossing_epoch"][0]) and never["crossed_fraction"][0] == 0.0
    assert "relapsed_fraction" not in never  # defined only for networks that cross


def test_an_experiment_reports_the_fraction_of_networks_not_the_median():
    history = pd.concat(
        [
            _run(0, _plateau_then(np.full(200, 0.1))),  # learns and stays learned
            _run(1, _plateau_then(np.r_[np.full(100, 0.1), np.full(100, 1.0)])),  # learns, relapses
            _run(2, np.full(1700, 1.0)),  # never learns
        ]
    )
    table = experiment_landmarks(None, "population", history).set_index("landmark")
    assert table.loc["crossed_fraction", "value"] == pytest.approx(2 / 3)
    assert table.loc["relapsed_fraction", "value"] == pytest.approx(1 / 2)  # of the 2 that cross
    assert table.loc["learned_at_end_fraction", "value"] == pytest.approx(1 / 2)
    assert "mean (the fraction) over the 2 of 2" in table.loc["relapsed_fraction", "detail"]
    assert "median" in table.loc["first_crossing_epoch", "detail"]


def test_the_panel_seed_rule_picks_the_first_network_that_shows_the_behaviour():
    history = pd.concat(
        [
            _run(0, np.r_[np.full(10, 1.0), np.full(1690, 0.1)]),  # drops without a long plateau
            _run(1, np.full(1700, 1.0)),  # never drops
            _run(2, _plateau_then(np.full(200, 0.1))),  # plateau and drop, but stays learned
            _run(3, _plateau_then(np.r_[np.full(100, 0.1), np.full(100, 1.0)])),  # the behaviour
            _run(4, _plateau_then(np.r_[np.full(50, 0.1), np.full(150, 0.9)])),  # the behaviour too
        ]
    )
    networks = pd.DataFrame({"network": range(5), "seed": [40, 41, 42, 43, 44], "lr": 0.02})
    choice = panel_seed(history, networks)
    assert choice["shows"].tolist() == [False, False, False, True, True]
    assert choice.loc[choice["chosen"], "seed"].tolist() == [43]
    marks = panel_seed_landmarks("fig3", "population", choice, [43]).set_index("landmark")["value"]
    assert marks["panel_seed"] == 43 and marks["panel_behaviour_fraction"] == pytest.approx(2 / 5)
    assert marks["panel_draws_rule_seed"] == 1.0
    drawn_elsewhere = panel_seed_landmarks("fig3", "population", choice, [40]).set_index("landmark")
    assert drawn_elsewhere.loc["panel_draws_rule_seed", "value"] == 0.0

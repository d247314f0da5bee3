"""Ghost statistics over many networks (tables.ghosts): per-network rows and the per-experiment fraction."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ghostlearn.tables import ghosts
from ghostlearn.tables.runs import ExperimentTables

CHECKPOINTS = [0, 100, 200, 400, 600]
DROPS = {0: 500, 1: 300, 2: None}  # network 2 never learns


def run(points: pd.DataFrame) -> ExperimentTables:
    epochs = np.arange(1, 801)
    history = pd.concat(
        [
            pd.DataFrame(
                {"network": net, "epoch": epochs, "loss": np.where(epochs < (drop or 10**9), 0.5, 0.005)}
            )
            for net, drop in DROPS.items()
        ]
    )
    spec = {
        "model": {"family": "task_low_rank", "K": 2},
        "task": {"kind": "dcdt"},
        "checkpoint_epochs": CHECKPOINTS,
    }
    networks = pd.DataFrame({"network": list(DROPS), "seed": [10, 11, 12], "lr": 1e-3})
    return ExperimentTables("ghoststats_test", spec, networks, history, points=points)


POINTS = pd.DataFrame(
    [  # network, epoch, kind, speed
        (0, 200, "ghost", 0.05),
        (0, 400, "ghost", 0.02),
        (0, 400, "slow", 0.3),
        (1, 200, "slow", 0.4),
        (1, 400, "ghost", 0.01),
        (2, 100, "ghost", 0.08),
    ],
    columns=["network", "epoch", "kind", "speed"],
)


def test_per_network_rows():
    table = ghosts.ghost_statistics_tables([run(POINTS)])["statistics"].set_index("network")
    assert list(table.columns) == [c for c in ghosts.STATISTICS_COLUMNS if c != "network"]
    assert table["learned"].tolist() == [True, True, False]
    assert table.loc[0, "drop_epoch"] == pytest.approx(500, abs=1)
    assert table.loc[1, "drop_epoch"] == pytest.approx(300, abs=1)
    assert np.isnan(table.loc[2, "drop_epoch"])
    assert table["first_ghost_epoch"].tolist() == [200, 400, 100]
    assert table.loc[0, "ghost_before_drop"] and not table.loc[1, "ghost_before_drop"]
    assert table.loc[2, "ghost_before_drop"] is None  # no drop: undefined
    assert table.loc[0, "lead_time"] == table.loc[0, "drop_epoch"] - 200
    assert table.loc[1, "lead_time"] < 0  # the ghost came after the drop
    # slowest point of the last checkpoint before the drop: epoch 400 for network 0, 200 for network 1
    assert table.loc[0, "checkpoint_before_drop"] == 400
    assert (table.loc[0, "slowest_speed"], table.loc[0, "slowest_kind"]) == (0.02, "ghost")
    assert (table.loc[1, "slowest_speed"], table.loc[1, "slowest_kind"]) == (0.4, "slow")
    assert table.loc[1, "checkpoint_gap"] == table.loc[1, "drop_epoch"] - 200
    assert table["checkpoints"].eq(len(CHECKPOINTS)).all()
    assert table["seed"].tolist() == [10, 11, 12]


def test_a_checkpoint_without_points_and_an_empty_analysis():
    table = ghosts.ghost_statistics_tables([run(POINTS.iloc[:0])])["statistics"]
    assert table["first_ghost_epoch"].isna().all() and table["slowest_kind"].eq("none").all()
    assert table["lead_time"].isna().all()


def test_fraction_and_its_wilson_interval():
    summary = ghosts.ghost_statistics_tables([run(POINTS)])["summary"].iloc[0]
    assert (summary["networks"], summary["learned"], summary["ghost_before_drop"]) == (3, 2, 1)
    assert summary["fraction"] == 0.5
    ci = stats.binomtest(1, 2).proportion_ci(0.95, method="wilson")
    assert (summary["ci_low"], summary["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert 0 < summary["ci_low"] < 0.5 < summary["ci_high"] < 1


def test_landmarks():
    statistics = ghosts.ghost_statistics_tables([run(POINTS)])["statistics"]
    table = ghosts.ghost_statistics_landmarks(statistics).set_index("landmark")["value"]
    assert table["networks"] == 3
    assert table["learned_fraction"] == pytest.approx(2 / 3)
    assert table["ghost_before_drop_fraction"] == 0.5
    assert table["ghost_before_drop_ci_low"] < 0.5 < table["ghost_before_drop_ci_high"]


def test_no_learned_network_gives_nan_not_an_error():
    assert np.isnan(ghosts.proportion_interval(0, 0)).all()
    assert ghosts.proportion_interval(3, 3)[1] == pytest.approx(1.0)


def test_the_analysis_is_required():
    with pytest.raises(ValueError, match="ghoststats_test"):
        ghosts.ghost_statistics_tables([run(None)])


def test_lifetime_landmarks_recover_the_slope_and_the_plateau_correlation():
    q = np.geomspace(1e-5, 1e-2, 8)
    lifetimes = pd.DataFrame(
        {
            "experiment": ["ghoststats_a"] * 4 + ["ghoststats_b"] * 4,
            "network": range(8),
            "epoch": 100,
            "q_star": q,
            "q_curvature": 2.0,
            "measured": np.pi / np.sqrt(q),
            "predicted": np.pi / np.sqrt(q),
        }
    )
    plateaus = pd.DataFrame(
        {
            "experiment": "ghoststats_a",
            "network": range(5),
            "learned": True,
            "plateau_length": [10.0, 20, 30, 40, 50],
            "pre_drop_ghost_speed": [0.5, 0.4, 0.3, 0.2, 0.1],
        }
    )
    table = ghosts.ghost_lifetime_landmarks(lifetimes, plateaus).set_index(["experiment", "landmark"])[
        "value"
    ]
    for name in ("ghoststats_a", "ghoststats_b", "all"):
        assert table[name, "lifetime_slope"] == pytest.approx(-0.5)
        assert table[name, "lifetime_r2"] == pytest.approx(1.0)
        assert table[name, "lifetime_ratio"] == 1.0
        assert table[name, "lifetime_outlier_fraction"] == 0.0
    assert table["all", "lifetime_ghosts"] == 8
    assert table["ghoststats_a", "plateau_ghost_speed_spearman"] == pytest.approx(-1.0)


def test_pre_drop_ghost_speed_and_plateau_length():
    table = ghosts.ghost_statistics_tables([run(POINTS)])["statistics"].set_index("network")
    assert table.loc[0, "pre_drop_ghost_speed"] == 0.02  # the ghost of epoch 400, the last before the drop
    assert np.isnan(table.loc[1, "pre_drop_ghost_speed"])  # its only ghost came after the drop
    assert table.loc[0, "plateau_length"] > 0


def test_checkpoints_until_each_networks_drop():
    from ghostlearn.dynamics.checkpoints import epochs_until_drop

    chosen = epochs_until_drop(run(POINTS).history, CHECKPOINTS)
    assert chosen == {0: [0, 100, 200, 400], 1: [0, 100, 200], 2: []}

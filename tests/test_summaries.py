"""Figure landmark tables and Figure 3's epoch choices from hand-made histories."""

import numpy as np
import pandas as pd

from ghostlearn.tables.landmarks import LANDMARK_COLUMNS
from ghostlearn.tables.runs import epoch_choices, experiment_landmarks, ghost_versus_drop


def history(drop, epochs=300, network=0, fixed_points=None):
    e = np.arange(1, epochs + 1)
    loss = np.where(e < drop, 1.0, 0.02)
    table = pd.DataFrame(
        {
            "network": network,
            "epoch": e,
            "loss": loss,
            "grad_norm": 1e-3,
            "accuracy": np.where(e < drop, 0.5, 1.0),
        }
    )
    if fixed_points is not None:
        table["fixed_points"] = fixed_points
    return table


def test_landmark_table_of_one_network():
    ghosts = pd.DataFrame(
        {"network": [0], "first_ghost_epoch": [50.0], "drop_epoch": [120.0], "ghost_precedes_drop": [True]}
    )
    table = experiment_landmarks("fig9", "exp", history(120, fixed_points=1), ghosts)
    assert list(table.columns) == LANDMARK_COLUMNS
    value = table.set_index("landmark")["value"]
    assert value["drop_epoch"] == 120
    assert value["plateau_loss"] == 1.0
    assert value["plateau_length"] == 119
    assert value["final_loss"] == 0.02 and value["final_accuracy"] == 1.0
    assert value["first_accurate_epoch"] == 120
    assert value["max_fixed_point_count"] == 1
    assert value["first_ghost_epoch"] == 50 and value["ghost_precedes_drop"] == 1.0
    assert (table["figure"] == "fig9").all() and (table["experiment"] == "exp").all()


def test_landmark_table_takes_the_median_over_networks_and_tolerates_missing_ghosts():
    runs = pd.concat([history(100, network=0), history(200, network=1), history(400, network=2)])
    table = experiment_landmarks("fig9", "exp", runs).set_index("landmark")
    assert table.loc["drop_epoch", "value"] == 150  # the third network never dropped
    assert "the 2 of 3 networks" in table.loc["drop_epoch", "detail"]
    assert table.loc["final_loss", "value"] == 0.02
    assert "first_ghost_epoch" not in table.index


def test_epoch_choices_records_every_figure_3_epoch():
    small, large = history(150, epochs=400), history(100, epochs=400)
    large.loc[large["epoch"].isin([160, 161]), "loss"] = 0.5
    table = epoch_choices(small, [1, 300], large, range(90, 300), preferred=(120, 130, 140))
    chosen = table.groupby("panel")["epoch"].apply(list).to_dict()
    assert chosen == {"b": [1, 300], "d": [120, 130, 140], "inset_start": [50], "inset_end": [250]}
    table = epoch_choices(small, [1, 300], large, range(90, 300), preferred=(5156, 5163, 5166))
    # the authors' epochs were not kept: the largest |loss(k + 1) - loss(k)| after the drop at 100 win,
    # ties broken by the earlier epoch
    assert table.loc[table["panel"] == "d", "epoch"].tolist() == [100, 159, 161]
    assert "swings" in table.loc[table["panel"] == "d", "rule"].iloc[0]
    stuck = epoch_choices(small, [1], history(10_000, epochs=400), range(90, 300))
    assert "no drop" in stuck.loc[stuck["panel"] == "d", "rule"].iloc[0]


def test_ghost_versus_drop_per_network():
    runs = pd.concat([history(120, network=0), history(200, network=1)], ignore_index=True)
    points = pd.DataFrame(
        {
            "network": [0, 0, 1, 1],
            "epoch": [50, 100, 150, 250],
            "kind": ["fixed_point", "ghost", "fixed_point", "ghost"],
        }
    )
    table = ghost_versus_drop(runs, points).set_index("network")
    assert table.loc[0, "first_ghost_epoch"] == 100 and table.loc[0, "ghost_precedes_drop"]
    assert table.loc[1, "first_ghost_epoch"] == 250 and not table.loc[1, "ghost_precedes_drop"]
    assert table.loc[0, "plateau_loss"] == 1.0
    assert 115 <= table.loc[0, "drop_epoch"] <= 125 and 195 <= table.loc[1, "drop_epoch"] <= 205

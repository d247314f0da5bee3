"""Beyond the paper: does a ghost precede abrupt learning in general?  Per-network statistics over many
seeds of the Figure 4 and 5 networks (docs/methods.md §7).

For every network of every ``ghoststats_*`` experiment: whether it learned (the abrupt-drop rule of
:func:`ghostlearn.tables.landmarks.drop_epoch`), its drop epoch, the first checkpoint epoch at which the
checkpoint analysis finds a ghost, the lead time (drop epoch − first ghost epoch: positive when the
ghost came first), and the slowest point of the last analysed checkpoint before the drop (its speed q*
and kind).  Per experiment: the fraction of learned networks whose first ghost came before their drop,
with a Wilson 95 % interval (scipy's ``binomtest(...).proportion_ci``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ghostlearn.config import checkpoint_epochs
from ghostlearn.tables import landmarks
from ghostlearn.tables.landmarks import landmark_frame
from ghostlearn.tables.runs import ExperimentTables

#: Columns of ghost_statistics.csv, one row per network.
STATISTICS_COLUMNS = [
    "experiment",
    "family",
    "task",
    "network",
    "seed",
    "lr",
    "learned",
    "drop_epoch",
    "first_ghost_epoch",
    "lead_time",
    "ghost_before_drop",
    "checkpoint_before_drop",
    "checkpoint_gap",
    "slowest_speed",
    "slowest_kind",
    "checkpoints",
]
#: Confidence level of the interval on the fraction of networks whose ghost came first.
CONFIDENCE = 0.95


def network_statistics(
    history: pd.DataFrame, points: pd.DataFrame, checkpoints: list[int], drop_fraction: float = 0.5
) -> dict:
    """The statistics of one network from its history (epoch, loss) and the points its checkpoints
    yielded (epoch, kind, speed; a checkpoint without any point has no rows)."""
    history = history.sort_values("epoch")
    drop = landmarks.drop_epoch(history["epoch"].to_numpy(), history["loss"].to_numpy(float), drop_fraction)
    learned = bool(np.isfinite(drop))
    found = landmarks.ghost_before_drop(points.loc[points["kind"] == "ghost", "epoch"].unique(), drop)
    first = found["first_ghost_epoch"]
    before = [e for e in checkpoints if learned and e < drop]
    row = {
        "learned": learned,
        "drop_epoch": drop,
        "first_ghost_epoch": first,
        "lead_time": drop - first if learned and np.isfinite(first) else float("nan"),
        "ghost_before_drop": found["ghost_precedes_drop"],
        "checkpoint_before_drop": float(before[-1]) if before else float("nan"),
        "checkpoint_gap": drop - before[-1] if before else float("nan"),
        "slowest_speed": float("nan"),
        "slowest_kind": "none",
        "checkpoints": len(checkpoints),
    }
    if before:
        there = points[points["epoch"] == before[-1]]
        if len(there):
            slowest = there.loc[there["speed"].idxmin()]
            row["slowest_speed"], row["slowest_kind"] = float(slowest["speed"]), str(slowest["kind"])
    return row


def experiment_statistics(
    run: ExperimentTables, points: pd.DataFrame, drop_fraction: float = 0.5
) -> pd.DataFrame:
    """:func:`network_statistics` of every network of one experiment, with its identifying columns."""
    checkpoints = checkpoint_epochs(run.spec)
    model = run.spec["model"]
    family = model["family"] + (f" K={model['K']}" if "K" in model else "")
    rows = []
    history = run.history.groupby("network")
    by_network = dict(tuple(points.groupby("network"))) if len(points) else {}
    empty = pd.DataFrame({"epoch": [], "kind": [], "speed": []})
    for net in run.networks.itertuples():
        row = network_statistics(
            history.get_group(net.network), by_network.get(net.network, empty), checkpoints, drop_fraction
        )
        row.update(
            experiment=run.name,
            family=family,
            task=run.spec["task"]["kind"],
            network=net.network,
            seed=net.seed,
            lr=net.lr,
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=STATISTICS_COLUMNS)


def proportion_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (NaN, NaN without trials)."""
    if trials == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def summary(statistics: pd.DataFrame) -> pd.DataFrame:
    """Per experiment: networks, learned networks, those whose first ghost came before the drop, the
    fraction with its Wilson interval, and the median lead time and checkpoint gap of the learned ones."""
    rows = []
    for experiment, table in statistics.groupby("experiment", sort=False):
        learned = table[table["learned"].astype(bool)]
        before = int(learned["ghost_before_drop"].fillna(False).astype(bool).sum())
        low, high = proportion_interval(before, len(learned))
        rows.append(
            {
                "experiment": experiment,
                "family": table["family"].iloc[0],
                "task": table["task"].iloc[0],
                "networks": len(table),
                "learned": len(learned),
                "ghost_before_drop": before,
                "fraction": before / len(learned) if len(learned) else float("nan"),
                "ci_low": low,
                "ci_high": high,
                "median_lead_time": float(learned["lead_time"].median()),
                "median_checkpoint_gap": float(learned["checkpoint_gap"].median()),
            }
        )
    return pd.DataFrame(rows)


def ghost_statistics_tables(
    runs: list[ExperimentTables], drop_fraction: float = 0.5
) -> dict[str, pd.DataFrame]:
    """Builder of the ghost_statistics figure: the per-network table and the per-experiment summary."""
    missing = [run.name for run in runs if run.points is None]
    if missing:
        raise ValueError(f"ghost statistics need the checkpoint analysis of {missing} (keep checkpoints)")
    table = pd.concat(
        [experiment_statistics(run, run.points, drop_fraction) for run in runs], ignore_index=True
    )
    return {"statistics": table, "summary": summary(table)}


def ghost_statistics_landmarks(statistics: pd.DataFrame) -> pd.DataFrame:
    """Per experiment: networks, the learned fraction, the fraction of learned networks whose ghost came
    before the drop with its 95 % interval, and the median lead time."""
    rows = []
    level = f"{CONFIDENCE:.0%} Wilson interval"
    for r in summary(statistics).itertuples():
        of = f"of the {r.learned} learned networks"
        rows += [
            (r.experiment, "networks", r.networks, "networks trained"),
            (r.experiment, "learned_fraction", r.learned / r.networks, "fraction with an abrupt drop"),
            (r.experiment, "ghost_before_drop_fraction", r.fraction, f"first ghost before the drop, {of}"),
            (r.experiment, "ghost_before_drop_ci_low", r.ci_low, f"lower end of the {level}"),
            (r.experiment, "ghost_before_drop_ci_high", r.ci_high, f"upper end of the {level}"),
            (
                r.experiment,
                "median_lead_time",
                r.median_lead_time,
                f"drop minus first ghost epoch, median {of}",
            ),
            (
                r.experiment,
                "median_checkpoint_gap",
                r.median_checkpoint_gap,
                "drop minus last checkpoint before it",
            ),
        ]
    return landmark_frame("ghost_statistics", rows)

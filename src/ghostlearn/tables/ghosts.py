"""Beyond the paper: does a ghost precede abrupt learning in general?  Per-network statistics over many
seeds of the Figure 4 and 5 networks (docs/methods.md §7).

For every network of every ``ghoststats_*`` experiment: whether it learned (the abrupt-drop rule of
:func:`ghostlearn.tables.landmarks.drop_epoch`), its drop epoch, the first checkpoint epoch at which the
checkpoint analysis finds a ghost, the lead time (drop epoch − first ghost epoch: positive when the
ghost came first), and the slowest point of the last analysed checkpoint before the drop (its speed q*
and kind), the speed of the slowest ghost of the last checkpoint before the drop that has one, and the
plateau length (:func:`ghostlearn.tables.landmarks.plateau_length`).  Per experiment: the fraction of learned networks whose first ghost came before their drop,
with a Wilson 95 % interval (scipy's ``binomtest(...).proportion_ci``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ghostlearn.config import checkpoint_epochs
from ghostlearn.dynamics import lifetime
from ghostlearn.dynamics.checkpoints import latent_field
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
    "pre_drop_ghost_speed",
    "plateau_length",
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
        "pre_drop_ghost_speed": float("nan"),
        "plateau_length": landmarks.plateau_length(
            history["epoch"].to_numpy(), history["loss"].to_numpy(float), drop_fraction
        ),
        "checkpoints": len(checkpoints),
    }
    if before:
        there = points[points["epoch"] == before[-1]]
        if len(there):
            slowest = there.loc[there["speed"].idxmin()]
            row["slowest_speed"], row["slowest_kind"] = float(slowest["speed"]), str(slowest["kind"])
        early = points[(points["kind"] == "ghost") & (points["epoch"] < drop)]
        if len(early):  # the slowest ghost of the last checkpoint before the drop that has one
            last = early[early["epoch"] == early["epoch"].max()]
            row["pre_drop_ghost_speed"] = float(last["speed"].min())
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


# -- the ghost-lifetime law ------------------------------------------------------------------------------

#: Families whose ghosts' passage times are measured, with the coordinates of a point in the points table.
LIFETIME_COORDINATES = {"task_low_rank": ["kappa_1", "kappa_2"]}


def _checkpoint_fields(paths):
    """``fields(network, epoch)`` -> (latent field, its Jacobian) from a rank-2 experiment's job files."""
    from ghostlearn.rnn.engine import load_checkpoint

    where = {}
    for path in paths:
        job = load_checkpoint(path)
        for i, network in enumerate(job["networks"]):
            where[network] = (job, i)

    def fields(network, epoch):
        job, i = where[network]
        field = latent_field(job[int(epoch)], i)
        return field, field.jacobian

    return fields


def experiment_lifetimes(run: ExperimentTables) -> pd.DataFrame:
    """:func:`ghostlearn.dynamics.lifetime.lifetimes` of every ghost of one experiment's checkpoints (empty
    for a family without latent coordinates, see :data:`LIFETIME_COORDINATES`)."""
    coordinates = LIFETIME_COORDINATES.get(run.spec["model"]["family"])
    columns = ["experiment", "network", "epoch", *lifetime.LIFETIME_COLUMNS]
    if coordinates is None or run.points is None or not len(run.points):
        return pd.DataFrame(columns=columns)
    table = lifetime.lifetimes(run.points, _checkpoint_fields(run.checkpoints), coordinates)
    return table.assign(experiment=run.name)[columns]


def ghost_lifetime_tables(
    runs: list[ExperimentTables], drop_fraction: float = 0.5
) -> dict[str, pd.DataFrame]:
    """Builder of the ghost_lifetime figure: one row per ghost (q*, q'', measured and predicted passage
    time) and one per network (plateau length against the speed of its pre-drop ghost)."""
    parts = [experiment_lifetimes(run) for run in runs]
    plateaus = ghost_statistics_tables(runs, drop_fraction)["statistics"]
    keep = ["experiment", "network", "seed", "learned", "plateau_length", "pre_drop_ghost_speed"]
    return {"lifetimes": pd.concat(parts, ignore_index=True), "plateaus": plateaus[keep]}


def ghost_lifetime_landmarks(lifetimes: pd.DataFrame, plateaus: pd.DataFrame) -> pd.DataFrame:
    """Per experiment with ghosts (and over all of them): the log-log slope of the measured passage time
    against q*·q'' (the normal form: −0.5), its R², the number of ghosts, the median measured/predicted
    ratio; and the rank correlation of the plateau length with the pre-drop ghost's speed."""
    rows = []
    groups = [(name, table) for name, table in lifetimes.groupby("experiment", sort=False)]
    if len(groups) > 1:
        groups.append(("all", lifetimes))
    for name, table in groups:
        fit = lifetime.power_law(table["q_star"] * table["q_curvature"], table["measured"])
        ratio = table["measured"] / table["predicted"]
        measured = ratio.notna()
        off = ((ratio < 1 / lifetime.OUTLIER_FACTOR) | (ratio > lifetime.OUTLIER_FACTOR))[measured]
        n = fit["points"]
        rows += [
            (
                name,
                "lifetime_slope",
                fit["slope"],
                "Theil-Sen log-log slope of passage time against q*·q'' (theory -0.5)",
            ),
            (name, "lifetime_slope_low", fit["slope_low"], "lower end of its 95 % interval"),
            (name, "lifetime_slope_high", fit["slope_high"], "upper end of its 95 % interval"),
            (name, "lifetime_r2", fit["r2"], "R² about that line, every measured ghost"),
            (name, "lifetime_ghosts", n, "ghosts with a measured passage"),
            (
                name,
                "lifetime_passage_fraction",
                n / len(table) if len(table) else np.nan,
                f"of the {len(table)} ghosts, those with a saddle-node passage (a real slow direction, one-signed slow velocity, crossed)",
            ),
            (name, "lifetime_ratio", ratio.median(), "median measured / predicted passage time"),
            (
                name,
                "lifetime_outlier_fraction",
                off.mean() if len(off) else np.nan,
                f"measured passages more than {lifetime.OUTLIER_FACTOR:g}x faster or slower than predicted",
            ),
        ]
    for name, table in plateaus.groupby("experiment", sort=False):
        mine = table[table["learned"].astype(bool)].dropna(subset=["plateau_length", "pre_drop_ghost_speed"])
        rho = (
            stats.spearmanr(mine["plateau_length"], mine["pre_drop_ghost_speed"])[0]
            if len(mine) > 2
            else np.nan
        )
        rows.append(
            (
                name,
                "plateau_ghost_speed_spearman",
                rho,
                f"plateau length vs pre-drop ghost q*, {len(mine)} networks",
            )
        )
    return landmark_frame("ghost_lifetime", rows)

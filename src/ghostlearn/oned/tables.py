"""Experiments of the 1-D model as tidy tables: what each workflow step computes, one function a step.

Each function takes config entries and upstream tables and returns pandas DataFrames with one row per
observation; the workflow scripts only read and write files around them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ghostlearn.config import learning_rates
from ghostlearn.oned import canonical
from ghostlearn.tables import landmarks
from ghostlearn.tables.landmarks import landmark_rows


def task_constants(task: pd.DataFrame) -> tuple[float, float]:
    """(T, dt) of a 1-D delayed-activation task table."""
    for column in ("T", "dt"):
        if column not in task or task[column].nunique() != 1:
            raise ValueError(f"task table needs one constant column {column!r}")
    return float(task["T"].iloc[0]), float(task["dt"].iloc[0])


def vector_field_table(r_values, x_range, points: int) -> pd.DataFrame:
    """Figure 1: dx/dt = x² + r on an x grid for each r."""
    x = np.linspace(x_range[0], x_range[1], points)
    return pd.concat(
        [pd.DataFrame({"r": float(r), "x": x, "dxdt": canonical.vector_field(x, r)}) for r in r_values],
        ignore_index=True,
    )


def fixed_point_table(r_values) -> pd.DataFrame:
    """Figure 1: fixed points of dx/dt = x² + r and their stability (none for r > 0: the ghost)."""
    rows = [
        {"r": float(r), "x": x, "stability": kind}
        for r in r_values
        for x, kind in canonical.fixed_points(float(r))
    ]
    return pd.DataFrame(rows, columns=["r", "x", "stability"])


def landscape_table(
    task: pd.DataFrame, confidences, r_range, r_points: int, threshold: float, clip: float
) -> pd.DataFrame:
    """Loss landscape over an r grid: closed form (confidence = inf) and Euler simulation per confidence.

    Columns: confidence, r, r_over_ropt, error E, loss E/T, grad_rel = |dE/dr| / max |dE/dr| (Fig. 8A).
    """
    T, dt = task_constants(task)
    r_opt = canonical.optimal_r(T)
    r = np.linspace(r_range[0] * r_opt, r_range[1] * r_opt, r_points)
    simulated = canonical.simulate_error(
        r, confidences, task["target"].to_numpy(), dt=dt, threshold=threshold, clip=clip
    )
    errors = np.vstack([canonical.closed_form_error(r, T)[None, :], simulated])
    grads = canonical.relative_gradient_magnitude(errors, r)
    confs = [np.inf, *map(float, confidences)]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "confidence": conf,
                    "r": r,
                    "r_over_ropt": r / r_opt,
                    "error": err,
                    "loss": err / T,
                    "grad_rel": grad,
                }
            )
            for conf, err, grad in zip(confs, errors, grads, strict=True)
        ],
        ignore_index=True,
    )


def run_gd(exp: dict, task: pd.DataFrame, progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one gradient-descent experiment; return (runs, history).

    runs: one row per (learning rate, start) with r0, the first epoch in the no-learning zone (−1 if
    never), final r and loss.  history: one row per run and stored epoch (every ``record_every``-th, plus
    the report epochs and the last) with r and L.
    """
    T, _ = task_constants(task)
    lrs = learning_rates(exp["learning_rates"], T)
    starts = exp.get("starts", 1)
    r0 = canonical.initial_r(exp["init"], lrs.size, starts, T)
    epochs = exp["epochs"]
    stored = np.union1d(
        np.arange(0, epochs + 1, exp.get("record_every", 1)),
        [*exp.get("report_epochs", []), epochs],
    )
    result = canonical.gradient_descent(
        r0, lrs[:, None], T, epochs, stored, exp.get("convention", "error"), progress
    )
    lr_index, start = np.divmod(np.arange(r0.size), starts)
    runs = pd.DataFrame(
        {
            "run": np.arange(r0.size),
            "lr_index": lr_index,
            "start": start,
            "lr": lrs[lr_index],
            "lr_over_critical": lrs[lr_index] / canonical.critical_lr(T, exp.get("convention", "error")),
            "T": T,
            "r0": r0.ravel(),
            "first_zone_epoch": result.first_zone_epoch,
            "final_r": result.r[:, -1],
            "final_loss": result.loss[:, -1],
        }
    )
    history = pd.DataFrame(
        {
            "run": np.repeat(runs["run"].to_numpy(), stored.size),
            "epoch": np.tile(result.epochs, r0.size),
            "r": result.r.ravel(),
            "loss": result.loss.ravel(),
        }
    )
    return runs, history


def losses_at(runs: pd.DataFrame, history: pd.DataFrame, epochs) -> pd.DataFrame:
    """Per run (learning rate and start) and report epoch, the loss :func:`loss_vs_lr` averages, and
    whether the run is in the no-learning zone by then (the Fig. 2d per-start rows)."""
    epochs = list(epochs)
    missing = sorted(set(epochs) - set(history["epoch"].unique()))
    if missing:
        raise ValueError(f"epochs {missing} are not stored in the history")
    table = history[history["epoch"].isin(epochs)].merge(runs, on="run")
    table["in_zone"] = (table["first_zone_epoch"] >= 0) & (table["first_zone_epoch"] <= table["epoch"])
    return table


#: Columns of the per-start table of a sweep (gd_<experiment>_loss_per_start.csv).
PER_START_COLUMNS = ["run", "lr_index", "lr", "lr_over_critical", "start", "epoch", "loss"]


def loss_per_start(runs: pd.DataFrame, history: pd.DataFrame, epochs) -> pd.DataFrame:
    """The loss of every start at each report epoch: the rows Fig. 2d's mean ± SEM is drawn from."""
    table = losses_at(runs, history, epochs)[PER_START_COLUMNS]
    return table.sort_values(["epoch", "lr_index", "start"], ignore_index=True)


def loss_vs_lr(runs: pd.DataFrame, history: pd.DataFrame, epochs) -> pd.DataFrame:
    """Mean ± SEM (std/√n, population std as the authors) of L over the starts of each learning rate.

    One row per (learning rate, epoch); also the fraction of starts that are in the no-learning zone by
    that epoch.
    """
    table = losses_at(runs, history, epochs)
    grouped = table.groupby(["lr_index", "lr", "lr_over_critical", "epoch"], as_index=False)
    summary = grouped.agg(
        mean_loss=("loss", "mean"),
        std_loss=("loss", lambda s: s.std(ddof=0)),
        n=("loss", "size"),
        fraction_in_zone=("in_zone", "mean"),
    )
    summary["sem_loss"] = summary["std_loss"] / np.sqrt(summary["n"])
    return summary.drop(columns="std_loss")


def cliff_table(summary: pd.DataFrame, level: float = 0.5) -> pd.DataFrame:
    """Per epoch: the valley floor and the learning-rate cliff.

    ``cliff_lr``: the first learning rate right of the floor whose mean loss reaches ``level`` (see
    :func:`landmarks.cliff_lr`); ``all_fail_lr``: the first one there at which every start has fallen
    into the no-learning zone (L = 1 for all starts).
    """
    rows = []
    for epoch, group in summary.groupby("epoch"):
        floor = group.loc[group["mean_loss"].idxmin()]
        cliff = landmarks.cliff_lr(group["lr"], group["mean_loss"], level)
        all_fail = landmarks.cliff_lr(
            group["lr"], group["mean_loss"], 1.0, indicator=group["fraction_in_zone"]
        )
        ratio = group["lr_over_critical"].iloc[0] / group["lr"].iloc[0]
        rows.append(
            {
                "epoch": int(epoch),
                "floor_lr": float(floor["lr"]),
                "floor_mean_loss": float(floor["mean_loss"]),
                "cliff_level": level,
                "cliff_lr": cliff,
                "cliff_over_critical": cliff * ratio,
                "all_fail_lr": all_fail,
                "all_fail_over_critical": all_fail * ratio,
            }
        )
    return pd.DataFrame(rows)


def critical_lr_table(runs: list[pd.DataFrame]) -> pd.DataFrame:
    """Theory check: per T, the smallest learning rate whose runs ever entered the no-learning zone,
    against η_c = 3π⁴/(32T⁵) (and the normalised-loss form 3π⁴/(32T⁴))."""
    rows = []
    for table in runs:
        T = float(table["T"].iloc[0])
        failing = landmarks.smallest_failing_lr(table["lr"], table["first_zone_epoch"] >= 0)
        eta_c = float(canonical.critical_lr(T, "error"))
        rows.append(
            {
                "T": T,
                "critical_lr": eta_c,
                "critical_lr_normalised": float(canonical.critical_lr(T, "loss")),
                "smallest_failing_lr": failing,
                "failing_over_critical": failing / eta_c,
                "largest_safe_lr": float(table.loc[table["lr"] < failing, "lr"].max()),
                "runs_per_lr": int(table.groupby("lr").size().iloc[0]),
            }
        )
    return pd.DataFrame(rows).sort_values("T", ignore_index=True)


def power_law_table(table: pd.DataFrame) -> pd.DataFrame:
    """Log-log fits of the measured and the closed-form critical rate against T (expected slope −5)."""
    rows = []
    for column in ("smallest_failing_lr", "critical_lr"):
        slope, intercept = landmarks.loglog_slope(table["T"], table[column])
        rows.append({"quantity": column, "slope": slope, "intercept": intercept, "expected_slope": -5.0})
    return pd.DataFrame(rows)


# -- landmark tables of the 1-D figures (long format, see ghostlearn.tables.scorecard) ---------------------------
#: Points r / r_opt at which docs/methods.md §1a quotes the landscape (closed form and finite confidences).
LANDSCAPE_POINTS = (0.1, 0.5, 1.0, 2.0)
#: Epochs at which docs/methods.md §1a quotes the deterministic Fig. 2b runs.
PAIR_EPOCHS = (0, 500, 1000, 2000, 3000)


def fig1_landmarks(field: pd.DataFrame, fixed_points: pd.DataFrame) -> pd.DataFrame:
    """Figure 1: number and position of the fixed points of x² + r, and where the flow is slowest."""
    values, details = {}, {}
    for r, rows in field.groupby("r"):
        points = fixed_points[fixed_points["r"] == r]
        values[f"fixed_point_count_r{r:+g}"] = len(points)
        for _, point in points.iterrows():
            values[f"{point['stability']}_fixed_point_r{r:+g}"] = point["x"]
        slowest = rows.loc[rows["dxdt"].abs().idxmin()]
        values[f"slowest_x_r{r:+g}"] = slowest["x"]
        details[f"slowest_x_r{r:+g}"] = f"|dx/dt| = {abs(slowest['dxdt']):.3g} on a {len(rows)}-point grid"
    return landmark_rows("fig1", "vector_field", values, details)


def landscape_landmarks(landscape: pd.DataFrame) -> dict:
    """L at r / r_opt ∈ :data:`LANDSCAPE_POINTS` per confidence (linear interpolation on the r grid; `inf` =
    closed form), and the closed-form loss inside the no-learning zone."""
    values = {}
    for a, rows in landscape.groupby("confidence"):
        rows = rows.sort_values("r_over_ropt")
        x, loss = rows["r_over_ropt"].to_numpy(), rows["loss"].to_numpy()
        for point in LANDSCAPE_POINTS:
            if x[0] - 1e-9 <= point <= x[-1] + 1e-9:  # the grid's ends may miss by a rounding error
                values[f"loss_a{a:g}_r{point:g}ropt"] = float(np.interp(point, x, loss))
    closed = landscape[np.isinf(landscape["confidence"])]
    zone = closed[closed["r_over_ropt"] < 0.25]
    if len(zone):
        values["closed_form_zone_loss_min"] = zone["loss"].min()
        values["closed_form_zone_loss_max"] = zone["loss"].max()
    return values


def fig2_landmarks(
    landscape: pd.DataFrame, trajectories: pd.DataFrame, sweep: pd.DataFrame, cliff: pd.DataFrame
) -> pd.DataFrame:
    """Figure 2: landscape values (a), the two deterministic runs (b, c) and the loss-vs-η valley (d)."""
    parts = [landmark_rows("fig2", "landscape", landscape_landmarks(landscape))]
    values, details = {}, {}
    T = float(trajectories["T"].iloc[0])
    r_opt = canonical.optimal_r(T)
    for lr, run in trajectories.groupby("lr"):
        run = run.sort_values("epoch")
        tag = f"lr{lr:.2e}"
        for epoch in PAIR_EPOCHS:
            if epoch in set(run["epoch"]):
                values[f"loss_epoch_{epoch}_{tag}"] = run.loc[run["epoch"] == epoch, "loss"].iloc[0]
        below = run.loc[run["r"] < r_opt, "epoch"]
        values[f"first_below_ropt_epoch_{tag}"] = below.iloc[0] if len(below) else np.nan
        values[f"zone_epoch_{tag}"] = run["first_zone_epoch"].iloc[0]
        details[f"zone_epoch_{tag}"] = "first epoch in the no-learning zone; -1 = never"
        values[f"drop_epoch_{tag}"] = landmarks.drop_epoch(run["epoch"], run["loss"])
        values[f"final_loss_{tag}"] = run["loss"].iloc[-1]
        details[f"final_loss_{tag}"] = f"epoch {run['epoch'].iloc[-1]}"
    parts.append(landmark_rows("fig2", "fig2_pair", values, details))
    values, details = {}, {}
    for _, row in cliff.iterrows():
        e = int(row["epoch"])
        values[f"cliff_over_critical_epoch_{e}"] = row["cliff_over_critical"]
        values[f"all_fail_over_critical_epoch_{e}"] = row["all_fail_over_critical"]
        values[f"floor_lr_epoch_{e}"] = row["floor_lr"]
        values[f"floor_loss_epoch_{e}"] = row["floor_mean_loss"]
        details[f"cliff_over_critical_epoch_{e}"] = (
            f"first eta right of the floor with mean L >= {row['cliff_level']:g}"
        )
    ordered = cliff.sort_values("epoch")
    if len(ordered) > 1:
        first, last = ordered.iloc[0], ordered.iloc[-1]
        values["floor_lr_shift"] = last["floor_lr"] / first["floor_lr"]
        values["floor_loss_shift"] = last["floor_mean_loss"] / first["floor_mean_loss"]
        span = f"epoch {int(last['epoch'])} over epoch {int(first['epoch'])}"
        details["floor_lr_shift"] = details["floor_loss_shift"] = span
    smallest = sweep[sweep["lr"] == sweep["lr"].min()]
    for _, row in smallest.iterrows():
        values[f"mean_loss_epoch_{int(row['epoch'])}_lr{row['lr']:.2e}"] = row["mean_loss"]
    parts.append(landmark_rows("fig2", "fig2_sweep", values, details))
    return pd.concat(parts, ignore_index=True)


def fig8a_landmarks(landscape: pd.DataFrame) -> pd.DataFrame:
    """Figure 8A: the relative gradient |dE/dr| / max inside the no-learning zone, per confidence, and the
    rank correlation of that mean gradient with the confidence (−1: the lower the confidence, the larger
    the gradient).  Zone points are those whose grid neighbours also lie below r_opt / 4: the numerical
    gradient of the last one reaches across the zone's edge."""
    grid = np.sort(landscape["r_over_ropt"].unique())
    interior = grid[:-1][grid[1:] < 0.25]
    zone = landscape[landscape["r_over_ropt"].isin(interior)]
    means = zone.groupby("confidence")["grad_rel"].mean()
    values = {f"zone_grad_rel_mean_a{a:g}": g for a, g in means.items()}
    finite = means[np.isfinite(means.index)]
    if len(finite) > 1:
        ranks_a = finite.index.to_series().rank().to_numpy()
        ranks_g = finite.rank().to_numpy()
        values["zone_grad_rank_correlation"] = float(np.corrcoef(ranks_a, ranks_g)[0, 1])
    details = {"zone_grad_rank_correlation": "Spearman correlation of confidence a and zone gradient"}
    return landmark_rows("fig8a", "landscape", values, details)


def theory_landmarks(table: pd.DataFrame, fit: pd.DataFrame) -> pd.DataFrame:
    """Theory check: smallest failing η / η_c per T and the fitted log-log slopes against T."""
    values = {
        f"failing_over_critical_T{T:g}": v
        for T, v in zip(table["T"], table["failing_over_critical"], strict=True)
    }
    values.update({f"slope_{q}": s for q, s in zip(fit["quantity"], fit["slope"], strict=True)})
    return landmark_rows("theory", "theory_check", values)


#: The landmark table of each 1-D figure: function and the tables it reads (its keyword arguments).
FIGURE_LANDMARKS = {
    "fig1": fig1_landmarks,
    "fig2": fig2_landmarks,
    "fig8a": fig8a_landmarks,
    "theory": theory_landmarks,
}

"""Landmarks of the RNN sweeps (docs/methods.md §3 Figures 6, 7, 8B, 8C; §5 items 18-27), as tidy tables.

Every function is pure: per-network summaries (``rnn_<experiment>_networks.csv``) and histories in, one
table out.  Epochs follow the engine (history epoch e = the loss evaluated during the e-th update); a
continuation's epochs are shifted by its ``start_epoch`` so that both phases share one axis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ghostlearn.tables import landmarks

LANDMARK_COLUMNS = ["figure", "experiment", "landmark", "value", "detail"]


def landmark_table(figure: str, rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """The long landmark table of a figure: rows of (experiment, landmark, value, detail)."""
    table = pd.DataFrame(rows, columns=LANDMARK_COLUMNS[1:])
    table.insert(0, "figure", figure)
    table["value"] = table["value"].astype(float)
    return table


def _sem(values: pd.Series) -> float:
    """Standard error as the authors: population std / sqrt(n)."""
    return float(values.std(ddof=0) / np.sqrt(len(values))) if len(values) else float("nan")


def with_networks(history: pd.DataFrame, networks: pd.DataFrame, columns=("lr", "seed")) -> pd.DataFrame:
    """History rows joined with their network's columns, epochs shifted by the network's start epoch."""
    keep = ["network", *columns] + (["start_epoch"] if "start_epoch" in networks else [])
    table = history.merge(networks[keep], on="network", how="inner", validate="many_to_one")
    if "start_epoch" in table:
        table["epoch"] = table["epoch"] + table.pop("start_epoch")
    return table


# -- Figure 6A: loss against learning rate at fixed training times, and the cliff ----------------------


def loss_vs_lr(networks: pd.DataFrame, history: pd.DataFrame, epochs) -> pd.DataFrame:
    """Mean ± SEM over seeds of the loss at each report epoch, per learning rate (Fig. 6A, 6-scaling).

    A diverged network (non-finite loss) counts with its first-epoch loss: it made no progress.
    Columns: lr, epoch, mean_loss, sem_loss, n, mean_first_loss.
    """
    epochs = sorted(int(e) for e in epochs)
    missing = sorted(set(epochs) - set(history["epoch"].unique()))
    if missing:
        raise ValueError(f"epochs {missing} are not stored in the history")
    table = history[history["epoch"].isin(epochs)].merge(
        networks[["network", "lr", "first_loss"]], on="network", validate="many_to_one"
    )
    table["loss"] = table["loss"].where(np.isfinite(table["loss"]), table["first_loss"])
    grouped = table.groupby(["lr", "epoch"])
    summary = grouped.agg(
        mean_loss=("loss", "mean"), n=("loss", "size"), mean_first_loss=("first_loss", "mean")
    )
    summary["sem_loss"] = grouped["loss"].apply(_sem)
    return summary.reset_index()


def cliff_per_epoch(summary: pd.DataFrame, fraction: float = 0.5) -> pd.DataFrame:
    """Per epoch: the valley floor and the learning-rate cliff of :func:`loss_vs_lr`'s table.

    Rule (as Fig. 2d, :func:`ghostlearn.tables.landmarks.cliff_lr`): right of the floor (the rate of the lowest
    mean loss), the first rate whose mean loss reaches ``fraction`` x the mean first-epoch loss (the
    plateau level: 1 for the rank-one model, about 0.5 for the sigmoid read-out of the "full" model).
    NaN when no learning rate has got below the level yet (no valley, so no cliff).
    """
    rows = []
    for epoch, group in summary.groupby("epoch"):
        level = fraction * float(group["mean_first_loss"].mean())
        floor = group.loc[group["mean_loss"].idxmin()]
        valley = float(floor["mean_loss"]) < level
        rows.append(
            {
                "epoch": int(epoch),
                "floor_lr": float(floor["lr"]),
                "floor_mean_loss": float(floor["mean_loss"]),
                "cliff_level": level,
                "cliff_lr": landmarks.cliff_lr(group["lr"], group["mean_loss"], level)
                if valley
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


# -- Figure 6B: fraction of networks that learned, per rank K and learning rate -------------------------


def learned(networks: pd.DataFrame, ratio: float = 1e-2) -> pd.Series:
    """The authors' criterion: final loss / first-epoch loss < ``ratio`` (diverged networks did not learn)."""
    normalised = networks["final_loss"] / networks["first_loss"]
    return (normalised < ratio) & np.isfinite(normalised) & ~networks["diverged"].astype(bool)


def fraction_learned(tables: dict[int, pd.DataFrame], ratio: float = 1e-2) -> pd.DataFrame:
    """Per (K, learning rate): the fraction of seeds that learned.  ``tables`` maps K to networks."""
    rows = []
    for K, networks in sorted(tables.items()):
        flags = networks.assign(learned=learned(networks, ratio))
        for lr, group in flags.groupby("lr"):
            rows.append(
                {
                    "K": int(K),
                    "lr": float(lr),
                    "fraction_learned": float(group["learned"].mean()),
                    "n": len(group),
                }
            )
    return pd.DataFrame(rows)


def rank_order_of_failure(fractions: pd.DataFrame, level: float = 0.5) -> pd.DataFrame:
    """Per K: the smallest learning rate from which, going up the grid, the fraction learned stays below
    ``level`` (NaN if it never drops there).  Low K failing first means this rate grows with K."""
    rows = []
    for K, group in fractions.groupby("K"):
        group = group.sort_values("lr")
        ok = group["fraction_learned"].to_numpy() >= level
        last_ok = np.nonzero(ok)[0]
        start = 0 if not last_ok.size else last_ok[-1] + 1
        fail = float(group["lr"].iloc[start]) if start < len(group) else float("nan")
        rows.append({"K": int(K), "failure_lr": fail})
    return pd.DataFrame(rows)


# -- Figure 7: no-learning zones of full-rank task RNNs -----------------------------------------------


def stuck_networks(
    networks: pd.DataFrame,
    history: pd.DataFrame,
    grad_tol: float = 1e-3,
    min_loss: float = 0.05,
    window: int = 100,
) -> pd.DataFrame:
    """Flag networks stuck in a no-learning zone at the end of training.

    Rule: the mean gradient norm over the stored epochs of the last ``window`` epochs is below
    ``grad_tol`` while the final loss is above ``min_loss`` (a confidently wrong, saturated output with
    a vanishing gradient; a learned network at its minimum has a low loss; a diverged one is not stuck).
    Adds columns late_grad_norm and stuck.
    """
    last = history["epoch"].max()
    late = history[history["epoch"] > last - window].groupby("network")["grad_norm"].mean()
    table = networks.copy()
    table["late_grad_norm"] = table["network"].map(late).astype(float)
    table["stuck"] = (
        (table["late_grad_norm"] < grad_tol)
        & (table["final_loss"] > min_loss)
        & ~table["diverged"].astype(bool)
    )
    return table


def stuck_fraction(flagged: pd.DataFrame) -> pd.DataFrame:
    """Per learning rate: fraction of seeds stuck, and the median final loss/accuracy of those stuck."""
    rows = []
    for lr, group in flagged.groupby("lr"):
        stuck = group[group["stuck"]]
        rows.append(
            {
                "lr": float(lr),
                "stuck_fraction": float(group["stuck"].mean()),
                "n": len(group),
                "stuck_median_loss": float(stuck["final_loss"].median()) if len(stuck) else float("nan"),
                "stuck_median_accuracy": float(stuck["final_accuracy"].median())
                if len(stuck)
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def nearest_lr(lrs, target: float) -> float:
    """The grid learning rate nearest to ``target`` on a log scale."""
    lrs = np.unique(np.asarray(lrs, dtype=float))
    return float(lrs[np.argmin(np.abs(np.log(lrs) - np.log(target)))])


def case_networks(networks: pd.DataFrame, cases) -> list[int]:
    """Network ids of the (learning rate, seed) cases, each learning rate snapped to the grid."""
    ids = []
    for lr, seed in cases:
        lr = nearest_lr(networks["lr"], lr)
        match = networks[(networks["lr"] == lr) & (networks["seed"] == seed)]
        if match.empty:
            raise ValueError(f"case (lr {lr:.4g}, seed {seed}) is not in the sweep")
        ids.append(int(match["network"].iloc[0]))
    return ids


def gradient_spikes(history: pd.DataFrame, window: int = 51) -> pd.Series:
    """Per history epoch: the gradient norm over its rolling median (centred, ``window`` rows), i.e. how far
    an epoch sticks out of the slow trend (a spike, not a drift)."""
    grad = history.set_index("epoch")["grad_norm"].sort_index()
    return grad / grad.rolling(window, center=True, min_periods=1).median()


def saturation_epoch(history: pd.DataFrame, search, window: int = 51) -> tuple[int, float]:
    """docs/methods.md §5 item 23: the escape event of the saturated DMTS run, found automatically.

    Rule: within ``search`` = [first, last] (the window whose states are kept), the history epoch whose
    gradient norm is largest relative to its rolling median (:func:`gradient_spikes`); returns
    (epoch, spike ratio).  The authors picked 5750-5752 by hand on their float path; a ratio near 1 says
    the window holds no escape event on this one.  Its gradient is evaluated on the parameters after
    ``epoch - 1`` updates."""
    first, last = search
    spikes = gradient_spikes(history, window)
    inside = spikes[(spikes.index >= first) & (spikes.index <= last)]
    if inside.empty:
        raise ValueError(f"no history rows in the saturation search window {search}")
    return int(inside.idxmax()), float(inside.max())


# -- Figure 8B: lowering the confidence rescues networks stuck in the no-learning zone -----------------


def ablation_selection(history: pd.DataFrame, epochs: int, window: int = 50) -> pd.DataFrame:
    """Fig. 8B selection on the first phase (per network): learned (max accuracy > 0.5 somewhere before the
    switch) and then fell back (max accuracy <= 0.5 over the last ``window`` epochs before it)."""
    best = history.groupby("network")["accuracy"].max()
    late = history[history["epoch"] > epochs - window].groupby("network")["accuracy"].max()
    table = pd.DataFrame({"max_accuracy": best, "late_max_accuracy": late}).reset_index()
    table["selected"] = (table["max_accuracy"] > 0.5) & (table["late_max_accuracy"] <= 0.5)
    return table


def ablation_curves(
    phase1: pd.DataFrame, continuation: pd.DataFrame, networks: pd.DataFrame, selection: pd.DataFrame
) -> pd.DataFrame:
    """Mean ± SEM over the selected runs of accuracy and gradient norm against the global epoch.

    ``phase1``: first-phase history (network = parent id); ``continuation``: the continuation's history
    with ``networks`` (columns network, parent, c, start_epoch).  Rows before the switch have c = NaN.
    """
    chosen = set(selection.loc[selection["selected"], "network"])
    rows = []
    before = phase1[phase1["network"].isin(chosen)]
    for epoch, group in before.groupby("epoch"):
        rows.append(_mean_row(group, epoch, np.nan))
    after = with_networks(continuation, networks, columns=("parent", "c"))
    after = after[after["parent"].isin(chosen)]
    for (c, epoch), group in after.groupby(["c", "epoch"]):
        rows.append(_mean_row(group, epoch, c))
    columns = [
        "c",
        "epoch",
        "mean_accuracy",
        "sem_accuracy",
        "mean_grad_norm",
        "sem_grad_norm",
        "mean_loss",
        "n",
    ]
    return pd.DataFrame(rows, columns=columns)


def _mean_row(group: pd.DataFrame, epoch, value) -> dict:
    return {
        "c": float(value),
        "epoch": int(epoch),
        "mean_accuracy": float(group["accuracy"].mean()),
        "sem_accuracy": _sem(group["accuracy"]),
        "mean_grad_norm": float(group["grad_norm"].mean()),
        "sem_grad_norm": _sem(group["grad_norm"]),
        "mean_loss": float(group["loss"].mean()),
        "n": len(group),
    }


def before_after(curves: pd.DataFrame, switch_epoch: int, axis: str = "c") -> pd.DataFrame:
    """Per value of the grid axis: mean accuracy at the last epoch before the switch and at the end.

    Before the switch every value shares the first phase (rows with a NaN axis value, or the value's own
    rows when the first phase is repeated per value)."""
    rows = []
    shared = curves[curves[axis].isna() & (curves["epoch"] <= switch_epoch)]
    for value, group in curves.dropna(subset=[axis]).groupby(axis):
        own_before = group[group["epoch"] <= switch_epoch]
        before = own_before if not own_before.empty else shared
        before_row = before.loc[before["epoch"].idxmax()]
        end_row = group.loc[group["epoch"].idxmax()]
        rows.append(
            {
                axis: float(value),
                "accuracy_before": float(before_row["mean_accuracy"]),
                "accuracy_after": float(end_row["mean_accuracy"]),
                "epoch_before": int(before_row["epoch"]),
                "epoch_after": int(end_row["epoch"]),
                "n": int(end_row["n"]),
            }
        )
    return pd.DataFrame(rows)


def phase_curves(
    phase1: pd.DataFrame, continuation: pd.DataFrame, networks: pd.DataFrame, axis: str
) -> pd.DataFrame:
    """Fig. 8C: mean ± SEM of accuracy (and gradient norm, loss) over seeds against the global epoch; the
    shared first phase once (axis value NaN), then one curve per value of the continuation's axis."""
    rows = [_mean_row(group, epoch, np.nan) for epoch, group in phase1.groupby("epoch")]
    after = with_networks(continuation, networks, columns=(axis,))
    rows += [_mean_row(group, epoch, value) for (value, epoch), group in after.groupby([axis, "epoch"])]
    table = pd.DataFrame(rows).rename(columns={"c": axis})
    return table


def concatenated_history(phases: list[tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Fig. 8B learnable confidence: the histories of consecutive phases on one epoch axis, with a phase
    number; each phase is (history, networks)."""
    tables = []
    for phase, (history, networks) in enumerate(phases, start=1):
        table = with_networks(history, networks, columns=("seed",))
        tables.append(table.assign(phase=phase))
    return pd.concat(tables, ignore_index=True)


# -- Beyond the paper: the rank-one critical learning rate against the task timescale T ----------------


def critical_lr_vs_T(summaries: dict[int, pd.DataFrame], fraction: float = 0.5) -> pd.DataFrame:
    """Per T: the cliff (rule of :func:`cliff_per_epoch`) at the last report epoch of that T's sweep."""
    rows = []
    for T, summary in sorted(summaries.items()):
        cliffs = cliff_per_epoch(summary, fraction)
        last = cliffs.loc[cliffs["epoch"].idxmax()]
        rows.append(
            {
                "T": int(T),
                "epoch": int(last["epoch"]),
                "cliff_lr": float(last["cliff_lr"]),
                "floor_lr": float(last["floor_lr"]),
                "lr_min": float(summary["lr"].min()),
                "lr_max": float(summary["lr"].max()),
            }
        )
    return pd.DataFrame(rows)


#: Exponents of the 1-D theory's η_c ∝ T^p (docs/methods.md §1a): the authors' un-normalised error E = T·L
#: gives −5, the per-T normalised loss L (the RNN's loss Σ(y − y*)²/T) gives −4.
THEORY_EXPONENTS = {"error": -5.0, "normalised_loss": -4.0}


def power_law_fit(table: pd.DataFrame) -> pd.DataFrame:
    """Log-log fit of the measured cliff against T, beside the 1-D theory's exponents (slope NaN when
    fewer than two T have a cliff)."""
    try:
        slope, intercept = landmarks.loglog_slope(table["T"], table["cliff_lr"])
    except ValueError:
        slope, intercept = float("nan"), float("nan")
    return pd.DataFrame(
        [
            {
                "quantity": "cliff_lr",
                "slope": slope,
                "intercept": intercept,
                "points": int(np.isfinite(table["cliff_lr"]).sum()),
                "theory_exponent_error": THEORY_EXPONENTS["error"],
                "theory_exponent_normalised_loss": THEORY_EXPONENTS["normalised_loss"],
            }
        ]
    )


def saturation_states(family, params_by_epoch: dict, task, trial: int = 0, seed: int = 0):
    """Fig. 7 saturation: the rates r_0 … r_S and outputs of one trial at each checkpoint epoch (initial
    rates drawn as in training, from a generator seeded ``seed``; the saturation run has σ_fr = 0, so
    r_0 = 0).  Returns (rates: epoch, step, unit, rate; outputs: epoch, step, output, target)."""
    import torch

    rates, outputs = [], []
    B, S = task.targets.shape
    sigma_init = float(family.extra.get("sigma_init", 0.0))
    for epoch, params in sorted(params_by_epoch.items()):
        params = {k: v.to(torch.float64) for k, v in params.items()}
        E = next(iter(params.values())).shape[0]
        g = torch.Generator().manual_seed(seed)
        r0 = torch.tanh(sigma_init * torch.randn((E, B, family.N), generator=g, dtype=torch.float64))
        with torch.no_grad():
            out, states = family.forward(
                params, task.targets.double(), task.inputs.double(), r0=r0, return_states=True
            )
        state = states[0, trial].numpy()  # (S + 1, N)
        steps, units = np.meshgrid(np.arange(state.shape[0]), np.arange(state.shape[1]), indexing="ij")
        rates.append(
            pd.DataFrame(
                {"epoch": epoch, "step": steps.ravel(), "unit": units.ravel(), "rate": state.ravel()}
            )
        )
        outputs.append(
            pd.DataFrame(
                {
                    "epoch": epoch,
                    "step": np.arange(S),
                    "output": out[0, trial].numpy(),
                    "target": task.targets[trial].double().numpy(),
                }
            )
        )
    return pd.concat(rates, ignore_index=True), pd.concat(outputs, ignore_index=True)

"""Landmarks of the RNN sweeps (docs/methods.md §3 Figures 6, 7, 8B, 8C; §5 items 18-27), as tidy tables.

Every function is pure: per-network summaries (``rnn_<experiment>_networks.csv``) and histories in, one
table out.  Epochs follow the engine (history epoch e = the loss evaluated during the e-th update); a
continuation's epochs are shifted by its ``start_epoch`` so that both phases share one axis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ghostlearn.tables import landmarks
from ghostlearn.tables.landmarks import landmark_frame
from ghostlearn.tables.runs import ExperimentTables


def _sem(values: pd.Series) -> float:
    """Standard error as the authors: population std / sqrt(n) (in float64, as seaborn aggregates)."""
    values = values.astype(float)
    return float(values.std(ddof=0) / np.sqrt(len(values))) if len(values) else float("nan")


def population_sem_interval(values) -> tuple[float, float]:
    """Mean ± the authors' SEM (:func:`_sem`: population std / sqrt(n)), as a seaborn ``errorbar`` callable.

    seaborn's ``errorbar="se"`` uses the sample std (ddof=1); with this, ``sns.lineplot(...,
    errorbar=population_sem_interval)`` draws the mean ± SEM of the tables' mean/sem columns."""
    values = pd.Series(values, dtype=float)
    mean, sem = float(values.mean()), _sem(values)
    return mean - sem, mean + sem


def with_networks(history: pd.DataFrame, networks: pd.DataFrame, columns=("lr", "seed")) -> pd.DataFrame:
    """History rows joined with their network's columns, epochs shifted by the network's start epoch."""
    keep = ["network", *columns] + (["start_epoch"] if "start_epoch" in networks else [])
    table = history.merge(networks[keep], on="network", how="inner", validate="many_to_one")
    if "start_epoch" in table:
        table["epoch"] = table["epoch"] + table.pop("start_epoch")
    return table


# -- Figure 6A: loss against learning rate at fixed training times, and the cliff ----------------------


def losses_at(networks: pd.DataFrame, history: pd.DataFrame, epochs) -> pd.DataFrame:
    """Per network and report epoch, the loss that :func:`loss_vs_lr` averages (Fig. 6A's per-seed rows).

    A diverged network (non-finite loss) counts with its first-epoch loss: it made no progress.  The loss
    is float64 (the history stores float32): averaged in float64, as seaborn averages what it draws.
    Columns: network, epoch, loss, lr, (seed,) first_loss.
    """
    epochs = sorted(int(e) for e in epochs)
    missing = sorted(set(epochs) - set(history["epoch"].unique()))
    if missing:
        raise ValueError(f"epochs {missing} are not stored in the history")
    keep = ["network", "lr", *(["seed"] if "seed" in networks else []), "first_loss"]
    table = history.loc[history["epoch"].isin(epochs), ["network", "epoch", "loss"]].merge(
        networks[keep], on="network", validate="many_to_one"
    )
    loss = table["loss"].astype(float)
    table["loss"] = loss.where(np.isfinite(loss), table["first_loss"])
    return table


def loss_vs_lr(networks: pd.DataFrame, history: pd.DataFrame, epochs) -> pd.DataFrame:
    """Mean ± SEM over seeds of the loss at each report epoch, per learning rate (Fig. 6A, 6-scaling).

    The per-network losses are :func:`losses_at`'s (a diverged network counts with its first-epoch loss).
    Columns: lr, epoch, mean_loss, sem_loss, n, mean_first_loss.
    """
    table = losses_at(networks, history, epochs)
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


#: Fig. 8B draws the shared first phase from this many epochs before the switch.
ABLATION_LEAD = 200


def shown_values(values, every: int) -> np.ndarray:
    """Fig. 8B: the grid values drawn: of the sorted distinct non-NaN ``values``, every ``every``-th from
    the third (the authors: every third from index 2); all of them when there are at most two."""
    values = np.sort(pd.Series(values, dtype=float).dropna().unique())
    return values[2::every] if len(values) > 2 else values


def ablation_runs(
    phase1: pd.DataFrame,
    continuation: pd.DataFrame,
    networks: pd.DataFrame,
    selection: pd.DataFrame,
    phase1_networks: pd.DataFrame,
    switch_epoch: int,
    plot_every: int,
) -> pd.DataFrame:
    """The per-run rows behind :func:`ablation_curves` that Fig. 8B draws: the selected runs' first phase
    from :data:`ABLATION_LEAD` epochs before the switch (c = NaN), and their continuations at the values of
    c in :func:`shown_values`.  Columns: c, epoch, network, seed, accuracy, grad_norm (float64, so that a CSV
    keeps the float32 history values exactly)."""
    chosen = set(selection.loc[selection["selected"], "network"])
    columns = ["c", "epoch", "network", "seed", "accuracy", "grad_norm"]
    before = phase1[phase1["network"].isin(chosen) & (phase1["epoch"] >= switch_epoch - ABLATION_LEAD)]
    before = before.merge(phase1_networks[["network", "seed"]], on="network", validate="many_to_one")
    after = with_networks(continuation, networks, columns=("parent", "c", "seed"))
    after = after[after["parent"].isin(chosen)]
    after = after[after["c"].isin(shown_values(after["c"], plot_every))]
    table = pd.concat([before.assign(c=np.nan)[columns], after[columns]], ignore_index=True)
    return table.astype({"accuracy": float, "grad_norm": float})


def _mean_row(group: pd.DataFrame, epoch, value) -> dict:
    """Mean ± SEM of one (value, epoch) group, in float64 (the history stores float32)."""
    accuracy, grad_norm, loss = (group[c].astype(float) for c in ("accuracy", "grad_norm", "loss"))
    return {
        "c": float(value),
        "epoch": int(epoch),
        "mean_accuracy": float(accuracy.mean()),
        "sem_accuracy": _sem(accuracy),
        "mean_grad_norm": float(grad_norm.mean()),
        "sem_grad_norm": _sem(grad_norm),
        "mean_loss": float(loss.mean()),
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


def phase_runs(
    phase1: pd.DataFrame,
    continuation: pd.DataFrame,
    phase1_networks: pd.DataFrame,
    networks: pd.DataFrame,
    axis: str,
) -> pd.DataFrame:
    """The per-seed rows behind :func:`phase_curves` (Fig. 8C draws their accuracy): the shared first phase
    (axis value NaN), then each continuation on the global epoch axis.  Columns: ``axis``, epoch, network,
    seed, accuracy (float64, so that a CSV keeps the float32 history values exactly)."""
    columns = [axis, "epoch", "network", "seed", "accuracy"]
    before = phase1.merge(phase1_networks[["network", "seed"]], on="network", validate="many_to_one")
    after = with_networks(continuation, networks, columns=(axis, "seed"))
    table = pd.concat([before.assign(**{axis: np.nan})[columns], after[columns]], ignore_index=True)
    return table.astype({"accuracy": float})


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
    for epoch, params in sorted(params_by_epoch.items()):
        params = {k: v.to(torch.float64) for k, v in params.items()}
        E = next(iter(params.values())).shape[0]
        g = torch.Generator().manual_seed(seed)
        r0 = family.initial_rates((E, B, family.N), g, dtype=torch.float64)
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


# -- figure-table and landmark builders (named in the figure registry) ------------------------------------
def _need(run: ExperimentTables, table: str, columns) -> pd.DataFrame:
    """One of an experiment's tables, whole, after checking it has ``columns``."""
    frame = getattr(run, table)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{run.name}: {table} table lacks column(s) {missing}; has {list(frame.columns)}")
    return frame


_HISTORY6 = ["network", "epoch", "loss", "grad_norm"]
_NETWORKS6 = ["network", "lr", "seed", "first_loss", "final_loss", "diverged"]


def fig6_tables(
    rank_one: ExperimentTables,
    full: ExperimentTables,
    ranks: list[ExperimentTables],
    cliff_fraction: float = 0.5,
    learned_ratio: float = 1e-2,
) -> dict[str, pd.DataFrame]:
    """Figure 6: loss vs learning rate (mean ± SEM, and the per-network losses the panels draw) and its
    cliff per reported epoch (6A), fraction learned per rank K and learning rate and the normalised
    learning curves (6B)."""
    summaries, losses, cliffs = [], [], []
    for run in (rank_one, full):
        epochs = run.spec["report_epochs"] or [run.spec["epochs"]]
        networks, history = _need(run, "networks", _NETWORKS6), _need(run, "history", _HISTORY6)
        summary = loss_vs_lr(networks, history, epochs)
        summaries.append(summary.assign(experiment=run.name))
        per_seed = losses_at(networks, history, epochs)[["network", "lr", "seed", "epoch", "loss"]]
        losses.append(per_seed.sort_values(["lr", "epoch", "seed"]).assign(experiment=run.name))
        cliffs.append(cliff_per_epoch(summary, cliff_fraction).assign(experiment=run.name))
    tables = {run.spec["model"]["K"]: _need(run, "networks", _NETWORKS6) for run in ranks}
    curves = []
    for run in ranks:
        K = run.spec["model"]["K"]
        history = with_networks(
            _need(run, "history", _HISTORY6), tables[K], columns=("lr", "seed", "first_loss")
        )
        curves.append(history.assign(K=K, normalised_loss=history["loss"] / history["first_loss"]))
    return {
        "loss_vs_lr": pd.concat(summaries, ignore_index=True),
        "losses": pd.concat(losses, ignore_index=True),
        "cliff": pd.concat(cliffs, ignore_index=True),
        "learned": fraction_learned(tables, learned_ratio),
        "curves": pd.concat(curves, ignore_index=True),
    }


def fig6_landmarks(
    cliff: pd.DataFrame, learned: pd.DataFrame, cliff_fraction: float = 0.5, learned_ratio: float = 1e-2
) -> pd.DataFrame:
    """Figure 6: the cliff learning rate per epoch (6A), the fraction learned per rank and learning rate
    and the learning rate above which fewer than half learn, per rank (6B)."""
    rule = f"first lr right of the valley floor with mean loss >= {cliff_fraction} x first loss"
    rows = [(r.experiment, f"cliff_lr_epoch_{r.epoch}", r.cliff_lr, rule) for r in cliff.itertuples()]
    rule = f"fraction of seeds with final / first loss < {learned_ratio:g}"
    rows += [
        (f"fig6b_K{r.K}", f"fraction_learned_K{r.K}_lr{r.lr:.2e}", r.fraction_learned, rule)
        for r in learned.itertuples()
    ]
    rows += [
        (f"fig6b_K{r.K}", f"failure_lr_K{r.K}", r.failure_lr, "lowest lr above which fewer than half learn")
        for r in rank_order_of_failure(learned).itertuples()
    ]
    return landmark_frame("fig6", rows)


_HISTORY7 = ["network", "epoch", "loss", "grad_norm", "weight_norm", "accuracy"]
_NETWORKS7 = [
    "network",
    "lr",
    "seed",
    "final_loss",
    "final_accuracy",
    "diverged",
    "mean_loss",
    "mean_grad_norm",
]


def fig7_tables(
    dcdt: ExperimentTables, dmts: ExperimentTables, saturation: ExperimentTables, figures: dict
) -> dict[str, pd.DataFrame]:
    """Figure 7: per-network time averages with the stuck flag, the stuck fraction per learning rate, the
    case histories, and the saturation run with its firing rates and outputs on both sides of its
    automatically found escape event (``figures`` = the config's ``rnn_figures``)."""
    flagged_all, stuck_all, cases = [], [], []
    for run in (dcdt, dmts):
        networks, history = _need(run, "networks", _NETWORKS7), _need(run, "history", _HISTORY7)
        flagged = stuck_networks(
            networks, history, figures["stuck_grad_tol"], figures["stuck_min_loss"], figures["stuck_window"]
        )
        flagged_all.append(flagged.assign(experiment=run.name))
        stuck_all.append(stuck_fraction(flagged).assign(experiment=run.name))
        ids = case_networks(networks, figures["cases"].get(run.name, []))
        for case, network in enumerate(ids, start=1):
            cases.append(history[history["network"] == network].assign(experiment=run.name, case=case))
    flagged = pd.concat(flagged_all, ignore_index=True)
    case_table = pd.concat(cases, ignore_index=True).merge(
        flagged[["experiment", "network", "lr", "seed"]], on=["experiment", "network"]
    )
    history = _need(saturation, "history", _HISTORY7)
    spike, _ = saturation_epoch(history, figures["saturation_search"])
    rates, outputs = _saturation_states_around(saturation, spike, figures["saturation_search"])
    return {
        "networks": flagged,
        "stuck": pd.concat(stuck_all, ignore_index=True),
        "cases": case_table,
        "saturation": history,
        "rates": rates,
        "outputs": outputs,
    }


def _saturation_states_around(saturation: ExperimentTables, spike: int, search) -> tuple:
    """Firing rates and outputs of the saturation run at the checkpoints just before and at ``spike``."""
    from ghostlearn.io import read_table
    from ghostlearn.rnn.engine import TaskData, load_checkpoint
    from ghostlearn.rnn.training import family_from_config

    (checkpoint,) = [load_checkpoint(p) for p in saturation.checkpoints]
    missing = [k for k in (spike - 1, spike) if k not in checkpoint]
    if missing:
        raise ValueError(
            f"checkpoints {missing} not kept: widen {saturation.name}.checkpoint_epochs to {search}"
        )
    task = TaskData.from_table(read_table(saturation.task, ["trial", "step", "input", "target"]))
    family = family_from_config(saturation.spec)
    return saturation_states(family, {k: checkpoint[k] for k in (spike - 1, spike)}, task)


def fig7_landmarks(stuck: pd.DataFrame, saturation: pd.DataFrame, figures: dict) -> pd.DataFrame:
    """Figure 7: the stuck fraction per learning rate and the stuck networks' median final loss and
    accuracy at ``stuck_lr`` (per task), and the saturation run's escape event and largest spike."""
    rows = []
    rule = (
        f"mean grad norm over the last {figures['stuck_window']} epochs < {figures['stuck_grad_tol']:g} "
        f"and final loss > {figures['stuck_min_loss']:g}"
    )
    for name, part in stuck.groupby("experiment", sort=False):
        rows += [(name, f"stuck_fraction_lr{r.lr:.2e}", r.stuck_fraction, rule) for r in part.itertuples()]
        at = part[part["lr"] == nearest_lr(part["lr"], figures["stuck_lr"])].iloc[0]
        detail = f"median final value of the stuck networks at lr {at.lr:.4g} ({at.stuck_fraction:.2f} stuck)"
        rows += [
            (name, "stuck_loss", at.stuck_median_loss, detail),
            (name, "stuck_accuracy", at.stuck_median_accuracy, detail),
        ]
    search = figures["saturation_search"]
    spike, ratio = saturation_epoch(saturation, search)
    at_spike = saturation[saturation["epoch"] == spike].iloc[0]
    spikes = gradient_spikes(saturation[saturation["epoch"] > 10])  # skip the first descent
    rule = f"epoch of the largest grad-norm spike (grad norm / rolling median) in epochs {search}"
    rows += [
        ("fig7_saturation", "saturation_epoch", spike, rule),
        (
            "fig7_saturation",
            "saturation_spike_ratio",
            ratio,
            "grad norm / rolling median at saturation_epoch",
        ),
        (
            "fig7_saturation",
            "largest_spike_epoch",
            int(spikes.idxmax()),
            "largest spike of the run after epoch 10",
        ),
        ("fig7_saturation", "largest_spike_ratio", float(spikes.max()), "grad norm / rolling median there"),
        ("fig7_saturation", "saturation_grad_norm", at_spike.grad_norm, "grad norm at saturation_epoch"),
        ("fig7_saturation", "saturation_loss", at_spike.loss, "loss at saturation_epoch"),
    ]
    return landmark_frame("fig7", rows)


_HISTORY8 = ["network", "epoch", "loss", "grad_norm", "accuracy"]
_NETWORKS8 = ["network", "lr", "seed", "start_epoch"]


def fig8b_tables(
    ablation_phase1: ExperimentTables,
    ablation: ExperimentTables,
    learnable_phase1: ExperimentTables,
    learnable: ExperimentTables,
    switch_epoch: int,
    window: int = 50,
    plot_every: int = 3,
) -> dict[str, pd.DataFrame]:
    """Figure 8B: the first-phase runs that learned and then fell back (selection), their accuracy and
    gradient around the confidence change per c (mean ± SEM, and the per-run rows the panels draw: every
    ``plot_every``-th c), and the learnable-confidence run on one epoch axis."""
    phase1 = _need(ablation_phase1, "history", _HISTORY8)
    selection = ablation_selection(phase1, switch_epoch, window)
    networks = _need(ablation, "networks", [*_NETWORKS8, "parent", "c"])
    continuation = _need(ablation, "history", _HISTORY8)
    curves = ablation_curves(phase1, continuation, networks, selection)
    runs = ablation_runs(
        phase1,
        continuation,
        networks,
        selection,
        _need(ablation_phase1, "networks", ["network", "seed"]),
        switch_epoch,
        plot_every,
    )
    phases = [
        (_need(run, "history", _HISTORY8), _need(run, "networks", _NETWORKS8))
        for run in (learnable_phase1, learnable)
    ]
    return {
        "selection": selection,
        "curves": curves,
        "runs": runs,
        "learnable": concatenated_history(phases),
    }


def fig8b_landmarks(
    selection: pd.DataFrame,
    curves: pd.DataFrame,
    learnable: pd.DataFrame,
    switch_epoch: int,
    window: int = 50,
) -> pd.DataFrame:
    """Figure 8B: accuracy of the selected runs before and after the confidence change per c, and the
    learnable-confidence run's loss and gradient at the end of each phase."""
    n_selected = int(selection["selected"].sum())
    rule = f"mean over the {n_selected} selected runs (learned, then max accuracy <= 0.5 over the last {window} epochs)"
    rows = [("fig8b_ablation", "selected_runs", n_selected, f"of {len(selection)} first-phase runs")]
    if n_selected:
        for r in before_after(curves, switch_epoch).itertuples():
            rows += [
                (
                    "fig8b_ablation",
                    f"accuracy_before_c{r.c:.3g}",
                    r.accuracy_before,
                    f"epoch {r.epoch_before}; {rule}",
                ),
                (
                    "fig8b_ablation",
                    f"accuracy_after_c{r.c:.3g}",
                    r.accuracy_after,
                    f"epoch {r.epoch_after}; {rule}",
                ),
            ]
    for phase, label in ((1, "before_reset"), (2, "after_reset")):
        rows_phase = learnable[learnable["phase"] == phase]
        last = rows_phase.loc[rows_phase["epoch"].idxmax()]
        rows += [
            (
                "fig8b_learnable",
                f"loss_{label}",
                last.loss,
                f"loss at epoch {int(last.epoch)} (end of phase {phase})",
            ),
            (
                "fig8b_learnable",
                f"grad_norm_{label}",
                last.grad_norm,
                f"grad norm at epoch {int(last.epoch)}",
            ),
        ]
    after = learnable[learnable["phase"] == 2]
    rows.append(
        (
            "fig8b_learnable",
            "min_loss_after_reset",
            float(np.nanmin(after["loss"])),
            "lowest loss after c is reset to 1",
        )
    )
    return landmark_frame("fig8b", rows)


def fig8c_tables(phase1: ExperimentTables, continuation: ExperimentTables) -> dict[str, pd.DataFrame]:
    """Figure 8C: mean ± SEM accuracy per normalisation level against the global epoch (the shared first
    phase once), and the per-seed accuracies the panel draws."""
    networks = _need(continuation, "networks", ["network", "seed", "start_epoch", "output_l1_norm"])
    history1, history2 = _need(phase1, "history", _HISTORY8), _need(continuation, "history", _HISTORY8)
    curves = phase_curves(history1, history2, networks, "output_l1_norm")
    runs = phase_runs(
        history1, history2, _need(phase1, "networks", ["network", "seed"]), networks, "output_l1_norm"
    )
    return {"curves": curves, "runs": runs}


def fig8c_landmarks(curves: pd.DataFrame, switch_epoch: int) -> pd.DataFrame:
    """Figure 8C: the mean accuracy before and after the switch, per normalisation level c."""
    rows = []
    rule = "mean accuracy over seeds; ||w_out||_1 normalised to c after the switch (inf: never)"
    for r in before_after(curves, switch_epoch, "output_l1_norm").itertuples():
        c = f"{r.output_l1_norm:g}"
        rows += [
            ("fig8c", f"accuracy_before_c{c}", r.accuracy_before, f"epoch {r.epoch_before}; {rule}"),
            ("fig8c", f"accuracy_after_c{c}", r.accuracy_after, f"epoch {r.epoch_after}; {rule}"),
        ]
    return landmark_frame("fig8c", rows)


def rnn_scaling_tables(
    scaling: list[ExperimentTables], cliff_fraction: float = 0.5
) -> dict[str, pd.DataFrame]:
    """Beyond the paper: the rank-one cliff learning rate (Fig. 6A's) at the last epoch against T, and its
    power-law fit beside the 1-D theory's exponents."""
    summaries = {}
    for run in scaling:
        networks = _need(run, "networks", ["network", "lr", "seed", "first_loss", "final_loss"])
        history = _need(run, "history", ["network", "epoch", "loss"])
        summaries[run.spec["task"]["T"]] = loss_vs_lr(networks, history, [run.spec["epochs"]])
    critical = critical_lr_vs_T(summaries, cliff_fraction)
    return {
        "loss_vs_lr": pd.concat([s.assign(T=T) for T, s in summaries.items()], ignore_index=True),
        "critical": critical,
        "fit": power_law_fit(critical),
    }


def rnn_scaling_landmarks(
    critical: pd.DataFrame, fit: pd.DataFrame, cliff_fraction: float = 0.5
) -> pd.DataFrame:
    """The cliff learning rate per T and the fitted exponent beside the theory's."""
    rule = f"cliff at the last epoch (first lr right of the floor with mean loss >= {cliff_fraction} x first loss)"
    rows = [(f"tscaling_T{r.T}", f"critical_lr_T{r.T}", r.cliff_lr, rule) for r in critical.itertuples()]
    row = fit.iloc[0]
    rows += [
        (
            "rnn_scaling",
            "critical_lr_exponent",
            row.slope,
            f"log-log fit of the cliff vs T over {row.points} T",
        ),
        ("rnn_scaling", "theory_exponent_error", row.theory_exponent_error, "1-D theory, dE/dr convention"),
        (
            "rnn_scaling",
            "theory_exponent_normalised_loss",
            row.theory_exponent_normalised_loss,
            "1-D theory, loss normalised by T (as the RNN loss)",
        ),
    ]
    return landmark_frame("rnn_scaling", rows)

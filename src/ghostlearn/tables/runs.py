"""Figure tables of the RNN experiments: landmarks read off training histories and checkpoint analyses,
and the epochs a figure draws (docs/methods.md §3 Figures 3–5).

Landmark tables are long: one row per (figure, experiment, landmark) with a numeric value and, in
``detail``, the rule or unit that defines it, so one scorecard can read every figure's table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ghostlearn.tables import landmarks
from ghostlearn.tables.landmarks import LANDMARK_COLUMNS


@dataclass(frozen=True)
class ExperimentTables:
    """The aggregated tables of one RNN experiment, as a figure-table builder receives them: its config
    entry, the per-network table, the history of every network, and (where the registry asks for them)
    its job checkpoint files and task file, and its checkpoint analysis' points table."""

    name: str
    spec: dict
    networks: pd.DataFrame
    history: pd.DataFrame
    checkpoints: tuple[str, ...] = ()
    task: str | None = None
    points: pd.DataFrame | None = None


#: Accuracy that counts as "learned" for the first-accurate-epoch landmark (Fig. 5: 0.99 first at 294).
ACCURATE = 0.99
#: A relapse is a loss back at or above the crossing level from this many epochs after the first crossing.
RELAPSE_GAP = 10
#: Fig. 3c's panel seed rule (docs/methods.md §8): a plateau of at least this many epochs before the drop.
PANEL_MIN_PLATEAU = 1000


def network_landmarks(
    history: pd.DataFrame, ghosts: pd.DataFrame | None = None, drop_fraction: float = 0.5
) -> dict[str, tuple[float, str]]:
    """Landmarks of one network's training history (sorted by epoch): {name: (value, rule)}."""
    epochs = history["epoch"].to_numpy()
    loss = history["loss"].to_numpy(dtype=float)
    drop = landmarks.drop_epoch(epochs, loss, drop_fraction)
    out = {
        "first_loss": (float(loss[0]), f"loss at epoch {int(epochs[0])}"),
        "plateau_loss": (
            landmarks.plateau_loss(epochs, loss, drop),
            "median loss over [drop/2, drop/1.1) (without a drop: of the first 10 recorded losses)",
        ),
        "drop_epoch": (
            drop,
            f"steepest fall of the loss on log-log axes (landmarks.abrupt_drop), if final < {drop_fraction:g} x plateau",
        ),
        "plateau_length": (
            landmarks.plateau_length(epochs, loss, drop_fraction),
            "drop epoch minus the first epoch with the loss within 25 % of its level over [drop/2, drop/1.1)",
        ),
        "final_loss": (float(loss[-1]), f"loss at epoch {int(epochs[-1])}"),
    }
    after = loss[epochs > drop + 10] if np.isfinite(drop) else np.empty(0)
    if after.size:  # Fig. 3c: the loss oscillates between ≈ 0.02 and 0.4 after the drop
        out["post_drop_min_loss"] = (float(after.min()), "lowest loss from 10 epochs after the drop")
        out["post_drop_max_loss"] = (float(after.max()), "highest loss from 10 epochs after the drop")
    out.update(crossing_landmarks(history, drop_fraction))
    if "accuracy" in history:
        accuracy = history["accuracy"].to_numpy(dtype=float)
        out["final_accuracy"] = (float(accuracy[-1]), f"accuracy at epoch {int(epochs[-1])}")
        out["first_accurate_epoch"] = (
            landmarks.first_epoch_at_least(epochs, accuracy, ACCURATE),
            f"first epoch with accuracy >= {ACCURATE}",
        )
    if "fixed_points" in history:
        out["max_fixed_point_count"] = (
            float(history["fixed_points"].max()),
            "most kappa fixed points of the flow curve in any epoch (counted every epoch)",
        )
    if ghosts is not None and len(ghosts):
        row = ghosts.iloc[0]
        precedes = row["ghost_precedes_drop"]
        out["first_ghost_epoch"] = (float(row["first_ghost_epoch"]), "first checkpoint epoch with a ghost")
        out["ghost_precedes_drop"] = (
            float("nan") if precedes is None or pd.isna(precedes) else float(bool(precedes)),
            "1 if the first ghost is found at a checkpoint before the drop epoch",
        )
    return out


def crossing_landmarks(history: pd.DataFrame, drop_fraction: float = 0.5) -> dict[str, tuple[float, str]]:
    """What a run (one network's history, sorted by epoch) does after its loss first falls below
    ``drop_fraction`` x its first value: landmarks that stay defined on every float path when the phase
    after the drop is chaotic (docs/methods.md §8).  The ``*_fraction`` ones are 0/1 per network; an
    experiment reports their mean, the fraction of networks."""
    epochs, loss = history["epoch"].to_numpy(), history["loss"].to_numpy(dtype=float)
    level = drop_fraction * float(loss[0])
    crossing = landmarks.first_epoch_below(epochs, loss, level)
    rule = f"loss below {drop_fraction:g} x its first value"
    out = {
        "first_crossing_epoch": (crossing, f"first epoch with the {rule}"),
        "crossed_fraction": (float(np.isfinite(crossing)), f"1 if the {rule} within the run"),
    }
    if not np.isfinite(crossing):
        return out
    after = loss[epochs >= crossing + RELAPSE_GAP]
    out["relapsed_fraction"] = (
        float((after >= level).any()) if after.size else float("nan"),
        f"of the networks that cross: 1 if the loss is back at or above that level from {RELAPSE_GAP} "
        "epochs after the first crossing",
    )
    out["learned_at_end_fraction"] = (
        float(loss[-1] < level),
        f"of the networks that cross: 1 if the {rule} at epoch {int(epochs[-1])}",
    )
    if "accuracy" in history:
        accuracy = history["accuracy"].to_numpy(dtype=float)
        out["peak_accuracy_after_crossing"] = (
            float(accuracy[epochs >= crossing].max()),
            "highest accuracy from the first crossing on",
        )
    return out


def panel_seed(history: pd.DataFrame, networks: pd.DataFrame, drop_fraction: float = 0.5) -> pd.DataFrame:
    """Fig. 3c's seed rule (docs/methods.md §8), per network of a population, in the experiment's order:
    whether its run shows the panel's behaviour (the loss first crosses below ``drop_fraction`` x its first
    value after at least PANEL_MIN_PLATEAU epochs, then relapses: the unstable phase), and which network
    the rule picks (the first that shows it).  Columns: network, seed, lr, first_crossing_epoch, relapsed,
    learned_at_end, shows, chosen."""
    rows = []
    for network, run in history.sort_values("epoch").groupby("network"):
        found = crossing_landmarks(run, drop_fraction)
        crossing = found["first_crossing_epoch"][0]
        relapsed = found.get("relapsed_fraction", (float("nan"),))[0] == 1.0
        rows.append(
            {
                "network": network,
                "first_crossing_epoch": crossing,
                "relapsed": relapsed,
                "learned_at_end": found.get("learned_at_end_fraction", (0.0,))[0] == 1.0,
                "shows": bool(crossing >= PANEL_MIN_PLATEAU and relapsed),
            }
        )
    table = pd.DataFrame(rows).merge(networks[["network", "seed", "lr"]], on="network", how="left")
    table = table.sort_values("network", ignore_index=True)
    table["chosen"] = False
    if table["shows"].any():
        table.loc[table.index[table["shows"]][0], "chosen"] = True
    return table[
        ["network", "seed", "lr", "first_crossing_epoch", "relapsed", "learned_at_end", "shows", "chosen"]
    ]


def panel_seed_landmarks(figure: str | None, population: str, choice: pd.DataFrame, drawn) -> pd.DataFrame:
    """The seed rule's landmarks: the seed it picks, how many of the population show the behaviour, and
    whether the panel draws the picked seed (``drawn``: the panel experiment's seeds)."""
    chosen = choice[choice["chosen"]]
    seed = float(chosen["seed"].iloc[0]) if len(chosen) else float("nan")
    shows, total = int(choice["shows"].sum()), len(choice)
    rule = f"first network in order whose loss first crosses after >= {PANEL_MIN_PLATEAU} epochs and then relapses"
    rows = [
        ("panel_seed", seed, rule),
        (
            "panel_behaviour_fraction",
            shows / total if total else float("nan"),
            f"{shows} of {total} networks show it",
        ),
        (
            "panel_draws_rule_seed",
            float(list(drawn) == [seed]),
            "1 if the panel's one seed is the rule's pick",
        ),
    ]
    return pd.DataFrame(
        [
            {"figure": figure, "experiment": population, "landmark": n, "value": v, "detail": d}
            for n, v, d in rows
        ],
        columns=LANDMARK_COLUMNS,
    )


def experiment_landmarks(
    figure: str | None,
    experiment: str,
    history: pd.DataFrame,
    ghosts: pd.DataFrame | None = None,
    drop_fraction: float = 0.5,
) -> pd.DataFrame:
    """The landmarks of an experiment as long rows; with several networks, the median over networks (the
    mean of the 0/1 ``*_fraction`` landmarks: the fraction of networks)."""
    per_network = []
    for network, run in history.sort_values("epoch").groupby("network"):
        mine = None if ghosts is None else ghosts[ghosts["network"] == network]
        per_network.append(network_landmarks(run, mine, drop_fraction))
    rows = []
    for name in dict.fromkeys(k for found in per_network for k in found):
        values = [found[name][0] for found in per_network if name in found]
        rule = next(found[name][1] for found in per_network if name in found)
        finite = int(np.isfinite(values).sum())
        mean = name.endswith("_fraction")  # 0/1 per network: the experiment's value is the fraction
        if len(values) > 1:
            how = "mean (the fraction)" if mean else "median"
            rule += f"; {how} over the {finite} of {len(values)} networks where it is defined"
        value = float((np.nanmean if mean else np.nanmedian)(values)) if finite else float("nan")
        rows.append(
            {"figure": figure, "experiment": experiment, "landmark": name, "value": value, "detail": rule}
        )
    return pd.DataFrame(rows, columns=LANDMARK_COLUMNS)


def epoch_choices(
    small: pd.DataFrame,
    small_checkpoints,
    large: pd.DataFrame,
    large_checkpoints,
    preferred=(),
    drop_fraction: float = 0.5,
    window: int = 200,
) -> pd.DataFrame:
    """Figure 3's epochs: the flow-curve epochs of panel b (the small-η run's listed checkpoints), and the
    inset/panel d epochs of the large-η run chosen by :func:`landmarks.unstable_epochs`, with the inset's
    x-range [drop − 50, drop + 150] (the authors': 5000–5200 around a drop at ≈ 5050)."""
    rows = [
        {"panel": "b", "epoch": int(e), "rule": "listed checkpoint epochs of the small learning-rate run"}
        for e in sorted(small_checkpoints)
    ]
    large = large.sort_values("epoch")
    epochs, loss = large["epoch"].to_numpy(), large["loss"].to_numpy(dtype=float)
    drop = landmarks.drop_epoch(epochs, loss, drop_fraction)
    chosen, rule = landmarks.unstable_epochs(epochs, loss, large_checkpoints, drop, preferred, window)
    rows += [{"panel": "d", "epoch": e, "rule": rule} for e in chosen]
    centre = drop if np.isfinite(drop) else chosen[0]
    what = "drop epoch" if np.isfinite(drop) else "first chosen epoch (no drop)"
    rows += [
        {"panel": "inset_start", "epoch": max(1, int(centre) - 50), "rule": f"{what} - 50 (at least 1)"},
        {"panel": "inset_end", "epoch": int(centre) + 150, "rule": f"{what} + 150"},
    ]
    return pd.DataFrame(rows, columns=["panel", "epoch", "rule"])


def ghost_versus_drop(history: pd.DataFrame, points: pd.DataFrame, fraction: float = 0.5) -> pd.DataFrame:
    """Per network: plateau level and drop epoch (landmarks.plateau_loss, landmarks.drop_epoch), first
    checkpoint epoch with a ghost, and whether the ghost came first (docs/methods.md §3 Fig. 4: ghosts precede abrupt
    learning)."""
    rows = []
    for network, run in history.sort_values("epoch").groupby("network"):
        epochs, loss = run["epoch"].to_numpy(), run["loss"].to_numpy()
        drop = landmarks.drop_epoch(epochs, loss, fraction)
        ghosts = points[(points["network"] == network) & (points["kind"] == "ghost")]["epoch"]
        row = {"network": network, "plateau_loss": landmarks.plateau_loss(epochs, loss, drop)}
        row.update(landmarks.ghost_before_drop(ghosts.unique(), drop))
        rows.append(row)
    return pd.DataFrame(rows)


def run_landmarks(drop_fraction: float = 0.5, **tables: pd.DataFrame) -> pd.DataFrame:
    """Landmark builder of Figures 3-5: :func:`experiment_landmarks` of every experiment given as
    ``history_<experiment>`` (with its ``ghosts_<experiment>`` table where the checkpoints were analysed),
    in the order given."""
    parts = []
    for key, history in tables.items():
        if not key.startswith("history_"):
            continue
        name = key.removeprefix("history_")
        ghosts = tables.get(f"ghosts_{name}")
        parts.append(experiment_landmarks(None, name, history, ghosts, drop_fraction))
    unknown = [k for k in tables if not k.startswith(("history_", "ghosts_"))]
    if unknown:
        raise ValueError(
            f"run_landmarks: unexpected tables {unknown} (history_<experiment>, ghosts_<experiment>)"
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LANDMARK_COLUMNS)


def fig3_landmarks(
    drop_fraction: float = 0.5,
    panel: str = "fig3_large_lr",
    population: str = "fig3_large_lr_seeds",
    **tables: pd.DataFrame,
) -> pd.DataFrame:
    """Figure 3's landmarks: :func:`run_landmarks` of its experiments, and the seed rule of panel c
    (:func:`panel_seed`) over the ``population`` experiment, judged against the seed ``panel`` draws."""
    networks = {k.removeprefix("networks_"): v for k, v in tables.items() if k.startswith("networks_")}
    runs = {k: v for k, v in tables.items() if not k.startswith("networks_")}
    parts = [run_landmarks(drop_fraction, **runs)]
    if f"history_{population}" in runs:
        choice = panel_seed(runs[f"history_{population}"], networks[population], drop_fraction)
        parts.append(panel_seed_landmarks(None, population, choice, networks[panel]["seed"].tolist()))
    return pd.concat(parts, ignore_index=True)


def fig3_tables(small: ExperimentTables, large: ExperimentTables, drop_fraction: float = 0.5) -> dict:
    """Figure 3's table builder: the epochs it draws (:func:`epoch_choices`, preferring the authors' epochs
    of the inset and panel d)."""
    from ghostlearn.config import checkpoint_epochs
    from ghostlearn.registry import FIG3_AUTHORS_EPOCHS

    epochs = epoch_choices(
        small.history,
        small.spec["checkpoint_epochs"],
        large.history,
        checkpoint_epochs(large.spec),
        preferred=FIG3_AUTHORS_EPOCHS,
        drop_fraction=drop_fraction,
    )
    return {"epochs": epochs}

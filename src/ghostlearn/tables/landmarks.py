"""Landmarks read off training results (learning-rate cliffs, failure thresholds, power laws, drops and
plateaus), and the landmark-table contract every figure follows.

A landmark table (``results/tables/<figure>_landmarks.csv``) is long: one row per measured number with the
columns :data:`LANDMARK_COLUMNS`; ``detail`` holds the rule or unit that defines the value.  Every figure's
table is built by one package function named in the figure registry (``Figure.landmarks``) and conformed by
:func:`conform`, so the scorecard reads every figure the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The landmark-table contract.
LANDMARK_COLUMNS = ["figure", "experiment", "landmark", "value", "detail"]


def landmark_rows(
    figure: str | None, experiment: str, values: dict, details: dict | None = None
) -> pd.DataFrame:
    """A landmark table from ``{landmark: value}`` of one experiment (values cast to float; ``details``
    optional text per landmark)."""
    details = details or {}
    rows = [(experiment, name, value, details.get(name, "")) for name, value in values.items()]
    return landmark_frame(figure, rows)


def landmark_frame(figure: str | None, rows) -> pd.DataFrame:
    """A landmark table from rows of ``(experiment, landmark, value, detail)``."""
    table = pd.DataFrame(list(rows), columns=LANDMARK_COLUMNS[1:])
    table.insert(0, "figure", figure)
    table["value"] = table["value"].astype(float)
    return table


def conform(table: pd.DataFrame, figure: str) -> pd.DataFrame:
    """A builder's landmark table held to the contract: exactly :data:`LANDMARK_COLUMNS`, the figure column
    set to ``figure``, numeric values, unique (experiment, landmark) pairs."""
    missing = [c for c in LANDMARK_COLUMNS[1:] if c not in table.columns]
    if missing:
        raise ValueError(f"{figure}: landmark table lacks column(s) {missing}")
    table = table.assign(figure=figure)[LANDMARK_COLUMNS].reset_index(drop=True)
    table["value"] = pd.to_numeric(table["value"], errors="raise").astype(float)
    table["detail"] = table["detail"].fillna("").astype(str)
    duplicated = table.duplicated(["experiment", "landmark"])
    if duplicated.any():
        pairs = table.loc[duplicated, ["experiment", "landmark"]].values.tolist()
        raise ValueError(f"{figure}: duplicate landmark rows {pairs}")
    return table


def smallest_failing_lr(lrs: np.ndarray, failed: np.ndarray) -> float:
    """Smallest learning rate at which at least one run failed (NaN if none did).

    ``lrs`` and ``failed`` are per run (flat, same length); several runs may share a learning rate.
    """
    lrs = np.asarray(lrs, dtype=float)
    failed = np.asarray(failed, dtype=bool)
    if lrs.shape != failed.shape:
        raise ValueError("lrs and failed must have the same shape")
    return float(lrs[failed].min()) if failed.any() else float("nan")


def cliff_lr(lrs: np.ndarray, mean_loss: np.ndarray, level: float = 0.5, indicator=None) -> float:
    """The learning-rate cliff of a loss-vs-learning-rate valley (Figure 2d, 6A).

    Rule: right of the valley floor (the learning rate of the lowest mean loss), the first learning rate
    whose ``indicator`` (default: the mean loss itself) reaches ``level``.  Small learning rates also
    have a high loss (they have not arrived yet), which is why the search starts at the floor.  NaN when
    the indicator never reaches ``level`` there.
    """
    lrs = np.asarray(lrs, dtype=float)
    mean_loss = np.asarray(mean_loss, dtype=float)
    indicator = mean_loss if indicator is None else np.asarray(indicator, dtype=float)
    order = np.argsort(lrs)
    lrs, mean_loss, indicator = lrs[order], mean_loss[order], indicator[order]
    floor = int(np.nanargmin(mean_loss))
    above = np.nonzero(indicator[floor:] >= level)[0]
    return float(lrs[floor + above[0]]) if above.size else float("nan")


def loglog_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares fit log10 y = slope·log10 x + intercept; returns (slope, intercept)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if keep.sum() < 2:
        raise ValueError("a log-log fit needs at least two positive, finite points")
    slope, intercept = np.polyfit(np.log10(x[keep]), np.log10(y[keep]), 1)
    return float(slope), float(intercept)


def plateau_level(loss: np.ndarray, window: int = 10) -> float:
    """The loss of the initial plateau: the median of the first ``window`` recorded values."""
    loss = np.asarray(loss, dtype=float)
    return float(np.median(loss[: max(1, window)]))


def abrupt_drop(
    epochs: np.ndarray, loss: np.ndarray, fraction: float = 0.5, ratio: float = 1.1, window: int = 10
):
    """The abrupt fall of a loss history: (drop epoch, loss level before, loss level after), or None.

    Rule (docs/engine.md, landmark rules): a run learned if its final loss (median of the last ``window``
    recorded values) is below ``fraction`` × the plateau level (:func:`plateau_level`).  The fall is
    located on the log-log axes the figures use: for every recorded epoch e, the level before is the
    median loss over [e / ratio, e) and the level after the median over (e, e · ratio]; the fall is where
    log(before / after) is largest.  The drop epoch is the first recorded epoch of [e / ratio, e · ratio]
    whose loss is below the mean of the two levels.  Windows proportional to e make an early, slow
    decrease (Fig. 4 DCDT: 0.47 → 0.2 over the first few hundred epochs) weigh less than a fall of the
    same size thousands of epochs later, and medians ignore single-epoch spikes.

    E.g. Fig. 3c (seed 40, η = 0.02): plateau 0.9999 until the first loss < 0.5 at epoch 5052.
    """
    epochs = np.asarray(epochs, dtype=float)
    loss = np.asarray(loss, dtype=float)
    final = float(np.median(loss[-max(1, window) :]))
    if len(loss) < 3 or not final < fraction * plateau_level(loss, window):
        return None
    log_loss = np.log(np.maximum(loss, np.finfo(float).tiny))
    lo = np.searchsorted(epochs, epochs / ratio, side="left")
    hi = np.searchsorted(epochs, epochs * ratio, side="right")
    index = np.arange(len(epochs))
    contrast = np.full(len(epochs), -np.inf)
    for i in index[(lo < index) & (index + 1 < hi)]:
        contrast[i] = np.median(log_loss[lo[i] : i]) - np.median(log_loss[i + 1 : hi[i]])
    centre = int(np.argmax(contrast))
    before = float(np.median(loss[lo[centre] : centre]))
    after = float(np.median(loss[centre + 1 : hi[centre]]))
    stretch = np.arange(lo[centre], hi[centre])
    below = stretch[loss[stretch] < (before + after) / 2]
    epoch = float(epochs[below[0]]) if below.size else float(epochs[centre])
    return epoch, before, after


def drop_epoch(epochs: np.ndarray, loss: np.ndarray, fraction: float = 0.5, window: int = 10) -> float:
    """Epoch of abrupt learning by :func:`abrupt_drop`; NaN when the run did not learn."""
    found = abrupt_drop(epochs, loss, fraction, window=window)
    return float("nan") if found is None else found[0]


def ghost_before_drop(ghost_epochs: np.ndarray, drop: float) -> dict:
    """The "ghost precedes abrupt learning" statistic of one network: the first checkpoint epoch with a
    ghost, and whether it comes before the drop epoch (NaN/None when either is missing)."""
    ghost_epochs = np.sort(np.asarray(ghost_epochs, dtype=float))
    first = float(ghost_epochs[0]) if ghost_epochs.size else float("nan")
    precedes = None if np.isnan(first) or np.isnan(drop) else bool(first < drop)
    return {"first_ghost_epoch": first, "drop_epoch": drop, "ghost_precedes_drop": precedes}


def pre_drop_level(epochs: np.ndarray, loss: np.ndarray, drop: float) -> float:
    """The plateau's loss just before a drop: the median over [drop / 2, drop / 1.1), the second half of
    the time before the drop short of the fall itself (Fig. 5 DCDT: ≈ 0.42, where the first epochs fall
    from 0.83).  NaN without a drop or without recorded epochs there."""
    epochs = np.asarray(epochs, dtype=float)
    late = (epochs >= drop / 2) & (epochs < drop / 1.1)
    return float(np.median(np.asarray(loss, dtype=float)[late])) if late.any() else float("nan")


def plateau_loss(epochs: np.ndarray, loss: np.ndarray, drop: float) -> float:
    """The plateau's loss as every table reports it: :func:`pre_drop_level` when the run dropped, else
    :func:`plateau_level` (the median of the first recorded losses)."""
    return pre_drop_level(epochs, loss, drop) if np.isfinite(drop) else plateau_level(loss)


def plateau_length(
    epochs: np.ndarray, loss: np.ndarray, fraction: float = 0.5, tolerance: float = 0.25
) -> float:
    """Epochs spent on the plateau before the abrupt drop (:func:`abrupt_drop`).

    Rule: the plateau level is the median loss over [drop / 2, drop / 1.1) (the second half of the time
    before the drop, short of the fall itself); the plateau starts at the first epoch whose loss is within
    ``tolerance`` (relative) of that level, and its length is the drop epoch minus that start.  Fig. 3c:
    the loss sits at 0.9999 from epoch 1, so the plateau is ≈ the drop epoch; Fig. 5 DCDT: the loss falls
    from 0.83 to a noisy ≈ 0.45 within a few epochs, and the plateau is the ≈ 120 epochs after.  NaN
    without a drop.
    """
    epochs = np.asarray(epochs, dtype=float)
    loss = np.asarray(loss, dtype=float)
    found = abrupt_drop(epochs, loss, fraction)
    if found is None:
        return float("nan")
    drop = found[0]
    level = pre_drop_level(epochs, loss, drop)
    level = found[1] if np.isnan(level) else level
    inside = np.nonzero((np.abs(loss - level) <= tolerance * level) & (epochs < drop))[0]
    return float(drop - epochs[inside[0]]) if inside.size else 0.0


def first_epoch_at_least(epochs: np.ndarray, values: np.ndarray, level: float) -> float:
    """The first epoch whose value reaches ``level`` (e.g. accuracy ≥ 0.99), NaN if none does."""
    hit = np.nonzero(np.asarray(values, dtype=float) >= level)[0]
    return float(np.asarray(epochs)[hit[0]]) if hit.size else float("nan")


def first_epoch_below(epochs: np.ndarray, values: np.ndarray, level: float) -> float:
    """The first epoch whose value is below ``level`` (e.g. loss < 0.5), NaN if none is."""
    hit = np.nonzero(np.asarray(values, dtype=float) < level)[0]
    return float(np.asarray(epochs)[hit[0]]) if hit.size else float("nan")


def unstable_epochs(
    epochs: np.ndarray,
    loss: np.ndarray,
    candidates,
    drop: float,
    preferred=(),
    window: int = 200,
    count: int = 3,
) -> tuple[list[int], str]:
    """Epochs of the unstable stretch right after an abrupt drop (Fig. 3c inset, 3d; docs/methods.md §5 item 10).

    ``candidates`` are the epochs whose parameters were kept.  Rule: the ``preferred`` epochs (the
    authors') when all of them were kept and lie in [drop, drop + window]; otherwise the ``count`` kept
    epochs in that window whose update changed the loss most, |loss(k + 1) − loss(k)| (history epoch k is
    the loss before the k-th update).  Without a drop (NaN: the run did not learn) the window is every
    kept epoch, and the rule says so.  Returns (sorted epochs, the rule applied, in words).
    """
    if np.isnan(drop):
        kept = sorted(int(c) for c in candidates)
        where = "no drop found; of all kept epochs"
    else:
        kept = sorted(int(c) for c in candidates if drop <= c <= drop + window)
        where = f"within {window} epochs after the drop at {drop:g}"
    if preferred and all(p in kept for p in preferred):
        return sorted(int(p) for p in preferred), f"authors' epochs, {where}"
    series = dict(
        zip(np.asarray(epochs, dtype=int).tolist(), np.asarray(loss, dtype=float).tolist(), strict=True)
    )
    swings = {k: abs(series[k + 1] - series[k]) for k in kept if k in series and k + 1 in series}
    if len(swings) < count:
        raise ValueError(f"fewer than {count} kept epochs with a recorded loss ({where})")
    chosen = sorted(sorted(swings, key=lambda k: (-swings[k], k))[:count])
    return chosen, f"the {count} largest loss swings |loss(k + 1) - loss(k)|, {where}"

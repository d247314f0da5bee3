"""Landmarks read off training results: learning-rate cliffs, failure thresholds, power laws."""

from __future__ import annotations

import numpy as np


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


def drop_epoch(epochs: np.ndarray, loss: np.ndarray, fraction: float = 0.5, window: int = 10) -> float:
    """Epoch of abrupt learning: the first recorded epoch whose loss is below ``fraction`` times the plateau
    level (:func:`plateau_level`).  NaN when the loss never drops that far.

    E.g. Fig. 3c (seed 40, η = 0.02): plateau 0.9999, first loss below 0.5 at epoch 5052.
    """
    epochs = np.asarray(epochs)
    loss = np.asarray(loss, dtype=float)
    below = np.nonzero(loss < fraction * plateau_level(loss, window))[0]
    return float(epochs[below[0]]) if below.size else float("nan")


def ghost_before_drop(ghost_epochs: np.ndarray, drop: float) -> dict:
    """The "ghost precedes abrupt learning" statistic of one network: the first checkpoint epoch with a
    ghost, and whether it comes before the drop epoch (NaN/None when either is missing)."""
    ghost_epochs = np.sort(np.asarray(ghost_epochs, dtype=float))
    first = float(ghost_epochs[0]) if ghost_epochs.size else float("nan")
    precedes = None if np.isnan(first) or np.isnan(drop) else bool(first < drop)
    return {"first_ghost_epoch": first, "drop_epoch": drop, "ghost_precedes_drop": precedes}

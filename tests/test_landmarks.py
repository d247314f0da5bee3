"""Landmark detection on hand-made curves."""

import numpy as np
import pytest

from ghostlearn.landmarks import cliff_lr, loglog_slope, smallest_failing_lr


def test_cliff_is_searched_right_of_the_floor():
    lrs = np.logspace(-3, 0, 7)
    loss = np.array([0.9, 0.6, 0.05, 0.01, 0.08, 1.0, 1.0])
    assert cliff_lr(lrs, loss, 0.5) == pytest.approx(lrs[5])
    assert cliff_lr(lrs[::-1], loss[::-1], 0.5) == pytest.approx(lrs[5])
    assert np.isnan(cliff_lr(lrs[:5], loss[:5], 0.5))
    fraction = np.array([0, 0, 0, 0, 0.3, 0.7, 1.0])
    assert cliff_lr(lrs, loss, 1.0, indicator=fraction) == pytest.approx(lrs[6])


def test_smallest_failing_lr():
    lrs = np.repeat([1.0, 2.0, 3.0], 2)
    failed = np.array([False, False, False, True, True, True])
    assert smallest_failing_lr(lrs, failed) == 2.0
    assert np.isnan(smallest_failing_lr(lrs, np.zeros(6, bool)))
    with pytest.raises(ValueError):
        smallest_failing_lr(lrs, failed[:3])


def test_loglog_slope_of_a_power_law():
    T = np.array([25.0, 50, 100, 200, 400])
    slope, intercept = loglog_slope(T, 3.0 * T**-5)
    assert slope == pytest.approx(-5.0)
    assert intercept == pytest.approx(np.log10(3.0))
    with pytest.raises(ValueError):
        loglog_slope([1.0], [1.0])


def test_drop_epoch_of_a_plateau_then_abrupt_drop():
    from ghostlearn.landmarks import drop_epoch, ghost_before_drop, plateau_level

    epochs = np.arange(1, 201)
    loss = np.where(epochs < 120, 1.0 - 1e-4 * epochs / 200, 0.05)
    assert plateau_level(loss) == pytest.approx(1.0, abs=1e-3)
    assert drop_epoch(epochs, loss) == 120
    assert np.isnan(drop_epoch(epochs, np.ones(200)))
    assert ghost_before_drop([100, 40], 120.0) == {
        "first_ghost_epoch": 40.0,
        "drop_epoch": 120.0,
        "ghost_precedes_drop": True,
    }
    assert ghost_before_drop([], 120.0)["ghost_precedes_drop"] is None

"""The 1-D canonical model against closed forms, the authors' reference runs and finite differences."""

import numpy as np
import pytest

from ghostlearn.oned import canonical
from ghostlearn.tasks import delayed_activation_1d

T = 100.0
R_OPT = canonical.optimal_r(T)


def test_optimum_and_zone_bound():
    assert R_OPT == pytest.approx(2.467401e-4, rel=1e-6)
    assert canonical.zone_bound(T) == pytest.approx(6.1685e-5, rel=1e-4)
    assert canonical.escape_time(R_OPT) == pytest.approx(T)
    assert canonical.escape_time(canonical.zone_bound(T)) == pytest.approx(2 * T)
    assert np.isinf(canonical.escape_time(-1.0)) and np.isinf(canonical.escape_time(0.0))


def test_escape_time_is_the_blow_up_of_the_exact_solution():
    r = 0.04
    t_star = float(canonical.escape_time(r))
    # x(t) = sqrt(r) tan(sqrt(r) t) blows up exactly at t*; a fine Euler integration agrees.
    x, t, dt = 0.0, 0.0, 1e-4
    while x < 1e4:
        x += dt * (x * x + r)
        t += dt
    assert t == pytest.approx(t_star, rel=1e-3)


def test_closed_form_loss_shape():
    r = np.array([-R_OPT, 0.0, 0.1, 0.25, 0.5, 1.0, 2.0]) * np.array(
        [1, 1, R_OPT, R_OPT, R_OPT, R_OPT, R_OPT]
    )
    loss = canonical.closed_form_loss(r, T)
    np.testing.assert_allclose(loss[:4], 1.0)
    assert loss[4] == pytest.approx(np.sqrt(2) - 1)
    assert loss[5] == 0.0
    assert loss[6] == pytest.approx(1 - np.sqrt(0.5), abs=1e-12)  # 0.293
    np.testing.assert_allclose(canonical.closed_form_error(r, T), T * loss)


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [
        (100.0, [1.000, 0.419, 0.005, 0.289]),
        (1.0, [0.9999, 0.419, 0.004, 0.288]),
        (0.1, [0.607, 0.295, 0.075, 0.340]),
    ],
)
def test_discrete_simulation_matches_reference_run(confidence, expected):
    ratios = np.array([0.1, 0.5, 1.0, 2.0])
    target = delayed_activation_1d(T, 0.1)["target"].to_numpy()
    loss = canonical.simulate_error(ratios * R_OPT, [confidence], target)[0] / T
    np.testing.assert_allclose(loss, expected, atol=1.5e-3)


def test_high_confidence_simulation_tracks_closed_form():
    r = np.linspace(-1, 2, 61) * R_OPT
    target = delayed_activation_1d(T, 0.1)["target"].to_numpy()
    simulated = canonical.simulate_error(r, [100.0], target)[0] / T
    np.testing.assert_allclose(simulated, canonical.closed_form_loss(r, T), atol=0.02)


def test_error_gradient_matches_finite_differences():
    r = np.array([0.3, 0.5, 0.8, 1.2, 2.0, 5.0]) * R_OPT
    h = 1e-6 * R_OPT
    numeric = (canonical.closed_form_error(r + h, T) - canonical.closed_form_error(r - h, T)) / (2 * h)
    np.testing.assert_allclose(canonical.error_gradient(r, T), numeric, rtol=2e-6)
    np.testing.assert_allclose(canonical.loss_gradient(r, T), numeric / T, rtol=2e-6)
    assert canonical.error_gradient(0.2 * R_OPT, T) == 0.0
    assert canonical.error_gradient(-R_OPT, T) == 0.0


def test_cusp_gradient_magnitude():
    assert abs(canonical.error_gradient(R_OPT * (1 + 1e-12), T)) == pytest.approx(2 * T**3 / np.pi**2)


def test_critical_lr_closed_forms():
    assert canonical.critical_lr(100) == pytest.approx(9.1321e-10, rel=1e-4)
    assert canonical.critical_lr(100, "loss") == pytest.approx(9.1321e-8, rel=1e-4)
    assert canonical.critical_lr(T) == pytest.approx(3 * R_OPT**2.5 / np.pi)
    assert canonical.critical_lr(T, "loss") == pytest.approx(1.5 * R_OPT**2)
    with pytest.raises(ValueError, match="convention"):
        canonical.critical_lr(T, "other")


@pytest.mark.parametrize("T_task", [50.0, 100.0, 200.0])
def test_critical_lr_is_the_numerical_threshold(T_task):
    eta_c = canonical.critical_lr(T_task)
    r_opt = canonical.optimal_r(T_task)
    r0 = np.random.RandomState(1).uniform(1.0001, 3.0, 2000) * r_opt
    below = canonical.gradient_descent(r0, 0.995 * eta_c, T_task, 300, [300])
    above = canonical.gradient_descent(r0, 1.005 * eta_c, T_task, 300, [300])
    assert (below.first_zone_epoch < 0).all()
    assert (above.first_zone_epoch >= 0).any()


def test_gd_below_critical_never_enters_zone_and_above_always_does():
    eta_c = canonical.critical_lr(T)
    r0 = np.random.RandomState(2).uniform(1.05, 20.0, 500) * R_OPT
    for ratio in (0.5, 0.9, 0.99):
        result = canonical.gradient_descent(r0, ratio * eta_c, T, 3000, [3000])
        assert (result.first_zone_epoch < 0).all(), ratio
        assert (result.r[:, -1] > canonical.zone_bound(T)).all()
    result = canonical.gradient_descent(r0, 1.1 * eta_c, T, 3000, [3000])
    assert (result.first_zone_epoch >= 0).all()
    np.testing.assert_allclose(result.loss[:, -1], 1.0)


def test_authors_deterministic_runs():
    """docs/methods.md §1a: r0 = 10 r_opt, 3000 epochs, eta = 1e-10 and 1e-9."""
    slow = canonical.gradient_descent(10 * R_OPT, 1e-10, T, 3000)
    assert np.argmax(slow.r[0] < R_OPT) == 1538
    np.testing.assert_allclose(slow.loss[0, [500, 1000, 2000, 3000]], [0.658, 0.610, 0.017, 0.030], atol=2e-3)
    assert slow.first_zone_epoch[0] == -1
    fast = canonical.gradient_descent(10 * R_OPT, 1e-9, T, 3000)
    assert np.argmax(fast.r[0] < R_OPT) == 156
    assert fast.first_zone_epoch[0] == 198
    np.testing.assert_array_equal(fast.loss[0, 198:], 1.0)


def test_loss_convention_is_the_error_convention_rescaled():
    r0 = np.array([3.0, 10.0]) * R_OPT
    error = canonical.gradient_descent(r0, 1e-10, T, 500, convention="error")
    loss = canonical.gradient_descent(r0, 1e-10 * T, T, 500, convention="loss")
    np.testing.assert_allclose(loss.r, error.r, rtol=1e-12)


def test_record_epochs_are_checked():
    with pytest.raises(ValueError, match="record epochs"):
        canonical.gradient_descent(R_OPT, 1e-10, T, 10, [11])


def test_fig2d_starts_are_the_authors_starts():
    """Authors: np.random.seed(i), then ten scalar draws 10 r_opt + N(0, r_opt/10) (docs/methods.md §5 item 6)."""
    starts = canonical.initial_r({"distribution": "normal", "mean": 10.0, "sd": 0.1}, 4, 10, T)
    for i in range(4):
        np.random.seed(i)  # noqa: NPY002 - the authors use the legacy global RNG
        authors = [10 * R_OPT + np.random.normal(0, R_OPT / 10) for _ in range(10)]  # noqa: NPY002
        np.testing.assert_array_equal(starts[i], authors)


def test_other_initialisations():
    fixed = canonical.initial_r({"distribution": "fixed", "value": 10.0}, 2, 3, T)
    np.testing.assert_array_equal(fixed, 10 * R_OPT)
    uniform = canonical.initial_r({"distribution": "uniform", "low": 1.0, "high": 3.0, "seed": 0}, 2, 500, T)
    assert uniform.shape == (2, 500)
    assert (uniform >= R_OPT).all() and (uniform <= 3 * R_OPT).all()
    seeded = canonical.initial_r({"distribution": "normal", "mean": 1.0, "sd": 0.1, "seed": 3}, 2, 4, T)
    np.testing.assert_array_equal(seeded, np.random.RandomState(3).normal(R_OPT, 0.1 * R_OPT, (2, 4)))


def test_relative_gradient_is_exactly_zero_in_the_zone_for_the_closed_form():
    r = np.linspace(-R_OPT, 2 * R_OPT, 100)
    grad = canonical.relative_gradient_magnitude(canonical.closed_form_error(r, T), r)
    assert grad.max() == 1.0
    assert (grad[r < 0.2 * R_OPT] == 0).all()
    with pytest.raises(ValueError, match="uniform"):
        canonical.relative_gradient_magnitude(r, r**3)


def test_lower_confidence_gives_more_gradient_inside_the_zone():
    r = np.linspace(-R_OPT, 2 * R_OPT, 100)
    target = delayed_activation_1d(T, 0.1)["target"].to_numpy()
    grads = canonical.relative_gradient_magnitude(canonical.simulate_error(r, [0.1, 1.0, 2.0], target), r)
    zone = r < 0.2 * R_OPT
    means = grads[:, zone].mean(axis=1)
    assert means[0] > means[1] > means[2] > 0


def test_fixed_points():
    assert canonical.fixed_points(0.5) == []
    assert canonical.fixed_points(-0.25) == [(-0.5, "stable"), (0.5, "unstable")]
    assert canonical.fixed_points(0.0) == [(0.0, "half-stable")]
    np.testing.assert_allclose(canonical.vector_field(np.array([-1.0, 0.0, 2.0]), 0.5), [1.5, 0.5, 4.5])

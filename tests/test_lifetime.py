"""The ghost-lifetime law (dynamics.lifetime) on flows whose passage time is known in closed form."""

import numpy as np
import pytest

from ghostlearn.dynamics import lifetime


def normal_form(r, a=1.0, theta=0.0):
    """A saddle-node ghost at the origin of the plane, slow along the direction at angle theta:
    ds/dt = r + a s², dn/dt = −n in rotated coordinates."""
    c, s = np.cos(theta), np.sin(theta)
    R = np.array([[c, -s], [s, c]])

    def field(x):
        p = R.T @ x
        return R @ np.array([r + a * p[0] ** 2, -p[1]])

    def jacobian(x):
        p = R.T @ x
        return R @ np.array([[2 * a * p[0], 0.0], [0.0, -1.0]]) @ R.T

    return field, jacobian


@pytest.mark.parametrize("theta", [0.0, 0.7])
@pytest.mark.parametrize("r", [1e-4, 1e-3, 1e-2])
def test_the_passage_time_of_the_normal_form(r, theta):
    field, jacobian = normal_form(r, a=2.0, theta=theta)
    row = lifetime.passage(field, jacobian, np.zeros(2))
    assert row["q_star"] == pytest.approx(r)
    assert row["q_curvature"] == pytest.approx(4.0, rel=1e-6)
    assert row["measured"] == pytest.approx(row["predicted"], rel=1e-4)
    # a window of ±3 normal-form widths: 2 arctan(3)/√(a r), 80 % of the whole passage π/√(a r)
    assert row["predicted"] == pytest.approx(2 * np.arctan(3) / np.sqrt(2.0 * r))
    assert row["half_width"] == pytest.approx(3 * np.sqrt(r / 2.0))


def test_the_slope_is_minus_one_half():
    rows = [
        lifetime.passage(*normal_form(r, a=a), np.zeros(2))
        for r in np.geomspace(1e-4, 1e-2, 5)
        for a in (0.5, 2.0)
    ]
    q = np.array([row["q_star"] * row["q_curvature"] for row in rows])
    fit = lifetime.power_law(q, [row["measured"] for row in rows])
    assert fit["points"] == 10 and fit["slope"] == pytest.approx(-0.5, abs=0.01) and fit["r2"] > 0.999
    assert fit["slope_low"] < fit["slope"] < fit["slope_high"]


def test_the_robust_slope_ignores_a_few_points_off_the_law():
    q = np.geomspace(1e-4, 1e-1, 30)
    times = np.pi / np.sqrt(q)
    times[[3, 17]] /= 50  # two passages that are no saddle-node passage
    assert lifetime.power_law(q, times)["slope"] == pytest.approx(-0.5, abs=1e-9)


def test_a_true_fixed_point_has_no_passage():
    field, jacobian = normal_form(-0.01)  # r < 0: u(0) and u'' of opposite signs at s = 0
    row = lifetime.passage(field, jacobian, np.zeros(2))
    assert np.isnan(row["measured"]) and np.isnan(row["predicted"])


def test_a_non_normal_jacobian_reads_the_slow_coordinate_with_the_left_eigenvector():
    # slow direction (1, 0), fast direction (1, 1): the left eigenvector is not (1, 0)
    B = np.array([[1.0, 1.0], [0.0, 1.0]])
    Binv = np.linalg.inv(B)
    r = 1e-3

    def field(x):
        p = Binv @ x
        return B @ np.array([r + p[0] ** 2, -p[1]])

    def jacobian(x):
        p = Binv @ x
        return B @ np.array([[2 * p[0], 0.0], [0.0, -1.0]]) @ Binv

    row = lifetime.passage(field, jacobian, np.zeros(2))
    assert row["measured"] == pytest.approx(row["predicted"], rel=1e-3)


def test_power_law_needs_three_points():
    assert np.isnan(lifetime.power_law([1.0, 2.0], [1.0, 0.7])["slope"])


def test_a_slow_spiral_has_no_slow_direction():
    def field(x):
        return np.array([1e-3 - 0.01 * x[0] - x[1], x[0] - 0.01 * x[1]])

    def jacobian(x):
        return np.array([[-0.01, -1.0], [1.0, -0.01]])

    row = lifetime.passage(field, jacobian, np.zeros(2))
    assert np.isnan(row["measured"]) and np.isnan(row["q_curvature"])
    assert row["slow_eigenvalue"] == pytest.approx(abs(complex(-0.01, 1.0)))

"""Fixed-point, slow-point and ghost analysis on systems with known answers."""

from dataclasses import dataclass

import numpy as np
import pytest
from conftest import NormalForm

from ghostlearn.dynamics.fixedpoints import (
    LatentField,
    SlowPointSettings,
    classify,
    count_sign_changes,
    flow_curve,
    grid_minima,
    kappa0,
    latent_reduction,
    merge_points,
    newton_minimise,
    rank_one_points,
    speed_map,
)


@dataclass
class Linear:
    """F(κ) = A(κ − κ*): one fixed point at κ*."""

    A: np.ndarray
    star: np.ndarray

    def __call__(self, k):
        return (k - self.star) @ self.A.T

    def jacobian(self, k):
        return np.broadcast_to(self.A, (len(k), 2, 2))

    def hessians(self, k):
        return np.zeros((len(k), 2, 2, 2))


STARTS = np.array([[0.3, 0.2], [-0.4, -0.1], [0.05, 0.5]])


def test_normal_form_below_the_bifurcation_has_two_fixed_points():
    refined, speed, _ = newton_minimise(NormalForm(-0.25), np.array([[0.3, 0.2], [-0.4, -0.1], [0.7, 0.5]]))
    assert (speed < 1e-10).all()
    xs = sorted(set(np.round(refined[:, 0], 8)))
    assert xs == [-0.5, 0.5]
    np.testing.assert_allclose(refined[:, 1], 0, atol=1e-10)
    assert (classify(speed, np.ones(3, bool)) == "fixed").all()


@pytest.mark.parametrize("r", [1e-4, 1e-3, 0.05])
def test_normal_form_above_the_bifurcation_has_a_ghost_at_the_origin(r):
    refined, speed, _ = newton_minimise(NormalForm(r), STARTS)
    np.testing.assert_allclose(refined, 0, atol=1e-6)
    np.testing.assert_allclose(speed, r, rtol=1e-6)  # q* = r: small but not zero
    kinds = classify(speed, np.ones(3, bool))
    assert (kinds == "ghost").all()
    assert (classify(speed, np.zeros(3, bool)) == "slow").all()  # far from every trajectory: not a ghost
    eig = np.linalg.eigvals(NormalForm(r).jacobian(refined))
    assert np.isclose(np.abs(eig).min(axis=1), 0, atol=1e-6).all()  # the zero eigenvalue of a refined minimum


def test_at_the_bifurcation_the_origin_is_a_fixed_point():
    refined, speed, _ = newton_minimise(
        NormalForm(0.0), np.array([[0.01, 0.01]]), SlowPointSettings(newton_iters=200)
    )
    assert speed[0] < 1e-8
    assert classify(speed, [True])[0] == "fixed"


def test_linear_system_fixed_point():
    system = Linear(np.array([[-1.0, 2.0], [-2.0, -1.0]]), np.array([0.7, -1.3]))
    refined, speed, used = newton_minimise(system, STARTS)
    np.testing.assert_allclose(refined, np.tile([0.7, -1.3], (3, 1)), atol=1e-10)
    assert (speed < 1e-10).all() and (used <= 3).all()


def _rank_two_field(seed=0, N=50, gain=2.0):
    rng = np.random.default_rng(seed)
    M = rng.normal(0, gain / np.sqrt(N), (N, 2)) * np.sqrt(N)
    P = rng.normal(0, 1 / np.sqrt(N), (2, N))
    return LatentField(M, P, rng.normal(0, 0.1, N))


def test_latent_reduction_reproduces_a_rank_two_matrix():
    field = _rank_two_field()
    J = field.M @ field.P
    M, P = latent_reduction(J)
    np.testing.assert_allclose(M @ P, J, atol=1e-12)


def test_latent_jacobian_and_hessians_match_finite_differences():
    field = _rank_two_field(1)
    k = np.array([[0.3, -0.7], [1.1, 0.4]])
    h = 1e-6
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        dF = (field(k + e) - field(k - e)) / (2 * h)
        np.testing.assert_allclose(field.jacobian(k)[:, :, j], dF, rtol=1e-6, atol=1e-8)
        dJ = (field.jacobian(k + e) - field.jacobian(k - e)) / (2 * h)
        np.testing.assert_allclose(field.hessians(k)[:, :, :, j], dJ, rtol=1e-5, atol=1e-7)


def test_speed_map_and_grid_minima_find_the_fixed_points_of_a_latent_field():
    field = _rank_two_field(2)
    axis, q = speed_map(field, -3, 3, 301)
    exact = np.linalg.norm(field(np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)), axis=1)
    np.testing.assert_allclose(q.ravel(), exact, rtol=1e-4, atol=1e-5)
    idx = grid_minima(q)
    assert len(idx) >= 1 and (idx > 0).all() and (idx < 300).all()
    starts = np.stack([axis[idx[:, 0]], axis[idx[:, 1]]], 1)
    refined, speed, _ = newton_minimise(field, starts)
    assert speed.min() < 1e-10  # the grid minimum nearest a zero of F refines to it


def test_merge_points():
    pts = np.array([[0.0, 0.0], [0.0, 5e-4], [1.0, 1.0], [1.0, 1.0 + 2e-3]])
    assert merge_points(pts, 1e-3).tolist() == [0, 2, 3]


def test_rank_one_flow_curve_fixed_points_and_ghost():
    # one unit: F(κ) = −κ + n tanh(mκ + b); with m = 1, n = 2 the origin region has three fixed points
    m, n = np.array([1.0]), np.array([2.0])
    points = rank_one_points(m, n, np.array([0.0]))
    fixed = points[points["kind"] == "fixed"].sort_values("kappa")
    assert len(fixed) == 3
    np.testing.assert_allclose(fixed["kappa"].iloc[1], 0.0, atol=1e-12)
    assert (fixed["slope"].iloc[[0, 2]] < 0).all() and fixed["slope"].iloc[1] > 0
    # shift the bias: the left pair annihilates and leaves a ghost, one stable fixed point on the right
    ghostly = rank_one_points(m, n, np.array([0.56]))
    assert (ghostly["kind"] == "fixed").sum() == 1
    ghost = ghostly[ghostly["kind"] == "ghost"]
    assert len(ghost) == 1 and 0 < ghost["speed"].iloc[0] < 0.05
    F = flow_curve(m, n, np.array([0.56]), np.linspace(-15, 15, 1000))
    assert count_sign_changes(F) == 1
    assert count_sign_changes(np.array([-1.0, 0.0, 1.0, -1.0])) == 2


def test_flow_curve_is_vectorised_over_networks():
    rng = np.random.default_rng(0)
    m, n, b = rng.normal(size=(3, 4, 20))
    kappa = np.linspace(-2, 2, 7)
    stacked = flow_curve(m, n, b, kappa)
    for i in range(4):
        np.testing.assert_allclose(stacked[i], flow_curve(m[i], n[i], b[i], kappa))
    assert kappa0(np.full(100, 0.1)) == pytest.approx(-3.0)


def test_full_rank_search_finds_the_known_fixed_point():
    from ghostlearn.dynamics.fixedpoints import full_rank_slow_points

    rng = np.random.default_rng(3)
    N = 20
    J = rng.normal(0, 0.5 / np.sqrt(N), (N, N))  # contracting: a single fixed point
    b = rng.normal(0, 0.5, N)
    x_star = np.zeros(N)
    for _ in range(500):  # the fixed point by iteration x <- tanh(Jx + b)
        x_star = np.tanh(J @ x_star + b)
    guesses = rng.normal(0, 1, (6, N))
    x, speed = full_rank_slow_points(J, b, guesses, adam_iters=2000)
    assert (speed < 1e-8).all()
    np.testing.assert_allclose(x, np.tile(x_star, (6, 1)), atol=1e-7)


def test_full_rank_points_deduplicate_and_report():
    from ghostlearn.dynamics.fixedpoints import full_rank_points

    rng = np.random.default_rng(4)
    N = 15
    J = rng.normal(0, 0.5 / np.sqrt(N), (N, N))
    b = rng.normal(0, 0.5, N)
    states = rng.normal(0, 0.3, (2, 5, N))
    table = full_rank_points(J, b, states, adam_iters=1500)
    assert len(table) == 1  # ten guesses, one fixed point
    row = table.iloc[0]
    assert row["kind"] in ("fixed", "slow") and row["speed"] < 1e-8
    assert row["eig_real_max"] < 0  # a contracting network's fixed point is stable

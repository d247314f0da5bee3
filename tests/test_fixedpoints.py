"""Fixed-point, slow-point and ghost analysis on systems with known answers."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
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


@pytest.mark.parametrize("method", ["adam", "levenberg_marquardt"])
def test_full_rank_search_finds_the_known_fixed_point(method):
    from ghostlearn.dynamics.fixedpoints import full_rank_slow_points

    rng = np.random.default_rng(3)
    N = 20
    J = rng.normal(0, 0.5 / np.sqrt(N), (N, N))  # contracting: a single fixed point
    b = rng.normal(0, 0.5, N)
    x_star = np.zeros(N)
    for _ in range(500):  # the fixed point by iteration x <- tanh(Jx + b)
        x_star = np.tanh(J @ x_star + b)
    guesses = rng.normal(0, 1, (6, N))
    x, speed = full_rank_slow_points(J, b, guesses, adam_iters=2000, method=method)
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


def _full_rank_ghost_network(r=0.02, N=12, seed=5):
    """A full-rank N-unit network with a known ghost.  Unit 1 alone: f(x₁) = −x₁ + tanh(2x₁ + b₁), whose
    local minimum (at 2x₁ + b₁ = −U0, 2 sech² U0 = 1) is set to r > 0; units 2…N are driven by unit 1 and
    contract among themselves (‖A‖ < 1), so for every x₁ they have one zero of G.  Then q = f(x₁)² + ‖G_rest‖²
    has its ghost at x₁* = (−U0 − b₁)/2 with q* = r² (speed r) and one fixed point to the right of the local
    maximum of f.  Returns (J, b, x₁*, the fixed point's x₁ interval)."""
    rng = np.random.default_rng(seed)
    U0 = np.arccosh(np.sqrt(2.0))
    b1 = 2 * (r + np.tanh(U0)) - U0
    J = np.zeros((N, N))
    J[0, 0] = 2.0
    J[1:, 0] = rng.normal(0, 1.0, N - 1)
    J[1:, 1:] = rng.normal(0, 0.4 / np.sqrt(N), (N - 1, N - 1))
    b = np.concatenate([[b1], rng.normal(0, 0.5, N - 1)])
    return J, b, (-U0 - b1) / 2, ((U0 - b1) / 2, 2.0)


def test_both_full_rank_searches_find_the_same_known_ghost():
    from ghostlearn.dynamics.fixedpoints import _full_rank_terms, full_rank_slow_points

    r = 0.02
    J, b, x1_ghost, (right_of_max, _) = _full_rank_ghost_network(r)
    N = len(b)
    rng = np.random.default_rng(0)
    guesses = np.zeros((8, N))
    guesses[:5, 0] = x1_ghost + rng.uniform(-0.3, 0.3, 5)  # in the ghost's basin
    guesses[5:, 0] = right_of_max + rng.uniform(0.3, 0.8, 3)  # beyond the local maximum: the fixed point
    for _ in range(100):  # units 2…N near their zero of G for that x₁, as on a trajectory
        guesses[:, 1:] = np.tanh(guesses @ J[1:].T + b[1:])
    guesses[:, 1:] += rng.normal(0, 0.05, (8, N - 1))
    found = {
        method: full_rank_slow_points(J, b, guesses, adam_iters=1000, newton_steps=10, method=method)
        for method in ("adam", "levenberg_marquardt")
    }
    for x, speed in found.values():
        np.testing.assert_allclose(speed[:5], r, rtol=1e-9)  # q* = r² exactly
        np.testing.assert_allclose(x[:5, 0], x1_ghost, atol=1e-7)
        assert (speed[5:] < 1e-12).all() and (x[5:, 0] > right_of_max).all()
        rest = np.tanh(x[:, 1:] @ J[1:, 1:].T + np.outer(x[:, 0], J[1:, 0]) + b[1:]) - x[:, 1:]
        np.testing.assert_allclose(rest, 0, atol=1e-10)  # units 2…N at their zero of G for that x₁
    (x_adam, s_adam), (x_lm, s_lm) = found.values()
    np.testing.assert_allclose(x_lm, x_adam, atol=1e-7)
    np.testing.assert_allclose(s_lm[:5], s_adam[:5], rtol=1e-10)
    # the ghost is a true minimum of q: gradient zero, Hessian positive definite
    import torch

    _, grad, H = _full_rank_terms(torch.tensor(J), torch.tensor(b), torch.tensor(x_lm[:5]))
    assert grad.norm(dim=1).max() < 1e-10
    assert torch.linalg.eigvalsh(H)[:, 0].min() > 0
    assert (classify(s_lm[:5], np.ones(5, bool)) == "ghost").all()


def _random_full_rank_network(seed, N=30, gain=1.5, steps=20):
    """A random (xavier-like, gain 1.5) network and the states of two short simulated trajectories."""
    rng = np.random.default_rng(seed)
    J = rng.normal(0, gain / np.sqrt(N), (N, N))
    b = rng.normal(0, 0.3, N)
    x = rng.normal(0, 0.5, (2, N))
    states = [x]
    for _ in range(steps):
        x = x + 0.5 * (np.tanh(x @ J.T + b) - x)
        states.append(x)
    return J, b, np.stack(states, axis=1)  # (2 trials, steps + 1, N)


@pytest.mark.parametrize("seed", [1, 5])
def test_levenberg_marquardt_finds_the_slow_points_adam_finds_on_a_random_network(seed):
    """From the same guess the two searches may end in different basins (Adam creeps along the gradient,
    Levenberg–Marquardt takes Newton steps), so the per-guess speeds are not ordered in general; what
    holds is that every point Levenberg–Marquardt returns is a minimum of q, and the deduplicated slow
    points agree: the same counts of each kind at the same speeds."""
    import torch

    from ghostlearn.dynamics.fixedpoints import _full_rank_terms, full_rank_points, full_rank_slow_points

    J, b, states = _random_full_rank_network(seed)
    guesses = states.reshape(-1, len(b))
    x, speed = full_rank_slow_points(J, b, guesses, method="levenberg_marquardt")
    _, grad, H = _full_rank_terms(torch.tensor(J), torch.tensor(b), torch.tensor(x))
    assert grad.norm(dim=1).max() < 1e-10
    assert torch.linalg.eigvalsh(H)[:, 0].min() > -1e-10
    lm = full_rank_points(J, b, states, method="levenberg_marquardt")
    adam = full_rank_points(J, b, states, adam_iters=5000, newton_steps=10)
    assert lm["kind"].value_counts().to_dict() == adam["kind"].value_counts().to_dict()
    assert (lm["kind"] != "fixed").any() and (lm["kind"] == "fixed").any()  # a slow point besides fixed ones
    np.testing.assert_allclose(np.sort(lm["speed"]), np.sort(adam["speed"]), rtol=1e-6, atol=1e-12)


def test_full_rank_guesses_subsample_evenly():
    from ghostlearn.dynamics.fixedpoints import full_rank_points, pca, subsample_guesses

    points = np.arange(10.0)[:, None] * np.ones((1, 3))
    assert subsample_guesses(points, 4)[:, 0].tolist() == [0, 3, 6, 9]
    assert subsample_guesses(points, 1)[:, 0].tolist() == [0]
    assert subsample_guesses(points, None) is points and subsample_guesses(points, 10) is points
    with pytest.raises(ValueError):
        subsample_guesses(points, 0)
    rng = np.random.default_rng(4)
    N = 15
    J = rng.normal(0, 0.5 / np.sqrt(N), (N, N))
    b = rng.normal(0, 0.5, N)
    states = rng.normal(0, 0.3, (2, 5, N))
    table = full_rank_points(J, b, states, guesses=3, method="levenberg_marquardt")
    assert len(table) == 1 and table["speed"].iloc[0] < 1e-12
    J, b, states = _random_full_rank_network(1)  # three distinct slow points from every visited state
    assert len(full_rank_points(J, b, states, method="levenberg_marquardt")) == 3
    one = full_rank_points(J, b, states, guesses=1, method="levenberg_marquardt")
    alone = full_rank_points(J, b, states[:1, :1], method="levenberg_marquardt", basis=pca(states))
    assert len(one) == 1
    pd.testing.assert_frame_equal(
        one.drop(columns="distance_to_trajectory"), alone.drop(columns="distance_to_trajectory")
    )


def test_unknown_full_rank_search_is_refused():
    from ghostlearn.dynamics.fixedpoints import full_rank_slow_points

    with pytest.raises(ValueError, match="full_rank_search"):
        full_rank_slow_points(np.eye(2), np.zeros(2), np.zeros((1, 2)), method="newton")


def test_the_checkpoint_analysis_passes_the_full_rank_search_settings():
    import copy

    import torch
    import yaml
    from conftest import ROOT

    from ghostlearn.config import ConfigError, check_config
    from ghostlearn.dynamics import checkpoints
    from ghostlearn.dynamics.fixedpoints import full_rank_points

    base = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    analysis = check_config(base)["analysis"]
    assert analysis["full_rank_search"] == "adam" and analysis["full_rank_lm_iters"] == 100
    assert analysis.get("full_rank_guesses") is None
    config = copy.deepcopy(base)
    config["analysis"] = {"full_rank_search": "levenberg_marquardt", "full_rank_guesses": 64}
    experiment = next(iter(config["rnn"]["experiments"].values()))
    experiment["analysis"] = {"full_rank_search": "adam", "full_rank_lm_iters": 20, "full_rank_guesses": None}
    check_config(config)
    config["analysis"] = {"full_rank_search": "newton"}
    with pytest.raises(ConfigError, match="analysis.full_rank_search"):
        check_config(config)

    J, b, states = _random_full_rank_network(1)
    params = {"W_rec": torch.tensor(J.T)[None], "b": torch.tensor(b)[None]}  # the code's r @ W_rec is J r
    chosen = {**analysis, "full_rank_search": "levenberg_marquardt", "full_rank_guesses": 12}
    table = checkpoints._full(params, 0, states[None], checkpoints.settings_from_config(chosen), chosen, None)
    direct = full_rank_points(J, b, states, guesses=12, method="levenberg_marquardt")
    pd.testing.assert_frame_equal(table, direct)

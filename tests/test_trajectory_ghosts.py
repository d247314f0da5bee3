"""The trajectory-based ghost detector (after PyGhostID, arXiv 2604.05194) on systems with known answers,
and against the grid + Newton detector of fixedpoints."""

import numpy as np
import pandas as pd
import pytest
from conftest import NormalForm

from ghostlearn.dynamics.fixedpoints import LatentField, SlowPointSettings, latent_points, newton_minimise
from ghostlearn.dynamics.trajectory_ghosts import (
    CallableField,
    FullRankField,
    TrajectorySettings,
    agreement,
    detect,
    grid_starts,
    integrate,
    trajectory_slow_points,
)

NORMAL_STARTS = np.array([[-2.0, 0.5], [-1.5, -0.5], [-1.0, 0.3], [-2.0, -1.0]])

# f(u) = −u + 2 tanh u has its local minimum −C0 at u = −U0 (2 sech² U0 = 1)
U0 = float(np.arccosh(np.sqrt(2.0)))
C0 = float(2 * np.tanh(U0) - U0)


def ghost_network(r: float, couple: float = 0.0, theta: float = 0.6):
    """A hand-made rank-2 network of four units, rotated by θ in the latent plane.

    In u = Rᵀκ: du₁/dt = −u₁ + 2 tanh u₁ + (C0 + r) (unit 2 is saturated, tanh 20 = 1), du₂/dt = −u₂ +
    0.5 tanh u₂. With couple = 0 its one ghost is at u = (−U0, 0) with q* = r exactly, and its one fixed point
    (stable) lies near u₁ ≈ 2.5. Unit 4 couples u₁ and u₂ when couple ≠ 0. Returns (field, R)."""
    Mu = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    b = np.array([0.0, 20.0, 0.0, 0.3])
    Pu = np.array([[2.0, C0 + r, 0.0, couple], [0.0, 0.0, 0.5, -couple]])
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return LatentField(M=Mu @ R.T, P=R @ Pu, b=b), R


# ---------------------------------------------------------------------------------------------------
# integrate


def test_integrate_euler_and_rk4_on_a_linear_flow():
    A = np.array([[-1.0, 2.0], [-2.0, -1.0]])
    field = CallableField(lambda x: x @ A.T, lambda x: np.broadcast_to(A, (len(x), 2, 2)))
    x0 = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]])
    dt, steps = 0.01, 100
    exact = np.exp(-1.0) * np.array([[np.cos(2.0), np.sin(2.0)], [-np.sin(2.0), np.cos(2.0)]]).T
    euler = integrate(field, x0, dt, steps)
    rk4 = integrate(field, x0, dt, steps, method="rk4")
    assert euler.shape == rk4.shape == (3, steps + 1, 2)
    assert np.array_equal(euler[:, 0], x0)
    assert np.allclose(euler[:, 1], x0 + dt * x0 @ A.T)  # one Euler step is x + dt F(x)
    assert np.abs(rk4[:, -1] - x0 @ exact).max() < 1e-8  # fourth order: ~3e-9
    assert 1e-4 < np.abs(euler[:, -1] - x0 @ exact).max() < 1e-1  # first order
    with pytest.raises(ValueError):
        integrate(field, x0, dt, steps, method="midpoint")


def test_integrate_cuts_paths_that_leave_the_bound():
    paths = integrate(NormalForm(0.01), np.array([[-2.0, 0.0], [-0.5, 0.0]]), 0.05, 2000, bound=10)
    assert np.isnan(paths[:, -1]).all()  # both blow up after passing the ghost
    first_nan = np.argmax(np.isnan(paths[:, :, 0]), axis=1)
    assert first_nan[0] > first_nan[1] > 0
    for i, k in enumerate(first_nan):
        assert np.isfinite(paths[i, :k]).all() and np.isnan(paths[i, k:]).all()
        assert np.linalg.norm(paths[i, k - 1]) <= 10


# ---------------------------------------------------------------------------------------------------
# the canonical saddle-node


@pytest.mark.parametrize("r", [1e-2, 1e-3])
def test_normal_form_ghost_with_q_equal_r_and_a_passage(r):
    raw = detect(NormalForm(r), NORMAL_STARTS, dt=0.05, steps=4000, bound=10, merge=False)
    assert (raw["kind"] == "ghost").sum() == len(NORMAL_STARTS)  # every path passes it once
    assert set(raw["kind"]) == {"ghost"}  # no fixed point: every path blows up after the passage
    assert raw["passes"].all() and raw["crossing"].all()  # λ = 2x goes from − to + along the segment
    # time in the ε-ball |x| ≤ 0.05: ∫ dx/(x² + r) = (2/√r) atan(ε/√r) (9.27 and 63.68), to one step
    expected = 2 / np.sqrt(r) * np.arctan(0.05 / np.sqrt(r))
    assert np.allclose(raw["segment_time"], expected, rtol=0, atol=0.05)

    table = detect(NormalForm(r), NORMAL_STARTS, dt=0.05, steps=4000, bound=10)
    assert len(table) == 1
    ghost = table.iloc[0]
    assert ghost["kind"] == "ghost" and ghost["n_trajectories"] == len(NORMAL_STARTS)
    assert abs(ghost["kappa_1"]) < 1e-4 and abs(ghost["kappa_2"]) < 1e-6
    assert ghost["q"] == pytest.approx(r, rel=1e-5)  # q = x² + r at the sample nearest x = 0
    assert ghost["Q"] == pytest.approx(r**2 / 2, rel=2e-5)
    assert abs(ghost["eig_min"]) < 1e-3  # λ = 2x ≈ 0
    # the grid + Newton detector's refinement, started at the trajectory minimum, gives the same q*
    _, q_star, _ = newton_minimise(NormalForm(r), table[["kappa_1", "kappa_2"]].to_numpy())
    assert q_star[0] == pytest.approx(r, rel=1e-12)
    assert ghost["q"] == pytest.approx(q_star[0], rel=1e-5)


def test_normal_form_below_the_bifurcation_has_the_stable_fixed_point_and_no_ghost():
    r = -0.01
    starts = np.vstack([NORMAL_STARTS, [[0.05, 0.2]]])  # one start between the two fixed points
    table = detect(NormalForm(r), starts, dt=0.05, steps=4000, bound=10)
    assert list(table["kind"]) == ["fixed"]
    fixed = table.iloc[0]
    assert fixed["kappa_1"] == pytest.approx(-np.sqrt(-r), abs=1e-10) and abs(fixed["kappa_2"]) < 1e-10
    assert fixed["q"] < 1e-8 and fixed["n_trajectories"] == len(starts)
    assert fixed["eig_min"] == pytest.approx(-2 * np.sqrt(-r)) and fixed["n_unstable"] == 0


def test_a_short_run_is_polished_to_the_fixed_point_and_an_unconverged_one_is_not():
    r = -0.01
    # 40 time units: q ~ 1e-5 at the end, above fixed_tol; Newton on F = 0 finishes the job
    table = detect(NormalForm(r), NORMAL_STARTS, dt=0.05, steps=800)
    assert list(table["kind"]) == ["fixed"]
    assert table["kappa_1"].iloc[0] == pytest.approx(-0.1, abs=1e-10)
    assert detect(NormalForm(r), NORMAL_STARTS, dt=0.05, steps=100).empty  # q ~ 0.1 at t = 5


# ---------------------------------------------------------------------------------------------------
# Q-minimum rules on hand-made paths


def _identity_field():
    """F(x) = x in 1-D, so that Q = ½x² along any given path."""
    return CallableField(lambda x: x, lambda x: np.ones((len(x), 1, 1)))


def test_shallow_wiggles_and_edge_minima_are_not_candidates():
    t = np.linspace(0, 6 * np.pi, 600)
    field = _identity_field()
    settings = TrajectorySettings(ghost_tol=10.0, eig_tol=10.0)
    shallow = (1 + 0.1 * np.sin(t))[:, None]  # Q rises by (1.1/0.9)² = 1.49 < e
    deep = (1 + 0.9 * np.sin(t))[:, None]  # by 19² ≫ e: three minima
    assert trajectory_slow_points(field, shallow, settings, merge=False).empty
    assert len(trajectory_slow_points(field, deep, settings, merge=False)) == 3
    steps = np.arange(60.0)
    edge = (np.abs(steps - 3) + 0.01)[:, None]  # minimum at sample 3 < edge = 5
    inner = (np.abs(steps - 10) + 0.01)[:, None]
    assert trajectory_slow_points(field, edge, settings, merge=False).empty
    found = trajectory_slow_points(field, inner, settings, dt=0.5, prefix="x", merge=False)
    assert list(found["step"]) == [10] and list(found["time"]) == [5.0]
    assert found["x_1"].iloc[0] == pytest.approx(0.01)


def test_a_passage_near_a_saddle_is_slow_not_a_ghost():
    # F = A x with eigenvalues ±1: a path close to the stable manifold slows down near the saddle and q
    # drops below ghost_tol, but no eigenvalue is near zero or crosses it
    A = np.diag([1.0, -1.0])
    field = CallableField(lambda x: x @ A.T, lambda x: np.broadcast_to(A, (len(x), 2, 2)))
    raw = detect(field, np.array([[1e-3, 1.0]]), dt=0.01, steps=1000, method="rk4", merge=False)
    assert list(raw["kind"]) == ["slow"]
    saddle = raw.iloc[0]
    # Q = ½(a²e^{2t} + b²e^{−2t}) is least at e^{4t} = b²/a², where q = √(2|ab|)
    assert saddle["time"] == pytest.approx(np.log(1e3) / 2, abs=0.01)
    assert saddle["q"] == pytest.approx(np.sqrt(2e-3), rel=1e-3) and saddle["q"] < 0.1
    assert saddle["passes"] and not saddle["crossing"] and abs(saddle["eig_min"]) == pytest.approx(1.0)
    assert saddle["n_unstable"] == 1


# ---------------------------------------------------------------------------------------------------
# a rank-2 network, against the grid + Newton detector


@pytest.mark.parametrize(("couple", "q_rtol"), [(0.0, 1e-4), (0.05, 2e-2)])
def test_latent_field_ghost_agrees_with_the_grid_newton_detector(couple, q_rtol):
    r = 0.02
    field, R = ghost_network(r, couple)
    starts = grid_starts(-3, 3, 5)
    paths = integrate(field, starts, 0.05, 2000)
    ours = trajectory_slow_points(field, paths, SlowPointSettings(), dt=0.05)
    grid, _, _ = latent_points(field, -3, 3, points=200, trajectories=paths)

    table = agreement(ours, grid, distance=0.05, kinds=["ghost", "fixed"])
    expected = pd.DataFrame({"kind": ["ghost", "fixed"], "n_a": 1, "n_b": 1, "matched_a": 1, "matched_b": 1})
    pd.testing.assert_frame_equal(table, expected)

    ghost = ours[ours["kind"] == "ghost"].iloc[0]
    newton = grid[grid["kind"] == "ghost"].iloc[0]
    assert ghost["passes"] and ghost["crossing"] and abs(ghost["eig_min"]) < 0.01
    assert ghost["n_trajectories"] >= 5  # the paths started left of the ghost in u₁ pass it
    assert ghost["q"] >= newton["speed"] * (1 - 1e-9)  # a sampled minimum is never below q*
    assert ghost["q"] == pytest.approx(newton["speed"], rel=q_rtol)
    if couple == 0.0:
        assert newton["speed"] == pytest.approx(r, rel=1e-9)
        assert np.allclose(R.T @ ghost[["kappa_1", "kappa_2"]].to_numpy(float), [-U0, 0.0], atol=1e-3)
    fixed = ours[ours["kind"] == "fixed"].iloc[0]
    newton_fixed = grid[grid["kind"] == "fixed"].iloc[0]
    assert fixed["n_trajectories"] == len(starts)  # every path ends at the one stable fixed point
    assert np.allclose(
        fixed[["kappa_1", "kappa_2"]].astype(float),
        newton_fixed[["kappa_1", "kappa_2"]].astype(float),
        atol=1e-9,
    )


def test_full_rank_field_of_the_same_network_finds_the_ghost_in_the_full_space():
    r = 0.02
    latent, _ = ghost_network(r)
    field = FullRankField(J=latent.M @ latent.P, b=latent.b)
    x = np.random.default_rng(0).normal(size=(3, 4))
    eps = 1e-6
    numeric = np.stack([(field(x + eps * e) - field(x - eps * e)) / (2 * eps) for e in np.eye(4)], axis=2)
    assert np.allclose(field.jacobian(x), numeric, atol=1e-8)

    # κ = Px obeys the latent flow exactly, so the full-space ghost projects onto the latent one
    latent_starts = grid_starts(-3, 3, 3)
    starts = np.tanh(latent_starts @ latent.M.T + latent.b)
    table = detect(field, starts, prefix="x")
    ghosts = table[table["kind"] == "ghost"]
    assert len(ghosts) == 1
    kappa = ghosts[[f"x_{i}" for i in range(1, 5)]].to_numpy(float) @ latent.P.T
    reference = detect(latent, latent_starts)
    ref = reference.loc[reference["kind"] == "ghost", ["kappa_1", "kappa_2"]].to_numpy(float)
    assert np.linalg.norm(kappa - ref) < 0.05
    assert abs(ghosts["eig_min"].iloc[0]) < 0.01 and ghosts["crossing"].iloc[0]


# ---------------------------------------------------------------------------------------------------
# agreement and settings


def test_agreement_counts_on_hand_made_tables():
    a = pd.DataFrame(
        {
            "kind": ["ghost", "ghost", "fixed", "slow"],
            "kappa_1": [0.0, 1.0, 2.0, 5.0],
            "kappa_2": [0.0, 0.0, 0.0, 5.0],
        }
    )
    b = pd.DataFrame(
        {
            "kind": ["ghost", "ghost", "ghost", "fixed", "fixed"],
            "kappa_1": [0.05, 0.0, 3.0, 2.0, 1.0],  # two B ghosts near A's first one; A's ghost at 1 is
            "kappa_2": [0.0, -0.05, 0.0, 0.09, 0.0],  # unmatched (the fixed point at 1 is another kind)
            "speed": 0.0,
        }
    )
    table = agreement(a, b, distance=0.1)
    expected = pd.DataFrame(
        {
            "kind": ["fixed", "ghost", "slow"],
            "n_a": [1, 2, 1],
            "n_b": [2, 3, 0],
            "matched_a": [1, 1, 0],
            "matched_b": [1, 2, 0],
        }
    )
    pd.testing.assert_frame_equal(table, expected)
    tight = agreement(a, b, distance=0.06, kinds=["fixed"])
    assert tight.to_dict("records") == [{"kind": "fixed", "n_a": 1, "n_b": 2, "matched_a": 0, "matched_b": 0}]
    assert agreement(a.iloc[:0], b, 0.1, kinds=["ghost"])["matched_b"].tolist() == [0]
    with pytest.raises(ValueError):
        agreement(a.rename(columns={"kappa_1": "x_1", "kappa_2": "x_2"}), b, 0.1)


def test_settings_share_the_slow_point_tolerances():
    settings = TrajectorySettings.from_slow_points(
        SlowPointSettings(fixed_tol=1e-9, ghost_tol=0.2), epsilon=0.1
    )
    assert (settings.fixed_tol, settings.ghost_tol, settings.epsilon) == (1e-9, 0.2, 0.1)
    assert settings.merge_distance == 0.1  # not SlowPointSettings.merge_tol
    strict = TrajectorySettings(ghost_tol=0.005)  # q = 0.01 at the normal-form ghost: now too fast
    table = detect(NormalForm(0.01), NORMAL_STARTS, strict, dt=0.05, steps=4000, bound=10)
    assert list(table["kind"]) == ["slow"]


def test_agreement_summary_sums_checkpoints_per_experiment_and_kind():
    import pandas as pd

    from ghostlearn.dynamics.checkpoints import agreement_summary

    part = pd.DataFrame(
        {
            "network": [0, 0, 0, 0],
            "epoch": [1, 1, 2, 2],
            "kind": ["ghost", "fixed", "ghost", "fixed"],
            "n_grid": [1, 2, 0, 1],
            "n_trajectory": [2, 2, 1, 1],
            "matched_grid": [1, 2, 0, 1],
            "matched_trajectory": [1, 2, 0, 1],
        }
    )
    summary = agreement_summary({"exp": part}).set_index("kind")
    assert summary.loc["ghost", ["n_grid", "n_trajectory", "matched_grid"]].tolist() == [1, 3, 1]
    assert summary.loc["ghost", "trajectory_found_by_grid"] == pytest.approx(1 / 3)
    assert summary.loc["fixed", "grid_found_by_trajectory"] == 1.0

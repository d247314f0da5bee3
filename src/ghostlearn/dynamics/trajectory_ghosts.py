"""A second, trajectory-based ghost detector, after GhostID (PyGhostID; Koch & Nandan, arXiv 2604.05194).

The grid + Newton detector of :mod:`ghostlearn.dynamics.fixedpoints` searches the whole plane for minima of
q = ‖F‖. This module looks only where the flow dx/dt = F(x) goes. It samples trajectories and finds the
slow points on them, as PyGhostID's ``ghostID`` does. The two detectors share no code beyond the field, so
each can check the other (:func:`agreement`).

This is our reading of the method, taken from the PyGhostID description and documentation:

1. **Trajectories.** :func:`integrate` runs the autonomous flow from many starts at once. It uses forward
   Euler by default. The network's own latent update, κ_{t+1} = κ_t + α F(κ_t) (input 0, no noise;
   docs/methods.md §1c), is exactly Euler with dt = α, so recorded trials can be passed in unchanged, and
   an Euler path has the same fixed points as the flow (x + dt·F(x) = x iff F(x) = 0). Only where the path
   lies matters here, not high-order accuracy in time: Q is evaluated exactly at every sample, and near a
   ghost the path moves slowly, so Euler's O(dt) error is smallest there. Classic RK4 is available
   (``method="rk4"``) for stiff or fast fields.
2. **Q-minima.** Along each path, Q(t) = ½‖F(x(t))‖². The candidates are the peaks of −ln Q found by
   :func:`scipy.signal.find_peaks` (PyGhostID uses the same function on the same signal). Two rules drop
   spurious ones:

   * the first and last ``edge`` samples of the path are ignored;
   * a peak's prominence in ln Q must be at least ``min_prominence``. With the default 1.0, Q must rise by
     a factor e (the speed by √e ≈ 1.65) on both sides before the path reaches a lower minimum or ends, so
     shallow wiggles of Q do not count.
3. **Segment.** The ε-segment is the contiguous run of samples, around the minimum, that lie within
   ``epsilon`` of the minimum's state (PyGhostID's ε-sphere, ``epsilon_Qmin``). The path *passes* if it
   leaves the ε-ball after the minimum. A path that stays inside is converging, not passing a ghost.
4. **Eigenvalues.** At the minimum we record the Jacobian eigenvalues. ``eig_min`` is the real part, with
   its sign, of the eigenvalue nearest zero. ``crossing`` is true when an eigenvalue crosses from negative
   to positive real part along the ε-segment, i.e. the segment's last sample has more eigenvalues with
   Re λ > 0 than its first. A path entering on the attracting (node) side of a saddle-node ghost and
   leaving on the repelling (saddle) side shows this. PyGhostID tests each sorted eigenvalue for one
   monotone crossing; counting the unstable eigenvalues at the two ends is our simpler form of that test.
5. **Classification.** An interior Q-minimum is a **ghost** when all of these hold:

   * ``fixed_tol`` ≤ q ≤ ``ghost_tol``, where q = ‖F‖ = √(2Q) (the tolerances of
     :class:`~ghostlearn.dynamics.fixedpoints.SlowPointSettings`, docs/methods.md §1c);
   * the path passes (step 3);
   * an eigenvalue crosses zero along the segment, or |eig_min| ≤ ``eig_tol`` (it approaches zero).
     PyGhostID's indirect route (``evLimit``, off by default) tests the median |Re λ| over the segment
     and a linear rise of that eigenvalue with time. We test the value at the minimum only.

   Every other interior minimum is **slow**. A path whose last valid sample has q < ``fixed_tol`` ends at
   a **fixed** point. So does a path whose end has q < ``converge_tol``, provided Newton's method on F = 0
   (``polish_iters`` pseudo-inverse steps) reaches q < ``fixed_tol`` within ``merge_distance`` of the end
   and the point is stable (all Re λ < 0). The polish saves integrating for ~18/|λ| time units until q
   falls below 1e-8 near a weakly stable node.
6. **Merging.** Within each kind, points closer than ``merge_distance`` are merged greedily. The point
   with the lowest q, the best estimate on the sampled paths, represents the group, and ``n_visits`` /
   ``n_trajectories`` count what it absorbed. PyGhostID's ``epsilon_SN_ghosts`` also defaults to 0.1.

**Eigenvalue tolerance and time scale.** Eigenvalues are rates in the flow's time unit, the leak time
constant τ = 1 of F = −x + …, where an uncoupled unit relaxes with λ = −1. |Re λ| ≤ ``eig_tol`` = 0.1
means the slowest direction relaxes or escapes at least ten times more slowly than the leak: a local time
constant ≥ 10, or ≥ 20 network updates at α = 0.5 (a network step is α time units). For the canonical
form dx/dt = x² + r, λ = 2x, so eig_tol = 0.1 admits |x| ≤ 0.05 = ``epsilon`` around the ghost.

A Q-minimum on a path is never below the true local minimum q* of ‖F‖ that the Newton detector finds. It
approaches q* when the path runs along the slow manifold through the ghost. Paths that start off it relax
onto it first, so the lowest-q representative of a merged group is the one to compare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from ghostlearn.dynamics.fixedpoints import SlowPointSettings

COLUMNS_BEFORE = ["kind", "trajectory", "step", "time"]
COLUMNS_AFTER = [
    "Q",
    "q",
    "eig_min",
    "n_unstable",
    "crossing",
    "passes",
    "prominence",
    "duration",
    "segment_time",
    "n_visits",
    "n_trajectories",
]


class Field(Protocol):
    """An autonomous flow dx/dt = F(x): ``field(x)`` (K, d) → (K, d), ``field.jacobian(x)`` → (K, d, d).

    :class:`~ghostlearn.dynamics.fixedpoints.LatentField` qualifies, and so do :class:`FullRankField` and
    :class:`CallableField`."""

    def __call__(self, x: np.ndarray) -> np.ndarray: ...

    def jacobian(self, x: np.ndarray) -> np.ndarray: ...


@dataclass
class FullRankField:
    """G(x) = −x + tanh(Jx + b) in ℝᴺ (docs/methods.md §1c, Fig. 5), with ∂G/∂x = −I + diag(1 − tanh²)J."""

    J: np.ndarray  # (N, N)
    b: np.ndarray  # (N,)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x @ self.J.T + self.b) - x

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        d = 1 - np.tanh(x @ self.J.T + self.b) ** 2
        return d[..., :, None] * self.J - np.eye(len(self.b))


@dataclass
class CallableField:
    """Any vectorised flow given as two functions: ``f(x)`` (K, d) → (K, d), ``jac(x)`` → (K, d, d)."""

    f: Callable[[np.ndarray], np.ndarray]
    jac: Callable[[np.ndarray], np.ndarray]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.f(x)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        return self.jac(x)


@dataclass(frozen=True)
class TrajectorySettings:
    """Tolerances of the trajectory detector. Speeds are q = ‖F‖, distances are in state units."""

    fixed_tol: float = 1e-8  # q below this: a fixed point (as SlowPointSettings.fixed_tol)
    ghost_tol: float = 0.1  # q up to this at a passing Q-minimum: a ghost (as SlowPointSettings.ghost_tol)
    eig_tol: float = 0.1  # |Re λ| up to this (1/time units, τ = 1) counts as approaching zero
    epsilon: float = 0.05  # radius of the ball around a Q-minimum that delimits its segment
    edge: int = 5  # samples ignored at each end of a path
    min_prominence: float = 1.0  # prominence of a Q-minimum in ln Q (1.0: Q rises by a factor e)
    merge_distance: float = 0.1  # points of one kind closer than this are one point
    converge_tol: float = 1e-3  # q at a path's end below which the end is polished as a fixed point
    polish_iters: int = 20  # Newton steps on F = 0 for such an end

    @classmethod
    def from_slow_points(cls, settings: SlowPointSettings, **overrides) -> TrajectorySettings:
        """Share ``fixed_tol`` and ``ghost_tol`` with the grid + Newton detector's settings. Its
        ``merge_tol`` is not shared: it merges Newton-refined points, which agree to ~1e-3. Sampled
        minima on different paths agree only to the path spacing."""
        base = cls(fixed_tol=settings.fixed_tol, ghost_tol=settings.ghost_tol)
        return replace(base, **overrides)


def _settings(settings) -> TrajectorySettings:
    if settings is None:
        return TrajectorySettings()
    if isinstance(settings, SlowPointSettings):
        return TrajectorySettings.from_slow_points(settings)
    if isinstance(settings, TrajectorySettings):
        return settings
    if isinstance(settings, dict):
        known = {f.name for f in fields(TrajectorySettings)}
        return TrajectorySettings(**{k: v for k, v in settings.items() if k in known})
    raise TypeError(f"settings must be TrajectorySettings, SlowPointSettings or a dict, not {type(settings)}")


# ---------------------------------------------------------------------------------------------------
# Trajectories


def integrate(
    field: Field,
    x0: np.ndarray,
    dt: float,
    steps: int,
    method: str = "euler",
    bound: float | None = None,
) -> np.ndarray:
    """Trajectories of dx/dt = F(x) from every start (K, d) at once: an array (K, steps + 1, d), float64.

    ``method``: ``"euler"`` (default; x ← x + dt·F(x), the network's own update when dt = α, see the
    module docstring) or ``"rk4"`` (classic fourth-order Runge–Kutta). ``bound``: a path whose state
    stops being finite or leaves the ball ‖x‖ ≤ bound is cut there. The rest of that path is NaN, which
    :func:`trajectory_slow_points` reads as its end (for flows that blow up, such as x² + r).
    """
    x = np.array(np.atleast_2d(x0), dtype=float)
    if method not in ("euler", "rk4"):
        raise ValueError(f"method must be 'euler' or 'rk4', not {method!r}")
    paths = np.full((len(x), steps + 1, x.shape[1]), np.nan)
    paths[:, 0] = x
    alive = np.all(np.isfinite(x), axis=1)
    if bound is not None:
        alive &= np.linalg.norm(x, axis=1) <= bound
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, steps + 1):
            if not alive.any():
                break
            y = x[alive]
            if method == "euler":
                y = y + dt * field(y)
            else:
                k1 = field(y)
                k2 = field(y + 0.5 * dt * k1)
                k3 = field(y + 0.5 * dt * k2)
                k4 = field(y + dt * k3)
                y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            ok = np.all(np.isfinite(y), axis=1)
            if bound is not None:
                ok &= np.linalg.norm(np.where(np.isfinite(y), y, 0.0), axis=1) <= bound
            idx = np.nonzero(alive)[0]
            x[idx[ok]] = y[ok]
            paths[idx[ok], step] = y[ok]
            alive[idx[~ok]] = False
    return paths


def grid_starts(lo: float, hi: float, per_axis: int, dim: int = 2) -> np.ndarray:
    """Starts on a per_axis^dim grid over [lo, hi]^dim, shape (per_axis**dim, dim)."""
    axis = np.linspace(lo, hi, per_axis)
    return np.stack(np.meshgrid(*([axis] * dim), indexing="ij"), -1).reshape(-1, dim)


# ---------------------------------------------------------------------------------------------------
# Slow points along trajectories


def _eigvals(field: Field, x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvals(field.jacobian(np.atleast_2d(x)))


def _nearest_zero(eig: np.ndarray) -> np.ndarray:
    """Signed real part of the eigenvalue with the smallest |Re λ|, per row of (K, d) eigenvalues."""
    real = eig.real
    return np.take_along_axis(real, np.argmin(np.abs(real), axis=1)[:, None], axis=1)[:, 0]


def polish_fixed_points(field: Field, x: np.ndarray, iters: int) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on F(x) = 0 from every row of x (K, d): x ← x − J⁺F, with the pseudo-inverse so
    that a singular J does no harm. A step that does not lower q is not taken. Returns (x, q = ‖F(x)‖)."""
    x = np.array(x, dtype=float, copy=True)
    q = np.linalg.norm(field(x), axis=1)
    for _ in range(iters):
        F = field(x)
        candidate = x - np.einsum("kij,kj->ki", np.linalg.pinv(field.jacobian(x)), F)
        new_q = np.linalg.norm(field(candidate), axis=1)
        better = np.isfinite(new_q) & (new_q < q)
        if not better.any():
            break
        x[better], q[better] = candidate[better], new_q[better]
    return x, q


def _segment(distance: np.ndarray, k: int, epsilon: float) -> tuple[int, int]:
    """First and last index of the contiguous run around k with distance ≤ epsilon."""
    outside = distance > epsilon
    before = np.nonzero(outside[:k])[0]
    after = np.nonzero(outside[k + 1 :])[0]
    first = before[-1] + 1 if len(before) else 0
    last = k + after[0] if len(after) else len(distance) - 1
    return int(first), int(last)


def merge_table(table: pd.DataFrame, distance: float, coords: list[str]) -> pd.DataFrame:
    """Within each kind, merge points closer than ``distance`` (greedy, lowest q first). Each group keeps
    its lowest-q row; ``n_visits`` sums the merged rows' visits and ``n_trajectories`` counts their
    distinct trajectories."""
    if table.empty:
        return table
    rows = []
    for _, group in table.sort_values(["q", "trajectory", "step"], kind="stable").groupby("kind", sort=False):
        X = group[coords].to_numpy(float)
        reps: list[int] = []
        members: list[list[int]] = []
        for i in range(len(X)):
            for r, j in enumerate(reps):
                if np.linalg.norm(X[i] - X[j]) < distance:
                    members[r].append(i)
                    break
            else:
                reps.append(i)
                members.append([i])
        for j, m in zip(reps, members, strict=True):
            row = group.iloc[j].copy()
            row["n_visits"] = int(group["n_visits"].iloc[m].sum())
            row["n_trajectories"] = int(group["trajectory"].iloc[m].nunique())
            rows.append(row)
    merged = pd.DataFrame(rows).astype({"n_visits": int, "n_trajectories": int})
    return merged.sort_values(["kind", "q"], kind="stable").reset_index(drop=True)


def trajectory_slow_points(
    field: Field,
    paths: np.ndarray,
    settings: TrajectorySettings | SlowPointSettings | dict | None = None,
    dt: float = 1.0,
    prefix: str = "kappa",
    merge: bool = True,
) -> pd.DataFrame:
    """Ghosts, slow points and fixed points found along sampled trajectories (module docstring, steps 2–6).

    ``paths`` (K, S, d) or (S, d): states sampled every ``dt`` time units. A path ends at its first
    non-finite row. Recorded network trials (input 0) can be passed in with dt = α.

    Returns one row per point: kind (ghost / slow / fixed), trajectory, step and time of the sample, its
    coordinates ``{prefix}_1 … {prefix}_d``, Q = ½‖F‖², q = ‖F‖, eig_min (signed real part of the
    eigenvalue nearest zero), n_unstable (eigenvalues with Re λ > 0), crossing, passes, prominence (in
    ln Q), duration (width of the −ln Q peak at half prominence, in time units: the trapping time as
    PyGhostID reports it), segment_time (time spent in the ε-segment: its number of samples × dt),
    n_visits and n_trajectories.
    Passing minima that miss the ghost tests are kept as kind "slow". For a fixed point, step and time
    are those of the path's last sample, and the coordinates and q are after polishing. ``merge=False``
    returns every visit, one row per path and minimum.
    """
    cfg = _settings(settings)
    paths = np.asarray(paths, dtype=float)
    if paths.ndim == 2:
        paths = paths[None]
    dim = paths.shape[2]
    coords = [f"{prefix}_{j + 1}" for j in range(dim)]
    rows: list[dict] = []
    ends: list[tuple[int, int]] = []

    def row(kind, traj, step, x, Q, eig, **extra):
        out = {"kind": kind, "trajectory": traj, "step": step, "time": step * dt}
        out.update(zip(coords, x, strict=True))
        out.update(
            {
                "Q": Q,
                "q": np.sqrt(2 * Q),
                "eig_min": _nearest_zero(eig[None])[0],
                "n_unstable": int(np.sum(eig.real > 0)),
            }
        )
        out.update(extra)
        out.update({"n_visits": 1, "n_trajectories": 1})
        return out

    for traj, path in enumerate(paths):
        finite = np.all(np.isfinite(path), axis=1)
        length = int(np.argmin(finite)) if not finite.all() else len(path)
        if length == 0:
            continue
        X = path[:length]
        Q = 0.5 * np.sum(field(X) ** 2, axis=1)
        ends.append((traj, length - 1))
        if length < 2 * cfg.edge + 3:
            continue
        peaks, props = find_peaks(-np.log(np.maximum(Q, 1e-300)), prominence=cfg.min_prominence, width=0)
        keep = (peaks >= cfg.edge) & (peaks <= length - 1 - cfg.edge)
        for k, prominence, width in zip(
            peaks[keep], props["prominences"][keep], props["widths"][keep], strict=True
        ):
            distance = np.linalg.norm(X - X[k], axis=1)
            first, last = _segment(distance, k, cfg.epsilon)
            passes = bool(np.any(distance[k:] > cfg.epsilon))
            eig_ends = _eigvals(field, X[[first, last]])
            crossing = bool(np.sum(eig_ends[1].real > 0) > np.sum(eig_ends[0].real > 0))
            eig = _eigvals(field, X[k])[0]
            q = np.sqrt(2 * Q[k])
            near_zero = abs(_nearest_zero(eig[None])[0]) <= cfg.eig_tol
            ghost = cfg.fixed_tol <= q <= cfg.ghost_tol and passes and (crossing or near_zero)
            rows.append(
                row(
                    "ghost" if ghost else "slow",
                    traj,
                    int(k),
                    X[k],
                    Q[k],
                    eig,
                    crossing=crossing,
                    passes=passes,
                    prominence=float(prominence),
                    duration=float(width) * dt,
                    segment_time=(last - first + 1) * dt,
                )
            )

    if ends:
        traj_idx, last_idx = map(np.asarray, zip(*ends, strict=True))
        x_end = paths[traj_idx, last_idx]
        q_end = np.linalg.norm(field(x_end), axis=1)
        candidate = q_end < cfg.converge_tol
        if candidate.any():
            x_pol, q_pol = polish_fixed_points(field, x_end[candidate], cfg.polish_iters)
            eig = _eigvals(field, x_pol)
            moved = np.linalg.norm(x_pol - x_end[candidate], axis=1)
            stable = np.all(eig.real < 0, axis=1)
            direct = q_end[candidate] < cfg.fixed_tol
            ok = direct | ((q_pol < cfg.fixed_tol) & (moved <= cfg.merge_distance) & stable)
            for i in np.nonzero(ok)[0]:
                j = np.nonzero(candidate)[0][i]
                x, q = (x_end[j], q_end[j]) if direct[i] else (x_pol[i], q_pol[i])
                e = eig[i] if not direct[i] else _eigvals(field, x)[0]
                rows.append(
                    row(
                        "fixed",
                        int(traj_idx[j]),
                        int(last_idx[j]),
                        x,
                        0.5 * q**2,
                        e,
                        crossing=False,
                        passes=False,
                        prominence=np.nan,
                        duration=np.nan,
                        segment_time=np.nan,
                    )
                )

    table = pd.DataFrame(rows, columns=COLUMNS_BEFORE + coords + COLUMNS_AFTER)
    table = table.astype({"trajectory": int, "step": int, "n_unstable": int, "n_visits": int})
    table = table.astype({"crossing": bool, "passes": bool, "n_trajectories": int})
    if merge:
        table = merge_table(table, cfg.merge_distance, coords)
    return table.reset_index(drop=True)


def detect(
    field: Field,
    starts: np.ndarray,
    settings: TrajectorySettings | SlowPointSettings | dict | None = None,
    dt: float = 0.05,
    steps: int = 2000,
    method: str = "euler",
    bound: float | None = None,
    prefix: str = "kappa",
    merge: bool = True,
) -> pd.DataFrame:
    """The whole detector: :func:`integrate` from ``starts`` (K, d), then :func:`trajectory_slow_points`.

    The defaults (dt = 0.05, 2000 steps: 100 time constants τ) suit the latent flows of trained networks,
    which relax with |λ| ~ 1 and pass ghosts in ~π/√r time units. For a
    :class:`~ghostlearn.dynamics.fixedpoints.LatentField` the starts are latent points (a grid over the
    flow-map window, :func:`grid_starts`, or the trials' latent states). For a :class:`FullRankField`
    they are states in ℝᴺ, and then ``prefix="x"``.
    """
    paths = integrate(field, starts, dt, steps, method=method, bound=bound)
    return trajectory_slow_points(field, paths, settings, dt=dt, prefix=prefix, merge=merge)


# ---------------------------------------------------------------------------------------------------
# Comparing two detectors


def _coordinate_columns(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    pattern = re.compile(r"kappa_\d+")
    common = [c for c in a.columns if pattern.fullmatch(c) and c in b.columns]
    if not common:
        raise ValueError("no common kappa_<i> columns: pass coords=[...] explicitly")
    return sorted(common, key=lambda c: int(c.rsplit("_", 1)[1]))


def agreement(
    points_a: pd.DataFrame,
    points_b: pd.DataFrame,
    distance: float,
    coords: list[str] | None = None,
    kinds: list[str] | None = None,
) -> pd.DataFrame:
    """Per kind, how many points of A have a point of the same kind in B within ``distance`` (Euclidean,
    over ``coords``; by default the ``kappa_<i>`` columns both tables have), and vice versa.

    Returns columns kind, n_a, n_b, matched_a, matched_b, one row per kind in ``kinds`` (default: every
    kind of either table, sorted). Works for this module's tables and for
    :func:`~ghostlearn.dynamics.fixedpoints.latent_points` tables alike.
    """
    coords = _coordinate_columns(points_a, points_b) if coords is None else list(coords)
    if kinds is None:
        kinds = sorted(set(points_a["kind"]) | set(points_b["kind"]))
    out = []
    for kind in kinds:
        A = points_a.loc[points_a["kind"] == kind, coords].to_numpy(float).reshape(-1, len(coords))
        B = points_b.loc[points_b["kind"] == kind, coords].to_numpy(float).reshape(-1, len(coords))
        if len(A) and len(B):
            close = np.linalg.norm(A[:, None, :] - B[None, :, :], axis=2) <= distance
            matched_a, matched_b = int(close.any(1).sum()), int(close.any(0).sum())
        else:
            matched_a = matched_b = 0
        out.append(
            {"kind": kind, "n_a": len(A), "n_b": len(B), "matched_a": matched_a, "matched_b": matched_b}
        )
    return pd.DataFrame(out, columns=["kind", "n_a", "n_b", "matched_a", "matched_b"])

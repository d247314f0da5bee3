"""The ghost-lifetime law in trained networks (docs/methods.md §7): how long a trajectory takes to pass a
ghost, against the saddle-node normal form's prediction.

Near a ghost the flow along its slow direction reduces to the normal form ds/dt = u(s) ≈ r + a s² with
r = u(0) the speed at the ghost and a = u''(0)/2 (§1a: dx/dt = x² + r).  Crossing the window |s| ≤ L takes
(2/√(a r)) arctan(L √(a/r)), which tends to π/√(a r) = π √2 / √(q*·q'') for a wide window; so the passage
time scales as (q*·q'')^(−1/2) with q* the ghost's speed and q'' the curvature of the slow velocity.

:func:`passage` measures it on the autonomous flow: the slow direction is the eigenvector of the Jacobian
whose eigenvalue is nearest zero (s is read with the matching left eigenvector), q'' by a central
difference, and the trajectory is integrated (scipy's ``solve_ivp``, LSODA) from s = −L on the slow
direction until it crosses s = +L, with L = ``window`` normal-form widths √(r/a).  The same number of widths
for every ghost makes the prediction (2 arctan(window)/√(a r)) exactly ∝ (q*·q'')^(−1/2), so the log-log
slope of the measured times tests the normal form over that window (cubic and transverse terms bend it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.integrate import solve_ivp

#: Half-width of the crossing window, in normal-form widths √(r/a): the window then holds 80 % of the
#: whole passage time π/√(a r) (2 arctan 3 / π), and stays local for the broad ghosts of trained networks
#: (q* up to analysis.ghost_tol: median widths of 0.3 latent units in the quick config's populations).
WINDOW = 3.0
#: An eigenvalue whose imaginary part exceeds this (relative) is one of a complex pair.
COMPLEX_TOL = 1e-9
#: Step of the central difference of u'' (state units).
CURVATURE_STEP = 1e-3
#: Columns of the lifetime table (after the identifying ones).
LIFETIME_COLUMNS = ["q_star", "q_curvature", "slow_eigenvalue", "half_width", "measured", "predicted"]


def slow_direction(jacobian: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(eigenvalue nearest zero, its unit right eigenvector v, the left eigenvector w with w·v = 1); v and
    w are None where that eigenvalue is one of a complex pair (a slow spiral has no saddle-node direction)."""
    values, right = np.linalg.eig(jacobian)
    k = int(np.argmin(np.abs(values)))
    if abs(values[k].imag) > COMPLEX_TOL * max(1.0, abs(values[k])):
        return complex(values[k]), None, None
    v = np.real(right[:, k])
    v /= np.linalg.norm(v)
    lvalues, left = np.linalg.eig(jacobian.T)
    w = np.real(left[:, int(np.argmin(np.abs(lvalues - values[k])))])
    return float(values[k].real), v, w / (w @ v)


def passage(field, jacobian, x_star, window: float = WINDOW) -> dict:
    """The passage of the autonomous flow dx/dt = field(x) through the ghost at ``x_star``: q* = ‖F(x*)‖,
    q'' = |u''(0)|, the slow eigenvalue, the window's half-width L, the measured crossing time of
    [−L, L] and the normal form's prediction for that window.  Measured and predicted are NaN where the
    point is no ghost of a saddle-node: u(0) and u''(0) of opposite signs or zero (the flow stops there), or
    a complex pair of slowest eigenvalues (a slow spiral; ``slow_eigenvalue`` is then its modulus and q''
    NaN)."""
    x_star = np.asarray(x_star, dtype=float)
    eigenvalue, v, w = slow_direction(np.asarray(jacobian(x_star), dtype=float))
    nothing = {k: float("nan") for k in LIFETIME_COLUMNS}
    if v is None or not np.isfinite(w).all():  # a slow spiral (or a defective Jacobian): no slow direction
        return {**nothing, "q_star": float(np.linalg.norm(field(x_star))), "slow_eigenvalue": abs(eigenvalue)}

    def u(s):
        return float(w @ field(x_star + s * v))

    h = CURVATURE_STEP
    u0 = u(0.0)
    curvature = (u(h) - 2 * u0 + u(-h)) / h**2
    row = {
        "q_star": float(np.linalg.norm(field(x_star))),
        "q_curvature": abs(curvature),
        "slow_eigenvalue": eigenvalue,
        "half_width": float("nan"),
        "measured": float("nan"),
        "predicted": float("nan"),
    }
    if u0 * curvature <= 0:
        return row
    r, a = abs(u0), abs(curvature) / 2
    L = window * np.sqrt(r / a)
    predicted = 2 * np.arctan(L * np.sqrt(a / r)) / np.sqrt(a * r)
    direction = np.sign(u0)

    def crossed(_, x):
        return direction * (w @ (x - x_star)) - L

    crossed.terminal, crossed.direction = True, 1
    solution = solve_ivp(
        lambda _, x: field(x),
        (0.0, 20 * predicted),
        x_star - direction * L * v,
        method="LSODA",
        events=crossed,
        rtol=1e-8,
        atol=1e-11,
    )
    times = solution.t_events[0]
    row.update(
        half_width=float(L), predicted=float(predicted), measured=float(times[0]) if len(times) else np.nan
    )
    return row


def power_law(q_product: np.ndarray, measured: np.ndarray) -> dict:
    """The line of log measured against log(q*·q'') over the finite pairs, by the Theil–Sen estimator
    (scipy's ``theilslopes``: the median of pairwise slopes, robust to the few points that are no
    saddle-node passage at all): slope, its 95 % interval, intercept, R² about that line, points (NaN
    with fewer than three)."""
    x, y = np.log(np.asarray(q_product, float)), np.log(np.asarray(measured, float))
    keep = np.isfinite(x) & np.isfinite(y)
    out = dict.fromkeys(("slope", "slope_low", "slope_high", "intercept", "r2"), float("nan"))
    out["points"] = int(keep.sum())
    if keep.sum() < 3:
        return out
    x, y = x[keep], y[keep]
    fit = stats.theilslopes(y, x)
    residual = y - (fit.slope * x + fit.intercept)
    total = y - y.mean()
    out.update(
        slope=float(fit.slope),
        slope_low=float(fit.low_slope),
        slope_high=float(fit.high_slope),
        intercept=float(fit.intercept),
        r2=float(1 - residual @ residual / (total @ total)),
    )
    return out


#: A passage more than this factor faster or slower than predicted is no normal-form passage.
OUTLIER_FACTOR = 2.0


def lifetimes(points: pd.DataFrame, fields, coordinates: list[str]) -> pd.DataFrame:
    """:func:`passage` of every ghost row of a points table; ``fields(network, epoch)`` gives the flow
    (field, jacobian) of that network at that checkpoint, ``coordinates`` the columns of the point."""
    rows = []
    for ghost in points[points["kind"] == "ghost"].itertuples(index=False):
        field, jacobian = fields(ghost.network, ghost.epoch)
        x_star = np.array([getattr(ghost, c) for c in coordinates], dtype=float)
        rows.append({"network": ghost.network, "epoch": ghost.epoch, **passage(field, jacobian, x_star)})
    return pd.DataFrame(rows, columns=["network", "epoch", *LIFETIME_COLUMNS])

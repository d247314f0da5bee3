"""Fixed points, slow points and ghosts of trained networks (docs/methods.md §1b, §1c).

* Rank-one networks: the exact 1-D flow F(κ) = −κ + nᵀtanh(mκ + b); fixed points are its zeros, ghost
  candidates its positive local minima (or negative local maxima): slow regions without a fixed point.
* Rank-2 networks: the exact 2-D latent flow F(κ) = −κ + P tanh(Mκ + b) from the SVD J = MP; the speed
  q = ‖F‖ on a grid, its interior local minima, Newton minimisation of ½‖F‖² with the exact Jacobian and
  Hessian for all candidates at once, and the classification fixed point / ghost / other slow point.

A refined positive minimum of q always has one zero Jacobian eigenvalue (J_Fᵀ F = 0 with F ≠ 0), so the
eigenvalues cannot tell a ghost from a valley: the size of q* decides, with the tolerances of
:class:`SlowPointSettings` (suggested in docs/methods.md §1c, not the authors').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import ndimage, optimize

from ghostlearn.rnn.models import KAPPA_GRID


@dataclass(frozen=True)
class SlowPointSettings:
    """Tolerances of the slow-point search and classification (config: ``analysis``)."""

    fixed_tol: float = 1e-8  # q* below: a fixed point
    ghost_tol: float = 0.1  # q* up to this (and near the trajectories): a ghost
    near_trajectory: float = 0.5  # distance (latent units) that counts as "on or near" a trajectory
    newton_iters: int = 100
    newton_damping: float = 1e-6
    gradient_tol: float = 1e-16
    merge_tol: float = 1e-3


# ---------------------------------------------------------------------------------------------------
# Rank-one: the exact one-dimensional flow


def flow_curve(m: np.ndarray, n: np.ndarray, b: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """F(κ) = −κ + Σ_i n_i tanh(m_i κ + b_i) for every κ; parameters (N,) or stacked (E, N) → (E, G)."""
    m, n, b = (np.atleast_2d(np.asarray(v, dtype=float)) for v in (m, n, b))
    kappa = np.asarray(kappa, dtype=float)
    z = m[:, None, :] * kappa[None, :, None] + b[:, None, :]
    F = np.einsum("egn,en->eg", np.tanh(z), n) - kappa[None, :]
    return F if np.ndim(m) > 1 and len(m) > 1 else F[0]


def count_sign_changes(F: np.ndarray) -> np.ndarray:
    """Crossings of zero along the last axis, counted as the authors do: changes of (F > 0)."""
    positive = np.asarray(F) > 0
    return np.count_nonzero(positive[..., 1:] != positive[..., :-1], axis=-1)


def kappa0(n: np.ndarray, x0: float = -0.3) -> float:
    """κ₀ = nᵀx₀ of the constant initial state x₀ = −0.3·1."""
    return float(np.sum(np.asarray(n, dtype=float) * x0))


def rank_one_points(m, n, b, kappa: np.ndarray | None = None) -> pd.DataFrame:
    """Fixed points (zeros of F, refined by Brent's method) and ghost candidates (positive local minima or
    negative local maxima of F, refined by bounded minimisation of |F|) of one rank-one network.

    Columns: kind (fixed / ghost), kappa, speed |F|, slope dF/dκ (stability: negative = stable).
    """
    kappa = np.linspace(*KAPPA_GRID) if kappa is None else np.asarray(kappa, dtype=float)
    m, n, b = (np.asarray(v, dtype=float) for v in (m, n, b))

    def F(k):
        return float(n @ np.tanh(m * k + b) - k)

    def slope(k):
        return float(n @ (m * (1 - np.tanh(m * k + b) ** 2)) - 1)

    values = flow_curve(m, n, b, kappa)
    rows = []
    for i in np.nonzero((values[1:] > 0) != (values[:-1] > 0))[0]:
        root = (
            optimize.brentq(F, kappa[i], kappa[i + 1], xtol=1e-14)
            if values[i] * values[i + 1] < 0
            else kappa[i]
        )
        rows.append({"kind": "fixed", "kappa": root, "speed": abs(F(root)), "slope": slope(root)})
    interior = np.arange(1, len(kappa) - 1)
    for i in interior:
        lower = values[i] > 0 and values[i] <= values[i - 1] and values[i] <= values[i + 1]
        upper = values[i] < 0 and values[i] >= values[i - 1] and values[i] >= values[i + 1]
        if lower or upper:
            sign = 1.0 if lower else -1.0
            best = optimize.minimize_scalar(
                lambda k, s=sign: s * F(k),
                bounds=(kappa[i - 1], kappa[i + 1]),
                method="bounded",
                options={"xatol": 1e-12},
            )
            if sign * F(best.x) > 0:
                rows.append(
                    {"kind": "ghost", "kappa": best.x, "speed": abs(F(best.x)), "slope": slope(best.x)}
                )
    return pd.DataFrame(rows, columns=["kind", "kappa", "speed", "slope"])


# ---------------------------------------------------------------------------------------------------
# Rank 2: the exact two-dimensional latent flow


def latent_reduction(J: np.ndarray, rank: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """SVD J = UΣVᵀ → M = U[:, :k] diag(Σ) (N×k), P = Vᵀ[:k] (k×N), so J = MP for a rank-k J and the
    latent κ = P r obeys κ_{t+1} = κ_t + α F(κ_t) exactly (input 0, no noise)."""
    U, S, Vt = np.linalg.svd(np.asarray(J, dtype=float))
    return U[:, :rank] * S[:rank], Vt[:rank]


@dataclass
class LatentField:
    """F(κ) = −κ + P tanh(Mκ + b) with its exact Jacobian and Hessians (docs/methods.md §1c)."""

    M: np.ndarray  # (N, k)
    P: np.ndarray  # (k, N)
    b: np.ndarray  # (N,)

    def __call__(self, kappa: np.ndarray) -> np.ndarray:
        return np.tanh(kappa @ self.M.T + self.b) @ self.P.T - kappa

    def jacobian(self, kappa: np.ndarray) -> np.ndarray:
        """J_F = −I + P diag(1 − tanh²(Mκ + b)) M, shape (..., k, k)."""
        d = 1 - np.tanh(kappa @ self.M.T + self.b) ** 2
        return np.einsum("in,...n,nj->...ij", self.P, d, self.M) - np.eye(self.M.shape[1])

    def hessians(self, kappa: np.ndarray) -> np.ndarray:
        """∇²F_i = Σ_n P_in (−2 tanh z_n (1 − tanh² z_n)) M_n M_nᵀ, shape (..., k, k, k) [i, :, :]."""
        t = np.tanh(kappa @ self.M.T + self.b)
        w = -2 * t * (1 - t**2)
        return np.einsum("in,...n,nj,nl->...ijl", self.P, w, self.M, self.M)


def speed_map(field: LatentField, lo: float, hi: float, points: int, chunk_rows: int = 8):
    """q = ‖F‖ on a points × points grid over [lo, hi]² (float32, in row chunks, no Python loop over grid
    points).  Returns (axis (G,), q (G, G)) with q[i, j] at κ = (axis[i], axis[j])."""
    axis = np.linspace(lo, hi, points)
    M = torch.as_tensor(field.M, dtype=torch.float32)
    P = torch.as_tensor(field.P, dtype=torch.float32)
    b = torch.as_tensor(field.b, dtype=torch.float32)
    grid = torch.as_tensor(axis, dtype=torch.float32)
    q = np.empty((points, points), dtype=np.float32)
    for start in range(0, points, chunk_rows):
        rows = grid[start : start + chunk_rows]
        kappa = torch.stack(torch.meshgrid(rows, grid, indexing="ij"), -1).reshape(-1, 2)
        z = torch.addmm(b, kappa, M.T)
        velocity = torch.mm(torch.sigmoid(z.mul_(2)).mul_(2).sub_(1), P.T) - kappa
        q[start : start + len(rows)] = velocity.norm(dim=1).reshape(len(rows), points).numpy()
    return axis, q


def grid_minima(q: np.ndarray) -> np.ndarray:
    """Indices (K, 2) of interior grid points equal to the minimum of their 3×3 neighbourhood."""
    local = q == ndimage.minimum_filter(q, size=3, mode="reflect")
    local[[0, -1], :] = False
    local[:, [0, -1]] = False
    return np.argwhere(local)


def newton_minimise(field, kappa0: np.ndarray, settings: SlowPointSettings = SlowPointSettings()):
    """Newton's method on E(κ) = ½‖F(κ)‖² for all starting points at once (K, k).

    g = J_Fᵀ F, H = J_Fᵀ J_F + Σ_i F_i ∇²F_i, step κ ← κ − (H + λI)⁻¹ g; a point stops when ‖g‖ falls
    below the tolerance.  Returns (κ*, q* = ‖F(κ*)‖, iterations used per point).
    """
    kappa = np.array(kappa0, dtype=float, copy=True)
    k = kappa.shape[1]
    active = np.ones(len(kappa), dtype=bool)
    used = np.zeros(len(kappa), dtype=int)
    for _ in range(settings.newton_iters):
        if not active.any():
            break
        x = kappa[active]
        F = field(x)
        J = field.jacobian(x)
        g = np.einsum("kji,kj->ki", J, F)
        done = np.linalg.norm(g, axis=1) < settings.gradient_tol
        H = np.einsum("kji,kjl->kil", J, J) + np.einsum("ki,kijl->kjl", F, field.hessians(x))
        H += settings.newton_damping * np.eye(k)
        step = np.linalg.solve(H, g[..., None])[..., 0]
        step[done] = 0.0
        kappa[active] = x - step
        used[active] += ~done
        idx = np.nonzero(active)[0]
        active[idx[done]] = False
    return kappa, np.linalg.norm(field(kappa), axis=1), used


def merge_points(points: np.ndarray, tol: float) -> np.ndarray:
    """Indices of representatives after merging points closer than ``tol`` (first occurrence kept)."""
    keep: list[int] = []
    for i, p in enumerate(points):
        if all(np.linalg.norm(p - points[j]) >= tol for j in keep):
            keep.append(i)
    return np.asarray(keep, dtype=int)


def classify(speed: np.ndarray, near: np.ndarray, settings: SlowPointSettings = SlowPointSettings()):
    """fixed (q* < fixed_tol); ghost (q* ≤ ghost_tol and near the trajectories); else slow."""
    speed = np.asarray(speed)
    near = np.asarray(near, dtype=bool)
    return np.where(
        speed < settings.fixed_tol, "fixed", np.where((speed <= settings.ghost_tol) & near, "ghost", "slow")
    )


def latent_points(
    field: LatentField,
    lo: float = -5.0,
    hi: float = 5.0,
    points: int = 2000,
    trajectories: np.ndarray | None = None,
    settings: SlowPointSettings = SlowPointSettings(),
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Flow map and classified slow points of a 2-D latent field.

    The grid spans [lo − 0.2, hi + 0.2]² as the authors'.  ``trajectories`` (…, 2) are latent states of
    the trials; a slow point counts as near them within ``settings.near_trajectory``.  Returns (points
    table, axis, q) with one row per merged refined point: kind, kappa_1, kappa_2, speed, the grid
    minimum it came from and its speed there, both Jacobian eigenvalues (real and imaginary parts) and the
    distance to the nearest trajectory state.
    """
    axis, q = speed_map(field, lo - 0.2, hi + 0.2, points)
    idx = grid_minima(q)
    starts = np.stack([axis[idx[:, 0]], axis[idx[:, 1]]], axis=1) if len(idx) else np.empty((0, 2))
    refined, speed, _ = newton_minimise(field, starts, settings)
    keep = merge_points(refined, settings.merge_tol)
    refined, speed, starts, grid_speed = refined[keep], speed[keep], starts[keep], q[tuple(idx[keep].T)]
    if trajectories is not None and len(refined):
        states = np.asarray(trajectories, dtype=float).reshape(-1, 2)
        distance = np.min(np.linalg.norm(refined[:, None, :] - states[None, :, :], axis=2), axis=1)
    else:
        distance = np.full(len(refined), np.nan)
    eig = np.linalg.eigvals(field.jacobian(refined)) if len(refined) else np.empty((0, 2), complex)
    eig = np.sort_complex(eig)
    table = pd.DataFrame(
        {
            "kind": classify(speed, distance <= settings.near_trajectory, settings),
            "kappa_1": refined[:, 0],
            "kappa_2": refined[:, 1],
            "speed": speed,
            "grid_kappa_1": starts[:, 0],
            "grid_kappa_2": starts[:, 1],
            "grid_speed": grid_speed.astype(float),
            "eig1_real": eig[:, 0].real if len(eig) else [],
            "eig1_imag": eig[:, 0].imag if len(eig) else [],
            "eig2_real": eig[:, 1].real if len(eig) else [],
            "eig2_imag": eig[:, 1].imag if len(eig) else [],
            "distance_to_trajectory": distance,
        }
    )
    return table, axis, q


# ---------------------------------------------------------------------------------------------------
# Full rank: slow points of G(x) = −x + tanh(Jx + b) in ℝᴺ (Fig. 5)


def full_rank_jacobian(J: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """∂G/∂x = −I + diag(1 − tanh²(Jx + b)) J for every point, (K, N, N)."""
    d = 1 - torch.tanh(x @ J.T + b) ** 2
    return d[:, :, None] * J[None] - torch.eye(J.shape[0], dtype=J.dtype)


#: Methods of the full-rank slow-point search (config ``analysis.full_rank_search``).
FULL_RANK_SEARCHES = ("adam", "levenberg_marquardt")


def full_rank_slow_points(
    J: np.ndarray,
    b: np.ndarray,
    guesses: np.ndarray,
    adam_lr: float = 1e-2,
    adam_iters: int = 5000,
    newton_damping: float = 1e-4,
    newton_steps: int = 1,
    method: str = "adam",
    lm_iters: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ‖G(x)‖², G(x) = −x + tanh(Jx + b), from every guess (K, N).

    ``method="adam"``: Adam on the mean over all guesses jointly, then damped Newton steps per point with
    the exact Hessian 2(J_Gᵀ J_G + Jᵀ diag(G ⊙ −2 tanh z (1 − tanh² z)) J) + λI (docs/methods.md §1c: one
    step; a step that does not lower a point's speed is not taken).  ``method="levenberg_marquardt"``:
    :func:`levenberg_marquardt_slow_points` from the guesses themselves, at most ``lm_iters`` iterations
    (the Adam and Newton arguments are not used).  Returns (x (K, N), speed ‖G(x)‖ (K,)), float64."""
    if method == "levenberg_marquardt":
        return levenberg_marquardt_slow_points(J, b, guesses, iters=lm_iters)
    if method != "adam":
        raise ValueError(f"full_rank_search: unknown method {method!r}; expected one of {FULL_RANK_SEARCHES}")
    Jt = torch.as_tensor(J, dtype=torch.float64)
    bt = torch.as_tensor(b, dtype=torch.float64)
    x = torch.tensor(np.asarray(guesses, dtype=float), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.Adam([x], lr=adam_lr)

    def velocity(points):
        return torch.tanh(points @ Jt.T + bt) - points

    for _ in range(adam_iters):
        optimiser.zero_grad()
        velocity(x).pow(2).sum(1).mean().backward()
        optimiser.step()
    with torch.no_grad():
        x = x.detach()
        speed = velocity(x).norm(dim=1)
        for _ in range(newton_steps):
            G = velocity(x)
            t = torch.tanh(x @ Jt.T + bt)
            JG = full_rank_jacobian(Jt, bt, x)
            weights = G * (-2 * t * (1 - t**2))
            H = 2 * (JG.transpose(1, 2) @ JG + Jt.T @ (weights[:, :, None] * Jt[None]))
            H += newton_damping * torch.eye(len(bt), dtype=torch.float64)
            grad = 2 * (JG.transpose(1, 2) @ G[:, :, None])
            candidate = x - torch.linalg.solve(H, grad)[..., 0]
            new_speed = velocity(candidate).norm(dim=1)
            better = new_speed < speed
            if not better.any():
                break
            x = torch.where(better[:, None], candidate, x)
            speed = torch.where(better, new_speed, speed)
    return x.numpy(), speed.numpy()


def _full_rank_terms(Jt: torch.Tensor, bt: torch.Tensor, x: torch.Tensor):
    """At every point (K, N): q = ‖G‖², the gradient g = 2 J_Gᵀ G and the exact Hessian
    H = 2(J_Gᵀ J_G + Jᵀ diag(G ⊙ −2 tanh z (1 − tanh² z)) J), z = Jx + b, the Newton step's formula,
    expanded with J_G = DJ − I (D = diag(1 − tanh² z)) so that one batched product Jᵀ diag(c) J remains:
    H/2 = Jᵀ diag(d² + w) J − DJ − JᵀD + I."""
    t = torch.tanh(x @ Jt.T + bt)
    G = t - x
    d = 1 - t * t
    DJ = d[:, :, None] * Jt[None]
    grad = 2 * ((G * d) @ Jt - G)  # 2 (DJ − I)ᵀ G
    c = d * d + G * (-2 * t * d)
    H = Jt.T @ (c[:, :, None] * Jt[None])
    H -= DJ
    H -= DJ.transpose(1, 2)
    H.diagonal(dim1=1, dim2=2).add_(1.0)
    return (G * G).sum(1), grad, H.mul_(2)


def levenberg_marquardt_slow_points(
    J: np.ndarray,
    b: np.ndarray,
    guesses: np.ndarray,
    iters: int = 100,
    damping: float = 1e-3,
    ftol: float = 1e-12,
    gtol: float = 1e-14,
    max_damping: float = 1e12,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise q(x) = ‖G(x)‖², G(x) = −x + tanh(Jx + b), from every guess (K, N) by Levenberg–Marquardt
    with the exact Hessian, all points at once in float64.

    Per point, the step d solves (H + λI) d = −g (Cholesky); it is taken when it lowers the point's q
    (or, where the model predicts a change below q's resolution, does not raise it beyond rounding),
    and λ is divided by 10, else (or when H + λI is not positive definite: H is indefinite away from a
    minimum) it is refused and λ multiplied by 10.  λ starts at ``damping`` times the mean |diagonal| of
    the point's first Hessian, its scale s.  A point stops when a taken step lowers q by less than
    ``ftol`` relative, or the quadratic model −gᵀd − ½dᵀHd of the step predicts less (a minimum at
    float64 precision), when ‖g‖ < ``gtol``, or when λ exceeds ``max_damping`` · s (no descent left);
    at most ``iters`` iterations.  Finds zeros of G (fixed points) and positive minima of q (ghosts, slow
    points) alike.  Returns (x (K, N), speed ‖G(x)‖ (K,)), float64."""
    Jt = torch.as_tensor(J, dtype=torch.float64)
    bt = torch.as_tensor(b, dtype=torch.float64)
    x = torch.tensor(np.asarray(guesses, dtype=float), dtype=torch.float64).reshape(-1, len(bt))
    eye = torch.eye(len(bt), dtype=torch.float64)
    with torch.no_grad():
        q, grad, H = _full_rank_terms(Jt, bt, x)
        scale = H.diagonal(dim1=1, dim2=2).abs().mean(1).clamp_min(1e-12)
        lam = damping * scale
        active = grad.norm(dim=1) >= gtol
        for _ in range(iters):
            idx = torch.nonzero(active)[:, 0]
            if not len(idx):
                break
            L, info = torch.linalg.cholesky_ex(H[idx] + lam[idx, None, None] * eye)
            definite = info == 0
            L[~definite] = eye
            step = torch.cholesky_solve(-grad[idx, :, None], L)[..., 0]
            # the quadratic model's decrease −gᵀd − ½dᵀHd: none left to gain at float64 precision
            predicted = -(grad[idx] * step).sum(1) - 0.5 * (step * (H[idx] @ step[..., None])[..., 0]).sum(1)
            candidate = x[idx] + step
            G = torch.tanh(candidate @ Jt.T + bt) - candidate
            q_new = (G * G).sum(1)
            flat = definite & (predicted <= ftol * q[idx])
            # at a minimum q cannot resolve the last Newton step, but x still gains from it: it is taken
            # unless it raises q above rounding
            accept = definite & ((q_new < q[idx]) | (flat & (q_new <= q[idx] * (1 + 1e-14))))
            stalled = flat | (accept & (q[idx] - q_new <= ftol * q[idx]))
            taken, refused = idx[accept], idx[~accept]
            lam[taken] /= 10
            lam[refused] *= 10
            if len(taken):
                x[taken] = candidate[accept]
                q[taken], grad[taken], H[taken] = _full_rank_terms(Jt, bt, x[taken])
            done = stalled | (grad[idx].norm(dim=1) < gtol) | (lam[idx] > max_damping * scale[idx])
            active[idx[done]] = False
        speed = (torch.tanh(x @ Jt.T + bt) - x).norm(dim=1)
    return x.numpy(), speed.numpy()


def subsample_guesses(points: np.ndarray, count: int | None) -> np.ndarray:
    """``count`` evenly spaced rows of ``points`` (K, N), first and last included (deterministic); all of
    them when ``count`` is None or at least K."""
    if count is None or count >= len(points):
        return points
    if count < 1:
        raise ValueError(f"full_rank_guesses: need a positive count, not {count}")
    return points[np.round(np.linspace(0, len(points) - 1, count)).astype(int)]


def pca(states: np.ndarray, components: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(mean (N,), components (k, N)) of the states (…, N), by SVD of the centred data."""
    X = np.asarray(states, dtype=float).reshape(-1, np.shape(states)[-1])
    mean = X.mean(0)
    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
    return mean, Vt[:components]


def deduplicate(points: np.ndarray, states: np.ndarray, mean, components, decimals: int = 1) -> np.ndarray:
    """Indices of distinct slow points: points whose first three PC coordinates round (to 0.1) alike are
    one point, represented by the one closest (full space) to any visited state."""
    coords = np.round((points - mean) @ components[:3].T, decimals)
    visited = np.asarray(states, dtype=float).reshape(-1, points.shape[1])
    distance = np.min(np.linalg.norm(points[:, None, :] - visited[None], axis=2), axis=1)
    best: dict = {}
    for i, key in enumerate(map(tuple, coords)):
        if key not in best or distance[i] < distance[best[key]]:
            best[key] = i
    return np.array(sorted(best.values()), dtype=int)


def full_rank_points(
    J: np.ndarray,
    b: np.ndarray,
    states: np.ndarray,
    settings: SlowPointSettings = SlowPointSettings(),
    basis: tuple[np.ndarray, np.ndarray] | None = None,
    guesses: int | None = None,
    **search,
) -> pd.DataFrame:
    """Slow points of a full-rank network from every visited state (…, N) as a guess, deduplicated, with
    speed, kind, distance to the nearest visited state, PC1–3 coordinates and the sorted real parts of
    the Jacobian eigenvalues (largest first).  ``basis`` = (mean, components) of a PCA fitted elsewhere
    (Fig. 5 fits one on the states of all checkpoints); by default it is fitted on ``states``.
    ``guesses``: search from that many evenly spaced visited states only (:func:`subsample_guesses`; None:
    every one); distances and the default PCA still use every visited state.  ``search`` goes to
    :func:`full_rank_slow_points` (``method``, ``adam_iters``, ``newton_steps``, ``lm_iters``, …)."""
    visited = np.asarray(states, dtype=float).reshape(-1, np.shape(states)[-1])
    x, speed = full_rank_slow_points(J, b, subsample_guesses(visited, guesses), **search)
    mean, components = pca(visited) if basis is None else basis
    keep = deduplicate(x, visited, mean, components)
    x, speed = x[keep], speed[keep]
    distance = np.min(np.linalg.norm(x[:, None, :] - visited[None], axis=2), axis=1)
    pcs = (x - mean) @ components[:3].T
    jac = full_rank_jacobian(torch.as_tensor(J, dtype=torch.float64), torch.as_tensor(b), torch.as_tensor(x))
    real = np.sort(np.linalg.eigvals(jac.numpy()).real, axis=1)[:, ::-1]
    return pd.DataFrame(
        {
            "kind": classify(speed, distance <= settings.near_trajectory, settings),
            "speed": speed,
            "distance_to_trajectory": distance,
            "pc1": pcs[:, 0],
            "pc2": pcs[:, 1],
            "pc3": pcs[:, 2],
            "eig_real_max": real[:, 0],
            "eig_real_second": real[:, 1],
        }
    )

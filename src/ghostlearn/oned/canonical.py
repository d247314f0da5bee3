"""The one-dimensional canonical model of abrupt learning (docs/methods.md §1a).

dx/dt = x² + r, x(0) = 0, learns the delayed-activation task on [0, 2T]: the output must switch from
0 to 1 at t = T.  For r > 0 the trajectory lingers at the ghost of the saddle-node at x = 0 and blows
up at the escape time t*(r) = π / (2√r), which therefore sets when the output switches.

Two loss conventions coexist, as in the authors' scripts:

* the reported loss  L(r) = |T − t*(r)| / T  (normalised, 1 inside the no-learning zone), and
* the differentiated error  E(r) = T·L(r) = |T − t*(r)|, whose gradient dE/dr drives gradient descent
  and fixes the learning-rate axis of Figure 2 (η_c = 3π⁴/(32 T⁵)).

Everything here is vectorised numpy, float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

#: Read-out threshold x* of the discrete simulation: y = σ(a (x − x*)).
OUTPUT_THRESHOLD = 10.0
#: Euler time step of the discrete simulation.
EULER_DT = 0.1
#: The Euler iterate is clipped here so that blown-up trajectories stay finite.
STATE_CLIP = 1.0e6

CONVENTIONS = ("error", "loss")


def optimal_r(T: float) -> float:
    """r_opt = π² / (4T²): the r whose escape time equals T (zero loss)."""
    return np.pi**2 / (4.0 * T**2)


def zone_bound(T: float) -> float:
    """Upper edge r_opt/4 = π²/(16T²) of the no-learning zone (t* ≥ 2T, L ≡ 1, dL/dr ≡ 0)."""
    return optimal_r(T) / 4.0


def escape_time(r: np.ndarray | float) -> np.ndarray:
    """t*(r) = π / (2√r), the blow-up time of x(t) = √r tan(√r t); +inf for r ≤ 0 (no escape)."""
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 0, np.pi / (2.0 * np.sqrt(np.where(r > 0, r, 1.0))), np.inf)


def in_no_learning_zone(r: np.ndarray | float, T: float) -> np.ndarray:
    """True where gradient descent has no signal: r < r_opt/4 (every r ≤ 0 included)."""
    return np.asarray(r) < zone_bound(T)


def closed_form_loss(r: np.ndarray | float, T: float) -> np.ndarray:
    """Infinite-confidence loss L(r) = |1 − √(r_opt/r)| for r > r_opt/4, and 1 otherwise."""
    r = np.asarray(r, dtype=float)
    inside = r <= zone_bound(T)
    safe_r = np.where(inside, 1.0, r)
    return np.where(inside, 1.0, np.abs(1.0 - np.sqrt(optimal_r(T) / safe_r)))


def closed_form_error(r: np.ndarray | float, T: float) -> np.ndarray:
    """Un-normalised error E(r) = T·L(r) = |T − t*(r)| (T inside the zone)."""
    return T * closed_form_loss(r, T)


def error_gradient(r: np.ndarray | float, T: float) -> np.ndarray:
    """dE/dr of the un-normalised error, the authors' convention.

    −π/(4 r^{3/2}) on [r_opt/4, r_opt], +π/(4 r^{3/2}) above r_opt, 0 in the no-learning zone.  Its
    magnitude at r_opt is 2T³/π²: the V-shaped cusp behind the oscillatory minimum.
    """
    r = np.asarray(r, dtype=float)
    active = r >= zone_bound(T)
    magnitude = np.pi / (4.0 * np.where(active, r, 1.0) ** 1.5)
    sign = np.where(r > optimal_r(T), 1.0, -1.0)
    return np.where(active, sign * magnitude, 0.0)


def loss_gradient(r: np.ndarray | float, T: float) -> np.ndarray:
    """dL/dr of the normalised loss L = E/T."""
    return error_gradient(r, T) / T


def critical_lr(T: float | np.ndarray, convention: str = "error") -> np.ndarray:
    """Critical learning rate of gradient descent on r.

    Above it one bounce around r_opt can land in the no-learning zone:
    η_c = 3π⁴ / (32 T⁵) when descending dE/dr (``convention="error"``, the authors' and Fig. 2's), or
    η_c = 3π⁴ / (32 T⁴) when descending dL/dr (``convention="loss"``).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    power = 5 if convention == "error" else 4
    return 3.0 * np.pi**4 / (32.0 * np.asarray(T, dtype=float) ** power)


def vector_field(x: np.ndarray, r: float) -> np.ndarray:
    """dx/dt = x² + r (Figure 1)."""
    return np.asarray(x, dtype=float) ** 2 + r


def fixed_points(r: float) -> list[tuple[float, str]]:
    """Fixed points of dx/dt = x² + r with their stability: ±√(−r) for r < 0, the saddle-node at r = 0."""
    if r > 0:
        return []
    if r == 0:
        return [(0.0, "half-stable")]
    root = float(np.sqrt(-r))
    return [(-root, "stable"), (root, "unstable")]


def simulate_error(
    r: np.ndarray,
    confidences: np.ndarray,
    target: np.ndarray,
    dt: float = EULER_DT,
    threshold: float = OUTPUT_THRESHOLD,
    clip: float = STATE_CLIP,
) -> np.ndarray:
    """Discrete, finite-confidence error E(r; a) of the Euler-simulated model, for every (a, r) at once.

    x_{k+1} = x_k + Δt (x_k² + r), x_0 = 0, clipped at ``clip``; output y_{k+1} = σ(a (x_{k+1} − x*));
    E = Δt Σ_k (y_{k+1} − target_{k+1})².  ``target`` holds the targets of steps 1…n (the task table).
    Returns an array of shape (len(confidences), len(r)); divide by T for the normalised loss.
    """
    r = np.asarray(r, dtype=float)[None, :]
    a = np.asarray(confidences, dtype=float)[:, None]
    target = np.asarray(target, dtype=float)
    x = np.zeros_like(r)
    error = np.zeros((a.shape[0], r.shape[1]))
    for goal in target:
        x = np.minimum(x + dt * (x * x + r), clip)
        y = 0.5 * (1.0 + np.tanh(0.5 * a * (x - threshold)))  # logistic, overflow-free
        error += (y - goal) ** 2
    return dt * error


def relative_gradient_magnitude(values: np.ndarray, r: np.ndarray) -> np.ndarray:
    """|dE/dr| by central differences on a uniform r grid, divided by its maximum (Figure 8A).

    ``values`` may hold several curves along its last axis; each is normalised on its own.  A scalar
    spacing is used (as the authors do), so a flat stretch has an exactly zero gradient.
    """
    r = np.asarray(r, dtype=float)
    spacing = r[1] - r[0]
    if not np.allclose(np.diff(r), spacing, rtol=1e-6, atol=0):
        raise ValueError("relative_gradient_magnitude needs a uniform r grid")
    grad = np.abs(np.gradient(np.asarray(values, dtype=float), spacing, axis=-1))
    peak = grad.max(axis=-1, keepdims=True)
    return np.divide(grad, peak, out=np.zeros_like(grad), where=peak > 0)


def initial_r(init: dict, n_lrs: int, starts: int, T: float) -> np.ndarray:
    """Starting points r₀ of shape (n_lrs, starts), from an ``init`` config entry in units of r_opt.

    * ``{distribution: fixed, value: v}``: every start at v·r_opt;
    * ``{distribution: normal, mean: m, sd: s, seed: lr_index}``: learning-rate row i draws its starts
      from ``numpy.random.RandomState(i).normal(m·r_opt, s·r_opt, starts)``, which reproduces the
      authors' Fig. 2d starts (docs/methods.md §5 item 6); an integer seed draws the whole array at once;
    * ``{distribution: uniform, low: l, high: h, seed: k}``: U(l, h)·r_opt.
    """
    r_opt = optimal_r(T)
    kind = init["distribution"]
    if kind == "fixed":
        return np.full((n_lrs, starts), init["value"] * r_opt)
    if kind == "normal":
        mean, sd = init["mean"] * r_opt, init["sd"] * r_opt
        if init.get("seed", "lr_index") == "lr_index":
            return np.stack([np.random.RandomState(i).normal(0.0, sd, starts) + mean for i in range(n_lrs)])
        return np.random.RandomState(init["seed"]).normal(mean, sd, (n_lrs, starts))
    if kind == "uniform":
        rng = np.random.RandomState(init.get("seed", 0))
        return rng.uniform(init["low"], init["high"], (n_lrs, starts)) * r_opt
    raise ValueError(f"init.distribution: unknown distribution {kind!r}")


@dataclass
class DescentResult:
    """Outcome of vectorised gradient descent on r.

    ``r`` and ``loss`` have shape (runs, len(epochs)); ``first_zone_epoch`` is the first epoch whose r
    lies in the no-learning zone (−1 if never).
    """

    epochs: np.ndarray
    r: np.ndarray
    loss: np.ndarray
    first_zone_epoch: np.ndarray


def gradient_descent(
    r0: np.ndarray,
    lrs: np.ndarray,
    T: float,
    epochs: int,
    record_epochs: np.ndarray | None = None,
    convention: str = "error",
    progress: bool = False,
) -> DescentResult:
    """Gradient descent r ← r − η dE/dr for many independent (learning rate, start) pairs at once.

    ``r0`` and ``lrs`` broadcast to one flat array of runs.  Epoch 0 is the start; epoch e is the value
    after e updates (the authors' ``r_cur[e]``).  r and L are kept at ``record_epochs`` (default: every
    epoch), and the first epoch each run enters the no-learning zone is tracked at every epoch.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    r0, lrs = np.broadcast_arrays(np.asarray(r0, dtype=float), np.asarray(lrs, dtype=float))
    r = r0.ravel().copy()
    lrs = lrs.ravel()
    if record_epochs is None:
        record_epochs = np.arange(epochs + 1)
    record_epochs = np.unique(np.asarray(record_epochs, dtype=int))
    if record_epochs.min() < 0 or record_epochs.max() > epochs:
        raise ValueError(f"record epochs must lie in [0, {epochs}]")
    scale = 1.0 if convention == "error" else 1.0 / T
    r_hist = np.empty((r.size, record_epochs.size))
    slot = dict(zip(record_epochs.tolist(), range(record_epochs.size), strict=True))
    first_zone = np.where(in_no_learning_zone(r, T), 0, -1)
    if 0 in slot:
        r_hist[:, slot[0]] = r
    for epoch in tqdm(range(1, epochs + 1), disable=not progress, mininterval=5, desc="GD epochs"):
        r -= lrs * scale * error_gradient(r, T)
        newly = (first_zone < 0) & in_no_learning_zone(r, T)
        first_zone[newly] = epoch
        if epoch in slot:
            r_hist[:, slot[epoch]] = r
    return DescentResult(record_epochs, r_hist, closed_form_loss(r_hist, T), first_zone)

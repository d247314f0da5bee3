"""Throughput of the 1-D model's vectorised kernels against the authors' one-run Python loops.

An update is one gradient-descent epoch of one run, or one Euler step of one (r, a) pair.

Run: `python benchmarks/bench_canonical.py [--out results/benchmarks/canonical.csv]`.  Prints one row per
kernel with the machine it ran on; the README records the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from ghostlearn.oned import canonical
from ghostlearn.tasks import delayed_activation_1d

T = 100.0
R_OPT = canonical.optimal_r(T)


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def scalar_gd(r0: float, lr: float, epochs: int) -> float:
    """One run, one scalar update per epoch: the authors' loop."""
    r = r0
    for _ in range(epochs):
        r -= lr * float(canonical.error_gradient(r, T))
    return r


def scalar_landscape(r_values: np.ndarray, a: float, target: np.ndarray) -> list[float]:
    """One r at a time, one Euler step at a time: the authors' loop."""
    errors = []
    for r in r_values:
        x, error = 0.0, 0.0
        for goal in target:
            x = min(x + 0.1 * (x * x + r), 1e6)
            error += (1.0 / (1.0 + np.exp(-a * (x - 10.0))) - goal) ** 2
        errors.append(0.1 * error)
    return errors


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", help="also write the table as CSV here")
    args = parser.parse_args()
    target = delayed_activation_1d(T, 0.1)["target"].to_numpy()
    rows = []

    runs, epochs = 1000, 10_000  # Fig. 2d
    r0 = canonical.initial_r({"distribution": "normal", "mean": 10.0, "sd": 0.1}, 100, 10, T)
    lrs = np.logspace(-11, -8, 100)[:, None]
    vector = best_of(lambda: canonical.gradient_descent(r0, lrs, T, epochs, [epochs]))
    loop_epochs = 2000
    loop = best_of(lambda: scalar_gd(10 * R_OPT, 1e-10, loop_epochs), 1) / loop_epochs
    rows.append(
        {
            "kernel": "gradient descent on r (Fig. 2d: 1000 runs x 10000 epochs)",
            "vectorised_s": vector,
            "updates_per_s": runs * epochs / vector,
            "scalar_loop_updates_per_s": 1 / loop,
            "speed_up": runs * epochs / vector * loop,
        }
    )

    r_grid = np.linspace(-R_OPT, 2 * R_OPT, 100)
    confs = [0.01, 0.1, 0.5, 1.0, 2.0]
    vector = best_of(lambda: canonical.simulate_error(r_grid, confs, target))
    loop = best_of(lambda: scalar_landscape(r_grid[:5], 1.0, target), 1) / 5
    rows.append(
        {
            "kernel": "Euler landscape (Fig. 2a/8A: 5 confidences x 100 r x 2000 steps)",
            "vectorised_s": vector,
            "updates_per_s": 500 * 2000 / vector,
            "scalar_loop_updates_per_s": 2000 / loop,
            "speed_up": 500 * loop / vector,
        }
    )
    table = pd.DataFrame(rows)
    machine = f"{cpu_model()}, {os.cpu_count()} cores, numpy {np.__version__}"
    print(f"machine: {machine.strip()}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.out:
        table.assign(machine=machine).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()

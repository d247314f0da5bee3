"""Speed of the rank-2 slow-point analysis: one 2000 x 2000 flow map plus Newton refinement of every
interior grid minimum (target: under 2 s on the project's 2-core CPU).

Run: `python benchmarks/bench_fixedpoints.py [--threads 2] [--points 2000]`.  The network is a rank-2
task RNN at its faithful initialisation (Fig. 4, seed 0), so the field is the one the figure analyses.
"""

from __future__ import annotations

import ghostlearn  # noqa: F401  (first: ATen's CPU kernels pinned before torch loads)

# isort: split
import argparse
import time

import torch

from ghostlearn.dynamics.fixedpoints import (
    LatentField,
    grid_minima,
    latent_reduction,
    newton_minimise,
    speed_map,
)
from ghostlearn.rnn.models import init_networks, make_family


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params, _ = init_networks(make_family("task_low_rank", K=2), [0], torch.float64)
    J = (params["S_l"][0] @ params["S_r"][0]).T.numpy()  # J r = (r S_l) S_r
    M, P = latent_reduction(J)
    field = LatentField(M, P, params["b"][0].numpy())
    timings = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        axis, q = speed_map(field, -5.2, 5.2, args.points)
        mapped = time.perf_counter()
        idx = grid_minima(q)
        starts = axis[idx]
        _, speed, _ = newton_minimise(field, starts)
        timings.append((mapped - start, time.perf_counter() - mapped))
    flow, newton = min(timings, key=sum)
    print(
        f"{args.points}x{args.points} flow map: {flow:.2f} s; {len(idx)} grid minima refined: {newton:.2f} s;"
    )
    print(f"total {flow + newton:.2f} s on {args.threads} thread(s), torch {torch.__version__}")


if __name__ == "__main__":
    main()

"""Speed of the slow-point analyses.

Rank 2: one 2000 x 2000 flow map plus Newton refinement of every interior grid minimum (target: under 2 s on
the project's 2-core CPU).  The network is a rank-2 task RNN at its faithful initialisation (Fig. 4, seed 0),
so the field is the one the figure analyses.

Full rank (Fig. 5): the slow-point search of one task_full network (Fig. 5 DCDT, seed 3, briefly trained
with SGD 1e-2 so that it has more than its initial fixed point) from its visited states, by both methods of
``analysis.full_rank_search`` in the same process: Adam (5000 iterations) then 10 Newton steps, and
Levenberg-Marquardt; it prints both times, their ratio and the points each finds.

Run: `python benchmarks/bench_fixedpoints.py [--threads 2] [--points 2000] [--part rank2|full|both]`.
"""

from __future__ import annotations

import ghostlearn  # noqa: F401  (first: ATen's CPU kernels pinned before torch loads)

# isort: split
import argparse
import time

import numpy as np
import torch

from ghostlearn.dynamics.fixedpoints import (
    LatentField,
    full_rank_points,
    grid_minima,
    latent_reduction,
    newton_minimise,
    speed_map,
)
from ghostlearn.rnn.models import init_networks, make_family


def rank_two(args):
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


def full_rank_network(epochs: int):
    """(J, b, visited states (B, S + 1, N)) of the Fig. 5 DCDT network (seed 3) after ``epochs`` SGD steps."""
    from ghostlearn.dynamics.checkpoints import trajectories
    from ghostlearn.rnn.engine import TaskData, Trainer, TrainSpec
    from ghostlearn.tasks import dcdt

    family = make_family("task_full", readout="tanh", sigma_rec=0.01, sigma_init=0.1)
    task = TaskData.from_table(dcdt(2, 10, 10, 1))
    trainer = Trainer(family, task, TrainSpec(seeds=[3], lrs=[1e-2], epochs=epochs, kernel="fused"))
    for _ in range(epochs):
        trainer.step()
    params = {k: v.detach() for k, v in trainer.params.items()}
    states, _ = trajectories(family, params, task)
    return params["W_rec"][0].T.double().numpy(), params["b"][0].double().numpy(), states[0]


def full_rank(args):
    J, b, states = full_rank_network(args.epochs)
    methods = {
        "adam": {"method": "adam", "adam_iters": 5000, "newton_steps": 10},
        "levenberg_marquardt": {"method": "levenberg_marquardt"},
    }
    timings = {name: [] for name in methods}
    tables = {}
    for _ in range(args.repeats):  # interleaved, so that both see the same machine load
        for name, search in methods.items():
            start = time.perf_counter()
            tables[name] = full_rank_points(J, b, states, guesses=args.guesses, **search)
            timings[name].append(time.perf_counter() - start)
    guesses = min(args.guesses or np.inf, np.prod(states.shape[:-1]))
    print(f"full rank (N = {len(b)}, {guesses:.0f} guesses, {args.epochs} training epochs):")
    for name, table in tables.items():
        kinds = table["kind"].value_counts().to_dict()
        print(f"  {name}: {min(timings[name]):.2f} s; points {kinds}, speeds {np.sort(table['speed'])}")
    ratio = min(timings["adam"]) / min(timings["levenberg_marquardt"])
    print(f"  adam / levenberg_marquardt: {ratio:.1f}x on {args.threads} thread(s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part", choices=["rank2", "full", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=300, help="full rank: SGD epochs before the search")
    parser.add_argument("--guesses", type=int, default=None, help="full rank: full_rank_guesses")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.part in ("rank2", "both"):
        rank_two(args)
    if args.part in ("full", "both"):
        full_rank(args)


if __name__ == "__main__":
    main()

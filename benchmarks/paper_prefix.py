"""Paper-scale cost of the RNN sweeps, measured on a prefix and extrapolated.

For every training job of config/config.yaml's RNN figures (3-8C and the T scaling), builds the job's
real networks (the first job of each experiment, its full size) and times a few epochs of the engine
(one thread, CPU time of the process, after one warm-up epoch), then extrapolates linearly to the job's epochs and multiplies by the
experiment's number of jobs.  A continuation is timed from a fresh initialisation (same cost per epoch).
Excludes Python start-up, history and checkpoint writing (small next to the training).

Run: `python benchmarks/paper_prefix.py [--config config/config.yaml] [--seconds 3]`.
"""

from __future__ import annotations

import argparse
import platform
import time

import pandas as pd
import torch

from ghostlearn.config import checkpoint_epochs, grid_axis, load_config, rnn_experiments, rnn_jobs
from ghostlearn.engine import TaskData, Trainer, TrainSpec
from ghostlearn.tasks import make_task
from ghostlearn.training import family_from_config

PREFIXES = ("fig3", "fig4", "fig5", "fig6", "fig7", "fig8b", "fig8c", "tscaling")


def seconds_per_epoch(exp: dict, networks: list[dict], seconds: float) -> float:
    axis, _ = grid_axis(exp)
    spec = TrainSpec(
        seeds=[n["seed"] for n in networks],
        lrs=[n["lr"] for n in networks],
        epochs=10**9,
        optimizer=exp.get("optimizer", "sgd"),
        kernel=exp.get("kernel", "autograd"),
        network_values={} if axis is None else {axis: [n[axis] for n in networks]},
        out_scale=exp.get("output_l1_norm"),
        count_fixed_points=exp.get("count_fixed_points", False),
    )
    trainer = Trainer(family_from_config(exp), TaskData.from_table(make_task(exp["task"])), spec)
    trainer.step()
    # CPU time of this process: robust to other jobs sharing the cores (one thread, so it is the work)
    calls, start = 0, time.process_time()
    while time.process_time() - start < seconds or calls < 3:
        trainer.step()
        calls += 1
    return (time.process_time() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_config(args.config)
    experiments = rnn_experiments(config["rnn"])
    rows = []
    for name, exp in experiments.items():
        if not name.startswith(PREFIXES):
            continue
        jobs = rnn_jobs(exp, experiments)
        per_epoch = seconds_per_epoch(exp, jobs[0], args.seconds)
        hours = per_epoch * exp["epochs"] * len(jobs) / 3600
        rows.append(
            {
                "experiment": name,
                "jobs": len(jobs),
                "networks": sum(len(j) for j in jobs),
                "epochs": exp["epochs"],
                "checkpoints": len(checkpoint_epochs(exp)),
                "ms_per_epoch_first_job": round(1000 * per_epoch, 2),
                "core_hours": round(hours, 3),
            }
        )
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(f"\n{platform.processor() or platform.machine()}, torch {torch.__version__}, one thread")
    print(table.to_markdown(index=False))
    print(f"total: {table['core_hours'].sum():.1f} core-hours")


if __name__ == "__main__":
    main()

"""Cost of the paper config's RNN training jobs, measured on a prefix of each and extrapolated.

For every RNN experiment of a config (default: the figures' experiments of config/config.yaml), trains
one job's networks for ``--prefix`` epochs with the workflow's own ``run_job`` (history, checkpoints and
all) on one thread, and reports CPU seconds per epoch and the extrapolation to the experiment's epochs.
CPU time (not wall time) is reported so that a loaded machine inflates the numbers less; the machine is
printed with them.  The per-epoch cost of these jobs is constant (same networks, same step), so a
prefix extrapolates linearly; checkpoints and history parts add a small per-save cost on top.

Run: `python benchmarks/rnn_paper_cost.py [--config config/config.yaml] [--prefix 2000] [names ...]`.
"""

from __future__ import annotations

import argparse
import copy
import platform
import tempfile
import time

import pandas as pd
import torch

from ghostlearn.config import load_config, rnn_jobs
from ghostlearn.figures import FIGURE_EXPERIMENTS
from ghostlearn.tasks import make_task
from ghostlearn.training import run_job


def measure(exp: dict, prefix: int) -> dict:
    job = rnn_jobs(exp)[0]
    short = copy.deepcopy(exp)
    short["epochs"] = min(prefix, exp["epochs"])
    short["checkpoint_epochs"] = [e for e in exp.get("checkpoint_epochs", []) if e <= short["epochs"]]
    short.pop("checkpoint_window", None)
    table = make_task(exp["task"])
    with tempfile.TemporaryDirectory() as workdir:
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        run_job(short, job, table, workdir, device="cpu")
        cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    per_epoch = cpu / short["epochs"]
    return {
        "networks_per_job": len(job),
        "jobs": len(rnn_jobs(exp)),
        "prefix_epochs": short["epochs"],
        "epochs": exp["epochs"],
        "cpu_ms_per_epoch": 1000 * per_epoch,
        "wall_s_prefix": wall,
        "cpu_minutes_per_job": per_epoch * exp["epochs"] / 60,
        "extrapolated": short["epochs"] < exp["epochs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--prefix", type=int, default=2000)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_config(args.config)
    experiments = config["rnn"]["experiments"]
    names = args.names or [n for figure in ("fig3", "fig4", "fig5") for n in FIGURE_EXPERIMENTS[figure]]
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, one thread", flush=True)
    rows = []
    for name in names:
        row = {"experiment": name, **measure(experiments[name], args.prefix)}
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, header=len(rows) == 1), flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))


if __name__ == "__main__":
    main()

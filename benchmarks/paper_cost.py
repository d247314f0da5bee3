"""Paper-scale cost: the measured training throughput of every RNN experiment of a config, the cost model
fitted to it, and the predicted wall time of the whole config's training on 2 and 8 cores.

For every experiment the engine trains the first job's real networks (the experiment unsplit, at most
1024 networks, with its kernel, optimiser, noise and options) and, to pin the per-call cost, the same
experiment with 2 networks.  Beside them, in the same process, the authors'-style loop (one network, an
nn.Module, a Python loop over time, autograd, torch.optim; tests/reference_models.py, bit-identical to
the authors' classes) of each family.  Every configuration is timed in rounds, interleaved, by the CPU
time of this one-thread process (robust to other processes sharing the cores), and the median kept.

The fitted model (ghostlearn.rnn.cost) is written to src/ghostlearn/rnn/throughput.yaml, where the workflow
reads it to size and schedule jobs; the tables go to docs/paper_cost.md.  Continuations are timed from a
fresh initialisation (same cost per epoch).  Not counted: the 1-D figures (under a minute), the
checkpoint analysis, tables and figures (see reference/paper/README.md for a measured run).

Run: `python benchmarks/paper_cost.py [--config config/config.yaml] [--rounds 3] [--seconds 0.4]`.
The last line reads `predicted paper wall time: <hours> h on 2 cores, <hours> h on 8 cores`.
"""

from __future__ import annotations

import ghostlearn  # noqa: F401  (first: ATen's CPU kernels pinned before torch loads)

# isort: split
import argparse
import datetime
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from ghostlearn.config import ConfigError, load_config, rnn_experiments, rnn_networks
from ghostlearn.rnn.cost import (
    MAX_NETWORKS_PER_JOB,
    THROUGHPUT,
    CostModel,
    describe_plan,
    fit_kernel,
    job_shape,
    plan_jobs,
    wall_time,
)
from ghostlearn.rnn.engine import TaskData, Trainer, recurrent_noise
from ghostlearn.rnn.models import KAPPA_GRID
from ghostlearn.rnn.training import family_from_config, train_spec
from ghostlearn.tasks import make_task

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import reference_models as ref  # noqa: E402

CORES = (2, 8)


def cpu_machine() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def engine_step(exp: dict, networks: list[dict], device: str = "cpu"):
    """One training epoch of the engine for these networks of ``exp`` (fresh initialisation)."""
    family = family_from_config(exp)
    spec = train_spec({**exp, "epochs": 10**9, "checkpoint_epochs": []}, networks, device=device)
    trainer = Trainer(family, TaskData.from_table(make_task(exp["task"])), spec)
    if device == "cpu":
        return trainer.step

    def step():  # time the device's work, not the launches
        trainer.step()
        torch.cuda.synchronize()

    return step


def clock(device: str) -> float:
    """CPU time of this process on a CPU (robust to other processes); wall time on a GPU."""
    return time.process_time() if device == "cpu" else time.perf_counter()


def read_experiments(path: str) -> dict:
    """The config's RNN experiments, validated when jsonschema is installed (a bare GPU image lacks it)."""
    try:
        return rnn_experiments(load_config(path)["rnn"])
    except ConfigError as error:
        if "jsonschema" not in str(error):
            raise
        import yaml

        return rnn_experiments(yaml.safe_load(Path(path).read_text())["rnn"])


def authors_loop(family: str, exp: dict):
    """One epoch of the authors'-style loop for one network of ``family`` at ``exp``'s task."""
    model = exp["model"]
    if family in ("rank_one", "rank_k", "full_canonical"):
        net = {
            "rank_one": lambda: ref.rank_one(0),
            "rank_k": lambda: ref.rank_k(0, K=int(model.get("K", 1))),
            "full_canonical": lambda: ref.full_canonical(0),
        }[family]()
        opt = torch.optim.SGD(net.parameters(), lr=1e-3)

        def epoch():
            opt.zero_grad()
            net.loss().backward()
            opt.step()

        return epoch
    task = TaskData.from_table(make_task(exp["task"]))
    readout = "tanh" if exp["task"]["kind"] == "dcdt" else "sigmoid"
    if family == "task_low_rank":
        net = ref.task_rnn_low_rank(0, K=int(model["K"]), readout=readout, recurrence="authors")
    else:
        net = ref.task_rnn_full(0, readout=readout)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    B, S = task.targets.shape
    g = torch.Generator().manual_seed(0)
    sigma_init, sigma_rec = float(model.get("sigma_init", 0)), float(model.get("sigma_rec", 0))

    def epoch():
        opt.zero_grad()
        r0 = torch.tanh(sigma_init * torch.randn((B, 100), generator=g))
        noise = sigma_rec * recurrent_noise(S, B, 100, g)
        net.loss(task.inputs, task.targets, r0, noise).backward()
        opt.step()

    return epoch


def measure(configs: dict, rounds: int, seconds: float, device: str = "cpu") -> dict[str, float]:
    """Median seconds per call of each configuration (:func:`clock`), interleaved over ``rounds``."""
    calls = {}
    for name, fn in configs.items():
        fn()
        start = clock(device)
        fn()
        once = max(clock(device) - start, 1e-5)
        calls[name] = max(1, math.ceil(seconds / once))
        print(f"  warm: {name} ({once * 1e3:.2f} ms per epoch)", flush=True)
    samples = {name: [] for name in configs}
    for r in range(rounds):
        for name, fn in configs.items():
            start = clock(device)
            for _ in range(calls[name]):
                fn()
            samples[name].append((clock(device) - start) / calls[name])
        print(f"  round {r + 1}/{rounds} done", flush=True)
    return {name: statistics.median(s) for name, s in samples.items()}


def global_rates() -> tuple[float, float]:
    """Seconds per float32 normal draw and per flow-point unit (tanh of the rank-one flow curve)."""
    g = torch.Generator().manual_seed(0)
    start = time.process_time()
    for _ in range(20):
        torch.randn(1_000_000, generator=g)
    per_draw = (time.process_time() - start) / 20e6
    m, b = torch.randn(8, 100), torch.zeros(8, 100)
    grid = torch.linspace(*KAPPA_GRID)
    start = time.process_time()
    for _ in range(20):
        torch.tanh(m[:, None, :] * grid[None, :, None] + b[:, None, :]).sum(-1)
    per_flow = (time.process_time() - start) / (20 * 8 * KAPPA_GRID[2] * 100)
    return per_draw, per_flow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.4, help="CPU seconds per configuration and round")
    parser.add_argument("--no-write", action="store_true", help="print only; keep throughput.yaml and docs")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda: time the engine on the GPU")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "paper_cost.md"), help="where the tables go")
    args = parser.parse_args()
    torch.set_num_threads(1)
    experiments = read_experiments(args.config)
    counts = {name: len(rnn_networks(exp, experiments)) for name, exp in experiments.items()}

    configs, sizes, authors = {}, {}, {}
    for name, exp in experiments.items():
        networks = rnn_networks(exp, experiments)
        full = min(len(networks), MAX_NETWORKS_PER_JOB)
        sizes[name] = sorted({full, min(2, full)})
        for E in sizes[name]:
            configs[(name, E)] = engine_step(exp, networks[:E], args.device)
        family = exp["model"]["family"]
        key = (family, exp["model"].get("K"), exp["task"]["kind"], exp["task"].get("trials_per_class"))
        if key not in authors:
            authors[key] = name
            configs[("authors", name)] = authors_loop(family, exp)
    print(f"timing {len(configs)} configurations, {args.rounds} rounds", flush=True)
    per_draw, per_flow = global_rates()
    authors_s = measure({k: v for k, v in configs.items() if k[0] == "authors"}, args.rounds, args.seconds)
    engine = {k: v for k, v in configs.items() if k[0] != "authors"}
    seconds = {**authors_s, **measure(engine, args.rounds, args.seconds, args.device)}

    points: dict[tuple[str, str], list] = {}
    for (name, E), t in seconds.items():
        if name == "authors":
            continue
        shape = job_shape(experiments[name], E)
        points.setdefault((shape.family, shape.kernel), []).append((shape, t))
    machine = f"{cpu_machine()}, {torch.get_num_threads()} thread, torch {torch.__version__}"
    if args.device != "cpu":
        machine = f"{torch.cuda.get_device_name()} (CUDA), torch {torch.__version__}"
    model = CostModel(
        {key: fit_kernel(pts, per_draw, per_flow) for key, pts in points.items()}, per_draw, per_flow, machine
    )

    rows = []
    for name, exp in experiments.items():
        E = max(sizes[name])
        t = seconds[(name, E)]
        family = exp["model"]["family"]
        key = (family, exp["model"].get("K"), exp["task"]["kind"], exp["task"].get("trials_per_class"))
        a = seconds[("authors", authors[key])]
        rows.append(
            {
                "experiment": name,
                "family": family,
                "kernel": exp.get("kernel", "autograd"),
                "networks": counts[name],
                "epochs": exp["epochs"],
                "job size": E,
                "ms/epoch": round(1e3 * t, 3),
                "net-epochs/s": round(E / t),
                "model ms/epoch": round(1e3 * model.epoch_seconds(job_shape(exp, E)), 3),
                "authors' loop net-epochs/s": round(1 / a),
                "speed-up": round(E / t * a, 1),
                "core-h": round(counts[name] * exp["epochs"] * t / E / 3600, 2),
            }
        )
    table = pd.DataFrame(rows)
    walls, plans = {}, {}
    cores_list = CORES if args.device == "cpu" else (1,)  # one GPU trains one job at a time
    for cores in cores_list:
        plans[cores] = plan_jobs(experiments, counts, cores, model)
        jobs = [
            (name, model.job_seconds(exp, s), exp.get("start_from", {}).get("experiment"))
            for name, exp in experiments.items()
            for s in plans[cores][name]
        ]
        walls[cores] = wall_time(jobs, cores) / 3600
    stamp = f"{datetime.date.today().isoformat()}, {machine}"
    print(f"\n{stamp}\n")
    print(table.to_markdown(index=False))
    for cores in cores_list:
        print("\n" + describe_plan(experiments, plans[cores], model, cores))
    if args.device != "cpu":
        Path(args.doc).write_text(table.to_markdown(index=False) + "\n")
        print(f"predicted paper wall time: {walls[1]:.1f} h on one {machine}")
        return
    if not args.no_write:
        model.dump(
            THROUGHPUT,
            header=f"Written by benchmarks/paper_cost.py on {stamp}.\nRerun it to fit another machine.",
        )
        doc = Path(args.doc)
        doc.parent.mkdir(exist_ok=True)
        doc.write_text(
            "# Paper-scale training cost\n\n"
            f"Generated by `python benchmarks/paper_cost.py` ({stamp}); CPU time of one thread, median of "
            f"{args.rounds} interleaved rounds.  `job size` is the first job of the experiment unsplit; "
            "`model ms/epoch` is the fitted cost model the workflow uses (src/ghostlearn/rnn/throughput.yaml); "
            "`speed-up` is the engine's network-epochs per second over the authors'-style loop's "
            "(one network, autograd) in the same process.\n\n"
            + table.to_markdown(index=False)
            + "\n\n"
            + "\n\n".join("```\n" + describe_plan(experiments, plans[c], model, c) + "\n```" for c in CORES)
            + f"\n\npredicted paper wall time: {walls[2]:.1f} h on 2 cores, {walls[8]:.1f} h on 8 cores\n"
        )
    print(f"predicted paper wall time: {walls[2]:.1f} h on 2 cores, {walls[8]:.1f} h on 8 cores")


if __name__ == "__main__":
    main()

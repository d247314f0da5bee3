"""Training throughput: the batched engine against a per-network reference loop, in one process.

The reference is the authors' style: one nn.Module, a Python loop over time steps, autograd and
optimizer.step (tests/reference_models.py).  Prints network-epochs/s and the ratio to the reference for
the rank-one model at several E (autograd, fused and, where it builds, native kernels) and for the
low-rank DCDT model (1000 trials as the paper, and 2).

Run: `python benchmarks/train_throughput.py [--threads 1] [--device cpu|cuda] [--seconds 3]`.
"""

from __future__ import annotations

import ghostlearn  # noqa: F401  (first: ATen's CPU kernels pinned before torch loads)

# isort: split
import argparse
import platform
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import reference_models as ref  # noqa: E402

from ghostlearn.rnn import native  # noqa: E402
from ghostlearn.rnn.engine import TaskData, Trainer, TrainSpec  # noqa: E402
from ghostlearn.rnn.models import make_family  # noqa: E402
from ghostlearn.tasks import dcdt, delayed_activation  # noqa: E402


def timed(step, seconds: float) -> float:
    """Seconds per call of ``step``, after one warm-up call, over about ``seconds``."""
    step()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or calls < 3:
        step()
        calls += 1
    return (time.perf_counter() - start) / calls


def reference_rank_one(seconds):
    net = ref.rank_one(0)
    sgd = torch.optim.SGD(net.parameters(), lr=0.01)

    def step():
        sgd.zero_grad()
        net.loss().backward()
        sgd.step()

    return 1 / timed(step, seconds)


def reference_dcdt(per_class, seconds):
    net = ref.task_rnn_low_rank(0, K=2, readout="tanh")
    sgd = torch.optim.SGD(net.parameters(), lr=1e-3)
    inputs, targets = ref.dcdt_trials(2, 10, 10, per_class)
    B, S = targets.shape

    def step():
        sgd.zero_grad()
        r0 = torch.tanh(0.3 * torch.randn(B, 100))
        net.loss(inputs, targets, r0, torch.zeros(S, B, 100)).backward()
        sgd.step()

    return 1 / timed(step, seconds)


def engine(family, task, E, seconds, device, kernel, compiled=False):
    spec = TrainSpec(list(range(E)), [0.01] * E, 10**9, device=device, kernel=kernel, compile=compiled)
    trainer = Trainer(family, task, spec)
    return E / timed(trainer.step, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sizes", default="1,64,256,1024")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile'd kernels")
    parser.add_argument("--out", help="also write the table as CSV here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    rank_one = make_family("rank_one")
    canonical = TaskData.from_table(delayed_activation(20))
    base = reference_rank_one(args.seconds)
    rows.append({"model": "rank-one", "E": 1, "runner": "reference loop", "network_epochs_per_s": base})
    kernels = ["autograd", "fused"]
    if args.device == "cpu" and native.unavailable() is None:
        kernels.append("native")
    for kernel in kernels:
        for E in map(int, args.sizes.split(",")):
            rate = engine(rank_one, canonical, E, args.seconds, args.device, kernel)
            rows.append(
                {"model": "rank-one", "E": E, "runner": f"engine ({kernel})", "network_epochs_per_s": rate}
            )
    for per_class in (500, 1):
        low_rank = make_family("task_low_rank", K=2, readout="tanh", sigma_init=0.3)
        task = TaskData.from_table(dcdt(2, 10, 10, per_class))
        label = f"low-rank DCDT, {2 * per_class} trials"
        base_task = reference_dcdt(per_class, args.seconds)
        rows.append({"model": label, "E": 1, "runner": "reference loop", "network_epochs_per_s": base_task})
        for E in (1, 16) if per_class == 500 else (1, 64, 256):
            rate = engine(low_rank, task, E, args.seconds, args.device, "autograd")
            rows.append({"model": label, "E": E, "runner": "engine (autograd)", "network_epochs_per_s": rate})
    table = pd.DataFrame(rows)
    reference = table[table["runner"] == "reference loop"].set_index("model")["network_epochs_per_s"]
    table["x_reference"] = table["network_epochs_per_s"] / table["model"].map(reference)
    cpu = platform.processor() or platform.machine()
    if args.device == "cuda":
        cpu = torch.cuda.get_device_name()
    print(f"device: {args.device} ({cpu}), threads: {args.threads}, torch {torch.__version__}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()

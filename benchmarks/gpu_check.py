"""CPU-against-device agreement of a short float64 training run of every family (fused kernels).

Each family trains the same networks for 20 epochs in float64 on the CPU and on ``--device`` (the random
draws come from the same CPU generators on both); the largest relative difference of the losses and of
the final parameters is printed per family.  Rounding differs between devices (other reduction orders),
so agreement to about 1e-12 is expected in float64, not equality.

Run: `python benchmarks/gpu_check.py [--device cuda] [--epochs 20]` (part of benchmarks/gpu_check.sh).
"""

from __future__ import annotations

import ghostlearn  # noqa: F401  (first: ATen's CPU kernels pinned before torch loads)

# isort: split
import argparse

import torch

from ghostlearn.rnn.engine import TaskData, Trainer, TrainSpec
from ghostlearn.rnn.models import make_family
from ghostlearn.tasks import dcdt, delayed_activation, dmts

CASES = {
    "rank_one": ({}, delayed_activation(20), "sgd"),
    "rank_k": ({"K": 3}, delayed_activation(20), "sgd"),
    "full_canonical": ({}, delayed_activation(20), "sgd"),
    "task_low_rank": (
        {"K": 2, "readout": "sigmoid", "sigma_rec": 0.01, "sigma_init": 0.3},
        dmts(6, 16, 10, 2),
        "adam",
    ),
    "task_full": ({"readout": "tanh", "sigma_rec": 0.01, "sigma_init": 0.1}, dcdt(2, 10, 10, 1), "sgd"),
}


def train(name: str, device: str, epochs: int) -> tuple[torch.Tensor, dict]:
    extra, table, optimizer = CASES[name]
    spec = TrainSpec(
        [0, 1, 2, 3],
        [0.01, 0.02, 0.005, 0.01],
        epochs,
        optimizer=optimizer,
        dtype="float64",
        kernel="fused",
        device=device,
    )
    trainer = Trainer(make_family(name, **extra), TaskData.from_table(table, dtype=torch.float64), spec)
    losses = torch.stack([trainer.step()["loss"].cpu() for _ in range(epochs)])
    return losses, {k: v.cpu() for k, v in trainer.params.items()}


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-300))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device
    print(f"float64, {args.epochs} epochs, 4 networks, fused kernels: CPU against {name}")
    for family in CASES:
        cpu_loss, cpu_params = train(family, "cpu", args.epochs)
        dev_loss, dev_params = train(family, args.device, args.epochs)
        params = max(relative(dev_params[k], cpu_params[k]) for k in cpu_params)
        print(f"{family:15s} loss rel {relative(dev_loss, cpu_loss):.2e}  params rel {params:.2e}")


if __name__ == "__main__":
    main()

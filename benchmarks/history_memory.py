"""Memory of a long training job: resident memory while the engine keeps history rows between checkpoints.

Trains the rank-one model with the fixed-point count every epoch (the Fig. 3a configuration, whose
per-epoch flow is an (E, 1000, N) temporary) through `ghostlearn.engine.train` without checkpoints, so
every history row stays in memory until the end, and samples the process's resident memory as it goes.
Resident memory should stay flat: it grew by about 0.3 MB per epoch while each epoch's small record
tensors were kept alive between the large temporaries (heap fragmentation), which a 500,000-epoch run
cannot afford; the history rows now live in preallocated buffers (`ghostlearn.engine.HistoryBuffer`).

Run: `python benchmarks/history_memory.py [--epochs 3000] [--networks 4]`.
"""

from __future__ import annotations

import argparse
import platform
import resource
import tempfile

import torch

from ghostlearn.engine import TaskData, Trainer, TrainSpec, train
from ghostlearn.models import make_family
from ghostlearn.tasks import delayed_activation


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3000)
    parser.add_argument("--networks", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    family = make_family("rank_one")
    task = TaskData.from_table(delayed_activation(20))
    spec = TrainSpec(
        seeds=[40] * args.networks,
        lrs=[0.005] * args.networks,
        epochs=args.epochs,
        kernel="fused",
        count_fixed_points=True,
    )
    samples = []
    step = Trainer.step

    def sampled(self):
        record = step(self)
        if self.epoch in (1, args.epochs // 4, args.epochs // 2, args.epochs):
            samples.append((self.epoch, rss_mb()))
        return record

    Trainer.step = sampled
    with tempfile.TemporaryDirectory() as workdir:
        history, _ = train(family, task, spec, workdir)
    Trainer.step = step
    (e0, m0), (e1, m1) = samples[0], samples[-1]
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, E = {args.networks}")
    for epoch, mb in samples:
        print(f"epoch {epoch:>7}: resident {mb:7.1f} MB")
    print(f"history rows kept: {len(history)}; growth {(m1 - m0) / (e1 - e0) * 1000:.2f} MB per 1000 epochs")


if __name__ == "__main__":
    main()

"""Adapter: one training job of an RNN experiment (its networks stacked in one tensor program)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import torch

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.rnn.engine import load_checkpoint
from ghostlearn.rnn.training import run_job, save_checkpoints

torch.set_num_threads(snakemake.threads)
exp = snakemake.params.experiment
history, summary, checkpoints = run_job(
    exp,
    snakemake.params.networks,
    read_table(snakemake.input.task, ["trial", "step", "input", "target"]),
    snakemake.params.state,
    device=snakemake.params.device,
    gpu_granted=snakemake.resources.get("gpu", 0) > 0,
    dtype=snakemake.params.dtype,
    log=sys.stderr,
    parent_checkpoints=[load_checkpoint(path) for path in snakemake.input.parents],
    start_epoch=snakemake.params.start_epoch,
)
seeds = sorted({network["seed"] for network in snakemake.params.networks})
meta = job_provenance(snakemake, device=summary["device"].iloc[0], seeds=seeds)
write_table(history, snakemake.output.history, **meta)
write_table(summary, snakemake.output.networks, **meta)
save_checkpoints(checkpoints, snakemake.output.checkpoints, **meta)

"""Adapter: gradient descent on r for one experiment (all learning rates and starts at once)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.oned.tables import run_gd

meta = job_provenance(snakemake)

experiment = dict(snakemake.params.experiment)
task = read_table(snakemake.input.task, ["target", "T", "dt"])
runs, history = run_gd(experiment, task, progress=True)
write_table(runs, snakemake.output.runs, **meta)
write_table(history, snakemake.output.history, **meta)
entered = (runs["first_zone_epoch"] >= 0).sum()
print(f"{len(runs)} runs, {entered} entered the no-learning zone", file=sys.stderr)

"""Adapter: every job's analysed points as one table, and the ghost-versus-drop statistic per network."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import job_provenance, read_table, write_table
from ghostlearn.tables.runs import ghost_versus_drop

meta = job_provenance(snakemake)

points = pd.concat(
    [read_table(p, ["network", "epoch", "kind"]) for p in snakemake.input.points], ignore_index=True
)
history = pd.concat(
    [read_table(p, ["network", "epoch", "loss"]) for p in snakemake.input.histories], ignore_index=True
)
write_table(points, snakemake.output.points, **meta)
trajectories = [pd.read_parquet(p) for p in snakemake.input.trajectories]
write_table(pd.concat(trajectories, ignore_index=True), snakemake.output.trajectories, **meta)
fields = [pd.read_parquet(p) for p in snakemake.input.fields]
write_table(pd.concat(fields, ignore_index=True), snakemake.output.fields, **meta)
write_table(
    ghost_versus_drop(history, points, snakemake.params.drop_fraction), snakemake.output.ghosts, **meta
)

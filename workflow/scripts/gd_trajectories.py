"""Adapter: per-epoch r and L of every run of an experiment, with its learning rate (Fig. 2b, c)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from ghostlearn.io import job_provenance, read_table, write_table

meta = job_provenance(snakemake)

runs = read_table(snakemake.input.runs, ["run", "lr", "T", "first_zone_epoch"])
history = read_table(snakemake.input.history, ["run", "epoch", "r", "loss"])
table = history.merge(runs[["run", "lr", "start", "T", "first_zone_epoch"]], on="run")
write_table(table, snakemake.output[0], **meta)

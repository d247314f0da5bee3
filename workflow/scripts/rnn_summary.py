"""Adapter: the per-network summary of every job of an RNN experiment, as one table."""

import sys

sys.stderr = open(snakemake.log[0], "w")

import pandas as pd

from ghostlearn.io import job_provenance, read_table, write_table

meta = job_provenance(snakemake)

columns = ["network", "seed", "lr", "diverged", "final_loss", "final_accuracy"]
table = pd.concat([read_table(path, columns) for path in snakemake.input.networks], ignore_index=True)
write_table(table.sort_values("network", ignore_index=True), snakemake.output[0], **meta)
